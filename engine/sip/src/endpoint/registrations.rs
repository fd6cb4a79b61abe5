//! Driving the registration clients: sending REGISTERs and turning outcomes into events.

use std::time::Instant;

use super::transactions::ClientOwner;
use super::{Endpoint, Event, RegistrationConfig, RegistrationHandle, TimerOwner};
use crate::inbound::InboundMessage;
use crate::registration::{RegisterOutcome, Registration};

impl Endpoint {
    /// Start registering; the binding is refreshed before it expires and retried with
    /// back-off after failures, until [`unregister`](Self::unregister).
    pub fn register(&mut self, now: Instant, config: RegistrationConfig) -> RegistrationHandle {
        let handle = RegistrationHandle(self.next_handle());
        let call_id = self.ids.call_id(&self.config.local_addr.ip().to_string());
        let tag = self.ids.tag();
        self.registrations
            .insert(handle, Registration::new(config, call_id, tag));
        self.send_register(now, handle);
        handle
    }

    /// Remove the binding (REGISTER with `Expires: 0`); `Registered { expires: 0 }` follows
    /// on success, then the registration is forgotten.
    pub fn unregister(&mut self, now: Instant, registration: RegistrationHandle) {
        let Some(reg) = self.registrations.get_mut(&registration) else {
            return;
        };
        reg.start_unregister();
        for tx in self.client_txs.values_mut() {
            if tx.owner == ClientOwner::Register(registration) {
                tx.owner = ClientOwner::Detached;
            }
        }
        self.send_register(now, registration);
    }

    fn send_register(&mut self, now: Instant, handle: RegistrationHandle) {
        let branch = self.ids.branch();
        let cnonce = self.ids.cnonce();
        let (local, user_agent) = (self.config.local_addr, self.config.user_agent.clone());
        let Some(reg) = self.registrations.get_mut(&handle) else {
            return;
        };
        let bytes = reg.build_request(local, &user_agent, &branch, &cnonce);
        let (registrar, transport) = reg.registrar();
        self.start_non_invite_transaction(
            now,
            bytes,
            &branch,
            "REGISTER",
            registrar,
            transport,
            ClientOwner::Register(handle),
        );
    }

    pub(super) fn registration_response(
        &mut self,
        now: Instant,
        handle: RegistrationHandle,
        msg: &InboundMessage,
    ) {
        if msg.status().is_none_or(|c| c < 200) {
            return;
        }
        let local = self.config.local_addr;
        let Some(reg) = self.registrations.get_mut(&handle) else {
            return;
        };
        let outcome = reg.on_final(now, msg, local);
        self.registration_outcome(now, handle, outcome);
    }

    pub(super) fn registration_no_response(
        &mut self,
        now: Instant,
        handle: RegistrationHandle,
        code: u16,
    ) {
        let Some(reg) = self.registrations.get_mut(&handle) else {
            return;
        };
        let outcome = reg.on_no_response(now, code);
        self.registration_outcome(now, handle, outcome);
    }

    fn registration_outcome(
        &mut self,
        now: Instant,
        registration: RegistrationHandle,
        outcome: RegisterOutcome,
    ) {
        match outcome {
            RegisterOutcome::Registered(expires) => {
                self.events.push_back(Event::Registered {
                    registration,
                    expires,
                });
            }
            RegisterOutcome::Unregistered => {
                self.events.push_back(Event::Registered {
                    registration,
                    expires: 0,
                });
                self.registrations.remove(&registration);
            }
            RegisterOutcome::ResendNow => self.send_register(now, registration),
            RegisterOutcome::Failed { code, retry_in } => {
                self.events.push_back(Event::RegistrationFailed {
                    registration,
                    code,
                    retry_in,
                });
                if retry_in.is_zero() {
                    self.registrations.remove(&registration);
                }
            }
        }
        let next = self
            .registrations
            .get(&registration)
            .and_then(Registration::next_deadline);
        self.schedule(next, TimerOwner::Registration(registration.0));
    }

    pub(super) fn registration_timeout(
        &mut self,
        now: Instant,
        handle: RegistrationHandle,
        _fired: Instant,
    ) {
        let due = self
            .registrations
            .get_mut(&handle)
            .is_some_and(|reg| reg.take_due(now));
        if due {
            self.send_register(now, handle);
        }
    }
}
