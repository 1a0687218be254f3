//! Peer discovery messages of the base community (spec §6–§8; py-ipv8
//! `ipv8/community.py`): introduction-request → introduction-response (introducing a
//! peer) + puncture-request to the introduced peer → puncture, old (246/245/250/249)
//! and new style (234/233/232/231); walking, bootstrapping, address estimation.

use super::base::{Community, CommunityBase, CommunityExt, Handler};
use super::context::DropReason;
use crate::bootstrap::BootstrapTarget;
use crate::community::payload::{
    IntroRequestFlags, IntroResponseFlags, IntroductionRequest as NewRequest,
    IntroductionRequestOld as OldRequest, IntroductionResponse as NewResponse,
    IntroductionResponseOld as OldResponse, NewIntroResponseFlags, Puncture as NewPuncture,
    PunctureOld, PunctureRequest as NewPunctureRequest, PunctureRequestOld,
};
use crate::discovery::{Peer, NULL_ADDRESS};
use crate::runtime::Instant;
use crate::wire::{self, msg_id, Payload, Prefix};
use rand::seq::SliceRandom;
use rand::Rng;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::rc::Rc;

/// An introduction-request, old or new style, as handed to the hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntroductionRequest {
    /// Whether it came as a new-style (234) message.
    pub new_style: bool,
    /// How the requester addressed us.
    pub destination_address: SocketAddr,
    /// The requester's LAN address.
    pub source_lan_address: SocketAddr,
    /// The requester's WAN (old) or preferred (new) address.
    pub source_wan_address: SocketAddr,
    /// The request identifier (global time mod 65536).
    pub identifier: u16,
    /// The `supports_new_style` flag (old style only).
    pub supports_new_style: bool,
    /// Piggybacked bytes.
    pub extra_bytes: Vec<u8>,
}

/// An introduction-response, old or new style, as handed to the hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntroductionResponse {
    /// Whether it came as a new-style (233) message.
    pub new_style: bool,
    /// How the responder saw us.
    pub destination_address: SocketAddr,
    /// The responder's LAN address.
    pub source_lan_address: SocketAddr,
    /// The responder's WAN / preferred address.
    pub source_wan_address: SocketAddr,
    /// The introduced peer's LAN address (or 0.0.0.0:0).
    pub lan_introduction_address: SocketAddr,
    /// The introduced peer's WAN address (or 0.0.0.0:0).
    pub wan_introduction_address: SocketAddr,
    /// Copied from the request.
    pub identifier: u16,
    /// The responder speaks new style.
    pub supports_new_style: bool,
    /// The introduced peer speaks new style.
    pub intro_supports_new_style: bool,
    /// The responder has reached its peer limit.
    pub peer_limit_reached: bool,
    /// Piggybacked bytes.
    pub extra_bytes: Vec<u8>,
}

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    }
}

/// py-ipv8 `address_in_lan_subnets`: 10/8, 172.16/12, 192.168/16.
pub fn address_in_lan_subnets(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_private(),
        IpAddr::V6(_) => false,
    }
}

fn same_ip(a: &SocketAddr, b: &SocketAddr) -> bool {
    a.ip() == b.ip()
}

/// Register the base community's handlers (called by `CommunityBase::new`).
pub(crate) fn register_base_handlers<C: Community>(base: &mut CommunityBase<C>) {
    let set = |base: &mut CommunityBase<C>, id: u8, h: Handler<C>| base.replace_handler(id, h);
    set(
        base,
        msg_id::PUNCTURE_REQUEST_OLD,
        Rc::new(on_old_puncture_request::<C>),
    );
    set(
        base,
        msg_id::PUNCTURE_REQUEST,
        Rc::new(on_new_puncture_request::<C>),
    );
    set(
        base,
        msg_id::PUNCTURE_OLD,
        Rc::new(on_puncture::<C, PunctureOld>),
    );
    set(
        base,
        msg_id::PUNCTURE,
        Rc::new(on_puncture::<C, NewPuncture>),
    );
    set(
        base,
        msg_id::INTRODUCTION_REQUEST_OLD,
        Rc::new(on_old_introduction_request::<C>),
    );
    set(
        base,
        msg_id::INTRODUCTION_REQUEST,
        Rc::new(on_new_introduction_request::<C>),
    );
    set(
        base,
        msg_id::INTRODUCTION_RESPONSE_OLD,
        Rc::new(on_old_introduction_response::<C>),
    );
    set(
        base,
        msg_id::INTRODUCTION_RESPONSE,
        Rc::new(on_new_introduction_response::<C>),
    );
    // py-ipv8 logs a warning for deprecated Dispersy messages and does nothing. One
    // shared handler for all of them (one allocation, not 17).
    let deprecated: Handler<C> = Rc::new(|_: &mut C, _, _: &[u8]| Err(DropReason::Deprecated));
    for id in [
        255u8, 254, 253, 252, 251, 248, 247, 244, 243, 242, 241, 240, 239, 238, 237, 236, 235,
    ] {
        set(base, id, deprecated.clone());
    }
}

