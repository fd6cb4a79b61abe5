//! Sans-IO call control for voxgate.
//!
//! One [`Call`] per call joins the signalling outcome (from `voxgate-sip` events, translated by the
//! server into [`Signal`]s) with media events (DTMF, playback finished) and runs the call's
//! [`Script`]: answer, play a prompt, collect digits, say goodbye, hang up. It never touches a
//! socket or a clock.
//!
//! Drive contract: after any input (`handle_signal`, `handle_media`, `handle_timeout`,
//! `shutdown`), drain [`Call::poll_action`] until it returns `None`, then sleep until
//! [`Call::poll_timeout`]. When [`Call::is_finished`] is true the [`CallRecord`] is final.

mod call;
mod digits;
mod outcome;
mod record;

pub use call::{Action, Call, CallSetup, MediaInput, Script, Signal};
pub use digits::{DigitCollection, DigitCollector, DigitsDone};
pub use outcome::{HangupBy, Outcome};
pub use record::{
    CallRecord, Direction, DtmfEntry, DtmfSource, MediaSummary, PromptPlayed, WallClock,
};
