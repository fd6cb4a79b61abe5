//! Scoring: word error rate on normalised English, character error rate on Mandarin.
//!
//! English normalisation: lower case; punctuation removed (apostrophes too); numbers written
//! as digits spelled out the way the references are ("10" -> "ten", "$20" -> "twenty dollars",
//! "3rd" -> "third", numbers of three or more digits digit by digit: "555-1234" -> "five five
//! five one two three four").

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const ORDINALS: [&str; 20] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];

/// `n` below 100 in words ("twenty one").
fn cardinal(n: usize) -> String {
    match n {
        0..=19 => ONES[n].to_owned(),
        _ if n.is_multiple_of(10) => TENS[n / 10].to_owned(),
        _ => format!("{} {}", TENS[n / 10], ONES[n % 10]),
    }
}

/// `n` below 100 as an ordinal ("twenty first").
fn ordinal(n: usize) -> String {
    match n {
        0..=19 => ORDINALS[n].to_owned(),
        _ if n.is_multiple_of(10) => format!("{}ieth", TENS[n / 10].trim_end_matches('y')),
        _ => format!("{} {}", TENS[n / 10], ORDINALS[n % 10]),
    }
}

/// One token of digits (with an optional ordinal suffix) in words.
fn number_words(digits: &str, suffix: &str) -> String {
    let value = digits.parse::<usize>().ok().filter(|_| digits.len() <= 2);
    match (value, suffix) {
        (Some(n), "st" | "nd" | "rd" | "th") => ordinal(n),
        (Some(n), _) => cardinal(n),
        (None, _) => digits
            .chars()
            .filter_map(|c| c.to_digit(10))
            .map(|d| ONES[d as usize])
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The normalised words of an English transcript.
pub fn normalise_english(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for raw in text.split_whitespace() {
        let dollars = raw.starts_with('$');
        let cleaned: String = raw
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        for part in cleaned.split_whitespace() {
            let split = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            let (digits, rest) = part.split_at(split);
            if digits.is_empty() {
                words.push(part.to_owned());
                continue;
            }
            words.extend(number_words(digits, rest).split(' ').map(str::to_owned));
            if !matches!(rest, "" | "st" | "nd" | "rd" | "th") {
                words.push(rest.to_owned());
            }
        }
        if dollars {
            words.push("dollars".to_owned());
        }
    }
    words
}

/// The characters of a Mandarin transcript that count: no spaces or punctuation.
pub fn normalise_hanzi(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance (substitutions, insertions, deletions) between two sequences.
pub fn edit_distance<T: PartialEq>(reference: &[T], hypothesis: &[T]) -> usize {
    let mut previous: Vec<usize> = (0..=hypothesis.len()).collect();
    let mut current = vec![0; hypothesis.len() + 1];
    for (i, r) in reference.iter().enumerate() {
        current[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let substitution = previous[j] + usize::from(r != h);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[hypothesis.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_spelled_like_the_references() {
        let words = normalise_english("My number is 555-1234, call at 10! $20 on the 3rd, 21st.");
        assert_eq!(
            words.join(" "),
            "my number is five five five one two three four call at ten twenty dollars \
             on the third twenty first"
        );
    }

    #[test]
    fn edit_distance_counts_every_kind_of_error() {
        let r = ["a", "b", "c", "d"];
        assert_eq!(edit_distance(&r, &["a", "b", "c", "d"]), 0);
        assert_eq!(edit_distance(&r, &["a", "x", "c"]), 2);
        assert_eq!(edit_distance(&r, &[]), 4);
        assert_eq!(
            normalise_hanzi("你好，世界！"),
            vec!['你', '好', '世', '界']
        );
    }
}
