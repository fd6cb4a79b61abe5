//! The log-mel front end against independently computed references, and the 8 kHz input path.

use voxgate_whisper::mel::{HOP_LENGTH, MelFrontEnd, N_FFT, N_FREQS, SAMPLE_RATE, mel_filters};
use voxgate_whisper::pcm8k_to_16k;

/// Values worked out by hand from librosa's Slaney formulas (and equal to the published
/// `mel_filters.npz` of openai/whisper): the 82 mel points are spaced 45.24565 / 81 mel apart,
/// 37.23921 Hz below 1 kHz. Filter 0 spans 0..74.47842 Hz with norm 2 / 74.47842; FFT bin 1
/// (40 Hz) lies on its falling edge: (74.47842 - 40) / 37.23921 * 2 / 74.47842 = 0.02486259.
#[test]
fn slaney_filters_match_hand_computed_values() {
    let filters = mel_filters(SAMPLE_RATE, N_FFT, 80);
    assert_eq!(filters.len(), 80 * N_FREQS);
    assert!(filters[0].abs() < 1e-9, "filter 0 is zero at DC");
    assert!(
        (filters[1] - 0.024_862_59).abs() < 1e-7,
        "filter 0 bin 1 = {}",
        filters[1]
    );
    assert!(filters[2].abs() < 1e-9, "filter 0 ends before 80 Hz");
    // Filter 1 (37.24..111.72 Hz): bin 1 on its rising edge, bin 2 (80 Hz) on its falling
    // edge: 2.761 / 37.239 * 2 / 74.478 = 0.00199082 and 31.718 / 37.239 * 2 / 74.478 = 0.02287177.
    assert!((filters[N_FREQS + 1] - 0.001_990_82).abs() < 1e-7);
    assert!((filters[N_FREQS + 2] - 0.022_871_77).abs() < 1e-7);
    // Slaney normalisation: every filter has unit area in Hz (sum of weights * 40 Hz bins),
    // to within the error of sampling a triangle only 2-4 bins wide (without the norm the
    // areas would be 37-500).
    for (m, row) in filters.chunks_exact(N_FREQS).enumerate().skip(10) {
        let area: f32 = row.iter().sum::<f32>() * 40.0;
        assert!((area - 1.0).abs() < 0.15, "filter {m} area {area}");
    }
}

/// The reference log-mel: a direct O(N^2) DFT of each reflect-padded, Hann-windowed frame in
/// f64, the filters above, then Whisper's log / clamp / scale.
fn reference_log_mel(signal: &[f32], n_frames: usize) -> Vec<f64> {
    let filters = mel_filters(SAMPLE_RATE, N_FFT, 80);
    let pad = N_FFT / 2;
    let mut padded = vec![0.0_f64; signal.len() + 2 * pad];
    for (i, value) in padded.iter_mut().enumerate() {
        let j = i as isize - pad as isize;
        let n = signal.len() as isize;
        let k = if j < 0 {
            -j
        } else if j >= n {
            2 * (n - 1) - j
        } else {
            j
        };
        *value = f64::from(signal[k as usize]);
    }
    let mut mel = vec![0.0_f64; 80 * n_frames];
    for t in 0..n_frames {
        let frame = &padded[t * HOP_LENGTH..t * HOP_LENGTH + N_FFT];
        let power: Vec<f64> = (0..N_FREQS)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for (n, &x) in frame.iter().enumerate() {
                    let w =
                        0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos();
                    let angle = -2.0 * std::f64::consts::PI * (k * n) as f64 / N_FFT as f64;
                    re += x * w * angle.cos();
                    im += x * w * angle.sin();
                }
                re * re + im * im
            })
            .collect();
        for m in 0..80 {
            let energy: f64 = (0..N_FREQS)
                .map(|k| f64::from(filters[m * N_FREQS + k]) * power[k])
                .sum();
            mel[m * n_frames + t] = energy.max(1e-10).log10();
        }
    }
    let floor = mel.iter().copied().fold(f64::NEG_INFINITY, f64::max) - 8.0;
    mel.iter().map(|v| (v.max(floor) + 4.0) / 4.0).collect()
}

#[test]
fn log_mel_matches_a_direct_dft() {
    // 0.2 s: a 440 Hz tone, a chirp and a little deterministic noise.
    let n_frames = 20;
    let signal: Vec<f32> = (0..n_frames * HOP_LENGTH)
        .map(|i| {
            let t = i as f32 / SAMPLE_RATE as f32;
            let noise = (((i * 7919) % 1000) as f32 / 1000.0 - 0.5) * 0.01;
            0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * (300.0 + 5000.0 * t) * t).sin()
                + noise
        })
        .collect();
    let front_end = MelFrontEnd::new(80);
    let mel = front_end.log_mel(&signal, n_frames).expect("log-mel");
    let reference = reference_log_mel(&signal, n_frames);
    assert_eq!(mel.len(), reference.len());
    let worst = mel
        .iter()
        .zip(&reference)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 2e-4, "largest difference {worst}");
}

#[test]
fn a_tone_lands_in_its_mel_bin_and_padding_is_silent() {
    let front_end = MelFrontEnd::new(80);
    let tone: Vec<f32> = (0..SAMPLE_RATE / 2)
        .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / SAMPLE_RATE as f32).sin())
        .collect();
    // 1 s of frames for 0.5 s of audio: the second half is zero padding.
    let mel = front_end.log_mel(&tone, 100).expect("log-mel");
    let mel = &mel;
    let column = |t: usize| (0..80).map(move |m| mel[m * 100 + t]);
    let loudest = column(25)
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, _)| m)
        .unwrap_or(0);
    // 1000 Hz lies between the centres of filters 25 (968 Hz) and 26 (1006 Hz).
    assert!((25..=27).contains(&loudest), "loudest bin {loudest}");
    let floor = mel.iter().copied().fold(f32::INFINITY, f32::min);
    let peak = mel.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert!(
        (peak - floor - 2.0).abs() < 1e-5,
        "clamped to max - 8 (scaled by 1/4)"
    );
    assert!(
        column(90).all(|v| v == floor),
        "padding frames sit at the floor"
    );
    assert!(front_end.log_mel(&tone, 0).expect("empty").is_empty());
}

#[test]
fn eight_khz_input_is_upsampled_in_place() {
    // A 500 Hz tone at 8 kHz must come out as the same tone at 16 kHz, with no delay.
    let tone8: Vec<i16> = (0..8000)
        .map(|i| (10_000.0 * (2.0 * std::f64::consts::PI * 500.0 * i as f64 / 8000.0).sin()) as i16)
        .collect();
    let tone16 = pcm8k_to_16k(&tone8).expect("resampler");
    assert_eq!(tone16.len(), 16_000);
    let worst = tone16[400..15_600]
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let t = (i + 400) as f64 / 16_000.0;
            let expected = 10_000.0 / 32768.0 * (2.0 * std::f64::consts::PI * 500.0 * t).sin();
            (f64::from(y) - expected).abs()
        })
        .fold(0.0, f64::max);
    assert!(
        worst < 0.01,
        "largest deviation from the aligned tone {worst}"
    );
    assert!(pcm8k_to_16k(&[]).expect("empty").is_empty());
}
