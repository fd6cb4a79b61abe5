//! Small, lenient grammar helpers over raw header values (RFC 3261 §25).
//!
//! rsip types few of the headers we need in the shape we need, so the endpoint keeps header
//! values raw and picks them apart here. Nothing in this module panics on any input.

use std::net::{IpAddr, SocketAddr};

/// Split a header value at commas outside quoted strings and angle brackets
/// (`Via: a, b` or `Record-Route: <sip:p1;lr>, <sip:p2;lr>`). Empty items are dropped.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth_angle = false;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '<' => depth_angle = true,
            '>' => depth_angle = false,
            ',' if !depth_angle => {
                push_trimmed(&mut items, &value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    push_trimmed(&mut items, &value[start..]);
    items
}

fn push_trimmed<'a>(items: &mut Vec<&'a str>, item: &'a str) {
    let item = item.trim();
    if !item.is_empty() {
        items.push(item);
    }
}

/// A `name-addr` / `addr-spec` with its header parameters, as in From, To, Contact, Route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameAddr<'a> {
    /// The URI without angle brackets.
    pub uri: &'a str,
    /// Header parameters after the URI, each starting with `;` (may be empty).
    pub params: &'a str,
}

/// Parse `"Display" <sip:u@h>;tag=x`, `<sip:u@h>` or `sip:u@h;tag=x`.
pub(crate) fn parse_name_addr(value: &str) -> Option<NameAddr<'_>> {
    let value = value.trim();
    let after_display = skip_quoted_display(value)?;
    if let Some(open) = after_display.find('<') {
        let close_rel = after_display[open..].find('>')?;
        let uri = after_display[open + 1..open + close_rel].trim();
        let params = after_display[open + close_rel + 1..].trim();
        return (!uri.is_empty()).then_some(NameAddr { uri, params });
    }
    // addr-spec: parameters after the first ';' belong to the header (RFC 3261 §20.10).
    let (uri, params) = match after_display.find(';') {
        Some(i) => (&after_display[..i], &after_display[i..]),
        None => (after_display, ""),
    };
    let uri = uri.trim();
    (!uri.is_empty() && !uri.contains(' ')).then_some(NameAddr { uri, params })
}

/// Skip a leading quoted display name, returning the rest (the input if there is none).
fn skip_quoted_display(value: &str) -> Option<&str> {
    let Some(rest) = value.strip_prefix('"') else {
        return Some(value);
    };
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return rest.get(i + 1..);
        }
    }
    None
}

/// The value of parameter `name` in `;a=b;c` style text: `Some("")` for a flag, unquoted.
pub(crate) fn param<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(';').find_map(|p| {
        let p = p.trim();
        let (key, value) = match p.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (p, ""),
        };
        key.eq_ignore_ascii_case(name).then(|| unquote(value))
    })
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// One Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK..;rport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Via<'a> {
    /// Transport token (`UDP`, `TCP`, ...).
    pub transport: &'a str,
    /// `host[:port]`.
    pub sent_by: &'a str,
    /// Parameters, each starting with `;`.
    pub params: &'a str,
}

/// Parse one Via value (not a comma list).
pub(crate) fn parse_via(value: &str) -> Option<Via<'_>> {
    let value = value.trim();
    let (protocol, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
    let mut parts = protocol.split('/').map(str::trim);
    let (_name, _version, transport) = (parts.next()?, parts.next()?, parts.next()?);
    let rest = rest.trim_start();
    let (sent_by, params) = match rest.find(';') {
        Some(i) => (rest[..i].trim(), &rest[i..]),
        None => (rest.trim(), ""),
    };
    (!sent_by.is_empty()).then_some(Via {
        transport,
        sent_by,
        params,
    })
}

/// Parse a CSeq value: `314159 INVITE`.
pub(crate) fn parse_cseq(value: &str) -> Option<(u32, &str)> {
    let mut parts = value.split_ascii_whitespace();
    let number = parts.next()?.parse().ok()?;
    let method = parts.next()?;
    parts.next().is_none().then_some((number, method))
}

/// The pieces of a `sip:`/`sips:`/`tel:` URI the endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UriParts<'a> {
    /// `sip`, `sips` or `tel` (lower case not guaranteed).
    pub scheme: &'a str,
    /// User part (for `tel:` the number), without parameters or password.
    pub user: Option<&'a str>,
    /// Host (IPv6 without brackets).
    pub host: &'a str,
    /// Explicit port.
    pub port: Option<u16>,
}

