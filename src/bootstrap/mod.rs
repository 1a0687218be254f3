//! `bootstrap`: how a community finds its first peers — the [`Bootstrapper`] trait,
//! [`DispersyBootstrapper`] (bootstrap servers by IP), [`UdpBroadcastBootstrapper`]
//! (LAN broadcast) — and the bootstrap server itself ([`server::BootstrapServer`],
//! py-ipv8's tracker).

pub mod server;

use crate::runtime::{Duration, Instant};
use crate::wire::{self, Prefix};
use std::net::SocketAddr;
use std::rc::Rc;

/// What a bootstrapper may do to its community.
pub trait BootstrapTarget {
    /// The current time.
    fn now(&self) -> Instant;
    /// Send an introduction-request to `address`.
    fn walk_to(&mut self, address: SocketAddr);
    /// Blacklist `address` in the shared network if it is not already.
    fn ensure_blacklisted(&mut self, address: SocketAddr);
    /// A uniform index in `0..n` from the node's seeded RNG (0 if `n == 0`).
    fn random_index(&mut self, n: usize) -> usize;
    /// Broadcast a datagram to the local broadcast domain.
    fn broadcast(&mut self, data: Vec<u8>);
    /// The community's prefix.
    fn prefix(&self) -> Prefix;
}

/// A way to find initial peers (py-ipv8 `ipv8/bootstrapping/bootstrapper_interface.py`).
pub trait Bootstrapper {
    /// Prepare (once): e.g. blacklist the servers.
    fn initialize(&mut self, target: &mut dyn BootstrapTarget);
    /// Whether `initialize` ran.
    fn initialized(&self) -> bool;
    /// Look for addresses; may contact servers itself and return nothing.
    fn get_addresses(&mut self, target: &mut dyn BootstrapTarget) -> Vec<SocketAddr>;
    /// Keep a connection to the bootstrap infrastructure open.
    fn keep_alive(&mut self, target: &mut dyn BootstrapTarget);
    /// Addresses that must never become peers.
    fn blacklist(&self) -> Vec<SocketAddr>;
    /// A received beacon announcing `prefix` from `source`: react (default: ignore).
    fn on_beacon(&mut self, _target: &mut dyn BootstrapTarget, _source: SocketAddr) {}
}

/// py-ipv8's default bootstrap timeout.
pub const BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(30);

/// Bootstrap servers by IP address (py-ipv8
/// `ipv8/bootstrapping/dispersy/bootstrapper.py`, spec §11.2). DNS names are not
/// resolved in this implementation (the simulator has no DNS; the live peer takes IPs).
pub struct DispersyBootstrapper {
    /// Shared: a simulation gives every node the same list.
    ip_addresses: Rc<[SocketAddr]>,
    bootstrap_timeout: Duration,
    last_bootstrap: Option<Instant>,
    initialized: bool,
}

impl DispersyBootstrapper {
    /// A bootstrapper for these servers, with `bootstrap_timeout` between rounds.
    pub fn new(ip_addresses: impl Into<Rc<[SocketAddr]>>, bootstrap_timeout: Duration) -> Self {
        DispersyBootstrapper {
            ip_addresses: ip_addresses.into(),
            bootstrap_timeout,
            last_bootstrap: None,
            initialized: false,
        }
    }

    /// The server addresses.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.ip_addresses
    }
}

impl Bootstrapper for DispersyBootstrapper {
    fn initialize(&mut self, target: &mut dyn BootstrapTarget) {
        if !self.initialized {
            self.initialized = true;
            for a in self.ip_addresses.iter() {
                target.ensure_blacklisted(*a);
            }
        }
    }

    fn initialized(&self) -> bool {
        self.initialized
    }

    /// At most once per `bootstrap_timeout`: blacklist and walk to every server.
    /// Returns nothing (the servers answer with introductions). py-ipv8 starts with
    /// `last_bootstrap = 0` against the wall clock, i.e. the first call bootstraps.
    fn get_addresses(&mut self, target: &mut dyn BootstrapTarget) -> Vec<SocketAddr> {
        let now = target.now();
        if let Some(last) = self.last_bootstrap {
            if now - last < self.bootstrap_timeout {
                return Vec::new();
            }
        }
        self.last_bootstrap = Some(now);
        for &a in self.ip_addresses.iter() {
            target.ensure_blacklisted(a);
            target.walk_to(a);
        }
        Vec::new()
    }

    fn keep_alive(&mut self, target: &mut dyn BootstrapTarget) {
        if self.ip_addresses.is_empty() {
            return;
        }
        let i = target.random_index(self.ip_addresses.len());
        if let Some(a) = self.ip_addresses.get(i).copied() {
            target.ensure_blacklisted(a);
            target.walk_to(a);
        }
    }

    fn blacklist(&self) -> Vec<SocketAddr> {
        self.ip_addresses.to_vec()
    }
}

/// LAN discovery by broadcast beacons (py-ipv8
/// `ipv8/bootstrapping/udpbroadcast/bootstrapper.py`, spec §11.3).
///
/// Simplification: py-ipv8 sends the 29-byte beacon from a separate socket to every
/// port of 255.255.255.255, and receivers walk to the beacon's source; on the
/// simulated network the beacon goes to every host of the sender's broadcast domain
/// from the node's own endpoint, so receivers walk straight to the sender's address.
pub struct UdpBroadcastBootstrapper {
    bootstrap_timeout: Duration,
    last_bootstrap: Option<Instant>,
    initialized: bool,
}

impl Default for UdpBroadcastBootstrapper {
    fn default() -> Self {
        Self::new(BOOTSTRAP_TIMEOUT)
    }
}

impl UdpBroadcastBootstrapper {
    /// A broadcast bootstrapper rate-limited to one beacon per `bootstrap_timeout`.
    pub fn new(bootstrap_timeout: Duration) -> Self {
        UdpBroadcastBootstrapper {
            bootstrap_timeout,
            last_bootstrap: None,
            initialized: false,
        }
    }

    fn beacon(target: &mut dyn BootstrapTarget) {
        let b = wire::broadcast_beacon(&target.prefix());
        target.broadcast(b.to_vec());
    }
}

impl Bootstrapper for UdpBroadcastBootstrapper {
    fn initialize(&mut self, target: &mut dyn BootstrapTarget) {
        if !self.initialized {
            self.initialized = true;
            Self::beacon(target);
        }
    }

    fn initialized(&self) -> bool {
        self.initialized
    }

    fn get_addresses(&mut self, target: &mut dyn BootstrapTarget) -> Vec<SocketAddr> {
        let now = target.now();
        if self
            .last_bootstrap
            .is_some_and(|t| now - t < self.bootstrap_timeout)
        {
            return Vec::new();
        }
        self.last_bootstrap = Some(now);
        Self::beacon(target);
        Vec::new()
    }

    fn keep_alive(&mut self, target: &mut dyn BootstrapTarget) {
        Self::beacon(target);
    }

    fn blacklist(&self) -> Vec<SocketAddr> {
        Vec::new()
    }

    fn on_beacon(&mut self, target: &mut dyn BootstrapTarget, source: SocketAddr) {
        target.walk_to(source);
    }
}
