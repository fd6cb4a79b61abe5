//! A received SIP message flattened to raw headers, with the mandatory ones checked.

use crate::syntax::{self, parse_cseq, parse_name_addr, parse_via};

/// Request line or status line of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartLine {
    /// `METHOD uri SIP/2.0`.
    Request {
        /// Upper-case method name.
        method: String,
        /// Request-URI as text.
        uri: String,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
    },
}

/// A message whose Via, From, To, Call-ID and CSeq were found and are well formed.
#[derive(Debug, Clone)]
pub(crate) struct InboundMessage {
    /// Request or status line.
    pub start: StartLine,
    headers: Vec<(String, String)>,
    /// Message body (already cut to Content-Length by the parser front).
    pub body: Vec<u8>,
    /// Call-ID value.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// CSeq method.
    pub cseq_method: String,
    /// Topmost Via value.
    pub top_via: String,
}

/// The mandatory header that was missing or malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingHeader(pub &'static str);

/// Compact forms (RFC 3261 §7.3.3) accepted as aliases on lookup.
const COMPACT: &[(&str, &str)] = &[
    ("via", "v"),
    ("from", "f"),
    ("to", "t"),
    ("call-id", "i"),
    ("contact", "m"),
    ("content-type", "c"),
    ("content-length", "l"),
    ("supported", "k"),
    ("subject", "s"),
    ("content-encoding", "e"),
];

fn name_matches(candidate: &str, wanted: &str) -> bool {
    if candidate.eq_ignore_ascii_case(wanted) {
        return true;
    }
    COMPACT.iter().any(|(long, short)| {
        (wanted.eq_ignore_ascii_case(long) && candidate.eq_ignore_ascii_case(short))
            || (wanted.eq_ignore_ascii_case(short) && candidate.eq_ignore_ascii_case(long))
    })
}