/// Split a URI into scheme, user, host and port. Returns `None` when it has no scheme.
pub(crate) fn parse_uri(uri: &str) -> Option<UriParts<'_>> {
    let (scheme, rest) = uri.trim().split_once(':')?;
    if scheme.eq_ignore_ascii_case("tel") {
        let number = rest.split(';').next().unwrap_or(rest);
        return Some(UriParts {
            scheme,
            user: Some(number),
            host: "",
            port: None,
        });
    }
    let rest = rest.split(['?']).next().unwrap_or(rest);
    let (user, hostport) = match rest.rfind('@') {
        Some(i) => {
            let userinfo = &rest[..i];
            let user = userinfo.split(':').next().unwrap_or(userinfo);
            let user = user.split(';').next().unwrap_or(user);
            (Some(user), &rest[i + 1..])
        }
        None => (None, rest),
    };
    let hostport = hostport.split(';').next().unwrap_or(hostport);
    let (host, port) = split_host_port(hostport)?;
    Some(UriParts {
        scheme,
        user: user.filter(|u| !u.is_empty()),
        host,
        port,
    })
}

/// Split `host[:port]` / `[v6][:port]`; `None` on a non-numeric port.
pub(crate) fn split_host_port(hostport: &str) -> Option<(&str, Option<u16>)> {
    let hostport = hostport.trim();
    if let Some(rest) = hostport.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = &rest[..close];
        let port = match rest[close + 1..].strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        return Some((host, port));
    }
    match hostport.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((hostport, None)),
    }
}

/// The socket address a URI points at, when its host is an IP literal (no DNS here).
pub(crate) fn uri_socket_addr(uri: &str) -> Option<SocketAddr> {
    let parts = parse_uri(uri)?;
    let ip: IpAddr = parts.host.parse().ok()?;
    let default_port = if parts.scheme.eq_ignore_ascii_case("sips") {
        5061
    } else {
        5060
    };
    Some(SocketAddr::new(ip, parts.port.unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_split_respects_quotes_and_brackets() {
        assert_eq!(
            split_list("<sip:a,b@x;lr>, \"x,y\" <sip:c@d>,sip:e@f"),
            vec!["<sip:a,b@x;lr>", "\"x,y\" <sip:c@d>", "sip:e@f"]
        );
        assert!(split_list(" , ").is_empty());
    }

    #[test]
    fn name_addr_forms() {
        let n = parse_name_addr("\"Bob <x>\" <sip:bob@b.com>;tag=123").unwrap();
        assert_eq!(n.uri, "sip:bob@b.com");
        assert_eq!(param(n.params, "tag"), Some("123"));
        let n = parse_name_addr("sip:alice@a.com;tag=9").unwrap();
        assert_eq!(
            (n.uri, param(n.params, "TAG")),
            ("sip:alice@a.com", Some("9"))
        );
        assert!(parse_name_addr("\"unterminated <sip:x@y>").is_none());
        assert!(parse_name_addr("<sip:x@y").is_none());
        assert!(parse_name_addr("").is_none());
    }

    #[test]
    fn via_and_cseq() {
        let v = parse_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.sent_by, "10.0.0.1:5060");
        assert_eq!(param(v.params, "branch"), Some("z9hG4bKabc"));
        assert_eq!(param(v.params, "rport"), Some(""));
        assert!(parse_via("garbage").is_none());
        assert_eq!(parse_cseq("12 INVITE"), Some((12, "INVITE")));
        assert_eq!(parse_cseq("x INVITE"), None);
        assert_eq!(parse_cseq("1 INVITE extra"), None);
    }

    #[test]
    fn uris() {
        let u = parse_uri("sip:+8613800000000@gw.example:5060;user=phone").unwrap();
        assert_eq!(u.user, Some("+8613800000000"));
        assert_eq!((u.host, u.port), ("gw.example", Some(5060)));
        let u = parse_uri("sip:[::1]:5070").unwrap();
        assert_eq!((u.user, u.host, u.port), (None, "::1", Some(5070)));
        assert_eq!(
            parse_uri("tel:+123;phone-context=x").unwrap().user,
            Some("+123")
        );
        assert_eq!(
            uri_socket_addr("sip:bot@127.0.0.1:5080;transport=udp"),
            Some("127.0.0.1:5080".parse().unwrap())
        );
        assert_eq!(uri_socket_addr("sip:gw.example"), None);
        assert_eq!(uri_socket_addr("sip:x@1.2.3.4:notaport"), None);
        assert_eq!(parse_uri("nocolon"), None);
    }
}
