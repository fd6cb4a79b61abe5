//! OpenAiSpeech against loopback axum servers.

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use voxgate_speech::openai_tts::{OpenAiSpeech, OpenAiTtsConfig};
use voxgate_speech::{Synthesizer, TtsError, TtsRequest};

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A WAV of a 300 Hz tone: `seconds` long at `rate`, `channels` channels.
fn tone_wav(rate: u32, channels: u16, seconds: f32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..(rate as f32 * seconds) as usize {
        let t = i as f32 / rate as f32;
        let sample = (12_000.0 * (2.0 * std::f32::consts::PI * 300.0 * t).sin()) as i16;
        for _ in 0..channels {
            writer.write_sample(sample).unwrap();
        }
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

fn speech(addr: SocketAddr) -> OpenAiSpeech {
    OpenAiSpeech::new(&OpenAiTtsConfig {
        base_url: format!("http://{addr}"),
        model: "kokoro".into(),
        voice: "af_heart".into(),
        api_key_env: None,
        timeout_ms: 5_000,
    })
    .unwrap()
}

fn sentence(text: &str, voice: Option<&str>) -> TtsRequest {
    TtsRequest {
        text: text.into(),
        voice: voice.map(str::to_string),
        language: None,
    }
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
}

#[tokio::test]
async fn wav_at_24k_becomes_8k_of_the_same_duration() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let router = Router::new()
        .route(
            "/v1/audio/speech",
            post(
                |State(bodies): State<Arc<Mutex<Vec<serde_json::Value>>>>,
                 Json(body): Json<serde_json::Value>| async move {
                    let stereo = body["voice"] == "stereo";
                    bodies.lock().unwrap().push(body);
                    tone_wav(24_000, if stereo { 2 } else { 1 }, 0.5)
                },
            ),
        )
        .with_state(bodies.clone());
    let tts = speech(serve(router).await);

    let mono = tts
        .synthesize(sentence("Hello there.", None))
        .await
        .unwrap();
    assert_eq!(mono.len(), 4_000);
    // A 12,000-peak sine has an RMS near 8,485; the edges lose a little to the filter.
    let level = rms(&mono[200..3800]);
    assert!((8_000.0..9_000.0).contains(&level), "rms {level}");

    let stereo = tts
        .synthesize(sentence("Hello there.", Some("stereo")))
        .await
        .unwrap();
    assert_eq!(stereo.len(), 4_000);
    assert!((rms(&stereo[200..3800]) - level).abs() < 50.0);

    let bodies = bodies.lock().unwrap();
    assert_eq!(
        bodies[0],
        serde_json::json!({"model": "kokoro", "input": "Hello there.", "voice": "af_heart",
                           "response_format": "wav"})
    );
    assert_eq!(bodies[1]["voice"], "stereo");
}

#[tokio::test]
async fn server_error_is_unavailable() {
    let router = Router::new().route(
        "/v1/audio/speech",
        post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "voice exploded") }),
    );
    let error = speech(serve(router).await)
        .synthesize(sentence("hi", None))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TtsError::Unavailable(ref reason) if reason.contains("500") && reason.contains("voice exploded")),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_wav_is_bad_audio() {
    let router = Router::new().route("/v1/audio/speech", post(|| async { "ID3 this is an mp3" }));
    let error = speech(serve(router).await)
        .synthesize(sentence("hi", None))
        .await
        .unwrap_err();
    assert!(matches!(error, TtsError::BadAudio(_)), "{error:?}");
}

#[tokio::test]
async fn slow_server_times_out_and_empty_text_is_rejected() {
    let router = Router::new().route(
        "/v1/audio/speech",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            tone_wav(24_000, 1, 0.1)
        }),
    );
    let addr = serve(router).await;
    let tts = OpenAiSpeech::new(&OpenAiTtsConfig {
        base_url: format!("http://{addr}"),
        model: "tts-1".into(),
        voice: "alloy".into(),
        api_key_env: None,
        timeout_ms: 300,
    })
    .unwrap();
    let error = tts.synthesize(sentence("hi", None)).await.unwrap_err();
    assert_eq!(error, TtsError::Timeout(Duration::from_millis(300)));
    let error = tts.synthesize(sentence("  ", None)).await.unwrap_err();
    assert!(matches!(error, TtsError::Rejected(_)));
}
