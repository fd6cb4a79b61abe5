use super::*;

fn sine(freq_hz: f64, rate_hz: u32, amplitude: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let t = n as f64 / f64::from(rate_hz);
            (amplitude * (2.0 * std::f64::consts::PI * freq_hz * t).sin()) as f32
        })
        .collect()
}

fn one_shot(from_hz: u32, to_hz: u32, input: &[f32]) -> Vec<f32> {
    let mut resampler = Resampler::new(from_hz, to_hz, input.len()).unwrap();
    let mut out = Vec::new();
    resampler.process(input, &mut out);
    out
}

fn mean_square(samples: &[f32]) -> f64 {
    samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64
}

/// Mean-square power of the component at `freq_hz` (an integer number of cycles must fit).
fn tone_power(samples: &[f32], freq_hz: f64, rate_hz: u32) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &s) in samples.iter().enumerate() {
        let phase = 2.0 * std::f64::consts::PI * freq_hz * n as f64 / f64::from(rate_hz);
        re += f64::from(s) * phase.cos();
        im += f64::from(s) * phase.sin();
    }
    let amplitude = 2.0 * (re * re + im * im).sqrt() / samples.len() as f64;
    amplitude * amplitude / 2.0
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

/// The steady-state part of a one-second output: drop the filter's warm-up, keep 0.5 s.
fn steady(out: &[f32], to_hz: u32) -> &[f32] {
    let start = to_hz as usize / 10;
    &out[start..start + to_hz as usize / 2]
}

const RATE_PAIRS: [(u32, u32); 6] = [
    (8_000, 16_000),
    (16_000, 8_000),
    (8_000, 48_000),
    (48_000, 8_000),
    (16_000, 48_000),
    (48_000, 16_000),
];

#[test]
fn sine_keeps_its_frequency_and_level() {
    for (from_hz, to_hz) in RATE_PAIRS {
        for freq_hz in [300.0, 1_000.0, 3_400.0] {
            let input = sine(freq_hz, from_hz, 0.5, from_hz as usize);
            let out = one_shot(from_hz, to_hz, &input);
            assert_eq!(out.len(), to_hz as usize);
            let part = steady(&out, to_hz);
            let total = mean_square(part);
            let level_db = db(total / 0.125);
            assert!(
                level_db.abs() < 0.5,
                "{from_hz}->{to_hz} {freq_hz} Hz: level changed by {level_db:.3} dB"
            );
            let off_tone = db((1.0 - tone_power(part, freq_hz, to_hz) / total).max(1e-12));
            assert!(
                off_tone < -60.0,
                "{from_hz}->{to_hz} {freq_hz} Hz: {off_tone:.1} dB of the output is not the tone"
            );
        }
    }
}

#[test]
fn downsampling_suppresses_content_above_the_new_nyquist() {
    // A 4.1 kHz tone would alias to 3.9 kHz at 8 kHz; every tone from 4 kHz up must vanish.
    for freq_hz in [
        4_000.0, 4_100.0, 4_500.0, 6_000.0, 8_000.0, 12_000.0, 20_000.0, 23_900.0,
    ] {
        let input = sine(freq_hz, 48_000, 0.5, 48_000);
        let out = one_shot(48_000, 8_000, &input);
        let suppression = db(mean_square(steady(&out, 8_000)) / 0.125);
        assert!(
            suppression < -60.0,
            "48k->8k: a {freq_hz} Hz tone is only {suppression:.1} dB down"
        );
    }
    for freq_hz in [8_000.0, 8_300.0, 12_000.0, 20_000.0] {
        let input = sine(freq_hz, 48_000, 0.5, 48_000);
        let out = one_shot(48_000, 16_000, &input);
        let suppression = db(mean_square(steady(&out, 16_000)) / 0.125);
        assert!(
            suppression < -60.0,
            "48k->16k: {freq_hz} Hz only {suppression:.1} dB down"
        );
    }
}

#[test]
fn upsampling_leaves_no_images() {
    // A 3 kHz tone at 8 kHz has images at 5, 11, 13 kHz...; only 3 kHz may remain.
    for to_hz in [16_000, 48_000] {
        let input = sine(3_000.0, 8_000, 0.5, 8_000);
        let out = one_shot(8_000, to_hz, &input);
        let part = steady(&out, to_hz);
        let images = db((1.0 - tone_power(part, 3_000.0, to_hz) / mean_square(part)).max(1e-12));
        assert!(images < -60.0, "8k->{to_hz}: images at {images:.1} dB");
    }
}

