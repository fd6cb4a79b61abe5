//! Noises synthesised in code, deterministic for a seed. Every generator returns samples
//! normalised to unit mean power (RMS 1.0); the mixer scales them to the wanted SNR.

use std::f32::consts::TAU;

use crate::SAMPLE_RATE;

/// The noise types of the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoiseKind {
    /// Flat-spectrum Gaussian noise.
    White,
    /// 1/f noise (Paul Kellet's filter on white noise).
    Pink,
    /// 1/f² noise (leaky integral of white noise): rumble, traffic-like.
    Brown,
    /// Crowd babble: 24 overlapping talkers (six espeak-ng voices in four languages, four
    /// loops each at similar levels), no single voice intelligible: a canteen or call centre.
    Babble,
    /// Background conversation: the six talkers once each at uneven levels, so one or two
    /// voices stand out at times. This *is* speech; a VAD is expected to hear it.
    Conversation,
    /// Chords of harmonic tones with note envelopes: hold music.
    Music,
    /// 50 Hz mains hum with odd harmonics plus 100 Hz rectifier hum.
    Hum,
    /// Sparse sharp clicks over faint hiss: a bad line or a relay.
    Clicks,
    /// Bursts of short decaying impulses in typing rhythm.
    Keyboard,
}

impl NoiseKind {
    /// All kinds, in table order.
    pub const ALL: [Self; 9] = [
        Self::White,
        Self::Pink,
        Self::Brown,
        Self::Babble,
        Self::Conversation,
        Self::Music,
        Self::Hum,
        Self::Clicks,
        Self::Keyboard,
    ];

    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::White => "white",
            Self::Pink => "pink",
            Self::Brown => "brown",
            Self::Babble => "babble",
            Self::Conversation => "conversation",
            Self::Music => "music",
            Self::Hum => "hum",
            Self::Clicks => "clicks",
            Self::Keyboard => "keyboard",
        }
    }
}

/// A small deterministic generator (xorshift64*), enough for noise.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in 0..1.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `low..high`.
    pub fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    /// Uniform index in `0..len` (`len` > 0).
    pub fn index(&mut self, len: usize) -> usize {
        (self.next_u64() % len.max(1) as u64) as usize
    }

    /// Standard normal (Box-Muller).
    pub fn gaussian(&mut self) -> f32 {
        let u1 = self.unit().max(1e-7);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
    }
}

/// `samples` of noise of `kind`, unit power. `talkers` are the babble voices (8 kHz speech);
/// other kinds ignore them.
pub fn generate(kind: NoiseKind, samples: usize, seed: u64, talkers: &[Vec<f32>]) -> Vec<f32> {
    let mut rng = Rng::new(seed ^ kind as u64);
    let mut noise = match kind {
        NoiseKind::White => (0..samples).map(|_| rng.gaussian()).collect(),
        NoiseKind::Pink => pink(samples, &mut rng),
        NoiseKind::Brown => brown(samples, &mut rng),
        NoiseKind::Babble => babble(samples, &mut rng, talkers, 4, 0.8),
        NoiseKind::Conversation => babble(samples, &mut rng, talkers, 1, 0.6),
        NoiseKind::Music => music(samples, &mut rng),
        NoiseKind::Hum => hum(samples, &mut rng),
        NoiseKind::Clicks => clicks(samples, &mut rng),
        NoiseKind::Keyboard => keyboard(samples, &mut rng),
    };
    normalise(&mut noise);
    noise
}

/// Scales to unit mean power (a silent signal stays silent).
pub fn normalise(samples: &mut [f32]) {
    let power = mean_power(samples);
    if power > 0.0 {
        let gain = 1.0 / power.sqrt();
        samples.iter_mut().for_each(|sample| *sample *= gain);
    }
}

/// Mean of the squared samples.
pub fn mean_power(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples
        .iter()
        .map(|&sample| f64::from(sample) * f64::from(sample))
        .sum();
    (sum / samples.len() as f64) as f32
}

fn pink(samples: usize, rng: &mut Rng) -> Vec<f32> {
    let mut b = [0.0f32; 7];
    (0..samples)
        .map(|_| {
            let white = rng.gaussian();
            b[0] = 0.99886 * b[0] + white * 0.0555179;
            b[1] = 0.99332 * b[1] + white * 0.0750759;
            b[2] = 0.96900 * b[2] + white * 0.153852;
            b[3] = 0.86650 * b[3] + white * 0.3104856;
            b[4] = 0.55000 * b[4] + white * 0.5329522;
            b[5] = -0.7616 * b[5] - white * 0.0168980;
            let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362;
            b[6] = white * 0.115926;
            out
        })
        .collect()
}

fn brown(samples: usize, rng: &mut Rng) -> Vec<f32> {
    let mut level = 0.0f32;
    (0..samples)
        .map(|_| {
            // The leak keeps it from drifting: a pole at ~2.5 Hz, then 1/f² above.
            level = 0.998 * level + 0.05 * rng.gaussian();
            level
        })
        .collect()
}

/// `copies` loops of every talker, each from a random offset at a random level in
/// `min_gain..1`, summed.
fn babble(
    samples: usize,
    rng: &mut Rng,
    talkers: &[Vec<f32>],
    copies: usize,
    min_gain: f32,
) -> Vec<f32> {
    let mut mix = vec![0.0f32; samples];
    for talker in talkers.iter().filter(|talker| !talker.is_empty()) {
        for _ in 0..copies {
            let gain = rng.range(min_gain, 1.0);
            let mut position = rng.index(talker.len());
            for sample in mix.iter_mut() {
                *sample += gain * talker[position];
                position = (position + 1) % talker.len();
            }
        }
    }
    mix
}

