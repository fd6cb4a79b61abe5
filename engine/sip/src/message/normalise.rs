//! Rewrite a received SIP message into the canonical text `rsip` parses.

use super::{MAX_HEADERS, MAX_MESSAGE_SIZE, ParseError};

/// Compact header forms (RFC 3261 §7.3.3 and later RFCs) and their long names.
const COMPACT_FORMS: [(char, &str); 20] = [
    ('a', "Accept-Contact"),
    ('b', "Referred-By"),
    ('c', "Content-Type"),
    ('d', "Request-Disposition"),
    ('e', "Content-Encoding"),
    ('f', "From"),
    ('i', "Call-ID"),
    ('j', "Reject-Contact"),
    ('k', "Supported"),
    ('l', "Content-Length"),
    ('m', "Contact"),
    ('n', "Identity-Info"),
    ('o', "Event"),
    ('r', "Refer-To"),
    ('s', "Subject"),
    ('t', "To"),
    ('u', "Allow-Events"),
    ('v', "Via"),
    ('x', "Session-Expires"),
    ('y', "Identity"),
];

/// The long name for a header name that may be a compact form; other names come back unchanged.
pub(super) fn long_name(name: &str) -> &str {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => COMPACT_FORMS
            .iter()
            .find(|(short, _)| short.eq_ignore_ascii_case(&c))
            .map_or(name, |(_, long)| long),
        _ => name,
    }
}

/// Normalise a SIP message so that `rsip` can parse it.
///
/// Skips leading CRLFs, converts line endings to CRLF, unfolds continuation lines, expands
/// compact header names, removes whitespace around the colon, splits comma-separated `Via`
/// values into one header each, gives a reason-less status line its missing space, and cuts the
/// body to `Content-Length` (a body with no `Content-Length` is kept whole, as on UDP).
///
/// Errors: input over [`MAX_MESSAGE_SIZE`], more than [`MAX_HEADERS`] headers, a header section
/// that is not UTF-8 or contains control characters, no empty line after the headers, a
/// non-numeric or conflicting `Content-Length`, or a body shorter than it.
pub fn normalise(bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    if bytes.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge {
            size: bytes.len(),
            limit: MAX_MESSAGE_SIZE,
        });
    }
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .ok_or(ParseError::Truncated)?;
    let bytes = bytes.get(start..).unwrap_or_default();
    let (head_end, body_start) = find_header_end(bytes).ok_or(ParseError::Truncated)?;
    let head = bytes.get(..head_end).unwrap_or_default();
    let body = bytes.get(body_start..).unwrap_or_default();
    let head = std::str::from_utf8(head).map_err(|_| ParseError::BadEncoding)?;

    let mut lines = head
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let start_line = canonical_start_line(lines.next().unwrap_or_default())?;
    let headers = collect_headers(lines)?;
    let body = cut_body(&headers, body)?;

    let mut out = Vec::with_capacity(head.len() + body.len() + 64);
    out.extend_from_slice(start_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

/// Find the empty line ending the header section, tolerating CRLF and bare LF.
///
/// Returns the end of the header text (exclusive, before the final line break) and the start
/// of the body.
pub(super) fn find_header_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut search_from = 0;
    while let Some(offset) = bytes.get(search_from..)?.iter().position(|b| *b == b'\n') {
        let lf = search_from + offset;
        let head_end = if lf > 0 && bytes.get(lf - 1) == Some(&b'\r') {
            lf - 1
        } else {
            lf
        };
        match (bytes.get(lf + 1), bytes.get(lf + 2)) {
            (Some(b'\n'), _) => return Some((head_end, lf + 2)),
            (Some(b'\r'), Some(b'\n')) => return Some((head_end, lf + 3)),
            _ => search_from = lf + 1,
        }
    }
    None
}

fn canonical_start_line(line: &str) -> Result<String, ParseError> {
    check_characters(line)?;
    let line = line.trim_start();
    if line.is_empty() {
        return Err(ParseError::Malformed("empty start line".into()));
    }
    if line.starts_with("SIP/") {
        // "SIP/2.0 200" with no reason phrase: rsip needs the separating space.
        let parts = line.split(' ').filter(|p| !p.is_empty()).count();
        if parts == 2 && !line.ends_with(' ') {
            return Ok(format!("{line} "));
        }
        return Ok(line.to_owned());
    }
    Ok(line.trim_end().to_owned())
}

/// Unfold, split name from value, expand compact names and split `Via` lists.
fn collect_headers<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> Result<Vec<(String, String)>, ParseError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        check_characters(line)?;
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().ok_or_else(|| {
                ParseError::Malformed("continuation line before any header".into())
            })?;
            let continuation = line.trim();
            if !continuation.is_empty() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(continuation);
            }
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            ParseError::Malformed(format!("header line without colon: {}", clip(line)))
        })?;
        let name = name.trim_end();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ParseError::Malformed(format!(
                "bad header name: {}",
                clip(name)
            )));
        }
        headers.push((long_name(name).to_owned(), value.trim().to_owned()));
        if headers.len() > MAX_HEADERS {
            return Err(ParseError::TooManyHeaders { limit: MAX_HEADERS });
        }
    }
    let mut split = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("Via") {
            split.extend(
                split_list(&value)
                    .into_iter()
                    .map(|part| (name.clone(), part)),
            );
        } else {
            split.push((name, value));
        }
    }
    if split.len() > MAX_HEADERS {
        return Err(ParseError::TooManyHeaders { limit: MAX_HEADERS });
    }
    Ok(split)
}

