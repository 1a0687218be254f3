//! Discovery strategies (py-ipv8 `ipv8/peerdiscovery/discovery.py`, `churn.py`,
//! `community.py`; spec §9): [`RandomWalk`], [`EdgeWalk`], [`RandomChurn`],
//! [`PeriodicSimilarity`].
//!
//! A strategy sees its overlay through [`WalkOverlay`] (implemented by every
//! community), so this module knows nothing of packets. The node calls
//! [`DiscoveryStrategy::take_step`] every `walker_interval` unless the overlay already
//! has its target number of peers. Time is the overlay's clock (virtual in a
//! simulation); py-ipv8 reads the wall clock here.

use super::network::Network;
use super::peer::{KeyBin, Peer};
use super::sets::AddrKey;
use crate::runtime::{Duration, Instant};
use indexmap::IndexMap;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};
use rustc_hash::FxBuildHasher;
use std::net::SocketAddr;

/// What a discovery strategy needs from the overlay it walks for.
pub trait WalkOverlay {
    /// The current time.
    fn now(&self) -> Instant;
    /// Run `f` on the shared [`Network`].
    fn with_network<R>(&mut self, f: impl FnOnce(&mut Network) -> R) -> R;
    /// Run `f` on the node's seeded RNG.
    fn with_rng<R>(&mut self, f: impl FnOnce(&mut dyn RngCore) -> R) -> R;
    /// Verified peers serving this overlay.
    fn get_peers(&self) -> Vec<Peer>;
    /// Number of verified peers serving this overlay.
    fn peer_count(&self) -> usize;
    /// Addresses known for this overlay that are not peers yet.
    fn get_walkable_addresses(&mut self) -> Vec<SocketAddr>;
    /// Send an introduction-request to `address`.
    fn walk_to(&mut self, address: SocketAddr);
    /// Ask `from` (or a random peer, or the bootstrappers) for an introduction.
    fn get_new_introduction(&mut self, from: Option<&Peer>);
    /// Contact the bootstrappers.
    fn bootstrap(&mut self);
}

/// Overlays that can ping peers and ask for similarity (the `DiscoveryCommunity`).
pub trait PingOverlay: WalkOverlay {
    /// Send a ping to `peer` and measure the round trip.
    fn send_ping(&mut self, peer: &Peer);
    /// Send a similarity-request to `address`.
    fn send_similarity_request(&mut self, address: SocketAddr);
}

/// A peer discovery strategy (py-ipv8 `DiscoveryStrategy`).
pub trait DiscoveryStrategy<O: ?Sized> {
    /// One step, called each tick while the overlay is below its target.
    fn take_step(&mut self, overlay: &mut O);
    /// The strategy's py-ipv8 class name.
    fn name(&self) -> &'static str;
}

