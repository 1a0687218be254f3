//! Legacy EC keys ("M2Crypto" keys, spec §5.2) on OpenSSL: sect163k1 (very-low),
//! sect233k1 (low), sect409k1 (medium), sect571k1 (high).
//!
//! Formats follow py-ipv8 3.2.1 (`ipv8/keyvault/private/openssl.py`,
//! `ipv8/keyvault/public/openssl.py`): the public key bin is a DER SubjectPublicKeyInfo
//! (named curve, uncompressed point), the private key bin a DER SEC1 `ECPrivateKey`
//! (with parameters and public key); PEM is accepted on input. Signatures are ECDSA
//! over SHA-1, encoded as r ‖ s, each left-padded to ceil(degree / 8) bytes.
//!
//! Signing is **deterministic** here (the nonce is derived from the key and the digest
//! with HMAC-SHA-512, in the spirit of RFC 6979) so that simulations are reproducible;
//! py-ipv8 uses random nonces, which a verifier cannot tell apart.
//!
//! sect163k1 (the bootstrap servers' key) verifies on the native `k163` arithmetic,
//! ~10× faster than OpenSSL's generic binary-curve code, with the same decisions.
//! It signs natively only through [`EcPrivateKey::sign_vartime`] (the simulator's keys:
//! the native code is not constant time, and its timing would leak the nonce);
//! [`EcPrivateKey::sign`], what live nodes use, takes OpenSSL's path on every curve.
//! Both give the same bytes. Parsing and the other curves stay on OpenSSL.

use super::error::CryptoError;
use super::k163;
use super::kind::EcCurve;
use super::mid_of;
use hmac::{Hmac, Mac};
use openssl::bn::{BigNum, BigNumContext, BigNumRef};
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::pkey::{Private, Public};
use rand::{CryptoRng, RngCore};
use sha1::{Digest, Sha1};
use sha2::Sha512;
use std::sync::Arc;

/// Maps an OpenSSL failure during generation/signing (never caused by input bytes).
fn ossl(e: ErrorStack) -> CryptoError {
    CryptoError::OpenSsl(e.to_string())
}

/// Maps an OpenSSL failure while parsing untrusted key bytes.
fn invalid(e: ErrorStack) -> CryptoError {
    CryptoError::InvalidEcKey(e.to_string())
}

/// The curve of a parsed key, if it is one py-ipv8 uses.
fn curve_of<T: openssl::pkey::HasParams>(key: &EcKey<T>) -> Result<EcCurve, CryptoError> {
    let nid = key
        .group()
        .curve_name()
        .ok_or_else(|| CryptoError::UnsupportedCurve("explicit curve parameters".to_owned()))?;
    EcCurve::from_nid(nid).ok_or_else(|| {
        CryptoError::UnsupportedCurve(
            nid.short_name()
                .map(str::to_owned)
                .unwrap_or_else(|_| format!("nid {}", nid.as_raw())),
        )
    })
}

/// True if the bytes look like PEM text.
pub(crate) fn is_pem(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii_start();
    trimmed.starts_with(b"-----BEGIN")
}

/// Checks that `der` is exactly one DER SEQUENCE (header length + content length ==
/// input length). OpenSSL's `d2i_*` functions silently ignore trailing bytes; py-ipv8's
/// peers are identified by their key bin, so two different bins must never parse to
/// the same key.
fn check_single_sequence(der: &[u8]) -> Result<(), CryptoError> {
    let (header, content) = match der {
        [0x30, len, ..] if *len < 0x80 => (2, usize::from(*len)),
        [0x30, 0x81, len, ..] if *len >= 0x80 => (3, usize::from(*len)),
        [0x30, 0x82, hi, lo, ..] if *hi != 0 => (4, usize::from(*hi) << 8 | usize::from(*lo)),
        _ => {
            return Err(CryptoError::InvalidEcKey(
                "not a DER SEQUENCE (or non-minimal length)".to_owned(),
            ))
        }
    };
    if header + content != der.len() {
        return Err(CryptoError::InvalidEcKey(format!(
            "DER length mismatch: SEQUENCE of {} bytes in {} bytes of input",
            header + content,
            der.len()
        )));
    }
    Ok(())
}

