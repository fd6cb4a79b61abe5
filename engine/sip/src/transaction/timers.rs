//! Timer values (RFC 3261 §17 table 4) and the doubling retransmission schedule.

use std::time::{Duration, Instant};

/// The base timer values of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerSettings {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    pub t2: Duration,
    /// Maximum time a message stays in the network (default 5 s).
    pub t4: Duration,
}

impl TimerSettings {
    /// 64*T1: Timers B, F, H, J, L, M.
    pub(crate) fn timeout_64t1(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D: at least 32 s over UDP, zero over a reliable transport.
    pub(crate) fn timer_d(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.timeout_64t1().max(Duration::from_secs(32))
        }
    }

    /// Timers I and K: T4 over UDP, zero over a reliable transport.
    pub(crate) fn timer_t4(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t4 }
    }

    /// Timer J: 64*T1 over UDP, zero over a reliable transport.
    pub(crate) fn timer_j(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.timeout_64t1()
        }
    }
}

/// A retransmission timer that starts at T1 and doubles, optionally capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// When the next retransmission is due.
    pub due: Instant,
    interval: Duration,
    cap: Option<Duration>,
}

impl Backoff {
    /// First firing at `now + t1`; `cap` limits the interval (T2), `None` doubles forever.
    pub(crate) fn start(now: Instant, t1: Duration, cap: Option<Duration>) -> Self {
        Backoff {
            due: now + t1,
            interval: t1,
            cap,
        }
    }

    /// Schedule the next firing after the one at `self.due`.
    pub(crate) fn advance(&mut self) {
        let doubled = self.interval.saturating_mul(2);
        self.interval = match self.cap {
            Some(cap) => doubled.min(cap),
            None => doubled,
        };
        self.due += self.interval;
    }

    /// Fix the interval at `interval` from now on (Timer E in Proceeding: always T2).
    pub(crate) fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
        self.cap = Some(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut b = Backoff::start(t0, ms(500), Some(ms(4000)));
        let mut fired = vec![];
        for _ in 0..6 {
            fired.push(b.due - t0);
            b.advance();
        }
        assert_eq!(fired, [500, 1500, 3500, 7500, 11500, 15500].map(ms));
    }

    #[test]
    fn reliable_transports_have_zero_wait_timers() {
        let s = TimerSettings {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        };
        assert_eq!(s.timer_d(true), Duration::ZERO);
        assert_eq!(s.timer_d(false), Duration::from_secs(32));
        assert_eq!(s.timer_j(false), Duration::from_secs(32));
        assert_eq!(s.timer_t4(false), Duration::from_secs(5));
    }
}
