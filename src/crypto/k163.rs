//! Native arithmetic on NIST K-163 (SEC 2 `sect163k1`), the curve of py-ipv8's
//! "very-low" keys: the field GF(2^163), López–Dahab point arithmetic, a fixed-base
//! table for k·G (signing) and an interleaved wNAF for u1·G + u2·Q (verifying).
//!
//! OpenSSL's binary-curve code is generic (BIGNUM); this module does the same maths
//! about ten times faster. [`super::ec`] uses it for sect163k1 and keeps OpenSSL for
//! parsing and for the other curves; the tests check every result against OpenSSL.
//!
//! Nothing here is constant time, so it signs only through
//! `EcPrivateKey::sign_vartime`, for the simulator's keys (no secret to protect);
//! live keys sign through OpenSSL (`EcPrivateKey::sign`). Verifying handles only
//! public values.
//!
//! References: SEC 2 v2 §3.2.1 (curve constants); Hankerson–Menezes–Vanstone, *Guide
//! to Elliptic Curve Cryptography*, §2.3 (binary field arithmetic), §3.2.3 (López–Dahab
//! coordinates), Alg. 3.25 (mixed addition), §3.3 (wNAF, fixed-base windowing).

use std::sync::OnceLock;

/// An element of GF(2^163) in polynomial basis: bit i of the 192-bit little-endian
/// limb array is the coefficient of x^i; bits 163.. are zero when reduced.
pub(crate) type Fe = [u64; 3];

/// A 163-bit integer (scalar), little-endian 64-bit limbs.
pub(crate) type Scalar = [u64; 3];

/// Mask of the used bits of the top limb (163 − 128 = 35 bits).
const TOP_MASK: u64 = (1 << 35) - 1;

/// Generator x (SEC 2 §3.2.1).
pub(crate) const GX: Fe = [0xde4e_6d5e_5c94_eee8, 0x7bbc_11ac_aa07_d793, 0x2_fe13_c053];
/// Generator y.
pub(crate) const GY: Fe = [0x0536_d538_ccda_a3d9, 0x5d38_ff58_321f_2e80, 0x2_8907_0fb0];
/// The prime order n of G (the curve has 2n points, cofactor 2).
pub(crate) const N: Scalar = [0xa2e0_cc0d_99f8_a5ef, 0x0000_0000_0002_0108, 0x4_0000_0000];

// ---------------------------------------------------------------------------------
// Field arithmetic
// ---------------------------------------------------------------------------------

/// Reduces a product of two reduced elements (≤ 325 bits) modulo
/// f(x) = x^163 + x^7 + x^6 + x^3 + 1 (Guide to ECC, Alg. 2.41 for 64-bit words):
/// x^(64i) = x^(64(i−3) + 29) · x^163 ≡ x^(64(i−3)+29) · (x^7 + x^6 + x^3 + 1).
#[inline(always)]
fn reduce(mut c: [u64; 6]) -> Fe {
    for i in (3..6).rev() {
        let t = c[i];
        c[i - 3] ^= (t << 29) ^ (t << 32) ^ (t << 35) ^ (t << 36);
        c[i - 2] ^= (t >> 35) ^ (t >> 32) ^ (t >> 29) ^ (t >> 28);
    }
    let t = c[2] >> 35;
    c[0] ^= t ^ (t << 3) ^ (t << 6) ^ (t << 7);
    [c[0], c[1], c[2] & TOP_MASK]
}

/// Carry-less 64×64 → 128 multiply, portable: 4-bit windows of `b` over a table of
/// the 16 multiples of `a` (each < 2^67, so the table fits u128).
#[inline]
fn clmul64_portable(a: u64, b: u64) -> u128 {
    let a = u128::from(a);
    let mut table = [0u128; 16];
    for j in 1..16usize {
        table[j] = if j % 2 == 0 {
            table[j / 2] << 1
        } else {
            table[j - 1] ^ a
        };
    }
    let mut r = 0u128;
    for shift in (0..16).rev() {
        r = (r << 4) ^ table[((b >> (4 * shift)) & 15) as usize];
    }
    r
}

