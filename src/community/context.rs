//! [`NodeContext`]: the state one IPv8 instance shares among its overlays — the
//! clock reading, the [`Network`], the node's seeded RNG, the outbox of datagrams and
//! the counters. Overlays hold it as [`Shared`] (`Rc<RefCell<_>>`); a borrow never
//! outlives one call, so handlers can freely send and query.

pub use super::sigservice::{CryptoCounts, KeyCache};
use crate::discovery::Network;
use crate::runtime::Instant;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

/// A node's seeded RNG, kept as its position in the ChaCha8 stream: 56 bytes, where
/// a `ChaCha8Rng` holds a 256-byte output buffer (320 bytes in every node of a
/// simulation, most of which draw a few numbers a second). [`NodeRng::with`] rebuilds
/// the generator at that position (one ChaCha8 block batch, ~0.1 µs), runs the caller
/// and keeps the new position, so the values drawn are exactly those of one
/// long-lived `ChaCha8Rng` (`node_rng_draws_as_one_generator`).
#[derive(Clone, Debug)]
pub struct NodeRng {
    seed: [u8; 32],
    stream: u64,
    /// `get_word_pos()`, low and high halves (a `u128` field would align the struct
    /// to 16 bytes).
    pos: [u64; 2],
}

impl NodeRng {
    /// Continues `rng` from where it is.
    pub fn new(rng: &ChaCha8Rng) -> Self {
        let mut r = NodeRng {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            pos: [0; 2],
        };
        r.set_pos(rng.get_word_pos());
        r
    }

    fn set_pos(&mut self, pos: u128) {
        // (Truncations intended: the two halves of the 128-bit position.)
        self.pos = [pos as u64, (pos >> 64) as u64];
    }

    /// Run `f` with the generator at this RNG's position, then keep its new one.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        let pos = u128::from(self.pos[0]) | u128::from(self.pos[1]) << 64;
        if pos != 0 {
            rng.set_word_pos(pos);
        }
        let r = f(&mut rng);
        self.set_pos(rng.get_word_pos());
        r
    }
}

/// Each draw on its own (prefer [`NodeRng::with`] for several: each call here
/// rebuilds the generator).
impl rand::RngCore for NodeRng {
    fn next_u32(&mut self) -> u32 {
        self.with(|r| r.next_u32())
    }

    fn next_u64(&mut self) -> u64 {
        self.with(|r| r.next_u64())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.with(|r| r.fill_bytes(dest))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.with(|r| r.try_fill_bytes(dest))
    }
}

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
    pub rng: NodeRng,
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
            rng: NodeRng::new(&rng),
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

#[cfg(test)]
mod node_rng_tests {
    use super::NodeRng;
    use rand::{Rng, RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Draws of every kind and size, split over many `with` calls (so they cross the
    /// generator's 64-word buffer at every offset), equal one generator's.
    #[test]
    fn node_rng_draws_as_one_generator() {
        for seed in 0..8u64 {
            let mut plan = ChaCha8Rng::seed_from_u64(1000 + seed);
            let mut one = ChaCha8Rng::seed_from_u64(seed);
            // Start mid-stream, as a node built from a used generator would.
            let _ = one.next_u32();
            let mut node = NodeRng::new(&one);
            for _ in 0..500 {
                let calls = plan.gen_range(1..4);
                let kinds: Vec<(u8, usize)> = (0..calls)
                    .map(|_| (plan.gen_range(0..5), plan.gen_range(1..40)))
                    .collect();
                let draw = |r: &mut ChaCha8Rng| -> Vec<u64> {
                    let mut out = Vec::new();
                    for &(kind, n) in &kinds {
                        match kind {
                            0 => out.push(u64::from(r.next_u32())),
                            1 => out.push(r.next_u64()),
                            2 => out.push(r.gen_range(0..n as u64)),
                            3 => out.push(r.gen::<f64>().to_bits()),
                            _ => {
                                let mut b = vec![0u8; n];
                                r.fill_bytes(&mut b);
                                out.extend(b.into_iter().map(u64::from));
                            }
                        }
                    }
                    out
                };
                assert_eq!(node.with(draw), draw(&mut one), "seed {seed}");
            }
            assert_eq!(node.with(|r| r.get_word_pos()), one.get_word_pos());
        }
    }

    /// A node RNG is 56 bytes (a `ChaCha8Rng` is 320).
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn node_rng_is_small() {
        assert_eq!(std::mem::size_of::<NodeRng>(), 56);
    }
}