/// Decodes unencrypted PEM text into (label, DER). Our own small parser (RFC 7468
/// textual encoding) so that malformed text is rejected cheaply, before OpenSSL.
pub(crate) fn pem_decode(pem: &[u8]) -> Result<(String, Vec<u8>), CryptoError> {
    let bad = |why: &str| CryptoError::InvalidEcKey(format!("malformed PEM: {why}"));
    let text = std::str::from_utf8(pem).map_err(|_| bad("not UTF-8"))?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().ok_or_else(|| bad("empty"))?;
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| bad("no BEGIN line"))?;
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            return Err(bad("encrypted or headered PEM is not supported"));
        }
        body.push_str(line);
    }
    if !ended {
        return Err(bad("no matching END line"));
    }
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
    {
        return Err(bad("invalid base64 body"));
    }
    let der = openssl::base64::decode_block(&body).map_err(|_| bad("invalid base64 body"))?;
    Ok((label.to_owned(), der))
}

fn group_for(curve: EcCurve) -> Result<EcGroup, CryptoError> {
    EcGroup::from_curve_name(curve.nid()).map_err(ossl)
}

fn order_of(group: &EcGroup) -> Result<BigNum, CryptoError> {
    let mut ctx = BigNumContext::new().map_err(ossl)?;
    let mut order = BigNum::new().map_err(ossl)?;
    group.order(&mut order, &mut ctx).map_err(ossl)?;
    Ok(order)
}

#[derive(Debug)]
struct PublicInner {
    curve: EcCurve,
    bin: Vec<u8>,
    key: EcKey<Public>,
    mid: [u8; 20],
    /// sect163k1 only: the public point in native form, for `k163` verification.
    native: Option<k163::Affine>,
}

/// A legacy EC public key. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct EcPublicKey(Arc<PublicInner>);

impl EcPublicKey {
    /// Wraps a parsed key. OpenSSL's decoder already rejects points that are not on the
    /// curve (and the point at infinity); the full `EC_KEY_check_key` (which also checks
    /// the point's order with a scalar multiplication, ~0.5 ms on K-163) is not repeated
    /// here: a point outside the prime-order subgroup can only make verification fail.
    fn from_key(key: EcKey<Public>) -> Result<Self, CryptoError> {
        let curve = curve_of(&key)?;
        let bin = key.public_key_to_der().map_err(invalid)?;
        let native = match curve {
            EcCurve::Sect163k1 => Some(native_point(&key)?),
            _ => None,
        };
        Ok(EcPublicKey(Arc::new(PublicInner {
            curve,
            mid: mid_of(&bin),
            bin,
            key,
            native,
        })))
    }

    /// Parses a DER SubjectPublicKeyInfo (py-ipv8's public key bin).
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        check_single_sequence(der)?;
        Self::from_key(EcKey::public_key_from_der(der).map_err(invalid)?)
    }

    /// Parses a `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        match pem_decode(pem)? {
            (label, der) if label == "PUBLIC KEY" => Self::from_der(&der),
            (label, _) => Err(CryptoError::InvalidEcKey(format!(
                "PEM label {label:?} is not PUBLIC KEY"
            ))),
        }
    }

    /// Parses DER, or PEM if the bytes start with `-----BEGIN`.
    pub fn from_bin(bin: &[u8]) -> Result<Self, CryptoError> {
        if is_pem(bin) {
            Self::from_pem(bin)
        } else {
            Self::from_der(bin)
        }
    }

    /// The curve.
    pub fn curve(&self) -> EcCurve {
        self.0.curve
    }

    /// The public key bin: DER SubjectPublicKeyInfo.
    pub fn key_to_bin(&self) -> &[u8] {
        &self.0.bin
    }

    /// The public key as `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn key_to_pem(&self) -> Result<String, CryptoError> {
        let pem = self.0.key.public_key_to_pem().map_err(ossl)?;
        String::from_utf8(pem).map_err(|e| CryptoError::OpenSsl(e.to_string()))
    }

    /// `mid` = SHA-1 of the public key bin (spec §5.3).
    pub fn mid(&self) -> [u8; 20] {
        self.0.mid
    }

    /// Signature length: 42 / 60 / 104 / 144 bytes.
    pub fn signature_length(&self) -> usize {
        self.0.curve.signature_length()
    }

    /// Verifies an r ‖ s ECDSA-SHA1 signature. Wrong length, out-of-range values or a
    /// bad signature yield `false`; never panics. sect163k1 takes the native path
    /// (`k163`), which makes exactly OpenSSL's decisions (tested against it).
    pub fn verify(&self, signature: &[u8], msg: &[u8]) -> bool {
        match &self.0.native {
            Some(q) => verify_k163(q, signature, msg),
            None => self.verify_openssl(signature, msg),
        }
    }

    /// [`Self::verify`] through OpenSSL's `ECDSA_do_verify` on every curve: the
    /// reference for the native sect163k1 path (tests and benches).
    #[doc(hidden)]
    pub fn verify_openssl(&self, signature: &[u8], msg: &[u8]) -> bool {
        let half = self.0.curve.half_signature_length();
        if signature.len() != 2 * half {
            return false;
        }
        let (r, s) = signature.split_at(half);
        let (Ok(r), Ok(s)) = (BigNum::from_slice(r), BigNum::from_slice(s)) else {
            return false;
        };
        let Ok(sig) = EcdsaSig::from_private_components(r, s) else {
            return false;
        };
        let digest = Sha1::digest(msg);
        sig.verify(&digest, &self.0.key).unwrap_or(false)
    }
}

