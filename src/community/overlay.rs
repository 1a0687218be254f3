//! Type erasure for the node: an [`Overlay<C>`] is a community with its walkers
//! (strategy + target peer count), seen by the node as `dyn AnyOverlay`.
//! Also implements the discovery strategies' [`WalkOverlay`]/[`PingOverlay`] view for
//! every community.

use super::base::{Community, CommunityExt};
use super::context::DropReason;
use crate::discovery::{DiscoveryStrategy, Network, Peer, ServiceId, WalkOverlay};
use crate::runtime::Instant;
use crate::wire::Prefix;
use rand::RngCore;
use std::any::Any;
use std::net::SocketAddr;

/// A strategy with its target peer count (−1: always run), py-ipv8's
/// `(strategy, target_peers)` pair.
pub struct Walker<C> {
    /// The strategy.
    pub strategy: Box<dyn DiscoveryStrategy<C>>,
    /// Run while the overlay has fewer peers than this (−1: always).
    pub target_peers: i64,
}

impl<C> Walker<C> {
    /// A walker.
    pub fn new(strategy: impl DiscoveryStrategy<C> + 'static, target_peers: i64) -> Self {
        Walker {
            strategy: Box::new(strategy),
            target_peers,
        }
    }
}

/// A call to make once, right after the overlay started (py-ipv8's configuration
/// `on_start` entries).
pub type StartCall<C> = Box<dyn FnOnce(&mut C)>;

/// A community and its walkers.
pub struct Overlay<C> {
    /// The community.
    pub community: C,
    /// Its walkers, in configuration order.
    pub walkers: Vec<Walker<C>>,
    /// Calls to make once after `started` (consumed by the first start).
    pub on_start: Vec<StartCall<C>>,
}

impl<C> Overlay<C> {
    /// An overlay with no `on_start` calls.
    pub fn new(community: C, walkers: Vec<Walker<C>>) -> Self {
        Overlay {
            community,
            walkers,
            on_start: Vec::new(),
        }
    }
}

/// py-ipv8 `IPv8.on_tick`: a walker runs when its target is −1 or the overlay has
/// fewer peers than the target.
fn walker_runs<C: Community>(community: &C, target_peers: i64) -> bool {
    target_peers < 0
        || i64::try_from(CommunityExt::peer_count(community)).unwrap_or(i64::MAX) < target_peers
}

/// What the node needs of an overlay, whatever its type.
pub trait AnyOverlay {
    /// The 22-byte prefix.
    fn prefix(&self) -> &Prefix;
    /// Whether it takes datagrams of any unclaimed prefix.
    fn accepts_any_prefix(&self) -> bool;
    /// The community id.
    fn community_id(&self) -> &ServiceId;
    /// Route a datagram with this prefix.
    fn on_packet(&mut self, src: SocketAddr, data: &[u8]) -> Result<(), DropReason>;
    /// Run each walker whose target is not reached (one IPv8 tick).
    fn tick(&mut self);
    /// Whether a tick now would run any walker (false: the tick is a no-op).
    fn wants_tick(&self) -> bool;
    /// The earliest task/cache deadline.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Run due tasks and timeouts.
    fn handle_timeout(&mut self, now: Instant);
    /// The endpoint opened: set the address estimates and call `started`.
    fn start(&mut self, lan: SocketAddr, wan: SocketAddr);
    /// Unload: call `unload`, cancel tasks.
    fn unload(&mut self);
    /// Send an introduction-request to `address`.
    fn walk_to(&mut self, address: SocketAddr);
    /// A broadcast beacon for this overlay's prefix arrived from `source`.
    fn on_beacon(&mut self, source: SocketAddr);
    /// Verified peers serving this overlay.
    fn peer_count(&self) -> usize;
    /// The highest finite walker target (for "at target" metrics), if any.
    fn target_peers(&self) -> Option<i64>;
    /// Downcast support.
    fn as_any(&self) -> &dyn Any;
    /// Downcast support.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<C: Community> AnyOverlay for Overlay<C> {
    fn prefix(&self) -> &Prefix {
        self.community.base().prefix()
    }

    fn community_id(&self) -> &ServiceId {
        self.community.base().community_id()
    }

    fn accepts_any_prefix(&self) -> bool {
        self.community.accepts_any_prefix()
    }

    fn on_packet(&mut self, src: SocketAddr, data: &[u8]) -> Result<(), DropReason> {
        self.community.on_packet(src, data)
    }

    fn tick(&mut self) {
        for w in &mut self.walkers {
            if walker_runs(&self.community, w.target_peers) {
                w.strategy.take_step(&mut self.community);
            }
        }
    }

    fn wants_tick(&self) -> bool {
        self.walkers
            .iter()
            .any(|w| walker_runs(&self.community, w.target_peers))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.community.poll_task_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.community.run_due_tasks(now);
    }

    fn start(&mut self, lan: SocketAddr, wan: SocketAddr) {
        let b = self.community.base_mut();
        b.my_estimated_lan = lan;
        b.my_estimated_wan = wan;
        self.community.started();
        // py-ipv8 `IPv8.start`: endpoint open, then the on_start calls, then the ticker.
        for call in std::mem::take(&mut self.on_start) {
            call(&mut self.community);
        }
    }

    fn unload(&mut self) {
        self.community.unload();
        let b = self.community.base_mut();
        b.tasks.cancel_all_pending_tasks();
        b.request_cache.shutdown();
    }

    fn walk_to(&mut self, address: SocketAddr) {
        super::intro::walk_to(&mut self.community, address)
    }

    fn on_beacon(&mut self, source: SocketAddr) {
        super::intro::with_bootstrappers(&mut self.community, |b, t| b.on_beacon(t, source));
    }

    fn peer_count(&self) -> usize {
        CommunityExt::peer_count(&self.community)
    }

    fn target_peers(&self) -> Option<i64> {
        self.walkers
            .iter()
            .map(|w| w.target_peers)
            .filter(|t| *t >= 0)
            .max()
    }

    fn as_any(&self) -> &dyn Any {
        &self.community
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        &mut self.community
    }
}

impl<C: Community> WalkOverlay for C {
    fn now(&self) -> Instant {
        CommunityExt::now(self)
    }

    fn with_network<R>(&mut self, f: impl FnOnce(&mut Network) -> R) -> R {
        let shared = self.base().shared().clone();
        let mut s = shared.borrow_mut();
        f(&mut s.network)
    }

    fn with_rng<R>(&mut self, f: impl FnOnce(&mut dyn RngCore) -> R) -> R {
        let shared = self.base().shared().clone();
        let mut s = shared.borrow_mut();
        s.rng.with(|r| f(r))
    }

    fn get_peers(&self) -> Vec<Peer> {
        CommunityExt::get_peers(self)
    }

    fn peer_count(&self) -> usize {
        CommunityExt::peer_count(self)
    }

    fn get_walkable_addresses(&mut self) -> Vec<SocketAddr> {
        let id = *self.base().community_id();
        self.with_network(|n| n.walkable_addresses(Some(&id), false))
    }

    fn walk_to(&mut self, address: SocketAddr) {
        super::intro::walk_to(self, address)
    }

    fn get_new_introduction(&mut self, from: Option<&Peer>) {
        super::intro::get_new_introduction(self, from)
    }

    fn bootstrap(&mut self) {
        super::intro::bootstrap(self)
    }
}
