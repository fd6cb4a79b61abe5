//! One endpoint against a hand-scripted peer: re-INVITE, OPTIONS, INFO, policy, digest.

mod common;

use std::net::SocketAddr;

use common::*;
use voxgate_sip::digest::Credentials;
use voxgate_sip::{CallHandle, Event, Transport};

const PEER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 9)),
    5070,
);
const EP: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    5060,
);

fn single(seed: u64) -> Net {
    Net::new(seed, Impairments::clean(), vec![config(EP, seed)])
}

/// A request from the scripted peer (alice) to the endpoint in call `call_id`.
fn request(
    method: &str,
    call_id: &str,
    cseq: u32,
    to_tag: Option<&str>,
    extra: &str,
    ctype: &str,
    body: &str,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let ctype = if body.is_empty() {
        String::new()
    } else {
        format!("Content-Type: {ctype}\r\n")
    };
    format!(
        "{method} sip:bot@{EP} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PEER};branch=z9hG4bK{call_id}{method}{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@{PEER}>;tag=alice1\r\n\
         To: <sip:bot@{EP}>{to_tag}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:alice@{PEER}>\r\n{extra}{ctype}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn offer(direction: &str, version: u32) -> String {
    format!(
        "v=0\r\no=alice 7 {version} IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na={direction}\r\n"
    )
}

fn mail_with(net: &mut Net, first_line_prefix: &str, cseq: &str) -> String {
    let mail = net.take_mail(PEER);
    mail.into_iter()
        .map(|(_, text)| text)
        .find(|t| t.starts_with(first_line_prefix) && header(t, "CSeq") == Some(cseq))
        .unwrap_or_else(|| panic!("no {first_line_prefix} for {cseq}"))
}

fn body_of(text: &str) -> &str {
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default()
}

/// Scripted INVITE, endpoint answers, scripted ACK. Returns the call and the endpoint's tag.
fn established(net: &mut Net, call_id: &str) -> (CallHandle, String) {
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INVITE",
            call_id,
            1,
            None,
            "",
            "application/sdp",
            &offer("sendrecv", 1),
        ),
    );
    assert!(net.run_until(100, |n| incoming_call(n, 0).is_some()));
    let call = incoming_call(net, 0).unwrap();
    let now = net.now;
    net.ep(0).accept(now, call, sdp(40000)).unwrap();
    net.run_until(100, |n| n.in_flight_empty());
    let ok = mail_with(net, "SIP/2.0 200 OK", "1 INVITE");
    let to = header(&ok, "To").unwrap();
    let tag = to.split(";tag=").nth(1).unwrap().to_string();
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("ACK", call_id, 1, Some(&tag), "", "", ""),
    );
    assert!(net.run_until(100, |n| {
        n.has_event(0, |e| matches!(e, Event::Confirmed { .. }))
    }));
    (call, tag)
}

