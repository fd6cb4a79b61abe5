//! Post-call plugin jobs of a campaign: the `analysis` plugin grades a finished call, the
//! `crm-sync` plugin pushes it to the CRM, and before dialling the same CRM plugin looks up the
//! customer's fields. Each job gets its own plugin session, run on the blocking pool one event
//! at a time; the host performs the job's HTTP requests and feeds the responses back as events
//! until the plugin gives its final answer (`report`, `done`) or the job's time limit passes.
//! The call record meets the WIT `call-summary` and `transcript-turn` types only here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinSet;
use voxgate_call::{CallRecord, Direction, HangupBy, Outcome, RoundInput};
use voxgate_plugin_host::analysis::{AnalysisAction, AnalysisEvent, AnalysisInput, Report};
use voxgate_plugin_host::crm::{CrmAction, CrmEvent};
use voxgate_plugin_host::types::{
    CallSummary, HangupParty, HttpRequest, HttpResponse, LogEntry, LogLevel, TranscriptTurn,
};
use voxgate_plugin_host::{AnalysisSession, CrmSession, Fault, Plugin, PluginHost, SessionContext};

use crate::dialogue::call_info;
use crate::http::HttpClient;

/// Time limit of an analysis job, from loading the plugin to its report.
pub const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(60);
/// Time limit of a CRM push, from loading the plugin to its `done`.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(60);
/// The usual time limit of a pre-call CRM lookup: the call waits this long at most.
pub const DEFAULT_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a post-call job gave no result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostCallError {
    /// The plugin could not be loaded or started, or it faulted (the kind and detail say how).
    #[error("{0}")]
    Plugin(String),
    /// The job did not finish within its time limit.
    #[error("the plugin job did not finish within its time limit")]
    TimedOut,
    /// The plugin stopped without its final answer and waits for no HTTP response.
    #[error("{0}")]
    Unfinished(String),
    /// The CRM plugin answered a lookup with `done(false)`.
    #[error("{0}")]
    Failed(String),
    /// The worker thread running the plugin failed.
    #[error("plugin worker failed: {0}")]
    Host(String),
}

/// Post-call jobs of a campaign: the analysis plugin and the CRM plugin, run after each call.
#[derive(Clone)]
pub struct PostCall {
    host: Arc<PluginHost>,
    http: HttpClient,
}

impl PostCall {
    /// Jobs on `host` (sized for a few concurrent jobs, e.g. `max_instances: 8`), performing
    /// plugin HTTP requests with `http`.
    pub fn new(host: Arc<PluginHost>, http: HttpClient) -> Self {
        Self { host, http }
    }

    /// Run the analysis plugin on a finished call: `call-finished` (call summary and the
    /// transcript built from the record), then its HTTP requests, whose responses go back as
    /// `http-response`, until it gives its report; [`ANALYSIS_TIMEOUT`] overall. Returns every
    /// field of the WIT report with snake_case keys.
    pub async fn analyse(
        &self,
        plugin: &Path,
        campaign: &str,
        record: &CallRecord,
    ) -> Result<Value, PostCallError> {
        let input = AnalysisInput {
            call: call_summary(campaign, record),
            transcript: transcript(record),
        };
        let label = record.call_id.clone();
        let job = async {
            let mut job = Job::<AnalysisSession>::start(self, plugin, label).await?;
            let mut event = AnalysisEvent::CallFinished(input);
            loop {
                for action in job.feed(event).await? {
                    match action {
                        AnalysisAction::HttpRequest(request) => job.request(request),
                        AnalysisAction::Report(report) => return Ok(report_json(&report)),
                        AnalysisAction::Log(entry) => job.log(&entry),
                    }
                }
                event = AnalysisEvent::HttpResponse(job.next_response("a report").await?);
            }
        };
        within(ANALYSIS_TIMEOUT, job).await
    }

