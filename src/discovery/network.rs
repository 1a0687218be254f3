//! [`Network`]: the peer store shared by the overlays of one IPv8 instance
//! (py-ipv8 `ipv8/peerdiscovery/network.py`, spec §7).
//!
//! It keeps the walkable ("all") addresses with who introduced them, the verified
//! peers, the blacklists and the services each peer advertises. Iteration order is
//! insertion order (IndexMap with a fixed hasher), never hash order, so everything
//! that samples from it is deterministic for a seeded RNG.
//!
//! py-ipv8 quirks reproduced on purpose (spec §7), each marked `QUIRK` below:
//! - `walkable_addresses` adds an address's recorded service to its introducer's
//!   service set while filtering;
//! - `remove_by_address` does not clean the key → peer map, so such a peer stays
//!   "known" and a later `add_verified_peer` with its key only merges addresses.

use super::dense::{key_hash, DenseEntry, DenseMap};
use super::peer::{KeyBin, Mid, Peer, PeerAddresses, ServiceId};
use super::sets::{AddrKey, KeySet, ServiceCounts, ServiceSet};
use crate::runtime::Instant;
use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashSet};
use std::net::SocketAddr;

/// What we know of a walkable address (py-ipv8 `WalkableAddress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walkable {
    /// Key bin of the peer that introduced it (`None`: nobody, e.g. learned directly).
    pub introduced_by: Option<KeyBin>,
    /// The service (community id) through which it was introduced.
    pub service: Option<ServiceId>,
    /// Whether the address speaks new-style introductions.
    pub new_style: bool,
}

/// How a [`Walkable`] is stored, with its address: the service as an index into
/// `Network::services` (32 bytes, one per known address).
#[derive(Clone)]
struct Walk {
    addr: AddrKey,
    introduced_by: Option<KeyBin>,
    /// Index + 1 into `Network::services`; 0 = none.
    service: u32,
    new_style: bool,
}

/// A known peer: its record (which also carries this store's indexing stamp and
/// verified flag, in its padding: `Peer::store_indexed`, `Peer::store_verified`) and
/// its py-ipv8 `services_per_peer` entry.
#[derive(Clone)]
struct Known {
    peer: Peer,
    /// Its py-ipv8 `services_per_peer` entry (`None`: no entry). Kept with the peer
    /// rather than in a second hash map keyed by the same 74-byte key.
    services: Option<ServiceSet>,
}

impl Known {
    /// In `verified_peers` (false only after `remove_by_address`, see QUIRK).
    fn verified(&self) -> bool {
        self.peer.store_verified
    }

    /// When its addresses were last indexed (a `Network::index_seq` value): of the
    /// verified peers sharing an address, the one indexed earliest is "the" peer at
    /// that address. `Network::next_index_seq` renumbers before the 32 bits wrap.
    fn indexed(&self) -> u32 {
        self.peer.store_indexed
    }
}

/// From this many known peers on, a network keeps an address → keys index; below,
/// the few verified peers are scanned (the index cost ~75 bytes per known peer, in
/// every node of a simulation).
const ADDR_INDEX_FROM: usize = 64;

/// The shared peer graph of one IPv8 instance.
pub struct Network {
    all_addresses: AddrTable,
    /// The distinct service ids `all_addresses` refers to (interned, never shrinks:
    /// one per community seen).
    services: Vec<ServiceId>,
    /// py-ipv8 `verified_by_public_key_bin` (+ the `verified_peers` flag).
    known: KnownTable,
    /// Address → keys of verified peers having that address, each set in indexing
    /// order (for `verified_by_address`), once the network has
    /// `addr_index_from` known peers; `None` before (lookups scan `known`, with the
    /// same answers: `Known::indexed` orders the peers sharing an address). Only
    /// looked up, never iterated.
    by_address: Option<Box<IndexMap<AddrKey, KeySet, FxBuildHasher>>>,
    /// The last `Known::indexed` stamp given.
    index_seq: u32,
    /// When to build `by_address` ([`ADDR_INDEX_FROM`]; tests vary it).
    addr_index_from: usize,
    /// `services_per_peer` entries of keys not in `known` (rare: py-ipv8 lets a
    /// service be recorded before, or without, the peer).
    orphan_services: OrphanTable,
    /// Number of verified peers serving each service (kept in step with `known` and
    /// the service sets by every mutation, so counting is O(1)).
    service_counts: ServiceCounts,
    /// Number of verified peers.
    verified: usize,
    service_overlays: Vec<ServiceId>,
    blacklist: Vec<SocketAddr>,
    blacklist_mids: Vec<Mid>,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            all_addresses: AddrTable::default(),
            services: Vec::new(),
            known: KnownTable::default(),
            by_address: None,
            index_seq: 0,
            addr_index_from: ADDR_INDEX_FROM,
            orphan_services: OrphanTable::default(),
            service_counts: ServiceCounts::default(),
            verified: 0,
            service_overlays: Vec::new(),
            blacklist: Vec::new(),
            blacklist_mids: Vec::new(),
        }
    }
}

impl Network {
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty network that keeps its address index from `n` known peers on.
    #[cfg(test)]
    fn with_address_index_from(n: usize) -> Self {
        Network {
            addr_index_from: n,
            ..Network::default()
        }
    }

    // ----- blacklists and registrations -------------------------------------------

