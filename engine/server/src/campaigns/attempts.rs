//! The campaign service's attempts: dial orders become leases then dial requests; call ends
//! become results, records, redials, webhooks and post-call jobs.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use voxgate_call::{CallRecord, RoundInput};
use voxgate_campaign::dialer::{AttemptId, Decision, DialOrder};
use voxgate_campaign::result::CallResult;
use voxgate_campaign::spec::{Campaign, FollowUpAction};
use voxgate_store::{FinishedAttempt, LeaseAttempt, NewOutbox, RoundRow, SkippedAttempt};

use super::classify::classify;
use super::service::{CampaignService, InFlight, PostCallDone, now_ms, store_update};
use crate::config::DialoguePlugin;
use crate::engine::{CallDialogue, CallEnded, DialError, DialRequest};
use crate::post_call::DEFAULT_LOOKUP_TIMEOUT;

/// How often, at most, the limiter's counters are copied into the metrics.
const METRICS_EVERY_MS: i64 = 1_000;

impl CampaignService {
    /// Run until `stop` resolves: stop dialling then, and keep recording the ends of calls in
    /// progress until none is left (or the engine's link closes).
    pub async fn run(mut self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut stopping = false;
        loop {
            if !stopping {
                self.drain_decisions();
            }
            let now = now_ms();
            let sleep = match (stopping, self.dialer.poll_timeout(now)) {
                (false, Some(at)) => Duration::from_millis((at - now).max(0) as u64),
                _ => Duration::from_secs(3600),
            };
            tokio::select! {
                ended = self.link.ended.recv() => match ended {
                    Some(ended) => self.on_call_ended(ended),
                    None => break,
                },
                Some(command) = self.commands.recv() => self.on_command(command),
                Some(done) = self.post_rx.recv() => self.on_post_call(done),
                () = &mut stop, if !stopping => {
                    stopping = true;
                    tracing::info!(in_flight = self.in_flight.len(), "campaigns: no new calls");
                }
                () = tokio::time::sleep(sleep) => {}
            }
            if stopping && self.in_flight.is_empty() {
                break;
            }
        }
    }

    /// Carry out every decision the dialer has now.
    fn drain_decisions(&mut self) {
        let now = now_ms();
        while let Some(decision) = self.dialer.poll_decision(now) {
            match decision {
                Decision::Dial(order) => self.dial(now, order),
                Decision::Skipped {
                    campaign,
                    phone,
                    result,
                    group,
                    update,
                    ..
                } => {
                    let skipped = SkippedAttempt {
                        attempt: update.attempt.0,
                        campaign: campaign.clone(),
                        phone,
                        result: result.as_str().to_owned(),
                        evidence: Some(format!("on blacklist group `{group}`")),
                        number_update: store_update(&update),
                        now,
                    };
                    if let Err(e) = self.store.skip(&skipped) {
                        tracing::error!(%campaign, "cannot record a blacklisted number: {e}");
                    }
                    self.metrics.attempt_ended(result.as_str());
                }
                Decision::Paused { campaign, reason } => {
                    tracing::warn!(%campaign, %reason, "campaign paused by a stop condition");
                    self.set_status(&campaign, "paused", Some(reason));
                }
                Decision::Finished { campaign } => {
                    tracing::info!(%campaign, "campaign finished: no number has work left");
                    self.set_status(&campaign, "finished", None);
                }
            }
        }
        if now - self.metrics_at >= METRICS_EVERY_MS {
            self.metrics_at = now;
            let stats = self.dialer.stats(now);
            self.metrics.set_limiter_waits([
                ("engine".to_owned(), stats.waits_engine),
                ("trunk".to_owned(), stats.waits_trunk),
                ("campaign".to_owned(), stats.waits_campaign),
            ]);
        }
    }

