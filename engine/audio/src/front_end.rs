//! The voice front end of one call: the callee's decoded audio in 10 ms frames goes through an
//! optional noise suppressor and a voice activity detector into the [`Endpointer`], and the
//! utterances it finds come out with their audio.
//!
//! ```text
//! i16 @ input rate (8 kHz G.711, 48 kHz Opus)
//!   -> f32 -> [resample -> noise suppressor -> resample] -> re-chunk -> VAD -> Endpointer
//!   -> 8 kHz i16 history -> utterance segments (pre-roll + speech + post-roll)
//! ```
//!
//! Each 10 ms frame gets the probability of the latest complete VAD chunk, so a detector with
//! 32 ms chunks adds up to one chunk of latency (at most 4 frames) on top of `min_speech_ms`.
//! The utterance audio is the raw (not denoised) callee audio at 8 kHz: recognisers are trained
//! on natural noise, not on suppressor artefacts.
//!
//! Every buffer is sized in [`VoiceFrontEnd::new`]; pushing a frame allocates nothing. The only
//! allocation is one vector per finished utterance, the segment handed to the caller.

mod utterance_audio;

use std::time::{Duration, Instant};

use crate::AudioError;
use crate::denoise::NoiseSuppressor;
use crate::endpointing::{
    Endpointer, EndpointingConfig, EndpointingOverrides, FRAME, FRAME_MS, VoiceEvent,
};
use crate::playback::f32_to_i16;
use crate::resample::Resampler;
use crate::vad::VoiceActivityDetector;
use utterance_audio::UtteranceAudio;

/// Rate of the utterance audio handed out.
pub const UTTERANCE_RATE: u32 = 8_000;

/// Settings of a front end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrontEndConfig {
    /// Rate of the PCM pushed in: 8000 for G.711, 48000 for Opus (any multiple of 100 Hz).
    pub input_rate: u32,
    /// The campaign's endpointing settings.
    pub endpointing: EndpointingConfig,
    /// Audio kept before the speech onset in each utterance segment. Default 300 ms.
    pub pre_roll_ms: u32,
    /// Audio kept after the last voiced frame (at most `end_silence_ms` exists). Default 300 ms.
    pub post_roll_ms: u32,
}

impl Default for FrontEndConfig {
    fn default() -> Self {
        Self {
            input_rate: 8_000,
            endpointing: EndpointingConfig::default(),
            pre_roll_ms: 300,
            post_roll_ms: 300,
        }
    }
}

/// A resampling step that may be a no-op, with its own output buffer.
#[derive(Debug)]
struct RateStep {
    resampler: Option<Resampler>,
    out: Vec<f32>,
}

impl RateStep {
    fn new(from_hz: u32, to_hz: u32, max_input: usize) -> Result<Self, AudioError> {
        if from_hz == to_hz {
            return Ok(Self {
                resampler: None,
                out: Vec::new(),
            });
        }
        let resampler = Resampler::new(from_hz, to_hz, max_input)?;
        let out = Vec::with_capacity(resampler.max_output_len(max_input) + 1);
        Ok(Self {
            resampler: Some(resampler),
            out,
        })
    }

    fn max_output(&self, input: usize) -> usize {
        self.resampler
            .as_ref()
            .map_or(input, |resampler| resampler.max_output_len(input) + 1)
    }

    fn run<'a>(&'a mut self, input: &'a [f32]) -> &'a [f32] {
        match &mut self.resampler {
            Some(resampler) => {
                resampler.process(input, &mut self.out);
                &self.out
            }
            None => input,
        }
    }
}

/// Noise suppression at the suppressor's rate and frame size, between two rate steps.
struct SuppressorStage {
    suppressor: Box<dyn NoiseSuppressor>,
    to_suppressor: RateStep,
    pending: Vec<f32>,
    cleaned: Vec<f32>,
    to_vad: RateStep,
}

impl SuppressorStage {
    fn run<'a>(&'a mut self, input: &'a [f32]) -> &'a [f32] {
        self.pending
            .extend_from_slice(self.to_suppressor.run(input));
        self.cleaned.clear();
        let size = self.suppressor.frame_samples();
        let mut offset = 0;
        while self.pending.len() - offset >= size {
            let frame = &mut self.pending[offset..offset + size];
            self.suppressor.process(frame);
            self.cleaned.extend_from_slice(frame);
            offset += size;
        }
        self.pending.drain(..offset);
        self.to_vad.run(&self.cleaned)
    }
}

/// Where the VAD's input comes from.
enum VadSource {
    /// The input itself (its rate is the VAD's).
    Input,
    /// The 8 kHz copy made for the utterance audio.
    EightKilohertz,
    /// The input resampled to the VAD's rate.
    Resampled(RateStep),
    /// The input through the noise suppressor.
    Suppressed(Box<SuppressorStage>),
}

