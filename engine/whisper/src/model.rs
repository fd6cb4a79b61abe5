//! Loading a converted model folder (`model.safetensors`, `config.json`, `vocabulary.txt`,
//! written by `whisper-models/fetch`) into candle.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::{Config, model::Whisper};
use serde::Deserialize;

use crate::WhisperError;
use crate::mel::MelFrontEnd;
use crate::vocab::Vocabulary;

/// Decoder settings `whisper-models/fetch` copies from the CTranslate2 config.
#[derive(Debug, Clone, Default, Deserialize)]
struct DecoderConfig {
    #[serde(default)]
    suppress_ids: Vec<u32>,
    #[serde(default)]
    suppress_ids_begin: Vec<u32>,
    #[serde(default)]
    lang_ids: Vec<u32>,
}

/// Everything the decoder needs besides the network, shared by all copies of a model.
#[derive(Debug)]
pub(crate) struct ModelAssets {
    pub(crate) name: String,
    pub(crate) vocab: Vocabulary,
    pub(crate) mel: MelFrontEnd,
    /// Suppressed at every step.
    pub(crate) suppress: Vec<u32>,
    /// Also suppressed at the first step (blank, end of text).
    pub(crate) suppress_begin: Vec<u32>,
    /// Language tokens to choose from when detecting the language (multilingual models).
    pub(crate) language_tokens: Vec<u32>,
}

/// A loaded Whisper model: the network (weights shared between clones) and its vocabulary.
///
/// Clones are cheap (the weight tensors are reference-counted); each clone has its own
/// decoding state, so each worker thread owns one.
#[derive(Debug, Clone)]
pub struct WhisperModel {
    pub(crate) network: Whisper,
    pub(crate) assets: Arc<ModelAssets>,
    pub(crate) device: Device,
}

impl WhisperModel {
    /// Loads the model folder `dir` (as written by `whisper-models/fetch`).
    ///
    /// Errors name the file and the problem: a missing file, a config that does not parse,
    /// weights missing or of the wrong shape.
    pub fn load(dir: &Path) -> Result<Self, WhisperError> {
        let config_path = dir.join("config.json");
        let config_text = read(&config_path)?;
        let bad = |path: &Path, message: String| WhisperError::BadModel {
            path: path.to_path_buf(),
            message,
        };
        let config: Config = serde_json::from_slice(&config_text)
            .map_err(|e| bad(&config_path, format!("not a Whisper config: {e}")))?;
        let decoder: DecoderConfig = serde_json::from_slice(&config_text)
            .map_err(|e| bad(&config_path, format!("bad decoder settings: {e}")))?;
        let heads_fit = |heads: usize| heads > 0 && config.d_model.is_multiple_of(heads);
        if config.d_model == 0
            || config.num_mel_bins == 0
            || !heads_fit(config.encoder_attention_heads)
            || !heads_fit(config.decoder_attention_heads)
        {
            return Err(bad(
                &config_path,
                "d_model and num_mel_bins must be above zero, and d_model a multiple of the head counts"
                    .into(),
            ));
        }
        let vocab = Vocabulary::load(&dir.join("vocabulary.txt"))?;
        if vocab.len() != config.vocab_size {
            return Err(bad(
                &dir.join("vocabulary.txt"),
                format!(
                    "{} tokens, but config.json says vocab_size {}",
                    vocab.len(),
                    config.vocab_size
                ),
            ));
        }

        let weights_path = dir.join("model.safetensors");
        let weights = read(&weights_path)?;
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load_buffer(&weights, &device)
            .map_err(|e| bad(&weights_path, format!("not a safetensors file: {e}")))?;
        drop(weights);
        let builder = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let network = Whisper::load(&builder, config.clone()).map_err(|e| {
            bad(
                &weights_path,
                format!("weights do not fit config.json: {e}"),
            )
        })?;

        let assets = ModelAssets {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "whisper".into()),
            mel: MelFrontEnd::new(config.num_mel_bins),
            suppress: suppressed(&vocab, &decoder.suppress_ids),
            suppress_begin: decoder.suppress_ids_begin.clone(),
            language_tokens: language_tokens(&vocab, &decoder.lang_ids),
            vocab,
        };
        Ok(Self {
            network,
            assets: Arc::new(assets),
            device,
        })
    }

    /// The model's name: its folder's name ("tiny.en", "base").
    pub fn name(&self) -> &str {
        &self.assets.name
    }

    /// Whether the model knows more languages than English (it has language tokens).
    pub fn is_multilingual(&self) -> bool {
        !self.assets.language_tokens.is_empty()
    }

    /// Whether `code` ("en", "zh") is a language the model can transcribe.
    pub fn supports_language(&self, code: &str) -> bool {
        if self.is_multilingual() {
            self.assets.vocab.language_token(code).is_some()
        } else {
            code == "en"
        }
    }

    /// The model's vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.assets.vocab
    }

    /// The model's log-mel front end.
    pub fn front_end(&self) -> &MelFrontEnd {
        &self.assets.mel
    }
}

fn read(path: &Path) -> Result<Vec<u8>, WhisperError> {
    std::fs::read(path).map_err(|e| WhisperError::Io {
        path: PathBuf::from(path),
        message: e.to_string(),
    })
}

/// The configured suppress ids plus every special token after `<|endoftext|>` (start of
/// transcript, languages, tasks, timestamps): the decoder only ever emits text or the end.
fn suppressed(vocab: &Vocabulary, configured: &[u32]) -> Vec<u32> {
    let first_special = vocab.special().end_of_text + 1;
    let mut ids: HashSet<u32> = configured.iter().copied().collect();
    ids.extend(first_special..vocab.len() as u32);
    let mut ids: Vec<u32> = ids
        .into_iter()
        .filter(|&id| (id as usize) < vocab.len())
        .collect();
    ids.sort_unstable();
    ids
}

/// Vocabulary size from which a model is multilingual (Whisper's own rule).
const MULTILINGUAL_VOCAB: usize = 51_865;

/// The language tokens of a multilingual model, none for an English-only one (whose CT2
/// config still lists the multilingual ids, which do not match its vocabulary).
fn language_tokens(vocab: &Vocabulary, lang_ids: &[u32]) -> Vec<u32> {
    if vocab.len() < MULTILINGUAL_VOCAB {
        return Vec::new();
    }
    lang_ids
        .iter()
        .copied()
        .filter(|&id| vocab.language_of(id).is_some())
        .collect()
}
