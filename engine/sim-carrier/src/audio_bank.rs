//! Every sound the personas make, prepared once at start: TTS texts synthesised, `play` files
//! decoded, the SIT tone generated.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use voxgate_audio::playback::{PROMPT_RATE, Prompt};
use voxgate_audio::sit::{SitCategory, sit_samples};
use voxgate_speech::{Synthesizer, TtsRequest};

use crate::error::SimCarrierError;
use crate::persona::{EarlyMedia, Personas, Turn};

/// The prepared sounds, shared by every call.
#[derive(Debug)]
pub struct AudioBank {
    speech: HashMap<(String, String), Arc<Prompt>>,
    files: HashMap<PathBuf, Arc<Prompt>>,
    sit: Arc<Prompt>,
    announcements: HashMap<(String, String), Arc<Prompt>>,
}

/// Silence after an announcement before the final response: exchanges pause (or repeat the
/// announcement) there, and the listening side needs it to hear the announcement end.
const ANNOUNCEMENT_PAUSE_MS: usize = 1500;

impl AudioBank {
    /// Synthesise every `say` and `announcement` text (once per language and text) and decode
    /// every `play` file of `personas`.
    pub async fn prepare(
        personas: &Personas,
        synth: &dyn Synthesizer,
        voice: Option<&str>,
    ) -> Result<Self, SimCarrierError> {
        let mut texts = Vec::new();
        let mut files = HashMap::new();
        for persona in &personas.personas {
            if let Some(EarlyMedia::Announcement(text)) = &persona.early_media {
                texts.push((persona.language.clone(), text.clone()));
            }
            for turn in &persona.turns {
                match turn {
                    Turn::Say { text, .. } => texts.push((persona.language.clone(), text.clone())),
                    Turn::Play { path, .. } if !files.contains_key(path) => {
                        let prompt =
                            Prompt::load(path).map_err(|source| SimCarrierError::Prompt {
                                path: path.clone(),
                                source,
                            })?;
                        files.insert(path.clone(), Arc::new(prompt));
                    }
                    _ => {}
                }
            }
        }
        let mut speech = HashMap::new();
        for (language, text) in texts {
            if speech.contains_key(&(language.clone(), text.clone())) {
                continue;
            }
            let request = TtsRequest {
                text: text.clone(),
                voice: voice.map(str::to_owned),
                language: Some(language.clone()),
            };
            let pcm = synth
                .synthesize(request)
                .await
                .map_err(|source| SimCarrierError::Tts {
                    text: text.clone(),
                    source,
                })?;
            let prompt = Prompt::from_pcm_8k(format!("tts:{text}"), &pcm);
            speech.insert((language, text), Arc::new(prompt));
        }
        let mut announcements = HashMap::new();
        for persona in &personas.personas {
            if let Some(EarlyMedia::Announcement(text)) = &persona.early_media
                && let Some(spoken) = speech.get(&(persona.language.clone(), text.clone()))
            {
                let mut pcm = spoken.pcm().to_vec();
                pcm.extend(std::iter::repeat_n(
                    0,
                    ANNOUNCEMENT_PAUSE_MS * PROMPT_RATE as usize / 1000,
                ));
                let prompt = Prompt::from_pcm_8k(format!("announcement:{text}"), &pcm);
                announcements.insert((persona.language.clone(), text.clone()), Arc::new(prompt));
            }
        }
        // Two tones with a pause, as exchanges repeat them: one is enough for a detector.
        let tone = sit_samples(SitCategory::VacantCode, PROMPT_RATE);
        // Exchanges open early media with a moment of silence; it also keeps the first tone
        // whole while the far end's jitter buffer fills.
        let mut sit = vec![0; PROMPT_RATE as usize * 3 / 10];
        sit.extend_from_slice(&tone);
        sit.extend(std::iter::repeat_n(0, PROMPT_RATE as usize / 2));
        sit.extend_from_slice(&tone);
        Ok(Self {
            speech,
            files,
            sit: Arc::new(Prompt::from_pcm_8k("sit:vacant", &sit)),
            announcements,
        })
    }

    /// The early-media announcement `text` in `language`, with the pause that follows it.
    pub fn announcement(&self, language: &str, text: &str) -> Option<Arc<Prompt>> {
        self.announcements
            .get(&(language.to_owned(), text.to_owned()))
            .cloned()
    }

    /// The synthesised `text` in `language`.
    pub fn speech(&self, language: &str, text: &str) -> Option<Arc<Prompt>> {
        self.speech
            .get(&(language.to_owned(), text.to_owned()))
            .cloned()
    }

    /// The decoded file at `path` (as resolved in the persona).
    pub fn file(&self, path: &Path) -> Option<Arc<Prompt>> {
        self.files.get(path).cloned()
    }

    /// The SIT tone sent as early media for vacant numbers.
    pub fn sit(&self) -> Arc<Prompt> {
        Arc::clone(&self.sit)
    }
}
