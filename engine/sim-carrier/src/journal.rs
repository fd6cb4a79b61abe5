//! The call journal: one JSON line per finished call, appended to a file, for tests, demos and
//! operators to read back what each simulated callee did.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::callee::{HeardSegment, PerformedTurn};

/// Who ended a call that got past the INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    /// The simulator sent the final failure response.
    Carrier,
    /// The simulated callee hung up (BYE).
    Callee,
    /// The bot (the engine) hung up (BYE).
    Bot,
    /// The engine cancelled the INVITE.
    Cancel,
    /// The engine never acknowledged the 200 OK.
    AckTimeout,
}

/// One finished call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    /// SIP Call-ID.
    pub call_id: String,
    /// The number dialled (Request-URI user).
    pub number: String,
    /// The persona that played it; `None` when no persona matched (answered 404).
    pub persona: Option<String>,
    /// The persona's outcome (`answer`, `busy`, ...), or `unmatched`.
    pub outcome: String,
    /// The final response sent (200 when answered, 487 when cancelled).
    pub code: u16,
    /// The `Reason` header sent with it.
    pub reason: Option<String>,
    /// Early media sent: `sit` or `announcement`.
    pub early_media: Option<String>,
    /// When the INVITE arrived (Unix ms).
    pub invite_at_ms: u64,
    /// When the 200 OK was sent (Unix ms).
    pub answer_at_ms: Option<u64>,
    /// When the call ended (Unix ms).
    pub end_at_ms: u64,
    /// Who ended it.
    pub ended_by: EndedBy,
    /// The callee's turns (ms since the answer).
    pub turns: Vec<PerformedTurn>,
    /// The bot's speech the callee heard (ms since the answer).
    pub bot_speech: Vec<HeardSegment>,
    /// RTP packets sent and received.
    pub rtp_packets_sent: u64,
    /// RTP packets received.
    pub rtp_packets_received: u64,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An append-only JSON-lines file.
#[derive(Debug)]
pub struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Open (create or append to) `path`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Append one entry as a line.
    pub fn append(&self, entry: &JournalEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // A writer that panicked mid-line left the file as it was; keep appending.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line)?;
        file.flush()
    }
}
