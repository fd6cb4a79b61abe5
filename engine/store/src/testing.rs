//! Builders shared by the unit tests.

use crate::types::{FinishedAttempt, LeaseAttempt, NewNumber, NumberUpdate};
use crate::{Store, UnixMs};

/// A fresh in-memory store with one campaign.
pub(crate) fn store_with_campaign(campaign: &str) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store.upsert_campaign(campaign, campaign, "", 0).unwrap();
    store
}

/// The `i`-th test number: `+861380000000i`, row `i + 2`, one variable.
pub(crate) fn new_number(i: usize) -> NewNumber {
    NewNumber {
        e164: format!("+86138{i:08}"),
        national: format!("138{i:08}"),
        kind: "mobile".into(),
        region: Some(
            if i.is_multiple_of(2) {
                "Beijing"
            } else {
                "Shanghai"
            }
            .into(),
        ),
        variables: vec![("name".into(), format!("customer {i}"))],
        import_row: i + 2,
    }
}

/// A store with one campaign and `n` numbers; returns the number ids in order.
pub(crate) fn store_with_numbers(campaign: &str, n: usize) -> (Store, Vec<u64>) {
    let mut store = store_with_campaign(campaign);
    let rows: Vec<_> = (0..n).map(new_number).collect();
    store
        .import_numbers(campaign, "test", &rows, &[], 0)
        .unwrap();
    let ids = store
        .numbers_for_dialer(campaign)
        .unwrap()
        .iter()
        .map(|n| n.id)
        .collect();
    (store, ids)
}

/// Lease `number_id` for `attempt`.
pub(crate) fn lease(store: &mut Store, attempt: u64, campaign: &str, number_id: u64, now: UnixMs) {
    store
        .lease(&LeaseAttempt {
            attempt,
            campaign: campaign.into(),
            number_id,
            phone: format!("phone-{number_id}"),
            caller_id: Some("01012345678".into()),
            trunk: "carrier".into(),
            now,
        })
        .unwrap();
}

/// A finished attempt with just a result and the number's new state.
pub(crate) fn finished(
    attempt: u64,
    number_id: u64,
    result: &str,
    attempts: u32,
    next_at: Option<UnixMs>,
    now: UnixMs,
) -> FinishedAttempt {
    FinishedAttempt {
        attempt,
        call_id: Some(format!("call-{attempt}")),
        result: result.into(),
        hangup_at: Some(now),
        number_update: NumberUpdate {
            number_id,
            attempts,
            next_at,
            last_result: result.into(),
        },
        now,
        ..Default::default()
    }
}
