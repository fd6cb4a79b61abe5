//! One campaign inside the dialer: its numbers in due order, slots, caller IDs, stop counters.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};

use super::types::{
    AttemptId, CampaignPlan, DialerError, NumberState, NumberUpdate, Status, StopRules,
};
use crate::UnixMs;
use crate::calendar::CallWindow;
use crate::caller_id::CallerIdPool;
use crate::redial::RedialPolicy;
use crate::result::CallResult;

/// A number with work left, or in flight.
#[derive(Debug)]
pub(super) struct Number {
    pub phone: String,
    pub region: Option<String>,
    pub attempts: u32,
}

/// Why the campaign could not dial last time, valid while the limiter epoch is unchanged.
#[derive(Clone, Copy, Debug)]
pub(super) struct Blocked {
    pub epoch: u64,
    /// Retry at this time; `None`: only after a release or a share change.
    pub until: Option<UnixMs>,
}

/// The dialer's state for one campaign.
pub(super) struct CampaignState {
    pub id: String,
    pub trunk: String,
    pub weight: u32,
    pub slots: Option<u32>,
    pub slot_interval_ms: i64,
    pub redial: RedialPolicy,
    pub blacklist_groups: Vec<String>,
    pub stop: StopRules,
    pub window: Box<dyn CallWindow + Send>,
    pub status: Status,
    /// Numbers with work left or in flight, by id.
    pub numbers: HashMap<u64, Number>,
    /// Numbers due, in dialling order: `(next_at, id)`.
    pub due: BTreeSet<(UnixMs, u64)>,
    pub in_flight: u32,
    /// When each idle slot may take a call again.
    pub cooling: BinaryHeap<Reverse<UnixMs>>,
    pub caller_ids: CallerIdPool,
    /// (local day, leads that day).
    pub leads: (i64, u32),
    /// Whether each of the last N counted attempts was answered.
    pub recent: VecDeque<bool>,
    pub finished_reported: bool,
    pub blocked: Option<Blocked>,
    /// Stride-scheduling pass: dials so far divided by weight, for weighted turns.
    pub pass: f64,
    pub active: bool,
}

impl CampaignState {
    /// A paused campaign with no numbers yet, after checking the plan's values.
    pub fn new(plan: CampaignPlan, seed: u64) -> Result<Self, DialerError> {
        let invalid = |message: String| DialerError::InvalidPlan {
            campaign: plan.id.clone(),
            message,
        };
        if plan.slot_interval_ms < 0 {
            return Err(invalid(format!(
                "slot interval must not be negative, got {} ms",
                plan.slot_interval_ms
            )));
        }
        if let Some((n, rate)) = plan.stop.min_connect_rate
            && (n == 0 || !(0.0..=1.0).contains(&rate))
        {
            return Err(invalid(format!(
                "minimum connect rate needs at least 1 attempt and a rate in 0..=1, got {n} attempts and {rate}"
            )));
        }
        let caller_ids = CallerIdPool::new(&plan.caller_id, seed ^ fnv1a(&plan.id));
        Ok(Self {
            weight: plan.weight.max(1),
            slots: plan.limits.max_concurrent,
            slot_interval_ms: plan.slot_interval_ms,
            id: plan.id,
            trunk: plan.trunk,
            redial: plan.redial,
            blacklist_groups: plan.blacklist_groups,
            stop: plan.stop,
            window: plan.window,
            status: Status::Paused,
            numbers: HashMap::new(),
            due: BTreeSet::new(),
            in_flight: 0,
            cooling: BinaryHeap::new(),
            caller_ids,
            leads: (i64::MIN, 0),
            recent: VecDeque::new(),
            finished_reported: false,
            blocked: None,
            pass: 0.0,
            active: false,
        })
    }

    /// Load numbers. A number loaded with a lease was in flight when the engine stopped: its
    /// attempt ended with `engine_error` at `now` and the redial rules decide what follows.
    /// Ids already loaded are ignored. Returns the updates to persist and the highest leased
    /// attempt id seen.
    pub fn load(
        &mut self,
        now: UnixMs,
        numbers: Vec<NumberState>,
    ) -> (Vec<NumberUpdate>, Option<AttemptId>) {
        let mut updates = Vec::new();
        let mut max_leased = None;
        for n in numbers {
            if self.numbers.contains_key(&n.id) {
                continue;
            }
            let mut next_at = n.next_at;
            if let Some(attempt) = n.leased {
                let result = CallResult::EngineError;
                next_at = self.redial.next_attempt(result, n.attempts, now);
                max_leased = max_leased.max(Some(attempt));
                updates.push(NumberUpdate {
                    attempt,
                    number_id: n.id,
                    attempts: n.attempts,
                    next_at,
                    last_result: result,
                });
            }
            if let Some(at) = next_at {
                self.due.insert((at, n.id));
                let number = Number {
                    phone: n.phone,
                    region: n.region,
                    attempts: n.attempts,
                };
                self.numbers.insert(n.id, number);
                self.finished_reported = false;
            }
        }
        (updates, max_leased)
    }

