//! [`DiscoveryCommunity`]: peers tell each other which overlays they run, and ping
//! each other for churn detection (py-ipv8 `ipv8/peerdiscovery/community.py`,
//! spec §10).
//!
//! Messages (on top of the base community's introductions and punctures):
//!
//! | id | message | envelope |
//! |---|---|---|
//! | 1 | similarity-request | signed + global time |
//! | 2 | similarity-response | signed + global time |
//! | 3 | ping | unsigned + global time |
//! | 4 | pong | unsigned + global time |
//!
//! Behaviour: every processed introduction-response triggers a similarity-request
//! to the responder; a similarity-request records the sender's services and is
//! answered; a similarity-response makes the sender a verified peer (unless we are
//! over `max_peers` and do not know it yet); a ping is answered with a pong; a pong
//! matching a pending ping appends the round-trip time to the peer's pings (which
//! [`RandomChurn`](super::RandomChurn) reads). Old-style introduction-requests (246)
//! have their own handler (see [`DiscoveryCommunity::new`]).
//!
//! It implements [`PingOverlay`], so [`RandomChurn`](super::RandomChurn) and
//! [`PeriodicSimilarity`](super::PeriodicSimilarity) run on it:
//!
//! ```ignore
//! node.add_overlay(
//!     DiscoveryCommunity::new(settings),
//!     vec![
//!         Walker::new(RandomWalk::default(), 20),
//!         Walker::new(RandomChurn::default(), -1),
//!         Walker::new(PeriodicSimilarity::new(), -1),
//!     ],
//! );
//! ```
//!
//! Divergences from py-ipv8 (none visible on the wire):
//! * all overlays of a node share one key here, so one similarity-request/-response
//!   is sent listing every registered service (py-ipv8 sends one per distinct key);
//! * a received preference list with a trailing partial id (not a multiple of 20
//!   bytes) records only the whole ids (py-ipv8 records the short fragment too,
//!   which can match no overlay).

use super::peer::{KeyBin, Peer, ServiceId};
use super::strategy::PingOverlay;
use crate::community::payload::{
    ConnectionTypeFlags, DiscoveryPing, DiscoveryPong, IntroRequestFlags, IntroductionRequestOld,
    SimilarityRequest, SimilarityResponse, DISCOVERY_COMMUNITY_ID,
};
use crate::community::{
    intro, Community, CommunityBase, CommunityExt, CommunitySettings, DropReason,
    IntroductionResponse,
};
use crate::runtime::{Duration, Instant, NumberCache};
use crate::wire::{self, msg_id, Payload};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::rc::Rc;

/// The request-cache prefix of pending pings (py-ipv8 `PingRequestCache.name`).
pub const PING_CACHE_PREFIX: &str = "discoverypingcache";

/// A ping without pong after this long is forgotten (py-ipv8
/// `PingRequestCache.timeout_delay`).
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A pending ping (py-ipv8 `PingRequestCache`): who was pinged, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingRequestCache {
    /// The cache number: the ping's **full** global time (see the QUIRK in
    /// [`DiscoveryCommunity::send_ping`]).
    pub number: u64,
    /// The pinged peer's key.
    pub peer: KeyBin,
    /// When the ping was sent.
    pub start_time: Instant,
}

impl NumberCache<DiscoveryCommunity> for PingRequestCache {
    fn prefix(&self) -> &str {
        PING_CACHE_PREFIX
    }

    fn number(&self) -> u64 {
        self.number
    }

    fn timeout_delay(&self) -> Duration {
        PING_TIMEOUT
    }

    fn on_timeout(&mut self, _owner: &mut DiscoveryCommunity, _now: Instant) {
        // py-ipv8: an unanswered ping is assumed lost; dropping the peer is left to
        // the churn strategy.
    }
}

