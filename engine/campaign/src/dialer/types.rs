//! The dialer's inputs and outputs: campaign plans, number states, decisions, errors, stats.

use std::collections::BTreeMap;
use std::fmt;

use super::Dialer;
use crate::UnixMs;
use crate::admission::{AdmissionError, Level, Limits};
use crate::calendar::CallWindow;
use crate::caller_id::CallerIdConfig;
use crate::redial::RedialPolicy;
use crate::result::CallResult;

/// One call attempt's id: unique and increasing across restarts (the caller seeds the counter
/// with [`Dialer::set_next_attempt_id`](super::Dialer::set_next_attempt_id)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId(pub u64);

impl fmt::Display for AttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether a campaign dials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Dials when its window is open and numbers are due.
    Running,
    /// Dials nothing for now (by the operator or a stop condition); calls up continue.
    Paused,
    /// Dials nothing for good; calls up continue.
    Stopped,
}

/// When a campaign pauses itself.
pub struct StopRules {
    /// Pause after this many leads (results with a level in `lead_levels`) in one local day.
    pub max_leads_per_day: Option<u32>,
    /// The intent levels that count as leads, e.g. `["A"]`.
    pub lead_levels: Vec<String>,
    /// Pause when fewer than this share of the last N attempts were answered: `(N, rate)`.
    /// Blacklisted, cancelled and engine-error attempts say nothing about the line and are
    /// not counted.
    pub min_connect_rate: Option<(u32, f64)>,
    /// The local day number of an instant (days since some epoch in the campaign's zone).
    pub day_of: Box<dyn Fn(UnixMs) -> i64 + Send>,
}

impl Default for StopRules {
    /// No stop condition; days are UTC days.
    fn default() -> Self {
        Self {
            max_leads_per_day: None,
            lead_levels: Vec::new(),
            min_connect_rate: None,
            day_of: Box::new(|at| at.div_euclid(86_400_000)),
        }
    }
}

impl fmt::Debug for StopRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StopRules")
            .field("max_leads_per_day", &self.max_leads_per_day)
            .field("lead_levels", &self.lead_levels)
            .field("min_connect_rate", &self.min_connect_rate)
            .finish_non_exhaustive()
    }
}

/// Everything the dialer needs to run one campaign.
pub struct CampaignPlan {
    /// The campaign id.
    pub id: String,
    /// The trunk it dials through (added with [`Dialer::add_trunk`](super::Dialer::add_trunk)).
    pub trunk: String,
    /// Its weight in the trunk's fair share (0 counts as 1).
    pub weight: u32,
    /// Its own limits; `max_concurrent` is also its number of slots.
    pub limits: Limits,
    /// How long a slot stays idle after a call on it ended (ignored without `max_concurrent`).
    pub slot_interval_ms: i64,
    /// When numbers are tried again.
    pub redial: RedialPolicy,
    /// Blacklist groups checked right before every dial, in this order.
    pub blacklist_groups: Vec<String>,
    /// Caller IDs to show.
    pub caller_id: CallerIdConfig,
    /// When the campaign pauses itself.
    pub stop: StopRules,
    /// When calls may start.
    pub window: Box<dyn CallWindow + Send>,
}

impl fmt::Debug for CampaignPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CampaignPlan")
            .field("id", &self.id)
            .field("trunk", &self.trunk)
            .field("weight", &self.weight)
            .field("limits", &self.limits)
            .field("slot_interval_ms", &self.slot_interval_ms)
            .field("redial", &self.redial)
            .field("blacklist_groups", &self.blacklist_groups)
            .field("caller_id", &self.caller_id)
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}

/// A number as persisted: loaded into the dialer at start and after a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberState {
    /// The number's id (unique in the engine).
    pub id: u64,
    /// The number to dial (E.164), also the blacklist key.
    pub phone: String,
    /// The callee's region, for same-region caller IDs.
    pub region: Option<String>,
    /// Attempts made so far, a leased one included.
    pub attempts: u32,
    /// When it is due; `None` means done.
    pub next_at: Option<UnixMs>,
    /// The attempt in flight when the engine stopped, if any.
    pub leased: Option<AttemptId>,
    /// The last attempt's result.
    pub last_result: Option<CallResult>,
}

/// A number's new attempt state, to persist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberUpdate {
    /// The attempt that ended (or, after a crash, the one that was leased).
    pub attempt: AttemptId,
    /// The number.
    pub number_id: u64,
    /// Attempts made so far.
    pub attempts: u32,
    /// When to try again; `None` means done.
    pub next_at: Option<UnixMs>,
    /// The attempt's result.
    pub last_result: CallResult,
}

/// A call to place now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialOrder {
    /// The attempt's id: persist the lease under it, then send the INVITE.
    pub attempt: AttemptId,
    /// The campaign.
    pub campaign: String,
    /// The number's id.
    pub number_id: u64,
    /// The number to dial.
    pub phone: String,
    /// The trunk to dial through.
    pub trunk: String,
    /// The caller ID to show, `None` for the trunk's default.
    pub caller_id: Option<String>,
    /// Which attempt for this number (1-based).
    pub attempt_no: u32,
}