/// 3×3-limb schoolbook product with a 64×64 carry-less multiplier.
#[inline(always)]
fn mul_wide(a: &Fe, b: &Fe, clmul: impl Fn(u64, u64) -> u128) -> [u64; 6] {
    let mut c = [0u128; 5];
    for i in 0..3 {
        for j in 0..3 {
            c[i + j] ^= clmul(a[i], b[j]);
        }
    }
    let mut out = [0u64; 6];
    for (k, v) in c.iter().enumerate() {
        out[k] ^= *v as u64;
        out[k + 1] ^= (*v >> 64) as u64;
    }
    out
}

/// Field multiplication without PCLMULQDQ (always available; tested directly).
pub(crate) fn mul_portable(a: &Fe, b: &Fe) -> Fe {
    reduce(mul_wide(a, b, clmul64_portable))
}

#[cfg(target_arch = "x86_64")]
mod clmul {
    use super::{mul_wide, reduce, Fe};
    use std::arch::x86_64::{__m128i, _mm_clmulepi64_si128, _mm_set_epi64x};

    /// One PCLMULQDQ.
    ///
    /// # Safety
    /// The CPU must support `pclmulqdq` (and SSE2, part of the x86_64 baseline).
    #[inline]
    #[target_feature(enable = "pclmulqdq")]
    unsafe fn clmul64(a: u64, b: u64) -> u128 {
        let p = _mm_clmulepi64_si128::<0>(_mm_set_epi64x(0, a as i64), _mm_set_epi64x(0, b as i64));
        // SAFETY: `__m128i` and `u128` are both 16 bytes of plain integer data; every
        // bit pattern is valid for both (little-endian lane order = u128 bit order).
        unsafe { std::mem::transmute::<__m128i, u128>(p) }
    }

    /// Field multiplication with PCLMULQDQ.
    ///
    /// # Safety
    /// The CPU must support `pclmulqdq`; [`super::mul`] only calls this after
    /// `is_x86_feature_detected!("pclmulqdq")` returned true.
    #[inline]
    #[target_feature(enable = "pclmulqdq")]
    pub(super) unsafe fn mul(a: &Fe, b: &Fe) -> Fe {
        // SAFETY: this function's own precondition (pclmulqdq present) is exactly
        // `clmul64`'s.
        reduce(mul_wide(a, b, |x, y| unsafe { clmul64(x, y) }))
    }

    /// Field squaring with PCLMULQDQ (a_i · a_i per limb; cross terms cancel).
    ///
    /// # Safety
    /// As for [`mul`]: the CPU must support `pclmulqdq`.
    #[inline]
    #[target_feature(enable = "pclmulqdq")]
    pub(super) unsafe fn sqr(a: &Fe) -> Fe {
        let mut c = [0u64; 6];
        for i in 0..3 {
            // SAFETY: pclmulqdq is present (this function's precondition).
            let p = unsafe { clmul64(a[i], a[i]) };
            c[2 * i] = p as u64;
            c[2 * i + 1] = (p >> 64) as u64;
        }
        reduce(c)
    }

    /// Field inversion with PCLMULQDQ (the whole chain in one function, so the
    /// multiplications and squarings inline).
    ///
    /// # Safety
    /// As for [`mul`]: the CPU must support `pclmulqdq`.
    #[target_feature(enable = "pclmulqdq")]
    pub(super) unsafe fn inv(a: &Fe) -> Fe {
        // SAFETY (both closures): pclmulqdq is present (this function's precondition).
        super::inv_with(a, |x, y| unsafe { mul(x, y) }, |x| unsafe { sqr(x) })
    }
}

/// True if PCLMULQDQ may be used (detected once, at first use).
#[cfg(target_arch = "x86_64")]
fn has_clmul() -> bool {
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| std::is_x86_feature_detected!("pclmulqdq"))
}

/// Field multiplication: PCLMULQDQ when the CPU has it, else the portable method.
#[inline]
pub(crate) fn mul(a: &Fe, b: &Fe) -> Fe {
    #[cfg(target_arch = "x86_64")]
    if has_clmul() {
        // SAFETY: `clmul::mul` requires pclmulqdq, which `has_clmul` detected at run
        // time on this CPU.
        return unsafe { clmul::mul(a, b) };
    }
    mul_portable(a, b)
}

