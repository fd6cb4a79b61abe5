//! Sans-IO call control for voxgate.
//!
//! One [`Call`] per call joins the signalling outcome (from `voxgate-sip` events, translated by the
//! server into [`Signal`]s) with media events (speech, DTMF, playback finished) and runs the
//! call's dialogue: either a route's built-in [`Script`] (prompt, digits, goodbye) or a dialogue
//! plugin, which the server drives: the call emits [`Action::Dialogue`] events and carries out the
//! [`BotAction`]s that come back. It keeps the record: prompts, digits, rounds, tags, score,
//! level. It never touches a socket or a clock.
//!
//! Drive contract: after any input (`handle_signal`, `handle_media`, `handle_timeout`,
//! `shutdown`), drain [`Call::poll_action`] until it returns `None`, then sleep until
//! [`Call::poll_timeout`]. When [`Call::is_finished`] is true the [`CallRecord`] is final.

mod call;
mod dialogue;
mod digits;
mod outcome;
mod record;
mod script;

pub use call::{Action, Call, CallSetup, Dialogue, MediaInput, Signal};
pub use dialogue::{BotAction, BotEvent, PromptPart, RoundNote, Transcript, TransferTarget};
pub use digits::{DigitCollection, DigitCollector, DigitsDone};
pub use outcome::{HangupBy, Outcome};
pub use record::{
    CallRecord, DialogueFault, Direction, DtmfEntry, DtmfSource, EarlyMedia, MediaSummary,
    PromptPlayed, Round, RoundInput, TransferAttempt, WallClock,
};
pub use script::Script;
