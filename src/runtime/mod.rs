//! `runtime`: time, the [`Clock`] trait, timers, `TaskManager` and `RequestCache`.
//!
//! Knows nothing of sockets or the simulator. Everything here is sans-IO except
//! [`RealClock`]: [`TimerQueue`], [`TaskManager`] and [`RequestCache`] take `now` in and
//! hand deadlines out (`poll_timeout`), and run what is due when told (`run_due`).
//!
//! | file | noun |
//! |---|---|
//! | `time.rs` | [`Instant`], [`Duration`] |
//! | `clock.rs` | the [`Clock`] trait |
//! | `real_clock.rs` | [`RealClock`] (the only OS-clock reader) |
//! | `timers.rs` | [`TimerQueue`]: `(time, seq)`-ordered timers |
//! | `task_manager.rs` | [`TaskManager`]: named delayed/periodic tasks (py-ipv8 `taskmanager.py`) |
//! | `request_cache.rs` | [`RequestCache`], [`NumberCache`] (py-ipv8 `requestcache.py`) |
//! | `promise.rs` | [`Promise`], [`CacheFuture`]: futures managed by a request cache |

pub mod clock;
pub mod promise;
pub mod real_clock;
pub mod request_cache;
pub mod task_manager;
pub mod time;
pub mod timers;

pub use clock::{Clock, Sleep};
pub use promise::{promise, CacheFuture, Cancelled, Promise};
pub use real_clock::RealClock;
pub use request_cache::{CacheError, NumberCache, Passthrough, RequestCache, DEFAULT_TIMEOUT};
pub use task_manager::{ShutdownFn, TaskError, TaskFn, TaskHandle, TaskManager};
pub use time::{Duration, Instant};
pub use timers::{TimerId, TimerQueue};
