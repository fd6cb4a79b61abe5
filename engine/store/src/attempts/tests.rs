use serde_json::json;

use super::*;
use crate::RoundRow;
use crate::testing::{finished, lease, store_with_numbers};
use crate::types::NewOutbox;

fn round(idx: u32, text: &str) -> RoundRow {
    RoundRow {
        idx,
        at_ms: 1_000 * u64::from(idx),
        input_kind: "utterance".into(),
        text: Some(text.into()),
        duration_ms: Some(800),
        barged_in: idx == 2,
        node: Some("opening".into()),
        intent: Some("positive".into()),
        keywords: vec!["好的".into()],
        reply: vec!["prompt-2".into()],
        reply_ms: Some(1_000 * u64::from(idx) + 300),
        ..Default::default()
    }
}

fn webhook() -> NewOutbox {
    NewOutbox {
        kind: "call.finished".into(),
        url: "https://crm.example/hook".into(),
        body: "{}".into(),
        secret_env: None,
        next_at: 9_000,
    }
}

#[test]
fn lease_counts_the_attempt_and_holds_the_number() {
    let (mut store, ids) = store_with_numbers("c", 3);
    assert_eq!(store.next_attempt_id().unwrap(), 1);
    lease(&mut store, 41, "c", ids[0], 100);
    let n = store.number(ids[0]).unwrap().unwrap();
    assert_eq!((n.attempts, n.leased_attempt), (1, Some(41)));
    let (record, rounds) = store.record("41").unwrap().unwrap();
    assert!(!record.finished && record.result.is_none() && rounds.is_empty());
    assert_eq!(record.created_at, 100);
    assert_eq!(record.trunk.as_deref(), Some("carrier"));
    assert_eq!(store.next_attempt_id().unwrap(), 42);
    // A smaller id later does not lower the counter.
    lease(&mut store, 7, "c", ids[1], 100);
    assert_eq!(store.next_attempt_id().unwrap(), 42);
}

