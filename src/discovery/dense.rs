//! [`DenseMap`]: the insertion-ordered map behind the [`Network`](super::Network)'s
//! key and address tables, sized for the many small tables of a simulation.
//!
//! It behaves exactly like the `IndexMap` it replaces (entries in a `Vec`, new ones at
//! the end, removal by `swap_remove`, so iteration and positions are the same), but:
//! - an entry stores no copy of its key and no 64-bit hash: the key lives in the value
//!   ([`DenseEntry::key_hash`] recomputes the hash from it);
//! - a table with fewer than [`INDEX_FROM`] entries keeps no hash index, only a 32-bit
//!   tag per entry, and a lookup scans the tags (a few cache lines for a node's ~30
//!   peers). Past that size (a bootstrap server's table) it builds a `HashTable` of
//!   positions, as `IndexMap` does, and keeps it.
//!
//! In a simulation every node has two such tables of ~30 entries; this saves ~30 bytes
//! per entry (`benches/notes/idle-peer.md`).

use hashbrown::HashTable;
use std::hash::{BuildHasher, Hash};

/// From this many entries on, a table keeps a hash index of positions.
pub(crate) const INDEX_FROM: usize = 64;

/// A table above this capacity shrinks by half when under a quarter full.
const SHRINK_FROM: usize = 256;

/// A value that carries its own key.
pub(crate) trait DenseEntry {
    /// The hash of its key; lookups pass the same hash ([`key_hash`]).
    fn key_hash(&self) -> u64;
}

/// The hash of a key, as [`DenseEntry::key_hash`] must compute it.
pub(crate) fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(key)
}

fn tag(hash: u64) -> u32 {
    // Both halves: FxHash's low bits alone are weak for short keys.
    (hash >> 32) as u32 ^ hash as u32
}

/// An insertion-ordered map whose values carry their keys (see the module doc).
pub(crate) struct DenseMap<V> {
    entries: Vec<V>,
    /// `tag(hash)` of each entry, same positions.
    tags: Vec<u32>,
    /// Positions by hash, once `index_from` entries were reached.
    index: Option<Box<HashTable<u32>>>,
    index_from: usize,
}

impl<V> Default for DenseMap<V> {
    fn default() -> Self {
        DenseMap {
            entries: Vec::new(),
            tags: Vec::new(),
            index: None,
            index_from: INDEX_FROM,
        }
    }
}