/// Spreads the 32 bits of `x` to the even bit positions of a u64 (squaring in
/// GF(2)[x] is linear: (Σ a_i x^i)² = Σ a_i x^(2i)).
#[inline(always)]
fn spread32(x: u64) -> u64 {
    let mut x = x & 0xffff_ffff;
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Field squaring: PCLMULQDQ when the CPU has it, else bit spreading.
#[inline]
pub(crate) fn sqr(a: &Fe) -> Fe {
    #[cfg(target_arch = "x86_64")]
    if has_clmul() {
        // SAFETY: `clmul::sqr` requires pclmulqdq, which `has_clmul` detected at run
        // time on this CPU.
        return unsafe { clmul::sqr(a) };
    }
    sqr_portable(a)
}

/// Field squaring without PCLMULQDQ: squaring is linear in GF(2)[x], spread the bits.
#[inline]
pub(crate) fn sqr_portable(a: &Fe) -> Fe {
    reduce([
        spread32(a[0]),
        spread32(a[0] >> 32),
        spread32(a[1]),
        spread32(a[1] >> 32),
        spread32(a[2]),
        spread32(a[2] >> 32),
    ])
}

/// Field addition (XOR).
#[inline(always)]
pub(crate) fn add(a: &Fe, b: &Fe) -> Fe {
    [a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2]]
}

#[inline(always)]
fn is_zero(a: &Fe) -> bool {
    (a[0] | a[1] | a[2]) == 0
}

const ZERO: Fe = [0; 3];
const ONE: Fe = [1, 0, 0];

/// Field inversion: PCLMULQDQ when the CPU has it, else portable. The inverse of 0 is
/// returned as 0; callers never ask for it.
pub(crate) fn inv(a: &Fe) -> Fe {
    #[cfg(target_arch = "x86_64")]
    if has_clmul() {
        // SAFETY: `clmul::inv` requires pclmulqdq, which `has_clmul` detected at run
        // time on this CPU.
        return unsafe { clmul::inv(a) };
    }
    inv_portable(a)
}

/// Field inversion without PCLMULQDQ.
pub(crate) fn inv_portable(a: &Fe) -> Fe {
    inv_with(a, mul_portable, sqr_portable)
}

/// Itoh–Tsujii inversion: a^−1 = (a^(2^162 − 1))², with β_k = a^(2^k − 1),
/// β_(i+j) = β_i^(2^j) · β_j along 1, 2, 4, 8, 16, 32, 64, 128, 160, 162 (9 mul,
/// 162 sqr).
#[inline(always)]
fn inv_with(a: &Fe, mul: impl Fn(&Fe, &Fe) -> Fe, sqr: impl Fn(&Fe) -> Fe) -> Fe {
    let sqr_n = |a: &Fe, k: usize| {
        let mut r = *a;
        for _ in 0..k {
            r = sqr(&r);
        }
        r
    };
    let b1 = *a;
    let b2 = mul(&sqr(&b1), &b1);
    let b4 = mul(&sqr_n(&b2, 2), &b2);
    let b8 = mul(&sqr_n(&b4, 4), &b4);
    let b16 = mul(&sqr_n(&b8, 8), &b8);
    let b32 = mul(&sqr_n(&b16, 16), &b16);
    let b64 = mul(&sqr_n(&b32, 32), &b32);
    let b128 = mul(&sqr_n(&b64, 64), &b64);
    let b160 = mul(&sqr_n(&b128, 32), &b32);
    let b162 = mul(&sqr_n(&b160, 2), &b2);
    sqr(&b162)
}

// ---------------------------------------------------------------------------------
// Points: y² + xy = x³ + x² + 1 (a = 1, b = 1)
// ---------------------------------------------------------------------------------

/// An affine point (never the point at infinity; that is `None` where it can occur).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Affine {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
}

/// The generator G.
pub(crate) const G: Affine = Affine { x: GX, y: GY };

impl Affine {
    /// True if y² + xy = x³ + x² + 1.
    pub(crate) fn is_on_curve(&self) -> bool {
        let x2 = sqr(&self.x);
        let lhs = add(&sqr(&self.y), &mul(&self.x, &self.y));
        let rhs = add(&add(&mul(&x2, &self.x), &x2), &ONE);
        lhs == rhs
    }

    /// −P = (x, x + y).
    pub(crate) fn neg(&self) -> Affine {
        Affine {
            x: self.x,
            y: add(&self.x, &self.y),
        }
    }
}

