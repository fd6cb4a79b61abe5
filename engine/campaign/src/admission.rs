//! Admission limits: concurrent calls and calls per second at engine, trunk and campaign level.
//!
//! [`AdmissionLimiter`] holds, at each level, a counter of calls up and a token bucket (rate =
//! calls per second, burst = max(1, cps) tokens, refilled by the elapsed wall-clock time). A
//! call needs a concurrency slot and a token at every level, taken together or not at all.
//!
//! Fair share: campaigns on one trunk split the trunk's `max_concurrent` by weight, counting
//! only the *active* ones (running, with numbers due). The split is weighted max-min fair
//! ("water filling"): a campaign whose own `max_concurrent` is below its weighted part keeps
//! only what it can use and the rest goes to the others by weight; otherwise a campaign's
//! share is `floor(remaining * weight / sum of weights)`, at least 1, and the slots the floors
//! leave over go one each to the largest remainders (so the trunk is fully usable: 10 slots
//! for three equal campaigns are 4, 3, 3, not 3, 3, 3). Unused share is lent this
//! way: a campaign with nothing due is inactive, so the others split the whole trunk, and the
//! moment it has numbers due again it becomes active and gets its share back as calls end.

use std::cmp::Reverse;
use std::collections::HashMap;

use crate::UnixMs;

/// Limits at one level; `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    /// Calls up at once (ringing or talking).
    pub max_concurrent: Option<u32>,
    /// New calls per second (token bucket; burst of one second's worth, at least 1).
    pub calls_per_second: Option<f64>,
}

impl Limits {
    /// Check that the rate, if any, is a finite number above zero.
    pub fn validate(&self, what: &str) -> Result<(), AdmissionError> {
        match self.calls_per_second {
            Some(cps) if !(cps.is_finite() && cps > 0.0) => Err(AdmissionError::InvalidRate {
                what: what.to_owned(),
                cps,
            }),
            _ => Ok(()),
        }
    }
}

/// A level of admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// The whole engine.
    Engine,
    /// One trunk, including a campaign's fair share of it.
    Trunk,
    /// One campaign.
    Campaign,
}

/// Why a call may not start now.
#[derive(Clone, Debug, PartialEq)]
pub struct Wait {
    /// When a token will be there; `None` when a concurrency slot must be released first.
    pub until: Option<UnixMs>,
    /// The level that said no.
    pub level: Level,
    /// What is exhausted, for logs.
    pub reason: String,
}

/// The right to one call, held until [`AdmissionLimiter::release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Permit {
    id: u64,
}

impl Permit {
    /// The permit's unique id.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// Configuration errors of the limiter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AdmissionError {
    /// A calls-per-second value that is not a number above zero.
    #[error("{what}: calls per second must be a number above 0, got {cps}")]
    InvalidRate {
        /// Which level.
        what: String,
        /// The value given.
        cps: f64,
    },
    /// A campaign names a trunk the limiter does not know.
    #[error("unknown trunk `{0}`")]
    UnknownTrunk(String),
    /// A campaign id that is already registered.
    #[error("campaign `{0}` is already registered")]
    DuplicateCampaign(String),
    /// A campaign id that is not registered.
    #[error("unknown campaign `{0}`")]
    UnknownCampaign(String),
    /// A campaign that cannot be removed while its calls are up.
    #[error("campaign `{0}` still has calls up")]
    CallsUp(String),
}

/// Calls per second as a token bucket with fractional tokens.
#[derive(Clone, Debug)]
struct TokenBucket {
    rate_per_ms: f64,
    burst: f64,
    tokens: f64,
    updated: UnixMs,
}

/// Slack for floating-point refill arithmetic (far below one token).
const EPSILON: f64 = 1e-9;

impl TokenBucket {
    fn new(cps: f64, previous: Option<&TokenBucket>) -> Self {
        let burst = cps.max(1.0);
        Self {
            rate_per_ms: cps / 1000.0,
            burst,
            tokens: previous.map_or(burst, |b| b.tokens.min(burst)),
            updated: previous.map_or(UnixMs::MIN, |b| b.updated),
        }
    }

