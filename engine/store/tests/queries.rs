//! Record queries and statistics on a crafted dataset, with exact expectations.

use std::collections::BTreeMap;

use voxgate_store::{
    BucketStats, FinishedAttempt, LeaseAttempt, NewNumber, NumberUpdate, Progress, RecordQuery,
    SkippedAttempt, Store,
};

/// 2023-11-15T00:00:00Z.
const DAY: i64 = 1_700_006_400_000;
const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// One attempt of the dataset: attempt id, campaign, number index, created at, result, talk
/// time, level, tags.
type Row = (
    u64,
    &'static str,
    usize,
    i64,
    &'static str,
    Option<u64>,
    Option<&'static str>,
    &'static [&'static str],
);

/// Attempts 1-7 and an in-flight 8 in campaign `c`, attempt 9 in `d`. Numbers 0-9 of `c`:
/// even = Beijing, odd = Shanghai, 6 has no region.
#[rustfmt::skip]
const ROWS: [Row; 8] = [
    (1, "c", 0, DAY + HOUR, "answered", Some(3_000), Some("A"), &["interested"]),
    (2, "c", 1, DAY + HOUR + 30 * MINUTE, "answered", Some(60_000), Some("B"), &["interested", "callback"]),
    (3, "c", 2, DAY + 2 * HOUR, "busy", None, None, &[]),
    (4, "c", 3, DAY + 2 * HOUR + 10 * MINUTE, "no_answer", None, None, &[]),
    (5, "c", 4, DAY + 10 * HOUR, "answered", Some(4_999), Some("C"), &["callback"]),
    (6, "c", 5, DAY + 16 * HOUR + 30 * MINUTE, "blacklisted", None, None, &[]),
    (7, "c", 6, DAY + 23 * HOUR, "answered", Some(5_000), Some("A"), &[]),
    (9, "d", 0, DAY + 30 * HOUR, "answered", Some(10_000), Some("A"), &["interested"]),
];

fn number(i: usize) -> NewNumber {
    let region = match i {
        6 => None,
        i if i.is_multiple_of(2) => Some("Beijing".to_owned()),
        _ => Some("Shanghai".to_owned()),
    };
    NewNumber {
        e164: format!("+86137{i:08}"),
        national: format!("137{i:08}"),
        kind: "mobile".into(),
        region,
        variables: vec![],
        import_row: i + 2,
    }
}

fn dataset() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let mut ids: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (campaign, count) in [("c", 10), ("d", 1)] {
        store.upsert_campaign(campaign, campaign, "", DAY).unwrap();
        let rows: Vec<_> = (0..count).map(number).collect();
        store
            .import_numbers(campaign, "list", &rows, &[], DAY)
            .unwrap();
        let list = store.numbers_for_dialer(campaign).unwrap();
        ids.insert(campaign, list.iter().map(|n| n.id).collect());
    }
    for &(attempt, campaign, number_index, created_at, result, talk_ms, level, tags) in &ROWS {
        let number_id = ids[campaign][number_index];
        let done = result == "answered" || result == "blacklisted";
        let number_update = NumberUpdate {
            number_id,
            attempts: 1,
            next_at: if done { None } else { Some(created_at + HOUR) },
            last_result: result.into(),
        };
        if result == "blacklisted" {
            store
                .skip(&SkippedAttempt {
                    attempt,
                    campaign: campaign.into(),
                    phone: number(number_index).national,
                    result: result.into(),
                    evidence: Some("blacklist group complaints".into()),
                    number_update,
                    now: created_at,
                })
                .unwrap();
            continue;
        }
        store
            .lease(&LeaseAttempt {
                attempt,
                campaign: campaign.into(),
                number_id,
                phone: number(number_index).national,
                caller_id: None,
                trunk: "carrier".into(),
                now: created_at,
            })
            .unwrap();
        store
            .finish(&FinishedAttempt {
                attempt,
                call_id: Some(format!("call-{}", attempt)),
                result: result.into(),
                talk_ms,
                level: level.map(Into::into),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                number_update,
                now: created_at + MINUTE,
                ..Default::default()
            })
            .unwrap();
    }
    // Attempt 8 is in flight.
    store
        .lease(&LeaseAttempt {
            attempt: 8,
            campaign: "c".into(),
            number_id: ids["c"][7],
            phone: number(7).national,
            caller_id: None,
            trunk: "carrier".into(),
            now: DAY + 23 * HOUR + 30 * MINUTE,
        })
        .unwrap();
    store
}

fn ids(store: &Store, q: RecordQuery) -> Vec<u64> {
    let rows = store.records(&q).unwrap();
    let count = store.records_count(&q).unwrap();
    if q.limit.is_none() && q.offset == 0 {
        assert_eq!(count, rows.len() as u64, "count agrees with the rows");
    }
    rows.iter().map(|r| r.attempt).collect()
}

fn c() -> RecordQuery {
    RecordQuery {
        campaign: Some("c".into()),
        ..Default::default()
    }
}

