//! The SIP endpoint: one sans-IO object that owns transactions, calls and registrations.
//!
//! Drive contract: after any input ([`Endpoint::handle_input`], [`Endpoint::handle_timeout`]
//! or a command such as [`Endpoint::invite`]), drain [`Endpoint::poll_transmit`] and
//! [`Endpoint::poll_event`] until both return `None`, then sleep until
//! [`Endpoint::poll_timeout`] (or the next input) and call `handle_timeout`.

mod call;
mod config;
mod event;
mod in_dialog;
mod registrations;
mod requests;
mod transactions;
mod uac;
mod uas;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use config::{EndpointConfig, OutgoingInvite, RegistrationConfig};
pub use event::{CallHandle, Event, RegistrationHandle};

use crate::ids::IdGenerator;
use crate::inbound::InboundMessage;
use crate::message::{self, ParseError};
use crate::registration::Registration;
use crate::transaction::TimerSettings;
use crate::transport::{Transmit, Transport};
use call::Call;
use transactions::{ClientTx, ServerKey, ServerTx, TxId};

/// Whose timer an entry in the timer queue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerOwner {
    Client(TxId),
    Server(TxId),
    Call(CallHandle),
    Registration(u64),
}

/// A SIP user agent (UAC and UAS) bound to one local address. See the module docs for how
/// to drive it.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    timers: TimerSettings,
    ids: IdGenerator,
    next_handle: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// Lazy timer queue: entries may be stale; owners re-check their own deadlines.
    timer_queue: BinaryHeap<Reverse<(Instant, TimerOwner)>>,
    client_txs: HashMap<TxId, ClientTx>,
    client_index: HashMap<(String, String), TxId>,
    server_txs: HashMap<TxId, ServerTx>,
    server_index: HashMap<ServerKey, TxId>,
    calls: HashMap<CallHandle, Call>,
    /// (Call-ID, our tag) -> call.
    dialogs: HashMap<(String, String), CallHandle>,
    registrations: HashMap<RegistrationHandle, Registration>,
}

impl Endpoint {
    /// A new endpoint with no calls.
    pub fn new(config: EndpointConfig) -> Self {
        let timers = TimerSettings {
            t1: config.t1,
            t2: config.t2,
            t4: config.t4,
        };
        let ids = IdGenerator::new(config.seed);
        Endpoint {
            config,
            timers,
            ids,
            next_handle: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            timer_queue: BinaryHeap::new(),
            client_txs: HashMap::new(),
            client_index: HashMap::new(),
            server_txs: HashMap::new(),
            server_index: HashMap::new(),
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            registrations: HashMap::new(),
        }
    }

    /// The SIP Call-ID of a live call.
    pub fn call_id(&self, call: CallHandle) -> Option<&str> {
        self.calls.get(&call).map(|c| c.dialog.call_id.as_str())
    }

    /// The configuration this endpoint runs with.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Feed one whole SIP message received from `source` (TCP framing is done by the driver).
    /// Never panics, whatever the bytes.
    pub fn handle_input(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        bytes: &[u8],
    ) {
        let parsed = match message::parse(bytes) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.reject_unparsable(transport, source, bytes, &error);
                return;
            }
        };
        let is_request = matches!(parsed, rsip::SipMessage::Request(_));
        match InboundMessage::from_rsip(parsed, bytes) {
            Ok(msg) if is_request => self.on_request(now, transport, source, msg),
            Ok(msg) => self.on_response(now, msg),
            Err(missing) if is_request => {
                let error = ParseError::MissingHeader(missing.0);
                self.reject_unparsable(transport, source, bytes, &error);
            }
            Err(_) => {}
        }
    }

    /// Answer what cannot be parsed: 501 for an unknown method, else 400 when enough of the
    /// request can be recovered; responses and hopeless garbage are dropped silently.
    fn reject_unparsable(
        &mut self,
        transport: Transport,
        source: SocketAddr,
        bytes: &[u8],
        error: &ParseError,
    ) {
        let (code, response) = match error {
            ParseError::UnknownMethod(_) => (
                501,
                message::stateless_response(bytes, 501, "Not Implemented"),
            ),
            _ => (400, message::bad_request(bytes)),
        };
        if let Some(payload) = response {
            self.transmit(transport, source, payload);
            self.events.push_back(Event::RequestRejected {
                source,
                code,
                reason: error.to_string(),
            });
        }
    }

    /// Report that the driver could not send to (or lost the connection to) `destination`:
    /// client transactions towards it fail as if answered 503 (Timer-less transports).
    pub fn handle_transport_error(
        &mut self,
        now: Instant,
        transport: Transport,
        destination: SocketAddr,
    ) {
        let failed: Vec<TxId> = self
            .client_txs
            .iter()
            .filter(|(_, tx)| tx.transport == transport && tx.destination == destination)
            .map(|(id, _)| *id)
            .collect();
        for id in failed {
            self.client_transport_error(now, id);
        }
    }

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, owner))) = self.timer_queue.peek().copied() {
            if at > now {
                break;
            }
            self.timer_queue.pop();
            match owner {
                TimerOwner::Client(id) => self.client_timeout(now, id, at),
                TimerOwner::Server(id) => self.server_timeout(now, id, at),
                TimerOwner::Call(call) => self.call_timeout(now, call, at),
                TimerOwner::Registration(id) => {
                    self.registration_timeout(now, RegistrationHandle(id), at)
                }
            }
        }
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event for the driver.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When `handle_timeout` should be called next (may be early: nothing due is harmless).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer_queue.peek().map(|Reverse((at, _))| *at)
    }

    /// Calls (dialogs, early or confirmed) plus INVITE transactions still lingering after
    /// their call ended to absorb retransmissions. Zero once everything has wound down.
    pub fn active_calls(&self) -> usize {
        let lingering_client = self
            .client_txs
            .values()
            .filter(|tx| tx.is_invite() && !tx.call().is_some_and(|c| self.calls.contains_key(&c)))
            .count();
        let lingering_server = self
            .server_txs
            .values()
            .filter(|tx| tx.is_invite() && !tx.call.is_some_and(|c| self.calls.contains_key(&c)))
            .count();
        self.calls.len() + lingering_client + lingering_server
    }

    /// Every transaction still alive (client and server, any method): for leak checks.
    pub fn pending_transactions(&self) -> usize {
        self.client_txs.len() + self.server_txs.len()
    }

    fn transmit(&mut self, transport: Transport, destination: SocketAddr, payload: Vec<u8>) {
        self.transmits.push_back(Transmit {
            transport,
            destination,
            payload,
        });
    }

    fn next_handle(&mut self) -> u64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        handle
    }

    fn schedule(&mut self, at: Option<Instant>, owner: TimerOwner) {
        if let Some(at) = at {
            self.timer_queue.push(Reverse((at, owner)));
        }
    }
}
