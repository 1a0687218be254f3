//! The default py-ipv8 identity: the LibNaCL dual key ("curve25519", spec §5.1).
//!
//! Private bin: `LibNaCLSK:` ‖ X25519 secret (32) ‖ Ed25519 seed (32) = 74 bytes.
//! Public bin: `LibNaCLPK:` ‖ X25519 public (32) ‖ Ed25519 verify key (32) = 74 bytes.
//! Matches py-ipv8's `ipv8/keyvault` LibNaCL keys (libnacl's `DualSecret`).

use super::error::CryptoError;
use super::mid_of;
use super::tunnel::crypto_box_beforenm;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};
use sha2::Sha512;
use std::sync::Arc;

/// ASCII prefix of a LibNaCL private key bin.
pub const PRIVATE_PREFIX: &[u8; 10] = b"LibNaCLSK:";
/// ASCII prefix of a LibNaCL public key bin.
pub const PUBLIC_PREFIX: &[u8; 10] = b"LibNaCLPK:";
/// Length of both the private and the public key bin.
pub const BIN_LENGTH: usize = 74;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LENGTH: usize = 64;

/// Splits a 74-byte bin with the given prefix into its two 32-byte halves.
fn split_bin(
    bin: &[u8],
    prefix: &[u8; 10],
    what: &'static str,
) -> Result<([u8; 32], [u8; 32]), CryptoError> {
    let wrong_len = || CryptoError::InvalidLength {
        what,
        expected: BIN_LENGTH,
        actual: bin.len(),
    };
    let rest = bin.strip_prefix(prefix.as_slice()).ok_or_else(wrong_len)?;
    if rest.len() != 64 {
        return Err(wrong_len());
    }
    let (a, b) = rest.split_at(32);
    let a: [u8; 32] = a.try_into().map_err(|_| wrong_len())?;
    let b: [u8; 32] = b.try_into().map_err(|_| wrong_len())?;
    Ok((a, b))
}

#[derive(Debug)]
struct PublicInner {
    bin: [u8; BIN_LENGTH],
    x25519: [u8; 32],
    verifying: VerifyingKey,
    /// The Ed25519 point has small order (such keys never verify, as in libsodium).
    weak: bool,
    mid: [u8; 20],
}

/// The canonical encodings of the eight points of small order (the 8-torsion).
fn small_order_encodings() -> &'static [[u8; 32]; 8] {
    static ENC: std::sync::OnceLock<[[u8; 32]; 8]> = std::sync::OnceLock::new();
    ENC.get_or_init(|| curve25519_dalek::constants::EIGHT_TORSION.map(|p| p.compress().to_bytes()))
}

/// A LibNaCL public key (`LibNaCLPK:` bin). Cheap to clone (shared); the Ed25519 point
/// is decompressed once, when the key is parsed.
#[derive(Debug, Clone)]
pub struct LibNaclPublicKey(Arc<PublicInner>);

impl LibNaclPublicKey {
    /// Builds the key from its two halves.
    pub fn from_parts(
        x25519_public: [u8; 32],
        ed25519_verify_key: [u8; 32],
    ) -> Result<Self, CryptoError> {
        let verifying = VerifyingKey::from_bytes(&ed25519_verify_key)
            .map_err(|_| CryptoError::InvalidEd25519Key)?;
        let mut bin = [0u8; BIN_LENGTH];
        bin[..10].copy_from_slice(PUBLIC_PREFIX);
        bin[10..42].copy_from_slice(&x25519_public);
        bin[42..].copy_from_slice(&ed25519_verify_key);
        Ok(LibNaclPublicKey(Arc::new(PublicInner {
            mid: mid_of(&bin),
            bin,
            x25519: x25519_public,
            weak: verifying.is_weak(),
            verifying,
        })))
    }

    /// Parses a 74-byte `LibNaCLPK:` bin (exactly 74 bytes; the verify key must be a
    /// valid Ed25519 point).
    pub fn from_bin(bin: &[u8]) -> Result<Self, CryptoError> {
        let (x, v) = split_bin(bin, PUBLIC_PREFIX, "LibNaCLPK key bin")?;
        Self::from_parts(x, v)
    }

