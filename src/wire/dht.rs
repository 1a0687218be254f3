//! DHT wire types (spec §16; py-ipv8 `ipv8/dht/payload.py`, `ipv8/dht/routing.py`):
//! the ten DHT payloads, the `node-list` format, stored-value encoding and node ids.
//!
//! All DHT messages use the signed-without-global-time envelope (spec §3.2) under
//! community id [`DHT_COMMUNITY_ID`].

use std::net::{IpAddr, SocketAddr};

use super::address::{pack_ip_address, unpack_ip_address, Address};
use super::error::WireError;
use super::formats::{pack_varlen, unpack_varlen};
use super::reader::Reader;
use super::serializer::Packer;
use super::traits::{Field, Format};
use super::value::{self as v, Value};
use super::Payload;

/// DHTCommunity / DHTDiscoveryCommunity community id.
pub const DHT_COMMUNITY_ID: [u8; 20] = [
    0x8d, 0x0b, 0xe1, 0x84, 0x5d, 0x74, 0xd1, 0x75, 0xf1, 0x78, 0x19, 0x7c, 0xad, 0x00, 0x15, 0x91,
    0xd0, 0x4d, 0x73, 0xcc,
];

/// One entry of a `node-list`: the node's address and public key bin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhtNode {
    /// The node's address (`ip_address`).
    pub address: SocketAddr,
    /// The node's public key bin (`varlenH`).
    pub public_key: Vec<u8>,
}

/// The `node-list` format: u8 count, then per node `ip_address` + `varlenH` key.
/// Packing keeps at most 255 nodes (keys longer than 65535 bytes are truncated).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeList;

impl NodeList {
    /// The format name to register with [`Serializer::add_packer`](super::Serializer::add_packer).
    pub const NAME: &'static str = "node-list";
}

impl Format<Vec<DhtNode>> for NodeList {
    fn pack(nodes: &Vec<DhtNode>, out: &mut Vec<u8>) {
        let n = nodes.len().min(usize::from(u8::MAX));
        out.push(n as u8);
        for node in nodes.iter().take(n) {
            pack_ip_address(&node.address, out);
            pack_varlen(&node.public_key, 2, 1, out);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<DhtNode>, WireError> {
        let n = usize::from(r.u8()?);
        // Each node is at least 7 (IPv4 ip_address) + 2 (empty key) bytes.
        r.check_items(n, 9)?;
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            let address = unpack_ip_address(r)?;
            let public_key = unpack_varlen(r, 2, 1)?.to_vec();
            nodes.push(DhtNode {
                address,
                public_key,
            });
        }
        Ok(nodes)
    }
}

impl Field for Vec<DhtNode> {
    fn pack_field(&self, out: &mut Vec<u8>) {
        <NodeList as Format<Vec<DhtNode>>>::pack(self, out)
    }
    fn unpack_field(r: &mut Reader<'_>) -> Result<Self, WireError> {
        <NodeList as Format<Vec<DhtNode>>>::unpack(r)
    }
}

/// `node-list` for the dynamic [`Serializer`](super::Serializer): a `List` of
/// `Tuple(Address, Bytes)` (py-ipv8 registers it per DHT community with `add_packer`).
impl Packer for NodeList {
    fn pack(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), WireError> {
        let items = v::seq(value, Self::NAME, None)?;
        let n = u8::try_from(items.len()).map_err(|_| WireError::TooLong {
            format: Self::NAME,
            len: items.len(),
        })?;
        out.push(n);
        for item in items {
            let pair = v::seq(item, Self::NAME, Some(2))?;
            let address: SocketAddr = v::address(v::item(pair, 0, Self::NAME)?, Self::NAME)?
                .try_into()
                .map_err(|_| WireError::BadValue {
                    format: Self::NAME.to_owned(),
                    reason: "node address must be an IP address".to_owned(),
                })?;
            let key = v::bytes(v::item(pair, 1, Self::NAME)?, Self::NAME)?;
            if key.len() > usize::from(u16::MAX) {
                return Err(WireError::TooLong {
                    format: Self::NAME,
                    len: key.len(),
                });
            }
            pack_ip_address(&address, out);
            pack_varlen(key, 2, 1, out);
        }
        Ok(())
    }
    fn unpack(&self, r: &mut Reader<'_>) -> Result<Value, WireError> {
        let nodes = <NodeList as Format<Vec<DhtNode>>>::unpack(r)?;
        Ok(Value::List(
            nodes
                .into_iter()
                .map(|n| {
                    Value::Tuple(vec![
                        Value::Address(Address::from(n.address)),
                        Value::Bytes(n.public_key),
                    ])
                })
                .collect(),
        ))
    }
}

/// The DHT node id of a peer at `ip` with member id `mid` (spec §16): the first 3
/// bytes of the big-endian IEEE CRC-32 of the masked IP (IPv4: `& 03 0f 3f ff`;
/// IPv6: first 8 bytes `& 01 03 07 0f 1f 3f 7f ff`), then the first 17 bytes of `mid`.
/// (py-ipv8 `ipv8/dht/routing.py` `calc_node_id`; it says crc32c but uses zlib's crc32.)
pub fn node_id(ip: IpAddr, mid: &[u8; 20]) -> [u8; 20] {
    let crc = match ip {
        IpAddr::V4(ip) => {
            let mask = [0x03u8, 0x0f, 0x3f, 0xff];
            let o = ip.octets();
            let masked: Vec<u8> = o.iter().zip(mask).map(|(a, m)| a & m).collect();
            crc32fast::hash(&masked)
        }
        IpAddr::V6(ip) => {
            let mask = [0x01u8, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];
            let o = ip.octets();
            let masked: Vec<u8> = o.iter().zip(mask).map(|(a, m)| a & m).collect();
            crc32fast::hash(&masked)
        }
    };
    let mut id = [0u8; 20];
    id[..3].copy_from_slice(&crc.to_be_bytes()[..3]);
    id[3..].copy_from_slice(&mid[..17]);
    id
}

/// A stored DHT value without signature: `00` ‖ data (py-ipv8 `DHT_ENTRY_STR`).
pub fn value_unsigned(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + data.len());
    out.push(0x00);
    out.extend_from_slice(data);
    out
}

