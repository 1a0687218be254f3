//! [`Community`]: the overlay framework (py-ipv8 `ipv8/community.py`,
//! `ipv8/lazy_community.py`).
//!
//! A user community is a struct holding a [`CommunityBase<Self>`] and implementing
//! [`Community`] (two accessors, optional hooks). Everything py-ipv8's `Community`
//! offers — `ez_send`, handlers by payload type, `get_peers`, `walk_to`, tasks,
//! introductions — comes from the blanket [`CommunityExt`] trait:
//!
//! ```ignore
//! #[derive(Payload)]
//! #[payload(msg_id = 1)]
//! struct MyMessage { clock: u64 }
//!
//! struct Lamport { base: CommunityBase<Self>, clock: u64 }
//! impl Community for Lamport {
//!     fn base(&self) -> &CommunityBase<Self> { &self.base }
//!     fn base_mut(&mut self) -> &mut CommunityBase<Self> { &mut self.base }
//! }
//! impl Lamport {
//!     fn new(settings: CommunitySettings) -> Self {
//!         let mut c = Lamport { base: CommunityBase::new(ID, settings), clock: 0 };
//!         c.add_message_handler(|c: &mut Self, peer: &Peer, msg: MyMessage| {
//!             c.clock = c.clock.max(msg.clock) + 1;
//!         }).unwrap();
//!         c
//!     }
//! }
//! ```
//!
//! Handlers receive the verified sender [`Peer`] and the decoded payload (py-ipv8's
//! `lazy_wrapper`); a bad key, bad signature, undecodable payload or trailing byte is
//! dropped and counted ([`DropReason`]), never a panic.

use super::context::{DropReason, Shared};
use crate::bootstrap::Bootstrapper;
use crate::crypto::PrivateKey;
use crate::discovery::{KeyBin, Mid, Peer, ServiceId, NULL_ADDRESS};
use crate::runtime::{Duration, Instant, RequestCache, TaskError, TaskHandle, TaskManager};
use crate::wire::{self, Payload, Prefix};
use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

/// A type-erased message handler: `(community, source, whole packet)`.
pub type Handler<C> = Rc<dyn Fn(&mut C, SocketAddr, &[u8]) -> Result<(), DropReason>>;

/// py-ipv8's default `max_peers` (`CommunitySettings`).
pub const DEFAULT_MAX_PEERS: i64 = 30;

/// Errors of the community framework's API (programming errors, not remote input).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommunityError {
    /// A handler is already registered for this message id (py-ipv8 raises too).
    #[error("a handler for message id {0} is already registered")]
    DuplicateHandler(u8),
    /// A task error.
    #[error(transparent)]
    Task(#[from] TaskError),
}

/// What a community is built from (py-ipv8 `CommunitySettings` + `my_peer`, endpoint,
/// network).
#[derive(Clone)]
pub struct CommunitySettings {
    /// The node's shared state.
    pub shared: Shared,
    /// The key this overlay signs with.
    pub key: Rc<PrivateKey>,
    /// The Lamport clock of that key (shared by all overlays using the key).
    pub global_time: Rc<Cell<u64>>,
    /// Maximum peers before introduction-requests are dropped (−1: unlimited).
    pub max_peers: i64,
}

impl CommunitySettings {
    /// Settings with a fresh clock and py-ipv8's default `max_peers`.
    pub fn new(shared: Shared, key: Rc<PrivateKey>) -> Self {
        CommunitySettings {
            shared,
            key,
            global_time: Rc::new(Cell::new(0)),
            max_peers: DEFAULT_MAX_PEERS,
        }
    }
}

/// Handlers by message id: a 256-byte index (+ a 32-byte presence bitmap) into a
/// dense list, instead of 256 fat-pointer slots (4 KB per community; a community
/// registers ~25).
struct HandlerTable<C> {
    /// `slot[id]` = position in `handlers` (meaningful when `present` has `id`).
    slot: [u8; 256],
    present: [u64; 4],
    handlers: Vec<Handler<C>>,
}

impl<C> Clone for HandlerTable<C> {
    fn clone(&self) -> Self {
        HandlerTable {
            slot: self.slot,
            present: self.present,
            handlers: self.handlers.clone(),
        }
    }
}

