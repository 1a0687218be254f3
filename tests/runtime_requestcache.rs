//! The py-ipv8 docs' RequestCache examples (docs §6.3, §6.4.7, §6.5 "Futures and
//! caches"), driven in virtual time, plus the error cases of spec §13.

use futures::FutureExt;
use ipv8sim::runtime::timers::TimerQueue;
use ipv8sim::runtime::{
    promise, CacheError, CacheFuture, Cancelled, Duration, Instant, NumberCache, Passthrough,
    Promise, RequestCache,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------
// Count to 10 (docs §6.3.3 "The easier way"), with the replay attack.
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Request { value: u32, identifier: u64 },
    Response { value: u32, identifier: u64 },
}

/// `MyCache(RandomNumberCache)` with `name = "my-cache"`.
struct MyCache {
    number: u64,
    value: u32,
}

impl NumberCache<Community> for MyCache {
    fn prefix(&self) -> &str {
        "my-cache"
    }
    fn number(&self) -> u64 {
        self.number
    }
    fn on_timeout(&mut self, owner: &mut Community, _now: Instant) {
        owner.timeouts += 1;
    }
}

/// A minimal stand-in for the docs' `MyCommunity`: a request cache, a seeded RNG, and
/// an outbox instead of `ez_send`.
struct Community {
    request_cache: RequestCache<Community>,
    rng: ChaCha8Rng,
    outbox: Vec<Msg>,
    /// `(cache.value, payload.value)` of every response that found its cache.
    responded: Vec<(u32, u32)>,
    /// Responses dropped because their cache was gone (`@retrieve_cache`).
    ignored: usize,
    timeouts: usize,
    done: bool,
}

fn rc(c: &mut Community) -> &mut RequestCache<Community> {
    &mut c.request_cache
}

impl Community {
    fn new(seed: u64) -> Self {
        Community {
            request_cache: RequestCache::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            outbox: Vec::new(),
            responded: Vec::new(),
            ignored: 0,
            timeouts: 0,
            done: false,
        }
    }

    /// `send()`: create and register a cache, then send a request with its number.
    fn started(&mut self, now: Instant) {
        let cache = self
            .request_cache
            .add_random(now, "my-cache", &mut self.rng, |number| MyCache {
                number,
                value: 0,
            })
            .unwrap();
        let msg = Msg::Request {
            value: cache.value,
            identifier: cache.number,
        };
        self.outbox.push(msg);
    }

    fn on_packet(&mut self, now: Instant, msg: Msg) {
        match msg {
            // "Our service is to increment the value of the request."
            Msg::Request { value, identifier } => self.outbox.push(Msg::Response {
                value: value + 1,
                identifier,
            }),
            Msg::Response { value, identifier } => self.on_response(now, value, identifier),
        }
    }

    /// `@retrieve_cache(MyCache) def on_response(...)`.
    fn on_response(&mut self, now: Instant, value: u32, identifier: u64) {
        let Ok(cache) = self.request_cache.pop::<MyCache>("my-cache", identifier) else {
            self.ignored += 1;
            return;
        };
        self.responded.push((cache.value, value));
        if value == 10 {
            self.done = true;
            return;
        }
        let cache = self
            .request_cache
            .add_random(now, "my-cache", &mut self.rng, |number| MyCache {
                number,
                value,
            })
            .unwrap();
        let request = Msg::Request {
            value,
            identifier: cache.number,
        };
        self.outbox.push(request);
        // "To spice things up, we'll perform a replay attack."
        self.outbox.push(request);
    }
}

