//! Prompt decoding (WAV, FLAC, OGG, MP3), the per-codec frame cache and the prompt library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use voxgate_audio::AudioError;
use voxgate_audio::playback::{PROMPT_FRAME_SAMPLES, Prompt, PromptLibrary};
use voxgate_codecs::Codec;

/// A fresh scratch folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voxgate-audio-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes a 16-bit WAV of a `freq` Hz tone at `amplitude` (0..1) on every channel.
fn write_tone(path: &Path, rate: u32, channels: u16, seconds: f32, freq: f32, amplitude: f32) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("create wav");
    let frames = (rate as f32 * seconds) as usize;
    for i in 0..frames {
        let t = i as f32 / rate as f32;
        let value = (amplitude * 32_767.0 * (2.0 * std::f32::consts::PI * freq * t).sin()) as i16;
        for _ in 0..channels {
            writer.write_sample(value).expect("sample");
        }
    }
    writer.finalize().expect("finalize");
}

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

/// Estimated frequency from zero crossings.
fn frequency(samples: &[i16], rate: f64) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    crossings as f64 / 2.0 / (samples.len() as f64 / rate)
}

/// Checks a decoded 1 s, 440 Hz, half-scale tone.
fn assert_tone(prompt: &Prompt, label: &str) {
    let seconds = prompt.duration().as_secs_f64();
    assert!((seconds - 1.0).abs() < 0.06, "{label}: {seconds} s");
    let body = &prompt.pcm()[800..7_200];
    let f = frequency(body, 8_000.0);
    assert!((f - 440.0).abs() < 5.0, "{label}: {f} Hz");
    let level = rms(body);
    let expected = 0.5 * 32_767.0 / 2f64.sqrt();
    assert!(
        (level / expected - 1.0).abs() < 0.05,
        "{label}: rms {level}"
    );
}

