//! [`Peer`]: a public key with addresses and liveness bookkeeping
//! (py-ipv8 `ipv8/peer.py`, spec §8).
//!
//! Peers are identified by their public key bin (two peers are equal when their key
//! bins are equal). A `Peer` is a value: the [`Network`](super::Network) holds the
//! authoritative copy of a verified peer, and hands out clones.

use crate::runtime::{Duration, Instant};
use sha1::{Digest, Sha1};
use std::borrow::Borrow;
use std::collections::VecDeque;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ops::Deref;
use std::sync::Arc;

/// A public key in py-ipv8's key-bin format (`LibNaCLPK:` … or DER), shared cheaply:
/// one pointer (8 bytes, where an `Arc<[u8]>` takes 16) to the bin and its member id,
/// computed once when the key is first seen. Every peer store of a simulation holds
/// one per known peer, so its size is paid tens of times per node; the simulation's
/// [`KeyCache`](crate::community::KeyCache) hands out one shared copy per identity.
///
/// It hashes, compares and orders as its bytes, so maps keyed by it are looked up
/// with a plain `&[u8]`.
#[derive(Clone)]
pub struct KeyBin(Arc<KeyData>);

struct KeyData {
    mid: Mid,
    bin: Bytes,
}

/// Key bins up to this long are stored inside [`KeyData`] (a curve25519 bin is 74
/// bytes), so hashing or comparing a key reads one allocation, not two: in a large
/// simulation every peer-table and key-cache look-up lands on a cold key.
const INLINE: usize = 80;

enum Bytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Bytes {
    fn new(bin: &[u8]) -> Self {
        match u8::try_from(bin.len()) {
            Ok(len) if bin.len() <= INLINE => {
                let mut buf = [0u8; INLINE];
                buf.iter_mut().zip(bin).for_each(|(d, s)| *d = *s);
                Bytes::Inline { len, buf }
            }
            _ => Bytes::Heap(bin.into()),
        }
    }

    /// As [`Bytes::new`], but a long bin keeps its allocation.
    fn from_box(bin: Box<[u8]>) -> Self {
        if bin.len() <= INLINE {
            Bytes::new(&bin)
        } else {
            Bytes::Heap(bin)
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            // `len <= INLINE` by construction; the fallback is never taken.
            Bytes::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Bytes::Heap(b) => b,
        }
    }
}

impl KeyBin {
    /// A shared copy of `bin`.
    pub fn new(bin: &[u8]) -> Self {
        KeyBin(Arc::new(KeyData {
            mid: mid_of(bin),
            bin: Bytes::new(bin),
        }))
    }

    /// The member id (SHA-1 of the bin).
    pub fn mid(&self) -> &Mid {
        &self.0.mid
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.bin.as_slice()
    }
}

impl From<Box<[u8]>> for KeyBin {
    fn from(bin: Box<[u8]>) -> Self {
        let bytes = Bytes::from_box(bin);
        KeyBin(Arc::new(KeyData {
            mid: mid_of(bytes.as_slice()),
            bin: bytes,
        }))
    }
}

impl From<Vec<u8>> for KeyBin {
    fn from(bin: Vec<u8>) -> Self {
        KeyBin::from(bin.into_boxed_slice())
    }
}

impl From<&[u8]> for KeyBin {
    fn from(bin: &[u8]) -> Self {
        KeyBin::new(bin)
    }
}

impl Deref for KeyBin {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0.bin.as_slice()
    }
}

impl AsRef<[u8]> for KeyBin {
    fn as_ref(&self) -> &[u8] {
        self.0.bin.as_slice()
    }
}

impl Borrow<[u8]> for KeyBin {
    fn borrow(&self) -> &[u8] {
        self.0.bin.as_slice()
    }
}

impl PartialEq for KeyBin {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.bin.as_slice() == other.0.bin.as_slice()
    }
}

impl Eq for KeyBin {}

impl Hash for KeyBin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `[u8]` hashes, for `Borrow<[u8]>` lookups.
        self.0.bin.as_slice().hash(state)
    }
}