    /// Addresses never to add as peers (bootstrap servers).
    pub fn blacklist(&self) -> &[SocketAddr] {
        &self.blacklist
    }

    /// Blacklist an address if it is not already (py-ipv8 `ensure_blacklisted`).
    pub fn ensure_blacklisted(&mut self, address: SocketAddr) {
        if !self.blacklist.contains(&address) {
            push_exact(&mut self.blacklist, address);
        }
    }

    /// Whether `address` is blacklisted.
    pub fn is_blacklisted(&self, address: &SocketAddr) -> bool {
        self.blacklist.contains(address)
    }

    /// Never add a peer with this mid (each community adds its own).
    pub fn blacklist_mid(&mut self, mid: Mid) {
        if !self.blacklist_mids.contains(&mid) {
            push_exact(&mut self.blacklist_mids, mid);
        }
    }

    /// Register a local overlay as provider of a service id.
    pub fn register_service_provider(&mut self, service: ServiceId) {
        if !self.service_overlays.contains(&service) {
            push_exact(&mut self.service_overlays, service);
        }
    }

    /// Service ids of the local overlays, in registration order.
    pub fn service_providers(&self) -> &[ServiceId] {
        &self.service_overlays
    }

    // ----- addresses ----------------------------------------------------------------

    /// Whether `address` is known and known to speak new-style introductions.
    pub fn is_new_style(&self, address: &SocketAddr) -> bool {
        self.all_addresses.get(address).is_some_and(|w| w.new_style)
    }

    /// Whether `address` is among the known (walkable or peer) addresses.
    pub fn is_known_address(&self, address: &SocketAddr) -> bool {
        self.all_addresses.contains_key(address)
    }

    /// Number of known addresses.
    pub fn address_count(&self) -> usize {
        self.all_addresses.len()
    }

    /// Add an address with no introducer (e.g. from a snapshot).
    pub fn add_walkable_address(&mut self, address: SocketAddr) {
        self.insert_address(
            address,
            Walkable {
                introduced_by: None,
                service: None,
                new_style: false,
            },
        );
    }

    /// `introducer` introduced us to `address` (py-ipv8 `discover_address`).
    pub fn discover_address(
        &mut self,
        introducer: &Peer,
        address: SocketAddr,
        service: Option<ServiceId>,
        new_style: bool,
    ) {
        if self.blacklist.contains(&address) {
            self.add_verified_peer(introducer.clone());
            return;
        }
        let replace = match self.all_addresses.get(&address) {
            None => true,
            // Our previous parent has been removed.
            Some(w) => match &w.introduced_by {
                None => true,
                Some(k) => !self.known.contains_key(k),
            },
        };
        if replace {
            self.insert_address(
                address,
                Walkable {
                    introduced_by: Some(introducer.key_bin().clone()),
                    service,
                    new_style,
                },
            );
        }
        self.add_verified_peer(introducer.clone());
    }

    /// Addresses introduced to us by the peer with `key` (py-ipv8 `get_introductions_from`).
    pub fn introductions_from(&self, key: &KeyBin) -> Vec<SocketAddr> {
        self.all_addresses
            .iter()
            .filter(|w| w.introduced_by.as_ref() == Some(key))
            .map(|w| w.addr.get())
            .collect()
    }

    /// The walkable-address record of `address`.
    pub fn walkable_info(&self, address: &SocketAddr) -> Option<Walkable> {
        let w = self.all_addresses.get(address)?;
        Some(Walkable {
            introduced_by: w.introduced_by.clone(),
            service: self.service_of(w),
            new_style: w.new_style,
        })
    }

    fn service_of(&self, w: &Walk) -> Option<ServiceId> {
        let i = (w.service as usize).checked_sub(1)?;
        self.services.get(i).copied()
    }

    /// Addresses ready to be walked to (py-ipv8 `get_walkable_addresses`): all known
    /// addresses minus those of peers serving `service` (or of all verified peers if
    /// `None`); with a service, keep an address only if it was introduced through that
    /// service or its introducer serves it. `old_style` skips new-style addresses.
    pub fn walkable_addresses(
        &mut self,
        service: Option<&ServiceId>,
        old_style: bool,
    ) -> Vec<SocketAddr> {
        // Only membership is asked of `exclude`: a hash set cannot reach the order.
        let mut exclude: FxHashSet<SocketAddr> = FxHashSet::default();
        for k in self.known.values().filter(|k| k.verified()) {
            let serves = match service {
                Some(s) => k.services.as_ref().is_some_and(|v| v.contains(s)),
                None => true,
            };
            if serves {
                exclude.extend(k.peer.addresses().iter());
            }
        }
        let mut out = Vec::new();
        for w in self.all_addresses.iter() {
            let addr = &w.addr.get();
            if exclude.contains(addr) {
                continue;
            }
            let Some(sid) = service else {
                out.push(*addr);
                continue;
            };
            if old_style && w.new_style {
                continue;
            }
            let service = (w.service as usize)
                .checked_sub(1)
                .and_then(|i| self.services.get(i));
            let mut ok = service == Some(sid);
            if let Some(intro) = &w.introduced_by {
                let entry = match self.known.get_mut(intro) {
                    Some(k) => {
                        let verified = k.verified();
                        k.services.as_mut().map(|v| (v, verified))
                    }
                    None => self.orphan_services.get_mut(intro).map(|v| (v, false)),
                };
                if let Some((services, verified)) = entry {
                    // QUIRK (spec §7): py-ipv8 adds the recorded service to the
                    // introducer's *stored* service set while filtering.
                    if let Some(s) = service.copied() {
                        if services.insert(s) && verified {
                            self.service_counts.add(&s, 1);
                        }
                    }
                    ok = ok || services.contains(sid);
                }
            }
            if ok {
                out.push(*addr);
            }
        }
        out
    }

