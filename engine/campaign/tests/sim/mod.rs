//! A virtual-time harness for the dialer: a seeded simulated carrier, a store mirror (leases
//! and number updates, as the server persists them), crash and restart, and invariant checks
//! on every decision.

pub mod checks;
pub mod world;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use voxgate_campaign::UnixMs;
use voxgate_campaign::admission::Limits;
use voxgate_campaign::calendar::CallWindow;
use voxgate_campaign::dialer::{AttemptId, Decision, Dialer, NumberState, Status};
use voxgate_campaign::result::CallResult;

/// How long the simulated engine is down when it crashes and restarts.
const RESTART_MS: i64 = 5_000;

pub use world::{CampaignSpec, Carrier, Daily, Rng, Start};

/// One attempt of one number as the simulation saw it.
#[derive(Clone, Debug)]
pub struct AttemptRec {
    pub start: UnixMs,
    pub end: Option<UnixMs>,
    pub result: Option<CallResult>,
}

/// A call up in the simulated network.
#[derive(Clone, Debug)]
struct Call {
    campaign: String,
    trunk: String,
    number_id: u64,
    caller_id: Option<String>,
    result: CallResult,
    level: Option<&'static str>,
}

/// The simulation: the dialer, the carrier, the event queue and what was observed.
pub struct Sim {
    pub dialer: Dialer,
    pub now: UnixMs,
    pub rng: Rng,
    pub engine: Limits,
    pub trunks: BTreeMap<String, Limits>,
    pub specs: BTreeMap<String, CampaignSpec>,
    pub carrier: Carrier,
    /// (group, number, expires) as inserted into the dialer's blacklist.
    pub blacklist: Vec<(String, String, Option<UnixMs>)>,
    /// The store mirror: every number's persisted state.
    pub store: BTreeMap<u64, (String, NumberState)>,
    pub starts: Vec<Start>,
    pub history: BTreeMap<u64, Vec<AttemptRec>>,
    pub skipped: Vec<(UnixMs, u64, String)>,
    pub paused: Vec<(UnixMs, String, String)>,
    pub finished: BTreeMap<String, UnixMs>,
    pub restarts: u32,
    /// Interleave decisions between simultaneous call ends at random (else all ends first).
    pub shuffle_events: bool,
    events: BinaryHeap<Reverse<(UnixMs, u64, AttemptId)>>,
    calls: HashMap<AttemptId, Call>,
    /// When each campaign's cooling slots are free again.
    cooling: BTreeMap<String, Vec<UnixMs>>,
    last_attempt: u64,
}

impl Sim {
    /// A simulation with the given engine and trunk limits (each trunk named) and seed.
    pub fn new(seed: u64, engine: Limits, trunks: &[(&str, Limits)]) -> Self {
        let mut sim = Self {
            dialer: Dialer::new(engine, seed).expect("engine limits"),
            now: 0,
            rng: Rng(seed),
            engine,
            trunks: trunks.iter().map(|(n, l)| (n.to_string(), *l)).collect(),
            specs: BTreeMap::new(),
            carrier: Carrier::new(seed),
            blacklist: Vec::new(),
            store: BTreeMap::new(),
            starts: Vec::new(),
            history: BTreeMap::new(),
            skipped: Vec::new(),
            paused: Vec::new(),
            finished: BTreeMap::new(),
            restarts: 0,
            shuffle_events: true,
            events: BinaryHeap::new(),
            calls: HashMap::new(),
            cooling: BTreeMap::new(),
            last_attempt: 0,
        };
        for (name, limits) in trunks {
            sim.dialer.add_trunk(name, *limits).expect("trunk");
        }
        sim
    }

    /// Load a campaign with `count` fresh numbers (ids from `first_id`), due at `now`, and
    /// start it.
    pub fn add_campaign(&mut self, spec: CampaignSpec, first_id: u64, count: u64) {
        let numbers: Vec<NumberState> = (first_id..first_id + count)
            .map(|id| NumberState {
                id,
                phone: format!("+86139{id:08}"),
                region: Some(["shanghai", "beijing", "guangzhou"][(id % 3) as usize].into()),
                attempts: 0,
                next_at: Some(self.now),
                leased: None,
                last_result: None,
            })
            .collect();
        for n in &numbers {
            self.store.insert(n.id, (spec.id.clone(), n.clone()));
        }
        let updates = self
            .dialer
            .add_campaign(self.now, spec.plan(), numbers)
            .expect("campaign");
        assert!(updates.is_empty());
        self.dialer
            .set_status(self.now, &spec.id, Status::Running)
            .expect("start");
        self.specs.insert(spec.id.clone(), spec);
    }