impl PartialOrd for KeyBin {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyBin {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.bin.as_slice().cmp(other.0.bin.as_slice())
    }
}

impl fmt::Debug for KeyBin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBin({})", hex::encode(self.0.bin.as_slice()))
    }
}

/// A 20-byte member id: SHA-1 of the public key bin (spec §5.3).
pub type Mid = [u8; 20];

/// A 20-byte community (service) id.
pub type ServiceId = [u8; 20];

/// The "no address" address py-ipv8 uses: `0.0.0.0:0`.
pub const NULL_ADDRESS: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::UNSPECIFIED,
    0,
));

/// `Peer::last_response` for "never".
const NEVER: u64 = u64::MAX;

/// How many ping round-trip times a peer remembers (py-ipv8: `deque(maxlen=5)`).
pub const MAX_PINGS: usize = 5;

/// `mid` of a key bin.
pub fn mid_of(key_bin: &[u8]) -> Mid {
    let digest = Sha1::digest(key_bin);
    let mut mid = [0u8; 20];
    mid.copy_from_slice(&digest);
    mid
}

/// The addresses of a peer, one per address type (py-ipv8 keys `Peer.addresses` by
/// the address class: `UDPv4Address`, `UDPv4LANAddress`, `UDPv6Address`). Each field
/// has its family's type, the rare IPv6 one boxed: 24 bytes, where three
/// `Option<SocketAddr>` take 96 (every peer store holds one per known peer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerAddresses {
    /// The IPv4 (WAN / source) address.
    pub v4: Option<SocketAddrV4>,
    /// The IPv4 LAN address the peer reported in an introduction-request.
    pub v4_lan: Option<SocketAddrV4>,
    /// The IPv6 address.
    pub v6: Option<Box<SocketAddrV6>>,
}

impl PeerAddresses {
    /// Every address, in a fixed order (v4, LAN, v6).
    pub fn iter(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        [
            self.v4.map(SocketAddr::V4),
            self.v4_lan.map(SocketAddr::V4),
            self.v6.as_deref().map(|a| SocketAddr::V6(*a)),
        ]
        .into_iter()
        .flatten()
    }

    /// Whether `addr` is one of these addresses (value equality, as in py-ipv8).
    pub fn contains(&self, addr: &SocketAddr) -> bool {
        match addr {
            SocketAddr::V4(a) => self.v4.as_ref() == Some(a) || self.v4_lan.as_ref() == Some(a),
            SocketAddr::V6(a) => self.v6.as_deref() == Some(a),
        }
    }

    /// Merge `other` into `self` (py-ipv8 `addresses.update(other.addresses)`).
    pub fn update(&mut self, other: &PeerAddresses) {
        if other.v4.is_some() {
            self.v4 = other.v4;
        }
        if other.v4_lan.is_some() {
            self.v4_lan = other.v4_lan;
        }
        if other.v6.is_some() {
            self.v6.clone_from(&other.v6);
        }
    }
}

/// A peer: public key, addresses, and what we know of its liveness.
#[derive(Clone)]
pub struct Peer {
    key: KeyBin,
    addresses: PeerAddresses,
    /// When this `Peer` object was created.
    pub creation_time: Instant,
    /// When we last heard from it, in nanoseconds; [`NEVER`] is py-ipv8's `0`
    /// ("never", for peers learned from a message rather than from their own
    /// contact). A plain `u64` where `Option<Instant>` takes 16 bytes.
    last_response: u64,
    lamport_timestamp: u64,
    /// Boxed: most peers are never pinged, and an empty `VecDeque` is 32 bytes (a
    /// `Box` is 8).
    #[allow(clippy::box_collection)]
    pings: Option<Box<VecDeque<Duration>>>,
    /// Whether it speaks new-style (IPv6-capable) introductions.
    pub new_style_intro: bool,
    /// When set, `add_address` leaves the addresses alone.
    pub address_frozen: bool,
    /// Bookkeeping of the [`Network`](super::network::Network) that stores this
    /// record (its indexing stamp and verified flag), kept here because these five
    /// bytes fit in the record's padding: a stored peer costs 72 bytes either way, in
    /// every node of a simulation. Meaningless outside that store; not part of
    /// equality (which is by key).
    pub(crate) store_indexed: u32,
    pub(crate) store_verified: bool,
}

