//! Crash safety with a real process kill: a child process (this test binary, re-executed)
//! leases and finishes attempts as fast as it can until it is SIGKILLed; the database it leaves
//! must be consistent.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use voxgate_store::{
    FinishedAttempt, LeaseAttempt, NewNumber, NewOutbox, NumberUpdate, RoundRow, SkippedAttempt,
    Store,
};

/// Set for the child: the database to dial against until killed.
const DB_ENV: &str = "VOXGATE_STORE_CRASH_DB";
/// The child's test name.
const CHILD: &str = "dialling_loop_keeps_the_database_consistent";
const CAMPAIGN: &str = "crash";
const RESULTS: [&str; 3] = ["busy", "no_answer", "answered"];
/// The child's signal that it has committed an attempt (libtest prints it after the test's
/// name).
const READY: &str = "child-dialling";
/// Numbers in the campaign: enough work (3 attempts each) to outlast the 300 ms.
const NUMBERS: usize = 5_000;

fn prepare(path: &Path) {
    let mut store = Store::open(path).unwrap();
    store.upsert_campaign(CAMPAIGN, "Crash", "", 0).unwrap();
    let rows: Vec<_> = (0..NUMBERS)
        .map(|i| NewNumber {
            e164: format!("+86135{i:08}"),
            national: format!("135{i:08}"),
            kind: "mobile".into(),
            region: None,
            variables: vec![("i".into(), i.to_string())],
            import_row: i + 2,
        })
        .collect();
    store
        .import_numbers(CAMPAIGN, "list", &rows, &[], 0)
        .unwrap();
}

/// Dial round the campaign: every 7th attempt is a skip, the others a lease and a finish with
/// 3 rounds and a webhook; a number is done after 3 attempts. `limit` bounds the attempts.
/// With `announce`, print [`READY`] once the first attempt is committed.
fn dial_loop(store: &mut Store, limit: Option<u64>, announce: bool) {
    let mut numbers = store.numbers_for_dialer(CAMPAIGN).unwrap();
    let mut attempt = store.next_attempt_id().unwrap();
    let first = attempt;
    let mut now = 1_000;
    let mut k = 0;
    while !numbers.is_empty() && limit.is_none_or(|l| attempt <= l) {
        k %= numbers.len();
        let n = &mut numbers[k];
        n.attempts += 1;
        let result = RESULTS[(attempt % 3) as usize];
        let update = NumberUpdate {
            number_id: n.id,
            attempts: n.attempts,
            next_at: (n.attempts < 3).then_some(now),
            last_result: result.into(),
        };
        if attempt.is_multiple_of(7) {
            let skip = SkippedAttempt {
                attempt,
                campaign: CAMPAIGN.into(),
                phone: n.national.clone(),
                result: result.into(),
                evidence: None,
                number_update: update,
                now,
            };
            store.skip(&skip).unwrap();
        } else {
            let lease = LeaseAttempt {
                attempt,
                campaign: CAMPAIGN.into(),
                number_id: n.id,
                phone: n.national.clone(),
                caller_id: None,
                trunk: "t".into(),
                now,
            };
            store.lease(&lease).unwrap();
            let rounds = (1..=3)
                .map(|idx| RoundRow {
                    idx,
                    input_kind: "utterance".into(),
                    text: Some(format!("turn {idx}")),
                    ..Default::default()
                })
                .collect();
            let outbox = vec![NewOutbox {
                kind: "call.finished".into(),
                url: "http://127.0.0.1:9/hook".into(),
                body: format!("{{\"attempt\":{attempt}}}"),
                secret_env: None,
                next_at: now,
            }];
            store
                .finish(&FinishedAttempt {
                    attempt,
                    result: result.into(),
                    rounds_count: 3,
                    rounds,
                    outbox,
                    number_update: update,
                    now: now + 1,
                    ..Default::default()
                })
                .unwrap();
        }
        if n.attempts >= 3 {
            numbers.remove(k);
        } else {
            k += 1;
        }
        if announce && attempt == first {
            println!("{READY}");
        }
        attempt += 1;
        now += 2;
    }
}