impl<C> Default for HandlerTable<C> {
    fn default() -> Self {
        HandlerTable {
            slot: [0; 256],
            present: [0; 4],
            handlers: Vec::new(),
        }
    }
}

impl<C> HandlerTable<C> {
    fn has(&self, msg_id: u8) -> bool {
        self.present
            .get(usize::from(msg_id >> 6))
            .is_some_and(|w| w & (1 << (msg_id & 63)) != 0)
    }

    fn get(&self, msg_id: u8) -> Option<&Handler<C>> {
        if !self.has(msg_id) {
            return None;
        }
        let i = *self.slot.get(usize::from(msg_id))?;
        self.handlers.get(usize::from(i))
    }

    /// Set or replace the handler of `msg_id`.
    fn set(&mut self, msg_id: u8, h: Handler<C>) {
        if self.has(msg_id) {
            let i = self.slot.get(usize::from(msg_id)).copied().unwrap_or(0);
            if let Some(old) = self.handlers.get_mut(usize::from(i)) {
                *old = h;
            }
            return;
        }
        // At most 256 distinct ids, so a position is at most 255.
        let Ok(i) = u8::try_from(self.handlers.len()) else {
            return;
        };
        self.handlers.push(h);
        if let Some(s) = self.slot.get_mut(usize::from(msg_id)) {
            *s = i;
        }
        if let Some(w) = self.present.get_mut(usize::from(msg_id >> 6)) {
            *w |= 1 << (msg_id & 63);
        }
    }
}

thread_local! {
    /// The base handler table of each community type, built once per thread.
    static BASE_HANDLERS: RefCell<rustc_hash::FxHashMap<TypeId, Rc<dyn Any>>> =
        RefCell::default();
}

/// The shared base handler table of community type `C` (`build` makes it the first
/// time). The table holds only the base handlers, which are plain functions of the
/// community: sharing it cannot change what any instance does.
fn base_handlers<C: 'static>(build: impl FnOnce() -> Rc<HandlerTable<C>>) -> Rc<HandlerTable<C>> {
    let cached = BASE_HANDLERS.with(|m| m.borrow().get(&TypeId::of::<C>()).cloned());
    if let Some(t) = cached.and_then(|t| t.downcast::<HandlerTable<C>>().ok()) {
        return t;
    }
    let t = build();
    BASE_HANDLERS.with(|m| {
        m.borrow_mut()
            .insert(TypeId::of::<C>(), t.clone() as Rc<dyn Any>)
    });
    t
}

/// The state every community has (py-ipv8 `Community` attributes).
pub struct CommunityBase<C> {
    community_id: ServiceId,
    prefix: Prefix,
    key: Rc<PrivateKey>,
    key_bin: KeyBin,
    global_time: Rc<Cell<u64>>,
    /// Our estimated LAN address.
    pub my_estimated_lan: SocketAddr,
    /// Our estimated WAN address (learned from introduction-responses, spec §6.8).
    pub my_estimated_wan: SocketAddr,
    /// `my_peer.address`: how the last responder saw us.
    pub my_peer_address: SocketAddr,
    /// Introduction-requests are dropped above this many peers (−1: never).
    pub max_peers: i64,
    /// This overlay's bootstrappers.
    pub bootstrappers: Vec<Box<dyn Bootstrapper>>,
    /// Shared by every community of type `C` until one changes its own (copy on
    /// write): the base handlers are the same closures for all of them, and a
    /// simulation has one community per node.
    handlers: Rc<HandlerTable<C>>,
    /// The overlay's tasks (py-ipv8: every overlay is a `TaskManager`).
    pub tasks: TaskManager<C>,
    /// The overlay's request cache (py-ipv8 `self.request_cache`), driven with the tasks.
    pub request_cache: RequestCache<C>,
    shared: Shared,
}

