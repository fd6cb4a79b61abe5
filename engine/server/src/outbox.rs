//! Webhook delivery from the durable outbox: finished calls (and follow-ups) are written to the
//! outbox in the same transaction as their record, so nothing is lost when the receiver is down
//! or the engine restarts. This task POSTs each entry, signed with HMAC-SHA256, and retries
//! with exponential back-off until the receiver answers 2xx.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;
use voxgate_store::Store;

use crate::campaigns::now_ms;
use crate::metrics::Metrics;

/// Entries taken per round.
const BATCH: usize = 32;
/// First retry delay; doubles per failed attempt up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: i64 = 2_000;
/// Longest delay between two attempts of one entry.
const MAX_BACKOFF_MS: i64 = 3_600_000;
/// Time-out of one delivery.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The outbox is looked at least this often even without a notification.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The signature header value for `body` under `secret`: `sha256=<hex>`.
pub fn signature(secret: &[u8], timestamp_ms: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Delay before the next try after `attempts` failed ones.
pub fn backoff_ms(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(20);
    (FIRST_BACKOFF_MS << exp).min(MAX_BACKOFF_MS)
}

/// Deliver outbox entries until the process ends.
pub async fn deliver(store: Arc<Mutex<Store>>, wake: Arc<Notify>, metrics: Arc<Metrics>) {
    let client = match reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhooks disabled: cannot build an HTTP client: {e}");
            return;
        }
    };
    loop {
        let now = now_ms();
        let due = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || {
                let store = store.lock().unwrap_or_else(|e| e.into_inner());
                let due = store.outbox_due(now, BATCH);
                let pending = store.outbox_pending_count();
                (due, pending)
            })
            .await
        };
        let (due, pending) = match due {
            Ok((Ok(due), Ok(pending))) => (due, pending),
            Ok((Err(e), _)) | Ok((_, Err(e))) => {
                tracing::error!("outbox: {e}");
                (Vec::new(), 0)
            }
            Err(e) => {
                tracing::error!("outbox task: {e}");
                (Vec::new(), 0)
            }
        };
        metrics.outbox_pending.store(pending, Ordering::Relaxed);
        let full = due.len() == BATCH;
        for entry in due {
            let outcome = post(&client, &entry).await;
            let store = store.clone();
            let at = now_ms();
            if let Err(error) = &outcome {
                metrics.outbox_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(id = entry.id, url = %entry.url, attempts = entry.attempts + 1, "webhook delivery failed: {error}");
            }
            let written = tokio::task::spawn_blocking(move || {
                let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
                match outcome {
                    Ok(()) => store.outbox_delivered(entry.id, at),
                    Err(error) => {
                        store.outbox_failed(entry.id, &error, at + backoff_ms(entry.attempts + 1))
                    }
                }
            })
            .await;
            if let Ok(Err(e)) = written {
                tracing::error!("outbox: {e}");
            }
        }
        if !full {
            let _ = tokio::time::timeout(IDLE_POLL, wake.notified()).await;
        }
    }
}

/// POST one entry; `Err` says why it failed.
async fn post(client: &reqwest::Client, entry: &voxgate_store::OutboxRow) -> Result<(), String> {
    let timestamp = now_ms();
    let mut request = client
        .post(&entry.url)
        .header("content-type", "application/json")
        .header("x-voxgate-event", entry.kind.as_str())
        .header("x-voxgate-delivery", entry.id.to_string())
        .header("x-voxgate-timestamp", timestamp.to_string());
    if let Some(env) = &entry.secret_env {
        match std::env::var(env) {
            Ok(secret) => {
                request = request.header(
                    "x-voxgate-signature",
                    signature(secret.as_bytes(), timestamp, entry.body.as_bytes()),
                );
            }
            Err(_) => return Err(format!("the signing secret variable {env} is not set")),
        }
    }
    match request.body(entry.body.clone()).send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("the receiver answered {}", response.status())),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Reference value from `printf '1700000000000.{"a":1}' | openssl dgst -sha256 -hmac key`.
        assert_eq!(
            signature(b"key", 1_700_000_000_000, br#"{"a":1}"#),
            "sha256=2c8bc12f88d77789404ce0a63cf69acf735ba98832f7a7d36147f537be556f3e"
        );
    }

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
