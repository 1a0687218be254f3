//! [`KeyCache`]: the signature service every node of a simulation shares — parsed
//! public keys by key bin, every sign and verify counted per key kind, and three
//! switchable ways to make simulations cheaper without changing what they compute
//! ([`CryptoOptions`], scenario keys `crypto`, `verify_skip`, `verify_threads`):
//!
//! - [`CryptoMode::Fast`]: signatures are a cheap keyed hash of (public key bin,
//!   message), expanded to the real signature length of the key kind, and verified by
//!   recomputing. Same packet sizes, same peer ids (keys stay real), same
//!   accept/reject for honest peers; **no security**: anyone can forge one.
//! - verify skip (real mode): a signature this service made is remembered with its
//!   key and message; verifying exactly that (key, message, signature) again returns
//!   `true` without Ed25519/ECDSA (it cannot fail). Anything else is really verified.
//! - verify pool (real mode): at sign time the (key, message, signature) is queued to
//!   `verify_threads` worker threads; the verify that later asks for exactly that
//!   triple takes the worker's result. A signature check is a pure function of those
//!   bytes, so which thread computes it cannot change the answer.
//!
//! Live nodes use [`KeyCache::new`]: real mode, no skip, no pool.
//!
//! For a run's crypto floor the scenario runner can also have the service time its own
//! sign and verify calls on the wall clock ([`KeyCache::time_calls`]). Those readings
//! go only into [`KeyCache::call_time_s`], a figure for `summary.json`; nothing the
//! simulation sees depends on them.

use crate::crypto::{KeyKind, PrivateKey, PublicKey};
use crate::discovery::KeyBin;
use crate::runtime::{Clock, RealClock};
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// How signatures are made and checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CryptoMode {
    /// Real Ed25519 / ECDSA, as py-ipv8.
    #[default]
    Real,
    /// A deterministic non-cryptographic stand-in of the same length (simulations only).
    Fast,
}

impl CryptoMode {
    /// Parses the scenario name (`real`, `fast`).
    pub fn from_name(name: &str) -> Option<CryptoMode> {
        match name {
            "real" => Some(CryptoMode::Real),
            "fast" => Some(CryptoMode::Fast),
            _ => None,
        }
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        match self {
            CryptoMode::Real => "real",
            CryptoMode::Fast => "fast",
        }
    }
}

/// The service's configuration (default: real crypto, every verify inline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CryptoOptions {
    /// Real or fast signatures.
    pub mode: CryptoMode,
    /// Real mode: verifying a signature this service made over the same key and
    /// message returns `true` without the curve arithmetic.
    pub verify_skip: bool,
    /// Real mode: worker threads that verify signatures ahead of time (0 = none).
    pub verify_threads: usize,
    /// Real mode: sign with [`PrivateKey::sign_vartime`] (same bytes, faster, but its
    /// timing depends on the nonce). For simulated keys only; off by default.
    pub vartime_sign: bool,
}

/// Signatures made and verified, per key kind (index = position in [`KeyKind::ALL`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CryptoCounts {
    /// Signatures made.
    pub signs: [u64; 5],
    /// Signatures verified (attempted; skipped ones included).
    pub verifies: [u64; 5],
    /// Verifies answered from the verify-skip table (no curve arithmetic).
    pub verifies_skipped: [u64; 5],
}

fn bump(counts: &mut [u64; 5], kind: KeyKind) {
    if let Some(c) = counts.get_mut(CryptoCounts::index(kind)) {
        *c += 1;
    }
}

impl CryptoCounts {
    fn index(kind: KeyKind) -> usize {
        KeyKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
    }

    /// Signatures made with keys of `kind`.
    pub fn signs_of(&self, kind: KeyKind) -> u64 {
        self.signs.get(Self::index(kind)).copied().unwrap_or(0)
    }

    /// Signatures of keys of `kind` verified (attempts, skipped ones included).
    pub fn verifies_of(&self, kind: KeyKind) -> u64 {
        self.verifies.get(Self::index(kind)).copied().unwrap_or(0)
    }

