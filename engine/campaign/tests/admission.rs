//! The admission limiter through its public API: levels, token buckets, fair shares, and a
//! property test over random acquire/release/time sequences.

use proptest::prelude::*;
use voxgate_campaign::admission::{AdmissionError, AdmissionLimiter, Level, Limits, Permit};

fn limits(max: Option<u32>, cps: Option<f64>) -> Limits {
    Limits {
        max_concurrent: max,
        calls_per_second: cps,
    }
}

fn limiter(engine: Limits, trunk: Limits) -> AdmissionLimiter {
    let mut l = AdmissionLimiter::new(engine).expect("engine limits");
    l.set_trunk("t", trunk).expect("trunk");
    l
}

#[test]
fn concurrency_at_every_level_and_idempotent_release() {
    let mut l = limiter(limits(Some(3), None), limits(Some(2), None));
    l.add_campaign("a", "t", 1, limits(Some(1), None)).unwrap();
    l.add_campaign("b", "t", 1, limits(None, None)).unwrap();
    let p = l.try_acquire(0, "a").expect("first call");
    let w = l.try_acquire(0, "a").unwrap_err();
    assert_eq!((w.level, w.until), (Level::Campaign, None));
    assert!(w.reason.contains("campaign `a`"), "{}", w.reason);
    let q = l.try_acquire(0, "b").expect("b's call");
    let w = l.try_acquire(0, "b").unwrap_err();
    assert_eq!(w.level, Level::Trunk);
    assert_eq!(
        (
            l.engine_active(),
            l.trunk_active("t"),
            l.campaign_active("a")
        ),
        (2, Some(2), Some(1))
    );
    assert!(l.release(p));
    assert!(!l.release(p));
    assert_eq!(l.double_releases(), 1);
    assert_eq!(l.campaign_active("a"), Some(0));
    assert!(l.release(q));
    assert_eq!(
        (l.engine_active(), l.trunk_active("t"), l.outstanding()),
        (0, Some(0), 0)
    );
    assert_eq!(l.waits(Level::Campaign), 1);
    assert_eq!(l.waits(Level::Trunk), 1);

    let mut e = limiter(limits(Some(1), None), limits(None, None));
    e.add_campaign("a", "t", 1, Limits::default()).unwrap();
    let _held = e.try_acquire(0, "a").unwrap();
    assert_eq!(e.try_acquire(0, "a").unwrap_err().level, Level::Engine);
}

#[test]
fn token_bucket_rate_burst_and_fractions() {
    let mut l = limiter(Limits::default(), limits(None, Some(2.0)));
    l.add_campaign("a", "t", 1, Limits::default()).unwrap();
    for _ in 0..2 {
        l.try_acquire(1_000, "a").expect("burst of 2");
    }
    let w = l.try_acquire(1_000, "a").unwrap_err();
    assert_eq!((w.level, w.until), (Level::Trunk, Some(1_500)));
    assert!(l.try_acquire(1_499, "a").is_err());
    l.try_acquire(1_500, "a").expect("refilled");

    let mut slow = limiter(Limits::default(), Limits::default());
    slow.add_campaign("a", "t", 1, limits(None, Some(0.3)))
        .unwrap();
    slow.try_acquire(0, "a").expect("burst of 1");
    let w = slow.try_acquire(10, "a").unwrap_err();
    assert_eq!((w.level, w.until), (Level::Campaign, Some(3_334)));
    assert!(slow.try_acquire(3_333, "a").is_err());
    slow.try_acquire(3_334, "a")
        .expect("one token after 1/0.3 s");
}