    fn refill(&mut self, now: UnixMs) {
        if self.updated == UnixMs::MIN {
            self.updated = now;
        } else if now > self.updated {
            let gained = (now - self.updated) as f64 * self.rate_per_ms;
            self.tokens = (self.tokens + gained).min(self.burst);
            self.updated = now;
        }
    }

    /// When a whole token is there (`updated` if now). Call after `refill`.
    fn ready_at(&self) -> UnixMs {
        if self.tokens >= 1.0 - EPSILON {
            self.updated
        } else {
            let wait = ((1.0 - self.tokens) / self.rate_per_ms).ceil();
            self.updated.saturating_add(wait as i64)
        }
    }
}

/// A concurrency counter and an optional token bucket: one level for one name.
#[derive(Clone, Debug)]
struct Gate {
    name: String,
    max: Option<u32>,
    active: u32,
    bucket: Option<TokenBucket>,
}

impl Gate {
    fn new(name: &str, limits: Limits) -> Self {
        let mut gate = Self {
            name: name.to_owned(),
            max: None,
            active: 0,
            bucket: None,
        };
        gate.update(limits);
        gate
    }

    fn update(&mut self, limits: Limits) {
        self.max = limits.max_concurrent;
        self.bucket = limits
            .calls_per_second
            .map(|cps| TokenBucket::new(cps, self.bucket.as_ref()));
    }

    fn full(&self) -> bool {
        self.max.is_some_and(|max| self.active >= max)
    }

    /// Refill and return when a token is there (`now` if there is none to wait for).
    fn token_ready(&mut self, now: UnixMs) -> UnixMs {
        match &mut self.bucket {
            Some(b) => {
                b.refill(now);
                b.ready_at().max(now)
            }
            None => now,
        }
    }

    fn take(&mut self) {
        self.active += 1;
        if let Some(b) = &mut self.bucket {
            b.tokens = (b.tokens - 1.0).max(0.0);
        }
    }
}

/// A campaign's gate plus its place on its trunk.
#[derive(Clone, Debug)]
struct CampaignGate {
    gate: Gate,
    trunk: usize,
    weight: u32,
    active: bool,
    share: Option<u32>,
}

/// Concurrency and calls-per-second limits at engine, trunk and campaign level, with fair
/// shares of each trunk between its campaigns (see the module docs).
#[derive(Clone, Debug)]
pub struct AdmissionLimiter {
    engine: Gate,
    trunks: Vec<Gate>,
    trunk_index: HashMap<String, usize>,
    campaigns: HashMap<String, CampaignGate>,
    permits: HashMap<u64, (String, usize)>,
    next_permit: u64,
    waits: [u64; 3],
    double_releases: u64,
}

impl AdmissionLimiter {
    /// A limiter with the engine-wide `limits` and no trunk yet.
    pub fn new(engine: Limits) -> Result<Self, AdmissionError> {
        engine.validate("engine")?;
        Ok(Self {
            engine: Gate::new("engine", engine),
            trunks: Vec::new(),
            trunk_index: HashMap::new(),
            campaigns: HashMap::new(),
            permits: HashMap::new(),
            next_permit: 1,
            waits: [0; 3],
            double_releases: 0,
        })
    }

    /// Add a trunk, or change its limits (calls up stay counted; tokens are kept up to the
    /// new burst).
    pub fn set_trunk(&mut self, name: &str, limits: Limits) -> Result<(), AdmissionError> {
        limits.validate(&format!("trunk `{name}`"))?;
        match self.trunk_index.get(name) {
            Some(&i) => {
                self.trunks[i].update(limits);
                self.recompute_shares(i);
            }
            None => {
                self.trunk_index.insert(name.to_owned(), self.trunks.len());
                self.trunks.push(Gate::new(name, limits));
            }
        }
        Ok(())
    }

