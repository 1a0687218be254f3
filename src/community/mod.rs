//! `community`: the overlay framework (py-ipv8 `Community`): handlers by payload type,
//! `ez_send`, introduction/puncture handling, tasks; plus the node-wide context the
//! overlays of one IPv8 instance share.

pub mod base;
pub mod context;
pub mod intro;
pub mod overlay;
pub mod payload;
pub mod sigservice;

pub use base::{
    Community, CommunityBase, CommunityError, CommunityExt, CommunitySettings, Handler,
    HandlerOutput, DEFAULT_MAX_PEERS,
};
pub use context::{CryptoCounts, DropReason, KeyCache, NodeContext, NodeStats, Outgoing, Shared};
pub use intro::{IntroductionRequest, IntroductionResponse};
pub use overlay::{AnyOverlay, Overlay, Walker};
pub use sigservice::{CryptoMode, CryptoOptions, PoolStats};