impl<C: Community> CommunityBase<C> {
    /// A community with id `community_id` (version 2 prefix) and the base message
    /// handlers (introductions, punctures, deprecated ids) registered.
    pub fn new(community_id: ServiceId, settings: CommunitySettings) -> Self {
        let key_bin = {
            let s = settings.shared.borrow();
            let mut keys = s.keys.borrow_mut();
            keys.intern(settings.key.public_key())
        };
        {
            let mut s = settings.shared.borrow_mut();
            s.network.register_service_provider(community_id);
            s.network.blacklist_mid(*key_bin.mid());
        }
        let mut base = CommunityBase {
            community_id,
            prefix: wire::prefix(&community_id),
            key: settings.key,
            key_bin,
            global_time: settings.global_time,
            // Overlays are created before the endpoint opens: both estimates start
            // as 0.0.0.0:0 (spec §6.8).
            my_estimated_lan: NULL_ADDRESS,
            my_estimated_wan: NULL_ADDRESS,
            my_peer_address: NULL_ADDRESS,
            max_peers: settings.max_peers,
            bootstrappers: Vec::new(),
            handlers: Rc::default(),
            tasks: TaskManager::new(),
            request_cache: RequestCache::new(),
            shared: settings.shared,
        };
        base.handlers = base_handlers::<C>(|| {
            super::intro::register_base_handlers(&mut base);
            base.handlers.clone()
        });
        base
    }
}

impl<C> CommunityBase<C> {
    /// The 20-byte community id.
    pub fn community_id(&self) -> &ServiceId {
        &self.community_id
    }

    /// The 22-byte prefix.
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// Our signing key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Our public key bin.
    pub fn key_bin(&self) -> &KeyBin {
        &self.key_bin
    }

    /// Our member id.
    pub fn mid(&self) -> &Mid {
        self.key_bin.mid()
    }

    /// The node's shared state.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Increment and return the key's Lamport clock (py-ipv8 `claim_global_time`).
    pub fn claim_global_time(&self) -> u64 {
        let t = self.global_time.get() + 1;
        self.global_time.set(t);
        t
    }

    /// The key's Lamport clock without claiming.
    pub fn global_time(&self) -> u64 {
        self.global_time.get()
    }

    /// Register a raw handler for a message id.
    pub fn set_handler(&mut self, msg_id: u8, h: Handler<C>) -> Result<(), CommunityError> {
        if self.handlers.get(msg_id).is_some() {
            return Err(CommunityError::DuplicateHandler(msg_id));
        }
        Rc::make_mut(&mut self.handlers).set(msg_id, h);
        Ok(())
    }

    /// Replace (or set) the handler of a message id (subclasses overriding base
    /// behaviour, e.g. the DiscoveryCommunity's old-style introduction-request).
    pub fn replace_handler(&mut self, msg_id: u8, h: Handler<C>) {
        Rc::make_mut(&mut self.handlers).set(msg_id, h);
    }

    /// Remove every handler (a community that handles only a few ids itself).
    pub fn clear_handlers(&mut self) {
        self.handlers = Rc::default();
    }

    fn handler(&self, msg_id: u8) -> Option<Handler<C>> {
        self.handlers.get(msg_id).cloned()
    }

    /// Sign `data` with our key (counted).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        let keys = {
            let mut s = self.shared.borrow_mut();
            s.stats.signs += 1;
            s.keys.clone()
        };
        let sig = keys.borrow_mut().sign(&self.key, data);
        sig
    }
}

/// What a typed message handler may return: `()` (accepted) or a
/// `Result<(), DropReason>` (so a handler can report why it refused a message, e.g.
/// [`DropReason::NoCache`] for a replayed response).
pub trait HandlerOutput {
    /// As a result.
    fn into_result(self) -> Result<(), DropReason>;
}

impl HandlerOutput for () {
    fn into_result(self) -> Result<(), DropReason> {
        Ok(())
    }
}

impl HandlerOutput for Result<(), DropReason> {
    fn into_result(self) -> Result<(), DropReason> {
        self
    }
}

