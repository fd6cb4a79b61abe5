//! The SQLite store's writes, each a committed transaction on a real file: `lease` (before every
//! INVITE), `finish` (a record with 5 rounds and one webhook outbox row) and an import of 10,000
//! numbers; with `synchronous=FULL` (the default: a commit survives a power loss) and `NORMAL`.
//! `lease_many_8` / `finish_many_8` write 8 attempts per transaction (time per attempt).
//!
//! The database lives in a temporary folder under `$VOXGATE_BENCH_DIR` (default: the system's
//! temporary folder): point it at the disk the engine will use, since a commit's cost is mostly
//! the disk's flush.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tempfile::TempDir;
use voxgate_store::{
    FinishedAttempt, LeaseAttempt, NewNumber, NewOutbox, NumberUpdate, RoundRow, Store,
    StoreOptions, Synchronous,
};

const IMPORT_ROWS: usize = 10_000;
/// Attempts per transaction in the `*_many` benches.
const BATCH: usize = 8;

fn numbers(first: usize, count: usize) -> Vec<NewNumber> {
    (first..first + count)
        .map(|i| NewNumber {
            e164: format!("+86138{i:08}"),
            national: format!("138{i:08}"),
            kind: "mobile".into(),
            region: Some("Beijing".into()),
            variables: vec![
                ("name".into(), format!("客户 {i}")),
                ("product".into(), "宽带套餐".into()),
            ],
            import_row: i + 2,
        })
        .collect()
}