/// Count the rows that break an invariant, per invariant.
fn violations(path: &Path) -> Vec<(&'static str, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let checks = [
        (
            "a number's attempt count differs from its attempt rows",
            "SELECT COUNT(*) FROM numbers n
             WHERE attempts != (SELECT COUNT(*) FROM attempts a WHERE a.number_id = n.id)",
        ),
        (
            "an unfinished attempt does not hold its number's lease",
            "SELECT COUNT(*) FROM attempts a WHERE finished = 0 AND NOT EXISTS
               (SELECT 1 FROM numbers n WHERE n.id = a.number_id AND n.leased_attempt = a.id)",
        ),
        (
            "a lease points at no unfinished attempt",
            "SELECT COUNT(*) FROM numbers n WHERE leased_attempt IS NOT NULL AND NOT EXISTS
               (SELECT 1 FROM attempts a WHERE a.id = n.leased_attempt AND a.finished = 0)",
        ),
        (
            "a number's last result is not its last finished attempt's",
            "SELECT COUNT(*) FROM numbers n
             WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.number_id = n.id AND a.finished = 1)
               AND last_result IS NOT (SELECT result FROM attempts a
                   WHERE a.number_id = n.id AND a.finished = 1 ORDER BY id DESC LIMIT 1)",
        ),
        (
            "a finished call lacks its rounds or its webhook",
            "SELECT COUNT(*) FROM attempts a
             WHERE finished = 1 AND trunk IS NOT NULL AND result != 'engine_error' AND (
               rounds_count != (SELECT COUNT(*) FROM rounds r WHERE r.attempt = a.id)
               OR (SELECT COUNT(*) FROM outbox o WHERE o.attempt = a.id) != 1)",
        ),
        (
            "more than one attempt in flight",
            "SELECT MAX(COUNT(*) - 1, 0) FROM attempts WHERE finished = 0",
        ),
    ];
    checks
        .iter()
        .map(|(what, sql)| (*what, conn.query_row(sql, [], |r| r.get(0)).unwrap()))
        .filter(|(_, count)| *count != 0)
        .collect()
}

/// Check the invariants, end the leases left behind, and return the finished attempts.
fn check_and_recover(path: &Path) -> u64 {
    let mut store = Store::open(path).unwrap();
    store.check_integrity().unwrap();
    assert_eq!(violations(path), [], "invariants after the crash");
    let before = store.progress(CAMPAIGN).unwrap();
    let max_id: Option<u64> = store
        .records(&Default::default())
        .unwrap()
        .iter()
        .map(|r| r.attempt)
        .max();
    assert!(store.next_attempt_id().unwrap() > max_id.unwrap_or(0));
    for n in store.numbers_for_dialer(CAMPAIGN).unwrap() {
        if let Some(attempt) = n.leased_attempt {
            store.mark_interrupted(attempt, None, 1).unwrap();
        }
    }
    let after = store.progress(CAMPAIGN).unwrap();
    assert_eq!(after.in_flight, 0);
    assert_eq!(
        after.attempts, before.attempts,
        "interrupted attempts counted once"
    );
    assert_eq!(violations(path), []);
    after.attempts
}

/// Run by `sigkill_mid_campaign_leaves_a_consistent_database` with [`DB_ENV`] set: dial until
/// killed. Run on its own: a bounded loop on a fresh database, then the same checks.
#[test]
fn dialling_loop_keeps_the_database_consistent() {
    if let Some(path) = std::env::var_os(DB_ENV) {
        let mut store = Store::open(Path::new(&path)).unwrap();
        dial_loop(&mut store, None, true);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voxgate.db");
    prepare(&path);
    dial_loop(&mut Store::open(&path).unwrap(), Some(60), false);
    assert_eq!(check_and_recover(&path), 60);
}

#[test]
fn sigkill_mid_campaign_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voxgate.db");
    prepare(&path);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([CHILD, "--exact", "--nocapture", "--test-threads=1"])
        .env(DB_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains(READY));
    assert!(ready, "the child never committed an attempt");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the child ran out of work before it was killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let attempts = check_and_recover(&path);
    assert!(attempts > 0, "the child made no attempt in 300 ms");
    println!("the child made {attempts} attempts before SIGKILL");
}
