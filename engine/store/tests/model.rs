//! Property test: random sequences of leases, finishes (some failing mid-way), skips and
//! interruptions against a model of the numbers. Every operation the model refuses must be
//! refused with nothing written; after every step the store equals the model.

use proptest::prelude::*;
use voxgate_store::{
    FinishedAttempt, LeaseAttempt, NewNumber, NumberUpdate, RoundRow, SkippedAttempt, Store,
};

const NUMBERS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Lease(usize),
    Finish {
        pick: u64,
        redial: bool,
        bad_rounds: bool,
    },
    Skip {
        number: usize,
        redial: bool,
    },
    Interrupt {
        pick: u64,
        redial: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NUMBERS).prop_map(Op::Lease),
        (0..12u64, any::<bool>(), prop::bool::weighted(0.2)).prop_map(
            |(pick, redial, bad_rounds)| Op::Finish {
                pick,
                redial,
                bad_rounds
            }
        ),
        (0..NUMBERS, any::<bool>()).prop_map(|(number, redial)| Op::Skip { number, redial }),
        (0..12u64, any::<bool>()).prop_map(|(pick, redial)| Op::Interrupt { pick, redial }),
    ]
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Number {
    id: u64,
    attempts: u32,
    next_at: Option<i64>,
    leased: Option<u64>,
    last_result: Option<String>,
}

/// Attempt ids handed out so far, with (number index, finished).
struct Model {
    numbers: Vec<Number>,
    attempts: Vec<(u64, usize, bool)>,
    next_id: u64,
}

impl Model {
    /// The attempt `pick` designates: one of those made, or one past them (unknown).
    fn attempt(&self, pick: u64) -> u64 {
        pick % (self.attempts.len() as u64 + 1) + 1
    }
    fn open(&self, attempt: u64) -> Option<usize> {
        self.attempts
            .iter()
            .find(|(id, _, finished)| *id == attempt && !finished)
            .map(|(_, n, _)| *n)
    }
    fn close(&mut self, attempt: u64) {
        if let Some(a) = self.attempts.iter_mut().find(|(id, _, _)| *id == attempt) {
            a.2 = true;
        }
    }
}

fn update(n: &Number, redial: bool, result: &str, now: i64) -> NumberUpdate {
    NumberUpdate {
        number_id: n.id,
        attempts: n.attempts,
        next_at: redial.then_some(now + 1_000),
        last_result: result.into(),
    }
}

fn apply(store: &mut Store, model: &mut Model, op: &Op, now: i64) {
    match *op {
        Op::Lease(i) => {
            let n = &mut model.numbers[i];
            let lease = LeaseAttempt {
                attempt: model.next_id,
                campaign: "c".into(),
                number_id: n.id,
                phone: "p".into(),
                caller_id: None,
                trunk: "t".into(),
                now,
            };
            let allowed = n.leased.is_none() && n.next_at.is_some();
            assert_eq!(store.lease(&lease).is_ok(), allowed, "{op:?} on {n:?}");
            if allowed {
                n.attempts += 1;
                n.leased = Some(model.next_id);
                model.attempts.push((model.next_id, i, false));
                model.next_id += 1;
            }
        }
        Op::Finish {
            pick,
            redial,
            bad_rounds,
        } => {
            let attempt = model.attempt(pick);
            let open = model.open(attempt);
            let number = open.map(|i| model.numbers[i].clone()).unwrap_or_default();
            let round = |idx| RoundRow {
                idx,
                input_kind: "no_input".into(),
                ..Default::default()
            };
            let rounds = if bad_rounds {
                vec![round(1), round(1)]
            } else {
                vec![round(1)]
            };
            let f = FinishedAttempt {
                attempt,
                result: "busy".into(),
                rounds,
                number_update: update(&number, redial, "busy", now),
                now,
                ..Default::default()
            };
            let allowed = open.is_some() && !bad_rounds;
            assert_eq!(store.finish(&f).is_ok(), allowed, "{op:?}");
            if let (true, Some(i)) = (allowed, open) {
                let n = &mut model.numbers[i];
                n.leased = None;
                n.next_at = f.number_update.next_at;
                n.last_result = Some("busy".into());
                model.close(attempt);
            }
        }
        Op::Skip { number: i, redial } => {
            let n = &mut model.numbers[i];
            let allowed = n.leased.is_none();
            let mut after = n.clone();
            after.attempts += 1;
            let skip = SkippedAttempt {
                attempt: model.next_id,
                campaign: "c".into(),
                phone: "p".into(),
                result: "blacklisted".into(),
                evidence: None,
                number_update: update(&after, redial, "blacklisted", now),
                now,
            };
            assert_eq!(store.skip(&skip).is_ok(), allowed, "{op:?} on {n:?}");
            if allowed {
                after.next_at = skip.number_update.next_at;
                after.last_result = Some("blacklisted".into());
                *n = after;
                model.attempts.push((model.next_id, i, true));
                model.next_id += 1;
            }
        }
        Op::Interrupt { pick, redial } => {
            let attempt = model.attempt(pick);
            let open = model.open(attempt);
            let number = open.map(|i| model.numbers[i].clone()).unwrap_or_default();
            let u = update(&number, true, "engine_error", now);
            let result = store.mark_interrupted(attempt, redial.then_some(&u), now);
            assert_eq!(result.is_ok(), open.is_some(), "{op:?}");
            if let Some(i) = open {
                let n = &mut model.numbers[i];
                n.leased = None;
                n.last_result = Some("engine_error".into());
                if redial {
                    n.next_at = u.next_at;
                }
                model.close(attempt);
            }
        }
    }
}

fn check(store: &Store, model: &Model) {
    for n in &model.numbers {
        let row = store.number(n.id).unwrap().unwrap();
        let stored = Number {
            id: row.id,
            attempts: row.attempts,
            next_at: row.next_at,
            leased: row.leased_attempt,
            last_result: row.last_result,
        };
        assert_eq!(&stored, n);
    }
    let progress = store.progress("c").unwrap();
    assert_eq!(progress.attempts, model.attempts.len() as u64);
    let leased = model.numbers.iter().filter(|n| n.leased.is_some()).count();
    assert_eq!(progress.in_flight, leased as u64);
    let attempts: u32 = model.numbers.iter().map(|n| n.attempts).sum();
    assert_eq!(
        u64::from(attempts),
        progress.attempts,
        "each attempt counted once"
    );
    assert_eq!(store.next_attempt_id().unwrap(), model.next_id);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn store_follows_the_model(ops in prop::collection::vec(op(), 1..40)) {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_campaign("c", "C", "", 0).unwrap();
        let rows: Vec<_> = (0..NUMBERS)
            .map(|i| NewNumber { e164: format!("+1555000{i:04}"), import_row: i, ..Default::default() })
            .collect();
        store.import_numbers("c", "x", &rows, &[], 0).unwrap();
        let numbers = store
            .numbers_for_dialer("c")
            .unwrap()
            .into_iter()
            .map(|n| Number { id: n.id, next_at: n.next_at, ..Default::default() })
            .collect();
        let mut model = Model { numbers, attempts: Vec::new(), next_id: 1 };
        for (step, op) in ops.iter().enumerate() {
            apply(&mut store, &mut model, op, 10 * step as i64);
            check(&store, &model);
        }
    }
}
