//! The speech side of a call's media loop: utterances go to the recogniser off the media path
//! and their reports keep their order, and prompts that are still being synthesised hold the
//! commands behind them until they are ready.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use voxgate_audio::playback::Prompt;
use voxgate_call::{MediaInput, Transcript};
use voxgate_campaign::result_map::classify_announcement;
use voxgate_speech::{AsrRequest, BoxFuture, Recognizer, recognize_within};

/// The recogniser a call uses for what the callee says, with the call's settings.
#[derive(Clone)]
pub struct CallAsr {
    /// The provider.
    pub recognizer: Arc<dyn Recognizer>,
    /// Language hint for the provider.
    pub language: Option<String>,
    /// Words to favour.
    pub hot_words: Vec<String>,
    /// A recognition that takes longer ends as an ASR error.
    pub deadline: Duration,
}

impl std::fmt::Debug for CallAsr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallAsr")
            .field("recognizer", &self.recognizer.name())
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl CallAsr {
    /// Recognise one utterance; resolves to what the call should be told: the utterance with
    /// its transcript and, when the words are a carrier announcement ("the number you dialled
    /// does not exist", 空号, 关机 …), the early-media result (the call keeps that only before
    /// an answer).
    pub fn recognize(&self, audio: Vec<i16>, duration_ms: u32, barged_in: bool) -> PendingInputs {
        let asr = self.clone();
        Box::pin(async move {
            let request = AsrRequest {
                audio: audio.into(),
                language: asr.language.clone(),
                hot_words: asr.hot_words.clone(),
                partials: None,
            };
            let mut inputs = Vec::with_capacity(2);
            let transcript =
                match recognize_within(asr.recognizer.as_ref(), request, asr.deadline).await {
                    Ok(r) => {
                        tracing::debug!(text = %r.text, confidence = r.confidence, "recognised");
                        if let Some((result, phrase)) = classify_announcement(&r.text) {
                            inputs.push(MediaInput::EarlyMedia {
                                result: result.as_str().to_owned(),
                                evidence: format!("announcement \"{}\" ({phrase})", r.text.trim()),
                            });
                        }
                        Transcript::Recognized {
                            text: r.text,
                            confidence: r.confidence,
                        }
                    }
                    Err(e) => {
                        tracing::warn!("speech recognition failed: {e}");
                        Transcript::Failed(e.to_string())
                    }
                };
            inputs.push(MediaInput::Utterance {
                transcript,
                duration_ms,
                barged_in,
            });
            inputs
        })
    }
}

/// What a recognition resolves to.
pub type PendingInputs = BoxFuture<'static, Vec<MediaInput>>;

/// Reports to the call in the order their causes happened: an utterance being recognised
/// holds back everything heard after it.
#[derive(Default)]
pub struct OrderedInputs {
    queue: VecDeque<Queued>,
}

enum Queued {
    Ready(MediaInput),
    Recognizing(PendingInputs),
}

impl OrderedInputs {
    /// Queue an input that is ready now.
    pub fn push(&mut self, input: MediaInput) {
        self.queue.push_back(Queued::Ready(input));
    }

    /// Queue a recognition in progress.
    pub fn push_pending(&mut self, pending: PendingInputs) {
        self.queue.push_back(Queued::Recognizing(pending));
    }

    /// The inputs that can go now (everything before the first recognition in progress).
    pub fn drain_ready(&mut self, mut send: impl FnMut(MediaInput)) {
        while let Some(Queued::Ready(_)) = self.queue.front() {
            if let Some(Queued::Ready(input)) = self.queue.pop_front() {
                send(input);
            }
        }
    }

    /// Wait for the oldest recognition to finish and put its inputs in its place; pending
    /// forever when none is in progress (for `select!`).
    pub async fn settle_head(&mut self) {
        let Some(Queued::Recognizing(pending)) = self.queue.front_mut() else {
            return std::future::pending().await;
        };
        let inputs = pending.await;
        self.queue.pop_front();
        for input in inputs.into_iter().rev() {
            self.queue.push_front(Queued::Ready(input));
        }
    }

    /// Whether a recognition is still running.
    pub fn is_waiting(&self) -> bool {
        !self.queue.is_empty()
    }
}

/// Prompt pieces being synthesised.
pub type PendingPrompts = BoxFuture<'static, Vec<Arc<Prompt>>>;

/// The pieces of a prompt to play: ready, or still being synthesised.
pub enum PlayPieces {
    /// Decoded and ready.
    Ready(Vec<Arc<Prompt>>),
    /// Some pieces are text being synthesised; resolves to all pieces in order.
    Synthesizing(PendingPrompts),
}

impl std::fmt::Debug for PlayPieces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlayPieces::Ready(pieces) => f.debug_tuple("Ready").field(&pieces.len()).finish(),
            PlayPieces::Synthesizing(_) => f.write_str("Synthesizing"),
        }
    }
}
