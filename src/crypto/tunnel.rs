//! Tunnel cryptography of py-ipv8's TunnelCommunity (spec §17): libsodium
//! `crypto_box_beforenm`, `crypto_auth`, session-key derivation and the layered
//! ChaCha20-Poly1305 cell encryption (`ipv8/messaging/anonymization/tunnelcrypto.py`
//! and ipv8_rust_tunnels' `crypto.rs`).

use super::error::CryptoError;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use sha2::{Sha256, Sha512};

/// Length of the u64 counter that prefixes every tunnel ciphertext.
pub const COUNTER_LENGTH: usize = 8;
/// Length of the Poly1305 tag.
pub const TAG_LENGTH: usize = 16;
/// The HKDF info string of `generate_session_keys`.
pub const SESSION_KEY_INFO: &[u8] = b"key_generation";

/// libsodium `crypto_box_beforenm`: X25519(secret, public) then HSalsa20 with an
/// all-zero 16-byte input. Fails on the all-zero X25519 result (low-order public key),
/// as libsodium does.
pub fn crypto_box_beforenm(secret: &[u8; 32], public: &[u8; 32]) -> Result<[u8; 32], CryptoError> {
    let secret = x25519_dalek::StaticSecret::from(*secret);
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    if !shared.was_contributory() {
        return Err(CryptoError::LowOrderPoint);
    }
    let key = salsa20::cipher::generic_array::GenericArray::from_slice(shared.as_bytes());
    let zero = salsa20::cipher::generic_array::GenericArray::default();
    let out = salsa20::hsalsa::<salsa20::cipher::consts::U10>(key, &zero);
    let mut k = [0u8; 32];
    k.copy_from_slice(&out);
    Ok(k)
}

/// The X25519 public key of a secret (base-point multiple, after clamping).
pub fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    *x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret)).as_bytes()
}

/// A fresh ephemeral X25519 secret from the caller's (seeded) RNG.
pub fn x25519_generate<R: RngCore + CryptoRng>(rng: &mut R) -> [u8; 32] {
    let mut s = [0u8; 32];
    rng.fill_bytes(&mut s);
    s
}

/// libsodium `crypto_auth` (HMAC-SHA-512 truncated to 32 bytes).
pub fn crypto_auth(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut tag = [0u8; 32];
    // HMAC accepts keys of any length, so this cannot fail.
    if let Ok(mut mac) = <Hmac<Sha512> as Mac>::new_from_slice(key) {
        mac.update(msg);
        tag.copy_from_slice(&mac.finalize().into_bytes()[..32]);
    }
    tag
}

/// libsodium `crypto_auth_verify`: constant-time check of a 32-byte tag.
pub fn crypto_auth_verify(tag: &[u8], key: &[u8; 32], msg: &[u8]) -> bool {
    if tag.len() != 32 {
        return false;
    }
    match <Hmac<Sha512> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            mac.verify_truncated_left(tag).is_ok()
        }
        Err(_) => false,
    }
}

/// Direction of a cell along a circuit: forward = towards the exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Towards the exit (py-ipv8 direction 0).
    Forward,
    /// Towards the circuit originator (py-ipv8 direction 1).
    Backward,
}

/// Per-hop session keys (py-ipv8 `TunnelCrypto.generate_session_keys`): keys, salts and
/// the per-direction explicit counters (start at 1, incremented before each encryption).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// ChaCha20-Poly1305 key for forward cells.
    pub key_forward: [u8; 32],
    /// ChaCha20-Poly1305 key for backward cells.
    pub key_backward: [u8; 32],
    /// 4-byte nonce salt for forward cells.
    pub salt_forward: [u8; 4],
    /// 4-byte nonce salt for backward cells.
    pub salt_backward: [u8; 4],
    /// Last used forward counter (1 after derivation; the first cell uses 2).
    pub counter_forward: u64,
    /// Last used backward counter.
    pub counter_backward: u64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("counter_forward", &self.counter_forward)
            .field("counter_backward", &self.counter_backward)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// HKDF-Expand(SHA-256, PRK = `shared_secret`, info "key_generation", 72 bytes) →
    /// backward key [0:32], forward key [32:64], backward salt [64:68], forward salt
    /// [68:72] (spec §17); counters start at 1. The secret must be ≥ 32 bytes.
    pub fn derive(shared_secret: &[u8]) -> Result<SessionKeys, CryptoError> {
        let hk = hkdf::Hkdf::<Sha256>::from_prk(shared_secret)
            .map_err(|_| CryptoError::HkdfKeyTooShort(shared_secret.len()))?;
        let mut okm = [0u8; 72];
        hk.expand(SESSION_KEY_INFO, &mut okm)
            .map_err(|_| CryptoError::HkdfKeyTooShort(shared_secret.len()))?;
        let mut keys = SessionKeys {
            key_forward: [0; 32],
            key_backward: [0; 32],
            salt_forward: [0; 4],
            salt_backward: [0; 4],
            counter_forward: 1,
            counter_backward: 1,
        };
        keys.key_backward.copy_from_slice(&okm[0..32]);
        keys.key_forward.copy_from_slice(&okm[32..64]);
        keys.salt_backward.copy_from_slice(&okm[64..68]);
        keys.salt_forward.copy_from_slice(&okm[68..72]);
        Ok(keys)
    }

    fn key_salt(&self, direction: Direction) -> (&[u8; 32], &[u8; 4]) {
        match direction {
            Direction::Forward => (&self.key_forward, &self.salt_forward),
            Direction::Backward => (&self.key_backward, &self.salt_backward),
        }
    }

    fn nonce(salt: &[u8; 4], counter: u64) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(salt);
        nonce[4..].copy_from_slice(&counter.to_be_bytes());
        nonce
    }

    /// Encrypts one layer: increments the direction's counter, then returns
    /// counter (u64 BE) ‖ ciphertext ‖ 16-byte tag, with nonce = salt ‖ counter.
    pub fn encrypt(
        &mut self,
        direction: Direction,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let counter = match direction {
            Direction::Forward => {
                self.counter_forward = self.counter_forward.wrapping_add(1);
                self.counter_forward
            }
            Direction::Backward => {
                self.counter_backward = self.counter_backward.wrapping_add(1);
                self.counter_backward
            }
        };
        let (key, salt) = self.key_salt(direction);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
        let nonce = Self::nonce(salt, counter);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| CryptoError::EncryptFailed)?;
        let mut out = Vec::with_capacity(COUNTER_LENGTH + ct.len());
        out.extend_from_slice(&counter.to_be_bytes());
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts one layer produced by [`SessionKeys::encrypt`] in the same direction.
    /// Input shorter than 24 bytes or failing authentication is an error.
    pub fn decrypt(&self, direction: Direction, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < COUNTER_LENGTH + TAG_LENGTH {
            return Err(CryptoError::CiphertextTooShort(data.len()));
        }
        let (counter, ct) = data.split_at(COUNTER_LENGTH);
        let mut c = [0u8; COUNTER_LENGTH];
        c.copy_from_slice(counter);
        let (key, salt) = self.key_salt(direction);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
        let nonce = Self::nonce(salt, u64::from_be_bytes(c));
        cipher
            .decrypt(Nonce::from_slice(&nonce), ct)
            .map_err(|_| CryptoError::DecryptFailed)
    }
}
