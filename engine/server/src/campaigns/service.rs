//! The campaign service task.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, mpsc};
use voxgate_campaign::admission::Limits;
use voxgate_campaign::dialer::{
    AttemptId, CampaignPlan, Dialer, NumberState, NumberUpdate as DialerNumberUpdate,
    Status as DialerStatus, StopRules,
};
use voxgate_campaign::result::CallResult;
use voxgate_campaign::result_map::{ResultMap, ResultRule};
use voxgate_campaign::spec::{Campaign, Country as SpecCountry, load_campaign, load_campaign_text};
use voxgate_numbers::{self as numbers, RegionTable};
use voxgate_store::{NewNumber, Store};

use super::handle::{
    CampaignHandle, CampaignInfo, CampaignSource, Command, ImportOptions, ImportReport,
    RejectedRow, ServiceError, Transition,
};
use crate::config::Config;
use crate::engine::CampaignLink;
use crate::metrics::Metrics;
use crate::post_call::PostCall;

/// Wall-clock now in Unix ms: the only clock the campaign policy sees.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A loaded campaign and what it needs at dial time.
pub(super) struct Loaded {
    pub(super) campaign: Campaign,
    pub(super) regions: Option<RegionTable>,
    pub(super) status: String,
    pub(super) reason: Option<String>,
}

/// A call placed and not yet ended.
pub(super) struct InFlight {
    pub(super) campaign: String,
    pub(super) number_id: u64,
    pub(super) phone: String,
    pub(super) caller_id: Option<String>,
}

/// A post-call job's output, back to the service for the store.
pub(super) struct PostCallDone {
    pub(super) attempt: u64,
    pub(super) analysis: Option<serde_json::Value>,
    pub(super) crm: Option<serde_json::Value>,
}

/// Runs every campaign of the engine.
pub struct CampaignService {
    pub(super) config: Arc<Config>,
    pub(super) config_dir: PathBuf,
    pub(super) store: Store,
    pub(super) dialer: Dialer,
    pub(super) campaigns: HashMap<String, Loaded>,
    pub(super) result_maps: HashMap<String, ResultMap>,
    pub(super) in_flight: HashMap<u64, InFlight>,
    pub(super) link: CampaignLink,
    pub(super) commands: mpsc::Receiver<Command>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) outbox: Arc<Notify>,
    pub(super) post_call: Arc<PostCall>,
    pub(super) post_tx: mpsc::UnboundedSender<PostCallDone>,
    pub(super) post_rx: mpsc::UnboundedReceiver<PostCallDone>,
    /// When the limiter's wait counters were last copied into the metrics.
    pub(super) metrics_at: i64,
}

impl CampaignService {
    /// Open the store, restore the dialer from it (leases left by a crash become `engine_error`
    /// attempts), and load the campaign files the config names.
    pub fn start(
        config: Arc<Config>,
        config_dir: PathBuf,
        link: CampaignLink,
        metrics: Arc<Metrics>,
        outbox: Arc<Notify>,
        post_call: PostCall,
    ) -> Result<(Self, CampaignHandle), String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let store = Store::open(&config.engine.database)
            .map_err(|e| format!("database {}: {e}", config.engine.database.display()))?;
        let engine_limits = Limits {
            max_concurrent: u32::try_from(config.engine.max_calls).ok(),
            calls_per_second: config.engine.calls_per_second,
        };
        let mut dialer = Dialer::new(engine_limits, now_ms() as u64).map_err(|e| err(&e))?;
        let mut result_maps = HashMap::new();
        for trunk in &config.trunks {
            dialer
                .add_trunk(
                    &trunk.name,
                    Limits {
                        max_concurrent: u32::try_from(trunk.max_calls).ok(),
                        calls_per_second: trunk.calls_per_second,
                    },
                )
                .map_err(|e| err(&e))?;
            let rules: Vec<ResultRule> = trunk
                .result_overrides
                .iter()
                .map(|o| ResultRule {
                    code: o.code,
                    cause: o.cause,
                    result: o.result,
                })
                .collect();
            result_maps.insert(trunk.name.clone(), ResultMap::with_overrides(&rules));
        }
        dialer.set_next_attempt_id(store.next_attempt_id().map_err(|e| err(&e))?);
        let now = now_ms();
        for entry in store.blacklist_all_active(now).map_err(|e| err(&e))? {
            dialer
                .blacklist_mut()
                .insert(&entry.group, &entry.e164, entry.expires_at);
        }
        let (tx, commands) = mpsc::channel(64);
        let (post_tx, post_rx) = mpsc::unbounded_channel();
        let mut service = Self {
            config: config.clone(),
            config_dir,
            store,
            dialer,
            campaigns: HashMap::new(),
            result_maps,
            in_flight: HashMap::new(),
            link,
            commands,
            metrics,
            outbox,
            post_call: Arc::new(post_call),
            post_tx,
            post_rx,
            metrics_at: 0,
        };
        // Campaign files named by the config are read from disk at every start; campaigns
        // loaded through the API live in the database only. Either way the stored status wins,
        // so a running campaign keeps running after a restart.
        let stored = service.store.campaigns().map_err(|e| err(&e))?;
        for path in &config.campaigns {
            let campaign = load_campaign(path).map_err(|e| err(&e))?;
            service.load(campaign).map_err(|e| err(&e))?;
        }
        for row in stored {
            if service.campaigns.contains_key(&row.id) {
                continue;
            }
            let base = service.config_dir.clone();
            match load_campaign_text(&row.source_text, &row.id, &base) {
                Ok(campaign) => {
                    if let Err(e) = service.load(campaign) {
                        tracing::error!(campaign = %row.id, "stored campaign cannot be loaded: {e}");
                    }
                }
                Err(e) => {
                    tracing::error!(campaign = %row.id, "stored campaign is no longer valid:\n{e}")
                }
            }
        }
        Ok((service, CampaignHandle { tx }))
    }
}

