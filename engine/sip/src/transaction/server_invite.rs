//! INVITE server transaction (RFC 3261 §17.2.1, Accepted state from RFC 6026).
//!
//! 2xx retransmission is the transaction user's job (the UAS core retransmits its 2xx until
//! the ACK arrives); this transaction only absorbs INVITE retransmissions meanwhile.

use std::time::{Duration, Instant};

use super::TxStep;
use super::timers::{Backoff, TimerSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Proceeding,
    Accepted,
    Completed,
    Confirmed,
    Terminated,
}

/// Answers one INVITE: provisional responses, then a 2xx or a retransmitted non-2xx final.
#[derive(Debug, Clone)]
pub(crate) struct InviteServerTransaction {
    state: State,
    last_response: Option<Vec<u8>>,
    settings: TimerSettings,
    reliable: bool,
    timer_g: Option<Backoff>,
    timer_h: Option<Instant>,
    /// Timer I in Confirmed, Timer L in Accepted.
    linger_until: Option<Instant>,
}

impl InviteServerTransaction {
    /// A transaction for a just received INVITE (state Proceeding).
    pub(crate) fn new(settings: TimerSettings, reliable: bool) -> Self {
        InviteServerTransaction {
            state: State::Proceeding,
            last_response: None,
            settings,
            reliable,
            timer_g: None,
            timer_h: None,
            linger_until: None,
        }
    }

    /// Whether no final response was sent yet.
    pub(crate) fn is_proceeding(&self) -> bool {
        self.state == State::Proceeding
    }

    /// Whether the transaction is over and can be dropped.
    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// Send a response from the TU: returns the bytes to transmit, `None` if too late.
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        code: u16,
        bytes: Vec<u8>,
    ) -> Option<Vec<u8>> {
        if self.state != State::Proceeding {
            return None;
        }
        match code {
            100..=199 => {}
            200..=299 => {
                self.state = State::Accepted;
                self.linger_until = Some(now + self.settings.timeout_64t1());
            }
            _ => {
                self.state = State::Completed;
                if !self.reliable {
                    self.timer_g = Some(Backoff::start(
                        now,
                        self.settings.t1,
                        Some(self.settings.t2),
                    ));
                }
                self.timer_h = Some(now + self.settings.timeout_64t1());
            }
        }
        self.last_response = Some(bytes.clone());
        Some(bytes)
    }

    /// The INVITE arrived again: resend the last provisional or non-2xx final response.
    pub(crate) fn on_retransmission(&self) -> TxStep {
        match (self.state, &self.last_response) {
            (State::Proceeding | State::Completed, Some(last)) => TxStep::send(last.clone()),
            _ => TxStep::absorb(),
        }
    }

    /// An ACK matching this transaction (non-2xx final) arrived; true when it was absorbed.
    pub(crate) fn on_ack(&mut self, now: Instant) -> bool {
        match self.state {
            State::Completed => {
                self.timer_g = None;
                self.timer_h = None;
                self.linger(now, self.settings.timer_t4(self.reliable));
                true
            }
            State::Confirmed => true,
            _ => false,
        }
    }

    fn linger(&mut self, now: Instant, wait: Duration) {
        if wait.is_zero() {
            self.state = State::Terminated;
            self.linger_until = None;
        } else {
            self.state = State::Confirmed;
            self.linger_until = Some(now + wait);
        }
    }

    /// Fire whatever timers are due at `now`.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> TxStep {
        if self.timer_h.is_some_and(|h| h <= now) {
            self.state = State::Terminated;
            self.timer_g = None;
            self.timer_h = None;
            return TxStep::timed_out();
        }
        if self.linger_until.is_some_and(|t| t <= now) {
            self.state = State::Terminated;
            self.linger_until = None;
            return TxStep::absorb();
        }
        if let Some(g) = self.timer_g.as_mut().filter(|g| g.due <= now) {
            g.advance();
            if let Some(last) = &self.last_response {
                return TxStep::send(last.clone());
            }
        }
        TxStep::absorb()
    }

    /// The earliest pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.timer_g.map(|g| g.due), self.timer_h, self.linger_until]
            .into_iter()
            .flatten()
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TimerSettings {
        TimerSettings {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }

    #[test]
    fn rejection_retransmitted_until_timer_h() {
        let t0 = Instant::now();
        let mut tx = InviteServerTransaction::new(settings(), false);
        assert!(tx.send_response(t0, 180, b"180".to_vec()).is_some());
        assert_eq!(
            tx.on_retransmission().transmit.as_deref(),
            Some(&b"180"[..])
        );
        assert!(tx.send_response(t0, 486, b"486".to_vec()).is_some());
        assert!(tx.send_response(t0, 200, b"200".to_vec()).is_none());
        let mut resent = 0;
        loop {
            let at = tx.next_deadline().unwrap();
            let step = tx.on_timeout(at);
            if step.timed_out {
                assert_eq!(at - t0, Duration::from_secs(32));
                break;
            }
            resent += usize::from(step.transmit.is_some());
        }
        // G at 0.5, 1.5, 3.5, 7.5, then every 4 s up to 31.5.
        assert_eq!(resent, 10);
        assert!(tx.is_terminated());
    }

    #[test]
    fn ack_confirms_then_timer_i() {
        let t0 = Instant::now();
        let mut tx = InviteServerTransaction::new(settings(), false);
        tx.send_response(t0, 603, b"603".to_vec());
        assert!(tx.on_ack(t0));
        assert_eq!(tx.on_retransmission(), TxStep::absorb());
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(5)));
        tx.on_timeout(t0 + Duration::from_secs(5));
        assert!(tx.is_terminated());
    }

    #[test]
    fn accepted_absorbs_invite_and_lingers_64t1() {
        let t0 = Instant::now();
        let mut tx = InviteServerTransaction::new(settings(), true);
        tx.send_response(t0, 200, b"200".to_vec());
        assert_eq!(tx.on_retransmission(), TxStep::absorb());
        assert!(!tx.on_ack(t0), "ACK for 2xx belongs to the dialog");
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(32)));
    }
}
