//! [`TimerQueue`]: a deterministic min-queue of timers keyed by `(Instant, seq)`.
//!
//! House rule 3 (DESIGN.md): every event-queue key is `(time, seq)`, so timers due at
//! the same instant fire in insertion order. The queue is a binary heap of small
//! `Copy` keys plus a [`slab::Slab`] holding the payloads; cancelling only frees the
//! payload slot (lazy deletion) and the heap drops its stale key later. Two
//! invariants keep that cheap and bounded:
//!
//! * the heap's top is never stale, so [`TimerQueue::peek_deadline`] is `&self` and
//!   O(1);
//! * stale keys never outnumber live timers by much: once they do (and there are more
//!   than [`COMPACT_MIN`] of them) the heap is rebuilt from the live keys, which is
//!   O(n) and amortised over the cancellations that caused it.
//!
//! Apart from growing the heap and slab (whose capacity is reused), inserting, popping
//! and cancelling never allocate.

use super::time::Instant;
use slab::Slab;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Below this many stale heap keys the queue never compacts (rebuilding a tiny heap
/// is not worth it).
pub const COMPACT_MIN: usize = 64;

/// Identifies one inserted timer, to cancel it or read it.
///
/// Ids are never reused within one queue: a stale id (of a timer that fired or was
/// cancelled) never refers to a later timer, even if it reuses the same slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    slot: u32,
    seq: u64,
}

/// One heap key. Ordered so that `BinaryHeap` (a max-heap) yields the smallest
/// `(at, seq)` first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    at: Instant,
    seq: u64,
    slot: u32,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: the earliest (at, seq) is the heap's maximum.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A live timer's payload and identity.
#[derive(Debug)]
struct Slot<T> {
    seq: u64,
    at: Instant,
    value: T,
}

/// A min-queue of timers keyed by `(deadline, insertion seq)`.
///
/// Deterministic: timers with equal deadlines pop in insertion order.
///
/// The queue is 8 bytes until its first timer: every overlay of a simulated node has
/// two (tasks and request cache), and most never schedule one. Once made, the inner
/// queue is kept (its sequence numbers keep old ids stale).
#[derive(Debug)]
pub struct TimerQueue<T> {
    inner: Option<Box<Queue<T>>>,
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TimerQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        TimerQueue { inner: None }
    }

    /// An empty queue with room for `n` timers before it allocates.
    pub fn with_capacity(n: usize) -> Self {
        TimerQueue {
            inner: Some(Box::new(Queue {
                heap: BinaryHeap::with_capacity(n),
                slots: Slab::with_capacity(n),
                next_seq: 0,
            })),
        }
    }

    /// Schedules `value` to fire at `at`; returns its id.
    ///
    /// A deadline in the past is fine: the timer is due at once.
    ///
    /// # Panics
    /// Only with more than `u32::MAX` simultaneously live timers.
    pub fn insert(&mut self, at: Instant, value: T) -> TimerId {
        self.inner
            .get_or_insert_with(|| {
                Box::new(Queue {
                    heap: BinaryHeap::new(),
                    slots: Slab::new(),
                    next_seq: 0,
                })
            })
            .insert(at, value)
    }

    /// Cancels a timer, returning its payload, or `None` if it already fired or was
    /// cancelled.
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        self.inner.as_deref_mut()?.cancel(id)
    }

    /// Whether `id` is still scheduled.
    pub fn contains(&self, id: TimerId) -> bool {
        self.inner.as_deref().is_some_and(|q| q.is_live(id))
    }

    /// The payload of a scheduled timer.
    pub fn get(&self, id: TimerId) -> Option<&T> {
        self.inner.as_deref()?.get(id)
    }

    /// The payload of a scheduled timer, mutably.
    pub fn get_mut(&mut self, id: TimerId) -> Option<&mut T> {
        self.inner.as_deref_mut()?.get_mut(id)
    }

    /// The deadline of a scheduled timer.
    pub fn deadline(&self, id: TimerId) -> Option<Instant> {
        self.inner.as_deref()?.deadline(id)
    }

    /// The earliest deadline of any scheduled timer. O(1).
    #[must_use]
    pub fn peek_deadline(&self) -> Option<Instant> {
        self.inner.as_deref()?.peek_deadline()
    }

    /// Removes and returns the earliest timer if its deadline is `<= now`.
    ///
    /// Call repeatedly until it returns `None` to fire everything due; timers
    /// inserted meanwhile with a deadline `<= now` are returned too, after all
    /// earlier-inserted timers with the same deadline.
    #[must_use]
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, T)> {
        self.inner.as_deref_mut()?.pop_due(now)
    }

    /// Removes and returns the earliest timer regardless of its deadline.
    #[must_use]
    pub fn pop_next(&mut self) -> Option<(Instant, T)> {
        self.pop_due(Instant::MAX)
    }

    /// Number of scheduled timers.
    pub fn len(&self) -> usize {
        self.inner.as_deref().map_or(0, |q| q.slots.len())
    }

    /// Whether no timer is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cancels every timer (capacity is kept). Ids handed out before stay stale.
    pub fn clear(&mut self) {
        if let Some(q) = self.inner.as_deref_mut() {
            q.heap.clear();
            q.slots.clear();
        }
    }

    /// Removes all timers, yielding their payloads in `(deadline, seq)` order.
    pub fn drain(&mut self) -> impl Iterator<Item = (Instant, T)> + '_ {
        std::iter::from_fn(move || self.pop_next())
    }

    /// Number of keys in the heap, live or stale (for tests and benches).
    pub fn heap_len(&self) -> usize {
        self.inner.as_deref().map_or(0, |q| q.heap.len())
    }
}

