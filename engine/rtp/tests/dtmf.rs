//! RFC 4733 DTMF through RtpSession, with the packet shapes real peers send.

mod common;

use std::time::{Duration, Instant};

use common::{FRAME, addr, config, event, rtp};
use voxgate_rtp::{MediaEvent, RtpError, RtpSession};

const SSRC: u32 = 0x5151;

/// Feeds packets, one per 20 ms, and returns the digits reported.
struct Peer {
    session: RtpSession,
    start: Instant,
    tick: u32,
    seq: u16,
}

impl Peer {
    fn new() -> Self {
        Self::with(RtpSession::new(Instant::now(), config(1, None)))
    }

    fn with(session: RtpSession) -> Self {
        Peer {
            session,
            start: Instant::now(),
            tick: 0,
            seq: 1000,
        }
    }

    fn now(&self) -> Instant {
        self.start + FRAME * self.tick
    }

    /// Delivers a packet built from the next sequence number; `same_seq` reuses the previous one.
    fn deliver(&mut self, same_seq: bool, build: impl FnOnce(u16) -> Vec<u8>) {
        if !same_seq {
            self.seq = self.seq.wrapping_add(1);
        }
        let packet = build(self.seq);
        self.session
            .handle_datagram(self.now(), addr("192.0.2.50:6000"), &packet)
            .unwrap();
    }

    fn audio(&mut self, timestamp: u32) {
        self.deliver(false, |seq| {
            rtp(0, false, seq, timestamp, SSRC, &[0xFF; 160])
        });
        self.tick += 1;
    }

    fn digits(&mut self) -> Vec<(char, Duration)> {
        std::iter::from_fn(|| self.session.poll_event())
            .filter_map(|event| match event {
                MediaEvent::Dtmf { digit, duration } => Some((digit, duration)),
                _ => None,
            })
            .collect()
    }
}

/// A digit as an RFC 4733 sender emits it: updates every frame, then the end packet three times.
struct Shape {
    marker: bool,
    end_same_seq: bool,
    ends: usize,
    units_per_frame: u16,
}

const RFC: Shape = Shape {
    marker: true,
    end_same_seq: false,
    ends: 3,
    units_per_frame: 160,
};

fn press(peer: &mut Peer, shape: &Shape, digit: u8, timestamp: u32, frames: u16) {
    for frame in 1..=frames {
        let duration = frame * shape.units_per_frame;
        let marker = shape.marker && frame == 1;
        peer.deliver(false, |seq| {
            event(marker, seq, timestamp, SSRC, digit, false, duration)
        });
        peer.tick += 1;
    }
    let duration = frames * shape.units_per_frame;
    for repeat in 0..shape.ends {
        let same = shape.end_same_seq && repeat > 0;
        peer.deliver(same, |seq| {
            event(false, seq, timestamp, SSRC, digit, true, duration)
        });
        peer.tick += 1;
    }
}

#[test]
fn rfc_shape_reports_the_digit_once_with_its_duration() {
    let mut peer = Peer::new();
    peer.audio(0);
    press(&mut peer, &RFC, 1, 160, 5);
    peer.audio(160 * 9);
    assert_eq!(peer.digits(), [('1', Duration::from_millis(100))]);
}

#[test]
fn missing_marker_bit_is_tolerated() {
    let mut peer = Peer::new();
    let shape = Shape {
        marker: false,
        ..RFC
    };
    press(&mut peer, &shape, 9, 8000, 4);
    press(&mut peer, &shape, 9, 8000 + 160 * 8, 4);
    assert_eq!(
        peer.digits(),
        [
            ('9', Duration::from_millis(80)),
            ('9', Duration::from_millis(80))
        ],
        "the same digit twice: told apart by timestamp"
    );
}

#[test]
fn linphone_repeated_end_with_same_sequence_reports_once() {
    let mut peer = Peer::new();
    let shape = Shape {
        end_same_seq: true,
        ..RFC
    };
    press(&mut peer, &shape, 11, 320, 6);
    assert_eq!(peer.digits(), [('#', Duration::from_millis(120))]);
    assert!(
        peer.session.stats().discarded_packets >= 2,
        "duplicate end packets dropped"
    );
}

#[test]
fn baresip_opus_durations_counted_at_48khz() {
    // Opus at 48 kHz, telephone-event announced at 8000 but durations counted at 48 kHz.
    let mut session_config = config(1, None);
    session_config.payload_type = 0;
    session_config.clock_rate = 48_000;
    session_config.samples_per_frame = 960;
    session_config.telephone_event = Some((101, 8000));
    let mut peer = Peer::with(RtpSession::new(Instant::now(), session_config));
    let shape = Shape {
        units_per_frame: 960,
        ..RFC
    };
    press(&mut peer, &shape, 3, 96_000, 5);
    let digits = peer.digits();
    assert_eq!(digits.len(), 1);
    assert_eq!(digits[0].0, '3');
    assert_eq!(
        digits[0].1,
        Duration::from_millis(100),
        "not the 600 ms the /8000 reading gives"
    );
}