// ----- creating messages -------------------------------------------------------------

/// py-ipv8 `create_introduction_request`: claims global time mod 65536 as both the
/// global-time field and the identifier (spec §6.7).
pub fn create_introduction_request<C: Community>(
    c: &C,
    to: SocketAddr,
    new_style: bool,
) -> Vec<u8> {
    create_introduction_request_with_prefix(c, to, new_style, c.base().prefix())
}

/// [`create_introduction_request`] under another community's prefix (py-ipv8's
/// `prefix=` argument, "expert use": the bootstrap server's liveness pings).
pub fn create_introduction_request_with_prefix<C: Community>(
    c: &C,
    to: SocketAddr,
    new_style: bool,
    prefix: &Prefix,
) -> Vec<u8> {
    let b = c.base();
    let gt = b.claim_global_time() % 65536;
    let identifier = gt as u16;
    let extra_bytes = c.introduction_extra_bytes();
    if new_style || to.is_ipv6() {
        let p = NewRequest {
            destination_address: to,
            source_lan_address: b.my_estimated_lan,
            // "my preferred address": the estimated WAN on a single endpoint (spec §6.8).
            source_wan_address: b.my_estimated_wan,
            identifier,
            flags: IntroRequestFlags::default(),
            extra_bytes,
        };
        pack_signed_gt(b, prefix, gt, &p)
    } else {
        // As sent by py-ipv8: flags 0x01 (connection type unknown, advice bit set;
        // spec §6.1 — the receiver reads that bit inverted and ignores it).
        let p = OldRequest {
            destination_address: v4(to),
            source_lan_address: v4(b.my_estimated_lan),
            source_wan_address: v4(b.my_estimated_wan),
            flags: IntroRequestFlags::OLD_STYLE_SENT,
            identifier,
            extra_bytes,
        };
        pack_signed_gt(b, prefix, gt, &p)
    }
}

fn pack_signed_gt<C, P: Payload>(b: &CommunityBase<C>, prefix: &Prefix, gt: u64, p: &P) -> Vec<u8> {
    wire::pack_signed(prefix, P::MSG_ID, b.key_bin(), Some(gt), p, |d| b.sign(d))
}

/// A random peer of this community to introduce, other than `exclude` (py-ipv8
/// `get_peer_for_introduction`); only IPv4 peers unless `new_style`.
pub fn get_peer_for_introduction<C: Community>(
    c: &C,
    exclude: Option<&Peer>,
    new_style: bool,
) -> Option<Peer> {
    let id = *c.base().community_id();
    let shared = c.base().shared().clone();
    let mut guard = shared.borrow_mut();
    let s = &mut *guard;
    // References, not clones: the same candidates in the same order, so `choose`
    // draws the same index from the RNG.
    let available: Vec<&Peer> = s
        .network
        .peers_for_service_iter(&id)
        .filter(|p| Some(*p) != exclude && (new_style || p.address().is_ipv4()))
        .collect();
    s.rng.with(|r| available.choose(r).copied()).cloned()
}

/// py-ipv8 `create_introduction_response`: also sends the puncture-request to the
/// introduced peer (spec §6.7 "Building a response").
pub fn create_introduction_response<C: Community>(
    c: &C,
    lan_socket_address: SocketAddr,
    socket_address: SocketAddr,
    identifier: u16,
    introduction: Option<Peer>,
    new_style: bool,
) -> Vec<u8> {
    create_introduction_response_with_prefix(
        c,
        lan_socket_address,
        socket_address,
        identifier,
        introduction,
        new_style,
        c.base().prefix(),
    )
}