impl InboundMessage {
    /// Flatten an rsip message parsed from `raw`; fails when a header needed for transaction
    /// matching is absent. The reason phrase is taken from `raw` (rsip rewrites known ones).
    pub(crate) fn from_rsip(msg: rsip::SipMessage, raw: &[u8]) -> Result<Self, MissingHeader> {
        let (start, headers, body) = match msg {
            rsip::SipMessage::Request(r) => (
                StartLine::Request {
                    method: r.method.to_string().to_ascii_uppercase(),
                    uri: r.uri.to_string(),
                },
                r.headers,
                r.body,
            ),
            rsip::SipMessage::Response(r) => {
                let code = r.status_code.code();
                let reason = raw_reason_phrase(raw)
                    .unwrap_or_else(|| crate::outbound::reason_phrase(code).to_string());
                (StartLine::Response { code, reason }, r.headers, r.body)
            }
        };
        let headers: Vec<(String, String)> = headers
            .iter()
            .filter_map(|h| {
                let text = h.to_string();
                let (name, value) = text.split_once(':')?;
                Some((name.trim().to_string(), value.trim().to_string()))
            })
            .collect();
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| name_matches(n, name))
                .map(|(_, v)| v.as_str())
        };
        let top_via = find("Via")
            .and_then(|v| syntax::split_list(v).first().map(|s| s.to_string()))
            .filter(|v| parse_via(v).is_some())
            .ok_or(MissingHeader("Via"))?;
        let call_id = find("Call-ID")
            .filter(|v| !v.is_empty())
            .ok_or(MissingHeader("Call-ID"))?
            .to_string();
        let (cseq, cseq_method) = find("CSeq")
            .and_then(parse_cseq)
            .map(|(n, m)| (n, m.to_ascii_uppercase()))
            .ok_or(MissingHeader("CSeq"))?;
        find("From")
            .and_then(parse_name_addr)
            .ok_or(MissingHeader("From"))?;
        find("To")
            .and_then(parse_name_addr)
            .ok_or(MissingHeader("To"))?;
        Ok(InboundMessage {
            start,
            headers,
            body,
            call_id,
            cseq,
            cseq_method,
            top_via,
        })
    }

    /// The request method, for requests.
    pub(crate) fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for responses.
    pub(crate) fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The Request-URI, for requests.
    pub(crate) fn request_uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// First value of a header (case-insensitive, compact forms accepted).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| name_matches(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, comma lists split, in order of appearance.
    pub(crate) fn header_list(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| name_matches(n, name))
            .flat_map(|(_, v)| syntax::split_list(v))
            .collect()
    }

    /// Every raw value of a header (one per header line), unsplit.
    pub(crate) fn header_lines(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| name_matches(n, name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The From header value (checked present in `from_rsip`).
    pub(crate) fn from(&self) -> &str {
        self.header("From").unwrap_or_default()
    }

    /// The To header value (checked present in `from_rsip`).
    pub(crate) fn to(&self) -> &str {
        self.header("To").unwrap_or_default()
    }

    /// `tag` parameter of From.
    pub(crate) fn tag_in_from(&self) -> Option<&str> {
        tag_of(self.from())
    }

    /// `tag` parameter of To.
    pub(crate) fn to_tag(&self) -> Option<&str> {
        tag_of(self.to())
    }

    /// `branch` parameter of the top Via.
    pub(crate) fn branch(&self) -> Option<&str> {
        parse_via(&self.top_via).and_then(|v| syntax::param(v.params, "branch"))
    }

    /// URI of the first Contact, if any.
    pub(crate) fn contact_uri(&self) -> Option<&str> {
        self.header_list("Contact")
            .first()
            .and_then(|c| parse_name_addr(c))
            .map(|n| n.uri)
    }

    /// Whether the body is present and labelled (or unlabelled and looking like) SDP.
    pub(crate) fn sdp_body(&self) -> Option<&[u8]> {
        if self.body.is_empty() {
            return None;
        }
        let is_sdp = match self.header("Content-Type") {
            Some(ct) => ct
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp")),
            None => self.body.starts_with(b"v=0"),
        };
        is_sdp.then_some(self.body.as_slice())
    }
}

/// The reason phrase of a status line `SIP/2.0 486 Busy Here`.
fn raw_reason_phrase(raw: &[u8]) -> Option<String> {
    let start = raw.iter().position(|b| !b.is_ascii_whitespace())?;
    let raw = raw.get(start..)?;
    let end = raw.iter().position(|&b| b == b'\r' || b == b'\n')?;
    let line = std::str::from_utf8(raw.get(..end)?).ok()?;
    let mut parts = line.splitn(3, ' ');
    let (_version, _code) = (parts.next()?, parts.next()?);
    let reason = parts.next()?.trim();
    (!reason.is_empty()).then(|| reason.to_string())
}

fn tag_of(value: &str) -> Option<&str> {
    parse_name_addr(value)
        .and_then(|n| syntax::param(n.params, "tag"))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<InboundMessage, MissingHeader> {
        let msg = rsip::SipMessage::try_from(text.as_bytes()).expect("rsip parses the fixture");
        InboundMessage::from_rsip(msg, text.as_bytes())
    }

    const INVITE: &str = "INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport\r\n\
        Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK0\r\n\
        Max-Forwards: 70\r\n\
        From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1\r\n\
        To: <sip:bob@127.0.0.1>\r\n\
        Call-ID: c1@host\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:alice@127.0.0.1:5070>\r\n\
        Record-Route: <sip:p1;lr>, <sip:p2;lr>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 4\r\n\r\nv=0\n";

    #[test]
    fn flattens_request() {
        let m = parse(INVITE).unwrap();
        assert_eq!(m.method(), Some("INVITE"));
        assert_eq!(m.request_uri(), Some("sip:bob@127.0.0.1:5060"));
        assert_eq!(m.branch(), Some("z9hG4bK1"));
        assert_eq!(m.tag_in_from(), Some("a1"));
        assert_eq!(m.to_tag(), None);
        assert_eq!((m.cseq, m.cseq_method.as_str()), (1, "INVITE"));
        assert_eq!(m.header_list("via").len(), 2);
        assert_eq!(
            m.header_list("Record-Route"),
            vec!["<sip:p1;lr>", "<sip:p2;lr>"]
        );
        assert_eq!(m.contact_uri(), Some("sip:alice@127.0.0.1:5070"));
        assert_eq!(m.sdp_body(), Some(&b"v=0\n"[..]));
    }

    #[test]
    fn missing_call_id_is_reported() {
        let text = INVITE.replace("Call-ID: c1@host\r\n", "");
        assert_eq!(parse(&text).unwrap_err(), MissingHeader("Call-ID"));
    }

    #[test]
    fn flattens_response() {
        let text = "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
            From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 2 INVITE\r\n\
            Reason: Q.850;cause=17\r\nContent-Length: 0\r\n\r\n";
        let m = parse(text).unwrap();
        assert_eq!(m.status(), Some(486));
        assert_eq!(
            m.start,
            StartLine::Response {
                code: 486,
                reason: "Busy Here".into()
            }
        );
        assert_eq!(m.to_tag(), Some("2"));
        assert_eq!(m.header("reason"), Some("Q.850;cause=17"));
    }
}