    // ----- peers --------------------------------------------------------------------

    /// Add a verified peer, or merge its addresses into the known peer with the same key
    /// (py-ipv8 `add_verified_peer`).
    pub fn add_verified_peer(&mut self, peer: Peer) {
        if self.blacklist_mids.contains(peer.mid()) {
            return;
        }
        if let Some(known) = self.known.get(peer.key_bin()) {
            // This may just be an address update.
            let mut merged = known.peer.addresses().clone();
            merged.update(peer.addresses());
            let key = peer.key_bin().clone();
            self.set_addresses(&key, merged);
            return;
        }
        let any_known = peer
            .addresses()
            .iter()
            .any(|a| self.all_addresses.contains_key(&a));
        if !any_known {
            if peer.addresses().iter().any(|a| self.blacklist.contains(&a)) {
                return;
            }
            for a in peer.addresses().iter() {
                if !self.all_addresses.contains_key(&a) {
                    self.insert_address(
                        a,
                        Walkable {
                            introduced_by: None,
                            service: None,
                            new_style: false,
                        },
                    );
                }
            }
        }
        let key = peer.key_bin().clone();
        let indexed = self.next_index_seq();
        if let Some(index) = self.by_address.as_deref_mut() {
            index_add(index, &key, peer.addresses());
        }
        let services = self.orphan_services.remove(&key);
        let mut peer = peer;
        peer.store_verified = true;
        peer.store_indexed = indexed;
        self.known.insert_new(Known { peer, services });
        self.count(&key, true);
        if self.by_address.is_none() && self.known.len() >= self.addr_index_from {
            self.build_address_index();
        }
    }

    /// Union `services` into the services advertised by the peer with `key`.
    pub fn discover_services(&mut self, key: &KeyBin, services: &[ServiceId]) {
        let (set, verified) = match self.known.get_mut(key) {
            Some(k) => {
                let verified = k.verified();
                (k.services.get_or_insert_with(ServiceSet::default), verified)
            }
            None => (self.orphan_services.get_or_default(key), false),
        };
        for s in services {
            if set.insert(*s) && verified {
                self.service_counts.add(s, 1);
            }
        }
    }

    /// Replace the services advertised by the peer with `key`.
    pub fn set_services(&mut self, key: &KeyBin, services: Vec<ServiceId>) {
        self.count(key, false);
        let set = ServiceSet::from_vec(services);
        match self.known.get_mut(key) {
            Some(k) => k.services = Some(set),
            None => self.orphan_services.insert(key, set),
        }
        self.count(key, true);
    }

    /// Services advertised by the peer with `key`.
    pub fn services_for_peer(&self, key: &KeyBin) -> &[ServiceId] {
        self.services_of(key).map_or(&[], ServiceSet::as_slice)
    }

    fn services_of(&self, key: &[u8]) -> Option<&ServiceSet> {
        match self.known.get(key) {
            Some(k) => k.services.as_ref(),
            None => self.orphan_services.get(key),
        }
    }

    /// Verified peers serving `service` (py-ipv8 `get_peers_for_service`), in insertion order.
    pub fn peers_for_service(&self, service: &ServiceId) -> Vec<Peer> {
        self.peers_for_service_iter(service).cloned().collect()
    }

