//! INVITE client transaction (RFC 3261 §17.1.1, Accepted state from RFC 6026).

use std::time::Instant;

use super::TxStep;
use super::timers::{Backoff, TimerSettings};
use crate::outbound::MessageWriter;

/// What the transaction needs to build the ACK for a non-2xx final response (§17.1.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AckParts {
    /// Request-URI of the INVITE.
    pub request_uri: String,
    /// The INVITE's (only) Via value: same branch.
    pub via: String,
    /// From of the INVITE.
    pub from: String,
    /// Call-ID of the INVITE.
    pub call_id: String,
    /// CSeq number of the INVITE.
    pub cseq: u32,
    /// Route values of the INVITE.
    pub routes: Vec<String>,
}

impl AckParts {
    /// The ACK, with To taken from the response.
    pub(crate) fn build(&self, to: &str) -> Vec<u8> {
        let mut w = MessageWriter::request("ACK", &self.request_uri);
        w.header("Via", &self.via);
        for route in &self.routes {
            w.header("Route", route);
        }
        w.header("Max-Forwards", "70")
            .header("From", &self.from)
            .header("To", to)
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{} ACK", self.cseq));
        w.finish_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Accepted,
    Completed,
    Terminated,
}

/// Sends an INVITE until a response arrives, ACKs non-2xx finals, absorbs retransmissions.
#[derive(Debug, Clone)]
pub(crate) struct InviteClientTransaction {
    state: State,
    request: Vec<u8>,
    ack_parts: AckParts,
    ack: Option<Vec<u8>>,
    settings: TimerSettings,
    reliable: bool,
    timer_a: Option<Backoff>,
    timer_b: Option<Instant>,
    /// Timer D in Completed, Timer M in Accepted.
    linger_until: Option<Instant>,
}

impl InviteClientTransaction {
    /// A transaction for `request`, which the owner sends once right now.
    pub(crate) fn new(
        now: Instant,
        request: Vec<u8>,
        ack_parts: AckParts,
        settings: TimerSettings,
        reliable: bool,
    ) -> Self {
        InviteClientTransaction {
            state: State::Calling,
            request,
            ack_parts,
            ack: None,
            settings,
            reliable,
            timer_a: (!reliable).then(|| Backoff::start(now, settings.t1, None)),
            timer_b: Some(now + settings.timeout_64t1()),
            linger_until: None,
        }
    }

    /// The INVITE as first sent.
    pub(crate) fn request(&self) -> &[u8] {
        &self.request
    }