/// The queue itself (see [`TimerQueue`]).
#[derive(Debug)]
struct Queue<T> {
    heap: BinaryHeap<Key>,
    slots: Slab<Slot<T>>,
    next_seq: u64,
}

impl<T> Queue<T> {
    /// Schedules `value` to fire at `at`; returns its id.
    ///
    /// A deadline in the past is fine: the timer is due at once.
    ///
    /// # Panics
    /// Only with more than `u32::MAX` simultaneously live timers.
    fn insert(&mut self, at: Instant, value: T) -> TimerId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = self.slots.insert(Slot { seq, at, value });
        let slot = u32::try_from(slot).expect("more than u32::MAX live timers");
        self.heap.push(Key { at, seq, slot });
        TimerId { slot, seq }
    }

    /// Cancels a timer, returning its payload, or `None` if it already fired or was
    /// cancelled.
    fn cancel(&mut self, id: TimerId) -> Option<T> {
        if !self.is_live(id) {
            return None;
        }
        let slot = self.slots.remove(id.slot as usize);
        self.clean_top();
        self.maybe_compact();
        Some(slot.value)
    }

    /// The payload of a scheduled timer.
    fn get(&self, id: TimerId) -> Option<&T> {
        match self.slots.get(id.slot as usize) {
            Some(s) if s.seq == id.seq => Some(&s.value),
            _ => None,
        }
    }

    /// The payload of a scheduled timer, mutably.
    fn get_mut(&mut self, id: TimerId) -> Option<&mut T> {
        match self.slots.get_mut(id.slot as usize) {
            Some(s) if s.seq == id.seq => Some(&mut s.value),
            _ => None,
        }
    }

    /// The deadline of a scheduled timer.
    fn deadline(&self, id: TimerId) -> Option<Instant> {
        match self.slots.get(id.slot as usize) {
            Some(s) if s.seq == id.seq => Some(s.at),
            _ => None,
        }
    }

    /// The earliest deadline of any scheduled timer. O(1).
    #[must_use]
    fn peek_deadline(&self) -> Option<Instant> {
        // Invariant: the top key is live.
        self.heap.peek().map(|k| k.at)
    }

    /// Removes and returns the earliest timer if its deadline is `<= now`.
    ///
    /// Call repeatedly until it returns `None` to fire everything due; timers
    /// inserted meanwhile with a deadline `<= now` are returned too, after all
    /// earlier-inserted timers with the same deadline.
    #[must_use]
    fn pop_due(&mut self, now: Instant) -> Option<(Instant, T)> {
        let top = *self.heap.peek()?;
        if top.at > now {
            return None;
        }
        self.heap.pop();
        let slot = self.slots.remove(top.slot as usize);
        debug_assert_eq!(slot.seq, top.seq, "heap top must be live");
        self.clean_top();
        Some((slot.at, slot.value))
    }

    fn is_live(&self, id: TimerId) -> bool {
        matches!(self.slots.get(id.slot as usize), Some(s) if s.seq == id.seq)
    }

    fn key_is_live(slots: &Slab<Slot<T>>, k: &Key) -> bool {
        matches!(slots.get(k.slot as usize), Some(s) if s.seq == k.seq)
    }

    /// Restores the invariant that the heap's top is live.
    fn clean_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if Self::key_is_live(&self.slots, top) {
                break;
            }
            self.heap.pop();
        }
    }

    /// Rebuilds the heap from live keys once stale keys dominate.
    fn maybe_compact(&mut self) {
        let stale = self.heap.len() - self.slots.len();
        if stale > COMPACT_MIN && stale > self.slots.len() {
            let slots = &self.slots;
            self.heap.retain(|k| Self::key_is_live(slots, k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn pops_in_deadline_order() {
        let mut q = TimerQueue::new();
        q.insert(ms(30), "c");
        q.insert(ms(10), "a");
        q.insert(ms(20), "b");
        assert_eq!(q.peek_deadline(), Some(ms(10)));
        assert_eq!(q.pop_due(ms(5)), None);
        assert_eq!(q.pop_due(ms(25)), Some((ms(10), "a")));
        assert_eq!(q.pop_due(ms(25)), Some((ms(20), "b")));
        assert_eq!(q.pop_due(ms(25)), None);
        assert_eq!(q.peek_deadline(), Some(ms(30)));
        assert_eq!(q.pop_next(), Some((ms(30), "c")));
        assert!(q.is_empty());
        assert_eq!(q.peek_deadline(), None);
    }

    #[test]
    fn ties_fire_in_insertion_order() {
        let mut q = TimerQueue::new();
        for i in 0..100u32 {
            // Interleave two deadlines so heap order alone would scramble them.
            let at = if i % 2 == 0 { ms(7) } else { ms(3) };
            q.insert(at, i);
        }
        let got: Vec<u32> = q.drain().map(|(_, v)| v).collect();
        let odd = (0..100).filter(|i| i % 2 == 1);
        let even = (0..100).filter(|i| i % 2 == 0);
        let want: Vec<u32> = odd.chain(even).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn inserted_during_pop_loop_runs_after_same_time_peers() {
        let mut q = TimerQueue::new();
        q.insert(ms(1), 1);
        q.insert(ms(1), 2);
        let mut seen = Vec::new();
        while let Some((_, v)) = q.pop_due(ms(1)) {
            seen.push(v);
            if v == 1 {
                q.insert(ms(1), 3);
                q.insert(ms(0), 4); // already past: due at once
            }
        }
        // 4 has the earlier deadline, so it precedes 2; 3 ties with 2 and was inserted later.
        assert_eq!(seen, vec![1, 4, 2, 3]);
    }

    #[test]
    fn cancel_removes_and_ids_are_not_reused() {
        let mut q = TimerQueue::new();
        let a = q.insert(ms(10), 'a');
        let b = q.insert(ms(20), 'b');
        assert_eq!(q.cancel(a), Some('a'));
        assert_eq!(q.cancel(a), None);
        assert!(!q.contains(a));
        assert_eq!(q.peek_deadline(), Some(ms(20)), "cancelled top is skipped");
        // The freed slot is reused, but the old id must not reach the new timer.
        let c = q.insert(ms(5), 'c');
        assert_ne!(a, c);
        assert_eq!(q.cancel(a), None);
        assert_eq!(q.get(c), Some(&'c'));
        assert_eq!(q.deadline(b), Some(ms(20)));
        assert_eq!(q.pop_due(ms(100)), Some((ms(5), 'c')));
        assert_eq!(q.cancel(c), None, "fired timers cannot be cancelled");
        assert_eq!(q.pop_due(ms(100)), Some((ms(20), 'b')));
        assert_eq!(q.pop_due(ms(100)), None);
    }

    #[test]
    fn cancelled_middle_timer_never_fires() {
        let mut q = TimerQueue::new();
        let ids: Vec<TimerId> = (0..10).map(|i| q.insert(ms(i), i)).collect();
        for id in ids.iter().skip(1).step_by(2) {
            q.cancel(*id);
        }
        let got: Vec<u64> = q.drain().map(|(_, v)| v).collect();
        assert_eq!(got, vec![0, 2, 4, 6, 8]);
    }

    #[test]
    fn stale_keys_stay_bounded() {
        let mut q = TimerQueue::new();
        // A long-lived far timer keeps the heap non-empty; many short timers are
        // inserted and cancelled (the pattern of request-cache pops).
        q.insert(Instant::MAX, u64::MAX);
        for i in 0..100_000u64 {
            let id = q.insert(ms(1_000 + i), i);
            let far = q.insert(ms(10_000_000 + i), i);
            q.cancel(far);
            if i % 3 != 0 {
                q.cancel(id);
            }
            assert!(
                q.heap_len() <= 2 * q.len() + COMPACT_MIN + 1,
                "heap {} live {}",
                q.heap_len(),
                q.len()
            );
        }
        let live = q.len();
        assert_eq!(live, 1 + 100_000usize.div_ceil(3));
        // Everything still fires in order.
        let mut last = Instant::ZERO;
        let mut n = 0;
        while let Some((at, _)) = q.pop_next() {
            assert!(at >= last);
            last = at;
            n += 1;
        }
        assert_eq!(n, live);
    }

    #[test]
    fn clear_and_get_mut() {
        let mut q = TimerQueue::with_capacity(4);
        let a = q.insert(ms(1), 1);
        *q.get_mut(a).unwrap() = 5;
        assert_eq!(q.pop_next(), Some((ms(1), 5)));
        let b = q.insert(ms(2), 2);
        q.clear();
        assert!(q.is_empty());
        assert_eq!(q.get(b), None);
        assert_eq!(q.peek_deadline(), None);
    }
}
