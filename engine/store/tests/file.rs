//! The store on a real file: WAL files, re-opening, schema versions, a lease that survives the
//! process that took it.

use std::path::Path;

use voxgate_store::{
    FinishedAttempt, LeaseAttempt, NewNumber, NumberUpdate, SCHEMA_VERSION, Store, StoreError,
};

fn number(i: usize) -> NewNumber {
    NewNumber {
        e164: format!("+86139{i:08}"),
        national: format!("139{i:08}"),
        kind: "mobile".into(),
        import_row: i + 2,
        ..Default::default()
    }
}

fn prepared(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    store.upsert_campaign("c", "C", "id = \"c\"", 1).unwrap();
    let rows: Vec<_> = (0..3).map(number).collect();
    store
        .import_numbers("c", "list.csv", &rows, &[], 1)
        .unwrap();
    store
}

#[test]
fn a_new_file_gets_its_folder_wal_files_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/voxgate.db");
    let store = prepared(&path);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(path.exists());
    assert!(
        dir.path().join("nested/data/voxgate.db-wal").exists(),
        "WAL mode"
    );
    assert!(
        dir.path().join("nested/data/voxgate.db-shm").exists(),
        "WAL mode"
    );
    store.check_integrity().unwrap();
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.progress("c").unwrap().total, 3);
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "WAL is persistent in the file");
}

#[test]
fn a_database_from_a_newer_voxgate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voxgate.db");
    drop(prepared(&path));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err:?}");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn a_folder_that_cannot_be_created_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let err = Store::open(&blocker.join("voxgate.db")).unwrap_err();
    assert!(matches!(err, StoreError::CreateFolder { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot create the database folder"),
        "{err}"
    );
}

#[test]
fn a_lease_outlives_the_store_that_took_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voxgate.db");
    let mut store = prepared(&path);
    let due = store.numbers_for_dialer("c").unwrap();
    let attempt = store.next_attempt_id().unwrap();
    store
        .lease(&LeaseAttempt {
            attempt,
            campaign: "c".into(),
            number_id: due[0].id,
            phone: due[0].national.clone(),
            caller_id: None,
            trunk: "carrier".into(),
            now: 10,
        })
        .unwrap();
    // The engine dies before the call ends: no finish.
    drop(store);

    let mut store = Store::open(&path).unwrap();
    let numbers = store.numbers_for_dialer("c").unwrap();
    assert_eq!(numbers.len(), 3);
    assert_eq!(numbers[0].leased_attempt, Some(attempt));
    assert_eq!(numbers[0].attempts, 1);
    assert!(
        store.next_attempt_id().unwrap() > attempt,
        "ids are not reused"
    );
    let update = NumberUpdate {
        number_id: numbers[0].id,
        attempts: numbers[0].attempts,
        next_at: Some(1_000),
        last_result: "engine_error".into(),
    };
    store.mark_interrupted(attempt, Some(&update), 500).unwrap();
    let n = store.number(numbers[0].id).unwrap().unwrap();
    assert_eq!(
        (n.attempts, n.leased_attempt, n.next_at),
        (1, None, Some(1_000))
    );
    let progress = store.progress("c").unwrap();
    assert_eq!((progress.attempts, progress.in_flight), (1, 0));

    // A second connection (the API's reader) sees the writer's commits.
    let reader = Store::open(&path).unwrap();
    let next = store.next_attempt_id().unwrap();
    store
        .lease(&LeaseAttempt {
            attempt: next,
            campaign: "c".into(),
            number_id: numbers[1].id,
            phone: numbers[1].national.clone(),
            caller_id: None,
            trunk: "carrier".into(),
            now: 600,
        })
        .unwrap();
    assert_eq!(reader.progress("c").unwrap().in_flight, 1);
    store
        .finish(&FinishedAttempt {
            attempt: next,
            result: "answered".into(),
            talk_ms: Some(12_000),
            number_update: NumberUpdate {
                number_id: numbers[1].id,
                attempts: 1,
                next_at: None,
                last_result: "answered".into(),
            },
            now: 700,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(reader.stats("c", 0).unwrap().answered, 1);
}
