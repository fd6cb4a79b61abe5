//! The endpoint's transaction table: creation, matching (RFC 3261 §17.1.3 / §17.2.3),
//! timers, and routing of transaction output to the calls and registrations that own them.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::SocketAddr;
use std::time::Instant;

use super::{CallHandle, Endpoint, RegistrationHandle, TimerOwner};
use crate::inbound::InboundMessage;
use crate::outbound::{MessageWriter, response_destination, response_to};
use crate::transaction::{
    AckParts, InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction,
    NonInviteServerTransaction, TxStep,
};
use crate::transport::Transport;

/// Identifies a transaction inside the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct TxId(pub u64);

/// Who gets the responses (and the timeout) of a client transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClientOwner {
    Invite(CallHandle),
    Cancel(CallHandle),
    Bye(CallHandle),
    Register(RegistrationHandle),
    /// Nobody waits for the outcome (BYE for a stray 2xx, BYE after Timer H, INFO...).
    Detached,
}

#[derive(Debug)]
pub(super) enum ClientKind {
    Invite(InviteClientTransaction),
    NonInvite(NonInviteClientTransaction),
}

/// A client transaction with its addressing and owner.
#[derive(Debug)]
pub(super) struct ClientTx {
    pub kind: ClientKind,
    pub transport: Transport,
    pub destination: SocketAddr,
    pub owner: ClientOwner,
    /// INVITE only: the ACK sent for the first 2xx (peer tag, bytes, next hop), re-sent when
    /// that 2xx is retransmitted, even after the call ended.
    pub ack_2xx: Option<(String, Vec<u8>, SocketAddr)>,
    key: (String, String),
    scheduled: Option<Instant>,
}

impl ClientTx {
    pub(super) fn is_invite(&self) -> bool {
        matches!(self.kind, ClientKind::Invite(_))
    }

    /// The call this transaction belongs to, if any.
    pub(super) fn call(&self) -> Option<CallHandle> {
        match self.owner {
            ClientOwner::Invite(c) | ClientOwner::Cancel(c) | ClientOwner::Bye(c) => Some(c),
            ClientOwner::Register(_) | ClientOwner::Detached => None,
        }
    }
}

/// What the transaction tables' timer bookkeeping needs from a client or server transaction.
trait TableEntry {
    type Key: Eq + Hash + Clone;
    fn key(&self) -> &Self::Key;
    fn is_terminated(&self) -> bool;
    fn next_deadline(&self) -> Option<Instant>;
    fn scheduled(&mut self) -> &mut Option<Instant>;
}

impl TableEntry for ClientTx {
    type Key = (String, String);

    fn key(&self) -> &Self::Key {
        &self.key
    }

    fn is_terminated(&self) -> bool {
        match &self.kind {
            ClientKind::Invite(t) => t.is_terminated(),
            ClientKind::NonInvite(t) => t.is_terminated(),
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        match &self.kind {
            ClientKind::Invite(t) => t.next_deadline(),
            ClientKind::NonInvite(t) => t.next_deadline(),
        }
    }

    fn scheduled(&mut self) -> &mut Option<Instant> {
        &mut self.scheduled
    }
}

/// Drop transaction `id` from its table and index once terminated; otherwise return its next
/// deadline when that changed (so the caller schedules it once).
fn refresh_entry<T: TableEntry>(
    txs: &mut HashMap<TxId, T>,
    index: &mut HashMap<T::Key, TxId>,
    id: TxId,
) -> Option<Instant> {
    let tx = txs.get_mut(&id)?;
    if tx.is_terminated() {
        let key = tx.key().clone();
        txs.remove(&id);
        if index.get(&key) == Some(&id) {
            index.remove(&key);
        }
        return None;
    }
    let next = tx.next_deadline();
    if next.is_some() && next != *tx.scheduled() {
        *tx.scheduled() = next;
        return next;
    }
    None
}

/// Server transaction key: branch (or a stand-in for pre-RFC 3261 peers) plus method,
/// ACK folded onto INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ServerKey {
    branch: String,
    method: String,
}

