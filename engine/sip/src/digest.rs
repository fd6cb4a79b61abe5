//! HTTP Digest authentication for SIP, client side (RFC 2617, RFC 7616 with MD5, RFC 3261 §22).
//!
//! On a `401` (`WWW-Authenticate`) or `407` (`Proxy-Authenticate`), parse the challenge with
//! [`Challenge::parse`], then resend the request with an `Authorization` (or
//! `Proxy-Authorization`) header whose value is [`authorization`]. A response may carry several
//! challenges (e.g. SHA-256 and MD5): use the first one that parses.
//!
//! ```
//! use voxgate_sip::digest::{Challenge, Credentials, authorization};
//!
//! let challenge = Challenge::parse(r#"Digest realm="carrier", nonce="abc", qop="auth""#)?;
//! let credentials = Credentials { username: "1001".into(), password: "secret".into() };
//! let value = authorization(&challenge, &credentials, "REGISTER", "sip:carrier", "0a4f113b", 1);
//! assert!(value.starts_with(r#"Digest username="1001", realm="carrier", nonce="abc""#));
//! assert!(value.ends_with("qop=auth, nc=00000001"));
//! # Ok::<(), voxgate_sip::digest::DigestError>(())
//! ```

use md5::{Digest, Md5};

/// A user name and password for a realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (often the SIP user or account number).
    pub username: String,
    /// The password.
    pub password: String,
}

/// Digest hash algorithm of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// `MD5` (also the default when the challenge names none).
    Md5,
    /// `MD5-sess`: the session key also covers the nonce and cnonce.
    Md5Sess,
}

impl Algorithm {
    /// The token as written in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
        }
    }
}

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The scheme is not `Digest` (e.g. `Basic`).
    #[error("not a Digest challenge")]
    NotDigest,
    /// A required parameter (`realm`, `nonce`) is absent.
    #[error("challenge has no {0}")]
    MissingParameter(&'static str),
    /// The algorithm is not MD5 or MD5-sess (e.g. SHA-256).
    #[error("unsupported digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// A `qop` is required but `auth` is not among the offered values.
    #[error("unsupported qop {0}")]
    UnsupportedQop(String),
    /// The parameter list does not parse.
    #[error("malformed challenge: {0}")]
    Malformed(String),
}

/// A parsed `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    algorithm_given: bool,
    qop: Vec<String>,
    stale: bool,
}

impl Challenge {
    /// Parse a header value such as `Digest realm="x", nonce="y", qop="auth,auth-int"`.
    ///
    /// Tolerates any case in names and tokens, spaces around `=` and `,`, empty list elements,
    /// an unquoted algorithm and unknown parameters.
    pub fn parse(header_value: &str) -> Result<Challenge, DigestError> {
        let text = header_value.trim();
        let (scheme, rest) = text
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((text, ""));
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(DigestError::NotDigest);
        }
        let mut realm = None;
        let mut nonce = None;
        let mut opaque = None;
        let mut algorithm = None;
        let mut qop = None;
        let mut stale = false;
        for (name, value) in parse_params(rest)? {
            match name.to_ascii_lowercase().as_str() {
                "realm" => {
                    realm.get_or_insert(value);
                }
                "nonce" => {
                    nonce.get_or_insert(value);
                }
                "opaque" => {
                    opaque.get_or_insert(value);
                }
                "algorithm" => {
                    algorithm.get_or_insert(value);
                }
                "qop" => {
                    qop.get_or_insert(value);
                }
                "stale" => stale = value.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        let algorithm_given = algorithm.is_some();
        let algorithm = match algorithm.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("md5") => Algorithm::Md5,
            Some("md5-sess") => Algorithm::Md5Sess,
            Some(_) => {
                return Err(DigestError::UnsupportedAlgorithm(
                    algorithm.unwrap_or_default(),
                ));
            }
        };
        let qop: Vec<String> = qop
            .iter()
            .flat_map(|list| list.split(','))
            .map(|q| q.trim().to_ascii_lowercase())
            .filter(|q| !q.is_empty())
            .collect();
        if !qop.is_empty() && !qop.iter().any(|q| q == "auth") {
            return Err(DigestError::UnsupportedQop(qop.join(",")));
        }
        Ok(Challenge {
            realm: realm.ok_or(DigestError::MissingParameter("realm"))?,
            nonce: nonce.ok_or(DigestError::MissingParameter("nonce"))?,
            opaque,
            algorithm,
            algorithm_given,
            qop,
            stale,
        })
    }