    /// The 74-byte public key bin.
    pub fn key_to_bin(&self) -> &[u8; BIN_LENGTH] {
        &self.0.bin
    }

    /// The X25519 public key (used for tunnel key agreement, spec §17).
    pub fn x25519_public(&self) -> &[u8; 32] {
        &self.0.x25519
    }

    /// The Ed25519 verify key bytes.
    pub fn ed25519_verify_key(&self) -> &[u8; 32] {
        self.0.verifying.as_bytes()
    }

    /// `mid` = SHA-1 of the public key bin (spec §5.3), computed once.
    pub fn mid(&self) -> [u8; 20] {
        self.0.mid
    }

    /// Verifies a 64-byte Ed25519 signature over `msg`. Any other length, or an
    /// invalid signature, yields `false`. Uses strict verification (rejects
    /// non-canonical and small-order components, as libsodium does).
    ///
    /// Accepts exactly what ed25519-dalek's `verify_strict` accepts, ~15% faster: its
    /// two small-order checks are done without decompressing `R`. The key's is cached at
    /// parse time; `R` must in any case equal the canonical encoding of the recomputed
    /// point to pass the cofactorless check, so "R has small order" is "R is one of the
    /// eight canonical torsion encodings" (libsodium compares against such a list too).
    pub fn verify(&self, signature: &[u8], msg: &[u8]) -> bool {
        use ed25519_dalek::Verifier;
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        if self.0.weak || small_order_encodings().contains(sig.r_bytes()) {
            return false;
        }
        self.0.verifying.verify(msg, &sig).is_ok()
    }

    /// [`LibNaclPublicKey::verify`] by ed25519-dalek's `verify_strict` (the reference the
    /// fast path is tested against).
    pub fn verify_strict(&self, signature: &[u8], msg: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.0.verifying.verify_strict(msg, &sig).is_ok()
    }

    /// The Ed25519 public key as an RFC 8410 SubjectPublicKeyInfo PEM (what py-ipv8's
    /// `key_to_pem()` returns for a LibNaCL public key; see vector `keys[].public_key_pem`).
    pub fn key_to_pem(&self) -> String {
        const SPKI_PREFIX: [u8; 12] = [
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.ed25519_verify_key());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            openssl::base64::encode_block(&der)
        )
    }
}

/// The secret halves, expanded once. Not a `SigningKey`: that keeps a second copy of
/// the verifying key (192 bytes, and one private key per simulated node); signing uses
/// the public key's (`hazmat::raw_sign`, what `SigningKey::sign` does inside).
struct PrivateInner {
    x25519_secret: [u8; 32],
    ed25519_seed: [u8; 32],
    expanded: ExpandedSecretKey,
    public: LibNaclPublicKey,
}

/// A LibNaCL private key (`LibNaCLSK:` bin): an X25519 secret and an Ed25519 seed.
/// Cheap to clone (shared).
#[derive(Clone)]
pub struct LibNaclPrivateKey(Arc<PrivateInner>);

impl std::fmt::Debug for LibNaclPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_struct("LibNaclPrivateKey")
            .field("public", &self.0.public)
            .finish_non_exhaustive()
    }
}

