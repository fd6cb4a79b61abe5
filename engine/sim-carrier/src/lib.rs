//! `voxgate sim-carrier`: a simulated carrier and its callees, on loopback, for rehearsing a
//! campaign before it goes live (and for the tests and the demo).
//!
//! It receives the engine's INVITEs over UDP and plays, per called number, a persona from a
//! TOML file ([`load_personas`], format in `PERSONAS.md`): ringing, an outcome (answer, busy,
//! no answer, reject, empty number with a SIT, powered off, suspended, unreachable), early
//! media, and for answered calls a conversation that reacts to the bot's speech, heard with
//! the engine's own Silero VAD and endpointing.
//!
//! Layers: [`callee::Callee`] is the sans-IO state machine of one answered callee (tested in
//! virtual time); one tokio task drives the SIP endpoint (`voxgate_sip`), one task per call
//! paces RTP at 20 ms (`voxgate_rtp`), hears the bot (`voxgate_audio`) and speaks sounds
//! prepared once at start ([`audio_bank::AudioBank`]). With a journal, every finished call is
//! appended as one JSON line ([`journal::JournalEntry`]).
//!
//! ```no_run
//! # async fn demo(synth: std::sync::Arc<dyn voxgate_speech::Synthesizer>) -> Result<(), voxgate_sim_carrier::SimCarrierError> {
//! use voxgate_sim_carrier::{SimCarrierOptions, run};
//! let options = SimCarrierOptions::new("examples/personas/rehearsal.toml", "vad-models/silero_vad_op18_ifless.onnx")
//!     .with_journal("sim-journal.jsonl");
//! run(options, synth, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

#![warn(missing_docs)]

pub mod audio_bank;
pub mod callee;
mod carrier;
mod error;
pub mod journal;
mod media;
pub mod persona;
mod reason_header;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use voxgate_audio::vad::{SILERO_VAD_MODEL_SHA256, SileroModel};
use voxgate_speech::Synthesizer;

pub use error::SimCarrierError;
pub use persona::{PersonaErrors, Personas, load_personas, parse_personas};

use crate::audio_bank::AudioBank;
use crate::carrier::Carrier;
use crate::journal::Journal;

/// How to run the simulated carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCarrierOptions {
    /// The persona file.
    pub personas: PathBuf,
    /// Where to append one JSON line per finished call.
    pub journal: Option<PathBuf>,
    /// The Silero VAD model (`vad-models/silero_vad_op18_ifless.onnx`).
    pub vad_model: PathBuf,
    /// Overrides the persona file's `[carrier] listen` (port 0: any free port).
    pub listen: Option<SocketAddr>,
}

impl SimCarrierOptions {
    /// Options with no journal and the file's listen address.
    pub fn new(personas: impl Into<PathBuf>, vad_model: impl Into<PathBuf>) -> Self {
        Self {
            personas: personas.into(),
            journal: None,
            vad_model: vad_model.into(),
            listen: None,
        }
    }

    /// Append the journal to `path`.
    pub fn with_journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Listen on `addr` instead of the file's address.
    pub fn with_listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }
}

/// A simulated carrier, bound and ready: personas checked, texts synthesised, VAD loaded.
pub struct SimCarrier {
    carrier: Carrier,
}

impl SimCarrier {
    /// Load everything and bind the SIP socket. Must run inside a tokio runtime.
    pub async fn bind(
        options: SimCarrierOptions,
        synth: Arc<dyn Synthesizer>,
    ) -> Result<Self, SimCarrierError> {
        let mut personas = load_personas(&options.personas)?;
        if let Some(listen) = options.listen {
            personas.carrier.listen = listen;
        }
        let vad = SileroModel::load(&options.vad_model, SILERO_VAD_MODEL_SHA256).map_err(|e| {
            SimCarrierError::VadModel {
                path: options.vad_model.clone(),
                message: e.to_string(),
            }
        })?;
        let bank = AudioBank::prepare(&personas, synth.as_ref(), personas.carrier.voice.as_deref())
            .await?;
        let journal = match &options.journal {
            Some(path) => Some(Arc::new(Journal::open(path).map_err(|e| {
                SimCarrierError::io(format!("opening the journal {}", path.display()), e)
            })?)),
            None => None,
        };
        let carrier = Carrier::bind(Arc::new(personas), Arc::new(bank), vad, journal).await?;
        Ok(Self { carrier })
    }

    /// The SIP address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.carrier.local_addr()
    }

    /// Serve calls until `shutdown` completes; calls in progress are then journalled.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        self.carrier.serve(shutdown).await;
    }
}

/// Bind and serve until `shutdown` completes: the `voxgate sim-carrier` command.
pub async fn run(
    options: SimCarrierOptions,
    synth: Arc<dyn Synthesizer>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimCarrierError> {
    let carrier = SimCarrier::bind(options, synth).await?;
    tracing::info!("sim-carrier listening on {} (UDP)", carrier.local_addr());
    carrier.serve(shutdown).await;
    Ok(())
}
