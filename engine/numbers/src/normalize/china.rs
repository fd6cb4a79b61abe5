//! China's numbering plan: mobiles, landlines with area codes, service numbers.

use super::{Digits, Kind, PhoneNumber};
use crate::rejection::{LANDLINE, MOBILE, Rejection, quote};

/// A Chinese number without its country code. `after_86` allows an area code written without
/// its trunk 0 (`+86 10 6552 9988`); `home` says whether China is the dialling country.
pub(super) fn china_number(n: &str, after_86: bool, home: bool) -> Result<PhoneNumber, Rejection> {
    let Some(&first) = n.as_bytes().first() else {
        return Err(Rejection::TooShort {
            digits: String::new(),
            count: 0,
            expected: MOBILE,
        });
    };
    if is_mobile(n) {
        return Ok(china(n, Kind::Mobile, home));
    }
    if is_service(n) {
        return Ok(china(n, Kind::Service, home));
    }
    match first {
        b'0' => {
            if n.len() == 12 && is_mobile(&n[1..]) {
                return Ok(china(&n[1..], Kind::Mobile, home));
            }
            landline(n).map(|()| china(n, Kind::Landline, home))
        }
        b'1' => {
            if after_86 && n.starts_with("10") {
                let with_zero = with_trunk_zero(n)?;
                let with_zero = with_zero.as_str();
                return landline(with_zero).map(|()| china(with_zero, Kind::Landline, home));
            }
            if let Some(err) = Rejection::length(n, 11, 11, MOBILE) {
                return Err(err);
            }
            let why = "an 11-digit mobile number starts with 13 to 19";
            Err(Rejection::NotAMobileOrLandline {
                digits: n.to_owned(),
                why,
            })
        }
        _ if after_86 => {
            let with_zero = with_trunk_zero(n)?;
            let with_zero = with_zero.as_str();
            landline(with_zero).map(|()| china(with_zero, Kind::Landline, home))
        }
        _ if (7..=8).contains(&n.len()) => Err(Rejection::MissingAreaCode {
            digits: n.to_owned(),
        }),
        _ => {
            let why = "a mobile number starts with 1, a landline with 0 and its area code";
            Err(Rejection::NotAMobileOrLandline {
                digits: quote(n),
                why,
            })
        }
    }
}

/// `0` followed by `n`: an area code written after `+86` without its trunk 0.
fn with_trunk_zero(n: &str) -> Result<Digits, Rejection> {
    let mut digits = Digits::new();
    for digit in std::iter::once(b'0').chain(n.bytes()) {
        if !digits.push(digit) {
            let count = n.len() + 1;
            return Err(Rejection::TooLong {
                digits: quote(n),
                count,
                expected: LANDLINE,
            });
        }
    }
    Ok(digits)
}

/// 11 digits, 13x to 19x.
pub(super) fn is_mobile(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// 95xxx (5-8 digits), 400/800 (10 digits), carrier 100xx and public 12xxx hotlines (5 digits).
fn is_service(n: &str) -> bool {
    let len = n.len();
    (n.starts_with("95") && (5..=8).contains(&len))
        || ((n.starts_with("400") || n.starts_with("800")) && len == 10)
        || ((n.starts_with("100") || n.starts_with("12")) && len == 5)
}

/// Checks a landline with its trunk 0: area code 010, 02X or 0[3-9]XX, then a 7-8 digit
/// subscriber number that starts with 2-9.
fn landline(n: &str) -> Result<(), Rejection> {
    if let Some(err) = Rejection::length(n, 10, 12, LANDLINE) {
        return Err(err);
    }
    let b = n.as_bytes();
    let area_len = match (b[1], b[2]) {
        (b'1', b'0') | (b'2', _) => 3,
        (b'3'..=b'9', _) => 4,
        _ => {
            let why = "area codes are 010, 02X or 0[3-9]XX";
            return Err(Rejection::NotAMobileOrLandline {
                digits: n.to_owned(),
                why,
            });
        }
    };
    let subscriber = &n[area_len..];
    if !(7..=8).contains(&subscriber.len()) {
        let why = "after the area code comes a 7-8 digit subscriber number";
        return Err(Rejection::NotAMobileOrLandline {
            digits: n.to_owned(),
            why,
        });
    }
    if subscriber.starts_with(['0', '1']) {
        let why = "a subscriber number after the area code starts with 2-9";
        return Err(Rejection::NotAMobileOrLandline {
            digits: n.to_owned(),
            why,
        });
    }
    Ok(())
}

/// A valid Chinese number from its national digits (landlines with their trunk 0).
pub(super) fn china(national: &str, kind: Kind, home: bool) -> PhoneNumber {
    let significant = match kind {
        Kind::Landline => national.strip_prefix('0').unwrap_or(national),
        _ => national,
    };
    let mut e164 = String::with_capacity(3 + significant.len());
    e164.push_str("+86");
    e164.push_str(significant);
    let national = if home {
        national.to_owned()
    } else {
        e164.clone()
    };
    PhoneNumber {
        e164,
        national,
        kind,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Country, Kind, normalize};

    fn ok(raw: &str) -> (String, String, Kind) {
        let n = normalize(raw, Country::China).unwrap_or_else(|e| panic!("{raw}: {e}"));
        (n.e164, n.national, n.kind)
    }

    #[test]
    fn landlines_keep_their_trunk_zero() {
        let beijing = ("+861065529988".into(), "01065529988".into(), Kind::Landline);
        assert_eq!(ok("010-6552 9988"), beijing);
        assert_eq!(ok("(010) 65529988"), beijing);
        assert_eq!(ok("+86 10 6552 9988"), beijing);
        assert_eq!(ok("+86 010 6552 9988"), beijing);
        assert_eq!(ok("0086-10-65529988"), beijing);
        assert_eq!(ok("0571-8765432").1, "05718765432");
        assert_eq!(ok("0755-86013388").0, "+8675586013388");
        assert_eq!(ok("+86 21 6321 0000").1, "02163210000");
        assert_eq!(ok("+86 571 8765 4321").1, "057187654321");
    }

    #[test]
    fn service_numbers_are_flagged() {
        for raw in [
            "95588",
            "400-810-8888",
            "800 820 8820",
            "10086",
            "12345",
            "95105888",
        ] {
            assert_eq!(ok(raw).2, Kind::Service, "{raw}");
        }
        assert_eq!(ok("+86 95588").1, "95588");
    }
}
