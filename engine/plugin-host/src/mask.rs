//! Phone-number masking for plugins that may not see full numbers (and for exports).

/// Masks the digits of a phone number or caller ID with `*`.
///
/// Numbers of 11 or more digits keep their first 3 and last 4 digits (`13812345678` ->
/// `138****5678`); shorter ones have the middle third of their digits masked (`5551234` ->
/// `55**234`). Characters that are not ASCII digits (`+`, `sip:`, `@host`) are kept.
pub fn mask_number(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let (start, end) = if digits >= 11 {
        (3, digits - 4)
    } else {
        let hidden = digits.div_ceil(3);
        let start = (digits - hidden) / 2;
        (start, start + hidden)
    };
    let mut index = 0;
    number
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            let masked = index >= start && index < end;
            index += 1;
            if masked { '*' } else { c }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mask_number;

    #[test]
    fn long_numbers_keep_three_and_four() {
        assert_eq!(mask_number("13812345678"), "138****5678");
        assert_eq!(mask_number("+8613812345678"), "+861******5678");
        assert_eq!(
            mask_number("sip:004915112345678@gw"),
            "sip:004********5678@gw"
        );
    }

    #[test]
    fn short_numbers_mask_the_middle_third() {
        assert_eq!(mask_number("5551234"), "55***34");
        assert_eq!(mask_number("1000"), "1**0");
        assert_eq!(mask_number("123456789"), "123***789");
        assert_eq!(mask_number("7"), "*");
        assert_eq!(mask_number(""), "");
        assert_eq!(mask_number("anonymous"), "anonymous");
    }
}