    /// Register a campaign on `trunk` with its `weight` (0 counts as 1) and own limits. It
    /// starts inactive.
    pub fn add_campaign(
        &mut self,
        id: &str,
        trunk: &str,
        weight: u32,
        limits: Limits,
    ) -> Result<(), AdmissionError> {
        limits.validate(&format!("campaign `{id}`"))?;
        let &trunk = self
            .trunk_index
            .get(trunk)
            .ok_or_else(|| AdmissionError::UnknownTrunk(trunk.to_owned()))?;
        if self.campaigns.contains_key(id) {
            return Err(AdmissionError::DuplicateCampaign(id.to_owned()));
        }
        let gate = CampaignGate {
            gate: Gate::new(id, limits),
            trunk,
            weight: weight.max(1),
            active: false,
            share: None,
        };
        self.campaigns.insert(id.to_owned(), gate);
        self.recompute_shares(trunk);
        Ok(())
    }

    /// Forget a campaign that has no call up.
    pub fn remove_campaign(&mut self, id: &str) -> Result<(), AdmissionError> {
        let trunk = match self.campaigns.get(id) {
            Some(c) if c.gate.active > 0 => return Err(AdmissionError::CallsUp(id.to_owned())),
            Some(c) => c.trunk,
            None => return Err(AdmissionError::UnknownCampaign(id.to_owned())),
        };
        self.campaigns.remove(id);
        self.recompute_shares(trunk);
        Ok(())
    }

    /// Mark a campaign active (running with numbers due) or not; shares of its trunk follow.
    /// Returns true if that changed anything. Unknown campaigns are ignored.
    pub fn set_active(&mut self, id: &str, active: bool) -> bool {
        let Some(c) = self.campaigns.get_mut(id).filter(|c| c.active != active) else {
            return false;
        };
        c.active = active;
        let trunk = c.trunk;
        self.recompute_shares(trunk);
        true
    }

    /// Take a concurrency slot and a token at every level (engine, the campaign's trunk and
    /// fair share, the campaign) for one call of `campaign`, or nothing. Asking makes the
    /// campaign active. A refusal is counted by level.
    pub fn try_acquire(&mut self, now: UnixMs, campaign: &str) -> Result<Permit, Wait> {
        self.set_active(campaign, true);
        let Some(c) = self.campaigns.get_mut(campaign) else {
            return Err(self.count(Wait {
                until: None,
                level: Level::Campaign,
                reason: format!("unknown campaign `{campaign}`"),
            }));
        };
        let ti = c.trunk;
        if let Some(wait) = concurrency_wait(c, &self.trunks[ti], &self.engine) {
            return Err(self.count(wait));
        }
        let levels = [
            (c.gate.token_ready(now), Level::Campaign),
            (self.trunks[ti].token_ready(now), Level::Trunk),
            (self.engine.token_ready(now), Level::Engine),
        ];
        let (until, level) = levels
            .into_iter()
            .fold((now, Level::Campaign), |a, b| if b.0 > a.0 { b } else { a });
        if until > now {
            let name = match level {
                Level::Campaign => format!("campaign `{campaign}`"),
                Level::Trunk => format!("trunk `{}`", self.trunks[ti].name),
                Level::Engine => "engine".to_owned(),
            };
            let reason = format!("{name}: calls per second used up");
            return Err(self.count(Wait {
                until: Some(until),
                level,
                reason,
            }));
        }
        c.gate.take();
        self.trunks[ti].take();
        self.engine.take();
        let id = self.next_permit;
        self.next_permit += 1;
        self.permits.insert(id, (campaign.to_owned(), ti));
        Ok(Permit { id })
    }

    /// Give a permit's slots back. Releasing a permit twice (or a foreign one) changes nothing
    /// and is counted in [`double_releases`](Self::double_releases); returns false then.
    pub fn release(&mut self, permit: Permit) -> bool {
        let Some((ci, ti)) = self.permits.remove(&permit.id) else {
            self.double_releases += 1;
            return false;
        };
        if let Some(c) = self.campaigns.get_mut(&ci) {
            c.gate.active = c.gate.active.saturating_sub(1);
        }
        let trunk = &mut self.trunks[ti];
        trunk.active = trunk.active.saturating_sub(1);
        self.engine.active = self.engine.active.saturating_sub(1);
        true
    }

    /// Calls up in the whole engine.
    pub fn engine_active(&self) -> u32 {
        self.engine.active
    }

    /// Calls up on a trunk (`None` for an unknown trunk).
    pub fn trunk_active(&self, trunk: &str) -> Option<u32> {
        self.trunk_index.get(trunk).map(|&i| self.trunks[i].active)
    }