    /// [`peers_for_service`](Self::peers_for_service) without cloning, in the same order.
    pub fn peers_for_service_iter<'a>(
        &'a self,
        service: &'a ServiceId,
    ) -> impl Iterator<Item = &'a Peer> + 'a {
        self.verified_serving(service)
    }

    /// Number of verified peers serving `service`, O(1) (kept up to date by every
    /// mutation; equal to `peers_for_service(service).len()`).
    pub fn count_peers_for_service(&self, service: &ServiceId) -> usize {
        self.service_counts.get(service)
    }

    /// Whether the peer with this key advertises `service`.
    pub fn serves_service(&self, key: &KeyBin, service: &ServiceId) -> bool {
        self.services_of(key).is_some_and(|s| s.contains(service))
    }

    /// Number of known peers (verified or not; see [`Network::known_at`]).
    pub fn known_len(&self) -> usize {
        self.known.len()
    }

    /// The known peer at position `i` of the key table and whether it is verified
    /// (positions are `0..known_len()`; O(1), for uniform sampling).
    pub fn known_at(&self, i: usize) -> Option<(&Peer, bool)> {
        self.known.get_index(i).map(|k| (&k.peer, k.verified()))
    }

    /// All verified peers, in insertion order.
    pub fn verified_iter(&self) -> impl Iterator<Item = &Peer> + '_ {
        self.known
            .values()
            .filter(|k| k.verified())
            .map(|k| &k.peer)
    }

    /// Verified peers whose service set contains `service`, in insertion order.
    fn verified_serving<'a>(&'a self, service: &'a ServiceId) -> impl Iterator<Item = &'a Peer> {
        self.known
            .values()
            .filter(move |k| {
                k.verified() && k.services.as_ref().is_some_and(|v| v.contains(service))
            })
            .map(|k| &k.peer)
    }

    /// Number of verified peers.
    pub fn verified_count(&self) -> usize {
        self.verified
    }

    /// The known peer with this key bin (py-ipv8 `verified_by_public_key_bin`; may be a
    /// peer no longer verified, see QUIRK in the module doc).
    pub fn known_by_key(&self, key: &[u8]) -> Option<&Peer> {
        self.known.get(key).map(|k| &k.peer)
    }

    /// Whether the peer with this key is currently verified.
    pub fn is_verified(&self, key: &[u8]) -> bool {
        self.known.get(key).is_some_and(|k| k.verified())
    }

    /// A verified peer having `address` among its addresses (py-ipv8
    /// `get_verified_by_address`; if several share it, the earliest added).
    pub fn verified_by_address(&self, address: &SocketAddr) -> Option<&Peer> {
        let i = self.position_by_address(address)?;
        self.known.get_index(i).map(|k| &k.peer)
    }

    /// Position in `known` of [`verified_by_address`](Self::verified_by_address)'s peer.
    fn position_by_address(&self, address: &SocketAddr) -> Option<usize> {
        match self.by_address.as_deref() {
            Some(index) => self.known.get_index_of(index.get(address)?.first()?),
            None => self
                .known
                .values()
                .enumerate()
                .filter(|(_, k)| k.verified() && k.peer.addresses().contains(address))
                .min_by_key(|(_, k)| k.indexed())
                .map(|(i, _)| i),
        }
    }

    /// Modify the known peer with `key` (addresses are re-indexed afterwards).
    pub fn update_peer<R>(&mut self, key: &KeyBin, f: impl FnOnce(&mut Peer) -> R) -> Option<R> {
        // One look-up: positions do not move here (`next_index_seq` renumbers in place).
        let i = self.known.get_index_of(key)?;
        let known = self.known.get_index_mut(i)?;
        let before = known.peer.addresses().clone();
        let r = f(&mut known.peer);
        if known.verified() && *known.peer.addresses() != before {
            // Re-indexed: now the latest of the peers sharing any of its addresses.
            let after = known.peer.addresses().clone();
            let seq = self.next_index_seq();
            if let Some(k) = self.known.get_index_mut(i) {
                k.peer.store_indexed = seq;
            }
            if let Some(index) = self.by_address.as_deref_mut() {
                index_remove(index, key, &before);
                index_add(index, key, &after);
            }
        }
        Some(r)
    }

    /// Set `last_response = now` on the verified peer with `address`, if any (done for
    /// every packet routed to a local community, spec §6.7 last paragraph).
    pub fn touch_by_address(&mut self, address: &SocketAddr, now: Instant) {
        let Some(i) = self.position_by_address(address) else {
            return;
        };
        if let Some(k) = self.known.get_index_mut(i) {
            k.peer.set_last_response(now);
        }
    }

    /// Forget `address` as walkable and drop every verified peer that has it, with
    /// their service sets (py-ipv8 `remove_by_address`; see QUIRK in the module doc).
    pub fn remove_by_address(&mut self, address: &SocketAddr) {
        self.all_addresses.swap_remove(address);
        // (The order of `keys` cannot reach the result: each is handled alone.)
        let keys: Vec<KeyBin> = match self.by_address.as_deref() {
            Some(index) => match index.get(address) {
                Some(set) => set.to_vec(),
                None => return,
            },
            None => self
                .known
                .iter()
                .filter(|(_, k)| k.verified() && k.peer.addresses().contains(address))
                .map(|(key, _)| key.clone())
                .collect(),
        };
        for key in keys {
            self.count(&key, false);
            let addrs = match self.known.get_mut(&key) {
                Some(k) if k.verified() => {
                    // QUIRK (spec §7): the key → peer map keeps the entry.
                    k.peer.store_verified = false;
                    k.services = None;
                    k.peer.addresses().clone()
                }
                _ => continue,
            };
            if let Some(index) = self.by_address.as_deref_mut() {
                index_remove(index, &key, &addrs);
            }
        }
    }

    /// Remove a peer completely: its addresses as walkable, its verified entry, its key
    /// map entry and its services (py-ipv8 `remove_peer`).
    pub fn remove_peer(&mut self, key: &KeyBin) {
        self.count(key, false);
        let Some(k) = self.known.swap_remove(key) else {
            self.orphan_services.remove(key);
            return;
        };
        for a in k.peer.addresses().iter() {
            self.all_addresses.swap_remove(&a);
        }
        if k.verified() {
            if let Some(index) = self.by_address.as_deref_mut() {
                index_remove(index, key, k.peer.addresses());
            }
        }
    }

    /// Preferred addresses of every verified peer, skipping `0.0.0.0:0` (the content
    /// of py-ipv8's `snapshot()`, before `address` encoding).
    pub fn snapshot_addresses(&self) -> Vec<SocketAddr> {
        self.verified_iter()
            .map(Peer::address)
            .filter(|a| *a != super::peer::NULL_ADDRESS)
            .collect()
    }

    // ----- internals ----------------------------------------------------------------

    /// `all_addresses.insert` (replacing in place, keeping the position) with exact
    /// doubling growth.
    fn insert_address(&mut self, address: SocketAddr, w: Walkable) {
        let service = match w.service {
            None => 0,
            Some(s) => match self.services.iter().position(|x| *x == s) {
                Some(i) => i + 1,
                None => {
                    self.services.push(s);
                    self.services.len()
                }
            },
        };
        let w = Walk {
            addr: AddrKey::from(address),
            introduced_by: w.introduced_by,
            // (4 billion distinct communities would be needed to overflow.)
            service: u32::try_from(service).unwrap_or(0),
            new_style: w.new_style,
        };
        match self.all_addresses.get_mut(&address) {
            Some(old) => *old = w,
            None => self.all_addresses.insert_new(w),
        }
    }

    /// Add (`add`) or withdraw the contribution of the peer with `key` to the counts:
    /// nothing unless it is verified; else one verified peer and one per service.
    /// Called before a mutation with `false` and after it with `true`.
    fn count(&mut self, key: &KeyBin, add: bool) {
        let Some(k) = self.known.get(key).filter(|k| k.verified()) else {
            return;
        };
        let delta = if add { 1 } else { -1 };
        self.verified = self.verified.saturating_add_signed(delta);
        for s in k.services.iter().flat_map(ServiceSet::as_slice) {
            self.service_counts.add(s, delta);
        }
    }

    fn set_addresses(&mut self, key: &KeyBin, addrs: PeerAddresses) {
        self.update_peer(key, |p| *p.addresses_mut() = addrs);
    }

    /// A new `Known::indexed` stamp, later than every one given. When the counter
    /// would wrap, the stamps are renumbered 1, 2, … in their order first (never, in
    /// practice: 4 billion indexings of one node's peers).
    fn next_index_seq(&mut self) -> u32 {
        if self.index_seq == u32::MAX {
            let mut order: Vec<(u32, usize)> = self
                .known
                .values()
                .enumerate()
                .map(|(i, k)| (k.indexed(), i))
                .collect();
            order.sort_unstable();
            let mut next = 0u32;
            for (_, i) in order {
                if let Some(k) = self.known.get_index_mut(i) {
                    next += 1;
                    k.peer.store_indexed = next;
                }
            }
            self.index_seq = next;
        }
        self.index_seq += 1;
        self.index_seq
    }

    /// Build `by_address` from the verified peers, in the order they were indexed (the
    /// order an index kept from the start would hold them in).
    fn build_address_index(&mut self) {
        let mut verified: Vec<(&KeyBin, &Known)> =
            self.known.iter().filter(|(_, k)| k.verified()).collect();
        verified.sort_by_key(|(_, k)| k.indexed());
        let mut index = IndexMap::default();
        for (key, k) in verified {
            index_add(&mut index, key, k.peer.addresses());
        }
        self.by_address = Some(Box::new(index));
    }
}

