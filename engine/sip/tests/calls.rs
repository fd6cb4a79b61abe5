//! Call flows between two endpoints on the simulated network.

mod common;

use std::time::Duration;

use common::*;
use voxgate_sip::{CallHandle, Event, Transport};

/// A calls B; B rings then answers. Returns (A's handle, B's handle).
fn establish(net: &mut Net, transport: Transport) -> (CallHandle, CallHandle) {
    let now = net.now;
    let b_addr = net.ep(1).config().local_addr;
    let a_call = net.ep(0).invite(now, outgoing(b_addr, transport));
    assert!(
        net.run_until(10_000, |n| incoming_call(n, 1).is_some()),
        "INVITE never arrived"
    );
    let b_call = incoming_call(net, 1).unwrap();
    let now = net.now;
    net.ep(1).send_provisional(now, b_call, 180, None).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::Progress { code: 180, .. }))
    }));
    let now = net.now;
    net.ep(1).accept(now, b_call, sdp(50000)).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::Answered { .. }))
            && n.has_event(1, |e| matches!(e, Event::Confirmed { .. }))
    }));
    (a_call, b_call)
}

#[test]
fn basic_call_caller_hangs_up() {
    let mut net = Net::pair(1, Impairments::clean());
    let (a, b) = establish(&mut net, Transport::Udp);
    match &net.events(1)[0] {
        Event::IncomingCall {
            from_user,
            to_user,
            offer,
            transport,
            source,
            ..
        } => {
            assert_eq!(from_user.as_deref(), Some("bot"));
            assert_eq!(to_user.as_deref(), Some("+8613800000000"));
            assert_eq!(offer.as_deref(), Some(&sdp(40000)[..]));
            assert_eq!(*transport, Transport::Udp);
            assert_eq!(*source, addr(1, 5060));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(net.has_event(
        0,
        |e| matches!(e, Event::Answered { sdp: Some(s), .. } if *s == sdp(50000))
    ));
    let now = net.now;
    net.ep(0).hangup(now, a).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::HangupComplete { .. }))
    }));
    assert!(net.has_event(1, |e| *e == Event::RemoteHangup { call: b }));
    // The INVITE carried the extra header and the dialog headers were right.
    let invite = net
        .log
        .iter()
        .find(|s| s.first_line().starts_with("INVITE"))
        .unwrap();
    assert_eq!(header(&invite.text, "X-Campaign"), Some("c1"));
    assert!(
        header(&invite.text, "From")
            .unwrap()
            .starts_with("\"Bot\" <sip:bot@voxgate.test>;tag=")
    );
    let bye = net
        .log
        .iter()
        .find(|s| s.first_line().starts_with("BYE"))
        .unwrap();
    assert!(
        bye.first_line()
            .starts_with("BYE sip:+8613800000000@127.0.0.2:5060 SIP/2.0")
    );
    assert_eq!(terminal_events(&net.events(0), a), 1);
    assert_eq!(terminal_events(&net.events(1), b), 1);
    net.assert_no_leaks();
}

#[test]
fn basic_call_callee_hangs_up_over_tcp() {
    let mut net = Net::pair(2, Impairments::clean());
    let (a, b) = establish(&mut net, Transport::Tcp);
    let now = net.now;
    net.ep(1).hangup(now, b).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(1, |e| matches!(e, Event::HangupComplete { .. }))
    }));
    assert!(net.has_event(0, |e| *e == Event::RemoteHangup { call: a }));
    assert!(net.log.iter().all(|s| !s.text.contains("SIP/2.0/UDP")));
    // Over TCP nothing is retransmitted: exactly one INVITE and one BYE.
    let count = |m: &str| {
        net.log
            .iter()
            .filter(|s| s.first_line().starts_with(m))
            .count()
    };
    assert_eq!((count("INVITE"), count("BYE")), (1, 1));
    net.assert_no_leaks();
}

