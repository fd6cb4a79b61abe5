//! Non-INVITE server transaction (RFC 3261 §17.2.2).

use std::time::Instant;

use super::TxStep;
use super::timers::TimerSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// Answers one non-INVITE request and replays the answer to retransmissions (Timer J).
#[derive(Debug, Clone)]
pub(crate) struct NonInviteServerTransaction {
    state: State,
    last_response: Option<Vec<u8>>,
    settings: TimerSettings,
    reliable: bool,
    timer_j: Option<Instant>,
}

impl NonInviteServerTransaction {
    /// A transaction for a just received request (state Trying).
    pub(crate) fn new(settings: TimerSettings, reliable: bool) -> Self {
        NonInviteServerTransaction {
            state: State::Trying,
            last_response: None,
            settings,
            reliable,
            timer_j: None,
        }
    }

    /// Whether a final response was already sent.
    pub(crate) fn is_answered(&self) -> bool {
        matches!(self.state, State::Completed | State::Terminated)
    }

    /// Whether the transaction is over and can be dropped.
    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// Send a response from the TU: returns the bytes to transmit, `None` if already final.
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        code: u16,
        bytes: Vec<u8>,
    ) -> Option<Vec<u8>> {
        if self.is_answered() {
            return None;
        }
        if code < 200 {
            self.state = State::Proceeding;
        } else {
            let wait = self.settings.timer_j(self.reliable);
            if wait.is_zero() {
                self.state = State::Terminated;
            } else {
                self.state = State::Completed;
                self.timer_j = Some(now + wait);
            }
        }
        self.last_response = Some(bytes.clone());
        Some(bytes)
    }

    /// The request arrived again: resend the last response, if any.
    pub(crate) fn on_retransmission(&self) -> TxStep {
        match &self.last_response {
            Some(last) => TxStep::send(last.clone()),
            None => TxStep::absorb(),
        }
    }

    /// Fire Timer J when due.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> TxStep {
        if self.timer_j.is_some_and(|j| j <= now) {
            self.state = State::Terminated;
            self.timer_j = None;
        }
        TxStep::absorb()
    }

    /// The earliest pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timer_j
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
    fn replays_final_until_timer_j() {
        let t0 = Instant::now();
        let mut tx = NonInviteServerTransaction::new(settings(), false);
        assert_eq!(tx.on_retransmission(), TxStep::absorb());
        assert!(tx.send_response(t0, 200, b"200".to_vec()).is_some());
        assert!(tx.send_response(t0, 500, b"500".to_vec()).is_none());
        assert_eq!(
            tx.on_retransmission().transmit.as_deref(),
            Some(&b"200"[..])
        );
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(32)));
        tx.on_timeout(t0 + Duration::from_secs(32));
        assert!(tx.is_terminated());
    }

    #[test]
    fn tcp_terminates_on_final() {
        let mut tx = NonInviteServerTransaction::new(settings(), true);
        tx.send_response(Instant::now(), 200, b"200".to_vec());
        assert!(tx.is_terminated());
    }
}