impl<V: DenseEntry> DenseMap<V> {
    /// An empty map that builds its index at `n` entries (tests vary it).
    #[cfg(test)]
    pub(crate) fn with_index_from(n: usize) -> Self {
        DenseMap {
            index_from: n,
            ..DenseMap::default()
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Position of the entry with this key hash for which `eq` holds.
    pub(crate) fn find(&self, hash: u64, eq: impl Fn(&V) -> bool) -> Option<usize> {
        match self.index.as_deref() {
            Some(index) => index
                .find(hash, |&i| self.entries.get(i as usize).is_some_and(&eq))
                .map(|&i| i as usize),
            None => {
                let t = tag(hash);
                self.tags
                    .iter()
                    .zip(&self.entries)
                    .position(|(&x, v)| x == t && eq(v))
            }
        }
    }

    /// The entry at position `i`.
    pub(crate) fn get_index(&self, i: usize) -> Option<&V> {
        self.entries.get(i)
    }

    /// The entry at position `i`, mutably. The caller must not change its key.
    pub(crate) fn get_index_mut(&mut self, i: usize) -> Option<&mut V> {
        self.entries.get_mut(i)
    }

    /// Every entry, in order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, V> {
        self.entries.iter()
    }

    /// Append an entry whose key is not in the map, with its `key_hash`.
    pub(crate) fn push_new(&mut self, hash: u64, value: V) {
        if self.entries.len() == self.entries.capacity() {
            // Grow by an eighth (at least 4, from 2): a converged node's tables stop
            // growing, and doubling would leave up to half of each unused.
            let more = match self.entries.len() {
                0..=3 => 2,
                n => (n / 8).max(4),
            };
            self.entries.reserve_exact(more);
            self.tags.reserve_exact(more);
        }
        let i = self.entries.len();
        self.entries.push(value);
        self.tags.push(tag(hash));
        let entries = &self.entries;
        match self.index.as_deref_mut() {
            Some(index) => {
                // (u32 positions: a table of 4 billion entries does not fit in memory.)
                index.insert_unique(hash, i as u32, |&j| hash_at(entries, j));
            }
            None if self.entries.len() >= self.index_from => self.build_index(),
            None => {}
        }
    }

    /// The entry with this key hash for which `eq` holds, appended with `make` first if
    /// there is none.
    pub(crate) fn get_or_push(
        &mut self,
        hash: u64,
        eq: impl Fn(&V) -> bool,
        make: impl FnOnce() -> V,
    ) -> &mut V {
        let i = match self.find(hash, eq) {
            Some(i) => i,
            None => {
                self.push_new(hash, make());
                self.entries.len() - 1
            }
        };
        // (A position just found or just pushed.)
        &mut self.entries[i]
    }

    /// Remove the entry at position `i`, moving the last entry into its place
    /// (`IndexMap::swap_remove_index`).
    pub(crate) fn swap_remove_index(&mut self, i: usize) -> Option<V> {
        let last = self.entries.len().checked_sub(1)?;
        if i > last {
            return None;
        }
        if let Some(index) = self.index.as_deref_mut() {
            let (hi, hl) = (
                hash_at(&self.entries, i as u32),
                hash_at(&self.entries, last as u32),
            );
            if let Ok(slot) = index.find_entry(hi, |&j| j as usize == i) {
                slot.remove();
            }
            if i != last {
                if let Some(slot) = index.find_mut(hl, |&j| j as usize == last) {
                    *slot = i as u32;
                }
            }
        }
        self.tags.swap_remove(i);
        let v = self.entries.swap_remove(i);
        let cap = self.entries.capacity();
        if cap > SHRINK_FROM && self.entries.len() < cap / 4 {
            // A bootstrap server's table holds every peer of a join burst, then is
            // pruned to a hundred: give the room back (halving, so amortised O(1)).
            self.entries.shrink_to(cap / 2);
            self.tags.shrink_to(cap / 2);
            let entries = &self.entries;
            if let Some(index) = self.index.as_deref_mut() {
                index.shrink_to(entries.len(), |&j| hash_at(entries, j));
            }
        }
        Some(v)
    }

    fn build_index(&mut self) {
        let mut index = HashTable::with_capacity(self.entries.len());
        let entries = &self.entries;
        for (i, v) in entries.iter().enumerate() {
            index.insert_unique(v.key_hash(), i as u32, |&j| hash_at(entries, j));
        }
        self.index = Some(Box::new(index));
    }
}

fn hash_at<V: DenseEntry>(entries: &[V], i: u32) -> u64 {
    entries.get(i as usize).map_or(0, V::key_hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[derive(Clone, Debug, PartialEq)]
    struct E {
        key: u16,
        value: u32,
    }

    impl DenseEntry for E {
        fn key_hash(&self) -> u64 {
            key_hash(&self.key)
        }
    }

    fn find(m: &DenseMap<E>, key: u16) -> Option<usize> {
        m.find(key_hash(&key), |e| e.key == key)
    }

    /// Random inserts, removals and lookups on maps indexed from the start, never, and
    /// half-way give exactly `IndexMap`'s positions, values and order.
    #[test]
    fn behaves_like_indexmap() {
        for seed in 0..20u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut model: IndexMap<u16, u32> = IndexMap::new();
            let mut max_len = 0;
            let mut maps = [
                DenseMap::with_index_from(0),
                DenseMap::with_index_from(usize::MAX),
                DenseMap::with_index_from(40),
            ];
            for step in 0..3000u32 {
                // Keys from a small range, so lookups hit and tags collide.
                let key: u16 = rng.gen_range(0..200);
                match rng.gen_range(0..3) {
                    0 => {
                        if !model.contains_key(&key) {
                            model.insert(key, step);
                            max_len = max_len.max(model.len());
                            for m in &mut maps {
                                m.push_new(key_hash(&key), E { key, value: step });
                            }
                        }
                    }
                    1 => {
                        let want = model.swap_remove_full(&key).map(|(i, _, v)| (i, v));
                        for m in &mut maps {
                            let got = find(m, key)
                                .and_then(|i| m.swap_remove_index(i).map(|e| (i, e.value)));
                            assert_eq!(got, want, "seed {seed} step {step} remove {key}");
                        }
                    }
                    _ => {
                        let want = model.get_index_of(&key);
                        for m in &maps {
                            assert_eq!(find(m, key), want, "seed {seed} step {step} find {key}");
                        }
                    }
                }
            }
            let want: Vec<E> = model
                .iter()
                .map(|(&key, &value)| E { key, value })
                .collect();
            for m in &maps {
                assert_eq!(m.iter().cloned().collect::<Vec<E>>(), want);
                assert_eq!(m.len(), model.len());
            }
            assert_eq!(maps[2].index.is_some(), max_len >= 40);
            assert!(maps[0].index.is_some() && maps[1].index.is_none());
        }
    }

    /// A table that grew to thousands of entries and is pruned gives memory back and
    /// still answers as `IndexMap` (a bootstrap server's table after a join burst).
    #[test]
    fn shrinks_after_pruning_and_keeps_answers() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut model: IndexMap<u16, u32> = IndexMap::new();
        let mut m = DenseMap::default();
        for key in 0..3000u16 {
            model.insert(key, u32::from(key));
            m.push_new(
                key_hash(&key),
                E {
                    key,
                    value: u32::from(key),
                },
            );
        }
        let grown = m.entries.capacity();
        while model.len() > 100 {
            let key = rng.gen_range(0..3000u16);
            let want = model.swap_remove_full(&key).map(|(i, _, v)| (i, v));
            let got = find(&m, key).and_then(|i| m.swap_remove_index(i).map(|e| (i, e.value)));
            assert_eq!(got, want);
        }
        assert!(
            m.entries.capacity() <= grown / 8,
            "{} of {grown}",
            m.entries.capacity()
        );
        for key in 0..3000u16 {
            assert_eq!(find(&m, key), model.get_index_of(&key));
        }
        let want: Vec<E> = model
            .iter()
            .map(|(&key, &value)| E { key, value })
            .collect();
        assert_eq!(m.iter().cloned().collect::<Vec<E>>(), want);
    }

    #[test]
    fn out_of_range_removal_is_none() {
        let mut m: DenseMap<E> = DenseMap::default();
        assert!(m.swap_remove_index(0).is_none());
        m.push_new(key_hash(&1u16), E { key: 1, value: 1 });
        assert!(m.swap_remove_index(1).is_none());
        assert_eq!(m.swap_remove_index(0), Some(E { key: 1, value: 1 }));
    }

    /// Two keys with the same tag are told apart by the key.
    #[test]
    fn equal_tags_compare_keys() {
        let mut m: DenseMap<E> = DenseMap::with_index_from(usize::MAX);
        m.push_new(5, E { key: 1, value: 10 });
        m.push_new(5, E { key: 2, value: 20 });
        assert_eq!(m.find(5, |e| e.key == 2), Some(1));
        assert_eq!(m.find(5, |e| e.key == 3), None);
    }
}
