//! The dialer: which number to dial next, on which trunk, with which caller ID, for every
//! campaign of one engine, and what happens after each attempt.
//!
//! Sans-IO. Drive contract: after any input ([`Dialer::add_campaign`],
//! [`Dialer::attempt_finished`], [`Dialer::set_status`], ...), call
//! [`Dialer::poll_decision`] until it returns `None`, then sleep until
//! [`Dialer::poll_timeout`] (or the next input) and poll again. For a [`Decision::Dial`],
//! persist the lease first and only then send the INVITE, so a crash never dials a number
//! twice: numbers loaded back with their lease count as attempts ended by `engine_error`.
//!
//! Rules kept on every decision: a call starts only inside its campaign's window (calls up
//! continue when it closes); never over a concurrency or calls-per-second limit at engine,
//! trunk, fair-share or campaign level ([`AdmissionLimiter`]); a campaign's slot idles
//! `slot_interval_ms` after each call on it; numbers go in order of `next_at`, then id; the
//! blacklist is checked right before the dial; campaigns take turns by weight (stride
//! scheduling) when a shared limit such as the trunk's rate is what holds them back.
//!
//! ```
//! use voxgate_campaign::admission::Limits;
//! use voxgate_campaign::calendar::CallWindow;
//! use voxgate_campaign::dialer::*;
//! use voxgate_campaign::result::CallResult;
//!
//! struct Always;
//! impl CallWindow for Always {
//!     fn is_open(&self, _: i64) -> bool { true }
//!     fn next_open(&self, at: i64) -> Option<i64> { Some(at) }
//! }
//!
//! let mut dialer = Dialer::new(Limits::default(), 7).unwrap();
//! dialer.add_trunk("carrier", Limits { max_concurrent: Some(30), calls_per_second: Some(5.0) }).unwrap();
//! let plan = CampaignPlan {
//!     id: "renewal".into(), trunk: "carrier".into(), weight: 1,
//!     limits: Limits { max_concurrent: Some(2), calls_per_second: None },
//!     slot_interval_ms: 2_000, redial: Default::default(), blacklist_groups: vec![],
//!     caller_id: Default::default(), stop: Default::default(), window: Box::new(Always),
//! };
//! let number = NumberState { id: 1, phone: "+8613800000001".into(), region: None,
//!     attempts: 0, next_at: Some(0), leased: None, last_result: None };
//! dialer.add_campaign(0, plan, vec![number]).unwrap();
//! dialer.set_status(0, "renewal", Status::Running).unwrap();
//! let Some(Decision::Dial(order)) = dialer.poll_decision(0) else { panic!() };
//! let update = dialer.attempt_finished(30_000, order.attempt, CallResult::Answered, None).unwrap();
//! assert_eq!(update.next_at, None);
//! assert_eq!(dialer.poll_decision(30_000), Some(Decision::Finished { campaign: "renewal".into() }));
//! ```

mod campaign;
#[cfg(test)]
mod tests;
mod types;

use std::collections::{BTreeSet, HashMap, VecDeque};

pub use types::{
    AttemptId, CampaignPlan, CampaignStats, Decision, DialOrder, DialerError, DialerStats,
    NumberState, NumberUpdate, Status, StopRules,
};

use crate::UnixMs;
use crate::admission::{AdmissionLimiter, Limits, Permit};
use crate::blacklist::Blacklist;
use crate::caller_id::CallerIdLease;
use crate::result::CallResult;
use campaign::{Blocked, CampaignState};

/// A call placed and not yet finished.
#[derive(Debug)]
struct InFlight {
    campaign: usize,
    number_id: u64,
    permit: Permit,
    lease: CallerIdLease,
}

/// The sans-IO dialer for all campaigns of one engine (see the module docs).
pub struct Dialer {
    limiter: AdmissionLimiter,
    blacklist: Blacklist,
    trunks: BTreeSet<String>,
    /// Campaigns by slot; a removed campaign leaves `None` so in-flight indices stay valid.
    campaigns: Vec<Option<CampaignState>>,
    index: HashMap<String, usize>,
    attempts: HashMap<AttemptId, InFlight>,
    next_attempt: u64,
    /// Bumped whenever capacity may have grown (a release, a share or limit change), which
    /// invalidates the campaigns' cached `Blocked` states.
    epoch: u64,
    /// The stride pass of the campaign that dialled last.
    vtime: f64,
    notices: VecDeque<Decision>,
    seed: u64,
    order: Vec<usize>,
}