    /// Lease the number (durably), then ask the engine to dial it.
    fn dial(&mut self, now: i64, order: DialOrder) {
        let attempt = order.attempt.0;
        let lease = LeaseAttempt {
            attempt,
            campaign: order.campaign.clone(),
            number_id: order.number_id,
            phone: order.phone.clone(),
            caller_id: order.caller_id.clone(),
            trunk: order.trunk.clone(),
            now,
        };
        let request = self
            .store
            .lease(&lease)
            .map_err(|e| format!("cannot lease the number: {e}"))
            .and_then(|()| self.dial_request(&order));
        match request {
            Ok(request) => {
                self.in_flight.insert(
                    attempt,
                    InFlight {
                        campaign: order.campaign.clone(),
                        number_id: order.number_id,
                        phone: order.phone.clone(),
                        caller_id: order.caller_id.clone(),
                    },
                );
                self.metrics.dialled(now);
                self.metrics.active_calls.fetch_add(1, Ordering::Relaxed);
                let crm = self
                    .campaigns
                    .get(&order.campaign)
                    .and_then(|l| l.campaign.post_call.crm.clone());
                match crm {
                    // The CRM's customer fields join the prompt variables; the lookup has a
                    // short time limit and the call goes ahead without them if it fails.
                    Some(plugin) => {
                        let jobs = self.post_call.clone();
                        let requests = self.link.requests.clone();
                        let campaign = order.campaign.clone();
                        tokio::spawn(async move {
                            let mut request = request;
                            match jobs
                                .lookup(
                                    &plugin,
                                    &campaign,
                                    &request.number,
                                    &request.variables,
                                    DEFAULT_LOOKUP_TIMEOUT,
                                )
                                .await
                            {
                                Ok(fields) => merge_variables(&mut request.variables, fields),
                                Err(e) => {
                                    tracing::warn!(%campaign, attempt, "CRM lookup failed, dialling without its fields: {e}")
                                }
                            }
                            // A closed engine link shows up as the end of the link.
                            let _ = requests.send(request);
                        });
                    }
                    None => {
                        if self.link.requests.send(request).is_err() {
                            self.on_call_ended(CallEnded {
                                attempt,
                                record: None,
                                error: Some(DialError::ShuttingDown),
                            });
                        }
                    }
                }
            }
            Err(error) => {
                tracing::error!(campaign = %order.campaign, attempt, "{error}");
                self.in_flight.insert(
                    attempt,
                    InFlight {
                        campaign: order.campaign.clone(),
                        number_id: order.number_id,
                        phone: order.phone.clone(),
                        caller_id: order.caller_id.clone(),
                    },
                );
                self.metrics.active_calls.fetch_add(1, Ordering::Relaxed);
                self.on_call_ended(CallEnded {
                    attempt,
                    record: None,
                    error: Some(DialError::Failed(error)),
                });
            }
        }
    }

    /// What the engine needs to place the call of `order`.
    fn dial_request(&self, order: &DialOrder) -> Result<DialRequest, String> {
        let loaded = self
            .campaigns
            .get(&order.campaign)
            .ok_or_else(|| format!("campaign `{}` is not loaded", order.campaign))?;
        let campaign = &loaded.campaign;
        let trunk = self
            .config
            .trunk(&order.trunk)
            .ok_or_else(|| format!("unknown trunk `{}`", order.trunk))?
            .clone();
        let number = self
            .store
            .number(order.number_id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("number {} is not in the database", order.number_id))?;
        let mut variables: Vec<(String, String)> = campaign
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        merge_variables(&mut variables, number.variables);
        let choice = campaign.dialogue.at(now_ms());
        Ok(DialRequest {
            trunk,
            number: number.national,
            caller_id: order.caller_id.clone(),
            dialogue: CallDialogue::Plugin(DialoguePlugin {
                plugin: choice.plugin.clone(),
                flow: choice.flow.clone(),
            }),
            recording: campaign
                .recording
                .then(|| self.recording_path(&order.campaign, order.attempt)),
            ring_timeout: Some(Duration::from_millis(campaign.ring_timeout_ms.max(0) as u64)),
            variables,
            background: campaign
                .background
                .as_ref()
                .map(|b| (b.file.clone(), b.gain_db as f32)),
            attempt: Some(order.attempt.0),
            speech: campaign.speech.clone(),
        })
    }

    fn recording_path(&self, campaign: &str, attempt: AttemptId) -> PathBuf {
        self.config
            .engine
            .recordings_dir
            .join(campaign)
            .join(format!("{}.wav", attempt.0))
    }

