//! OpenAiTranscriber against loopback axum servers: a well-behaved one that checks the
//! multipart form, a slow one, a failing one and one that answers garbage.

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use voxgate_speech::openai_asr::{OpenAiAsrConfig, OpenAiTranscriber};
use voxgate_speech::{AsrError, AsrRequest, Recognizer};

/// What the server saw in one request.
#[derive(Debug, Default, Clone)]
struct Seen {
    fields: Vec<(String, String)>,
    wav: Option<(hound::WavSpec, u32)>,
    authorization: Option<String>,
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

async fn transcriptions(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> (StatusCode, String) {
    let mut record = Seen {
        authorization: headers
            .get("authorization")
            .map(|value| value.to_str().unwrap_or("").to_string()),
        ..Seen::default()
    };
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.unwrap_or_default();
        if name == "file" {
            match hound::WavReader::new(Cursor::new(bytes.to_vec())) {
                Ok(reader) => record.wav = Some((reader.spec(), reader.len())),
                Err(_) => return (StatusCode::BAD_REQUEST, "file is not a WAV".into()),
            }
        } else {
            record
                .fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    *seen.lock().unwrap() = record;
    let body = r#"{"task":"transcribe","language":"english","text":" hello world ",
        "segments":[{"id":0,"text":"hello","avg_logprob":-0.1},
                    {"id":1,"text":"world","avg_logprob":-0.3}]}"#;
    (StatusCode::OK, body.into())
}

fn transcriber(addr: SocketAddr, timeout_ms: u64, key_env: Option<&str>) -> OpenAiTranscriber {
    OpenAiTranscriber::new(&OpenAiAsrConfig {
        base_url: format!("http://{addr}/"),
        model: "large-v3".into(),
        api_key_env: key_env.map(str::to_string),
        timeout_ms,
    })
    .unwrap()
}

fn utterance(samples: usize) -> AsrRequest {
    let audio: Vec<i16> = (0..samples).map(|i| ((i % 40) as i16 - 20) * 500).collect();
    AsrRequest {
        audio: audio.into(),
        ..AsrRequest::default()
    }
}

#[tokio::test]
async fn posts_a_16k_wav_with_the_fields_and_reads_verbose_json() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let router = Router::new()
        .route("/v1/audio/transcriptions", post(transcriptions))
        .with_state(seen.clone());
    let addr = serve(router).await;
    // Cargo sets CARGO_PKG_NAME for the test process: a variable known to exist.
    let asr = transcriber(addr, 5_000, Some("CARGO_PKG_NAME"));
    let mut request = utterance(8_000);
    request.language = Some("en".into());
    request.hot_words = vec!["voxgate".into(), "续保".into()];
    let recognition = asr.recognize(request).await.unwrap();
    assert_eq!(recognition.text, "hello world");
    assert!((recognition.confidence - (-0.2f32).exp()).abs() < 1e-5);

    let seen = seen.lock().unwrap().clone();
    let (spec, len) = seen.wav.expect("a file part");
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (16_000, 1, 16)
    );
    assert_eq!(len, 16_000, "1 s at 8 kHz is 16,000 samples at 16 kHz");
    let field = |name: &str| {
        seen.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(field("model"), Some("large-v3"));
    assert_eq!(field("language"), Some("en"));
    assert_eq!(field("prompt"), Some("voxgate, 续保"));
    assert_eq!(field("response_format"), Some("verbose_json"));
    assert_eq!(seen.authorization.as_deref(), Some("Bearer voxgate-speech"));
}

#[tokio::test]
async fn optional_fields_are_left_out() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let router = Router::new()
        .route("/v1/audio/transcriptions", post(transcriptions))
        .with_state(seen.clone());
    let asr = transcriber(serve(router).await, 5_000, None);
    asr.recognize(utterance(1_600)).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let names: Vec<&str> = seen.fields.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["model", "response_format"]);
    assert_eq!(seen.authorization, None);
    assert_eq!(seen.wav.unwrap().1, 3_200);
}

#[tokio::test]
async fn plain_json_answer_has_full_confidence() {
    let router = Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async { r#"{"text":"好的"}"# }),
    );
    let asr = transcriber(serve(router).await, 5_000, None);
    let recognition = asr.recognize(utterance(800)).await.unwrap();
    assert_eq!(
        (recognition.text.as_str(), recognition.confidence),
        ("好的", 1.0)
    );
}

#[tokio::test]
async fn slow_server_times_out() {
    let router = Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            r#"{"text":"too late"}"#
        }),
    );
    let asr = transcriber(serve(router).await, 300, None);
    let error = asr.recognize(utterance(800)).await.unwrap_err();
    assert_eq!(error, AsrError::Timeout(Duration::from_millis(300)));
}

#[tokio::test]
async fn server_error_is_unavailable_with_status_and_body() {
    let router = Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "model not loaded") }),
    );
    let asr = transcriber(serve(router).await, 5_000, None);
    match asr.recognize(utterance(800)).await {
        Err(AsrError::Unavailable(reason)) => {
            assert!(
                reason.contains("500") && reason.contains("model not loaded"),
                "{reason}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn garbage_answer_is_a_protocol_error() {
    let router = Router::new().route(
        "/v1/audio/transcriptions",
        post(|| async { "<html>hello</html>" }),
    );
    let asr = transcriber(serve(router).await, 5_000, None);
    let error = asr.recognize(utterance(800)).await.unwrap_err();
    assert!(
        matches!(error, AsrError::Protocol(ref reason) if reason.contains("<html>")),
        "{error:?}"
    );
}

#[tokio::test]
async fn refused_connection_is_unavailable_and_empty_audio_rejected() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let asr = transcriber(addr, 5_000, None);
    assert!(matches!(
        asr.recognize(utterance(800)).await,
        Err(AsrError::Unavailable(_))
    ));
    assert!(matches!(
        asr.recognize(utterance(0)).await,
        Err(AsrError::Rejected(_))
    ));
}

#[test]
fn missing_api_key_variable_fails_at_construction() {
    let config = OpenAiAsrConfig {
        base_url: "http://127.0.0.1:9".into(),
        model: "m".into(),
        api_key_env: Some("VOXGATE_SPEECH_TEST_UNSET_KEY".into()),
        timeout_ms: 1_000,
    };
    let error = OpenAiTranscriber::new(&config).unwrap_err();
    assert!(
        error.to_string().contains("VOXGATE_SPEECH_TEST_UNSET_KEY"),
        "{error}"
    );
}
