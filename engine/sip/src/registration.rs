//! Registration client state (RFC 3261 §10): REGISTER construction, digest retry, refresh
//! before expiry and back-off after failure. The endpoint owns the transactions.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::digest::{self, Challenge};
use crate::endpoint::RegistrationConfig;
use crate::inbound::InboundMessage;
use crate::outbound::{MessageWriter, contact_value, via_value};
use crate::syntax::{param, parse_name_addr};

/// First back-off after a failed REGISTER; doubles per consecutive failure.
const RETRY_BASE: Duration = Duration::from_secs(10);
/// Longest back-off.
const RETRY_MAX: Duration = Duration::from_secs(600);
/// Challenges answered in a row before giving up (only `stale=true` allows more than one).
const MAX_AUTH_ATTEMPTS: u32 = 3;

/// What a final response to a REGISTER means for the registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegisterOutcome {
    /// Registered for this many seconds; refresh is scheduled.
    Registered(u32),
    /// The `Expires: 0` REGISTER was answered: the registration is over.
    Unregistered,
    /// Send the REGISTER again right now (digest challenge, 423 Interval Too Brief).
    ResendNow,
    /// Failed with `code`; the next attempt is scheduled after the back-off.
    Failed {
        /// Status code (408 on timeout).
        code: u16,
        /// Back-off until the next attempt (zero when unregistering: given up).
        retry_in: Duration,
    },
}

/// One registration binding kept alive.
#[derive(Debug)]
pub(crate) struct Registration {
    config: RegistrationConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    challenge: Option<(u16, Challenge)>,
    auth_attempts: u32,
    failures: u32,
    /// Whether the next / in-flight REGISTER removes the binding.
    unregistering: bool,
    /// When the next REGISTER is due (refresh or retry); `None` while one is in flight.
    next_attempt: Option<Instant>,
}

impl Registration {
    /// A registration that sends its first REGISTER immediately.
    pub(crate) fn new(config: RegistrationConfig, call_id: String, from_tag: String) -> Self {
        Registration {
            config,
            call_id,
            from_tag,
            cseq: 0,
            challenge: None,
            auth_attempts: 0,
            failures: 0,
            unregistering: false,
            next_attempt: None,
        }
    }

    /// The registrar and transport.
    pub(crate) fn registrar(&self) -> (SocketAddr, crate::Transport) {
        (self.config.registrar, self.config.transport)
    }

    /// Switch to removing the binding (the next REGISTER carries `Expires: 0`).
    pub(crate) fn start_unregister(&mut self) {
        self.unregistering = true;
        self.next_attempt = None;
        self.auth_attempts = 0;
    }