impl ServerKey {
    pub(super) fn of(request: &InboundMessage, method: &str) -> Self {
        let method = if method == "ACK" { "INVITE" } else { method };
        let branch = match request.branch() {
            Some(b) if b.starts_with("z9hG4bK") => b.to_string(),
            _ => format!(
                "{}|{}|{}|{}",
                request.top_via,
                request.call_id,
                request.cseq,
                request.tag_in_from().unwrap_or_default()
            ),
        };
        ServerKey {
            branch,
            method: method.to_string(),
        }
    }
}

#[derive(Debug)]
pub(super) enum ServerKind {
    Invite(InviteServerTransaction),
    NonInvite(NonInviteServerTransaction),
}

/// A server transaction with the request it answers.
#[derive(Debug)]
pub(super) struct ServerTx {
    pub kind: ServerKind,
    pub request: InboundMessage,
    pub transport: Transport,
    pub source: SocketAddr,
    /// To tag for responses when the request had none (our dialog tag for INVITE).
    pub to_tag: Option<String>,
    /// The call this INVITE/CANCEL/BYE belongs to.
    pub call: Option<CallHandle>,
    key: ServerKey,
    scheduled: Option<Instant>,
}

impl ServerTx {
    pub(super) fn is_invite(&self) -> bool {
        matches!(self.kind, ServerKind::Invite(_))
    }
}

impl TableEntry for ServerTx {
    type Key = ServerKey;

    fn key(&self) -> &Self::Key {
        &self.key
    }

    fn is_terminated(&self) -> bool {
        match &self.kind {
            ServerKind::Invite(t) => t.is_terminated(),
            ServerKind::NonInvite(t) => t.is_terminated(),
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        match &self.kind {
            ServerKind::Invite(t) => t.next_deadline(),
            ServerKind::NonInvite(t) => t.next_deadline(),
        }
    }

    fn scheduled(&mut self) -> &mut Option<Instant> {
        &mut self.scheduled
    }
}

impl Endpoint {
    /// Send `request` in a new INVITE client transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_invite_transaction(
        &mut self,
        now: Instant,
        request: Vec<u8>,
        ack_parts: AckParts,
        branch: &str,
        destination: SocketAddr,
        transport: Transport,
        owner: ClientOwner,
    ) -> TxId {
        let tx = InviteClientTransaction::new(
            now,
            request,
            ack_parts,
            self.timers,
            transport.is_reliable(),
        );
        let bytes = tx.request().to_vec();
        self.start_client(
            ClientKind::Invite(tx),
            bytes,
            branch,
            "INVITE",
            destination,
            transport,
            owner,
        )
    }

