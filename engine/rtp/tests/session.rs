//! RtpSession end to end: sending, latching, playout, RTCP between two sessions.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{FRAME, addr, config, numbered_payload, payload_number, rtp};
use voxgate_rtp::rtcp::{self, RtcpPacket};
use voxgate_rtp::{LATCH_SWITCH_PACKETS, MediaEvent, PlayoutFrame, RtpError, RtpSession};

fn events(session: &mut RtpSession) -> Vec<MediaEvent> {
    std::iter::from_fn(|| session.poll_event()).collect()
}

fn header(packet: &[u8]) -> (bool, u8, u16, u32, u32) {
    let reader = rtp_rs::RtpReader::new(packet).expect("valid RTP");
    (
        reader.mark(),
        reader.payload_type(),
        u16::from(reader.sequence_number()),
        reader.timestamp(),
        reader.ssrc(),
    )
}

#[test]
fn send_audio_numbers_packets_and_marks_talkspurts() {
    let start = Instant::now();
    let remote = addr("192.0.2.1:4000");
    let mut session = RtpSession::new(start, config(0x0102_0304, Some(remote)));
    let base_seq = session.config().initial_sequence;
    let base_ts = session.config().initial_timestamp;
    let first = session.send_audio(start, &[1; 160]).unwrap();
    assert_eq!(first.destination, remote);
    assert_eq!(
        header(&first.payload),
        (true, 0, base_seq, base_ts, 0x0102_0304)
    );
    let second = session.send_audio(start + FRAME, &[2; 160]).unwrap();
    assert_eq!(
        header(&second.payload),
        (false, 0, base_seq + 1, base_ts + 160, 0x0102_0304)
    );
    assert_eq!(&second.payload[12..], &[2; 160]);
    // Two frames of silence: no packets, the clock runs on, the next audio is marked.
    assert!(session.skip_frame(start + FRAME * 2).is_none());
    assert!(session.skip_frame(start + FRAME * 3).is_none());
    let resumed = session.send_audio(start + FRAME * 4, &[3; 160]).unwrap();
    assert_eq!(
        header(&resumed.payload),
        (true, 0, base_seq + 2, base_ts + 4 * 160, 0x0102_0304)
    );
    let stats = session.stats();
    assert_eq!((stats.packets_sent, stats.octets_sent), (3, 480));
}

#[test]
fn without_remote_frames_still_advance_the_clock() {
    let start = Instant::now();
    let mut session = RtpSession::new(start, config(7, None));
    let base_ts = session.config().initial_timestamp;
    assert!(session.send_audio(start, &[0; 160]).is_none());
    assert_eq!(session.stats().packets_sent, 0);
    // The peer's first packet latches its address; our next frame goes there.
    let peer = addr("198.51.100.7:5000");
    session
        .handle_datagram(start, peer, &rtp(0, true, 1, 0, 99, &[0xFF; 160]))
        .unwrap();
    assert_eq!(
        events(&mut session),
        [MediaEvent::RemoteLatched { address: peer }]
    );
    let packet = session.send_audio(start + FRAME, &[0; 160]).unwrap();
    assert_eq!(packet.destination, peer);
    let (marker, _, _, timestamp, _) = header(&packet.payload);
    assert!(marker);
    assert_eq!(timestamp, base_ts + 160);
}

#[test]
fn latching_follows_a_new_source_only_after_consecutive_packets() {
    let start = Instant::now();
    let signalled = addr("192.0.2.1:4000");
    let real = addr("203.0.113.5:31000");
    let stray = addr("203.0.113.66:9999");
    let mut session = RtpSession::new(start, config(1, Some(signalled)));
    assert_eq!(session.remote(), Some(signalled));
    assert!(!session.stats().latched);

    let mut seq = 100u16;
    let mut send = |session: &mut RtpSession, from: SocketAddr, ssrc: u32| {
        seq += 1;
        let packet = rtp(0, false, seq, u32::from(seq) * 160, ssrc, &[0xFF; 160]);
        session.handle_datagram(start, from, &packet).unwrap();
    };
    send(&mut session, real, 0xAAAA);
    assert_eq!(
        session.remote(),
        Some(real),
        "symmetric RTP: the real source wins over SDP"
    );
    assert_eq!(
        events(&mut session),
        [MediaEvent::RemoteLatched { address: real }]
    );

    // Strays interleaved with the real stream never accumulate.
    for _ in 0..20 {
        send(&mut session, stray, 0xAAAA);
        send(&mut session, real, 0xAAAA);
    }
    assert_eq!(session.remote(), Some(real));
    assert!(events(&mut session).is_empty());
    assert_eq!(session.stats().packets_ignored, 20);

    // A sustained move (e.g. a re-INVITE to a new media server) is followed.
    for _ in 0..LATCH_SWITCH_PACKETS - 1 {
        send(&mut session, stray, 0xAAAA);
    }
    assert_eq!(session.remote(), Some(real));
    send(&mut session, stray, 0xAAAA);
    assert_eq!(session.remote(), Some(stray));
    assert_eq!(
        events(&mut session),
        [MediaEvent::RemoteLatched { address: stray }]
    );

    // A new SSRC from the same address needs the same confirmation and resets receive state.
    for _ in 0..LATCH_SWITCH_PACKETS {
        send(&mut session, stray, 0xBBBB);
    }
    assert_eq!(
        events(&mut session),
        [MediaEvent::SsrcChanged { ssrc: 0xBBBB }]
    );
    assert_eq!(session.stats().cumulative_lost, 0);
    assert!(session.stats().latched);
}

