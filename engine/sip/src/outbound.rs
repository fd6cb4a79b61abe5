//! Printing requests and responses: start line, headers in order, Content-Length always.

use std::fmt::Write;
use std::net::SocketAddr;

use crate::inbound::InboundMessage;
use crate::syntax::{param, parse_via, split_host_port};
use crate::transport::Transport;

/// Methods this endpoint handles, for Allow headers.
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";

/// Builds one SIP message as text.
#[derive(Debug, Clone)]
pub(crate) struct MessageWriter {
    text: String,
}

impl MessageWriter {
    /// Start a request: `METHOD uri SIP/2.0`.
    pub(crate) fn request(method: &str, uri: &str) -> Self {
        let mut text = String::with_capacity(640);
        let _ = write!(text, "{method} {uri} SIP/2.0\r\n");
        MessageWriter { text }
    }

    /// Start a response: `SIP/2.0 code reason`.
    pub(crate) fn response(code: u16, reason: &str) -> Self {
        let mut text = String::with_capacity(640);
        let _ = write!(text, "SIP/2.0 {code} {reason}\r\n");
        MessageWriter { text }
    }

    /// Append one header line. CR/LF in `value` are replaced so a value cannot inject lines.
    pub(crate) fn header(&mut self, name: &str, value: &str) -> &mut Self {
        self.text.push_str(name);
        self.text.push_str(": ");
        if value.contains(['\r', '\n']) {
            self.text.push_str(&value.replace(['\r', '\n'], " "));
        } else {
            self.text.push_str(value);
        }
        self.text.push_str("\r\n");
        self
    }

    /// Finish with a body (Content-Type added when the body is not empty).
    pub(crate) fn finish(mut self, content_type: &str, body: &[u8]) -> Vec<u8> {
        if !body.is_empty() {
            self.header("Content-Type", content_type);
        }
        let _ = write!(self.text, "Content-Length: {}\r\n\r\n", body.len());
        let mut bytes = self.text.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    /// Finish without a body.
    pub(crate) fn finish_empty(self) -> Vec<u8> {
        self.finish("", &[])
    }
}

/// Standard reason phrase for the codes this endpoint sends or reports.
pub(crate) fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => match code / 100 {
            1 => "Session Progress",
            2 => "OK",
            3 => "Redirect",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

/// Where a response to `request` goes (RFC 3261 §18.2.2 with RFC 3581 `rport`).
///
/// Over TCP: back on the connection (`source`). Over UDP: the source IP, at the source port if
/// the top Via asks for `rport` or has no port, else at the Via sent-by port.
pub(crate) fn response_destination(
    request: &InboundMessage,
    transport: Transport,
    source: SocketAddr,
) -> SocketAddr {
    if transport.is_reliable() {
        return source;
    }
    let Some(via) = parse_via(&request.top_via) else {
        return source;
    };
    if param(via.params, "rport").is_some() {
        return source;
    }
    match split_host_port(via.sent_by) {
        Some((_, Some(port))) => SocketAddr::new(source.ip(), port),
        _ => source,
    }
}

/// The top Via with `received` (when the sent-by host differs from the source IP) and the
/// filled-in `rport` value (RFC 3581) added.
fn stamped_top_via(top_via: &str, source: SocketAddr) -> String {
    let Some(via) = parse_via(top_via) else {
        return top_via.to_string();
    };
    let host_differs = split_host_port(via.sent_by)
        .map(|(host, _)| host.parse().ok() != Some(source.ip()))
        .unwrap_or(true);
    let mut stamped = String::with_capacity(top_via.len() + 32);
    let prefix_len = top_via.len() - via.params.len();
    stamped.push_str(top_via[..prefix_len].trim_end());
    for p in via
        .params
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        stamped.push(';');
        if p.eq_ignore_ascii_case("rport") {
            let _ = write!(stamped, "rport={}", source.port());
        } else if p.to_ascii_lowercase().starts_with("received=") {
            continue;
        } else {
            stamped.push_str(p);
        }
    }
    if host_differs {
        let _ = write!(stamped, ";received={}", source.ip());
    }
    stamped
}

/// Start a response to `request`: status line, Vias (top one stamped with `received`/`rport`
/// for UDP), From, To (with `to_tag` added if it has none), Call-ID, CSeq.
pub(crate) fn response_to(
    request: &InboundMessage,
    code: u16,
    reason: Option<&str>,
    to_tag: Option<&str>,
    transport: Transport,
    source: SocketAddr,
) -> MessageWriter {
    let mut w = MessageWriter::response(code, reason.unwrap_or_else(|| reason_phrase(code)));
    for (i, via) in request.header_list("Via").into_iter().enumerate() {
        if i == 0 && !transport.is_reliable() {
            w.header("Via", &stamped_top_via(via, source));
        } else {
            w.header("Via", via);
        }
    }
    w.header("From", request.from());
    match (request.to_tag(), to_tag) {
        (None, Some(tag)) => w.header("To", &format!("{};tag={tag}", request.to())),
        _ => w.header("To", request.to()),
    };
    w.header("Call-ID", &request.call_id);
    w.header("CSeq", &format!("{} {}", request.cseq, request.cseq_method));
    w
}

/// Via value for a request we send.
pub(crate) fn via_value(local: SocketAddr, transport: Transport, branch: &str) -> String {
    format!(
        "SIP/2.0/{} {local};branch={branch};rport",
        transport.via_token()
    )
}

/// Contact value for a request or response we send.
pub(crate) fn contact_value(user: Option<&str>, local: SocketAddr, transport: Transport) -> String {
    let transport_param = match transport {
        Transport::Udp => "",
        Transport::Tcp => ";transport=tcp",
    };
    match user.filter(|u| !u.is_empty()) {
        Some(user) => format!("<sip:{user}@{local}{transport_param}>"),
        None => format!("<sip:{local}{transport_param}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_counts_body_bytes() {
        let mut w = MessageWriter::request("INFO", "sip:a@b");
        w.header("X-Evil", "a\r\nInjected: yes");
        let bytes = w.finish("application/dtmf", b"5");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("INFO sip:a@b SIP/2.0\r\n"));
        assert!(text.contains("X-Evil: a  Injected: yes\r\n"));
        assert!(text.ends_with("Content-Type: application/dtmf\r\nContent-Length: 1\r\n\r\n5"));
    }

    #[test]
    fn top_via_gets_received_and_rport() {
        let src: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let via = stamped_top_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx;rport", src);
        assert_eq!(
            via,
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx;rport=40000;received=192.0.2.7"
        );
        let via = stamped_top_via("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKx", src);
        assert_eq!(via, "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKx");
    }

    #[test]
    fn contact_forms() {
        let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        assert_eq!(
            contact_value(Some("bot"), local, Transport::Tcp),
            "<sip:bot@127.0.0.1:5060;transport=tcp>"
        );
        assert_eq!(
            contact_value(None, local, Transport::Udp),
            "<sip:127.0.0.1:5060>"
        );
    }
}