fn choose<T: Copy>(v: &[T], rng: &mut dyn RngCore) -> Option<T> {
    v.choose(rng).copied()
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

// ----- RandomWalk ----------------------------------------------------------------------

/// Walk to random walkable addresses (py-ipv8 `RandomWalk`, spec §9.2).
pub struct RandomWalk {
    /// Outstanding walks (py-ipv8 `intro_timeouts`, a dict): address and when, in
    /// insertion order. A plain list: it holds at most `window_size` entries, or
    /// `node_timeout / walker_interval` (expired ones go before each step), and an
    /// idle node keeps its last few (an `IndexMap` cost ~450 bytes per node here).
    intro_timeouts: Vec<(AddrKey, Instant)>,
    /// An address not answering within this time is forgotten.
    pub node_timeout: Duration,
    /// Maximum outstanding walks (0 = unlimited).
    pub window_size: usize,
    /// Chance in 256 to ask a peer for an introduction instead of walking.
    pub reset_chance: u32,
    /// Minimum time between steps (zero = every tick).
    pub target_interval: Duration,
    last_step: Option<Instant>,
}

impl Default for RandomWalk {
    fn default() -> Self {
        Self::new(3.0, 5, 50, 0.0)
    }
}

impl RandomWalk {
    /// py-ipv8 defaults: `RandomWalk(timeout=3.0, window_size=5, reset_chance=50, target_interval=0)`.
    pub fn new(timeout: f64, window_size: usize, reset_chance: u32, target_interval: f64) -> Self {
        RandomWalk {
            intro_timeouts: Vec::new(),
            node_timeout: secs(timeout),
            window_size,
            reset_chance,
            target_interval: secs(target_interval),
            last_step: None,
        }
    }

    /// Addresses walked to and not yet timed out.
    pub fn outstanding(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.intro_timeouts.iter().map(|(a, _)| a.get())
    }

    fn is_outstanding(&self, address: &SocketAddr) -> bool {
        self.intro_timeouts.iter().any(|(a, _)| a.get() == *address)
    }
}

impl<O: WalkOverlay + ?Sized> DiscoveryStrategy<O> for RandomWalk {
    fn take_step(&mut self, o: &mut O) {
        let now = o.now();
        // Sanitize unreachable nodes.
        let expired: Vec<SocketAddr> = self
            .intro_timeouts
            .iter()
            .filter(|(_, t)| *t + self.node_timeout < now)
            .map(|(a, _)| a.get())
            .collect();
        if !expired.is_empty() {
            // (`IndexMap::shift_remove` of each: the others keep their order.)
            let timeout = self.node_timeout;
            self.intro_timeouts.retain(|(_, t)| *t + timeout >= now);
        }
        for a in expired {
            o.with_network(|n| {
                if n.verified_by_address(&a).is_none() {
                    n.remove_by_address(&a);
                }
            });
        }
        if !self.target_interval.is_zero() {
            if let Some(last) = self.last_step {
                if last + self.target_interval >= now {
                    return;
                }
            }
        }
        if self.window_size > 0 && self.intro_timeouts.len() >= self.window_size {
            return;
        }
        let available: Vec<SocketAddr> = o
            .get_walkable_addresses()
            .into_iter()
            .filter(|a| !self.is_outstanding(a))
            .collect();
        let reset = self.reset_chance;
        let pick = if available.is_empty() {
            None
        } else {
            o.with_rng(|rng| {
                if rng.gen_range(0..=255u32) >= reset {
                    choose(&available, rng)
                } else {
                    None
                }
            })
        };
        match pick {
            Some(a) => {
                o.walk_to(a);
                // (`a` is not outstanding: `available` excludes those.)
                if self.intro_timeouts.len() == self.intro_timeouts.capacity() {
                    // Room for the whole window at once, not a doubling.
                    let room = self.window_size.saturating_sub(self.intro_timeouts.len());
                    self.intro_timeouts.reserve_exact(room.max(1));
                }
                self.intro_timeouts.push((AddrKey::from(a), now));
            }
            None => o.get_new_introduction(None),
        }
        self.last_step = Some(now);
    }

    fn name(&self) -> &'static str {
        "RandomWalk"
    }
}

// ----- EdgeWalk ------------------------------------------------------------------------

/// Depth-first walks from a neighbourhood of roots (py-ipv8 `EdgeWalk`, spec §9.3).
pub struct EdgeWalk {
    neighborhood: Vec<Peer>,
    /// Finished edges (root first).
    pub complete_edges: Vec<Vec<Peer>>,
    under_construction: IndexMap<KeyBin, Vec<Peer>, FxBuildHasher>,
    last_edge_responses: IndexMap<KeyBin, Instant, FxBuildHasher>,
    /// Edge length at which we teleport home.
    pub edge_length: usize,
    /// Number of roots.
    pub neighborhood_size: usize,
    /// An edge not growing for this long is closed.
    pub edge_timeout: Duration,
}

impl Default for EdgeWalk {
    fn default() -> Self {
        Self::new(4, 6, 3.0)
    }
}

