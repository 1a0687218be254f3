//! [`RequestCache`] and [`NumberCache`]: per-overlay state of message flows with
//! timeouts (py-ipv8's `ipv8/requestcache.py`, spec §13, docs §6.3), sans-IO.
//!
//! A cache is identified by `(prefix, number)`. Adding one schedules its timeout;
//! popping it (when the response arrives) cancels the timeout. If the timeout comes
//! first the cache is removed, its [`NumberCache::on_timeout`] runs with the owner,
//! and the futures registered on it resolve to their timeout values. A response whose
//! cache was already popped or timed out finds nothing ([`CacheError::NotFound`]), which
//! is how the docs' replay attack is ignored.
//!
//! Timeouts are driven like the [`TaskManager`](super::TaskManager): the owner's
//! driver calls [`RequestCache::poll_timeout`] and [`RequestCache::run_due`]. Caches are
//! stored boxed; [`get`](RequestCache::get) and [`pop`](RequestCache::pop) downcast to
//! the concrete type you ask for.
//!
//! Differences from py-ipv8: numbers are `u64`; `add` of a duplicate or after
//! shutdown returns an error (py-ipv8 logs and returns `None`); `clear` also cancels
//! registered futures (py-ipv8 leaves them pending forever); `passthrough` filters by
//! exact type ([`Passthrough::only`]), Rust having no subclasses; `wait_for` (unused
//! inside py-ipv8 itself) is not provided.

use super::promise::{promise, CacheFuture, ManagedFuture, Promise};
use super::time::{Duration, Instant};
use super::timers::{TimerId, TimerQueue};
use rand::Rng;
use slab::Slab;
use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// py-ipv8's default `NumberCache.timeout_delay`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many random numbers [`RequestCache::add_random`] tries (py-ipv8's
/// `RandomNumberCache.find_unclaimed_identifier`).
pub const RANDOM_TRIES: usize = 1000;

/// Random cache numbers are uniform in `0..=RANDOM_MAX` (`int(random() * 2**16)`).
pub const RANDOM_MAX: u64 = 65535;

/// Upcasting helper so boxed caches can be downcast to their concrete type.
/// Implemented for every `'static` type; you never implement it yourself.
pub trait AsAny: Any {
    /// `self` as `&dyn Any`.
    fn as_any(&self) -> &dyn Any;
    /// `self` as `&mut dyn Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The box as `Box<dyn Any>`.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// State of one message flow, identified by `(prefix, number)` (py-ipv8
/// `NumberCache`). `C` is the owner that `on_timeout` gets (e.g. the community).
///
/// `prefix` and `number` are read once, when the cache is added.
pub trait NumberCache<C>: AsAny {
    /// The cache kind, e.g. `"my-cache"` (py-ipv8: the prefix or the class `name`).
    fn prefix(&self) -> &str;
    /// The number within the prefix (the message identifier).
    fn number(&self) -> u64;
    /// How long after being added the cache times out (default 10 s).
    fn timeout_delay(&self) -> Duration {
        DEFAULT_TIMEOUT
    }
    /// Runs when the cache times out, after it was removed from the request cache.
    fn on_timeout(&mut self, owner: &mut C, now: Instant);
}

/// Why a request-cache operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// A cache with this identity is already present (the new one was dropped).
    #[error("a cache {prefix}:{number} already exists")]
    Duplicate {
        /// The prefix.
        prefix: String,
        /// The number.
        number: u64,
    },
    /// No cache with this identity (popped, timed out, or never added).
    #[error("no cache {prefix}:{number}")]
    NotFound {
        /// The prefix.
        prefix: String,
        /// The number.
        number: u64,
    },
    /// The cache exists but is not of the requested type (it was left in place).
    #[error("cache {prefix}:{number} is not a {wanted}")]
    WrongType {
        /// The prefix.
        prefix: String,
        /// The number.
        number: u64,
        /// The requested type's name.
        wanted: &'static str,
    },
    /// The request cache was shut down; the cache was dropped and its futures cancelled.
    #[error("the request cache is shut down")]
    ShutDown,
    /// No unused random number found in [`RANDOM_TRIES`] tries.
    #[error("could not find an unused number for prefix {0}")]
    NoFreeNumber(String),
    /// `add_random`'s constructor built a cache whose prefix/number differ from the
    /// ones it was given.
    #[error("the constructed cache is {got_prefix}:{got_number}, expected {prefix}:{number}")]
    Mismatch {
        /// The expected prefix.
        prefix: String,
        /// The expected number.
        number: u64,
        /// The cache's prefix.
        got_prefix: String,
        /// The cache's number.
        got_number: u64,
    },
}

