//! DTMF carried in SIP INFO bodies: `application/dtmf-relay` (`Signal=5`, `Duration=160`)
//! and `application/dtmf` (the bare digit).

/// The digit and duration in an INFO body, `None` if it carries no DTMF.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Option<(char, Option<u32>)> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let body = std::str::from_utf8(body).ok()?;
    if media_type.eq_ignore_ascii_case("application/dtmf-relay") || body.contains('=') {
        let mut digit = None;
        let mut duration = None;
        for line in body.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "signal" => digit = digit_of(value),
                "duration" => duration = value.parse().ok(),
                _ => {}
            }
        }
        return digit.map(|d| (d, duration));
    }
    if media_type.eq_ignore_ascii_case("application/dtmf") {
        return digit_of(body.trim()).map(|d| (d, None));
    }
    None
}

/// `0`-`9`, `*`, `#`, `A`-`D` (any case), or the RFC 4733 event numbers 10-15.
fn digit_of(value: &str) -> Option<char> {
    match value {
        "10" => return Some('*'),
        "11" => return Some('#'),
        "12" => return Some('A'),
        "13" => return Some('B'),
        "14" => return Some('C'),
        "15" => return Some('D'),
        _ => {}
    }
    let mut chars = value.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        return None;
    }
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn dtmf_relay_and_plain_dtmf() {
        assert_eq!(
            parse("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n"),
            Some(('5', Some(160)))
        );
        assert_eq!(
            parse("application/dtmf-relay", b"Signal= #\r\n"),
            Some(('#', None))
        );
        assert_eq!(
            parse("application/dtmf-relay", b"Signal=11\r\n"),
            Some(('#', None))
        );
        assert_eq!(parse("application/dtmf", b"7"), Some(('7', None)));
        assert_eq!(parse("application/dtmf", b"d\r\n"), Some(('D', None)));
    }

    #[test]
    fn other_bodies_are_not_dtmf() {
        assert_eq!(parse("application/dtmf", b"77"), None);
        assert_eq!(parse("application/dtmf-relay", b"Signal=X"), None);
        assert_eq!(parse("text/plain", b"hello"), None);
        assert_eq!(parse("application/dtmf", &[0xff]), None);
    }
}