struct PrivateInner {
    key: EcKey<Private>,
    /// DER SEC1 `ECPrivateKey`, serialised once at construction.
    bin: Vec<u8>,
    public: EcPublicKey,
    /// The private scalar, big-endian, left-padded to the order's length (HMAC key
    /// for deterministic nonces).
    scalar_bytes: Vec<u8>,
    order: BigNum,
}

/// A legacy EC private key. Cheap to clone (shared).
#[derive(Clone)]
pub struct EcPrivateKey(Arc<PrivateInner>);

impl std::fmt::Debug for EcPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_struct("EcPrivateKey")
            .field("public", &self.0.public)
            .finish_non_exhaustive()
    }
}

impl EcPrivateKey {
    /// Builds the key from a scalar in [1, order-1], computing the public point.
    fn from_scalar(curve: EcCurve, scalar: &BigNumRef) -> Result<Self, CryptoError> {
        let group = group_for(curve)?;
        let order = order_of(&group)?;
        if scalar.num_bits() == 0 || scalar.ucmp(&order) != std::cmp::Ordering::Less {
            return Err(CryptoError::InvalidEcKey(
                "private scalar out of range [1, order-1]".to_owned(),
            ));
        }
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        let mut point = EcPoint::new(&group).map_err(ossl)?;
        point
            .mul_generator2(&group, scalar, &mut ctx)
            .map_err(ossl)?;
        // Consistent by construction: the public point is scalar × generator.
        let key = EcKey::from_private_components(&group, scalar, &point).map_err(invalid)?;
        let public = EcPublicKey::from_key(EcKey::from_public_key(&group, &point).map_err(ossl)?)?;
        let scalar_bytes = scalar.to_vec_padded(order.num_bytes()).map_err(ossl)?;
        let bin = key.private_key_to_der().map_err(ossl)?;
        Ok(EcPrivateKey(Arc::new(PrivateInner {
            key,
            bin,
            public,
            scalar_bytes,
            order,
        })))
    }

    /// Deterministic generation from the caller's RNG: draws ceil(order bits / 8) + 8
    /// bytes, reduces them mod the group order (redrawing on zero) and computes the
    /// public point.
    pub fn generate<R: RngCore + CryptoRng>(
        curve: EcCurve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        let group = group_for(curve)?;
        let order = order_of(&group)?;
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        let len = usize::try_from(order.num_bytes())
            .map_err(|e| CryptoError::OpenSsl(e.to_string()))?
            + 8;
        let mut buf = vec![0u8; len];
        loop {
            rng.fill_bytes(&mut buf);
            let wide = BigNum::from_slice(&buf).map_err(ossl)?;
            let mut scalar = BigNum::new().map_err(ossl)?;
            scalar.nnmod(&wide, &order, &mut ctx).map_err(ossl)?;
            if scalar.num_bits() != 0 {
                return Self::from_scalar(curve, &scalar);
            }
        }
    }

    /// Generation with OpenSSL's own RNG, like py-ipv8's `generate_key`. Not
    /// reproducible: for real-network use only (e.g. a tracker on a real socket).
    pub fn generate_with_openssl_rng(curve: EcCurve) -> Result<Self, CryptoError> {
        let group = group_for(curve)?;
        let key = EcKey::generate(&group).map_err(ossl)?;
        Self::from_scalar(curve, key.private_key())
    }

    /// Rebuilds a parsed key from its scalar; a public key stored alongside must be
    /// the scalar's (checked by point comparison, cheaper than `EC_KEY_check_key`).
    fn from_parsed(key: EcKey<Private>) -> Result<Self, CryptoError> {
        let curve = curve_of(&key)?;
        let rebuilt = Self::from_scalar(curve, key.private_key())?;
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        let same = key
            .public_key()
            .eq(key.group(), rebuilt.0.key.public_key(), &mut ctx)
            .map_err(ossl)?;
        if !same {
            return Err(CryptoError::InvalidEcKey(
                "public key does not match the private key".to_owned(),
            ));
        }
        Ok(rebuilt)
    }

