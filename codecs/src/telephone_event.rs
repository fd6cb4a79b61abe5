//! RFC 4733 telephone-event payloads: DTMF digits carried in RTP.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::CodecError;

/// Size of one telephone-event payload block.
pub const PAYLOAD_LEN: usize = 4;

/// Largest volume value (the field is 6 bits, in -dBm0).
pub const MAX_VOLUME: u8 = 0x3F;

/// One RFC 4733 event report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// Event code: 0-9, 10 = `*`, 11 = `#`, 12-15 = A-D for DTMF.
    pub event: u8,
    /// The E bit: this packet reports the end of the event.
    pub end: bool,
    /// Power level in -dBm0, 0-63 (6 bits; larger values are masked when written).
    pub volume: u8,
    /// Duration so far, in units of the telephone-event RTP clock.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event block of a payload. Extra bytes (RFC 2198 redundancy blocks or
    /// padding) are ignored; the reserved R bit is ignored as the RFC requires.
    pub fn parse(payload: &[u8]) -> Result<Self, CodecError> {
        let [event, flags, duration_high, duration_low, ..] = *payload else {
            return Err(CodecError::TelephoneEventTooShort { len: payload.len() });
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & MAX_VOLUME,
            duration: u16::from_be_bytes([duration_high, duration_low]),
        })
    }

    /// Appends the 4-byte payload to `out`, with the R bit clear.
    pub fn write(&self, out: &mut Vec<u8>) {
        let end_bit = if self.end { 0x80 } else { 0 };
        let duration = self.duration.to_be_bytes();
        out.extend_from_slice(&[
            self.event,
            end_bit | (self.volume & MAX_VOLUME),
            duration[0],
            duration[1],
        ]);
    }

    /// The DTMF digit this event stands for, if it is one.
    pub fn digit(&self) -> Option<char> {
        event_to_digit(self.event)
    }
}

/// The DTMF digit for an event code: 0-9, 10 = `*`, 11 = `#`, 12-15 = `A`-`D`.
pub fn event_to_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => char::from_digit(u32::from(event), 10),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + (event - 12))),
        _ => None,
    }
}

/// The event code for a DTMF digit (`0`-`9`, `*`, `#`, `A`-`D`, letters in either case).
pub fn digit_to_event(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        'a'..='d' => Some(digit as u8 - b'a' + 12),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc4733_layout() {
        // Digit 5, not ended, volume 10 (-10 dBm0), 400 units (50 ms at 8 kHz).
        let start = TelephoneEvent::parse(&[0x05, 0x0A, 0x01, 0x90]).unwrap();
        assert_eq!(
            start,
            TelephoneEvent {
                event: 5,
                end: false,
                volume: 10,
                duration: 400
            }
        );
        // Same digit ended after 800 units; the reserved bit (0x40) is ignored.
        let end = TelephoneEvent::parse(&[0x05, 0xCA, 0x03, 0x20]).unwrap();
        assert_eq!(
            end,
            TelephoneEvent {
                event: 5,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(end.digit(), Some('5'));
    }

    #[test]
    fn writes_and_round_trips() {
        let event = TelephoneEvent {
            event: 11,
            end: true,
            volume: 63,
            duration: 0xFFFF,
        };
        let mut out = vec![0x99];
        event.write(&mut out);
        assert_eq!(out, [0x99, 11, 0xBF, 0xFF, 0xFF]);
        assert_eq!(TelephoneEvent::parse(&out[1..]).unwrap(), event);

        let loud = TelephoneEvent {
            event: 1,
            end: false,
            volume: 0xFF,
            duration: 160,
        };
        let mut out = Vec::new();
        loud.write(&mut out);
        assert_eq!(
            out,
            [1, 0x3F, 0x00, 0xA0],
            "volume is masked to 6 bits, R stays 0"
        );
    }

    #[test]
    fn short_payload_is_an_error() {
        for len in 0..PAYLOAD_LEN {
            assert_eq!(
                TelephoneEvent::parse(&[0; 3][..len]),
                Err(CodecError::TelephoneEventTooShort { len })
            );
        }
        // Trailing redundancy blocks are tolerated.
        assert!(TelephoneEvent::parse(&[1, 0, 0, 160, 2, 0, 0, 160]).is_ok());
    }

    #[test]
    fn digit_mapping_both_ways() {
        let digits = "0123456789*#ABCD";
        for (event, digit) in digits.chars().enumerate() {
            assert_eq!(event_to_digit(event as u8), Some(digit));
            assert_eq!(digit_to_event(digit), Some(event as u8));
        }
        assert_eq!(digit_to_event('c'), Some(14));
        assert_eq!(event_to_digit(16), None, "flash is not a digit");
        assert_eq!(digit_to_event('E'), None);
        assert_eq!(digit_to_event('5'), Some(5));
    }
}