impl Peer {
    /// A peer for `key` first seen at `address` (py-ipv8 `Peer(key, address)` with
    /// `intro=True`: `last_response` is "never").
    pub fn new(key: KeyBin, address: SocketAddr, now: Instant) -> Self {
        let mut p = Peer {
            key,
            addresses: PeerAddresses::default(),
            creation_time: now,
            last_response: NEVER,
            lamport_timestamp: 0,
            pings: None,
            new_style_intro: false,
            address_frozen: false,
            store_indexed: 0,
            store_verified: false,
        };
        p.add_address(address);
        p
    }

    /// A peer with no address yet.
    pub fn without_address(key: KeyBin, now: Instant) -> Self {
        Peer {
            key,
            addresses: PeerAddresses::default(),
            creation_time: now,
            last_response: NEVER,
            lamport_timestamp: 0,
            pings: None,
            new_style_intro: false,
            address_frozen: false,
            store_indexed: 0,
            store_verified: false,
        }
    }

    /// The public key bin.
    pub fn key_bin(&self) -> &KeyBin {
        &self.key
    }

    /// The member id (SHA-1 of the key bin).
    pub fn mid(&self) -> &Mid {
        self.key.mid()
    }

    /// All known addresses.
    pub fn addresses(&self) -> &PeerAddresses {
        &self.addresses
    }

    /// Mutable access to the addresses (bypasses `address_frozen`).
    pub fn addresses_mut(&mut self) -> &mut PeerAddresses {
        &mut self.addresses
    }

    /// The preferred address: IPv6 if known, else IPv4, else `0.0.0.0:0`. The LAN
    /// address is never preferred (spec §8).
    pub fn address(&self) -> SocketAddr {
        match (self.addresses.v6.as_deref(), self.addresses.v4) {
            (Some(a), _) => SocketAddr::V6(*a),
            (None, Some(a)) => SocketAddr::V4(a),
            (None, None) => NULL_ADDRESS,
        }
    }

    /// Record an address of the peer's WAN/IPv6 type (py-ipv8 `Peer.add_address`):
    /// an IPv4 address replaces the IPv4 entry, an IPv6 one the IPv6 entry.
    pub fn add_address(&mut self, address: SocketAddr) {
        if self.address_frozen {
            return;
        }
        match address {
            SocketAddr::V4(a) => self.addresses.v4 = Some(a),
            SocketAddr::V6(a) => self.addresses.v6 = Some(Box::new(a)),
        }
    }

    /// Record the LAN address reported by the peer (`UDPv4LANAddress`). py-ipv8's LAN
    /// address class is IPv4 only, and so are its callers (the introduction handlers
    /// pass only IPv4 LAN addresses): an IPv6 address is ignored.
    pub fn set_lan_address(&mut self, address: SocketAddr) {
        if self.address_frozen {
            return;
        }
        if let SocketAddr::V4(a) = address {
            self.addresses.v4_lan = Some(a);
        }
    }

    /// Record a ping round-trip time (keeps the last [`MAX_PINGS`]).
    pub fn add_ping(&mut self, rtt: Duration) {
        let pings = self
            .pings
            .get_or_insert_with(|| Box::new(VecDeque::with_capacity(MAX_PINGS)));
        if pings.len() == MAX_PINGS {
            pings.pop_front();
        }
        pings.push_back(rtt);
    }

    /// The remembered ping round-trip times, oldest first.
    pub fn pings(&self) -> impl Iterator<Item = &Duration> {
        self.pings.iter().flat_map(|p| p.iter())
    }

    /// Number of remembered pings.
    pub fn ping_count(&self) -> usize {
        self.pings.as_ref().map_or(0, |p| p.len())
    }

