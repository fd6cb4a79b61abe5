//! Dialog state (RFC 3261 §12): identifiers, CSeq counters, route set and remote target,
//! and construction of in-dialog requests.

use std::net::SocketAddr;

use crate::outbound::{MessageWriter, via_value};
use crate::syntax::{param, parse_name_addr, uri_socket_addr};
use crate::transport::Transport;

/// One side's view of a dialog (early or confirmed).
#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag, once known (UAC: from the first response carrying one).
    pub remote_tag: Option<String>,
    /// Our From/To header value, our tag included.
    pub local_party: String,
    /// The peer's From/To header value, its tag included once known.
    pub remote_party: String,
    /// Where in-dialog requests are addressed (the peer's Contact URI).
    pub remote_target: String,
    /// Route values for in-dialog requests, in the order they are sent.
    pub route_set: Vec<String>,
    /// Last CSeq number we used.
    pub local_cseq: u32,
    /// Last CSeq number the peer used.
    pub remote_cseq: Option<u32>,
    /// Transport of the dialog.
    pub transport: Transport,
    /// Fallback next hop: where the dialog-creating request came from / went to.
    pub peer: SocketAddr,
    /// Our Contact value.
    pub local_contact: String,
    /// Our advertised address (for Via).
    pub local_addr: SocketAddr,
}

impl Dialog {
    /// Where the next in-dialog request goes (no DNS here): over TCP the existing peer
    /// connection; over UDP the first route, else the remote target, when it is an IP literal;
    /// otherwise the peer the dialog was set up with.
    pub(crate) fn next_hop(&self) -> SocketAddr {
        if self.transport.is_reliable() {
            return self.peer;
        }
        let first_hop = match self.route_set.first() {
            Some(route) => parse_name_addr(route).map(|n| n.uri),
            None => Some(self.remote_target.as_str()),
        };
        first_hop.and_then(uri_socket_addr).unwrap_or(self.peer)
    }

    /// Request-URI and Route values, handling a strict-routing first hop (§12.2.1.1).
    fn request_uri_and_routes(&self) -> (String, Vec<String>) {
        let strict = self.route_set.first().and_then(|route| {
            let first = parse_name_addr(route)?;
            let loose = first
                .uri
                .split_once(';')
                .is_some_and(|(_, params)| param(&format!(";{params}"), "lr").is_some());
            (!loose).then(|| first.uri.to_string())
        });
        match strict {
            Some(first_uri) => {
                let mut routes: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
                routes.push(format!("<{}>", self.remote_target));
                (first_uri, routes)
            }
            None => (self.remote_target.clone(), self.route_set.clone()),
        }
    }

    /// Start an in-dialog request with a fresh CSeq (Via, Route, Max-Forwards, From, To,
    /// Call-ID, CSeq, Contact for target-refreshing methods). The caller adds the rest.
    pub(crate) fn request(&mut self, method: &str, branch: &str) -> MessageWriter {
        self.local_cseq = self.local_cseq.wrapping_add(1);
        let cseq = self.local_cseq;
        self.request_with_cseq(method, branch, cseq)
    }

    /// The ACK for a 2xx to the INVITE with CSeq `cseq` (new branch, §13.2.2.4).
    pub(crate) fn ack(&self, cseq: u32, branch: &str) -> Vec<u8> {
        self.request_with_cseq("ACK", branch, cseq).finish_empty()
    }

    fn request_with_cseq(&self, method: &str, branch: &str, cseq: u32) -> MessageWriter {
        let (uri, routes) = self.request_uri_and_routes();
        let mut w = MessageWriter::request(method, &uri);
        w.header("Via", &via_value(self.local_addr, self.transport, branch));
        for route in &routes {
            w.header("Route", route);
        }
        w.header("Max-Forwards", "70")
            .header("From", &self.local_party)
            .header("To", &self.remote_party)
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{cseq} {method}"));
        if matches!(method, "INVITE" | "UPDATE") {
            w.header("Contact", &self.local_contact);
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog() -> Dialog {
        Dialog {
            call_id: "c@h".into(),
            local_tag: "l".into(),
            remote_tag: Some("r".into()),
            local_party: "<sip:bot@127.0.0.1>;tag=l".into(),
            remote_party: "<sip:alice@10.0.0.1>;tag=r".into(),
            remote_target: "sip:alice@10.0.0.1:5070".into(),
            route_set: vec![],
            local_cseq: 1,
            remote_cseq: Some(5),
            transport: Transport::Udp,
            peer: "10.0.0.2:5060".parse().unwrap(),
            local_contact: "<sip:bot@127.0.0.1:5060>".into(),
            local_addr: "127.0.0.1:5060".parse().unwrap(),
        }
    }

    #[test]
    fn bye_goes_to_remote_target_with_next_cseq() {
        let mut d = dialog();
        let bye = String::from_utf8(d.request("BYE", "z9hG4bKb").finish_empty()).unwrap();
        assert!(bye.starts_with("BYE sip:alice@10.0.0.1:5070 SIP/2.0\r\n"));
        assert!(bye.contains("CSeq: 2 BYE\r\n"));
        assert!(bye.contains("To: <sip:alice@10.0.0.1>;tag=r\r\n"));
        assert!(!bye.contains("Contact"));
        assert_eq!(d.next_hop(), "10.0.0.1:5070".parse().unwrap());
    }

    #[test]
    fn loose_route_set_is_the_next_hop() {
        let mut d = dialog();
        d.route_set = vec!["<sip:10.9.9.9:5080;lr>".into(), "<sip:proxy2;lr>".into()];
        let text = String::from_utf8(d.ack(1, "z9hG4bKa")).unwrap();
        assert!(text.starts_with("ACK sip:alice@10.0.0.1:5070 SIP/2.0\r\n"));
        assert!(text.contains("Route: <sip:10.9.9.9:5080;lr>\r\nRoute: <sip:proxy2;lr>\r\n"));
        assert!(text.contains("CSeq: 1 ACK\r\n"));
        assert_eq!(d.next_hop(), "10.9.9.9:5080".parse().unwrap());
        d.route_set = vec!["<sip:gw.example;lr>".into()];
        assert_eq!(d.next_hop(), d.peer, "names are not resolved here");
    }

    #[test]
    fn strict_router_becomes_request_uri() {
        let mut d = dialog();
        d.route_set = vec!["<sip:10.9.9.9>".into()];
        let text = String::from_utf8(d.request("BYE", "z9hG4bKc").finish_empty()).unwrap();
        assert!(text.starts_with("BYE sip:10.9.9.9 SIP/2.0\r\n"));
        assert!(text.contains("Route: <sip:alice@10.0.0.1:5070>\r\n"));
    }
}