    /// True if DER bytes start like a PKCS#8 `PrivateKeyInfo` (SEQUENCE, INTEGER 0),
    /// as opposed to SEC1 (SEQUENCE, INTEGER 1). Avoids OpenSSL's slow generic decoder
    /// for inputs that cannot be PKCS#8.
    fn looks_like_pkcs8(der: &[u8]) -> bool {
        let body = match der {
            [0x30, 0x81, _, rest @ ..] => rest,
            [0x30, 0x82, _, _, rest @ ..] => rest,
            [0x30, len, rest @ ..] if *len < 0x80 => rest,
            _ => return false,
        };
        body.starts_with(&[0x02, 0x01, 0x00])
    }

    /// Parses DER: SEC1 `ECPrivateKey` (py-ipv8's private key bin) or PKCS#8.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        check_single_sequence(der)?;
        match EcKey::private_key_from_der(der) {
            Ok(key) => Self::from_parsed(key),
            Err(sec1_err) if Self::looks_like_pkcs8(der) => {
                let pkey = openssl::pkey::PKey::private_key_from_der(der)
                    .map_err(|_| invalid(sec1_err))?;
                Self::from_parsed(pkey.ec_key().map_err(invalid)?)
            }
            Err(sec1_err) => Err(invalid(sec1_err)),
        }
    }

    /// Parses PEM (`EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY`, unencrypted).
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        match pem_decode(pem)? {
            (label, der) if label == "EC PRIVATE KEY" || label == "PRIVATE KEY" => {
                Self::from_der(&der)
            }
            (label, _) => Err(CryptoError::InvalidEcKey(format!(
                "PEM label {label:?} is not EC PRIVATE KEY or PRIVATE KEY"
            ))),
        }
    }

    /// Parses DER, or PEM if the bytes start with `-----BEGIN`.
    pub fn from_bin(bin: &[u8]) -> Result<Self, CryptoError> {
        if is_pem(bin) {
            Self::from_pem(bin)
        } else {
            Self::from_der(bin)
        }
    }

    /// The curve.
    pub fn curve(&self) -> EcCurve {
        self.0.public.curve()
    }

    /// The private key bin: DER SEC1 `ECPrivateKey` with curve OID and public key.
    pub fn key_to_bin(&self) -> &[u8] {
        &self.0.bin
    }

    /// The private key as `-----BEGIN EC PRIVATE KEY-----` PEM.
    pub fn key_to_pem(&self) -> Result<String, CryptoError> {
        let pem = self.0.key.private_key_to_pem().map_err(ossl)?;
        String::from_utf8(pem).map_err(|e| CryptoError::OpenSsl(e.to_string()))
    }

    /// The public half.
    pub fn public_key(&self) -> &EcPublicKey {
        &self.0.public
    }

    /// Signature length: 42 / 60 / 104 / 144 bytes.
    pub fn signature_length(&self) -> usize {
        self.curve().signature_length()
    }

    /// Deterministic nonce k in [1, n-1] for a digest and attempt number.
    fn nonce(
        &self,
        digest: &[u8],
        attempt: u32,
        ctx: &mut BigNumContext,
    ) -> Result<BigNum, CryptoError> {
        let order = &self.0.order;
        let need = self.0.scalar_bytes.len() + 8;
        let mut stream = Vec::with_capacity(need + 64);
        let mut block = 0u8;
        while stream.len() < need {
            let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(&self.0.scalar_bytes)
                .map_err(|e| CryptoError::OpenSsl(e.to_string()))?;
            mac.update(b"ipv8sim-ecdsa-nonce");
            mac.update(digest);
            mac.update(&attempt.to_be_bytes());
            mac.update(&[block]);
            stream.extend_from_slice(&mac.finalize().into_bytes());
            block = block.wrapping_add(1);
        }
        let wide = BigNum::from_slice(&stream).map_err(ossl)?;
        let mut k = BigNum::new().map_err(ossl)?;
        k.nnmod(&wide, order, ctx).map_err(ossl)?;
        Ok(k)
    }

    /// ECDSA-SHA1 signature over `msg`, as r ‖ s (each ceil(degree / 8) bytes).
    /// Deterministic (same key + message → same signature); any valid ECDSA verifier,
    /// including py-ipv8's, accepts it. The nonce is flagged constant-time for
    /// OpenSSL: k·G by its Montgomery ladder, k⁻¹ by its branch-free inversion. For
    /// keys with a secret to protect (live nodes).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sign_with(msg, false)
    }

    /// [`Self::sign`]'s bytes, with k·G and k⁻¹ on the native `k163` arithmetic on
    /// sect163k1 (~13× faster; other curves as [`Self::sign`]). Variable time: its
    /// timing and memory accesses depend on the nonce, and a leaked nonce gives the
    /// key, so only for keys with no secret to protect (the simulator's seed-derived
    /// keys; see `vartime_sign` in a scenario).
    pub fn sign_vartime(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sign_with(msg, self.curve() == EcCurve::Sect163k1)
    }

    /// x(k·G) as an integer, natively (sect163k1 only) or through OpenSSL.
    fn nonce_point_x(
        &self,
        k: &BigNumRef,
        native: bool,
        ctx: &mut BigNumContext,
    ) -> Result<BigNum, CryptoError> {
        let group = self.0.key.group();
        if native {
            let k = k163::scalar_from_be(&k.to_vec())
                .ok_or_else(|| CryptoError::OpenSsl("nonce out of range".to_owned()))?;
            // k is in [1, n-1], so k·G is never the point at infinity.
            let point = k163::mul_g(&k)
                .ok_or_else(|| CryptoError::OpenSsl("k·G is the point at infinity".to_owned()))?;
            return BigNum::from_slice(&k163::scalar_to_be(&point.x, 21)).map_err(ossl);
        }
        let mut point = EcPoint::new(group).map_err(ossl)?;
        point.mul_generator2(group, k, ctx).map_err(ossl)?;
        let mut x = BigNum::new().map_err(ossl)?;
        let mut y = BigNum::new().map_err(ossl)?;
        point
            .affine_coordinates(group, &mut x, &mut y, ctx)
            .map_err(ossl)?;
        Ok(x)
    }

    fn sign_with(&self, msg: &[u8], native: bool) -> Result<Vec<u8>, CryptoError> {
        let digest = Sha1::digest(msg);
        let order = &self.0.order;
        let d = self.0.key.private_key();
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        // e = the digest as an integer: every supported order has more than 160 bits,
        // so no truncation is needed (SEC1 §4.1.3 step 5).
        let e = BigNum::from_slice(&digest).map_err(ossl)?;
        let half = self.curve().half_signature_length();
        for attempt in 0u32..u32::MAX {
            let mut k = self.nonce(&digest, attempt, &mut ctx)?;
            if k.num_bits() == 0 {
                continue;
            }
            if !native {
                k.set_const_time();
            }
            let x = self.nonce_point_x(&k, native, &mut ctx)?;
            let mut r = BigNum::new().map_err(ossl)?;
            r.nnmod(&x, order, &mut ctx).map_err(ossl)?;
            if r.num_bits() == 0 {
                continue;
            }
            // s = k^-1 (e + r d) mod n
            let mut rd = BigNum::new().map_err(ossl)?;
            rd.mod_mul(&r, d, order, &mut ctx).map_err(ossl)?;
            let mut sum = BigNum::new().map_err(ossl)?;
            sum.mod_add(&e, &rd, order, &mut ctx).map_err(ossl)?;
            let kinv = if native {
                let inverse = k163::scalar_from_be(&k.to_vec()).and_then(|k| k163::inv_mod_n(&k));
                let inverse = inverse
                    .ok_or_else(|| CryptoError::OpenSsl("nonce not invertible".to_owned()))?;
                BigNum::from_slice(&k163::scalar_to_be(&inverse, 21)).map_err(ossl)?
            } else {
                let mut kinv = BigNum::new().map_err(ossl)?;
                kinv.mod_inverse(&k, order, &mut ctx).map_err(ossl)?;
                kinv
            };
            let mut s = BigNum::new().map_err(ossl)?;
            s.mod_mul(&kinv, &sum, order, &mut ctx).map_err(ossl)?;
            if s.num_bits() == 0 {
                continue;
            }
            let pad = i32::try_from(half).map_err(|e| CryptoError::OpenSsl(e.to_string()))?;
            let mut out = r.to_vec_padded(pad).map_err(ossl)?;
            out.extend_from_slice(&s.to_vec_padded(pad).map_err(ossl)?);
            return Ok(out);
        }
        Err(CryptoError::OpenSsl("no usable ECDSA nonce".to_owned()))
    }

    /// ECDSA-SHA1 with OpenSSL's random nonce, exactly as py-ipv8 signs. Not
    /// reproducible: for real-network use or cross-checking only.
    pub fn sign_randomized(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let digest = Sha1::digest(msg);
        let sig = EcdsaSig::sign(&digest, &self.0.key).map_err(ossl)?;
        let pad = i32::try_from(self.curve().half_signature_length())
            .map_err(|e| CryptoError::OpenSsl(e.to_string()))?;
        let mut out = sig.r().to_vec_padded(pad).map_err(ossl)?;
        out.extend_from_slice(&sig.s().to_vec_padded(pad).map_err(ossl)?);
        Ok(out)
    }
}