impl EdgeWalk {
    /// py-ipv8 defaults: `EdgeWalk(edge_length=4, neighborhood_size=6, edge_timeout=3.0)`.
    pub fn new(edge_length: usize, neighborhood_size: usize, edge_timeout: f64) -> Self {
        EdgeWalk {
            neighborhood: Vec::new(),
            complete_edges: Vec::new(),
            under_construction: IndexMap::default(),
            last_edge_responses: IndexMap::default(),
            edge_length,
            neighborhood_size,
            edge_timeout: secs(edge_timeout),
        }
    }

    /// The current roots.
    pub fn neighborhood(&self) -> &[Peer] {
        &self.neighborhood
    }

    /// Edges being grown, by root key.
    pub fn edges_under_construction(&self) -> impl Iterator<Item = &Vec<Peer>> {
        self.under_construction.values()
    }
}

impl<O: WalkOverlay + ?Sized> DiscoveryStrategy<O> for EdgeWalk {
    fn take_step(&mut self, o: &mut O) {
        let now = o.now();
        if self.neighborhood.is_empty() || self.neighborhood.len() < self.neighborhood_size {
            // Wait for our immediate neighbourhood to be discovered.
            self.neighborhood = o
                .get_peers()
                .into_iter()
                .take(self.neighborhood_size)
                .collect();
            o.bootstrap();
            for a in o
                .get_walkable_addresses()
                .into_iter()
                .take(self.neighborhood_size)
            {
                o.walk_to(a);
            }
            return;
        }
        let available: Vec<usize> = (0..self.neighborhood.len())
            .filter(|i| {
                self.neighborhood
                    .get(*i)
                    .is_some_and(|p| !self.under_construction.contains_key(p.key_bin()))
            })
            .collect();
        let root = o
            .with_rng(|rng| choose(&available, rng))
            .and_then(|i| self.neighborhood.get(i).cloned());
        if let Some(root) = root {
            // As many growing edges as roots.
            self.under_construction
                .insert(root.key_bin().clone(), vec![root.clone()]);
            self.last_edge_responses.insert(root.key_bin().clone(), now);
            o.get_new_introduction(Some(&root));
            return;
        }
        // Check whether the introduced peers have answered yet.
        let mut completed = Vec::new();
        let roots: Vec<KeyBin> = self.under_construction.keys().cloned().collect();
        for root in roots {
            let Some(last) = self
                .under_construction
                .get(&root)
                .and_then(|e| e.last())
                .cloned()
            else {
                continue;
            };
            let mut introductions: Vec<Peer> = Vec::new();
            let intros = o.with_network(|n| n.introductions_from(last.key_bin()));
            for a in intros {
                match o.with_network(|n| n.verified_by_address(&a).cloned()) {
                    Some(p) => introductions.push(p),
                    None => o.walk_to(a),
                }
            }
            if !introductions.is_empty() {
                self.last_edge_responses.insert(root.clone(), now);
                let next = o.with_rng(|rng| introductions.choose(rng).cloned());
                let Some(next) = next else { continue };
                let Some(edge) = self.under_construction.get_mut(&root) else {
                    continue;
                };
                edge.push(next.clone());
                if edge.len() == self.edge_length {
                    // Maximum depth: teleport home.
                    self.complete_edges.push(edge.clone());
                    completed.push(root);
                } else {
                    o.walk_to(next.address());
                }
            } else if self
                .last_edge_responses
                .get(&root)
                .is_some_and(|t| *t + self.edge_timeout < now)
            {
                // This edge is not growing: close it.
                if let Some(edge) = self.under_construction.get(&root) {
                    if edge.len() > 1 {
                        self.complete_edges.push(edge.clone());
                    }
                }
                completed.push(root);
            }
        }
        for root in completed {
            self.under_construction.shift_remove(&root);
        }
    }

    fn name(&self) -> &'static str {
        "EdgeWalk"
    }
}

// ----- RandomChurn ---------------------------------------------------------------------

