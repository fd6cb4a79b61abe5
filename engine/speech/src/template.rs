//! Prompt templates: `${name}` placeholders filled from number-list and CRM fields.
//!
//! - `${name}` is replaced by the variable's value; names are letters (any script), digits,
//!   `_` and `.` (`${customer.name}`), at least one character;
//! - `$${` writes a literal `${`; any other `$` is kept as it is (`$5`, `US$`);
//! - every unknown variable is reported at once ([`TemplateError::Missing`]);
//! - an unterminated `${` or a bad name is reported with its byte offset.
//!
//! ```
//! use voxgate_speech::template::fill;
//! let vars = |name: &str| (name == "name").then(|| "Wang".to_string());
//! assert_eq!(fill("Hello ${name}, it costs $${price}", &vars).unwrap(),
//!            "Hello Wang, it costs ${price}");
//! ```

use std::collections::HashMap;

use thiserror::Error;

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// Variables with no value, each named once, in order of first use.
    #[error("unknown template variable(s): {}", .0.join(", "))]
    Missing(Vec<String>),
    /// A `${` with no closing `}`.
    #[error("unterminated `${{` at byte {0}")]
    Unterminated(usize),
    /// A placeholder whose name is empty or has a character other than letters, digits, `_`, `.`.
    #[error("invalid variable name {name:?} at byte {at}")]
    BadName {
        /// The text between the braces.
        name: String,
        /// Byte offset of the `${`.
        at: usize,
    },
}

/// Fills `text`, asking `vars` for each variable's value.
pub fn fill(text: &str, vars: &impl Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut missing: Vec<String> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let at = offset + dollar;
        let after = &rest[dollar..];
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = escaped;
            offset = at + 3;
        } else if let Some(body) = after.strip_prefix("${") {
            let close = body.find('}').ok_or(TemplateError::Unterminated(at))?;
            let name = &body[..close];
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
            if !valid {
                return Err(TemplateError::BadName {
                    name: name.to_string(),
                    at,
                });
            }
            match vars(name) {
                Some(value) => out.push_str(&value),
                None if !missing.iter().any(|known| known == name) => {
                    missing.push(name.to_string());
                }
                None => {}
            }
            rest = &body[close + 1..];
            offset = at + 2 + close + 1;
        } else {
            out.push('$');
            rest = &after[1..];
            offset = at + 1;
        }
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(TemplateError::Missing(missing))
    }
}

/// [`fill`] with the values in a map.
pub fn fill_from_map(text: &str, vars: &HashMap<String, String>) -> Result<String, TemplateError> {
    fill(text, &|name: &str| vars.get(name).cloned())
}

/// The variable names a template uses, in order of first use (for validating a flow against
/// the fields a number list provides).
pub fn variables(text: &str) -> Result<Vec<String>, TemplateError> {
    match fill(text, &|_: &str| None) {
        Ok(_) => Ok(Vec::new()),
        Err(TemplateError::Missing(names)) => Ok(names),
        Err(other) => Err(other),
    }
}