/// Affine doubling (one inversion); a point with x = 0 has order 2.
pub(crate) fn affine_double(p: &Affine) -> Option<Affine> {
    if is_zero(&p.x) {
        return None;
    }
    // λ = x + y/x; x3 = λ² + λ + a; y3 = x² + (λ + 1)·x3
    let lambda = add(&p.x, &mul(&p.y, &inv(&p.x)));
    let x3 = add(&add(&sqr(&lambda), &lambda), &ONE);
    let y3 = add(&sqr(&p.x), &mul(&add(&lambda, &ONE), &x3));
    Some(Affine { x: x3, y: y3 })
}

/// Affine addition with every case (one inversion).
pub(crate) fn affine_add(p: Option<Affine>, q: Option<Affine>) -> Option<Affine> {
    let (p, q) = match (p, q) {
        (None, q) => return q,
        (p, None) => return p,
        (Some(p), Some(q)) => (p, q),
    };
    if p.x == q.x {
        return if p.y == q.y { affine_double(&p) } else { None };
    }
    // λ = (y1 + y2)/(x1 + x2); x3 = λ² + λ + x1 + x2 + a; y3 = λ(x1 + x3) + x3 + y1
    let dx = add(&p.x, &q.x);
    let lambda = mul(&add(&p.y, &q.y), &inv(&dx));
    let x3 = add(&add(&add(&sqr(&lambda), &lambda), &dx), &ONE);
    let y3 = add(&add(&mul(&lambda, &add(&p.x, &x3)), &x3), &p.y);
    Some(Affine { x: x3, y: y3 })
}