    /// When the next REGISTER is due.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.next_attempt
    }

    /// Whether a REGISTER is due at `now` (clears the deadline: the caller sends one).
    pub(crate) fn take_due(&mut self, now: Instant) -> bool {
        if self.next_attempt.is_some_and(|at| at <= now) {
            self.next_attempt = None;
            true
        } else {
            false
        }
    }

    /// Build the next REGISTER (new CSeq, current credentials if challenged).
    pub(crate) fn build_request(
        &mut self,
        local_addr: SocketAddr,
        user_agent: &str,
        branch: &str,
        cnonce: &str,
    ) -> Vec<u8> {
        self.cseq = self.cseq.wrapping_add(1);
        let user = &self.config.credentials.username;
        let domain = &self.config.domain;
        let uri = format!("sip:{domain}");
        let aor = format!("<sip:{user}@{domain}>");
        let expires = if self.unregistering {
            0
        } else {
            self.config.expires
        };
        let mut w = MessageWriter::request("REGISTER", &uri);
        w.header("Via", &via_value(local_addr, self.config.transport, branch))
            .header("Max-Forwards", "70")
            .header("From", &format!("{aor};tag={}", self.from_tag))
            .header("To", &aor)
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{} REGISTER", self.cseq))
            .header(
                "Contact",
                &contact_value(Some(user), local_addr, self.config.transport),
            )
            .header("Expires", &expires.to_string());
        if let Some((code, challenge)) = &self.challenge {
            let value = digest::authorization(
                challenge,
                &self.config.credentials,
                "REGISTER",
                &uri,
                cnonce,
                1,
            );
            let name = if *code == 407 {
                "Proxy-Authorization"
            } else {
                "Authorization"
            };
            w.header(name, &value);
        }
        w.header("User-Agent", user_agent);
        w.finish_empty()
    }

    /// Digest a final response to the in-flight REGISTER.
    pub(crate) fn on_final(
        &mut self,
        now: Instant,
        response: &InboundMessage,
        local_addr: SocketAddr,
    ) -> RegisterOutcome {
        let code = response.status().unwrap_or(500);
        match code {
            200..=299 if self.unregistering => RegisterOutcome::Unregistered,
            200..=299 => {
                let expires = granted_expires(response, local_addr).unwrap_or(self.config.expires);
                self.failures = 0;
                self.auth_attempts = 0;
                self.next_attempt = Some(now + refresh_delay(expires));
                RegisterOutcome::Registered(expires)
            }
            401 | 407 => match self.accept_challenge(code, response) {
                true => RegisterOutcome::ResendNow,
                false => self.failed(now, code, None),
            },
            423 => {
                let min = response
                    .header("Min-Expires")
                    .and_then(|v| v.trim().parse::<u32>().ok());
                match min {
                    Some(min) if min > self.config.expires && !self.unregistering => {
                        self.config.expires = min;
                        RegisterOutcome::ResendNow
                    }
                    _ => self.failed(now, code, None),
                }
            }
            _ => {
                let retry_after = response
                    .header("Retry-After")
                    .and_then(|v| v.split([';', ' ']).next()?.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                self.failed(now, code, retry_after)
            }
        }
    }

    /// The REGISTER got no answer (Timer F) or the transport failed.
    pub(crate) fn on_no_response(&mut self, now: Instant, code: u16) -> RegisterOutcome {
        self.failed(now, code, None)
    }

    fn accept_challenge(&mut self, code: u16, response: &InboundMessage) -> bool {
        let header = if code == 407 {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        let Some(challenge) = response
            .header_lines(header)
            .into_iter()
            .find_map(|v| Challenge::parse(v).ok())
        else {
            return false;
        };
        let allowed = self.auth_attempts == 0
            || (challenge.stale() && self.auth_attempts < MAX_AUTH_ATTEMPTS);
        if allowed {
            self.auth_attempts += 1;
            self.challenge = Some((code, challenge));
        }
        allowed
    }

    fn failed(
        &mut self,
        now: Instant,
        code: u16,
        retry_after: Option<Duration>,
    ) -> RegisterOutcome {
        self.auth_attempts = 0;
        self.challenge = None;
        if self.unregistering {
            return RegisterOutcome::Failed {
                code,
                retry_in: Duration::ZERO,
            };
        }
        self.failures = self.failures.saturating_add(1);
        let exponent = self.failures.saturating_sub(1).min(16);
        let backoff = RETRY_BASE.saturating_mul(1 << exponent).min(RETRY_MAX);
        let retry_in = retry_after.unwrap_or(backoff).max(Duration::from_secs(1));
        self.next_attempt = Some(now + retry_in);
        RegisterOutcome::Failed { code, retry_in }
    }
}

/// When to refresh a binding granted for `expires` seconds: at 85 %, but at least 5 s
/// before expiry when that is later than half-time, and never sooner than 1 s.
pub(crate) fn refresh_delay(expires: u32) -> Duration {
    let expires = u64::from(expires);
    let at_85 = expires * 85 / 100;
    let secs = at_85.min(expires.saturating_sub(5)).max(expires / 2).max(1);
    Duration::from_secs(secs)
}

/// The lifetime granted for our Contact: its `expires` parameter, else the Expires header.
fn granted_expires(response: &InboundMessage, local_addr: SocketAddr) -> Option<u32> {
    let ours = local_addr.to_string();
    let from_contact = response
        .header_list("Contact")
        .into_iter()
        .filter_map(parse_name_addr)
        .filter(|c| c.uri.contains(&ours))
        .find_map(|c| param(c.params, "expires")?.parse().ok());
    from_contact.or_else(|| response.header("Expires")?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_comes_before_expiry() {
        assert_eq!(refresh_delay(3600), Duration::from_secs(3060));
        assert_eq!(refresh_delay(60), Duration::from_secs(51));
        assert_eq!(refresh_delay(10), Duration::from_secs(5));
        assert_eq!(refresh_delay(1), Duration::from_secs(1));
        assert_eq!(refresh_delay(0), Duration::from_secs(1));
    }
}
