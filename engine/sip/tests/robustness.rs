//! Mutated and hostile input never panics the endpoint, and everything still winds down.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{header, outgoing, sdp};
use proptest::prelude::*;
use voxgate_sip::{CallHandle, Endpoint, EndpointConfig, Event, Transport};

const EP: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    5060,
);
const PEER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 9)),
    5070,
);

fn request(
    method: &str,
    call_id: &str,
    cseq: u32,
    to_tag: Option<&str>,
    ctype: &str,
    body: &str,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "{method} sip:bot@{EP} SIP/2.0\r\nVia: SIP/2.0/UDP {PEER};branch=z9hG4bK{method}{cseq};rport\r\n\
         Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@{PEER}>;tag=a1\r\nTo: <sip:bot@{EP}>{to_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:alice@{PEER}>\r\n\
         Content-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn response_to(req: &str, status: &str, tag: &str, extra: &str, body: &str) -> String {
    let mut r = format!("SIP/2.0 {status}\r\n");
    for name in ["Via", "From"] {
        r.push_str(&format!(
            "{name}: {}\r\n",
            header(req, name).unwrap_or_default()
        ));
    }
    r.push_str(&format!(
        "To: {};tag={tag}\r\n",
        header(req, "To").unwrap_or_default()
    ));
    for name in ["Call-ID", "CSeq"] {
        r.push_str(&format!(
            "{name}: {}\r\n",
            header(req, name).unwrap_or_default()
        ));
    }
    r.push_str(&format!(
        "{extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    r
}

struct Harness {
    ep: Endpoint,
    now: Instant,
    calls: Vec<CallHandle>,
    sent: Vec<String>,
}

impl Harness {
    fn drain(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            self.sent
                .push(String::from_utf8_lossy(&t.payload).into_owned());
        }
        while let Some(e) = self.ep.poll_event() {
            match e {
                Event::IncomingCall { call, .. } => {
                    let _ = self.ep.accept(self.now, call, sdp(40000));
                    self.calls.push(call);
                }
                Event::Answered { call, .. } => self.calls.push(call),
                _ => {}
            }
        }
        while let Some(t) = self.ep.poll_transmit() {
            self.sent
                .push(String::from_utf8_lossy(&t.payload).into_owned());
        }
    }

    fn input(&mut self, bytes: &[u8]) {
        self.ep.handle_input(self.now, Transport::Udp, PEER, bytes);
        self.drain();
    }

    /// Hang up whatever is up, then run every timer out.
    fn wind_down(&mut self) {
        for call in self.calls.clone() {
            let _ = self.ep.hangup(self.now, call);
        }
        self.drain();
        for _ in 0..10_000 {
            let Some(at) = self.ep.poll_timeout() else {
                break;
            };
            self.now = self.now.max(at);
            self.ep.handle_timeout(self.now);
            self.drain();
        }
    }
}

/// An endpoint with an incoming call answered and an outgoing call ringing, and a corpus of
/// messages that hit every code path (new, in-dialog, responses to our INVITE).
fn setup() -> (Harness, Vec<String>) {
    let mut h = Harness {
        ep: Endpoint::new(EndpointConfig {
            local_addr: EP,
            seed: 42,
            ..EndpointConfig::default()
        }),
        now: Instant::now(),
        calls: Vec::new(),
        sent: Vec::new(),
    };
    let offer = String::from_utf8(sdp(30000)).unwrap();
    let invite = request("INVITE", "in1", 1, None, "application/sdp", &offer);
    h.input(invite.as_bytes());
    let ok = h
        .sent
        .iter()
        .find(|t| t.starts_with("SIP/2.0 200"))
        .cloned()
        .unwrap();
    let tag = header(&ok, "To")
        .unwrap()
        .split(";tag=")
        .nth(1)
        .unwrap()
        .to_string();
    let out = h.ep.invite(h.now, outgoing(PEER, Transport::Udp));
    h.calls.push(out);
    h.drain();
    let our_invite = h
        .sent
        .iter()
        .find(|t| t.starts_with("INVITE"))
        .cloned()
        .unwrap();
    let t = Some(tag.as_str());
    let corpus = vec![
        invite.clone(),
        request("ACK", "in1", 1, t, "application/sdp", ""),
        request(
            "INVITE",
            "in1",
            2,
            t,
            "application/sdp",
            &offer.replace("sendrecv", "sendonly"),
        ),
        request("ACK", "in1", 2, t, "application/sdp", ""),
        request(
            "INFO",
            "in1",
            3,
            t,
            "application/dtmf-relay",
            "Signal=1\r\nDuration=100\r\n",
        ),
        request("UPDATE", "in1", 4, t, "application/sdp", &offer),
        request("OPTIONS", "x", 1, None, "application/sdp", ""),
        request("CANCEL", "in1", 1, None, "application/sdp", "").replace("CANCEL1", "INVITE1"),
        request("BYE", "in1", 5, t, "application/sdp", ""),
        request("INVITE", "in2", 1, None, "application/sdp", &offer),
        response_to(&our_invite, "100 Trying", "", "", ""),
        response_to(&our_invite, "180 Ringing", "g1", "", ""),
        response_to(&our_invite, "183 Session Progress", "g1", "", &offer),
        response_to(
            &our_invite,
            "200 OK",
            "g1",
            &format!("Contact: <sip:gw@{PEER}>\r\nRecord-Route: <sip:{PEER};lr>\r\n"),
            &offer,
        ),
        response_to(
            &our_invite,
            "200 OK",
            "g2",
            &format!("Contact: <sip:gw@{PEER}>\r\n"),
            &offer,
        ),
        response_to(
            &our_invite,
            "401 Unauthorized",
            "g1",
            "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n",
            "",
        ),
        response_to(
            &our_invite,
            "486 Busy Here",
            "g1",
            "Reason: Q.850;cause=17\r\n",
            "",
        ),
    ];
    (h, corpus)
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
    None,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::None),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(p, b) => {
                if let Some(x) = bytes.get_mut(p % len) {
                    *x ^= b;
                }
            }
            Mutation::Insert(p, b) => bytes.insert(p % (bytes.len() + 1), b),
            Mutation::Delete(p) => {
                if !bytes.is_empty() {
                    bytes.remove(p % len);
                }
            }
            Mutation::Truncate(p) => bytes.truncate(p % len),
            Mutation::None => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_messages_never_panic_and_everything_winds_down(
        steps in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(mutation(), 0..4), 0u64..3000), 1..24)
    ) {
        let (mut h, corpus) = setup();
        for (index, mutations, wait_ms) in steps {
            let message = index.get(&corpus).as_bytes().to_vec();
            h.input(&apply(message, &mutations));
            h.now += Duration::from_millis(wait_ms);
            h.ep.handle_timeout(h.now);
            h.drain();
        }
        h.wind_down();
        prop_assert_eq!(h.ep.active_calls(), 0);
        prop_assert_eq!(h.ep.pending_transactions(), 0);
        prop_assert_eq!(h.ep.poll_timeout(), None);
    }
}

#[test]
fn garbage_and_empty_input_are_ignored() {
    let (mut h, _) = setup();
    let before = h.sent.len();
    for junk in [
        &b""[..],
        b"\r\n\r\n",
        b"SIP/2.0",
        &[0xff; 70_000],
        b"INVITE\r\n\r\n",
    ] {
        h.input(junk);
    }
    assert_eq!(
        h.sent.len(),
        before,
        "nothing to answer: {:?}",
        &h.sent[before..]
    );
}

#[test]
fn each_corpus_message_alone_winds_down() {
    let (_, corpus) = setup();
    for (i, message) in corpus.iter().enumerate() {
        let (mut h, _) = setup();
        h.input(message.as_bytes());
        h.wind_down();
        assert_eq!(
            (h.ep.active_calls(), h.ep.pending_transactions()),
            (0, 0),
            "corpus message {i} leaves state behind:\n{message}\n{:#?}",
            h.ep
        );
    }
}
