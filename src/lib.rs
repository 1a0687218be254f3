//! # ipv8sim — IPv8 in Rust, as a deterministic discrete-event network simulator
//!
//! A map of the code, bottom-up (dependencies point down this list, never up; only
//! `sim` knows it is a simulation). See `../shared/DESIGN.md` for the architecture.
//!
//! | module | owns |
//! |---|---|
//! | [`wire`] | py-ipv8 Serializer formats, `Payload` (+ derive), prefix, envelopes, `WireError` |
//! | [`crypto`] | LibNaCL (curve25519) and legacy EC keys, `mid`, sign/verify, key files |
//! | [`runtime`] | `Instant`/`Duration`, the `Clock` trait, `TaskManager`, `RequestCache` |
//! | [`endpoint`] | the `Endpoint` trait and the UDP endpoint |
//! | [`community`] | the overlay framework: handlers, `ez_send`, introduction/puncture handling |
//! | [`discovery`] | the `Network` peer store, strategies, `DiscoveryCommunity` |
//! | [`bootstrap`] | bootstrappers and the bootstrap server |
//! | [`node`] | one IPv8 instance, its configuration, its driver |
//! | [`sim`] | executor, virtual clock, simulated network, scenarios, traces, metrics |
//! | [`report`] | results files and plots |

pub mod bootstrap;
pub mod community;
pub mod crypto;
pub mod discovery;
pub mod endpoint;
pub mod node;
pub mod report;
pub mod runtime;
pub mod sim;
pub mod wire;

// Lets `#[derive(Payload)]` name `::ipv8sim::…` from inside this crate too.
extern crate self as ipv8sim;

/// The crate version (for `summary.json` and `--version`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
