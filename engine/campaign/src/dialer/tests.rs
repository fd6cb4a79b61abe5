//! Unit tests of the dialer's rules, one at a time, in virtual time.

use std::collections::BTreeMap;

use super::*;
use crate::calendar::CallWindow;
use crate::caller_id::{CallerIdConfig, CallerIdStrategy};
use crate::redial::{RedialPolicy, RedialRule};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Open every day from `from` to `to` (ms of the UTC day).
struct Daily {
    from: i64,
    to: i64,
}

impl CallWindow for Daily {
    fn is_open(&self, at: UnixMs) -> bool {
        (self.from..self.to).contains(&at.rem_euclid(DAY))
    }
    fn next_open(&self, at: UnixMs) -> Option<UnixMs> {
        if self.is_open(at) {
            return Some(at);
        }
        let day = at - at.rem_euclid(DAY);
        Some(if at.rem_euclid(DAY) < self.from {
            day + self.from
        } else {
            day + DAY + self.from
        })
    }
}

fn always() -> Box<Daily> {
    Box::new(Daily { from: 0, to: DAY })
}

fn plan(id: &str, max: Option<u32>) -> CampaignPlan {
    CampaignPlan {
        id: id.into(),
        trunk: "t".into(),
        weight: 1,
        limits: Limits {
            max_concurrent: max,
            calls_per_second: None,
        },
        slot_interval_ms: 0,
        redial: RedialPolicy::default(),
        blacklist_groups: vec!["dnc".into()],
        caller_id: CallerIdConfig::default(),
        stop: StopRules::default(),
        window: always(),
    }
}

fn number(id: u64, next_at: UnixMs) -> NumberState {
    NumberState {
        id,
        phone: format!("+86138000{id:05}"),
        region: None,
        attempts: 0,
        next_at: Some(next_at),
        leased: None,
        last_result: None,
    }
}

fn dialer(trunk: Limits) -> Dialer {
    let mut d = Dialer::new(Limits::default(), 1).unwrap();
    d.add_trunk("t", trunk).unwrap();
    d
}

fn start(d: &mut Dialer, plan: CampaignPlan, numbers: Vec<NumberState>) {
    let id = plan.id.clone();
    assert!(d.add_campaign(0, plan, numbers).unwrap().is_empty());
    d.set_status(0, &id, Status::Running).unwrap();
}

fn dial(d: &mut Dialer, now: UnixMs) -> DialOrder {
    match d.poll_decision(now) {
        Some(Decision::Dial(order)) => order,
        other => panic!("expected a dial at {now}, got {other:?}"),
    }
}

#[test]
fn numbers_go_by_next_at_then_id_inside_the_window() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", None);
    p.window = Box::new(Daily {
        from: 9 * HOUR,
        to: 18 * HOUR,
    });
    start(
        &mut d,
        p,
        vec![number(5, 100), number(3, 100), number(1, 200)],
    );
    assert_eq!(d.poll_decision(HOUR), None);
    assert_eq!(d.poll_timeout(HOUR), Some(9 * HOUR));
    let ids: Vec<u64> = (0..3).map(|_| dial(&mut d, 9 * HOUR).number_id).collect();
    assert_eq!(ids, [3, 5, 1]);
    assert_eq!(d.poll_decision(9 * HOUR), None);
    assert_eq!(d.poll_timeout(9 * HOUR), None);
    assert_eq!(d.stats(9 * HOUR).campaigns["a"].active_calls, 3);
}

#[test]
fn slot_interval_idles_the_slot() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", Some(1));
    p.slot_interval_ms = 5_000;
    start(&mut d, p, (1..=3).map(|i| number(i, 0)).collect());
    let first = dial(&mut d, 0);
    assert_eq!(d.poll_decision(0), None);
    d.attempt_finished(10_000, first.attempt, CallResult::Busy, None)
        .unwrap();
    assert_eq!(d.poll_decision(10_000), None);
    assert_eq!(d.poll_timeout(10_000), Some(15_000));
    assert_eq!(d.stats(12_000).campaigns["a"].cooling_slots, 1);
    assert_eq!(d.poll_decision(14_999), None);
    assert_eq!(dial(&mut d, 15_000).number_id, 2);
}

