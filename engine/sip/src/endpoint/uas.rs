//! UAS side of calls: a new INVITE, provisional / final answers, the ACK, CANCEL.

use std::time::Instant;

use super::call::{Call, CallState, Pending2xx};
use super::transactions::{ServerKey, ServerKind, TxId};
use super::{CallHandle, Endpoint, Event};
use crate::dialog::Dialog;
use crate::error::SipError;
use crate::inbound::InboundMessage;
use crate::outbound::{ALLOW, MessageWriter, contact_value, response_destination};
use crate::syntax::{parse_name_addr, parse_uri};

/// Copy Record-Route and add our Contact: every dialog-creating response needs both.
fn dialog_headers(w: &mut MessageWriter, request: &InboundMessage, contact: &str) {
    for rr in request.header_lines("Record-Route") {
        w.header("Record-Route", rr);
    }
    w.header("Contact", contact);
}

impl Endpoint {
    /// An INVITE without To tag: a new call.
    pub(super) fn on_new_invite(&mut self, now: Instant, id: TxId) {
        let request = self.server_request(id);
        if !request.body.is_empty() && request.sdp_body().is_none() {
            self.respond(
                now,
                id,
                415,
                None,
                |w, _| {
                    w.header("Accept", "application/sdp");
                },
                ("", &[]),
            );
            let source = self.server_txs.get(&id).map(|tx| tx.source);
            if let Some(source) = source {
                self.events.push_back(Event::RequestRejected {
                    source,
                    code: 415,
                    reason: "INVITE body is not SDP".to_string(),
                });
            }
            return;
        }
        let handle = CallHandle(self.next_handle());
        let Some(tx) = self.server_txs.get_mut(&id) else {
            return;
        };
        tx.call = Some(handle);
        let request = &tx.request;
        let local_tag = tx.to_tag.clone().unwrap_or_default();
        let from_uri = parse_name_addr(request.from())
            .map(|n| n.uri.to_string())
            .unwrap_or_default();
        let to_user = request
            .request_uri()
            .and_then(parse_uri)
            .and_then(|u| u.user)
            .map(str::to_string);
        let dialog = Dialog {
            call_id: request.call_id.clone(),
            local_tag: local_tag.clone(),
            remote_tag: request.tag_in_from().map(str::to_string),
            local_party: format!("{};tag={local_tag}", request.to()),
            remote_party: request.from().to_string(),
            remote_target: request
                .contact_uri()
                .map(str::to_string)
                .unwrap_or_else(|| from_uri.clone()),
            route_set: request
                .header_list("Record-Route")
                .into_iter()
                .map(str::to_string)
                .collect(),
            local_cseq: 0,
            remote_cseq: Some(request.cseq),
            transport: tx.transport,
            peer: tx.source,
            local_contact: contact_value(to_user.as_deref(), self.config.local_addr, tx.transport),
            local_addr: self.config.local_addr,
        };
        let event = Event::IncomingCall {
            call: handle,
            source: tx.source,
            transport: tx.transport,
            call_id: request.call_id.clone(),
            from_user: parse_uri(&from_uri)
                .and_then(|u| u.user)
                .map(str::to_string),
            from_uri,
            to_user,
            offer: request.sdp_body().map(<[u8]>::to_vec),
        };
        let mut call = Call::new(CallState::Ringing, dialog);
        call.invite_tx = Some(id);
        self.insert_call(handle, call);
        self.respond(now, id, 100, None, |_, _| {}, ("", &[]));
        self.events.push_back(event);
    }

    /// The UAS call in `Ringing` and its INVITE server transaction.
    fn ringing_call(&self, call: CallHandle, action: &'static str) -> Result<TxId, SipError> {
        let c = self.calls.get(&call).ok_or(SipError::UnknownCall(call))?;
        match (c.state, c.invite_tx, c.uac.is_none()) {
            (CallState::Ringing, Some(tx), true) => Ok(tx),
            _ => Err(SipError::InvalidState { call, action }),
        }
    }

    /// Send 180/183 (or another 1xx) for an incoming call, optionally with early-media SDP.
    pub fn send_provisional(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), SipError> {
        if !(101..=199).contains(&code) {
            return Err(SipError::InvalidStatus(code));
        }
        let tx = self.ringing_call(call, "send a provisional response")?;
        let contact = self.local_contact(call);
        let body = sdp.unwrap_or_default();
        self.respond(
            now,
            tx,
            code,
            None,
            |w, req| dialog_headers(w, req, &contact),
            ("application/sdp", &body),
        )
        .map(|_| ())
        .ok_or(SipError::InvalidState {
            call,
            action: "send a provisional response",
        })
    }