    /// The next number due, if any: `(next_at, id)`.
    pub fn first_due(&self) -> Option<(UnixMs, u64)> {
        self.due.first().copied()
    }

    /// No number has work left and no call is up.
    pub fn is_finished(&self) -> bool {
        self.due.is_empty() && self.in_flight == 0
    }

    /// Slots not up and not cooling at `at`.
    pub fn free_slots(&self, at: UnixMs) -> u32 {
        let Some(slots) = self.slots else {
            return u32::MAX;
        };
        let cooling = self.cooling.iter().filter(|Reverse(t)| *t > at).count() as u32;
        slots.saturating_sub(self.in_flight + cooling)
    }

    /// Forget cooling slots that are free again at `now`.
    pub fn expire_cooling(&mut self, now: UnixMs) {
        while self.cooling.peek().is_some_and(|Reverse(t)| *t <= now) {
            self.cooling.pop();
        }
    }

    /// When enough cooling slots are free again for one call, if cooling is what blocks it
    /// after `at` (`None` when calls up fill every slot: wait for one to end).
    pub fn slot_free_at(&self, at: UnixMs) -> Option<UnixMs> {
        if self.free_slots(at) > 0 {
            return Some(at);
        }
        let slots = self.slots?;
        if self.in_flight >= slots {
            return None;
        }
        let mut ends: Vec<UnixMs> = self
            .cooling
            .iter()
            .map(|Reverse(t)| *t)
            .filter(|t| *t > at)
            .collect();
        ends.sort_unstable();
        let need = (self.in_flight as usize + ends.len()) - slots as usize;
        ends.get(need).copied()
    }

    /// A call on one of the slots ended at `now`: the slot idles for the slot interval.
    pub fn slot_ended(&mut self, now: UnixMs) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.slots.is_some() && self.slot_interval_ms > 0 {
            self.cooling
                .push(Reverse(now.saturating_add(self.slot_interval_ms)));
        }
    }

    /// Record a result for the connect-rate rule; returns a pause reason when it trips.
    pub fn note_connect(&mut self, result: CallResult) -> Option<String> {
        let (n, rate) = self.stop.min_connect_rate?;
        if matches!(
            result,
            CallResult::Blacklisted | CallResult::Cancelled | CallResult::EngineError
        ) {
            return None;
        }
        self.recent.push_back(result.is_connected());
        while self.recent.len() > n as usize {
            self.recent.pop_front();
        }
        let answered = self.recent.iter().filter(|a| **a).count();
        let actual = answered as f64 / f64::from(n);
        (self.recent.len() == n as usize && actual < rate).then(|| {
            self.recent.clear();
            format!(
                "connect rate {:.1}% over the last {n} attempts is under {:.1}%",
                actual * 100.0,
                rate * 100.0
            )
        })
    }

    /// Record an attempt's intent level for the leads-per-day rule; returns a pause reason
    /// when the day's leads reach the maximum.
    pub fn note_level(&mut self, now: UnixMs, level: Option<&str>) -> Option<String> {
        let level = level?;
        if !self.stop.lead_levels.iter().any(|l| l == level) {
            return None;
        }
        let day = (self.stop.day_of)(now);
        if self.leads.0 != day {
            self.leads = (day, 0);
        }
        self.leads.1 += 1;
        let max = self.stop.max_leads_per_day?;
        (self.leads.1 >= max)
            .then(|| format!("{} leads today (the maximum is {max})", self.leads.1))
    }

    /// Leads counted on the local day of `now`.
    pub fn leads_on(&self, now: UnixMs) -> u32 {
        if self.leads.0 == (self.stop.day_of)(now) {
            self.leads.1
        } else {
            0
        }
    }
}

/// FNV-1a of a campaign id: gives each campaign its own caller-ID random stream.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