/// A Dispersy-era (2014) old-style introduction-request: a `c20s` field (a `'Y'`
/// byte and the mid of a peer the requester wants to be introduced to) before the
/// usual fields (py-ipv8 `DiscoveryIntroductionRequestPayload`, spec §10).
#[derive(Payload, Debug, Clone, PartialEq, Eq)]
#[payload(msg_id = 246)]
pub struct DispersyIntroductionRequest {
    /// `(b'Y', mid)`; any first byte is accepted.
    #[wire(format = "c20s")]
    pub introduce_to: (u8, [u8; 20]),
    /// How the sender sees the receiver.
    pub destination_address: SocketAddrV4,
    /// The sender's LAN address.
    pub source_lan_address: SocketAddrV4,
    /// The sender's WAN address.
    pub source_wan_address: SocketAddrV4,
    /// Flags, as in [`IntroductionRequestOld`].
    #[wire(format = "bits")]
    pub flags: IntroRequestFlags,
    /// The request identifier.
    pub identifier: u16,
    /// Everything after.
    #[wire(format = "raw")]
    pub extra_bytes: Vec<u8>,
}

/// The DiscoveryCommunity (spec §10). See the module docs.
pub struct DiscoveryCommunity {
    base: CommunityBase<Self>,
}

impl Community for DiscoveryCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }

    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }

    /// py-ipv8 `DiscoveryCommunity.introduction_response_callback`: ask the responder
    /// which overlays it runs.
    fn introduction_response_callback(
        &mut self,
        peer: &Peer,
        _global_time: u64,
        _response: &IntroductionResponse,
    ) {
        self.send_similarity_request(peer.address());
    }
}

/// The IPv4 address of `a`, `0.0.0.0:0` for IPv6 (the similarity-request's `ipv4`
/// fields cannot carry it; py-ipv8 would fail to pack).
fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    }
}

/// Whole 20-byte ids of a raw preference list (a trailing fragment is skipped).
fn whole_ids(raw: &[u8]) -> Vec<ServiceId> {
    raw.chunks_exact(20)
        .filter_map(|c| ServiceId::try_from(c).ok())
        .collect()
}

impl DiscoveryCommunity {
    /// A DiscoveryCommunity (id `7e313685…`, version 2) with its message handlers, and
    /// py-ipv8's own handler for old-style introduction-requests (246) instead of the
    /// base one: drop when over `max_peers`; parse the Dispersy-era variant
    /// ([`DispersyIntroductionRequest`]) and else the normal one; add the sender as a
    /// verified peer of this community and answer with an old-style response. No
    /// hook is called, and neither the new-style flag nor the LAN address is recorded.
    pub fn new(settings: CommunitySettings) -> Self {
        let mut c = DiscoveryCommunity {
            base: CommunityBase::new(DISCOVERY_COMMUNITY_ID, settings),
        };
        c.base.replace_handler(
            SimilarityRequest::MSG_ID,
            Rc::new(Self::on_similarity_request),
        );
        c.base.replace_handler(
            SimilarityResponse::MSG_ID,
            Rc::new(Self::on_similarity_response),
        );
        c.base
            .replace_handler(DiscoveryPing::MSG_ID, Rc::new(Self::on_ping));
        c.base
            .replace_handler(DiscoveryPong::MSG_ID, Rc::new(Self::on_pong));
        c.base.replace_handler(
            msg_id::INTRODUCTION_REQUEST_OLD,
            Rc::new(Self::on_old_introduction_request),
        );
        c
    }

    /// The ids of our overlays that sign with this overlay's key, in registration
    /// order (py-ipv8 `get_my_overlays`). All overlays of a node share its key, so:
    /// every registered service provider.
    pub fn my_overlays(&self) -> Vec<ServiceId> {
        self.base
            .shared()
            .borrow()
            .network
            .service_providers()
            .to_vec()
    }

