//! Seed derivation: one independent ChaCha stream per `(scenario seed, node index,
//! purpose)`, plus one for the network (DESIGN.md house rule 5).
//!
//! # Rule
//! The 32-byte ChaCha seed of a stream is
//! `SHA-256("ipv8sim/seed/v1" ‖ seed as u64 LE ‖ kind ‖ index as u64 LE ‖ len(purpose) as u64 LE ‖ purpose)`
//! where `kind` is one byte: `b'N'` for a node stream and `b'W'` for the network stream
//! (whose index is always 0). A stream therefore depends only on its own triple: adding
//! a node, or drawing more from another node's stream, never perturbs stream `i`.
//! The length prefix keeps purposes like `"ab"` + index from colliding with `"a"`.

use rand::SeedableRng;
use sha2::{Digest, Sha256};

/// The random number generator of every simulated concern (rand 0.8 API).
pub type SimRng = rand_chacha::ChaCha20Rng;

/// Well-known purpose tags (any `&str` works; these keep callers consistent).
pub mod purpose {
    /// Key generation of a node.
    pub const KEYS: &str = "keys";
    /// Protocol randomness of a node (walkers, churn, peer choice).
    pub const PROTOCOL: &str = "protocol";
    /// Scenario-level randomness about a node (join/leave jitter, host placement).
    pub const SCENARIO: &str = "scenario";
    /// Placement of simulated hosts on latency-matrix rows or topology nodes.
    pub const PLACEMENT: &str = "placement";
}

fn derive(seed: u64, kind: u8, index: u64, purpose: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"ipv8sim/seed/v1");
    h.update(seed.to_le_bytes());
    h.update([kind]);
    h.update(index.to_le_bytes());
    h.update((purpose.len() as u64).to_le_bytes());
    h.update(purpose.as_bytes());
    h.finalize().into()
}

/// The stream of node `index` for `purpose`, under scenario seed `seed`.
pub fn node_rng(seed: u64, index: u64, purpose: &str) -> SimRng {
    SimRng::from_seed(derive(seed, b'N', index, purpose))
}

/// The simulated network's stream (loss draws, jitter) under scenario seed `seed`.
pub fn network_rng(seed: u64) -> SimRng {
    SimRng::from_seed(derive(seed, b'W', 0, "network"))
}

/// A 64-bit value derived from `(seed, index, purpose)`, for cheap stateless choices
/// (e.g. which matrix row a host sits on). Same derivation as [`node_rng`]'s seed.
pub fn derive_u64(seed: u64, index: u64, purpose: &str) -> u64 {
    let d = derive(seed, b'N', index, purpose);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// A scenario seed plus convenience constructors for its streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Seeds {
    /// The scenario seed.
    pub seed: u64,
}

impl Seeds {
    /// Wrap a scenario seed.
    pub const fn new(seed: u64) -> Self {
        Seeds { seed }
    }

    /// See [`node_rng`].
    pub fn node(&self, index: u64, purpose: &str) -> SimRng {
        node_rng(self.seed, index, purpose)
    }

    /// See [`network_rng`].
    pub fn network(&self) -> SimRng {
        network_rng(self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    fn first(mut r: SimRng) -> [u64; 4] {
        [r.next_u64(), r.next_u64(), r.next_u64(), r.next_u64()]
    }

    #[test]
    fn streams_are_independent_and_stable() {
        let s = Seeds::new(42);
        assert_eq!(
            first(s.node(3, purpose::KEYS)),
            first(s.node(3, purpose::KEYS))
        );
        assert_ne!(
            first(s.node(3, purpose::KEYS)),
            first(s.node(4, purpose::KEYS))
        );
        assert_ne!(
            first(s.node(3, purpose::KEYS)),
            first(s.node(3, purpose::PROTOCOL))
        );
        assert_ne!(
            first(s.node(3, purpose::KEYS)),
            first(Seeds::new(43).node(3, purpose::KEYS))
        );
        assert_ne!(first(s.network()), first(s.node(0, "network")));
        assert_ne!(derive(1, b'N', 0, "ab"), derive(1, b'N', 0, "a"));
    }
}