    /// The protection space (which credentials to use).
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The server nonce.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The opaque value to echo back, if any.
    pub fn opaque(&self) -> Option<&str> {
        self.opaque.as_deref()
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The offered qop values, lower-cased (empty for an RFC 2069 style challenge).
    pub fn qop(&self) -> &[String] {
        &self.qop
    }

    /// `stale=true`: the nonce expired but the credentials were right; retry with the new nonce
    /// without counting it as an authentication failure.
    pub fn stale(&self) -> bool {
        self.stale
    }
}

/// Parse `name=value` pairs separated by commas; values are tokens or quoted strings.
fn parse_params(text: &str) -> Result<Vec<(String, String)>, DigestError> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars
            .next_if(|c| c.is_ascii_whitespace() || *c == ',')
            .is_some()
        {}
        if chars.peek().is_none() {
            return Ok(params);
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ',' && !c.is_ascii_whitespace()) {
            name.push(c);
        }
        while chars.next_if(char::is_ascii_whitespace).is_some() {}
        if chars.next_if_eq(&'=').is_none() {
            return Err(DigestError::Malformed(format!(
                "parameter {name} has no value"
            )));
        }
        while chars.next_if(char::is_ascii_whitespace).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(DigestError::Malformed("unterminated quoted string".into()));
                    }
                    Some('"') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',' && !c.is_ascii_whitespace()) {
                value.push(c);
            }
        }
        params.push((name, value));
    }
}