    /// Whether the transaction is over and can be dropped.
    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// Feed a response; `to` is its To header value (for the ACK).
    pub(crate) fn on_response(&mut self, now: Instant, code: u16, to: &str) -> TxStep {
        match (self.state, code) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.timer_a = None;
                self.timer_b = None;
                TxStep::deliver()
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.stop_retransmissions();
                self.linger_until = Some(now + self.settings.timeout_64t1());
                TxStep::deliver()
            }
            (State::Accepted, 200..=299) => TxStep::deliver(),
            (State::Calling | State::Proceeding, 300..) => {
                self.stop_retransmissions();
                let ack = self.ack_parts.build(to);
                self.ack = Some(ack.clone());
                self.linger(now, self.settings.timer_d(self.reliable));
                TxStep {
                    transmit: Some(ack),
                    deliver: true,
                    timed_out: false,
                }
            }
            (State::Completed, 300..) => match &self.ack {
                Some(ack) => TxStep::send(ack.clone()),
                None => TxStep::absorb(),
            },
            _ => TxStep::absorb(),
        }
    }

    fn stop_retransmissions(&mut self) {
        self.timer_a = None;
        self.timer_b = None;
    }

    fn linger(&mut self, now: Instant, wait: std::time::Duration) {
        if wait.is_zero() {
            self.state = State::Terminated;
            self.linger_until = None;
        } else {
            self.state = State::Completed;
            self.linger_until = Some(now + wait);
        }
    }

    /// Fire whatever timers are due at `now`.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> TxStep {
        if self.timer_b.is_some_and(|b| b <= now) {
            self.state = State::Terminated;
            self.stop_retransmissions();
            return TxStep::timed_out();
        }
        if self.linger_until.is_some_and(|t| t <= now) {
            self.state = State::Terminated;
            self.linger_until = None;
            return TxStep::absorb();
        }
        if let Some(a) = self.timer_a.as_mut().filter(|a| a.due <= now) {
            a.advance();
            return TxStep::send(self.request.clone());
        }
        TxStep::absorb()
    }

    /// End the transaction now: the transport failed, or (RFC 3261 §9.1) no final response
    /// came within 64*T1 of our CANCEL.
    pub(crate) fn terminate(&mut self) {
        self.state = State::Terminated;
        self.stop_retransmissions();
        self.linger_until = None;
    }

    /// The earliest pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.timer_a.map(|a| a.due), self.timer_b, self.linger_until]
            .into_iter()
            .flatten()
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings() -> TimerSettings {
        TimerSettings {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }

    fn parts() -> AckParts {
        AckParts {
            request_uri: "sip:b@h".into(),
            via: "SIP/2.0/UDP a:5060;branch=z9hG4bK1".into(),
            from: "<sip:a@h>;tag=1".into(),
            call_id: "c".into(),
            cseq: 4,
            routes: vec!["<sip:p;lr>".into()],
        }
    }

    /// Drive timers until the transaction ends; return (retransmissions, end time, timed out).
    fn run_to_end(tx: &mut InviteClientTransaction, t0: Instant) -> (usize, Duration, bool) {
        let mut sent = 0;
        while let Some(at) = tx.next_deadline() {
            let step = tx.on_timeout(at);
            sent += usize::from(step.transmit.is_some());
            if tx.is_terminated() {
                return (sent, at - t0, step.timed_out);
            }
        }
        (sent, Duration::ZERO, false)
    }

    #[test]
    fn timer_b_after_six_retransmissions_over_udp() {
        let t0 = Instant::now();
        let mut tx =
            InviteClientTransaction::new(t0, b"INVITE".to_vec(), parts(), settings(), false);
        assert_eq!(run_to_end(&mut tx, t0), (6, Duration::from_secs(32), true));
    }

    #[test]
    fn no_retransmissions_over_tcp() {
        let t0 = Instant::now();
        let mut tx =
            InviteClientTransaction::new(t0, b"INVITE".to_vec(), parts(), settings(), true);
        assert_eq!(run_to_end(&mut tx, t0), (0, Duration::from_secs(32), true));
    }

    #[test]
    fn non_2xx_final_is_acked_and_retransmissions_reacked() {
        let t0 = Instant::now();
        let mut tx =
            InviteClientTransaction::new(t0, b"INVITE".to_vec(), parts(), settings(), false);
        assert!(tx.on_response(t0, 180, "<sip:b@h>;tag=2").deliver);
        assert_eq!(tx.next_deadline(), None, "no timers in Proceeding");
        let step = tx.on_response(t0, 486, "<sip:b@h>;tag=2");
        assert!(step.deliver);
        let ack = String::from_utf8(step.transmit.unwrap()).unwrap();
        assert!(ack.starts_with("ACK sip:b@h SIP/2.0\r\n"));
        assert!(ack.contains("To: <sip:b@h>;tag=2\r\n"));
        assert!(ack.contains("CSeq: 4 ACK\r\n"));
        assert!(ack.contains("Route: <sip:p;lr>\r\n"));
        let again = tx.on_response(t0, 486, "<sip:b@h>;tag=2");
        assert!(!again.deliver);
        assert_eq!(again.transmit.map(|b| b.len()), Some(ack.len()));
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(32)));
        assert!(!tx.on_timeout(t0 + Duration::from_secs(32)).timed_out);
        assert!(tx.is_terminated());
    }

    #[test]
    fn retransmitted_2xx_goes_to_the_tu_until_timer_m() {
        let t0 = Instant::now();
        let mut tx =
            InviteClientTransaction::new(t0, b"INVITE".to_vec(), parts(), settings(), true);
        assert!(tx.on_response(t0, 200, "x").deliver);
        assert!(tx.on_response(t0, 200, "x").deliver);
        assert!(!tx.on_response(t0, 180, "x").deliver);
        tx.on_timeout(t0 + Duration::from_secs(32));
        assert!(tx.is_terminated());
    }
}
