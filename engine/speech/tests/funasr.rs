//! FunAsrClient against a loopback tokio-tungstenite server speaking the FunASR protocol.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use voxgate_speech::funasr::{FunAsrClient, FunAsrConfig, FunAsrMode};
use voxgate_speech::{AsrError, AsrRequest, Recognizer};

/// How the test server answers.
#[derive(Clone, Copy)]
enum Script {
    /// 2pass: a partial after the first audio chunk, another partial and the final at the end.
    TwoPass,
    /// offline: one `offline` message (with `is_final` false, as some servers send it).
    Offline,
    /// online: two pieces, then the server closes.
    OnlineThenClose,
    /// Closes right after the start message.
    CloseEarly,
    /// Answers text that is not JSON.
    Garbage,
    /// Never answers.
    Silent,
}

/// What the server received.
#[derive(Debug, Default)]
struct Received {
    start: Option<serde_json::Value>,
    audio_bytes: usize,
    audio_messages: usize,
    ended: bool,
}

fn reply(mode: &str, text: &str, is_final: bool) -> Message {
    let json = serde_json::json!({
        "mode": mode, "text": text, "wav_name": "w", "is_final": is_final,
        "timestamp": "[[100,200]]"
    });
    Message::text(json.to_string())
}

async fn server(script: Script) -> (String, Arc<Mutex<Received>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Received::default()));
    let record = received.clone();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(message)) = socket.next().await {
            match message {
                Message::Text(text) => {
                    let json: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    if json.get("mode").is_some() {
                        record.lock().unwrap().start = Some(json);
                        if let Script::CloseEarly = script {
                            let _ = socket.close(None).await;
                            return;
                        }
                    } else if json["is_speaking"] == false {
                        record.lock().unwrap().ended = true;
                        let answers = match script {
                            Script::TwoPass => vec![
                                reply("2pass-online", "好", false),
                                reply("2pass-offline", "你好。", true),
                            ],
                            Script::Offline => vec![reply("offline", "hello there", false)],
                            Script::OnlineThenClose => {
                                vec![reply("online", "ab", false), reply("online", "cd", false)]
                            }
                            Script::Garbage => vec![Message::text("this is not json")],
                            Script::CloseEarly | Script::Silent => vec![],
                        };
                        for answer in answers {
                            socket.send(answer).await.unwrap();
                        }
                        if let Script::OnlineThenClose = script {
                            let _ = socket.close(None).await;
                        }
                    }
                }
                Message::Binary(bytes) => {
                    let first = {
                        let mut record = record.lock().unwrap();
                        record.audio_bytes += bytes.len();
                        record.audio_messages += 1;
                        record.audio_messages == 1
                    };
                    if first && matches!(script, Script::TwoPass) {
                        socket
                            .send(reply("2pass-online", "你", false))
                            .await
                            .unwrap();
                    }
                }
                _ => {}
            }
        }
    });
    (url, received)
}

fn client(url: String, mode: FunAsrMode, timeout_ms: u64) -> FunAsrClient {
    FunAsrClient::new(&FunAsrConfig {
        url,
        mode,
        hot_word_weight: 30,
        timeout_ms,
    })
    .unwrap()
}

/// One second of 8 kHz audio, with hot words and a partials channel.
fn request() -> (AsrRequest, mpsc::UnboundedReceiver<String>) {
    let (partials, receiver) = mpsc::unbounded_channel();
    let audio: Vec<i16> = (0..8_000).map(|i| ((i % 16) as i16 - 8) * 1000).collect();
    let request = AsrRequest {
        audio: audio.into(),
        language: Some("zh".into()),
        hot_words: vec!["续保".into(), "voxgate".into()],
        partials: Some(partials),
    };
    (request, receiver)
}

fn drain(mut receiver: mpsc::UnboundedReceiver<String>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(partial) = receiver.try_recv() {
        out.push(partial);
    }
    out
}

#[tokio::test]
async fn two_pass_streams_partials_and_returns_the_offline_text() {
    let (url, received) = server(Script::TwoPass).await;
    let (request, partials) = request();
    let recognition = client(url, FunAsrMode::TwoPass, 5_000)
        .recognize(request)
        .await
        .unwrap();
    assert_eq!(recognition.text, "你好。");
    assert_eq!(recognition.confidence, 1.0);
    assert_eq!(drain(partials), ["你", "你好"]);

    let received = received.lock().unwrap();
    let start = received.start.as_ref().unwrap();
    assert_eq!(start["mode"], "2pass");
    assert_eq!(start["wav_format"], "pcm");
    assert_eq!(start["audio_fs"], 16_000);
    assert_eq!(start["is_speaking"], true);
    assert_eq!(start["chunk_size"], serde_json::json!([5, 10, 5]));
    let hotwords: serde_json::Value =
        serde_json::from_str(start["hotwords"].as_str().unwrap()).unwrap();
    assert_eq!(hotwords, serde_json::json!({"续保": 30, "voxgate": 30}));
    assert_eq!(received.audio_bytes, 32_000, "1 s at 16 kHz, 16-bit");
    assert_eq!(received.audio_messages, 17, "60 ms chunks of 1,920 bytes");
    assert!(received.ended);
}

#[tokio::test]
async fn offline_sends_one_piece_and_takes_the_first_offline_message() {
    let (url, received) = server(Script::Offline).await;
    let (request, partials) = request();
    let recognition = client(url, FunAsrMode::Offline, 5_000)
        .recognize(request)
        .await
        .unwrap();
    assert_eq!(recognition.text, "hello there");
    assert!(drain(partials).is_empty());
    let received = received.lock().unwrap();
    assert_eq!((received.audio_bytes, received.audio_messages), (32_000, 1));
    assert_eq!(received.start.as_ref().unwrap()["mode"], "offline");
}

#[tokio::test]
async fn online_joins_pieces_when_the_server_closes() {
    let (url, _) = server(Script::OnlineThenClose).await;
    let (request, partials) = request();
    let recognition = client(url, FunAsrMode::Online, 5_000)
        .recognize(request)
        .await
        .unwrap();
    assert_eq!(recognition.text, "abcd");
    assert_eq!(drain(partials), ["ab", "abcd"]);
}

#[tokio::test]
async fn early_close_is_unavailable() {
    let (url, _) = server(Script::CloseEarly).await;
    let (request, _partials) = request();
    let error = client(url, FunAsrMode::TwoPass, 5_000)
        .recognize(request)
        .await
        .unwrap_err();
    assert!(matches!(error, AsrError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let (url, _) = server(Script::Garbage).await;
    let (request, _partials) = request();
    let error = client(url, FunAsrMode::TwoPass, 5_000)
        .recognize(request)
        .await
        .unwrap_err();
    assert!(matches!(error, AsrError::Protocol(ref reason) if reason.contains("not json")));
}

#[tokio::test]
async fn silent_server_times_out_and_refused_connection_is_unavailable() {
    let (url, _) = server(Script::Silent).await;
    let (first, _partials) = request();
    let error = client(url, FunAsrMode::TwoPass, 300)
        .recognize(first)
        .await
        .unwrap_err();
    assert_eq!(error, AsrError::Timeout(Duration::from_millis(300)));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    drop(listener);
    let (second, _partials) = request();
    let error = client(url, FunAsrMode::Offline, 5_000)
        .recognize(second)
        .await
        .unwrap_err();
    assert!(matches!(error, AsrError::Unavailable(_)), "{error:?}");
}
