//! The crypto floor of a run: `floor = Σ_kind signs × t_sign + verifies × t_verify`, the
//! wall time the run's signatures alone cost on this machine, and `wall / floor`.
//!
//! `t_sign` / `t_verify` are measured in this process while the simulation runs
//! ([`Sampler`]: a few operations every ~40 ms of wall time, the harmonic mean of the
//! samples, see [`harmonic_mean`]; their time is left out of `run_wall_s`), or, when
//! the run was too short for
//! [`MIN_SAMPLES`] samples, right after it ([`calibrate`]: the median of 5 batches
//! after a warm-up). The operation is `benches/crypto.rs`'s `<kind>/sign_200B` (or
//! `<kind>/sign_vartime_200B` when the run signed in variable time, as scenarios do by
//! default) and `<kind>/verify_200B`: our [`PrivateKey::sign`] /
//! [`PrivateKey::sign_vartime`] / [`PublicKey::verify`] over a 200-byte message, an
//! introduction-request's size. Nothing here reaches the simulation: the figures go
//! only to `summary.json`'s wall-time fields.
//!
//! Crypto modes (scenario keys `crypto`, `verify_skip`, `verify_threads`): `verifies`
//! counts only checks that ran the curve arithmetic — verifies answered by verify skip
//! are left out; checks done by the verify pool are counted (they cost CPU, on other
//! cores, so `wall_over_floor` may fall below 1). With `crypto = "fast"` there is no
//! floor (`run` leaves `crypto_floor` out).

use serde::Serialize;

use crate::community::CryptoCounts;
use crate::crypto::{KeyKind, PrivateKey, PublicKey};
use crate::runtime::{Clock, RealClock};
use rand::SeedableRng;

/// Measured per-signature costs of one key kind.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CryptoTiming {
    /// Seconds per signature made.
    pub sign_s: f64,
    /// Seconds per signature verified.
    pub verify_s: f64,
}

/// One key kind's line in `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct KindFloor {
    /// py-ipv8 name of the key kind (`curve25519`, `very-low`, …).
    pub kind: String,
    /// Signatures made with keys of this kind (all hosts, servers included).
    pub signs: u64,
    /// Signatures of this kind verified with the curve arithmetic (attempts minus
    /// those answered by verify skip; pool verifies count: they run on other cores).
    pub verifies: u64,
    /// Measured µs per sign.
    pub sign_us: f64,
    /// Measured µs per verify.
    pub verify_us: f64,
    /// `signs × t_sign + verifies × t_verify`, seconds.
    pub floor_s: f64,
    /// How many samples taken during the run the times are the harmonic mean of; 0
    /// when the run was too short and they were calibrated after it instead.
    pub samples_during_run: usize,
}

/// Time `f` over batches of `batch` calls: warm up once, then the median of `rounds`
/// batches, in seconds per call.
fn time_per_call(batch: u32, rounds: usize, mut f: impl FnMut()) -> f64 {
    let clock = RealClock::new();
    for _ in 0..batch {
        f();
    }
    median(
        (0..rounds)
            .map(|_| {
                let t0 = clock.now();
                for _ in 0..batch {
                    f();
                }
                (clock.now().as_nanos() - t0.as_nanos()) as f64 * 1e-9 / f64::from(batch)
            })
            .collect(),
    )
}

/// The per-operation cost over a run, from samples taken at even steps of wall time:
/// their harmonic mean (`n / Σ 1/tᵢ`); 0 when empty or when any sample is not positive.
///
/// Why not the median or the plain mean: a run makes signatures at a rate inversely
/// proportional to what they cost, so while the machine is in a slow state (this
/// machine's two vCPUs are hyperthreads of one core, and a busy neighbour slows ours
/// by up to ~40 %) it makes fewer of them per second than while it is quiet. Over
/// sampling steps of equal length, the signatures' average cost is then
/// `Σ steps / Σ (steps / tᵢ)`: the harmonic mean. The plain mean weighs slow steps as
/// if as many signatures had been made in them (too high); the median, which this
/// used before, reports the majority state of a run that changed state and ignores
/// the rest (measured at docs-2k: up to 24 % below the time the run's own signatures
/// took; `benches/README.md`, "The crypto floor"). Like the median, and unlike the
/// mean, one sample slowed by an interruption barely moves it.
pub fn harmonic_mean(v: &[f64]) -> f64 {
    if v.is_empty() || v.iter().any(|t| t.is_nan() || *t <= 0.0) {
        return 0.0;
    }
    v.len() as f64 / v.iter().map(|t| 1.0 / t).sum::<f64>()
}

/// The median (upper middle) of `v`; 0 when empty.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// A key of one kind and a signed 200-byte message (an introduction-request's size):
/// what the calibration signs and verifies.
struct Probe {
    kind: KeyKind,
    key: PrivateKey,
    public: PublicKey,
    msg: Vec<u8>,
    sig: Vec<u8>,
    vartime_sign: bool,
}

