//! Non-INVITE client transaction (RFC 3261 §17.1.2): BYE, CANCEL, REGISTER, OPTIONS, INFO.

use std::time::Instant;

use super::TxStep;
use super::timers::{Backoff, TimerSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// Retransmits a request (Timer E) until a final response or Timer F.
#[derive(Debug, Clone)]
pub(crate) struct NonInviteClientTransaction {
    state: State,
    request: Vec<u8>,
    settings: TimerSettings,
    reliable: bool,
    timer_e: Option<Backoff>,
    timer_f: Option<Instant>,
    timer_k: Option<Instant>,
}

impl NonInviteClientTransaction {
    /// A transaction for `request`, which the owner sends once right now.
    pub(crate) fn new(
        now: Instant,
        request: Vec<u8>,
        settings: TimerSettings,
        reliable: bool,
    ) -> Self {
        NonInviteClientTransaction {
            state: State::Trying,
            request,
            settings,
            reliable,
            timer_e: (!reliable).then(|| Backoff::start(now, settings.t1, Some(settings.t2))),
            timer_f: Some(now + settings.timeout_64t1()),
            timer_k: None,
        }
    }

    /// The request as first sent.
    pub(crate) fn request(&self) -> &[u8] {
        &self.request
    }

    /// Whether the transaction is over and can be dropped.
    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// Feed a response.
    pub(crate) fn on_response(&mut self, now: Instant, code: u16) -> TxStep {
        match (self.state, code) {
            (State::Trying | State::Proceeding, 100..=199) => {
                if self.state == State::Trying {
                    self.state = State::Proceeding;
                    if let Some(e) = self.timer_e.as_mut() {
                        e.set_interval(self.settings.t2);
                    }
                }
                TxStep::deliver()
            }
            (State::Trying | State::Proceeding, 200..) => {
                self.timer_e = None;
                self.timer_f = None;
                let wait = self.settings.timer_t4(self.reliable);
                if wait.is_zero() {
                    self.state = State::Terminated;
                } else {
                    self.state = State::Completed;
                    self.timer_k = Some(now + wait);
                }
                TxStep::deliver()
            }
            _ => TxStep::absorb(),
        }
    }

    /// Fire whatever timers are due at `now`.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> TxStep {
        if self.timer_f.is_some_and(|f| f <= now) {
            self.state = State::Terminated;
            self.timer_e = None;
            self.timer_f = None;
            return TxStep::timed_out();
        }
        if self.timer_k.is_some_and(|k| k <= now) {
            self.state = State::Terminated;
            self.timer_k = None;
            return TxStep::absorb();
        }
        if let Some(e) = self.timer_e.as_mut().filter(|e| e.due <= now) {
            e.advance();
            return TxStep::send(self.request.clone());
        }
        TxStep::absorb()
    }

    /// End the transaction now (the transport failed).
    pub(crate) fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timer_e = None;
        self.timer_f = None;
        self.timer_k = None;
    }

    /// The earliest pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.timer_e.map(|e| e.due), self.timer_f, self.timer_k]
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

    #[test]
    fn timer_f_with_e_capped_at_t2() {
        let t0 = Instant::now();
        let mut tx = NonInviteClientTransaction::new(t0, b"BYE".to_vec(), settings(), false);
        let mut sends = vec![];
        while let Some(at) = tx.next_deadline() {
            let step = tx.on_timeout(at);
            if step.transmit.is_some() {
                sends.push((at - t0).as_millis());
            }
            if step.timed_out {
                assert_eq!(at - t0, Duration::from_secs(32));
                break;
            }
        }
        assert_eq!(
            sends,
            [
                500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
            ]
        );
        assert!(tx.is_terminated());
    }

    #[test]
    fn final_response_then_timer_k() {
        let t0 = Instant::now();
        let mut tx = NonInviteClientTransaction::new(t0, b"BYE".to_vec(), settings(), false);
        assert!(tx.on_response(t0, 100).deliver);
        assert!(tx.on_response(t0, 200).deliver);
        assert!(!tx.on_response(t0, 200).deliver, "retransmission absorbed");
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(5)));
        tx.on_timeout(t0 + Duration::from_secs(5));
        assert!(tx.is_terminated());
    }

    #[test]
    fn tcp_final_terminates_at_once() {
        let t0 = Instant::now();
        let mut tx = NonInviteClientTransaction::new(t0, b"BYE".to_vec(), settings(), true);
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(32)));
        tx.on_response(t0, 481);
        assert!(tx.is_terminated());
    }
}