/// [`create_introduction_response`] under another community's prefix (py-ipv8's
/// `prefix=`; the bootstrap server answers under the requester's prefix).
pub fn create_introduction_response_with_prefix<C: Community>(
    c: &C,
    lan_socket_address: SocketAddr,
    socket_address: SocketAddr,
    identifier: u16,
    introduction: Option<Peer>,
    new_style: bool,
    prefix: &Prefix,
) -> Vec<u8> {
    let b = c.base();
    let gt = b.claim_global_time() % 65536;
    let other = b
        .shared()
        .borrow()
        .network
        .verified_by_address(&socket_address)
        .cloned();
    let introduction = introduction.or_else(|| c.peer_for_introduction(other.as_ref(), new_style));
    let (mut lan_intro, mut wan_intro) = (NULL_ADDRESS, NULL_ADDRESS);
    if let Some(intro) = &introduction {
        let addr = intro.address();
        let is_lan = addr.is_ipv4() && b.shared().borrow().lan_ips.contains(&addr.ip());
        if is_lan {
            lan_intro = addr;
            wan_intro = SocketAddr::new(b.my_estimated_wan.ip(), addr.port());
        } else {
            lan_intro = intro
                .addresses()
                .v4_lan
                .map_or(NULL_ADDRESS, SocketAddr::V4);
            wan_intro = addr;
        }
    }
    let new_style_intro = introduction.as_ref().is_some_and(|p| p.new_style_intro);
    let extra_bytes = c.introduction_extra_bytes();
    let packet = if new_style {
        let p = NewResponse {
            destination_address: socket_address,
            source_lan_address: b.my_estimated_lan,
            source_wan_address: b.my_estimated_wan,
            lan_introduction_address: lan_intro,
            wan_introduction_address: wan_intro,
            identifier,
            flags: NewIntroResponseFlags {
                intro_supports_new_style: new_style_intro,
                ..Default::default()
            },
            extra_bytes,
        };
        pack_signed_gt(b, prefix, gt, &p)
    } else {
        let peers = c.peer_count();
        let p = OldResponse {
            destination_address: v4(socket_address),
            source_lan_address: v4(b.my_estimated_lan),
            source_wan_address: v4(b.my_estimated_wan),
            lan_introduction_address: v4(lan_intro),
            wan_introduction_address: v4(wan_intro),
            flags: IntroResponseFlags {
                supports_new_style: true,
                intro_supports_new_style: new_style_intro,
                peer_limit_reached: b.max_peers >= 0
                    && usize::try_from(b.max_peers).is_ok_and(|m| m <= peers),
                ..Default::default()
            },
            identifier,
            extra_bytes,
        };
        pack_signed_gt(b, prefix, gt, &p)
    };
    if let Some(intro) = &introduction {
        let pr = create_puncture_request_with_prefix(
            c,
            lan_socket_address,
            socket_address,
            identifier,
            new_style,
            prefix,
        );
        c.endpoint_send(intro.address(), pr);
    }
    packet
}

/// py-ipv8 `create_puncture_request`: unsigned, claims global time (not reduced).
/// New style when asked or when an address is not IPv4.
pub fn create_puncture_request<C: Community>(
    c: &C,
    lan_walker: SocketAddr,
    wan_walker: SocketAddr,
    identifier: u16,
    new_style: bool,
) -> Vec<u8> {
    create_puncture_request_with_prefix(
        c,
        lan_walker,
        wan_walker,
        identifier,
        new_style,
        c.base().prefix(),
    )
}

/// [`create_puncture_request`] under another community's prefix.
pub fn create_puncture_request_with_prefix<C: Community>(
    c: &C,
    lan_walker: SocketAddr,
    wan_walker: SocketAddr,
    identifier: u16,
    new_style: bool,
    prefix: &Prefix,
) -> Vec<u8> {
    let b = c.base();
    let gt = b.claim_global_time();
    if new_style || !lan_walker.is_ipv4() || !wan_walker.is_ipv4() {
        let p = NewPunctureRequest {
            lan_walker_address: lan_walker,
            wan_walker_address: wan_walker,
            identifier,
        };
        wire::pack_unsigned(prefix, NewPunctureRequest::MSG_ID, Some(gt), &p)
    } else {
        let p = PunctureRequestOld {
            lan_walker_address: v4(lan_walker),
            wan_walker_address: v4(wan_walker),
            identifier,
        };
        wire::pack_unsigned(prefix, PunctureRequestOld::MSG_ID, Some(gt), &p)
    }
}