fn convert(tool: &str, args: &[&str]) -> bool {
    match Command::new(tool).args(args).output() {
        Ok(output) if output.status.success() => true,
        Ok(output) => panic!(
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(_) => false,
    }
}

#[test]
fn wav_at_another_rate_and_stereo_is_mixed_down_and_resampled() {
    let dir = scratch("wav");
    let path = dir.join("hello.wav");
    write_tone(&path, 16_000, 2, 1.0, 440.0, 0.5);
    let prompt = Prompt::load(&path).expect("decode");
    assert_eq!(prompt.name().as_ref(), path.display().to_string());
    assert_tone(&prompt, "wav 16 kHz stereo");
}

#[test]
fn wav_at_8khz_mono_is_taken_sample_for_sample() {
    let dir = scratch("wav8k");
    let path = dir.join("exact.wav");
    write_tone(&path, 8_000, 1, 0.1, 300.0, 0.25);
    let original: Vec<i16> = hound::WavReader::open(&path)
        .expect("open")
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    let prompt = Prompt::load(&path).expect("decode");
    assert_eq!(&prompt.pcm()[..original.len()], &original[..]);
    // 800 samples pad to 5 frames exactly; the padding is silence.
    assert_eq!(prompt.frame_count(), 5);
    assert_eq!(prompt.duration().as_millis(), 100);
}

#[test]
fn flac_and_ogg_made_by_sox_decode_to_the_same_tone() {
    let dir = scratch("sox");
    let wav = dir.join("tone.wav");
    write_tone(&wav, 44_100, 1, 1.0, 440.0, 0.5);
    for extension in ["flac", "ogg"] {
        let out = dir.join(format!("tone.{extension}"));
        let (wav_arg, out_arg) = (wav.to_str().expect("utf8"), out.to_str().expect("utf8"));
        if !convert("sox", &[wav_arg, out_arg]) {
            panic!("sox is missing: scripts/bootstrap installs it");
        }
        let prompt = Prompt::load(&out).expect("decode");
        assert_tone(&prompt, extension);
    }
}

#[test]
fn mp3_made_by_lame_decodes_to_the_same_tone() {
    let dir = scratch("mp3");
    let wav = dir.join("tone.wav");
    write_tone(&wav, 22_050, 1, 1.0, 440.0, 0.5);
    let mp3 = dir.join("tone.mp3");
    let args = [
        "--quiet",
        wav.to_str().expect("utf8"),
        mp3.to_str().expect("utf8"),
    ];
    if !convert("lame", &args) {
        eprintln!("SKIPPED: `lame` is not installed, MP3 decoding not exercised");
        return;
    }
    let prompt = Prompt::load(&mp3).expect("decode");
    // MP3 adds encoder delay and padding: allow a little more length.
    let seconds = prompt.duration().as_secs_f64();
    assert!((0.98..1.15).contains(&seconds), "mp3: {seconds} s");
    let body = &prompt.pcm()[1_600..7_200];
    assert!((frequency(body, 8_000.0) - 440.0).abs() < 5.0);
    let expected = 0.5 * 32_767.0 / 2f64.sqrt();
    assert!((rms(body) / expected - 1.0).abs() < 0.1);
}

#[test]
fn corrupt_and_missing_files_are_errors() {
    let garbage = (0..4_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let err = Prompt::decode("junk", garbage, Some("wav")).expect_err("garbage");
    assert!(matches!(err, AudioError::PromptDecode { ref name, .. } if name == "junk"));
    let err = Prompt::decode("empty", Vec::new(), None).expect_err("empty");
    assert!(matches!(err, AudioError::PromptDecode { .. }));
    let mut truncated = Vec::new();
    truncated.extend_from_slice(b"RIFF\x24\x00\x00\x00WAVEfmt ");
    let err = Prompt::decode("cut", truncated, Some("wav")).expect_err("truncated header");
    assert!(matches!(err, AudioError::PromptDecode { .. }));
    let err = Prompt::load(Path::new("/nonexistent/prompt.wav")).expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/prompt.wav"));
}

#[test]
fn frames_are_pre_encoded_for_each_g711_codec() {
    let samples: Vec<i16> = (0..1_000)
        .map(|i| ((i * 37) % 20_000 - 10_000) as i16)
        .collect();
    let prompt = Prompt::from_pcm_8k("codes", &samples);
    assert_eq!(prompt.frame_count(), 7);
    for index in 0..prompt.frame_count() {
        let pcm = prompt.pcm_frame(index).expect("frame");
        assert_eq!(pcm.len(), PROMPT_FRAME_SAMPLES);
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut expected = Vec::new();
            codec.encode(pcm, &mut expected);
            assert_eq!(prompt.encoded_frame(codec, index), Some(&expected[..]));
        }
    }
    assert_eq!(prompt.pcm_frame(7), None);
    assert_eq!(prompt.encoded_frame(Codec::Pcmu, 7), None);
    // Padding after the 1000 samples is silence.
    assert!(prompt.pcm()[1_000..].iter().all(|&s| s == 0));
}

#[test]
fn library_decodes_a_file_once_and_shares_it() {
    let dir = scratch("library");
    let path = dir.join("greeting.wav");
    write_tone(&path, 8_000, 1, 0.2, 440.0, 0.3);
    let mut library = PromptLibrary::new();
    let first = library.load_file(&path).expect("load");
    std::fs::remove_file(&path).expect("remove");
    let again = library.load_file(&path).expect("cached, not read again");
    assert!(Arc::ptr_eq(&first, &again));
    assert!(Arc::ptr_eq(
        &first,
        &library.get(&path.display().to_string()).expect("by path")
    ));
    assert_eq!(library.len(), 1);
    assert!(library.get("other").is_none());
}

#[test]
fn tts_samples_at_any_rate_become_a_prompt() {
    let rate = 22_050u32;
    let samples: Vec<f32> = (0..rate)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin())
        .collect();
    let prompt = Prompt::from_samples("tts", &samples, rate).expect("resample");
    assert_tone(&prompt, "tts 22.05 kHz");
}