/// A point in López–Dahab projective coordinates: x = X/Z, y = Y/Z²; Z = 0 is the
/// point at infinity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ld {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Ld {
    const INFINITY: Ld = Ld {
        x: ONE,
        y: ZERO,
        z: ZERO,
    };

    fn from_affine(p: &Affine) -> Ld {
        Ld {
            x: p.x,
            y: p.y,
            z: ONE,
        }
    }

    /// Back to affine (one inversion); `None` for the point at infinity.
    pub(crate) fn to_affine(self) -> Option<Affine> {
        if is_zero(&self.z) {
            return None;
        }
        let zi = inv(&self.z);
        Some(Affine {
            x: mul(&self.x, &zi),
            y: mul(&self.y, &sqr(&zi)),
        })
    }

    /// 2P (Guide to ECC §3.2.3, a = b = 1): Z3 = X1²·Z1², X3 = X1⁴ + Z1⁴,
    /// Y3 = Z1⁴·Z3 + X3·(Z3 + Y1² + Z1⁴). Complete: ∞ and the point of order two
    /// (X1 = 0) both give Z3 = 0.
    fn double(&self) -> Ld {
        let x2 = sqr(&self.x);
        let z2 = sqr(&self.z);
        let z3 = mul(&x2, &z2);
        let z4 = sqr(&z2);
        let x3 = add(&sqr(&x2), &z4);
        let t = add(&add(&z3, &sqr(&self.y)), &z4);
        let y3 = add(&mul(&z4, &z3), &mul(&x3, &t));
        Ld {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// P + Q for affine Q (Guide to ECC Alg. 3.25, a = 1), with every case: P = ∞,
    /// P = Q (doubling) and P = −Q (infinity).
    fn add_affine(&self, q: &Affine) -> Ld {
        if is_zero(&self.z) {
            return Ld::from_affine(q);
        }
        let t2 = sqr(&self.z); // Z1²
        let x3 = add(&self.x, &mul(&self.z, &q.x)); // X1 + Z1·x2  (= Z1·(x1 + x2))
        let y3 = add(&self.y, &mul(&t2, &q.y)); // Y1 + Z1²·y2  (= Z1²·(y1 + y2))
        if is_zero(&x3) {
            return if is_zero(&y3) {
                Ld::from_affine(q).double()
            } else {
                Ld::INFINITY
            };
        }
        let t1 = mul(&self.z, &x3); // B = Z1·(X1 + Z1·x2)
        let z3 = sqr(&t1);
        let t3 = mul(&t1, &y3);
        let t1 = add(&t1, &t2); // a = 1
        let x3 = add(&add(&mul(&sqr(&x3), &t1), &sqr(&y3)), &t3);
        let t2 = add(&mul(&q.x, &z3), &x3);
        let t1 = sqr(&z3);
        let t3 = add(&t3, &z3);
        let y3 = add(&mul(&t3, &t2), &mul(&t1, &add(&q.x, &q.y)));
        Ld {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    fn add_digit(&self, table: &[Affine], digit: i8) -> Ld {
        let idx = usize::from(digit.unsigned_abs() / 2);
        match table.get(idx) {
            Some(p) if digit > 0 => self.add_affine(p),
            Some(p) if digit < 0 => self.add_affine(&p.neg()),
            _ => *self,
        }
    }
}

// ---------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------

/// Big-endian bytes (any length) → integer if it fits 192 bits, else `None`.
pub(crate) fn scalar_from_be(bytes: &[u8]) -> Option<Scalar> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let bytes = bytes.get(first..)?;
    if bytes.len() > 24 {
        return None;
    }
    let mut s = [0u64; 3];
    for (i, &b) in bytes.iter().rev().enumerate() {
        s[i / 8] |= u64::from(b) << (8 * (i % 8));
    }
    Some(s)
}

/// The integer as `len` big-endian bytes (`len` ≤ 24; higher bytes are dropped).
pub(crate) fn scalar_to_be(s: &Scalar, len: usize) -> Vec<u8> {
    (0..len)
        .rev()
        .map(|i| {
            if i < 24 {
                (s[i / 8] >> (8 * (i % 8))) as u8
            } else {
                0
            }
        })
        .collect()
}

/// a < b as integers.
pub(crate) fn scalar_lt(a: &Scalar, b: &Scalar) -> bool {
    for i in (0..3).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

fn scalar_sub(a: &Scalar, b: &Scalar) -> Scalar {
    let mut out = [0u64; 3];
    let mut borrow = false;
    for i in 0..3 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 | b2;
    }
    out
}

fn scalar_shr1(a: &Scalar) -> Scalar {
    [
        (a[0] >> 1) | (a[1] << 63),
        (a[1] >> 1) | (a[2] << 63),
        a[2] >> 1,
    ]
}

/// x/2 mod n for x in [0, n−1] (x + n < 2^164 cannot overflow).
fn half_mod_n(x: &Scalar) -> Scalar {
    if x[0] & 1 == 0 {
        scalar_shr1(x)
    } else {
        scalar_shr1(&scalar_add(x, &N).0)
    }
}

/// a − b mod n for a, b in [0, n−1].
fn sub_mod_n(a: &Scalar, b: &Scalar) -> Scalar {
    if scalar_lt(a, b) {
        scalar_add(&scalar_sub(a, b), &N).0 // wraps back into [0, n−1]
    } else {
        scalar_sub(a, b)
    }
}

/// a⁻¹ mod n for a in [1, n−1] by the binary extended Euclidean algorithm (Guide to
/// ECC, Alg. 2.22; n is an odd prime). `None` outside that range. Not constant time.
pub(crate) fn inv_mod_n(a: &Scalar) -> Option<Scalar> {
    if *a == [0; 3] || !scalar_lt(a, &N) {
        return None;
    }
    const ONE_S: Scalar = [1, 0, 0];
    // Invariants: x1·a ≡ u and x2·a ≡ v (mod n); gcd(u, v) = gcd(a, n) = 1.
    let (mut u, mut v) = (*a, N);
    let (mut x1, mut x2) = (ONE_S, [0; 3]);
    while u != ONE_S && v != ONE_S {
        if u == [0; 3] || v == [0; 3] {
            return None; // impossible while gcd = 1; never loop forever
        }
        while u[0] & 1 == 0 {
            u = scalar_shr1(&u);
            x1 = half_mod_n(&x1);
        }
        while v[0] & 1 == 0 {
            v = scalar_shr1(&v);
            x2 = half_mod_n(&x2);
        }
        if scalar_lt(&u, &v) {
            v = scalar_sub(&v, &u);
            x2 = sub_mod_n(&x2, &x1);
        } else {
            u = scalar_sub(&u, &v);
            x1 = sub_mod_n(&x1, &x2);
        }
    }
    Some(if u == ONE_S { x1 } else { x2 })
}

/// A field element read as an integer, reduced mod n (x < 2^163 < 2n, so at most one
/// subtraction) — ECDSA's r = x(kG) mod n.
#[cfg(test)]
pub(crate) fn fe_mod_n(x: &Fe) -> Scalar {
    if scalar_lt(x, &N) {
        *x
    } else {
        scalar_sub(x, &N)
    }
}

/// Width-w NAF of k < 2^192 − 2^w: digits odd in (−2^(w−1), 2^(w−1)) or 0, least
/// significant first; at most 194 digits.
fn wnaf(k: &Scalar, w: u32) -> [i8; 194] {
    let mut digits = [0i8; 194];
    let mut k = [k[0], k[1], k[2], 0u64];
    let window = 1u64 << w;
    let mut i = 0;
    while (k[0] | k[1] | k[2] | k[3]) != 0 && i < digits.len() {
        if k[0] & 1 == 1 {
            let mut d = (k[0] & (window - 1)) as i64;
            if d >= (window / 2) as i64 {
                d -= window as i64;
            }
            digits[i] = d as i8;
            // k −= d
            if d > 0 {
                let (v, mut borrow) = k[0].overflowing_sub(d as u64);
                k[0] = v;
                for limb in k.iter_mut().skip(1) {
                    let (v, b) = limb.overflowing_sub(u64::from(borrow));
                    *limb = v;
                    borrow = b;
                }
            } else {
                let (v, mut carry) = k[0].overflowing_add(d.unsigned_abs());
                k[0] = v;
                for limb in k.iter_mut().skip(1) {
                    let (v, c) = limb.overflowing_add(u64::from(carry));
                    *limb = v;
                    carry = c;
                }
            }
        }
        // k >>= 1
        k[0] = (k[0] >> 1) | (k[1] << 63);
        k[1] = (k[1] >> 1) | (k[2] << 63);
        k[2] = (k[2] >> 1) | (k[3] << 63);
        k[3] >>= 1;
        i += 1;
    }
    digits
}

// ---------------------------------------------------------------------------------
// Scalar multiplication
// ---------------------------------------------------------------------------------

/// wNAF width for the precomputed odd multiples of G in [`mul2`].
const W_G: u32 = 7;
/// wNAF width for the public point in [`mul2`] (its table is built per call).
const W_Q: u32 = 4;

/// Odd multiples P, 3P, …, (2^(w−1) − 1)P in affine form. Never infinity: the curve
/// has 2n points (n prime), so a point's order is 1, 2, n or 2n and divides no small
/// odd number except when it is 1 (P = ∞, excluded by the type).
fn odd_multiples(p: &Affine, w: u32) -> Vec<Affine> {
    let count = 1usize << (w - 2);
    let Some(twice) = affine_double(p) else {
        // P has order 2, so every odd multiple is P.
        return vec![*p; count];
    };
    // 3P, 5P, … in López–Dahab form, then one shared inversion (Montgomery's trick).
    let mut lds = Vec::with_capacity(count);
    let mut cur = Ld::from_affine(p);
    for _ in 1..count {
        cur = cur.add_affine(&twice);
        lds.push(cur);
    }
    let mut prefix = Vec::with_capacity(lds.len());
    let mut acc = ONE;
    for q in &lds {
        acc = mul(&acc, &q.z);
        prefix.push(acc);
    }
    if is_zero(&acc) {
        // Unreachable for a curve point (see above); the slow path stays correct.
        return odd_multiples_slow(p, count, Some(twice));
    }
    let mut out = vec![*p; count];
    let mut inv_acc = inv(&acc); // 1 / (z_1 ⋯ z_k)
    for i in (0..lds.len()).rev() {
        let before = if i == 0 { ONE } else { prefix[i - 1] };
        let zi = mul(&inv_acc, &before); // 1 / z_i
        inv_acc = mul(&inv_acc, &lds[i].z);
        out[i + 1] = Affine {
            x: mul(&lds[i].x, &zi),
            y: mul(&lds[i].y, &sqr(&zi)),
        };
    }
    out
}

/// [`odd_multiples`] by affine additions (one inversion each).
fn odd_multiples_slow(p: &Affine, count: usize, twice: Option<Affine>) -> Vec<Affine> {
    let mut out = Vec::with_capacity(count);
    let mut cur = Some(*p);
    for _ in 0..count {
        // `cur` is an odd multiple, never infinity (see above); stop defensively.
        let Some(c) = cur else { break };
        out.push(c);
        cur = affine_add(cur, twice);
    }
    out
}

fn g_odd_table() -> &'static [Affine] {
    static TABLE: OnceLock<Vec<Affine>> = OnceLock::new();
    TABLE.get_or_init(|| odd_multiples_slow(&G, 1 << (W_G - 2), affine_double(&G)))
}

/// Fixed-base table: row i holds j·16^i·G for j = 1..15 (41 rows cover 164 bits).
fn g_comb_table() -> &'static [[Affine; 15]] {
    static TABLE: OnceLock<Vec<[Affine; 15]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = Vec::with_capacity(41);
        let mut base = Some(G);
        for _ in 0..41 {
            let mut row = [G; 15];
            let mut acc = base;
            for slot in row.iter_mut() {
                // Multiples j·16^i·G with j < 16 and 16^i·15 < n are never infinity.
                if let Some(p) = acc {
                    *slot = p;
                }
                acc = affine_add(acc, base);
            }
            rows.push(row);
            base = acc; // 16·base
        }
        rows
    })
}

