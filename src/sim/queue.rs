//! The event queue of the executor: a binary min-heap of small `(time, seq, slot)`
//! keys plus a slab holding the events themselves.
//!
//! Every key is `(time, seq)` with a strictly increasing `seq` (DESIGN.md house rule 3),
//! so events due at the same instant pop in insertion order and a run never depends on
//! heap internals. Cancelling frees the slab slot at once; the stale heap key is
//! skipped when it surfaces (its `seq` no longer matches the slot's).

use crate::runtime::Instant;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::cmp::Reverse;
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

/// Keys grouped by due time: a min-heap of the distinct due times, and per time a FIFO
/// of keys. Keys pushed for one time arrive in increasing `seq`, so popping the front
/// of the earliest time's FIFO yields exactly the `(time, seq)` order of a plain heap —
/// but a simulation has many events at the same instant (zero latency, walker ticks at
/// multiples of 0.5 s), and those cost a FIFO push/pop instead of a heap sift.
#[derive(Default)]
struct TimeBuckets {
    times: BinaryHeap<Reverse<u64>>,
    buckets: FxHashMap<u64, VecDeque<Key>>,
    pool: Vec<VecDeque<Key>>,
}

impl TimeBuckets {
    fn push(&mut self, k: Key) {
        if let Some(q) = self.buckets.get_mut(&k.time) {
            q.push_back(k);
            return;
        }
        let mut q = self.pool.pop().unwrap_or_default();
        q.push_back(k);
        self.buckets.insert(k.time, q);
        self.times.push(Reverse(k.time));
    }

    fn peek(&self) -> Option<&Key> {
        let t = self.times.peek()?.0;
        self.buckets.get(&t)?.front()
    }

    fn pop(&mut self) -> Option<Key> {
        let t = self.times.peek()?.0;
        let q = self.buckets.get_mut(&t)?;
        let k = q.pop_front();
        if q.is_empty() {
            self.times.pop();
            if let Some(q) = self.buckets.remove(&t) {
                if self.pool.len() < 4096 {
                    self.pool.push(q);
                }
            }
        }
        k
    }
}

/// Min-queue of events keyed by `(time, seq)`.
#[derive(Default)]
pub(crate) struct EventQueue {
    heap: TimeBuckets,
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
