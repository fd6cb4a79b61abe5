//! One conformance suite for every per-call codec object, then Opus specifics.

use proptest::prelude::*;
use voxgate_codecs::{AudioDecoder, AudioEncoder, Codec, CodecError, OpusSettings};

/// A sine tone of `frequency` Hz at `amplitude`, `samples` long.
fn tone(frequency: f64, amplitude: f64, sample_rate: u32, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|n| {
            let t = n as f64 / f64::from(sample_rate);
            (amplitude * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16
        })
        .collect()
}

fn rms(pcm: &[i16]) -> f64 {
    let energy: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (energy / pcm.len().max(1) as f64).sqrt()
}

/// Relative power of `frequency` in `pcm` (Goertzel), normalised by the signal length.
fn power_at(pcm: &[i16], frequency: f64, sample_rate: u32) -> f64 {
    let w = 2.0 * std::f64::consts::PI * frequency / f64::from(sample_rate);
    let coefficient = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &sample in pcm {
        let s0 = f64::from(sample) + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (pcm.len() as f64).powi(2)
}

/// Encodes `pcm` frame by frame and decodes it again; returns the decoded PCM and payloads.
fn round_trip(
    encoder: &mut dyn AudioEncoder,
    decoder: &mut dyn AudioDecoder,
    pcm: &[i16],
    frame: usize,
) -> (Vec<i16>, Vec<Vec<u8>>) {
    let mut decoded = Vec::new();
    let mut payloads = Vec::new();
    for chunk in pcm.chunks_exact(frame) {
        let mut payload = Vec::new();
        encoder.encode(chunk, &mut payload).expect("encode");
        let before = decoded.len();
        let n = decoder.decode(&payload, &mut decoded).expect("decode");
        assert_eq!(
            n,
            frame,
            "{:?}: one frame out per frame in",
            encoder.codec()
        );
        assert_eq!(decoded.len() - before, frame);
        payloads.push(payload);
    }
    (decoded, payloads)
}

/// Every codec through the same interface at 8 kHz, the media loop's rate.
fn coders_at_8k() -> Vec<(Box<dyn AudioEncoder>, Box<dyn AudioDecoder>)> {
    Codec::ALL
        .into_iter()
        .map(|codec| {
            (
                codec
                    .encoder(8000, &OpusSettings::default())
                    .expect("encoder"),
                codec.decoder(8000).expect("decoder"),
            )
        })
        .collect()
}

#[test]
fn every_codec_keeps_a_tone_frequency_and_level() {
    let input = tone(440.0, 8000.0, 8000, 8000);
    for (mut encoder, mut decoder) in coders_at_8k() {
        let codec = encoder.codec();
        assert_eq!((encoder.sample_rate(), decoder.sample_rate()), (8000, 8000));
        assert_eq!(decoder.codec(), codec);
        let (decoded, _) = round_trip(encoder.as_mut(), decoder.as_mut(), &input, 160);
        assert_eq!(decoded.len(), input.len());
        // Skip the codec delay and start-up; compare the steady state.
        let steady = &decoded[1600..];
        let level = rms(steady) / rms(&input[1600..]);
        assert!(
            (0.7..1.4).contains(&level),
            "{codec:?}: level ratio {level}"
        );
        let at_tone = power_at(steady, 440.0, 8000);
        for other in [300.0, 600.0, 1000.0] {
            let ratio = at_tone / power_at(steady, other, 8000);
            assert!(
                ratio > 100.0,
                "{codec:?}: 440 Hz only {ratio}x above {other} Hz"
            );
        }
    }
}

#[test]
fn every_codec_conceals_with_the_asked_length() {
    for (mut encoder, mut decoder) in coders_at_8k() {
        let codec = encoder.codec();
        round_trip(
            encoder.as_mut(),
            decoder.as_mut(),
            &tone(440.0, 8000.0, 8000, 1600),
            160,
        );
        let mut out = vec![1, 2, 3];
        assert_eq!(decoder.conceal(160, &mut out), Ok(160), "{codec:?}");
        assert_eq!(out.len(), 163);
        assert_eq!(out[..3], [1, 2, 3]);
        assert_eq!(decoder.recover(&[], 160, &mut out), Ok(160), "{codec:?}");
        assert_eq!(out.len(), 323);
        decoder.reset();
    }
}

#[test]
fn unsupported_rates_are_refused() {
    let settings = OpusSettings::default();
    for codec in [Codec::Pcmu, Codec::Pcma] {
        assert!(matches!(
            codec.encoder(16_000, &settings),
            Err(CodecError::UnsupportedSampleRate {
                sample_rate: 16_000,
                ..
            })
        ));
        assert!(codec.decoder(48_000).is_err());
    }
    assert!(matches!(
        Codec::Opus.encoder(44_100, &settings),
        Err(CodecError::UnsupportedSampleRate { codec: "opus", .. })
    ));
    assert!(Codec::Opus.decoder(11_025).is_err());
    for rate in [8_000, 12_000, 16_000, 24_000, 48_000] {
        assert!(Codec::Opus.encoder(rate, &settings).is_ok(), "{rate}");
        assert!(Codec::Opus.decoder(rate).is_ok(), "{rate}");
    }
}

#[test]
fn opus_at_48k_uses_960_sample_frames_and_keeps_a_tone() {
    let mut encoder = Codec::Opus
        .encoder(48_000, &OpusSettings::default())
        .unwrap();
    let mut decoder = Codec::Opus.decoder(48_000).unwrap();
    let input = tone(1000.0, 10_000.0, 48_000, 48_000);
    let (decoded, payloads) = round_trip(encoder.as_mut(), decoder.as_mut(), &input, 960);
    assert_eq!(payloads.len(), 50, "20 ms per packet");
    let steady = &decoded[9600..];
    let level = rms(steady) / rms(&input[9600..]);
    assert!((0.7..1.4).contains(&level), "level ratio {level}");
    let at_tone = power_at(steady, 1000.0, 48_000);
    for other in [700.0, 1300.0, 2000.0] {
        assert!(
            at_tone / power_at(steady, other, 48_000) > 100.0,
            "{other} Hz"
        );
    }
    // Each payload's TOC byte says 20 ms, mono.
    for payload in &payloads {
        assert_eq!(
            opus::packet::get_samples_per_frame(payload, 48_000).unwrap(),
            960
        );
        assert_eq!(
            opus::packet::get_nb_channels(payload).unwrap(),
            opus::Channels::Mono
        );
    }
}

#[test]
fn opus_concealment_continues_the_signal_then_fades() {
    let mut encoder = Codec::Opus
        .encoder(48_000, &OpusSettings::default())
        .unwrap();
    let mut decoder = Codec::Opus.decoder(48_000).unwrap();
    let input = tone(500.0, 10_000.0, 48_000, 24_000);
    let (decoded, _) = round_trip(encoder.as_mut(), decoder.as_mut(), &input, 960);
    let before = rms(&decoded[decoded.len() - 960..]);
    let mut first = Vec::new();
    assert_eq!(decoder.conceal(960, &mut first), Ok(960));
    assert!(
        rms(&first) > before * 0.2,
        "PLC extrapolates, not silence: {}",
        rms(&first)
    );
    let mut later = Vec::new();
    for _ in 0..20 {
        later.clear();
        decoder.conceal(960, &mut later).unwrap();
    }
    assert!(rms(&later) < rms(&first) * 0.5, "a long loss fades out");
    // An empty payload is a lost packet of the last packet's length.
    let mut out = Vec::new();
    assert_eq!(decoder.decode(&[], &mut out), Ok(960));
    // 2.5 ms to 120 ms are concealable, other durations are not.
    assert_eq!(decoder.conceal(120, &mut out), Ok(120));
    assert_eq!(decoder.conceal(5760, &mut out), Ok(5760));
    let len = out.len();
    assert!(matches!(
        decoder.conceal(1000, &mut out),
        Err(CodecError::InvalidFrameSize {
            samples: 1000,
            sample_rate: 48_000
        })
    ));
    assert!(decoder.conceal(0, &mut out).is_err());
    assert!(decoder.conceal(7680, &mut out).is_err());
    assert_eq!(out.len(), len, "failed calls append nothing");
}

#[test]
fn opus_fec_rebuilds_a_lost_packet_better_than_concealment() {
    let settings = OpusSettings {
        inband_fec: true,
        expected_loss_percent: 20,
        ..OpusSettings::default()
    };
    let mut encoder = Codec::Opus.encoder(8000, &settings).unwrap();
    let input: Vec<i16> = (0..16_000)
        .map(|n| {
            // A gliding tone: concealment cannot extrapolate it, FEC carries it.
            let t = f64::from(n) / 8000.0;
            (8000.0 * (2.0 * std::f64::consts::PI * (300.0 * t + 150.0 * t * t)).sin()) as i16
        })
        .collect();
    let payloads: Vec<Vec<u8>> = input
        .chunks_exact(160)
        .map(|frame| {
            let mut payload = Vec::new();
            encoder.encode(frame, &mut payload).unwrap();
            payload
        })
        .collect();
    let lost = 60;
    let decode_with = |use_fec: bool| {
        let mut decoder = Codec::Opus.decoder(8000).unwrap();
        let mut out = Vec::new();
        for (index, payload) in payloads.iter().enumerate() {
            if index == lost {
                let next = &payloads[index + 1];
                if use_fec {
                    decoder.recover(next, 160, &mut out).unwrap();
                } else {
                    decoder.conceal(160, &mut out).unwrap();
                }
            } else {
                decoder.decode(payload, &mut out).unwrap();
            }
        }
        out
    };
    let clean = {
        let mut decoder = Codec::Opus.decoder(8000).unwrap();
        let mut out = Vec::new();
        for payload in &payloads {
            decoder.decode(payload, &mut out).unwrap();
        }
        out
    };
    let error = |decoded: &[i16]| {
        let span = lost * 160..(lost + 1) * 160;
        let diff: Vec<i16> = decoded[span.clone()]
            .iter()
            .zip(&clean[span])
            .map(|(a, b)| a.saturating_sub(*b))
            .collect();
        rms(&diff)
    };
    let (with_fec, without) = (error(&decode_with(true)), error(&decode_with(false)));
    assert!(
        with_fec < without * 0.7,
        "FEC error {with_fec}, PLC error {without}"
    );
}

#[test]
fn stereo_packets_from_a_peer_decode_to_mono() {
    // baresip and linphone may send stereo Opus; we decode to mono at the pipeline rate.
    let mut stereo = opus::Encoder::new(48_000, opus::Channels::Stereo, opus::Application::Voip)
        .expect("stereo encoder");
    let left = tone(440.0, 8000.0, 48_000, 960);
    let interleaved: Vec<i16> = left.iter().flat_map(|&s| [s, s]).collect();
    let mut packet = vec![0; 4000];
    let mut decoder = Codec::Opus.decoder(8000).unwrap();
    let mut out = Vec::new();
    for _ in 0..10 {
        let n = stereo.encode(&interleaved, &mut packet).unwrap();
        assert_eq!(decoder.decode(&packet[..n], &mut out), Ok(160));
    }
    assert_eq!(out.len(), 1600);
    assert!(rms(&out[800..]) > 3000.0);
}

#[test]
fn opus_settings_shape_the_stream() {
    let silence = vec![0i16; 960];
    let speech = tone(300.0, 8000.0, 48_000, 960);

    let cbr = OpusSettings {
        constant_bitrate: true,
        bitrate: 24_000,
        ..OpusSettings::default()
    };
    let mut encoder = Codec::Opus.encoder(48_000, &cbr).unwrap();
    let mut payload = Vec::new();
    for _ in 0..5 {
        payload.clear();
        encoder.encode(&speech, &mut payload).unwrap();
        assert_eq!(payload.len(), 60, "24 kbit/s CBR is 60 bytes per 20 ms");
    }

    let narrow = OpusSettings {
        max_playback_rate: 8000,
        ..OpusSettings::default()
    };
    let mut encoder = Codec::Opus.encoder(48_000, &narrow).unwrap();
    payload.clear();
    encoder.encode(&speech, &mut payload).unwrap();
    assert_eq!(
        opus::packet::get_bandwidth(&payload).unwrap(),
        opus::Bandwidth::Narrowband
    );

    let dtx_sizes = |dtx: bool| {
        let settings = OpusSettings {
            dtx,
            ..OpusSettings::default()
        };
        let mut encoder = Codec::Opus.encoder(48_000, &settings).unwrap();
        let mut sizes = Vec::new();
        for _ in 0..50 {
            let mut payload = Vec::new();
            encoder.encode(&silence, &mut payload).unwrap();
            sizes.push(payload.len());
        }
        sizes
    };
    // With DTX, silence goes as 1-byte packets plus a comfort-noise update every 400 ms.
    let dtx = dtx_sizes(true);
    assert!(dtx[10..].iter().filter(|&&n| n > 2).count() <= 2, "{dtx:?}");
    assert!(
        dtx_sizes(false).iter().all(|&n| n >= 3),
        "no DTX by default"
    );

    for bad in [
        OpusSettings {
            complexity: 11,
            ..OpusSettings::default()
        },
        OpusSettings {
            bitrate: 1000,
            ..OpusSettings::default()
        },
        OpusSettings {
            expected_loss_percent: 101,
            ..OpusSettings::default()
        },
    ] {
        assert!(matches!(
            Codec::Opus.encoder(48_000, &bad),
            Err(CodecError::InvalidSetting(_))
        ));
    }
}

#[test]
fn opus_encoder_refuses_frames_of_odd_duration() {
    let mut encoder = Codec::Opus.encoder(8000, &OpusSettings::default()).unwrap();
    let mut out = vec![9];
    for samples in [0, 1, 159, 161, 1000, 1040] {
        assert!(
            matches!(
                encoder.encode(&vec![0; samples], &mut out),
                Err(CodecError::InvalidFrameSize { .. })
            ),
            "{samples}"
        );
    }
    assert_eq!(out, [9]);
    for samples in [20, 40, 80, 160, 320, 480, 640, 800, 960] {
        assert_eq!(
            encoder.encode(&vec![0; samples], &mut out),
            Ok(()),
            "{samples}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_payloads_never_panic(payload in prop::collection::vec(any::<u8>(), 0..1500)) {
        for codec in Codec::ALL {
            let mut decoder = codec.decoder(8000).unwrap();
            let mut out = Vec::new();
            match decoder.decode(&payload, &mut out) {
                Ok(n) => prop_assert_eq!(out.len(), n),
                Err(_) => prop_assert!(out.is_empty()),
            }
            let _ = decoder.recover(&payload, 160, &mut out);
        }
    }
}