    /// Push a finished call to the CRM plugin (`call-finished`, its HTTP requests, `done`);
    /// [`PUSH_TIMEOUT`] overall. Returns `{"pushed": bool, "requests": n}`: `done(false)` (the
    /// CRM refused or was unreachable) is `pushed: false`, for the caller to retry later.
    pub async fn push_to_crm(
        &self,
        plugin: &Path,
        campaign: &str,
        record: &CallRecord,
    ) -> Result<Value, PostCallError> {
        let summary = call_summary(campaign, record);
        let label = record.call_id.clone();
        let job = async {
            let mut job = Job::<CrmSession>::start(self, plugin, label).await?;
            let mut event = CrmEvent::CallFinished(summary);
            let mut requests = 0u32;
            loop {
                for action in job.feed(event).await? {
                    match action {
                        CrmAction::HttpRequest(request) => {
                            requests += 1;
                            job.request(request);
                        }
                        CrmAction::Done(pushed) => {
                            return Ok(json!({ "pushed": pushed, "requests": requests }));
                        }
                        CrmAction::Fields(_) => {
                            tracing::debug!(plugin = %job.name, "fields after a call ignored");
                        }
                        CrmAction::Log(entry) => job.log(&entry),
                    }
                }
                event = CrmEvent::HttpResponse(job.next_response("`done`").await?);
            }
        };
        within(PUSH_TIMEOUT, job).await
    }

    /// Before dialling: ask the CRM plugin for the customer's fields (`lookup`, its HTTP
    /// requests, `fields`, `done`) within `timeout` (usually [`DEFAULT_LOOKUP_TIMEOUT`]). The
    /// plugin sees an outbound call with no Call-ID or caller yet. Errors and time-outs are for
    /// the caller to log and ignore: the call then goes ahead with the number-list variables.
    pub async fn lookup(
        &self,
        plugin: &Path,
        campaign: &str,
        callee: &str,
        variables: &[(String, String)],
        timeout: Duration,
    ) -> Result<Vec<(String, String)>, PostCallError> {
        let mut info = call_info("", false, None, None, callee, "", variables);
        info.campaign = (!campaign.is_empty()).then(|| campaign.to_owned());
        let label = format!("lookup@{campaign}");
        let job = async {
            let mut job = Job::<CrmSession>::start(self, plugin, label).await?;
            let mut event = CrmEvent::Lookup(info);
            let mut fields = Vec::new();
            loop {
                for action in job.feed(event).await? {
                    match action {
                        CrmAction::HttpRequest(request) => job.request(request),
                        CrmAction::Fields(pairs) => {
                            fields.extend(pairs.into_iter().map(|p| (p.name, p.value)));
                        }
                        CrmAction::Done(true) => return Ok(fields),
                        CrmAction::Done(false) => {
                            let why = job.warning.take().unwrap_or_else(|| "no reason".into());
                            return Err(PostCallError::Failed(format!(
                                "{}: the lookup failed ({why})",
                                job.name
                            )));
                        }
                        CrmAction::Log(entry) => job.log(&entry),
                    }
                }
                event = CrmEvent::HttpResponse(job.next_response("`done`").await?);
            }
        };
        within(timeout, job).await
    }
}

async fn within<T>(
    limit: Duration,
    job: impl Future<Output = Result<T, PostCallError>>,
) -> Result<T, PostCallError> {
    tokio::time::timeout(limit, job)
        .await
        .unwrap_or(Err(PostCallError::TimedOut))
}

/// The session kinds a post-call job runs.
trait JobSession: Send + Sized + 'static {
    type Event: Send + 'static;
    type Action: Send + 'static;
    fn open(plugin: &Arc<Plugin>, context: SessionContext) -> Result<Self, String>;
    fn handle(&mut self, event: Self::Event) -> Result<Vec<Self::Action>, Fault>;
}

impl JobSession for AnalysisSession {
    type Event = AnalysisEvent;
    type Action = AnalysisAction;
    fn open(plugin: &Arc<Plugin>, context: SessionContext) -> Result<Self, String> {
        AnalysisSession::new(plugin, context).map_err(|e| e.to_string())
    }
    fn handle(&mut self, event: AnalysisEvent) -> Result<Vec<AnalysisAction>, Fault> {
        self.on_event(event)
    }
}

