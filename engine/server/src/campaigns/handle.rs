//! The campaign service's public face: commands from the HTTP API (and through it the CLI),
//! answered by the service task.

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// Why a campaign command failed; each maps to one HTTP status.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// No such campaign (404).
    #[error("no campaign `{0}`")]
    NotFound(String),
    /// The input is invalid: a campaign file with errors, a bad number list (422).
    #[error("{0}")]
    Invalid(String),
    /// The command does not fit the campaign's state, e.g. resuming a stopped campaign (409).
    #[error("{0}")]
    Conflict(String),
    /// Something failed inside the engine (500).
    #[error("{0}")]
    Internal(String),
}

/// A campaign as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CampaignInfo {
    /// The campaign id (its `name`).
    pub id: String,
    /// loaded, running, paused, stopped or finished.
    pub status: String,
    /// Why it is paused or stopped, when the engine did it (a stop condition).
    pub reason: Option<String>,
    /// The trunk it dials through.
    pub trunk: String,
}

/// A campaign file's text sent through the API (relative paths inside resolve against the
/// engine config's folder).
#[derive(Debug, Clone)]
pub enum CampaignSource {
    /// The file's text.
    Text(String),
}

/// How to read an uploaded number list.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct ImportOptions {
    /// The phone column's header (default: the first phone-like header).
    pub phone_column: Option<String>,
    /// The XLSX sheet (default: the first).
    pub sheet: Option<String>,
    /// Shuffle the accepted rows.
    #[serde(default)]
    pub shuffle: bool,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ImportReport {
    /// Rows read (excluding the header and empty rows).
    pub rows: usize,
    /// New numbers added to the campaign.
    pub accepted: usize,
    /// Rows whose number appeared earlier in the same file.
    pub duplicates_in_file: usize,
    /// Rows whose number the campaign already had (re-imports add nothing).
    pub duplicates_in_campaign: usize,
    /// Rows rejected, with the row number (as in a spreadsheet: header = row 1) and the reason.
    pub rejected: Vec<RejectedRow>,
}

/// One rejected row of an import.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RejectedRow {
    /// Row number (header = 1).
    pub row: usize,
    /// The cell as found.
    pub raw: String,
    /// What is wrong.
    pub reason: String,
}

/// A campaign state change asked through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Start dialling (from loaded).
    Start,
    /// Stop dialling for now; calls in progress continue.
    Pause,
    /// Dial again after a pause.
    Resume,
    /// Stop for good; calls in progress continue.
    Stop,
}

pub(super) type Reply<T> = oneshot::Sender<Result<T, ServiceError>>;

pub(super) enum Command {
    Load(CampaignSource, Reply<CampaignInfo>),
    Transition(String, Transition, Reply<CampaignInfo>),
    Import {
        campaign: String,
        file_name: String,
        bytes: Vec<u8>,
        options: ImportOptions,
        reply: Reply<ImportReport>,
    },
    Blacklist {
        group: String,
        numbers: Vec<String>,
        expires_at: Option<i64>,
        remove: bool,
        reply: Reply<usize>,
    },
}

/// Sends commands to the campaign service. Cheap to clone.
#[derive(Clone)]
pub struct CampaignHandle {
    pub(super) tx: mpsc::Sender<Command>,
}

impl CampaignHandle {
    async fn ask<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(command(reply))
            .await
            .map_err(|_| ServiceError::Internal("the campaign service has stopped".into()))?;
        answer.await.map_err(|_| {
            ServiceError::Internal("the campaign service dropped the command".into())
        })?
    }

    /// Load (or reload) a campaign file; numbers it names are imported. A new campaign starts
    /// as `loaded`; a reloaded one keeps its status.
    pub async fn load(&self, source: CampaignSource) -> Result<CampaignInfo, ServiceError> {
        self.ask(|reply| Command::Load(source, reply)).await
    }

    /// Start, pause, resume or stop a campaign.
    pub async fn transition(
        &self,
        campaign: &str,
        transition: Transition,
    ) -> Result<CampaignInfo, ServiceError> {
        self.ask(|reply| Command::Transition(campaign.to_owned(), transition, reply))
            .await
    }

    /// Import a number list (CSV or XLSX by `file_name`'s extension) into a campaign.
    pub async fn import(
        &self,
        campaign: &str,
        file_name: &str,
        bytes: Vec<u8>,
        options: ImportOptions,
    ) -> Result<ImportReport, ServiceError> {
        self.ask(|reply| Command::Import {
            campaign: campaign.to_owned(),
            file_name: file_name.to_owned(),
            bytes,
            options,
            reply,
        })
        .await
    }

    /// Add numbers to a blacklist group (or remove them); returns how many changed.
    pub async fn blacklist(
        &self,
        group: &str,
        numbers: Vec<String>,
        expires_at: Option<i64>,
        remove: bool,
    ) -> Result<usize, ServiceError> {
        self.ask(|reply| Command::Blacklist {
            group: group.to_owned(),
            numbers,
            expires_at,
            remove,
            reply,
        })
        .await
    }
}
