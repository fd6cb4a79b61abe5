//! `Reason` headers on final failure responses.
//!
//! `voxgate_sip::Endpoint::reject` sends a code and phrase only; carriers put the Q.850 cause
//! in a `Reason` header, which the engine's result map reads. The SIP loop registers the header
//! for a Call-ID and code before rejecting, and every response leaving the endpoint (the first
//! one and retransmissions alike) passes through [`ReasonHeaders::apply`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a registration is kept: the INVITE server transaction's lifetime (64 × T1).
const KEEP: Duration = Duration::from_secs(32);

/// Headers to add, by Call-ID.
#[derive(Debug, Default)]
pub(crate) struct ReasonHeaders {
    by_call_id: HashMap<String, (u16, String, Instant)>,
}

impl ReasonHeaders {
    /// Add `Reason: value` to the `code` response of the call `call_id`.
    pub fn register(&mut self, now: Instant, call_id: &str, code: u16, value: &str) {
        self.by_call_id
            .retain(|_, (_, _, at)| now.saturating_duration_since(*at) < KEEP);
        self.by_call_id
            .insert(call_id.to_owned(), (code, value.to_owned(), now));
    }

    /// The message with the registered header inserted after its status line, when it is a
    /// response with a registered Call-ID and code; else the message unchanged.
    pub fn apply(&self, payload: Vec<u8>) -> Vec<u8> {
        if self.by_call_id.is_empty() {
            return payload;
        }
        let Some((at, header)) = self.header_for(&payload) else {
            return payload;
        };
        let mut out = Vec::with_capacity(payload.len() + header.len());
        out.extend_from_slice(&payload[..at]);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&payload[at..]);
        out
    }

    /// Where to insert (just after the status line) and the header line to insert.
    fn header_for(&self, payload: &[u8]) -> Option<(usize, String)> {
        let text = std::str::from_utf8(payload).ok()?;
        let head = text.split("\r\n\r\n").next()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?;
        let code: u16 = status.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()?;
        let call_id = lines.find_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            (name.eq_ignore_ascii_case("call-id") || name.eq_ignore_ascii_case("i"))
                .then(|| value.trim())
        })?;
        let (want, value, _) = self.by_call_id.get(call_id)?;
        (*want == code).then(|| (status.len() + 2, format!("Reason: {value}\r\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5060\r\nCall-ID: abc@x\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn adds_the_header_to_the_registered_response_only() {
        let mut headers = ReasonHeaders::default();
        let now = Instant::now();
        headers.register(now, "abc@x", 486, "Q.850;cause=17");
        let out = String::from_utf8(headers.apply(RESPONSE.into())).unwrap();
        assert!(out.starts_with("SIP/2.0 486 Busy Here\r\nReason: Q.850;cause=17\r\nVia:"));
        let trying = RESPONSE.replace("486 Busy Here", "100 Trying");
        assert_eq!(headers.apply(trying.clone().into()), trying.into_bytes());
        let other = RESPONSE.replace("abc@x", "other@x");
        assert_eq!(headers.apply(other.clone().into()), other.into_bytes());
        let request = "BYE sip:a@b SIP/2.0\r\nCall-ID: abc@x\r\n\r\n";
        assert_eq!(headers.apply(request.into()), request.as_bytes());
        assert_eq!(headers.apply(vec![0xff, 0xfe]), vec![0xff, 0xfe]);
    }
}