impl Probe {
    fn new(kind: KeyKind, vartime_sign: bool) -> Option<Self> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let key = PrivateKey::generate(kind, &mut rng).ok()?;
        let public = key.public_key();
        let msg: Vec<u8> = (0..200u32).map(|i| (i * 31 % 251) as u8).collect();
        let sig = key.sign(&msg);
        public.verify(&sig, &msg).then_some(Probe {
            kind,
            key,
            public,
            msg,
            sig,
            vartime_sign,
        })
    }

    fn sign(&self) {
        let m = std::hint::black_box(&self.msg);
        std::hint::black_box(if self.vartime_sign {
            self.key.sign_vartime(m)
        } else {
            self.key.sign(m)
        });
    }

    fn verify(&self) {
        std::hint::black_box(
            self.public
                .verify(std::hint::black_box(&self.sig), &self.msg),
        );
    }
}

/// Measure sign (variable-time if `vartime_sign`) and verify of a 200-byte message
/// with a fresh key of `kind` (≈ 0.1 s).
pub fn calibrate(kind: KeyKind, vartime_sign: bool) -> Option<CryptoTiming> {
    let probe = Probe::new(kind, vartime_sign)?;
    // A batch takes ~3–8 ms for Ed25519 and sect163k1; larger EC curves are slower.
    let batch = match kind {
        KeyKind::Curve25519 => 200,
        KeyKind::Ec(_) => 20,
    };
    let sign_s = time_per_call(batch, 5, || probe.sign());
    let verify_s = time_per_call(batch, 5, || probe.verify());
    Some(CryptoTiming { sign_s, verify_s })
}

/// Wall time between two in-run samples.
const SAMPLE_EVERY_NS: u64 = 40_000_000;
/// Operations of each kind timed per sample, after one of each to warm up (~0.3 ms
/// per sample for Ed25519).
const SAMPLE_OPS: u32 = 4;
/// Fewer samples than this and the floor is calibrated after the run instead.
pub const MIN_SAMPLES: usize = 10;

/// The floor's calibration spread over the run: every ~40 ms of wall time, between two
/// steps of the simulation, a few signs and verifies of each key kind used so far are
/// timed, after one untimed sign and verify that bring code and tables back into the
/// cache (the same hot-loop cost a benchmark measures). A machine that slows down for a while (another process, a noisy neighbour)
/// then slows the run and its floor alike, which a calibration after the run cannot
/// see. The samples cost ~1 % of the run; their time is reported by [`Sampler::spent_s`]
/// and left out of `run_wall_s`. Nothing here touches the simulation.
pub struct Sampler {
    clock: RealClock,
    vartime_sign: bool,
    last_ns: u64,
    spent_ns: u64,
    /// Per kind: the probe and the (sign, verify) seconds per call of each sample.
    probes: Vec<(Probe, Vec<(f64, f64)>)>,
}

impl Sampler {
    /// A sampler for a run that signs as `vartime_sign` says.
    pub fn new(vartime_sign: bool) -> Self {
        let clock = RealClock::new();
        let last_ns = clock.now().as_nanos();
        Sampler {
            clock,
            vartime_sign,
            last_ns,
            spent_ns: 0,
            probes: Vec::new(),
        }
    }

    /// Take a sample if ~40 ms of wall time went by since the last one.
    pub fn maybe_sample(&mut self, counts: &CryptoCounts) {
        let start = self.clock.now().as_nanos();
        if start.saturating_sub(self.last_ns) < SAMPLE_EVERY_NS {
            return;
        }
        for kind in counts.kinds_used() {
            if !self.probes.iter().any(|(p, _)| p.kind == kind) {
                if let Some(p) = Probe::new(kind, self.vartime_sign) {
                    self.probes.push((p, Vec::new()));
                }
            }
        }
        for (probe, samples) in &mut self.probes {
            // Warm up (code and tables back in cache), as a benchmark would.
            probe.sign();
            probe.verify();
            let t0 = self.clock.now().as_nanos();
            for _ in 0..SAMPLE_OPS {
                probe.sign();
            }
            let t1 = self.clock.now().as_nanos();
            for _ in 0..SAMPLE_OPS {
                probe.verify();
            }
            let t2 = self.clock.now().as_nanos();
            let per = |a: u64, b: u64| b.saturating_sub(a) as f64 * 1e-9 / f64::from(SAMPLE_OPS);
            samples.push((per(t0, t1), per(t1, t2)));
        }
        let end = self.clock.now().as_nanos();
        self.spent_ns += end.saturating_sub(start);
        self.last_ns = end;
    }

    /// Wall seconds spent sampling.
    pub fn spent_s(&self) -> f64 {
        self.spent_ns as f64 * 1e-9
    }

    /// The sign and verify times of `kind`'s samples ([`harmonic_mean`]), and how many
    /// there were; `None` below [`MIN_SAMPLES`].
    fn timing(&self, kind: KeyKind) -> Option<(CryptoTiming, usize)> {
        let (_, samples) = self.probes.iter().find(|(p, _)| p.kind == kind)?;
        if samples.len() < MIN_SAMPLES {
            return None;
        }
        let signs: Vec<f64> = samples.iter().map(|s| s.0).collect();
        let verifies: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let t = CryptoTiming {
            sign_s: harmonic_mean(&signs),
            verify_s: harmonic_mean(&verifies),
        };
        Some((t, samples.len()))
    }
}

