//! The model's byte-level BPE vocabulary (`vocabulary.txt`, line number = token id) and its
//! special tokens. Decoding only: tokens map back to bytes through GPT-2's byte decoder.

use std::collections::HashMap;
use std::path::Path;

use crate::WhisperError;

/// Token ids with a fixed role in Whisper's decoding prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialTokens {
    /// `<|endoftext|>`: the end of the transcript; every id above it is special.
    pub end_of_text: u32,
    /// `<|startoftranscript|>`.
    pub start_of_transcript: u32,
    /// `<|transcribe|>` (multilingual models only use it).
    pub transcribe: u32,
    /// `<|nocaptions|>` / `<|nospeech|>`: its probability at the start is the no-speech score.
    pub no_speech: u32,
    /// `<|notimestamps|>`.
    pub no_timestamps: u32,
}

/// Whisper's vocabulary: token strings, special tokens and language tokens.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
    special: SpecialTokens,
    byte_of_char: HashMap<char, u8>,
}

impl Vocabulary {
    /// Reads `vocabulary.txt` (one token per line).
    pub fn load(path: &Path) -> Result<Self, WhisperError> {
        let text = std::fs::read_to_string(path).map_err(|e| WhisperError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|message| WhisperError::BadModel {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses the vocabulary text; the error says which special token is missing.
    pub fn parse(text: &str) -> Result<Self, String> {
        let tokens: Vec<String> = text.lines().map(str::to_owned).collect();
        let ids: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.starts_with("<|") && t.ends_with("|>"))
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| ids.get(*n).copied())
                .ok_or_else(|| format!("the vocabulary has no {}", names.join(" / ")))
        };
        let special = SpecialTokens {
            end_of_text: find(&["<|endoftext|>"])?,
            start_of_transcript: find(&["<|startoftranscript|>"])?,
            transcribe: find(&["<|transcribe|>"])?,
            no_speech: find(&["<|nocaptions|>", "<|nospeech|>"])?,
            no_timestamps: find(&["<|notimestamps|>"])?,
        };
        Ok(Self {
            tokens,
            ids,
            special,
            byte_of_char: byte_decoder(),
        })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary is empty (never true for a loaded one).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The special tokens.
    pub fn special(&self) -> SpecialTokens {
        self.special
    }

    /// The id of `<|code|>` for a language code such as "en" or "zh", if the model has one.
    pub fn language_token(&self, code: &str) -> Option<u32> {
        let id = *self.ids.get(&format!("<|{code}|>"))?;
        (id > self.special.start_of_transcript && id < self.special.transcribe).then_some(id)
    }

    /// The language code of a language token id, if it is one.
    pub fn language_of(&self, id: u32) -> Option<&str> {
        if id <= self.special.start_of_transcript || id >= self.special.transcribe {
            return None;
        }
        let token = self.tokens.get(id as usize)?;
        token.strip_prefix("<|")?.strip_suffix("|>")
    }

    /// The text of `tokens`, special tokens left out; invalid UTF-8 is replaced, not an error.
    pub fn decode(&self, tokens: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in tokens.iter().filter(|&&id| id < self.special.end_of_text) {
            let Some(token) = self.tokens.get(id as usize) else {
                continue;
            };
            for c in token.chars() {
                match self.byte_of_char.get(&c) {
                    Some(&b) => bytes.push(b),
                    None => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// GPT-2's `bytes_to_unicode` inverted: the printable character that stands for each byte.
fn byte_decoder() -> HashMap<char, u8> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut map = HashMap::with_capacity(256);
    let mut shifted = 0u32;
    for b in 0..=255u8 {
        let c = if printable(b) {
            char::from(b)
        } else {
            shifted += 1;
            char::from_u32(255 + shifted).unwrap_or(char::REPLACEMENT_CHARACTER)
        };
        map.insert(c, b);
    }
    map
}