#[test]
fn calls_complete_over_a_lossy_network() {
    for seed in 0..150 {
        let mut net = Net::pair(seed, Impairments::lossy());
        let now = net.now;
        let b_addr = addr(2, 5060);
        let a = net.ep(0).invite(now, outgoing(b_addr, Transport::Udp));
        assert!(
            net.run_until(100_000, |n| incoming_call(n, 1).is_some()),
            "seed {seed}: no INVITE"
        );
        let b = incoming_call(&net, 1).unwrap();
        let now = net.now;
        net.ep(1).send_provisional(now, b, 180, None).unwrap();
        net.ep(1).accept(now, b, sdp(50000)).unwrap();
        assert!(
            net.run_until(100_000, |n| {
                n.has_event(0, |e| matches!(e, Event::Answered { .. }))
                    && n.has_event(1, |e| matches!(e, Event::Confirmed { .. }))
            }),
            "seed {seed}: call not established: {:?} / {:?}",
            net.events(0),
            net.events(1)
        );
        let now = net.now;
        net.ep(seed as usize % 2)
            .hangup(now, if seed % 2 == 0 { a } else { b })
            .unwrap();
        net.assert_no_leaks();
        let (ea, eb) = (net.events(0), net.events(1));
        assert_eq!(terminal_events(&ea, a), 1, "seed {seed}: {ea:?}");
        assert_eq!(terminal_events(&eb, b), 1, "seed {seed}: {eb:?}");
        assert_eq!(
            ea.iter()
                .filter(|e| matches!(e, Event::Answered { .. }))
                .count(),
            1
        );
    }
}

#[test]
fn cancel_on_ring_timeout_gives_487() {
    let mut net = Net::pair(3, Impairments::clean());
    let now = net.now;
    let a = net
        .ep(0)
        .invite(now, outgoing(addr(2, 5060), Transport::Udp));
    assert!(net.run_until(10_000, |n| incoming_call(n, 1).is_some()));
    let b = incoming_call(&net, 1).unwrap();
    let now = net.now;
    net.ep(1).send_provisional(now, b, 180, None).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::Progress { .. }))
    }));
    let now = net.now;
    net.ep(0).cancel(now, a).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::Failed { .. }))
    }));
    assert!(net.has_event(0, |e| matches!(e, Event::Failed { code: 487, .. })));
    assert!(net.has_event(1, |e| *e == Event::Cancelled { call: b }));
    let now = net.now;
    assert!(
        net.ep(1).accept(now, b, sdp(1)).is_err(),
        "cancelled call cannot be answered"
    );
    net.assert_no_leaks();
}

#[test]
fn cancel_crossing_200_ends_with_bye_and_487() {
    let mut net = Net::pair(4, Impairments::clean());
    let now = net.now;
    let a = net
        .ep(0)
        .invite(now, outgoing(addr(2, 5060), Transport::Udp));
    assert!(net.run_until(10_000, |n| incoming_call(n, 1).is_some()));
    let b = incoming_call(&net, 1).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.log
            .iter()
            .any(|s| s.first_line().contains("100 Trying") && n.in_flight_empty())
    }));
    // Both act at the same instant: the 200 and the CANCEL cross on the wire.
    let now = net.now;
    net.ep(1).accept(now, b, sdp(50000)).unwrap();
    net.ep(0).cancel(now, a).unwrap();
    net.assert_no_leaks();
    let (ea, eb) = (net.events(0), net.events(1));
    assert!(
        ea.contains(&Event::Failed {
            call: a,
            code: 487,
            reason: "Request Terminated".into(),
            reason_header: None
        }),
        "{ea:?}"
    );
    assert!(!ea.iter().any(|e| matches!(e, Event::Answered { .. })));
    assert!(eb.contains(&Event::Confirmed { call: b }));
    assert!(eb.contains(&Event::RemoteHangup { call: b }), "{eb:?}");
    let cancel_ok = net
        .log
        .iter()
        .any(|s| s.first_line() == "SIP/2.0 200 OK" && s.text.contains("CSeq: 1 CANCEL"));
    assert!(cancel_ok, "CANCEL after 200 is answered 200");
    assert!(!net.log.iter().any(|s| s.first_line().contains("487")));
}