/// Split a comma-separated header value, ignoring commas inside quoted strings and `<...>`.
fn split_list(value: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Apply `Content-Length`: cut trailing bytes, reject a short body or a bad value.
fn cut_body<'b>(headers: &[(String, String)], body: &'b [u8]) -> Result<&'b [u8], ParseError> {
    let mut declared: Option<usize> = None;
    for (_, value) in headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Content-Length"))
    {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadContentLength(clip(value)));
        }
        let length: usize = value
            .parse()
            .map_err(|_| ParseError::BadContentLength(clip(value)))?;
        match declared {
            Some(previous) if previous != length => {
                return Err(ParseError::BadContentLength(format!(
                    "conflicting values {previous} and {length}"
                )));
            }
            _ => declared = Some(length),
        }
    }
    match declared {
        None => Ok(body),
        Some(length) => body.get(..length).ok_or(ParseError::BodyTruncated {
            declared: length,
            actual: body.len(),
        }),
    }
}

/// Reject bare CR and control characters other than HTAB in the header section.
fn check_characters(line: &str) -> Result<(), ParseError> {
    if line.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ParseError::Malformed(
            "control character in header section".into(),
        ));
    }
    Ok(())
}

/// RFC 3261 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// A short, printable excerpt of input for an error message.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(text: &str) -> String {
        String::from_utf8(normalise(text.as_bytes()).expect("normalises")).expect("utf-8")
    }

    #[test]
    fn lf_only_becomes_crlf() {
        let out = normalised("OPTIONS sip:a@b SIP/2.0\nCall-ID: x\nContent-Length: 0\n\n");
        assert_eq!(
            out,
            "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn folded_lines_are_unfolded() {
        let out = normalised(
            "OPTIONS sip:a@b SIP/2.0\r\nSubject: I know\r\n   you're\r\n\tthere\r\n\r\n",
        );
        assert!(out.contains("Subject: I know you're there\r\n"), "{out}");
    }

    #[test]
    fn compact_names_expand_and_colon_space_is_trimmed() {
        let out =
            normalised("OPTIONS sip:a@b SIP/2.0\r\ni :x\r\nv:  SIP/2.0/UDP h\r\nl\t: 0\r\n\r\n");
        assert!(out.contains("Call-ID: x\r\n"), "{out}");
        assert!(out.contains("Via: SIP/2.0/UDP h\r\n"), "{out}");
        assert!(out.contains("Content-Length: 0\r\n"), "{out}");
    }

    #[test]
    fn via_lists_are_split() {
        let out = normalised(
            "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=1, SIP/2.0/TCP b;x=\"p,q\"\r\n\r\n",
        );
        assert!(
            out.contains("Via: SIP/2.0/UDP a;branch=1\r\nVia: SIP/2.0/TCP b;x=\"p,q\"\r\n"),
            "{out}"
        );
    }

    #[test]
    fn body_is_cut_to_content_length() {
        let out = normalised("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello world");
        assert!(out.ends_with("\r\n\r\nhello"), "{out}");
    }

    #[test]
    fn short_body_is_an_error() {
        assert_eq!(
            normalise(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 50\r\n\r\nhello"),
            Err(ParseError::BodyTruncated {
                declared: 50,
                actual: 5
            })
        );
    }

    #[test]
    fn reasonless_status_line_gets_a_space() {
        let out = normalised("SIP/2.0 200\r\nCall-ID: x\r\n\r\n");
        assert!(out.starts_with("SIP/2.0 200 \r\n"), "{out}");
    }

    #[test]
    fn leading_crlf_is_skipped() {
        let out = normalised("\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\n\r\n");
        assert!(out.starts_with("OPTIONS"), "{out}");
    }

    #[test]
    fn limits_are_enforced() {
        let big = vec![b'a'; MAX_MESSAGE_SIZE + 1];
        assert!(matches!(normalise(&big), Err(ParseError::TooLarge { .. })));
        let mut many = String::from("OPTIONS sip:a@b SIP/2.0\r\n");
        for i in 0..=MAX_HEADERS {
            many.push_str(&format!("X-H{i}: v\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(
            normalise(many.as_bytes()),
            Err(ParseError::TooManyHeaders { limit: MAX_HEADERS })
        );
    }

    #[test]
    fn find_header_end_handles_mixed_endings() {
        assert_eq!(find_header_end(b"a\r\n\r\nb"), Some((1, 5)));
        assert_eq!(find_header_end(b"a\n\nb"), Some((1, 3)));
        assert_eq!(find_header_end(b"a\n\r\nb"), Some((1, 4)));
        assert_eq!(find_header_end(b"a\r\nb\r\n"), None);
    }

    #[test]
    fn long_name_maps_compact_forms_only() {
        assert_eq!(long_name("V"), "Via");
        assert_eq!(long_name("q"), "q");
        assert_eq!(long_name("Via"), "Via");
    }
}