/// The voice front end of one call. See the module docs.
pub struct VoiceFrontEnd {
    input_rate: u32,
    input_frame: usize,
    endpointer: Endpointer,
    vad: Box<dyn VoiceActivityDetector>,
    vad_chunk: usize,
    source: VadSource,
    to_8k: RateStep,
    input_f32: Vec<f32>,
    pcm_8k: Vec<i16>,
    vad_pending: Vec<f32>,
    probability: f32,
    audio: UtteranceAudio,
    last_audio: Option<Vec<i16>>,
}

impl std::fmt::Debug for VoiceFrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceFrontEnd")
            .field("input_rate", &self.input_rate)
            .field("vad_rate", &self.vad.sample_rate())
            .field("probability", &self.probability)
            .field("endpointer", &self.endpointer)
            .finish_non_exhaustive()
    }
}

impl VoiceFrontEnd {
    /// Builds the pipeline for one call around its own VAD and optional noise suppressor.
    pub fn new(
        config: FrontEndConfig,
        vad: Box<dyn VoiceActivityDetector>,
        suppressor: Option<Box<dyn NoiseSuppressor>>,
    ) -> Result<Self, AudioError> {
        config.endpointing.validate()?;
        let input_rate = config.input_rate;
        if input_rate == 0 || !input_rate.is_multiple_of(100) {
            return Err(AudioError::InvalidConfig(format!(
                "input rate {input_rate} Hz is not a positive multiple of 100 Hz"
            )));
        }
        let vad_rate = vad.sample_rate();
        let vad_chunk = vad.chunk_samples();
        if vad_chunk == 0 || vad_rate == 0 {
            return Err(AudioError::InvalidConfig(
                "the VAD reports a zero chunk size or rate".to_string(),
            ));
        }
        let input_frame = input_rate as usize / 100;
        let to_8k = RateStep::new(input_rate, UTTERANCE_RATE, input_frame)?;
        let (source, vad_step_max) = match suppressor {
            Some(suppressor) => {
                let stage = suppressor_stage(suppressor, input_rate, input_frame, vad_rate)?;
                let max = stage.to_vad.max_output(stage.cleaned.capacity());
                (VadSource::Suppressed(Box::new(stage)), max)
            }
            None if vad_rate == input_rate => (VadSource::Input, input_frame),
            None if vad_rate == UTTERANCE_RATE => {
                (VadSource::EightKilohertz, to_8k.max_output(input_frame))
            }
            None => {
                let step = RateStep::new(input_rate, vad_rate, input_frame)?;
                let max = step.max_output(input_frame);
                (VadSource::Resampled(step), max)
            }
        };
        let per_ms = |ms: u32| ms as usize * UTTERANCE_RATE as usize / 1000;
        let endpointing = config.endpointing;
        let ring_ms = config.pre_roll_ms + endpointing.min_speech_ms.max(1_000) + 1_000;
        let capture_ms = config.pre_roll_ms
            + endpointing.max_utterance_ms
            + endpointing.end_silence_ms
            + config.post_roll_ms.min(endpointing.end_silence_ms)
            + 100;
        let frame_8k = per_ms(FRAME_MS);
        Ok(Self {
            input_rate,
            input_frame,
            endpointer: Endpointer::new(endpointing),
            vad,
            vad_chunk,
            source,
            input_f32: Vec::with_capacity(input_frame),
            pcm_8k: Vec::with_capacity(to_8k.max_output(input_frame)),
            to_8k,
            vad_pending: Vec::with_capacity(vad_chunk + vad_step_max),
            probability: 0.0,
            audio: UtteranceAudio::new(
                frame_8k,
                per_ms(ring_ms),
                per_ms(capture_ms),
                per_ms(config.pre_roll_ms),
                per_ms(config.post_roll_ms),
            ),
            last_audio: None,
        })
    }

    /// Rate of the PCM [`VoiceFrontEnd::push_frame`] takes.
    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// The endpointer (read-only), e.g. to see the settings in force.
    pub fn endpointer(&self) -> &Endpointer {
        &self.endpointer
    }

    /// The latest speech probability from the VAD.
    pub fn speech_probability(&self) -> f32 {
        self.probability
    }

    /// Pushes the callee's audio taken at `now`: one or more whole 10 ms frames at the input
    /// rate (a 20 ms RTP frame is two; the second is timed `now + 10 ms`). Then drain
    /// [`VoiceFrontEnd::poll_event`]. A VAD failure on a chunk keeps the previous probability
    /// for it, processes the rest, and is returned at the end.
    pub fn push_frame(&mut self, now: Instant, pcm: &[i16]) -> Result<(), AudioError> {
        if pcm.is_empty() || !pcm.len().is_multiple_of(self.input_frame) {
            return Err(AudioError::FrameLength {
                expected: self.input_frame,
                actual: pcm.len(),
            });
        }
        let mut first_error = None;
        let mut at = now;
        for frame in pcm.chunks_exact(self.input_frame) {
            if let Err(err) = self.push_one(at, frame) {
                first_error.get_or_insert(err);
            }
            at = at.checked_add(FRAME).unwrap_or(at);
        }
        first_error.map_or(Ok(()), Err)
    }