impl DenseEntry for Known {
    fn key_hash(&self) -> u64 {
        key_hash::<[u8]>(self.peer.key_bin())
    }
}

impl DenseEntry for Walk {
    fn key_hash(&self) -> u64 {
        key_hash(&self.addr.get())
    }
}

/// The known peers by key bin (py-ipv8 `verified_by_public_key_bin`): `IndexMap`'s
/// order and positions, without a second copy of the key ([`DenseMap`]).
#[derive(Default)]
struct KnownTable(DenseMap<Known>);

impl KnownTable {
    fn get_index_of(&self, key: &[u8]) -> Option<usize> {
        self.0.find(key_hash(key), |k| **k.peer.key_bin() == *key)
    }

    fn get(&self, key: &[u8]) -> Option<&Known> {
        self.0.get_index(self.get_index_of(key)?)
    }

    fn get_mut(&mut self, key: &[u8]) -> Option<&mut Known> {
        let i = self.get_index_of(key)?;
        self.0.get_index_mut(i)
    }

    fn contains_key(&self, key: &[u8]) -> bool {
        self.get_index_of(key).is_some()
    }

    fn get_index(&self, i: usize) -> Option<&Known> {
        self.0.get_index(i)
    }

    /// (The peer's key must not change: `Peer` has no way to.)
    fn get_index_mut(&mut self, i: usize) -> Option<&mut Known> {
        self.0.get_index_mut(i)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn values(&self) -> std::slice::Iter<'_, Known> {
        self.0.iter()
    }

    fn iter(&self) -> impl Iterator<Item = (&KeyBin, &Known)> + '_ {
        self.0.iter().map(|k| (k.peer.key_bin(), k))
    }

    /// Append a peer whose key is not known yet.
    fn insert_new(&mut self, known: Known) {
        let hash = known.key_hash();
        self.0.push_new(hash, known);
    }

    fn swap_remove(&mut self, key: &[u8]) -> Option<Known> {
        let i = self.get_index_of(key)?;
        self.0.swap_remove_index(i)
    }
}

/// A `services_per_peer` entry of a key that is not known.
struct Orphan {
    key: KeyBin,
    services: ServiceSet,
}

impl DenseEntry for Orphan {
    fn key_hash(&self) -> u64 {
        key_hash::<[u8]>(&self.key)
    }
}

/// The `services_per_peer` entries of keys that are not known (a node has a couple:
/// its bootstrap servers'). Only looked up, never iterated.
#[derive(Default)]
struct OrphanTable(DenseMap<Orphan>);

impl OrphanTable {
    fn position(&self, key: &[u8]) -> Option<usize> {
        self.0.find(key_hash(key), |o| *o.key == *key)
    }

    fn get(&self, key: &[u8]) -> Option<&ServiceSet> {
        Some(&self.0.get_index(self.position(key)?)?.services)
    }

