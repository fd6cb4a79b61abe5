//! UAC side of calls: INVITE (with one digest retry per challenge), responses, ACK for
//! 2xx, CANCEL (deferred until a provisional response, RFC 3261 §9.1), CANCEL/2xx crossing.

use std::time::Instant;

use super::call::{Call, CallState, UacData};
use super::transactions::{ClientOwner, TxId};
use super::{CallHandle, Endpoint, Event, OutgoingInvite};
use crate::dialog::Dialog;
use crate::digest::{self, Challenge};
use crate::error::SipError;
use crate::inbound::InboundMessage;
use crate::outbound::{ALLOW, MessageWriter, contact_value, via_value};
use crate::syntax::{param, parse_uri, parse_via};
use crate::transaction::AckParts;

/// Challenges answered for one call before giving up (beyond the first only `stale=true`).
const MAX_AUTH_ATTEMPTS: u32 = 3;

fn quote_display(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Endpoint {
    /// Place an outbound call. Progress arrives as `Progress`, then `Answered` or `Failed`.
    pub fn invite(&mut self, now: Instant, invite: OutgoingInvite) -> CallHandle {
        let handle = CallHandle(self.next_handle());
        let local_tag = self.ids.tag();
        let call_id = self.ids.call_id(&self.config.local_addr.ip().to_string());
        let local_party = match &invite.from_display {
            Some(name) => format!(
                "\"{}\" <{}>;tag={local_tag}",
                quote_display(name),
                invite.from_uri
            ),
            None => format!("<{}>;tag={local_tag}", invite.from_uri),
        };
        let to_header = format!("<{}>", invite.to_uri);
        let from_user = parse_uri(&invite.from_uri).and_then(|u| u.user);
        let dialog = Dialog {
            call_id,
            local_tag,
            remote_tag: None,
            local_party,
            remote_party: to_header.clone(),
            remote_target: invite.request_uri.clone(),
            route_set: Vec::new(),
            local_cseq: 0,
            remote_cseq: None,
            transport: invite.transport,
            peer: invite.destination,
            local_contact: contact_value(from_user, self.config.local_addr, invite.transport),
            local_addr: self.config.local_addr,
        };
        let mut call = Call::new(CallState::Calling, dialog);
        call.local_sdp = Some(invite.sdp.clone());
        call.uac = Some(Box::new(UacData {
            invite,
            to_header,
            authorization: None,
            auth_attempts: 0,
            cancel_requested: false,
            invite_via: String::new(),
            invite_cseq: 0,
            cancel_deadline: None,
        }));
        self.insert_call(handle, call);
        self.send_invite(now, handle);
        handle
    }

    /// Send (or, after a challenge, re-send with credentials) the INVITE of a UAC call.
    fn send_invite(&mut self, now: Instant, handle: CallHandle) {
        let branch = self.ids.branch();
        let user_agent = self.config.user_agent.clone();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let Some(uac) = call.uac.as_mut() else {
            return;
        };
        let d = &mut call.dialog;
        d.local_cseq = d.local_cseq.wrapping_add(1);
        let via = via_value(d.local_addr, d.transport, &branch);
        let inv = &uac.invite;
        let mut w = MessageWriter::request("INVITE", &inv.request_uri);
        w.header("Via", &via)
            .header("Max-Forwards", "70")
            .header("From", &d.local_party)
            .header("To", &uac.to_header)
            .header("Call-ID", &d.call_id)
            .header("CSeq", &format!("{} INVITE", d.local_cseq))
            .header("Contact", &d.local_contact)
            .header("Allow", ALLOW);
        if let Some((name, value)) = &uac.authorization {
            w.header(name, value);
        }
        w.header("User-Agent", &user_agent);
        for (name, value) in &inv.extra_headers {
            w.header(name, value);
        }
        let bytes = w.finish("application/sdp", &inv.sdp);
        let ack_parts = AckParts {
            request_uri: inv.request_uri.clone(),
            via: via.clone(),
            from: d.local_party.clone(),
            call_id: d.call_id.clone(),
            cseq: d.local_cseq,
            routes: Vec::new(),
        };
        uac.invite_via = via;
        uac.invite_cseq = d.local_cseq;
        let (destination, transport) = (inv.destination, inv.transport);
        let id = self.start_invite_transaction(
            now,
            bytes,
            ack_parts,
            &branch,
            destination,
            transport,
            ClientOwner::Invite(handle),
        );
        if let Some(call) = self.calls.get_mut(&handle) {
            call.invite_tx = Some(id);
        }
    }

    /// Give up on an unanswered outbound call (ring time-out). CANCEL goes out once a
    /// provisional response has arrived; before that it waits for one (or for Timer B).
    pub fn cancel(&mut self, now: Instant, call: CallHandle) -> Result<(), SipError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(SipError::UnknownCall(call))?;
        let invalid = SipError::InvalidState {
            call,
            action: "cancel",
        };
        let uac = c.uac.as_mut().ok_or(invalid.clone())?;
        match c.state {
            CallState::Calling => {
                uac.cancel_requested = true;
                Ok(())
            }
            CallState::Early => {
                self.send_cancel(now, call);
                Ok(())
            }
            CallState::Cancelling => Ok(()),
            _ => Err(invalid),
        }
    }

    fn send_cancel(&mut self, now: Instant, handle: CallHandle) {
        let user_agent = self.config.user_agent.clone();
        let deadline = now + self.timers.timeout_64t1();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let Some(uac) = call.uac.as_mut() else {
            return;
        };
        let branch = parse_via(&uac.invite_via)
            .and_then(|v| param(v.params, "branch"))
            .unwrap_or_default()
            .to_string();
        let mut w = MessageWriter::request("CANCEL", &uac.invite.request_uri);
        w.header("Via", &uac.invite_via)
            .header("Max-Forwards", "70")
            .header("From", &call.dialog.local_party)
            .header("To", &uac.to_header)
            .header("Call-ID", &call.dialog.call_id)
            .header("CSeq", &format!("{} CANCEL", uac.invite_cseq))
            .header("User-Agent", &user_agent);
        let bytes = w.finish_empty();
        call.state = CallState::Cancelling;
        uac.cancel_deadline = Some(deadline);
        let (destination, transport) = (uac.invite.destination, uac.invite.transport);
        self.start_non_invite_transaction(
            now,
            bytes,
            &branch,
            "CANCEL",
            destination,
            transport,
            ClientOwner::Cancel(handle),
        );
        self.refresh_call(handle);
    }

    /// A response to one of our INVITEs, passed up by its client transaction `tx`.
    pub(super) fn uac_invite_response(
        &mut self,
        now: Instant,
        handle: CallHandle,
        tx: TxId,
        msg: &InboundMessage,
    ) {
        let code = msg.status().unwrap_or_default();
        if (200..=299).contains(&code) && self.reack_retransmitted_2xx(tx, msg) {
            return;
        }
        if !self.calls.contains_key(&handle) {
            return;
        }
        match code {
            100..=199 => self.uac_provisional(now, handle, code, msg),
            200..=299 => self.uac_success(now, handle, tx, msg),
            _ => self.uac_failure(now, handle, code, msg),
        }
    }

    /// A 2xx retransmission for which we already sent an ACK: send it again.
    fn reack_retransmitted_2xx(&mut self, tx: TxId, msg: &InboundMessage) -> bool {
        let Some(client) = self.client_txs.get(&tx) else {
            return false;
        };
        match &client.ack_2xx {
            Some((tag, ack, hop)) if msg.to_tag().unwrap_or_default() == tag => {
                let (transport, hop, ack) = (client.transport, *hop, ack.clone());
                self.transmit(transport, hop, ack);
                true
            }
            _ => false,
        }
    }

    fn uac_provisional(
        &mut self,
        now: Instant,
        handle: CallHandle,
        code: u16,
        msg: &InboundMessage,
    ) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let cancel_now = match call.state {
            CallState::Calling => {
                call.state = CallState::Early;
                call.uac.as_ref().is_some_and(|u| u.cancel_requested)
            }
            _ => false,
        };
        if cancel_now {
            self.send_cancel(now, handle);
        } else if code > 100 && call.state == CallState::Early {
            self.events.push_back(Event::Progress {
                call: handle,
                code,
                sdp: msg.sdp_body().map(<[u8]>::to_vec),
            });
        }
    }

    fn uac_success(&mut self, now: Instant, handle: CallHandle, tx: TxId, msg: &InboundMessage) {
        let branch = self.ids.branch();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let answered_before = matches!(call.state, CallState::Confirmed | CallState::Terminating);
        let mut dialog = call.dialog.clone();
        let to_tag = msg.to_tag().unwrap_or_default().to_string();
        dialog.remote_tag = Some(to_tag.clone());
        dialog.remote_party = msg.to().to_string();
        if let Some(contact) = msg.contact_uri() {
            dialog.remote_target = contact.to_string();
        }
        dialog.route_set = msg
            .header_list("Record-Route")
            .into_iter()
            .rev()
            .map(str::to_string)
            .collect();
        let invite_cseq = call.uac.as_ref().map_or(1, |u| u.invite_cseq);
        let ack = dialog.ack(invite_cseq, &branch);
        let hop = dialog.next_hop();
        let transport = dialog.transport;
        self.transmit(transport, hop, ack.clone());
        if let Some(client) = self.client_txs.get_mut(&tx) {
            client.ack_2xx.get_or_insert((to_tag, ack, hop));
        }
        if answered_before {
            // A 2xx from another fork: acknowledge it and end that dialog at once.
            let bye_branch = self.ids.branch();
            let bye = dialog.request("BYE", &bye_branch).finish_empty();
            self.start_non_invite_transaction(
                now,
                bye,
                &bye_branch,
                "BYE",
                hop,
                transport,
                ClientOwner::Detached,
            );
            return;
        }
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        call.dialog = dialog;
        let cancelled = call.state == CallState::Cancelling
            || call.uac.as_ref().is_some_and(|u| u.cancel_requested);
        if let Some(uac) = call.uac.as_mut() {
            uac.cancel_deadline = None;
        }
        if cancelled {
            // CANCEL crossed the 2xx: the call is up at the far end, so end it with BYE.
            self.send_bye(now, handle, true);
            self.events.push_back(Event::Failed {
                call: handle,
                code: 487,
                reason: "Request Terminated".to_string(),
                reason_header: None,
            });
            self.end_call(handle);
            return;
        }
        call.state = CallState::Confirmed;
        self.events.push_back(Event::Answered {
            call: handle,
            sdp: msg.sdp_body().map(<[u8]>::to_vec),
        });
        self.refresh_call(handle);
    }

    fn uac_failure(&mut self, now: Instant, handle: CallHandle, code: u16, msg: &InboundMessage) {
        if matches!(code, 401 | 407) && self.prepare_auth_retry(handle, code, msg) {
            if let Some(call) = self.calls.get_mut(&handle) {
                call.state = CallState::Calling;
            }
            self.send_invite(now, handle);
            return;
        }
        let reason = match &msg.start {
            crate::inbound::StartLine::Response { reason, .. } => reason.clone(),
            crate::inbound::StartLine::Request { .. } => String::new(),
        };
        self.events.push_back(Event::Failed {
            call: handle,
            code,
            reason,
            reason_header: msg.header("Reason").map(str::to_string),
        });
        self.end_call(handle);
    }

    /// Take the challenge of a 401/407 if credentials exist and this is the first challenge
    /// (or a `stale=true` one); sets the Authorization header for the next INVITE.
    fn prepare_auth_retry(&mut self, handle: CallHandle, code: u16, msg: &InboundMessage) -> bool {
        let cnonce = self.ids.cnonce();
        let Some(call) = self.calls.get_mut(&handle) else {
            return false;
        };
        if !matches!(call.state, CallState::Calling | CallState::Early) {
            return false;
        }
        let Some(uac) = call.uac.as_mut().filter(|u| !u.cancel_requested) else {
            return false;
        };
        let Some(credentials) = uac.invite.credentials.as_ref() else {
            return false;
        };
        let (challenge_header, answer_header) = if code == 407 {
            ("Proxy-Authenticate", "Proxy-Authorization")
        } else {
            ("WWW-Authenticate", "Authorization")
        };
        let Some(challenge) = msg
            .header_lines(challenge_header)
            .into_iter()
            .find_map(|v| Challenge::parse(v).ok())
        else {
            return false;
        };
        let allowed =
            uac.auth_attempts == 0 || (challenge.stale() && uac.auth_attempts < MAX_AUTH_ATTEMPTS);
        if !allowed {
            return false;
        }
        uac.auth_attempts += 1;
        let value = digest::authorization(
            &challenge,
            credentials,
            "INVITE",
            &uac.invite.request_uri,
            &cnonce,
            1,
        );
        uac.authorization = Some((answer_header, value));
        true
    }

    /// The INVITE got no final response (Timer B: 408) or the transport failed (503).
    pub(super) fn uac_invite_failed(
        &mut self,
        handle: CallHandle,
        tx: TxId,
        code: u16,
        reason: &str,
    ) {
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        let waiting = matches!(
            call.state,
            CallState::Calling | CallState::Early | CallState::Cancelling
        );
        if call.invite_tx != Some(tx) || !waiting {
            return;
        }
        self.events.push_back(Event::Failed {
            call: handle,
            code,
            reason: reason.to_string(),
            reason_header: None,
        });
        self.end_call(handle);
    }
}
