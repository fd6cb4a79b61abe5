//! Errors returned by endpoint commands.

use crate::endpoint::CallHandle;

/// Why a command given to the [`Endpoint`](crate::Endpoint) could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SipError {
    /// No call with this handle exists (it ended, or never existed).
    #[error("unknown call {0}")]
    UnknownCall(CallHandle),
    /// The call is not in a state where this command applies.
    #[error("call {call} cannot {action} in its current state")]
    InvalidState {
        /// The call the command was for.
        call: CallHandle,
        /// What was attempted.
        action: &'static str,
    },
    /// The status code is not valid for this command (e.g. `accept`-only 2xx, `reject` needs 3xx-6xx).
    #[error("status code {0} is not valid here")]
    InvalidStatus(u16),
}
