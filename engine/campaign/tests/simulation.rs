//! Virtual-time simulations of the dialer against a seeded simulated carrier: thousands of
//! numbers over several days of windows with holidays, blacklists, shared trunks, pauses,
//! stop conditions and crashes. The harness (tests/sim) checks every decision as it happens;
//! `check_after_run` checks rates, redials and that every permit and caller ID came back.

mod sim;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sim::checks::{check_after_run, check_rate};
use sim::world::{DAY, HOUR, MINUTE, MONDAY, SECOND};
use sim::{CampaignSpec, Daily, Sim};
use voxgate_campaign::admission::Limits;
use voxgate_campaign::caller_id::{CallerIdConfig, CallerIdStrategy};
use voxgate_campaign::dialer::Status;
use voxgate_campaign::result::CallResult;

fn limits(max: Option<u32>, cps: Option<f64>) -> Limits {
    Limits {
        max_concurrent: max,
        calls_per_second: cps,
    }
}

fn caller_ids(cap: u32) -> CallerIdConfig {
    let numbers: Vec<String> = (0..4).map(|i| format!("0215000100{i}")).collect();
    let regions = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), ["shanghai", "beijing"][i % 2].to_string()))
        .collect();
    CallerIdConfig {
        numbers,
        strategy: CallerIdStrategy::SameRegion,
        max_concurrent_per_number: Some(cap),
        regions,
    }
}

#[test]
fn thousands_of_numbers_over_days_of_windows() {
    let holiday = MONDAY / DAY + 2; // Wednesday
    let mut sim = Sim::new(
        42,
        limits(Some(5), Some(3.0)),
        &[
            ("carrier", limits(Some(4), Some(2.0))),
            ("backup", limits(Some(1), Some(1.0))),
        ],
    );
    sim.now = MONDAY + 6 * HOUR;
    let mut renew = CampaignSpec::new(
        "renew",
        "carrier",
        limits(Some(3), Some(1.5)),
        Daily::office(&[holiday]),
    );
    renew.slot_interval_ms = 3 * SECOND;
    renew.caller_id = caller_ids(2);
    let survey = CampaignSpec::new(
        "survey",
        "carrier",
        limits(Some(2), None),
        Daily::office(&[holiday]),
    );
    let collect = CampaignSpec::new("collect", "backup", limits(None, None), Daily::office(&[]));
    sim.add_campaign(renew, 1, 1_500);
    sim.add_campaign(survey, 10_001, 1_000);
    sim.add_campaign(collect, 20_001, 1_000);
    for id in (1..1_500).step_by(40).chain((10_001..11_000).step_by(50)) {
        sim.blacklist("dnc", id, None);
    }
    // Expired before the campaign starts: these are dialled.
    for id in (5..1_500).step_by(97) {
        sim.blacklist("complaints", id, Some(MONDAY));
    }
    assert!(sim.run_until(MONDAY + 40 * DAY), "the campaigns end");
    check_after_run(&sim);
    assert_eq!(sim.finished.len(), 3);
    let days: BTreeSet<i64> = sim.starts.iter().map(|s| s.at / DAY).collect();
    assert!(days.len() >= 4, "ran over several days: {days:?}");
    let holiday_calls = sim.starts.iter().filter(|s| s.at / DAY == holiday);
    assert!(
        holiday_calls.clone().all(|s| s.campaign == "collect"),
        "only `collect` works on the holiday"
    );
    assert!(holiday_calls.count() > 0, "`collect` has no holiday");
    assert!(
        days.iter().all(|d| (d + 3).rem_euclid(7) < 5),
        "weekdays only"
    );
    let blacklisted = 38 + 20;
    assert_eq!(sim.skipped.len(), blacklisted);
    assert!(sim.skipped.iter().all(|s| s.2 == "dnc"));
    let attempts = sim.starts.len();
    assert!(
        attempts > 3_100 + 500,
        "redials happened: {attempts} attempts"
    );
    let by_result = sim
        .history
        .values()
        .flatten()
        .fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.result.expect("ended")).or_insert(0) += 1;
            m
        });
    for r in [
        CallResult::Answered,
        CallResult::Busy,
        CallResult::NoAnswer,
        CallResult::EmptyNumber,
        CallResult::Unreachable,
        CallResult::PoweredOff,
    ] {
        assert!(
            by_result.get(&r).copied().unwrap_or(0) > 50,
            "{r}: {by_result:?}"
        );
    }
    let stats = sim.dialer.stats(sim.now);
    assert!(stats.waits_trunk + stats.waits_campaign + stats.waits_engine > 0);
    eprintln!(
        "{attempts} attempts over {} days; results {by_result:?}",
        days.len()
    );
}