/// py-ipv8 `create_puncture`: signed, claims global time.
pub fn create_puncture<C: Community>(
    c: &C,
    lan_walker: SocketAddr,
    wan_walker: SocketAddr,
    identifier: u16,
    new_style: bool,
) -> Vec<u8> {
    let b = c.base();
    let gt = b.claim_global_time();
    if new_style {
        let p = NewPuncture {
            source_lan_address: lan_walker,
            source_wan_address: wan_walker,
            identifier,
        };
        pack_signed_gt(b, b.prefix(), gt, &p)
    } else {
        let p = PunctureOld {
            source_lan_address: v4(lan_walker),
            source_wan_address: v4(wan_walker),
            identifier,
        };
        pack_signed_gt(b, b.prefix(), gt, &p)
    }
}

// ----- walking -----------------------------------------------------------------------

/// Send an introduction-request to `address`: new style if the network marked it so
/// or it is IPv6 (spec §6.7, py-ipv8 `walk_to`).
pub fn walk_to<C: Community>(c: &mut C, address: SocketAddr) {
    let new_style = c.base().shared().borrow().network.is_new_style(&address);
    let pkt = create_introduction_request(c, address, new_style);
    c.endpoint_send(address, pkt);
}

/// Send an introduction-request to a known peer (py-ipv8 `send_introduction_request`).
pub fn send_introduction_request<C: Community>(c: &mut C, peer: &Peer) {
    let pkt = create_introduction_request(c, peer.address(), peer.new_style_intro);
    c.endpoint_send(peer.address(), pkt);
}

/// py-ipv8 `get_new_introduction`: from `from`, else a random peer — except with 5%
/// chance (when a bootstrapper is initialized) a keep-alive to the bootstrappers — or
/// bootstrap when there are no peers.
pub fn get_new_introduction<C: Community>(c: &mut C, from: Option<&Peer>) {
    let peer = match from {
        Some(p) => p.clone(),
        None => {
            let available = c.get_peers();
            if available.is_empty() {
                bootstrap(c);
                return;
            }
            let ready = c.base().bootstrappers.iter().any(|b| b.initialized());
            let shared = c.base().shared().clone();
            let (keep_alive, pick) = {
                let mut s = shared.borrow_mut();
                s.rng.with(|r| {
                    let keep_alive = ready && r.gen::<f64>() < 0.05;
                    let pick = if keep_alive {
                        None
                    } else {
                        available.choose(r).cloned()
                    };
                    (keep_alive, pick)
                })
            };
            if keep_alive {
                with_bootstrappers(c, |b, t| b.keep_alive(t));
                return;
            }
            match pick {
                Some(p) => p,
                None => return,
            }
        }
    };
    send_introduction_request(c, &peer);
}

/// Contact every bootstrapper for addresses and walk to at most `max_peers` of them
/// (py-ipv8 `Community.bootstrap`; its per-bootstrapper tasks run inline here).
pub fn bootstrap<C: Community>(c: &mut C) {
    let max = c.base().max_peers;
    let mut found = Vec::new();
    with_bootstrappers(c, |b, t| {
        b.initialize(t);
        found.extend(b.get_addresses(t));
    });
    let limit = if max > 0 {
        usize::try_from(max).unwrap_or(usize::MAX)
    } else {
        usize::MAX
    };
    for a in found.into_iter().take(limit) {
        walk_to(c, a);
    }
}

pub(crate) fn with_bootstrappers<C: Community>(
    c: &mut C,
    mut f: impl FnMut(&mut dyn crate::bootstrap::Bootstrapper, &mut dyn BootstrapTarget),
) {
    let mut bs = std::mem::take(&mut c.base_mut().bootstrappers);
    for b in bs.iter_mut() {
        f(b.as_mut(), c);
    }
    let added = std::mem::take(&mut c.base_mut().bootstrappers);
    bs.extend(added);
    c.base_mut().bootstrappers = bs;
}

impl<C: Community> BootstrapTarget for C {
    fn now(&self) -> Instant {
        CommunityExt::now(self)
    }
    fn walk_to(&mut self, address: SocketAddr) {
        walk_to(self, address)
    }
    fn ensure_blacklisted(&mut self, address: SocketAddr) {
        self.base()
            .shared()
            .borrow_mut()
            .network
            .ensure_blacklisted(address);
    }
    fn random_index(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.base()
            .shared()
            .borrow_mut()
            .rng
            .with(|r| r.gen_range(0..n))
    }
    fn broadcast(&mut self, data: Vec<u8>) {
        self.base().shared().borrow_mut().broadcast(data);
    }
    fn prefix(&self) -> wire::Prefix {
        *self.base().prefix()
    }
}

