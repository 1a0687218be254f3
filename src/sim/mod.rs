//! `sim`: the deterministic virtual-time executor, the simulated network and scenarios.
//!
//! | file | noun |
//! |---|---|
//! | [`executor`] | [`Sim`]: tasks + event queue + virtual time (py-ipv8's `DiscreteLoop`) |
//! | `queue` | the `(time, seq)` event queue |
//! | [`clock`] | [`SimClock`], the virtual [`crate::runtime::Clock`] |
//! | [`network`] | [`SimNetwork`]: hosts, addresses, routing, partitions, broadcast domains |
//! | [`endpoint`] | [`SimulatedEndpoint`], the [`crate::endpoint::Endpoint`] on it |
//! | [`latency`] | [`LatencyModel`] and the zero / constant / jitter models, host placement |
//! | [`matrix`] | latency-matrix files and [`MatrixLatency`] |
//! | [`topology`] | [`TopologyLatency`] over a petgraph graph |
//! | [`seeds`] | per-node, per-purpose ChaCha streams |
//! | [`stats`] | network counters |
//! | [`hugepages`] | transparent huge pages for the heap (`ipv8sim run`) |
//!
//! ```
//! use ipv8sim::runtime::{Clock, Duration, Instant};
//! use ipv8sim::sim::{ConstantLatency, Sim, SimNetwork};
//! use ipv8sim::endpoint::Endpoint;
//!
//! let sim = Sim::new();
//! let net = SimNetwork::new(&sim, 42);
//! net.set_latency_model(Box::new(ConstantLatency(Duration::from_millis(25))));
//! let (a, b) = (net.new_endpoint(), net.new_endpoint());
//! a.open().unwrap();
//! b.open().unwrap();
//! let clock = sim.clock();
//! let to = b.wan_address();
//! sim.spawn(async move {
//!     clock.sleep(Duration::from_secs(1)).await;
//!     a.send(to, b"hello".to_vec());
//! })
//! .detach();
//! sim.run_for(Duration::from_secs(2));
//! assert_eq!(sim.now(), Instant::from_secs(2));
//! assert_eq!(net.stats().delivered_packets, 1);
//! sim.shutdown();
//! ```

pub mod clock;
pub mod datasets;
pub mod endpoint;
pub mod executor;
pub mod harness;
pub mod hugepages;
pub mod latency;
pub mod matrix;
pub mod network;
mod queue;
pub mod scenario;
pub mod seeds;
pub mod stats;
pub mod topology;
pub mod trace;

pub use async_executor::Task;
pub use clock::SimClock;
pub use endpoint::SimulatedEndpoint;
pub use executor::{RunOutcome, Sim};
pub use harness::TestBase;
pub use latency::{
    ConstantLatency, HostId, Jitter, JitterLatency, LatencyModel, Lossy, Placement, ZeroLatency,
};
pub use matrix::{LatencyMatrix, MatrixError, MatrixLatency};
pub use network::{DomainId, EndpointId, GroupId, SimNetwork, DEFAULT_PORT};
pub use queue::EventId;
pub use seeds::{Seeds, SimRng};
pub use stats::{DropReason, EndpointStats, NetStats};
pub use topology::{Link, TopologyError, TopologyGraph, TopologyLatency};
