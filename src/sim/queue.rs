//! The event queue of the executor: a binary min-heap of small `(time, seq, slot)`
//! keys plus a slab holding the events themselves.
//!
//! Every key is `(time, seq)` with a strictly increasing `seq` (DESIGN.md house rule 3),
//! so events due at the same instant pop in insertion order and a run never depends on
//! heap internals. Cancelling frees the slab slot at once; the stale heap key is
//! skipped when it surfaces (its `seq` no longer matches the slot's).

use crate::runtime::Instant;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::task::Waker;

/// Identifies a scheduled event, for cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    seq: u64,
    slot: u32,
}

/// What happens when an event comes due.
pub(crate) enum Event {
    /// Wake a sleeping task (a [`crate::sim::SimClock`] sleep); `None` until first polled.
    Wake(Option<Waker>),
    /// Run a callback.
    Call(Box<dyn FnOnce()>),
    /// Hand a datagram to registered handler number `handler` (the network). Stored
    /// inline so an arrival costs no extra allocation or look-up.
    Deliver { handler: u32, datagram: Datagram },
}

/// A datagram in flight (see `network.rs`).
pub(crate) struct Datagram {
    /// Destination endpoint index.
    pub(crate) to: u32,
    /// The destination's open-epoch at send time.
    pub(crate) epoch: u32,
    /// Sender host index.
    pub(crate) from_host: u32,
    /// Sender port.
    pub(crate) from_port: u16,
    /// Payload.
    pub(crate) data: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    time: u64,
    seq: u64,
    slot: u32,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq).
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Slot {
    seq: u64,
    event: Option<Event>,
}

/// How many same-time FIFO lanes [`Lanes`] keeps beside its heap.
const LANES: usize = 4;

/// A queue vector above this capacity shrinks by half when under a quarter full.
const SHRINK_FROM: usize = 1024;

/// A min-queue of keys by `(time, seq)`: a binary heap plus a few FIFO "lanes", each
/// holding keys of one due time. A key whose time matches a lane's goes to the back of
/// that lane (its `seq` is larger than every key already there, so each lane stays
/// sorted); a key for a new time takes a free lane or, if none is free, the heap. `pop`
/// takes the smallest of the heap's top and the lanes' fronts, so the order is exactly
/// the `(time, seq)` order of a plain heap. A simulation has many events at one
/// instant (zero or constant latency, walker ticks at multiples of 0.5 s): those cost a
/// FIFO push/pop instead of a heap sift, while distinct times cost one heap operation
/// plus a few comparisons.
#[derive(Default)]
struct Lanes {
    heap: BinaryHeap<Key>,
    lanes: [VecDeque<Key>; LANES],
}

impl Lanes {
    fn push(&mut self, k: Key) {
        if let Some(l) = self
            .lanes
            .iter_mut()
            .find(|l| l.front().is_some_and(|f| f.time == k.time))
        {
            l.push_back(k);
        } else if let Some(l) = self.lanes.iter_mut().find(|l| l.is_empty()) {
            l.push_back(k);
        } else {
            self.heap.push(k);
        }
    }

