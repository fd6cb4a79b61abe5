//! The simulated world: a seeded random generator, call windows with holidays, a carrier whose
//! callees follow scripts, and campaign specs that can be turned into plans again after a
//! crash.

use std::collections::BTreeSet;

use voxgate_campaign::UnixMs;
use voxgate_campaign::admission::Limits;
use voxgate_campaign::calendar::CallWindow;
use voxgate_campaign::caller_id::CallerIdConfig;
use voxgate_campaign::dialer::{CampaignPlan, StopRules};
use voxgate_campaign::redial::{RedialPolicy, RedialRule};
use voxgate_campaign::result::CallResult;
use voxgate_campaign::result_map::{CancelledBy, ResultMap};

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;
/// Monday 2026-01-05 00:00 UTC.
pub const MONDAY: UnixMs = 20_458 * DAY;

/// splitmix64.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64 + 1) as i64
    }
}

/// Open in the given UTC time ranges on the given weekdays (0 = Monday), except holidays
/// (UTC day numbers).
#[derive(Clone, Debug)]
pub struct Daily {
    pub ranges: Vec<(i64, i64)>,
    pub weekdays: [bool; 7],
    pub holidays: BTreeSet<i64>,
}

impl Daily {
    /// Mon-Fri 09:00-12:00 and 13:00-18:00.
    pub fn office(holidays: &[i64]) -> Self {
        Self {
            ranges: vec![(9 * HOUR, 12 * HOUR), (13 * HOUR, 18 * HOUR)],
            weekdays: [true, true, true, true, true, false, false],
            holidays: holidays.iter().copied().collect(),
        }
    }

    /// Every day, all day.
    pub fn always() -> Self {
        Self {
            ranges: vec![(0, DAY)],
            weekdays: [true; 7],
            holidays: BTreeSet::new(),
        }
    }

    fn day_open(&self, day: i64) -> bool {
        self.weekdays[(day + 3).rem_euclid(7) as usize] && !self.holidays.contains(&day)
    }
}

impl CallWindow for Daily {
    fn is_open(&self, at: UnixMs) -> bool {
        let (day, ms) = (at.div_euclid(DAY), at.rem_euclid(DAY));
        self.day_open(day) && self.ranges.iter().any(|&(a, b)| (a..b).contains(&ms))
    }

    fn next_open(&self, at: UnixMs) -> Option<UnixMs> {
        let first = at.div_euclid(DAY);
        (first..first + 367)
            .filter(|&d| self.day_open(d))
            .find_map(|day| {
                let from = if day == first { at.rem_euclid(DAY) } else { 0 };
                self.ranges
                    .iter()
                    .find(|&&(_, b)| from < b)
                    .map(|&(a, _)| day * DAY + a.max(from))
            })
    }
}

/// A campaign as the test configures it; `plan()` builds the dialer's plan (again after a
/// crash).
#[derive(Clone, Debug)]
pub struct CampaignSpec {
    pub id: String,
    pub trunk: String,
    pub weight: u32,
    pub limits: Limits,
    pub slot_interval_ms: i64,
    pub redial: RedialPolicy,
    pub caller_id: CallerIdConfig,
    pub max_leads_per_day: Option<u32>,
    pub min_connect_rate: Option<(u32, f64)>,
    pub window: Daily,
}

impl CampaignSpec {
    /// A campaign with typical redial rules and the office window.
    pub fn new(id: &str, trunk: &str, limits: Limits, window: Daily) -> Self {
        let rule = |delay_ms, max_attempts| RedialRule {
            delay_ms,
            max_attempts,
        };
        let mut redial = RedialPolicy::default();
        redial.rules.insert(CallResult::Busy, rule(30 * MINUTE, 3));
        redial.rules.insert(CallResult::NoAnswer, rule(4 * HOUR, 2));
        redial.rules.insert(CallResult::Unreachable, rule(DAY, 2));
        redial
            .rules
            .insert(CallResult::PoweredOff, rule(2 * HOUR, 2));
        redial
            .rules
            .insert(CallResult::EngineError, rule(5 * MINUTE, 4));
        Self {
            id: id.into(),
            trunk: trunk.into(),
            weight: 1,
            limits,
            slot_interval_ms: 0,
            redial,
            caller_id: CallerIdConfig::default(),
            max_leads_per_day: None,
            min_connect_rate: None,
            window,
        }
    }

    pub fn plan(&self) -> CampaignPlan {
        CampaignPlan {
            id: self.id.clone(),
            trunk: self.trunk.clone(),
            weight: self.weight,
            limits: self.limits,
            slot_interval_ms: self.slot_interval_ms,
            redial: self.redial.clone(),
            blacklist_groups: vec!["dnc".into(), "complaints".into()],
            caller_id: self.caller_id.clone(),
            stop: StopRules {
                max_leads_per_day: self.max_leads_per_day,
                lead_levels: vec!["A".into()],
                min_connect_rate: self.min_connect_rate,
                day_of: Box::new(|at| at.div_euclid(DAY)),
            },
            window: Box::new(self.window.clone()),
        }
    }
}

/// A dial as observed.
#[derive(Clone, Debug)]
pub struct Start {
    pub at: UnixMs,
    pub campaign: String,
    pub trunk: String,
}

/// How a callee behaves on one attempt.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    Answer,
    Busy,
    NoAnswer,
    NotFound,
    Silence,
    PoweredOff,
}

/// The simulated carrier: each number follows a script chosen by its id and the seed; the
/// SIP final goes through the default result map like a real call.
#[derive(Clone, Debug)]
pub struct Carrier {
    seed: u64,
    map: ResultMap,
}

impl Carrier {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            map: ResultMap::default(),
        }
    }

    fn script(&self, number_id: u64, attempt_no: u32) -> Outcome {
        use Outcome::*;
        let persona = Rng(self.seed ^ number_id.wrapping_mul(0x2545_F491_4F6C_DD1D)).below(10);
        match (persona, attempt_no) {
            (0..=2, _) => Answer,
            (3, 1) | (4, 1..=2) => Busy,
            (3, _) | (4, _) => Answer,
            (5, _) => Busy,
            (6, 1) => NoAnswer,
            (6, _) => Answer,
            (7, _) => NoAnswer,
            (8, _) => [NotFound, Silence][(number_id % 2) as usize],
            _ => PoweredOff,
        }
    }

    /// Duration, result and intent level of one attempt.
    pub fn outcome(
        &self,
        number_id: u64,
        attempt_no: u32,
    ) -> (i64, CallResult, Option<&'static str>) {
        let mut rng = Rng(self.seed ^ (number_id << 8) ^ u64::from(attempt_no));
        let ring = rng.between(2 * SECOND, 25 * SECOND);
        let (duration, code, reason, cancelled) = match self.script(number_id, attempt_no) {
            Outcome::Answer => (ring + rng.between(5 * SECOND, 3 * MINUTE), 200, None, None),
            Outcome::Busy => (rng.between(SECOND, 4 * SECOND), 486, None, None),
            Outcome::NoAnswer => (30 * SECOND, 487, None, Some(CancelledBy::RingTimeout)),
            Outcome::NotFound => (rng.between(SECOND, 3 * SECOND), 404, None, None),
            Outcome::Silence => (32 * SECOND, 408, None, None),
            Outcome::PoweredOff => (ring, 480, Some("Q.850;cause=20"), None),
        };
        let result = self.map.classify_final(code, reason, cancelled).result;
        let level =
            (result == CallResult::Answered).then(|| ["A", "B", "C", "D"][rng.below(4) as usize]);
        (duration, result, level)
    }
}
