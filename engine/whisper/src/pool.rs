//! The worker pool behind [`EmbeddedWhisper`]: decode threads, each with its own copy of the
//! model (weights shared), fed through a bounded queue; answers come back on oneshot channels
//! so the async runtime never blocks.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use voxgate_audio::resample::Resampler;
use voxgate_speech::{AsrError, AsrRequest, BoxFuture, PCM_RATE, Recognition, Recognizer};

use crate::WhisperError;
use crate::decode::{DecodeOptions, MAX_AUDIO_SECONDS};
use crate::mel::SAMPLE_RATE;
use crate::model::WhisperModel;

/// Settings of an [`EmbeddedWhisper`] pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolConfig {
    /// Decode threads (at least 1).
    pub workers: usize,
    /// Requests that may wait for a free worker; one more gets [`AsrError::Unavailable`].
    pub queue: usize,
    /// Decoding settings; a request's language replaces `options.language`.
    pub options: DecodeOptions,
}

impl PoolConfig {
    /// `workers` threads, a queue of 4 per worker, default decoding.
    pub fn with_workers(workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            workers,
            queue: 4 * workers,
            options: DecodeOptions::default(),
        }
    }
}

impl Default for PoolConfig {
    /// One worker per available CPU.
    fn default() -> Self {
        Self::with_workers(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

struct Job {
    audio: Arc<[i16]>,
    language: Option<String>,
    reply: oneshot::Sender<Result<Recognition, AsrError>>,
}

/// Whisper embedded in the process: a [`Recognizer`] decoding on its own threads.
///
/// Each request's 8 kHz audio is resampled to 16 kHz and transcribed greedily. Language: an
/// English-only model ("tiny.en") rejects any other language hint; a multilingual one
/// ("base") decodes in the hinted language or detects it. Hot words are ignored: biasing
/// Whisper needs them tokenized into an initial prompt, and this crate only decodes tokens
/// (it has no BPE encoder). Partial hypotheses are not produced.
pub struct EmbeddedWhisper {
    name: String,
    model: WhisperModel,
    jobs: SyncSender<Job>,
}

impl std::fmt::Debug for EmbeddedWhisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedWhisper")
            .field("name", &self.name)
            .finish()
    }
}

impl EmbeddedWhisper {
    /// Loads the model folder `dir` and starts `workers` decode threads with default settings.
    pub fn start(dir: &Path, workers: usize) -> Result<Self, WhisperError> {
        Self::start_with(dir, PoolConfig::with_workers(workers))
    }

    /// Loads the model folder `dir` and starts the pool `config` describes. The threads stop
    /// once the pool is dropped and the queue is drained.
    pub fn start_with(dir: &Path, config: PoolConfig) -> Result<Self, WhisperError> {
        let model = WhisperModel::load(dir)?;
        let (jobs, receiver) = sync_channel(config.queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..config.workers.max(1) {
            let worker = Worker {
                model: model.clone(),
                resampler: upsampler()?,
                options: config.options.clone(),
            };
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("whisper-{index}"))
                .spawn(move || worker.run(&receiver))
                .map_err(|e| {
                    WhisperError::Internal(format!("cannot start a decode thread: {e}"))
                })?;
        }
        Ok(Self {
            name: format!("whisper-{}", model.name()),
            model,
            jobs,
        })
    }

    /// Checks a request before it is queued.
    fn admit(&self, request: &AsrRequest) -> Result<Option<String>, AsrError> {
        if request.audio.is_empty() {
            return Err(AsrError::Rejected("empty audio".into()));
        }
        if request.audio.len() > MAX_AUDIO_SECONDS * PCM_RATE as usize {
            return Err(AsrError::Rejected(format!(
                "utterance longer than {MAX_AUDIO_SECONDS} s"
            )));
        }
        let Some(hint) = &request.language else {
            return Ok(None);
        };
        let code = hint
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !self.model.supports_language(&code) {
            return Err(AsrError::Rejected(format!(
                "{} cannot transcribe language {hint:?}",
                self.name
            )));
        }
        Ok(Some(code))
    }
}

impl Recognizer for EmbeddedWhisper {
    fn name(&self) -> &str {
        &self.name
    }

    fn recognize(&self, request: AsrRequest) -> BoxFuture<'_, Result<Recognition, AsrError>> {
        let queued = self.admit(&request).and_then(|language| {
            let (reply, answer) = oneshot::channel();
            let job = Job {
                audio: request.audio.clone(),
                language,
                reply,
            };
            match self.jobs.try_send(job) {
                Ok(()) => Ok(answer),
                Err(TrySendError::Full(_)) => Err(AsrError::Unavailable("busy".into())),
                Err(TrySendError::Disconnected(_)) => {
                    Err(AsrError::Unavailable("decode threads stopped".into()))
                }
            }
        });
        Box::pin(async move {
            queued?
                .await
                .unwrap_or_else(|_| Err(AsrError::Unavailable("decode thread failed".into())))
        })
    }
}

struct Worker {
    model: WhisperModel,
    resampler: Resampler,
    options: DecodeOptions,
}

impl Worker {
    fn run(mut self, receiver: &Mutex<Receiver<Job>>) {
        loop {
            let job = {
                let receiver = receiver
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                receiver.recv()
            };
            let Ok(job) = job else {
                return;
            };
            if job.reply.is_closed() {
                continue;
            }
            let result = self.recognize(&job);
            // The caller may have given up (time-out); nobody is left to tell.
            let _ = job.reply.send(result);
        }
    }

    fn recognize(&mut self, job: &Job) -> Result<Recognition, AsrError> {
        let pcm = resample_to_16k(&mut self.resampler, &job.audio);
        let mut options = self.options.clone();
        if job.language.is_some() {
            options.language.clone_from(&job.language);
        }
        let result = self.model.transcribe(&pcm, &options).map_err(|e| match e {
            WhisperError::Input(_) | WhisperError::UnsupportedLanguage(_) => {
                AsrError::Rejected(e.to_string())
            }
            other => AsrError::Unavailable(other.to_string()),
        })?;
        Ok(Recognition {
            confidence: result.confidence(),
            text: result.text,
        })
    }
}

fn upsampler() -> Result<Resampler, WhisperError> {
    Resampler::new(PCM_RATE, SAMPLE_RATE as u32, 1600)
        .map_err(|e| WhisperError::Internal(format!("resampler: {e}")))
}

/// 8 kHz 16-bit PCM to 16 kHz `f32` (-1..1) with the resampler's delay removed: the output
/// is exactly twice as long and aligned with the input.
pub fn pcm8k_to_16k(pcm: &[i16]) -> Result<Vec<f32>, WhisperError> {
    Ok(resample_to_16k(&mut upsampler()?, pcm))
}

fn resample_to_16k(resampler: &mut Resampler, pcm: &[i16]) -> Vec<f32> {
    resampler.reset();
    let delay = resampler.delay_samples();
    let mut input: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
    input.extend(std::iter::repeat_n(0.0, delay.div_ceil(2) + 1));
    let mut output = Vec::with_capacity(resampler.max_output_len(input.len()));
    resampler.process(&input, &mut output);
    output.drain(..delay.min(output.len()));
    output.truncate(pcm.len() * 2);
    output
}