#[test]
fn reinvite_hold_and_resume_are_answered_with_mirrored_direction() {
    let mut net = single(1);
    let (call, tag) = established(&mut net, "hold1");
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INVITE",
            "hold1",
            2,
            Some(&tag),
            "",
            "application/sdp",
            &offer("sendonly", 2),
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let ok = mail_with(&mut net, "SIP/2.0 200 OK", "2 INVITE");
    let answer = body_of(&ok);
    assert!(answer.contains("a=recvonly\r\n"), "{answer}");
    assert!(
        answer.contains("o=- 100 2 IN IP4"),
        "version bumped: {answer}"
    );
    assert!(header(&ok, "Contact").is_some());
    assert!(net.has_event(0, |e| matches!(e, Event::MediaUpdate { call: c, sdp } if *c == call && String::from_utf8_lossy(sdp).contains("sendonly"))));
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("ACK", "hold1", 2, Some(&tag), "", "", ""),
    );
    // Resume.
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INVITE",
            "hold1",
            3,
            Some(&tag),
            "",
            "application/sdp",
            &offer("sendrecv", 3),
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let ok = mail_with(&mut net, "SIP/2.0 200 OK", "3 INVITE");
    assert!(body_of(&ok).contains("a=sendrecv\r\n"));
    assert!(body_of(&ok).contains("o=- 100 3 IN IP4"));
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("ACK", "hold1", 3, Some(&tag), "", "", ""),
    );
    // Inactive, then a body-less session refresh gets our current SDP unchanged.
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INVITE",
            "hold1",
            4,
            Some(&tag),
            "",
            "application/sdp",
            &offer("inactive", 4),
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    assert!(body_of(&mail_with(&mut net, "SIP/2.0 200 OK", "4 INVITE")).contains("a=inactive\r\n"));
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("ACK", "hold1", 4, Some(&tag), "", "", ""),
    );
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("INVITE", "hold1", 5, Some(&tag), "", "", ""),
    );
    net.run_until(100, |n| n.in_flight_empty());
    assert!(
        body_of(&mail_with(&mut net, "SIP/2.0 200 OK", "5 INVITE")).contains("o=- 100 4 IN IP4")
    );
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("ACK", "hold1", 5, Some(&tag), "", "", ""),
    );
    // BYE from the peer ends it.
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("BYE", "hold1", 6, Some(&tag), "", "", ""),
    );
    net.assert_no_leaks();
    assert!(net.has_event(0, |e| *e == Event::RemoteHangup { call }));
    assert_eq!(terminal_events(&net.events(0), call), 1);
}

#[test]
fn info_dtmf_and_update_in_dialog() {
    let mut net = single(2);
    let (call, tag) = established(&mut net, "dtmf1");
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INFO",
            "dtmf1",
            2,
            Some(&tag),
            "",
            "application/dtmf-relay",
            "Signal=5\r\nDuration=160\r\n",
        ),
    );
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("INFO", "dtmf1", 3, Some(&tag), "", "application/dtmf", "#"),
    );
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("UPDATE", "dtmf1", 4, Some(&tag), "", "", ""),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let dtmf: Vec<Event> = net
        .events(0)
        .into_iter()
        .filter(|e| matches!(e, Event::Dtmf { .. }))
        .collect();
    assert_eq!(
        dtmf,
        vec![
            Event::Dtmf {
                call,
                digit: '5',
                duration_ms: Some(160)
            },
            Event::Dtmf {
                call,
                digit: '#',
                duration_ms: None
            },
        ]
    );
    let mail = net.take_mail(PEER);
    assert_eq!(
        mail.iter()
            .filter(|(_, t)| t.starts_with("SIP/2.0 200 OK"))
            .count(),
        3
    );
    let now = net.now;
    net.ep(0).hangup(now, call).unwrap();
    net.run_until(100, |n| n.in_flight_empty());
    let bye = mail_with(&mut net, "BYE sip:alice@127.0.0.9:5070 SIP/2.0", "1 BYE");
    let mut ok = "SIP/2.0 200 OK\r\n".to_string();
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        ok.push_str(&format!("{name}: {}\r\n", header(&bye, name).unwrap()));
    }
    ok.push_str("Content-Length: 0\r\n\r\n");
    net.inject(PEER, EP, Transport::Udp, &ok);
    net.assert_no_leaks();
    assert!(net.has_event(0, |e| *e == Event::HangupComplete { call }));
}

