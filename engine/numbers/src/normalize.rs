//! Phone number normalisation: from what people write in a spreadsheet to E.164 plus the digits a
//! trunk dials.

mod china;

use crate::rejection::{INTERNATIONAL, LANDLINE, Rejection, quote};
use china::{china, china_number, is_mobile};
use serde::{Deserialize, Serialize};

/// Most significant digits a spreadsheet shows when it shortens a number (`1.38001E+10`).
const MAX_SHORTENED_DIGITS: usize = 6;

/// Digits kept while cleaning; anything longer is rejected as too long without further work.
const MAX_DIGITS: usize = 24;

/// The country whose numbering plan applies to numbers written without an international prefix
/// (`+` or `00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Country {
    /// China (+86): mobiles, landlines with area codes and service numbers are told apart.
    #[default]
    China,
    /// Another country, by its calling code (44 for the United Kingdom, 1 for North America).
    /// `Other(86)` is the same as [`Country::China`].
    Other(u16),
}

impl Country {
    /// The country's calling code: 86 for China.
    pub fn calling_code(self) -> u16 {
        match self {
            Country::China => 86,
            Country::Other(code) => code,
        }
    }

    fn is_china(self) -> bool {
        self.calling_code() == 86
    }
}

/// What sort of number a [`PhoneNumber`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A Chinese mobile number (11 digits, 13x-19x).
    Mobile,
    /// A Chinese landline: trunk 0, area code, subscriber number.
    Landline,
    /// A Chinese service number (95xxx, 400, 800, 100xx, 12xxx): valid, but flagged.
    Service,
    /// A number outside China's numbering plan, checked only as E.164.
    Other,
}

/// A valid phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PhoneNumber {
    /// E.164 form with `+`, e.g. `+8613800138000`, `+861065529988`. Unique per number: the key for
    /// de-duplication.
    pub e164: String,
    /// What is dialled: for the home country the national form (`13800138000`, `01065529988`
    /// with its trunk 0); for any other number, and for every number when the country is
    /// [`Country::Other`], the E.164 form (the trunk's dial prefixes take it from there).
    pub national: String,
    /// Mobile, landline, service or other.
    pub kind: Kind,
}

/// A short run of ASCII digits on the stack: cleaning a number allocates nothing.
#[derive(Clone, Copy)]
pub(crate) struct Digits {
    buf: [u8; MAX_DIGITS],
    len: usize,
}

impl Digits {
    pub(crate) fn new() -> Self {
        Digits {
            buf: [0; MAX_DIGITS],
            len: 0,
        }
    }

