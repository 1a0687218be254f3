//! `endpoint`: the [`Endpoint`] trait (send datagrams, deliver received ones to
//! listeners demultiplexed by the 22-byte prefix), [`UdpEndpoint`] (a real UDP socket)
//! and [`Listeners`] (py-ipv8's listener list for real endpoints).
//!
//! Listener semantics follow py-ipv8 (`ipv8/messaging/interfaces/endpoint.py`, spec
//! §12): a *prefix listener* receives only datagrams whose first 22 bytes equal its
//! prefix; a *general listener* receives every datagram. Delivery happens only while
//! the endpoint is open.

pub mod listeners;
pub mod udp;

pub use listeners::Listeners;
pub use udp::{UdpEndpoint, UdpStats};

use std::net::SocketAddr;
use std::rc::Rc;

/// The 22-byte community prefix (`0x00`, version, 20-byte community id).
pub type Prefix = [u8; 22];

/// Receives datagrams from an endpoint.
pub trait EndpointListener {
    /// Called for each datagram delivered to the endpoint this listener is on.
    fn on_packet(&self, source: SocketAddr, data: &[u8]);
}

/// Identifies a registered listener, for removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListenerId(pub u64);

/// Errors of opening or using an endpoint.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The endpoint could not bind or open.
    #[error("could not open endpoint: {0}")]
    Open(String),
    /// An I/O error from the operating system.
    #[error("endpoint I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// A datagram transport: the simulated network or a real UDP socket.
pub trait Endpoint {
    /// Send `data` to `to`. Sending while closed is a silent no-op (as in py-ipv8).
    fn send(&self, to: SocketAddr, data: Vec<u8>);

    /// Register a listener; `Some(prefix)` makes it a prefix listener.
    fn add_listener(
        &self,
        prefix: Option<Prefix>,
        listener: Rc<dyn EndpointListener>,
    ) -> ListenerId;

    /// Remove a listener; unknown ids are ignored.
    fn remove_listener(&self, id: ListenerId);

    /// Open the endpoint (bind the socket, join the simulated network).
    fn open(&self) -> Result<(), EndpointError>;

    /// Close the endpoint; datagrams in flight to it are dropped.
    fn close(&self);

    /// Whether the endpoint is open.
    fn is_open(&self) -> bool;

    /// The address this endpoint is bound to (its LAN address).
    fn local_address(&self) -> SocketAddr;

    /// The address others see as this endpoint's source address.
    fn wan_address(&self) -> SocketAddr;

    /// Send `data` to every host of the local broadcast domain (py-ipv8's UDP
    /// broadcast bootstrapper). Default: not supported, dropped.
    fn broadcast(&self, _data: Vec<u8>) {}
}
