//! Tests of [`super`] (the native sect163k1 arithmetic), against bitwise references
//! and OpenSSL.

use super::*;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcPoint};
use openssl::nid::Nid;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bit-by-bit reference multiplication (shift-and-add, reducing one bit at a
/// time), independent of `reduce` and of both carry-less multipliers.
fn ref_mul(a: &Fe, b: &Fe) -> Fe {
    let mut r = ZERO;
    let mut aa = *a;
    for i in 0..163 {
        if (b[i / 64] >> (i % 64)) & 1 == 1 {
            r = add(&r, &aa);
        }
        // aa *= x
        let carry = (aa[2] >> 34) & 1;
        aa = [
            aa[0] << 1,
            (aa[1] << 1) | (aa[0] >> 63),
            ((aa[2] << 1) | (aa[1] >> 63)) & TOP_MASK,
        ];
        if carry == 1 {
            aa[0] ^= 0xc9; // x^7 + x^6 + x^3 + 1
        }
    }
    r
}

pub(crate) fn random_fe(rng: &mut ChaCha8Rng) -> Fe {
    [rng.gen(), rng.gen(), rng.gen::<u64>() & TOP_MASK]
}

fn special_fes() -> Vec<Fe> {
    vec![
        ZERO,
        ONE,
        [0, 0, 1 << 34],
        [u64::MAX, u64::MAX, TOP_MASK],
        [0xc9, 0, 0],
        GX,
        GY,
    ]
}

#[test]
fn field_mul_sqr_match_bitwise_reference_on_both_paths() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut values = special_fes();
    values.extend((0..200).map(|_| random_fe(&mut rng)));
    for a in &values {
        for b in values.iter().take(40) {
            let want = ref_mul(a, b);
            assert_eq!(mul_portable(a, b), want, "portable {a:x?} * {b:x?}");
            assert_eq!(mul(a, b), want, "dispatched {a:x?} * {b:x?}");
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("pclmulqdq") {
                // SAFETY: pclmulqdq was detected on this CPU just above.
                assert_eq!(unsafe { clmul::mul(a, b) }, want);
            }
        }
        assert_eq!(sqr(a), ref_mul(a, a), "sqr {a:x?}");
        assert_eq!(sqr_portable(a), ref_mul(a, a), "sqr {a:x?}");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("pclmulqdq") {
            // SAFETY: pclmulqdq was detected on this CPU just above.
            assert_eq!(unsafe { clmul::sqr(a) }, ref_mul(a, a));
        }
    }
}

#[test]
fn clmul_path_is_exercised_when_available() {
    #[cfg(target_arch = "x86_64")]
    assert_eq!(has_clmul(), std::is_x86_feature_detected!("pclmulqdq"));
    for x in [0u64, 1, 3, u64::MAX, 0x8000_0000_0000_0001] {
        for y in [0u64, 1, 7, u64::MAX, 0xdead_beef_cafe_f00d] {
            // reference: bit-serial carry-less product
            let mut want = 0u128;
            for i in 0..64 {
                if (y >> i) & 1 == 1 {
                    want ^= u128::from(x) << i;
                }
            }
            assert_eq!(clmul64_portable(x, y), want);
        }
    }
}

#[test]
fn field_inverse() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut values = special_fes();
    values.extend((0..200).map(|_| random_fe(&mut rng)));
    for a in values.iter().filter(|a| !is_zero(a)) {
        let i = inv(a);
        assert_eq!(ref_mul(a, &i), ONE, "inverse of {a:x?}");
        assert_eq!(inv_portable(a), i);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("pclmulqdq") {
            // SAFETY: pclmulqdq was detected on this CPU just above.
            assert_eq!(unsafe { clmul::inv(a) }, i);
        }
    }
    assert_eq!(inv(&ZERO), ZERO);
}

fn group() -> EcGroup {
    EcGroup::from_curve_name(Nid::SECT163K1).unwrap()
}

pub(crate) fn bn(s: &Scalar) -> BigNum {
    BigNum::from_slice(&scalar_to_be(s, 24)).unwrap()
}

fn fe_from_bn(b: &BigNum) -> Fe {
    scalar_from_be(&b.to_vec()).unwrap()
}

fn to_ossl(group: &EcGroup, p: Option<Affine>) -> EcPoint {
    let mut ctx = BigNumContext::new().unwrap();
    match p {
        None => EcPoint::new(group).unwrap(),
        Some(p) => {
            let mut out = EcPoint::new(group).unwrap();
            out.set_affine_coordinates(group, &bn(&p.x), &bn(&p.y), &mut ctx)
                .unwrap();
            assert!(out.is_on_curve(group, &mut ctx).unwrap());
            out
        }
    }
}