    fn get_mut(&mut self, key: &[u8]) -> Option<&mut ServiceSet> {
        let i = self.position(key)?;
        Some(&mut self.0.get_index_mut(i)?.services)
    }

    fn get_or_default(&mut self, key: &KeyBin) -> &mut ServiceSet {
        let make = || Orphan {
            key: key.clone(),
            services: ServiceSet::default(),
        };
        &mut self
            .0
            .get_or_push(key_hash::<[u8]>(key), |o| o.key == *key, make)
            .services
    }

    fn insert(&mut self, key: &KeyBin, services: ServiceSet) {
        match self.get_mut(key) {
            Some(s) => *s = services,
            None => self.0.push_new(
                key_hash::<[u8]>(key),
                Orphan {
                    key: key.clone(),
                    services,
                },
            ),
        }
    }

    fn remove(&mut self, key: &[u8]) -> Option<ServiceSet> {
        let i = self.position(key)?;
        self.0.swap_remove_index(i).map(|o| o.services)
    }
}

/// The walkable addresses (py-ipv8 `_all_addresses`), in `IndexMap`'s order.
#[derive(Default)]
struct AddrTable(DenseMap<Walk>);

impl AddrTable {
    fn get_index_of(&self, address: &SocketAddr) -> Option<usize> {
        self.0.find(key_hash(address), |w| w.addr.get() == *address)
    }

    fn get(&self, address: &SocketAddr) -> Option<&Walk> {
        self.0.get_index(self.get_index_of(address)?)
    }

    /// (The caller must not change `addr`.)
    fn get_mut(&mut self, address: &SocketAddr) -> Option<&mut Walk> {
        let i = self.get_index_of(address)?;
        self.0.get_index_mut(i)
    }

    fn contains_key(&self, address: &SocketAddr) -> bool {
        self.get_index_of(address).is_some()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn iter(&self) -> std::slice::Iter<'_, Walk> {
        self.0.iter()
    }

    /// Append an address not in the table yet.
    fn insert_new(&mut self, w: Walk) {
        let hash = w.key_hash();
        self.0.push_new(hash, w);
    }

    fn swap_remove(&mut self, address: &SocketAddr) -> Option<Walk> {
        let i = self.get_index_of(address)?;
        self.0.swap_remove_index(i)
    }
}

/// Push with exact growth: these lists hold a few entries per node (a `Vec` makes
/// room for four on its first push).
fn push_exact<T>(v: &mut Vec<T>, x: T) {
    v.reserve_exact(1);
    v.push(x);
}

/// Add `key` to the key sets of `addrs` (at the end: the latest indexed).
fn index_add(
    index: &mut IndexMap<AddrKey, KeySet, FxBuildHasher>,
    key: &KeyBin,
    addrs: &PeerAddresses,
) {
    for a in addrs.iter() {
        match index.get_mut(&a) {
            Some(v) => v.insert(key),
            None => {
                reserve_growing(index);
                index.insert(AddrKey::from(a), KeySet::One(key.clone()));
            }
        }
    }
}

/// Remove `key` from the key sets of `addrs`.
fn index_remove(
    index: &mut IndexMap<AddrKey, KeySet, FxBuildHasher>,
    key: &KeyBin,
    addrs: &PeerAddresses,
) {
    for a in addrs.iter() {
        if let Some(v) = index.get_mut(&a) {
            if !v.remove(key) {
                index.swap_remove(&a);
                let cap = index.capacity();
                if cap > 256 && index.len() < cap / 4 {
                    // (As `DenseMap` does: a pruned server's index gives room back.)
                    index.shrink_to(cap / 2);
                }
            }
        }
    }
}