impl CampaignService {
    /// Store a campaign, import its number files, and hand it to the dialer (replacing an
    /// earlier version with no calls up). Keeps the stored status of a known campaign.
    pub(super) fn load(&mut self, campaign: Campaign) -> Result<CampaignInfo, ServiceError> {
        let id = campaign.name.clone();
        if self.config.trunk(&campaign.trunk).is_none() {
            return Err(ServiceError::Invalid(format!(
                "campaign `{id}`: unknown trunk `{}`; the engine has: {}",
                campaign.trunk,
                self.config
                    .trunks
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let regions = match &campaign.caller_id_regions {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ServiceError::Invalid(format!("regions file {}: {e}", path.display()))
                })?;
                Some(
                    RegionTable::parse(&text, &path.display().to_string())
                        .map_err(|e| ServiceError::Invalid(e.to_string()))?,
                )
            }
            None => None,
        };
        let now = now_ms();
        self.store
            .upsert_campaign(&id, &id, &campaign.source_text, now)
            .map_err(internal)?;
        let stored = self.store.campaign(&id).map_err(internal)?;
        let (status, reason) = stored
            .map(|row| (row.status, row.status_reason))
            .unwrap_or_else(|| ("loaded".into(), None));
        if self.dialer.remove_campaign(&id).is_err() && self.campaigns.contains_key(&id) {
            return Err(ServiceError::Conflict(format!(
                "campaign `{id}` has calls up; reload it when they have ended (or pause it first)"
            )));
        }
        self.campaigns.insert(
            id.clone(),
            Loaded {
                campaign,
                regions,
                status,
                reason,
            },
        );
        let sources = self.campaigns[&id].campaign.numbers.clone();
        for source in sources {
            let bytes = std::fs::read(&source.file).map_err(|e| {
                ServiceError::Invalid(format!("number list {}: {e}", source.file.display()))
            })?;
            let name = source.file.display().to_string();
            let options = ImportOptions {
                phone_column: source.phone_column.clone(),
                sheet: source.sheet.clone(),
                shuffle: source.shuffle,
            };
            let report = self.import_into_store(&id, &name, &bytes, &options, source.country)?;
            tracing::info!(campaign = %id, file = %name, accepted = report.accepted, duplicates = report.duplicates_in_campaign + report.duplicates_in_file, rejected = report.rejected.len(), "number list imported");
        }
        self.install(&id)?;
        self.info(&id)
    }

    /// Give a stored campaign and its numbers with work left to the dialer.
    fn install(&mut self, id: &str) -> Result<(), ServiceError> {
        let loaded = &self.campaigns[id];
        let plan = plan_for(&loaded.campaign, loaded.regions.as_ref());
        let numbers = self.dialer_numbers(id)?;
        let now = now_ms();
        let updates = self
            .dialer
            .add_campaign(now, plan, numbers)
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.persist_recovered(id, updates);
        if self.campaigns[id].status == "running" {
            self.dialer
                .set_status(now, id, DialerStatus::Running)
                .map_err(internal)?;
        }
        Ok(())
    }

    /// The store's numbers with work left, as the dialer sees them.
    fn dialer_numbers(&self, id: &str) -> Result<Vec<NumberState>, ServiceError> {
        Ok(self
            .store
            .numbers_for_dialer(id)
            .map_err(internal)?
            .into_iter()
            .map(|n| NumberState {
                id: n.id,
                phone: n.e164,
                region: n.region,
                attempts: n.attempts,
                next_at: n.next_at,
                leased: n.leased_attempt.map(AttemptId),
                last_result: n.last_result.and_then(|r| r.parse().ok()),
            })
            .collect())
    }

    /// Leases found at load time were attempts cut by a crash: record them as engine errors
    /// with the number's next attempt per the redial rules.
    fn persist_recovered(&mut self, campaign: &str, updates: Vec<DialerNumberUpdate>) {
        let now = now_ms();
        for update in updates {
            tracing::warn!(%campaign, attempt = update.attempt.0, "attempt cut by an engine stop: recorded as engine_error");
            if let Err(e) =
                self.store
                    .mark_interrupted(update.attempt.0, Some(&store_update(&update)), now)
            {
                tracing::error!(%campaign, "cannot record an interrupted attempt: {e}");
            }
            self.metrics.attempt_ended(CallResult::EngineError.as_str());
        }
    }

    /// Read a number list and store its new numbers.
    fn import_into_store(
        &mut self,
        id: &str,
        file_name: &str,
        bytes: &[u8],
        options: &ImportOptions,
        country: SpecCountry,
    ) -> Result<ImportReport, ServiceError> {
        let format = numbers::Format::from_path(Path::new(file_name))
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let list = numbers::import(
            bytes,
            &numbers::ImportOptions {
                phone_column: options.phone_column.clone(),
                sheet: options.sheet.clone(),
                country: match country {
                    SpecCountry::China => numbers::Country::China,
                    SpecCountry::Other(code) => numbers::Country::Other(code),
                },
                format,
                ..numbers::ImportOptions::default()
            },
        )
        .map_err(|e| ServiceError::Invalid(format!("{file_name}: {e}")))?;
        let mut rows = list.rows;
        if options.shuffle {
            numbers::shuffle(&mut rows, now_ms() as u64);
        }
        let regions = self.campaigns.get(id).and_then(|l| l.regions.as_ref());
        let new: Vec<NewNumber> = rows
            .iter()
            .map(|r| NewNumber {
                e164: r.phone.e164.clone(),
                national: r.phone.national.clone(),
                kind: format!("{:?}", r.phone.kind).to_lowercase(),
                region: regions
                    .and_then(|t| t.lookup(&r.phone.national))
                    .map(|region| region.name.clone()),
                variables: r.variables.clone(),
                import_row: r.row,
            })
            .collect();
        let rejected: Vec<(usize, String, String)> = list
            .rejected
            .iter()
            .map(|r| (r.row, r.raw.clone(), r.reason.clone()))
            .collect();
        let summary = self
            .store
            .import_numbers(id, file_name, &new, &rejected, now_ms())
            .map_err(internal)?;
        Ok(ImportReport {
            rows: new.len() + list.rejected.len() + list.duplicates.len(),
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
    }

    /// Import through the API: store, then give the new numbers to the dialer.
    pub(super) fn import(
        &mut self,
        id: &str,
        file_name: &str,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, ServiceError> {
        let country = self
            .campaigns
            .get(id)
            .ok_or_else(|| ServiceError::NotFound(id.to_owned()))?
            .campaign
            .numbers
            .first()
            .map(|s| s.country)
            .unwrap_or_default();
        let report = self.import_into_store(id, file_name, bytes, options, country)?;
        let numbers = self.dialer_numbers(id)?;
        let updates = self
            .dialer
            .add_numbers(now_ms(), id, numbers)
            .map_err(internal)?;
        self.persist_recovered(id, updates);
        Ok(report)
    }

    /// The API's view of a campaign.
    pub(super) fn info(&self, id: &str) -> Result<CampaignInfo, ServiceError> {
        let loaded = self
            .campaigns
            .get(id)
            .ok_or_else(|| ServiceError::NotFound(id.to_owned()))?;
        Ok(CampaignInfo {
            id: id.to_owned(),
            status: loaded.status.clone(),
            reason: loaded.reason.clone(),
            trunk: loaded.campaign.trunk.clone(),
        })
    }

    /// Record a status in memory and in the store.
    pub(super) fn set_status(&mut self, id: &str, status: &str, reason: Option<String>) {
        if let Some(loaded) = self.campaigns.get_mut(id) {
            loaded.status = status.to_owned();
            loaded.reason = reason.clone();
        }
        if let Err(e) = self
            .store
            .set_status(id, status, reason.as_deref(), now_ms())
        {
            tracing::error!(campaign = %id, "cannot store the campaign status: {e}");
        }
    }

    /// Start, pause, resume or stop.
    pub(super) fn transition(
        &mut self,
        id: &str,
        transition: Transition,
    ) -> Result<CampaignInfo, ServiceError> {
        let current = self.info(id)?.status;
        let (allowed, status, dialer) = match transition {
            Transition::Start => (
                ["loaded", "paused", "finished"].as_slice(),
                "running",
                DialerStatus::Running,
            ),
            Transition::Resume => (["paused"].as_slice(), "running", DialerStatus::Running),
            Transition::Pause => (["running"].as_slice(), "paused", DialerStatus::Paused),
            Transition::Stop => (
                ["loaded", "running", "paused"].as_slice(),
                "stopped",
                DialerStatus::Stopped,
            ),
        };
        if !allowed.contains(&current.as_str()) {
            return Err(ServiceError::Conflict(format!(
                "campaign `{id}` is {current}: cannot {}",
                format!("{transition:?}").to_lowercase()
            )));
        }
        self.dialer
            .set_status(now_ms(), id, dialer)
            .map_err(internal)?;
        self.set_status(id, status, None);
        tracing::info!(campaign = %id, %status, "campaign status changed");
        self.info(id)
    }

    /// Answer one API command.
    pub(super) fn on_command(&mut self, command: Command) {
        match command {
            Command::Load(source, reply) => {
                let CampaignSource::Text(text) = source;
                let campaign = load_campaign_text(&text, "campaign.toml", &self.config_dir);
                let answer = campaign
                    .map_err(|e| ServiceError::Invalid(e.to_string()))
                    .and_then(|c| self.load(c));
                let _ = reply.send(answer);
            }
            Command::Transition(id, transition, reply) => {
                let _ = reply.send(self.transition(&id, transition));
            }
            Command::Import {
                campaign,
                file_name,
                bytes,
                options,
                reply,
            } => {
                let _ = reply.send(self.import(&campaign, &file_name, &bytes, &options));
            }
            Command::Blacklist {
                group,
                numbers,
                expires_at,
                remove,
                reply,
            } => {
                let _ = reply.send(self.blacklist(&group, &numbers, expires_at, remove));
            }
        }
    }

    /// Add or remove blacklist entries (numbers normalised like number lists), in the store
    /// and in the dialer, which checks them right before every dial.
    fn blacklist(
        &mut self,
        group: &str,
        raw: &[String],
        expires_at: Option<i64>,
        remove: bool,
    ) -> Result<usize, ServiceError> {
        let now = now_ms();
        let mut changed = 0;
        for number in raw {
            let e164 = numbers::normalize(number, numbers::Country::China)
                .map_err(|e| ServiceError::Invalid(format!("`{number}`: {e}")))?
                .e164;
            if remove {
                if self
                    .store
                    .blacklist_remove(group, &e164)
                    .map_err(internal)?
                {
                    changed += 1;
                }
                self.dialer.blacklist_mut().remove(group, &e164);
            } else {
                self.store
                    .blacklist_add(group, &e164, expires_at, None, now)
                    .map_err(internal)?;
                self.dialer.blacklist_mut().insert(group, &e164, expires_at);
                changed += 1;
            }
        }
        Ok(changed)
    }
}

/// The dialer's plan for a campaign.
fn plan_for(campaign: &Campaign, regions: Option<&RegionTable>) -> CampaignPlan {
    let mut caller_id = campaign.caller_id.clone();
    if let Some(table) = regions {
        for number in &caller_id.numbers.clone() {
            if let Some(region) = table.lookup(number) {
                caller_id
                    .regions
                    .insert(number.clone(), region.name.clone());
            }
        }
    }
    let calendar = campaign.calendar.clone();
    let day_calendar = campaign.calendar.clone();
    CampaignPlan {
        id: campaign.name.clone(),
        trunk: campaign.trunk.clone(),
        weight: campaign.weight,
        limits: campaign.limits,
        slot_interval_ms: campaign.slot_interval_ms,
        redial: campaign.redial.clone(),
        blacklist_groups: campaign.blacklist_groups.clone(),
        caller_id,
        stop: StopRules {
            max_leads_per_day: campaign.stop.max_leads_per_day,
            lead_levels: campaign.stop.lead_levels.clone(),
            min_connect_rate: campaign.stop.min_connect_rate,
            day_of: Box::new(move |at| day_calendar.local_day(at)),
        },
        window: Box::new(calendar),
    }
}

/// The store's form of a dialer's number update.
pub(super) fn store_update(update: &DialerNumberUpdate) -> voxgate_store::NumberUpdate {
    voxgate_store::NumberUpdate {
        number_id: update.number_id,
        attempts: update.attempts,
        next_at: update.next_at,
        last_result: update.last_result.as_str().to_owned(),
    }
}

pub(super) fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}
