//! The streaming detector: Goertzel filters on 10 ms frames, runs of tone frames per band,
//! and the three-segment sequence check.
//!
//! Each 10 ms frame is tested for each of the three SIT bands: the band's best filter must hold
//! most of the frame's energy ([`MIN_TONE_RATIO`]) at a usable level ([`MIN_TONE_AMPLITUDE`]).
//! Consecutive tone frames of one band form a run, bridging up to [`MAX_GAP_FRAMES`] frames
//! without tone (two lost 20 ms packets). A run's length is refined to the millisecond from
//! the partial frames at its edges (the tone's amplitude there relative to its mean), and its
//! frequency is measured from the phase advance of the Goertzel output from frame to frame,
//! which resolves well below the 100 Hz bin width of a 10 ms frame.

use crate::AudioError;
use crate::sit::{DBM0_PEAK, FIRST_HZ, SECOND_HZ, SitCategory, SitSegment, SitTone, THIRD_HZ};

/// Frame length (ms).
const FRAME_MS: u32 = 10;
/// Share of a frame's energy the band's filter must hold for a tone frame. A valid SIT
/// frequency off by 1.5 % still gives 0.78; speech, DTMF pairs and noise stay well below.
const MIN_TONE_RATIO: f32 = 0.6;
/// Minimum tone peak amplitude: -40 dBm0 (SITs are sent at -24 dBm0 nominal).
const MIN_TONE_AMPLITUDE: f32 = DBM0_PEAK * 0.01;
/// Frames without tone bridged inside a segment: two lost 20 ms packets, plus the frame
/// they leave only partly filled when they do not fall on the 10 ms frame grid.
const MAX_GAP_FRAMES: u64 = 5;
/// Frames without tone allowed between segments (E.180's 30 ms plus lost packets).
const MAX_INTER_SEGMENT_FRAMES: u64 = 8;
/// Accepted segment durations (ms): short 230-350, long 300-450 (see [`SitCategory`]'s table).
const MIN_SEGMENT_MS: u32 = 230;
/// Longest accepted segment (ms).
const MAX_SEGMENT_MS: u32 = 450;
/// Accepted deviation from a nominal frequency: the 1.5 % of the requirement plus margin
/// for the measurement.
const FREQUENCY_TOLERANCE: f32 = 0.02;
/// Largest level difference between the three segments (E.180 allows 3 dB at the source;
/// the line's slope adds to it): 9 dB as an amplitude ratio.
const MAX_LEVEL_SPREAD: f32 = 2.82;

/// The five filters: band 0 (first segment) low and high, band 1 low and high, band 2.
const FILTER_HZ: [f32; 5] = [
    FIRST_HZ[0],
    FIRST_HZ[1],
    SECOND_HZ[0],
    SECOND_HZ[1],
    THIRD_HZ,
];
/// The filters of each band, as a range into [`FILTER_HZ`].
const BAND_FILTERS: [(usize, usize); 3] = [(0, 2), (2, 4), (4, 5)];

/// A Goertzel filter's per-frame state and constants.
#[derive(Debug, Clone, Copy)]
struct Goertzel {
    coeff: f32,
    cos: f32,
    sin: f32,
    s1: f32,
    s2: f32,
}

