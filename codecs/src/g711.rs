//! ITU-T G.711 µ-law and A-law, bit-exact with the ITU-T G.191 reference (`g711.c`).
//!
//! Samples are 16-bit linear PCM. Encoding uses lookup tables indexed by the 14-bit (µ-law) or
//! 13-bit (A-law) value the standard quantises, so one sample costs one shift and one load.
//! As in G.191, negative samples are quantised through their one's complement, so `0` encodes to
//! `0xFF` and `-1` to `0x7F` in µ-law. All tables are computed at compile time.

/// µ-law code for each 14-bit value `sample >> 2`, indexed by its two's-complement bits.
static ULAW_ENCODE: [u8; 1 << 14] = build_ulaw_encode();
/// A-law code for each 12-bit value `sample >> 4`, indexed by its two's-complement bits.
static ALAW_ENCODE: [u8; 1 << 12] = build_alaw_encode();
/// Linear sample for each µ-law code.
static ULAW_DECODE: [i16; 256] = build_ulaw_decode();
/// Linear sample for each A-law code.
static ALAW_DECODE: [i16; 256] = build_alaw_decode();

/// Encodes one sample to µ-law.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    ULAW_ENCODE[usize::from((sample >> 2) as u16 & 0x3FFF)]
}

/// Decodes one µ-law code.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[usize::from(code)]
}

/// Encodes one sample to A-law.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    ALAW_ENCODE[usize::from((sample >> 4) as u16 & 0x0FFF)]
}

/// Decodes one A-law code.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[usize::from(code)]
}

/// Encodes a frame to µ-law, appending one byte per sample.
pub fn ulaw_encode_frame(pcm: &[i16], out: &mut Vec<u8>) {
    out.reserve(pcm.len());
    out.extend(pcm.iter().map(|&sample| ulaw_encode(sample)));
}

/// Decodes a µ-law frame, appending one sample per byte.
pub fn ulaw_decode_frame(payload: &[u8], out: &mut Vec<i16>) {
    out.reserve(payload.len());
    out.extend(payload.iter().map(|&code| ulaw_decode(code)));
}

/// Encodes a frame to A-law, appending one byte per sample.
pub fn alaw_encode_frame(pcm: &[i16], out: &mut Vec<u8>) {
    out.reserve(pcm.len());
    out.extend(pcm.iter().map(|&sample| alaw_encode(sample)));
}

/// Decodes an A-law frame, appending one sample per byte.
pub fn alaw_decode_frame(payload: &[u8], out: &mut Vec<i16>) {
    out.reserve(payload.len());
    out.extend(payload.iter().map(|&code| alaw_decode(code)));
}

/// G.191 `ulaw_compress` for one 14-bit value (the 16-bit sample shifted right by 2).
const fn ulaw_compress_14(value: i32) -> u8 {
    // One's complement for negative values, then the bias (33) between A-law and µ-law thresholds.
    let mut magnitude = if value < 0 { !value } else { value } + 33;
    if magnitude > 0x1FFF {
        magnitude = 0x1FFF;
    }
    let mut segment = 1;
    let mut rest = magnitude >> 6;
    while rest != 0 {
        segment += 1;
        rest >>= 1;
    }
    let high_nibble = 8 - segment;
    let low_nibble = 0x0F - ((magnitude >> segment) & 0x0F);
    let code = (high_nibble << 4) | low_nibble;
    if value >= 0 {
        (code | 0x80) as u8
    } else {
        code as u8
    }
}

/// G.191 `alaw_compress` for one 12-bit value (the 16-bit sample shifted right by 4).
const fn alaw_compress_12(value: i32) -> u8 {
    let mut index = if value < 0 { !value } else { value };
    if index > 15 {
        let mut exponent = 1;
        while index > 16 + 15 {
            index >>= 1;
            exponent += 1;
        }
        index -= 16;
        index += exponent << 4;
    }
    if value >= 0 {
        index |= 0x80;
    }
    (index ^ 0x55) as u8
}

/// G.191 `ulaw_expand` for one code.
const fn ulaw_expand(code: u8) -> i16 {
    let inverted = !(code as i32);
    let exponent = (inverted >> 4) & 0x07;
    let mantissa = inverted & 0x0F;
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    if code < 0x80 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// G.191 `alaw_expand` for one code.
const fn alaw_expand(code: u8) -> i16 {
    let toggled = (code ^ 0x55) as i32 & 0x7F;
    let exponent = toggled >> 4;
    let mut mantissa = toggled & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    mantissa = (mantissa << 4) + 8;
    if exponent > 1 {
        mantissa <<= exponent - 1;
    }
    if code > 127 {
        mantissa as i16
    } else {
        -mantissa as i16
    }
}

const fn build_ulaw_encode() -> [u8; 1 << 14] {
    let mut table = [0u8; 1 << 14];
    let mut index = 0;
    while index < table.len() {
        // Sign-extend the 14-bit index back to the shifted sample value.
        let value = if index < (1 << 13) {
            index as i32
        } else {
            index as i32 - (1 << 14)
        };
        table[index] = ulaw_compress_14(value);
        index += 1;
    }
    table
}

const fn build_alaw_encode() -> [u8; 1 << 12] {
    let mut table = [0u8; 1 << 12];
    let mut index = 0;
    while index < table.len() {
        let value = if index < (1 << 11) {
            index as i32
        } else {
            index as i32 - (1 << 12)
        };
        table[index] = alaw_compress_12(value);
        index += 1;
    }
    table
}

const fn build_ulaw_decode() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = ulaw_expand(code as u8);
        code += 1;
    }
    table
}