/// What the dialer wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Persist the lease, then place the call; report its end with
    /// [`Dialer::attempt_finished`](super::Dialer::attempt_finished).
    Dial(DialOrder),
    /// A due number is blacklisted: nothing is sent, the attempt ends as `blacklisted`.
    Skipped {
        /// The campaign.
        campaign: String,
        /// The number's id.
        number_id: u64,
        /// The number.
        phone: String,
        /// Always [`CallResult::Blacklisted`].
        result: CallResult,
        /// The blacklist group that matched.
        group: String,
        /// The number's state to persist (its attempt id is the skipped attempt's).
        update: NumberUpdate,
    },
    /// A stop condition paused the campaign (reported once per pause).
    Paused {
        /// The campaign.
        campaign: String,
        /// Which condition, for the operator.
        reason: String,
    },
    /// No number of the campaign has work left and no call is up (reported once).
    Finished {
        /// The campaign.
        campaign: String,
    },
}

/// Errors of the dialer's commands.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DialerError {
    /// A limit or trunk problem.
    #[error(transparent)]
    Admission(#[from] AdmissionError),
    /// A campaign id that is already loaded.
    #[error("campaign `{0}` is already loaded")]
    DuplicateCampaign(String),
    /// A campaign id that is not loaded.
    #[error("unknown campaign `{0}`")]
    UnknownCampaign(String),
    /// An attempt id that is not in flight (finished already, or never issued).
    #[error("attempt {0} is not in flight")]
    UnknownAttempt(AttemptId),
    /// A campaign cannot be removed while calls are up.
    #[error("campaign `{0}` still has calls up")]
    CallsInFlight(String),
    /// A plan value out of range.
    #[error("campaign `{campaign}`: {message}")]
    InvalidPlan {
        /// The campaign.
        campaign: String,
        /// What is wrong.
        message: String,
    },
}

/// One campaign's counters.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignStats {
    /// Running, paused or stopped.
    pub status: Status,
    /// Running with no work left and no call up (`Finished` was reported).
    pub finished: bool,
    /// Calls up.
    pub active_calls: u32,
    /// Its share of the trunk (0 while it has nothing due); `None` when the trunk is unlimited.
    pub share: Option<u32>,
    /// Numbers due at the time asked (`next_at` reached), not in flight.
    pub due_now: usize,
    /// Numbers with work left, not in flight (due now or later).
    pub pending: usize,
    /// Slots idling after a call (the slot interval).
    pub cooling_slots: u32,
    /// Caller IDs leased to calls up.
    pub caller_ids_leased: u32,
    /// Leads counted on the local day of the time asked.
    pub leads_today: u32,
}

/// The whole dialer's counters.
#[derive(Clone, Debug, PartialEq)]
pub struct DialerStats {
    /// Calls up in the engine.
    pub engine_active: u32,
    /// Calls up per trunk.
    pub trunks: BTreeMap<String, u32>,
    /// Per campaign.
    pub campaigns: BTreeMap<String, CampaignStats>,
    /// Attempts in flight (dialled, not finished).
    pub in_flight: usize,
    /// Limiter refusals at engine level.
    pub waits_engine: u64,
    /// Limiter refusals at trunk level (its own limits or a campaign's fair share).
    pub waits_trunk: u64,
    /// Limiter refusals at campaign level.
    pub waits_campaign: u64,
    /// Permits released twice: 0 unless something is wrong.
    pub double_releases: u64,
}

/// The counters of `dialer` at `now`.
pub(super) fn collect_stats(dialer: &Dialer, now: UnixMs) -> DialerStats {
    let limiter = &dialer.limiter;
    let campaigns = dialer
        .campaigns
        .iter()
        .flatten()
        .map(|c| {
            let stats = CampaignStats {
                status: c.status,
                finished: c.status == Status::Running && c.is_finished() && c.finished_reported,
                active_calls: c.in_flight,
                share: limiter.share(&c.id),
                due_now: c.due.range(..(now.saturating_add(1), 0)).count(),
                pending: c.due.len(),
                cooling_slots: c.cooling.iter().filter(|t| t.0 > now).count() as u32,
                caller_ids_leased: c.caller_ids.leased(),
                leads_today: c.leads_on(now),
            };
            (c.id.clone(), stats)
        })
        .collect();
    DialerStats {
        engine_active: limiter.engine_active(),
        trunks: dialer
            .trunks
            .iter()
            .map(|t| (t.clone(), limiter.trunk_active(t).unwrap_or(0)))
            .collect(),
        campaigns,
        in_flight: dialer.attempts.len(),
        waits_engine: limiter.waits(Level::Engine),
        waits_trunk: limiter.waits(Level::Trunk),
        waits_campaign: limiter.waits(Level::Campaign),
        double_releases: limiter.double_releases(),
    }
}
