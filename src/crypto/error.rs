//! Errors of the `crypto` module.
//!
//! Every fallible operation on remote or file input returns one of these; nothing in
//! this module panics on malformed key bytes, signatures or ciphertexts.

use std::path::PathBuf;

/// Why a key, signature or tunnel-crypto operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The input has the wrong length for what it claims to be.
    #[error("invalid length for {what}: expected {expected} bytes, got {actual}")]
    InvalidLength {
        /// What was being decoded (e.g. "LibNaCLPK key bin").
        what: &'static str,
        /// The required length in bytes.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// The Ed25519 verify key of a `LibNaCLPK:` bin is not a valid curve point.
    #[error("invalid Ed25519 verify key (not a valid curve point)")]
    InvalidEd25519Key,
    /// A legacy EC key could not be parsed from DER/PEM, or failed OpenSSL's
    /// consistency check (point not on the curve, private/public mismatch, …).
    #[error("invalid EC key: {0}")]
    InvalidEcKey(String),
    /// A well-formed EC key on a curve that py-ipv8 does not use
    /// (only sect163k1, sect233k1, sect409k1 and sect571k1 are accepted).
    #[error("unsupported EC curve: {0}")]
    UnsupportedCurve(String),
    /// A key-kind name other than `curve25519`, `very-low`, `low`, `medium`, `high`.
    #[error("unknown key kind {0:?} (expected curve25519, very-low, low, medium or high)")]
    UnknownKeyKind(String),
    /// An OpenSSL operation failed while generating or signing (not input-related).
    #[error("OpenSSL failure: {0}")]
    OpenSsl(String),
    /// X25519 produced the all-zero shared secret (the peer key has low order);
    /// libsodium's `crypto_box_beforenm` refuses this too.
    #[error("X25519 with a low-order public key (all-zero shared secret)")]
    LowOrderPoint,
    /// HKDF input key material is too short to be used as a pseudo-random key.
    #[error("HKDF pseudo-random key too short: {0} bytes (need at least 32)")]
    HkdfKeyTooShort(usize),
    /// A tunnel ciphertext is shorter than counter + tag (24 bytes).
    #[error("tunnel ciphertext too short: {0} bytes (need at least 24)")]
    CiphertextTooShort(usize),
    /// ChaCha20-Poly1305 authentication failed (wrong key, nonce or tampered data).
    #[error("tunnel decryption failed (authentication tag mismatch)")]
    DecryptFailed,
    /// ChaCha20-Poly1305 refused to encrypt (plaintext too long for the AEAD).
    #[error("tunnel encryption failed")]
    EncryptFailed,
}

/// Why a key file could not be read or written (always names the file).
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but does not hold a private key py-ipv8 could load.
    #[error("key file {path}: not a py-ipv8 private key: {source} (expected a raw `LibNaCLSK:` bin, or an EC private key as DER or PEM)")]
    InvalidKey {
        /// The key file.
        path: PathBuf,
        /// What was wrong with its contents.
        #[source]
        source: CryptoError,
    },
}
