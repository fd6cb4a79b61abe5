//! A clock the test moves by hand.

use std::sync::atomic::{AtomicU64, Ordering};

use voxgate_plugin_host::HostClock;

/// A fake wall clock: starts at a fixed time and moves only when the test says so.
#[derive(Debug)]
pub struct FakeClock {
    now_ms: AtomicU64,
}

/// The default start: 2025-01-06 09:00:00 UTC (a Monday morning), in Unix milliseconds.
pub const DEFAULT_START_MS: u64 = 1_736_154_000_000;

impl FakeClock {
    /// A clock at `start_ms` (Unix milliseconds).
    pub fn new(start_ms: u64) -> Self {
        FakeClock {
            now_ms: AtomicU64::new(start_ms),
        }
    }

    /// The current time, Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `ms` (Unix milliseconds).
    pub fn set(&self, ms: u64) {
        self.now_ms.store(ms, Ordering::SeqCst);
    }
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock::new(DEFAULT_START_MS)
    }
}

impl HostClock for FakeClock {
    fn now_unix_ms(&self) -> u64 {
        self.now_ms()
    }
}
