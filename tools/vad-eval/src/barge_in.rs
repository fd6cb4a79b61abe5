//! False barge-ins: how often noise alone would interrupt a prompt with the default endpointing.

use std::time::{Duration, Instant};

use voxgate_audio::endpointing::{
    Endpointer, EndpointingConfig, EndpointingOverrides, FRAME, FRAME_MS, VoiceEvent,
};

/// Barge-ins the [`Endpointer`] with `config` decides on `causal_scores` (one speech probability
/// per 10 ms frame) while a barge-in prompt plays the whole time (a new prompt starts after
/// each interruption's utterance ends).
pub fn barge_ins(causal_scores: &[f32], config: EndpointingConfig, start: Instant) -> usize {
    let overrides = EndpointingOverrides::default();
    let mut endpointer = Endpointer::new(config);
    endpointer.prompt_started(start, &overrides);
    let mut count = 0;
    for (index, &probability) in causal_scores.iter().enumerate() {
        let now = start + FRAME * index as u32;
        endpointer.push_frame(now, probability);
        while let Some(event) = endpointer.poll_event() {
            match event {
                VoiceEvent::BargeIn { .. } => count += 1,
                VoiceEvent::UtteranceEnded(_) => endpointer.prompt_started(now, &overrides),
                _ => {}
            }
        }
    }
    count
}

/// Minutes of audio in `frames` 10 ms frames.
pub fn minutes(frames: usize) -> f64 {
    Duration::from_millis(frames as u64 * u64::from(FRAME_MS)).as_secs_f64() / 60.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bursts_do_not_barge_in_and_long_ones_do() {
        let start = Instant::now();
        let config = EndpointingConfig::default();
        // 150 ms bursts (below the 200 ms default) every second: no barge-in.
        let bursts: Vec<f32> = (0..1000)
            .map(|i| if i % 100 < 15 { 0.9 } else { 0.0 })
            .collect();
        assert_eq!(barge_ins(&bursts, config, start), 0);
        // Two 400 ms stretches of speech: two barge-ins, one per utterance.
        let speech: Vec<f32> = (0..400)
            .map(|i| {
                if (50..90).contains(&i) || (250..290).contains(&i) {
                    0.9
                } else {
                    0.0
                }
            })
            .collect();
        assert_eq!(barge_ins(&speech, config, start), 2);
        assert!((minutes(6000) - 1.0).abs() < 1e-12);
    }
}