impl JobSession for CrmSession {
    type Event = CrmEvent;
    type Action = CrmAction;
    fn open(plugin: &Arc<Plugin>, context: SessionContext) -> Result<Self, String> {
        CrmSession::new(plugin, context).map_err(|e| e.to_string())
    }
    fn handle(&mut self, event: CrmEvent) -> Result<Vec<CrmAction>, Fault> {
        self.on_event(event)
    }
}

/// One running job: its session (taken while an event runs on the blocking pool) and its
/// HTTP requests in flight (aborted when the job ends).
struct Job<S> {
    session: Option<S>,
    name: String,
    label: String,
    http: HttpClient,
    requests: JoinSet<HttpResponse>,
    /// The last warning or error the plugin logged, to explain a failure.
    warning: Option<String>,
}

impl<S: JobSession> Job<S> {
    /// Loads the plugin (compiling it on first use) and opens a session, off the runtime.
    async fn start(post: &PostCall, plugin: &Path, label: String) -> Result<Self, PostCallError> {
        let host = post.host.clone();
        let path = plugin.to_path_buf();
        let context = SessionContext::new(label.clone(), rand::random());
        let opened = tokio::task::spawn_blocking(move || open::<S>(&host, &path, context))
            .await
            .map_err(|e| PostCallError::Host(e.to_string()))?;
        let (name, session) = opened.map_err(PostCallError::Plugin)?;
        Ok(Self {
            session: Some(session),
            name,
            label,
            http: post.http.clone(),
            requests: JoinSet::new(),
            warning: None,
        })
    }

    /// Hands one event to the plugin on the blocking pool; a fault ends the job.
    async fn feed(&mut self, event: S::Event) -> Result<Vec<S::Action>, PostCallError> {
        let Some(mut session) = self.session.take() else {
            return Err(PostCallError::Host("the session was lost".into()));
        };
        let (session, result) = tokio::task::spawn_blocking(move || {
            let result = session.handle(event);
            (session, result)
        })
        .await
        .map_err(|e| PostCallError::Host(e.to_string()))?;
        self.session = Some(session);
        result.map_err(|fault| PostCallError::Plugin(format!("{}: {fault}", self.name)))
    }

    fn request(&mut self, request: HttpRequest) {
        let http = self.http.clone();
        self.requests
            .spawn(async move { http.perform(request).await });
    }

    /// The next HTTP response; without a request in flight the plugin will never give `what`.
    async fn next_response(&mut self, what: &str) -> Result<HttpResponse, PostCallError> {
        match self.requests.join_next().await {
            Some(Ok(response)) => Ok(response),
            Some(Err(e)) => Err(PostCallError::Host(format!("HTTP task failed: {e}"))),
            None => Err(PostCallError::Unfinished(format!(
                "{}: stopped without {what} and waits for no HTTP response",
                self.name
            ))),
        }
    }

    fn log(&mut self, entry: &LogEntry) {
        let (plugin, job, message) = (&self.name, &self.label, &entry.message);
        match entry.level {
            LogLevel::Error => tracing::error!(%plugin, %job, "{message}"),
            LogLevel::Warn => tracing::warn!(%plugin, %job, "{message}"),
            LogLevel::Info => tracing::info!(%plugin, %job, "{message}"),
            LogLevel::Debug => tracing::debug!(%plugin, %job, "{message}"),
            LogLevel::Trace => tracing::trace!(%plugin, %job, "{message}"),
        }
        if matches!(entry.level, LogLevel::Error | LogLevel::Warn) {
            self.warning = Some(entry.message.clone());
        }
    }
}

fn open<S: JobSession>(
    host: &PluginHost,
    path: &Path,
    context: SessionContext,
) -> Result<(String, S), String> {
    let plugin = host.plugin(path).map_err(|e| e.to_string())?;
    let session = S::open(&plugin, context)?;
    Ok((plugin.name().to_owned(), session))
}

/// The analysis report as JSON: every field of the WIT `report` record, snake_case keys.
fn report_json(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| json!({ "rule": f.rule, "severity": f.severity, "detail": f.detail }))
        .collect();
    json!({
        "level": report.level,
        "tags": report.tags,
        "summary": report.summary,
        "customer_situation": report.customer_situation,
        "next_actions": report.next_actions,
        "findings": findings,
        "invalid": report.invalid,
        "invalid_reason": report.invalid_reason,
    })
}