    /// A similarity-request (py-ipv8 `create_similarity_request`): claims global time;
    /// identifier = global time mod 65536; connection type unknown.
    pub fn create_similarity_request(&self) -> Vec<u8> {
        let b = &self.base;
        let gt = b.claim_global_time();
        let payload = SimilarityRequest {
            identifier: (gt % 65536) as u16,
            lan_address: v4(b.my_estimated_lan),
            wan_address: v4(b.my_estimated_wan),
            flags: ConnectionTypeFlags::default(),
            preference_list: SimilarityRequest::encode_preference_list(&self.my_overlays()),
        };
        self.pack_signed(gt, &payload)
    }

    /// A similarity-response to the request `identifier` (py-ipv8
    /// `create_similarity_response`): claims global time; `tb_overlap` empty.
    pub fn create_similarity_response(&self, identifier: u16) -> Vec<u8> {
        let gt = self.base.claim_global_time();
        let payload = SimilarityResponse {
            identifier,
            preference_list: self.my_overlays(),
            tb_overlap: Vec::new(),
        };
        self.pack_signed(gt, &payload)
    }

    /// A pong answering the ping `identifier` (py-ipv8 `create_pong`): unsigned,
    /// claims global time.
    pub fn create_pong(&self, identifier: u16) -> Vec<u8> {
        let gt = self.base.claim_global_time();
        wire::pack_unsigned(
            self.base.prefix(),
            DiscoveryPong::MSG_ID,
            Some(gt),
            &DiscoveryPong { identifier },
        )
    }

    fn pack_signed<P: Payload>(&self, gt: u64, payload: &P) -> Vec<u8> {
        let b = &self.base;
        wire::pack_signed(b.prefix(), P::MSG_ID, b.key_bin(), Some(gt), payload, |d| {
            b.sign(d)
        })
    }

    /// Ask `address` which overlays it runs (py-ipv8 `send_similarity_request`).
    pub fn send_similarity_request(&mut self, address: SocketAddr) {
        let pkt = self.create_similarity_request();
        self.endpoint_send(address, pkt);
    }

    /// Ping `peer` and remember the ping for 5 s (py-ipv8 `send_ping`).
    pub fn send_ping(&mut self, peer: &Peer) {
        let gt = self.base.claim_global_time();
        let pkt = wire::pack_unsigned(
            self.base.prefix(),
            DiscoveryPing::MSG_ID,
            Some(gt),
            &DiscoveryPing {
                identifier: (gt % 65536) as u16,
            },
        );
        // QUIRK (spec §10): the cache is keyed by the FULL global time while the wire
        // carries it mod 65536, so once the clock passes 65535 no pong matches.
        let cache = PingRequestCache {
            number: gt,
            peer: peer.key_bin().clone(),
            start_time: self.now(),
        };
        let now = self.now();
        // py-ipv8 logs a refused add (duplicate or shut down) and sends anyway.
        let _ = self.base.request_cache.add(now, cache);
        self.endpoint_send(peer.address(), pkt);
    }

    /// Whether we are over `max_peers` (py-ipv8 `0 <= max_peers < len(get_peers())`).
    fn over_max_peers(&self) -> bool {
        let max = self.base.max_peers;
        max >= 0 && usize::try_from(max).is_ok_and(|m| self.peer_count() > m)
    }

    /// py-ipv8 `on_similarity_request`: record the sender's services, answer.
    fn on_similarity_request(&mut self, src: SocketAddr, data: &[u8]) -> Result<(), DropReason> {
        let (peer, _, p) = self.decode_signed::<SimilarityRequest>(src, data, true)?;
        let ids = whole_ids(&p.preference_list);
        self.base
            .shared()
            .borrow_mut()
            .network
            .discover_services(peer.key_bin(), &ids);
        let pkt = self.create_similarity_response(p.identifier);
        self.endpoint_send(peer.address(), pkt);
        Ok(())
    }

