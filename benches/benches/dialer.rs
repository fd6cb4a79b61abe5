//! Campaign dialer: scheduler decisions per second with 250,000 numbers across two campaigns
//! sharing a trunk. One cycle = `attempt_finished` for the oldest call up (busy: the number
//! comes back 60 s later; virtual time moves 1 ms per cycle, so the due queues stay large) +
//! `poll_decision` placing the next call. 200 calls up, concurrency and CPS limits at every
//! level, fair shares (2:1), same-region caller IDs with caps and a 10,000-entry blacklist are
//! all in play. Also: an idle poll with the trunk full, and loading 250k numbers.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use voxgate_campaign::UnixMs;
use voxgate_campaign::admission::Limits;
use voxgate_campaign::calendar::CallWindow;
use voxgate_campaign::caller_id::{CallerIdConfig, CallerIdStrategy};
use voxgate_campaign::dialer::{
    AttemptId, CampaignPlan, Decision, Dialer, NumberState, Status, StopRules,
};
use voxgate_campaign::redial::{RedialPolicy, RedialRule};
use voxgate_campaign::result::CallResult;

const NUMBERS: u64 = 250_000;
const REGIONS: [&str; 4] = ["shanghai", "beijing", "guangzhou", "shenzhen"];

/// Open all day, every day.
struct Always;

impl CallWindow for Always {
    fn is_open(&self, _: UnixMs) -> bool {
        true
    }
    fn next_open(&self, at: UnixMs) -> Option<UnixMs> {
        Some(at)
    }
}

fn limits(max: u32, cps: f64) -> Limits {
    Limits {
        max_concurrent: Some(max),
        calls_per_second: Some(cps),
    }
}

fn plan(id: &str, weight: u32) -> CampaignPlan {
    let mut redial = RedialPolicy::default();
    let rule = RedialRule {
        delay_ms: 60_000,
        max_attempts: u32::MAX,
    };
    redial.rules.insert(CallResult::Busy, rule);
    let numbers: Vec<String> = (0..20).map(|i| format!("0215000{i:04}")).collect();
    let regions = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), REGIONS[i % 4].to_string()))
        .collect();
    CampaignPlan {
        id: id.into(),
        trunk: "carrier".into(),
        weight,
        limits: limits(150, 1e6),
        slot_interval_ms: 0,
        redial,
        blacklist_groups: vec!["dnc".into()],
        caller_id: CallerIdConfig {
            numbers,
            strategy: CallerIdStrategy::SameRegion,
            max_concurrent_per_number: Some(20),
            regions,
        },
        stop: StopRules::default(),
        window: Box::new(Always),
    }
}

fn numbers(range: std::ops::Range<u64>) -> Vec<NumberState> {
    range
        .map(|id| NumberState {
            id,
            phone: format!("+86139{id:08}"),
            region: Some(REGIONS[(id % 4) as usize].into()),
            attempts: 0,
            next_at: Some((id % 1_000) as i64),
            leased: None,
            last_result: None,
        })
        .collect()
}

fn loaded_dialer() -> Dialer {
    let mut d = Dialer::new(limits(1_000, 1e6), 1).expect("engine");
    d.add_trunk("carrier", limits(200, 1e6)).expect("trunk");
    for id in (0..NUMBERS).step_by(25) {
        d.blacklist_mut()
            .insert("dnc", &format!("+86139{:08}", id + 7), None);
    }
    let half = NUMBERS / 2;
    for (id, weight, range) in [("a", 2, 0..half), ("b", 1, half..NUMBERS)] {
        d.add_campaign(0, plan(id, weight), numbers(range))
            .expect("campaign");
        d.set_status(0, id, Status::Running).expect("start");
    }
    d
}

fn decisions(c: &mut Criterion) {
    let mut d = loaded_dialer();
    let mut now: UnixMs = 1_000;
    let mut up: VecDeque<AttemptId> = VecDeque::new();
    while let Some(decision) = d.poll_decision(now) {
        if let Decision::Dial(order) = decision {
            up.push_back(order.attempt);
        }
    }
    assert_eq!(up.len(), 200, "the trunk is full");
    c.bench_function("dialer/finish_and_dial_250k_numbers", |b| {
        b.iter(|| {
            now += 1;
            let oldest = up.pop_front().expect("a call up");
            black_box(
                d.attempt_finished(now, oldest, CallResult::Busy, None)
                    .unwrap(),
            );
            loop {
                match d.poll_decision(now) {
                    Some(Decision::Dial(order)) => {
                        up.push_back(order.attempt);
                        break;
                    }
                    Some(other) => {
                        black_box(other);
                    }
                    None => panic!("no decision with a free slot"),
                }
            }
        })
    });
    let stats = d.stats(now);
    println!(
        "dialer: {} numbers pending, {} calls up, waits trunk {} campaign {}",
        stats.campaigns.values().map(|c| c.pending).sum::<usize>(),
        stats.in_flight,
        stats.waits_trunk,
        stats.waits_campaign
    );
    c.bench_function("dialer/idle_poll_250k_numbers", |b| {
        b.iter(|| black_box(d.poll_decision(black_box(now))))
    });
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("dialer");
    group.sample_size(10);
    group.bench_function("load_250k_numbers", |b| {
        b.iter_batched(
            || numbers(0..NUMBERS),
            |list| {
                let mut d = Dialer::new(Limits::default(), 1).expect("engine");
                d.add_trunk("carrier", Limits::default()).expect("trunk");
                black_box(d.add_campaign(0, plan("a", 1), list).expect("campaign"))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, decisions, load);
criterion_main!(benches);
