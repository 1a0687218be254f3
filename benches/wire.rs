//! Pack and unpack of an introduction-request (payload + signed envelope with global
//! time) with a dummy 64-byte signature, then the same request really signed and
//! verified with a curve25519 (Ed25519) key — the per-packet cost of a real stack.
//! `benches/crypto.rs` has more key kinds.

use std::net::SocketAddrV4;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ipv8sim::community::payload::{IntroRequestFlags, IntroductionRequest, IntroductionRequestOld};
use ipv8sim::crypto::{KeyKind, PrivateKey};
use ipv8sim::wire::{self, decode_exact, Payload};
use rand::SeedableRng;

const KEY: [u8; 74] = [0x42; 74];

fn old_request() -> IntroductionRequestOld {
    IntroductionRequestOld {
        destination_address: "1.2.3.4:5678".parse::<SocketAddrV4>().unwrap(),
        source_lan_address: "192.168.1.10:8090".parse().unwrap(),
        source_wan_address: "80.100.120.140:8090".parse().unwrap(),
        flags: IntroRequestFlags::OLD_STYLE_SENT,
        identifier: 42,
        extra_bytes: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let prefix = wire::prefix(&[1; 20]);
    let req = old_request();
    c.bench_function("intro_request_old/pack_signed", |b| {
        b.iter(|| {
            wire::pack_signed(
                black_box(&prefix),
                IntroductionRequestOld::MSG_ID,
                black_box(&KEY),
                Some(42),
                black_box(&req),
                |_| vec![0u8; 64],
            )
        })
    });
    let packet = wire::pack_signed(&prefix, 246, &KEY, Some(42), &req, |_| vec![0u8; 64]);
    assert_eq!(packet.len(), 192);
    c.bench_function("intro_request_old/parse_signed+decode", |b| {
        b.iter(|| {
            let parts = wire::parse_signed(black_box(&packet), true, |k| {
                Ok(if k.len() == 74 { 64 } else { 0 })
            })
            .unwrap();
            decode_exact::<IntroductionRequestOld>(parts.payload).unwrap()
        })
    });
    let new = IntroductionRequest {
        destination_address: "1.2.3.4:5678".parse().unwrap(),
        source_lan_address: "192.168.1.10:8090".parse().unwrap(),
        source_wan_address: "[2001:db8::1]:8090".parse().unwrap(),
        identifier: 43,
        flags: IntroRequestFlags::default(),
        extra_bytes: vec![0, 9],
    };
    c.bench_function("intro_request_new/pack_signed", |b| {
        b.iter(|| {
            wire::pack_signed(
                black_box(&prefix),
                IntroductionRequest::MSG_ID,
                &KEY,
                Some(43),
                black_box(&new),
                |_| vec![0u8; 64],
            )
        })
    });
    let packet = wire::pack_signed(&prefix, 234, &KEY, Some(43), &new, |_| vec![0u8; 64]);
    c.bench_function("intro_request_new/parse_signed+decode", |b| {
        b.iter(|| {
            let parts = wire::parse_signed(black_box(&packet), true, |_| Ok(64)).unwrap();
            decode_exact::<IntroductionRequest>(parts.payload).unwrap()
        })
    });

    // Real Ed25519: sign the request, and verify a signed one (parse + decode + verify).
    let key = PrivateKey::generate(
        KeyKind::Curve25519,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    let public = key.public_key();
    let key_bin = public.key_to_bin().to_vec();
    c.bench_function("intro_request_old/pack+sign", |b| {
        b.iter(|| {
            wire::pack_signed(&prefix, 246, &key_bin, Some(42), black_box(&req), |d| {
                key.sign(d)
            })
        })
    });
    let signed = wire::pack_signed(&prefix, 246, &key_bin, Some(42), &req, |d| key.sign(d));
    c.bench_function("intro_request_old/parse+decode+verify", |b| {
        b.iter(|| {
            let parts = wire::parse_signed(black_box(&signed), true, |_| Ok(64)).unwrap();
            let p = decode_exact::<IntroductionRequestOld>(parts.payload).unwrap();
            assert!(public.verify(parts.signature, parts.signed_data));
            p
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
