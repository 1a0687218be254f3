//! [`SimNetwork`]: the simulated internet that [`SimulatedEndpoint`]s send through.
//!
//! # Addresses
//! Host `i` (0-based, in creation order) has the IPv4 address `11.0.0.0 + (i + 1)`
//! (host 0 is `11.0.0.1`, host 255 is `11.0.1.0`, …). `11.0.0.0/8` is outside the
//! private ranges (10/8, 172.16/12, 192.168/16), so py-ipv8's WAN-address estimation
//! (spec §6.7, introduction-response rule 1) accepts these addresses. A host's first
//! endpoint gets port [`DEFAULT_PORT`] (8090, py-ipv8's default), further ones on the
//! same host the next free ports. Every endpoint is publicly reachable: its LAN and
//! WAN addresses are equal (no NAT). Addresses therefore depend only on creation order.
//!
//! # Delivery
//! `send` draws the fate of a datagram at send time, in this order: sender closed →
//! silent no-op; unknown destination → dropped ([`DropReason::UnknownAddress`]; py-ipv8's
//! simulation raised instead); destination closed → dropped ([`DropReason::Closed`]);
//! partitioned groups → dropped; global loss probability; the latency model (`None` =
//! lost). Survivors are queued in the executor at `now + delay` and, when due, handed to
//! the destination's listeners directly from the event loop, with source = the
//! sender's WAN address — provided the destination has stayed open since the send
//! (close/open bump an epoch, so reopening never resurrects older datagrams) and no
//! partition now separates the two hosts.

use super::endpoint::{ListenerSet, SimulatedEndpoint};
use super::executor::{EventHandler, Sim};
use super::latency::{HostId, LatencyModel, ZeroLatency};
use super::queue::{Datagram, Event};
use super::seeds::{network_rng, SimRng};
use super::stats::{DropReason, EndpointStats, NetStats};
use rand::Rng;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::{Rc, Weak};

/// Port of a host's first endpoint (py-ipv8's default port).
pub const DEFAULT_PORT: u16 = 8090;
/// `11.0.0.0`; host `i` has address `HOST_BASE + i + 1`.
const HOST_BASE: u32 = 0x0B00_0000;
/// Hosts fit below `12.0.0.0`.
const MAX_HOSTS: u32 = 0x00FF_FFFE;

/// Index of a simulated endpoint within its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointId(pub u32);

/// A group of hosts, for partitions (every host starts in group 0).
pub type GroupId = u32;
/// A broadcast domain (a LAN); hosts are in none until assigned.
pub type DomainId = u32;

struct Host {
    /// The first endpoint and its port, inline: the common one-socket case resolves
    /// an address with a single look-up.
    first: Option<(u32, u16)>,
    endpoints: Vec<u32>,
    group: GroupId,
    domain: Option<DomainId>,
}

pub(crate) struct EpState {
    host: u32,
    port: u16,
    pub(crate) open: bool,
    pub(crate) epoch: u32,
    pub(crate) listeners: Rc<ListenerSet>,
    pub(crate) stats: EndpointStats,
}

pub(crate) struct NetState {
    hosts: Vec<Host>,
    pub(crate) endpoints: Vec<EpState>,
    in_flight: usize,
    model: Box<dyn LatencyModel>,
    rng: SimRng,
    loss: f64,
    pub(crate) stats: NetStats,
    partitions: BTreeSet<(GroupId, GroupId)>,
    domains: BTreeMap<DomainId, Vec<u32>>,
    pub(crate) next_listener: u64,
}

pub(crate) struct NetCore {
    pub(crate) sim: Sim,
    handler: Cell<u32>,
    pub(crate) state: RefCell<NetState>,
}

/// The simulated network (a cheap, clonable handle). See the module docs.
#[derive(Clone)]
pub struct SimNetwork {
    pub(crate) core: Rc<NetCore>,
}

fn host_ip(host: u32) -> Ipv4Addr {
    Ipv4Addr::from(HOST_BASE + host + 1)
}

impl NetState {
    fn resolve(&self, to: SocketAddr) -> Option<u32> {
        let IpAddr::V4(ip) = to.ip() else {
            return None;
        };
        let h = u32::from(ip).checked_sub(HOST_BASE + 1)?;
        let host = self.hosts.get(h as usize)?;
        match host.first {
            Some((e, port)) if port == to.port() => return Some(e),
            None => return None,
            Some(_) => {}
        }
        host.endpoints
            .iter()
            .copied()
            .find(|&e| self.endpoints[e as usize].port == to.port())
    }

