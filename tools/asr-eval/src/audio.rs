//! Test audio: espeak-ng speech, converted to 8 kHz 16-bit mono by sox (no dither, so every
//! run hears the same samples), then through G.711 µ-law and back, as a carrier would.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use voxgate_codecs::g711::{ulaw_decode_frame, ulaw_encode_frame};

use crate::EvalError;

/// espeak-ng voice for the English set.
pub const ENGLISH_VOICE: &str = "en-us";
/// espeak-ng voice that reads tone-numbered pinyin ("ni3 hao3").
pub const PINYIN_VOICE: &str = "cmn-latn-pinyin";

/// `text` spoken by espeak-ng `voice`, as 8 kHz PCM after a G.711 µ-law round trip.
pub fn telephone_speech(text: &str, voice: &str) -> Result<Vec<i16>, EvalError> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let wav = std::env::temp_dir().join(format!(
        "voxgate-asr-eval-{}-{}.wav",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let espeak = Command::new("espeak-ng")
        .args(["-v", voice, "-w"])
        .arg(&wav)
        .args(["--", text])
        .output()
        .map_err(|e| EvalError::Synth(format!("cannot run espeak-ng: {e}")))?;
    if !espeak.status.success() {
        let _ = std::fs::remove_file(&wav);
        return Err(EvalError::Synth(format!(
            "espeak-ng -v {voice} failed ({})",
            espeak.status
        )));
    }
    let sox = Command::new("sox")
        .args(["-q", "-D"])
        .arg(&wav)
        .args([
            "-t",
            "raw",
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-L",
            "-",
        ])
        .output();
    let _ = std::fs::remove_file(&wav);
    let sox = sox.map_err(|e| EvalError::Audio(format!("cannot run sox: {e}")))?;
    if !sox.status.success() || sox.stdout.is_empty() {
        return Err(EvalError::Audio(format!(
            "sox failed ({}): {}",
            sox.status,
            String::from_utf8_lossy(&sox.stderr).trim()
        )));
    }
    let pcm: Vec<i16> = sox
        .stdout
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Ok(g711_round_trip(&pcm))
}

/// `pcm` encoded to G.711 µ-law and decoded again.
pub fn g711_round_trip(pcm: &[i16]) -> Vec<i16> {
    let mut coded = Vec::with_capacity(pcm.len());
    ulaw_encode_frame(pcm, &mut coded);
    let mut decoded = Vec::with_capacity(pcm.len());
    ulaw_decode_frame(&coded, &mut decoded);
    decoded
}
