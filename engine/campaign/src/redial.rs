//! Redial rules: after which results a number is tried again, after how long, how many times.

use std::collections::BTreeMap;

use crate::UnixMs;
use crate::result::CallResult;

/// What to do after one result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedialRule {
    /// Wait this long after the attempt ended before the next one.
    pub delay_ms: i64,
    /// Attempts in all for this number (the first included) while this result keeps coming.
    pub max_attempts: u32,
}

/// Redial rules per result; a result without a rule ends the number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedialPolicy {
    /// The rules.
    pub rules: BTreeMap<CallResult, RedialRule>,
}

impl RedialPolicy {
    /// When to try a number again after an attempt that ended at `ended_at` with `result`;
    /// `attempts_made` counts the attempts so far, the one that just ended included. `None`
    /// means the number is done: no rule for the result, or `max_attempts` reached.
    ///
    /// Answered numbers are redialled only if a rule for `answered` says so; blacklisted numbers
    /// never are, whatever the rules. A negative delay counts as no delay.
    pub fn next_attempt(
        &self,
        result: CallResult,
        attempts_made: u32,
        ended_at: UnixMs,
    ) -> Option<UnixMs> {
        if result == CallResult::Blacklisted {
            return None;
        }
        let rule = self.rules.get(&result)?;
        (attempts_made < rule.max_attempts).then(|| ended_at.saturating_add(rule.delay_ms.max(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RedialPolicy {
        let mut rules = BTreeMap::new();
        rules.insert(
            CallResult::Busy,
            RedialRule {
                delay_ms: 600_000,
                max_attempts: 3,
            },
        );
        rules.insert(
            CallResult::NoAnswer,
            RedialRule {
                delay_ms: -5,
                max_attempts: 2,
            },
        );
        rules.insert(
            CallResult::Blacklisted,
            RedialRule {
                delay_ms: 1,
                max_attempts: 9,
            },
        );
        RedialPolicy { rules }
    }

    #[test]
    fn redials_until_max_attempts() {
        let p = policy();
        assert_eq!(p.next_attempt(CallResult::Busy, 1, 1_000), Some(601_000));
        assert_eq!(p.next_attempt(CallResult::Busy, 2, 2_000), Some(602_000));
        assert_eq!(p.next_attempt(CallResult::Busy, 3, 3_000), None);
        assert_eq!(p.next_attempt(CallResult::Busy, 7, 3_000), None);
    }

    #[test]
    fn negative_delay_is_immediate_and_time_saturates() {
        let p = policy();
        assert_eq!(p.next_attempt(CallResult::NoAnswer, 1, 50), Some(50));
        assert_eq!(
            p.next_attempt(CallResult::Busy, 1, i64::MAX - 1),
            Some(i64::MAX)
        );
    }

    #[test]
    fn no_rule_answered_and_blacklisted_end_the_number() {
        let p = policy();
        assert_eq!(p.next_attempt(CallResult::Answered, 1, 0), None);
        assert_eq!(p.next_attempt(CallResult::EmptyNumber, 1, 0), None);
        assert_eq!(p.next_attempt(CallResult::Blacklisted, 1, 0), None);
        let mut answered = RedialPolicy::default();
        answered.rules.insert(
            CallResult::Answered,
            RedialRule {
                delay_ms: 86_400_000,
                max_attempts: 2,
            },
        );
        assert_eq!(
            answered.next_attempt(CallResult::Answered, 1, 0),
            Some(86_400_000)
        );
    }
}
