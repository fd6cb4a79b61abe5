//! API tests against a running server on 127.0.0.1:0, with an in-memory store filled with
//! crafted records and a fake campaign service that writes to the same store.

mod export_check;
mod openapi_check;
mod routes;

use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use voxgate_store::{FinishedAttempt, LeaseAttempt, NewNumber, NumberUpdate, RoundRow, Store};

use super::{ApiState, BoxFuture, CampaignControl};
use crate::campaigns::{
    CampaignInfo, CampaignSource, ImportOptions, ImportReport, RejectedRow, ServiceError,
    Transition,
};
use crate::metrics::Metrics;

/// The token the test server expects.
pub(crate) const TOKEN: &str = "test-token-7f3a";
/// 2026-03-02 09:00 Asia/Shanghai (01:00 UTC), a Monday.
pub(crate) const T0: i64 = 1_772_413_200_000;
const HOUR: i64 = 3_600_000;

/// A campaign file the fake service accepts.
pub(crate) fn campaign_file(id: &str) -> String {
    format!("name = \"{id}\"\ntrunk = \"carrier\"\ntimezone = \"Asia/Shanghai\"\n")
}

/// Stands in for the campaign service: the same commands, applied to the store directly.
struct FakeCampaigns {
    store: Arc<Mutex<Store>>,
}

impl FakeCampaigns {
    fn with_store<T>(
        &self,
        job: impl FnOnce(&mut Store) -> Result<T, String>,
    ) -> Result<T, ServiceError> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        job(&mut store).map_err(ServiceError::Internal)
    }

    fn info(&self, id: &str) -> Result<CampaignInfo, ServiceError> {
        let row = self
            .with_store(|s| s.campaign(id).map_err(|e| e.to_string()))?
            .ok_or_else(|| ServiceError::NotFound(id.to_owned()))?;
        Ok(CampaignInfo {
            id: row.id,
            status: row.status,
            reason: row.status_reason,
            trunk: "carrier".into(),
        })
    }
}

impl CampaignControl for FakeCampaigns {
    fn load(&self, source: CampaignSource) -> BoxFuture<'_, Result<CampaignInfo, ServiceError>> {
        Box::pin(async move {
            let CampaignSource::Text(text) = source;
            let table: toml::Table =
                toml::from_str(&text).map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let Some(id) = table.get("name").and_then(|v| v.as_str()) else {
                return Err(ServiceError::Invalid("campaign:1:1: missing `name`".into()));
            };
            self.with_store(|s| {
                s.upsert_campaign(id, id, &text, T0)
                    .map_err(|e| e.to_string())
            })?;
            self.info(id)
        })
    }

    fn transition<'a>(
        &'a self,
        campaign: &'a str,
        transition: Transition,
    ) -> BoxFuture<'a, Result<CampaignInfo, ServiceError>> {
        Box::pin(async move {
            let status = self.info(campaign)?.status;
            let next = match (transition, status.as_str()) {
                (Transition::Start, "loaded") => "running",
                (Transition::Pause, "running") => "paused",
                (Transition::Resume, "paused") => "running",
                (Transition::Stop, s) if s != "stopped" => "stopped",
                (t, s) => {
                    return Err(ServiceError::Conflict(format!(
                        "cannot {t:?} campaign `{campaign}`: it is {s}"
                    )));
                }
            };
            self.with_store(|s| {
                s.set_status(campaign, next, None, T0)
                    .map_err(|e| e.to_string())
            })?;
            self.info(campaign)
        })
    }

    fn import<'a>(
        &'a self,
        campaign: &'a str,
        file_name: &'a str,
        bytes: Vec<u8>,
        options: ImportOptions,
    ) -> BoxFuture<'a, Result<ImportReport, ServiceError>> {
        Box::pin(async move {
            self.info(campaign)?;
            let format = voxgate_numbers::Format::from_path(std::path::Path::new(file_name))
                .map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let read = voxgate_numbers::ImportOptions {
                phone_column: options.phone_column,
                sheet: options.sheet,
                format,
                ..Default::default()
            };
            let list = voxgate_numbers::import(&bytes, &read)
                .map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let rows: Vec<NewNumber> = list
                .rows
                .iter()
                .map(|r| NewNumber {
                    e164: r.phone.e164.clone(),
                    national: r.phone.national.clone(),
                    kind: "mobile".into(),
                    region: None,
                    variables: r.variables.clone(),
                    import_row: r.row,
                })
                .collect();
            let rejected: Vec<(usize, String, String)> = list
                .rejected
                .iter()
                .map(|r| (r.row, r.raw.clone(), r.reason.clone()))
                .collect();
            let summary = self.with_store(|s| {
                s.import_numbers(campaign, file_name, &rows, &rejected, T0)
                    .map_err(|e| e.to_string())
            })?;
            Ok(ImportReport {
                rows: rows.len() + list.duplicates.len() + rejected.len(),
                accepted: summary.accepted,
                duplicates_in_file: list.duplicates.len(),
                duplicates_in_campaign: summary.duplicates_in_campaign,
                rejected: list
                    .rejected
                    .into_iter()
                    .map(|r| RejectedRow {
                        row: r.row,
                        raw: r.raw,
                        reason: r.reason,
                    })
                    .collect(),
            })
        })
    }

    fn blacklist<'a>(
        &'a self,
        group: &'a str,
        numbers: Vec<String>,
        expires_at: Option<i64>,
        remove: bool,
    ) -> BoxFuture<'a, Result<usize, ServiceError>> {
        Box::pin(async move {
            let mut e164 = Vec::new();
            for n in &numbers {
                let phone = voxgate_numbers::normalize(n, voxgate_numbers::Country::China)
                    .map_err(|e| ServiceError::Invalid(format!("`{n}`: {e}")))?;
                e164.push(phone.e164);
            }
            self.with_store(|s| {
                let mut changed = 0;
                for n in &e164 {
                    if remove {
                        changed +=
                            usize::from(s.blacklist_remove(group, n).map_err(|e| e.to_string())?);
                    } else {
                        s.blacklist_add(group, n, expires_at, None, T0)
                            .map_err(|e| e.to_string())?;
                        changed += 1;
                    }
                }
                Ok(changed)
            })
        })
    }
}