    /// Appends a digit; false when full.
    pub(crate) fn push(&mut self, digit: u8) -> bool {
        if self.len == MAX_DIGITS {
            return false;
        }
        self.buf[self.len] = digit;
        self.len += 1;
        true
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits are ever pushed, so the bytes are always valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// Normalises a phone number as written by a person or a spreadsheet.
///
/// Spaces (also non-breaking and full-width), dashes, dots and parentheses are ignored, full-width
/// digits and `＋` are read as ASCII. A number with `+` or `00` is international; one with `+86`,
/// `0086` (or `86` before an 11-digit mobile) is Chinese. A number without a prefix follows
/// `country`'s plan. Spreadsheet habits are undone: a leading `'` or a `="…"` wrapper that keeps
/// a number as text, and scientific notation (`1.38001380E10`) when it keeps every digit.
///
/// ```
/// use voxgate_numbers::{Country, Kind, normalize};
/// let landline = normalize("010-6552 9988", Country::China).unwrap();
/// assert_eq!(landline.national, "01065529988");
/// assert_eq!(landline.e164, "+861065529988");
/// assert_eq!(landline.kind, Kind::Landline);
/// let err = normalize("1380013800", Country::China).unwrap_err();
/// assert_eq!(err.to_string(), "`1380013800` has 10 digits: a mobile number has 11");
/// ```
pub fn normalize(raw: &str, country: Country) -> Result<PhoneNumber, Rejection> {
    let raw = unquote(raw);
    let (international, digits) = match scientific(raw) {
        Some(expanded) => (false, expanded?),
        None => clean(raw)?,
    };
    let digits = digits.as_str();
    if digits.is_empty() {
        return Err(Rejection::Empty);
    }
    if international {
        return international_number(digits, country);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return international_number(rest, country);
    }
    if country.is_china() {
        if digits.len() == 13
            && let Some(mobile) = digits.strip_prefix("86")
            && is_mobile(mobile)
        {
            return Ok(china(mobile, Kind::Mobile, true));
        }
        return china_number(digits, false, true);
    }
    let code = country.calling_code();
    if code == 0 || code > 999 {
        return Err(Rejection::InvalidCallingCode { code });
    }
    // National significant number: one trunk 0 dropped.
    let nsn = digits.strip_prefix('0').unwrap_or(digits);
    let e164 = format!("+{code}{nsn}");
    if let Some(err) = Rejection::length(&e164[1..], 8, 15, INTERNATIONAL) {
        return Err(err);
    }
    Ok(PhoneNumber {
        national: e164.clone(),
        e164,
        kind: Kind::Other,
    })
}

/// Drops the marks people and exports add so a spreadsheet keeps a number as text: a leading
/// apostrophe (`'13800138000`) or a formula literal (`="13800138000"`).
fn unquote(raw: &str) -> &str {
    let text = raw.trim();
    if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
        return inner;
    }
    text.strip_prefix('\'').unwrap_or(text)
}

/// Keeps the digits of `raw`; true when it starts with `+`.
fn clean(raw: &str) -> Result<(bool, Digits), Rejection> {
    let mut digits = Digits::new();
    let mut plus = false;
    let mut count = 0usize;
    for ch in raw.chars() {
        let digit = match ch {
            '0'..='9' => ch as u8,
            // Full-width digits U+FF10..U+FF19.
            '０'..='９' => b'0' + (u32::from(ch) - u32::from('０')) as u8,
            '+' | '＋' if !plus && count == 0 => {
                plus = true;
                continue;
            }
            _ if is_separator(ch) => continue,
            _ => {
                return Err(Rejection::InvalidCharacters {
                    raw: quote(raw.trim()),
                    found: ch,
                });
            }
        };
        count += 1;
        // Past MAX_DIGITS the digits are only counted, for the message.
        digits.push(digit);
    }
    if count > MAX_DIGITS {
        let expected = if plus { INTERNATIONAL } else { LANDLINE };
        let shown = quote(digits.as_str());
        return Err(Rejection::TooLong {
            digits: shown,
            count,
            expected,
        });
    }
    Ok((plus, digits))
}

fn is_separator(ch: char) -> bool {
    ch.is_whitespace()
        || matches!(
            ch,
            '-' | '.' | '(' | ')' | '/' | '－' | '．' | '（' | '）' | '\u{2010}'..='\u{2015}'
        )
}

/// Spreadsheet scientific notation (`1.38001380E10`, `1.38E+10`): `None` when `raw` is not in
/// that form, else the digits, or a rejection when digits were lost. Six significant digits or
/// fewer is how a spreadsheet shortens a number it displays, so such a value is refused.
fn scientific(raw: &str) -> Option<Result<Digits, Rejection>> {
    let text = raw.trim();
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() != 1 || !all_digits(whole) || !(fraction.is_empty() || all_digits(fraction)) {
        return None;
    }
    if !all_digits(exponent) || exponent.len() > 2 {
        return None;
    }
    let exponent: usize = exponent.parse().ok()?;
    let rejected = || Some(Err(Rejection::ScientificNotation { raw: quote(text) }));
    // Significant digits written: the whole digit plus the fraction.
    let significant = 1 + fraction.len();
    if whole == "0" || exponent < fraction.len() || significant <= MAX_SHORTENED_DIGITS {
        return rejected();
    }
    let mut digits = Digits::new();
    let zeros = std::iter::repeat_n(b'0', exponent - fraction.len());
    for digit in whole.bytes().chain(fraction.bytes()).chain(zeros) {
        if !digits.push(digit) {
            return rejected();
        }
    }
    Some(Ok(digits))
}

/// A number after `+` or `00`.
fn international_number(digits: &str, country: Country) -> Result<PhoneNumber, Rejection> {
    if digits.starts_with('0') {
        return Err(Rejection::InvalidCountryCode {
            digits: quote(digits),
        });
    }
    if let Some(national) = digits.strip_prefix("86") {
        return china_number(national, true, country.is_china());
    }
    if let Some(err) = Rejection::length(digits, 8, 15, INTERNATIONAL) {
        return Err(err);
    }
    let e164 = format!("+{digits}");
    Ok(PhoneNumber {
        national: e164.clone(),
        e164,
        kind: Kind::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn(raw: &str) -> Result<PhoneNumber, Rejection> {
        normalize(raw, Country::China)
    }

    fn ok(raw: &str) -> (String, String, Kind) {
        let n = cn(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        (n.e164, n.national, n.kind)
    }

    #[test]
    fn mobiles_in_every_common_spelling() {
        for raw in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "0086 13800138000",
            "8613800138000",
            "(+86) 138.0013.8000",
            "１３８００１３８０００",
            "＋８６ １３８００１３８０００",
            "\u{a0}13800138000\u{3000}",
            "013800138000",
            "1.38001380E10",
            "'13800138000",
            "=\"13800138000\"",
            "\t13800138000",
        ] {
            let want = ("+8613800138000".into(), "13800138000".into(), Kind::Mobile);
            assert_eq!(ok(raw), want, "{raw}");
        }
    }

    #[test]
    fn other_countries_use_e164() {
        let uk = normalize("+44 7700 900123", Country::China).unwrap();
        assert_eq!(
            (uk.e164.as_str(), uk.national.as_str()),
            ("+447700900123", "+447700900123")
        );
        assert_eq!(uk.kind, Kind::Other);
        assert_eq!(cn("0044 7700 900123").unwrap(), uk);
        assert_eq!(normalize("07700 900123", Country::Other(44)).unwrap(), uk);
        let us = normalize("(415) 555-0100", Country::Other(1)).unwrap();
        assert_eq!(us.e164, "+14155550100");
        let from_abroad = normalize("+86 138 0013 8000", Country::Other(44)).unwrap();
        assert_eq!(from_abroad.national, "+8613800138000");
        assert_eq!(from_abroad.kind, Kind::Mobile);
        let home = normalize("13800138000", Country::Other(86)).unwrap();
        assert_eq!(home.national, "13800138000");
    }

    #[test]
    fn rejections_say_what_is_wrong() {
        let msg = |raw: &str| cn(raw).unwrap_err().to_string();
        assert_eq!(
            msg("1380013800"),
            "`1380013800` has 10 digits: a mobile number has 11"
        );
        assert_eq!(
            msg("138001380001"),
            "`138001380001` has 12 digits: a mobile number has 11"
        );
        assert_eq!(cn(""), Err(Rejection::Empty));
        assert_eq!(cn(" - "), Err(Rejection::Empty));
        assert_eq!(cn("+"), Err(Rejection::Empty));
        assert!(msg("138abc").contains("contains `a`"));
        assert!(msg("13800'138000").contains("contains `'`"));
        assert!(msg("=\"13800138000").contains("contains `=`"));
        assert!(msg("138+0013").contains("contains `+`"));
        assert!(msg("010-65529988转123").contains("`转`"));
        assert!(matches!(
            cn("12800138000"),
            Err(Rejection::NotAMobileOrLandline { .. })
        ));
        assert!(matches!(
            cn("65529988"),
            Err(Rejection::MissingAreaCode { .. })
        ));
        assert!(matches!(cn("010-655299"), Err(Rejection::TooShort { .. })));
        assert!(matches!(
            cn("011-55299888"),
            Err(Rejection::NotAMobileOrLandline { .. })
        ));
        assert!(matches!(
            cn("010-05529988"),
            Err(Rejection::NotAMobileOrLandline { .. })
        ));
        assert!(matches!(
            cn("+0 123456789"),
            Err(Rejection::InvalidCountryCode { .. })
        ));
        assert!(matches!(cn("+44 123"), Err(Rejection::TooShort { .. })));
        assert!(matches!(cn("+86"), Err(Rejection::TooShort { .. })));
        assert!(matches!(
            cn("110"),
            Err(Rejection::TooShort { count: 3, .. })
        ));
        let long = cn(&"1".repeat(100)).unwrap_err();
        assert!(matches!(long, Rejection::TooLong { count: 100, .. }));
        let bad_code = normalize("12345678", Country::Other(1000));
        assert_eq!(bad_code, Err(Rejection::InvalidCallingCode { code: 1000 }));
    }

    #[test]
    fn scientific_notation_only_when_no_digit_is_lost() {
        assert_eq!(ok("1.3800138E+10").1, "13800138000");
        assert!(matches!(
            cn("1.38E+10"),
            Err(Rejection::ScientificNotation { .. })
        ));
        assert!(matches!(
            cn("1.38001E10"),
            Err(Rejection::ScientificNotation { .. })
        ));
        assert!(matches!(
            cn("1.380013800012E10"),
            Err(Rejection::ScientificNotation { .. })
        ));
        assert!(matches!(
            cn("1.23456789E99"),
            Err(Rejection::ScientificNotation { .. })
        ));
        assert!(matches!(
            cn("1e"),
            Err(Rejection::InvalidCharacters { found: 'e', .. })
        ));
    }
}
