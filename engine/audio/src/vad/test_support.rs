//! Test helpers: the model file, espeak-ng speech at 8 kHz and synthetic noise.
//!
//! Tests that need the model or espeak-ng/sox skip with a loud message when they are missing, and
//! fail instead when the `CI` environment variable is set (CI runs `scripts/bootstrap`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use super::silero::{SILERO_VAD_MODEL_SHA256, SileroModel};

/// Path of the fetched model in the work tree.
pub fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vad-models/silero_vad_op18_ifless.onnx")
}

/// Skips the calling test (returns `None`) or, under CI, fails it.
pub fn skip<T>(what: &str) -> Option<T> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (CI is set, so this fails instead of skipping)"
    );
    eprintln!("SKIPPED: {what}");
    None
}

/// The 8 kHz model, loaded once per test binary.
pub fn model() -> Option<Arc<SileroModel>> {
    static MODEL: OnceLock<Option<Arc<SileroModel>>> = OnceLock::new();
    let loaded =
        MODEL.get_or_init(|| SileroModel::load(model_path(), SILERO_VAD_MODEL_SHA256).ok());
    match loaded {
        Some(model) => Some(model.clone()),
        None => skip(&format!(
            "no usable model at {}; run vad-models/fetch",
            model_path().display()
        )),
    }
}

/// `text` spoken by espeak-ng (`voice` such as `en` or `cmn`), as 8 kHz mono samples in -1..1.
pub fn speech_8k(text: &str, voice: &str) -> Option<Vec<f32>> {
    match synthesise(text, voice) {
        Ok(samples) => Some(samples),
        Err(error) => skip(&format!(
            "espeak-ng/sox speech synthesis unavailable: {error}"
        )),
    }
}

fn synthesise(text: &str, voice: &str) -> std::io::Result<Vec<f32>> {
    let espeak = Command::new("espeak-ng")
        .args(["-v", voice, "--stdout", "--", text])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()?;
    if !espeak.status.success() {
        return Err(std::io::Error::other(format!(
            "espeak-ng exited with {}",
            espeak.status
        )));
    }
    let mut sox = Command::new("sox")
        .args([
            "-q", "-D", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-c", "1", "-b", "16",
        ])
        .args(["-e", "signed-integer", "-L", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = sox
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("sox stdin"))?;
    let wav = espeak.stdout;
    let writer = std::thread::spawn(move || stdin.write_all(&wav));
    let output = sox.wait_with_output()?;
    writer
        .join()
        .map_err(|_| std::io::Error::other("writer thread panicked"))??;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "sox exited with {}",
            output.status
        )));
    }
    Ok(output
        .stdout
        .chunks_exact(2)
        .map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32768.0)
        .collect())
}

/// Deterministic white noise with a peak `amplitude` (xorshift, seeded).
pub fn white_noise(samples: usize, amplitude: f32, seed: u64) -> Vec<f32> {
    let mut state = seed | 1;
    (0..samples)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Top 24 bits to a uniform value in -1..1.
            ((state >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * amplitude
        })
        .collect()
}