#[test]
fn lease_refusals_write_nothing() {
    let (mut store, ids) = store_with_numbers("c", 3);
    store.upsert_campaign("other", "", "", 0).unwrap();
    lease(&mut store, 1, "c", ids[0], 100);
    let mut try_lease = |attempt, campaign: &str, number_id| {
        store
            .lease(&LeaseAttempt {
                attempt,
                campaign: campaign.into(),
                number_id,
                phone: "x".into(),
                caller_id: None,
                trunk: "t".into(),
                now: 200,
            })
            .unwrap_err()
            .to_string()
    };
    assert!(try_lease(2, "c", ids[0]).contains("already leased by attempt 1"));
    assert!(try_lease(2, "other", ids[1]).contains("belongs to campaign c"));
    assert!(try_lease(2, "c", 999).contains("number 999 does not exist"));
    assert!(try_lease(1, "c", ids[1]).contains("UNIQUE constraint failed: attempts.id"));
    store
        .finish(&finished(1, ids[0], "answered", 1, None, 300))
        .unwrap();
    let err = store
        .lease(&LeaseAttempt {
            attempt: 3,
            campaign: "c".into(),
            number_id: ids[0],
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("has no work left"), "{err}");
    let p = store.progress("c").unwrap();
    assert_eq!((p.attempts, p.in_flight), (1, 0));
    assert_eq!(store.number(ids[1]).unwrap().unwrap().attempts, 0);
}

#[test]
fn finish_writes_record_rounds_number_and_outbox() {
    let (mut store, ids) = store_with_numbers("c", 2);
    lease(&mut store, 5, "c", ids[1], 1_000);
    let f = FinishedAttempt {
        dial_at: Some(1_001),
        ring_at: Some(1_500),
        answer_at: Some(4_000),
        ring_ms: Some(2_999),
        talk_ms: Some(30_000),
        sip_code: Some(200),
        sip_reason: Some("OK".into()),
        hangup_by: Some("callee".into()),
        rounds_count: 2,
        score: Some(15),
        level: Some("A".into()),
        tags: vec!["interested".into(), "callback".into()],
        variables: [("name".to_owned(), "Li".to_owned())].into(),
        recording: Some("rec/5.wav".into()),
        rtcp: Some(json!({"packets_lost": 3})),
        faults: Some(json!([])),
        record: Some(json!({"call_id": "call-5"})),
        rounds: vec![round(1, "你好"), round(2, "好的")],
        outbox: vec![webhook()],
        ..finished(5, ids[1], "answered", 1, None, 34_000)
    };
    store.finish(&f).unwrap();
    let (record, rounds) = store.record("call-5").unwrap().unwrap();
    assert_eq!(rounds, f.rounds);
    assert!(record.finished);
    assert_eq!(record.finished_at, Some(34_000));
    assert_eq!(record.result.as_deref(), Some("answered"));
    assert_eq!(record.tags, f.tags);
    assert_eq!(record.variables, f.variables);
    assert_eq!(record.rtcp, f.rtcp);
    assert_eq!((record.talk_ms, record.score), (Some(30_000), Some(15)));
    assert_eq!(record.caller_id.as_deref(), Some("01012345678"));
    let n = store.number(ids[1]).unwrap().unwrap();
    assert_eq!((n.attempts, n.next_at, n.leased_attempt), (1, None, None));
    assert_eq!(n.last_result.as_deref(), Some("answered"));
    let outbox = store.outbox_for_attempt(5).unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!((outbox[0].next_at, outbox[0].created_at), (9_000, 34_000));
}

#[test]
fn a_failure_mid_finish_rolls_everything_back() {
    let (mut store, ids) = store_with_numbers("c", 1);
    lease(&mut store, 1, "c", ids[0], 0);
    let mut f = finished(1, ids[0], "answered", 1, None, 10);
    f.outbox = vec![webhook()];
    // Two rounds with the same index: the second insert violates the primary key.
    f.rounds = vec![round(1, "a"), round(2, "b"), round(2, "c")];
    let err = store.finish(&f).unwrap_err();
    assert!(err.to_string().contains("write round 2"), "{err}");
    let (record, rounds) = store.record("1").unwrap().unwrap();
    assert!(!record.finished && record.result.is_none() && rounds.is_empty());
    let n = store.number(ids[0]).unwrap().unwrap();
    assert_eq!(
        (n.leased_attempt, n.next_at, n.last_result),
        (Some(1), Some(0), None)
    );
    assert_eq!(store.outbox_pending_count().unwrap(), 0);
    // Corrected, it goes through.
    f.rounds.pop();
    store.finish(&f).unwrap();
    assert_eq!(store.rounds(1).unwrap().len(), 2);
    assert_eq!(store.outbox_pending_count().unwrap(), 1);
}

#[test]
fn finish_refuses_unknown_repeated_and_mismatched_attempts() {
    let (mut store, ids) = store_with_numbers("c", 2);
    let err = store
        .finish(&finished(9, ids[0], "busy", 1, None, 1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "attempt",
                ..
            }
        ),
        "{err}"
    );
    lease(&mut store, 1, "c", ids[0], 0);
    let err = store
        .finish(&finished(1, ids[1], "busy", 1, None, 1))
        .unwrap_err();
    assert!(
        err.to_string().contains("its update is for number"),
        "{err}"
    );
    assert!(
        !store.record("1").unwrap().unwrap().0.finished,
        "rolled back"
    );
    store
        .finish(&finished(1, ids[0], "busy", 1, Some(500), 1))
        .unwrap();
    let err = store
        .finish(&finished(1, ids[0], "busy", 1, None, 2))
        .unwrap_err();
    assert!(err.to_string().contains("already finished"), "{err}");
    assert_eq!(store.number(ids[0]).unwrap().unwrap().next_at, Some(500));
}

#[test]
fn skip_records_a_finished_attempt_without_a_lease() {
    let (mut store, ids) = store_with_numbers("c", 2);
    let skip = |attempt, number_id| SkippedAttempt {
        attempt,
        campaign: "c".into(),
        phone: "13800000000".into(),
        result: "blacklisted".into(),
        evidence: Some("blacklist group complaints".into()),
        number_update: NumberUpdate {
            number_id,
            attempts: 1,
            next_at: None,
            last_result: "blacklisted".into(),
        },
        now: 50,
    };
    store.skip(&skip(3, ids[0])).unwrap();
    let (record, _) = store.record("3").unwrap().unwrap();
    assert!(record.finished && record.trunk.is_none() && record.call_id.is_none());
    assert_eq!(
        record.evidence.as_deref(),
        Some("blacklist group complaints")
    );
    let n = store.number(ids[0]).unwrap().unwrap();
    assert_eq!((n.attempts, n.next_at), (1, None));
    assert_eq!(store.next_attempt_id().unwrap(), 4);
    lease(&mut store, 4, "c", ids[1], 60);
    let err = store.skip(&skip(5, ids[1])).unwrap_err();
    assert!(err.to_string().contains("already leased"), "{err}");
    assert!(store.record("5").unwrap().is_none());
}