/// A timeout override for caches added while it is active (py-ipv8 `passthrough()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passthrough {
    timeout: Duration,
    only: Option<Vec<TypeId>>,
}

impl Default for Passthrough {
    fn default() -> Self {
        Self::all()
    }
}

impl Passthrough {
    /// Every added cache times out at the next poll (timeout 0).
    pub fn all() -> Self {
        Passthrough {
            timeout: Duration::ZERO,
            only: None,
        }
    }

    /// Only caches of type `T` are affected (chain [`and`](Self::and) for more).
    pub fn only<T: 'static>() -> Self {
        Passthrough::all().and::<T>()
    }

    /// Also affect caches of type `T`.
    pub fn and<T: 'static>(mut self) -> Self {
        self.only
            .get_or_insert_with(Vec::new)
            .push(TypeId::of::<T>());
        self
    }

    /// Use `timeout` instead of 0.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn applies_to(&self, t: TypeId) -> bool {
        self.only.as_ref().map_or(true, |v| v.contains(&t))
    }
}

struct Entry<C> {
    prefix: Rc<str>,
    number: u64,
    cache: Box<dyn NumberCache<C>>,
    timer: TimerId,
    futures: Vec<Box<dyn ManagedFuture>>,
}

/// The caches of one owner `C`. See the module docs.
pub struct RequestCache<C> {
    entries: Slab<Entry<C>>,
    index: BTreeMap<Rc<str>, BTreeMap<u64, usize>>,
    timers: TimerQueue<usize>,
    passthrough: Option<Passthrough>,
    shut_down: bool,
}

impl<C: 'static> Default for RequestCache<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> fmt::Debug for RequestCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestCache")
            .field("len", &self.entries.len())
            .field("next_deadline", &self.timers.peek_deadline())
            .field("passthrough", &self.passthrough)
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