/// Make room for one more entry, growing the entry capacity by an eighth (at least 4)
/// exactly. IndexMap's own growth sizes the entries to the hash table's capacity, up
/// to 1.75× the length, and plain doubling leaves up to half the entries unused;
/// entries here are 40–120 bytes, every node has three such maps, and a converged
/// node's maps stop growing (so the extra reallocations are a one-off).
fn reserve_growing<K: std::hash::Hash + Eq, V>(m: &mut IndexMap<K, V, FxBuildHasher>) {
    if m.len() == m.capacity() {
        m.reserve_exact((m.len() / 8).max(4));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> KeyBin {
        KeyBin::from(vec![n; 74])
    }
    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([1, 2, 3, n], 1000 + n as u16))
    }
    const S: ServiceId = [7; 20];
    const T: ServiceId = [8; 20];

    fn peer(n: u8) -> Peer {
        Peer::new(key(n), addr(n), Instant::ZERO)
    }

    #[test]
    fn add_verified_and_lookup() {
        let mut net = Network::new();
        net.add_verified_peer(peer(1));
        assert_eq!(net.verified_count(), 1);
        assert!(net.is_known_address(&addr(1)));
        assert_eq!(
            net.verified_by_address(&addr(1)).unwrap().key_bin(),
            &key(1)
        );
        // Same key, new address: merged, not a second peer.
        let mut p = peer(1);
        p.add_address(addr(9));
        net.add_verified_peer(p);
        assert_eq!(net.verified_count(), 1);
        assert!(net.verified_by_address(&addr(1)).is_none());
        assert_eq!(
            net.verified_by_address(&addr(9)).unwrap().key_bin(),
            &key(1)
        );
    }

    #[test]
    fn blacklists_refuse_peers() {
        let mut net = Network::new();
        net.ensure_blacklisted(addr(2));
        net.add_verified_peer(peer(2));
        assert_eq!(net.verified_count(), 0);
        let p = peer(3);
        net.blacklist_mid(*p.mid());
        net.add_verified_peer(p);
        assert_eq!(net.verified_count(), 0);
        // A blacklisted address that was also introduced does become a peer.
        net.discover_address(&peer(4), addr(2), Some(S), false);
        assert_eq!(net.verified_count(), 1, "only the introducer");
    }

    #[test]
    fn walkable_addresses_filter_by_service() {
        let mut net = Network::new();
        let a = peer(1);
        net.add_verified_peer(a.clone());
        net.discover_services(a.key_bin(), &[S]);
        net.discover_address(&a, addr(5), Some(S), false);
        net.discover_address(&a, addr(6), Some(T), true);
        let w = net.walkable_addresses(Some(&S), false);
        // addr(6) was introduced through T, but its introducer serves S: kept (and the
        // QUIRK adds T to a's services).
        assert_eq!(w, vec![addr(5), addr(6)]);
        assert!(net.services_for_peer(a.key_bin()).contains(&T));
        assert_eq!(net.walkable_addresses(Some(&S), true), vec![addr(5)]);
        // Peer addresses are not walkable.
        assert!(!net.walkable_addresses(None, false).contains(&addr(1)));
    }

    #[test]
    fn remove_by_address_keeps_known_quirk() {
        let mut net = Network::new();
        let a = peer(1);
        net.add_verified_peer(a.clone());
        net.discover_services(a.key_bin(), &[S]);
        net.remove_by_address(&addr(1));
        assert_eq!(net.verified_count(), 0);
        assert!(net.known_by_key(a.key_bin()).is_some());
        assert!(net.services_for_peer(a.key_bin()).is_empty());
        // QUIRK: adding it again only merges addresses.
        net.add_verified_peer(a.clone());
        assert_eq!(net.verified_count(), 0);
        // remove_peer forgets it entirely; then it can be added again.
        net.remove_peer(a.key_bin());
        net.add_verified_peer(a);
        assert_eq!(net.verified_count(), 1);
    }

    #[test]
    fn discover_address_replaces_orphans() {
        let mut net = Network::new();
        let (a, b) = (peer(1), peer(2));
        net.discover_address(&a, addr(5), Some(S), false);
        net.discover_address(&b, addr(5), Some(S), false);
        assert_eq!(
            net.walkable_info(&addr(5)).unwrap().introduced_by.as_ref(),
            Some(a.key_bin())
        );
        net.remove_peer(a.key_bin());
        net.discover_address(&b, addr(5), Some(S), true);
        assert_eq!(
            net.walkable_info(&addr(5)).unwrap().introduced_by.as_ref(),
            Some(b.key_bin())
        );
        assert!(net.is_new_style(&addr(5)));
        assert_eq!(net.introductions_from(b.key_bin()), vec![addr(5)]);
    }

    #[test]
    fn peers_for_service_and_touch() {
        let mut net = Network::new();
        for n in 1..=3 {
            net.add_verified_peer(peer(n));
        }
        net.discover_services(&key(2), &[S]);
        assert_eq!(net.count_peers_for_service(&S), 1);
        assert_eq!(net.peers_for_service(&S)[0].key_bin(), &key(2));
        net.touch_by_address(&addr(2), Instant::from_secs(5));
        assert_eq!(
            net.known_by_key(&key(2)).unwrap().last_response(),
            Some(Instant::from_secs(5))
        );
        assert_eq!(net.snapshot_addresses(), vec![addr(1), addr(2), addr(3)]);
    }

    /// The O(1) counts equal a scan of the store after any sequence of mutations
    /// (adds, merges, service changes, the walkable QUIRK, both removals).
    #[test]
    fn counts_match_a_scan_under_random_mutations() {
        use rand::{Rng, SeedableRng};
        let scan = |net: &Network, s: &ServiceId| {
            net.verified_iter()
                .filter(|p| net.services_for_peer(p.key_bin()).contains(s))
                .count()
        };
        for seed in 0..20u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut net = Network::new();
            for _ in 0..400 {
                let n = rng.gen_range(1..=12u8);
                let svc = if rng.gen_bool(0.5) { S } else { T };
                match rng.gen_range(0..8) {
                    0 | 1 => net.add_verified_peer(peer(n)),
                    2 => net.discover_services(&key(n), &[svc]),
                    3 => net.set_services(&key(n), vec![svc]),
                    4 => net.discover_address(
                        &peer(n),
                        addr(rng.gen_range(1..=12)),
                        Some(svc),
                        false,
                    ),
                    5 => {
                        let _ = net.walkable_addresses(Some(&svc), rng.gen_bool(0.5));
                    }
                    6 => net.remove_by_address(&addr(n)),
                    _ => net.remove_peer(&key(n)),
                }
                for s in [S, T] {
                    assert_eq!(
                        net.count_peers_for_service(&s),
                        scan(&net, &s),
                        "seed {seed}"
                    );
                    assert_eq!(
                        net.count_peers_for_service(&s),
                        net.peers_for_service(&s).len()
                    );
                }
                assert_eq!(
                    net.verified_count(),
                    net.verified_iter().count(),
                    "seed {seed}"
                );
            }
        }
    }

    /// Without the address index (small networks scan their peers) every answer is the
    /// one the index gives: same random operations, with peers sharing and changing
    /// addresses, on a network indexed from the start, one never indexed and one that
    /// builds its index half-way.
    #[test]
    fn address_lookups_without_the_index_match_the_index() {
        use rand::{Rng, SeedableRng};
        for seed in 0..30u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut nets = [
                Network::with_address_index_from(0),
                Network::with_address_index_from(usize::MAX),
                Network::with_address_index_from(6),
            ];
            for step in 0..300u64 {
                let n = rng.gen_range(1..=10u8);
                let a = addr(rng.gen_range(1..=6u8));
                let b = addr(rng.gen_range(1..=6u8));
                let op = rng.gen_range(0..7);
                let now = Instant::from_secs(step);
                for net in nets.iter_mut() {
                    match op {
                        0 | 1 => net.add_verified_peer(Peer::new(key(n), a, now)),
                        2 => {
                            let mut p = Peer::new(key(n), a, now);
                            p.set_lan_address(b);
                            net.add_verified_peer(p);
                        }
                        3 => net.touch_by_address(&a, now),
                        4 => net.remove_by_address(&a),
                        5 => net.remove_peer(&key(n)),
                        _ => {
                            let _ = net.update_peer(&key(n), |p| p.add_address(b));
                        }
                    }
                }
                for i in 1..=6u8 {
                    let answers: Vec<Option<(KeyBin, Option<Instant>)>> = nets
                        .iter()
                        .map(|net| {
                            net.verified_by_address(&addr(i))
                                .map(|p| (p.key_bin().clone(), p.last_response()))
                        })
                        .collect();
                    assert_eq!(answers[0], answers[1], "seed {seed} step {step} addr {i}");
                    assert_eq!(answers[0], answers[2], "seed {seed} step {step} addr {i}");
                }
                let states: Vec<Vec<(KeyBin, bool)>> = nets
                    .iter()
                    .map(|net| {
                        (0..net.known_len())
                            .filter_map(|i| net.known_at(i))
                            .map(|(p, v)| (p.key_bin().clone(), v))
                            .collect()
                    })
                    .collect();
                assert_eq!(states[0], states[1], "seed {seed} step {step}");
                assert_eq!(states[0], states[2], "seed {seed} step {step}");
            }
            assert!(nets[0].by_address.is_some() && nets[1].by_address.is_none());
        }
    }

    /// Renumbering the stamps before they wrap keeps which peer is "the" one at a
    /// shared address.

    #[test]
    fn index_stamps_renumber_in_order() {
        let mut net = Network::with_address_index_from(usize::MAX);
        net.index_seq = u32::MAX - 2;
        for n in 1..=4u8 {
            net.add_verified_peer(Peer::new(key(n), addr(1), Instant::ZERO));
        }
        assert_eq!(
            net.index_seq, 4,
            "the first two renumbered 1, 2 when the third came"
        );
        assert_eq!(
            net.verified_by_address(&addr(1)).unwrap().key_bin(),
            &key(1)
        );
        net.remove_peer(&key(1));
        assert_eq!(
            net.verified_by_address(&addr(1)).unwrap().key_bin(),
            &key(2)
        );
    }

    /// The store's stamp and flag ride in the peer record's padding (a guard against
    /// a field that would silently grow every known peer of every node).
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn known_record_sizes() {
        assert_eq!(std::mem::size_of::<Peer>(), 72);
        assert_eq!(std::mem::size_of::<Option<ServiceSet>>(), 24);
        assert_eq!(std::mem::size_of::<Known>(), 96);
        assert_eq!(std::mem::size_of::<Walk>(), 32);
    }

    /// Services recorded before the peer is known are its services once it is added;
    /// `remove_by_address` forgets them (the peer stays known), `remove_peer` too.
    #[test]
    fn services_follow_py_ipv8_services_per_peer() {
        let mut net = Network::new();
        net.discover_services(&key(1), &[S]);
        assert_eq!(net.services_for_peer(&key(1)), &[S]);
        assert_eq!(net.count_peers_for_service(&S), 0, "not a peer yet");
        net.add_verified_peer(peer(1));
        assert_eq!(net.count_peers_for_service(&S), 1);
        net.discover_services(&key(1), &[T, S]);
        assert_eq!(net.services_for_peer(&key(1)), &[S, T]);
        net.set_services(&key(1), vec![T]);
        assert_eq!(net.count_peers_for_service(&S), 0);
        assert_eq!(net.count_peers_for_service(&T), 1);
        net.remove_by_address(&addr(1));
        assert!(net.services_for_peer(&key(1)).is_empty());
        assert_eq!(net.count_peers_for_service(&T), 0);
        // A peer without a services entry is not given one by the walkable QUIRK;
        // one with an (empty) entry is.
        net.add_verified_peer(peer(2));
        net.discover_address(&peer(2), addr(7), Some(T), false);
        let _ = net.walkable_addresses(Some(&S), false);
        assert!(net.services_for_peer(&key(2)).is_empty());
        net.set_services(&key(2), vec![]);
        let _ = net.walkable_addresses(Some(&S), false);
        assert_eq!(net.services_for_peer(&key(2)), &[T]);
        assert_eq!(net.count_peers_for_service(&T), 1);
        net.discover_services(&key(3), &[S]);
        net.remove_peer(&key(3));
        assert!(net.services_for_peer(&key(3)).is_empty());
    }
}
