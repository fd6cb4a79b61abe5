//! The campaign service: one task that owns the dialer (sans-IO policy), the store's writer
//! connection and the engine's campaign link. It turns the dialer's decisions into leases and
//! dial requests, and the engine's call ends into results, redials, records and webhooks.
//!
//! Crash safety: a number is leased in the database (committed) before its INVITE is sent; the
//! record, the number's next attempt and the webhook outbox entry are written in one transaction
//! when the call ends. At start-up, leases left by a crash become `engine_error` attempts and the
//! campaign's redial rules decide when the number is tried again.

mod attempts;
mod classify;
mod handle;
mod service;

pub use handle::{
    CampaignHandle, CampaignInfo, CampaignSource, ImportOptions, ImportReport, RejectedRow,
    ServiceError, Transition,
};
pub use service::{CampaignService, now_ms};
