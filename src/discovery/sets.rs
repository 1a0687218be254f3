//! Compact pieces of the [`Network`](super::Network)'s maps: small ordered sets kept
//! per peer and per address — almost always one element, so that one lives inline
//! and only more spill to the heap (a `Vec` would allocate room for four on its first
//! push: 80 bytes for one service id, 64 for one key) — and a 16-byte address key.

use super::peer::{KeyBin, ServiceId};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};

/// A socket address as a map key: 16 bytes where a `SocketAddr` takes 32 (the rare
/// IPv6 address is boxed). It hashes and compares as the `SocketAddr` it stands for,
/// so maps keyed by it are looked up with a plain `&SocketAddr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AddrKey {
    /// IPv4.
    V4(SocketAddrV4),
    /// IPv6.
    V6(Box<SocketAddrV6>),
}

impl AddrKey {
    /// The address.
    pub(crate) fn get(&self) -> SocketAddr {
        match self {
            AddrKey::V4(a) => SocketAddr::V4(*a),
            AddrKey::V6(a) => SocketAddr::V6(**a),
        }
    }
}

impl From<SocketAddr> for AddrKey {
    fn from(a: SocketAddr) -> Self {
        match a {
            SocketAddr::V4(a) => AddrKey::V4(a),
            SocketAddr::V6(a) => AddrKey::V6(Box::new(a)),
        }
    }
}

impl Hash for AddrKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Exactly as the `SocketAddr` hashes, so `Equivalent` lookups find it.
        self.get().hash(state)
    }
}

impl indexmap::Equivalent<AddrKey> for SocketAddr {
    fn equivalent(&self, key: &AddrKey) -> bool {
        match (self, key) {
            (SocketAddr::V4(a), AddrKey::V4(b)) => a == b,
            (SocketAddr::V6(a), AddrKey::V6(b)) => a == &**b,
            _ => false,
        }
    }
}

/// The services one peer advertises, in first-seen order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ServiceSet {
    /// None.
    #[default]
    Empty,
    /// Exactly one.
    One(ServiceId),
    /// Two or more (boxed: the set is then 24 bytes with or without an `Option`
    /// around it, where an inline `Vec` made it 32).
    #[allow(clippy::box_collection)]
    Many(Box<Vec<ServiceId>>),
}

impl ServiceSet {
    /// A set holding `v` in its order (`v` has no duplicates).
    pub(crate) fn from_vec(mut v: Vec<ServiceId>) -> Self {
        match v.len() {
            0 => ServiceSet::Empty,
            1 => v.pop().map_or(ServiceSet::Empty, ServiceSet::One),
            _ => ServiceSet::Many(Box::new(v)),
        }
    }

    /// The services, in order.
    pub(crate) fn as_slice(&self) -> &[ServiceId] {
        match self {
            ServiceSet::Empty => &[],
            ServiceSet::One(s) => std::slice::from_ref(s),
            ServiceSet::Many(v) => v,
        }
    }

    /// Whether `s` is in the set.
    pub(crate) fn contains(&self, s: &ServiceId) -> bool {
        self.as_slice().contains(s)
    }

    /// Append `s` if absent; whether it was added.
    pub(crate) fn insert(&mut self, s: ServiceId) -> bool {
        if self.contains(&s) {
            return false;
        }
        *self = match std::mem::take(self) {
            ServiceSet::Empty => ServiceSet::One(s),
            ServiceSet::One(a) => ServiceSet::Many(Box::new(vec![a, s])),
            ServiceSet::Many(mut v) => {
                v.push(s);
                ServiceSet::Many(v)
            }
        };
        true
    }
}

/// Verified peers per service id. The first two services live inline: a node's
/// walker tick reads its overlay's count every `walker_interval`, and an idle node
/// does nothing else, so that read should not miss the cache on a heap buffer.
#[derive(Default)]
pub(crate) struct ServiceCounts {
    inline: [(ServiceId, usize); 2],
    inline_len: u8,
    more: Vec<(ServiceId, usize)>,
}

impl ServiceCounts {
    fn entries(&self) -> impl Iterator<Item = &(ServiceId, usize)> {
        self.inline
            .iter()
            .take(usize::from(self.inline_len))
            .chain(self.more.iter())
    }

    /// The count of `service` (0 if never counted).
    pub(crate) fn get(&self, service: &ServiceId) -> usize {
        self.entries()
            .find(|(s, _)| s == service)
            .map_or(0, |(_, n)| *n)
    }

