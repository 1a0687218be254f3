//! [`BootstrapServer`]: py-ipv8's tracker (`EndpointServer` in
//! `scripts/tracker_service.py`, spec §11.4).
//!
//! A community with a random id and a "very-low" (sect163k1) key that listens to every
//! datagram whatever its prefix. For an old-style introduction-request (246) under any
//! prefix P it registers the sender as serving P's community, and answers with an
//! old-style introduction-response **under P**, introducing a random other peer of that
//! community (plus a puncture-request under P to that peer). New-style requests get no
//! answer. Every 10 s a [`RandomChurn`]-like step pings peers with old-style
//! introduction-requests under one of their services; a service that does not answer
//! within 5 s is forgotten, a peer with no service left is removed, and above 100
//! peers the oldest are removed.

use crate::community::intro::{
    create_introduction_request_with_prefix, create_introduction_response_with_prefix,
};
use crate::community::payload::{IntroductionRequestOld, IntroductionResponseOld};
use crate::community::{Community, CommunityBase, CommunityExt, CommunitySettings, DropReason};
use crate::discovery::{DiscoveryStrategy, Peer, PingOverlay, RandomChurn, ServiceId};
use crate::runtime::{Duration, NumberCache};
use crate::wire::{self, msg_id, Prefix};
use rand::seq::{IteratorRandom, SliceRandom};
use rand::Rng;
use std::net::SocketAddr;
use std::rc::Rc;

/// Liveness pings are answered within this time or the service is forgotten.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// The churn step interval.
pub const CHURN_INTERVAL: Duration = Duration::from_secs(10);
/// Above this many verified peers the oldest are removed.
pub const MAX_PEERS: usize = 100;

/// py-ipv8's tracker.
pub struct BootstrapServer {
    base: CommunityBase<Self>,
    churn: Option<RandomChurn>,
    /// How many introduction-requests it answered.
    pub requests: u64,
}

/// A pending liveness ping (py-ipv8 `TrackerPing`).
struct TrackerPing {
    number: u64,
    peer: Peer,
    service: ServiceId,
}

const PING_PREFIX: &str = "tracker-ping";

impl NumberCache<BootstrapServer> for TrackerPing {
    fn prefix(&self) -> &str {
        PING_PREFIX
    }
    fn number(&self) -> u64 {
        self.number
    }
    fn timeout_delay(&self) -> Duration {
        PING_TIMEOUT
    }
    fn on_timeout(&mut self, owner: &mut BootstrapServer, _now: crate::runtime::Instant) {
        owner.forget_service(&self.peer, &self.service);
    }
}

impl BootstrapServer {
    /// A tracker signing with `settings.key` (py-ipv8 uses a fresh "very-low" key) and
    /// a community id drawn from the node's RNG.
    pub fn new(settings: CommunitySettings) -> Self {
        let id: ServiceId = settings.shared.borrow_mut().rng.with(|r| r.gen());
        let mut base = CommunityBase::new(id, settings);
        base.clear_handlers();
        base.replace_handler(
            msg_id::INTRODUCTION_REQUEST_OLD,
            Rc::new(Self::on_generic_introduction_request),
        );
        base.replace_handler(
            msg_id::INTRODUCTION_RESPONSE_OLD,
            Rc::new(Self::on_generic_introduction_response),
        );
        BootstrapServer {
            base,
            churn: Some(RandomChurn::default()),
            requests: 0,
        }
    }

    /// Number of verified peers it knows (all communities).
    pub fn known_peers(&self) -> usize {
        self.base.shared().borrow().network.verified_count()
    }

    fn forget_service(&mut self, peer: &Peer, service: &ServiceId) {
        let shared = self.base.shared().clone();
        let mut s = shared.borrow_mut();
        let left: Vec<ServiceId> = s
            .network
            .services_for_peer(peer.key_bin())
            .iter()
            .filter(|x| *x != service)
            .copied()
            .collect();
        if left.is_empty() {
            s.network.remove_peer(peer.key_bin());
        } else {
            s.network.set_services(peer.key_bin(), left);
        }
    }

    fn on_generic_introduction_request(
        &mut self,
        src: SocketAddr,
        data: &[u8],
    ) -> Result<(), DropReason> {
        let prefix: Prefix = *wire::packet_prefix(data).ok_or(DropReason::NoHeader)?;
        let (key_bin, _, payload) = self.unpack_signed::<IntroductionRequestOld>(data, true)?;
        let service = wire::community_id(&prefix);
        let shared = self.base.shared().clone();
        let now = shared.borrow().now;
        let mut peer = Peer::new(key_bin, src, now);
        peer.set_lan_address(payload.source_lan_address.into());
        peer.set_last_response(now);
        let intro = {
            let mut s = shared.borrow_mut();
            s.network.add_verified_peer(peer.clone());
            s.network.discover_services(peer.key_bin(), &[service]);
            // py-ipv8: `random.choice` over the other peers serving the service.
            let s = &mut *s;
            let network = &s.network;
            s.rng
                .with(|r| random_other_peer(network, r, &peer, &service))
        };
        self.requests += 1;
        let packet = create_introduction_response_with_prefix(
            self,
            payload.destination_address.into(),
            peer.address(),
            payload.identifier,
            intro,
            false,
            &prefix,
        );
        self.endpoint_send(peer.address(), packet);
        Ok(())
    }