    /// Send `request` in a new non-INVITE client transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_non_invite_transaction(
        &mut self,
        now: Instant,
        request: Vec<u8>,
        branch: &str,
        method: &str,
        destination: SocketAddr,
        transport: Transport,
        owner: ClientOwner,
    ) -> TxId {
        let tx =
            NonInviteClientTransaction::new(now, request, self.timers, transport.is_reliable());
        let bytes = tx.request().to_vec();
        self.start_client(
            ClientKind::NonInvite(tx),
            bytes,
            branch,
            method,
            destination,
            transport,
            owner,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start_client(
        &mut self,
        kind: ClientKind,
        bytes: Vec<u8>,
        branch: &str,
        method: &str,
        destination: SocketAddr,
        transport: Transport,
        owner: ClientOwner,
    ) -> TxId {
        let id = TxId(self.next_handle());
        let key = (branch.to_string(), method.to_string());
        self.client_index.insert(key.clone(), id);
        self.client_txs.insert(
            id,
            ClientTx {
                kind,
                transport,
                destination,
                owner,
                ack_2xx: None,
                key,
                scheduled: None,
            },
        );
        self.transmit(transport, destination, bytes);
        self.refresh_client(id);
        id
    }

    /// Re-arm the timer of a client transaction, or drop it once terminated.
    fn refresh_client(&mut self, id: TxId) {
        let next = refresh_entry(&mut self.client_txs, &mut self.client_index, id);
        self.schedule(next, TimerOwner::Client(id));
    }

    /// A response arrived: match it to its client transaction (branch + CSeq method).
    pub(super) fn on_response(&mut self, now: Instant, msg: InboundMessage) {
        let Some(code) = msg.status() else { return };
        let Some(branch) = msg.branch() else { return };
        let key = (branch.to_string(), msg.cseq_method.clone());
        let Some(&id) = self.client_index.get(&key) else {
            return;
        };
        let Some(tx) = self.client_txs.get_mut(&id) else {
            return;
        };
        let step = match &mut tx.kind {
            ClientKind::Invite(t) => t.on_response(now, code, msg.to()),
            ClientKind::NonInvite(t) => t.on_response(now, code),
        };
        self.apply_client_step(now, id, step, Some(&msg));
    }

    pub(super) fn client_timeout(&mut self, now: Instant, id: TxId, fired: Instant) {
        let Some(tx) = self.client_txs.get_mut(&id) else {
            return;
        };
        if tx.scheduled == Some(fired) {
            tx.scheduled = None;
        }
        let step = match &mut tx.kind {
            ClientKind::Invite(t) => t.on_timeout(now),
            ClientKind::NonInvite(t) => t.on_timeout(now),
        };
        self.apply_client_step(now, id, step, None);
    }

    /// Drop an INVITE client transaction that will never see its final response.
    pub(super) fn abandon_invite_transaction(&mut self, id: TxId) {
        if let Some(ClientTx {
            kind: ClientKind::Invite(t),
            ..
        }) = self.client_txs.get_mut(&id)
        {
            t.terminate();
        }
        self.refresh_client(id);
    }

    pub(super) fn client_transport_error(&mut self, now: Instant, id: TxId) {
        let Some(tx) = self.client_txs.get_mut(&id) else {
            return;
        };
        match &mut tx.kind {
            ClientKind::Invite(t) => t.terminate(),
            ClientKind::NonInvite(t) => t.terminate(),
        }
        let owner = tx.owner;
        self.refresh_client(id);
        self.client_failed(now, id, owner, 503, "Service Unavailable");
    }

    fn apply_client_step(
        &mut self,
        now: Instant,
        id: TxId,
        step: TxStep,
        msg: Option<&InboundMessage>,
    ) {
        let Some(tx) = self.client_txs.get(&id) else {
            return;
        };
        let (owner, transport, destination) = (tx.owner, tx.transport, tx.destination);
        if let Some(bytes) = step.transmit {
            self.transmit(transport, destination, bytes);
        }
        self.refresh_client(id);
        if step.deliver
            && let Some(msg) = msg
        {
            self.deliver_response(now, id, owner, msg);
        }
        if step.timed_out {
            self.client_failed(now, id, owner, 408, "Request Timeout");
        }
    }

    fn deliver_response(
        &mut self,
        now: Instant,
        id: TxId,
        owner: ClientOwner,
        msg: &InboundMessage,
    ) {
        match owner {
            ClientOwner::Invite(call) => self.uac_invite_response(now, call, id, msg),
            ClientOwner::Bye(call) => {
                if msg.status().is_some_and(|c| c >= 200) {
                    self.bye_finished(call);
                }
            }
            ClientOwner::Register(reg) => self.registration_response(now, reg, msg),
            ClientOwner::Cancel(_) | ClientOwner::Detached => {}
        }
    }

    /// The transaction got no final response (Timer B/F: 408) or the transport failed (503).
    fn client_failed(
        &mut self,
        now: Instant,
        id: TxId,
        owner: ClientOwner,
        code: u16,
        reason: &str,
    ) {
        match owner {
            ClientOwner::Invite(call) => self.uac_invite_failed(call, id, code, reason),
            ClientOwner::Bye(call) => self.bye_finished(call),
            ClientOwner::Register(reg) => self.registration_no_response(now, reg, code),
            ClientOwner::Cancel(_) | ClientOwner::Detached => {}
        }
    }

    /// A new request (not a retransmission): open its server transaction.
    pub(super) fn open_server_transaction(
        &mut self,
        msg: InboundMessage,
        transport: Transport,
        source: SocketAddr,
    ) -> TxId {
        let id = TxId(self.next_handle());
        let method = msg.method().unwrap_or_default().to_string();
        let key = ServerKey::of(&msg, &method);
        let reliable = transport.is_reliable();
        let kind = if method == "INVITE" {
            ServerKind::Invite(InviteServerTransaction::new(self.timers, reliable))
        } else {
            ServerKind::NonInvite(NonInviteServerTransaction::new(self.timers, reliable))
        };
        let to_tag = msg.to_tag().is_none().then(|| self.ids.tag());
        self.server_index.insert(key.clone(), id);
        self.server_txs.insert(
            id,
            ServerTx {
                kind,
                request: msg,
                transport,
                source,
                to_tag,
                call: None,
                key,
                scheduled: None,
            },
        );
        id
    }

    /// Look up the server transaction a request belongs to.
    pub(super) fn find_server_transaction(&self, key: &ServerKey) -> Option<TxId> {
        self.server_index.get(key).copied()
    }

    /// Send a response through server transaction `id`. `add` appends headers after the
    /// standard ones; the body is `(content type, bytes)`. Returns the bytes sent, `None` if the
    /// transaction is gone or already answered.
    pub(super) fn respond(
        &mut self,
        now: Instant,
        id: TxId,
        code: u16,
        reason: Option<&str>,
        add: impl FnOnce(&mut MessageWriter, &InboundMessage),
        (content_type, body): (&str, &[u8]),
    ) -> Option<Vec<u8>> {
        let user_agent = self.config.user_agent.clone();
        let tx = self.server_txs.get_mut(&id)?;
        let tag = if code == 100 {
            None
        } else {
            tx.to_tag.as_deref()
        };
        let mut w = response_to(&tx.request, code, reason, tag, tx.transport, tx.source);
        add(&mut w, &tx.request);
        w.header("Server", &user_agent);
        let bytes = w.finish(content_type, body);
        let sent = match &mut tx.kind {
            ServerKind::Invite(t) => t.send_response(now, code, bytes),
            ServerKind::NonInvite(t) => t.send_response(now, code, bytes),
        };
        let destination = response_destination(&tx.request, tx.transport, tx.source);
        let transport = tx.transport;
        if let Some(bytes) = &sent {
            self.transmit(transport, destination, bytes.clone());
        }
        self.refresh_server(id);
        sent
    }

    /// Answer with a plain response and report it as a rejection when `code >= 400`.
    pub(super) fn respond_simple(&mut self, now: Instant, id: TxId, code: u16, why: &str) {
        let source = self.server_txs.get(&id).map(|tx| tx.source);
        self.respond(now, id, code, None, |_, _| {}, ("", &[]));
        if let Some(source) = source.filter(|_| code >= 400) {
            self.events.push_back(crate::Event::RequestRejected {
                source,
                code,
                reason: why.to_string(),
            });
        }
    }

    /// A request matched an existing server transaction: a retransmission (or the ACK of a
    /// non-2xx final). Returns false when the ACK must go to the dialog instead.
    pub(super) fn server_retransmission(&mut self, now: Instant, id: TxId, is_ack: bool) -> bool {
        let Some(tx) = self.server_txs.get_mut(&id) else {
            return false;
        };
        let step = match (&mut tx.kind, is_ack) {
            (ServerKind::Invite(t), true) => {
                if !t.on_ack(now) {
                    return false;
                }
                TxStep::absorb()
            }
            (_, true) => return false,
            (ServerKind::Invite(t), false) => t.on_retransmission(),
            (ServerKind::NonInvite(t), false) => t.on_retransmission(),
        };
        if let Some(bytes) = step.transmit {
            let destination = response_destination(&tx.request, tx.transport, tx.source);
            let transport = tx.transport;
            self.transmit(transport, destination, bytes);
        }
        self.refresh_server(id);
        true
    }

    pub(super) fn server_timeout(&mut self, now: Instant, id: TxId, fired: Instant) {
        let Some(tx) = self.server_txs.get_mut(&id) else {
            return;
        };
        if tx.scheduled == Some(fired) {
            tx.scheduled = None;
        }
        let step = match &mut tx.kind {
            ServerKind::Invite(t) => t.on_timeout(now),
            ServerKind::NonInvite(t) => t.on_timeout(now),
        };
        if let Some(bytes) = step.transmit {
            let destination = response_destination(&tx.request, tx.transport, tx.source);
            let transport = tx.transport;
            self.transmit(transport, destination, bytes);
        }
        self.refresh_server(id);
    }

    /// Re-arm the timer of a server transaction, or drop it once terminated.
    pub(super) fn refresh_server(&mut self, id: TxId) {
        let next = refresh_entry(&mut self.server_txs, &mut self.server_index, id);
        self.schedule(next, TimerOwner::Server(id));
    }
}