const fn build_alaw_decode() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = alaw_expand(code as u8);
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight transcription of G.191 `ulaw_compress` on a 16-bit sample, for cross-checking the
    /// table path.
    fn reference_ulaw(sample: i16) -> u8 {
        let sample = i32::from(sample);
        let magnitude = if sample < 0 {
            ((!sample) >> 2) + 33
        } else {
            (sample >> 2) + 33
        }
        .min(0x1FFF);
        let segment = 32 - (magnitude >> 6).leading_zeros() as i32 + 1;
        let code = ((8 - segment) << 4) | (0x0F - ((magnitude >> segment) & 0x0F));
        (if sample >= 0 { code | 0x80 } else { code }) as u8
    }

    /// Straight transcription of G.191 `alaw_compress` on a 16-bit sample.
    fn reference_alaw(sample: i16) -> u8 {
        let sample = i32::from(sample);
        let mut index = if sample < 0 {
            (!sample) >> 4
        } else {
            sample >> 4
        };
        if index > 15 {
            let mut exponent = 1;
            while index > 31 {
                index >>= 1;
                exponent += 1;
            }
            index = index - 16 + (exponent << 4);
        }
        if sample >= 0 {
            index |= 0x80;
        }
        (index ^ 0x55) as u8
    }

    #[test]
    fn known_values() {
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7F);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0xFE), 8);
        assert_eq!(ulaw_decode(0xEF), 132);

        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
    }

    #[test]
    fn agrees_with_an_independent_implementation() {
        // (sample, µ-law, A-law) as produced by CPython's `audioop.lin2ulaw` / `lin2alaw`.
        let cases: [(i16, u8, u8); 9] = [
            (0, 0xFF, 0xD5),
            (1, 0xFF, 0xD5),
            (100, 0xF2, 0xD3),
            (1000, 0xCE, 0xFA),
            (-1000, 0x4E, 0x7A),
            (-100, 0x72, 0x53),
            (30000, 0x82, 0xA8),
            (-30000, 0x02, 0x28),
            (5000, 0xAB, 0x86),
        ];
        for (sample, ulaw, alaw) in cases {
            // audioop's µ-law (Sun's g711.c) negates negative samples before truncating, where
            // G.191 takes the one's complement, so the two differ by one code at some interval
            // edges below zero; compare µ-law on non-negative samples only.
            if sample >= 0 {
                assert_eq!(ulaw_encode(sample), ulaw, "ulaw {sample}");
            }
            assert_eq!(alaw_encode(sample), alaw, "alaw {sample}");
        }
    }

    #[test]
    fn tables_match_reference_for_every_sample() {
        for sample in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(sample), reference_ulaw(sample), "ulaw {sample}");
            assert_eq!(alaw_encode(sample), reference_alaw(sample), "alaw {sample}");
        }
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            let expected_ulaw = if code == 0x7F { 0xFF } else { code };
            assert_eq!(
                ulaw_encode(ulaw_decode(code)),
                expected_ulaw,
                "ulaw {code:#04x}"
            );
            assert_eq!(alaw_encode(alaw_decode(code)), code, "alaw {code:#04x}");
        }
    }

    /// Width of the quantisation interval that decodes to `value`'s code.
    fn ulaw_step(code: u8) -> i32 {
        8 << ((!code >> 4) & 0x07)
    }

    fn alaw_step(code: u8) -> i32 {
        let exponent = ((code ^ 0x55) >> 4) & 0x07;
        if exponent <= 1 {
            16
        } else {
            16 << (exponent - 1)
        }
    }

    #[test]
    fn every_sample_round_trips_within_quantisation_error() {
        for sample in i16::MIN..=i16::MAX {
            let value = i32::from(sample);
            let ulaw = ulaw_encode(sample);
            let ulaw_error = (value - i32::from(ulaw_decode(ulaw))).abs();
            let ulaw_clip = (value.abs() - 32124).max(0);
            assert!(
                ulaw_error <= (ulaw_step(ulaw) / 2 + 4).max(ulaw_clip + 4),
                "ulaw {sample}: error {ulaw_error}"
            );
            let alaw = alaw_encode(sample);
            let alaw_error = (value - i32::from(alaw_decode(alaw))).abs();
            let alaw_clip = (value.abs() - 32256).max(0);
            assert!(
                alaw_error <= (alaw_step(alaw) / 2 + 1).max(alaw_clip + 1),
                "alaw {sample}: error {alaw_error}"
            );
        }
    }

    #[test]
    fn decoding_is_monotonic_in_sample_value() {
        let mut previous_ulaw = i16::MIN;
        let mut previous_alaw = i16::MIN;
        for sample in i16::MIN..=i16::MAX {
            let ulaw = ulaw_decode(ulaw_encode(sample));
            let alaw = alaw_decode(alaw_encode(sample));
            assert!(ulaw >= previous_ulaw && alaw >= previous_alaw, "{sample}");
            previous_ulaw = ulaw;
            previous_alaw = alaw;
        }
    }
}
