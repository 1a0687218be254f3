//! `sim`: the deterministic virtual-time executor, the simulated network and scenarios.
