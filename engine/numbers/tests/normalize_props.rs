//! Property tests of `normalize`: no panic on any text, idempotent on its own output, and every
//! common way of writing one number gives that number.

use proptest::prelude::*;
use voxgate_numbers::{Country, Kind, PhoneNumber, normalize};

fn country() -> impl Strategy<Value = Country> {
    prop_oneof![
        Just(Country::China),
        Just(Country::Other(44)),
        Just(Country::Other(1)),
        any::<u16>().prop_map(Country::Other),
    ]
}

/// Text that looks like a phone number more often than random text does.
fn number_like() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec!["", "+", "00", "+86", "0086", "86", "0", "+44", "＋"]);
    let body = prop::collection::vec(
        prop_oneof![
            8 => prop::char::range('0', '9'),
            1 => prop::sample::select(vec![' ', '-', '.', '(', ')', '\u{a0}', '０', '９', 'E', '+']),
        ],
        0..20,
    );
    (prefix, body)
        .prop_map(|(prefix, body)| format!("{prefix}{}", body.into_iter().collect::<String>()))
}

/// A valid Chinese mobile or landline, in its national form.
fn chinese_number() -> impl Strategy<Value = (String, Kind)> {
    let mobile = (prop::char::range('3', '9'), "[0-9]{9}")
        .prop_map(|(second, rest)| (format!("1{second}{rest}"), Kind::Mobile));
    let area = prop::sample::select(vec!["010", "020", "021", "028", "0571", "0755", "0951"]);
    let landline =
        (area, prop::char::range('2', '9'), "[0-9]{6,7}").prop_map(|(area, first, rest)| {
            let subscriber = format!("{first}{rest}");
            // Three-digit area codes go with 8-digit subscriber numbers.
            let subscriber = if area.len() == 3 && subscriber.len() == 7 {
                subscriber + "0"
            } else {
                subscriber
            };
            (format!("{area}{subscriber}"), Kind::Landline)
        });
    prop_oneof![mobile, landline]
}

/// `digits` split into groups by separators.
fn spaced(digits: &str, cuts: &[usize], separator: &str) -> String {
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && cuts.contains(&i) {
            out.push_str(separator);
        }
        out.push(ch);
    }
    out
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => {
                char::from_u32(u32::from(c) - u32::from('0') + u32::from('０')).unwrap_or(c)
            }
            '+' => '＋',
            _ => c,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_any_text(raw in any::<String>(), country in country()) {
        let _ = normalize(&raw, country);
    }

    #[test]
    fn never_panics_on_number_like_text(raw in number_like(), country in country()) {
        if let Err(rejection) = normalize(&raw, country) {
            prop_assert!(!rejection.to_string().is_empty());
        }
    }

    #[test]
    fn normalising_the_national_form_again_gives_the_same_number(
        raw in number_like(),
        country in prop_oneof![Just(Country::China), Just(Country::Other(44))],
    ) {
        if let Ok(number) = normalize(&raw, country) {
            prop_assert_eq!(normalize(&number.national, country), Ok(number.clone()));
            prop_assert_eq!(normalize(&number.e164, country), Ok(number));
        }
    }

    #[test]
    fn every_spelling_of_a_number_gives_one_result(
        (national, kind) in chinese_number(),
        cuts in prop::collection::vec(1usize..12, 0..4),
        separator in prop::sample::select(vec![" ", "-", ".", " - ", "\u{a0}", "\u{3000}"]),
        prefix in 0usize..5,
        wide in any::<bool>(),
    ) {
        let expected = normalize(&national, Country::China);
        let want = PhoneNumber {
            e164: format!("+86{}", national.strip_prefix('0').unwrap_or(&national)),
            national: national.clone(),
            kind,
        };
        prop_assert_eq!(&expected, &Ok(want));
        let body = spaced(&national, &cuts, separator);
        let significant = spaced(national.strip_prefix('0').unwrap_or(&national), &cuts, separator);
        let written = match (prefix, kind) {
            (1, _) => format!("+86 {significant}"),
            (2, _) => format!("0086{separator}{significant}"),
            (3, Kind::Mobile) => format!("86{body}"),
            (3, _) => format!("+86 ({}) {}", &national[1..4], &national[4..]),
            (4, _) => format!("({body})"),
            _ => body,
        };
        let written = if wide { full_width(&written) } else { written };
        prop_assert_eq!(normalize(&written, Country::China), expected, "written as {:?}", written);
    }
}
