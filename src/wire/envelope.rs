//! The packet prefix, reserved message ids and the four message envelopes
//! (spec §2–§3; py-ipv8 `ipv8/community.py` `_ez_pack`/`_ez_unpack_*`,
//! `ipv8/messaging/payload_headers.py`).
//!
//! The wire layer knows nothing of keys: the caller signs (a closure over the bytes
//! to sign) and tells the parser how long a key's signature is.

use super::error::WireError;
use super::reader::Reader;
use super::traits::Serializable;

/// Length of the community prefix (`0x00`, version, 20-byte community id).
pub const PREFIX_LEN: usize = 22;
/// Length of prefix + message id: where every payload starts.
pub const HEADER_LEN: usize = PREFIX_LEN + 1;
/// The version byte of every shipped community.
pub const VERSION: u8 = 0x02;

/// A 22-byte community prefix (same type as [`crate::endpoint::Prefix`]).
pub type Prefix = [u8; PREFIX_LEN];

/// The prefix of a community id with version 2 (spec §2).
pub fn prefix(community_id: &[u8; 20]) -> Prefix {
    prefix_with_version(VERSION, community_id)
}

/// The prefix with an explicit version byte.
pub fn prefix_with_version(version: u8, community_id: &[u8; 20]) -> Prefix {
    let mut p = [0u8; PREFIX_LEN];
    p[1] = version;
    p[2..].copy_from_slice(community_id);
    p
}

/// The community id inside a prefix.
pub fn community_id(prefix: &Prefix) -> [u8; 20] {
    let mut id = [0u8; 20];
    id.copy_from_slice(&prefix[2..]);
    id
}

/// The prefix of a packet, if it is long enough to have one (endpoint routing).
pub fn packet_prefix(data: &[u8]) -> Option<&Prefix> {
    data.get(..PREFIX_LEN).and_then(|p| p.try_into().ok())
}

/// Split a packet into prefix, message id and body.
pub fn split_header(data: &[u8]) -> Result<(&Prefix, u8, &[u8]), WireError> {
    match (
        packet_prefix(data),
        data.get(PREFIX_LEN),
        data.get(HEADER_LEN..),
    ) {
        (Some(p), Some(&id), Some(body)) => Ok((p, id, body)),
        _ => Err(WireError::NoHeader(data.len())),
    }
}

/// Message ids owned by the base community (spec §2): new style 231–234, old style
/// 245/246/249/250, and the deprecated Dispersy ids. Subclasses use 0–230.
pub mod msg_id {
    /// puncture (new style), signed + global time.
    pub const PUNCTURE: u8 = 231;
    /// puncture-request (new style), unsigned + global time.
    pub const PUNCTURE_REQUEST: u8 = 232;
    /// introduction-response (new style).
    pub const INTRODUCTION_RESPONSE: u8 = 233;
    /// introduction-request (new style).
    pub const INTRODUCTION_REQUEST: u8 = 234;
    /// Dispersy missing-last-message (deprecated).
    pub const MISSING_LAST_MESSAGE: u8 = 235;
    /// Dispersy dynamic-settings (deprecated).
    pub const DYNAMIC_SETTINGS: u8 = 236;
    /// Dispersy undo-other (deprecated).
    pub const UNDO_OTHER: u8 = 237;
    /// Dispersy undo-own (deprecated).
    pub const UNDO_OWN: u8 = 238;
    /// Dispersy missing-message (deprecated).
    pub const MISSING_MESSAGE: u8 = 239;
    /// Dispersy missing-subjective-set (deprecated).
    pub const MISSING_SUBJECTIVE_SET: u8 = 240;
    /// Dispersy subjective-set (deprecated).
    pub const SUBJECTIVE_SET: u8 = 241;
    /// Dispersy revoke (deprecated).
    pub const REVOKE: u8 = 242;
    /// Dispersy authorize (deprecated).
    pub const AUTHORIZE: u8 = 243;
    /// Dispersy destroy-community (deprecated).
    pub const DESTROY_COMMUNITY: u8 = 244;
    /// introduction-response (old style, IPv4 only).
    pub const INTRODUCTION_RESPONSE_OLD: u8 = 245;
    /// introduction-request (old style, IPv4 only).
    pub const INTRODUCTION_REQUEST_OLD: u8 = 246;
    /// Dispersy missing-identity (deprecated).
    pub const MISSING_IDENTITY: u8 = 247;
    /// Dispersy identity (deprecated).
    pub const IDENTITY: u8 = 248;
    /// puncture (old style).
    pub const PUNCTURE_OLD: u8 = 249;
    /// puncture-request (old style), unsigned + global time.
    pub const PUNCTURE_REQUEST_OLD: u8 = 250;
    /// Dispersy signature-response (deprecated).
    pub const SIGNATURE_RESPONSE: u8 = 251;
    /// Dispersy signature-request (deprecated).
    pub const SIGNATURE_REQUEST: u8 = 252;
    /// Dispersy missing-proof (deprecated).
    pub const MISSING_PROOF: u8 = 253;
    /// Dispersy missing-sequence (deprecated).
    pub const MISSING_SEQUENCE: u8 = 254;
    /// Dispersy reserved-255 (deprecated).
    pub const RESERVED_255: u8 = 255;
    /// The lowest reserved id; ids below it are free for subclasses.
    pub const FIRST_RESERVED: u8 = 231;
}

