//! Requests inside a dialog (BYE, re-INVITE, UPDATE, INFO) and hanging up.

use std::time::Instant;

use super::call::{CallState, Pending2xx};
use super::transactions::{ClientOwner, TxId};
use super::{CallHandle, Endpoint, Event};
use crate::error::SipError;
use crate::outbound::{ALLOW, response_destination};
use crate::sdp_mirror::answer_reoffer;

impl Endpoint {
    /// The dialog of in-dialog request `id`, with its CSeq checked (RFC 3261 §12.2.2);
    /// answers 481 / 500 itself and returns `None` when the request cannot proceed.
    fn in_dialog_call(&mut self, now: Instant, id: TxId) -> Option<CallHandle> {
        let request = self.server_request(id);
        let cseq = request.cseq;
        let Some(handle) = self.dialog_of(request) else {
            self.respond_simple(now, id, 481, "no such dialog");
            return None;
        };
        let call = self.calls.get_mut(&handle)?;
        if call.dialog.remote_cseq.is_some_and(|last| cseq < last) {
            self.respond_simple(now, id, 500, "CSeq lower than the last one in the dialog");
            return None;
        }
        call.dialog.remote_cseq = Some(cseq);
        if let Some(tx) = self.server_txs.get_mut(&id) {
            tx.call = Some(handle);
        }
        Some(handle)
    }

    /// BYE: 200, then the call ends (`RemoteHangup`), unless our own BYE is in flight (glare:
    /// that one reports `HangupComplete`).
    pub(super) fn on_bye(&mut self, now: Instant, id: TxId) {
        let Some(handle) = self.in_dialog_call(now, id) else {
            return;
        };
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        let (state, invite_tx) = (call.state, call.invite_tx);
        if matches!(
            state,
            CallState::Calling | CallState::Early | CallState::Cancelling
        ) {
            self.respond_simple(now, id, 481, "BYE on an unconfirmed outgoing call");
            return;
        }
        self.respond(now, id, 200, None, |_, _| {}, ("", &[]));
        match state {
            CallState::Terminating => {}
            CallState::Ringing => {
                if let Some(tx) = invite_tx {
                    self.respond(now, tx, 487, None, |_, _| {}, ("", &[]));
                }
                self.events.push_back(Event::RemoteHangup { call: handle });
                self.end_call(handle);
            }
            _ => {
                self.events.push_back(Event::RemoteHangup { call: handle });
                self.end_call(handle);
            }
        }
    }

    /// re-INVITE: answer 200 with our SDP, direction mirrored and version bumped; a
    /// body-less (session refresh) re-INVITE gets our current SDP as an offer.
    pub(super) fn on_reinvite(&mut self, now: Instant, id: TxId) {
        let Some(handle) = self.in_dialog_call(now, id) else {
            return;
        };
        let Some(call) = self.calls.get(&handle) else {
            return;
        };
        match call.state {
            CallState::Confirmed if call.pending_2xx.is_none() => {}
            CallState::Terminating => {
                self.respond_simple(now, id, 481, "dialog is ending");
                return;
            }
            _ => {
                self.respond_simple(now, id, 491, "another offer is in progress");
                return;
            }
        }
        let Some(answer) = self.answer_offer(handle, id) else {
            self.respond_simple(now, id, 488, "no local SDP to answer with");
            return;
        };
        let contact = self.local_contact(handle);
        let sent = self.respond(
            now,
            id,
            200,
            None,
            |w, _| {
                w.header("Contact", &contact).header("Allow", ALLOW);
            },
            ("application/sdp", &answer),
        );
        let Some(response) = sent else { return };
        let Some(tx) = self.server_txs.get(&id) else {
            return;
        };
        let route = (
            tx.transport,
            response_destination(&tx.request, tx.transport, tx.source),
        );
        let pending = Pending2xx::new(now, response, route, tx.request.cseq, &self.timers, false);
        let offer = tx.request.sdp_body().map(<[u8]>::to_vec);
        if let Some(call) = self.calls.get_mut(&handle) {
            call.pending_2xx = Some(pending);
        }
        if let Some(sdp) = offer {
            self.events
                .push_back(Event::MediaUpdate { call: handle, sdp });
        }
        self.refresh_call(handle);
    }