    /// py-ipv8 `on_similarity_response`: over `max_peers`, only known peers are
    /// accepted; the sender becomes verified and its services are recorded.
    fn on_similarity_response(&mut self, src: SocketAddr, data: &[u8]) -> Result<(), DropReason> {
        let (peer, _, p) = self.decode_signed::<SimilarityResponse>(src, data, true)?;
        let known = self
            .base
            .shared()
            .borrow()
            .network
            .is_verified(peer.key_bin());
        if self.over_max_peers() && !known {
            return Err(DropReason::TooManyPeers);
        }
        let shared = self.base.shared().clone();
        let mut s = shared.borrow_mut();
        s.network.add_verified_peer(peer.clone());
        s.network
            .discover_services(peer.key_bin(), &p.preference_list);
        Ok(())
    }

    /// py-ipv8 `on_ping`: answer with a pong carrying the same identifier, to the
    /// source address (unsigned: nothing to verify).
    fn on_ping(&mut self, src: SocketAddr, data: &[u8]) -> Result<(), DropReason> {
        let parts = wire::parse_unsigned(data, true)?;
        let p: DiscoveryPing = wire::decode_exact(parts.payload)?;
        let pkt = self.create_pong(p.identifier);
        self.endpoint_send(src, pkt);
        Ok(())
    }

    /// py-ipv8 `on_pong`: pop the pending ping by identifier and append the round-trip
    /// time to the pinged peer's pings. Unsigned: the identifier is the only guard.
    fn on_pong(&mut self, _src: SocketAddr, data: &[u8]) -> Result<(), DropReason> {
        let parts = wire::parse_unsigned(data, true)?;
        let p: DiscoveryPong = wire::decode_exact(parts.payload)?;
        let cache = self
            .base
            .request_cache
            .pop::<PingRequestCache>(PING_CACHE_PREFIX, u64::from(p.identifier))
            .map_err(|_| DropReason::NoCache)?;
        let rtt = self.now().saturating_duration_since(cache.start_time);
        self.base
            .shared()
            .borrow_mut()
            .network
            .update_peer(&cache.peer, |peer| peer.add_ping(rtt));
        Ok(())
    }

    /// py-ipv8 `DiscoveryCommunity.on_old_introduction_request` (spec §10).
    fn on_old_introduction_request(
        &mut self,
        src: SocketAddr,
        data: &[u8],
    ) -> Result<(), DropReason> {
        if self.over_max_peers() {
            return Err(DropReason::TooManyPeers);
        }
        // First the Dispersy-era layout, then the normal one. QUIRK: like py-ipv8,
        // any request whose payload is long enough (≥ 21 extra bytes) parses as the
        // Dispersy variant, fields shifted. py-ipv8 retries on every error; only a
        // decoding error can differ between the two layouts, so we retry on that alone
        // (same outcome, one verification less).
        let (peer, destination, identifier) = match self
            .decode_signed::<DispersyIntroductionRequest>(src, data, true)
        {
            Ok((peer, _, p)) => (peer, p.destination_address, p.identifier),
            Err(DropReason::Malformed) => {
                let (peer, _, p) = self.decode_signed::<IntroductionRequestOld>(src, data, true)?;
                (peer, p.destination_address, p.identifier)
            }
            Err(e) => return Err(e),
        };
        let id = *self.base.community_id();
        {
            let shared = self.base.shared().clone();
            let mut s = shared.borrow_mut();
            s.network.add_verified_peer(peer.clone());
            s.network.discover_services(peer.key_bin(), &[id]);
        }
        // The requested introduction (`introduce_to`) never matches in py-ipv8 (it
        // compares a mid with a tuple), so a random peer is introduced as usual.
        let pkt = intro::create_introduction_response(
            self,
            destination.into(),
            src,
            identifier,
            None,
            false,
        );
        self.endpoint_send(src, pkt);
        Ok(())
    }
}

impl PingOverlay for DiscoveryCommunity {
    fn send_ping(&mut self, peer: &Peer) {
        DiscoveryCommunity::send_ping(self, peer);
    }

    fn send_similarity_request(&mut self, address: SocketAddr) {
        DiscoveryCommunity::send_similarity_request(self, address);
    }
}