/// py-ipv8's name of a reserved message id (231–255), `None` for 0–230.
pub fn reserved_name(id: u8) -> Option<&'static str> {
    Some(match id {
        231 => "puncture",
        232 => "puncture-request",
        233 => "introduction-response",
        234 => "introduction-request",
        235 => "missing-last-message",
        236 => "dynamic-settings",
        237 => "undo-other",
        238 => "undo-own",
        239 => "missing-message",
        240 => "missing-subjective-set",
        241 => "subjective-set",
        242 => "revoke",
        243 => "authorize",
        244 => "destroy-community",
        245 => "introduction-response (old)",
        246 => "introduction-request (old)",
        247 => "missing-identity",
        248 => "identity",
        249 => "puncture (old)",
        250 => "puncture-request (old)",
        251 => "signature-response",
        252 => "signature-request",
        253 => "missing-proof",
        254 => "missing-sequence",
        255 => "reserved-255",
        _ => return None,
    })
}

/// A message body: a typed [`Serializable`] or already-encoded bytes (`[u8]`).
pub trait Body {
    /// Append the body bytes.
    fn write_body(&self, out: &mut Vec<u8>);
}

impl<T: Serializable> Body for T {
    fn write_body(&self, out: &mut Vec<u8>) {
        self.pack(out)
    }
}

impl Body for [u8] {
    fn write_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self)
    }
}

/// Expected size of a message before the body, to size buffers once.
fn header_capacity(key_len: usize) -> usize {
    HEADER_LEN + 2 + key_len + 8 + 64 + 64
}

/// Build a signed message (spec §3.1 with `Some(global_time)`, §3.2 with `None`):
/// prefix ‖ id ‖ varlenH(public_key_bin) ‖ [u64 global time] ‖ payload ‖
/// `sign(everything before)`.
///
/// A key longer than 65535 bytes is truncated in the length field (no real key is).
pub fn pack_signed<B: Body + ?Sized>(
    prefix: &Prefix,
    msg_id: u8,
    public_key_bin: &[u8],
    global_time: Option<u64>,
    payload: &B,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_capacity(public_key_bin.len()));
    out.extend_from_slice(prefix);
    out.push(msg_id);
    super::formats::pack_varlen(public_key_bin, 2, 1, &mut out);
    if let Some(t) = global_time {
        out.extend_from_slice(&t.to_be_bytes());
    }
    payload.write_body(&mut out);
    let signature = sign(&out);
    out.extend_from_slice(&signature);
    out
}

/// Build an unsigned message (spec §3.3 with `Some(global_time)`, §3.4 with `None`).
pub fn pack_unsigned<B: Body + ?Sized>(
    prefix: &Prefix,
    msg_id: u8,
    global_time: Option<u64>,
    payload: &B,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 8 + 64);
    out.extend_from_slice(prefix);
    out.push(msg_id);
    if let Some(t) = global_time {
        out.extend_from_slice(&t.to_be_bytes());
    }
    payload.write_body(&mut out);
    out
}

