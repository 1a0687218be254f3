//! [`WireError`]: every way decoding (or, for the dynamic serializer, encoding) can fail.

use thiserror::Error;

/// Why bytes could not be decoded (or a dynamic value could not be encoded).
///
/// Decoders never panic and never allocate more than the input carries; any length,
/// count or type byte that does not fit the remaining input is reported here. py-ipv8
/// raises `PackError` in the same situations (`ipv8/messaging/serialization.py`), except
/// where noted on the variant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// A field needs more bytes than remain in the input.
    #[error("truncated input: needed {needed} bytes, {remaining} remain")]
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A message was decoded but bytes remain after it (spec §3.5 step 4,
    /// py-ipv8's "has extra data").
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// A `varlenHutf8` / `varlenIutf8` string or a domain name is not valid UTF-8.
    #[error("invalid UTF-8 in a string field")]
    BadUtf8,
    /// An `ip_address` / `address` type byte is not 1 (IPv4), 3 (IPv6) or, for
    /// `address` only, 2 (domain name).
    #[error("unknown address type byte {0:#04x}")]
    BadAddressType(u8),
    /// The packet is shorter than the 22-byte prefix plus message id.
    #[error("packet too short for prefix and message id ({0} bytes)")]
    NoHeader(usize),
    /// The public key of a signed message could not be parsed (reported by the
    /// caller's signature-length callback).
    #[error("bad public key: {0}")]
    BadKey(String),
    /// A signed message is too short to hold its signature after the key.
    #[error("message too short for a {sig_len}-byte signature")]
    NoSignature {
        /// The signature length the key asked for.
        sig_len: usize,
    },
    /// The dynamic serializer does not know this format name.
    #[error("unknown format {0:?}")]
    UnknownFormat(String),
    /// A dynamic value does not have the shape the format needs (encoding only).
    #[error("value does not fit format {format:?}: {reason}")]
    BadValue {
        /// The format name.
        format: String,
        /// What was wrong.
        reason: String,
    },
    /// A value is too long for its length prefix (encoding only; e.g. a `varlenH` of
    /// more than 65535 bytes, a `varlenBx2` of odd length).
    #[error("value too long or misaligned for format {format:?} ({len} bytes/items)")]
    TooLong {
        /// The format name.
        format: &'static str,
        /// The offending length.
        len: usize,
    },
    /// A field has a value the typed payload does not accept (used by custom formats).
    #[error("invalid field value: {0}")]
    Invalid(&'static str),
}

impl WireError {
    /// A short, stable name for the error kind, for per-reason drop counters.
    pub fn reason(&self) -> &'static str {
        match self {
            WireError::Truncated { .. } => "truncated",
            WireError::TrailingBytes(_) => "trailing_bytes",
            WireError::BadUtf8 => "bad_utf8",
            WireError::BadAddressType(_) => "bad_address_type",
            WireError::NoHeader(_) => "no_header",
            WireError::BadKey(_) => "bad_key",
            WireError::NoSignature { .. } => "no_signature",
            WireError::UnknownFormat(_) => "unknown_format",
            WireError::BadValue { .. } => "bad_value",
            WireError::TooLong { .. } => "too_long",
            WireError::Invalid(_) => "invalid",
        }
    }
}
