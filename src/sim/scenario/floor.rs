//! The crypto floor of a run: `floor = Σ_kind signs × t_sign + verifies × t_verify`, the
//! wall time the run's signatures alone cost on this machine, and `wall / floor`.
//!
//! `t_sign` / `t_verify` are measured in this process just before the run is reported
//! ([`calibrate`]): the same operation as `benches/crypto.rs` (`<kind>/sign_200B`,
//! `<kind>/verify_200B`: our [`PrivateKey::sign`] / [`PublicKey::verify`] over a
//! 200-byte message, an introduction-request's size; [`PrivateKey::sign_vartime`],
//! `<kind>/sign_vartime_200B`, when the run signed in variable time, as scenarios do
//! by default), the median of several short batches after a warm-up. Nothing here reaches the simulation: the figures go only
//! to `summary.json`'s wall-time fields.
//!
//! Crypto modes (scenario keys `crypto`, `verify_skip`, `verify_threads`): `verifies`
//! counts only checks that ran the curve arithmetic — verifies answered by verify skip
//! are left out; checks done by the verify pool are counted (they cost CPU, on other
//! cores, so `wall_over_floor` may fall below 1). With `crypto = "fast"` there is no
//! floor (`run` leaves `crypto_floor` out).

use serde::Serialize;

use crate::community::CryptoCounts;
use crate::crypto::{KeyKind, PrivateKey};
use crate::runtime::{Clock, RealClock};
use rand::SeedableRng;

/// Measured per-signature costs of one key kind.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CryptoTiming {
    /// Seconds per signature made.
    pub sign_s: f64,
    /// Seconds per signature verified.
    pub verify_s: f64,
}

/// One key kind's line in `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct KindFloor {
    /// py-ipv8 name of the key kind (`curve25519`, `very-low`, …).
    pub kind: String,
    /// Signatures made with keys of this kind (all hosts, servers included).
    pub signs: u64,
    /// Signatures of this kind verified with the curve arithmetic (attempts minus
    /// those answered by verify skip; pool verifies count: they run on other cores).
    pub verifies: u64,
    /// Measured µs per sign.
    pub sign_us: f64,
    /// Measured µs per verify.
    pub verify_us: f64,
    /// `signs × t_sign + verifies × t_verify`, seconds.
    pub floor_s: f64,
}

/// Time `f` over batches of `batch` calls: warm up once, then the median of `rounds`
/// batches, in seconds per call.
fn time_per_call(batch: u32, rounds: usize, mut f: impl FnMut()) -> f64 {
    let clock = RealClock::new();
    for _ in 0..batch {
        f();
    }
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t0 = clock.now();
            for _ in 0..batch {
                f();
            }
            (clock.now().as_nanos() - t0.as_nanos()) as f64 * 1e-9 / f64::from(batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

/// Measure sign (variable-time if `vartime_sign`) and verify of a 200-byte message
/// with a fresh key of `kind` (≈ 0.1 s).
pub fn calibrate(kind: KeyKind, vartime_sign: bool) -> Option<CryptoTiming> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let key = PrivateKey::generate(kind, &mut rng).ok()?;
    let public = key.public_key();
    let msg: Vec<u8> = (0..200u32).map(|i| (i * 31 % 251) as u8).collect();
    let sig = key.sign(&msg);
    if !public.verify(&sig, &msg) {
        return None;
    }
    // About 25 ms per operation for Ed25519; EC kinds are ~10× slower per call.
    let batch = match kind {
        KeyKind::Curve25519 => 200,
        KeyKind::Ec(_) => 20,
    };
    let sign_s = time_per_call(batch, 5, || {
        let m = std::hint::black_box(&msg);
        std::hint::black_box(if vartime_sign {
            key.sign_vartime(m)
        } else {
            key.sign(m)
        });
    });
    let verify_s = time_per_call(batch, 5, || {
        std::hint::black_box(public.verify(std::hint::black_box(&sig), &msg));
    });
    Some(CryptoTiming { sign_s, verify_s })
}

/// The floor of a run with these counts: per kind used, calibrated now, signing as the
/// run did (`vartime_sign`).
pub fn floor(counts: &CryptoCounts, vartime_sign: bool) -> Vec<KindFloor> {
    counts
        .kinds_used()
        .into_iter()
        .filter_map(|kind| {
            let t = calibrate(kind, vartime_sign)?;
            // Verifies answered by verify skip cost no curve arithmetic.
            let (signs, verifies) = (counts.signs_of(kind), counts.performed_of(kind));
            Some(KindFloor {
                kind: kind.name().to_string(),
                signs,
                verifies,
                sign_us: t.sign_s * 1e6,
                verify_us: t.verify_s * 1e6,
                floor_s: signs as f64 * t.sign_s + verifies as f64 * t.verify_s,
            })
        })
        .collect()
}
