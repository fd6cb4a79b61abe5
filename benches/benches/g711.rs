//! G.711 encode and decode of one 20 ms frame.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use voxgate_benches::pcm_frame;
use voxgate_codecs::Codec;

fn g711(c: &mut Criterion) {
    let pcm = pcm_frame();
    for codec in Codec::ALL.into_iter().filter(|c| c.is_stateless()) {
        let mut encoded = Vec::with_capacity(160);
        codec.encode(&pcm, &mut encoded);
        c.bench_function(&format!("{}/encode_20ms", codec.name()), |b| {
            let mut out = Vec::with_capacity(160);
            b.iter(|| {
                out.clear();
                codec.encode(black_box(&pcm), &mut out);
                black_box(&out);
            })
        });
        c.bench_function(&format!("{}/decode_20ms", codec.name()), |b| {
            let mut out = Vec::with_capacity(160);
            b.iter(|| {
                out.clear();
                codec.decode(black_box(&encoded), &mut out);
                black_box(&out);
            })
        });
    }
}

criterion_group!(benches, g711);
criterion_main!(benches);