/// The floor of a run with these counts, per kind used, signing as the run did
/// (`vartime_sign`): from the in-run samples where there are enough, else calibrated
/// now.
pub fn floor(
    counts: &CryptoCounts,
    vartime_sign: bool,
    sampler: Option<&Sampler>,
) -> Vec<KindFloor> {
    counts
        .kinds_used()
        .into_iter()
        .filter_map(|kind| {
            let (t, samples) = match sampler.and_then(|s| s.timing(kind)) {
                Some((t, n)) => (t, n),
                None => (calibrate(kind, vartime_sign)?, 0),
            };
            // Verifies answered by verify skip cost no curve arithmetic.
            let (signs, verifies) = (counts.signs_of(kind), counts.performed_of(kind));
            Some(KindFloor {
                kind: kind.name().to_string(),
                signs,
                verifies,
                sign_us: t.sign_s * 1e6,
                verify_us: t.verify_s * 1e6,
                floor_s: signs as f64 * t.sign_s + verifies as f64 * t.verify_s,
                samples_during_run: samples,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(kind: KeyKind, signs: u64, verifies: u64) -> CryptoCounts {
        let mut c = CryptoCounts::default();
        let i = KeyKind::ALL.iter().position(|k| *k == kind).unwrap();
        c.signs[i] = signs;
        c.verifies[i] = verifies;
        c
    }

    /// A run that spends half its wall time in a state where a verify costs 40 µs and
    /// half where it costs 60 µs makes 3/5 of its verifies in the fast half: they cost
    /// 48 µs on average. The harmonic mean of evenly spaced samples says 48; the median
    /// would say 40 or 60 depending on which half holds the majority of samples, the
    /// mean 50. One sample slowed 100× by an interruption moves it by under 2 %.
    #[test]
    fn harmonic_mean_is_the_per_operation_cost_of_a_run_that_changes_state() {
        let secs = 10.0;
        let (fast, slow) = (40e-6, 60e-6);
        let ops = secs / 2.0 / fast + secs / 2.0 / slow;
        let per_op = secs / ops;
        let mut samples = vec![fast; 50];
        samples.extend(vec![slow; 50]);
        assert!((harmonic_mean(&samples) - per_op).abs() < 1e-12);
        assert!((per_op - 48e-6).abs() < 1e-12);
        let mut skewed = vec![fast; 51];
        skewed.extend(vec![slow; 49]);
        assert_eq!(median(skewed.clone()), fast, "the median picks one state");
        let mut interrupted = samples.clone();
        interrupted[0] = fast * 100.0;
        let moved = harmonic_mean(&interrupted) / harmonic_mean(&samples) - 1.0;
        assert!(moved > 0.0 && moved < 0.02, "{moved}");
        assert_eq!(harmonic_mean(&[]), 0.0);
        assert_eq!(harmonic_mean(&[1.0, 0.0]), 0.0);
        assert_eq!(harmonic_mean(&[1.0, f64::NAN]), 0.0);
    }

    /// Samples are taken only every ~40 ms, only for the kinds used so far, and the
    /// floor uses them once there are enough (else it calibrates after the run).
    #[test]
    fn sampler_feeds_the_floor_once_it_has_enough_samples() {
        let used = counts(KeyKind::Curve25519, 1000, 2000);
        let mut s = Sampler::new(true);
        // Nothing used yet: no probe, no sample.
        s.maybe_sample(&CryptoCounts::default());
        assert!(s.probes.is_empty());
        // Right after creation: too early for a sample.
        s.maybe_sample(&used);
        let few = floor(&used, true, Some(&s));
        assert_eq!(few.len(), 1);
        assert_eq!(
            few[0].samples_during_run, 0,
            "too few: calibrated after the run"
        );
        let clock = RealClock::new();
        while s.timing(KeyKind::Curve25519).is_none() {
            s.maybe_sample(&used);
            assert!(
                clock.now().as_nanos() < 20_000_000_000,
                "no samples in 20 s"
            );
        }
        assert_eq!(s.probes.len(), 1, "one probe per kind used");
        let f = floor(&used, true, Some(&s));
        let k = &f[0];
        assert_eq!(
            (k.kind.as_str(), k.signs, k.verifies),
            ("curve25519", 1000, 2000)
        );
        assert_eq!(k.samples_during_run, MIN_SAMPLES);
        assert!(k.sign_us > 0.0 && k.verify_us > 0.0);
        let expect = 1000.0 * k.sign_us * 1e-6 + 2000.0 * k.verify_us * 1e-6;
        assert!((k.floor_s - expect).abs() < 1e-9);
        // 10 samples of 5 signs and 5 verifies at least, ~40 ms apart.
        assert!(s.spent_s() > 0.0 && s.spent_s() < clock.now().as_secs_f64());
    }
}
