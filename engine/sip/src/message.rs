//! SIP message front: a normalising layer in front of `rsip`.
//!
//! `rsip` 0.4 parses clean RFC 3261 text but rejects or mangles much of what real peers send
//! (compact header names, LF-only line endings, folded headers, a space before the colon,
//! multi-value `Via`, trailing bytes after the body). [`normalise`] rewrites a message into the
//! canonical form `rsip` understands and enforces size limits; [`parse`] normalises, parses and
//! checks the mandatory headers, so a message it returns always has `Via`, `From`, `To`,
//! `Call-ID` and a well-formed `CSeq`.
//!
//! Known `rsip` gaps this front does not paper over: IPv6 hosts and `tel:` URIs in the
//! Request-URI fail to parse, and fail in the typed forms of `From`/`To`/`Via`/`Contact`.
//!
//! For TCP, [`StreamFramer`] cuts a byte stream into messages; for a request that cannot be
//! parsed, [`bad_request`] builds the `400` to send back.

mod framer;
mod lookup;
mod normalise;
mod stateless;

pub use framer::StreamFramer;
pub use lookup::{header_value, header_values};
pub use normalise::normalise;
pub use stateless::{bad_request, stateless_response};

use rsip::headers::ToTypedHeader;
use rsip::prelude::HeadersExt;

/// Largest SIP message accepted, in bytes (header section and body).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Largest number of header fields accepted in one message (after splitting `Via` lists).
pub const MAX_HEADERS: usize = 200;

/// Why a datagram or stream segment is not a usable SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The header section is not terminated by an empty line (or the input is empty).
    #[error("truncated message: no end of header section")]
    Truncated,
    /// The body is shorter than the `Content-Length` header says.
    #[error("body truncated: Content-Length {declared}, {actual} bytes present")]
    BodyTruncated {
        /// Length declared by `Content-Length`.
        declared: usize,
        /// Bytes actually present after the header section.
        actual: usize,
    },
    /// The message is larger than [`MAX_MESSAGE_SIZE`].
    #[error("message too large: {size} bytes, limit {limit}")]
    TooLarge {
        /// Size seen (for a stream: the bytes needed so far).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message has more than [`MAX_HEADERS`] header fields.
    #[error("too many header fields (limit {limit})")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The header section is not valid UTF-8.
    #[error("header section is not valid UTF-8")]
    BadEncoding,
    /// `Content-Length` is not a number, or several disagree.
    #[error("bad Content-Length: {0}")]
    BadContentLength(String),
    /// A stream message has a body (a `Content-Type`) but no `Content-Length`.
    #[error("missing Content-Length on a stream transport")]
    MissingContentLength,
    /// A header field that every request and response must carry is absent.
    #[error("missing mandatory header {0}")]
    MissingHeader(&'static str),
    /// The request method is not one this stack knows (answer `501 Not Implemented`).
    #[error("unknown method {0}")]
    UnknownMethod(String),
    /// Anything else that makes the text not SIP.
    #[error("malformed SIP message: {0}")]
    Malformed(String),
}

/// Parse one complete SIP message: [`normalise`], parse with `rsip`, check mandatory headers.
///
/// A message returned here has at least one `Via`, a `From`, a `To`, a `Call-ID` and a `CSeq`
/// whose typed form parses and, for a request, whose method matches the request method.
pub fn parse(bytes: &[u8]) -> Result<rsip::SipMessage, ParseError> {
    let normalised = normalise(bytes)?;
    check_start_line(&normalised)?;
    let message = rsip::SipMessage::try_from(normalised.as_slice())
        .map_err(|e| ParseError::Malformed(short_error(&e.to_string())))?;
    check_mandatory_headers(&message)?;
    Ok(message)
}

/// Check the start line's shape, and reject a request whose method `rsip` cannot represent
/// with a precise error.
fn check_start_line(normalised: &[u8]) -> Result<(), ParseError> {
    let first_line_end = normalised
        .iter()
        .position(|b| *b == b'\r')
        .unwrap_or(normalised.len());
    let first_line = String::from_utf8_lossy(normalised.get(..first_line_end).unwrap_or_default());
    if first_line.starts_with("SIP/") {
        return Ok(());
    }
    let parts: Vec<&str> = first_line.split(' ').collect();
    let [method, _uri, version] = parts.as_slice() else {
        return Err(ParseError::Malformed(format!(
            "bad request line: {}",
            first_line.chars().take(40).collect::<String>()
        )));
    };
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(ParseError::Malformed(format!(
            "unsupported version: {}",
            version.chars().take(20).collect::<String>()
        )));
    }
    if method.parse::<rsip::Method>().is_err() {
        return Err(ParseError::UnknownMethod(method.chars().take(32).collect()));
    }
    Ok(())
}

