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
//!
//! # Example: an owner (e.g. a community) holding both
//!
//! ```
//! use ipv8sim::runtime::{Duration, Instant, NumberCache, RequestCache, TaskManager};
//!
//! struct Ping { number: u64 }
//! impl NumberCache<Overlay> for Ping {
//!     fn prefix(&self) -> &str { "ping" }
//!     fn number(&self) -> u64 { self.number }
//!     fn timeout_delay(&self) -> Duration { Duration::from_secs(5) }
//!     fn on_timeout(&mut self, o: &mut Overlay, _now: Instant) { o.lost += 1; }
//! }
//!
//! #[derive(Default)]
//! struct Overlay { tasks: TaskManager<Overlay>, caches: RequestCache<Overlay>, lost: u32, next: u64 }
//! impl Overlay {
//!     fn tasks(o: &mut Overlay) -> &mut TaskManager<Overlay> { &mut o.tasks }
//!     fn caches(o: &mut Overlay) -> &mut RequestCache<Overlay> { &mut o.caches }
//!     /// The driver's deadline: the earliest of both.
//!     fn poll_timeout(&self) -> Option<Instant> {
//!         [self.tasks.poll_timeout(), self.caches.poll_timeout()].into_iter().flatten().min()
//!     }
//!     fn handle_timeout(&mut self, now: Instant) {
//!         TaskManager::run_due(self, now, Overlay::tasks);
//!         RequestCache::run_due(self, now, Overlay::caches);
//!     }
//! }
//!
//! let mut o = Overlay::default();
//! // Every second, send a "ping" and remember it; nobody answers, so each times out.
//! o.tasks.register_task(Instant::ZERO, "ping", |o: &mut Overlay, now| {
//!     o.next += 1;
//!     o.caches.add(now, Ping { number: o.next }).unwrap();
//!     if o.next == 3 {
//!         o.tasks.cancel_pending_task("ping");
//!     }
//! }, None, Some(Duration::from_secs(1))).unwrap();
//!
//! let mut now = Instant::ZERO;
//! while let Some(t) = o.poll_timeout() {
//!     now = t;
//!     o.handle_timeout(now);
//! }
//! assert_eq!((o.lost, now), (3, Instant::from_secs(8)));
//! ```

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