    /// Our SDP for the re-offer in request `id` (or our current one if it has no body),
    /// stored as the call's new local SDP. Also takes a refreshed remote target.
    fn answer_offer(&mut self, handle: CallHandle, id: TxId) -> Option<Vec<u8>> {
        let tx = self.server_txs.get(&id)?;
        let call = self.calls.get_mut(&handle)?;
        if let Some(contact) = tx.request.contact_uri() {
            call.dialog.remote_target = contact.to_string();
        }
        let local = call.local_sdp.as_deref()?;
        let answer = match tx.request.sdp_body() {
            Some(offer) => answer_reoffer(local, offer),
            None => local.to_vec(),
        };
        call.local_sdp = Some(answer.clone());
        Some(answer)
    }

    /// UPDATE: with an offer, answered like a re-INVITE; without, a plain 200.
    pub(super) fn on_update(&mut self, now: Instant, id: TxId) {
        let Some(handle) = self.in_dialog_call(now, id) else {
            return;
        };
        if self
            .calls
            .get(&handle)
            .is_some_and(|c| c.state == CallState::Terminating)
        {
            self.respond_simple(now, id, 481, "dialog is ending");
            return;
        }
        let offer = self.server_request(id).sdp_body().map(<[u8]>::to_vec);
        let Some(offer) = offer else {
            self.respond(now, id, 200, None, |_, _| {}, ("", &[]));
            return;
        };
        let Some(answer) = self.answer_offer(handle, id) else {
            self.respond_simple(now, id, 488, "no local SDP to answer with");
            return;
        };
        let contact = self.local_contact(handle);
        self.respond(
            now,
            id,
            200,
            None,
            |w, _| {
                w.header("Contact", &contact);
            },
            ("application/sdp", &answer),
        );
        self.events.push_back(Event::MediaUpdate {
            call: handle,
            sdp: offer,
        });
    }

    /// INFO: 200; DTMF bodies become `Event::Dtmf`.
    pub(super) fn on_info(&mut self, now: Instant, id: TxId) {
        let Some(handle) = self.in_dialog_call(now, id) else {
            return;
        };
        let request = self.server_request(id);
        let content_type = request.header("Content-Type").unwrap_or_default();
        let dtmf = crate::dtmf_info::parse(content_type, &request.body);
        self.respond(now, id, 200, None, |_, _| {}, ("", &[]));
        if let Some((digit, duration_ms)) = dtmf {
            self.events.push_back(Event::Dtmf {
                call: handle,
                digit,
                duration_ms,
            });
        }
    }

    /// End a call: BYE when confirmed, CANCEL when an outgoing call is unanswered, 480 when
    /// an incoming call is unanswered (then `HangupComplete` at once). Idempotent.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), SipError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(SipError::UnknownCall(call))?;
        match c.state {
            CallState::Calling | CallState::Early | CallState::Cancelling => self.cancel(now, call),
            CallState::Ringing => {
                self.reject(now, call, 480, None)?;
                self.events.push_back(Event::HangupComplete { call });
                Ok(())
            }
            CallState::Answered => {
                c.hangup_after_ack = true;
                Ok(())
            }
            CallState::Confirmed => {
                self.send_bye(now, call, false);
                Ok(())
            }
            CallState::Terminating => Ok(()),
        }
    }

    /// Send BYE in the call's dialog. `detached`: nobody waits for the answer (the call is
    /// ended by the caller); otherwise the call goes to `Terminating` until it is answered.
    pub(super) fn send_bye(&mut self, now: Instant, handle: CallHandle, detached: bool) {
        let branch = self.ids.branch();
        let user_agent = self.config.user_agent.clone();
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let mut w = call.dialog.request("BYE", &branch);
        w.header("User-Agent", &user_agent);
        let bytes = w.finish_empty();
        let (hop, transport) = (call.dialog.next_hop(), call.dialog.transport);
        call.pending_2xx = None;
        let owner = if detached {
            ClientOwner::Detached
        } else {
            call.state = CallState::Terminating;
            ClientOwner::Bye(handle)
        };
        self.start_non_invite_transaction(now, bytes, &branch, "BYE", hop, transport, owner);
    }

    /// Our BYE was answered (any final) or timed out.
    pub(super) fn bye_finished(&mut self, handle: CallHandle) {
        if self
            .calls
            .get(&handle)
            .is_some_and(|c| c.state == CallState::Terminating)
        {
            self.events
                .push_back(Event::HangupComplete { call: handle });
            self.end_call(handle);
        }
    }
}