fn from_ossl(group: &EcGroup, p: &EcPoint) -> Option<Affine> {
    if p.is_infinity(group) {
        return None;
    }
    let mut ctx = BigNumContext::new().unwrap();
    let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
    p.affine_coordinates(group, &mut x, &mut y, &mut ctx)
        .unwrap();
    Some(Affine {
        x: fe_from_bn(&x),
        y: fe_from_bn(&y),
    })
}

#[test]
fn constants_match_openssl() {
    let group = group();
    let mut ctx = BigNumContext::new().unwrap();
    let g = group.generator_opt().unwrap().to_owned(&group).unwrap();
    assert_eq!(from_ossl(&group, &g), Some(G));
    let mut order = BigNum::new().unwrap();
    group.order(&mut order, &mut ctx).unwrap();
    assert_eq!(fe_from_bn(&order), N);
    let mut cofactor = BigNum::new().unwrap();
    group.cofactor(&mut cofactor, &mut ctx).unwrap();
    assert_eq!(cofactor.to_vec(), vec![2]);
    assert!(G.is_on_curve());
    assert_eq!(mul_point(&N, &G), None);
    assert_eq!(mul_g(&N), None);
    let n_minus_1 = scalar_sub(&N, &[1, 0, 0]);
    assert_eq!(mul_point(&n_minus_1, &G), Some(G.neg()));
    assert_eq!(mul_g(&n_minus_1), Some(G.neg()));
}

/// The point of order two.
pub(crate) const T: Affine = Affine { x: ZERO, y: ONE };

pub(crate) fn random_scalar(rng: &mut ChaCha8Rng) -> Scalar {
    loop {
        let s = [rng.gen(), rng.gen(), rng.gen::<u64>() & ((1 << 35) - 1)];
        if scalar_lt(&s, &N) {
            return s;
        }
    }
}

fn special_scalars(rng: &mut ChaCha8Rng) -> Vec<Scalar> {
    let one = [1, 0, 0];
    let mut v = vec![
        [0, 0, 0],
        one,
        [2, 0, 0],
        [3, 0, 0],
        scalar_sub(&N, &one),
        N,
        scalar_sub(&N, &[2, 0, 0]),
        [N[0] + 1, N[1], N[2]],
        [u64::MAX, u64::MAX, TOP_MASK],
    ];
    v.extend((0..24).map(|_| random_scalar(rng)));
    v
}

/// Test points: G, random subgroup points, T, P + T (order 2n), and their negatives.
pub(crate) fn test_points(rng: &mut ChaCha8Rng) -> Vec<Affine> {
    let mut pts = vec![G, T];
    for _ in 0..3 {
        let p = mul_g(&random_scalar(rng)).unwrap();
        pts.push(p);
        pts.push(affine_add(Some(p), Some(T)).unwrap());
    }
    pts.push(affine_add(Some(G), Some(T)).unwrap());
    let negs: Vec<Affine> = pts.iter().map(Affine::neg).collect();
    pts.extend(negs);
    pts
}

#[test]
fn point_arithmetic_laws() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let pts = test_points(&mut rng);
    for p in &pts {
        assert!(p.is_on_curve());
        assert_eq!(affine_add(Some(*p), Some(p.neg())), None);
        let lp = Ld::from_affine(p);
        assert_eq!(lp.double().to_affine(), affine_double(p));
        assert_eq!(Ld::INFINITY.double().to_affine(), None);
        assert_eq!(Ld::INFINITY.add_affine(p).to_affine(), Some(*p));
        for q in &pts {
            let want = affine_add(Some(*p), Some(*q));
            assert_eq!(lp.add_affine(q).to_affine(), want);
            // a projective P with Z ≠ 1: P = 2·(P/2) is awkward; scale instead.
            let z = random_fe(&mut rng);
            if !is_zero(&z) {
                let scaled = Ld {
                    x: mul(&p.x, &z),
                    y: mul(&p.y, &sqr(&z)),
                    z,
                };
                assert_eq!(scaled.add_affine(q).to_affine(), want);
                assert_eq!(scaled.double().to_affine(), affine_double(p));
            }
        }
    }
    assert_eq!(affine_double(&T), None);
    for p in &pts {
        for w in [3, 4, 5] {
            let count = 1 << (w - 2);
            assert_eq!(
                odd_multiples(p, w),
                odd_multiples_slow(p, count, affine_double(p))
            );
        }
    }
}