/// The parts of a received signed message, borrowed from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedParts<'a> {
    /// The 22-byte prefix.
    pub prefix: &'a Prefix,
    /// The message id.
    pub msg_id: u8,
    /// The sender's public key bin (from the `varlenH` at offset 23).
    pub key_bin: &'a [u8],
    /// The global time, if the envelope has one.
    pub global_time: Option<u64>,
    /// The payload bytes (between the header(s) and the signature). Decode with
    /// [`decode_exact`](super::decode_exact): all bytes must be consumed.
    pub payload: &'a [u8],
    /// The bytes the signature covers (everything before it).
    pub signed_data: &'a [u8],
    /// The signature.
    pub signature: &'a [u8],
}

/// Split a signed message (spec §3.5 steps 1–3). `sig_len` gets the key bin and
/// returns the key's signature length (64 for LibNaCL keys) or an error
/// (conventionally [`WireError::BadKey`]) if the key does not parse. The signature
/// itself is not checked here.
pub fn parse_signed(
    data: &[u8],
    has_global_time: bool,
    sig_len: impl FnOnce(&[u8]) -> Result<usize, WireError>,
) -> Result<SignedParts<'_>, WireError> {
    let (prefix, msg_id, body) = split_header(data)?;
    let mut r = Reader::new(body);
    let key_len = usize::from(r.u16()?);
    let key_bin = r.take(key_len)?;
    let global_time = if has_global_time {
        Some(r.u64()?)
    } else {
        None
    };
    let sig_len = sig_len(key_bin)?;
    let start = HEADER_LEN + r.position();
    let sig_start = data
        .len()
        .checked_sub(sig_len)
        .filter(|&s| s >= start)
        .ok_or(WireError::NoSignature { sig_len })?;
    let (signed_data, signature) = data.split_at(sig_start);
    let payload = signed_data
        .get(start..)
        .ok_or(WireError::NoSignature { sig_len })?;
    Ok(SignedParts {
        prefix,
        msg_id,
        key_bin,
        global_time,
        payload,
        signed_data,
        signature,
    })
}

/// The parts of a received unsigned message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsignedParts<'a> {
    /// The 22-byte prefix.
    pub prefix: &'a Prefix,
    /// The message id.
    pub msg_id: u8,
    /// The global time, if the envelope has one.
    pub global_time: Option<u64>,
    /// The payload bytes (to the end of the packet).
    pub payload: &'a [u8],
}

/// Split an unsigned message (spec §3.3/§3.4).
pub fn parse_unsigned(data: &[u8], has_global_time: bool) -> Result<UnsignedParts<'_>, WireError> {
    let (prefix, msg_id, body) = split_header(data)?;
    let mut r = Reader::new(body);
    let global_time = if has_global_time {
        Some(r.u64()?)
    } else {
        None
    };
    Ok(UnsignedParts {
        prefix,
        msg_id,
        global_time,
        payload: r.rest(),
    })
}

/// The UDP-broadcast bootstrap beacon header: version `00 00`, magic "IPv8", type
/// 0x00 announce (spec §11.3; py-ipv8 `ipv8/bootstrapping/udpbroadcast/bootstrapper.py`).
pub const BEACON_HEADER: [u8; 7] = [0x00, 0x00, b'I', b'P', b'v', b'8', 0x00];

/// The 29-byte beacon for a community prefix.
pub fn broadcast_beacon(prefix: &Prefix) -> [u8; 29] {
    let mut b = [0u8; 29];
    b[..7].copy_from_slice(&BEACON_HEADER);
    b[7..].copy_from_slice(prefix);
    b
}

/// If `data` is exactly a beacon, the prefix it announces.
pub fn parse_beacon(data: &[u8]) -> Option<&Prefix> {
    if data.len() != 29 || data.get(..7)? != BEACON_HEADER {
        return None;
    }
    data.get(7..)?.try_into().ok()
}
