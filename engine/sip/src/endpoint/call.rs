//! Per-call state kept by the endpoint: the dialog, where the call stands, and the
//! retransmission of our 2xx until its ACK arrives (RFC 3261 §13.3.1.4).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::transactions::TxId;
use super::{CallHandle, Endpoint, Event, OutgoingInvite, TimerOwner};
use crate::dialog::Dialog;
use crate::transaction::TimerSettings;
use crate::transport::Transport;

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallState {
    /// UAC: INVITE sent, no provisional response yet.
    Calling,
    /// UAC: a provisional response arrived.
    Early,
    /// UAC: CANCEL sent, waiting for the INVITE's final response.
    Cancelling,
    /// UAS: INVITE received, not answered yet.
    Ringing,
    /// UAS: 2xx sent, waiting for the ACK.
    Answered,
    /// Both: the dialog is confirmed.
    Confirmed,
    /// Both: our BYE is in flight.
    Terminating,
}

/// UAC-only data: what is needed to re-send the INVITE (digest) or CANCEL it.
#[derive(Debug)]
pub(super) struct UacData {
    pub invite: OutgoingInvite,
    /// To header value of the INVITE (no tag).
    pub to_header: String,
    /// Authorization / Proxy-Authorization header for the next INVITE.
    pub authorization: Option<(&'static str, String)>,
    pub auth_attempts: u32,
    /// `cancel`/`hangup` arrived before any provisional response (RFC 3261 §9.1).
    pub cancel_requested: bool,
    /// Via of the INVITE in flight (the CANCEL reuses it) and its CSeq.
    pub invite_via: String,
    pub invite_cseq: u32,
    /// Give up waiting for the INVITE's final response after CANCEL (64*T1).
    pub cancel_deadline: Option<Instant>,
}

/// A 2xx to an INVITE (initial or re-INVITE) being retransmitted until ACKed.
#[derive(Debug)]
pub(super) struct Pending2xx {
    pub response: Vec<u8>,
    /// Where the response goes (RFC 3261 §18.2.2).
    pub destination: SocketAddr,
    pub transport: Transport,
    pub cseq: u32,
    /// `None` on reliable transports.
    pub next_retransmit: Option<Instant>,
    pub interval: Duration,
    pub give_up_at: Instant,
    /// Whether this answers the dialog-creating INVITE (ACK -> `Confirmed`).
    pub initial: bool,
}

impl Pending2xx {
    pub(super) fn new(
        now: Instant,
        response: Vec<u8>,
        (transport, destination): (Transport, SocketAddr),
        cseq: u32,
        timers: &TimerSettings,
        initial: bool,
    ) -> Self {
        Pending2xx {
            response,
            destination,
            transport,
            cseq,
            next_retransmit: (!transport.is_reliable()).then(|| now + timers.t1),
            interval: timers.t1,
            give_up_at: now + timers.timeout_64t1(),
            initial,
        }
    }
}

/// One call.
#[derive(Debug)]
pub(super) struct Call {
    pub state: CallState,
    pub dialog: Dialog,
    /// Our current SDP (offer for UAC, answer for UAS), updated by re-offers.
    pub local_sdp: Option<Vec<u8>>,
    /// UAC: current INVITE client transaction. UAS: the INVITE server transaction.
    pub invite_tx: Option<TxId>,
    pub uac: Option<Box<UacData>>,
    pub pending_2xx: Option<Pending2xx>,
    /// UAS: `hangup` while waiting for the ACK; BYE goes out once it arrives (or Timer H).
    pub hangup_after_ack: bool,
    scheduled: Option<Instant>,
}

impl Call {
    pub(super) fn new(state: CallState, dialog: Dialog) -> Self {
        Call {
            state,
            dialog,
            local_sdp: None,
            invite_tx: None,
            uac: None,
            pending_2xx: None,
            hangup_after_ack: false,
            scheduled: None,
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let pending = self
            .pending_2xx
            .as_ref()
            .map(|p| p.next_retransmit.unwrap_or(p.give_up_at).min(p.give_up_at));
        let cancel = self.uac.as_ref().and_then(|u| u.cancel_deadline);
        pending.into_iter().chain(cancel).min()
    }
}

impl Endpoint {
    /// Register a new call and its dialog key.
    pub(super) fn insert_call(&mut self, handle: CallHandle, call: Call) {
        let key = (call.dialog.call_id.clone(), call.dialog.local_tag.clone());
        self.dialogs.insert(key, handle);
        self.calls.insert(handle, call);
    }

    /// Forget a call (its transactions finish on their own).
    pub(super) fn end_call(&mut self, handle: CallHandle) {
        if let Some(call) = self.calls.remove(&handle) {
            let key = (call.dialog.call_id, call.dialog.local_tag);
            self.dialogs.remove(&key);
        }
    }

    /// Re-arm a call's timer after its state changed.
    pub(super) fn refresh_call(&mut self, handle: CallHandle) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let next = call.next_deadline();
        if next.is_some() && next != call.scheduled {
            call.scheduled = next;
            self.schedule(next, TimerOwner::Call(handle));
        }
    }

    /// 2xx retransmission, Timer H for our 2xx, the CANCEL guard.
    pub(super) fn call_timeout(&mut self, now: Instant, handle: CallHandle, fired: Instant) {
        let t2 = self.timers.t2;
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        if call.scheduled == Some(fired) {
            call.scheduled = None;
        }
        if let Some(uac) = call.uac.as_mut()
            && uac.cancel_deadline.is_some_and(|d| d <= now)
        {
            uac.cancel_deadline = None;
            // RFC 3261 §9.1: no final response within 64*T1 of the CANCEL.
            if let Some(tx) = call.invite_tx {
                self.abandon_invite_transaction(tx);
            }
            self.events.push_back(Event::Failed {
                call: handle,
                code: 487,
                reason: "Request Terminated".to_string(),
                reason_header: None,
            });
            self.end_call(handle);
            return;
        }
        let mut retransmit = None;
        let mut gave_up = None;
        if let Some(p) = call.pending_2xx.as_mut() {
            if p.give_up_at <= now {
                gave_up = Some(p.initial);
            } else if p.next_retransmit.is_some_and(|t| t <= now) {
                p.interval = (p.interval * 2).min(t2);
                p.next_retransmit = Some(now + p.interval);
                retransmit = Some((p.transport, p.destination, p.response.clone()));
            }
        }
        if gave_up.is_some() {
            call.pending_2xx = None;
        }
        if let Some((transport, destination, bytes)) = retransmit {
            self.transmit(transport, destination, bytes);
        }
        if gave_up == Some(true) {
            self.ack_timed_out(now, handle);
        }
        self.refresh_call(handle);
    }
}