#[test]
fn redial_rules_bring_numbers_back() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", None);
    let rule = RedialRule {
        delay_ms: 60_000,
        max_attempts: 2,
    };
    p.redial.rules.insert(CallResult::Busy, rule);
    start(&mut d, p, vec![number(1, 0)]);
    let first = dial(&mut d, 0);
    assert_eq!(first.attempt_no, 1);
    let update = d
        .attempt_finished(1_000, first.attempt, CallResult::Busy, None)
        .unwrap();
    assert_eq!((update.attempts, update.next_at), (1, Some(61_000)));
    assert_eq!(d.poll_timeout(1_000), Some(61_000));
    assert_eq!(d.poll_decision(60_999), None);
    let second = dial(&mut d, 61_000);
    assert_eq!(second.attempt_no, 2);
    assert!(second.attempt > first.attempt);
    let update = d
        .attempt_finished(62_000, second.attempt, CallResult::Busy, None)
        .unwrap();
    assert_eq!((update.attempts, update.next_at), (2, None));
    assert_eq!(
        d.poll_decision(62_000),
        Some(Decision::Finished {
            campaign: "a".into()
        })
    );
    assert_eq!(d.poll_decision(62_000), None);
    assert_eq!(
        d.attempt_finished(62_000, second.attempt, CallResult::Busy, None),
        Err(DialerError::UnknownAttempt(second.attempt))
    );
}

#[test]
fn blacklisted_numbers_are_skipped_without_a_dial() {
    let mut d = dialer(Limits::default());
    start(&mut d, plan("a", None), vec![number(1, 0), number(2, 0)]);
    d.blacklist_mut().insert("dnc", "+8613800000001", None);
    d.blacklist_mut().insert("dnc", "+8613800000002", Some(5));
    match d.poll_decision(10) {
        Some(Decision::Skipped {
            number_id: 1,
            result: CallResult::Blacklisted,
            group,
            update,
            ..
        }) => {
            assert_eq!(group, "dnc");
            assert_eq!((update.attempts, update.next_at), (1, None));
        }
        other => panic!("expected a skip, got {other:?}"),
    }
    // Number 2's entry expired at 5.
    assert_eq!(dial(&mut d, 10).number_id, 2);
    assert_eq!(d.blacklist().len(), 2);
}

#[test]
fn crash_recovery_ends_leased_attempts_as_engine_errors() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", None);
    let rule = RedialRule {
        delay_ms: 1_000,
        max_attempts: 3,
    };
    p.redial.rules.insert(CallResult::EngineError, rule);
    let mut leased = number(1, 0);
    leased.attempts = 1;
    leased.leased = Some(AttemptId(41));
    let mut spent = number(2, 0);
    spent.attempts = 3;
    spent.leased = Some(AttemptId(40));
    let done = NumberState {
        next_at: None,
        ..number(3, 0)
    };
    let updates = d
        .add_campaign(5_000, p, vec![leased, spent, done, number(4, 9_000)])
        .unwrap();
    assert_eq!(
        updates,
        [
            NumberUpdate {
                attempt: AttemptId(41),
                number_id: 1,
                attempts: 1,
                next_at: Some(6_000),
                last_result: CallResult::EngineError
            },
            NumberUpdate {
                attempt: AttemptId(40),
                number_id: 2,
                attempts: 3,
                next_at: None,
                last_result: CallResult::EngineError
            },
        ]
    );
    d.set_status(5_000, "a", Status::Running).unwrap();
    assert_eq!(d.poll_timeout(5_000), Some(6_000));
    let order = dial(&mut d, 6_000);
    assert_eq!(
        (order.number_id, order.attempt_no, order.attempt),
        (1, 2, AttemptId(42))
    );
    d.set_next_attempt_id(10);
    assert_eq!(dial(&mut d, 9_000).attempt, AttemptId(43));
    d.set_next_attempt_id(100);
    assert!(
        d.add_numbers(9_000, "a", vec![number(4, 0), number(5, 0)])
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        dial(&mut d, 9_000),
        DialOrder {
            attempt: AttemptId(100),
            number_id: 5,
            ..order.clone()
        }
        .with_phone(5)
    );
}

