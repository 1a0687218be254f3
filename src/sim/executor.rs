//! The deterministic virtual-time executor ([`Sim`]).
//!
//! Semantics follow py-ipv8 ≤ 2.11's `simulation/discrete_loop.py` (`DiscreteLoop`,
//! spec §12): virtual time starts at 0; runnable work always goes first; only when no
//! task is runnable does time jump to the earliest pending event (a timer, a packet
//! arrival or a scheduled callback). Async tasks run on `async_executor::LocalExecutor`,
//! driven **only** by `try_tick()` (its `run()` picks work with an RNG). Events are
//! keyed `(time, seq)` so same-time events fire in insertion order; a run is a pure
//! function of what was scheduled. No wall clock is read anywhere here.
//!
//! Differences from `DiscreteLoop`: scheduling in the past is clamped to "now" (it fires
//! after everything already due now) instead of raising; a panic in a task or callback
//! propagates out of the `run_*` call, like the loop re-raising exceptions.

use super::clock::SimClock;
use super::queue::{Datagram, Event, EventId, EventQueue};
use crate::runtime::{Duration, Instant};
use async_executor::{LocalExecutor, Task};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::{Rc, Weak};

/// Something the executor hands due datagrams to (the simulated network delivers
/// packets this way, without allocating a closure per packet).
pub(crate) trait EventHandler {
    /// `datagram` arrived; `now()` is already its arrival time.
    fn fire(&self, datagram: Datagram);
}

/// Why a `run_*` call returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The requested time was reached (the clock now reads exactly that time).
    TimeReached,
    /// No task is runnable and no event is pending.
    Idle,
    /// [`Sim::stop`] was called by a task or callback.
    Stopped,
    /// The event cap of [`Sim::run_until_idle`] was reached first.
    EventCapReached,
}

pub(crate) struct SimCore {
    pub(crate) now: Cell<Instant>,
    pub(crate) queue: RefCell<EventQueue>,
    executor: RefCell<Option<LocalExecutor<'static>>>,
    events: Cell<u64>,
    stop: Cell<bool>,
    running: Cell<bool>,
    handlers: RefCell<Vec<Weak<dyn EventHandler>>>,
}

/// A deterministic discrete-event simulation: virtual clock, event queue and a
/// single-threaded task executor. Cheap to clone (a shared handle).
///
/// Tasks and callbacks usually hold clones of the `Sim` (or of its [`SimClock`]),
/// which forms reference cycles; call [`Sim::shutdown`] when done to free them.
#[derive(Clone)]
pub struct Sim {
    pub(crate) core: Rc<SimCore>,
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.now())
            .field("pending_events", &self.pending_events())
            .field("events_processed", &self.events_processed())
            .finish()
    }
}

impl Sim {
    /// A new simulation at virtual time 0 with nothing scheduled.
    pub fn new() -> Self {
        Sim {
            core: Rc::new(SimCore {
                now: Cell::new(Instant::ZERO),
                queue: RefCell::new(EventQueue::default()),
                executor: RefCell::new(Some(LocalExecutor::new())),
                events: Cell::new(0),
                stop: Cell::new(false),
                running: Cell::new(false),
                handlers: RefCell::new(Vec::new()),
            }),
        }
    }

    /// The current virtual time.
    #[inline]
    pub fn now(&self) -> Instant {
        self.core.now.get()
    }

    /// A [`crate::runtime::Clock`] reading this simulation's virtual time.
    pub fn clock(&self) -> SimClock {
        SimClock::new(self.clone())
    }