#[test]
fn options_is_answered_and_unknown_dialogs_get_481() {
    let mut net = single(3);
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("OPTIONS", "opt1", 1, None, "", "", ""),
    );
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("BYE", "nodialog", 1, Some("nosuchtag"), "", "", ""),
    );
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("SUBSCRIBE", "sub1", 1, None, "Event: presence\r\n", "", ""),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    let find = |cseq: &str| {
        mail.iter()
            .map(|(_, t)| t.clone())
            .find(|t| header(t, "CSeq") == Some(cseq))
            .unwrap()
    };
    let options = find("1 OPTIONS");
    assert!(options.starts_with("SIP/2.0 200 OK\r\n"));
    assert!(header(&options, "Allow").unwrap().contains("INVITE"));
    assert!(header(&options, "To").unwrap().contains(";tag="));
    assert!(header(&options, "Via").unwrap().contains("rport=5070"));
    assert!(find("1 BYE").starts_with("SIP/2.0 481 "));
    assert!(find("1 SUBSCRIBE").starts_with("SIP/2.0 405 "));
    let rejected: Vec<u16> = net
        .events(0)
        .iter()
        .filter_map(|e| match e {
            Event::RequestRejected { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, vec![481, 405]);
    net.assert_no_leaks();
}

#[test]
fn retransmitted_invite_is_absorbed_and_unanswered_cancel_gets_487() {
    let mut net = single(4);
    let invite = request(
        "INVITE",
        "dup1",
        1,
        None,
        "",
        "application/sdp",
        &offer("sendrecv", 1),
    );
    net.inject(PEER, EP, Transport::Udp, &invite);
    net.run_until(100, |n| n.in_flight_empty());
    net.inject(PEER, EP, Transport::Udp, &invite);
    net.run_until(100, |n| n.in_flight_empty());
    let incoming = net
        .events(0)
        .iter()
        .filter(|e| matches!(e, Event::IncomingCall { .. }))
        .count();
    assert_eq!(incoming, 1);
    let trying = net
        .take_mail(PEER)
        .iter()
        .filter(|(_, t)| t.starts_with("SIP/2.0 100 Trying"))
        .count();
    assert_eq!(
        trying, 2,
        "the retransmission gets the last provisional again"
    );
    let cancel = request("CANCEL", "dup1", 1, None, "", "", "")
        .replace("branch=z9hG4bKdup1CANCEL1", "branch=z9hG4bKdup1INVITE1");
    net.inject(PEER, EP, Transport::Udp, &cancel);
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    assert!(
        mail.iter()
            .any(|(_, t)| t.starts_with("SIP/2.0 200 OK") && header(t, "CSeq") == Some("1 CANCEL"))
    );
    let terminated = mail
        .iter()
        .find(|(_, t)| t.starts_with("SIP/2.0 487"))
        .unwrap();
    assert!(net.has_event(0, |e| matches!(e, Event::Cancelled { .. })));
    let ack = request("ACK", "dup1", 1, None, "", "", "")
        .replace("branch=z9hG4bKdup1ACK1", "branch=z9hG4bKdup1INVITE1")
        .replace(
            &format!("To: <sip:bot@{EP}>"),
            &format!("To: {}", header(&terminated.1, "To").unwrap()),
        );
    net.inject(PEER, EP, Transport::Udp, &ack);
    net.assert_no_leaks();
    assert_eq!(
        net.take_mail(PEER)
            .iter()
            .filter(|(_, t)| t.starts_with("SIP/2.0 487"))
            .count(),
        0,
        "ACK stopped Timer G"
    );
}

#[test]
fn source_outside_allowed_sources_gets_403() {
    let mut cfg = config(EP, 5);
    cfg.allowed_sources = vec!["10.0.0.0/8".parse().unwrap()];
    let mut net = Net::new(5, Impairments::clean(), vec![cfg]);
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INVITE",
            "evil",
            1,
            None,
            "",
            "application/sdp",
            &offer("sendrecv", 1),
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    assert_eq!(mail.len(), 1);
    assert!(mail[0].1.starts_with("SIP/2.0 403 "));
    assert!(incoming_call(&net, 0).is_none());
    assert!(net.has_event(
        0,
        |e| matches!(e, Event::RequestRejected { code: 403, source, .. } if *source == PEER)
    ));
    net.assert_no_leaks();
}

#[test]
fn unsupported_require_gets_420() {
    let mut net = single(6);
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request(
            "INVITE",
            "rel",
            1,
            None,
            "Require: 100rel\r\n",
            "application/sdp",
            &offer("sendrecv", 1),
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    assert!(mail[0].1.starts_with("SIP/2.0 420 "));
    assert_eq!(header(&mail[0].1, "Unsupported"), Some("100rel"));
    assert!(incoming_call(&net, 0).is_none());
}

#[test]
fn malformed_requests_get_400_and_responses_are_dropped() {
    let mut net = single(7);
    let broken = request("OPTIONS", "bad1", 1, None, "", "", "")
        .replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    net.inject(PEER, EP, Transport::Udp, &broken);
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        "SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n",
    );
    net.inject(PEER, EP, Transport::Udp, "\u{0}\u{1}garbage");
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("OPTIONS", "bad2", 1, None, "", "", "").replace("OPTIONS", "FROBNICATE"),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(mail[0].1.starts_with("SIP/2.0 400 "));
    assert!(mail[1].1.starts_with("SIP/2.0 501 "));
    let codes: Vec<u16> = net
        .events(0)
        .iter()
        .filter_map(|e| match e {
            Event::RequestRejected { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, vec![400, 501]);
    net.assert_no_leaks();
}

/// RFC 2617 §3.5 digest response, computed independently of the crate.
#[allow(clippy::too_many_arguments)]
fn digest_response(
    user: &str,
    realm: &str,
    pass: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    use md5::{Digest, Md5};
    let h = |s: String| format!("{:x}", Md5::digest(s.as_bytes()));
    let ha1 = h(format!("{user}:{realm}:{pass}"));
    let ha2 = h(format!("{method}:{uri}"));
    h(format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

fn auth_param<'a>(value: &'a str, name: &str) -> &'a str {
    value
        .split(',')
        .find_map(|p| {
            let (k, v) = p.trim().trim_start_matches("Digest ").split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"'))
        })
        .unwrap_or_else(|| panic!("no {name} in {value}"))
}

const CHALLENGE: &str = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
    nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

fn reply(to_request: &str, status: &str, to_tag: &str, extra: &str) -> String {
    let mut r = format!("SIP/2.0 {status}\r\n");
    r.push_str(&format!("Via: {}\r\n", header(to_request, "Via").unwrap()));
    r.push_str(&format!(
        "From: {}\r\n",
        header(to_request, "From").unwrap()
    ));
    r.push_str(&format!(
        "To: {};tag={to_tag}\r\n",
        header(to_request, "To").unwrap()
    ));
    r.push_str(&format!(
        "Call-ID: {}\r\n",
        header(to_request, "Call-ID").unwrap()
    ));
    r.push_str(&format!(
        "CSeq: {}\r\n{extra}Content-Length: 0\r\n\r\n",
        header(to_request, "CSeq").unwrap()
    ));
    r
}

#[test]
fn independent_digest_matches_rfc_2617_example() {
    assert_eq!(
        digest_response(
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "00000001",
            "0a4f113b"
        ),
        "6629fae49393a05397450978507c4ef1"
    );
}

#[test]
fn invite_answers_401_once_then_a_second_challenge_fails() {
    let mut net = single(8);
    let mut inv = outgoing(PEER, Transport::Udp);
    inv.credentials = Some(Credentials {
        username: "Mufasa".into(),
        password: "Circle Of Life".into(),
    });
    let now = net.now;
    let call = net.ep(0).invite(now, inv.clone());
    net.run_until(100, |n| n.in_flight_empty());
    let first = mail_with(&mut net, "INVITE", "1 INVITE");
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &reply(
            &first,
            "401 Unauthorized",
            "gw1",
            &format!("WWW-Authenticate: {CHALLENGE}\r\n"),
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    assert!(
        mail.iter()
            .any(|(_, t)| t.starts_with("ACK ") && header(t, "CSeq") == Some("1 ACK"))
    );
    let second = mail
        .iter()
        .map(|(_, t)| t.clone())
        .find(|t| t.starts_with("INVITE"))
        .unwrap();
    assert_eq!(header(&second, "CSeq"), Some("2 INVITE"));
    assert_eq!(header(&second, "Call-ID"), header(&first, "Call-ID"));
    assert_eq!(header(&second, "From"), header(&first, "From"));
    assert_ne!(header(&second, "Via"), header(&first, "Via"), "new branch");
    let auth = header(&second, "Authorization").unwrap();
    let expected = digest_response(
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
        "INVITE",
        &inv.request_uri,
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        auth_param(auth, "nc"),
        auth_param(auth, "cnonce"),
    );
    assert_eq!(auth_param(auth, "response"), expected);
    assert_eq!(auth_param(auth, "uri"), inv.request_uri);
    assert_eq!(
        auth_param(auth, "opaque"),
        "5ccc069c403ebaf9f0171e9517f40e41"
    );
    // A second, non-stale challenge is a failure.
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &reply(
            &second,
            "401 Unauthorized",
            "gw2",
            &format!("WWW-Authenticate: {CHALLENGE}\r\n"),
        ),
    );
    net.assert_no_leaks();
    assert!(net.has_event(
        0,
        |e| matches!(e, Event::Failed { call: c, code: 401, .. } if *c == call)
    ));
    assert_eq!(
        net.log
            .iter()
            .filter(|s| s.first_line().starts_with("INVITE"))
            .count(),
        2
    );
}

#[test]
fn invite_answers_407_and_proceeds_to_answer() {
    let mut net = single(9);
    let mut inv = outgoing(PEER, Transport::Udp);
    inv.credentials = Some(Credentials {
        username: "1001".into(),
        password: "pw".into(),
    });
    let now = net.now;
    let call = net.ep(0).invite(now, inv);
    net.run_until(100, |n| n.in_flight_empty());
    let first = mail_with(&mut net, "INVITE", "1 INVITE");
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &reply(
            &first,
            "407 Proxy Authentication Required",
            "p1",
            "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n1\"\r\n",
        ),
    );
    net.run_until(100, |n| n.in_flight_empty());
    let second = mail_with(&mut net, "INVITE", "2 INVITE");
    assert!(
        header(&second, "Proxy-Authorization")
            .unwrap()
            .starts_with("Digest username=\"1001\"")
    );
    let ok = reply(
        &second,
        "200 OK",
        "callee",
        &format!("Contact: <sip:callee@{PEER}>\r\nRecord-Route: <sip:{PEER};lr>\r\n"),
    );
    net.inject(PEER, EP, Transport::Udp, &ok);
    net.inject(PEER, EP, Transport::Udp, &ok);
    net.run_until(100, |n| n.in_flight_empty());
    let mail = net.take_mail(PEER);
    let acks: Vec<&String> = mail
        .iter()
        .map(|(_, t)| t)
        .filter(|t| t.starts_with("ACK "))
        .collect();
    assert_eq!(acks.len(), 2, "ACK re-sent for the retransmitted 2xx");
    assert!(acks[0].starts_with(&format!("ACK sip:callee@{PEER} SIP/2.0")));
    assert_eq!(header(acks[0], "CSeq"), Some("2 ACK"));
    assert_eq!(
        header(acks[0], "Route"),
        Some(format!("<sip:{PEER};lr>").as_str())
    );
    assert_eq!(
        net.events(0)
            .iter()
            .filter(|e| matches!(e, Event::Answered { .. }))
            .count(),
        1
    );
    let now = net.now;
    net.ep(0).hangup(now, call).unwrap();
    net.assert_no_leaks();
    let bye = net
        .log
        .iter()
        .find(|s| s.first_line().starts_with("BYE"))
        .unwrap();
    assert_eq!(header(&bye.text, "CSeq"), Some("3 BYE"));
    assert!(
        net.has_event(0, |e| *e == Event::HangupComplete { call }),
        "BYE timed out -> complete"
    );
}

#[test]
fn ack_with_a_made_up_to_tag_still_confirms() {
    let mut net = single(10);
    let body = offer("sendrecv", 1);
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("INVITE", "pyvoip", 1, None, "", "application/sdp", &body),
    );
    assert!(net.run_until(100, |n| incoming_call(n, 0).is_some()));
    let call = incoming_call(&net, 0).unwrap();
    let now = net.now;
    net.ep(0).accept(now, call, sdp(40000)).unwrap();
    net.run_until(100, |n| n.in_flight_empty());
    net.inject(
        PEER,
        EP,
        Transport::Udp,
        &request("ACK", "pyvoip", 1, Some("madeup"), "", "", ""),
    );
    assert!(net.run_until(100, |n| n.has_event(0, |e| *e == Event::Confirmed { call })));
    let now = net.now;
    net.ep(0).hangup(now, call).unwrap();
    net.assert_no_leaks();
    assert!(!net.has_event(0, |e| matches!(e, Event::AckTimeout { .. })));
}
