//! Incoming requests: retransmission absorption, source policy, and dispatch by method.

use std::net::SocketAddr;
use std::time::Instant;

use super::Endpoint;
use super::transactions::{ServerKey, TxId};
use crate::inbound::InboundMessage;
use crate::outbound::ALLOW;
use crate::transport::Transport;

/// Option tags we accept in Require (RFC 3261 §8.2.2.3). `timer` is tolerated: without a
/// Session-Expires in our answer the peer is the refresher, and refreshes are answered.
const SUPPORTED_REQUIRE: &[&str] = &["timer"];

impl Endpoint {
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        msg: InboundMessage,
    ) {
        let method = msg.method().unwrap_or_default().to_string();
        let is_ack = method == "ACK";
        if let Some(id) = self.find_server_transaction(&ServerKey::of(&msg, &method))
            && self.server_retransmission(now, id, is_ack)
        {
            return;
        }
        let allowed = self.source_allowed(source);
        if is_ack {
            if allowed {
                self.on_ack(now, &msg);
            }
            return;
        }
        let id = self.open_server_transaction(msg, transport, source);
        if !allowed {
            self.respond_simple(now, id, 403, "source not in allowed_sources");
            return;
        }
        if method != self.server_request(id).cseq_method {
            self.respond_simple(now, id, 400, "CSeq method does not match the request");
            return;
        }
        if method != "CANCEL"
            && let Some(unsupported) = self.unsupported_requirements(id)
        {
            self.respond(
                now,
                id,
                420,
                None,
                |w, _| {
                    w.header("Unsupported", &unsupported);
                },
                ("", &[]),
            );
            self.events.push_back(crate::Event::RequestRejected {
                source,
                code: 420,
                reason: "unsupported extension required".to_string(),
            });
            return;
        }
        let has_to_tag = self.server_request(id).to_tag().is_some();
        match method.as_str() {
            "INVITE" if has_to_tag => self.on_reinvite(now, id),
            "INVITE" => self.on_new_invite(now, id),
            "CANCEL" => self.on_cancel(now, id),
            "BYE" => self.on_bye(now, id),
            "INFO" => self.on_info(now, id),
            "UPDATE" => self.on_update(now, id),
            "OPTIONS" => self.on_options(now, id),
            _ => {
                self.respond(
                    now,
                    id,
                    405,
                    None,
                    |w, _| {
                        w.header("Allow", ALLOW);
                    },
                    ("", &[]),
                );
                self.events.push_back(crate::Event::RequestRejected {
                    source,
                    code: 405,
                    reason: format!("method {method} not allowed"),
                });
            }
        }
    }

    /// The request a server transaction answers. Only called with ids just opened.
    pub(super) fn server_request(&self, id: TxId) -> &InboundMessage {
        match self.server_txs.get(&id) {
            Some(tx) => &tx.request,
            // Invariant: callers pass the id returned by `open_server_transaction` in the same
            // input step, and nothing removes a transaction before it has answered.
            None => unreachable!("server transaction {id:?} vanished before answering"),
        }
    }

    fn source_allowed(&self, source: SocketAddr) -> bool {
        let allowed = &self.config.allowed_sources;
        allowed.is_empty() || allowed.iter().any(|net| net.contains(&source.ip()))
    }

    /// Require option tags we do not support, comma separated, if any.
    fn unsupported_requirements(&self, id: TxId) -> Option<String> {
        let request = self.server_request(id);
        let unsupported: Vec<&str> = request
            .header_list("Require")
            .into_iter()
            .filter(|tag| {
                !SUPPORTED_REQUIRE
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(tag))
            })
            .collect();
        (!unsupported.is_empty()).then(|| unsupported.join(", "))
    }

    /// OPTIONS (in or out of a dialog): 200 with what we support.
    fn on_options(&mut self, now: Instant, id: TxId) {
        self.respond(
            now,
            id,
            200,
            None,
            |w, _| {
                w.header("Allow", ALLOW)
                    .header("Accept", "application/sdp")
                    .header("Accept-Encoding", "identity")
                    .header("Accept-Language", "en");
            },
            ("", &[]),
        );
    }
}
