//! Model folders that cannot be loaded give errors naming the file and the problem.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use voxgate_whisper::{WhisperError, WhisperModel};

const VOCABULARY: &str = "a\nb\n<|endoftext|>\n<|startoftranscript|>\n<|transcribe|>\n<|nocaptions|>\n<|notimestamps|>\n";

fn write_config(dir: &Path, vocab_size: usize) {
    let config = format!(
        r#"{{"num_mel_bins": 80, "max_source_positions": 8, "d_model": 8,
            "encoder_attention_heads": 2, "encoder_layers": 1, "vocab_size": {vocab_size},
            "max_target_positions": 8, "decoder_attention_heads": 2, "decoder_layers": 1,
            "suppress_ids": [1], "suppress_ids_begin": [0]}}"#
    );
    std::fs::write(dir.join("config.json"), config).expect("write config");
    std::fs::write(dir.join("vocabulary.txt"), VOCABULARY).expect("write vocabulary");
}

fn write_weights(dir: &Path, conv1_in: usize) {
    let tensors = HashMap::from([(
        "model.encoder.conv1.weight".to_owned(),
        Tensor::zeros((8, conv1_in, 3), DType::F16, &Device::Cpu).expect("tensor"),
    )]);
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).expect("save");
}

fn load_error(dir: &Path) -> WhisperError {
    WhisperModel::load(dir).expect_err("the folder must not load")
}

#[test]
fn a_missing_folder_names_the_missing_file() {
    let dir = std::env::temp_dir().join("voxgate-whisper-no-such-model");
    match load_error(&dir) {
        WhisperError::Io { path, .. } => assert_eq!(path, dir.join("config.json")),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn a_broken_config_is_a_bad_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.json"), "{\"d_model\": 8}").expect("write");
    let error = load_error(dir.path());
    assert!(matches!(&error, WhisperError::BadModel { path, .. } if path.ends_with("config.json")));
    assert!(
        error.to_string().contains("not a Whisper config"),
        "{error}"
    );
}

#[test]
fn a_vocabulary_of_the_wrong_size_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), 9);
    let error = load_error(dir.path());
    assert!(
        error
            .to_string()
            .contains("7 tokens, but config.json says vocab_size 9"),
        "{error}"
    );
}

#[test]
fn missing_weights_files_and_tensors_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), 7);
    match load_error(dir.path()) {
        WhisperError::Io { path, .. } => assert!(path.ends_with("model.safetensors")),
        other => panic!("expected Io, got {other:?}"),
    }
    std::fs::write(dir.path().join("model.safetensors"), b"not safetensors").expect("write");
    assert!(
        load_error(dir.path())
            .to_string()
            .contains("not a safetensors file")
    );

    write_weights(dir.path(), 80);
    let error = load_error(dir.path()).to_string();
    assert!(error.contains("weights do not fit config.json"), "{error}");
    assert!(
        error.contains("conv1.bias"),
        "the missing tensor is named: {error}"
    );
}

#[test]
fn weights_of_the_wrong_shape_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), 7);
    write_weights(dir.path(), 40);
    let error = load_error(dir.path()).to_string();
    assert!(error.contains("model.encoder.conv1.weight"), "{error}");
    assert!(error.contains("shape"), "{error}");
}