    /// Blacklist a number in the dialer and in the harness's own list.
    pub fn blacklist(&mut self, group: &str, number_id: u64, expires: Option<UnixMs>) {
        let phone = self.store[&number_id].1.phone.clone();
        self.dialer.blacklist_mut().insert(group, &phone, expires);
        self.blacklist.push((group.into(), phone, expires));
    }

    /// Run until `until` (the clock ends there); returns true if nothing is left to happen.
    pub fn run_until(&mut self, until: UnixMs) -> bool {
        loop {
            self.drain();
            let poll = self.dialer.poll_timeout(self.now);
            assert!(
                poll.is_none_or(|t| t > self.now),
                "poll_timeout {poll:?} at {} after draining: the driver would spin",
                self.now
            );
            let event = self.events.peek().map(|Reverse((t, _, _))| *t);
            let next = match (poll, event) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => {
                        self.now = self.now.max(until);
                        return true;
                    }
                },
            };
            if next > until {
                self.now = until;
                return false;
            }
            self.now = next;
            while let Some(Reverse((t, _, id))) = self.events.peek().copied()
                && t == self.now
            {
                self.events.pop();
                self.end_call(id);
                if self.shuffle_events && self.rng.below(2) == 0 {
                    self.drain();
                }
            }
        }
    }

    /// The engine dies: calls up are lost, the dialer is rebuilt from the store mirror.
    pub fn crash_and_restart(&mut self) {
        self.restarts += 1;
        // A restart takes seconds; the new dialer's token buckets start full, which is what
        // the old ones would have refilled to over that time.
        self.now += RESTART_MS;
        self.events.clear();
        self.calls.clear();
        self.cooling.clear();
        let mut dialer = Dialer::new(self.engine, self.rng.next()).expect("engine");
        for (name, limits) in &self.trunks {
            dialer.add_trunk(name, *limits).expect("trunk");
        }
        for (group, phone, expires) in &self.blacklist {
            dialer.blacklist_mut().insert(group, phone, *expires);
        }
        dialer.set_next_attempt_id(self.last_attempt + 1);
        let leased: usize = self
            .store
            .values()
            .filter(|(_, n)| n.leased.is_some())
            .count();
        let mut recovered = 0;
        for (id, spec) in &self.specs {
            let numbers: Vec<NumberState> = self
                .store
                .values()
                .filter(|(c, n)| c == id && (n.next_at.is_some() || n.leased.is_some()))
                .map(|(_, n)| n.clone())
                .collect();
            let updates = dialer
                .add_campaign(self.now, spec.plan(), numbers)
                .expect("reload");
            for u in updates {
                let (_, n) = self.store.get_mut(&u.number_id).expect("stored");
                assert_eq!(n.leased, Some(u.attempt));
                assert_eq!(u.last_result, CallResult::EngineError);
                n.leased = None;
                n.attempts = u.attempts;
                n.next_at = u.next_at;
                n.last_result = Some(u.last_result);
                let rec = self
                    .history
                    .get_mut(&u.number_id)
                    .and_then(|h| h.last_mut());
                let rec = rec.expect("a leased number was dialled");
                rec.end = Some(self.now);
                rec.result = Some(CallResult::EngineError);
                recovered += 1;
            }
            // As the service does: only a campaign stored as running runs again; a
            // paused or finished one stays so.
            let paused = self.paused.iter().any(|(_, c, _)| c == id);
            if !paused && !self.finished.contains_key(id) {
                dialer
                    .set_status(self.now, id, Status::Running)
                    .expect("start");
            }
        }
        assert_eq!(recovered, leased, "every leased number is recovered once");
        self.dialer = dialer;
    }

    fn drain(&mut self) {
        while let Some(decision) = self.dialer.poll_decision(self.now) {
            match decision {
                Decision::Dial(order) => self.start_call(order),
                Decision::Skipped {
                    number_id,
                    group,
                    update,
                    result,
                    ..
                } => {
                    let phone = self.store[&number_id].1.phone.clone();
                    assert!(
                        self.blacklisted(&phone),
                        "skipped {number_id} not blacklisted"
                    );
                    let (_, n) = self.store.get_mut(&number_id).expect("stored");
                    assert_eq!(result, CallResult::Blacklisted);
                    assert_eq!((update.attempts, update.next_at), (n.attempts + 1, None));
                    n.attempts = update.attempts;
                    n.next_at = None;
                    n.last_result = Some(result);
                    self.skipped.push((self.now, number_id, group));
                }
                Decision::Paused { campaign, reason } => {
                    self.paused.push((self.now, campaign, reason));
                }
                Decision::Finished { campaign } => {
                    assert!(!self.calls.values().any(|c| c.campaign == campaign));
                    let prev = self.finished.insert(campaign.clone(), self.now);
                    assert!(prev.is_none(), "{campaign} finished twice");
                }
            }
        }
    }

    fn blacklisted(&self, phone: &str) -> bool {
        self.blacklist
            .iter()
            .any(|(_, p, exp)| p == phone && exp.is_none_or(|e| self.now < e))
    }

    fn start_call(&mut self, order: voxgate_campaign::dialer::DialOrder) {
        let now = self.now;
        let spec = &self.specs[&order.campaign];
        assert!(spec.window.is_open(now), "dial outside the window at {now}");
        assert!(
            !self.blacklisted(&order.phone),
            "dialled blacklisted {}",
            order.phone
        );
        assert!(order.attempt.0 > self.last_attempt, "attempt ids go up");
        self.last_attempt = order.attempt.0;
        let up = |f: &dyn Fn(&Call) -> bool| self.calls.values().filter(|c| f(c)).count() as u32;
        let over = |max: Option<u32>, n: u32| max.is_some_and(|m| n >= m);
        assert!(
            !over(self.engine.max_concurrent, up(&|_| true)),
            "engine over"
        );
        assert!(!over(
            self.trunks[&order.trunk].max_concurrent,
            up(&|c| c.trunk == order.trunk)
        ));
        let in_campaign = up(&|c| c.campaign == order.campaign);
        let cooling = self.cooling.entry(order.campaign.clone()).or_default();
        cooling.retain(|t| *t > now);
        let busy_slots = in_campaign + cooling.len() as u32;
        assert!(
            !over(spec.limits.max_concurrent, busy_slots),
            "no free slot for {}",
            order.campaign
        );
        if let (Some(cap), Some(cid)) = (spec.caller_id.max_concurrent_per_number, &order.caller_id)
        {
            assert!(
                up(&|c| c.caller_id.as_ref() == Some(cid)) < cap,
                "caller ID {cid} over its cap"
            );
        }
        let (_, stored) = self.store.get_mut(&order.number_id).expect("stored");
        assert_eq!(
            stored.leased, None,
            "number {} dialled while leased",
            order.number_id
        );
        assert!(
            stored.next_at.is_some_and(|t| t <= now),
            "number {} not due",
            order.number_id
        );
        stored.leased = Some(order.attempt);
        stored.attempts += 1;
        assert_eq!(order.attempt_no, stored.attempts);
        let (duration, result, level) = self.carrier.outcome(order.number_id, order.attempt_no);
        let history = self.history.entry(order.number_id).or_default();
        history.push(AttemptRec {
            start: now,
            end: None,
            result: None,
        });
        self.starts.push(Start {
            at: now,
            campaign: order.campaign.clone(),
            trunk: order.trunk.clone(),
        });
        let tiebreak = self.rng.next();
        self.events
            .push(Reverse((now + duration, tiebreak, order.attempt)));
        let call = Call {
            campaign: order.campaign,
            trunk: order.trunk,
            number_id: order.number_id,
            caller_id: order.caller_id,
            result,
            level,
        };
        self.calls.insert(order.attempt, call);
    }

    fn end_call(&mut self, attempt: AttemptId) {
        let call = self.calls.remove(&attempt).expect("call up");
        let update = self
            .dialer
            .attempt_finished(self.now, attempt, call.result, call.level)
            .expect("attempt in flight");
        assert_eq!(update.number_id, call.number_id);
        let (_, n) = self.store.get_mut(&call.number_id).expect("stored");
        assert_eq!(n.leased, Some(attempt));
        n.leased = None;
        n.attempts = update.attempts;
        n.next_at = update.next_at;
        n.last_result = Some(update.last_result);
        let rec = self
            .history
            .get_mut(&call.number_id)
            .and_then(|h| h.last_mut());
        let rec = rec.expect("dialled");
        rec.end = Some(self.now);
        rec.result = Some(call.result);
        let interval = self.specs[&call.campaign].slot_interval_ms;
        if interval > 0 {
            self.cooling
                .entry(call.campaign)
                .or_default()
                .push(self.now + interval);
        }
    }

    /// Calls up in the simulated network.
    pub fn calls_up(&self) -> usize {
        self.calls.len()
    }
}