#[test]
fn other_payload_types_and_garbage_do_not_latch() {
    let start = Instant::now();
    let mut session = RtpSession::new(start, config(1, None));
    let source = addr("192.0.2.9:7000");
    // Comfort noise (PT 13) is ignored, not an error.
    session
        .handle_datagram(start, source, &rtp(13, false, 1, 0, 5, &[40]))
        .unwrap();
    assert_eq!(session.remote(), None);
    assert_eq!(session.stats().packets_ignored, 1);
    assert!(matches!(
        session.handle_datagram(start, source, &[0x80, 0, 1]),
        Err(RtpError::MalformedRtp(_))
    ));
    assert!(matches!(
        session.handle_datagram(start, source, &[0x80, 200, 0, 9, 1, 2, 3, 4]),
        Err(RtpError::MalformedRtcp(_))
    ));
    assert_eq!(session.remote(), None);
}

#[test]
fn random_datagrams_never_panic() {
    let start = Instant::now();
    let mut rng = common::Rng::new(7);
    let mut session = RtpSession::new(start, config(1, None));
    let source = addr("192.0.2.9:7000");
    for round in 0..20_000u32 {
        let len = rng.below(80) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if let Some(first) = bytes.first_mut() {
            *first = 0x80 | (*first & 0x3F); // mostly version 2, to get past the first check
        }
        if round % 3 == 0 && bytes.len() > 1 {
            bytes[1] = [0, 101, 200, 201, 203][rng.below(5) as usize];
        }
        let _ = session.handle_datagram(start + FRAME * (round / 10), source, &bytes);
        let _ = session.next_frame(start + FRAME * (round / 10));
    }
    let _ = session.stats();
}

/// Two sessions wired back to back with a fixed one-way delay, in virtual time.
struct Call {
    start: Instant,
    a: RtpSession,
    b: RtpSession,
    a_addr: SocketAddr,
    b_addr: SocketAddr,
    one_way: Duration,
}

impl Call {
    fn new(one_way: Duration) -> Self {
        let start = Instant::now();
        let a_addr = addr("10.0.0.1:20000");
        let b_addr = addr("10.0.0.2:30000");
        Call {
            start,
            a: RtpSession::new(start, config(0xA, Some(b_addr))),
            b: RtpSession::new(start, config(0xB, Some(a_addr))),
            a_addr,
            b_addr,
            one_way,
        }
    }

    /// NTP time of an instant: a fixed epoch plus the elapsed time.
    fn ntp(&self, now: Instant) -> u64 {
        let elapsed = now - self.start;
        let seconds = 3_900_000_000u64 + elapsed.as_secs();
        let fraction = (u64::from(elapsed.subsec_nanos()) << 32) / 1_000_000_000;
        (seconds << 32) | fraction
    }
}