#[test]
fn two_campaigns_share_a_trunk_by_weight_and_pause_releases_share() {
    let mut sim = Sim::new(7, Limits::default(), &[("carrier", limits(Some(30), None))]);
    sim.now = MONDAY;
    let mut heavy = CampaignSpec::new("heavy", "carrier", limits(Some(100), None), Daily::always());
    heavy.weight = 2;
    let light = CampaignSpec::new("light", "carrier", limits(Some(100), None), Daily::always());
    sim.add_campaign(heavy, 1, 5_000);
    sim.add_campaign(light, 100_001, 5_000);
    let mut peak = BTreeMap::new();
    for step in 1..=24 {
        sim.run_until(MONDAY + step * 5 * MINUTE);
        let stats = sim.dialer.stats(sim.now);
        for (id, c) in &stats.campaigns {
            let p = peak.entry(id.clone()).or_insert(0);
            *p = (*p).max(c.active_calls);
        }
        assert!(stats.trunks["carrier"] <= 30);
    }
    assert_eq!((peak["heavy"], peak["light"]), (20, 10));
    let count = |id: &str| sim.starts.iter().filter(|s| s.campaign == id).count() as f64;
    let ratio = count("heavy") / count("light");
    assert!(
        (1.8..=2.2).contains(&ratio),
        "calls heavy:light = {ratio:.2}"
    );
    eprintln!(
        "calls heavy {} light {} ratio {ratio:.2}",
        count("heavy"),
        count("light")
    );

    sim.dialer
        .set_status(sim.now, "light", Status::Paused)
        .unwrap();
    let paused_at = sim.now;
    let stats = sim.dialer.stats(sim.now);
    assert_eq!(
        (
            stats.campaigns["heavy"].share,
            stats.campaigns["light"].share
        ),
        (Some(30), Some(0))
    );
    sim.run_until(paused_at + 10 * MINUTE);
    assert_eq!(
        sim.dialer.stats(sim.now).campaigns["heavy"].active_calls,
        30
    );
    assert!(
        !sim.starts
            .iter()
            .any(|s| s.campaign == "light" && s.at > paused_at)
    );
    sim.dialer
        .set_status(sim.now, "light", Status::Running)
        .unwrap();
    assert!(sim.run_until(MONDAY + 10 * DAY));
    check_after_run(&sim);
}

#[test]
fn crash_recovery_reloads_leased_numbers() {
    let mut sim = Sim::new(
        9,
        limits(Some(20), Some(4.0)),
        &[("carrier", limits(Some(12), Some(3.0)))],
    );
    sim.now = MONDAY + 8 * HOUR;
    let mut spec = CampaignSpec::new(
        "renew",
        "carrier",
        limits(Some(4), Some(2.5)),
        Daily::office(&[]),
    );
    spec.slot_interval_ms = 2 * SECOND;
    spec.caller_id = caller_ids(3);
    sim.add_campaign(spec, 1, 1_200);
    for id in (3..1_200).step_by(61) {
        sim.blacklist("complaints", id, None);
    }
    for k in 1..=4 {
        sim.run_until(MONDAY + 9 * HOUR + k * 37 * MINUTE);
        assert!(
            sim.calls_up() > 0,
            "crash {k} with calls up ({} starts)",
            sim.starts.len()
        );
        sim.crash_and_restart();
    }
    assert!(sim.run_until(MONDAY + 30 * DAY));
    check_after_run(&sim);
    let crashed = sim
        .history
        .values()
        .flatten()
        .filter(|r| r.result == Some(CallResult::EngineError));
    assert!(
        crashed.count() >= 4,
        "leased attempts ended as engine errors"
    );
    assert_eq!(sim.restarts, 4);
}

