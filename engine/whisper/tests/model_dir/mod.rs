//! The repository's converted Whisper models, for integration tests. Shared by file with
//! `tools/asr-eval/tests` (both crates sit two folders below the repository root).

use std::path::PathBuf;

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