/// A community: a struct holding a [`CommunityBase`] (see the module docs).
pub trait Community: Sized + 'static {
    /// The base state.
    fn base(&self) -> &CommunityBase<Self>;
    /// The base state, mutably.
    fn base_mut(&mut self) -> &mut CommunityBase<Self>;

    /// Called once when the node starts (after the endpoint opened): register tasks here.
    fn started(&mut self) {}

    /// Called after an introduction-request was processed (py-ipv8
    /// `introduction_request_callback`).
    fn introduction_request_callback(
        &mut self,
        _peer: &Peer,
        _global_time: u64,
        _request: &super::IntroductionRequest,
    ) {
    }

    /// Called after an introduction-response was processed (py-ipv8
    /// `introduction_response_callback`).
    fn introduction_response_callback(
        &mut self,
        _peer: &Peer,
        _global_time: u64,
        _response: &super::IntroductionResponse,
    ) {
    }

    /// Extra bytes piggybacked on our introduction-requests and -responses (py-ipv8
    /// `create_introduction_request(extra_bytes=…)`; TunnelCommunity puts its flags here).
    fn introduction_extra_bytes(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Called when the node shuts down, before tasks are cancelled.
    fn unload(&mut self) {}

    /// Whether this overlay receives datagrams of *every* prefix no other local
    /// overlay claims (py-ipv8's general endpoint listeners; the bootstrap server).
    fn accepts_any_prefix(&self) -> bool {
        false
    }

    /// The peer to introduce to a requester (py-ipv8 `get_peer_for_introduction`):
    /// by default a random peer of this community other than `exclude`, IPv4 only
    /// unless `new_style`.
    fn peer_for_introduction(&self, exclude: Option<&Peer>, new_style: bool) -> Option<Peer> {
        super::intro::get_peer_for_introduction(self, exclude, new_style)
    }
}

/// Everything py-ipv8's `Community` offers, for every [`Community`].
pub trait CommunityExt: Community {
    /// The current time.
    fn now(&self) -> Instant {
        self.base().shared.borrow().now
    }

    /// Verified peers serving this community (py-ipv8 `get_peers`).
    fn get_peers(&self) -> Vec<Peer> {
        let id = *self.base().community_id();
        self.base().shared.borrow().network.peers_for_service(&id)
    }

    /// Number of verified peers serving this community.
    fn peer_count(&self) -> usize {
        let id = *self.base().community_id();
        self.base()
            .shared
            .borrow()
            .network
            .count_peers_for_service(&id)
    }

    /// Queue a datagram.
    fn endpoint_send(&self, to: SocketAddr, data: Vec<u8>) {
        self.base().shared.borrow_mut().send(to, data);
    }

    /// Send a signed payload without global time to `peer` (py-ipv8 `ez_send`, spec §3.2).
    fn ez_send<P: Payload>(&self, peer: &Peer, payload: &P) {
        let pkt = self.ezr_pack(payload);
        self.endpoint_send(peer.address(), pkt);
    }

    /// The bytes `ez_send` would send (py-ipv8 `ezr_pack(msg_id, payload, sig=True)`).
    fn ezr_pack<P: Payload>(&self, payload: &P) -> Vec<u8> {
        let b = self.base();
        wire::pack_signed(b.prefix(), P::MSG_ID, b.key_bin(), None, payload, |d| {
            b.sign(d)
        })
    }

    /// Send a signed payload with a claimed global time (spec §3.1).
    fn send_signed_with_time<P: Payload>(&self, to: SocketAddr, payload: &P) {
        let b = self.base();
        let gt = b.claim_global_time();
        let pkt = wire::pack_signed(b.prefix(), P::MSG_ID, b.key_bin(), Some(gt), payload, |d| {
            b.sign(d)
        });
        self.endpoint_send(to, pkt);
    }

    /// Send an unsigned payload without global time (spec §3.4; py-ipv8 `ez_send(sig=False)`).
    fn send_unsigned<P: Payload>(&self, to: SocketAddr, payload: &P) {
        let pkt = wire::pack_unsigned(self.base().prefix(), P::MSG_ID, None, payload);
        self.endpoint_send(to, pkt);
    }

    /// Send an unsigned payload with a claimed global time (spec §3.3).
    fn send_unsigned_with_time<P: Payload>(&self, to: SocketAddr, payload: &P) {
        let gt = self.base().claim_global_time();
        let pkt = wire::pack_unsigned(self.base().prefix(), P::MSG_ID, Some(gt), payload);
        self.endpoint_send(to, pkt);
    }

