//! [`PrivateKey`] / [`PublicKey`]: py-ipv8 keys of either kind, selected by key bin
//! (`ipv8/keyvault/crypto.py`: `key_from_private_bin`, `key_from_public_bin`) or by
//! [`KeyKind`] on generation.

use super::ec::{is_pem, EcPrivateKey, EcPublicKey};
use super::error::CryptoError;
use super::kind::KeyKind;
use super::libnacl::{self, LibNaclPrivateKey, LibNaclPublicKey};
use rand::{CryptoRng, RngCore};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// A public key of either kind. Identifies a peer: equality, ordering and hashing use
/// the public key bin only. Cloning is cheap (reference-counted).
#[derive(Clone)]
pub enum PublicKey {
    /// A LibNaCL (`LibNaCLPK:`) key.
    LibNacl(LibNaclPublicKey),
    /// A legacy EC key (DER SubjectPublicKeyInfo).
    Ec(EcPublicKey),
}

impl PublicKey {
    /// Parses a public key bin: `LibNaCLPK:` prefix → LibNaCL, `-----BEGIN` → PEM,
    /// anything else → DER SubjectPublicKeyInfo (spec §5.2).
    pub fn from_bin(bin: &[u8]) -> Result<PublicKey, CryptoError> {
        if bin.starts_with(libnacl::PUBLIC_PREFIX) {
            LibNaclPublicKey::from_bin(bin).map(PublicKey::LibNacl)
        } else if is_pem(bin) {
            EcPublicKey::from_pem(bin).map(PublicKey::Ec)
        } else {
            EcPublicKey::from_der(bin).map(PublicKey::Ec)
        }
    }

    /// The public key bin (74 bytes for LibNaCL, DER for EC).
    pub fn key_to_bin(&self) -> &[u8] {
        match self {
            PublicKey::LibNacl(k) => k.key_to_bin(),
            PublicKey::Ec(k) => k.key_to_bin(),
        }
    }

    /// The kind of key.
    pub fn kind(&self) -> KeyKind {
        match self {
            PublicKey::LibNacl(_) => KeyKind::Curve25519,
            PublicKey::Ec(k) => KeyKind::Ec(k.curve()),
        }
    }

    /// `mid` = SHA-1(public key bin) (spec §5.3); cached, no hashing on call.
    pub fn mid(&self) -> [u8; 20] {
        match self {
            PublicKey::LibNacl(k) => k.mid(),
            PublicKey::Ec(k) => k.mid(),
        }
    }

    /// Signature length: 64 for LibNaCL, 42/60/104/144 for EC.
    pub fn signature_length(&self) -> usize {
        self.kind().signature_length()
    }

    /// Verifies `signature` over `msg`; malformed signatures give `false`.
    pub fn verify(&self, signature: &[u8], msg: &[u8]) -> bool {
        match self {
            PublicKey::LibNacl(k) => k.verify(signature, msg),
            PublicKey::Ec(k) => k.verify(signature, msg),
        }
    }

    /// The LibNaCL key, if this is one (tunnel candidates must be).
    pub fn as_libnacl(&self) -> Option<&LibNaclPublicKey> {
        match self {
            PublicKey::LibNacl(k) => Some(k),
            PublicKey::Ec(_) => None,
        }
    }

    /// PEM text: RFC 8410 Ed25519 SPKI for LibNaCL, `PUBLIC KEY` SPKI for EC.
    pub fn key_to_pem(&self) -> Result<String, CryptoError> {
        match self {
            PublicKey::LibNacl(k) => Ok(k.key_to_pem()),
            PublicKey::Ec(k) => k.key_to_pem(),
        }
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key_to_bin() == other.key_to_bin()
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key_to_bin().hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key_to_bin().cmp(other.key_to_bin())
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({}, mid {})",
            self.kind(),
            hex::encode(self.mid())
        )
    }
}

/// A private key of either kind (py-ipv8 `PrivateKey`).
#[derive(Clone, Debug)]
pub enum PrivateKey {
    /// A LibNaCL (`LibNaCLSK:`) dual key.
    LibNacl(LibNaclPrivateKey),
    /// A legacy EC key.
    Ec(EcPrivateKey),
}

/// The signature, or a panic naming OpenSSL's internal failure (never caused by the
/// message; see [`PrivateKey::sign`]).
fn expect_signed(r: Result<Vec<u8>, CryptoError>) -> Vec<u8> {
    match r {
        Ok(sig) => sig,
        Err(e) => panic!("EC signing failed inside OpenSSL: {e}"),
    }
}

