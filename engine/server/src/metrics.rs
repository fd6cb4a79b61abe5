//! Prometheus metrics: counters and gauges the engine and the campaign service update, rendered
//! in the text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use voxgate_plugin_host::FaultCounts;

/// Every metric the engine exports.
#[derive(Default)]
pub struct Metrics {
    /// Campaign calls placed and not yet ended.
    pub active_calls: AtomicU64,
    /// Campaign dial orders sent to the engine.
    pub dials: AtomicU64,
    dial_times: Mutex<Vec<i64>>,
    attempts: Mutex<BTreeMap<String, u64>>,
    limiter_waits: Mutex<BTreeMap<String, u64>>,
    plugin_faults: Mutex<FaultCounts>,
    /// RTP packets received on finished calls.
    pub rtp_received: AtomicU64,
    /// RTP packets lost on finished calls (RFC 3550 cumulative loss).
    pub rtp_lost: AtomicU64,
    /// Webhook deliveries waiting in the outbox.
    pub outbox_pending: AtomicU64,
    /// Webhook deliveries that failed and will be retried.
    pub outbox_failures: AtomicU64,
}

/// The window over which `voxgate_calls_per_second` is measured.
const CPS_WINDOW_MS: i64 = 10_000;

impl Metrics {
    /// A call was dialled at `now` (Unix ms).
    pub fn dialled(&self, now: i64) {
        self.dials.fetch_add(1, Ordering::Relaxed);
        let mut times = self.dial_times.lock().unwrap_or_else(|e| e.into_inner());
        times.retain(|t| now - t < CPS_WINDOW_MS);
        times.push(now);
    }

    /// An attempt ended with `result`.
    pub fn attempt_ended(&self, result: &str) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        *attempts.entry(result.to_owned()).or_default() += 1;
    }

    /// The limiter's wait counts by level, as the dialer reports them (totals).
    pub fn set_limiter_waits(&self, waits: impl IntoIterator<Item = (String, u64)>) {
        let mut map = self.limiter_waits.lock().unwrap_or_else(|e| e.into_inner());
        map.extend(waits);
    }

    /// Plugin fault totals, as a plugin host reports them.
    pub fn set_plugin_faults(&self, faults: FaultCounts) {
        *self.plugin_faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// The text exposition at `now` (Unix ms).
    pub fn render(&self, now: i64) -> String {
        let mut out = String::new();
        gauge(
            &mut out,
            "voxgate_active_calls",
            "Campaign calls in progress.",
            self.active_calls.load(Ordering::Relaxed) as f64,
        );
        counter_header(&mut out, "voxgate_dials_total", "Campaign calls dialled.");
        let _ = writeln!(
            out,
            "voxgate_dials_total {}",
            self.dials.load(Ordering::Relaxed)
        );
        let recent = {
            let times = self.dial_times.lock().unwrap_or_else(|e| e.into_inner());
            times.iter().filter(|t| now - **t < CPS_WINDOW_MS).count()
        };
        gauge(
            &mut out,
            "voxgate_calls_per_second",
            "Campaign calls dialled per second over the last 10 seconds.",
            recent as f64 * 1000.0 / CPS_WINDOW_MS as f64,
        );
        counter_header(
            &mut out,
            "voxgate_attempts_total",
            "Campaign attempts ended, by result.",
        );
        for (result, n) in self
            .attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "voxgate_attempts_total{{result=\"{result}\"}} {n}");
        }
        counter_header(
            &mut out,
            "voxgate_limiter_waits_total",
            "Times a due call waited for the admission limiter, by level.",
        );
        for (level, n) in self
            .limiter_waits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "voxgate_limiter_waits_total{{level=\"{level}\"}} {n}");
        }
        counter_header(
            &mut out,
            "voxgate_plugin_faults_total",
            "Plugin faults, by plugin and kind.",
        );
        let faults = self.plugin_faults.lock().unwrap_or_else(|e| e.into_inner());
        for (plugin, kinds) in &faults.by_plugin {
            for (kind, n) in kinds {
                let _ = writeln!(
                    out,
                    "voxgate_plugin_faults_total{{plugin=\"{}\",kind=\"{kind}\"}} {n}",
                    escape(plugin)
                );
            }
        }
        drop(faults);
        counter_header(
            &mut out,
            "voxgate_rtp_packets_received_total",
            "RTP packets received on finished calls.",
        );
        let _ = writeln!(
            out,
            "voxgate_rtp_packets_received_total {}",
            self.rtp_received.load(Ordering::Relaxed)
        );
        counter_header(
            &mut out,
            "voxgate_rtp_packets_lost_total",
            "RTP packets lost on finished calls.",
        );
        let _ = writeln!(
            out,
            "voxgate_rtp_packets_lost_total {}",
            self.rtp_lost.load(Ordering::Relaxed)
        );
        gauge(
            &mut out,
            "voxgate_outbox_pending",
            "Webhook deliveries waiting in the outbox.",
            self.outbox_pending.load(Ordering::Relaxed) as f64,
        );
        counter_header(
            &mut out,
            "voxgate_outbox_failures_total",
            "Webhook deliveries that failed and were rescheduled.",
        );
        let _ = writeln!(
            out,
            "voxgate_outbox_failures_total {}",
            self.outbox_failures.load(Ordering::Relaxed)
        );
        out
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

fn counter_header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
}

/// Escape a label value (backslash, quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_by_label_and_the_recent_call_rate() {
        let m = Metrics::default();
        m.dialled(1_000);
        m.dialled(2_000);
        m.dialled(20_000);
        m.attempt_ended("busy");
        m.attempt_ended("busy");
        m.attempt_ended("answered");
        m.set_limiter_waits([("trunk".to_owned(), 4)]);
        let text = m.render(21_000);
        assert!(text.contains("voxgate_dials_total 3\n"), "{text}");
        assert!(text.contains("voxgate_calls_per_second 0.1\n"), "{text}");
        assert!(text.contains("voxgate_attempts_total{result=\"busy\"} 2\n"));
        assert!(text.contains("voxgate_attempts_total{result=\"answered\"} 1\n"));
        assert!(text.contains("voxgate_limiter_waits_total{level=\"trunk\"} 4\n"));
        assert!(text.contains("# TYPE voxgate_active_calls gauge\n"));
    }
}
