//! `runtime`: time, the [`Clock`] trait, timers, `TaskManager` and `RequestCache`.
//!
//! Knows nothing of sockets or the simulator.

pub mod clock;
pub mod time;

pub use clock::{Clock, Sleep};
pub use time::{Duration, Instant};
