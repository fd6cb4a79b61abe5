//! Handles and the events an endpoint reports to its driver.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::transport::Transport;

/// Identifies one call (either direction) for the lifetime of the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

impl fmt::Display for CallHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}", self.0)
    }
}

/// Identifies one registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegistrationHandle(pub u64);

/// Something the driver (call controller) needs to know.
///
/// Every call ends with exactly one of `Failed`, `Cancelled`, `RemoteHangup`,
/// `HangupComplete` or `AckTimeout`, except after [`reject`](crate::Endpoint::reject),
/// which ends the call at once.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A new INVITE arrived (100 Trying already sent).
    IncomingCall {
        /// The new call.
        call: CallHandle,
        /// Where it came from.
        source: SocketAddr,
        /// Transport it came on.
        transport: Transport,
        /// Its Call-ID.
        call_id: String,
        /// The From URI.
        from_uri: String,
        /// User part of the From URI.
        from_user: Option<String>,
        /// User part of the Request-URI (the number dialled).
        to_user: Option<String>,
        /// SDP offer, if the INVITE had one.
        offer: Option<Vec<u8>>,
    },
    /// UAC: a provisional response other than 100.
    Progress {
        /// The call.
        call: CallHandle,
        /// Status code (180, 183, ...).
        code: u16,
        /// Early-media SDP, if any.
        sdp: Option<Vec<u8>>,
    },
    /// UAC: the call was answered (ACK sent, and re-sent on each retransmitted 2xx).
    Answered {
        /// The call.
        call: CallHandle,
        /// SDP answer.
        sdp: Option<Vec<u8>>,
    },
    /// UAS: the ACK for our 2xx arrived.
    Confirmed {
        /// The call.
        call: CallHandle,
    },
    /// UAS: no ACK for our 2xx within 64*T1; the endpoint sent BYE itself. The call is over.
    AckTimeout {
        /// The call.
        call: CallHandle,
    },
    /// UAC: the call failed (3xx-6xx, 408 on Timer B, 503 on transport failure, 487 cancelled).
    Failed {
        /// The call.
        call: CallHandle,
        /// Final status code.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// Raw Reason header (e.g. `Q.850;cause=17`).
        reason_header: Option<String>,
    },
    /// UAS: the caller cancelled (200 to CANCEL and 487 to INVITE were sent).
    Cancelled {
        /// The call.
        call: CallHandle,
    },
    /// The peer hung up (BYE answered with 200).
    RemoteHangup {
        /// The call.
        call: CallHandle,
    },
    /// Our hangup finished (BYE answered or timed out).
    HangupComplete {
        /// The call.
        call: CallHandle,
    },
    /// DTMF by SIP INFO (application/dtmf-relay or application/dtmf), answered 200.
    Dtmf {
        /// The call.
        call: CallHandle,
        /// `0-9`, `*`, `#`, `A-D`.
        digit: char,
        /// Duration if given.
        duration_ms: Option<u32>,
    },
    /// The peer sent a new offer (re-INVITE / UPDATE), or the ACK carried an answer to our
    /// offer; the endpoint already answered, mirroring the direction.
    MediaUpdate {
        /// The call.
        call: CallHandle,
        /// The peer's SDP.
        sdp: Vec<u8>,
    },
    /// The endpoint refused a request by itself (400, 403, 405, 481, 501, ...).
    RequestRejected {
        /// Where it came from.
        source: SocketAddr,
        /// Status code sent.
        code: u16,
        /// Why.
        reason: String,
    },
    /// The registrar accepted a REGISTER (`expires` 0 after unregister).
    Registered {
        /// The registration.
        registration: RegistrationHandle,
        /// Granted lifetime in seconds.
        expires: u32,
    },
    /// A REGISTER failed; the endpoint retries after `retry_in` (zero: it gave up).
    RegistrationFailed {
        /// The registration.
        registration: RegistrationHandle,
        /// Final status code (408 on timeout).
        code: u16,
        /// Back-off before the next attempt.
        retry_in: Duration,
    },
}