#[test]
fn all_or_nothing_keeps_tokens_of_other_levels() {
    // The campaign's single token must survive the engine saying no.
    let mut l = limiter(limits(None, Some(1.0)), Limits::default());
    l.add_campaign("a", "t", 1, limits(None, Some(1.0)))
        .unwrap();
    l.add_campaign("b", "t", 1, limits(None, Some(0.001)))
        .unwrap();
    l.try_acquire(0, "a").unwrap();
    let w = l.try_acquire(0, "b").unwrap_err();
    assert_eq!((w.level, w.until), (Level::Engine, Some(1_000)));
    l.try_acquire(1_000, "b").expect("b's token was kept");
    // And concurrency refusals take no token either.
    let mut c = limiter(Limits::default(), limits(Some(1), None));
    c.add_campaign("a", "t", 1, Limits::default()).unwrap();
    c.add_campaign("b", "t", 1, limits(None, Some(0.001)))
        .unwrap();
    let p = c.try_acquire(0, "a").unwrap();
    assert_eq!(c.try_acquire(0, "b").unwrap_err().until, None);
    c.release(p);
    c.try_acquire(0, "b").expect("b's token was kept");
}

#[test]
fn fair_share_by_weight_counts_only_active_campaigns() {
    let mut l = limiter(Limits::default(), limits(Some(10), None));
    l.add_campaign("a", "t", 2, Limits::default()).unwrap();
    l.add_campaign("b", "t", 1, Limits::default()).unwrap();
    l.add_campaign("c", "t", 1, limits(Some(1), None)).unwrap();
    assert_eq!(l.share("a"), Some(0));
    assert!(l.set_active("a", true));
    assert!(!l.set_active("a", true));
    assert_eq!(l.share("a"), Some(10));
    l.set_active("b", true);
    // 10 × 2/3 = 6.67 and 10 × 1/3 = 3.33: the spare slot goes to the larger remainder.
    assert_eq!((l.share("a"), l.share("b")), (Some(7), Some(3)));
    // c can use 1 of its 2: the other 9 are split 2:1.
    l.set_active("c", true);
    assert_eq!(
        (l.share("a"), l.share("b"), l.share("c")),
        (Some(6), Some(3), Some(1))
    );
    let held: Vec<Permit> = (0..3).map(|_| l.try_acquire(0, "b").unwrap()).collect();
    let w = l.try_acquire(0, "b").unwrap_err();
    assert_eq!(w.level, Level::Trunk);
    assert!(w.reason.contains("share"), "{}", w.reason);
    // Pausing a and c gives b the whole trunk.
    l.set_active("a", false);
    l.set_active("c", false);
    assert_eq!(l.share("b"), Some(10));
    l.try_acquire(0, "b").expect("more share");
    for p in held {
        l.release(p);
    }
    // At least 1 each, even when the trunk is smaller than the crowd.
    let mut tiny = limiter(Limits::default(), limits(Some(1), None));
    for id in ["x", "y", "z"] {
        tiny.add_campaign(id, "t", 1, Limits::default()).unwrap();
        tiny.set_active(id, true);
    }
    assert_eq!(tiny.share("z"), Some(1));
    // An unlimited trunk has no shares.
    let mut open = limiter(Limits::default(), Limits::default());
    open.add_campaign("a", "t", 1, Limits::default()).unwrap();
    assert_eq!(open.share("a"), None);
}

#[test]
fn configuration_errors() {
    assert!(matches!(
        AdmissionLimiter::new(limits(None, Some(0.0))),
        Err(AdmissionError::InvalidRate { .. })
    ));
    let mut l = limiter(Limits::default(), Limits::default());
    assert!(l.set_trunk("u", limits(None, Some(f64::NAN))).is_err());
    assert_eq!(
        l.add_campaign("a", "nope", 1, Limits::default()),
        Err(AdmissionError::UnknownTrunk("nope".into()))
    );
    l.add_campaign("a", "t", 0, Limits::default()).unwrap();
    assert!(matches!(
        l.add_campaign("a", "t", 1, Limits::default()),
        Err(AdmissionError::DuplicateCampaign(_))
    ));
    let w = l.try_acquire(0, "ghost").unwrap_err();
    assert!(w.reason.contains("unknown campaign"));
    let p = l.try_acquire(0, "a").unwrap();
    assert_eq!(
        l.remove_campaign("a"),
        Err(AdmissionError::CallsUp("a".into()))
    );
    l.release(p);
    l.remove_campaign("a").unwrap();
    assert_eq!(
        l.remove_campaign("a"),
        Err(AdmissionError::UnknownCampaign("a".into()))
    );
}