/// A store on a file in a fresh temporary folder, with one campaign.
fn store(synchronous: Synchronous) -> (TempDir, Store) {
    let base = std::env::var_os("VOXGATE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).expect("temporary folder");
    let options = StoreOptions {
        synchronous,
        ..StoreOptions::default()
    };
    let mut store = Store::open_with(&dir.path().join("voxgate.db"), &options).expect("open");
    store
        .upsert_campaign("bench", "Bench", "id = \"bench\"", 0)
        .expect("campaign");
    (dir, store)
}

/// Import `count` more numbers and return their ids (the ones not leased yet).
fn fresh_numbers(store: &mut Store, first: usize, count: usize) -> Vec<u64> {
    store
        .import_numbers("bench", "bench.csv", &numbers(first, count), &[], 0)
        .expect("import");
    store
        .numbers_for_dialer("bench")
        .expect("numbers")
        .into_iter()
        .filter(|n| n.leased_attempt.is_none() && n.attempts == 0)
        .map(|n| n.id)
        .collect()
}

fn lease(attempt: u64, number_id: u64) -> LeaseAttempt {
    LeaseAttempt {
        attempt,
        campaign: "bench".into(),
        number_id,
        phone: "13800138000".into(),
        caller_id: Some("01012345678".into()),
        trunk: "carrier".into(),
        now: 1_700_000_000_000,
    }
}

fn finished(attempt: u64, number_id: u64) -> FinishedAttempt {
    let rounds = (1..=5)
        .map(|idx| RoundRow {
            idx,
            at_ms: 4_000 * u64::from(idx),
            input_kind: "utterance".into(),
            text: Some("嗯，你说一下具体是什么优惠".into()),
            duration_ms: Some(1_800),
            node: Some(format!("step{idx}")),
            intent: Some("positive".into()),
            keywords: vec!["优惠".into()],
            reply: vec![format!("prompts/step{idx}.wav")],
            reply_ms: Some(4_000 * u64::from(idx) + 420),
            ..Default::default()
        })
        .collect();
    FinishedAttempt {
        attempt,
        call_id: Some(format!("{attempt}-bench@voxgate")),
        dial_at: Some(1_700_000_000_000),
        ring_at: Some(1_700_000_001_000),
        answer_at: Some(1_700_000_006_000),
        hangup_at: Some(1_700_000_030_000),
        ring_ms: Some(6_000),
        talk_ms: Some(24_000),
        result: "answered".into(),
        sip_code: Some(200),
        hangup_by: Some("callee".into()),
        rounds_count: 5,
        score: Some(30),
        level: Some("A".into()),
        tags: vec!["interested".into()],
        variables: [("name".to_owned(), "客户".to_owned())].into(),
        recording: Some(format!("recordings/{attempt}.wav")),
        rtcp: Some(serde_json::json!({"packets_lost": 2, "jitter_ms": 3.5})),
        record: Some(serde_json::json!({"call_id": attempt, "rounds": 5})),
        rounds,
        number_update: NumberUpdate {
            number_id,
            attempts: 1,
            next_at: None,
            last_result: "answered".into(),
        },
        outbox: vec![NewOutbox {
            kind: "call.finished".into(),
            url: "https://crm.example/voxgate".into(),
            body: format!("{{\"attempt\":{attempt},\"result\":\"answered\"}}"),
            secret_env: Some("VOXGATE_WEBHOOK_SECRET".into()),
            next_at: 1_700_000_030_000,
        }],
        now: 1_700_000_030_000,
        ..Default::default()
    }
}

fn store_writes(c: &mut Criterion) {
    for (name, synchronous) in [("full", Synchronous::Full), ("normal", Synchronous::Normal)] {
        let mut group = c.benchmark_group(format!("store/{name}"));
        group.sample_size(10);

        group.throughput(Throughput::Elements(1));
        group.bench_function("lease", |b| {
            let (_dir, mut store) = store(synchronous);
            let mut imported = 0;
            b.iter_custom(|iters| {
                let count = iters as usize;
                let ids = fresh_numbers(&mut store, imported, count);
                imported += count;
                let first = store.next_attempt_id().expect("id");
                let started = Instant::now();
                for (k, id) in ids.iter().enumerate() {
                    store.lease(&lease(first + k as u64, *id)).expect("lease");
                }
                started.elapsed()
            });
        });

        group.bench_function("finish_5_rounds_outbox", |b| {
            let (_dir, mut store) = store(synchronous);
            let mut imported = 0;
            b.iter_custom(|iters| {
                let count = iters as usize;
                let ids = fresh_numbers(&mut store, imported, count);
                imported += count;
                let first = store.next_attempt_id().expect("id");
                for (k, id) in ids.iter().enumerate() {
                    store.lease(&lease(first + k as u64, *id)).expect("lease");
                }
                let started = Instant::now();
                for (k, id) in ids.iter().enumerate() {
                    store
                        .finish(&finished(first + k as u64, *id))
                        .expect("finish");
                }
                started.elapsed()
            });
        });

        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function("lease_many_8", |b| {
            let (_dir, mut store) = store(synchronous);
            let mut imported = 0;
            b.iter_custom(|iters| {
                let count = iters as usize * BATCH;
                let ids = fresh_numbers(&mut store, imported, count);
                imported += count;
                let first = store.next_attempt_id().expect("id");
                let leases: Vec<_> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| lease(first + k as u64, *id))
                    .collect();
                let started = Instant::now();
                for batch in leases.chunks(BATCH) {
                    let results = store.lease_many(batch).expect("lease_many");
                    assert!(results.iter().all(Result::is_ok));
                }
                started.elapsed()
            });
        });

        group.bench_function("finish_many_8", |b| {
            let (_dir, mut store) = store(synchronous);
            let mut imported = 0;
            b.iter_custom(|iters| {
                let count = iters as usize * BATCH;
                let ids = fresh_numbers(&mut store, imported, count);
                imported += count;
                let first = store.next_attempt_id().expect("id");
                let leases: Vec<_> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| lease(first + k as u64, *id))
                    .collect();
                for batch in leases.chunks(BATCH) {
                    store.lease_many(batch).expect("lease_many");
                }
                let records: Vec<_> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| finished(first + k as u64, *id))
                    .collect();
                let started = Instant::now();
                for batch in records.chunks(BATCH) {
                    let results = store.finish_many(batch).expect("finish_many");
                    assert!(results.iter().all(Result::is_ok));
                }
                started.elapsed()
            });
        });

        group.throughput(Throughput::Elements(IMPORT_ROWS as u64));
        group.bench_function("import_10k", |b| {
            let (_dir, mut store) = store(synchronous);
            let mut campaigns = 0;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    campaigns += 1;
                    let id = format!("import-{campaigns}");
                    store.upsert_campaign(&id, &id, "", 0).expect("campaign");
                    let rows = numbers(0, IMPORT_ROWS);
                    let started = Instant::now();
                    let summary = store
                        .import_numbers(&id, "leads.csv", &rows, &[], 0)
                        .expect("import");
                    total += started.elapsed();
                    assert_eq!(summary.accepted, IMPORT_ROWS);
                }
                total
            });
        });
        group.finish();
    }
}

criterion_group!(benches, store_writes);
criterion_main!(benches);
