//! `crypto`: py-ipv8 identities — curve25519 (LibNaCL) and legacy EC keys, `mid`,
//! sign/verify, key files, and the TunnelCommunity's cryptography.
//!
//! Byte-compatible with py-ipv8 3.2.1 (`ipv8/keyvault`, spec §5 and §17 of
//! `shared/spec/ipv8-wire.md`); checked against `shared/vectors` in
//! `tests/crypto_vectors.rs`.
//!
//! | file | noun |
//! |---|---|
//! | [`libnacl`] | the LibNaCL dual key (`LibNaCLSK:` / `LibNaCLPK:`), Ed25519 signatures |
//! | [`ec`] | legacy EC keys (sect163k1 … sect571k1), ECDSA-SHA1 |
//! | `basecomb` | variable-time k·B for signing with simulated keys (crate-private) |
//! | `k163` | native NIST K-163 arithmetic behind sect163k1 sign/verify (crate-private) |
//! | [`kind`] | [`KeyKind`] / [`EcCurve`]: key types by their py-ipv8 names |
//! | [`key`] | [`PrivateKey`] / [`PublicKey`] over both kinds |
//! | [`keyfile`] | [`load_key_file`] / [`save_key_file`] |
//! | [`tunnel`] | `crypto_box_beforenm`, `crypto_auth`, [`tunnel::SessionKeys`] |
//! | [`error`] | [`CryptoError`], [`KeyFileError`] |
//!
//! ```
//! use ipv8sim::crypto::{KeyKind, PrivateKey, PublicKey};
//! use rand::SeedableRng;
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//! let key = PrivateKey::generate(KeyKind::from_name("curve25519")?, &mut rng)?;
//! let public = PublicKey::from_bin(key.public_key().key_to_bin())?;
//! let sig = key.sign(b"hello");
//! assert!(public.verify(&sig, b"hello"));
//! assert_eq!(public.mid(), key.mid());
//! # Ok::<(), ipv8sim::crypto::CryptoError>(())
//! ```

mod basecomb;
pub mod ec;
pub mod error;
mod k163;
pub mod key;
pub mod keyfile;
pub mod kind;
pub mod libnacl;
pub mod tunnel;

pub use ec::{EcPrivateKey, EcPublicKey};
pub use error::{CryptoError, KeyFileError};
pub use key::{PrivateKey, PublicKey};
pub use keyfile::{load_key_file, save_key_file, DEFAULT_KEY_FILE};
pub use kind::{EcCurve, KeyKind};
pub use libnacl::{LibNaclPrivateKey, LibNaclPublicKey};

/// A member id: SHA-1 of a public key bin (spec §5.3).
pub type Mid = [u8; 20];

/// `mid` = SHA-1(public key bin).
pub fn mid_of(public_key_bin: &[u8]) -> Mid {
    use sha1::{Digest, Sha1};
    Sha1::digest(public_key_bin).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn keys_are_send_and_sync() {
        assert_send_sync::<PublicKey>();
        assert_send_sync::<PrivateKey>();
        assert_send_sync::<tunnel::SessionKeys>();
    }

    #[test]
    fn key_kind_names_round_trip() {
        for kind in KeyKind::ALL {
            assert_eq!(KeyKind::from_name(kind.name()), Ok(kind));
        }
        assert!(matches!(
            KeyKind::from_name("sect571r1"),
            Err(CryptoError::UnknownKeyKind(_))
        ));
    }
}