#[test]
fn streaming_in_odd_chunks_equals_one_shot() {
    let chunk_sizes = [1, 7, 13, 3, 161, 80, 479, 2, 997, 5];
    for (from_hz, to_hz) in RATE_PAIRS
        .into_iter()
        .chain([(44_100, 48_000), (48_000, 44_100)])
    {
        let input = sine(440.0, from_hz, 0.3, 9_000);
        let expected = one_shot(from_hz, to_hz, &input);
        // A small max_input_frame also exercises the internal splitting of long inputs.
        let mut resampler = Resampler::new(from_hz, to_hz, 100).unwrap();
        let mut streamed = Vec::new();
        let mut out = Vec::new();
        let mut rest = input.as_slice();
        for &size in chunk_sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            resampler.process(chunk, &mut out);
            assert!(out.len() <= resampler.max_output_len(chunk.len()));
            streamed.extend_from_slice(&out);
            rest = tail;
        }
        assert_eq!(streamed, expected, "{from_hz}->{to_hz}");
    }
}

#[test]
fn impulse_peaks_at_the_reported_delay() {
    for (from_hz, to_hz) in RATE_PAIRS {
        let resampler = Resampler::new(from_hz, to_hz, 1).unwrap();
        // Place the impulse on an input sample that lands exactly on an output sample.
        let input_step = (from_hz / gcd(from_hz, to_hz)) as usize;
        let mut input = vec![0.0; 4_000];
        input[input_step * 10] = 1.0;
        let out = one_shot(from_hz, to_hz, &input);
        let peak = out
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(index, _)| index)
            .unwrap();
        let impulse_at = input_step * 10 * to_hz as usize / from_hz as usize;
        assert_eq!(
            peak - impulse_at,
            resampler.delay_samples(),
            "{from_hz}->{to_hz}"
        );
        // Under 4 ms of delay for every telephony pair.
        assert!(
            resampler.delay_samples() * 1000 / to_hz as usize <= 4,
            "{from_hz}->{to_hz}"
        );
    }
}

#[test]
fn same_rate_is_an_exact_copy_with_no_delay() {
    let input = sine(1_000.0, 8_000, 0.5, 333);
    let mut resampler = Resampler::new(8_000, 8_000, 80).unwrap();
    assert_eq!(resampler.delay_samples(), 0);
    let mut out = Vec::new();
    resampler.process(&input, &mut out);
    assert_eq!(out, input);
}

#[test]
fn reset_forgets_history() {
    let input = sine(700.0, 8_000, 0.5, 800);
    let mut resampler = Resampler::new(8_000, 48_000, 160).unwrap();
    let mut first = Vec::new();
    resampler.process(&input, &mut first);
    resampler.process(&input[..13], &mut Vec::new());
    resampler.reset();
    let mut again = Vec::new();
    resampler.process(&input, &mut again);
    assert_eq!(first, again);
}

#[test]
fn a_reused_output_vector_is_not_reallocated() {
    let mut resampler = Resampler::new(8_000, 48_000, 80).unwrap();
    let mut out = Vec::with_capacity(resampler.max_output_len(80));
    let (pointer, capacity) = (out.as_ptr(), out.capacity());
    let frame = sine(1_000.0, 8_000, 0.5, 80);
    for _ in 0..100 {
        resampler.process(&frame, &mut out);
        assert_eq!(out.len(), 480);
    }
    assert_eq!((out.as_ptr(), out.capacity()), (pointer, capacity));
}

#[test]
fn bad_parameters_are_errors() {
    assert!(matches!(
        Resampler::new(0, 8_000, 80),
        Err(ResampleError::ZeroRate { .. })
    ));
    assert!(matches!(
        Resampler::new(8_000, 0, 80),
        Err(ResampleError::ZeroRate { .. })
    ));
    assert!(matches!(
        Resampler::new(8_000, 16_000, 0),
        Err(ResampleError::ZeroFrame)
    ));
    assert!(matches!(
        Resampler::new(8_000, 7_999, 80),
        Err(ResampleError::RatioTooComplex { .. })
    ));
}
