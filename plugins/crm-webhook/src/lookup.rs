//! The pre-call lookup: the URL to call and the reply's fields.

use serde_json::Value;
use voxgate_plugin_sdk::crm::CrmActions;
use voxgate_plugin_sdk::types::{HttpReply, LogLevel, Pair};

/// The lookup URL for a number: `{number}` in the configured URL is replaced by the
/// percent-encoded number; otherwise `number=<number>` is appended as a query parameter.
pub fn lookup_url(configured: &str, number: &str) -> String {
    let encoded = percent_encode(number);
    if configured.contains("{number}") {
        return configured.replace("{number}", &encoded);
    }
    let separator = if configured.contains('?') { '&' } else { '?' };
    format!("{configured}{separator}number={encoded}")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Maps a JSON object's string, number and boolean fields to pairs; other values are skipped.
pub fn fields_from_json(body: &[u8]) -> Result<Vec<Pair>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("the reply is not a JSON object".into());
    };
    Ok(object
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::String(text) => Some(Pair::new(name, text)),
            Value::Number(number) => Some(Pair::new(name, number.to_string())),
            Value::Bool(flag) => Some(Pair::new(name, flag.to_string())),
            _ => None,
        })
        .collect())
}

/// Answers the lookup from the CRM's reply. 404 means an unknown customer: no fields, done.
pub fn handle_reply(outcome: &Result<HttpReply, String>, out: &mut CrmActions) {
    match outcome {
        Ok(reply) if reply.is_success() => match fields_from_json(&reply.body) {
            Ok(fields) => {
                out.fields(fields).done(true);
            }
            Err(why) => {
                out.log(LogLevel::Warn, format!("lookup reply ignored: {why}"));
                out.done(false);
            }
        },
        Ok(reply) if reply.status == 404 => {
            out.log(LogLevel::Info, "customer not found");
            out.done(true);
        }
        Ok(reply) => {
            out.log(
                LogLevel::Warn,
                format!("lookup refused: HTTP {}", reply.status),
            );
            out.done(false);
        }
        Err(why) => {
            out.log(LogLevel::Warn, format!("lookup failed: {why}"));
            out.done(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_query_or_template_urls() {
        assert_eq!(
            lookup_url("http://crm/c", "+86 138"),
            "http://crm/c?number=%2B86%20138"
        );
        assert_eq!(
            lookup_url("http://crm/c?k=1", "1"),
            "http://crm/c?k=1&number=1"
        );
        assert_eq!(
            lookup_url("http://crm/c/{number}/x", "13800"),
            "http://crm/c/13800/x"
        );
    }

    #[test]
    fn keeps_scalar_fields_only() {
        let fields =
            fields_from_json(br#"{"name":"Li","age":42,"vip":true,"tags":["a"],"n":null}"#)
                .unwrap();
        let names: Vec<_> = fields
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(names, vec![("age", "42"), ("name", "Li"), ("vip", "true")]);
        assert!(fields_from_json(b"[1]").is_err());
        assert!(fields_from_json(b"{oops").is_err());
    }
}