impl Dialer {
    /// A dialer with the engine-wide `engine` limits; `seed` drives random caller IDs.
    pub fn new(engine: Limits, seed: u64) -> Result<Self, DialerError> {
        Ok(Self {
            limiter: AdmissionLimiter::new(engine)?,
            blacklist: Blacklist::new(),
            trunks: BTreeSet::new(),
            campaigns: Vec::new(),
            index: HashMap::new(),
            attempts: HashMap::new(),
            next_attempt: 1,
            epoch: 0,
            vtime: 0.0,
            notices: VecDeque::new(),
            seed,
            order: Vec::new(),
        })
    }

    /// Add a trunk or change its limits.
    pub fn add_trunk(&mut self, name: &str, limits: Limits) -> Result<(), DialerError> {
        self.limiter.set_trunk(name, limits)?;
        self.trunks.insert(name.to_owned());
        self.epoch += 1;
        Ok(())
    }

    /// Load a campaign (paused: start it with [`set_status`](Self::set_status)) and its
    /// numbers. Numbers loaded with a lease were in flight when the engine stopped: they count
    /// as attempts ended by `engine_error` at `now`; persist the returned updates.
    pub fn add_campaign(
        &mut self,
        now: UnixMs,
        plan: CampaignPlan,
        numbers: Vec<NumberState>,
    ) -> Result<Vec<NumberUpdate>, DialerError> {
        if self.index.contains_key(&plan.id) {
            return Err(DialerError::DuplicateCampaign(plan.id));
        }
        let (id, trunk, weight, limits) = (
            plan.id.clone(),
            plan.trunk.clone(),
            plan.weight,
            plan.limits,
        );
        let state = CampaignState::new(plan, self.seed)?;
        self.limiter.add_campaign(&id, &trunk, weight, limits)?;
        self.index.insert(id.clone(), self.campaigns.len());
        self.campaigns.push(Some(state));
        self.add_numbers(now, &id, numbers)
    }

    /// Add numbers to a loaded campaign (ids it already has are ignored); leased numbers are
    /// handled as in [`add_campaign`](Self::add_campaign).
    pub fn add_numbers(
        &mut self,
        now: UnixMs,
        campaign: &str,
        numbers: Vec<NumberState>,
    ) -> Result<Vec<NumberUpdate>, DialerError> {
        let i = self.slot(campaign)?;
        let c = self.campaigns[i]
            .as_mut()
            .ok_or_else(|| unknown(campaign))?;
        let (updates, max_leased) = c.load(now, numbers);
        if let Some(AttemptId(id)) = max_leased {
            self.set_next_attempt_id(id.saturating_add(1));
        }
        Ok(updates)
    }

    /// Forget a campaign that has no call up.
    pub fn remove_campaign(&mut self, campaign: &str) -> Result<(), DialerError> {
        let i = self.slot(campaign)?;
        if self.campaigns[i].as_ref().is_some_and(|c| c.in_flight > 0) {
            return Err(DialerError::CallsInFlight(campaign.to_owned()));
        }
        self.limiter.remove_campaign(campaign)?;
        self.campaigns[i] = None;
        self.index.remove(campaign);
        self.epoch += 1;
        Ok(())
    }

    /// Run, pause or stop a campaign. Pausing or stopping frees its share of the trunk at once
    /// (calls up continue). Running again re-arms the stop conditions: the connect rate is
    /// judged on the attempts after the resume, and `Finished` is reported again if no work
    /// is left.
    pub fn set_status(
        &mut self,
        now: UnixMs,
        campaign: &str,
        status: Status,
    ) -> Result<(), DialerError> {
        let i = self.slot(campaign)?;
        let c = self.campaigns[i]
            .as_mut()
            .ok_or_else(|| unknown(campaign))?;
        if c.status == status {
            return Ok(());
        }
        c.status = status;
        c.blocked = None;
        if status == Status::Running {
            c.recent.clear();
            c.finished_reported = false;
        }
        self.refresh_activity(i, now);
        self.epoch += 1;
        Ok(())
    }

