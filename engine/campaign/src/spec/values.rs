//! Small values written in campaign and holiday files: durations, ids, weekdays, levels,
//! country codes, paths. Each parser says what was expected.

use jiff::civil::Weekday;

/// `"500ms"`, `"30s"`, `"5m"`, `"2h"` or `"1d"` as milliseconds.
pub(crate) fn duration_ms(s: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{s}` is not a duration; expected a whole number and a unit like \"500ms\", \"30s\", \"5m\", \"2h\" or \"1d\""
        )
    };
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    let scale = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    let number: i64 = number.parse().map_err(|_| bad())?;
    number
        .checked_mul(scale)
        .filter(|ms| *ms <= 366 * 86_400_000)
        .ok_or_else(|| format!("`{s}` is too long; expected at most a year"))
}

/// A campaign id or group name: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
pub(crate) fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

const DAYS: [(&str, &str, Weekday); 7] = [
    ("mon", "monday", Weekday::Monday),
    ("tue", "tuesday", Weekday::Tuesday),
    ("wed", "wednesday", Weekday::Wednesday),
    ("thu", "thursday", Weekday::Thursday),
    ("fri", "friday", Weekday::Friday),
    ("sat", "saturday", Weekday::Saturday),
    ("sun", "sunday", Weekday::Sunday),
];

/// `mon`..`sun` or `monday`..`sunday`, any case.
pub(crate) fn weekday(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter()
        .find(|(short, long, _)| s == *short || s == *long)
        .map(|d| d.2)
}

/// A `[windows]` key: one day (`sat`) or a range of days in week order (`mon-fri`).
pub(crate) fn day_key(key: &str) -> Result<Vec<Weekday>, String> {
    let bad = || {
        format!(
            "`{key}` is not a day; expected mon, tue, wed, thu, fri, sat, sun or a range like \"mon-fri\""
        )
    };
    let (first, last) = match key.split_once('-') {
        Some((a, b)) => (weekday(a).ok_or_else(bad)?, weekday(b).ok_or_else(bad)?),
        None => {
            let day = weekday(key).ok_or_else(bad)?;
            (day, day)
        }
    };
    let (a, b) = (first.to_monday_zero_offset(), last.to_monday_zero_offset());
    if a > b {
        return Err(format!(
            "`{key}` runs backwards; expected days in week order from Monday, like \"mon-fri\" or \"sat-sun\""
        ));
    }
    Ok(
        DAYS[usize::from(a.unsigned_abs())..=usize::from(b.unsigned_abs())]
            .iter()
            .map(|d| d.2)
            .collect(),
    )
}

/// An intent level: `A` to `F`.
pub(crate) fn is_level(s: &str) -> bool {
    matches!(s, "A" | "B" | "C" | "D" | "E" | "F")
}

/// `"CN"` (China, +86) or a calling code like `"+1"`, as the calling code.
pub(crate) fn calling_code(s: &str) -> Result<u16, String> {
    if s.eq_ignore_ascii_case("CN") {
        return Ok(86);
    }
    s.strip_prefix('+')
        .filter(|d| (1..=3).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|code| *code > 0)
        .ok_or_else(|| {
            format!("`{s}` is not a country; expected \"CN\" or a calling code like \"+1\"")
        })
}

/// An environment variable name: letters, digits and `_`, not starting with a digit.
pub(crate) fn is_env_name(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Does `path` end with one of `extensions` (without the dot, any case)?
pub(crate) fn has_extension(path: &str, extensions: &[&str]) -> bool {
    std::path::Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("500ms"), Ok(500));
        assert_eq!(duration_ms("30s"), Ok(30_000));
        assert_eq!(duration_ms("5m"), Ok(300_000));
        assert_eq!(duration_ms("2h"), Ok(7_200_000));
        assert_eq!(duration_ms("1d"), Ok(86_400_000));
        assert_eq!(duration_ms("0s"), Ok(0));
        for bad in ["", "30", "s", "-5m", "1.5h", "5 m", "5M", "1w"] {
            assert!(
                duration_ms(bad)
                    .unwrap_err()
                    .contains("expected a whole number"),
                "{bad}"
            );
        }
        assert!(duration_ms("99999999999999999999d").is_err());
        assert!(duration_ms("400d").unwrap_err().contains("at most a year"));
    }

    #[test]
    fn ids_days_levels_countries_env_names() {
        assert!(is_id("insurance-renewal_2") && !is_id("") && !is_id("Caps") && !is_id("a b"));
        assert!(!is_id(&"a".repeat(65)) && is_id(&"a".repeat(64)));
        assert_eq!(weekday("Sunday"), Some(Weekday::Sunday));
        assert_eq!(day_key("sat").unwrap(), [Weekday::Saturday]);
        assert_eq!(day_key("mon-fri").unwrap().len(), 5);
        assert!(day_key("fri-mon").unwrap_err().contains("runs backwards"));
        assert!(day_key("mo").unwrap_err().contains("expected mon, tue"));
        assert!(is_level("A") && !is_level("G") && !is_level("a"));
        assert_eq!(calling_code("CN"), Ok(86));
        assert_eq!(calling_code("+1"), Ok(1));
        assert_eq!(calling_code("+852"), Ok(852));
        for bad in ["US", "1", "+", "+1234", "+0"] {
            assert!(calling_code(bad).is_err(), "{bad}");
        }
        assert!(is_env_name("VOXGATE_SECRET") && !is_env_name("1X") && !is_env_name("a-b"));
        assert!(has_extension("a/b.WASM", &["wasm"]) && !has_extension("b.wasm.txt", &["wasm"]));
    }
}
