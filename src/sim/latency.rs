//! Latency (and per-path loss) models of the simulated network.
//!
//! A model answers one question per datagram: how long does a datagram from host
//! `from` to host `to` take, or is it lost (`None`)? Randomness comes only from the
//! network's seeded stream passed in (DESIGN.md house rule 5); draws happen in send
//! order, so runs are reproducible. Built-in models: [`ZeroLatency`],
//! [`ConstantLatency`], [`JitterLatency`] (uniform or normal around a base),
//! [`super::matrix::MatrixLatency`] and [`super::topology::TopologyLatency`].

use super::seeds::{derive_u64, purpose, SimRng};
use crate::runtime::Duration;
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// Index of a simulated host (an IP address of the [`super::SimNetwork`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// One-way delay of a datagram, or `None` when the model loses it.
pub trait LatencyModel {
    /// Delay of a datagram sent now from `from` to `to` (same host: the diagonal).
    fn one_way(&mut self, from: HostId, to: HostId, rng: &mut SimRng) -> Option<Duration>;
}

/// Every datagram arrives immediately (at the same virtual time, after what is
/// already due), like py-ipv8's `SimulationEndpoint` with its default 0 s latencies.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZeroLatency;

impl LatencyModel for ZeroLatency {
    fn one_way(&mut self, _: HostId, _: HostId, _: &mut SimRng) -> Option<Duration> {
        Some(Duration::ZERO)
    }
}

/// The same one-way delay between every pair of hosts.
#[derive(Clone, Copy, Debug)]
pub struct ConstantLatency(pub Duration);

impl LatencyModel for ConstantLatency {
    fn one_way(&mut self, _: HostId, _: HostId, _: &mut SimRng) -> Option<Duration> {
        Some(self.0)
    }
}

/// The distribution of a [`JitterLatency`] around its base.
#[derive(Clone, Copy, Debug)]
pub enum Jitter {
    /// Uniform in `[base - spread, base + spread]`.
    Uniform {
        /// Half-width of the interval.
        spread: Duration,
    },
    /// Normal with mean `base` and this standard deviation.
    Normal {
        /// Standard deviation.
        std_dev: Duration,
    },
}

/// A base one-way delay plus random jitter, clamped at zero.
#[derive(Clone, Debug)]
pub struct JitterLatency {
    base: Duration,
    jitter: Jitter,
    normal: Option<Normal<f64>>,
}

impl JitterLatency {
    /// `base` ± `jitter`.
    pub fn new(base: Duration, jitter: Jitter) -> Self {
        let normal = match jitter {
            // std_dev is finite and non-negative, so Normal::new cannot fail.
            Jitter::Normal { std_dev } => Normal::new(0.0, std_dev.as_secs_f64()).ok(),
            Jitter::Uniform { .. } => None,
        };
        JitterLatency {
            base,
            jitter,
            normal,
        }
    }

    /// Uniform jitter in `[base - spread, base + spread]`.
    pub fn uniform(base: Duration, spread: Duration) -> Self {
        Self::new(base, Jitter::Uniform { spread })
    }

    /// Normal jitter with mean `base` and deviation `std_dev`.
    pub fn normal(base: Duration, std_dev: Duration) -> Self {
        Self::new(base, Jitter::Normal { std_dev })
    }

    /// Draw one delay from `rng`.
    pub fn sample(&self, rng: &mut SimRng) -> Duration {
        let base = self.base.as_secs_f64();
        let offset = match (self.jitter, &self.normal) {
            (Jitter::Uniform { spread }, _) => {
                let s = spread.as_secs_f64();
                if s > 0.0 {
                    rng.gen_range(-s..=s)
                } else {
                    0.0
                }
            }
            (Jitter::Normal { .. }, Some(n)) => n.sample(rng),
            (Jitter::Normal { .. }, None) => 0.0,
        };
        Duration::from_secs_f64((base + offset).max(0.0))
    }
}

impl LatencyModel for JitterLatency {
    fn one_way(&mut self, _: HostId, _: HostId, rng: &mut SimRng) -> Option<Duration> {
        Some(self.sample(rng))
    }
}

/// How simulated hosts are placed on the `n` rows of a matrix / attachment nodes of a
/// topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Host `h` sits on row `h mod n`.
    RoundRobin,
    /// Host `h` sits on row `derive_u64(seed, h, "placement") mod n` (see
    /// [`super::seeds`]): random, reproducible, independent of how many hosts exist.
    Seeded(u64),
}

impl Placement {
    /// The row of host `host` among `n` rows (`n > 0`).
    pub fn row(self, host: HostId, n: usize) -> usize {
        let n = n.max(1);
        match self {
            Placement::RoundRobin => host.0 as usize % n,
            Placement::Seeded(seed) => {
                (derive_u64(seed, u64::from(host.0), purpose::PLACEMENT) % n as u64) as usize
            }
        }
    }
}

/// Wraps any model with an extra independent loss probability per datagram.
pub struct Lossy<M> {
    /// The wrapped model.
    pub inner: M,
    /// Probability in `[0, 1]` that a datagram is lost.
    pub loss: f64,
}

impl<M: LatencyModel> LatencyModel for Lossy<M> {
    fn one_way(&mut self, from: HostId, to: HostId, rng: &mut SimRng) -> Option<Duration> {
        if self.loss > 0.0 && rng.gen::<f64>() < self.loss {
            return None;
        }
        self.inner.one_way(from, to, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seeds::network_rng;

    #[test]
    fn jitter_stays_around_base_and_non_negative() {
        let mut rng = network_rng(1);
        let u = JitterLatency::uniform(Duration::from_millis(50), Duration::from_millis(10));
        for _ in 0..1000 {
            let d = u.sample(&mut rng);
            assert!(d >= Duration::from_millis(40) && d <= Duration::from_millis(60));
        }
        let n = JitterLatency::normal(Duration::from_millis(1), Duration::from_millis(50));
        let mut sum = 0.0;
        for _ in 0..4000 {
            let d = n.sample(&mut rng);
            sum += d.as_secs_f64();
        }
        // Clamping at 0 pushes the mean up from 1 ms; it must stay sane (< 30 ms).
        assert!(sum / 4000.0 > 0.001 && sum / 4000.0 < 0.03);
    }

    #[test]
    fn placement_rules() {
        assert_eq!(Placement::RoundRobin.row(HostId(7), 3), 1);
        let p = Placement::Seeded(9);
        let rows: Vec<usize> = (0..100).map(|h| p.row(HostId(h), 4)).collect();
        assert!(rows.iter().all(|&r| r < 4));
        assert!((0..4).all(|r| rows.contains(&r)));
        assert_eq!(
            rows,
            (0..100).map(|h| p.row(HostId(h), 4)).collect::<Vec<_>>()
        );
    }
}