/// The affine public point of a parsed sect163k1 key, as field elements. OpenSSL's
/// parser has already checked that it is on the curve and not infinity; checked
/// again here so the native arithmetic only ever sees curve points.
fn native_point(key: &EcKey<Public>) -> Result<k163::Affine, CryptoError> {
    let mut ctx = BigNumContext::new().map_err(ossl)?;
    let mut x = BigNum::new().map_err(ossl)?;
    let mut y = BigNum::new().map_err(ossl)?;
    key.public_key()
        .affine_coordinates(key.group(), &mut x, &mut y, &mut ctx)
        .map_err(invalid)?;
    let coord = |b: &BigNum| {
        k163::scalar_from_be(&b.to_vec())
            .ok_or_else(|| CryptoError::InvalidEcKey("coordinate too large".to_owned()))
    };
    let point = k163::Affine {
        x: coord(&x)?,
        y: coord(&y)?,
    };
    if !point.is_on_curve() {
        return Err(CryptoError::InvalidEcKey(
            "point not on sect163k1".to_owned(),
        ));
    }
    Ok(point)
}

/// The group order n of sect163k1 as a `BigNum` (built once).
fn k163_order() -> Option<&'static BigNum> {
    static ORDER: std::sync::OnceLock<Option<BigNum>> = std::sync::OnceLock::new();
    ORDER
        .get_or_init(|| BigNum::from_slice(&k163::scalar_to_be(&k163::N, 21)).ok())
        .as_ref()
}