#[test]
fn rtcp_round_trip_gives_rtt_loss_and_jitter() {
    let mut call = Call::new(Duration::from_millis(35));
    // 10 s of audio both ways; every 10th packet from A is lost on the way to B.
    let mut in_flight: Vec<(Instant, bool, Vec<u8>)> = Vec::new();
    let mut played_at_b = 0;
    for tick in 0..500u32 {
        let now = call.start + FRAME * tick;
        if let Some(packet) = call.a.send_audio(now, &numbered_payload(u64::from(tick))) {
            assert!(packet.destination == call.b_addr);
            if tick % 10 != 3 {
                in_flight.push((now + call.one_way, true, packet.payload));
            }
        }
        if let Some(packet) = call.b.send_audio(now, &[0xFF; 160]) {
            in_flight.push((now + call.one_way, false, packet.payload));
        }
        let ntp = call.ntp(now);
        if let Some(report) = call.a.poll_rtcp(now, ntp) {
            // RTP port + 1 until B's own RTCP (sent from its RTP port) is latched.
            let expected = if tick < 250 {
                call.b_addr.port() + 1
            } else {
                call.b_addr.port()
            };
            assert_eq!(report.destination.port(), expected, "tick {tick}");
            in_flight.push((now + call.one_way, true, report.payload));
        }
        if let Some(report) = call.b.poll_rtcp(now, ntp) {
            in_flight.push((now + call.one_way, false, report.payload));
        }
        in_flight.sort_by_key(|(at, _, _)| *at);
        while in_flight.first().is_some_and(|(at, _, _)| *at <= now) {
            let (at, to_b, bytes) = in_flight.remove(0);
            if to_b {
                call.b.handle_datagram(at, call.a_addr, &bytes).unwrap();
            } else {
                call.a.handle_datagram(at, call.b_addr, &bytes).unwrap();
            }
        }
        if let PlayoutFrame::Audio(payload) = call.b.next_frame(now) {
            assert!(payload_number(payload) < u64::from(tick));
            played_at_b += 1;
        }
        let _ = call.a.next_frame(now);
    }
    let a = call.a.stats();
    let b = call.b.stats();
    let rtt = a.rtt_ms.expect("A measured RTT from B's report");
    assert!((rtt - 70.0).abs() < 0.5, "rtt {rtt}");
    let rtt_b = b.rtt_ms.expect("B measured RTT from A's report");
    assert!((rtt_b - 70.0).abs() < 0.5, "rtt {rtt_b}");
    assert!(
        b.cumulative_lost >= 45 && b.cumulative_lost <= 50,
        "lost {}",
        b.cumulative_lost
    );
    assert!(
        (a.remote_fraction_lost.unwrap() - 0.1).abs() < 0.02,
        "{:?}",
        a.remote_fraction_lost
    );
    // B's last report (7.5 s) covered about 37 of A's losses.
    let reported = a.remote_cumulative_lost.expect("B reported on A's stream");
    assert!(
        (35..=38).contains(&reported),
        "remote cumulative loss {reported}"
    );
    assert!(
        b.jitter_ms < 1.0,
        "constant delay gives no jitter: {}",
        b.jitter_ms
    );
    assert_eq!(
        b.concealed_frames, b.lost_frames,
        "each single loss concealed once"
    );
    assert!(played_at_b >= 440, "played {played_at_b}");
    assert_eq!(a.packets_sent, 500);
}

#[test]
fn rtcp_reports_parse_as_compound_sr_sdes() {
    let mut call = Call::new(Duration::from_millis(5));
    let now = call.start;
    call.a.send_audio(now, &[0xFF; 160]).unwrap();
    let at = call.start + Duration::from_secs(3);
    let report = call
        .a
        .poll_rtcp(at, call.ntp(at))
        .expect("due after half an interval");
    let packets: Vec<_> = rtcp::parse_compound(&report.payload)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(packets.len(), 2);
    match &packets[0] {
        RtcpPacket::SenderReport { ssrc, info, blocks } => {
            assert_eq!(*ssrc, 0xA);
            assert_eq!(info.packet_count, 1);
            assert_eq!(info.octet_count, 160);
            assert_eq!(info.ntp_timestamp, call.ntp(at));
            let base = call.a.config().initial_timestamp;
            assert_eq!(info.rtp_timestamp, base.wrapping_add(3 * 8000));
            assert_eq!(blocks.clone().count(), 0, "nothing received yet");
        }
        other => panic!("expected SR, got {other:?}"),
    }
    assert!(matches!(
        packets[1],
        RtcpPacket::Other {
            packet_type: rtcp::SOURCE_DESCRIPTION,
            ..
        }
    ));
    assert!(
        call.a.poll_rtcp(at, call.ntp(at)).is_none(),
        "not due again yet"
    );
    assert_eq!(call.a.poll_timeout(), Some(at + Duration::from_secs(5)));

    let bye = call.a.close(at, call.ntp(at)).unwrap();
    let last = rtcp::parse_compound(&bye.payload).last().unwrap().unwrap();
    assert!(matches!(last, RtcpPacket::Bye { .. }));
    // B latched A's SSRC through RTP first, then hears the BYE.
    call.b
        .handle_datagram(at, call.a_addr, &rtp(0, true, 1, 0, 0xA, &[0xFF; 160]))
        .unwrap();
    call.b
        .handle_datagram(at, call.a_addr, &bye.payload)
        .unwrap();
    let heard = events(&mut call.b);
    assert!(heard.contains(&MediaEvent::Bye { ssrc: 0xA }), "{heard:?}");
}