    /// A campaign call ended (or was never placed): classify it, let the dialer decide what
    /// comes next, and write record, number update and webhooks in one transaction.
    pub(super) fn on_call_ended(&mut self, ended: CallEnded) {
        let Some(flight) = self.in_flight.remove(&ended.attempt) else {
            tracing::warn!(attempt = ended.attempt, "end of an unknown campaign call");
            return;
        };
        self.metrics.active_calls.fetch_sub(1, Ordering::Relaxed);
        let now = now_ms();
        let (result, cause, evidence) = match (&ended.record, &ended.error) {
            (Some(record), _) => {
                let trunk = record.trunk.clone().unwrap_or_default();
                let map = self.result_maps.get(&trunk).cloned().unwrap_or_default();
                let c = classify(record, &map);
                (c.result, c.cause, c.evidence)
            }
            (None, Some(DialError::ShuttingDown)) => (
                CallResult::Cancelled,
                None,
                "the engine was shutting down; nothing was sent".to_owned(),
            ),
            (None, error) => (
                CallResult::EngineError,
                None,
                error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "the call was not placed".into()),
            ),
        };
        let level = ended.record.as_ref().and_then(|r| r.level.clone());
        let update = match self.dialer.attempt_finished(
            now,
            AttemptId(ended.attempt),
            result,
            level.as_deref(),
        ) {
            Ok(update) => update,
            Err(e) => {
                tracing::error!(attempt = ended.attempt, "dialer: {e}");
                return;
            }
        };
        self.metrics.attempt_ended(result.as_str());
        let Some(loaded) = self.campaigns.get(&flight.campaign) else {
            return;
        };
        let campaign = &loaded.campaign;
        let record = ended.record.as_deref();
        let mut finished = finished_attempt(ended.attempt, record, now);
        finished.result = result.as_str().to_owned();
        finished.cause = cause;
        finished.evidence = Some(evidence);
        finished.number_update = store_update(&update);
        if let Some(media) = record.and_then(|r| r.media.as_ref()) {
            self.metrics
                .rtp_received
                .fetch_add(media.packets_received, Ordering::Relaxed);
            self.metrics
                .rtp_lost
                .fetch_add(media.packets_lost.max(0) as u64, Ordering::Relaxed);
        }
        let body = webhook_body(&flight, &finished, &campaign.name);
        if let Some(webhook) = &campaign.webhook {
            finished.outbox.push(NewOutbox {
                kind: "call.finished".into(),
                url: webhook.url.clone(),
                body: body.clone(),
                secret_env: webhook.secret_env.clone(),
                next_at: now,
            });
        }
        let mut blacklist = Vec::new();
        for follow_up in &campaign.follow_up {
            if !follow_up.matches(finished.level.as_deref(), &finished.tags) {
                continue;
            }
            match &follow_up.action {
                FollowUpAction::Webhook(url) => finished.outbox.push(NewOutbox {
                    kind: "call.follow_up".into(),
                    url: url.clone(),
                    body: body.clone(),
                    secret_env: campaign.webhook.as_ref().and_then(|w| w.secret_env.clone()),
                    next_at: now,
                }),
                FollowUpAction::Blacklist(group) => blacklist.push(group.clone()),
            }
        }
        let has_webhooks = !finished.outbox.is_empty();
        if let Err(e) = self.store.finish(&finished) {
            tracing::error!(campaign = %flight.campaign, attempt = ended.attempt, "cannot write the call record: {e}");
        }
        if has_webhooks {
            self.outbox.notify_one();
        }
        let e164 = self
            .store
            .number(flight.number_id)
            .ok()
            .flatten()
            .map(|n| n.e164);
        for group in blacklist {
            if let Some(e164) = &e164 {
                if let Err(e) = self.store.blacklist_add(
                    &group,
                    e164,
                    None,
                    Some(&format!("follow-up of attempt {}", ended.attempt)),
                    now,
                ) {
                    tracing::error!("cannot add to blacklist `{group}`: {e}");
                }
                self.dialer.blacklist_mut().insert(&group, e164, None);
            }
        }
        if let Some(record) = ended.record {
            self.spawn_post_call(ended.attempt, campaign, *record);
        }
    }

    /// Run the campaign's analysis and CRM plugins on a finished answered call, off this task.
    fn spawn_post_call(&self, attempt: u64, campaign: &Campaign, record: CallRecord) {
        let analysis = campaign.post_call.analysis.clone();
        let crm = campaign.post_call.crm.clone();
        if analysis.is_none() && crm.is_none() {
            return;
        }
        let jobs = self.post_call.clone();
        let tx = self.post_tx.clone();
        let name = campaign.name.clone();
        tokio::spawn(async move {
            let analysis = match &analysis {
                Some(plugin) => Some(
                    jobs.analyse(plugin, &name, &record)
                        .await
                        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
                ),
                None => None,
            };
            let crm = match &crm {
                Some(plugin) => Some(
                    jobs.push_to_crm(plugin, &name, &record)
                        .await
                        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
                ),
                None => None,
            };
            let _ = tx.send(PostCallDone {
                attempt,
                analysis,
                crm,
            });
        });
    }

    /// Post-call output lands on the record.
    pub(super) fn on_post_call(&mut self, done: PostCallDone) {
        if let Err(e) =
            self.store
                .set_post_call(done.attempt, done.analysis.as_ref(), done.crm.as_ref())
        {
            tracing::error!(attempt = done.attempt, "cannot store post-call output: {e}");
        }
    }
}