/// A running API server with crafted data; stops when dropped.
pub(crate) struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Holds the recordings folder (and a file outside it).
    pub dir: tempfile::TempDir,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl TestServer {
    /// Start a server on 127.0.0.1:0 over a store filled by [`fill`].
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let recordings = dir.path().join("recordings");
        std::fs::create_dir_all(&recordings).unwrap();
        std::fs::write(recordings.join("a1.wav"), wav_bytes()).unwrap();
        std::fs::write(dir.path().join("secret.wav"), b"outside").unwrap();
        let store = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
        fill(&mut store.lock().unwrap(), &recordings);
        let metrics = Arc::new(Metrics::default());
        metrics.attempt_ended("busy");
        let state = ApiState {
            campaigns: Arc::new(FakeCampaigns {
                store: store.clone(),
            }),
            store: store.clone(),
            metrics,
            recordings_dir: recordings,
            token: TOKEN.into(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(super::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            dir,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            _stop: stop,
        }
    }

    /// A request with the right token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
    }

    /// GET with the token; the status and the body as JSON (`Null` when not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.request(Method::GET, path)).await
    }
}

/// `request` with `value` as its JSON body.
pub(crate) fn with_json(
    request: reqwest::RequestBuilder,
    value: &Value,
) -> reqwest::RequestBuilder {
    request
        .header("content-type", "application/json")
        .body(value.to_string())
}

/// Send and read the answer as JSON (`Null` when it is not JSON).
pub(crate) async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A tiny valid WAV file (8 kHz stereo, 4 frames of silence).
fn wav_bytes() -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::new(&mut cursor, spec).unwrap();
    for _ in 0..8 {
        writer.write_sample(0i16).unwrap();
    }
    writer.finalize().unwrap();
    cursor.into_inner()
}

/// One crafted attempt.
struct Call {
    campaign: &'static str,
    phone: &'static str,
    result: &'static str,
    level: Option<&'static str>,
    tags: &'static [&'static str],
    talk_ms: Option<u64>,
    at: i64,
    recording: Option<String>,
}

