//! `crypto`: curve25519 (LibNaCL) and legacy EC keys, `mid`, sign/verify, key files.
