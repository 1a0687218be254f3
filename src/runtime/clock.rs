//! The [`Clock`] trait: the only way protocol code learns the time or waits.
//!
//! Two implementations exist: the simulator's virtual clock (`sim`) and the real
//! clock (for the live UDP peer). Protocol code cannot tell which one it has.

use super::time::{Duration, Instant};
use std::future::Future;
use std::pin::Pin;

/// A future that completes when a clock reaches a deadline.
pub type Sleep = Pin<Box<dyn Future<Output = ()>>>;

/// A source of time (virtual or real) and of sleeps against it.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;

    /// A future that completes once `now() >= deadline`.
    fn sleep_until(&self, deadline: Instant) -> Sleep;

    /// A future that completes after `d` has passed.
    fn sleep(&self, d: Duration) -> Sleep {
        self.sleep_until(self.now() + d)
    }
}
