//! Digit collection: a maximum count, an optional terminator and an inter-digit time-out.

use std::time::{Duration, Instant};

/// What to collect: set per inbound route or per outbound test call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitCollection {
    /// Stop after this many digits (the terminator does not count).
    pub max_digits: usize,
    /// A digit that ends collection early (usually `#`); it is not kept.
    pub terminator: Option<char>,
    /// Time allowed for the first digit and between digits.
    pub timeout: Duration,
}

/// Why collection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigitsDone {
    /// `max_digits` were entered.
    MaxDigits,
    /// The terminator was pressed.
    Terminator,
    /// The time-out passed with no further digit.
    Timeout,
}

/// Collects digits for one [`DigitCollection`], in virtual time.
#[derive(Clone, Debug)]
pub struct DigitCollector {
    spec: DigitCollection,
    digits: String,
    deadline: Instant,
    done: Option<DigitsDone>,
}

impl DigitCollector {
    /// Start collecting at `now`; the first digit is due within the time-out.
    pub fn new(now: Instant, spec: DigitCollection) -> Self {
        let deadline = now + spec.timeout;
        Self {
            spec,
            digits: String::new(),
            deadline,
            done: None,
        }
    }

    /// Feed one digit; returns the reason if this digit ended collection.
    pub fn push(&mut self, now: Instant, digit: char) -> Option<DigitsDone> {
        if self.done.is_some() {
            return None;
        }
        if Some(digit) == self.spec.terminator {
            self.done = Some(DigitsDone::Terminator);
        } else {
            self.digits.push(digit);
            self.deadline = now + self.spec.timeout;
            if self.digits.chars().count() >= self.spec.max_digits {
                self.done = Some(DigitsDone::MaxDigits);
            }
        }
        self.done
    }

    /// Check the time-out; returns `Timeout` once when it has passed.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<DigitsDone> {
        if self.done.is_none() && now >= self.deadline {
            self.done = Some(DigitsDone::Timeout);
            return self.done;
        }
        None
    }

    /// When the time-out fires, if collection is still running.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.done.is_none().then_some(self.deadline)
    }

    /// The digits collected so far, terminator excluded.
    pub fn digits(&self) -> &str {
        &self.digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DigitCollection {
        DigitCollection {
            max_digits: 3,
            terminator: Some('#'),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn terminator_ends_and_is_not_kept() {
        let t0 = Instant::now();
        let mut c = DigitCollector::new(t0, spec());
        assert_eq!(c.push(t0, '1'), None);
        assert_eq!(c.push(t0, '2'), None);
        assert_eq!(c.push(t0, '#'), Some(DigitsDone::Terminator));
        assert_eq!(c.digits(), "12");
        assert_eq!(c.poll_timeout(), None);
    }

    #[test]
    fn max_digits_ends() {
        let t0 = Instant::now();
        let mut c = DigitCollector::new(t0, spec());
        c.push(t0, '1');
        c.push(t0, '2');
        assert_eq!(c.push(t0, '3'), Some(DigitsDone::MaxDigits));
        assert_eq!(c.push(t0, '4'), None);
        assert_eq!(c.digits(), "123");
    }

    #[test]
    fn timeout_restarts_on_each_digit() {
        let t0 = Instant::now();
        let mut c = DigitCollector::new(t0, spec());
        let t4 = t0 + Duration::from_secs(4);
        assert_eq!(c.handle_timeout(t4), None);
        c.push(t4, '7');
        assert_eq!(c.handle_timeout(t0 + Duration::from_secs(8)), None);
        assert_eq!(c.poll_timeout(), Some(t4 + Duration::from_secs(5)));
        assert_eq!(
            c.handle_timeout(t4 + Duration::from_secs(5)),
            Some(DigitsDone::Timeout)
        );
        assert_eq!(c.handle_timeout(t4 + Duration::from_secs(6)), None);
        assert_eq!(c.digits(), "7");
    }
}