/// Ping inactive peers, drop the silent (py-ipv8 `RandomChurn`, spec §9.4).
pub struct RandomChurn {
    pinged: IndexMap<SocketAddr, Instant, FxBuildHasher>,
    /// Peers inspected per step.
    pub sample_size: usize,
    /// Minimum time between pings to one address.
    pub ping_interval: Duration,
    /// Silence after which a peer is pinged.
    pub inactive_time: Duration,
    /// Silence after which a pinged peer is removed.
    pub drop_time: Duration,
}

impl Default for RandomChurn {
    fn default() -> Self {
        Self::new(8, 10.0, 27.5, 57.5)
    }
}

impl RandomChurn {
    /// py-ipv8 defaults: `RandomChurn(sample_size=8, ping_interval=10.0, inactive_time=27.5, drop_time=57.5)`.
    pub fn new(sample_size: usize, ping_interval: f64, inactive_time: f64, drop_time: f64) -> Self {
        RandomChurn {
            pinged: IndexMap::default(),
            sample_size,
            ping_interval: secs(ping_interval),
            inactive_time: secs(inactive_time),
            drop_time: secs(drop_time),
        }
    }

    fn should_drop(&self, p: &Peer, now: Instant) -> bool {
        p.last_response().is_some_and(|t| now > t + self.drop_time)
    }

    fn is_inactive(&self, p: &Peer, now: Instant) -> bool {
        p.last_response()
            .is_some_and(|t| now > t + self.inactive_time)
    }
}

impl<O: PingOverlay + ?Sized> DiscoveryStrategy<O> for RandomChurn {
    fn take_step(&mut self, o: &mut O) {
        let now = o.now();
        let all: Vec<Peer> = o.with_network(|n| n.verified_iter().cloned().collect());
        let k = all.len().min(self.sample_size);
        if k == 0 {
            return;
        }
        let window: Vec<Peer> = o.with_rng(|rng| all.choose_multiple(rng, k).cloned().collect());
        for peer in window {
            let addr = peer.address();
            if self.should_drop(&peer, now) && self.pinged.contains_key(&addr) {
                o.with_network(|n| n.remove_peer(peer.key_bin()));
                self.pinged.shift_remove(&addr);
            } else if self.is_inactive(&peer, now) || peer.ping_count() < super::peer::MAX_PINGS {
                if self
                    .pinged
                    .get(&addr)
                    .is_some_and(|t| now > *t + self.ping_interval)
                {
                    self.pinged.shift_remove(&addr);
                }
                if !self.pinged.contains_key(&addr) {
                    self.pinged.insert(addr, now);
                    o.send_ping(&peer);
                }
            }
        }
    }

    fn name(&self) -> &'static str {
        "RandomChurn"
    }
}

// ----- PeriodicSimilarity --------------------------------------------------------------

/// At most once a second, ask a random verified peer for similarity (spec §9.5).
#[derive(Default)]
pub struct PeriodicSimilarity {
    last_step: Option<Instant>,
}

impl PeriodicSimilarity {
    /// A fresh strategy.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<O: PingOverlay + ?Sized> DiscoveryStrategy<O> for PeriodicSimilarity {
    fn take_step(&mut self, o: &mut O) {
        let now = o.now();
        if self
            .last_step
            .is_some_and(|t| now - t < Duration::from_secs(1))
        {
            return;
        }
        let all: Vec<SocketAddr> =
            o.with_network(|n| n.verified_iter().map(Peer::address).collect());
        if all.is_empty() {
            return;
        }
        self.last_step = Some(now);
        if let Some(a) = o.with_rng(|rng| choose(&all, rng)) {
            o.send_similarity_request(a);
        }
    }

    fn name(&self) -> &'static str {
        "PeriodicSimilarity"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const S: [u8; 20] = [5; 20];

