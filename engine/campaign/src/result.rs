//! The result of a call attempt. Every attempt ends in exactly one of these.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How one call attempt ended, as a campaign manager reads it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// The callee answered.
    Answered,
    /// The line was busy (用户忙).
    Busy,
    /// It rang without an answer until the ring time-out (无人接听).
    NoAnswer,
    /// The callee declined (拒接).
    Rejected,
    /// The number does not exist (空号).
    EmptyNumber,
    /// The phone is switched off (关机).
    PoweredOff,
    /// The number is suspended by the carrier (停机).
    Suspended,
    /// The network could not reach the callee (无法接通), or no answer at all from the peer.
    Unreachable,
    /// The callee's line refuses incoming calls (呼入限制).
    CallInRestricted,
    /// The callee's account is in arrears (欠费).
    Arrears,
    /// The carrier intercepted the call (e.g. marked as nuisance, 运营商拦截).
    CarrierIntercepted,
    /// Our trunk or the carrier failed (线路故障).
    LineFault,
    /// The number is on a blacklist: nothing was sent.
    Blacklisted,
    /// The callee screens unknown callers (用户屏蔽).
    UserScreened,
    /// We cancelled the attempt (campaign stopped, engine shut down).
    Cancelled,
    /// The engine failed before or during the attempt (or crashed during it).
    EngineError,
}

impl CallResult {
    /// Every result, in declaration order.
    pub const ALL: [CallResult; 16] = [
        Self::Answered,
        Self::Busy,
        Self::NoAnswer,
        Self::Rejected,
        Self::EmptyNumber,
        Self::PoweredOff,
        Self::Suspended,
        Self::Unreachable,
        Self::CallInRestricted,
        Self::Arrears,
        Self::CarrierIntercepted,
        Self::LineFault,
        Self::Blacklisted,
        Self::UserScreened,
        Self::Cancelled,
        Self::EngineError,
    ];

    /// The snake_case name used in files, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::Rejected => "rejected",
            Self::EmptyNumber => "empty_number",
            Self::PoweredOff => "powered_off",
            Self::Suspended => "suspended",
            Self::Unreachable => "unreachable",
            Self::CallInRestricted => "call_in_restricted",
            Self::Arrears => "arrears",
            Self::CarrierIntercepted => "carrier_intercepted",
            Self::LineFault => "line_fault",
            Self::Blacklisted => "blacklisted",
            Self::UserScreened => "user_screened",
            Self::Cancelled => "cancelled",
            Self::EngineError => "engine_error",
        }
    }

    /// True if the callee picked up.
    pub fn is_connected(self) -> bool {
        self == Self::Answered
    }
}

impl fmt::Display for CallResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`CallResult`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown call result `{0}` (expected one of: answered, busy, no_answer, rejected, empty_number, powered_off, suspended, unreachable, call_in_restricted, arrears, carrier_intercepted, line_fault, blacklisted, user_screened, cancelled, engine_error)"
)]
pub struct UnknownResult(pub String);

impl FromStr for CallResult {
    type Err = UnknownResult;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownResult(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for r in CallResult::ALL {
            assert_eq!(r.as_str().parse::<CallResult>(), Ok(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert!("nope".parse::<CallResult>().is_err());
    }
}