impl PrivateKey {
    /// Generates a key of the given kind from the caller's RNG (deterministic for a
    /// seeded RNG, for both kinds).
    pub fn generate<R: RngCore + CryptoRng>(
        kind: KeyKind,
        rng: &mut R,
    ) -> Result<PrivateKey, CryptoError> {
        match kind {
            KeyKind::Curve25519 => Ok(PrivateKey::LibNacl(LibNaclPrivateKey::generate(rng))),
            KeyKind::Ec(curve) => EcPrivateKey::generate(curve, rng).map(PrivateKey::Ec),
        }
    }

    /// Parses a private key bin: `LibNaCLSK:` prefix → LibNaCL, `-----BEGIN` → PEM,
    /// anything else → DER (SEC1 `ECPrivateKey` or PKCS#8).
    pub fn from_bin(bin: &[u8]) -> Result<PrivateKey, CryptoError> {
        if bin.starts_with(libnacl::PRIVATE_PREFIX) {
            LibNaclPrivateKey::from_bin(bin).map(PrivateKey::LibNacl)
        } else {
            EcPrivateKey::from_bin(bin).map(PrivateKey::Ec)
        }
    }

    /// The private key bin as py-ipv8 writes it (74-byte `LibNaCLSK:` bin, or DER SEC1).
    pub fn key_to_bin(&self) -> Vec<u8> {
        match self {
            PrivateKey::LibNacl(k) => k.key_to_bin().to_vec(),
            PrivateKey::Ec(k) => k.key_to_bin().to_vec(),
        }
    }

    /// The kind of key.
    pub fn kind(&self) -> KeyKind {
        match self {
            PrivateKey::LibNacl(_) => KeyKind::Curve25519,
            PrivateKey::Ec(k) => KeyKind::Ec(k.curve()),
        }
    }

    /// The public half (cheap clone).
    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::LibNacl(k) => PublicKey::LibNacl(k.public_key().clone()),
            PrivateKey::Ec(k) => PublicKey::Ec(k.public_key().clone()),
        }
    }

    /// `mid` of the public half.
    pub fn mid(&self) -> [u8; 20] {
        match self {
            PrivateKey::LibNacl(k) => k.public_key().mid(),
            PrivateKey::Ec(k) => k.public_key().mid(),
        }
    }

    /// Signs `msg`: Ed25519 (64 bytes) or deterministic ECDSA-SHA1 r ‖ s
    /// ([`PrivateKey::signature_length`] bytes).
    ///
    /// # Panics
    /// Only if OpenSSL fails internally while signing with an EC key (e.g. out of
    /// memory); never because of `msg`. Use [`PrivateKey::try_sign`] to handle that.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        expect_signed(self.try_sign(msg))
    }

    /// Like [`PrivateKey::sign`], but reports OpenSSL failures instead of panicking.
    pub fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            PrivateKey::LibNacl(k) => Ok(k.sign(msg).to_vec()),
            PrivateKey::Ec(k) => k.sign(msg),
        }
    }

    /// [`PrivateKey::sign`]'s bytes, signed in variable time where that is faster
    /// (Ed25519: [`LibNaclPrivateKey::sign_vartime`]; sect163k1:
    /// [`EcPrivateKey::sign_vartime`]; other EC curves as [`PrivateKey::sign`]). Only
    /// for keys with no secret to protect, such as the simulator's seed-derived keys.
    ///
    /// # Panics
    /// As [`PrivateKey::sign`].
    pub fn sign_vartime(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            PrivateKey::LibNacl(k) => k.sign_vartime(msg).to_vec(),
            PrivateKey::Ec(k) => expect_signed(k.sign_vartime(msg)),
        }
    }

    /// Verifies with the public half.
    pub fn verify(&self, signature: &[u8], msg: &[u8]) -> bool {
        match self {
            PrivateKey::LibNacl(k) => k.public_key().verify(signature, msg),
            PrivateKey::Ec(k) => k.public_key().verify(signature, msg),
        }
    }

    /// Signature length of this key.
    pub fn signature_length(&self) -> usize {
        self.kind().signature_length()
    }

    /// The LibNaCL key, if this is one.
    pub fn as_libnacl(&self) -> Option<&LibNaclPrivateKey> {
        match self {
            PrivateKey::LibNacl(k) => Some(k),
            PrivateKey::Ec(_) => None,
        }
    }
}