#[cfg(test)]
thread_local! {
    /// Calls of [`mul_g`] on this thread (tests check which paths sign natively).
    pub(crate) static MUL_G_CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// k·G for k < 2^164, by the fixed-base table (41 mixed additions, no doublings);
/// `None` if the result is the point at infinity.
pub(crate) fn mul_g(k: &Scalar) -> Option<Affine> {
    #[cfg(test)]
    MUL_G_CALLS.with(|c| c.set(c.get() + 1));
    let table = g_comb_table();
    let mut acc = Ld::INFINITY;
    for (i, row) in table.iter().enumerate() {
        let nibble = (k[i / 16] >> (4 * (i % 16))) & 15;
        if let Some(p) = nibble.checked_sub(1).and_then(|j| row.get(j as usize)) {
            acc = acc.add_affine(p);
        }
    }
    acc.to_affine()
}

/// u1·G + u2·Q for any affine point Q on the curve (in the subgroup or not), by an
/// interleaved wNAF (shared doublings); `None` for the point at infinity.
/// Scalars must be below 2^192 − 2^7 (ECDSA passes values mod n).
#[cfg(test)]
pub(crate) fn mul2(u1: &Scalar, u2: &Scalar, q: &Affine) -> Option<Affine> {
    mul2_ld(u1, u2, q).to_affine()
}

/// ECDSA's final test without an inversion: X ≠ ∞ and x(X) mod n = r, where
/// x(X) < 2^163 < 2n means x(X) ∈ {r, r + n}; x = X/Z, so compare X with r·Z.
pub(crate) fn mul2_x_mod_n_is(u1: &Scalar, u2: &Scalar, q: &Affine, r: &Scalar) -> bool {
    let p = mul2_ld(u1, u2, q);
    if is_zero(&p.z) || !scalar_lt(r, &N) {
        return false;
    }
    if p.x == mul(r, &p.z) {
        return true;
    }
    let (sum, carry) = scalar_add(r, &N);
    !carry && sum[2] <= TOP_MASK && p.x == mul(&sum, &p.z)
}

fn scalar_add(a: &Scalar, b: &Scalar) -> (Scalar, bool) {
    let mut out = [0u64; 3];
    let mut carry = false;
    for i in 0..3 {
        let (d, c1) = a[i].overflowing_add(b[i]);
        let (d, c2) = d.overflowing_add(u64::from(carry));
        out[i] = d;
        carry = c1 | c2;
    }
    (out, carry)
}

fn mul2_ld(u1: &Scalar, u2: &Scalar, q: &Affine) -> Ld {
    let g_table = g_odd_table();
    let q_table = odd_multiples(q, W_Q);
    let d1 = wnaf(u1, W_G);
    let d2 = wnaf(u2, W_Q);
    let top = (0..d1.len()).rev().find(|&i| d1[i] != 0 || d2[i] != 0);
    let Some(top) = top else {
        return Ld::INFINITY; // u1 = u2 = 0
    };
    let mut acc = Ld::INFINITY;
    for i in (0..=top).rev() {
        acc = acc.double();
        acc = acc.add_digit(g_table, d1[i]);
        acc = acc.add_digit(&q_table, d2[i]);
    }
    acc
}

/// k·P for any affine point P (u1 = 0 in [`mul2`]).
#[cfg(test)]
pub(crate) fn mul_point(k: &Scalar, p: &Affine) -> Option<Affine> {
    mul2(&[0; 3], k, p)
}

#[cfg(test)]
#[path = "k163_tests.rs"]
pub(crate) mod tests;