    /// Add `delta` to the count of `service` (saturating at 0).
    pub(crate) fn add(&mut self, service: &ServiceId, delta: isize) {
        let len = usize::from(self.inline_len);
        let found = self
            .inline
            .iter_mut()
            .take(len)
            .chain(self.more.iter_mut())
            .find(|(s, _)| s == service);
        match found {
            Some((_, n)) => *n = n.saturating_add_signed(delta),
            None => {
                let entry = (*service, delta.max(0).unsigned_abs());
                match self.inline.get_mut(len) {
                    Some(slot) => {
                        *slot = entry;
                        self.inline_len += 1;
                    }
                    None => self.more.push(entry),
                }
            }
        }
    }
}

/// Past this many keys an address's set is indexed: every peer's LAN estimate in the
/// docs' setup is 0.0.0.0:0, so a bootstrap server's set for that address holds every
/// peer it knows, and a linear `contains` per request made join bursts O(N²).
const INDEXED_FROM: usize = 32;

/// A large [`KeySet`]: insertion order by sequence number, and the sequence of a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexedKeys {
    order: BTreeMap<u64, KeyBin>,
    seq: FxHashMap<KeyBin, u64>,
    next: u64,
}

impl IndexedKeys {
    fn from_keys(keys: impl IntoIterator<Item = KeyBin>) -> Self {
        let mut s = IndexedKeys::default();
        for k in keys {
            s.insert(k);
        }
        s
    }

    fn insert(&mut self, key: KeyBin) {
        if self.seq.contains_key(&key) {
            return;
        }
        self.order.insert(self.next, key.clone());
        self.seq.insert(key, self.next);
        self.next += 1;
    }

    fn remove(&mut self, key: &KeyBin) {
        if let Some(n) = self.seq.remove(key) {
            self.order.remove(&n);
        }
        let cap = self.seq.capacity();
        if cap > 256 && self.seq.len() < cap / 4 {
            // A server's set for 0.0.0.0:0 holds every peer of a join burst, then is
            // pruned: give the room back (halving, amortised O(1)).
            self.seq.shrink_to(cap / 2);
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}

/// The keys of the verified peers having one address, in the order they got it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeySet {
    /// Exactly one.
    One(KeyBin),
    /// Two or more (shrinking to one turns it back into `One`); boxed so the set is
    /// 16 bytes, the size of one key.
    Many(Box<ManyKeys>),
}

/// Two or more keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ManyKeys {
    /// Up to [`INDEXED_FROM`]: a list.
    Small(Vec<KeyBin>),
    /// More: O(log n) insert, remove and first.
    Indexed(IndexedKeys),
}

impl KeySet {
    /// The earliest key.
    pub(crate) fn first(&self) -> Option<&KeyBin> {
        match self {
            KeySet::One(k) => Some(k),
            KeySet::Many(m) => match &**m {
                ManyKeys::Small(v) => v.first(),
                ManyKeys::Indexed(s) => s.order.values().next(),
            },
        }
    }

    /// The keys, in order.
    pub(crate) fn to_vec(&self) -> Vec<KeyBin> {
        match self {
            KeySet::One(k) => vec![k.clone()],
            KeySet::Many(m) => match &**m {
                ManyKeys::Small(v) => v.clone(),
                ManyKeys::Indexed(s) => s.order.values().cloned().collect(),
            },
        }
    }

