//! TunnelCommunity wire details that are not crypto (spec §17; py-ipv8
//! `ipv8/messaging/anonymization/payload.py`, `tunnel.py`, `community.py`): the peer
//! flags piggybacked on introductions, the cell layout, and the plaintext CREATE
//! payload. Encryption of cells is the crypto module's job.

use super::envelope::{Prefix, HEADER_LEN, PREFIX_LEN};
use super::error::WireError;
use super::reader::Reader;
use super::Payload;

/// TunnelCommunity / HiddenTunnelCommunity community id.
pub const TUNNEL_COMMUNITY_ID: [u8; 20] = [
    0x81, 0xde, 0xd0, 0x73, 0x32, 0xbd, 0xc7, 0x75, 0xaa, 0x5a, 0x46, 0xf9, 0x6d, 0xe9, 0xf8, 0xf3,
    0x90, 0xbb, 0xc9, 0xf3,
];

/// Peer flags: willing to relay.
pub const PEER_FLAG_RELAY: u16 = 1;
/// Peer flags: BitTorrent exit.
pub const PEER_FLAG_EXIT_BT: u16 = 2;
/// Peer flags: IPv8 exit.
pub const PEER_FLAG_EXIT_IPV8: u16 = 4;
/// Peer flags: speed test.
pub const PEER_FLAG_SPEED_TEST: u16 = 8;
/// The default flags (relay | speed test).
pub const PEER_FLAGS_DEFAULT: u16 = PEER_FLAG_RELAY | PEER_FLAG_SPEED_TEST;

/// The 2 extra introduction bytes: u16 OR of the peer flags (`ExtraIntroductionPayload`).
pub fn peer_flags_extra_bytes(flags: &[u16]) -> [u8; 2] {
    flags.iter().fold(0u16, |a, f| a | f).to_be_bytes()
}

/// Read peer flags from introduction extra bytes (must be exactly the u16).
pub fn parse_peer_flags(extra: &[u8]) -> Result<u16, WireError> {
    let mut r = Reader::new(extra);
    let flags = r.u16()?;
    r.finish()?;
    Ok(flags)
}

/// Socket-level message id of a cell.
pub const CELL_MSG_ID: u8 = 0;
/// Inner message id of create (must be plaintext).
pub const CREATE_MSG_ID: u8 = 2;
/// Inner message id of created (must be plaintext).
pub const CREATED_MSG_ID: u8 = 3;

/// A cell as on the wire: prefix ‖ `00` ‖ circuit_id u32 ‖ plaintext ‖ relay_early ‖
/// message (message = inner id ‖ inner payload without its circuit id; encrypted
/// unless the inner id is create/created).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'a> {
    /// The community prefix.
    pub prefix: &'a Prefix,
    /// The circuit id.
    pub circuit_id: u32,
    /// Whether the message is plaintext.
    pub plaintext: bool,
    /// The relay_early flag.
    pub relay_early: bool,
    /// The (possibly encrypted) message.
    pub message: &'a [u8],
}

/// Build a cell.
pub fn pack_cell(
    prefix: &Prefix,
    circuit_id: u32,
    plaintext: bool,
    relay_early: bool,
    message: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 6 + message.len());
    out.extend_from_slice(prefix);
    out.push(CELL_MSG_ID);
    out.extend_from_slice(&circuit_id.to_be_bytes());
    out.push(u8::from(plaintext));
    out.push(u8::from(relay_early));
    out.extend_from_slice(message);
    out
}

/// Split a cell (byte 22 must be 0).
pub fn parse_cell(data: &[u8]) -> Result<Cell<'_>, WireError> {
    let (prefix, id, body) = super::envelope::split_header(data)?;
    if id != CELL_MSG_ID {
        return Err(WireError::Invalid("not a cell (message id != 0)"));
    }
    let mut r = Reader::new(body);
    let circuit_id = r.u32()?;
    let plaintext = r.u8()? != 0;
    let relay_early = r.u8()? != 0;
    Ok(Cell {
        prefix,
        circuit_id,
        plaintext,
        relay_early,
        message: r.rest(),
    })
}

/// The packet handlers see for a decrypted cell: prefix ‖ inner id ‖ circuit_id ‖
/// rest of the inner payload. `message` is the plaintext message (inner id first).
pub fn unwrap_for_handlers(
    prefix: &Prefix,
    circuit_id: u32,
    message: &[u8],
) -> Result<Vec<u8>, WireError> {
    let mut r = Reader::new(message);
    let inner_id = r.u8()?;
    let rest = r.rest();
    let mut out = Vec::with_capacity(PREFIX_LEN + 5 + rest.len());
    out.extend_from_slice(prefix);
    out.push(inner_id);
    out.extend_from_slice(&circuit_id.to_be_bytes());
    out.extend_from_slice(rest);
    Ok(out)
}

/// The cell message for an inner payload: inner id ‖ payload bytes without the
/// leading 4-byte circuit id. `payload` is the full inner encoding (circuit id first).
pub fn cell_message(inner_id: u8, payload: &[u8]) -> Result<Vec<u8>, WireError> {
    let rest = payload.get(4..).ok_or(WireError::Truncated {
        needed: 4,
        remaining: payload.len(),
    })?;
    let mut out = Vec::with_capacity(1 + rest.len());
    out.push(inner_id);
    out.extend_from_slice(rest);
    Ok(out)
}

/// create (inner id 2): sent plaintext.
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 2)]
pub struct CreatePayload {
    /// The circuit id.
    pub circuit_id: u32,
    /// Request identifier.
    pub identifier: u16,
    /// The initiator's long-term public key bin (`varlenH`).
    pub node_public_key: Vec<u8>,
    /// The ephemeral X25519 public key (`varlenH`).
    pub key: Vec<u8>,
}

/// destroy (socket-level id 8, signed without global time).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 8)]
pub struct DestroyPayload {
    /// The circuit id.
    pub circuit_id: u32,
    /// Reason: 1 unknown, 2 shutdown, 4 unneeded.
    pub reason: u16,
}