    /// Verifies of `kind` answered by the verify-skip table.
    pub fn skipped_of(&self, kind: KeyKind) -> u64 {
        self.verifies_skipped
            .get(Self::index(kind))
            .copied()
            .unwrap_or(0)
    }

    /// Verifies of `kind` that ran the curve arithmetic (on any thread).
    pub fn performed_of(&self, kind: KeyKind) -> u64 {
        self.verifies_of(kind).saturating_sub(self.skipped_of(kind))
    }

    /// The kinds with any signature made or verified, in [`KeyKind::ALL`] order.
    pub fn kinds_used(&self) -> Vec<KeyKind> {
        KeyKind::ALL
            .into_iter()
            .filter(|k| self.signs_of(*k) + self.verifies_of(*k) > 0)
            .collect()
    }
}

/// What the verify pool did (depends on thread timing: not reproducible).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PoolStats {
    /// Worker threads.
    pub threads: usize,
    /// Jobs queued at sign time.
    pub submitted: u64,
    /// Signs not queued because the queue or the pending table was full.
    pub not_queued: u64,
    /// Jobs the workers verified.
    pub run_by_workers: u64,
    /// Verifies answered with a worker's result.
    pub results_used: u64,
    /// Of those, how many had to wait for the worker to finish.
    pub waited: u64,
    /// Verifies of a queued triple that the main thread did itself (worker not there yet).
    pub taken_inline: u64,
}

/// Signatures whose verification is remembered, per generation of the bounded tables
/// (two generations: at most twice this many entries; the older one is dropped
/// whole, which costs speed, never results).
pub const SKIP_GENERATION: usize = 1 << 18;
/// Pending pool jobs per generation (at most twice this many).
pub const POOL_GENERATION: usize = 50_000;
/// Queued pool jobs per worker thread.
pub const POOL_QUEUE_PER_THREAD: usize = 512;

/// A map from signature bytes that forgets its oldest half when full.
struct Recent<V> {
    young: FxHashMap<Vec<u8>, V>,
    old: FxHashMap<Vec<u8>, V>,
    generation: usize,
}

impl<V> Recent<V> {
    fn new(generation: usize) -> Self {
        Recent {
            young: FxHashMap::default(),
            old: FxHashMap::default(),
            generation: generation.max(1),
        }
    }

    fn insert(&mut self, sig: Vec<u8>, v: V) {
        if self.young.len() >= self.generation {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(sig, v);
    }

    fn take(&mut self, sig: &[u8]) -> Option<V> {
        self.young.remove(sig).or_else(|| self.old.remove(sig))
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
    }
}

// ---------------------------------------------------------------- fast signatures

const FAST_K: u64 = 0x9E37_79B9_7F4A_7C15;
const FAST_DOMAIN: u64 = 0x6970_7638_7369_6d21; // "ipv8sim!"

/// Absorbs `data` into `h`: per 8-byte word `h = rotl((h ^ w) · K, 29)`, a bijection in
/// both `h` and `w`, so changing any one word (any bit flip) changes the state.
fn absorb(mut h: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.iter_mut().zip(c).for_each(|(d, s)| *d = *s);
        h = (h ^ u64::from_le_bytes(w))
            .wrapping_mul(FAST_K)
            .rotate_left(29);
    }
    let mut w = [0u8; 8];
    w.iter_mut()
        .zip(chunks.remainder())
        .for_each(|(d, s)| *d = *s);
    h = (h ^ u64::from_le_bytes(w))
        .wrapping_mul(FAST_K)
        .rotate_left(29);
    (h ^ data.len() as u64).wrapping_mul(FAST_K)
}

