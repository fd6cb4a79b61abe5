//! RFC 3261 §17 transactions (with the RFC 6026 Accepted states), as pure state machines.
//!
//! A transaction never builds messages from scratch or decides what to answer: it keeps the
//! bytes it must retransmit, runs Timers A-M and tells its owner, through [`TxStep`], what
//! to put on the wire and whether a message goes up to the transaction user.

mod client_invite;
mod client_non_invite;
mod server_invite;
mod server_non_invite;
mod timers;

pub(crate) use client_invite::{AckParts, InviteClientTransaction};
pub(crate) use client_non_invite::NonInviteClientTransaction;
pub(crate) use server_invite::InviteServerTransaction;
pub(crate) use server_non_invite::NonInviteServerTransaction;
pub(crate) use timers::TimerSettings;

/// What a transaction asks its owner to do after an input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TxStep {
    /// Bytes to (re)send to the transaction's peer.
    pub transmit: Option<Vec<u8>>,
    /// The input message should be passed to the transaction user.
    pub deliver: bool,
    /// Timer B / F (client) or H (server) fired: the peer never answered / acknowledged.
    pub timed_out: bool,
}

impl TxStep {
    pub(crate) fn absorb() -> Self {
        TxStep::default()
    }

    pub(crate) fn deliver() -> Self {
        TxStep {
            deliver: true,
            ..TxStep::default()
        }
    }

    pub(crate) fn send(bytes: Vec<u8>) -> Self {
        TxStep {
            transmit: Some(bytes),
            ..TxStep::default()
        }
    }

    pub(crate) fn timed_out() -> Self {
        TxStep {
            timed_out: true,
            ..TxStep::default()
        }
    }
}