/// Two communities linked by a 5 ms one-way link; returns the end time.
fn run_two(peers: &mut [Community; 2]) -> Instant {
    let latency = Duration::from_millis(5);
    let mut wire: TimerQueue<(usize, Msg)> = TimerQueue::new();
    let mut now = Instant::ZERO;
    let flush = |peers: &mut [Community; 2], wire: &mut TimerQueue<(usize, Msg)>, now| {
        for (i, p) in peers.iter_mut().enumerate() {
            for m in p.outbox.drain(..) {
                wire.insert(now + latency, (1 - i, m));
            }
        }
    };
    for p in peers.iter_mut() {
        p.started(now);
    }
    flush(peers, &mut wire, now);
    loop {
        let next = [
            wire.peek_deadline(),
            peers[0].request_cache.poll_timeout(),
            peers[1].request_cache.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(t) = next else { break };
        now = t;
        while let Some((_, (to, msg))) = wire.pop_due(now) {
            peers[to].on_packet(now, msg);
        }
        for p in peers.iter_mut() {
            RequestCache::run_due(p, now, rc);
        }
        flush(peers, &mut wire, now);
    }
    now
}

#[test]
fn count_to_ten_ignores_the_replay_attack() {
    let mut peers = [Community::new(1), Community::new(2)];
    let end = run_two(&mut peers);
    for p in &peers {
        assert!(p.done);
        // Exactly one accepted response per value 1..=10, each answering the cache
        // holding the previous value: the replayed requests changed nothing.
        let want: Vec<(u32, u32)> = (0..10).map(|v| (v, v + 1)).collect();
        assert_eq!(p.responded, want);
        // Values 1..=9 were each requested twice; the 9 second responses found no cache.
        assert_eq!(p.ignored, 9);
        assert_eq!(p.timeouts, 0, "every cache was popped before its timeout");
        assert!(p.request_cache.is_empty());
        assert_eq!(p.request_cache.poll_timeout(), None);
    }
    // 10 round trips of 10 ms each, no timeout ran.
    assert_eq!(end, Instant::from_millis(100));
}

#[test]
fn count_to_ten_is_deterministic() {
    let mut a = [Community::new(7), Community::new(8)];
    let mut b = [Community::new(7), Community::new(8)];
    run_two(&mut a);
    run_two(&mut b);
    assert_eq!(a[0].responded, b[0].responded);
    // Same seeds give the same random cache numbers.
    let mut r1 = ChaCha8Rng::seed_from_u64(7);
    let mut r2 = ChaCha8Rng::seed_from_u64(7);
    let c: RequestCache<Community> = RequestCache::new();
    for _ in 0..100 {
        assert_eq!(
            c.find_unclaimed_number("p", &mut r1).unwrap(),
            c.find_unclaimed_number("p", &mut r2).unwrap()
        );
    }
}

// ---------------------------------------------------------------------------------
// Timeouts (docs §6.3.2) and passthrough (docs §6.4.7).
// ---------------------------------------------------------------------------------

/// The docs' unit-test community: a cache that sets `timed_out`.
#[derive(Default)]
struct Overlay {
    request_cache: RequestCache<Overlay>,
    timed_out: Vec<(&'static str, u64, Instant)>,
}

fn orc(o: &mut Overlay) -> &mut RequestCache<Overlay> {
    &mut o.request_cache
}

#[derive(Debug)]
struct Flagging {
    prefix: &'static str,
    number: u64,
    delay: Duration,
}

impl NumberCache<Overlay> for Flagging {
    fn prefix(&self) -> &str {
        self.prefix
    }
    fn number(&self) -> u64 {
        self.number
    }
    fn timeout_delay(&self) -> Duration {
        self.delay
    }
    fn on_timeout(&mut self, owner: &mut Overlay, now: Instant) {
        owner.timed_out.push((self.prefix, self.number, now));
    }
}

/// A second cache kind, for passthrough filters (default 10 s timeout).
struct Other(u64);

impl NumberCache<Overlay> for Other {
    fn prefix(&self) -> &str {
        "other"
    }
    fn number(&self) -> u64 {
        self.0
    }
    fn on_timeout(&mut self, owner: &mut Overlay, now: Instant) {
        owner.timed_out.push(("other", self.0, now));
    }
}

fn flagging(number: u64, secs: u64) -> Flagging {
    Flagging {
        prefix: "my-state",
        number,
        delay: Duration::from_secs(secs),
    }
}

fn drive(o: &mut Overlay, mut now: Instant) -> Instant {
    while let Some(t) = o.request_cache.poll_timeout() {
        now = t;
        RequestCache::run_due(o, now, orc);
    }
    now
}

#[test]
fn timeout_runs_on_timeout_with_owner_and_removes_cache() {
    let mut o = Overlay::default();
    let t0 = Instant::from_secs(100);
    o.request_cache.add(t0, flagging(0, 3)).unwrap();
    o.request_cache.add(t0, Other(0)).unwrap();
    assert_eq!(
        o.request_cache.poll_timeout(),
        Some(Instant::from_secs(103))
    );
    drive(&mut o, t0);
    assert_eq!(
        o.timed_out,
        vec![
            ("my-state", 0, Instant::from_secs(103)),
            ("other", 0, Instant::from_secs(110)), // the default 10 s
        ]
    );
    assert!(!o.request_cache.has("my-state", 0));
    assert_eq!(
        o.request_cache.pop::<Flagging>("my-state", 0).unwrap_err(),
        CacheError::NotFound {
            prefix: "my-state".into(),
            number: 0
        }
    );
}

#[test]
fn passthrough_times_out_at_the_next_poll() {
    let mut o = Overlay::default();
    let t0 = Instant::from_secs(5);
    RequestCache::with_passthrough(&mut o, orc, Passthrough::all(), |o| {
        o.request_cache.add(t0, flagging(0, 10)).unwrap();
    });
    // Outside the scope, the normal timeout applies again.
    o.request_cache.add(t0, flagging(1, 10)).unwrap();
    assert_eq!(o.request_cache.poll_timeout(), Some(t0));
    assert_eq!(RequestCache::run_due(&mut o, t0, orc), 1);
    assert_eq!(o.timed_out, vec![("my-state", 0, t0)]);
    assert_eq!(o.request_cache.poll_timeout(), Some(Instant::from_secs(15)));
}

#[test]
fn passthrough_filter_and_timeout() {
    let mut o = Overlay::default();
    let t0 = Instant::ZERO;
    o.request_cache
        .start_passthrough(Passthrough::only::<Other>().timeout(Duration::from_millis(100)));
    o.request_cache.add(t0, flagging(0, 3)).unwrap();
    o.request_cache.add(t0, Other(0)).unwrap();
    o.request_cache.end_passthrough();
    o.request_cache.add(t0, Other(1)).unwrap();
    drive(&mut o, t0);
    assert_eq!(
        o.timed_out,
        vec![
            ("other", 0, Instant::from_millis(100)),
            ("my-state", 0, Instant::from_secs(3)),
            ("other", 1, Instant::from_secs(10)),
        ]
    );
}

#[test]
fn shutdown_does_not_call_on_timeout_and_refuses_adds() {
    let mut o = Overlay::default();
    let t0 = Instant::ZERO;
    for n in 0..5 {
        o.request_cache.add(t0, flagging(n, 1)).unwrap();
    }
    o.request_cache.shutdown();
    assert!(o.request_cache.is_empty());
    assert_eq!(o.request_cache.poll_timeout(), None);
    assert_eq!(drive(&mut o, t0), t0);
    assert!(o.timed_out.is_empty(), "shutdown must not call on_timeout");
    assert_eq!(
        o.request_cache.add(t0, flagging(9, 1)).err(),
        Some(CacheError::ShutDown)
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert_eq!(
        o.request_cache
            .add_random(t0, "my-state", &mut rng, |n| flagging(n, 1))
            .err(),
        Some(CacheError::ShutDown)
    );
    assert!(o.request_cache.is_empty());
}

#[test]
fn duplicate_add_is_refused_and_keeps_the_original() {
    let mut o = Overlay::default();
    let t0 = Instant::ZERO;
    o.request_cache.add(t0, flagging(1, 3)).unwrap();
    let err = o.request_cache.add(t0, flagging(1, 7)).unwrap_err();
    assert_eq!(
        err,
        CacheError::Duplicate {
            prefix: "my-state".into(),
            number: 1
        }
    );
    assert_eq!(o.request_cache.len(), 1);
    assert_eq!(
        o.request_cache
            .get::<Flagging>("my-state", 1)
            .unwrap()
            .delay,
        Duration::from_secs(3)
    );
    // Same number, other prefix: a different identity.
    o.request_cache.add(t0, Other(1)).unwrap();
    drive(&mut o, t0);
    assert_eq!(
        o.timed_out.len(),
        2,
        "the refused duplicate never times out"
    );
}

#[test]
fn pop_missing_or_wrong_type_is_an_error_and_pop_cancels_timeout() {
    let mut o = Overlay::default();
    let t0 = Instant::ZERO;
    assert!(matches!(
        o.request_cache.pop::<Flagging>("my-state", 42),
        Err(CacheError::NotFound { number: 42, .. })
    ));
    o.request_cache.add(t0, Other(3)).unwrap();
    // Asking for the wrong type errs and leaves the cache in place.
    assert!(matches!(
        o.request_cache.pop::<Flagging>("other", 3),
        Err(CacheError::WrongType { .. })
    ));
    assert!(o.request_cache.get::<Flagging>("other", 3).is_none());
    assert!(o.request_cache.get::<Other>("other", 3).is_some());
    let popped = o.request_cache.pop::<Other>("other", 3).unwrap();
    assert_eq!(popped.0, 3);
    assert_eq!(
        o.request_cache.poll_timeout(),
        None,
        "pop cancels the timeout"
    );
    drive(&mut o, t0);
    assert!(o.timed_out.is_empty());
    // Popping again is an error (the replay case).
    assert!(o.request_cache.pop::<Other>("other", 3).is_err());
    assert!(o.request_cache.pop_dyn("other", 3).is_err());
}

/// `on_timeout` can reach the request cache through the owner, e.g. to retry.
struct Retry {
    number: u64,
    attempt: u32,
}

impl NumberCache<Overlay> for Retry {
    fn prefix(&self) -> &str {
        "retry"
    }
    fn number(&self) -> u64 {
        self.number
    }
    fn timeout_delay(&self) -> Duration {
        Duration::from_secs(2)
    }
    fn on_timeout(&mut self, owner: &mut Overlay, now: Instant) {
        owner
            .timed_out
            .push(("retry", u64::from(self.attempt), now));
        if self.attempt < 3 {
            // The same identity is free again: the timed-out cache was removed first.
            let next = Retry {
                number: self.number,
                attempt: self.attempt + 1,
            };
            owner.request_cache.add(now, next).unwrap();
        }
    }
}

#[test]
fn on_timeout_may_add_caches() {
    let mut o = Overlay::default();
    o.request_cache
        .add(
            Instant::ZERO,
            Retry {
                number: 5,
                attempt: 1,
            },
        )
        .unwrap();
    let end = drive(&mut o, Instant::ZERO);
    assert_eq!(end, Instant::from_secs(6));
    let attempts: Vec<u64> = o.timed_out.iter().map(|e| e.1).collect();
    assert_eq!(attempts, vec![1, 2, 3]);
}

// ---------------------------------------------------------------------------------
// Random numbers (RandomNumberCache).
// ---------------------------------------------------------------------------------

#[test]
fn random_numbers_are_unique_per_prefix_and_in_range() {
    let mut o = Overlay::default();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut seen = BTreeSet::new();
    for _ in 0..2000 {
        let c = o
            .request_cache
            .add_random(Instant::ZERO, "my-state", &mut rng, |n| flagging(n, 1))
            .unwrap();
        assert!(c.number <= 65535);
        assert!(seen.insert(c.number), "number {} reused", c.number);
    }
    assert_eq!(o.request_cache.len(), 2000);
    // A constructor that ignores the drawn number is caught.
    let err = o
        .request_cache
        .add_random(Instant::ZERO, "my-state", &mut rng, |_| flagging(70_000, 1))
        .unwrap_err();
    assert!(matches!(
        err,
        CacheError::Mismatch {
            got_number: 70_000,
            ..
        }
    ));
}

#[test]
fn random_numbers_exhausted_is_an_error() {
    let mut o = Overlay::default();
    for n in 0..=65535 {
        o.request_cache.add(Instant::ZERO, flagging(n, 1)).unwrap();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    assert_eq!(
        o.request_cache
            .add_random(Instant::ZERO, "my-state", &mut rng, |n| flagging(n, 1))
            .err(),
        Some(CacheError::NoFreeNumber("my-state".into()))
    );
    // Another prefix still has room.
    assert!(o
        .request_cache
        .add_random(Instant::ZERO, "other", &mut rng, Other)
        .is_ok());
}

// ---------------------------------------------------------------------------------
// Futures and caches (docs §6.5): result, timeout, cancelled.
// ---------------------------------------------------------------------------------

/// `MyCache` of the docs: registers a future with `on_timeout=False`, 1 s timeout.
struct FutCache {
    number: u64,
    awaitable: Promise<bool>,
}

impl NumberCache<()> for FutCache {
    fn prefix(&self) -> &str {
        "my cache"
    }
    fn number(&self) -> u64 {
        self.number
    }
    fn timeout_delay(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn on_timeout(&mut self, _owner: &mut (), _now: Instant) {}
}

impl FutCache {
    fn finish(&self) {
        self.awaitable.resolve(true);
    }
}

/// `rq.add(MyCache(rq, number))`: the cache keeps one promise handle, the request
/// cache gets another (`register_future(self.awaitable, on_timeout=False)`).
fn add_fut_cache(rq: &mut RequestCache<()>, now: Instant, number: u64) -> CacheFuture<bool> {
    let (p, f) = promise(false);
    let awaitable = p.clone();
    rq.add(now, FutCache { number, awaitable }).unwrap();
    rq.register_future("my cache", number, &p).unwrap();
    f
}

/// Prints "future0.result()=True / future1.result()=False / future2.cancelled()=True"
/// in the docs. The owner is `()` here (the caches ignore it), so the request cache is
/// driven with `run_due_detached`.
#[test]
fn docs_future_three_states() {
    let mut rq: RequestCache<()> = RequestCache::new();
    let now = Instant::ZERO;

    let mut future0 = add_fut_cache(&mut rq, now, 0);
    rq.start_passthrough(Passthrough::all());
    let mut future1 = add_fut_cache(&mut rq, now, 1); // overwritten timeout = 0
    rq.end_passthrough();
    let mut future2 = add_fut_cache(&mut rq, now, 2);
    // An extra handle to future2's promise: shutdown must cancel it regardless.
    let keep2 = rq.get::<FutCache>("my cache", 2).unwrap().awaitable.clone();

    // Result.
    rq.get::<FutCache>("my cache", 0).unwrap().finish();
    assert_eq!(future0.try_take(), Some(Ok(true)), "future0.result()=True");
    rq.pop::<FutCache>("my cache", 0).unwrap();

    // Timeout: pending until the loop runs; then it gets its timeout value.
    assert_eq!(future1.try_take(), None);
    assert_eq!(rq.poll_timeout(), Some(now));
    assert_eq!(rq.run_due_detached(&mut (), now), 1);
    assert_eq!(
        future1.now_or_never(),
        Some(Ok(false)),
        "future1.result()=False"
    );

    // Cancelled.
    assert_eq!(future2.try_take(), None);
    rq.shutdown();
    assert!(keep2.is_done());
    assert!(!keep2.resolve(true));
    assert_eq!(
        futures::executor::block_on(future2),
        Err(Cancelled),
        "future2.cancelled()=True"
    );
}

/// A future on a popped cache stays pending only while someone holds its promise; if
/// the popper drops it unresolved, the awaiter sees `Cancelled` instead of hanging.
#[test]
fn future_of_popped_cache() {
    let mut rq: RequestCache<()> = RequestCache::new();
    let now = Instant::ZERO;
    let mut f = add_fut_cache(&mut rq, now, 7);
    let cache = rq.pop::<FutCache>("my cache", 7).unwrap();
    assert_eq!(
        f.try_take(),
        None,
        "the popped cache still holds the promise"
    );
    cache.finish();
    assert_eq!(f.try_take(), Some(Ok(true)));

    let mut g = add_fut_cache(&mut rq, now, 8);
    drop(rq.pop::<FutCache>("my cache", 8).unwrap());
    assert_eq!(g.try_take(), Some(Err(Cancelled)));

    // new_future: a future on a cache that holds no promise itself.
    let mut h = add_fut_cache(&mut rq, now, 9);
    let (p, mut h2) = rq.new_future("my cache", 9, "timed out").unwrap();
    assert!(rq.new_future("my cache", 10, 0u8).is_err(), "no such cache");
    rq.run_due_detached(&mut (), Instant::from_secs(1));
    assert_eq!(h.try_take(), Some(Ok(false)));
    assert_eq!(h2.try_take(), Some(Ok("timed out")));
    assert!(!p.resolve("late"));
}