    /// Answer an incoming call with 200 OK and our SDP; it is retransmitted until the ACK
    /// (`Event::Confirmed`) or 64*T1 (`Event::AckTimeout`).
    pub fn accept(&mut self, now: Instant, call: CallHandle, sdp: Vec<u8>) -> Result<(), SipError> {
        let tx = self.ringing_call(call, "accept")?;
        let contact = self.local_contact(call);
        let sent = self.respond(
            now,
            tx,
            200,
            None,
            |w, req| {
                dialog_headers(w, req, &contact);
                w.header("Allow", ALLOW);
            },
            ("application/sdp", &sdp),
        );
        let invalid = SipError::InvalidState {
            call,
            action: "accept",
        };
        let response = sent.ok_or(invalid.clone())?;
        let tx = self.server_txs.get(&tx).ok_or(invalid)?;
        let route = (
            tx.transport,
            response_destination(&tx.request, tx.transport, tx.source),
        );
        let cseq = tx.request.cseq;
        let pending = Pending2xx::new(now, response, route, cseq, &self.timers, true);
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::Answered;
            c.local_sdp = Some(sdp);
            c.pending_2xx = Some(pending);
        }
        self.refresh_call(call);
        Ok(())
    }

    /// Refuse an incoming call with a 3xx-6xx final response; the call ends at once.
    pub fn reject(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        reason: Option<&str>,
    ) -> Result<(), SipError> {
        if !(300..=699).contains(&code) {
            return Err(SipError::InvalidStatus(code));
        }
        let tx = self.ringing_call(call, "reject")?;
        self.respond(now, tx, code, reason, |_, _| {}, ("", &[]));
        self.end_call(call);
        Ok(())
    }

    pub(super) fn local_contact(&self, call: CallHandle) -> String {
        self.calls
            .get(&call)
            .map(|c| c.dialog.local_contact.clone())
            .unwrap_or_default()
    }

    /// An ACK that no INVITE server transaction absorbed: the ACK for a 2xx.
    pub(super) fn on_ack(&mut self, now: Instant, msg: &InboundMessage) {
        let Some(handle) = self
            .dialog_of(msg)
            .or_else(|| self.unacked_call_by_call_id(msg))
        else {
            return;
        };
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        if call.pending_2xx.as_ref().is_none_or(|p| p.cseq != msg.cseq) {
            return;
        }
        let initial = call.pending_2xx.take().is_some_and(|p| p.initial);
        let sdp = msg.sdp_body().map(<[u8]>::to_vec);
        if initial && call.state == CallState::Answered {
            call.state = CallState::Confirmed;
            if call.hangup_after_ack {
                self.send_bye(now, handle, false);
                self.refresh_call(handle);
                return;
            }
            self.events.push_back(Event::Confirmed { call: handle });
        }
        if let Some(sdp) = sdp {
            self.events
                .push_back(Event::MediaUpdate { call: handle, sdp });
        }
        self.refresh_call(handle);
    }

    /// Some peers (PyVoIP) put a made-up To tag on the ACK: fall back to the call whose 2xx
    /// with this CSeq awaits an ACK, by Call-ID and the peer's tag.
    fn unacked_call_by_call_id(&self, msg: &InboundMessage) -> Option<CallHandle> {
        self.calls.iter().find_map(|(handle, call)| {
            let waiting = call
                .pending_2xx
                .as_ref()
                .is_some_and(|p| p.cseq == msg.cseq);
            let same = call.dialog.call_id == msg.call_id
                && call.dialog.remote_tag.as_deref() == msg.tag_in_from();
            (waiting && same).then_some(*handle)
        })
    }

    /// Our 2xx was never ACKed (64*T1): BYE, unless the driver already asked to hang up.
    pub(super) fn ack_timed_out(&mut self, now: Instant, handle: CallHandle) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        if call.state != CallState::Answered {
            return;
        }
        call.state = CallState::Confirmed;
        if call.hangup_after_ack {
            self.send_bye(now, handle, false);
        } else {
            self.events.push_back(Event::AckTimeout { call: handle });
            self.send_bye(now, handle, true);
            self.end_call(handle);
        }
    }

    /// CANCEL: 200 to it, and 487 to the INVITE if it is still unanswered.
    pub(super) fn on_cancel(&mut self, now: Instant, id: TxId) {
        let invite_key = ServerKey::of(self.server_request(id), "INVITE");
        let Some(invite_tx) = self.find_server_transaction(&invite_key) else {
            self.respond_simple(now, id, 481, "CANCEL matches no INVITE");
            return;
        };
        let (tag, call, proceeding) = match self.server_txs.get(&invite_tx) {
            Some(tx) => (
                tx.to_tag.clone(),
                tx.call,
                matches!(&tx.kind, ServerKind::Invite(t) if t.is_proceeding()),
            ),
            None => (None, None, false),
        };
        if let Some(tx) = self.server_txs.get_mut(&id) {
            tx.to_tag = tag;
        }
        self.respond(now, id, 200, None, |_, _| {}, ("", &[]));
        if !proceeding {
            return;
        }
        self.respond(now, invite_tx, 487, None, |_, _| {}, ("", &[]));
        if let Some(call) = call.filter(|c| self.calls.contains_key(c)) {
            self.events.push_back(Event::Cancelled { call });
            self.end_call(call);
        }
    }

    /// The call a request within a dialog belongs to (by Call-ID and our tag in To).
    pub(super) fn dialog_of(&self, msg: &InboundMessage) -> Option<CallHandle> {
        let to_tag = msg.to_tag()?;
        let handle = *self
            .dialogs
            .get(&(msg.call_id.clone(), to_tag.to_string()))?;
        let call = self.calls.get(&handle)?;
        match (&call.dialog.remote_tag, msg.tag_in_from()) {
            (Some(remote), Some(from)) if remote != from => None,
            _ => Some(handle),
        }
    }
}