// ----- receiving ---------------------------------------------------------------------

fn set_new_style<C: Community>(c: &C, peer: &mut Peer) {
    peer.new_style_intro = true;
    c.base()
        .shared()
        .borrow_mut()
        .network
        .update_peer(peer.key_bin(), |p| p.new_style_intro = true);
}

fn on_old_introduction_request<C: Community>(
    c: &mut C,
    src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    let (mut peer, gt, p) = c.decode_signed::<OldRequest>(src, data, true)?;
    if p.flags.supports_new_style {
        set_new_style(c, &mut peer);
    }
    let req = IntroductionRequest {
        new_style: false,
        destination_address: p.destination_address.into(),
        source_lan_address: p.source_lan_address.into(),
        source_wan_address: p.source_wan_address.into(),
        identifier: p.identifier,
        supports_new_style: p.flags.supports_new_style,
        extra_bytes: p.extra_bytes,
    };
    on_introduction_request(c, peer, gt.unwrap_or(0), req)
}

fn on_new_introduction_request<C: Community>(
    c: &mut C,
    src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    let (mut peer, gt, p) = c.decode_signed::<NewRequest>(src, data, true)?;
    set_new_style(c, &mut peer);
    let req = IntroductionRequest {
        new_style: true,
        destination_address: p.destination_address,
        source_lan_address: p.source_lan_address,
        source_wan_address: p.source_wan_address,
        identifier: p.identifier,
        supports_new_style: p.flags.supports_new_style,
        extra_bytes: p.extra_bytes,
    };
    on_introduction_request(c, peer, gt.unwrap_or(0), req)
}

/// py-ipv8 `on_introduction_request` (spec §6.7 "Receiving an introduction-request").
pub fn on_introduction_request<C: Community>(
    c: &mut C,
    mut peer: Peer,
    global_time: u64,
    req: IntroductionRequest,
) -> Result<(), DropReason> {
    let max = c.base().max_peers;
    // Strictly more peers than max_peers: drop silently (spec §6.7 step 1).
    if max >= 0 && usize::try_from(max).is_ok_and(|m| c.peer_count() > m) {
        return Err(DropReason::TooManyPeers);
    }
    if req.source_lan_address.is_ipv4() {
        peer.set_lan_address(req.source_lan_address);
    }
    let id = *c.base().community_id();
    {
        let shared = c.base().shared().clone();
        let mut s = shared.borrow_mut();
        s.network.add_verified_peer(peer.clone());
        s.network.discover_services(peer.key_bin(), &[id]);
    }
    let pkt = create_introduction_response(
        c,
        req.destination_address,
        peer.address(),
        req.identifier,
        None,
        peer.new_style_intro,
    );
    c.endpoint_send(peer.address(), pkt);
    c.introduction_request_callback(&peer, global_time, &req);
    Ok(())
}

fn on_old_introduction_response<C: Community>(
    c: &mut C,
    src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    let (mut peer, gt, p) = c.decode_signed::<OldResponse>(src, data, true)?;
    if p.flags.supports_new_style {
        set_new_style(c, &mut peer);
    }
    let resp = IntroductionResponse {
        new_style: false,
        destination_address: p.destination_address.into(),
        source_lan_address: p.source_lan_address.into(),
        source_wan_address: p.source_wan_address.into(),
        lan_introduction_address: p.lan_introduction_address.into(),
        wan_introduction_address: p.wan_introduction_address.into(),
        identifier: p.identifier,
        supports_new_style: p.flags.supports_new_style,
        intro_supports_new_style: p.flags.intro_supports_new_style,
        peer_limit_reached: p.flags.peer_limit_reached,
        extra_bytes: p.extra_bytes,
    };
    on_introduction_response(c, peer, gt.unwrap_or(0), resp)
}