/// A decoded stored DHT value (spec §16 "Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhtValue<'a> {
    /// `00` ‖ data.
    Unsigned(&'a [u8]),
    /// `01` ‖ data varlenH ‖ version u32 ‖ key varlenH ‖ signature over all before.
    Signed {
        /// The data.
        data: &'a [u8],
        /// The version (unix time of signing).
        version: u32,
        /// The signer's public key bin.
        public_key: &'a [u8],
        /// Bytes the signature covers.
        signed_data: &'a [u8],
        /// The signature (the rest of the value; its length depends on the key).
        signature: &'a [u8],
    },
}

/// The bytes a signed value's signature covers: `01` ‖ data varlenH ‖ version ‖ key varlenH.
pub fn value_signed_prefix(data: &[u8], version: u32, public_key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 2 + data.len() + 4 + 2 + public_key.len() + 64);
    out.push(0x01);
    pack_varlen(data, 2, 1, &mut out);
    out.extend_from_slice(&version.to_be_bytes());
    pack_varlen(public_key, 2, 1, &mut out);
    out
}

/// Split a stored value (signature not checked).
pub fn parse_value(value: &[u8]) -> Result<DhtValue<'_>, WireError> {
    let mut r = Reader::new(value);
    match r.u8()? {
        0x00 => Ok(DhtValue::Unsigned(r.rest())),
        0x01 => {
            let data = unpack_varlen(&mut r, 2, 1)?;
            let version = r.u32()?;
            let public_key = unpack_varlen(&mut r, 2, 1)?;
            let (signed_data, signature) = value.split_at(r.position());
            Ok(DhtValue::Signed {
                data,
                version,
                public_key,
                signed_data,
                signature,
            })
        }
        _ => Err(WireError::Invalid("unknown DHT value type byte")),
    }
}

/// ping-request (id 1).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 1)]
pub struct PingRequest {
    /// Request identifier (u32 on the wire; 16-bit random in practice).
    pub identifier: u32,
}

/// ping-response (id 2).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 2)]
pub struct PingResponse {
    /// Copied from the request.
    pub identifier: u32,
}

/// store-request (id 3).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 3)]
pub struct StoreRequest {
    /// Request identifier.
    pub identifier: u32,
    /// Token from an earlier find-response (`20s`).
    pub token: [u8; 20],
    /// Key to store under (`20s`).
    pub target: [u8; 20],
    /// Values (`varlenH-list`).
    pub values: Vec<Vec<u8>>,
}

/// store-response (id 4).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 4)]
pub struct StoreResponse {
    /// Copied from the request.
    pub identifier: u32,
}

/// find-request (id 5).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 5)]
pub struct FindRequest {
    /// Request identifier.
    pub identifier: u32,
    /// The requester's LAN address (`ip_address`).
    pub lan_address: SocketAddr,
    /// The key or node id looked up (`20s`).
    pub target: [u8; 20],
    /// Offset into the stored values.
    pub offset: u32,
    /// Return nodes even if values are stored.
    pub force_nodes: bool,
}

/// find-response (id 6).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 6)]
pub struct FindResponse {
    /// Copied from the request.
    pub identifier: u32,
    /// Token for a later store (`20s`).
    pub token: [u8; 20],
    /// Stored values (`varlenH-list`).
    pub values: Vec<Vec<u8>>,
    /// Closer nodes (`node-list`).
    #[wire(format = "node-list")]
    pub nodes: Vec<DhtNode>,
}

/// store-peer-request (id 7, DHTDiscoveryCommunity).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 7)]
pub struct StorePeerRequest {
    /// Request identifier.
    pub identifier: u32,
    /// Token (`20s`).
    pub token: [u8; 20],
    /// The mid to store (`20s`).
    pub target: [u8; 20],
}

/// store-peer-response (id 8).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 8)]
pub struct StorePeerResponse {
    /// Copied from the request.
    pub identifier: u32,
}

/// connect-peer-request (id 9).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 9)]
pub struct ConnectPeerRequest {
    /// Request identifier.
    pub identifier: u32,
    /// The requester's LAN address (`ip_address`).
    pub lan_address: SocketAddr,
    /// The mid to connect to (`20s`).
    pub target: [u8; 20],
}

/// connect-peer-response (id 10).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 10)]
pub struct ConnectPeerResponse {
    /// Copied from the request.
    pub identifier: u32,
    /// Nodes storing the peer (`node-list`).
    pub nodes: Vec<DhtNode>,
}
