//! The engine's speech providers: the recogniser every call's utterances go to, and the
//! synthesiser (behind its content-addressed cache) that speaks the dialogue's text prompts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use voxgate_audio::playback::{Prompt, PromptLibrary};
use voxgate_call::PromptPart;
use voxgate_campaign::spec::Speech as CallSpeech;
use voxgate_sip::CallHandle;
use voxgate_speech::config::{AsrConfig, build_recognizer, build_synthesizer};
use voxgate_speech::{Recognizer, Synthesizer, TtsCache, TtsRequest, template};
use voxgate_whisper::EmbeddedWhisper;

use crate::config::SpeechSettings;
use crate::media::{CallAsr, PlayPieces};

/// The configured providers.
#[derive(Clone)]
pub struct SpeechProviders {
    /// The recogniser, when one is configured.
    pub recognizer: Option<Arc<dyn Recognizer>>,
    /// A recognition taking longer reaches the dialogue as an ASR error.
    pub asr_deadline: Duration,
    /// The synthesiser and its cache, when one is configured.
    pub tts: Option<(Arc<dyn Synthesizer>, Arc<TtsCache>)>,
    /// Defaults for calls that set nothing.
    pub defaults: CallSpeech,
}

impl SpeechProviders {
    /// Start the providers `settings` configure (loading the Whisper model and its decode
    /// threads, when that is the recogniser).
    pub fn start(settings: &SpeechSettings) -> Result<Self, String> {
        let recognizer: Option<Arc<dyn Recognizer>> = match &settings.asr {
            None => None,
            Some(AsrConfig::Whisper(whisper)) => {
                let workers = whisper.workers.unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
                });
                let pool = EmbeddedWhisper::start(&whisper.model, workers)
                    .map_err(|e| format!("speech recogniser {}: {e}", whisper.model.display()))?;
                Some(Arc::new(pool))
            }
            Some(other) => {
                Some(build_recognizer(other).map_err(|e| format!("speech recogniser: {e}"))?)
            }
        };
        let tts = match &settings.tts {
            None => None,
            Some(config) => {
                let synth =
                    build_synthesizer(config).map_err(|e| format!("speech synthesiser: {e}"))?;
                let cache =
                    TtsCache::new(settings.tts_cache_samples, settings.tts_cache_dir.clone())
                        .map_err(|e| format!("TTS cache: {e}"))?;
                Some((synth, Arc::new(cache)))
            }
        };
        Ok(Self {
            recognizer,
            asr_deadline: settings.asr_timeout,
            tts,
            defaults: CallSpeech {
                language: settings.language.clone(),
                hot_words: settings.hot_words.clone(),
                voice: settings.voice.clone(),
            },
        })
    }

    /// A call's settings, each unset one taken from the engine's defaults.
    fn with_defaults(&self, speech: &CallSpeech) -> CallSpeech {
        CallSpeech {
            language: speech
                .language
                .clone()
                .or_else(|| self.defaults.language.clone()),
            hot_words: if speech.hot_words.is_empty() {
                self.defaults.hot_words.clone()
            } else {
                speech.hot_words.clone()
            },
            voice: speech.voice.clone().or_else(|| self.defaults.voice.clone()),
        }
    }

    /// The recogniser with a call's settings.
    pub fn call_asr(&self, speech: &CallSpeech) -> Option<CallAsr> {
        let recognizer = self.recognizer.clone()?;
        let speech = self.with_defaults(speech);
        Some(CallAsr {
            recognizer,
            language: speech.language,
            hot_words: speech.hot_words,
            deadline: self.asr_deadline,
        })
    }

    /// The pieces of a play: recorded prompts resolve against `base` (the flow's folder) now;
    /// text parts get their `${var}` values from `variables` and are synthesised through the
    /// cache. A part that cannot be had (missing file, unknown variable, no synthesiser, a failed
    /// synthesis) is logged and skipped.
    pub fn play_pieces(
        &self,
        library: &mut PromptLibrary,
        handle: CallHandle,
        base: &Path,
        parts: &[PromptPart],
        speech: &CallSpeech,
        variables: &BTreeMap<String, String>,
    ) -> PlayPieces {
        let speech = self.with_defaults(speech);
        let mut pieces: Vec<Piece> = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                PromptPart::File(id) => match library.load_file(&base.join(id)) {
                    Ok(prompt) => pieces.push(Piece::Ready(prompt)),
                    Err(e) => tracing::error!(%handle, "prompt {id}: {e}"),
                },
                PromptPart::Tts(text) => {
                    let Some((synth, cache)) = &self.tts else {
                        tracing::warn!(%handle, "no TTS provider is configured; not spoken: {text}");
                        continue;
                    };
                    let text =
                        match template::fill(text, &|name: &str| variables.get(name).cloned()) {
                            Ok(text) => text,
                            Err(e) => {
                                tracing::error!(%handle, "prompt text {text:?}: {e}");
                                continue;
                            }
                        };
                    let request = TtsRequest {
                        text,
                        voice: speech.voice.clone(),
                        language: speech.language.clone(),
                    };
                    pieces.push(Piece::Text(request, synth.clone(), cache.clone()));
                }
            }
        }
        if pieces.iter().all(|p| matches!(p, Piece::Ready(_))) {
            return PlayPieces::Ready(
                pieces
                    .into_iter()
                    .filter_map(|p| match p {
                        Piece::Ready(prompt) => Some(prompt),
                        Piece::Text(..) => None,
                    })
                    .collect(),
            );
        }
        PlayPieces::Synthesizing(Box::pin(async move {
            let mut prompts = Vec::with_capacity(pieces.len());
            for piece in pieces {
                match piece {
                    Piece::Ready(prompt) => prompts.push(prompt),
                    Piece::Text(request, synth, cache) => {
                        match cache
                            .get_or_synthesize(synth.as_ref(), request.clone())
                            .await
                        {
                            Ok(prompt) => prompts.push(prompt),
                            Err(e) => {
                                tracing::error!(%handle, "cannot speak {:?}: {e}", request.text)
                            }
                        }
                    }
                }
            }
            prompts
        }))
    }
}

/// One piece of a play while it is being put together.
enum Piece {
    Ready(Arc<Prompt>),
    Text(TtsRequest, Arc<dyn Synthesizer>, Arc<TtsCache>),
}
