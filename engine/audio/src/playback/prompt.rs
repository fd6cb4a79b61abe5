//! Prompts decoded once: any WAV/MP3/OGG/FLAC file (or TTS output) becomes 8 kHz mono PCM cut
//! into 20 ms frames, with the G.711 encodings of every frame computed up front, and a library
//! that shares them across calls.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use voxgate_codecs::Codec;

use crate::AudioError;
use crate::resample::Resampler;

/// Sample rate of prompt PCM.
pub const PROMPT_RATE: u32 = 8_000;
/// Samples in one 20 ms prompt frame at [`PROMPT_RATE`].
pub const PROMPT_FRAME_SAMPLES: usize = 160;

/// One prompt, ready to play: 8 kHz mono PCM padded with silence to whole 20 ms frames, and
/// the same frames pre-encoded as PCMU and PCMA.
#[derive(Debug)]
pub struct Prompt {
    name: Arc<str>,
    pcm: Box<[i16]>,
    pcmu: Box<[u8]>,
    pcma: Box<[u8]>,
    audio_samples: usize,
}

impl Prompt {
    /// A prompt from 8 kHz mono samples (e.g. TTS output already at 8 kHz).
    pub fn from_pcm_8k(name: impl Into<Arc<str>>, samples: &[i16]) -> Self {
        let frames = samples.len().div_ceil(PROMPT_FRAME_SAMPLES);
        let mut pcm = vec![0i16; frames * PROMPT_FRAME_SAMPLES];
        pcm[..samples.len()].copy_from_slice(samples);
        let mut pcmu = Vec::with_capacity(pcm.len());
        let mut pcma = Vec::with_capacity(pcm.len());
        Codec::Pcmu.encode(&pcm, &mut pcmu);
        Codec::Pcma.encode(&pcm, &mut pcma);
        Self {
            name: name.into(),
            pcm: pcm.into_boxed_slice(),
            pcmu: pcmu.into_boxed_slice(),
            pcma: pcma.into_boxed_slice(),
            audio_samples: samples.len(),
        }
    }

    /// A prompt from mono samples in -1..1 at any rate, resampled to 8 kHz.
    pub fn from_samples(
        name: impl Into<Arc<str>>,
        samples: &[f32],
        rate: u32,
    ) -> Result<Self, AudioError> {
        let at_8k = resample_whole(samples, rate)?;
        let pcm: Vec<i16> = at_8k.iter().map(|&s| f32_to_i16(s)).collect();
        Ok(Self::from_pcm_8k(name, &pcm))
    }

    /// Decodes a WAV, MP3, OGG/Vorbis or FLAC file held in memory; several channels are mixed
    /// down to mono. `extension` (e.g. `"mp3"`) helps the format probe and may be omitted.
    pub fn decode(
        name: impl Into<Arc<str>>,
        bytes: Vec<u8>,
        extension: Option<&str>,
    ) -> Result<Self, AudioError> {
        let name = name.into();
        let decode_error = |message: String| AudioError::PromptDecode {
            name: name.to_string(),
            message,
        };
        let (mono, rate) = decode_mono(bytes, extension).map_err(decode_error)?;
        if mono.is_empty() {
            return Err(decode_error("no audio samples".to_string()));
        }
        Self::from_samples(name, &mono, rate)
    }

    /// Reads and decodes a prompt file; the name is the path as given (so two `hello.wav` in
    /// different folders stay two prompts).
    pub fn load(path: &Path) -> Result<Self, AudioError> {
        let bytes = std::fs::read(path).map_err(|source| AudioError::PromptUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.display().to_string();
        let extension = path.extension().and_then(|ext| ext.to_str());
        Self::decode(name, bytes, extension)
    }

    /// The prompt's name.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Number of 20 ms frames (the last one padded with silence).
    pub fn frame_count(&self) -> usize {
        self.pcm.len() / PROMPT_FRAME_SAMPLES
    }

    /// Length of the audio before padding.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.audio_samples as u64 * 1_000_000 / u64::from(PROMPT_RATE))
    }

    /// The audio's samples, without the padding of the last frame.
    pub fn samples(&self) -> &[i16] {
        &self.pcm[..self.audio_samples]
    }

    /// All samples, padded to whole frames.
    pub fn pcm(&self) -> &[i16] {
        &self.pcm
    }

    /// The samples of frame `index`, if it exists.
    pub fn pcm_frame(&self, index: usize) -> Option<&[i16]> {
        frame_of(&self.pcm, index)
    }

