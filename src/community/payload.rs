//! Payloads of the base Community's peer-discovery messages (spec §6; py-ipv8
//! `ipv8/messaging/payload.py`) and of DiscoveryCommunity (spec §10; py-ipv8
//! `ipv8/peerdiscovery/payload.py`).
//!
//! Envelopes (spec §2): introduction-request/-response and puncture are signed with
//! global time; puncture-requests and DiscoveryCommunity ping/pong are unsigned with
//! global time; similarity-request/-response are signed with global time.
//!
//! Flag bytes are kept bit for bit (so every packet re-encodes identically) in named
//! fields; helpers give py-ipv8's interpretation.

use std::net::{SocketAddr, SocketAddrV4};

use crate::wire::{BitFlags, Payload};

/// DiscoveryCommunity's community id (spec §2).
pub const DISCOVERY_COMMUNITY_ID: [u8; 20] = [
    0x7e, 0x31, 0x36, 0x85, 0xc1, 0x91, 0x2a, 0x14, 0x12, 0x79, 0xf8, 0x24, 0x8f, 0xc8, 0xdb, 0x58,
    0x99, 0xc5, 0xdf, 0x5a,
];

/// NAT connection type from the two connection-type bits (spec §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionType {
    /// (0, 0).
    Unknown,
    /// (1, 0).
    Public,
    /// (1, 1).
    SymmetricNat,
    /// (0, 1): not a valid combination.
    NotApplicable,
}

impl ConnectionType {
    /// From (bit 0x80, bit 0x40).
    pub fn from_bits(bit0: bool, bit1: bool) -> Self {
        match (bit0, bit1) {
            (false, false) => ConnectionType::Unknown,
            (true, false) => ConnectionType::Public,
            (true, true) => ConnectionType::SymmetricNat,
            (false, true) => ConnectionType::NotApplicable,
        }
    }

    /// The (bit 0x80, bit 0x40) pair.
    pub fn to_bits(self) -> (bool, bool) {
        match self {
            ConnectionType::Unknown => (false, false),
            ConnectionType::Public => (true, false),
            ConnectionType::SymmetricNat => (true, true),
            ConnectionType::NotApplicable => (false, true),
        }
    }

    /// py-ipv8's name (`"unknown"`, `"public"`, `"symmetric-NAT"`).
    pub fn name(self) -> &'static str {
        match self {
            ConnectionType::Unknown => "unknown",
            ConnectionType::Public => "public",
            ConnectionType::SymmetricNat => "symmetric-NAT",
            ConnectionType::NotApplicable => "N/A",
        }
    }
}