#[test]
fn scalar_multiplication_matches_openssl() {
    let group = group();
    let mut ctx = BigNumContext::new().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let pts = test_points(&mut rng);
    let scalars = special_scalars(&mut rng);
    for p in &pts {
        let op = to_ossl(&group, Some(*p));
        for k in &scalars {
            let mut out = EcPoint::new(&group).unwrap();
            out.mul2(&group, &op, &bn(k), &mut ctx).unwrap();
            assert_eq!(
                mul_point(k, p),
                from_ossl(&group, &out),
                "k={k:x?} P={p:x?}"
            );
        }
    }
    for k in &scalars {
        let mut out = EcPoint::new(&group).unwrap();
        out.mul_generator2(&group, &bn(k), &mut ctx).unwrap();
        let want = from_ossl(&group, &out);
        assert_eq!(mul_g(k), want, "k={k:x?}");
        assert_eq!(mul_point(k, &G), want, "k={k:x?}");
    }
}

#[test]
fn double_scalar_multiplication_matches_openssl() {
    let group = group();
    let mut ctx = BigNumContext::new().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut pts = test_points(&mut rng);
    // Q = ±G and Q = ±G + T make u1·G + u2·Q hit P = ±Q and infinity.
    pts.extend([G.neg(), affine_add(Some(G.neg()), Some(T)).unwrap()]);
    let scalars = special_scalars(&mut rng);
    for q in &pts {
        let oq = to_ossl(&group, Some(*q));
        for (i, u1) in scalars.iter().enumerate() {
            for u2 in scalars.iter().skip(i % 3).step_by(3) {
                let mut out = EcPoint::new(&group).unwrap();
                out.mul_full(&group, &bn(u1), &oq, &bn(u2), &mut ctx)
                    .unwrap();
                let want = from_ossl(&group, &out);
                assert_eq!(mul2(u1, u2, q), want, "u1={u1:x?} u2={u2:x?} Q={q:x?}");
                // The inversion-free x mod n test agrees with the affine result.
                let r = want.map(|p| fe_mod_n(&p.x));
                for cand in [r.unwrap_or([1, 0, 0]), [5, 0, 0]] {
                    let expect = want.is_some() && r == Some(cand);
                    assert_eq!(mul2_x_mod_n_is(u1, u2, q, &cand), expect);
                }
            }
            // u2 = ±u1 with Q = G: the result is 2·u1·G or infinity.
            let mut out = EcPoint::new(&group).unwrap();
            out.mul_full(&group, &bn(u1), &oq, &bn(u1), &mut ctx)
                .unwrap();
            assert_eq!(mul2(u1, u1, q), from_ossl(&group, &out));
        }
    }
}

#[test]
fn scalar_helpers() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for _ in 0..100 {
        let s = random_scalar(&mut rng);
        let be = scalar_to_be(&s, 21);
        assert_eq!(scalar_from_be(&be), Some(s));
        assert_eq!(BigNum::from_slice(&be).unwrap(), bn(&s));
        let x = [rng.gen(), rng.gen(), rng.gen::<u64>() & TOP_MASK];
        let mut ctx = BigNumContext::new().unwrap();
        let mut want = BigNum::new().unwrap();
        want.nnmod(&bn(&x), &bn(&N), &mut ctx).unwrap();
        assert_eq!(bn(&fe_mod_n(&x)), want);
    }
    for a in special_scalars(&mut rng) {
        let got = inv_mod_n(&a);
        if a == [0; 3] || !scalar_lt(&a, &N) {
            assert_eq!(got, None);
            continue;
        }
        let mut ctx = BigNumContext::new().unwrap();
        let mut want = BigNum::new().unwrap();
        want.mod_inverse(&bn(&a), &bn(&N), &mut ctx).unwrap();
        assert_eq!(bn(&got.unwrap()), want, "{a:x?}");
    }
    for _ in 0..300 {
        let a = random_scalar(&mut rng);
        let mut ctx = BigNumContext::new().unwrap();
        let mut want = BigNum::new().unwrap();
        if want.mod_inverse(&bn(&a), &bn(&N), &mut ctx).is_ok() {
            assert_eq!(inv_mod_n(&a).map(|s| bn(&s)), Some(want), "{a:x?}");
        }
    }
    assert_eq!(scalar_from_be(&[1; 25]), None);
    assert_eq!(scalar_from_be(&[0; 30]), Some([0; 3]));
    assert!(scalar_lt(&[0, 0, 0], &N) && !scalar_lt(&N, &N));
}