#[test]
fn interrupted_attempts_end_as_engine_error_counted_once() {
    let (mut store, ids) = store_with_numbers("c", 2);
    lease(&mut store, 1, "c", ids[0], 0);
    lease(&mut store, 2, "c", ids[1], 0);
    // Without a redial decision the number stays due as it was.
    store.mark_interrupted(1, None, 100).unwrap();
    let (record, _) = store.record("1").unwrap().unwrap();
    assert_eq!(record.result.as_deref(), Some("engine_error"));
    assert_eq!(record.evidence.as_deref(), Some(INTERRUPTED_EVIDENCE));
    let n = store.number(ids[0]).unwrap().unwrap();
    assert_eq!(
        (n.attempts, n.leased_attempt, n.next_at),
        (1, None, Some(0))
    );
    assert_eq!(n.last_result.as_deref(), Some("engine_error"));
    // With one, the number takes it.
    let update = NumberUpdate {
        number_id: ids[1],
        attempts: 1,
        next_at: Some(600_100),
        last_result: "engine_error".into(),
    };
    store.mark_interrupted(2, Some(&update), 100).unwrap();
    let n = store.number(ids[1]).unwrap().unwrap();
    assert_eq!(
        (n.attempts, n.leased_attempt, n.next_at),
        (1, None, Some(600_100))
    );
    let err = store.mark_interrupted(2, None, 200).unwrap_err();
    assert!(err.to_string().contains("already finished"), "{err}");
    let p = store.progress("c").unwrap();
    assert_eq!((p.attempts, p.in_flight, p.pending), (2, 0, 2));
}

#[test]
fn post_call_output_lands_on_the_record() {
    let (mut store, ids) = store_with_numbers("c", 1);
    lease(&mut store, 1, "c", ids[0], 0);
    store
        .finish(&finished(1, ids[0], "answered", 1, None, 9))
        .unwrap();
    let analysis = json!({"level": "B", "summary": "wants a call back"});
    store.set_post_call(1, Some(&analysis), None).unwrap();
    store
        .set_post_call(1, None, Some(&json!({"pushed": true})))
        .unwrap();
    let (record, _) = store.record("1").unwrap().unwrap();
    assert_eq!(record.analysis, Some(analysis));
    assert_eq!(record.crm, Some(json!({"pushed": true})));
    let err = store.set_post_call(2, None, None).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "attempt",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn lease_many_applies_each_lease_on_its_own() {
    let (mut store, ids) = store_with_numbers("c", 3);
    lease(&mut store, 1, "c", ids[0], 0);
    let request = |attempt, number_id| LeaseAttempt {
        attempt,
        campaign: "c".into(),
        number_id,
        phone: "p".into(),
        caller_id: None,
        trunk: "t".into(),
        now: 10,
    };
    let results = store
        .lease_many(&[request(2, ids[1]), request(3, ids[0]), request(4, ids[2])])
        .unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    let refused = results[1].as_ref().unwrap_err().to_string();
    assert!(refused.contains("already leased by attempt 1"), "{refused}");
    assert!(
        store.record("3").unwrap().is_none(),
        "the refused lease wrote nothing"
    );
    assert_eq!(
        store.number(ids[2]).unwrap().unwrap().leased_attempt,
        Some(4)
    );
    assert_eq!(store.progress("c").unwrap().in_flight, 3);
    assert_eq!(store.next_attempt_id().unwrap(), 5);
}

#[test]
fn finish_many_rolls_back_only_the_failing_attempt() {
    let (mut store, ids) = store_with_numbers("c", 3);
    for (k, id) in ids.iter().enumerate() {
        lease(&mut store, k as u64 + 1, "c", *id, 0);
    }
    let mut bad = finished(2, ids[1], "answered", 1, None, 50);
    bad.rounds = vec![round(1, "a"), round(1, "again")];
    bad.outbox = vec![webhook()];
    let mut good = finished(3, ids[2], "answered", 1, None, 50);
    good.rounds = vec![round(1, "a")];
    good.outbox = vec![webhook()];
    let results = store
        .finish_many(&[finished(1, ids[0], "busy", 1, Some(99), 50), bad, good])
        .unwrap();
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    let (second, rounds) = store.record("2").unwrap().unwrap();
    assert!(!second.finished && rounds.is_empty());
    assert_eq!(
        store.number(ids[1]).unwrap().unwrap().leased_attempt,
        Some(2)
    );
    assert!(store.outbox_for_attempt(2).unwrap().is_empty());
    assert_eq!(store.rounds(3).unwrap().len(), 1);
    assert_eq!(store.outbox_for_attempt(3).unwrap().len(), 1);
    assert_eq!(store.number(ids[0]).unwrap().unwrap().next_at, Some(99));
    assert_eq!(store.progress("c").unwrap().in_flight, 1);
}