    fn partitioned(&self, a: u32, b: u32) -> bool {
        if self.partitions.is_empty() {
            return false;
        }
        let (ga, gb) = (self.hosts[a as usize].group, self.hosts[b as usize].group);
        self.partitions.contains(&(ga.min(gb), ga.max(gb)))
    }

    pub(crate) fn address_of(&self, ep: u32) -> SocketAddr {
        let e = &self.endpoints[ep as usize];
        SocketAddr::new(IpAddr::V4(host_ip(e.host)), e.port)
    }
}

impl NetCore {
    /// Route one datagram from open endpoint `from` to endpoint `to` (already
    /// resolved); counts it as sent.
    fn route(&self, st: &mut NetState, from: u32, to: u32, data: Vec<u8>) {
        let len = data.len() as u64;
        st.stats.sent_packets += 1;
        st.stats.sent_bytes += len;
        let s = &mut st.endpoints[from as usize].stats;
        s.packets_sent += 1;
        s.bytes_sent += len;
        let dest = &st.endpoints[to as usize];
        if !dest.open {
            st.stats.drop(DropReason::Closed);
            return;
        }
        let epoch = dest.epoch;
        let (hf, ht) = (st.endpoints[from as usize].host, dest.host);
        let from_port = st.endpoints[from as usize].port;
        if st.partitioned(hf, ht) {
            st.stats.drop(DropReason::Partition);
            return;
        }
        if st.loss > 0.0 && st.rng.gen::<f64>() < st.loss {
            st.stats.drop(DropReason::Loss);
            return;
        }
        let NetState { model, rng, .. } = st;
        let Some(delay) = model.one_way(HostId(hf), HostId(ht), rng) else {
            st.stats.drop(DropReason::Loss);
            return;
        };
        let datagram = Datagram {
            to,
            epoch,
            from_host: hf,
            from_port,
            data,
        };
        st.in_flight += 1;
        let at = self.sim.now() + delay;
        self.sim.push(
            at,
            Event::Deliver {
                handler: self.handler.get(),
                datagram,
            },
        );
    }

    pub(crate) fn send(&self, from: u32, to: SocketAddr, data: Vec<u8>) {
        let mut st = self.state.borrow_mut();
        if !st.endpoints[from as usize].open {
            st.stats.send_while_closed += 1;
            return;
        }
        if to.ip() == IpAddr::V4(Ipv4Addr::BROADCAST) {
            drop(st);
            self.broadcast(from, Some(to.port()), data);
            return;
        }
        match st.resolve(to) {
            Some(dest) => self.route(&mut st, from, dest, data),
            None => {
                let len = data.len() as u64;
                st.stats.sent_packets += 1;
                st.stats.sent_bytes += len;
                let s = &mut st.endpoints[from as usize].stats;
                s.packets_sent += 1;
                s.bytes_sent += len;
                st.stats.drop(DropReason::UnknownAddress);
            }
        }
    }

    /// Send a copy to every other endpoint in `from`'s broadcast domain (only those
    /// bound to `port`, if given).
    pub(crate) fn broadcast(&self, from: u32, port: Option<u16>, data: Vec<u8>) {
        let mut st = self.state.borrow_mut();
        if !st.endpoints[from as usize].open {
            st.stats.send_while_closed += 1;
            return;
        }
        st.stats.broadcasts += 1;
        let host = st.endpoints[from as usize].host as usize;
        let Some(domain) = st.hosts[host].domain else {
            return;
        };
        let members: Vec<u32> = st
            .domains
            .get(&domain)
            .map(|m| {
                m.iter()
                    .copied()
                    .filter(|&e| e != from)
                    .filter(|&e| port.map_or(true, |p| st.endpoints[e as usize].port == p))
                    .collect()
            })
            .unwrap_or_default();
        for to in members {
            self.route(&mut st, from, to, data.clone());
        }
    }
}