    /// Median ping (mean of the middle two for an even count), if any.
    pub fn median_ping(&self) -> Option<Duration> {
        let mut v: Vec<Duration> = self.pings().copied().collect();
        v.sort();
        let n = v.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => v.get(n / 2).copied(),
            _ => Some((*v.get(n / 2 - 1)? + *v.get(n / 2)?) / 2),
        }
    }

    /// Lamport clock update on a received timestamp (py-ipv8 `update_clock`): also
    /// marks the peer as having responded now.
    pub fn update_clock(&mut self, timestamp: u64, now: Instant) {
        self.lamport_timestamp = self.lamport_timestamp.max(timestamp);
        self.set_last_response(now);
    }

    /// When we last heard from it (`None`: never, py-ipv8's `0`).
    pub fn last_response(&self) -> Option<Instant> {
        (self.last_response != NEVER).then(|| Instant::from_nanos(self.last_response))
    }

    /// We heard from it at `t`.
    pub fn set_last_response(&mut self, t: Instant) {
        // `Instant::MAX` would read back as "never"; virtual and real clocks stay far
        // below it (584 years).
        self.last_response = t.as_nanos().min(NEVER - 1);
    }

    /// The highest Lamport timestamp seen from this peer.
    pub fn lamport_timestamp(&self) -> u64 {
        self.lamport_timestamp
    }
}

impl PartialEq for Peer {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Peer {}

impl Hash for Peer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.mid().hash(state)
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Peer<{}, {}>",
            self.address(),
            hex::encode(&self.key.mid()[..8])
        )
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short bins (stored inline) and long ones (on the heap) read back, compare, hash
    /// and order as their bytes, whichever constructor made them.
    #[test]
    fn key_bins_inline_and_on_the_heap_behave_as_their_bytes() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |h: &dyn Fn(&mut DefaultHasher)| {
            let mut s = DefaultHasher::new();
            h(&mut s);
            s.finish()
        };
        for len in [0, 1, 74, INLINE, INLINE + 1, 158] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let a = KeyBin::new(&bytes);
            let b = KeyBin::from(bytes.clone());
            let c = KeyBin::from(bytes.clone().into_boxed_slice());
            for k in [&a, &b, &c] {
                assert_eq!(k.as_bytes(), &bytes[..], "len {len}");
                assert_eq!(**k, bytes[..]);
                assert_eq!(*k.mid(), mid_of(&bytes));
                assert_eq!(hash(&|s| k.hash(s)), hash(&|s| bytes[..].hash(s)));
            }
            assert!(a == b && b == c);
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(a < KeyBin::new(&longer) && a != KeyBin::new(&longer));
        }
    }

    #[test]
    fn a_key_bin_is_one_pointer_and_a_peer_72_bytes() {
        // Every peer store holds one `Peer` and one or two key bins per known peer.
        assert_eq!(std::mem::size_of::<KeyBin>(), 8);
        assert_eq!(std::mem::size_of::<Peer>(), 72);
    }

    #[test]
    fn key_bin_hashes_compares_and_orders_as_its_bytes() {
        use std::collections::HashMap;
        let a = KeyBin::new(b"LibNaCLPK:aaaa");
        let b = KeyBin::from(b"LibNaCLPK:aaaa".to_vec());
        assert_eq!(a, b);
        assert_eq!(a.mid(), &mid_of(b"LibNaCLPK:aaaa"));
        let mut m = HashMap::new();
        m.insert(a.clone(), 1);
        assert_eq!(m.get(&b"LibNaCLPK:aaaa"[..]), Some(&1));
        let c = KeyBin::new(b"LibNaCLPK:aaab");
        assert!(a < c && a != c);
    }

    #[test]
    fn last_response_round_trips_and_never_is_none() {
        let mut p = Peer::new(KeyBin::new(b"k"), NULL_ADDRESS, Instant::ZERO);
        assert_eq!(p.last_response(), None);
        p.set_last_response(Instant::ZERO);
        assert_eq!(p.last_response(), Some(Instant::ZERO));
        p.set_last_response(Instant::from_secs(7));
        assert_eq!(p.last_response(), Some(Instant::from_secs(7)));
        p.set_last_response(Instant::MAX);
        assert!(p.last_response().is_some());
    }
}