/// The attempt's result name: the answer, else what early media revealed (`powered_off`, ...),
/// else the signalling outcome; a record with none is an engine error.
fn result_name(record: &CallRecord) -> String {
    if record.outcome != Some(Outcome::Answered)
        && let Some(early) = &record.early_media
    {
        return early.result.clone();
    }
    record
        .outcome
        .and_then(|o| serde_json::to_value(o).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "engine_error".to_owned())
}

/// The WIT `call-summary` of a finished call (numbers unmasked: the host masks them per
/// manifest). An empty `campaign` means none.
fn call_summary(campaign: &str, record: &CallRecord) -> CallSummary {
    let variables: Vec<(String, String)> = record
        .variables
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut call = call_info(
        &record.call_id,
        record.direction == Direction::Inbound,
        record.route.as_deref(),
        record.trunk.as_deref(),
        &record.to,
        &record.from,
        &variables,
    );
    call.campaign = (!campaign.is_empty()).then(|| campaign.to_owned());
    let ring_ms = record.ring_ms.unwrap_or(0);
    let talk_ms = record.talk_ms.unwrap_or(0);
    CallSummary {
        variables: call.variables.clone(),
        call,
        outcome: result_name(record),
        sip_code: record.sip_code,
        hangup_by: match record.hangup_by {
            Some(HangupBy::Remote) => HangupParty::Remote,
            Some(HangupBy::Bot) => HangupParty::Bot,
            Some(HangupBy::Network) => HangupParty::Network,
            None => HangupParty::Engine,
        },
        started_unix_ms: record.invite_unix_ms,
        answered_unix_ms: record.answer_unix_ms,
        ended_unix_ms: record.hangup_unix_ms.unwrap_or_else(|| {
            record
                .invite_unix_ms
                .saturating_add(ring_ms)
                .saturating_add(talk_ms)
        }),
        ring_ms,
        talk_ms,
        rounds: u32::try_from(record.rounds.len()).unwrap_or(u32::MAX),
        score: record.score,
        level: record.level.clone(),
        tags: record.tags.clone(),
        digits: record.digits.clone(),
        recording: record.recording.clone(),
        record_json: serde_json::to_string(record).unwrap_or_else(|_| "{}".to_owned()),
    }
}

/// The conversation in time order, in ms from the answer: the callee's turns from the rounds
/// (recognised text, or the digits pressed; silences are not turns) and the bot's from the
/// prompts it played (their names or TTS text).
fn transcript(record: &CallRecord) -> Vec<TranscriptTurn> {
    // Record times count from the INVITE; the transcript's from the answer.
    let answered_at = record
        .answer_unix_ms
        .map_or(0, |at| at.saturating_sub(record.invite_unix_ms));
    let turn = |speaker: &str, text: String, start: u64, end: u64| TranscriptTurn {
        speaker: speaker.to_owned(),
        text,
        start_ms: start.saturating_sub(answered_at),
        end_ms: end.max(start).saturating_sub(answered_at),
    };
    let mut turns = Vec::with_capacity(record.rounds.len() + record.prompts.len());
    for round in &record.rounds {
        let end = round.at_ms;
        match &round.input {
            RoundInput::Utterance {
                text, duration_ms, ..
            } => turns.push(turn(
                "callee",
                text.clone().unwrap_or_default(),
                end.saturating_sub(u64::from(*duration_ms)),
                end,
            )),
            RoundInput::Digits { digits } => turns.push(turn("callee", digits.clone(), end, end)),
            RoundInput::NoInput => {}
        }
    }
    for prompt in &record.prompts {
        let end = prompt.end_ms.unwrap_or(prompt.start_ms);
        turns.push(turn("bot", prompt.prompt.clone(), prompt.start_ms, end));
    }
    turns.sort_by_key(|t| t.start_ms);
    turns
}

#[cfg(test)]
mod tests;