impl EventHandler for NetCore {
    fn fire(&self, f: Datagram) {
        let (listeners, source, data, to, epoch) = {
            let mut st = self.state.borrow_mut();
            st.in_flight -= 1;
            let dest = &st.endpoints[f.to as usize];
            if !dest.open || dest.epoch != f.epoch {
                st.stats.drop(DropReason::Closed);
                return;
            }
            if st.partitioned(f.from_host, dest.host) {
                st.stats.drop(DropReason::Partition);
                return;
            }
            let len = f.data.len() as u64;
            st.stats.delivered_packets += 1;
            st.stats.delivered_bytes += len;
            let dest = &mut st.endpoints[f.to as usize];
            dest.stats.packets_received += 1;
            dest.stats.bytes_received += len;
            let listeners = Rc::clone(&dest.listeners);
            let source = SocketAddr::new(IpAddr::V4(host_ip(f.from_host)), f.from_port);
            (listeners, source, f.data, f.to, f.epoch)
        };
        // No borrow is held here: listeners may send, add listeners, close, schedule.
        listeners.deliver(source, &data, || {
            let st = self.state.borrow();
            let e = &st.endpoints[to as usize];
            e.open && e.epoch == epoch
        });
    }
}

impl SimNetwork {
    /// A network on `sim` with zero latency, no loss, and its random stream derived
    /// from the scenario seed (see [`super::seeds::network_rng`]).
    pub fn new(sim: &Sim, seed: u64) -> Self {
        let core = Rc::new(NetCore {
            sim: sim.clone(),
            handler: Cell::new(0),
            state: RefCell::new(NetState {
                hosts: Vec::new(),
                endpoints: Vec::new(),
                in_flight: 0,
                model: Box::new(ZeroLatency),
                rng: network_rng(seed),
                loss: 0.0,
                stats: NetStats::default(),
                partitions: BTreeSet::new(),
                domains: BTreeMap::new(),
                next_listener: 0,
            }),
        });
        let weak: Weak<dyn EventHandler> = Rc::downgrade(&core) as Weak<dyn EventHandler>;
        core.handler.set(sim.register_handler(weak));
        SimNetwork { core }
    }

    /// The simulation this network runs on.
    pub fn sim(&self) -> &Sim {
        &self.core.sim
    }

    /// Replace the latency model (takes effect for datagrams sent from now on).
    pub fn set_latency_model(&self, model: Box<dyn LatencyModel>) {
        self.core.state.borrow_mut().model = model;
    }

    /// Set the global loss probability (clamped to `[0, 1]`; NaN means 0).
    pub fn set_loss(&self, probability: f64) {
        let p = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        self.core.state.borrow_mut().loss = p;
    }

    /// Add a host (an IP address; see the module docs for the rule).
    ///
    /// # Panics
    /// Beyond 16,777,214 hosts.
    pub fn add_host(&self) -> HostId {
        let mut st = self.core.state.borrow_mut();
        let id = u32::try_from(st.hosts.len()).unwrap_or(u32::MAX);
        assert!(id < MAX_HOSTS, "too many simulated hosts");
        st.hosts.push(Host {
            first: None,
            endpoints: Vec::new(),
            group: 0,
            domain: None,
        });
        HostId(id)
    }

    /// Number of hosts.
    pub fn host_count(&self) -> usize {
        self.core.state.borrow().hosts.len()
    }

    /// The IP address of `host`.
    pub fn host_address(&self, host: HostId) -> Ipv4Addr {
        host_ip(host.0)
    }

    /// The host owning `ip`, if any.
    pub fn host_of(&self, ip: IpAddr) -> Option<HostId> {
        let IpAddr::V4(ip) = ip else { return None };
        let h = u32::from(ip).checked_sub(HOST_BASE + 1)?;
        ((h as usize) < self.host_count()).then_some(HostId(h))
    }