    fn on_generic_introduction_response(
        &mut self,
        _src: SocketAddr,
        data: &[u8],
    ) -> Result<(), DropReason> {
        let prefix: Prefix = *wire::packet_prefix(data).ok_or(DropReason::NoHeader)?;
        let (key_bin, _, payload) = self.unpack_signed::<IntroductionResponseOld>(data, true)?;
        let number = u64::from(payload.identifier);
        // QUIRK (spec §11.4): pings are cached under the full global time but the
        // identifier on the wire is that value mod 65536; past 65535 nothing matches.
        if !self.base.request_cache.has(PING_PREFIX, number) {
            return Err(DropReason::NoCache);
        }
        let ping = self
            .base_mut()
            .request_cache
            .pop::<TrackerPing>(PING_PREFIX, number)
            .map_err(|_| DropReason::NoCache)?;
        if payload.flags.peer_limit_reached {
            let peer = Peer::without_address(key_bin, ping.peer.creation_time);
            self.forget_service(&peer, &wire::community_id(&prefix));
        }
        Ok(())
    }

    fn churn_step(&mut self) {
        if let Some(mut churn) = self.churn.take() {
            churn.take_step(self);
            self.churn = Some(churn);
        }
        let shared = self.base.shared().clone();
        let mut s = shared.borrow_mut();
        let n = s.network.verified_count();
        if n > MAX_PEERS {
            let mut peers: Vec<Peer> = s.network.verified_iter().cloned().collect();
            peers.sort_by_key(|p| p.creation_time);
            for p in peers.iter().take(n - MAX_PEERS) {
                s.network.remove_peer(p.key_bin());
            }
        }
    }
}

/// How many random positions [`random_other_peer`] tries before it scans.
const REJECTION_TRIES: usize = 64;

/// A uniformly random verified peer other than `requester` serving `service`, or `None`
/// (py-ipv8's tracker: `random.choice` over that list).
///
/// py-ipv8 builds the list on every request, O(known peers); in a join burst a tracker
/// knows every peer (it prunes to [`MAX_PEERS`] only every [`CHURN_INTERVAL`]), which
/// makes the burst O(N²). Here: rejection sampling over the known-peer table (O(1)
/// expected when most known peers are candidates, as on a tracker), falling back to an
/// exact scan after [`REJECTION_TRIES`] misses. Same distribution (uniform over the
/// candidates), different RNG use than a list + `choose`.
fn random_other_peer(
    net: &crate::discovery::Network,
    rng: &mut impl Rng,
    requester: &Peer,
    service: &ServiceId,
) -> Option<Peer> {
    let candidate = |p: &Peer, verified: bool| {
        verified && p != requester && net.serves_service(p.key_bin(), service)
    };
    let len = net.known_len();
    if len == 0 {
        return None;
    }
    for _ in 0..REJECTION_TRIES {
        let i = rng.gen_range(0..len);
        if let Some((p, verified)) = net.known_at(i) {
            if candidate(p, verified) {
                return Some(p.clone());
            }
        }
    }
    let n = (0..len)
        .filter_map(|i| net.known_at(i))
        .filter(|(p, v)| candidate(p, *v))
        .count();
    (0..n).choose(rng).and_then(|k| {
        (0..len)
            .filter_map(|i| net.known_at(i))
            .filter(|(p, v)| candidate(p, *v))
            .nth(k)
            .map(|(p, _)| p.clone())
    })
}

impl Community for BootstrapServer {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }

    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }

    fn started(&mut self) {
        let r = self.register_task(
            "churn",
            |c: &mut Self, _| c.churn_step(),
            None,
            Some(CHURN_INTERVAL),
        );
        debug_assert!(r.is_ok(), "fresh task manager");
    }

    fn accepts_any_prefix(&self) -> bool {
        true
    }

    /// The tracker always names the peer to introduce itself.
    fn peer_for_introduction(&self, _exclude: Option<&Peer>, _new_style: bool) -> Option<Peer> {
        None
    }
}

impl PingOverlay for BootstrapServer {
    /// A liveness ping: an old-style introduction-request under a random one of the
    /// peer's services, with a 5 s cache (py-ipv8 `EndpointServer.send_ping`).
    fn send_ping(&mut self, peer: &Peer) {
        let shared = self.base.shared().clone();
        let service = {
            let mut s = shared.borrow_mut();
            let services = s.network.services_for_peer(peer.key_bin()).to_vec();
            s.rng.with(|r| services.choose(r).copied())
        };
        let Some(service) = service else { return };
        let prefix = wire::prefix(&service);
        let packet = create_introduction_request_with_prefix(self, peer.address(), false, &prefix);
        let now = CommunityExt::now(self);
        let cache = TrackerPing {
            number: self.base.global_time(),
            peer: peer.clone(),
            service,
        };
        // A duplicate number (same global time) cannot happen: each ping claims a new one.
        let _ = self.base.request_cache.add(now, cache);
        self.endpoint_send(peer.address(), packet);
    }

    fn send_similarity_request(&mut self, _address: SocketAddr) {}
}
