//! RTP receive path: a PCMU packet into the session (demux, latching, jitter buffer), the
//! 20 ms playout tick, and G.711 decoding of the played frame.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rtp_rs::{RtpPacketBuilder, Seq};
use voxgate_codecs::Codec;
use voxgate_rtp::{PlayoutFrame, RtpSession, SessionConfig};

fn packet(tick: u64, payload: &[u8]) -> Vec<u8> {
    RtpPacketBuilder::new()
        .payload_type(0)
        .ssrc(0x1234_5678)
        .sequence(Seq::from(tick as u16))
        .timestamp((tick * 160) as u32)
        .payload(payload)
        .build()
        .expect("packet")
}

fn receive_path(c: &mut Criterion) {
    let from: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
    let start = Instant::now();
    let config = SessionConfig {
        ssrc: 1,
        initial_sequence: 1,
        initial_timestamp: 1,
        payload_type: 0,
        clock_rate: 8000,
        samples_per_frame: 160,
        telephone_event: Some((101, 8000)),
        remote_rtp: Some(from),
        remote_rtcp: None,
        jitter_min: Duration::from_millis(20),
        jitter_max: Duration::from_millis(200),
        rtcp_interval: Duration::from_secs(5),
    };
    let mut session = RtpSession::new(start, config);
    let mut encoded = Vec::new();
    Codec::Pcmu.encode(&voxgate_benches::pcm_frame(), &mut encoded);
    let mut tick = 0u64;
    let mut pcm = Vec::with_capacity(160);
    c.bench_function("rtp/packet_to_jitter_buffer_to_decoded_frame", |b| {
        b.iter_batched(
            || {
                tick += 1;
                (tick, packet(tick, &encoded))
            },
            |(tick, bytes)| {
                let now = start + Duration::from_millis(20 * tick);
                session
                    .handle_datagram(now, from, &bytes)
                    .expect("valid packet");
                pcm.clear();
                if let PlayoutFrame::Audio(p) | PlayoutFrame::Concealed(p) = session.next_frame(now)
                {
                    Codec::Pcmu.decode(p, &mut pcm);
                }
                black_box(&pcm);
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, receive_path);
criterion_main!(benches);
