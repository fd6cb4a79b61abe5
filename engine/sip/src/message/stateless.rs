//! Responses to requests that cannot be parsed, built by lenient line scanning.

use md5::{Digest, Md5};

use super::normalise::{find_header_end, long_name};
use super::{MAX_MESSAGE_SIZE, ParseError, parse};

/// A `SIP/2.0 400` response to a malformed request, or `None` if `bytes` look like a response
/// or the headers a response needs (`Via`, `From`, `To`, `Call-ID`, `CSeq`) cannot be found.
///
/// The reason phrase says what was wrong, e.g. `Bad Request (missing mandatory header CSeq)`.
/// See [`stateless_response`] for how the headers are copied.
pub fn bad_request(bytes: &[u8]) -> Option<Vec<u8>> {
    let reason = match parse(bytes) {
        Ok(_) => "Bad Request".to_owned(),
        Err(error) => format!("Bad Request ({})", reason_detail(&error)),
    };
    stateless_response(bytes, 400, &reason)
}

/// A response with `status` and `reason` to a request that may be malformed (e.g. `501 Not
/// Implemented` for [`ParseError::UnknownMethod`]), built by scanning lines leniently.
///
/// Copies every `Via` (in order), `From`, `To`, `Call-ID` and `CSeq`. If `To` has no tag, a tag
/// derived from `Call-ID`, top `Via` and `CSeq` is added (RFC 3261 §8.2.6.2), so retransmissions
/// of the same request get the same response. Returns `None` for a response, or if a needed
/// header is missing or holds control characters. Control characters in `reason` are dropped.
pub fn stateless_response(bytes: &[u8], status: u16, reason: &str) -> Option<Vec<u8>> {
    let bytes = bytes.get(..bytes.len().min(MAX_MESSAGE_SIZE))?;
    let head_end = find_header_end(bytes).map_or(bytes.len(), |(end, _)| end);
    let head = String::from_utf8_lossy(bytes.get(..head_end)?);
    let mut lines = head
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .skip_while(|line| line.is_empty());
    let start_line = lines.next()?;
    if start_line.starts_with("SIP/") || !start_line.contains(' ') {
        return None;
    }

    let headers = unfolded_headers(lines);
    let find = |wanted: &str| -> Option<&str> {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
    };
    let vias: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Via"))
        .map(|(_, value)| value.as_str())
        .collect();
    let top_via = vias.first()?;
    let from = find("From")?;
    let to = find("To")?;
    let call_id = find("Call-ID")?;
    let cseq = find("CSeq")?;
    let needed = vias.iter().chain([&from, &to, &call_id, &cseq]);
    if needed.clone().any(|v| v.is_empty() || has_control(v)) {
        return None;
    }

    let to = if has_tag(to) {
        to.to_owned()
    } else {
        format!("{to};tag={}", derived_tag(call_id, top_via, cseq))
    };
    let reason: String = reason.chars().filter(|c| !c.is_control()).collect();
    let mut out = format!("SIP/2.0 {status} {reason}\r\n");
    for via in &vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    out.push_str(&format!(
        "From: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    ));
    Some(out.into_bytes())
}

/// Header (name, value) pairs with continuation lines joined and compact names expanded;
/// lines without a colon are skipped.
fn unfolded_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((long_name(name.trim()).to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

fn has_control(value: &str) -> bool {
    value.chars().any(|c| c.is_control() && c != '\t')
}

/// Whether a `To` value carries a `tag` parameter (outside the `<...>` URI).
fn has_tag(to: &str) -> bool {
    let params = to.rsplit_once('>').map_or(to, |(_, after)| after);
    params
        .split(';')
        .skip(1)
        .any(|p| p.trim().to_ascii_lowercase().starts_with("tag="))
}

/// A tag that is the same for every retransmission of one request.
fn derived_tag(call_id: &str, top_via: &str, cseq: &str) -> String {
    let mut hasher = Md5::new();
    for part in [call_id, top_via, cseq] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A short description of a parse error for a reason phrase.
fn reason_detail(error: &ParseError) -> String {
    let text = error.to_string();
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_CSEQ_NUMBER: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
        v: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK0\r\n\
        From: <sip:a@x>;tag=1\r\n\
        To: <sip:b@y>\r\n\
        Call-ID: abc\r\n\
        CSeq: INVITE\r\n\r\n";

    #[test]
    fn copies_headers_and_adds_a_stable_to_tag() {
        let response = bad_request(NO_CSEQ_NUMBER.as_bytes()).expect("a 400");
        let text = String::from_utf8(response.clone()).expect("utf-8");
        assert!(text.starts_with("SIP/2.0 400 Bad Request ("), "{text}");
        assert!(
            text.contains(
                "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK0\r\n"
            ),
            "{text}"
        );
        assert!(text.contains("To: <sip:b@y>;tag="), "{text}");
        assert!(text.contains("CSeq: INVITE\r\n"), "{text}");
        assert_eq!(
            bad_request(NO_CSEQ_NUMBER.as_bytes()),
            Some(response.clone())
        );
        // The copied CSeq is still the bad one, so only rsip's own parser can read it back.
        let parsed = rsip::SipMessage::try_from(response.as_slice()).expect("rsip reads our 400");
        assert!(parsed.is_response());
    }

    #[test]
    fn keeps_an_existing_to_tag() {
        let text = NO_CSEQ_NUMBER.replace("To: <sip:b@y>", "To: <sip:b@y>;tag=xyz");
        let response =
            String::from_utf8(bad_request(text.as_bytes()).expect("a 400")).expect("utf-8");
        assert!(response.contains("To: <sip:b@y>;tag=xyz\r\n"), "{response}");
    }

    #[test]
    fn none_for_responses_and_missing_headers() {
        assert_eq!(bad_request(b"SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n"), None);
        let text = NO_CSEQ_NUMBER.replace("Call-ID: abc\r\n", "");
        assert_eq!(bad_request(text.as_bytes()), None);
        assert_eq!(bad_request(b"\x00\x01\x02"), None);
    }

    #[test]
    fn custom_status() {
        let response = stateless_response(NO_CSEQ_NUMBER.as_bytes(), 501, "Not\r\nImplemented")
            .expect("a 501");
        assert!(response.starts_with(b"SIP/2.0 501 NotImplemented\r\n"));
    }

    #[test]
    fn has_tag_ignores_uri_parameters() {
        assert!(!has_tag("<sip:b@y;tag=no>"));
        assert!(has_tag("<sip:b@y> ; Tag=yes"));
        assert!(has_tag("sip:b@y;tag=yes"));
    }
}