impl<C: 'static> RequestCache<C> {
    /// An empty request cache.
    pub fn new() -> Self {
        RequestCache {
            entries: Slab::new(),
            index: BTreeMap::new(),
            timers: TimerQueue::new(),
            passthrough: None,
            shut_down: false,
        }
    }

    /// Adds `cache` at time `now`, scheduling its timeout; returns it back, in place.
    pub fn add<T: NumberCache<C>>(&mut self, now: Instant, cache: T) -> Result<&mut T, CacheError> {
        if self.shut_down {
            return Err(CacheError::ShutDown);
        }
        let number = cache.number();
        if self.has(cache.prefix(), number) {
            return Err(CacheError::Duplicate {
                prefix: cache.prefix().to_owned(),
                number,
            });
        }
        let prefix: Rc<str> = match self.index.get_key_value(cache.prefix()) {
            Some((k, _)) => Rc::clone(k),
            None => Rc::from(cache.prefix()),
        };
        let delay = match &self.passthrough {
            Some(p) if p.applies_to(TypeId::of::<T>()) => p.timeout,
            _ => cache.timeout_delay(),
        };
        let slot = self.entries.vacant_entry();
        let key = slot.key();
        let timer = self.timers.insert(now + delay, key);
        let entry = slot.insert(Entry {
            prefix: Rc::clone(&prefix),
            number,
            cache: Box::new(cache),
            timer,
            futures: Vec::new(),
        });
        self.index.entry(prefix).or_default().insert(number, key);
        Ok(downcast_mut::<C, T>(&mut *entry.cache).expect("just inserted a T"))
    }

    /// Adds a cache with a fresh random number (py-ipv8 `RandomNumberCache`): draws
    /// numbers uniformly from `0..=65535` with `rng` until one is unused for `prefix`
    /// (at most [`RANDOM_TRIES`] tries), then adds `make(number)`, which must have that
    /// prefix and number.
    pub fn add_random<T, R, F>(
        &mut self,
        now: Instant,
        prefix: &str,
        rng: &mut R,
        make: F,
    ) -> Result<&mut T, CacheError>
    where
        T: NumberCache<C>,
        R: Rng + ?Sized,
        F: FnOnce(u64) -> T,
    {
        if self.shut_down {
            return Err(CacheError::ShutDown);
        }
        let number = self.find_unclaimed_number(prefix, rng)?;
        let cache = make(number);
        if cache.prefix() != prefix || cache.number() != number {
            return Err(CacheError::Mismatch {
                prefix: prefix.to_owned(),
                number,
                got_prefix: cache.prefix().to_owned(),
                got_number: cache.number(),
            });
        }
        self.add(now, cache)
    }

    /// A uniformly random number in `0..=65535` not in use for `prefix`.
    pub fn find_unclaimed_number<R: Rng + ?Sized>(
        &self,
        prefix: &str,
        rng: &mut R,
    ) -> Result<u64, CacheError> {
        for _ in 0..RANDOM_TRIES {
            let n = rng.gen_range(0..=RANDOM_MAX);
            if !self.has(prefix, n) {
                return Ok(n);
            }
        }
        Err(CacheError::NoFreeNumber(prefix.to_owned()))
    }

    /// Whether a cache `(prefix, number)` is present.
    pub fn has(&self, prefix: &str, number: u64) -> bool {
        self.slot_of(prefix, number).is_some()
    }

    /// The cache `(prefix, number)` as a `T`; `None` if absent or of another type.
    pub fn get<T: NumberCache<C>>(&mut self, prefix: &str, number: u64) -> Option<&mut T> {
        downcast_mut::<C, T>(self.get_dyn(prefix, number)?)
    }

    /// The cache `(prefix, number)`, whatever its type.
    pub fn get_dyn(&mut self, prefix: &str, number: u64) -> Option<&mut dyn NumberCache<C>> {
        let slot = self.slot_of(prefix, number)?;
        Some(&mut *self.entries.get_mut(slot)?.cache)
    }

    /// Removes the cache `(prefix, number)` and cancels its timeout (the response
    /// arrived). Missing is an error (py-ipv8 raises `KeyError`); so is another type
    /// than `T`, in which case the cache stays. Futures registered on it are
    /// dropped: they stay pending only through a [`Promise`] clone you kept (resolve
    /// it); otherwise they are cancelled.
    pub fn pop<T: NumberCache<C>>(
        &mut self,
        prefix: &str,
        number: u64,
    ) -> Result<Box<T>, CacheError> {
        let slot = self
            .slot_of(prefix, number)
            .ok_or_else(|| CacheError::NotFound {
                prefix: prefix.to_owned(),
                number,
            })?;
        let is_t = self
            .entries
            .get(slot)
            .is_some_and(|e| (*e.cache).as_any().is::<T>());
        if !is_t {
            return Err(CacheError::WrongType {
                prefix: prefix.to_owned(),
                number,
                wanted: std::any::type_name::<T>(),
            });
        }
        let entry = self
            .remove_entry(slot)
            .ok_or_else(|| CacheError::NotFound {
                prefix: prefix.to_owned(),
                number,
            })?;
        entry
            .cache
            .into_any()
            .downcast::<T>()
            .map_err(|_| CacheError::WrongType {
                prefix: prefix.to_owned(),
                number,
                wanted: std::any::type_name::<T>(),
            })
    }

    /// Removes the cache `(prefix, number)` whatever its type.
    pub fn pop_dyn(
        &mut self,
        prefix: &str,
        number: u64,
    ) -> Result<Box<dyn NumberCache<C>>, CacheError> {
        self.slot_of(prefix, number)
            .and_then(|slot| self.remove_entry(slot))
            .map(|e| e.cache)
            .ok_or_else(|| CacheError::NotFound {
                prefix: prefix.to_owned(),
                number,
            })
    }

    /// Ties `promise` to the cache `(prefix, number)` (py-ipv8
    /// `NumberCache.register_future`): if the cache times out the future gets the
    /// promise's timeout value; on [`shutdown`](Self::shutdown) or
    /// [`clear`](Self::clear) it is cancelled.
    pub fn register_future<V: 'static>(
        &mut self,
        prefix: &str,
        number: u64,
        promise: &Promise<V>,
    ) -> Result<(), CacheError> {
        let slot = self.slot_of(prefix, number);
        match slot.and_then(|s| self.entries.get_mut(s)) {
            Some(e) => {
                e.futures.push(Box::new(promise.clone()));
                Ok(())
            }
            None => Err(CacheError::NotFound {
                prefix: prefix.to_owned(),
                number,
            }),
        }
    }

    /// A new future registered on the cache `(prefix, number)` with the given timeout
    /// value; keep the [`Promise`] (e.g. in the cache) to resolve it with a result.
    pub fn new_future<V: 'static>(
        &mut self,
        prefix: &str,
        number: u64,
        on_timeout: V,
    ) -> Result<(Promise<V>, CacheFuture<V>), CacheError> {
        if !self.has(prefix, number) {
            return Err(CacheError::NotFound {
                prefix: prefix.to_owned(),
                number,
            });
        }
        let (p, f) = promise(on_timeout);
        self.register_future(prefix, number, &p)?;
        Ok((p, f))
    }

    /// From now on, caches added get the override's timeout (py-ipv8
    /// `with passthrough(...)`); end it with [`end_passthrough`](Self::end_passthrough),
    /// or use [`with_passthrough`](Self::with_passthrough) for a scope.
    pub fn start_passthrough(&mut self, p: Passthrough) {
        self.passthrough = Some(p);
    }

    /// Ends the timeout override (caches already added keep their timeouts).
    pub fn end_passthrough(&mut self) {
        self.passthrough = None;
    }

    /// Runs `f` with the owner while `p` is active, then ends it.
    pub fn with_passthrough<R>(
        owner: &mut C,
        get: fn(&mut C) -> &mut RequestCache<C>,
        p: Passthrough,
        f: impl FnOnce(&mut C) -> R,
    ) -> R {
        get(owner).start_passthrough(p);
        let r = f(owner);
        get(owner).end_passthrough();
        r
    }

    /// Number of caches present.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no cache is present.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    /// The earliest cache timeout: call [`run_due`](Self::run_due) once the clock
    /// reaches it. Call again after every input (an `add` can make it earlier).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek_deadline()
    }

    /// Times out every cache due at `now`, in `(deadline, add order)`: removes it, runs
    /// its `on_timeout` with the owner (the request cache is reachable through the
    /// owner meanwhile), then resolves its futures with their timeout values. Returns
    /// how many caches timed out.
    pub fn run_due(owner: &mut C, now: Instant, get: fn(&mut C) -> &mut RequestCache<C>) -> usize {
        let mut n = 0;
        loop {
            let rc = get(owner);
            let Some((_, slot)) = rc.timers.pop_due(now) else {
                break;
            };
            let Some(mut entry) = rc.remove_entry(slot) else {
                continue;
            };
            entry.cache.on_timeout(owner, now);
            for f in &entry.futures {
                f.time_out();
            }
            n += 1;
        }
        n
    }

    /// [`run_due`](Self::run_due) for a request cache that does not live inside its
    /// owner (so `on_timeout` cannot reach it).
    pub fn run_due_detached(&mut self, owner: &mut C, now: Instant) -> usize {
        let mut n = 0;
        while let Some((_, slot)) = self.timers.pop_due(now) {
            let Some(mut entry) = self.remove_entry(slot) else {
                continue;
            };
            entry.cache.on_timeout(owner, now);
            for f in &entry.futures {
                f.time_out();
            }
            n += 1;
        }
        n
    }

    /// Removes every cache without calling `on_timeout`, cancelling their timeouts
    /// and futures. Adding stays possible.
    pub fn clear(&mut self) {
        self.timers.clear();
        self.index.clear();
        for e in self.entries.drain() {
            for f in &e.futures {
                f.cancel();
            }
        }
    }

    /// [`clear`](Self::clear) and refuse later adds (py-ipv8 `shutdown`: does **not**
    /// call `on_timeout`).
    pub fn shutdown(&mut self) {
        self.shut_down = true;
        self.passthrough = None;
        self.clear();
    }

    fn slot_of(&self, prefix: &str, number: u64) -> Option<usize> {
        self.index.get(prefix)?.get(&number).copied()
    }

    fn remove_entry(&mut self, slot: usize) -> Option<Entry<C>> {
        let entry = self.entries.try_remove(slot)?;
        let _ = self.timers.cancel(entry.timer);
        if let Some(numbers) = self.index.get_mut(&*entry.prefix) {
            numbers.remove(&entry.number);
            if numbers.is_empty() {
                self.index.remove(&*entry.prefix);
            }
        }
        Some(entry)
    }
}

/// Downcasts through the trait object (not through the `Box`, whose own `AsAny`
/// impl would see the box's type).
fn downcast_mut<C: 'static, T: NumberCache<C>>(cache: &mut dyn NumberCache<C>) -> Option<&mut T> {
    cache.as_any_mut().downcast_mut::<T>()
}