    /// A fake overlay that records what strategies ask of it.
    struct Mock {
        now: Instant,
        net: Network,
        rng: ChaCha8Rng,
        walked: Vec<SocketAddr>,
        intro_from: Vec<Option<KeyBin>>,
        bootstraps: usize,
        pings: Vec<SocketAddr>,
        similarity: Vec<SocketAddr>,
    }

    impl Mock {
        fn new() -> Self {
            Mock {
                now: Instant::from_secs(100),
                net: Network::new(),
                rng: ChaCha8Rng::seed_from_u64(1),
                walked: vec![],
                intro_from: vec![],
                bootstraps: 0,
                pings: vec![],
                similarity: vec![],
            }
        }
    }

    impl WalkOverlay for Mock {
        fn now(&self) -> Instant {
            self.now
        }
        fn with_network<R>(&mut self, f: impl FnOnce(&mut Network) -> R) -> R {
            f(&mut self.net)
        }
        fn with_rng<R>(&mut self, f: impl FnOnce(&mut dyn RngCore) -> R) -> R {
            f(&mut self.rng)
        }
        fn get_peers(&self) -> Vec<Peer> {
            self.net.peers_for_service(&S)
        }
        fn peer_count(&self) -> usize {
            self.net.count_peers_for_service(&S)
        }
        fn get_walkable_addresses(&mut self) -> Vec<SocketAddr> {
            self.net.walkable_addresses(Some(&S), false)
        }
        fn walk_to(&mut self, address: SocketAddr) {
            self.walked.push(address);
        }
        fn get_new_introduction(&mut self, from: Option<&Peer>) {
            self.intro_from.push(from.map(|p| p.key_bin().clone()));
        }
        fn bootstrap(&mut self) {
            self.bootstraps += 1;
        }
    }

    impl PingOverlay for Mock {
        fn send_ping(&mut self, peer: &Peer) {
            self.pings.push(peer.address());
        }
        fn send_similarity_request(&mut self, address: SocketAddr) {
            self.similarity.push(address);
        }
    }