    /// The blacklist checked before every dial.
    pub fn blacklist(&self) -> &Blacklist {
        &self.blacklist
    }

    /// The blacklist, to add or remove entries.
    pub fn blacklist_mut(&mut self) -> &mut Blacklist {
        &mut self.blacklist
    }

    /// Make the next attempt id at least `id` (ids never go back, so a store's persisted
    /// counter keeps them unique across restarts).
    pub fn set_next_attempt_id(&mut self, id: u64) {
        self.next_attempt = self.next_attempt.max(id);
    }

    /// The next thing to do at `now`, if any (see the module docs for the contract).
    pub fn poll_decision(&mut self, now: UnixMs) -> Option<Decision> {
        if let Some(notice) = self.notices.pop_front() {
            return Some(notice);
        }
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        for i in 0..self.campaigns.len() {
            let Some(c) = self.campaigns[i].as_mut() else {
                continue;
            };
            if c.status == Status::Running && c.is_finished() && !c.finished_reported {
                c.finished_reported = true;
                let campaign = c.id.clone();
                self.notices.push_back(Decision::Finished { campaign });
            }
            if self.refresh_activity(i, now) {
                order.push(i);
            }
        }
        let decision = match self.notices.pop_front() {
            Some(notice) => Some(notice),
            None => {
                let pass = |i: usize| self.campaigns[i].as_ref().map_or(f64::MAX, |c| c.pass);
                order.sort_by(|&a, &b| pass(a).total_cmp(&pass(b)).then(a.cmp(&b)));
                order.iter().find_map(|&i| self.try_campaign(i, now))
            }
        };
        self.order = order;
        decision
    }

    /// An attempt ended at `now` with `result` (and, for answered calls, the intent `level`
    /// the dialogue gave). Releases its permit and caller ID, starts its slot's interval,
    /// applies the redial rules and the stop conditions. Returns the number's state to persist.
    pub fn attempt_finished(
        &mut self,
        now: UnixMs,
        attempt: AttemptId,
        result: CallResult,
        level: Option<&str>,
    ) -> Result<NumberUpdate, DialerError> {
        let done = self
            .attempts
            .remove(&attempt)
            .ok_or(DialerError::UnknownAttempt(attempt))?;
        self.limiter.release(done.permit);
        self.epoch += 1;
        // A campaign with calls in flight cannot be removed, so its slot is still filled.
        let c = self.campaigns[done.campaign]
            .as_mut()
            .expect("campaign of an attempt in flight");
        c.caller_ids.release(done.lease);
        c.slot_ended(now);
        let id = done.number_id;
        // Numbers stay loaded while in flight.
        let attempts = c
            .numbers
            .get(&id)
            .expect("number of an attempt in flight")
            .attempts;
        let next_at = c.redial.next_attempt(result, attempts, now);
        match next_at {
            Some(at) => {
                c.due.insert((at, id));
            }
            None => {
                c.numbers.remove(&id);
            }
        }
        let connect = c.note_connect(result);
        let leads = c.note_level(now, level);
        if let Some(reason) = leads.or(connect)
            && c.status == Status::Running
        {
            c.status = Status::Paused;
            c.blocked = None;
            self.notices.push_back(Decision::Paused {
                campaign: c.id.clone(),
                reason,
            });
            self.refresh_activity(done.campaign, now);
        }
        Ok(NumberUpdate {
            attempt,
            number_id: id,
            attempts,
            next_at,
            last_result: result,
        })
    }

    /// When to call [`poll_decision`](Self::poll_decision) next if no input comes first:
    /// `Some(now)` if something is ready, `None` if only an input (a call ending, a command)
    /// can change anything.
    pub fn poll_timeout(&self, now: UnixMs) -> Option<UnixMs> {
        if !self.notices.is_empty() {
            return Some(now);
        }
        self.campaigns
            .iter()
            .flatten()
            .filter(|c| c.status == Status::Running)
            .filter_map(|c| {
                if c.is_finished() {
                    return (!c.finished_reported).then_some(now);
                }
                let (due, _) = c.first_due()?;
                let mut at = due.max(now);
                if let Some(b) = c.blocked
                    && b.epoch == self.epoch
                {
                    at = at.max(b.until?);
                }
                let at = c.slot_free_at(at)?;
                c.window.next_open(at).map(|open| open.max(at))
            })
            .min()
    }