    fn push_one(&mut self, now: Instant, frame: &[i16]) -> Result<(), AudioError> {
        self.input_f32.clear();
        self.input_f32
            .extend(frame.iter().map(|&s| f32::from(s) / 32_768.0));
        let pcm_8k: &[i16] = if self.to_8k.resampler.is_some() {
            let resampled = self.to_8k.run(&self.input_f32);
            self.pcm_8k.clear();
            self.pcm_8k.extend(resampled.iter().map(|&s| f32_to_i16(s)));
            &self.pcm_8k
        } else {
            frame
        };
        self.audio.push(pcm_8k);

        let vad_input: &[f32] = match &mut self.source {
            VadSource::Input => &self.input_f32,
            VadSource::EightKilohertz => &self.to_8k.out,
            VadSource::Resampled(step) => step.run(&self.input_f32),
            VadSource::Suppressed(stage) => stage.run(&self.input_f32),
        };
        self.vad_pending.extend_from_slice(vad_input);
        let mut error = None;
        let mut offset = 0;
        while self.vad_pending.len() - offset >= self.vad_chunk {
            match self
                .vad
                .process(&self.vad_pending[offset..offset + self.vad_chunk])
            {
                Ok(p) if p.is_nan() => self.probability = 0.0,
                Ok(p) => self.probability = p.clamp(0.0, 1.0),
                Err(err) => {
                    error.get_or_insert(err);
                }
            }
            offset += self.vad_chunk;
        }
        self.vad_pending.drain(..offset);

        if let Some(edge) = self.endpointer.push_frame(now, self.probability) {
            let current = self.endpointer.frames_seen() - 1;
            self.audio.on_edge(&edge, current);
        }
        error.map_or(Ok(()), |err| Err(AudioError::Vad(err)))
    }

    /// The next voice event, oldest first. After an `UtteranceEnded`, its audio is available
    /// from [`VoiceFrontEnd::take_utterance_audio`] until the next `UtteranceEnded` is polled.
    pub fn poll_event(&mut self) -> Option<VoiceEvent> {
        let event = self.endpointer.poll_event()?;
        if matches!(event, VoiceEvent::UtteranceEnded(_)) {
            self.last_audio = self.audio.pop_ready();
        }
        Some(event)
    }

    /// The 8 kHz audio of the utterance last polled (pre-roll, speech, post-roll), once.
    pub fn take_utterance_audio(&mut self) -> Option<Vec<i16>> {
        self.last_audio.take()
    }

    /// A prompt starts playing; see [`Endpointer::prompt_started`].
    pub fn prompt_started(&mut self, now: Instant, overrides: &EndpointingOverrides) {
        self.endpointer.prompt_started(now, overrides);
    }

    /// The prompt finished or was stopped; see [`Endpointer::prompt_finished`].
    pub fn prompt_finished(&mut self, now: Instant) {
        self.endpointer.prompt_finished(now);
    }

    /// Wait for the callee; see [`Endpointer::listen`].
    pub fn listen(&mut self, now: Instant, overrides: &EndpointingOverrides) {
        self.endpointer.listen(now, overrides);
    }

    /// Stop waiting; see [`Endpointer::stop_listening`].
    pub fn stop_listening(&mut self) {
        self.endpointer.stop_listening();
    }

    /// When [`VoiceFrontEnd::handle_timeout`] next has work (no-input), if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.endpointer.poll_timeout()
    }

    /// Fires a due no-input deadline when no frames arrive.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.endpointer.handle_timeout(now);
    }

    /// Latency the resamplers and noise suppressor add before the VAD sees a sample (not
    /// counting the VAD chunk).
    pub fn analysis_delay(&self) -> Duration {
        let delay = |step: &RateStep| {
            step.resampler.as_ref().map_or(Duration::ZERO, |r| {
                Duration::from_micros(r.delay_samples() as u64 * 1_000_000 / u64::from(r.to_hz()))
            })
        };
        match &self.source {
            VadSource::Input => Duration::ZERO,
            VadSource::EightKilohertz => delay(&self.to_8k),
            VadSource::Resampled(step) => delay(step),
            VadSource::Suppressed(stage) => delay(&stage.to_suppressor) + delay(&stage.to_vad),
        }
    }
}

fn suppressor_stage(
    suppressor: Box<dyn NoiseSuppressor>,
    input_rate: u32,
    input_frame: usize,
    vad_rate: u32,
) -> Result<SuppressorStage, AudioError> {
    let rate = suppressor.sample_rate();
    let size = suppressor.frame_samples();
    if rate == 0 || size == 0 {
        return Err(AudioError::InvalidConfig(
            "the noise suppressor reports a zero frame size or rate".to_string(),
        ));
    }
    let to_suppressor = RateStep::new(input_rate, rate, input_frame)?;
    let pending_max = size + to_suppressor.max_output(input_frame);
    Ok(SuppressorStage {
        suppressor,
        to_suppressor,
        pending: Vec::with_capacity(pending_max),
        cleaned: Vec::with_capacity(pending_max),
        to_vad: RateStep::new(rate, vad_rate, pending_max)?,
    })
}
