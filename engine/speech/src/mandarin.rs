//! Mandarin text to tone-numbered pinyin that espeak-ng's `cmn-latn-pinyin` voice reads.
//!
//! Debian's espeak-ng (1.51) ships the `cmn` dictionary without the hanzi lexicon, and its `cmn`
//! voice reads most tone-numbered syllables ("ni3") as English letters. The
//! `cmn-latn-pinyin` voice reads every syllable in the form `zhong1 guo2 ren2` (neutral tone
//! `5`, `ü` written `v`), applies third-tone sandhi, and reads digit runs as Mandarin numbers
//! ("123" is yi bai er shi san). This module writes text in that form:
//!
//! - each hanzi becomes its most common reading with the tone digit at the end;
//! - Chinese punctuation becomes the ASCII mark espeak-ng pauses on;
//! - full-width digits and letters become ASCII; Latin words pass through (the voice reads
//!   them as English);
//! - `3.14` becomes `3 dian3 1 4` (decimals are read digit by digit) and `50%` becomes
//!   `bai3 fen1 zhi1 50`, which espeak-ng would otherwise read as "san wu percent".

use pinyin::ToPinyin;

/// Whether `c` is a CJK ideograph (the blocks Mandarin text uses).
pub fn is_hanzi(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}')
}

/// Whether the text contains any CJK ideograph.
pub fn has_hanzi(text: &str) -> bool {
    text.chars().any(is_hanzi)
}

/// Rewrites Mandarin text for espeak-ng's `cmn-latn-pinyin` voice (see the module docs).
pub fn to_espeak_pinyin(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(fold_full_width).collect();
    let mut out = String::with_capacity(text.len() * 3);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            i = push_number(&chars, i, &mut out);
            continue;
        }
        if is_hanzi(c) {
            if let Some(reading) = c.to_pinyin() {
                push_word(&mut out, &syllable(reading.with_tone_num_end()));
            }
        } else if let Some(mark) = punctuation(c) {
            out.truncate(out.trim_end().len());
            out.push_str(mark);
            out.push(' ');
        } else if c.is_whitespace() {
            push_space(&mut out);
        } else {
            out.push(c);
        }
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A pinyin syllable as the voice wants it: `ü` as `v`, a `5` for the neutral tone.
fn syllable(reading: &str) -> String {
    let mut syllable: String = reading
        .chars()
        .map(|c| if c == 'ü' { 'v' } else { c })
        .collect();
    if !syllable.ends_with(|c: char| c.is_ascii_digit()) {
        syllable.push('5');
    }
    syllable
}

/// Appends `word` as a word of its own.
fn push_word(out: &mut String, word: &str) {
    push_space(out);
    out.push_str(word);
    out.push(' ');
}

fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

/// Writes the number starting at `start` (digits, an optional `.digits`, an optional `%`)
/// and returns the index after it.
fn push_number(chars: &[char], start: usize, out: &mut String) -> usize {
    let digits_end = |from: usize| {
        (from..chars.len())
            .find(|&j| !chars[j].is_ascii_digit())
            .unwrap_or(chars.len())
    };
    let int_end = digits_end(start);
    let mut end = int_end;
    let mut decimals = None;
    if chars.get(int_end) == Some(&'.') && chars.get(int_end + 1).is_some_and(char::is_ascii_digit)
    {
        let frac_end = digits_end(int_end + 1);
        decimals = Some(&chars[int_end + 1..frac_end]);
        end = frac_end;
    }
    let percent = chars.get(end) == Some(&'%');
    let mut words = Vec::new();
    if percent {
        words.push("bai3 fen1 zhi1".to_string());
        end += 1;
    }
    words.push(chars[start..int_end].iter().collect());
    if let Some(decimals) = decimals {
        words.push("dian3".into());
        words.extend(decimals.iter().map(char::to_string));
    }
    push_word(out, &words.join(" "));
    end
}

/// Full-width ASCII forms (`１`, `Ａ`, `％`) as ASCII.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The ASCII mark espeak-ng pauses on for a punctuation mark (after full-width folding), or
/// a plain space for brackets and quotes.
fn punctuation(c: char) -> Option<&'static str> {
    Some(match c {
        ',' | '、' | '…' | '—' | '~' => ",",
        '.' | '。' => ".",
        '?' => "?",
        '!' => "!",
        ';' => ";",
        ':' => ":",
        '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '《' | '》' | '【' | '】' | '('
        | ')' | '"' => " ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hanzi_become_tone_numbered_syllables() {
        assert_eq!(
            to_espeak_pinyin("你好，我是小张。"),
            "ni3 hao3, wo3 shi4 xiao3 zhang1."
        );
        assert_eq!(to_espeak_pinyin("绿色的"), "lv4 se4 de5");
    }

    #[test]
    fn numbers_percent_and_decimals() {
        assert_eq!(
            to_espeak_pinyin("利率3.5%"),
            "li4 lv4 bai3 fen1 zhi1 3 dian3 5"
        );
        assert_eq!(to_espeak_pinyin("１２３元"), "123 yuan2");
        assert_eq!(to_espeak_pinyin("版本2."), "ban3 ben3 2.");
    }

    #[test]
    fn latin_words_pass_through() {
        assert_eq!(to_espeak_pinyin("打开APP 看看"), "da3 kai1 APP kan4 kan4");
        assert!(has_hanzi("call 我"));
        assert!(!has_hanzi("plain English, 123"));
    }
}
