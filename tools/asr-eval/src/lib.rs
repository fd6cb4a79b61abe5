//! Evaluation of the embedded Whisper recognizer on telephone audio.
//!
//! [`corpus`]: ~20 English call-centre sentences and an experimental Mandarin set (hanzi
//! reference, tone-numbered pinyin for espeak-ng's `cmn-latn-pinyin` voice, which reads
//! pinyin; its `cmn` voice reads neither hanzi nor pinyin reliably). [`audio`]: espeak-ng
//! speech converted to 8 kHz and passed through G.711 µ-law, the carrier path. [`score`]:
//! WER on normalised words, CER on hanzi.

#![warn(missing_docs)]

use thiserror::Error;

pub mod audio;
pub mod corpus;
pub mod score;

/// Why the evaluation could not run.
#[derive(Debug, Error)]
pub enum EvalError {
    /// espeak-ng could not be run or failed.
    #[error("espeak-ng: {0}")]
    Synth(String),
    /// The synthesised audio could not be read or converted.
    #[error("audio: {0}")]
    Audio(String),
    /// The recognizer failed.
    #[error("whisper: {0}")]
    Whisper(#[from] voxgate_whisper::WhisperError),
}
