//! SIP: parsing an INVITE with SDP, and a whole inbound call driven through the endpoint's
//! transaction and dialog layers (INVITE -> 100/180/200 -> ACK -> BYE -> 200).

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use voxgate_sip::{Endpoint, EndpointConfig, Event, Transport, message};

const PEER: &str = "127.0.0.1:5080";

fn invite(n: u64) -> Vec<u8> {
    let sdp = "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
    format!(
        "INVITE sip:1000@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {PEER};branch=z9hG4bKinv{n}\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@{PEER}>;tag=a{n}\r\nTo: <sip:1000@127.0.0.1:5060>\r\nCall-ID: bench-{n}@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@{PEER}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

fn in_dialog(method: &str, n: u64, cseq: u32, to_tag: &str) -> Vec<u8> {
    format!(
        "{method} sip:1000@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {PEER};branch=z9hG4bK{method}{n}\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@{PEER}>;tag=a{n}\r\nTo: <sip:1000@127.0.0.1:5060>;tag={to_tag}\r\nCall-ID: bench-{n}@127.0.0.1\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn to_tag(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    let to = text
        .lines()
        .find(|l| l.starts_with("To:"))
        .expect("To header");
    to.split("tag=").nth(1).expect("To tag").trim().to_owned()
}

fn parse(c: &mut Criterion) {
    let bytes = invite(1);
    c.bench_function("sip/parse_invite_with_sdp", |b| {
        b.iter(|| black_box(message::parse(black_box(&bytes))))
    });
}

fn inbound_call(c: &mut Criterion) {
    let peer: SocketAddr = PEER.parse().expect("addr");
    let mut endpoint = Endpoint::new(EndpointConfig {
        seed: 7,
        ..EndpointConfig::default()
    });
    let now = Instant::now();
    let mut n = 0u64;
    c.bench_function("sip/inbound_call_invite_to_bye", |b| {
        b.iter_batched(
            || {
                n += 1;
                (n, invite(n))
            },
            |(n, invite)| {
                endpoint.handle_input(now, Transport::Udp, peer, &invite);
                let call = std::iter::from_fn(|| endpoint.poll_event())
                    .find_map(|e| match e {
                        Event::IncomingCall { call, .. } => Some(call),
                        _ => None,
                    })
                    .expect("incoming call");
                endpoint
                    .send_provisional(now, call, 180, None)
                    .expect("180");
                endpoint
                    .accept(now, call, b"v=0\r\n".to_vec())
                    .expect("200");
                let ok = std::iter::from_fn(|| endpoint.poll_transmit())
                    .last()
                    .expect("200 sent");
                let tag = to_tag(&ok.payload);
                endpoint.handle_input(now, Transport::Udp, peer, &in_dialog("ACK", n, 1, &tag));
                endpoint.handle_input(now, Transport::Udp, peer, &in_dialog("BYE", n, 2, &tag));
                while endpoint.poll_transmit().is_some() {}
                while endpoint.poll_event().is_some() {}
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, parse, inbound_call);
criterion_main!(benches);
