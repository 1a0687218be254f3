//! Criterion benches of the `crypto` module: Ed25519 (LibNaCL key) and sect163k1
//! (tracker key; OpenSSL and native signing, native and OpenSSL verifying) of an
//! introduction-request-sized message, public key
//! parsing, and one tunnel-cell encryption.
//!
//! Run briefly: `cargo bench --bench crypto -- --warm-up-time 1 --measurement-time 2`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ipv8sim::crypto::tunnel::{Direction, SessionKeys};
use ipv8sim::crypto::{KeyKind, PrivateKey, PublicKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// An old-style introduction-request is 192 bytes, 128 of them signed; use 200.
fn message() -> Vec<u8> {
    (0..200u32).map(|i| (i * 31 % 251) as u8).collect()
}

/// Sets the first 8 bytes of `m` to `n`.
fn set_counter(m: &mut [u8], n: u64) {
    m.iter_mut().zip(n.to_le_bytes()).for_each(|(d, b)| *d = b);
}

/// [`message`] with its first 8 bytes set to `n`.
fn counted(n: u64) -> Vec<u8> {
    let mut m = message();
    set_counter(&mut m, n);
    m
}

fn bench_kind(c: &mut Criterion, label: &str, kind: KeyKind) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let key = PrivateKey::generate(kind, &mut rng).expect("generate");
    let public = key.public_key();
    let msg = message();
    let sig = key.sign(&msg);
    assert!(public.verify(&sig, &msg));
    let bin = public.key_to_bin().to_vec();
    c.bench_function(&format!("{label}/sign_200B"), |b| {
        b.iter(|| key.sign(black_box(&msg)))
    });
    // What scenarios sign with by default (same bytes; variable time: Ed25519's comb,
    // sect163k1's native arithmetic).
    c.bench_function(&format!("{label}/sign_vartime_200B"), |b| {
        b.iter(|| key.sign_vartime(black_box(&msg)))
    });
    c.bench_function(&format!("{label}/verify_200B"), |b| {
        b.iter(|| public.verify(black_box(&sig), black_box(&msg)))
    });
    // The same with a different message each time, as in a run. Signing and verifying
    // take variable time, and one repeated message replays the same nonce, table
    // entries and branches, as the crypto floor's samples do
    // (src/sim/scenario/floor.rs). Measured in this tight loop, the two read the same
    // within the machine's noise (benches/README.md, "The crypto floor").
    let signed: Vec<(Vec<u8>, Vec<u8>)> = (0..64u64)
        .map(|n| {
            let m = counted(n);
            let s = key.sign(&m);
            (m, s)
        })
        .collect();
    let mut n = 64u64;
    // One buffer, its counter rewritten in place: no allocation in the timed loop.
    let mut to_sign = counted(n);
    c.bench_function(&format!("{label}/sign_vartime_200B_varied"), |b| {
        b.iter(|| {
            n += 1;
            set_counter(&mut to_sign, n);
            key.sign_vartime(black_box(&to_sign))
        })
    });
    let mut i = 0usize;
    c.bench_function(&format!("{label}/verify_200B_varied"), |b| {
        b.iter(|| {
            i = (i + 1) % signed.len();
            let (m, s) = &signed[i];
            public.verify(black_box(s), black_box(m))
        })
    });
    c.bench_function(&format!("{label}/public_from_bin"), |b| {
        b.iter(|| PublicKey::from_bin(black_box(&bin)).expect("parse"))
    });
}

/// ed25519-dalek itself, to separate the library's cost from ours.
fn bench_dalek(c: &mut Criterion) {
    use ed25519_dalek::{Signer, SigningKey};
    let key = SigningKey::from_bytes(&[9u8; 32]);
    let public = key.verifying_key();
    let msg = message();
    let sig = key.sign(&msg);
    c.bench_function("ed25519-dalek/sign_200B", |b| {
        b.iter(|| key.sign(black_box(&msg)))
    });
    c.bench_function("ed25519-dalek/verify_200B", |b| {
        b.iter(|| public.verify_strict(black_box(&msg), black_box(&sig)))
    });
    c.bench_function("ed25519-dalek/verify_cofactorless_200B", |b| {
        use ed25519_dalek::Verifier;
        b.iter(|| public.verify(black_box(&msg), black_box(&sig)))
    });
}

/// sect163k1 verification through OpenSSL (`verify_openssl`), the reference the native
/// path (`sect163k1/verify_200B`) replaced. (Signing through OpenSSL is
/// `sect163k1/sign_200B`, what live nodes do; the native one `sign_vartime_200B`.)
fn bench_k163_openssl(c: &mut Criterion) {
    use ipv8sim::crypto::{EcCurve, EcPrivateKey};
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let key = EcPrivateKey::generate(EcCurve::Sect163k1, &mut rng).expect("generate");
    let public = key.public_key();
    let msg = message();
    let sig = key.sign(&msg).expect("sign");
    assert!(public.verify_openssl(&sig, &msg));
    c.bench_function("sect163k1-openssl/verify_200B", |b| {
        b.iter(|| public.verify_openssl(black_box(&sig), black_box(&msg)))
    });
}

fn crypto(c: &mut Criterion) {
    bench_dalek(c);
    bench_kind(c, "ed25519", KeyKind::Curve25519);
    bench_kind(
        c,
        "sect163k1",
        KeyKind::from_name("very-low").expect("kind"),
    );
    bench_k163_openssl(c);
    let mut keys = SessionKeys::derive(&[7u8; 64]).expect("derive");
    let cell = vec![0u8; 1200];
    c.bench_function("tunnel/encrypt_1200B", |b| {
        b.iter(|| {
            keys.encrypt(Direction::Forward, black_box(&cell))
                .expect("encrypt")
        })
    });
}

criterion_group!(benches, crypto);
criterion_main!(benches);
