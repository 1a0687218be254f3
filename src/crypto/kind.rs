//! [`KeyKind`]: the key types py-ipv8 can generate, by their py-ipv8 names.
//!
//! Mirrors `ipv8/keyvault/crypto.py` (`_CURVES`) of py-ipv8 3.2.1 and spec §5.2.

use super::error::CryptoError;
use std::fmt;
use std::str::FromStr;

/// One of py-ipv8's legacy EC curves (spec §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EcCurve {
    /// NIST K-163 (`very-low`; used by bootstrap servers). Signatures are 42 bytes.
    Sect163k1,
    /// NIST K-233 (`low`). Signatures are 60 bytes.
    Sect233k1,
    /// NIST K-409 (`medium`). Signatures are 104 bytes.
    Sect409k1,
    /// NIST K-571 (`high`). Signatures are 144 bytes.
    Sect571k1,
}

impl EcCurve {
    /// All supported curves, weakest first.
    pub const ALL: [EcCurve; 4] = [
        EcCurve::Sect163k1,
        EcCurve::Sect233k1,
        EcCurve::Sect409k1,
        EcCurve::Sect571k1,
    ];

    /// The OpenSSL short name (`"sect163k1"`, …).
    pub fn openssl_name(self) -> &'static str {
        match self {
            EcCurve::Sect163k1 => "sect163k1",
            EcCurve::Sect233k1 => "sect233k1",
            EcCurve::Sect409k1 => "sect409k1",
            EcCurve::Sect571k1 => "sect571k1",
        }
    }

    /// The field degree in bits (163, 233, 409, 571).
    pub fn degree_bits(self) -> usize {
        match self {
            EcCurve::Sect163k1 => 163,
            EcCurve::Sect233k1 => 233,
            EcCurve::Sect409k1 => 409,
            EcCurve::Sect571k1 => 571,
        }
    }

    /// Length of one signature half (r or s): ceil(degree / 8).
    pub fn half_signature_length(self) -> usize {
        self.degree_bits().div_ceil(8)
    }

    /// Signature length: 2 × ceil(degree / 8) = 42 / 60 / 104 / 144 bytes.
    pub fn signature_length(self) -> usize {
        2 * self.half_signature_length()
    }

    /// The OpenSSL curve identifier.
    pub(crate) fn nid(self) -> openssl::nid::Nid {
        use openssl::nid::Nid;
        match self {
            EcCurve::Sect163k1 => Nid::SECT163K1,
            EcCurve::Sect233k1 => Nid::SECT233K1,
            EcCurve::Sect409k1 => Nid::SECT409K1,
            EcCurve::Sect571k1 => Nid::SECT571K1,
        }
    }

    /// The curve for an OpenSSL identifier, if py-ipv8 uses it.
    pub(crate) fn from_nid(nid: openssl::nid::Nid) -> Option<EcCurve> {
        EcCurve::ALL.into_iter().find(|c| c.nid() == nid)
    }
}

/// A key type, named as py-ipv8 names it in configurations and `generate_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// The default LibNaCL dual key (X25519 + Ed25519), name `"curve25519"`.
    Curve25519,
    /// A legacy EC key on the given curve (names `very-low`, `low`, `medium`, `high`).
    Ec(EcCurve),
}

impl KeyKind {
    /// py-ipv8's "very-low" (sect163k1; bootstrap servers).
    pub const VERY_LOW: KeyKind = KeyKind::Ec(EcCurve::Sect163k1);
    /// py-ipv8's "low" (sect233k1).
    pub const LOW: KeyKind = KeyKind::Ec(EcCurve::Sect233k1);
    /// py-ipv8's "medium" (sect409k1; the docs' examples).
    pub const MEDIUM: KeyKind = KeyKind::Ec(EcCurve::Sect409k1);
    /// py-ipv8's "high" (sect571k1).
    pub const HIGH: KeyKind = KeyKind::Ec(EcCurve::Sect571k1);

    /// Every kind py-ipv8 3.2.1 can generate, in its `_CURVES` order.
    pub const ALL: [KeyKind; 5] = [
        KeyKind::Ec(EcCurve::Sect163k1),
        KeyKind::Ec(EcCurve::Sect233k1),
        KeyKind::Ec(EcCurve::Sect409k1),
        KeyKind::Ec(EcCurve::Sect571k1),
        KeyKind::Curve25519,
    ];

    /// Parses a py-ipv8 security-level name: `curve25519`, `very-low`, `low`, `medium`, `high`.
    pub fn from_name(name: &str) -> Result<KeyKind, CryptoError> {
        match name {
            "curve25519" => Ok(KeyKind::Curve25519),
            "very-low" => Ok(KeyKind::Ec(EcCurve::Sect163k1)),
            "low" => Ok(KeyKind::Ec(EcCurve::Sect233k1)),
            "medium" => Ok(KeyKind::Ec(EcCurve::Sect409k1)),
            "high" => Ok(KeyKind::Ec(EcCurve::Sect571k1)),
            other => Err(CryptoError::UnknownKeyKind(other.to_owned())),
        }
    }

    /// The py-ipv8 name of this kind (inverse of [`KeyKind::from_name`]).
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Curve25519 => "curve25519",
            KeyKind::Ec(EcCurve::Sect163k1) => "very-low",
            KeyKind::Ec(EcCurve::Sect233k1) => "low",
            KeyKind::Ec(EcCurve::Sect409k1) => "medium",
            KeyKind::Ec(EcCurve::Sect571k1) => "high",
        }
    }

    /// Signature length in bytes for keys of this kind (64 for curve25519).
    pub fn signature_length(self) -> usize {
        match self {
            KeyKind::Curve25519 => super::libnacl::SIGNATURE_LENGTH,
            KeyKind::Ec(curve) => curve.signature_length(),
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyKind {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<KeyKind, CryptoError> {
        KeyKind::from_name(s)
    }
}