    /// Handle a signed payload without global time: `f(community, sender, payload)`.
    fn add_message_handler<P: Payload + 'static, R: HandlerOutput>(
        &mut self,
        f: impl Fn(&mut Self, &Peer, P) -> R + 'static,
    ) -> Result<(), CommunityError> {
        let h: Handler<Self> = Rc::new(move |c: &mut Self, src, data| {
            let (peer, _, p) = c.decode_signed::<P>(src, data, false)?;
            f(c, &peer, p).into_result()
        });
        self.base_mut().set_handler(P::MSG_ID, h)
    }

    /// Handle a signed payload with global time: `f(community, sender, global_time, payload)`.
    fn add_message_handler_with_time<P: Payload + 'static, R: HandlerOutput>(
        &mut self,
        f: impl Fn(&mut Self, &Peer, u64, P) -> R + 'static,
    ) -> Result<(), CommunityError> {
        let h: Handler<Self> = Rc::new(move |c: &mut Self, src, data| {
            let (peer, gt, p) = c.decode_signed::<P>(src, data, true)?;
            f(c, &peer, gt.unwrap_or(0), p).into_result()
        });
        self.base_mut().set_handler(P::MSG_ID, h)
    }

    /// Handle an unsigned payload without global time: `f(community, source, payload)`.
    fn add_unsigned_handler<P: Payload + 'static, R: HandlerOutput>(
        &mut self,
        f: impl Fn(&mut Self, SocketAddr, P) -> R + 'static,
    ) -> Result<(), CommunityError> {
        let h: Handler<Self> = Rc::new(move |c: &mut Self, src, data| {
            let parts = wire::parse_unsigned(data, false)?;
            let p: P = wire::decode_exact(parts.payload)?;
            f(c, src, p).into_result()
        });
        self.base_mut().set_handler(P::MSG_ID, h)
    }

    /// Handle an unsigned payload with global time: `f(community, source, global_time, payload)`.
    fn add_unsigned_handler_with_time<P: Payload + 'static, R: HandlerOutput>(
        &mut self,
        f: impl Fn(&mut Self, SocketAddr, u64, P) -> R + 'static,
    ) -> Result<(), CommunityError> {
        let h: Handler<Self> = Rc::new(move |c: &mut Self, src, data| {
            let parts = wire::parse_unsigned(data, true)?;
            let p: P = wire::decode_exact(parts.payload)?;
            f(c, src, parts.global_time.unwrap_or(0), p).into_result()
        });
        self.base_mut().set_handler(P::MSG_ID, h)
    }

    /// Handle raw packets of a message id: `f(community, source, whole packet)`.
    fn add_raw_handler(
        &mut self,
        msg_id: u8,
        f: impl Fn(&mut Self, SocketAddr, &[u8]) -> Result<(), DropReason> + 'static,
    ) -> Result<(), CommunityError> {
        self.base_mut().set_handler(msg_id, Rc::new(f))
    }

    /// Unpack and verify a signed message (py-ipv8 `lazy_wrapper`): the sender is the
    /// known peer with that key (its address updated to `src`) or a fresh peer.
    fn decode_signed<P: Payload>(
        &mut self,
        src: SocketAddr,
        data: &[u8],
        has_global_time: bool,
    ) -> Result<(Peer, Option<u64>, P), DropReason> {
        let (key_bin, gt, payload) = self.unpack_signed::<P>(data, has_global_time)?;
        let shared = self.base().shared().clone();
        let mut s = shared.borrow_mut();
        let now = s.now;
        let peer = match s.network.update_peer(&key_bin, |p| {
            p.add_address(src);
            p.clone()
        }) {
            Some(p) => p,
            None => Peer::new(key_bin, src, now),
        };
        Ok((peer, gt, payload))
    }

    /// Unpack and verify a signed message: the sender's key bin, the global time and
    /// the payload (py-ipv8 `_ez_unpack_auth`). Any failure is a [`DropReason`].
    fn unpack_signed<P: Payload>(
        &self,
        data: &[u8],
        has_global_time: bool,
    ) -> Result<(KeyBin, Option<u64>, P), DropReason> {
        let shared = self.base().shared().clone();
        let mut key = None;
        let parts = wire::parse_signed(data, has_global_time, |kb| {
            let k = shared
                .borrow()
                .keys
                .borrow_mut()
                .get(kb)
                .map_err(|e| wire::WireError::BadKey(e.to_string()))?;
            let len = k.1.signature_length();
            key = Some(k);
            Ok(len)
        })
        .map_err(|e| match e {
            wire::WireError::BadKey(_) => DropReason::BadKey,
            _ => DropReason::Malformed,
        })?;
        let (key_bin, public_key) = key.ok_or(DropReason::BadKey)?;
        // py-ipv8 unpacks before verifying; either failure drops the message.
        let payload: P = wire::decode_exact(parts.payload)?;
        let valid = {
            let keys = {
                let mut s = shared.borrow_mut();
                s.stats.verifies += 1;
                s.keys.clone()
            };
            let ok = keys
                .borrow_mut()
                .verify(&public_key, parts.signature, parts.signed_data);
            ok
        };
        if !valid {
            return Err(DropReason::BadSignature);
        }
        Ok((key_bin, parts.global_time, payload))
    }

    /// Route a datagram with our prefix to its handler (py-ipv8 `Community.on_packet`).
    /// The caller has checked the prefix.
    fn on_packet(&mut self, src: SocketAddr, data: &[u8]) -> Result<(), DropReason> {
        {
            let shared = self.base().shared().clone();
            let mut s = shared.borrow_mut();
            let now = s.now;
            s.network.touch_by_address(&src, now);
        }
        let msg_id = *data.get(wire::PREFIX_LEN).ok_or(DropReason::NoHeader)?;
        match self.base().handler(msg_id) {
            Some(h) => h(self, src, data),
            None => Err(DropReason::UnknownMessage),
        }
    }

    /// Register a named task: `f(community, now)` after `delay` (default: one
    /// interval, or now), then every `interval` if given (py-ipv8 `register_task`).
    fn register_task(
        &mut self,
        name: &str,
        f: impl FnMut(&mut Self, Instant) + 'static,
        delay: Option<Duration>,
        interval: Option<Duration>,
    ) -> Result<TaskHandle, CommunityError> {
        let now = self.now();
        Ok(self
            .base_mut()
            .tasks
            .register_task(now, name, f, delay, interval)?)
    }

    /// Register an anonymous task (py-ipv8 `register_anonymous_task`).
    fn register_anonymous_task(
        &mut self,
        name: &str,
        f: impl FnMut(&mut Self, Instant) + 'static,
        delay: Option<Duration>,
        interval: Option<Duration>,
    ) -> Result<TaskHandle, CommunityError> {
        let now = self.now();
        Ok(self
            .base_mut()
            .tasks
            .register_anonymous_task(now, name, f, delay, interval)?)
    }

    /// Cancel a named task.
    fn cancel_pending_task(&mut self, name: &str) -> bool {
        self.base_mut().tasks.cancel_pending_task(name)
    }

    /// Run every due task and request-cache timeout.
    fn run_due_tasks(&mut self, now: Instant) {
        TaskManager::run_due(self, now, |c| &mut c.base_mut().tasks);
        RequestCache::run_due(self, now, |c| &mut c.base_mut().request_cache);
    }

    /// The earliest task or cache deadline.
    fn poll_task_timeout(&self) -> Option<Instant> {
        let b = self.base();
        match (b.tasks.poll_timeout(), b.request_cache.poll_timeout()) {
            (Some(a), Some(c)) => Some(a.min(c)),
            (a, c) => a.or(c),
        }
    }
}

impl<C: Community> CommunityExt for C {}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(tag: u8) -> Handler<()> {
        Rc::new(move |_: &mut (), _, _: &[u8]| {
            if tag == 0 {
                Ok(())
            } else {
                Err(DropReason::Refused)
            }
        })
    }

    /// Every one of the 256 ids can hold its own handler; replacing keeps one entry.
    #[test]
    fn handler_table_holds_all_ids_and_replaces() {
        let mut t = HandlerTable::<()>::default();
        let src: SocketAddr = "1.2.3.4:5".parse().unwrap();
        assert!(t.get(7).is_none());
        for id in 0..=255u8 {
            t.set(id, h(id % 2));
        }
        assert_eq!(t.handlers.len(), 256);
        for id in 0..=255u8 {
            let r = (t.get(id).unwrap())(&mut (), src, &[]);
            assert_eq!(r.is_ok(), id % 2 == 0, "id {id}");
        }
        t.set(255, h(0));
        t.set(0, h(1));
        assert_eq!(t.handlers.len(), 256);
        assert!((t.get(255).unwrap())(&mut (), src, &[]).is_ok());
        assert!((t.get(0).unwrap())(&mut (), src, &[]).is_err());
    }
}