#[test]
fn bye_glare_reports_once_per_side() {
    let mut net = Net::pair(5, Impairments::clean());
    let (a, b) = establish(&mut net, Transport::Udp);
    let now = net.now;
    net.ep(0).hangup(now, a).unwrap();
    net.ep(1).hangup(now, b).unwrap();
    net.assert_no_leaks();
    let (ea, eb) = (net.events(0), net.events(1));
    assert_eq!(terminal_events(&ea, a), 1, "{ea:?}");
    assert_eq!(terminal_events(&eb, b), 1, "{eb:?}");
    assert!(ea.contains(&Event::HangupComplete { call: a }));
    assert!(eb.contains(&Event::HangupComplete { call: b }));
    assert_eq!(
        net.log
            .iter()
            .filter(|s| s.first_line().starts_with("BYE"))
            .count(),
        2
    );
}

#[test]
fn callee_rejects_with_busy_and_reason_header_is_reported() {
    let mut net = Net::pair(6, Impairments::clean());
    let now = net.now;
    let a = net
        .ep(0)
        .invite(now, outgoing(addr(2, 5060), Transport::Udp));
    assert!(net.run_until(10_000, |n| incoming_call(n, 1).is_some()));
    let b = incoming_call(&net, 1).unwrap();
    let now = net.now;
    net.ep(1).reject(now, b, 486, None).unwrap();
    net.assert_no_leaks();
    assert!(net.has_event(0, |e| matches!(e, Event::Failed { call, code: 486, reason, .. } if *call == a && reason == "Busy Here")), "{:?}", net.events(0));
    // ACK for the 486 was sent by the client transaction, in the same transaction.
    assert_eq!(
        net.log
            .iter()
            .filter(|s| s.first_line().starts_with("ACK"))
            .count(),
        1
    );
}

#[test]
fn uas_hangup_before_answer_sends_480() {
    let mut net = Net::pair(7, Impairments::clean());
    let now = net.now;
    let a = net
        .ep(0)
        .invite(now, outgoing(addr(2, 5060), Transport::Udp));
    assert!(net.run_until(10_000, |n| incoming_call(n, 1).is_some()));
    let b = incoming_call(&net, 1).unwrap();
    let now = net.now;
    net.ep(1).hangup(now, b).unwrap();
    net.assert_no_leaks();
    assert!(net.has_event(
        0,
        |e| matches!(e, Event::Failed { call, code: 480, .. } if *call == a)
    ));
    assert!(net.has_event(1, |e| *e == Event::HangupComplete { call: b }));
}

#[test]
fn caller_hangup_before_any_response_waits_for_provisional() {
    let mut net = Net::pair(8, Impairments::clean());
    let now = net.now;
    let a = net
        .ep(0)
        .invite(now, outgoing(addr(2, 5060), Transport::Udp));
    // Cancel at once: no provisional yet, so no CANCEL may be sent until the 100 arrives.
    net.ep(0).hangup(now, a).unwrap();
    net.drain();
    assert!(!net.log.iter().any(|s| s.first_line().starts_with("CANCEL")));
    net.assert_no_leaks();
    let cancel = net
        .log
        .iter()
        .position(|s| s.first_line().starts_with("CANCEL"))
        .unwrap();
    let trying = net
        .log
        .iter()
        .position(|s| s.first_line().contains("100 Trying"))
        .unwrap();
    assert!(trying < cancel);
    assert!(net.has_event(
        0,
        |e| matches!(e, Event::Failed { call, code: 487, .. } if *call == a)
    ));
    assert!(net.has_event(1, |e| matches!(e, Event::Cancelled { .. })));
}

