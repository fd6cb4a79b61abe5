//! A tiny state machine for dialogues: named states, transitions, and a retry counter that
//! resets whenever the state changes.
//!
//! ```
//! use voxgate_plugin_sdk::machine::{Retry, StateMachine};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! enum Step { Greeting, AskNeed, Goodbye }
//!
//! let mut machine = StateMachine::new(Step::Greeting);
//! machine.go(Step::AskNeed);
//! assert_eq!(machine.retry(2), Retry::Again(1)); // silence: ask again
//! assert_eq!(machine.retry(2), Retry::Again(2));
//! assert_eq!(machine.retry(2), Retry::Exhausted); // third time: give up
//! machine.go(Step::Goodbye);
//! assert_eq!(machine.retries(), 0);
//! assert_eq!(machine.previous(), Some(Step::AskNeed));
//! assert_eq!(machine.transitions(), 2);
//! ```

/// Whether another attempt is allowed in the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again; carries the attempt number (1 for the first retry).
    Again(u32),
    /// The retries allowed in this state are used up.
    Exhausted,
}

/// The current state, the previous one, and how often the current one was retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine<S> {
    current: S,
    previous: Option<S>,
    retries: u32,
    transitions: u32,
}

impl<S: Clone + PartialEq> StateMachine<S> {
    /// A machine in its initial state.
    pub fn new(initial: S) -> Self {
        Self {
            current: initial,
            previous: None,
            retries: 0,
            transitions: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> &S {
        &self.current
    }

    /// True when the machine is in `state`.
    pub fn is(&self, state: &S) -> bool {
        self.current == *state
    }

    /// The state before the last transition.
    pub fn previous(&self) -> Option<S> {
        self.previous.clone()
    }

    /// Moves to `next`. Moving to another state resets the retry counter; moving to the same
    /// state keeps it (use [`retry`](Self::retry) to count attempts).
    pub fn go(&mut self, next: S) -> &mut Self {
        if next != self.current {
            self.retries = 0;
            self.previous = Some(std::mem::replace(&mut self.current, next));
            self.transitions += 1;
        }
        self
    }

    /// Counts one more attempt in the current state: `Again(n)` while `n <= max`, then
    /// `Exhausted` (the counter stops growing).
    pub fn retry(&mut self, max: u32) -> Retry {
        if self.retries >= max {
            return Retry::Exhausted;
        }
        self.retries += 1;
        Retry::Again(self.retries)
    }

    /// Retries used in the current state.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Clears the retry counter (for example after a good answer in the same state).
    pub fn reset_retries(&mut self) {
        self.retries = 0;
    }

    /// Number of state changes so far.
    pub fn transitions(&self) -> u32 {
        self.transitions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staying_in_a_state_keeps_the_retry_count() {
        let mut machine = StateMachine::new("ask");
        assert_eq!(machine.retry(1), Retry::Again(1));
        machine.go("ask");
        assert_eq!(machine.retries(), 1);
        assert_eq!(machine.transitions(), 0);
        assert_eq!(machine.retry(1), Retry::Exhausted);
        assert_eq!(machine.retry(1), Retry::Exhausted);
        machine.reset_retries();
        assert_eq!(machine.retry(1), Retry::Again(1));
    }

    #[test]
    fn zero_retries_are_exhausted_at_once() {
        let mut machine = StateMachine::new(0u8);
        assert_eq!(machine.retry(0), Retry::Exhausted);
        assert!(machine.go(1).is(&1));
        assert_eq!(machine.previous(), Some(0));
    }
}