impl LibNaclPrivateKey {
    /// Builds the key from an X25519 secret and an Ed25519 seed (stored as given;
    /// X25519 clamping happens when the secret is used, as in libsodium).
    pub fn from_seeds(x25519_secret: [u8; 32], ed25519_seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&ed25519_seed);
        let x_public =
            x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(x25519_secret));
        let verifying = signing.verifying_key();
        let mut bin = [0u8; BIN_LENGTH];
        bin[..10].copy_from_slice(PUBLIC_PREFIX);
        bin[10..42].copy_from_slice(x_public.as_bytes());
        bin[42..].copy_from_slice(verifying.as_bytes());
        let public = LibNaclPublicKey(Arc::new(PublicInner {
            mid: mid_of(&bin),
            bin,
            x25519: *x_public.as_bytes(),
            weak: verifying.is_weak(),
            verifying,
        }));
        LibNaclPrivateKey(Arc::new(PrivateInner {
            x25519_secret,
            ed25519_seed,
            expanded: ExpandedSecretKey::from(&ed25519_seed),
            public,
        }))
    }

    /// Generates a key from the caller's RNG: 32 bytes of X25519 secret, then 32 bytes
    /// of Ed25519 seed (deterministic for a seeded RNG).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut x = [0u8; 32];
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut x);
        rng.fill_bytes(&mut s);
        Self::from_seeds(x, s)
    }

    /// Parses a 74-byte `LibNaCLSK:` bin.
    pub fn from_bin(bin: &[u8]) -> Result<Self, CryptoError> {
        let (x, s) = split_bin(bin, PRIVATE_PREFIX, "LibNaCLSK key bin")?;
        Ok(Self::from_seeds(x, s))
    }

    /// The 74-byte private key bin (`LibNaCLSK:` ‖ X25519 secret ‖ Ed25519 seed).
    pub fn key_to_bin(&self) -> [u8; BIN_LENGTH] {
        let mut bin = [0u8; BIN_LENGTH];
        bin[..10].copy_from_slice(PRIVATE_PREFIX);
        bin[10..42].copy_from_slice(&self.0.x25519_secret);
        bin[42..].copy_from_slice(&self.0.ed25519_seed);
        bin
    }

    /// The public half.
    pub fn public_key(&self) -> &LibNaclPublicKey {
        &self.0.public
    }

    /// The raw X25519 secret key.
    pub fn x25519_secret(&self) -> &[u8; 32] {
        &self.0.x25519_secret
    }

    /// The Ed25519 seed.
    pub fn ed25519_seed(&self) -> &[u8; 32] {
        &self.0.ed25519_seed
    }

    /// Deterministic Ed25519 signature (64 bytes) over `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; SIGNATURE_LENGTH] {
        raw_sign::<Sha512>(&self.0.expanded, msg, &self.0.public.0.verifying).to_bytes()
    }

    /// The same signature as [`LibNaclPrivateKey::sign`] (RFC 8032, deterministic),
    /// ~1.5× faster: the nonce's r·B is a variable-time table walk, so its timing
    /// depends on the nonce and could reveal the secret key to someone timing us. For
    /// keys with no secret to protect: the simulator's, derived from the scenario seed.
    /// A live identity signs with [`LibNaclPrivateKey::sign`].
    pub fn sign_vartime(&self, msg: &[u8]) -> [u8; SIGNATURE_LENGTH] {
        use sha2::Digest;
        let expanded = &self.0.expanded;
        let r = Scalar::from_hash(
            Sha512::new()
                .chain_update(expanded.hash_prefix)
                .chain_update(msg),
        );
        let big_r = super::basecomb::mul_base_vartime(&r).compress();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(big_r.as_bytes())
                .chain_update(self.0.public.0.verifying.as_bytes())
                .chain_update(msg),
        );
        let s = k * expanded.scalar + r;
        let mut sig = [0u8; SIGNATURE_LENGTH];
        sig[..32].copy_from_slice(big_r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    /// py-ipv8's `PrivateKey.diffie_hellman`: libsodium `crypto_box_beforenm` of our
    /// X25519 secret and the peer's X25519 public key (spec §17).
    pub fn diffie_hellman(&self, peer_x25519_public: &[u8; 32]) -> Result<[u8; 32], CryptoError> {
        crypto_box_beforenm(&self.0.x25519_secret, peer_x25519_public)
    }
}

#[cfg(test)]
mod verify_tests {
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use rand::{Rng, SeedableRng};
    use sha2::{Digest, Sha512};

    fn sig_bytes(r: [u8; 32], s: Scalar) -> Vec<u8> {
        let mut sig = r.to_vec();
        sig.extend_from_slice(s.as_bytes());
        sig
    }