/// The splitmix64 / murmur3 finalizer (a bijection).
fn fmix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The fast-mode signature of `msg` by the holder of public key `key_bin`: a 64-bit
/// keyed hash expanded to `len` bytes. Deterministic, ~100× cheaper than Ed25519, and
/// forgeable by anyone (simulations of honest peers only).
pub fn fast_signature(key_bin: &[u8], msg: &[u8], len: usize) -> Vec<u8> {
    let h = absorb(absorb(FAST_DOMAIN, key_bin), msg);
    let mut out = Vec::with_capacity(len + 8);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(&fmix(h ^ i.wrapping_mul(FAST_K)).to_le_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// Fast-mode verification: recompute and compare.
pub fn fast_verify(key: &PublicKey, signature: &[u8], msg: &[u8]) -> bool {
    let len = key.signature_length();
    signature.len() == len && fast_signature(key.key_to_bin(), msg, len) == signature
}

// ---------------------------------------------------------------- verify pool

enum JobState {
    Queued,
    Running,
    Done(bool),
    Taken,
}

/// One signature to verify ahead of time, shared by the pending table and a worker.
struct Job {
    key: PublicKey,
    msg: Vec<u8>,
    sig: Vec<u8>,
    state: Mutex<JobState>,
    done: Condvar,
}

impl Job {
    fn matches(&self, key: &PublicKey, msg: &[u8]) -> bool {
        self.key.key_to_bin() == key.key_to_bin() && self.msg == msg
    }

    /// The worker's result, waiting if it is being computed (`(result, waited)`);
    /// `None` when no worker has started it (it is then marked taken and the caller
    /// verifies inline).
    fn take_result(&self) -> Option<(bool, bool)> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut waited = false;
        loop {
            match *s {
                JobState::Done(ok) => return Some((ok, waited)),
                JobState::Queued | JobState::Taken => {
                    *s = JobState::Taken;
                    return None;
                }
                JobState::Running => {
                    waited = true;
                    s = self.done.wait(s).unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
    }
}

struct VerifyPool {
    tx: Option<SyncSender<Arc<Job>>>,
    workers: Vec<JoinHandle<()>>,
    pending: Recent<Arc<Job>>,
    run_by_workers: Arc<AtomicU64>,
    stats: PoolStats,
}

fn worker(rx: Arc<Mutex<Receiver<Arc<Job>>>>, run: Arc<AtomicU64>) {
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(PoisonError::into_inner);
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return, // the service was dropped
            }
        };
        if Arc::strong_count(&job) == 1 {
            continue; // evicted from the pending table: nobody will ask
        }
        {
            let mut s = job.state.lock().unwrap_or_else(PoisonError::into_inner);
            if !matches!(*s, JobState::Queued) {
                continue;
            }
            *s = JobState::Running;
        }
        // `verify` never panics (crypto module contract); should it anyway, the job is
        // handed back (Taken) so the waiting simulation verifies inline instead of
        // waiting forever.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            job.key.verify(&job.sig, &job.msg)
        }));
        run.fetch_add(1, Ordering::Relaxed);
        *job.state.lock().unwrap_or_else(PoisonError::into_inner) = match result {
            Ok(ok) => JobState::Done(ok),
            Err(_) => JobState::Taken,
        };
        job.done.notify_all();
    }
}

impl VerifyPool {
    fn start(threads: usize) -> Option<VerifyPool> {
        let (tx, rx) = std::sync::mpsc::sync_channel(threads.saturating_mul(POOL_QUEUE_PER_THREAD));
        let rx = Arc::new(Mutex::new(rx));
        let run = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        for i in 0..threads {
            let (rx, run) = (rx.clone(), run.clone());
            // The one sanctioned thread spawn of the simulator (house rule 2 bans
            // threads): workers only compute `PublicKey::verify(sig, msg)`, a pure
            // function of bytes handed to them, and send nothing back but that bool.
            // The simulation asks for the result of exactly the triple it would have
            // verified itself (or verifies inline), so thread timing changes speed,
            // never what a node sees. Builder (not `thread::spawn`) so that a failed
            // spawn degrades to inline verification instead of a panic.
            #[allow(clippy::disallowed_methods)]
            let spawned = std::thread::Builder::new()
                .name(format!("ipv8sim-verify-{i}"))
                .spawn(move || worker(rx, run));
            match spawned {
                Ok(h) => workers.push(h),
                Err(_) => break,
            }
        }
        if workers.is_empty() {
            return None;
        }
        Some(VerifyPool {
            tx: Some(tx),
            stats: PoolStats {
                threads: workers.len(),
                ..PoolStats::default()
            },
            workers,
            pending: Recent::new(POOL_GENERATION),
            run_by_workers: run,
        })
    }