impl Goertzel {
    fn new(frequency_hz: f32, sample_rate: u32) -> Goertzel {
        let omega = std::f32::consts::TAU * frequency_hz / sample_rate as f32;
        Goertzel {
            coeff: 2.0 * omega.cos(),
            cos: omega.cos(),
            sin: omega.sin(),
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// The frame's DFT value at the filter frequency (times a phase constant the same every
    /// frame), and a clean state for the next frame.
    fn finish(&mut self) -> (f32, f32) {
        let out = (self.s1 - self.cos * self.s2, self.sin * self.s2);
        (self.s1, self.s2) = (0.0, 0.0);
        out
    }
}

/// The run of tone frames of one band being measured.
#[derive(Debug, Clone, Copy)]
struct Run {
    band: usize,
    first: u64,
    last: u64,
    frames: u32,
    amplitude_sum: f32,
    /// Band amplitude in the frame before `first`.
    lead_amplitude: f32,
    /// Band amplitude in the frame after `last` (while it is the latest frame).
    trail_amplitude: f32,
    /// Per filter of the band: energy, and the sum of X(n) * conj(X(n-1)) over adjacent frames.
    energy: [f32; 2],
    advance: [(f32, f32); 2],
}

/// A closed, validated segment.
#[derive(Debug, Clone, Copy)]
struct Segment {
    band: usize,
    first: u64,
    last: u64,
    amplitude: f32,
    high: bool,
    measured: SitSegment,
}

/// Streaming SIT detector for one call's early media; see the [module docs](crate::sit).
///
/// Feed decoded mono PCM with [`push`](Self::push) in chunks of any size; it returns the
/// first complete SIT once, then stays latched (returning `None`) until [`reset`](Self::reset).
/// Pushing never allocates.
#[derive(Debug, Clone)]
pub struct SitDetector {
    sample_rate: u32,
    frame_len: u32,
    filters: [Goertzel; 5],
    energy: f32,
    filled: u32,
    frame: u64,
    previous: [(f32, f32); 5],
    previous_band_amplitude: [f32; 3],
    run: Option<Run>,
    segments: [Option<Segment>; 2],
    detected: Option<SitTone>,
}

impl SitDetector {
    /// A detector for PCM at `sample_rate` Hz: a multiple of 100 from 8,000 to 48,000
    /// (telephony uses 8,000 or 16,000).
    pub fn new(sample_rate: u32) -> Result<SitDetector, AudioError> {
        if !(8_000..=48_000).contains(&sample_rate) || !sample_rate.is_multiple_of(100) {
            return Err(AudioError::InvalidConfig(format!(
                "SIT detector sample rate {sample_rate} Hz: expected a multiple of 100 Hz \
                 from 8000 to 48000"
            )));
        }
        Ok(SitDetector::fresh(sample_rate))
    }

    /// The sample rate given to [`new`](Self::new).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The SIT found so far, if any (what [`push`](Self::push) returned).
    pub fn detected(&self) -> Option<&SitTone> {
        self.detected.as_ref()
    }

    /// Forgets everything (partial frame, segments, a detection), e.g. for the next call.
    pub fn reset(&mut self) {
        *self = SitDetector::fresh(self.sample_rate);
    }

    /// A detector in its initial state for a validated rate.
    fn fresh(sample_rate: u32) -> SitDetector {
        SitDetector {
            sample_rate,
            frame_len: sample_rate / 100,
            filters: FILTER_HZ.map(|hz| Goertzel::new(hz, sample_rate)),
            energy: 0.0,
            filled: 0,
            frame: 0,
            previous: [(0.0, 0.0); 5],
            previous_band_amplitude: [0.0; 3],
            run: None,
            segments: [None; 2],
            detected: None,
        }
    }

    /// Feeds the next samples; returns the SIT when its third segment has ended (within
    /// 60 ms of its end). Returns it only once.
    pub fn push(&mut self, samples: &[i16]) -> Option<SitTone> {
        if self.detected.is_some() {
            return None;
        }
        for &sample in samples {
            let x = f32::from(sample);
            self.energy += x * x;
            for filter in &mut self.filters {
                let s0 = x + filter.coeff * filter.s1 - filter.s2;
                (filter.s2, filter.s1) = (filter.s1, s0);
            }
            self.filled += 1;
            if self.filled == self.frame_len
                && let Some(tone) = self.end_frame()
            {
                self.detected = Some(tone);
                return Some(tone);
            }
        }
        None
    }

    /// Classifies the completed frame and advances the run and sequence state.
    fn end_frame(&mut self) -> Option<SitTone> {
        let n = self.frame_len as f32;
        let outputs = self.filters.each_mut().map(Goertzel::finish);
        let power = outputs.map(|(re, im)| re * re + im * im);
        let total = std::mem::take(&mut self.energy);
        self.filled = 0;
        let mut band_amplitude = [0.0; 3];
        let mut tone = None;
        for (band, &(from, to)) in BAND_FILTERS.iter().enumerate() {
            let best = power[from..to].iter().copied().fold(0.0, f32::max);
            band_amplitude[band] = 2.0 * best.sqrt() / n;
            if total > 0.0
                && 2.0 * best / (n * total) >= MIN_TONE_RATIO
                && band_amplitude[band] >= MIN_TONE_AMPLITUDE
            {
                tone = Some(band);
            }
        }
        let result = self.track(tone, &outputs, &power, &band_amplitude);
        self.previous = outputs;
        self.previous_band_amplitude = band_amplitude;
        self.frame += 1;
        result
    }

    /// Extends, bridges, closes or starts the run for this frame's classification.
    fn track(
        &mut self,
        tone: Option<usize>,
        outputs: &[(f32, f32); 5],
        power: &[f32; 5],
        band_amplitude: &[f32; 3],
    ) -> Option<SitTone> {
        let frame = self.frame;
        let mut result = None;
        if let Some(run) = &mut self.run {
            if tone == Some(run.band) {
                let (from, _) = BAND_FILTERS[run.band];
                let adjacent = run.last + 1 == frame;
                for (i, k) in (from..BAND_FILTERS[run.band].1).enumerate() {
                    run.energy[i] += power[k];
                    if adjacent {
                        let ((a, b), (c, d)) = (outputs[k], self.previous[k]);
                        run.advance[i].0 += a * c + b * d;
                        run.advance[i].1 += b * c - a * d;
                    }
                }
                run.last = frame;
                run.frames += 1;
                run.amplitude_sum += band_amplitude[run.band];
                return None;
            }
            if run.last + 1 == frame {
                run.trail_amplitude = band_amplitude[run.band];
            }
            if tone.is_some() || frame - run.last > MAX_GAP_FRAMES {
                let closed = *run;
                self.run = None;
                result = self.close(&closed);
            }
        }
        if let Some(band) = tone
            && self.run.is_none()
        {
            let (from, to) = BAND_FILTERS[band];
            let mut energy = [0.0; 2];
            energy[..to - from].copy_from_slice(&power[from..to]);
            self.run = Some(Run {
                band,
                first: frame,
                last: frame,
                frames: 1,
                amplitude_sum: band_amplitude[band],
                lead_amplitude: self.previous_band_amplitude[band],
                trail_amplitude: 0.0,
                energy,
                advance: [(0.0, 0.0); 2],
            });
        }
        result
    }

    /// Measures and validates a finished run, then checks the sequence.
    fn close(&mut self, run: &Run) -> Option<SitTone> {
        match self.measure(run) {
            Some(segment) => self.sequence(segment),
            None => {
                self.segments = [None; 2];
                None
            }
        }
    }

    /// Duration and frequency of a run; `None` if either is outside the SIT ranges.
    fn measure(&self, run: &Run) -> Option<Segment> {
        let mean = run.amplitude_sum / run.frames as f32;
        let edge = |amplitude: f32| (amplitude / mean).clamp(0.0, 1.0);
        let frames = (run.last - run.first + 1) as f32
            + edge(run.lead_amplitude)
            + edge(run.trail_amplitude);
        let duration_ms = (frames * FRAME_MS as f32).round() as u32;
        if !(MIN_SEGMENT_MS..=MAX_SEGMENT_MS).contains(&duration_ms) {
            return None;
        }
        let (from, to) = BAND_FILTERS[run.band];
        let strongest = usize::from(to - from == 2 && run.energy[1] > run.energy[0]);
        let (re, im) = run.advance[strongest];
        if re == 0.0 && im == 0.0 {
            return None;
        }
        // Over one frame a tone at f advances by f * 10 ms cycles; the filter's own frequency
        // fixes the whole cycles (a tone frame is within 40 Hz of its filter).
        let frame_s = FRAME_MS as f32 / 1000.0;
        let cycles = FILTER_HZ[from + strongest] * frame_s;
        let mut offset = im.atan2(re) / std::f32::consts::TAU - cycles.fract();
        offset -= offset.round();
        let frequency_hz = (cycles + offset) / frame_s;
        let nominal = &FILTER_HZ[from..to];
        let high = nominal
            .iter()
            .position(|&hz| (frequency_hz - hz).abs() <= hz * FREQUENCY_TOLERANCE)
            .map(|i| i == 1)?;
        Some(Segment {
            band: run.band,
            first: run.first,
            last: run.last,
            amplitude: mean,
            high,
            measured: SitSegment {
                frequency_hz,
                duration_ms,
            },
        })
    }

    /// Adds a valid segment to the sequence; returns the SIT when it completes.
    fn sequence(&mut self, segment: Segment) -> Option<SitTone> {
        let follows = |before: &Option<Segment>| {
            before.is_some_and(|b| {
                b.band + 1 == segment.band
                    && segment.first.saturating_sub(b.last) <= MAX_INTER_SEGMENT_FRAMES + 1
            })
        };
        match segment.band {
            0 => self.segments = [Some(segment), None],
            1 if self.segments[1].is_none() && follows(&self.segments[0]) => {
                self.segments[1] = Some(segment);
            }
            2 if follows(&self.segments[1]) => {
                let [Some(first), Some(second)] = std::mem::take(&mut self.segments) else {
                    return None;
                };
                let levels = [first.amplitude, second.amplitude, segment.amplitude];
                let loudest = levels.iter().copied().fold(0.0, f32::max);
                let quietest = levels.iter().copied().fold(f32::MAX, f32::min);
                if loudest > quietest * MAX_LEVEL_SPREAD {
                    return None;
                }
                let class = |s: &Segment| (s.high, s.measured.duration_ms);
                return Some(SitTone {
                    category: SitCategory::of_segments(class(&first), class(&second)),
                    segments: [first.measured, second.measured, segment.measured],
                });
            }
            _ => self.segments = [None; 2],
        }
        None
    }
}