    /// Calls up for a campaign (`None` for an unknown campaign).
    pub fn campaign_active(&self, campaign: &str) -> Option<u32> {
        self.campaign(campaign).map(|c| c.gate.active)
    }

    /// A campaign's current share of its trunk (0 while inactive); `None` when its trunk has
    /// no concurrency limit (or the campaign is unknown).
    pub fn share(&self, campaign: &str) -> Option<u32> {
        self.campaign(campaign).and_then(|c| c.share)
    }

    /// Refusals so far at `level`.
    pub fn waits(&self, level: Level) -> u64 {
        self.waits[level as usize]
    }

    /// Permits released more than once (or never issued): always 0 when callers are right.
    pub fn double_releases(&self) -> u64 {
        self.double_releases
    }

    /// Permits issued and not yet released.
    pub fn outstanding(&self) -> usize {
        self.permits.len()
    }

    fn campaign(&self, id: &str) -> Option<&CampaignGate> {
        self.campaigns.get(id)
    }

    fn count(&mut self, wait: Wait) -> Wait {
        self.waits[wait.level as usize] += 1;
        wait
    }

    /// Weighted max-min fair split of a trunk's concurrency between its active campaigns.
    fn recompute_shares(&mut self, trunk: usize) {
        let trunk_max = self.trunks[trunk].max;
        let mut open = Vec::new();
        for (id, c) in self.campaigns.iter_mut().filter(|(_, c)| c.trunk == trunk) {
            c.share = trunk_max.map(|_| 0);
            if c.active && trunk_max.is_some() {
                open.push((id.clone(), u64::from(c.weight), c.gate.max.map(u64::from)));
            }
        }
        open.sort();
        let mut remaining = u64::from(trunk_max.unwrap_or(0));
        while !open.is_empty() {
            let sum: u64 = open.iter().map(|o| o.1).sum();
            let fair = |w: u64| remaining * w / sum;
            // A campaign that cannot use its weighted part keeps its own maximum.
            let mut capped = Vec::new();
            open.retain(|(id, w, cap)| match *cap {
                Some(cap) if cap <= fair(*w) => {
                    capped.push((id.clone(), cap));
                    false
                }
                _ => true,
            });
            if capped.is_empty() {
                // Slots left over by the floors go to the largest remainders.
                let spare = remaining - open.iter().map(|o| fair(o.1)).sum::<u64>();
                open.sort_by_key(|(id, w, _)| {
                    (Reverse(remaining * w % sum), Reverse(*w), id.clone())
                });
                for (k, (id, w, _)) in open.iter().enumerate() {
                    let extra = u64::from((k as u64) < spare);
                    self.set_share(id, (fair(*w) + extra).max(1));
                }
                break;
            }
            for (id, cap) in capped {
                remaining -= cap;
                self.set_share(&id, cap.max(1));
            }
        }
    }

    fn set_share(&mut self, campaign: &str, share: u64) {
        if let Some(c) = self.campaigns.get_mut(campaign) {
            c.share = Some(share.min(u64::from(u32::MAX)) as u32);
        }
    }
}

/// The first level, narrowest first, without a free concurrency slot for `c`.
fn concurrency_wait(c: &CampaignGate, trunk: &Gate, engine: &Gate) -> Option<Wait> {
    let (level, what, max) = if c.gate.full() {
        (
            Level::Campaign,
            format!("campaign `{}`", c.gate.name),
            c.gate.active,
        )
    } else if let Some(share) = c.share
        && c.gate.active >= share
    {
        let what = format!(
            "campaign `{}` (its share of trunk `{}`)",
            c.gate.name, trunk.name
        );
        (Level::Trunk, what, share)
    } else if trunk.full() {
        (
            Level::Trunk,
            format!("trunk `{}`", trunk.name),
            trunk.active,
        )
    } else if engine.full() {
        (Level::Engine, "engine".to_owned(), engine.active)
    } else {
        return None;
    };
    let reason = format!("{what} at its maximum of {max} calls");
    Some(Wait {
        until: None,
        level,
        reason,
    })
}