/// Add `fields` to `variables`; a field replaces a variable of the same name.
fn merge_variables(variables: &mut Vec<(String, String)>, fields: Vec<(String, String)>) {
    for (name, value) in fields {
        match variables.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => variables.push((name, value)),
        }
    }
}

/// The store's record of an attempt from the engine's call record (result fields are the
/// caller's).
fn finished_attempt(attempt: u64, record: Option<&CallRecord>, now: i64) -> FinishedAttempt {
    let Some(r) = record else {
        return FinishedAttempt {
            attempt,
            now,
            ..FinishedAttempt::default()
        };
    };
    let as_ms = |v: Option<u64>| v.map(|x| x as i64);
    FinishedAttempt {
        attempt,
        call_id: Some(r.call_id.clone()),
        dial_at: Some(r.invite_unix_ms as i64),
        ring_at: as_ms(r.ring_unix_ms),
        answer_at: as_ms(r.answer_unix_ms),
        hangup_at: as_ms(r.hangup_unix_ms),
        ring_ms: r.ring_ms,
        talk_ms: r.talk_ms,
        sip_code: r.sip_code,
        sip_reason: r.sip_reason.clone(),
        hangup_by: r
            .hangup_by
            .and_then(|h| serde_json::to_value(h).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        rounds_count: r.rounds.len() as u32,
        score: Some(i64::from(r.score)),
        level: r.level.clone(),
        tags: r.tags.clone(),
        variables: r.variables.clone(),
        recording: r.recording.clone(),
        rtcp: r.media.as_ref().and_then(|m| serde_json::to_value(m).ok()),
        faults: (!r.faults.is_empty())
            .then(|| serde_json::to_value(&r.faults).ok())
            .flatten(),
        record: serde_json::to_value(r).ok(),
        rounds: r.rounds.iter().map(round_row).collect(),
        now,
        ..FinishedAttempt::default()
    }
}

fn round_row(round: &voxgate_call::Round) -> RoundRow {
    let (input_kind, text, digits, duration_ms, barged_in) = match &round.input {
        RoundInput::Utterance {
            text,
            duration_ms,
            barged_in,
        } => (
            "utterance",
            text.clone(),
            None,
            Some(*duration_ms),
            *barged_in,
        ),
        RoundInput::Digits { digits } => ("digits", None, Some(digits.clone()), None, false),
        RoundInput::NoInput => ("no_input", None, None, None, false),
    };
    let note = round.note.as_ref();
    RoundRow {
        idx: round.index,
        at_ms: round.at_ms,
        input_kind: input_kind.to_owned(),
        text,
        digits,
        duration_ms,
        barged_in,
        node: note.map(|n| n.node.clone()),
        intent: note.and_then(|n| n.intent.clone()),
        keywords: note.map(|n| n.keywords.clone()).unwrap_or_default(),
        reply: round.reply.clone(),
        reply_ms: round.reply_ms,
    }
}

/// The JSON a webhook receiver gets for a finished attempt.
fn webhook_body(flight: &InFlight, f: &FinishedAttempt, campaign: &str) -> String {
    serde_json::json!({
        "event": "call.finished",
        "campaign": campaign,
        "attempt": f.attempt,
        "call_id": f.call_id,
        "phone": flight.phone,
        "caller_id": flight.caller_id,
        "result": f.result,
        "sip_code": f.sip_code,
        "cause": f.cause,
        "evidence": f.evidence,
        "dial_at": f.dial_at,
        "answer_at": f.answer_at,
        "hangup_at": f.hangup_at,
        "ring_ms": f.ring_ms,
        "talk_ms": f.talk_ms,
        "hangup_by": f.hangup_by,
        "rounds": f.rounds_count,
        "score": f.score,
        "level": f.level,
        "tags": f.tags,
        "variables": f.variables,
        "next_attempt_at": f.number_update.next_at,
    })
    .to_string()
}