    /// Counters for metrics and tests at `now`.
    pub fn stats(&self, now: UnixMs) -> DialerStats {
        types::collect_stats(self, now)
    }

    fn slot(&self, campaign: &str) -> Result<usize, DialerError> {
        self.index
            .get(campaign)
            .copied()
            .ok_or_else(|| unknown(campaign))
    }

    /// Tell the limiter whether campaign `i` is active (running, window open, a number due)
    /// and return that.
    fn refresh_activity(&mut self, i: usize, now: UnixMs) -> bool {
        let Some(c) = self.campaigns[i].as_mut() else {
            return false;
        };
        let active = c.status == Status::Running
            && c.first_due().is_some_and(|(at, _)| at <= now)
            && c.window.is_open(now);
        if active != c.active {
            c.active = active;
            if active {
                c.pass = c.pass.max(self.vtime);
            }
            self.limiter.set_active(&c.id, active);
            self.epoch += 1;
        }
        active
    }

    /// Dial (or skip) campaign `i`'s first due number if its slots, the blacklist, its caller
    /// IDs and the limiter allow.
    fn try_campaign(&mut self, i: usize, now: UnixMs) -> Option<Decision> {
        let epoch = self.epoch;
        let c = self.campaigns[i].as_mut()?;
        c.expire_cooling(now);
        if c.free_slots(now) == 0 {
            return None;
        }
        if let Some(b) = c.blocked
            && b.epoch == epoch
            && b.until.is_none_or(|until| now < until)
        {
            return None;
        }
        c.blocked = None;
        let (_, number_id) = c.first_due()?;
        // Every due id is a loaded number.
        let number = c.numbers.get(&number_id).expect("due number is loaded");
        if let Some(group) = self
            .blacklist
            .contains(&c.blacklist_groups, &number.phone, now)
        {
            let group = group.to_owned();
            c.due.pop_first();
            let number = c.numbers.remove(&number_id).expect("due number is loaded");
            let result = CallResult::Blacklisted;
            let update = NumberUpdate {
                attempt: AttemptId(self.next_attempt),
                number_id,
                attempts: number.attempts.saturating_add(1),
                next_at: None,
                last_result: result,
            };
            self.next_attempt += 1;
            return Some(Decision::Skipped {
                campaign: c.id.clone(),
                number_id,
                phone: number.phone,
                result,
                group,
                update,
            });
        }
        if !c.caller_ids.can_pick() {
            c.blocked = Some(Blocked { epoch, until: None });
            return None;
        }
        let permit = match self.limiter.try_acquire(now, &c.id) {
            Ok(permit) => permit,
            Err(wait) => {
                c.blocked = Some(Blocked {
                    epoch,
                    until: wait.until,
                });
                return None;
            }
        };
        let Some(lease) = c.caller_ids.pick(number.region.as_deref()) else {
            self.limiter.release(permit);
            c.blocked = Some(Blocked { epoch, until: None });
            return None;
        };
        c.due.pop_first();
        let number = c.numbers.get_mut(&number_id).expect("due number is loaded");
        number.attempts = number.attempts.saturating_add(1);
        c.in_flight += 1;
        self.vtime = c.pass;
        c.pass += 1.0 / f64::from(c.weight);
        let attempt = AttemptId(self.next_attempt);
        self.next_attempt += 1;
        let order = DialOrder {
            attempt,
            campaign: c.id.clone(),
            number_id,
            phone: number.phone.clone(),
            trunk: c.trunk.clone(),
            caller_id: lease.number.clone(),
            attempt_no: number.attempts,
        };
        let in_flight = InFlight {
            campaign: i,
            number_id,
            permit,
            lease,
        };
        self.attempts.insert(attempt, in_flight);
        Some(Decision::Dial(order))
    }
}

fn unknown(campaign: &str) -> DialerError {
    DialerError::UnknownCampaign(campaign.to_owned())
}