    /// Add a (closed) endpoint on `host` bound to `port`, or to the first free port
    /// from [`DEFAULT_PORT`] up when `None`.
    ///
    /// # Panics
    /// If `host` does not exist or `port` is taken on it.
    pub fn add_endpoint(&self, host: HostId, port: Option<u16>) -> SimulatedEndpoint {
        let mut st = self.core.state.borrow_mut();
        let h = host.0 as usize;
        assert!(h < st.hosts.len(), "unknown host {h}");
        let taken: Vec<u16> = st.hosts[h]
            .endpoints
            .iter()
            .map(|&e| st.endpoints[e as usize].port)
            .collect();
        let port = match port {
            Some(p) => {
                assert!(!taken.contains(&p), "port {p} already bound on host {h}");
                p
            }
            None => (DEFAULT_PORT..=u16::MAX)
                .chain(1..DEFAULT_PORT)
                .find(|p| !taken.contains(p))
                .unwrap_or(0),
        };
        let id = u32::try_from(st.endpoints.len()).unwrap_or(u32::MAX);
        st.endpoints.push(EpState {
            host: host.0,
            port,
            open: false,
            epoch: 0,
            listeners: Rc::new(ListenerSet::default()),
            stats: EndpointStats::default(),
        });
        st.hosts[h].endpoints.push(id);
        if st.hosts[h].first.is_none() {
            st.hosts[h].first = Some((id, port));
        }
        if let Some(d) = st.hosts[h].domain {
            st.domains.entry(d).or_default().push(id);
        }
        drop(st);
        SimulatedEndpoint::new(self.clone(), EndpointId(id))
    }

    /// A new host with one (closed) endpoint on [`DEFAULT_PORT`].
    pub fn new_endpoint(&self) -> SimulatedEndpoint {
        let h = self.add_host();
        self.add_endpoint(h, None)
    }

    /// Put `host` in partition group `group` (all hosts start in group 0).
    pub fn set_group(&self, host: HostId, group: GroupId) {
        if let Some(h) = self.core.state.borrow_mut().hosts.get_mut(host.0 as usize) {
            h.group = group;
        }
    }

    /// The partition group of `host`.
    pub fn group_of(&self, host: HostId) -> Option<GroupId> {
        self.core
            .state
            .borrow()
            .hosts
            .get(host.0 as usize)
            .map(|h| h.group)
    }

    /// Drop all datagrams between groups `a` and `b` (both directions, including those
    /// already in flight) until [`SimNetwork::heal`]. `partition(a, a)` cuts group `a`
    /// off from itself.
    pub fn partition(&self, a: GroupId, b: GroupId) {
        self.core
            .state
            .borrow_mut()
            .partitions
            .insert((a.min(b), a.max(b)));
    }

    /// Undo [`SimNetwork::partition`] of `a` and `b`.
    pub fn heal(&self, a: GroupId, b: GroupId) {
        self.core
            .state
            .borrow_mut()
            .partitions
            .remove(&(a.min(b), a.max(b)));
    }

    /// Undo every partition.
    pub fn heal_all(&self) {
        self.core.state.borrow_mut().partitions.clear();
    }

    /// Whether groups `a` and `b` are partitioned.
    pub fn is_partitioned(&self, a: GroupId, b: GroupId) -> bool {
        self.core
            .state
            .borrow()
            .partitions
            .contains(&(a.min(b), a.max(b)))
    }

    /// Put `host` (all its endpoints, present and future) in broadcast domain
    /// `domain`, or in none.
    pub fn set_broadcast_domain(&self, host: HostId, domain: Option<DomainId>) {
        let mut st = self.core.state.borrow_mut();
        let h = host.0 as usize;
        let Some(old) = st.hosts.get(h).map(|x| x.domain) else {
            return;
        };
        let eps = st.hosts[h].endpoints.clone();
        if let Some(d) = old {
            if let Some(m) = st.domains.get_mut(&d) {
                m.retain(|e| !eps.contains(e));
            }
        }
        st.hosts[h].domain = domain;
        if let Some(d) = domain {
            let m = st.domains.entry(d).or_default();
            m.extend(eps);
            m.sort_unstable();
        }
    }

    /// Network-wide counters.
    pub fn stats(&self) -> NetStats {
        self.core.state.borrow().stats
    }

    /// Counters of one endpoint.
    pub fn endpoint_stats(&self, ep: EndpointId) -> Option<EndpointStats> {
        self.core
            .state
            .borrow()
            .endpoints
            .get(ep.0 as usize)
            .map(|e| e.stats)
    }

    /// Datagrams currently in flight.
    pub fn in_flight(&self) -> usize {
        self.core.state.borrow().in_flight
    }

    /// Number of endpoints.
    pub fn endpoint_count(&self) -> usize {
        self.core.state.borrow().endpoints.len()
    }
}