/// Native ECDSA-SHA1 verification on sect163k1 with OpenSSL's exact decisions
/// (`ossl_ecdsa_simple_verify_sig`): r and s in [1, n−1]; e = SHA-1 digest (160 bits
/// < 163, not truncated); w = s⁻¹, u1 = e·w, u2 = r·w mod n; X = u1·G + u2·Q; reject if
/// X is infinity; accept iff x(X) mod n = r.
fn verify_k163(q: &k163::Affine, signature: &[u8], msg: &[u8]) -> bool {
    if signature.len() != 42 {
        return false;
    }
    let (r_bytes, s_bytes) = signature.split_at(21);
    let (Some(r), Some(s)) = (k163::scalar_from_be(r_bytes), k163::scalar_from_be(s_bytes)) else {
        return false;
    };
    let in_range = |v: &k163::Scalar| *v != [0; 3] && k163::scalar_lt(v, &k163::N);
    if !in_range(&r) || !in_range(&s) {
        return false;
    }
    let digest = Sha1::digest(msg);
    let Some((u1, u2)) = verify_scalars(&digest, r_bytes, &s) else {
        return false;
    };
    k163::mul2_x_mod_n_is(&u1, &u2, q, &r)
}

/// (u1, u2) = (e·s⁻¹, r·s⁻¹) mod n: s⁻¹ natively, the products with `BigNum`.
fn verify_scalars(
    digest: &[u8],
    r: &[u8],
    s: &k163::Scalar,
) -> Option<(k163::Scalar, k163::Scalar)> {
    let order = k163_order()?;
    let mut ctx = BigNumContext::new().ok()?;
    let e = BigNum::from_slice(digest).ok()?;
    let r = BigNum::from_slice(r).ok()?;
    let w = BigNum::from_slice(&k163::scalar_to_be(&k163::inv_mod_n(s)?, 21)).ok()?;
    let mut u1 = BigNum::new().ok()?;
    u1.mod_mul(&e, &w, order, &mut ctx).ok()?;
    let mut u2 = BigNum::new().ok()?;
    u2.mod_mul(&r, &w, order, &mut ctx).ok()?;
    Some((
        k163::scalar_from_be(&u1.to_vec())?,
        k163::scalar_from_be(&u2.to_vec())?,
    ))
}

