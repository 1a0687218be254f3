//! `sim`: the deterministic virtual-time executor, the simulated network and scenarios.
pub mod datasets;
pub mod trace;
