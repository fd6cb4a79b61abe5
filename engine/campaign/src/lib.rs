//! Campaign policy for outbound call campaigns, free of I/O and clocks.
//!
//! Time is an argument everywhere: wall-clock Unix milliseconds ([`UnixMs`]), because call
//! windows, holidays and redial delays are wall-clock rules. The server feeds the real clock;
//! simulation tests feed virtual time and run days of a campaign in a second.
//!
//! - [`spec`]: the campaign file (TOML), its validation with file:line:column errors, and its
//!   JSON Schema for editors.
//! - [`calendar`]: call windows per weekday in a time zone, holidays, make-up days, forbidden
//!   date ranges.
//! - [`result`]: the result of an attempt, and how SIP finals (with Q.850 causes) and carrier
//!   announcements map to it.
//! - [`redial`], [`admission`], [`caller_id`], [`blacklist`]: the policies.
//! - [`dialer`]: the state machine that decides which number to dial next, on which trunk and
//!   with which caller ID, and what happens after each attempt.
#![warn(missing_docs)]

pub mod admission;
pub mod blacklist;
pub mod calendar;
pub mod caller_id;
pub mod dialer;
pub mod redial;
pub mod result;
pub mod result_map;
pub mod spec;

/// Wall-clock time: milliseconds since the Unix epoch (UTC).
pub type UnixMs = i64;