#[test]
fn every_record_filter() {
    let store = dataset();
    let text = |s: &str| Some(s.to_owned());
    assert_eq!(
        ids(&store, RecordQuery::default()),
        [1, 2, 3, 4, 5, 6, 7, 9]
    );
    let all = RecordQuery {
        include_in_flight: true,
        ..Default::default()
    };
    assert_eq!(ids(&store, all), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(ids(&store, c()), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                campaign: text("d"),
                ..Default::default()
            }
        ),
        [9]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                result: text("busy"),
                ..Default::default()
            }
        ),
        [3]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                level: text("A"),
                ..Default::default()
            }
        ),
        [1, 7, 9]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                level: text("A"),
                ..c()
            }
        ),
        [1, 7]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                tag: text("interested"),
                ..Default::default()
            }
        ),
        [1, 2, 9]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                tag: text("callback"),
                ..c()
            }
        ),
        [2, 5]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                tag: text("interest"),
                ..c()
            }
        ),
        Vec::<u64>::new()
    );
    let window = RecordQuery {
        from: Some(DAY + 2 * HOUR),
        to: Some(DAY + 16 * HOUR + 30 * MINUTE),
        ..Default::default()
    };
    assert_eq!(
        ids(&store, window),
        [3, 4, 5],
        "from inclusive, to exclusive"
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                min_talk_ms: Some(5_000),
                ..Default::default()
            }
        ),
        [2, 7, 9]
    );
    assert_eq!(
        ids(
            &store,
            RecordQuery {
                max_talk_ms: Some(4_999),
                ..c()
            }
        ),
        [1, 3, 4, 5, 6]
    );
    let band = RecordQuery {
        min_talk_ms: Some(4_000),
        max_talk_ms: Some(6_000),
        ..Default::default()
    };
    assert_eq!(ids(&store, band), [5, 7]);
    let combined = RecordQuery {
        result: text("answered"),
        tag: text("interested"),
        min_talk_ms: Some(10_000),
        ..Default::default()
    };
    assert_eq!(ids(&store, combined), [2, 9]);
}

#[test]
fn paging_order_and_single_records() {
    let store = dataset();
    let page = RecordQuery {
        limit: Some(2),
        offset: 1,
        ..c()
    };
    assert_eq!(ids(&store, page.clone()), [2, 3]);
    assert_eq!(
        store.records_count(&page).unwrap(),
        7,
        "the count ignores paging"
    );
    let newest = RecordQuery {
        limit: Some(2),
        newest_first: true,
        ..Default::default()
    };
    assert_eq!(ids(&store, newest), [9, 7]);
    let past_the_end = RecordQuery {
        offset: 50,
        ..Default::default()
    };
    assert!(store.records(&past_the_end).unwrap().is_empty());

    let (by_id, _) = store.record("5").unwrap().unwrap();
    let (by_call_id, _) = store.record("call-5").unwrap().unwrap();
    assert_eq!(by_id, by_call_id);
    assert_eq!(
        (by_id.talk_ms, by_id.level.as_deref()),
        (Some(4_999), Some("C"))
    );
    assert!(store.record("call-404").unwrap().is_none());
    assert!(store.record("404").unwrap().is_none());
    let json = serde_json::to_value(&by_id).unwrap();
    assert_eq!(json["result"], "answered");
    assert_eq!(json["tags"], serde_json::json!(["callback"]));
}

#[test]
fn stats_of_the_crafted_campaign() {
    let store = dataset();
    let s = store.stats("c", 8 * 60).unwrap();
    assert_eq!((s.attempts, s.calls, s.in_flight), (7, 6, 1));
    assert_eq!(
        (s.numbers_total, s.numbers_done, s.numbers_pending),
        (10, 5, 4)
    );
    assert_eq!(s.answered, 4);
    assert_eq!(s.connect_rate, 4.0 / 6.0);
    assert_eq!(
        s.short_hangups_5s, 2,
        "3000 and 4999 ms; 5000 ms is not short"
    );
    assert_eq!(s.short_hangup_rate, 0.5);
    assert_eq!(s.total_talk_ms, 72_999);
    assert_eq!(s.avg_talk_ms, 72_999.0 / 4.0);
    let counts = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    assert_eq!(
        s.by_result,
        counts(&[
            ("answered", 4),
            ("blacklisted", 1),
            ("busy", 1),
            ("no_answer", 1)
        ])
    );
    assert_eq!(s.by_level, counts(&[("A", 2), ("B", 1), ("C", 1)]));
    let bucket = |calls, answered| BucketStats {
        calls,
        answered,
        connect_rate: if calls == 0 {
            0.0
        } else {
            answered as f64 / calls as f64
        },
    };
    let mut hours = vec![BucketStats::default(); 24];
    hours[9] = bucket(2, 2); // 01:00 and 01:30 UTC
    hours[10] = bucket(2, 0); // 02:00 and 02:10 UTC
    hours[18] = bucket(1, 1); // 10:00 UTC
    hours[7] = bucket(1, 1); // 23:00 UTC, the next local day
    assert_eq!(s.by_hour, hours, "blacklisted skips are not calls");
    let regions: BTreeMap<String, BucketStats> = [
        ("Beijing".to_owned(), bucket(3, 2)),
        ("Shanghai".to_owned(), bucket(2, 1)),
        ("unknown".to_owned(), bucket(1, 1)),
    ]
    .into();
    assert_eq!(s.by_region, regions);

    // West of UTC: 01:00 UTC is 20:00 the day before.
    let west = store.stats("c", -5 * 60).unwrap();
    assert_eq!(west.by_hour[20], bucket(2, 2));
    assert_eq!(west.by_hour[18], bucket(1, 1), "23:00 UTC");
    assert_eq!(west.by_hour.iter().map(|b| b.calls).sum::<u64>(), 6);

    assert_eq!(
        store.progress("c").unwrap(),
        Progress {
            total: 10,
            done: 5,
            pending: 4,
            in_flight: 1,
            attempts: 8
        }
    );
}

#[test]
fn stats_of_an_empty_or_unknown_campaign_are_zero() {
    let store = dataset();
    let s = store.stats("nothing", 0).unwrap();
    assert_eq!((s.attempts, s.answered, s.numbers_total), (0, 0, 0));
    assert_eq!(
        (s.connect_rate, s.avg_talk_ms, s.short_hangup_rate),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(s.by_hour.len(), 24);
    assert!(s.by_result.is_empty() && s.by_region.is_empty());
}
