//! Key files as py-ipv8 reads and writes them (`ipv8_service.py`, IPv8.__init__; the
//! default file is `ec_multichain.pem` from `ipv8/configuration.py`).
//!
//! py-ipv8 writes `key.key_to_bin()` raw — for the default curve25519 key that is the
//! 74-byte `LibNaCLSK:` bin, *not* PEM despite the file name; for EC keys it is the DER
//! SEC1 `ECPrivateKey`. It reads the file with `key_from_private_bin(f.read())`, which
//! also accepts PEM for EC keys (older Dispersy/M2Crypto files).

use super::error::KeyFileError;
use super::key::PrivateKey;
use std::path::Path;

/// py-ipv8's default key file name.
pub const DEFAULT_KEY_FILE: &str = "ec_multichain.pem";

/// Reads a private key file written by py-ipv8 (or by [`save_key_file`]): a raw
/// `LibNaCLSK:` bin, or an EC private key as DER or PEM. Errors name the file.
pub fn load_key_file(path: impl AsRef<Path>) -> Result<PrivateKey, KeyFileError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    PrivateKey::from_bin(&bytes).map_err(|source| KeyFileError::InvalidKey {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `key.key_to_bin()` to `path` exactly as py-ipv8 does (raw bytes, no PEM
/// armour, no newline), replacing any existing file.
pub fn save_key_file(path: impl AsRef<Path>, key: &PrivateKey) -> Result<(), KeyFileError> {
    let path = path.as_ref();
    std::fs::write(path, key.key_to_bin()).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}
