//! [`InteropCommunity`]: the small overlay the py-ipv8 interop tests talk to
//! (`tests/interop/interop_community.py`, `tests/interop/README.md`).
//!
//! Community id = the 20 ASCII bytes `ipv8sim interop test`; one custom message,
//! [`InteropMessage`] (msg_id 1), sent with `ez_send` (signed, no global time, spec §3.2)
//! and carrying one field of each of twelve py-ipv8 formats. Registered in the
//! [`Registry`](super::registry::Registry) as `InteropCommunity`, so `ipv8sim node` can
//! run it from a configuration file.

use crate::community::{Community, CommunityBase, CommunityExt, CommunitySettings};
use crate::discovery::{KeyBin, Peer};
use crate::wire::Payload;
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

/// The interop overlay's community id: `ipv8sim interop test`.
pub const INTEROP_COMMUNITY_ID: [u8; 20] = *b"ipv8sim interop test";

/// The custom message: py-ipv8 `VariablePayload` with format list
/// `["I", "q", "d", "?", "H", "Q", "varlenH", "varlenHutf8", "ipv4", "ip_address",
/// "varlenH-list", "arrayH-q"]` (tests/interop/README.md).
#[derive(Payload, Debug, Clone, PartialEq)]
#[payload(msg_id = 1)]
pub struct InteropMessage {
    /// `I`: u32.
    #[wire(format = "I")]
    pub counter: u32,
    /// `q`: i64.
    #[wire(format = "q")]
    pub delta: i64,
    /// `d`: binary64.
    #[wire(format = "d")]
    pub ratio: f64,
    /// `?`: bool.
    #[wire(format = "?")]
    pub flag: bool,
    /// `H`: u16.
    #[wire(format = "H")]
    pub port: u16,
    /// `Q`: u64.
    #[wire(format = "Q")]
    pub big: u64,
    /// `varlenH`: bytes.
    #[wire(format = "varlenH")]
    pub blob: Vec<u8>,
    /// `varlenHutf8`: text.
    #[wire(format = "varlenHutf8")]
    pub text: String,
    /// `ipv4`: IPv4 address and port.
    #[wire(format = "ipv4")]
    pub v4: SocketAddrV4,
    /// `ip_address`: typed IPv4/IPv6 address and port.
    #[wire(format = "ip_address")]
    pub addr: SocketAddr,
    /// `varlenH-list`: list of byte strings.
    #[wire(format = "varlenH-list")]
    pub items: Vec<Vec<u8>>,
    /// `arrayH-q`: native (little-endian) array of i64.
    #[wire(format = "arrayH-q")]
    pub numbers: Vec<i64>,
}

impl InteropMessage {
    /// The fixed test values every sender uses (`TEST_VALUES` of interop_community.py).
    pub fn test_values() -> Self {
        InteropMessage {
            counter: 3_000_000_000,
            delta: -1_234_567_890_123,
            ratio: -2.75,
            flag: true,
            port: 65535,
            big: u64::MAX,
            blob: vec![0x00, 0x01, 0x02, 0xff],
            text: "h\u{e9}llo, ipv8 \u{2713}".into(),
            v4: SocketAddrV4::new(Ipv4Addr::new(10, 1, 2, 3), 6421),
            addr: SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 8090),
            items: vec![b"a".to_vec(), Vec::new(), vec![0x00, 0xff]],
            numbers: vec![1, -1, 4_611_686_018_427_387_904],
        }
    }

    /// The values in py_peer.py's JSON form: bytes as lowercase hex, addresses as
    /// `[host, port]`, keys sorted.
    pub fn to_json(&self) -> Value {
        json!({
            "addr": [self.addr.ip().to_string(), self.addr.port()],
            "big": self.big,
            "blob": hex::encode(&self.blob),
            "counter": self.counter,
            "delta": self.delta,
            "flag": self.flag,
            "items": self.items.iter().map(hex::encode).collect::<Vec<_>>(),
            "numbers": self.numbers,
            "port": self.port,
            "ratio": self.ratio,
            "text": self.text,
            "v4": [self.v4.ip().to_string(), self.v4.port()],
        })
    }
}

/// One received [`InteropMessage`], verified.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMessage {
    /// The sender's public key bin.
    pub from: KeyBin,
    /// Where it came from.
    pub address: SocketAddr,
    /// The decoded message.
    pub message: InteropMessage,
}

/// A plain community with the interop id and the custom message handler (see the
/// module docs). Received messages queue up in [`InteropCommunity::take_received`].
pub struct InteropCommunity {
    base: CommunityBase<Self>,
    received: Vec<ReceivedMessage>,
}

/// At most this many received messages are kept until taken (house rule 9).
pub const MAX_QUEUED: usize = 1024;

impl InteropCommunity {
    /// The community, with its message handler.
    pub fn new(settings: CommunitySettings) -> Self {
        let mut c = InteropCommunity {
            base: CommunityBase::new(INTEROP_COMMUNITY_ID, settings),
            received: Vec::new(),
        };
        // A fresh community has no handler for id 1: registering cannot fail.
        let r = c.add_message_handler(|c: &mut Self, peer: &Peer, msg: InteropMessage| {
            if c.received.len() < MAX_QUEUED {
                c.received.push(ReceivedMessage {
                    from: peer.key_bin().clone(),
                    address: peer.address(),
                    message: msg,
                });
            }
        });
        debug_assert!(r.is_ok());
        c
    }

    /// Send the test message to `peer` (py: `send_test_message`).
    pub fn send_test_message(&self, peer: &Peer) {
        self.ez_send(peer, &InteropMessage::test_values());
    }

    /// The messages received since the last call.
    pub fn take_received(&mut self) -> Vec<ReceivedMessage> {
        std::mem::take(&mut self.received)
    }
}

impl Community for InteropCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{decode_exact, Serializable};

    /// The body bytes documented in tests/interop/README.md (made by pyipv8 3.2.1).
    const BODY_HEX: &str = concat!(
        "b2d05e00fffffee08e04fb35c00600000000000001ffffffffffffffffffff0004000102ff001068c3a96c6c6f2c",
        "206970763820e29c930a010203191503000000000000000000000000000000011f9a030001610000000200ff0300",
        "0100000000000000ffffffffffffffff0000000000000040"
    );

    #[test]
    fn test_values_encode_to_pyipv8_bytes() {
        let body = InteropMessage::test_values().to_bytes();
        assert_eq!(hex::encode(&body), BODY_HEX);
        assert_eq!(body.len(), 116);
        let back: InteropMessage = decode_exact(&hex::decode(BODY_HEX).unwrap()).unwrap();
        assert_eq!(back, InteropMessage::test_values());
    }

    #[test]
    fn json_form_matches_py_peer() {
        let expected: Value = serde_json::from_str(
            r#"{"addr": ["::1", 8090], "big": 18446744073709551615, "blob": "000102ff", "counter": 3000000000,
 "delta": -1234567890123, "flag": true, "items": ["61", "", "00ff"],
 "numbers": [1, -1, 4611686018427387904], "port": 65535, "ratio": -2.75,
 "text": "h\u00e9llo, ipv8 \u2713", "v4": ["10.1.2.3", 6421]}"#,
        )
        .unwrap();
        assert_eq!(InteropMessage::test_values().to_json(), expected);
    }

    #[test]
    fn truncated_bodies_are_errors() {
        let body = hex::decode(BODY_HEX).unwrap();
        for n in 0..body.len() {
            assert!(decode_exact::<InteropMessage>(&body[..n]).is_err(), "{n}");
        }
    }
}