fn on_new_introduction_response<C: Community>(
    c: &mut C,
    src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    let (mut peer, gt, p) = c.decode_signed::<NewResponse>(src, data, true)?;
    set_new_style(c, &mut peer);
    let resp = IntroductionResponse {
        new_style: true,
        destination_address: p.destination_address,
        source_lan_address: p.source_lan_address,
        source_wan_address: p.source_wan_address,
        lan_introduction_address: p.lan_introduction_address,
        wan_introduction_address: p.wan_introduction_address,
        identifier: p.identifier,
        supports_new_style: true,
        intro_supports_new_style: p.flags.intro_supports_new_style,
        peer_limit_reached: false,
        extra_bytes: p.extra_bytes,
    };
    on_introduction_response(c, peer, gt.unwrap_or(0), resp)
}

/// py-ipv8 `on_introduction_response` (spec §6.7 "Receiving an introduction-response").
///
/// QUIRK (spec §6.7): there is no check that we ever sent a request; any validly
/// signed response is accepted.
pub fn on_introduction_response<C: Community>(
    c: &mut C,
    peer: Peer,
    global_time: u64,
    resp: IntroductionResponse,
) -> Result<(), DropReason> {
    let dest = resp.destination_address;
    {
        let b = c.base_mut();
        if dest.is_ipv4() && !address_in_lan_subnets(&dest.ip()) {
            b.my_estimated_wan = dest;
        }
        b.my_peer_address = dest;
    }
    // Step 3 (switching to another interface type the responder offers) needs a
    // multi-interface endpoint; our endpoints have one address family, so the
    // condition "requested interface is one we run" never holds.
    let id = *c.base().community_id();
    let my_wan = c.base().my_estimated_wan;
    let my_lan = c.base().my_estimated_lan;
    let (l, w) = (resp.lan_introduction_address, resp.wan_introduction_address);
    let mut introductions = Vec::with_capacity(2);
    if w != NULL_ADDRESS && !same_ip(&w, &my_wan) {
        if l != NULL_ADDRESS {
            introductions.push(l);
        }
        introductions.push(w);
    } else if l != NULL_ADDRESS && same_ip(&w, &my_wan) {
        introductions.push(l);
    } else if w != NULL_ADDRESS {
        introductions.push(w);
        introductions.push(SocketAddr::new(my_lan.ip(), w.port()));
    }
    {
        let shared = c.base().shared().clone();
        let mut s = shared.borrow_mut();
        s.network.add_verified_peer(peer.clone());
        s.network.discover_services(peer.key_bin(), &[id]);
        for a in introductions {
            s.network
                .discover_address(&peer, a, Some(id), resp.intro_supports_new_style);
        }
    }
    c.introduction_response_callback(&peer, global_time, &resp);
    Ok(())
}

fn on_old_puncture_request<C: Community>(
    c: &mut C,
    _src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    let parts = wire::parse_unsigned(data, true)?;
    let p: PunctureRequestOld = wire::decode_exact(parts.payload)?;
    on_puncture_request(
        c,
        p.lan_walker_address.into(),
        p.wan_walker_address.into(),
        p.identifier,
        false,
    );
    Ok(())
}

fn on_new_puncture_request<C: Community>(
    c: &mut C,
    _src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    let parts = wire::parse_unsigned(data, true)?;
    let p: NewPunctureRequest = wire::decode_exact(parts.payload)?;
    on_puncture_request(
        c,
        p.lan_walker_address,
        p.wan_walker_address,
        p.identifier,
        true,
    );
    Ok(())
}

/// py-ipv8 `on_puncture_request`: puncture the requester's WAN address (its LAN address
/// if it shares our WAN IP). QUIRK (spec §6.7): the puncture's source_wan is the
/// request's wan_walker_address, as the reference does.
pub fn on_puncture_request<C: Community>(
    c: &mut C,
    lan_walker: SocketAddr,
    wan_walker: SocketAddr,
    identifier: u16,
    new_style: bool,
) {
    let my_wan = c.base().my_estimated_wan;
    let target = if same_ip(&wan_walker, &my_wan) {
        lan_walker
    } else {
        wan_walker
    };
    let lan = c.base().my_estimated_lan;
    let pkt = create_puncture(c, lan, wan_walker, identifier, new_style);
    c.endpoint_send(target, pkt);
}

fn on_puncture<C: Community, P: Payload>(
    c: &mut C,
    src: SocketAddr,
    data: &[u8],
) -> Result<(), DropReason> {
    // Verify and do nothing: a puncture only opens the NAT mapping.
    c.decode_signed::<P>(src, data, true).map(|_| ())
}