#[test]
fn event_without_end_is_reported_when_another_event_starts() {
    let mut peer = Peer::new();
    let no_end = Shape { ends: 0, ..RFC };
    press(&mut peer, &no_end, 4, 1600, 3);
    assert!(peer.digits().is_empty(), "still pressed as far as we know");
    press(&mut peer, &RFC, 2, 1600 + 160 * 6, 3);
    assert_eq!(
        peer.digits(),
        [
            ('4', Duration::from_millis(60)),
            ('2', Duration::from_millis(60))
        ]
    );
}

#[test]
fn event_without_end_is_reported_when_audio_resumes() {
    let mut peer = Peer::new();
    let no_end = Shape { ends: 0, ..RFC };
    press(&mut peer, &no_end, 7, 1600, 4);
    // Audio right after the event's span (4 frames) does not end it yet...
    peer.audio(1600 + 160 * 4);
    assert!(peer.digits().is_empty());
    // ...audio clearly after it does.
    peer.audio(1600 + 160 * 7);
    assert_eq!(peer.digits(), [('7', Duration::from_millis(80))]);
}

#[test]
fn end_packets_only_still_report() {
    let mut peer = Peer::new();
    for _ in 0..3 {
        peer.deliver(false, |seq| event(false, seq, 4800, SSRC, 0, true, 800));
        peer.tick += 1;
    }
    assert_eq!(peer.digits(), [('0', Duration::from_millis(100))]);
}

#[test]
fn stragglers_of_a_previous_event_are_not_reported_again() {
    let mut peer = Peer::new();
    press(&mut peer, &RFC, 5, 1600, 3);
    press(&mut peer, &RFC, 6, 1600 + 160 * 7, 3);
    // A reordered end packet of the first digit arrives late.
    peer.deliver(false, |seq| event(false, seq, 1600, SSRC, 5, true, 480));
    let digits: Vec<char> = peer.digits().into_iter().map(|(digit, _)| digit).collect();
    assert_eq!(digits, ['5', '6']);
}

#[test]
fn non_digit_events_are_ignored() {
    let mut peer = Peer::new();
    press(&mut peer, &RFC, 16, 1600, 3); // flash
    assert!(peer.digits().is_empty());
}

#[test]
fn sent_digit_follows_rfc4733_and_is_detected_by_a_peer() {
    let start = Instant::now();
    let b_addr = addr("10.0.0.2:30000");
    let mut a = RtpSession::new(start, config(0xA, Some(b_addr)));
    let mut b = RtpSession::new(start, config(0xB, None));
    let base_ts = a.config().initial_timestamp;

    assert_eq!(
        a.send_dtmf('x', Duration::from_millis(100)),
        Err(RtpError::InvalidDigit('x'))
    );
    a.send_audio(start, &[0xFF; 160]).unwrap();
    a.send_dtmf('7', Duration::from_millis(100)).unwrap();
    assert!(a.is_sending_dtmf());

    let mut packets = Vec::new();
    for tick in 1..12u32 {
        let now = start + FRAME * tick;
        let packet = a.send_audio(now, &[0xFF; 160]).unwrap();
        b.handle_datagram(now, addr("10.0.0.1:20000"), &packet.payload)
            .unwrap();
        packets.push(packet.payload);
    }
    let fields: Vec<(bool, u8, u32, u8, bool, u16)> = packets
        .iter()
        .map(|packet| {
            let reader = rtp_rs::RtpReader::new(packet).unwrap();
            let payload = reader.payload();
            let duration = if payload.len() == 4 {
                u16::from_be_bytes([payload[2], payload[3]])
            } else {
                0
            };
            let end = payload.len() == 4 && payload[1] & 0x80 != 0;
            (
                reader.mark(),
                reader.payload_type(),
                reader.timestamp(),
                payload[0],
                end,
                duration,
            )
        })
        .collect();
    let event_ts = base_ts + 160;
    assert_eq!(
        fields[..8],
        [
            (true, 101, event_ts, 7, false, 160),
            (false, 101, event_ts, 7, false, 320),
            (false, 101, event_ts, 7, false, 480),
            (false, 101, event_ts, 7, false, 640),
            (false, 101, event_ts, 7, true, 800),
            (false, 101, event_ts, 7, true, 800),
            (false, 101, event_ts, 7, true, 800),
            (true, 0, base_ts + 8 * 160, 0xFF, false, 0),
        ]
    );
    assert!(!a.is_sending_dtmf());
    let seqs: Vec<u16> = packets
        .iter()
        .map(|packet| u16::from(rtp_rs::RtpReader::new(packet).unwrap().sequence_number()))
        .collect();
    assert!(
        seqs.windows(2)
            .all(|pair| pair[1] == pair[0].wrapping_add(1))
    );

    let digits: Vec<MediaEvent> = std::iter::from_fn(|| b.poll_event())
        .filter(|event| matches!(event, MediaEvent::Dtmf { .. }))
        .collect();
    assert_eq!(
        digits,
        [MediaEvent::Dtmf {
            digit: '7',
            duration: Duration::from_millis(100)
        }]
    );
}

#[test]
fn dtmf_needs_negotiated_telephone_event() {
    let mut session_config = config(1, None);
    session_config.telephone_event = None;
    let mut session = RtpSession::new(Instant::now(), session_config);
    assert_eq!(
        session.send_dtmf('1', Duration::from_millis(100)),
        Err(RtpError::TelephoneEventNotNegotiated)
    );
}