    /// Frame `index` pre-encoded for `codec`; `None` past the end or for a codec without a
    /// per-frame cache (stateful codecs such as Opus encode live).
    pub fn encoded_frame(&self, codec: Codec, index: usize) -> Option<&[u8]> {
        match codec {
            Codec::Pcmu => frame_of(&self.pcmu, index),
            Codec::Pcma => frame_of(&self.pcma, index),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

fn frame_of<T>(all: &[T], index: usize) -> Option<&[T]> {
    let start = index.checked_mul(PROMPT_FRAME_SAMPLES)?;
    all.get(start..start.checked_add(PROMPT_FRAME_SAMPLES)?)
}

/// Prompts by name, decoded once and shared by every call (`Arc<Prompt>`).
#[derive(Debug, Default)]
pub struct PromptLibrary {
    prompts: HashMap<Arc<str>, Arc<Prompt>>,
}

impl PromptLibrary {
    /// An empty library.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a prompt under its name and returns the shared handle.
    pub fn insert(&mut self, prompt: Prompt) -> Arc<Prompt> {
        let prompt = Arc::new(prompt);
        self.prompts
            .insert(Arc::clone(prompt.name()), Arc::clone(&prompt));
        prompt
    }

    /// Decodes a file and adds it under its path, unless it is already cached (then the file
    /// is not read again).
    pub fn load_file(&mut self, path: &Path) -> Result<Arc<Prompt>, AudioError> {
        if let Some(cached) = self.prompts.get(path.display().to_string().as_str()) {
            return Ok(Arc::clone(cached));
        }
        Ok(self.insert(Prompt::load(path)?))
    }

    /// The prompt of this name.
    pub fn get(&self, name: &str) -> Option<Arc<Prompt>> {
        self.prompts.get(name).cloned()
    }

    /// Number of prompts.
    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }
}

/// Decodes the default audio track to mono f32; returns the samples and their rate.
fn decode_mono(bytes: Vec<u8>, extension: Option<&str>) -> Result<(Vec<f32>, u32), String> {
    let mut hint = Hint::new();
    if let Some(extension) = extension {
        hint.with_extension(extension);
    }
    let source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            source,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|err| err.to_string())?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or("no audio track")?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|params| params.audio())
        .ok_or("no audio codec parameters")?;
    let mut rate = params.sample_rate;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|err| err.to_string())?;
    let mut mono = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // Some demuxers report the end of a stream as an unexpected EOF.
            Err(DecodeError::IoError(err)) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(err) => return Err(err.to_string()),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            // A corrupt packet in a long file: skip it, as players do.
            Err(DecodeError::DecodeError(_)) => continue,
            Err(err) => return Err(err.to_string()),
        };
        let channels = buffer.spec().channels().count().max(1);
        rate = Some(buffer.spec().rate());
        interleaved.resize(buffer.samples_interleaved(), 0.0);
        buffer.copy_to_slice_interleaved(&mut interleaved);
        mono.extend(
            interleaved
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
    }
    let rate = rate.filter(|&rate| rate > 0).ok_or("unknown sample rate")?;
    Ok((mono, rate))
}

/// Resamples a whole clip to [`PROMPT_RATE`], compensating the filter delay so the output is
/// aligned with the input and as long as it should be.
fn resample_whole(samples: &[f32], rate: u32) -> Result<Vec<f32>, AudioError> {
    if rate == PROMPT_RATE {
        return Ok(samples.to_vec());
    }
    const STEP: usize = 4_096;
    let mut resampler = Resampler::new(rate, PROMPT_RATE, STEP)?;
    let delay = resampler.delay_samples();
    let wanted = (samples.len() as u64 * u64::from(PROMPT_RATE) / u64::from(rate)) as usize;
    let mut out = Vec::with_capacity(wanted + delay + 2);
    let mut chunk = Vec::with_capacity(resampler.max_output_len(STEP));
    let flush = vec![0.0f32; (delay + 2) * rate as usize / PROMPT_RATE as usize + 1];
    for piece in samples.chunks(STEP).chain(flush.chunks(STEP)) {
        resampler.process(piece, &mut chunk);
        out.extend_from_slice(&chunk);
    }
    let end = (delay + wanted).min(out.len());
    Ok(out.get(delay..end).map(<[f32]>::to_vec).unwrap_or_default())
}

/// Converts a sample in -1..1 to i16, saturating.
pub(crate) fn f32_to_i16(sample: f32) -> i16 {
    (sample * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
}
