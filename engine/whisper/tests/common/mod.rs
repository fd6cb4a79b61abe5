//! Shared helpers of the integration tests: the model folders and espeak-ng telephone audio.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The converted model folder `name`, or `None` (with a note) when `whisper-models/fetch` has
/// not been run. Under CI (env `CI` set) a missing model fails the test instead.
pub fn model_dir(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../whisper-models")
        .join(name);
    if dir.join("model.safetensors").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run whisper-models/fetch",
        dir.display()
    );
    eprintln!(
        "skipped: {} is missing (run whisper-models/fetch)",
        dir.display()
    );
    None
}

/// `text` spoken by espeak-ng (en-us), 8 kHz, through a G.711 µ-law round trip.
pub fn telephone_speech(text: &str) -> Vec<i16> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let wav = std::env::temp_dir().join(format!(
        "voxgate-whisper-test-{}-{}.wav",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let espeak = Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&wav)
        .args(["--", text])
        .output()
        .expect("espeak-ng must be installed (apt-get install espeak-ng)");
    assert!(espeak.status.success(), "espeak-ng failed");
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
        .output()
        .expect("sox must be installed");
    let _ = std::fs::remove_file(&wav);
    assert!(sox.status.success() && !sox.stdout.is_empty(), "sox failed");
    sox.stdout
        .chunks_exact(2)
        .map(|p| {
            let sample = i16::from_le_bytes([p[0], p[1]]);
            voxgate_codecs::g711::ulaw_decode(voxgate_codecs::g711::ulaw_encode(sample))
        })
        .collect()
}

/// Lower-case words without punctuation.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Word edit distance.
pub fn word_errors(reference: &[String], hypothesis: &[String]) -> usize {
    let mut previous: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut current = vec![i + 1; hypothesis.len() + 1];
        for (j, h) in hypothesis.iter().enumerate() {
            current[j + 1] = (previous[j] + usize::from(r != h))
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[hypothesis.len()]
}