impl DialOrder {
    fn with_phone(mut self, id: u64) -> Self {
        self.phone = number(id, 0).phone;
        self.attempt_no = 1;
        self
    }
}

#[test]
fn leads_per_day_pause_once_and_resume() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", None);
    p.stop.max_leads_per_day = Some(2);
    p.stop.lead_levels = vec!["A".into()];
    start(&mut d, p, (1..=6).map(|i| number(i, 0)).collect());
    let orders: Vec<_> = (0..4).map(|_| dial(&mut d, 0)).collect();
    d.attempt_finished(1, orders[0].attempt, CallResult::Answered, Some("A"))
        .unwrap();
    d.attempt_finished(2, orders[1].attempt, CallResult::Answered, Some("B"))
        .unwrap();
    assert!(matches!(d.poll_decision(2), Some(Decision::Dial(_))));
    d.attempt_finished(3, orders[2].attempt, CallResult::Answered, Some("A"))
        .unwrap();
    let Some(Decision::Paused { campaign, reason }) = d.poll_decision(3) else {
        panic!("pause")
    };
    assert_eq!(campaign, "a");
    assert!(reason.contains("2 leads today"), "{reason}");
    assert_eq!(d.stats(3).campaigns["a"].leads_today, 2);
    // Calls up continue; another lead while paused reports nothing new.
    d.attempt_finished(4, orders[3].attempt, CallResult::Answered, Some("A"))
        .unwrap();
    assert_eq!(d.poll_decision(4), None);
    assert_eq!(d.stats(4).campaigns["a"].status, Status::Paused);
    // The next day counts from zero.
    assert_eq!(d.stats(DAY).campaigns["a"].leads_today, 0);
    d.set_status(DAY, "a", Status::Running).unwrap();
    assert!(matches!(d.poll_decision(DAY), Some(Decision::Dial(_))));
}

#[test]
fn low_connect_rate_pauses_not_counting_blacklisted() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", None);
    p.stop.min_connect_rate = Some((3, 0.5));
    start(&mut d, p, (1..=8).map(|i| number(i, 0)).collect());
    d.blacklist_mut().insert("dnc", "+8613800000002", None);
    let a = dial(&mut d, 0);
    assert!(matches!(d.poll_decision(0), Some(Decision::Skipped { .. })));
    let b = dial(&mut d, 0);
    let c = dial(&mut d, 0);
    d.attempt_finished(1, a.attempt, CallResult::Answered, None)
        .unwrap();
    d.attempt_finished(1, b.attempt, CallResult::EngineError, None)
        .unwrap();
    d.attempt_finished(1, c.attempt, CallResult::NoAnswer, None)
        .unwrap();
    assert!(matches!(d.poll_decision(1), Some(Decision::Dial(_))));
    let e = dial(&mut d, 1);
    d.attempt_finished(2, e.attempt, CallResult::LineFault, None)
        .unwrap();
    let Some(Decision::Paused { reason, .. }) = d.poll_decision(2) else {
        panic!("pause")
    };
    assert!(
        reason.contains("33.3%") && reason.contains("50.0%"),
        "{reason}"
    );
}