#[test]
fn timer_b_fails_unanswered_invite_after_seven_sends() {
    let mut net = Net::pair(9, Impairments::clean());
    let hole = addr(9, 5060);
    let now = net.now;
    let a = net.ep(0).invite(now, outgoing(hole, Transport::Udp));
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::Failed { .. }))
    }));
    assert_eq!(net.elapsed(), Duration::from_secs(32));
    assert!(net.has_event(
        0,
        |e| matches!(e, Event::Failed { call, code: 408, .. } if *call == a)
    ));
    let sends: Vec<Duration> = net
        .log
        .iter()
        .filter(|s| s.to == hole && s.first_line().starts_with("INVITE"))
        .map(|s| s.at - net.start)
        .collect();
    let ms = Duration::from_millis;
    assert_eq!(
        sends,
        vec![
            ms(0),
            ms(500),
            ms(1500),
            ms(3500),
            ms(7500),
            ms(15500),
            ms(31500)
        ]
    );
    net.assert_no_leaks();
}

#[test]
fn ack_timeout_after_64_t1_sends_bye() {
    let mut net = Net::pair(10, Impairments::clean());
    let scripted = addr(9, 5060);
    net.inject(
        scripted,
        addr(1, 5060),
        Transport::Udp,
        &scripted_invite(scripted, "ackless", ""),
    );
    assert!(net.run_until(10_000, |n| incoming_call(n, 0).is_some()));
    let call = incoming_call(&net, 0).unwrap();
    let (now, answered_at) = (net.now, net.now);
    net.ep(0).accept(now, call, sdp(50000)).unwrap();
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::AckTimeout { .. }))
    }));
    assert_eq!(net.now - answered_at, Duration::from_secs(32));
    let oks = net
        .log
        .iter()
        .filter(|s| s.to == scripted && s.first_line() == "SIP/2.0 200 OK")
        .count();
    assert_eq!(
        oks, 11,
        "first 200 plus G-style retransmissions at 0.5,1.5,3.5,7.5,11.5..31.5 s"
    );
    net.drain();
    assert!(
        net.log
            .iter()
            .any(|s| s.to == scripted && s.first_line().starts_with("BYE "))
    );
    assert_eq!(terminal_events(&net.events(0), call), 1);
    net.assert_no_leaks();
}

/// An INVITE from a scripted caller at `from` to 127.0.0.1:5060.
pub fn scripted_invite(from: std::net::SocketAddr, call_id: &str, extra: &str) -> String {
    let body = String::from_utf8(sdp(30000)).unwrap();
    format!(
        "INVITE sip:bot@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK-{call_id}-1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@{from}>;tag=alice1\r\n\
         To: <sip:bot@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@{from}>\r\n{extra}\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn hangup_racing_answer_over_a_lossy_network_ends_cleanly() {
    for seed in 0..300u64 {
        let mut net = Net::pair(seed, Impairments::lossy());
        let now = net.now;
        let a = net
            .ep(0)
            .invite(now, outgoing(addr(2, 5060), Transport::Udp));
        assert!(net.run_until(100_000, |n| incoming_call(n, 1).is_some()));
        let b = incoming_call(&net, 1).unwrap();
        let now = net.now;
        net.ep(1).send_provisional(now, b, 180, None).unwrap();
        // Seeded but different moments for the caller's hangup and the callee's answer.
        let hangup_at = net.now + Duration::from_millis(seed * 7 % 900);
        let accept_at = net.now + Duration::from_millis(seed * 13 % 900);
        let mut actions = [(hangup_at, 0usize), (accept_at, 1usize)];
        actions.sort();
        for (at, who) in actions {
            net.run_until(100_000, |n| n.now >= at);
            let now = net.now;
            if who == 0 {
                net.ep(0).hangup(now, a).unwrap();
            } else {
                let _ = net.ep(1).accept(now, b, sdp(50000));
            }
        }
        net.assert_no_leaks();
        let (ea, eb) = (net.events(0), net.events(1));
        assert_eq!(terminal_events(&ea, a), 1, "seed {seed}: {ea:?}");
        assert_eq!(terminal_events(&eb, b), 1, "seed {seed}: {eb:?}");
    }
}