#[test]
fn changing_trunk_limits_keeps_calls_counted() {
    let mut l = limiter(Limits::default(), limits(Some(5), Some(100.0)));
    l.add_campaign("a", "t", 1, Limits::default()).unwrap();
    let held: Vec<_> = (0..4).map(|_| l.try_acquire(0, "a").unwrap()).collect();
    l.set_trunk("t", limits(Some(3), Some(1.0))).unwrap();
    assert_eq!(l.trunk_active("t"), Some(4));
    assert_eq!(l.try_acquire(0, "a").unwrap_err().until, None);
    for p in held {
        l.release(p);
    }
    // The burst shrank to 1 token.
    l.try_acquire(0, "a").unwrap();
    assert_eq!(l.try_acquire(0, "a").unwrap_err().until, Some(1_000));
}

#[derive(Clone, Debug)]
enum Op {
    Acquire(usize),
    Release(usize),
    Advance(i64),
    Toggle(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize).prop_map(Op::Acquire),
        2 => (0..64usize).prop_map(Op::Release),
        3 => (0..400i64).prop_map(Op::Advance),
        1 => (0..3usize).prop_map(Op::Toggle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Never over a concurrency limit; starts within every window of length W at a level
    /// never exceed burst + rate × W; counters return to 0.
    #[test]
    fn never_over_any_limit(ops in prop::collection::vec(op(), 1..400)) {
        let ids = ["a", "b", "c"];
        let caps = [Some(3), None, Some(2)];
        let rates = [Some(2.0), Some(0.5), None];
        let mut l = limiter(limits(Some(6), Some(4.0)), limits(Some(5), Some(3.0)));
        for k in 0..3 {
            l.add_campaign(ids[k], "t", k as u32 + 1, limits(caps[k], rates[k])).unwrap();
        }
        let mut now = 0i64;
        let mut held: Vec<(usize, Permit)> = Vec::new();
        let mut starts: Vec<(i64, usize)> = Vec::new();
        let mut active = [false; 3];
        for op in ops {
            match op {
                Op::Acquire(k) => if let Ok(p) = l.try_acquire(now, ids[k]) {
                    held.push((k, p));
                    starts.push((now, k));
                    active[k] = true;
                },
                Op::Release(i) => if !held.is_empty() {
                    let (_, p) = held.remove(i % held.len());
                    prop_assert!(l.release(p));
                },
                Op::Advance(ms) => now += ms,
                Op::Toggle(k) => { active[k] = !active[k]; l.set_active(ids[k], active[k]); }
            }
            let per = |k: usize| held.iter().filter(|(j, _)| *j == k).count() as u32;
            prop_assert!(held.len() <= 5);
            for k in 0..3 {
                prop_assert!(caps[k].is_none_or(|c| per(k) <= c));
                prop_assert_eq!(l.campaign_active(ids[k]), Some(per(k)));
            }
            prop_assert_eq!(l.engine_active() as usize, held.len());
        }
        let check = |times: &[i64], cps: f64| {
            for (i, &t0) in times.iter().enumerate() {
                for (j, &t1) in times.iter().enumerate().skip(i) {
                    let allowed = cps.max(1.0) + cps * (t1 - t0) as f64 / 1000.0;
                    if (j - i + 1) as f64 > allowed + 1e-6 {
                        return Err(format!("{} starts in {} ms at {cps}/s", j - i + 1, t1 - t0));
                    }
                }
            }
            Ok(())
        };
        let all: Vec<i64> = starts.iter().map(|s| s.0).collect();
        prop_assert_eq!(check(&all, 3.0), Ok(()));
        for (k, rate) in rates.iter().enumerate() {
            let mine: Vec<i64> = starts.iter().filter(|s| s.1 == k).map(|s| s.0).collect();
            if let Some(cps) = rate {
                prop_assert_eq!(check(&mine, *cps), Ok(()));
            }
        }
        for (_, p) in held {
            l.release(p);
        }
        prop_assert_eq!((l.engine_active(), l.trunk_active("t"), l.outstanding()), (0, Some(0), 0));
        prop_assert_eq!(l.double_releases(), 0);
    }
}