fn music(samples: usize, rng: &mut Rng) -> Vec<f32> {
    // A pentatonic scale around A3-A5; one chord of three notes every 250-500 ms.
    const SCALE: [f32; 10] = [
        220.0, 247.5, 277.2, 330.0, 370.0, 440.0, 495.0, 554.4, 660.0, 740.0,
    ];
    let rate = SAMPLE_RATE as f32;
    let mut out = vec![0.0f32; samples];
    let mut start = 0usize;
    while start < samples {
        let length = (rng.range(0.25, 0.5) * rate) as usize;
        let notes: Vec<f32> = (0..3).map(|_| SCALE[rng.index(SCALE.len())]).collect();
        for (offset, sample) in out.iter_mut().skip(start).take(length).enumerate() {
            let t = offset as f32 / rate;
            // Fast attack, exponential decay: plucked or struck tones.
            let envelope = (t / 0.01).min(1.0) * (-t * 4.0).exp();
            let mut value = 0.0;
            for &frequency in &notes {
                for harmonic in 1..=4 {
                    let h = harmonic as f32;
                    value += (TAU * frequency * h * t).sin() / (h * h);
                }
            }
            *sample += envelope * value;
        }
        start += length;
    }
    out
}

fn hum(samples: usize, rng: &mut Rng) -> Vec<f32> {
    let rate = SAMPLE_RATE as f32;
    let phase = rng.range(0.0, TAU);
    (0..samples)
        .map(|index| {
            let t = index as f32 / rate;
            let mains: f32 = [(1.0, 1.0), (3.0, 0.5), (5.0, 0.3), (7.0, 0.15)]
                .iter()
                .map(|&(harmonic, level)| level * (TAU * 50.0 * harmonic * t + phase).sin())
                .sum();
            let rectifier = 0.7 * (TAU * 100.0 * t).sin() + 0.2 * (TAU * 200.0 * t).sin();
            mains + rectifier + 0.01 * rng.gaussian()
        })
        .collect()
}

fn clicks(samples: usize, rng: &mut Rng) -> Vec<f32> {
    let mut out: Vec<f32> = (0..samples).map(|_| 0.005 * rng.gaussian()).collect();
    let mut at = 0usize;
    loop {
        // About four clicks a second, 1-3 ms each.
        at += (rng.range(0.05, 0.45) * SAMPLE_RATE as f32) as usize;
        if at >= samples {
            break;
        }
        let length = rng.range(8.0, 24.0) as usize;
        let polarity = if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        for (offset, sample) in out.iter_mut().skip(at).take(length).enumerate() {
            let decay = (-(offset as f32) / 4.0).exp();
            *sample += polarity * decay * (1.0 + 0.3 * rng.gaussian());
        }
    }
    out
}

fn keyboard(samples: usize, rng: &mut Rng) -> Vec<f32> {
    let rate = SAMPLE_RATE as f32;
    let mut out: Vec<f32> = (0..samples).map(|_| 0.002 * rng.gaussian()).collect();
    let mut at = 0usize;
    while at < samples {
        // A word of 3-8 keystrokes at 6-12 keys/s, then a pause.
        let keys = 3 + rng.index(6);
        for _ in 0..keys {
            strike(&mut out, at, rng);
            at += (rng.range(1.0 / 12.0, 1.0 / 6.0) * rate) as usize;
        }
        at += (rng.range(0.2, 1.2) * rate) as usize;
    }
    out
}

/// One key: a press transient and a release transient, each resonant decaying noise.
fn strike(out: &mut [f32], at: usize, rng: &mut Rng) {
    let rate = SAMPLE_RATE as f32;
    let release = at + (rng.range(0.04, 0.09) * rate) as usize;
    for (start, level) in [(at, 1.0), (release, 0.5)] {
        let resonance = rng.range(1500.0, 3000.0);
        let length = (0.02 * rate) as usize;
        for (offset, sample) in out.iter_mut().skip(start).take(length).enumerate() {
            let t = offset as f32 / rate;
            let envelope = (-t / 0.003).exp();
            *sample += level * envelope * (0.6 * rng.gaussian() + (TAU * resonance * t).sin());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_unit_power_and_deterministic() {
        let talkers = vec![vec![0.1, -0.2, 0.3, 0.0, 0.5]; 2];
        for kind in NoiseKind::ALL {
            let noise = generate(kind, 16_000, 3, &talkers);
            assert_eq!(noise.len(), 16_000);
            assert!((mean_power(&noise) - 1.0).abs() < 1e-3, "{kind:?}");
            assert_eq!(noise, generate(kind, 16_000, 3, &talkers), "{kind:?}");
            assert_ne!(noise, generate(kind, 16_000, 4, &talkers), "{kind:?}");
        }
    }

    #[test]
    fn impulsive_kinds_are_impulsive_and_hum_is_not() {
        // Crest factor: peak over RMS (RMS is 1 after normalisation).
        let crest = |kind| {
            generate(kind, 32_000, 1, &[])
                .iter()
                .fold(0.0f32, |m, s| m.max(s.abs()))
        };
        assert!(crest(NoiseKind::Clicks) > 8.0);
        assert!(crest(NoiseKind::Keyboard) > 8.0);
        assert!(crest(NoiseKind::Hum) < 3.0);
    }
}