    /// Spawn a task. It first runs when a `run_*` method is called. Dropping the
    /// returned [`Task`] cancels it; call `.detach()` to let it run on its own.
    ///
    /// # Panics
    /// After [`Sim::shutdown`].
    pub fn spawn<T: 'static>(&self, future: impl Future<Output = T> + 'static) -> Task<T> {
        let ex = self.core.executor.borrow();
        match ex.as_ref() {
            Some(ex) => ex.spawn(future),
            None => panic!("Sim::spawn after Sim::shutdown"),
        }
    }

    /// Run `callback` at virtual time `at` (clamped to now if in the past: it then runs
    /// after every event already due now). Returns an id for [`Sim::cancel`].
    pub fn schedule_at(&self, at: Instant, callback: impl FnOnce() + 'static) -> EventId {
        self.push(at, Event::Call(Box::new(callback)))
    }

    /// Run `callback` after `delay` of virtual time.
    pub fn schedule_in(&self, delay: Duration, callback: impl FnOnce() + 'static) -> EventId {
        self.schedule_at(self.now() + delay, callback)
    }

    /// Cancel a scheduled event; returns whether it was still pending.
    pub fn cancel(&self, id: EventId) -> bool {
        self.core.queue.borrow_mut().cancel(id)
    }

    /// Whether a scheduled event is still pending.
    pub fn is_pending(&self, id: EventId) -> bool {
        self.core.queue.borrow().is_pending(id)
    }

    /// Number of events fired so far (timers, callbacks, packet arrivals).
    pub fn events_processed(&self) -> u64 {
        self.core.events.get()
    }

    /// Number of events pending in the queue.
    pub fn pending_events(&self) -> usize {
        self.core.queue.borrow().len()
    }

    /// The due time of the earliest pending event.
    pub fn next_event_time(&self) -> Option<Instant> {
        self.core.queue.borrow_mut().peek_time()
    }

    /// Ask the current `run_*` call to return (with [`RunOutcome::Stopped`]) once the
    /// event being processed and the tasks it woke have run.
    pub fn stop(&self) {
        self.core.stop.set(true);
    }

    pub(crate) fn push(&self, at: Instant, event: Event) -> EventId {
        let at = at.max(self.now());
        self.core.queue.borrow_mut().push(at, event)
    }

    pub(crate) fn register_handler(&self, handler: Weak<dyn EventHandler>) -> u32 {
        let mut hs = self.core.handlers.borrow_mut();
        hs.push(handler);
        u32::try_from(hs.len() - 1).unwrap_or(u32::MAX)
    }

    /// Poll runnable tasks until none is runnable.
    fn run_tasks(&self) {
        let ex = self.core.executor.borrow();
        if let Some(ex) = ex.as_ref() {
            while ex.try_tick() {}
        }
    }

    fn fire(&self, at: Instant, event: Event) {
        debug_assert!(at >= self.now());
        self.core.now.set(at);
        self.core.events.set(self.core.events.get() + 1);
        match event {
            Event::Wake(Some(w)) => w.wake(),
            Event::Wake(None) => {}
            Event::Call(f) => f(),
            Event::Deliver { handler, datagram } => {
                let h = self
                    .core
                    .handlers
                    .borrow()
                    .get(handler as usize)
                    .and_then(Weak::upgrade);
                if let Some(h) = h {
                    h.fire(datagram);
                }
            }
        }
    }

    fn enter(&self) -> RunGuard<'_> {
        assert!(
            !self.core.running.replace(true),
            "Sim::run_* called re-entrantly from a task or callback"
        );
        self.core.stop.set(false);
        RunGuard(self)
    }

    /// Fire every event due at or before `limit`, running woken tasks after each, until
    /// none is left, [`Sim::stop`] is called, or `max_events` events have fired.
    fn drive(&self, limit: Instant, max_events: u64) -> Option<RunOutcome> {
        self.run_tasks();
        let mut fired = 0u64;
        loop {
            if self.core.stop.get() {
                return Some(RunOutcome::Stopped);
            }
            if fired >= max_events {
                return Some(RunOutcome::EventCapReached);
            }
            let next = self.core.queue.borrow_mut().pop_due(limit);
            let (at, event) = next?;
            self.fire(at, event);
            fired += 1;
            self.run_tasks();
        }
    }

    /// Run until virtual time `t`: fire every event due at or before `t`, then set the
    /// clock to `t` (if it is later than now). Returns early if stopped.
    pub fn run_until(&self, t: Instant) -> RunOutcome {
        self.run_until_capped(t, u64::MAX)
    }

    /// [`Sim::run_until`], but return [`RunOutcome::EventCapReached`] after
    /// `max_events` events, with the clock at the last event's time; calling again
    /// carries on exactly where it stopped (same events, same order), so a caller can
    /// do work of its own between chunks without changing the run.
    pub fn run_until_capped(&self, t: Instant, max_events: u64) -> RunOutcome {
        let _g = self.enter();
        match self.drive(t, max_events) {
            Some(outcome) => outcome,
            None => {
                if t > self.now() && t != Instant::MAX {
                    self.core.now.set(t);
                }
                RunOutcome::TimeReached
            }
        }
    }

    /// Run for `d` of virtual time from now.
    pub fn run_for(&self, d: Duration) -> RunOutcome {
        self.run_until(self.now() + d)
    }

    /// Run until nothing is runnable or pending ([`RunOutcome::Idle`]), or until
    /// `max_events` events have fired (a safety cap: periodic timers never go idle).
    /// The clock stays at the time of the last event.
    pub fn run_until_idle(&self, max_events: u64) -> RunOutcome {
        let _g = self.enter();
        self.drive(Instant::MAX, max_events)
            .unwrap_or(RunOutcome::Idle)
    }

    /// Fire the single earliest event (and run the tasks it wakes); `false` if none.
    pub fn step(&self) -> bool {
        let _g = self.enter();
        self.run_tasks();
        let next = self.core.queue.borrow_mut().pop_due(Instant::MAX);
        match next {
            Some((at, event)) => {
                self.fire(at, event);
                self.run_tasks();
                true
            }
            None => false,
        }
    }

    /// Drop every task and pending event, breaking the reference cycles between the
    /// simulation and what runs on it. The `Sim` must not be run or spawned on again.
    pub fn shutdown(&self) {
        let ex = self.core.executor.borrow_mut().take();
        drop(ex);
        let q = std::mem::take(&mut *self.core.queue.borrow_mut());
        drop(q);
        self.core.handlers.borrow_mut().clear();
    }
}

struct RunGuard<'a>(&'a Sim);

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.0.core.running.set(false);
    }
}