    fn submit(&mut self, key: PublicKey, msg: &[u8], sig: &[u8]) {
        let Some(tx) = &self.tx else { return };
        if self.pending.len() >= 2 * POOL_GENERATION {
            self.stats.not_queued += 1;
            return;
        }
        let job = Arc::new(Job {
            key,
            msg: msg.to_vec(),
            sig: sig.to_vec(),
            state: Mutex::new(JobState::Queued),
            done: Condvar::new(),
        });
        match tx.try_send(job.clone()) {
            Ok(()) => {
                self.stats.submitted += 1;
                self.pending.insert(sig.to_vec(), job);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.not_queued += 1;
            }
        }
    }

    /// The pool's answer for exactly this triple, if it has one.
    fn answer(&mut self, key: &PublicKey, sig: &[u8], msg: &[u8]) -> Option<bool> {
        let job = self.pending.take(sig)?;
        if !job.matches(key, msg) {
            return None;
        }
        match job.take_result() {
            Some((ok, waited)) => {
                self.stats.results_used += 1;
                self.stats.waited += u64::from(waited);
                Some(ok)
            }
            None => {
                self.stats.taken_inline += 1;
                None
            }
        }
    }

    fn stats(&self) -> PoolStats {
        PoolStats {
            run_by_workers: self.run_by_workers.load(Ordering::Relaxed),
            ..self.stats
        }
    }
}

