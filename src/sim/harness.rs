//! [`TestBase`]: py-ipv8's `TestBase` on the simulator — N nodes with one community
//! each, on a zero-latency simulated network in virtual time, for unit-testing
//! communities.
//!
//! ```ignore
//! let mut t = TestBase::new(42);
//! t.initialize(2, |settings| MyCommunity::new(settings));
//! t.introduce_nodes();                    // every node walks to every other
//! assert_eq!(t.overlay::<MyCommunity>(0).get_peers().len(), 1);
//! t.with_overlay(0, |c: &mut MyCommunity| c.ez_send(&peer, &MyMessage { .. }));
//! t.deliver_messages();                   // run virtual time until nothing is in flight
//! ```
//!
//! Nodes have no walkers unless given (py-ipv8's test nodes have none either); add
//! them with [`TestBase::add_node_with`]. Everything is seeded: a test is a pure
//! function of its seed.

use super::executor::Sim;
use super::network::SimNetwork;
use super::seeds::derive_u64;
use super::SimulatedEndpoint;
use crate::community::{Community, CommunitySettings, KeyCache, NodeContext, Walker};
use crate::crypto::{KeyKind, PrivateKey};
use crate::discovery::{KeyBin, Mid, Peer};
use crate::endpoint::Endpoint;
use crate::node::driver::Driver;
use crate::node::{Node, DEFAULT_WALKER_INTERVAL};
use crate::runtime::{Clock, Duration, Instant, Passthrough};
use rand::SeedableRng;
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use std::cell::{Ref, RefCell, RefMut};
use std::net::SocketAddr;
use std::rc::Rc;

/// One test node.
pub struct TestNode {
    /// The node.
    pub node: Rc<RefCell<Node>>,
    /// Its driver.
    pub driver: Rc<Driver>,
    /// Its endpoint.
    pub endpoint: SimulatedEndpoint,
    /// Its key.
    pub key: Rc<PrivateKey>,
}

/// py-ipv8's `TestBase` on the simulator.
pub struct TestBase {
    sim: Sim,
    net: SimNetwork,
    nodes: Vec<TestNode>,
    keys: Rc<RefCell<KeyCache>>,
    seed: u64,
    /// Upper bound of virtual time `deliver_messages` may run.
    pub deliver_timeout: Duration,
    /// LAN estimate of nodes added from now on (None: their endpoint address).
    pub estimated_lan: Option<SocketAddr>,
    /// Nodes added from now on start with WAN estimate = their endpoint address.
    pub wan_from_endpoint: bool,
}

