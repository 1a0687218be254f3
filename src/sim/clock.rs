//! [`SimClock`]: the virtual clock, implementing [`crate::runtime::Clock`].
//!
//! `sleep_until` registers a wake-up in the executor's event queue at creation (so its
//! `(time, seq)` key reflects the order sleeps were requested); dropping an unfinished
//! sleep cancels it. Protocol code cannot tell this clock from the real one.

use super::executor::Sim;
use super::queue::{Event, EventId};
use crate::runtime::{Clock, Instant, Sleep};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The simulation's virtual clock (a cheap handle on the [`Sim`]).
#[derive(Clone, Debug)]
pub struct SimClock {
    sim: Sim,
}

impl SimClock {
    pub(crate) fn new(sim: Sim) -> Self {
        SimClock { sim }
    }

    /// The simulation this clock reads.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        self.sim.now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let id = if deadline > self.sim.now() {
            Some(self.sim.push(deadline, Event::Wake(None)))
        } else {
            None
        };
        Box::pin(SimSleep {
            sim: self.sim.clone(),
            deadline,
            id,
        })
    }
}

/// A pending sleep on the virtual clock.
struct SimSleep {
    sim: Sim,
    deadline: Instant,
    id: Option<EventId>,
}

impl Future for SimSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sim.now() >= self.deadline {
            if let Some(id) = self.id.take() {
                // Due but possibly not yet fired (another same-time event woke us first).
                self.sim.cancel(id);
            }
            return Poll::Ready(());
        }
        if let Some(id) = self.id {
            self.sim.core.queue.borrow_mut().set_waker(id, cx.waker());
        }
        Poll::Pending
    }
}

impl Drop for SimSleep {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.sim.cancel(id);
        }
    }
}
