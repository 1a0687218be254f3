//! `discovery`: the [`Network`] peer store, [`Peer`], the discovery strategies and the
//! `DiscoveryCommunity`.

pub mod community;
mod dense;
pub mod network;
pub mod peer;
mod sets;
pub mod strategy;

pub use community::{
    DiscoveryCommunity, DispersyIntroductionRequest, PingRequestCache, PING_CACHE_PREFIX,
    PING_TIMEOUT,
};
pub use network::{Network, Walkable};
pub use peer::{mid_of, KeyBin, Mid, Peer, PeerAddresses, ServiceId, NULL_ADDRESS};
pub use strategy::{
    DiscoveryStrategy, EdgeWalk, PeriodicSimilarity, PingOverlay, RandomChurn, RandomWalk,
    WalkOverlay,
};