/// The value of an `Authorization` / `Proxy-Authorization` header answering `challenge`.
///
/// `uri` is the Request-URI as sent; `cnonce` is a fresh client nonce (an input: this crate does
/// not generate randomness); `nc` counts requests made with this nonce, starting at 1. Uses
/// `qop=auth` when the challenge offers it, else the RFC 2069 form without qop.
pub fn authorization(
    challenge: &Challenge,
    credentials: &Credentials,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let use_qop = challenge.qop.iter().any(|q| q == "auth");
    let nc = format!("{nc:08x}");
    let mut ha1 = md5_hex(&format!(
        "{}:{}:{}",
        credentials.username, challenge.realm, credentials.password
    ));
    if challenge.algorithm == Algorithm::Md5Sess {
        ha1 = md5_hex(&format!("{ha1}:{}:{cnonce}", challenge.nonce));
    }
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let response = if use_qop {
        md5_hex(&format!(
            "{ha1}:{}:{nc}:{cnonce}:auth:{ha2}",
            challenge.nonce
        ))
    } else {
        md5_hex(&format!("{ha1}:{}:{ha2}", challenge.nonce))
    };

    let mut value = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response={}",
        quoted(&credentials.username),
        quoted(&challenge.realm),
        quoted(&challenge.nonce),
        quoted(uri),
        quoted(&response),
    );
    if challenge.algorithm_given || challenge.algorithm != Algorithm::Md5 {
        value.push_str(&format!(", algorithm={}", challenge.algorithm.as_str()));
    }
    if use_qop || challenge.algorithm == Algorithm::Md5Sess {
        value.push_str(&format!(", cnonce={}", quoted(cnonce)));
    }
    if let Some(opaque) = &challenge.opaque {
        value.push_str(&format!(", opaque={}", quoted(opaque)));
    }
    if use_qop {
        value.push_str(&format!(", qop=auth, nc={nc}"));
    }
    value
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A quoted-string with `"` and `\` escaped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mufasa(password: &str) -> Credentials {
        Credentials {
            username: "Mufasa".into(),
            password: password.into(),
        }
    }

    /// The `response=` value of an Authorization header.
    fn response_of(value: &str) -> &str {
        value
            .split("response=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
    }

    #[test]
    fn rfc2617_section_3_5_example() {
        let challenge = Challenge::parse(
            "Digest\n realm=\"testrealm@host.com\",\n qop=\"auth,auth-int\",\n \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\n \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .expect("parses");
        assert_eq!(challenge.realm(), "testrealm@host.com");
        assert_eq!(challenge.qop(), ["auth", "auth-int"]);
        let value = authorization(
            &challenge,
            &mufasa("Circle Of Life"),
            "GET",
            "/dir/index.html",
            "0a4f113b",
            1,
        );
        assert_eq!(
            value,
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", \
             response=\"6629fae49393a05397450978507c4ef1\", cnonce=\"0a4f113b\", \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001"
        );
    }

    #[test]
    fn rfc7616_section_3_9_1_md5_example() {
        let challenge = Challenge::parse(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
             opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        )
        .expect("parses");
        let value = authorization(
            &challenge,
            &mufasa("Circle of Life"),
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        );
        assert_eq!(response_of(&value), "8ca523f5e9506fed4657c9700eebdbec");
        assert!(value.contains(", algorithm=MD5, "), "{value}");
    }

    #[test]
    fn without_qop_uses_the_rfc2069_form() {
        let challenge = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
        )
        .expect("parses");
        let value = authorization(
            &challenge,
            &mufasa("Circle Of Life"),
            "GET",
            "/dir/index.html",
            "unused",
            1,
        );
        // MD5("939e7578ed9e3c518a452acee763bce9:dcd98b7102dd2f0e8b11d0f600bfb0c093:39aff3a2bab6126f332b942af96d3366")
        assert_eq!(response_of(&value), "670fd8c2df070c60b045671b8b24ff02");
        assert!(!value.contains("cnonce"), "{value}");
        assert!(!value.contains("qop"), "{value}");
        assert!(!value.contains("algorithm"), "{value}");
    }

    #[test]
    fn md5_sess_hashes_the_session_key() {
        let challenge =
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=\"md5-sess\", qop=auth")
                .expect("parses");
        assert_eq!(challenge.algorithm(), Algorithm::Md5Sess);
        let creds = Credentials {
            username: "u".into(),
            password: "p".into(),
        };
        let value = authorization(&challenge, &creds, "REGISTER", "sip:r", "c", 2);
        let ha1 = md5_hex(&format!("{}:n:c", md5_hex("u:r:p")));
        let ha2 = md5_hex("REGISTER:sip:r");
        let expected = md5_hex(&format!("{ha1}:n:00000002:c:auth:{ha2}"));
        assert_eq!(response_of(&value), expected);
        assert!(value.contains("algorithm=MD5-sess"), "{value}");
    }

    #[test]
    fn parsing_quirks() {
        let challenge = Challenge::parse(
            "  digest   realm = \"a \\\"quoted\\\" realm\" ,, nonce=abc123 ,algorithm=MD5,\
             stale=TRUE, foo=\"bar, baz\", qop=\"auth-int,auth\"  ",
        )
        .expect("parses");
        assert_eq!(challenge.realm(), "a \"quoted\" realm");
        assert_eq!(challenge.nonce(), "abc123");
        assert!(challenge.stale());
        assert_eq!(challenge.opaque(), None);
        assert_eq!(challenge.qop(), ["auth-int", "auth"]);
        let value = authorization(
            &challenge,
            &Credentials {
                username: "x".into(),
                password: "y".into(),
            },
            "INVITE",
            "sip:a@b",
            "c",
            0xabc,
        );
        assert!(
            value.contains("realm=\"a \\\"quoted\\\" realm\""),
            "{value}"
        );
        assert!(value.ends_with("nc=00000abc"), "{value}");
    }

    #[test]
    fn rejections() {
        assert_eq!(
            Challenge::parse("Basic realm=\"x\""),
            Err(DigestError::NotDigest)
        );
        assert_eq!(
            Challenge::parse("Digest nonce=\"n\""),
            Err(DigestError::MissingParameter("realm"))
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"r\""),
            Err(DigestError::MissingParameter("nonce"))
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256"),
            Err(DigestError::UnsupportedAlgorithm("SHA-256".into()))
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\""),
            Err(DigestError::UnsupportedQop("auth-int".into()))
        );
        assert!(matches!(
            Challenge::parse("Digest realm=\"r, nonce=\"n"),
            Err(DigestError::Malformed(_))
        ));
        assert!(matches!(
            Challenge::parse("Digest realm"),
            Err(DigestError::Malformed(_))
        ));
        assert_eq!(Challenge::parse(""), Err(DigestError::NotDigest));
    }
}