    /// Number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        match self {
            KeySet::One(_) => 1,
            KeySet::Many(m) => match &**m {
                ManyKeys::Small(v) => v.len(),
                ManyKeys::Indexed(s) => s.len(),
            },
        }
    }

    /// Append `key` if absent.
    pub(crate) fn insert(&mut self, key: &KeyBin) {
        match self {
            KeySet::One(a) => {
                if a != key {
                    *self = KeySet::Many(Box::new(ManyKeys::Small(vec![a.clone(), key.clone()])));
                }
            }
            KeySet::Many(m) => match &mut **m {
                ManyKeys::Small(v) => {
                    if v.contains(key) {
                        return;
                    }
                    v.push(key.clone());
                    if v.len() > INDEXED_FROM {
                        let keys = std::mem::take(v);
                        **m = ManyKeys::Indexed(IndexedKeys::from_keys(keys));
                    }
                }
                ManyKeys::Indexed(s) => s.insert(key.clone()),
            },
        }
    }

    /// Remove `key`; `false` when the set is now empty (the caller drops it).
    pub(crate) fn remove(&mut self, key: &KeyBin) -> bool {
        let KeySet::Many(m) = self else {
            return matches!(self, KeySet::One(a) if a != key);
        };
        let rest: Option<Vec<KeyBin>> = match &mut **m {
            ManyKeys::Small(v) => {
                v.retain(|k| k != key);
                (v.len() <= 1).then(|| std::mem::take(v))
            }
            ManyKeys::Indexed(s) => {
                s.remove(key);
                (s.len() <= INDEXED_FROM / 2).then(|| s.order.values().cloned().collect())
            }
        };
        if let Some(mut keys) = rest {
            match keys.len() {
                0 => return false,
                1 => {
                    if let Some(k) = keys.pop() {
                        *self = KeySet::One(k);
                    }
                }
                _ => **m = ManyKeys::Small(keys),
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_set_matches_an_ordered_vec_across_indexing() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let keys: Vec<KeyBin> = (0..200u32).map(|i| KeyBin::new(&i.to_be_bytes())).collect();
        let mut set: Option<KeySet> = None;
        let mut model: Vec<KeyBin> = Vec::new();
        for step in 0..20_000 {
            // Grow for a while, then shrink, then grow again: crosses both thresholds.
            let grow = (step / 2000) % 2 == 0;
            let k = keys[rng.gen_range(0..keys.len())].clone();
            if grow || rng.gen_bool(0.2) {
                match &mut set {
                    Some(s) => s.insert(&k),
                    None => set = Some(KeySet::One(k.clone())),
                }
                if !model.contains(&k) {
                    model.push(k);
                }
            } else if let Some(s) = &mut set {
                if !s.remove(&k) {
                    set = None;
                }
                model.retain(|m| m != &k);
            }
            let got = set.as_ref().map(KeySet::to_vec).unwrap_or_default();
            assert_eq!(got, model, "step {step}");
            assert_eq!(set.as_ref().and_then(KeySet::first), model.first());
            assert_eq!(set.as_ref().map_or(0, KeySet::len), model.len());
        }
    }

    #[test]
    fn addr_key_is_found_by_its_socket_addr() {
        use indexmap::IndexMap;
        let v4: SocketAddr = "1.2.3.4:5".parse().unwrap();
        let v6: SocketAddr = "[::1]:7".parse().unwrap();
        let mut m: IndexMap<AddrKey, u8, rustc_hash::FxBuildHasher> = IndexMap::default();
        m.insert(AddrKey::from(v4), 1);
        m.insert(AddrKey::from(v6), 2);
        assert_eq!(m.get(&v4), Some(&1));
        assert_eq!(m.get(&v6), Some(&2));
        assert_eq!(m.get(&"1.2.3.4:6".parse::<SocketAddr>().unwrap()), None);
        assert_eq!(AddrKey::from(v6).get(), v6);
        assert_eq!(m.swap_remove(&v4), Some(1));
        assert_eq!(m.len(), 1);
        assert_eq!(std::mem::size_of::<AddrKey>(), 16);
    }

    #[test]
    fn service_counts_inline_then_spilled() {
        let mut c = ServiceCounts::default();
        assert_eq!(c.get(&[1; 20]), 0);
        for n in 1..=4u8 {
            c.add(&[n; 20], isize::from(n));
        }
        c.add(&[3; 20], -1);
        c.add(&[1; 20], -5);
        assert_eq!(
            (1..=4u8).map(|n| c.get(&[n; 20])).collect::<Vec<_>>(),
            vec![0, 2, 2, 4]
        );
        assert_eq!(c.more.len(), 2);
    }

    #[test]
    fn service_set_keeps_order_without_duplicates() {
        let mut s = ServiceSet::default();
        assert!(s.as_slice().is_empty());
        assert!(s.insert([1; 20]));
        assert!(matches!(s, ServiceSet::One(_)));
        assert!(!s.insert([1; 20]));
        assert!(s.insert([2; 20]));
        assert!(s.insert([0; 20]));
        assert_eq!(s.as_slice(), &[[1; 20], [2; 20], [0; 20]]);
        assert!(s.contains(&[2; 20]) && !s.contains(&[3; 20]));
        assert_eq!(
            ServiceSet::from_vec(vec![[4; 20]]),
            ServiceSet::One([4; 20])
        );
        assert_eq!(ServiceSet::from_vec(vec![]), ServiceSet::Empty);
    }

    #[test]
    fn key_set_first_is_the_earliest_remaining() {
        let k = |n: u8| -> KeyBin { KeyBin::from(vec![n; 3]) };
        let mut s = KeySet::One(k(1));
        s.insert(&k(1));
        assert_eq!(s.len(), 1);
        s.insert(&k(2));
        s.insert(&k(3));
        assert_eq!(s.first(), Some(&k(1)));
        assert!(s.remove(&k(1)));
        assert_eq!(s.to_vec(), vec![k(2), k(3)]);
        assert!(s.remove(&k(3)));
        assert!(matches!(&s, KeySet::One(x) if *x == k(2)));
        assert!(s.remove(&k(9)), "absent key: still one left");
        assert!(!s.remove(&k(2)), "now empty");
        assert_eq!(std::mem::size_of::<KeySet>(), 16);
    }
}