    /// A signature whose R is the identity (small order) but which passes the
    /// cofactorless equation: s = k·a with k = H(R ‖ A ‖ M).
    fn small_order_r_signature(seed: [u8; 32], msg: &[u8]) -> (LibNaclPublicKey, Vec<u8>) {
        let h = Sha512::digest(seed);
        let mut a_bytes = [0u8; 32];
        a_bytes.copy_from_slice(&h[..32]);
        a_bytes[0] &= 248;
        a_bytes[31] &= 127;
        a_bytes[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a_bytes);
        let public = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
        let mut r = [0u8; 32];
        r[0] = 1; // the identity
        let k = Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(r)
                .chain_update(public)
                .chain_update(msg)
                .finalize()
                .into(),
        );
        let key = LibNaclPublicKey::from_parts([9; 32], public).unwrap();
        (key, sig_bytes(r, k * a))
    }

    /// Signing with the expanded secret and the public key's verifying key gives
    /// exactly `SigningKey::sign`'s signature.
    #[test]
    fn raw_sign_equals_signing_key_sign() {
        use ed25519_dalek::Signer;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        for _ in 0..50 {
            let key = LibNaclPrivateKey::generate(&mut rng);
            let msg: Vec<u8> = (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect();
            let dalek = SigningKey::from_bytes(key.ed25519_seed());
            assert_eq!(key.sign(&msg), dalek.sign(&msg).to_bytes());
            assert_eq!(
                key.public_key().ed25519_verify_key(),
                dalek.verifying_key().as_bytes()
            );
        }
    }

    /// The variable-time signer gives exactly the constant-time signature, for random
    /// keys and messages of every length up to 300 bytes (and the empty message).
    #[test]
    fn sign_vartime_equals_sign() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for i in 0..300 {
            let key = LibNaclPrivateKey::generate(&mut rng);
            let msg: Vec<u8> = (0..i).map(|_| rng.gen()).collect();
            let sig = key.sign_vartime(&msg);
            assert_eq!(sig, key.sign(&msg));
            assert!(key.public_key().verify(&sig, &msg));
        }
    }

    #[test]
    fn fast_verify_agrees_with_verify_strict() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for _ in 0..40 {
            let key = LibNaclPrivateKey::generate(&mut rng);
            let public = key.public_key();
            let msg: Vec<u8> = (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect();
            let sig = key.sign(&msg).to_vec();
            assert!(public.verify(&sig, &msg) && public.verify_strict(&sig, &msg));
            for _ in 0..20 {
                let (mut s2, mut m2) = (sig.clone(), msg.clone());
                if m2.is_empty() || rng.gen_bool(0.5) {
                    let i = rng.gen_range(0..s2.len());
                    s2[i] ^= 1 << rng.gen_range(0..8);
                } else {
                    let i = rng.gen_range(0..m2.len());
                    m2[i] ^= 1 << rng.gen_range(0..8);
                }
                assert_eq!(public.verify(&s2, &m2), public.verify_strict(&s2, &m2));
                assert!(!public.verify(&s2, &m2));
            }
        }
    }

    #[test]
    fn small_order_r_is_rejected_although_the_equation_holds() {
        let msg = b"introduction-request";
        let (key, sig) = small_order_r_signature([5; 32], msg);
        let dalek_sig = Signature::from_slice(&sig).unwrap();
        // The cofactorless equation holds: only the small-order check rejects it.
        use ed25519_dalek::Verifier;
        assert!(key.0.verifying.verify(msg, &dalek_sig).is_ok());
        assert!(!key.verify_strict(&sig, msg));
        assert!(!key.verify(&sig, msg));
    }

    #[test]
    fn small_order_key_is_rejected_although_the_equation_holds() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let key = LibNaclPublicKey::from_parts([9; 32], identity).unwrap();
        let s = Scalar::from(12345u64);
        let r = (ED25519_BASEPOINT_POINT * s).compress().to_bytes();
        let sig = sig_bytes(r, s);
        let dalek_sig = Signature::from_slice(&sig).unwrap();
        use ed25519_dalek::Verifier;
        assert!(key.0.verifying.verify(b"m", &dalek_sig).is_ok());
        assert!(!key.verify_strict(&sig, b"m"));
        assert!(!key.verify(&sig, b"m"));
        assert_eq!(small_order_encodings().len(), 8);
        assert!(small_order_encodings().contains(&identity));
    }
}