/// Two campaigns with records:
///
/// | attempt | campaign | phone       | result       | level | tags       | talk   | at     |
/// |---------|----------|-------------|--------------|-------|------------|--------|--------|
/// | 1       | spring   | 13800000001 | answered     | A     | interested | 65 s   | T0     |
/// | 2       | spring   | 13800000002 | busy         |       |            |        | T0+1h  |
/// | 3       | spring   | 13800000003 | answered     | C     | callback   | 3 s    | T0+2h  |
/// | 4       | spring   | 13800000004 | no_answer    |       |            |        | T0+3h  |
/// | 5       | autumn   | 13900000005 | answered     | A     | interested | 30 s   | T0     |
/// | 6       | autumn   | 13900000006 | answered     | B     |            | 10 s   | T0+1h  |
/// | 7       | autumn   | 13900000007 | empty_number |       |            |        | T0+2h  |
///
/// Attempt 1 has a recording inside the folder and two rounds; attempt 3's recording path
/// points outside the folder.
fn fill(store: &mut Store, recordings: &std::path::Path) {
    let outside = recordings.join("../secret.wav").display().to_string();
    let calls = [
        Call {
            campaign: "spring",
            phone: "13800000001",
            result: "answered",
            level: Some("A"),
            tags: &["interested"],
            talk_ms: Some(65_000),
            at: T0,
            recording: Some("a1.wav".into()),
        },
        Call {
            campaign: "spring",
            phone: "13800000002",
            result: "busy",
            level: None,
            tags: &[],
            talk_ms: None,
            at: T0 + HOUR,
            recording: None,
        },
        Call {
            campaign: "spring",
            phone: "13800000003",
            result: "answered",
            level: Some("C"),
            tags: &["callback"],
            talk_ms: Some(3_000),
            at: T0 + 2 * HOUR,
            recording: Some(outside),
        },
        Call {
            campaign: "spring",
            phone: "13800000004",
            result: "no_answer",
            level: None,
            tags: &[],
            talk_ms: None,
            at: T0 + 3 * HOUR,
            recording: None,
        },
        Call {
            campaign: "autumn",
            phone: "13900000005",
            result: "answered",
            level: Some("A"),
            tags: &["interested"],
            talk_ms: Some(30_000),
            at: T0,
            recording: None,
        },
        Call {
            campaign: "autumn",
            phone: "13900000006",
            result: "answered",
            level: Some("B"),
            tags: &[],
            talk_ms: Some(10_000),
            at: T0 + HOUR,
            recording: None,
        },
        Call {
            campaign: "autumn",
            phone: "13900000007",
            result: "empty_number",
            level: None,
            tags: &[],
            talk_ms: None,
            at: T0 + 2 * HOUR,
            recording: None,
        },
    ];
    for id in ["spring", "autumn"] {
        store
            .upsert_campaign(id, id, &campaign_file(id), T0)
            .unwrap();
        let numbers: Vec<NewNumber> = calls
            .iter()
            .filter(|c| c.campaign == id)
            .enumerate()
            .map(|(i, c)| NewNumber {
                e164: format!("+86{}", c.phone),
                national: c.phone.into(),
                kind: "mobile".into(),
                region: Some("北京".into()),
                variables: vec![("name".into(), format!("客户{i}"))],
                import_row: i + 2,
            })
            .collect();
        store
            .import_numbers(id, "leads.csv", &numbers, &[], T0)
            .unwrap();
    }
    for call in calls {
        let number = store
            .numbers_for_dialer(call.campaign)
            .unwrap()
            .into_iter()
            .find(|n| n.national == call.phone)
            .unwrap();
        let attempt = store.next_attempt_id().unwrap();
        store
            .lease(&LeaseAttempt {
                attempt,
                campaign: call.campaign.into(),
                number_id: number.id,
                phone: call.phone.into(),
                caller_id: Some("02150001000".into()),
                trunk: "carrier".into(),
                now: call.at,
            })
            .unwrap();
        let answered = call.talk_ms.is_some();
        let rounds = if attempt == 1 {
            vec![
                RoundRow {
                    idx: 1,
                    at_ms: 4_000,
                    input_kind: "utterance".into(),
                    text: Some("你好，哪位？".into()),
                    intent: Some("greeting".into()),
                    reply: vec!["intro".into()],
                    ..Default::default()
                },
                RoundRow {
                    idx: 2,
                    at_ms: 12_000,
                    input_kind: "utterance".into(),
                    text: Some("有兴趣".into()),
                    keywords: vec!["兴趣".into()],
                    intent: Some("positive".into()),
                    reply: vec!["details".into()],
                    ..Default::default()
                },
            ]
        } else {
            Vec::new()
        };
        store
            .finish(&FinishedAttempt {
                attempt,
                call_id: Some(format!("call-{attempt}@test")),
                dial_at: Some(call.at + 100),
                ring_at: Some(call.at + 500),
                answer_at: answered.then_some(call.at + 5_000),
                hangup_at: Some(call.at + 5_000 + call.talk_ms.unwrap_or(0) as i64),
                ring_ms: Some(if answered { 4_900 } else { 30_000 }),
                talk_ms: call.talk_ms,
                result: call.result.into(),
                sip_code: Some(if answered { 200 } else { 486 }),
                rounds_count: rounds.len() as u32,
                score: call.level.map(|_| 80),
                level: call.level.map(Into::into),
                tags: call.tags.iter().map(|t| t.to_string()).collect(),
                variables: [("name".to_owned(), "张三".to_owned())].into(),
                recording: call.recording,
                analysis: answered.then(|| serde_json::json!({"summary": "客户有兴趣"})),
                record: Some(serde_json::json!({"call_id": format!("call-{attempt}@test")})),
                rounds,
                number_update: NumberUpdate {
                    number_id: number.id,
                    attempts: 1,
                    next_at: None,
                    last_result: call.result.into(),
                },
                now: call.at + 100_000,
                ..Default::default()
            })
            .unwrap();
    }
    store
        .blacklist_add("dnc", "+8613700000001", None, Some("complaint"), T0)
        .unwrap();
}