impl Drop for VerifyPool {
    fn drop(&mut self) {
        // Abandon queued jobs (workers skip them), close the queue, join the workers.
        self.pending.clear();
        self.tx = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

// ---------------------------------------------------------------- the service

/// A signature this service made, remembered for verify skip.
struct Made {
    key: PublicKey,
    msg: Vec<u8>,
}

/// The signature service every node of a simulation shares: parsed public keys by key
/// bin (parsing a key is a pure function of its bytes, so sharing cannot change
/// behaviour; bounded: cleared when full), and every sign and verify, counted per key
/// kind for the run's crypto floor. See the module docs for the modes.
pub struct KeyCache {
    map: FxHashMap<KeyBin, PublicKey>,
    capacity: usize,
    counts: CryptoCounts,
    options: CryptoOptions,
    made: Option<Recent<Made>>,
    pool: Option<VerifyPool>,
    /// Set by [`time_calls`](Self::time_calls): the clock that times sign and verify
    /// calls, and the nanoseconds spent in them so far.
    call_clock: Option<RealClock>,
    call_ns: u64,
}

impl Default for KeyCache {
    /// Real mode, at most 4096 keys (as live nodes use).
    fn default() -> Self {
        KeyCache::new(4096)
    }
}

impl KeyCache {
    /// A real-crypto cache holding at most `capacity` keys (live nodes).
    pub fn new(capacity: usize) -> Self {
        KeyCache::with_options(capacity, CryptoOptions::default())
    }

    /// A cache with the given crypto options. Skip and pool apply to real mode only;
    /// with both set, skip wins (the pool is not started: every honest verify would be
    /// skipped anyway).
    pub fn with_options(capacity: usize, options: CryptoOptions) -> Self {
        let real = options.mode == CryptoMode::Real;
        let made = (real && options.verify_skip).then(|| Recent::new(SKIP_GENERATION));
        let pool = if real && !options.verify_skip && options.verify_threads > 0 {
            VerifyPool::start(options.verify_threads)
        } else {
            None
        };
        KeyCache {
            map: FxHashMap::default(),
            capacity: capacity.max(1),
            counts: CryptoCounts::default(),
            options,
            made,
            pool,
            call_clock: None,
            call_ns: 0,
        }
    }

    /// From now on, measure the wall time spent inside [`sign`](Self::sign) and
    /// [`verify`](Self::verify) (two clock reads per call, ~70 ns together on the
    /// project machine, against 13–50 µs for a signature). For the scenario runner's
    /// crypto floor: the total goes to [`call_time_s`](Self::call_time_s) and nowhere
    /// else.
    pub fn time_calls(&mut self) {
        self.call_clock.get_or_insert_with(RealClock::new);
    }

    /// Wall seconds spent inside sign and verify calls since
    /// [`time_calls`](Self::time_calls) (`None` if it was never called). With a verify
    /// pool this includes waiting for a worker's answer, not the worker's own time.
    pub fn call_time_s(&self) -> Option<f64> {
        self.call_clock.map(|_| self.call_ns as f64 * 1e-9)
    }

    fn call_start(&self) -> Option<u64> {
        self.call_clock.map(|c| c.now().as_nanos())
    }

    fn call_end(&mut self, start: Option<u64>) {
        if let (Some(c), Some(t0)) = (self.call_clock, start) {
            self.call_ns += c.now().as_nanos().saturating_sub(t0);
        }
    }

    /// The options this cache was made with.
    pub fn options(&self) -> CryptoOptions {
        self.options
    }

    /// The parsed key and a shared copy of its bin, parsing on a miss.
    pub fn get(&mut self, bin: &[u8]) -> Result<(KeyBin, PublicKey), crate::crypto::CryptoError> {
        if let Some((k, v)) = self.map.get_key_value(bin) {
            return Ok((k.clone(), v.clone()));
        }
        let key = PublicKey::from_bin(bin)?;
        if self.map.len() >= self.capacity {
            self.map.clear();
        }
        let kb: KeyBin = KeyBin::new(bin);
        self.map.insert(kb.clone(), key.clone());
        Ok((kb, key))
    }

    /// The shared key bin of a key this process holds (a node's own key): the cache
    /// keeps that very key, so the simulation parses and stores each identity once.
    pub fn intern(&mut self, key: PublicKey) -> KeyBin {
        if let Some((k, _)) = self.map.get_key_value(key.key_to_bin()) {
            return k.clone();
        }
        if self.map.len() >= self.capacity {
            self.map.clear();
        }
        let kb = KeyBin::new(key.key_to_bin());
        self.map.insert(kb.clone(), key);
        kb
    }

    /// Sign `data` with `key` (counted).
    pub fn sign(&mut self, key: &PrivateKey, data: &[u8]) -> Vec<u8> {
        let start = self.call_start();
        let sig = self.sign_inner(key, data);
        self.call_end(start);
        sig
    }

    fn sign_inner(&mut self, key: &PrivateKey, data: &[u8]) -> Vec<u8> {
        bump(&mut self.counts.signs, key.kind());
        if self.options.mode == CryptoMode::Fast {
            let public = key.public_key();
            return fast_signature(public.key_to_bin(), data, key.signature_length());
        }
        let sig = if self.options.vartime_sign {
            key.sign_vartime(data)
        } else {
            key.sign(data)
        };
        if let Some(made) = &mut self.made {
            made.insert(
                sig.clone(),
                Made {
                    key: key.public_key(),
                    msg: data.to_vec(),
                },
            );
        } else if let Some(pool) = &mut self.pool {
            pool.submit(key.public_key(), data, &sig);
        }
        sig
    }

    /// Verify `signature` over `data` with `key` (counted).
    pub fn verify(&mut self, key: &PublicKey, signature: &[u8], data: &[u8]) -> bool {
        let start = self.call_start();
        let ok = self.verify_inner(key, signature, data);
        self.call_end(start);
        ok
    }

    fn verify_inner(&mut self, key: &PublicKey, signature: &[u8], data: &[u8]) -> bool {
        bump(&mut self.counts.verifies, key.kind());
        if self.options.mode == CryptoMode::Fast {
            return fast_verify(key, signature, data);
        }
        if let Some(made) = &mut self.made {
            if let Some(m) = made.take(signature) {
                if m.key.key_to_bin() == key.key_to_bin() && m.msg == data {
                    // We made exactly this signature with this key over these bytes.
                    bump(&mut self.counts.verifies_skipped, key.kind());
                    return true;
                }
            }
        }
        if let Some(pool) = &mut self.pool {
            if let Some(ok) = pool.answer(key, signature, data) {
                return ok;
            }
        }
        key.verify(signature, data)
    }

    /// Signatures made and verified so far, per key kind.
    pub fn counts(&self) -> CryptoCounts {
        self.counts
    }

    /// What the verify pool did, if one runs.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        self.pool.as_ref().map(VerifyPool::stats)
    }

    /// Stop the verify pool (join its threads) and forget remembered signatures;
    /// later verifies run inline. Also done on drop.
    pub fn shutdown(&mut self) {
        self.pool = None;
        if let Some(made) = &mut self.made {
            made.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn key(kind: KeyKind, seed: u64) -> PrivateKey {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        PrivateKey::generate(kind, &mut rng).unwrap()
    }

    fn flip(v: &[u8], bit: usize) -> Vec<u8> {
        let mut v = v.to_vec();
        v[bit / 8] ^= 1 << (bit % 8);
        v
    }

    fn fast() -> CryptoOptions {
        CryptoOptions {
            mode: CryptoMode::Fast,
            ..CryptoOptions::default()
        }
    }

    #[test]
    fn fast_signatures_have_the_real_length_and_verify() {
        for (i, kind) in KeyKind::ALL.into_iter().enumerate() {
            let k = key(kind, i as u64);
            let mut c = KeyCache::with_options(16, fast());
            let msg = b"introduction-request payload".to_vec();
            let sig = c.sign(&k, &msg);
            assert_eq!(sig.len(), kind.signature_length(), "{kind}");
            assert_eq!(sig.len(), k.sign(&msg).len(), "{kind}");
            assert!(c.verify(&k.public_key(), &sig, &msg), "{kind}");
            // Deterministic.
            assert_eq!(sig, c.sign(&k, &msg));
        }
    }

    #[test]
    fn fast_verify_rejects_tampering_and_other_keys() {
        let (a, b) = (key(KeyKind::Curve25519, 1), key(KeyKind::Curve25519, 2));
        let mut c = KeyCache::with_options(16, fast());
        let msg: Vec<u8> = (0..203u32).map(|i| (i * 7) as u8).collect();
        let sig = c.sign(&a, &msg);
        let pa = a.public_key();
        for bit in 0..msg.len() * 8 {
            assert!(!c.verify(&pa, &sig, &flip(&msg, bit)), "message bit {bit}");
        }
        for bit in 0..sig.len() * 8 {
            assert!(
                !c.verify(&pa, &flip(&sig, bit), &msg),
                "signature bit {bit}"
            );
        }
        assert!(!c.verify(&pa, &sig[..63], &msg), "short signature");
        assert!(
            !c.verify(&b.public_key(), &sig, &msg),
            "another key's check"
        );
        let sb = c.sign(&b, &msg);
        assert!(!c.verify(&pa, &sb, &msg), "another key's signature");
        assert!(c.verify(&pa, &sig, &msg));
        assert_eq!(
            c.counts().verifies_of(KeyKind::Curve25519) as usize,
            msg.len() * 8 + sig.len() * 8 + 4
        );
        // Fast signatures are not real ones, and real ones do not pass in fast mode.
        assert!(!pa.verify(&sig, &msg));
        assert!(!c.verify(&pa, &a.sign(&msg), &msg));
    }

    fn skip() -> CryptoOptions {
        CryptoOptions {
            verify_skip: true,
            ..CryptoOptions::default()
        }
    }

    #[test]
    fn verify_skip_only_skips_the_exact_triple() {
        let (a, b) = (key(KeyKind::Curve25519, 1), key(KeyKind::LOW, 2));
        let mut c = KeyCache::with_options(16, skip());
        let msg = b"signed bytes".to_vec();
        let sig = c.sign(&a, &msg);
        // Tampered message: really verified (and rejected); the entry is consumed.
        assert!(!c.verify(&a.public_key(), &sig, &flip(&msg, 3)));
        assert_eq!(c.counts().skipped_of(KeyKind::Curve25519), 0);
        // Honest verify after the entry was consumed: really verified, accepted.
        assert!(c.verify(&a.public_key(), &sig, &msg));
        assert_eq!(c.counts().skipped_of(KeyKind::Curve25519), 0);
        // Fresh sign, exact triple: skipped.
        let sig = c.sign(&a, &msg);
        assert!(c.verify(&a.public_key(), &sig, &msg));
        assert_eq!(c.counts().skipped_of(KeyKind::Curve25519), 1);
        // Flipped signature, another key, forged signature: all really verified.
        let sig = c.sign(&a, &msg);
        assert!(!c.verify(&a.public_key(), &flip(&sig, 9), &msg));
        let sig = c.sign(&a, &msg);
        assert!(!c.verify(&b.public_key(), &sig, &msg));
        assert!(!c.verify(&a.public_key(), &[7u8; 64], &msg));
        let sb = c.sign(&b, &msg);
        assert!(c.verify(&b.public_key(), &sb, &msg));
        assert_eq!(c.counts().skipped_of(KeyKind::LOW), 1);
        assert_eq!(c.counts().verifies_of(KeyKind::Curve25519), 5);
        assert_eq!(c.counts().performed_of(KeyKind::Curve25519), 4);
        assert_eq!(c.counts().verifies_of(KeyKind::LOW), 2);
    }

    #[test]
    fn recent_table_forgets_the_oldest_generation() {
        let mut r = Recent::new(2);
        for i in 0..5u8 {
            r.insert(vec![i], i);
        }
        assert!(r.len() <= 4);
        assert_eq!(r.take(&[4]), Some(4));
        assert_eq!(r.take(&[0]), None);
    }

    #[test]
    fn pool_gives_the_same_answers_and_stops() {
        let a = key(KeyKind::Curve25519, 1);
        let opts = CryptoOptions {
            verify_threads: 2,
            ..CryptoOptions::default()
        };
        let mut c = KeyCache::with_options(16, opts);
        let mut cases = Vec::new();
        for i in 0..300u32 {
            let msg = i.to_le_bytes().repeat(10);
            let sig = c.sign(&a, &msg);
            cases.push((msg, sig));
        }
        for (i, (msg, sig)) in cases.iter().enumerate() {
            match i % 3 {
                0 => assert!(c.verify(&a.public_key(), sig, msg)),
                1 => assert!(!c.verify(&a.public_key(), sig, &flip(msg, 5))),
                _ => assert!(!c.verify(&a.public_key(), &flip(sig, 5), msg)),
            }
        }
        let st = c.pool_stats().unwrap();
        assert_eq!(st.threads, 2);
        assert_eq!(st.submitted + st.not_queued, 300);
        assert!(st.results_used + st.taken_inline <= 100);
        c.shutdown();
        assert!(c.pool_stats().is_none());
        // Still answers, inline.
        let sig = c.sign(&a, b"x");
        assert!(c.verify(&a.public_key(), &sig, b"x"));
    }

    #[test]
    fn skip_wins_over_pool_and_fast_ignores_both() {
        let both = CryptoOptions {
            verify_skip: true,
            verify_threads: 2,
            ..CryptoOptions::default()
        };
        let c = KeyCache::with_options(16, both);
        assert!(c.pool.is_none() && c.made.is_some());
        let f = CryptoOptions {
            mode: CryptoMode::Fast,
            verify_skip: true,
            verify_threads: 2,
            vartime_sign: true,
        };
        let c = KeyCache::with_options(16, f);
        assert!(c.pool.is_none() && c.made.is_none());
    }

    /// Variable-time signing changes nothing a peer can see: the same bytes, for both
    /// key families (sect163k1: native against OpenSSL).
    #[test]
    fn vartime_sign_makes_the_same_signatures() {
        let vt = CryptoOptions {
            vartime_sign: true,
            ..CryptoOptions::default()
        };
        let (mut plain, mut fast) = (
            KeyCache::with_options(16, CryptoOptions::default()),
            KeyCache::with_options(16, vt),
        );
        for (i, kind) in [KeyKind::Curve25519, KeyKind::VERY_LOW, KeyKind::Curve25519]
            .into_iter()
            .enumerate()
        {
            let k = key(kind, 40 + i as u64);
            let msg = vec![i as u8; 150 + i];
            let sig = fast.sign(&k, &msg);
            assert_eq!(sig, plain.sign(&k, &msg));
            assert!(plain.verify(&k.public_key(), &sig, &msg));
        }
        assert_eq!(fast.counts().signs_of(KeyKind::Curve25519), 2);
    }
}