#[test]
fn stop_conditions_pause_once_until_resumed() {
    let mut sim = Sim::new(3, Limits::default(), &[("carrier", limits(Some(10), None))]);
    sim.now = MONDAY;
    let mut leads = CampaignSpec::new("leads", "carrier", limits(Some(5), None), Daily::always());
    leads.max_leads_per_day = Some(4);
    sim.add_campaign(leads, 1, 300);
    sim.run_until(MONDAY + 6 * HOUR);
    assert_eq!(sim.paused.len(), 1, "{:?}", sim.paused);
    let (at, _, reason) = sim.paused[0].clone();
    assert!(reason.contains("4 leads today"), "{reason}");
    let after: Vec<_> = sim.starts.iter().filter(|s| s.at > at).collect();
    assert!(after.is_empty(), "no dial after the pause");
    sim.run_until(MONDAY + DAY);
    sim.dialer
        .set_status(sim.now, "leads", Status::Running)
        .unwrap();
    sim.run_until(MONDAY + DAY + 6 * HOUR);
    assert_eq!(sim.paused.len(), 2, "paused again on the second day");
    assert!(sim.starts.iter().any(|s| s.at >= MONDAY + DAY));

    let mut sim = Sim::new(4, Limits::default(), &[("carrier", limits(Some(10), None))]);
    sim.now = MONDAY;
    let mut broken = CampaignSpec::new("broken", "carrier", limits(Some(3), None), Daily::always());
    broken.min_connect_rate = Some((20, 0.9));
    sim.add_campaign(broken, 1, 300);
    sim.run_until(MONDAY + DAY);
    assert_eq!(sim.paused.len(), 1);
    assert!(
        sim.paused[0].2.contains("over the last 20 attempts"),
        "{}",
        sim.paused[0].2
    );
    assert!(
        sim.starts.len() >= 20 && sim.starts.len() < 25,
        "{} calls",
        sim.starts.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random seeds (callee scripts, call durations, the order of simultaneous events),
    /// limits and slot intervals, with a crash at a random time: every invariant holds.
    #[test]
    fn invariants_hold_for_random_worlds(
        seed in any::<u64>(),
        trunk_max in 2u32..12,
        trunk_cps in prop::option::of(0.3f64..4.0),
        campaign_max in prop::option::of(1u32..8),
        interval in prop::sample::select(vec![0i64, 2_000, 15_000]),
        crash_after in prop::option::of(10i64..300),
        weights in (1u32..4, 1u32..4),
    ) {
        let mut sim = Sim::new(seed, limits(Some(10), Some(3.0)), &[("t", limits(Some(trunk_max), trunk_cps))]);
        sim.now = MONDAY + 10 * HOUR + (seed % 7_200_000) as i64;
        let mut a = CampaignSpec::new("a", "t", limits(campaign_max, Some(1.5)), Daily::office(&[MONDAY / DAY + 1]));
        a.slot_interval_ms = interval;
        a.weight = weights.0;
        a.caller_id = caller_ids(1);
        let mut b = CampaignSpec::new("b", "t", limits(Some(4), None), Daily::always());
        b.weight = weights.1;
        sim.add_campaign(a, 1, 150);
        sim.add_campaign(b, 1_001, 100);
        for id in (1..150).step_by(13) {
            sim.blacklist("dnc", id, None);
        }
        if let Some(minutes) = crash_after {
            sim.run_until(sim.now + minutes * MINUTE);
            sim.crash_and_restart();
        }
        prop_assert!(sim.run_until(MONDAY + 60 * DAY));
        check_after_run(&sim);
        prop_assert_eq!(sim.finished.len(), 2);
        let times: Vec<i64> = sim.starts.iter().filter(|s| s.trunk == "t").map(|s| s.at).collect();
        let busiest = check_rate("t", &times, limits(Some(trunk_max), trunk_cps));
        if let Some(cps) = trunk_cps {
            prop_assert!(busiest as f64 <= 2.0 * cps.max(1.0));
        }
    }
}