/// Implements [`BitFlags`] for a struct of 8 `bool` fields, first field = bit 0x80.
macro_rules! bit_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name { $($(#[$fm])* pub $f: bool,)* }
        impl BitFlags for $name {
            fn to_bits(&self) -> [bool; 8] { [$(self.$f),*] }
            fn from_bits(bits: [bool; 8]) -> Self {
                let [$($f),*] = bits;
                $name { $($f),* }
            }
        }
    };
}

bit_struct! {
    /// Flags of an introduction-request, old (246) and new (234) style (spec §6.1).
    IntroRequestFlags {
        /// 0x80: connection type bit 0.
        connection_type_0,
        /// 0x40: connection type bit 1.
        connection_type_1,
        /// 0x20: the sender supports new-style messages.
        supports_new_style,
        /// 0x10: unused.
        dflag1,
        /// 0x08: unused.
        dflag2,
        /// 0x04: "tunnel" (unused).
        tunnel,
        /// 0x02: "sync" (unused).
        sync,
        /// 0x01: the advice bit **as on the wire**. py-ipv8 sets it in old-style
        /// requests and, decoding, reports `advice = not bit` (spec §6.1); nothing uses
        /// it. See [`IntroRequestFlags::py_ipv8_advice`].
        advice_bit,
    }
}

impl IntroRequestFlags {
    /// The connection type.
    pub fn connection_type(&self) -> ConnectionType {
        ConnectionType::from_bits(self.connection_type_0, self.connection_type_1)
    }

    /// Flags of an old-style (246) request as py-ipv8 sends it: only the advice bit
    /// (`0x01`; spec §6.1).
    pub const OLD_STYLE_SENT: IntroRequestFlags = IntroRequestFlags {
        connection_type_0: false,
        connection_type_1: false,
        supports_new_style: false,
        dflag1: false,
        dflag2: false,
        tunnel: false,
        sync: false,
        advice_bit: true,
    };

    /// What py-ipv8 reports as `advice` for an **old-style** request: the inverse of
    /// the wire bit (spec §6.1 quirk; new-style requests report the bit as is).
    pub fn py_ipv8_advice(&self) -> bool {
        !self.advice_bit
    }
}

bit_struct! {
    /// Flags of an old-style introduction-response (245, spec §6.3).
    IntroResponseFlags {
        /// 0x80: connection type bit 0.
        connection_type_0,
        /// 0x40: connection type bit 1.
        connection_type_1,
        /// 0x20: unused.
        dflag0,
        /// 0x10: the responder supports new-style messages (1 as sent).
        supports_new_style,
        /// 0x08: the introduced peer is known to be new-style.
        intro_supports_new_style,
        /// 0x04: the responder has reached max_peers.
        peer_limit_reached,
        /// 0x02: unused.
        dflag1,
        /// 0x01: unused.
        dflag2,
    }
}

impl IntroResponseFlags {
    /// The connection type.
    pub fn connection_type(&self) -> ConnectionType {
        ConnectionType::from_bits(self.connection_type_0, self.connection_type_1)
    }
}

bit_struct! {
    /// Flags of a new-style introduction-response (233, spec §6.4).
    NewIntroResponseFlags {
        /// 0x80: the introduced peer is known to be new-style.
        intro_supports_new_style,
        /// 0x40: unused.
        flag1,
        /// 0x20: unused.
        flag2,
        /// 0x10: unused.
        flag3,
        /// 0x08: unused.
        flag4,
        /// 0x04: unused.
        flag5,
        /// 0x02: unused.
        flag6,
        /// 0x01: unused.
        flag7,
    }
}

bit_struct! {
    /// Flags of a similarity-request: the connection type, rest unused (spec §10).
    ConnectionTypeFlags {
        /// 0x80: connection type bit 0.
        connection_type_0,
        /// 0x40: connection type bit 1.
        connection_type_1,
        /// 0x20: unused.
        flag2,
        /// 0x10: unused.
        flag3,
        /// 0x08: unused.
        flag4,
        /// 0x04: unused.
        flag5,
        /// 0x02: unused.
        flag6,
        /// 0x01: unused.
        flag7,
    }
}

impl ConnectionTypeFlags {
    /// The connection type.
    pub fn connection_type(&self) -> ConnectionType {
        ConnectionType::from_bits(self.connection_type_0, self.connection_type_1)
    }
}

/// introduction-request, old style (246, spec §6.1): IPv4 only.
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 246)]
pub struct IntroductionRequestOld {
    /// How the sender sees the receiver.
    pub destination_address: SocketAddrV4,
    /// The sender's estimated LAN address.
    pub source_lan_address: SocketAddrV4,
    /// The sender's estimated WAN address.
    pub source_wan_address: SocketAddrV4,
    /// Flags (`0x01` as sent).
    #[wire(format = "bits")]
    pub flags: IntroRequestFlags,
    /// Global time mod 65536.
    pub identifier: u16,
    /// Piggybacked data (TunnelCommunity: 2 bytes of peer flags).
    #[wire(format = "raw")]
    pub extra_bytes: Vec<u8>,
}

/// introduction-request, new style (234, spec §6.2): identifier **before** flags.
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 234)]
pub struct IntroductionRequest {
    /// How the sender sees the receiver.
    pub destination_address: SocketAddr,
    /// The sender's estimated LAN address.
    pub source_lan_address: SocketAddr,
    /// The sender's preferred address (spec §6.7).
    pub source_wan_address: SocketAddr,
    /// Global time mod 65536.
    pub identifier: u16,
    /// Flags (all 0 as sent).
    #[wire(format = "bits")]
    pub flags: IntroRequestFlags,
    /// Piggybacked data.
    #[wire(format = "raw")]
    pub extra_bytes: Vec<u8>,
}

/// introduction-response, old style (245, spec §6.3).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 245)]
pub struct IntroductionResponseOld {
    /// The requester's address as seen by the responder.
    pub destination_address: SocketAddrV4,
    /// The responder's estimated LAN address.
    pub source_lan_address: SocketAddrV4,
    /// The responder's estimated WAN address.
    pub source_wan_address: SocketAddrV4,
    /// The introduced peer's LAN address, or 0.0.0.0:0.
    pub lan_introduction_address: SocketAddrV4,
    /// The introduced peer's WAN address, or 0.0.0.0:0.
    pub wan_introduction_address: SocketAddrV4,
    /// Flags.
    #[wire(format = "bits")]
    pub flags: IntroResponseFlags,
    /// Copied from the request.
    pub identifier: u16,
    /// Piggybacked data.
    #[wire(format = "raw")]
    pub extra_bytes: Vec<u8>,
}