    /// Index of the lane holding the smallest front key, if it is smaller than the
    /// heap's top (`None`: the heap's top is the smallest, or everything is empty).
    fn best_lane(&self) -> Option<usize> {
        let mut best: Option<(usize, &Key)> = None;
        for (i, l) in self.lanes.iter().enumerate() {
            if let Some(f) = l.front() {
                // `Key`'s order is reversed (max-heap): greater = earlier.
                if best.map_or(true, |(_, b)| f > b) {
                    best = Some((i, f));
                }
            }
        }
        match (best, self.heap.peek()) {
            (Some((i, f)), Some(h)) if f > h => Some(i),
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }

    fn peek(&self) -> Option<&Key> {
        match self.best_lane() {
            Some(i) => self.lanes.get(i)?.front(),
            None => self.heap.peek(),
        }
    }

    fn pop(&mut self) -> Option<Key> {
        match self.best_lane() {
            Some(i) => {
                let lane = self.lanes.get_mut(i)?;
                let k = lane.pop_front();
                if lane.capacity() > SHRINK_FROM && lane.len() < lane.capacity() / 4 {
                    // Give a burst's room back (a join burst fills one lane with
                    // every node's first packets), so the peer tables that grow
                    // afterwards can reuse it. Amortised O(1).
                    lane.shrink_to(lane.capacity() / 2);
                }
                k
            }
            None => {
                let k = self.heap.pop();
                if self.heap.capacity() > SHRINK_FROM && self.heap.len() < self.heap.capacity() / 4
                {
                    self.heap.shrink_to(self.heap.capacity() / 2);
                }
                k
            }
        }
    }
}

/// Min-queue of events keyed by `(time, seq)`.
#[derive(Default)]
pub(crate) struct EventQueue {
    heap: Lanes,
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_seq: u64,
    live: usize,
}

impl EventQueue {
    /// Schedule `event` at `time`; returns its id.
    pub(crate) fn push(&mut self, time: Instant, event: Event) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                let entry = &mut self.slots[s as usize];
                entry.seq = seq;
                entry.event = Some(event);
                s
            }
            None => {
                let s = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                assert!(s < u32::MAX, "more than 4 billion pending events");
                if self.slots.len() == self.slots.capacity() {
                    // Grow by an eighth: slots are never freed (event ids index
                    // them), and doubling could leave half of a large peak unused.
                    let more = (self.slots.len() / 8).max(64);
                    self.slots.reserve_exact(more);
                    self.free.reserve_exact(more);
                }
                self.slots.push(Slot {
                    seq,
                    event: Some(event),
                });
                s
            }
        };
        self.heap.push(Key {
            time: time.as_nanos(),
            seq,
            slot,
        });
        self.live += 1;
        EventId { seq, slot }
    }

    fn slot_mut(&mut self, id: EventId) -> Option<&mut Slot> {
        self.slots
            .get_mut(id.slot as usize)
            .filter(|s| s.seq == id.seq && s.event.is_some())
    }

    /// Cancel a pending event; returns whether it was still pending.
    pub(crate) fn cancel(&mut self, id: EventId) -> bool {
        match self.slot_mut(id) {
            Some(s) => {
                s.event = None;
                self.free.push(id.slot);
                self.live -= 1;
                true
            }
            None => false,
        }
    }

    /// Whether `id` is still pending.
    pub(crate) fn is_pending(&self, id: EventId) -> bool {
        self.slots
            .get(id.slot as usize)
            .is_some_and(|s| s.seq == id.seq && s.event.is_some())
    }

    /// Store the waker of a pending `Wake` event.
    pub(crate) fn set_waker(&mut self, id: EventId, waker: &Waker) {
        if let Some(Slot {
            event: Some(Event::Wake(w)),
            ..
        }) = self.slot_mut(id)
        {
            match w {
                Some(old) if old.will_wake(waker) => {}
                _ => *w = Some(waker.clone()),
            }
        }
    }

    /// Drop stale (cancelled) keys from the top of the heap.
    fn skip_stale(&mut self) {
        while let Some(k) = self.heap.peek() {
            let s = &self.slots[k.slot as usize];
            if s.seq == k.seq && s.event.is_some() {
                return;
            }
            self.heap.pop();
        }
    }

    /// The due time of the earliest pending event.
    pub(crate) fn peek_time(&mut self) -> Option<Instant> {
        self.skip_stale();
        self.heap.peek().map(|k| Instant::from_nanos(k.time))
    }

    /// Remove and return the earliest pending event if it is due at or before `limit`.
    pub(crate) fn pop_due(&mut self, limit: Instant) -> Option<(Instant, Event)> {
        self.skip_stale();
        let k = *self.heap.peek()?;
        if k.time > limit.as_nanos() {
            return None;
        }
        self.heap.pop();
        let event = self.slots[k.slot as usize].event.take()?;
        self.free.push(k.slot);
        self.live -= 1;
        Some((Instant::from_nanos(k.time), event))
    }

    /// Number of pending (not cancelled) events.
    pub(crate) fn len(&self) -> usize {
        self.live
    }
}
