//! [`NodeContext`]: the state one IPv8 instance shares among its overlays — the
//! clock reading, the [`Network`], the node's seeded RNG, the outbox of datagrams and
//! the counters. Overlays hold it as [`Shared`] (`Rc<RefCell<_>>`); a borrow never
//! outlives one call, so handlers can freely send and query.

pub use super::sigservice::{CryptoCounts, KeyCache};
use crate::discovery::Network;
use crate::runtime::Instant;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

/// The node state shared by its overlays.
pub type Shared = Rc<RefCell<NodeContext>>;

/// A datagram the node wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// To one address, from the node's main socket.
    To(SocketAddr, Vec<u8>),
    /// To every host of the local broadcast domain (py-ipv8's UDP broadcast
    /// bootstrapper sends from a separate socket to 255.255.255.255).
    Broadcast(Vec<u8>),
}

/// Why a received datagram was dropped (counted per node, never a panic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// No local overlay has the packet's 22-byte prefix.
    UnknownCommunity,
    /// Shorter than prefix + message id.
    NoHeader,
    /// No handler for the message id.
    UnknownMessage,
    /// A deprecated Dispersy message id (logged and ignored, as py-ipv8 does).
    Deprecated,
    /// The sender's public key does not parse.
    BadKey,
    /// The signature does not verify.
    BadSignature,
    /// The payload does not decode, or leaves trailing bytes.
    Malformed,
    /// Introduction-request or similarity-response dropped because we have too many peers.
    TooManyPeers,
    /// A response matched no pending request (late, replayed or forged).
    NoCache,
    /// The handler refused it for another reason.
    Refused,
}

impl DropReason {
    /// All reasons, in report order.
    pub const ALL: [DropReason; 10] = [
        DropReason::UnknownCommunity,
        DropReason::NoHeader,
        DropReason::UnknownMessage,
        DropReason::Deprecated,
        DropReason::BadKey,
        DropReason::BadSignature,
        DropReason::Malformed,
        DropReason::TooManyPeers,
        DropReason::NoCache,
        DropReason::Refused,
    ];

    /// A short name for reports (`drop:<name>` columns).
    pub fn name(self) -> &'static str {
        match self {
            DropReason::UnknownCommunity => "unknown_community",
            DropReason::NoHeader => "no_header",
            DropReason::UnknownMessage => "unknown_message",
            DropReason::Deprecated => "deprecated",
            DropReason::BadKey => "bad_key",
            DropReason::BadSignature => "bad_signature",
            DropReason::Malformed => "malformed",
            DropReason::TooManyPeers => "too_many_peers",
            DropReason::NoCache => "no_cache",
            DropReason::Refused => "refused",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl From<crate::wire::WireError> for DropReason {
    fn from(_: crate::wire::WireError) -> Self {
        DropReason::Malformed
    }
}

/// Per-node counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Datagrams handed to the endpoint.
    pub msgs_sent: u64,
    /// Bytes handed to the endpoint.
    pub bytes_sent: u64,
    /// Datagrams received (routed to this node).
    pub msgs_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Signatures made.
    pub signs: u64,
    /// Signatures verified (attempted).
    pub verifies: u64,
    drops: [u64; 10],
}

impl NodeStats {
    /// Count a dropped datagram.
    pub fn drop(&mut self, reason: DropReason) {
        if let Some(c) = self.drops.get_mut(reason.index()) {
            *c += 1;
        }
    }

    /// Dropped datagrams for a reason.
    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops.get(reason.index()).copied().unwrap_or(0)
    }
}

/// What one IPv8 instance's overlays share.
pub struct NodeContext {
    /// The current time (set by the node before every input).
    pub now: Instant,
    /// The shared peer store.
    pub network: Network,
    /// The node's seeded RNG (all protocol randomness).
    pub rng: ChaCha8Rng,
    /// Datagrams to send, drained by the node's driver.
    pub out: Vec<Outgoing>,
    /// Counters.
    pub stats: NodeStats,
    /// This machine's LAN interface addresses (py-ipv8 `address_is_lan`).
    pub lan_ips: Vec<IpAddr>,
    /// The address the endpoint is bound to (`0.0.0.0:0` while closed).
    pub local_address: SocketAddr,
    /// Whether the endpoint is open; sending while closed is a no-op.
    pub endpoint_open: bool,
    /// Shared parsed-key cache.
    pub keys: Rc<RefCell<KeyCache>>,
}

impl NodeContext {
    /// A context with an empty network.
    pub fn new(rng: ChaCha8Rng, keys: Rc<RefCell<KeyCache>>) -> Self {
        NodeContext {
            now: Instant::ZERO,
            network: Network::new(),
            rng,
            out: Vec::new(),
            stats: NodeStats::default(),
            lan_ips: Vec::new(),
            local_address: crate::discovery::NULL_ADDRESS,
            endpoint_open: false,
            keys,
        }
    }

    /// Queue a datagram (dropped silently while the endpoint is closed, as py-ipv8).
    pub fn send(&mut self, to: SocketAddr, data: Vec<u8>) {
        if !self.endpoint_open {
            return;
        }
        self.stats.msgs_sent += 1;
        self.stats.bytes_sent += data.len() as u64;
        self.out.push(Outgoing::To(to, data));
    }

    /// Queue a broadcast datagram.
    pub fn broadcast(&mut self, data: Vec<u8>) {
        if !self.endpoint_open {
            return;
        }
        self.out.push(Outgoing::Broadcast(data));
    }
}
