//! Sans-IO SIP for voxgate: message parsing on `rsip` behind a normalising front,
//! RFC 3261 transactions and dialogs, SDP offer/answer, digest authentication and a
//! registration client.
//!
//! Nothing here reads a clock, opens a socket or spawns a task. Drive contract for
//! [`Endpoint`]: after any input (`handle_input`, `handle_timeout`, or a command),
//! drain `poll_transmit` and `poll_event` until both return `None`, then sleep until
//! `poll_timeout`.

pub mod digest;
pub mod endpoint;
pub mod message;
pub mod sdp;

mod dialog;
mod dtmf_info;
mod error;
mod ids;
mod inbound;
mod outbound;
mod registration;
mod sdp_mirror;
mod syntax;
mod transaction;
mod transport;

pub use endpoint::{
    CallHandle, Endpoint, EndpointConfig, Event, OutgoingInvite, RegistrationConfig,
    RegistrationHandle,
};
pub use error::SipError;
pub use transport::{Transmit, Transport};

pub use rsip;
