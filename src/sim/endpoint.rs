//! [`SimulatedEndpoint`]: an [`Endpoint`] on the [`SimNetwork`].
//!
//! Listener semantics are py-ipv8 3.2.1's (`ipv8/messaging/interfaces/endpoint.py`,
//! spec §12): a datagram whose first 22 bytes equal a registered prefix goes to the
//! prefix listeners of that prefix (in registration order) and then to every general
//! listener; any other datagram goes to the general listeners only. (py-ipv8 builds a
//! per-prefix list that interleaves both kinds in registration order; we keep the
//! simpler "prefix listeners first" order.) Delivery happens only while the endpoint
//! is open: if a listener closes it, the remaining listeners do not get the datagram.
//! Listener sets are copy-on-write snapshots, so a listener may add or remove
//! listeners while being called; the change applies from the next datagram.

use super::latency::HostId;
use super::network::{EndpointId, SimNetwork};
use super::stats::EndpointStats;
use crate::endpoint::{Endpoint, EndpointError, EndpointListener, ListenerId, Prefix};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

/// The listeners of one endpoint (an immutable snapshot; see the module docs).
#[derive(Clone, Default)]
pub(crate) struct ListenerSet {
    prefixed: Vec<(ListenerId, Prefix, Rc<dyn EndpointListener>)>,
    general: Vec<(ListenerId, Rc<dyn EndpointListener>)>,
}

impl ListenerSet {
    /// Call the listeners for one datagram; `still_open` is asked between listeners.
    pub(crate) fn deliver(&self, source: SocketAddr, data: &[u8], still_open: impl Fn() -> bool) {
        let mut first = true;
        let mut call = |l: &Rc<dyn EndpointListener>| {
            if !first && !still_open() {
                return false;
            }
            first = false;
            l.on_packet(source, data);
            true
        };
        if let Some(prefix) = data.get(..22) {
            for (_, p, l) in &self.prefixed {
                if p[..] == *prefix && !call(l) {
                    return;
                }
            }
        }
        for (_, l) in &self.general {
            if !call(l) {
                return;
            }
        }
    }
}

/// An endpoint of the simulated network (a cheap, clonable handle).
///
/// Created closed by [`SimNetwork::add_endpoint`] / [`SimNetwork::new_endpoint`];
/// `open()` never fails. Its LAN and WAN addresses are equal (see the network's
/// address rule).
#[derive(Clone)]
pub struct SimulatedEndpoint {
    net: SimNetwork,
    id: EndpointId,
    address: SocketAddr,
}

impl std::fmt::Debug for SimulatedEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedEndpoint")
            .field("id", &self.id)
            .field("address", &self.address)
            .field("open", &self.is_open())
            .finish()
    }
}

impl SimulatedEndpoint {
    pub(crate) fn new(net: SimNetwork, id: EndpointId) -> Self {
        let address = net.core.state.borrow().address_of(id.0);
        SimulatedEndpoint { net, id, address }
    }

    /// This endpoint's index in its network.
    pub fn id(&self) -> EndpointId {
        self.id
    }

    /// The host this endpoint is on.
    pub fn host(&self) -> HostId {
        match self.address.ip() {
            IpAddr::V4(_) => self.net.host_of(self.address.ip()).unwrap_or(HostId(0)),
            IpAddr::V6(_) => HostId(0),
        }
    }

    /// The network this endpoint belongs to.
    pub fn network(&self) -> &SimNetwork {
        &self.net
    }

    /// Send a copy of `data` to every other open endpoint (any port) in this host's
    /// broadcast domain. Sending to `255.255.255.255:port` with [`Endpoint::send`]
    /// reaches only the domain's endpoints bound to `port`.
    pub fn broadcast(&self, data: Vec<u8>) {
        self.net.core.broadcast(self.id.0, None, data);
    }

    /// This endpoint's counters.
    pub fn stats(&self) -> EndpointStats {
        self.net.endpoint_stats(self.id).unwrap_or_default()
    }
}

impl Endpoint for SimulatedEndpoint {
    fn send(&self, to: SocketAddr, data: Vec<u8>) {
        self.net.core.send(self.id.0, to, data);
    }

    fn add_listener(
        &self,
        prefix: Option<Prefix>,
        listener: Rc<dyn EndpointListener>,
    ) -> ListenerId {
        let mut st = self.net.core.state.borrow_mut();
        let id = ListenerId(st.next_listener);
        st.next_listener += 1;
        let ep = &mut st.endpoints[self.id.0 as usize];
        let set = Rc::make_mut(&mut ep.listeners);
        match prefix {
            Some(p) => set.prefixed.push((id, p, listener)),
            None => set.general.push((id, listener)),
        }
        id
    }

    fn remove_listener(&self, id: ListenerId) {
        let mut st = self.net.core.state.borrow_mut();
        let ep = &mut st.endpoints[self.id.0 as usize];
        let set = Rc::make_mut(&mut ep.listeners);
        set.prefixed.retain(|(i, _, _)| *i != id);
        set.general.retain(|(i, _)| *i != id);
    }

    fn open(&self) -> Result<(), EndpointError> {
        let mut st = self.net.core.state.borrow_mut();
        let ep = &mut st.endpoints[self.id.0 as usize];
        if !ep.open {
            ep.open = true;
            ep.epoch = ep.epoch.wrapping_add(1);
        }
        Ok(())
    }

    fn close(&self) {
        let mut st = self.net.core.state.borrow_mut();
        let ep = &mut st.endpoints[self.id.0 as usize];
        if ep.open {
            ep.open = false;
            ep.epoch = ep.epoch.wrapping_add(1);
        }
    }

    fn is_open(&self) -> bool {
        self.net.core.state.borrow().endpoints[self.id.0 as usize].open
    }

    fn local_address(&self) -> SocketAddr {
        self.address
    }

    fn wan_address(&self) -> SocketAddr {
        self.address
    }
}