#[test]
fn pause_frees_the_share_and_caps_hold() {
    let mut d = dialer(Limits {
        max_concurrent: Some(4),
        calls_per_second: None,
    });
    start(
        &mut d,
        plan("a", None),
        (1..=10).map(|i| number(i, 0)).collect(),
    );
    start(
        &mut d,
        plan("b", None),
        (11..=20).map(|i| number(i, 0)).collect(),
    );
    let orders: Vec<_> = (0..4).map(|_| dial(&mut d, 0)).collect();
    assert_eq!(d.poll_decision(0), None);
    let stats = d.stats(0);
    assert_eq!(
        (stats.campaigns["a"].share, stats.campaigns["b"].share),
        (Some(2), Some(2))
    );
    assert_eq!(stats.trunks["t"], 4);
    d.set_status(0, "b", Status::Paused).unwrap();
    assert_eq!(d.stats(0).campaigns["a"].share, Some(4));
    for o in orders.iter().filter(|o| o.campaign == "b") {
        d.attempt_finished(1, o.attempt, CallResult::Busy, None)
            .unwrap();
    }
    assert_eq!(dial(&mut d, 1).campaign, "a");
    assert_eq!(dial(&mut d, 1).campaign, "a");
    assert_eq!(d.poll_decision(1), None);
    assert!(d.stats(1).waits_trunk > 0);
    assert_eq!(
        d.remove_campaign("a"),
        Err(DialerError::CallsInFlight("a".into()))
    );
    d.remove_campaign("b").unwrap();
    assert_eq!(
        d.set_status(1, "b", Status::Running),
        Err(DialerError::UnknownCampaign("b".into()))
    );
}

#[test]
fn caller_id_caps_block_until_a_release() {
    let mut d = dialer(Limits::default());
    let mut p = plan("a", None);
    p.caller_id = CallerIdConfig {
        numbers: vec!["02150001000".into()],
        strategy: CallerIdStrategy::SameRegion,
        max_concurrent_per_number: Some(1),
        regions: BTreeMap::new(),
    };
    start(&mut d, p, vec![number(1, 0), number(2, 0)]);
    let first = dial(&mut d, 0);
    assert_eq!(first.caller_id.as_deref(), Some("02150001000"));
    assert_eq!(d.poll_decision(0), None);
    assert_eq!(d.poll_timeout(5), None);
    d.attempt_finished(9, first.attempt, CallResult::Answered, None)
        .unwrap();
    assert_eq!(dial(&mut d, 9).number_id, 2);
    assert_eq!(d.stats(9).campaigns["a"].caller_ids_leased, 1);
}

#[test]
fn cps_waits_come_back_as_timeouts() {
    let mut d = dialer(Limits {
        max_concurrent: None,
        calls_per_second: Some(2.0),
    });
    start(
        &mut d,
        plan("a", None),
        (1..=5).map(|i| number(i, 0)).collect(),
    );
    dial(&mut d, 0);
    dial(&mut d, 0);
    assert_eq!(d.poll_decision(0), None);
    assert_eq!(d.poll_timeout(0), Some(500));
    assert_eq!(d.poll_decision(100), None);
    assert_eq!(
        d.stats(100).waits_trunk,
        1,
        "no retry before the token is due"
    );
    dial(&mut d, 500);
}

#[test]
fn bad_input_is_an_error() {
    let mut d = dialer(Limits::default());
    assert!(
        Dialer::new(
            Limits {
                max_concurrent: None,
                calls_per_second: Some(-1.0)
            },
            0
        )
        .is_err()
    );
    let mut p = plan("a", None);
    p.trunk = "nope".into();
    assert!(matches!(
        d.add_campaign(0, p, vec![]),
        Err(DialerError::Admission(_))
    ));
    let mut p = plan("a", None);
    p.slot_interval_ms = -1;
    assert!(matches!(
        d.add_campaign(0, p, vec![]),
        Err(DialerError::InvalidPlan { .. })
    ));
    let mut p = plan("a", None);
    p.stop.min_connect_rate = Some((0, 0.5));
    assert!(matches!(
        d.add_campaign(0, p, vec![]),
        Err(DialerError::InvalidPlan { .. })
    ));
    d.add_campaign(0, plan("a", None), vec![]).unwrap();
    assert_eq!(
        d.add_campaign(0, plan("a", None), vec![]),
        Err(DialerError::DuplicateCampaign("a".into()))
    );
    assert!(d.add_numbers(0, "zz", vec![]).is_err());
    // An empty running campaign is finished at once.
    d.set_status(0, "a", Status::Running).unwrap();
    assert_eq!(d.poll_timeout(0), Some(0));
    assert_eq!(
        d.poll_decision(0),
        Some(Decision::Finished {
            campaign: "a".into()
        })
    );
    assert!(d.stats(0).campaigns["a"].finished);
}

#[test]
fn the_dialer_can_move_to_a_driver_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Dialer>();
}