/// The native sect163k1 path (`sign_vartime`, `verify`) against OpenSSL's (`sign`,
/// `verify_openssl`).
#[cfg(test)]
mod k163_tests {
    use super::*;
    use crate::crypto::k163::tests::T;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn keys(seed: u64, count: usize) -> Vec<EcPrivateKey> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (0..count)
            .map(|_| EcPrivateKey::generate(EcCurve::Sect163k1, &mut rng).unwrap())
            .collect()
    }

    fn message(rng: &mut ChaCha20Rng) -> Vec<u8> {
        let len = rng.gen_range(0..300);
        (0..len).map(|_| rng.gen()).collect()
    }

    /// Asserts that the native and OpenSSL verifiers agree; returns the decision.
    fn agree(key: &EcPublicKey, sig: &[u8], msg: &[u8]) -> bool {
        assert!(key.0.native.is_some());
        let native = key.verify(sig, msg);
        assert_eq!(
            native,
            key.verify_openssl(sig, msg),
            "sig {} msg {}",
            hex::encode(sig),
            hex::encode(msg)
        );
        native
    }

    /// A public key with an arbitrary point (OpenSSL builds and re-parses it).
    fn public_with_point(point: &EcPoint) -> EcPublicKey {
        let group = group_for(EcCurve::Sect163k1).unwrap();
        let key = EcKey::from_public_key(&group, point).unwrap();
        EcPublicKey::from_der(&key.public_key_to_der().unwrap()).unwrap()
    }

    fn t_point(group: &EcGroup) -> EcPoint {
        let mut ctx = BigNumContext::new().unwrap();
        let mut t = EcPoint::new(group).unwrap();
        let (x, y) = (BigNum::from_u32(0).unwrap(), BigNum::from_u32(1).unwrap());
        t.set_affine_coordinates(group, &x, &y, &mut ctx).unwrap();
        assert_eq!(
            native_point(&EcKey::from_public_key(group, &t).unwrap()).unwrap(),
            T
        );
        t
    }

    #[test]
    fn native_sign_is_byte_identical_to_openssl_path() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        for key in keys(10, 40) {
            for _ in 0..8 {
                let msg = message(&mut rng);
                let sig = key.sign_vartime(&msg).unwrap();
                assert_eq!(sig, key.sign(&msg).unwrap());
                assert_eq!(sig.len(), 42);
                assert!(agree(key.public_key(), &sig, &msg));
            }
        }
    }

    #[test]
    fn native_verify_agrees_with_openssl_on_mutations() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let n = k163::scalar_to_be(&k163::N, 21);
        let n_plus_1 = k163::scalar_to_be(&[k163::N[0] + 1, k163::N[1], k163::N[2]], 21);
        let n_minus_1 = k163::scalar_to_be(&[k163::N[0] - 1, k163::N[1], k163::N[2]], 21);
        let all = keys(13, 12);
        let mut accepted = 0;
        let mut rejected = 0;
        for (i, key) in all.iter().enumerate() {
            let public = key.public_key();
            let other = all[(i + 1) % all.len()].public_key();
            for _ in 0..6 {
                let msg = message(&mut rng);
                let sig = key.sign(&msg).unwrap();
                let (r, s) = sig.split_at(21);
                let mut cases: Vec<Vec<u8>> = vec![
                    [s, r].concat(),
                    [&[0u8; 21][..], s].concat(),
                    [r, &[0u8; 21][..]].concat(),
                    [&n[..], s].concat(),
                    [r, &n[..]].concat(),
                    [&n_plus_1[..], s].concat(),
                    [r, &n_plus_1[..]].concat(),
                    [&n_minus_1[..], s].concat(),
                    [r, &n_minus_1[..]].concat(),
                    [&[0xff; 21][..], s].concat(),
                    [r, &[0xff; 21][..]].concat(),
                    sig[..41].to_vec(),
                    [&sig[..], &[0]].concat(),
                    [&[0], &sig[..]].concat(),
                    Vec::new(),
                ];
                // r + n and s + n still fit 21 bytes when r, s < 2^168 − n.
                for (idx, half) in [(0usize, r), (1, s)] {
                    let v = k163::scalar_from_be(half).unwrap();
                    let mut sum = [0u64; 3];
                    let mut carry = 0u128;
                    for l in 0..3 {
                        let t = u128::from(v[l]) + u128::from(k163::N[l]) + carry;
                        sum[l] = t as u64;
                        carry = t >> 64;
                    }
                    let bytes = k163::scalar_to_be(&sum, 21);
                    cases.push(if idx == 0 {
                        [&bytes[..], s].concat()
                    } else {
                        [r, &bytes[..]].concat()
                    });
                }
                for _ in 0..12 {
                    let mut m = sig.clone();
                    let byte = rng.gen_range(0..42);
                    m[byte] ^= 1 << rng.gen_range(0..8);
                    cases.push(m);
                }
                assert!(agree(public, &sig, &msg));
                accepted += 1;
                assert!(!agree(other, &sig, &msg));
                assert!(!agree(public, &sig, &[&msg[..], b"x"].concat()));
                for case in &cases {
                    if agree(public, case, &msg) {
                        accepted += 1;
                    } else {
                        rejected += 1;
                    }
                }
            }
        }
        assert!(accepted >= 72 && rejected > 1000, "{accepted} {rejected}");
    }

    #[test]
    fn native_verify_agrees_with_openssl_outside_the_subgroup() {
        let group = group_for(EcCurve::Sect163k1).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let t = t_point(&group);
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let (mut accepted, mut rejected) = (0, 0);
        for key in keys(15, 12) {
            // Q + T has order 2n. A signature by d verifies under it iff u2·T = ∞,
            // i.e. iff u2 = r/s mod n is even: both outcomes occur.
            let mut shifted = EcPoint::new(&group).unwrap();
            shifted
                .add(&group, key.public_key().0.key.public_key(), &t, &mut ctx)
                .unwrap();
            let outside = public_with_point(&shifted);
            for _ in 0..8 {
                let msg = message(&mut rng);
                let sig = key.sign(&msg).unwrap();
                if agree(&outside, &sig, &msg) {
                    accepted += 1;
                } else {
                    rejected += 1;
                }
            }
        }
        assert!(accepted > 10 && rejected > 10, "{accepted} {rejected}");
    }

    #[test]
    fn native_verify_agrees_with_openssl_for_the_order_two_key() {
        // Q = T = (0, 1). With s = e/k: u1 = k and u2 = r·k/e, so X = k·G + u2·T;
        // choosing r = x(k·G + T) mod n (u2 odd) or x(k·G) mod n (u2 even) forges a
        // signature that is valid in the group law.
        let group = group_for(EcCurve::Sect163k1).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let order = order_of(&group).unwrap();
        let public = public_with_point(&t_point(&group));
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        let (mut accepted, mut rejected) = (0, 0);
        for _ in 0..40 {
            let msg = message(&mut rng);
            let e = BigNum::from_slice(&Sha1::digest(&msg)).unwrap();
            let k = BigNum::from_slice(&rng.gen::<[u8; 20]>()).unwrap();
            let kg = k163::mul_g(&k163::scalar_from_be(&k.to_vec()).unwrap()).unwrap();
            let kg_t = k163::affine_add(Some(kg), Some(T)).unwrap();
            let mut kinv = BigNum::new().unwrap();
            kinv.mod_inverse(&k, &order, &mut ctx).unwrap();
            let mut s = BigNum::new().unwrap();
            s.mod_mul(&e, &kinv, &order, &mut ctx).unwrap();
            let mut sinv = BigNum::new().unwrap();
            sinv.mod_inverse(&s, &order, &mut ctx).unwrap();
            for x in [kg.x, kg_t.x] {
                let r = BigNum::from_slice(&k163::scalar_to_be(&k163::fe_mod_n(&x), 21)).unwrap();
                let mut sig = r.to_vec_padded(21).unwrap();
                sig.extend(s.to_vec_padded(21).unwrap());
                if agree(&public, &sig, &msg) {
                    accepted += 1;
                } else {
                    rejected += 1;
                }
            }
        }
        assert!(accepted >= 40 && rejected >= 1, "{accepted} {rejected}");
    }

    /// Only `sign_vartime` reaches the native (variable-time) k·G: `sign`, and so
    /// every live node's key cache (default options), stays on OpenSSL.
    #[test]
    fn only_vartime_signing_runs_natively() {
        use crate::community::KeyCache;
        use crate::crypto::PrivateKey;
        let calls = || k163::MUL_G_CALLS.with(|c| c.get());
        let key = keys(18, 1).remove(0);
        let before = calls();
        key.sign(b"live").unwrap();
        let whole = PrivateKey::Ec(key.clone());
        whole.sign(b"live");
        KeyCache::default().sign(&whole, b"live");
        assert_eq!(calls(), before, "a constant-time path signed natively");
        key.sign_vartime(b"sim").unwrap();
        whole.sign_vartime(b"sim");
        assert_eq!(calls(), before + 2);
    }

    #[test]
    fn other_curves_keep_the_openssl_path() {
        let mut rng = ChaCha20Rng::seed_from_u64(17);
        let key = EcPrivateKey::generate(EcCurve::Sect233k1, &mut rng).unwrap();
        assert!(key.public_key().0.native.is_none());
        let sig = key.sign(b"m").unwrap();
        assert_eq!(sig, key.sign_vartime(b"m").unwrap());
        assert!(key.public_key().verify(&sig, b"m"));
    }
}