fn check_mandatory_headers(message: &rsip::SipMessage) -> Result<(), ParseError> {
    message
        .via_header()
        .map_err(|_| ParseError::MissingHeader("Via"))?;
    message
        .from_header()
        .map_err(|_| ParseError::MissingHeader("From"))?;
    message
        .to_header()
        .map_err(|_| ParseError::MissingHeader("To"))?;
    message
        .call_id_header()
        .map_err(|_| ParseError::MissingHeader("Call-ID"))?;
    let cseq = message
        .cseq_header()
        .map_err(|_| ParseError::MissingHeader("CSeq"))?
        .typed()
        .map_err(|_| ParseError::Malformed("bad CSeq".into()))?;
    if let rsip::SipMessage::Request(request) = message
        && cseq.method != request.method
    {
        return Err(ParseError::Malformed(format!(
            "CSeq method {} does not match request method {}",
            cseq.method, request.method
        )));
    }
    Ok(())
}

/// First line of an `rsip` error, capped: its messages can quote the whole input.
fn short_error(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    first.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
        Max-Forwards: 70\r\n\
        From: Alice <sip:alice@example.org>;tag=1928301774\r\n\
        To: Bob <sip:bob@example.com>\r\n\
        Call-ID: a84b4c76e66710@pc33.example.org\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:alice@10.0.0.1>\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn parses_a_plain_invite() {
        let message = parse(INVITE.as_bytes()).expect("valid INVITE");
        assert!(message.is_request());
        assert_eq!(
            header_value(&message, "call-id"),
            Some("a84b4c76e66710@pc33.example.org")
        );
    }

    #[test]
    fn unknown_method_is_reported_as_such() {
        let text = INVITE
            .replace("INVITE sip:", "FOO sip:")
            .replace("314159 INVITE", "314159 FOO");
        assert_eq!(
            parse(text.as_bytes()),
            Err(ParseError::UnknownMethod("FOO".into()))
        );
    }

    #[test]
    fn cseq_method_mismatch_is_malformed() {
        let text = INVITE.replace("314159 INVITE", "314159 BYE");
        assert!(matches!(
            parse(text.as_bytes()),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn each_mandatory_header_is_required() {
        for (line, name) in [
            (
                "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n",
                "Via",
            ),
            (
                "From: Alice <sip:alice@example.org>;tag=1928301774\r\n",
                "From",
            ),
            ("To: Bob <sip:bob@example.com>\r\n", "To"),
            ("Call-ID: a84b4c76e66710@pc33.example.org\r\n", "Call-ID"),
            ("CSeq: 314159 INVITE\r\n", "CSeq"),
        ] {
            let text = INVITE.replace(line, "");
            assert_eq!(parse(text.as_bytes()), Err(ParseError::MissingHeader(name)));
        }
    }

    #[test]
    fn rsip_errors_are_shortened() {
        let long = format!("bad\n{}", "x".repeat(500));
        assert_eq!(short_error(&long), "bad");
        assert_eq!(short_error(&"y".repeat(500)).len(), 120);
    }
}