/// introduction-response, new style (233, spec §6.4): identifier before flags.
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 233)]
pub struct IntroductionResponse {
    /// The requester's address as seen by the responder.
    pub destination_address: SocketAddr,
    /// The responder's estimated LAN address.
    pub source_lan_address: SocketAddr,
    /// The responder's preferred address.
    pub source_wan_address: SocketAddr,
    /// The introduced peer's LAN address, or 0.0.0.0:0.
    pub lan_introduction_address: SocketAddr,
    /// The introduced peer's WAN address, or 0.0.0.0:0.
    pub wan_introduction_address: SocketAddr,
    /// Copied from the request.
    pub identifier: u16,
    /// Flags.
    #[wire(format = "bits")]
    pub flags: NewIntroResponseFlags,
    /// Piggybacked data.
    #[wire(format = "raw")]
    pub extra_bytes: Vec<u8>,
}

/// puncture-request, old style (250, spec §6.5; unsigned with global time).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 250)]
pub struct PunctureRequestOld {
    /// How the requester saw the responder (the request's destination_address).
    pub lan_walker_address: SocketAddrV4,
    /// The requester's address.
    pub wan_walker_address: SocketAddrV4,
    /// The request's identifier.
    pub identifier: u16,
}

/// puncture-request, new style (232).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 232)]
pub struct PunctureRequest {
    /// How the requester saw the responder.
    pub lan_walker_address: SocketAddr,
    /// The requester's address.
    pub wan_walker_address: SocketAddr,
    /// The request's identifier.
    pub identifier: u16,
}

/// puncture, old style (249, spec §6.6; signed with global time).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 249)]
pub struct PunctureOld {
    /// Our estimated LAN address.
    pub source_lan_address: SocketAddrV4,
    /// The puncture-request's wan_walker_address (spec §6.7).
    pub source_wan_address: SocketAddrV4,
    /// Copied from the puncture-request.
    pub identifier: u16,
}

/// puncture, new style (231).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 231)]
pub struct Puncture {
    /// Our estimated LAN address.
    pub source_lan_address: SocketAddr,
    /// The puncture-request's wan_walker_address.
    pub source_wan_address: SocketAddr,
    /// Copied from the puncture-request.
    pub identifier: u16,
}

/// DiscoveryCommunity similarity-request (1, signed with global time; spec §10).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 1)]
pub struct SimilarityRequest {
    /// Global time mod 65536.
    pub identifier: u16,
    /// Our LAN address.
    pub lan_address: SocketAddrV4,
    /// Our WAN address.
    pub wan_address: SocketAddrV4,
    /// Connection type (0x00 as sent).
    #[wire(format = "bits")]
    pub flags: ConnectionTypeFlags,
    /// Concatenated 20-byte community ids (`raw`); see
    /// [`SimilarityRequest::preference_ids`].
    #[wire(format = "raw")]
    pub preference_list: Vec<u8>,
}

impl SimilarityRequest {
    /// The community ids in `preference_list` (py-ipv8 slices every 20 bytes, so a
    /// trailing partial id is returned short, as py-ipv8 does).
    pub fn preference_ids(&self) -> impl Iterator<Item = &[u8]> {
        self.preference_list.chunks(20)
    }

    /// Concatenate community ids into a `preference_list`.
    pub fn encode_preference_list(ids: &[[u8; 20]]) -> Vec<u8> {
        ids.concat()
    }
}

/// DiscoveryCommunity similarity-response (2, signed with global time).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 2)]
pub struct SimilarityResponse {
    /// Copied from the request.
    pub identifier: u16,
    /// Our community ids (`varlenHx20`).
    #[wire(format = "varlenHx20")]
    pub preference_list: Vec<[u8; 20]>,
    /// Repeated (20-byte id, u32), always empty in py-ipv8 (`raw`).
    #[wire(format = "raw")]
    pub tb_overlap: Vec<u8>,
}

/// DiscoveryCommunity ping (3, unsigned with global time).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 3)]
pub struct DiscoveryPing {
    /// Global time mod 65536.
    pub identifier: u16,
}

/// DiscoveryCommunity pong (4, unsigned with global time).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 4)]
pub struct DiscoveryPong {
    /// Copied from the ping.
    pub identifier: u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::decode_exact;
    use crate::wire::Serializable;

    #[test]
    fn old_request_flags_byte_is_advice_bit() {
        let mut out = Vec::new();
        <crate::wire::formats::Bits as crate::wire::Format<IntroRequestFlags>>::pack(
            &IntroRequestFlags::OLD_STYLE_SENT,
            &mut out,
        );
        assert_eq!(out, [0x01]);
        assert!(!IntroRequestFlags::OLD_STYLE_SENT.py_ipv8_advice());
    }

    #[test]
    fn ping_roundtrip() {
        let p = DiscoveryPing { identifier: 0x03ea };
        assert_eq!(p.to_bytes(), [0x03, 0xea]);
        assert_eq!(decode_exact::<DiscoveryPing>(&[0x03, 0xea]).unwrap(), p);
    }
}
