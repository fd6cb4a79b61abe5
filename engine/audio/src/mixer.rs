//! The bot's outbound mix: an optional looped background sound (office ambience) at a
//! configurable gain under the bot voice, saturating; digital silence when there is neither.
//!
//! The background is a [`Prompt`] (decoded once, shared by all calls); the mixer only keeps a
//! position in it, so mixing a frame never allocates.

use std::sync::Arc;

use crate::playback::Prompt;

/// Loops a background sound under the bot voice.
#[derive(Debug, Clone)]
pub struct BackgroundMixer {
    background: Option<Arc<Prompt>>,
    position: usize,
    gain: f32,
}

impl BackgroundMixer {
    /// A mixer that adds nothing: the output is the voice, or silence.
    pub fn silent() -> Self {
        Self {
            background: None,
            position: 0,
            gain: 0.0,
        }
    }

    /// A mixer looping `background` at `gain_db` (e.g. -18.0; 0 dB keeps the file's level).
    pub fn new(background: Arc<Prompt>, gain_db: f32) -> Self {
        let mut mixer = Self::silent();
        mixer.background = Some(background);
        mixer.set_gain_db(gain_db);
        mixer
    }

    /// Changes the background gain. Non-finite values mute the background.
    pub fn set_gain_db(&mut self, gain_db: f32) {
        self.gain = if gain_db.is_finite() {
            10f32.powf(gain_db / 20.0)
        } else {
            0.0
        };
    }

    /// The linear gain applied to the background.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Whether a background sound is configured.
    pub fn has_background(&self) -> bool {
        self.background
            .as_ref()
            .is_some_and(|background| !background.pcm().is_empty())
    }

    /// Fills `out` with `voice` (or silence when `None`; a shorter voice is padded with
    /// silence) plus the next `out.len()` samples of the background, saturating at the i16
    /// range. The background position advances whether or not the voice plays.
    pub fn mix(&mut self, voice: Option<&[i16]>, out: &mut [i16]) {
        let voice = voice.unwrap_or(&[]);
        for (index, sample) in out.iter_mut().enumerate() {
            *sample = voice.get(index).copied().unwrap_or(0);
        }
        let Some(background) = &self.background else {
            return;
        };
        let pcm = background.pcm();
        if pcm.is_empty() || self.gain == 0.0 {
            return;
        }
        for sample in out.iter_mut() {
            let position = self.position % pcm.len();
            let bed = f32::from(pcm[position]) * self.gain;
            *sample = (f32::from(*sample) + bed)
                .round()
                .clamp(-32_768.0, 32_767.0) as i16;
            self.position = position + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(samples: &[i16]) -> f64 {
        let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        (sum / samples.len() as f64).sqrt()
    }

    fn tone(len: usize, amplitude: f32) -> Vec<i16> {
        (0..len)
            .map(|i| (amplitude * (i as f32 * 0.3).sin()) as i16)
            .collect()
    }

    #[test]
    fn silent_mixer_passes_voice_and_pads_with_silence() {
        let mut mixer = BackgroundMixer::silent();
        let mut out = [7i16; 160];
        mixer.mix(None, &mut out);
        assert!(out.iter().all(|&s| s == 0));
        mixer.mix(Some(&[100; 100]), &mut out);
        assert!(out[..100].iter().all(|&s| s == 100));
        assert!(out[100..].iter().all(|&s| s == 0));
    }

    #[test]
    fn background_level_follows_the_gain_in_db() {
        let bed = Arc::new(Prompt::from_pcm_8k("bed", &tone(8_000, 10_000.0)));
        let reference = rms(bed.pcm());
        for gain_db in [0.0f32, -6.0, -20.0] {
            let mut mixer = BackgroundMixer::new(Arc::clone(&bed), gain_db);
            let mut out = vec![0i16; 8_000];
            mixer.mix(None, &mut out);
            let measured_db = 20.0 * (rms(&out) / reference).log10();
            assert!(
                (measured_db - f64::from(gain_db)).abs() < 0.1,
                "{gain_db} dB gave {measured_db} dB"
            );
        }
    }

    #[test]
    fn background_loops_and_continues_across_frames() {
        let bed = Arc::new(Prompt::from_pcm_8k("bed", &[1, 2, 3, 4, 5, 6, 7, 8]));
        // Padded to one 20 ms frame: 8 samples then 152 zeros; loops over all 160.
        let mut mixer = BackgroundMixer::new(bed, 0.0);
        let mut first = [0i16; 100];
        let mut second = [0i16; 100];
        mixer.mix(None, &mut first);
        mixer.mix(None, &mut second);
        assert_eq!(&first[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&second[60..68], &[1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn mixing_saturates_instead_of_wrapping() {
        let bed = Arc::new(Prompt::from_pcm_8k("bed", &[30_000; 160]));
        let mut mixer = BackgroundMixer::new(Arc::clone(&bed), 0.0);
        let mut out = [0i16; 160];
        mixer.mix(Some(&[30_000; 160]), &mut out);
        assert!(out.iter().all(|&s| s == i16::MAX));
        let low = Arc::new(Prompt::from_pcm_8k("low", &[-30_000; 160]));
        let mut mixer = BackgroundMixer::new(low, 0.0);
        mixer.mix(Some(&[-30_000; 160]), &mut out);
        assert!(out.iter().all(|&s| s == i16::MIN));
    }

    #[test]
    fn voice_is_kept_under_a_quiet_background() {
        let bed = Arc::new(Prompt::from_pcm_8k("bed", &tone(1_600, 8_000.0)));
        let mut mixer = BackgroundMixer::new(bed, -30.0);
        let voice = tone(160, 12_000.0);
        let mut out = [0i16; 160];
        mixer.mix(Some(&voice), &mut out);
        let diff: Vec<i16> = out.iter().zip(&voice).map(|(o, v)| o - v).collect();
        assert!(rms(&diff) < 8_000.0 * 0.0317 / 2f64.sqrt() * 1.1 + 1.0);
        assert!(rms(&diff) > 100.0);
    }
}