    fn key(n: u8) -> KeyBin {
        KeyBin::from(vec![n; 74])
    }
    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([1, 2, 3, n], 1000))
    }
    fn add_peer(m: &mut Mock, n: u8) -> Peer {
        let p = Peer::new(key(n), addr(n), m.now);
        m.net.add_verified_peer(p.clone());
        m.net.discover_services(p.key_bin(), &[S]);
        p
    }

    #[test]
    fn random_walk_walks_and_times_out() {
        let mut m = Mock::new();
        let a = add_peer(&mut m, 1);
        for n in 10..14 {
            m.net.discover_address(&a, addr(n), Some(S), false);
        }
        let mut w = RandomWalk::new(3.0, 5, 0, 0.0); // reset_chance 0: always walk if possible
        for _ in 0..4 {
            w.take_step(&mut m);
        }
        let mut walked = m.walked.clone();
        walked.sort();
        assert_eq!(
            walked,
            (10..14).map(addr).collect::<Vec<_>>(),
            "each walkable address once"
        );
        // Nothing left to walk to: ask for an introduction instead.
        w.take_step(&mut m);
        assert_eq!(m.intro_from, vec![None]);
        // After the timeout, unanswered addresses are removed from the network.
        m.now += Duration::from_secs(4);
        w.take_step(&mut m);
        assert_eq!(w.outstanding().count(), 0);
        assert!(!m.net.is_known_address(&addr(10)));
        // The window limits outstanding walks.
        for n in 20..30 {
            m.net.discover_address(&a, addr(n), Some(S), false);
        }
        let mut w = RandomWalk::new(3.0, 2, 0, 0.0);
        let before = m.walked.len();
        for _ in 0..5 {
            w.take_step(&mut m);
        }
        assert_eq!(m.walked.len() - before, 2);
    }

    #[test]
    fn edge_walk_resets_to_its_root_after_edge_length() {
        let mut m = Mock::new();
        let mut w = EdgeWalk::new(3, 1, 3.0);
        // No neighbourhood yet: bootstrap.
        w.take_step(&mut m);
        assert_eq!(m.bootstraps, 1);
        let root = add_peer(&mut m, 1);
        w.take_step(&mut m);
        assert_eq!(w.neighborhood().len(), 1);
        // Start an edge at the root: ask the root for an introduction.
        w.take_step(&mut m);
        assert_eq!(m.intro_from, vec![Some(root.key_bin().clone())]);
        // The root introduced peer 2, which answered (is verified): the edge grows.
        let p2 = add_peer(&mut m, 2);
        m.net.discover_address(&root, addr(2), Some(S), false);
        w.take_step(&mut m);
        assert_eq!(m.walked.last(), Some(&addr(2)));
        // Peer 2 introduced peer 3: edge reaches length 3 and is complete.
        add_peer(&mut m, 3);
        m.net.discover_address(&p2, addr(3), Some(S), false);
        w.take_step(&mut m);
        assert_eq!(w.complete_edges.len(), 1);
        assert_eq!(w.complete_edges[0].len(), 3);
        assert_eq!(w.edges_under_construction().count(), 0);
        // Teleport home: the next step starts again at the root.
        w.take_step(&mut m);
        assert_eq!(m.intro_from.last(), Some(&Some(root.key_bin().clone())));
    }

    #[test]
    fn edge_walk_closes_stalled_edges() {
        let mut m = Mock::new();
        let mut w = EdgeWalk::new(4, 1, 3.0);
        add_peer(&mut m, 1);
        w.take_step(&mut m);
        w.take_step(&mut m);
        w.take_step(&mut m);
        assert_eq!(w.edges_under_construction().count(), 1);
        m.now += Duration::from_secs(4);
        w.take_step(&mut m);
        assert_eq!(w.edges_under_construction().count(), 0);
        assert!(w.complete_edges.is_empty(), "a root-only edge is not kept");
    }

    #[test]
    fn random_churn_pings_then_removes_the_silent() {
        let mut m = Mock::new();
        let p = add_peer(&mut m, 1);
        m.net.update_peer(p.key_bin(), |p| {
            p.set_last_response(Instant::from_secs(100))
        });
        let mut c = RandomChurn::default();
        // Fewer than 5 pings measured: ping it.
        c.take_step(&mut m);
        assert_eq!(m.pings, vec![addr(1)]);
        // Within the ping interval: no second ping.
        m.now += Duration::from_secs(5);
        c.take_step(&mut m);
        assert_eq!(m.pings.len(), 1);
        // After the drop time without any response, and pinged: removed.
        m.now = Instant::from_secs(100) + Duration::from_secs_f64(57.6);
        c.take_step(&mut m);
        assert_eq!(m.net.verified_count(), 0);
        assert!(m.net.known_by_key(p.key_bin()).is_none());
    }

    #[test]
    fn random_churn_keeps_responsive_peers() {
        let mut m = Mock::new();
        let p = add_peer(&mut m, 1);
        let mut c = RandomChurn::default();
        for s in 0..120 {
            m.now = Instant::from_secs(100 + s);
            m.net.update_peer(p.key_bin(), |p| {
                p.set_last_response(Instant::from_secs(100 + s))
            });
            c.take_step(&mut m);
        }
        assert_eq!(m.net.verified_count(), 1);
        assert!(
            m.pings.len() >= 10,
            "pinged every ping_interval while measuring"
        );
    }

    #[test]
    fn periodic_similarity_at_most_once_a_second() {
        let mut m = Mock::new();
        let mut s = PeriodicSimilarity::new();
        s.take_step(&mut m);
        assert!(m.similarity.is_empty(), "no peers, no request");
        add_peer(&mut m, 1);
        for _ in 0..4 {
            s.take_step(&mut m);
            m.now += Duration::from_millis(500);
        }
        assert_eq!(m.similarity, vec![addr(1), addr(1)]);
    }
}
