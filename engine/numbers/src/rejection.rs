//! Why a phone number was rejected: one variant per problem, each message saying what was found
//! and what was expected.

/// Expected length of a Chinese mobile number, as the end of a length message.
pub(crate) const MOBILE: &str = "a mobile number has 11";
/// Expected length of a Chinese landline number, as the end of a length message.
pub(crate) const LANDLINE: &str =
    "a landline has 10-12 (0, a 2-3 digit area code, a 7-8 digit subscriber number)";
/// Expected length of an international number, as the end of a length message.
pub(crate) const INTERNATIONAL: &str = "an international number has 8-15, country code included";

/// Longest piece of the caller's text quoted back in a message.
const QUOTE_CHARS: usize = 40;

/// Why [`normalize`](crate::normalize()) refused a number.
///
/// The `Display` text is meant for a campaign manager reading an import report: it quotes what was
/// written and says what a valid number looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No digits at all (empty cell, or only spaces and dashes).
    #[error(
        "the number is empty: expected a mobile number such as 13800138000 or a landline such as 010-65529988"
    )]
    Empty,
    /// A character that has no place in a phone number.
    #[error(
        "`{raw}` contains `{found}`: a phone number holds digits, optionally spaces, dashes, dots, parentheses and a leading +"
    )]
    InvalidCharacters {
        /// The text as written (shortened when long).
        raw: String,
        /// The first offending character.
        found: char,
    },
    /// Fewer digits than the number's kind needs.
    #[error("`{digits}` has {count} digits: {expected}")]
    TooShort {
        /// The digits examined (after any country prefix).
        digits: String,
        /// How many digits there are.
        count: usize,
        /// What was expected, e.g. "a mobile number has 11".
        expected: &'static str,
    },
    /// More digits than the number's kind allows.
    #[error("`{digits}` has {count} digits: {expected}")]
    TooLong {
        /// The digits examined (after any country prefix; shortened when long).
        digits: String,
        /// How many digits there are.
        count: usize,
        /// What was expected, e.g. "a mobile number has 11".
        expected: &'static str,
    },
    /// The right length, but neither a mobile, a landline nor a service number.
    #[error("`{digits}` is not a mobile or landline number: {why}")]
    NotAMobileOrLandline {
        /// The digits examined.
        digits: String,
        /// What is wrong with them.
        why: &'static str,
    },
    /// A local landline number written without its area code.
    #[error(
        "`{digits}` has no area code: write a landline with its area code, e.g. 010-65529988 or 0571-87654321"
    )]
    MissingAreaCode {
        /// The digits as written.
        digits: String,
    },
    /// An international prefix (`+` or `00`) followed by something that is no country code.
    #[error(
        "`{digits}` after the international prefix is no country code: country codes never start with 0"
    )]
    InvalidCountryCode {
        /// The digits after the international prefix.
        digits: String,
    },
    /// [`Country::Other`](crate::Country::Other) was given a calling code that cannot exist.
    #[error("calling code {code} does not exist: calling codes have 1-3 digits (1-999)")]
    InvalidCallingCode {
        /// The configured calling code.
        code: u16,
    },
    /// A number shortened to scientific notation (as spreadsheets do), so its last digits are lost.
    #[error(
        "`{raw}` is in scientific notation, which does not give every digit of a phone number: format the column as text and export it again"
    )]
    ScientificNotation {
        /// The text as written.
        raw: String,
    },
}

/// `text` quoted back in a message, cut after [`QUOTE_CHARS`] characters so a huge cell cannot
/// produce a huge report.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl Rejection {
    /// A [`Rejection::TooShort`] or [`Rejection::TooLong`] for `digits` when `expected` names the
    /// length range `min..=max`; `None` when the length is in range.
    pub(crate) fn length(
        digits: &str,
        min: usize,
        max: usize,
        expected: &'static str,
    ) -> Option<Rejection> {
        let count = digits.len();
        if count < min {
            Some(Rejection::TooShort {
                digits: quote(digits),
                count,
                expected,
            })
        } else if count > max {
            Some(Rejection::TooLong {
                digits: quote(digits),
                count,
                expected,
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_messages_say_what_was_found_and_expected() {
        let short = Rejection::length("1380013800", 11, 11, MOBILE).unwrap();
        assert_eq!(
            short.to_string(),
            "`1380013800` has 10 digits: a mobile number has 11"
        );
        let long = Rejection::length("138001380001", 11, 11, MOBILE).unwrap();
        assert!(matches!(long, Rejection::TooLong { count: 12, .. }));
        assert_eq!(Rejection::length("13800138000", 11, 11, MOBILE), None);
    }

    #[test]
    fn long_text_is_shortened_in_messages() {
        let quoted = quote(&"9".repeat(100));
        assert_eq!(quoted.chars().count(), QUOTE_CHARS + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(quote("短号码"), "短号码");
    }
}
