//! Variable-time k·B on Ed25519 for signing with *simulated* keys.
//!
//! A signature's cost is mostly r·B, the nonce times the base point. ed25519-dalek does
//! it in constant time (a radix-16 table, every entry of a row read on each lookup):
//! ~15 µs of its ~22 µs sign on the 2-vCPU machine. Here the scalar is cut into signed
//! radix-2^8 digits and each digit picks its multiple of 256^i·B straight from a table,
//! at most 33 additions and no doubling: ~8 µs.
//!
//! Which entry is read, and whether a digit is zero, depends on the nonce, so the time
//! and the cache lines touched leak it, and a leaked nonce gives the secret key. The
//! simulator's keys are derived from the scenario seed, so they have no secret to
//! leak; a live identity must keep [`super::libnacl::LibNaclPrivateKey::sign`].
//!
//! The table is built once per process on first use (33 rows × 128 points × 160 B
//! = 0.68 MB, ~1 ms).

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use std::sync::OnceLock;

/// Bits per digit. 6 (a 0.22 MB table, 44 additions) measured no faster in whole runs
/// at 1k and 2k peers, and ~20 % slower per signature.
const W: usize = 8;
/// Table entries per row: |digit| in 1..=2^(W-1).
const HALF: usize = 1 << (W - 1);
/// Rows: a 256-bit scalar in W-bit digits, plus one for the last carry.
const ROWS: usize = 256usize.div_ceil(W) + 1;

/// `rows[i][j] = (j + 1) · 2^(W·i) · B`.
struct Comb {
    rows: Vec<[EdwardsPoint; HALF]>,
}

fn comb() -> &'static Comb {
    static COMB: OnceLock<Comb> = OnceLock::new();
    COMB.get_or_init(|| {
        let mut rows = Vec::with_capacity(ROWS);
        let mut base = ED25519_BASEPOINT_POINT;
        for _ in 0..ROWS {
            let mut row = [EdwardsPoint::default(); HALF];
            let mut p = base;
            for entry in row.iter_mut() {
                *entry = p;
                p += base;
            }
            rows.push(row);
            // p = (HALF + 1)·base here; the next row's base is 2^W·base.
            for _ in 0..W {
                base = base + base;
            }
        }
        Comb { rows }
    })
}

/// The scalar's signed radix-2^W digits, d_i in [-2^(W-1), 2^(W-1)), Σ d_i·2^(W·i) = s.
/// A canonical scalar is below 2^253, so the last digit absorbs the final carry.
fn signed_digits(s: &Scalar) -> [i16; ROWS] {
    let mut limbs = [0u64; 5];
    for (limb, chunk) in limbs.iter_mut().zip(s.as_bytes().chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    let bits = |pos: usize| -> i16 {
        let (word, shift) = (pos / 64, pos % 64);
        let lo = limbs.get(word).copied().unwrap_or(0) >> shift;
        let hi = match shift {
            0 => 0,
            _ => limbs.get(word + 1).copied().unwrap_or(0) << (64 - shift),
        };
        ((lo | hi) & ((1 << W) - 1)) as i16
    };
    let mut digits = [0i16; ROWS];
    let mut carry = 0i16;
    for (i, d) in digits.iter_mut().enumerate() {
        let raw = bits(i * W) + carry;
        if raw >= HALF as i16 {
            *d = raw - (1 << W);
            carry = 1;
        } else {
            *d = raw;
            carry = 0;
        }
    }
    digits
}

/// How many rows ahead [`mul_base_vartime`] prefetches its table entries. In a run the
/// table is cold (the simulation evicts it between signatures), and each entry is 2–3
/// cache lines from L3 or memory; 6 rows keep ~18 lines in flight. Measured in runs
/// (docs-2k, signatures timed in a diagnostic build against the floor's samples): the
/// in-run sign went from 1.16–1.43× its sampled time to 0.97–1.22× (distances 3 and
/// 10 measured alike; prefetching all 33 entries at once helped less). The result is
/// the same point either way.
const PREFETCH_ROWS: usize = 6;

/// Ask the CPU to start loading `p`'s cache lines (a hint; no effect on the value).
#[inline(always)]
fn prefetch(p: &EdwardsPoint) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let start = (p as *const EdwardsPoint).cast::<i8>();
        let size = std::mem::size_of::<EdwardsPoint>();
        // Every 64-byte line the entry overlaps: its start, +64, …, and its last byte.
        for offset in (0..size).step_by(64).chain(std::iter::once(size - 1)) {
            // SAFETY: PREFETCHT0 is a hint: it cannot fault, writes nothing and makes
            // no value visible to the program; `start + offset` lies inside `*p`, a live
            // reference (offset < size).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// s·B, variable time (see the module doc: only for keys with no secret to protect).
pub fn mul_base_vartime(s: &Scalar) -> EdwardsPoint {
    let comb = comb();
    let digits = signed_digits(s);
    // The table entry a digit selects (None for a zero digit).
    let entry = |i: usize| -> Option<&EdwardsPoint> {
        let d = digits.get(i)?;
        comb.rows
            .get(i)?
            .get(usize::from(d.unsigned_abs()).wrapping_sub(1))
    };
    for p in (0..PREFETCH_ROWS).filter_map(entry) {
        prefetch(p);
    }
    let mut acc = EdwardsPoint::default();
    for (i, &d) in digits.iter().enumerate() {
        if let Some(p) = entry(i + PREFETCH_ROWS) {
            prefetch(p);
        }
        if let Some(p) = entry(i) {
            if d > 0 {
                acc += p;
            } else {
                acc -= p;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
    use rand::{Rng, SeedableRng};

    fn check(s: Scalar) {
        assert_eq!(mul_base_vartime(&s), ED25519_BASEPOINT_TABLE * &s, "{s:?}");
    }

    #[test]
    fn digits_recompose_to_the_scalar() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        for _ in 0..200 {
            let s = Scalar::from_bytes_mod_order_wide(&{
                let mut b = [0u8; 64];
                rng.fill(&mut b[..]);
                b
            });
            let mut acc = Scalar::ZERO;
            let radix = Scalar::from(1u64 << W);
            for &d in signed_digits(&s).iter().rev() {
                acc = acc * radix
                    + Scalar::from(d.unsigned_abs() as u64) * {
                        if d < 0 {
                            -Scalar::ONE
                        } else {
                            Scalar::ONE
                        }
                    };
            }
            assert_eq!(acc, s);
            assert!(signed_digits(&s)
                .iter()
                .all(|&d| (-(HALF as i16)..HALF as i16).contains(&d)));
        }
    }

    #[test]
    fn equals_the_constant_time_table() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        // Edges: 0, 1, small, every digit at ±HALF, ℓ − 1, and powers of two.
        check(Scalar::ZERO);
        check(Scalar::ONE);
        check(Scalar::from(127u64));
        check(Scalar::from(128u64));
        check(Scalar::from(255u64));
        check(-Scalar::ONE);
        check(-Scalar::from(128u64));
        check(Scalar::from_bytes_mod_order([0x80; 32]));
        check(Scalar::from_bytes_mod_order([0x7f; 32]));
        check(Scalar::from_bytes_mod_order([0xff; 32]));
        for bit in 0..253u32 {
            let mut b = [0u8; 32];
            if let Some(byte) = b.get_mut((bit / 8) as usize) {
                *byte = 1 << (bit % 8);
            }
            check(Scalar::from_bytes_mod_order(b));
        }
        for _ in 0..300 {
            let mut b = [0u8; 64];
            rng.fill(&mut b[..]);
            check(Scalar::from_bytes_mod_order_wide(&b));
        }
    }
}