impl TestBase {
    /// An empty test network with zero latency, seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let sim = Sim::new();
        let net = SimNetwork::new(&sim, seed);
        TestBase {
            sim,
            net,
            nodes: Vec::new(),
            keys: Rc::new(RefCell::new(KeyCache::new(4096))),
            seed,
            deliver_timeout: Duration::from_secs(10),
            estimated_lan: None,
            wan_from_endpoint: false,
        }
    }

    /// The executor.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The simulated network (latency, loss, partitions can be changed).
    pub fn network(&self) -> &SimNetwork {
        &self.net
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.sim.now()
    }

    /// Create `n` nodes, each with one community made by `make` and no walkers, and
    /// start them (py-ipv8 `initialize(OverlayClass, n)`).
    pub fn initialize<C: Community>(
        &mut self,
        n: usize,
        mut make: impl FnMut(CommunitySettings) -> C,
    ) {
        for _ in 0..n {
            self.add_node_with(|s| (make(s), Vec::new()));
        }
    }

    /// Add and start one node whose community and walkers come from `make`. Returns
    /// its index.
    pub fn add_node_with<C: Community>(
        &mut self,
        make: impl FnOnce(CommunitySettings) -> (C, Vec<Walker<C>>),
    ) -> usize {
        self.add_node_with_key(KeyKind::Curve25519, make)
    }

    /// Like [`add_node_with`](Self::add_node_with) with a key of the given kind (a
    /// bootstrap server uses "very-low").
    pub fn add_node_with_key<C: Community>(
        &mut self,
        kind: KeyKind,
        make: impl FnOnce(CommunitySettings) -> (C, Vec<Walker<C>>),
    ) -> usize {
        let i = self.nodes.len() as u64;
        let mut key_rng = ChaCha20Rng::seed_from_u64(derive_u64(self.seed, i, "key"));
        let key = Rc::new(
            PrivateKey::generate(kind, &mut key_rng).expect("key generation from a seeded RNG"),
        );
        let rng = ChaCha8Rng::seed_from_u64(derive_u64(self.seed, i, "node"));
        let shared = Rc::new(RefCell::new(NodeContext::new(rng, self.keys.clone())));
        let (community, walkers) = make(CommunitySettings::new(shared.clone(), key.clone()));
        let mut node = Node::new(shared, DEFAULT_WALKER_INTERVAL);
        node.add_overlay(community, walkers);
        node.estimated_lan = self.estimated_lan;
        node.wan_from_endpoint = self.wan_from_endpoint;
        let node = Rc::new(RefCell::new(node));
        let endpoint = self.net.new_endpoint();
        let ep: Rc<dyn Endpoint> = Rc::new(endpoint.clone());
        let clock: Rc<dyn Clock> = Rc::new(self.sim.clock());
        let driver = Driver::new(node.clone(), ep, clock);
        driver.start().expect("a simulated endpoint always opens");
        self.sim.spawn(driver.clone().run()).detach();
        self.nodes.push(TestNode {
            node,
            driver,
            endpoint,
            key,
        });
        self.nodes.len() - 1
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i`.
    ///
    /// # Panics
    /// If there is no node `i` (a test bug).
    pub fn node(&self, i: usize) -> &TestNode {
        &self.nodes[i]
    }

    /// Node `i`'s community of type `C`.
    ///
    /// # Panics
    /// If node `i` has no community of type `C`.
    pub fn overlay<C: Community>(&self, i: usize) -> Ref<'_, C> {
        Ref::map(self.nodes[i].node.borrow(), |n| {
            n.overlay::<C>().expect("no overlay of that type")
        })
    }

    /// Node `i`'s community, mutably. Prefer [`with_overlay`](Self::with_overlay) when
    /// the community sends something: it also flushes.
    pub fn overlay_mut<C: Community>(&self, i: usize) -> RefMut<'_, C> {
        RefMut::map(self.nodes[i].node.borrow_mut(), |n| {
            n.overlay_mut::<C>().expect("no overlay of that type")
        })
    }

    /// Run `f` on node `i`'s community, then hand what it queued to the network.
    pub fn with_overlay<C: Community, R>(&self, i: usize, f: impl FnOnce(&mut C) -> R) -> R {
        let r = {
            let mut n = self.nodes[i].node.borrow_mut();
            n.shared().borrow_mut().now = self.sim.now();
            f(n.overlay_mut::<C>().expect("no overlay of that type"))
        };
        self.nodes[i].driver.poke();
        r
    }

    /// Node `i` as a peer (its public key at its address).
    pub fn peer(&self, i: usize) -> Peer {
        Peer::new(self.key_bin(i), self.address(i), self.now())
    }

    /// Node `i`'s public key bin.
    pub fn key_bin(&self, i: usize) -> KeyBin {
        KeyBin::new(self.nodes[i].key.public_key().key_to_bin())
    }

    /// Node `i`'s member id.
    pub fn mid(&self, i: usize) -> Mid {
        self.nodes[i].key.mid()
    }

    /// Node `i`'s address.
    pub fn address(&self, i: usize) -> SocketAddr {
        self.nodes[i].endpoint.wan_address()
    }

    /// Run virtual time until no datagram is in flight (py-ipv8 `deliver_messages`),
    /// at most [`deliver_timeout`](Self::deliver_timeout) of virtual time. Periodic
    /// tasks keep running meanwhile.
    pub fn deliver_messages(&self) {
        let limit = self.sim.now() + self.deliver_timeout;
        while self.net.in_flight() > 0 && self.sim.next_event_time().is_some_and(|t| t <= limit) {
            self.sim.step();
        }
        // Let whatever became runnable at this instant run too.
        self.sim.run_until(self.sim.now());
    }

    /// Let `d` of virtual time pass.
    pub fn run_for(&self, d: Duration) {
        self.sim.run_for(d);
    }

    /// Every node walks to every other, then messages are delivered (py-ipv8
    /// `introduce_nodes`).
    pub fn introduce_nodes(&self) {
        for i in 0..self.nodes.len() {
            for j in 0..self.nodes.len() {
                if i != j {
                    let to = self.address(j);
                    let mut n = self.nodes[i].node.borrow_mut();
                    n.shared().borrow_mut().now = self.sim.now();
                    for o in 0..n.overlays().len() {
                        n.walk_to(o, to);
                    }
                }
            }
            self.nodes[i].driver.poke();
        }
        self.deliver_messages();
    }

    /// Make every request cache of every node time out at the next poll (py-ipv8
    /// `TestBase.passthrough`); `end_passthrough` restores normal timeouts.
    pub fn passthrough<C: Community>(&self, p: Passthrough) {
        for n in &self.nodes {
            if let Some(c) = n.node.borrow_mut().overlay_mut::<C>() {
                c.base_mut().request_cache.start_passthrough(p.clone());
            }
        }
    }

    /// Stop node `i` (endpoint closed, tasks cancelled).
    pub fn stop(&self, i: usize) {
        self.nodes[i].driver.stop();
    }
}
