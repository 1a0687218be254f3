//! `node`: one IPv8 instance (py-ipv8 `ipv8_service.IPv8`) — its overlays, the
//! strategy loop every `walker_interval`, its configuration — and the [`driver`] that
//! connects it to an endpoint and a clock.
//!
//! [`Node`] is sans-IO: feed it datagrams ([`Node::handle_datagram`]) and timeouts
//! ([`Node::handle_timeout`]), and take what it wants sent ([`Node::poll_transmit`]) and
//! when it next wants to be called ([`Node::poll_timeout`]). It does not know which
//! endpoint it has, nor whether time is virtual.

pub mod builder;
pub mod config;
pub mod driver;
pub mod interop;
pub mod live;
pub mod registry;

use crate::community::{
    AnyOverlay, Community, DropReason, NodeStats, Outgoing, Overlay, Shared, Walker,
};
use crate::runtime::{Duration, Instant};
use crate::wire;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// py-ipv8's default `walker_interval`.
pub const DEFAULT_WALKER_INTERVAL: Duration = Duration::from_millis(500);

/// One IPv8 instance.
pub struct Node {
    shared: Shared,
    overlays: Vec<Box<dyn AnyOverlay>>,
    walker_interval: Duration,
    /// The next point of the tick grid (start + k × `walker_interval`).
    next_tick: Option<Instant>,
    /// No walker would run: ticks are no-ops and are not scheduled (see `settle`).
    dormant: bool,
    running: bool,
    pending: VecDeque<Outgoing>,
    /// Overrides the LAN address estimate at start (None: the endpoint's address).
    pub estimated_lan: Option<SocketAddr>,
    /// Start with the WAN estimate = the endpoint's address instead of py-ipv8's
    /// `0.0.0.0:0` (spec §6.8; py-ipv8's own simulations set it so).
    pub wan_from_endpoint: bool,
    /// Overrides the WAN address estimate at start (takes precedence over
    /// `wan_from_endpoint`; the live peer pins it with `--pin-address`).
    pub estimated_wan: Option<SocketAddr>,
}

impl Node {
    /// A node with no overlays, sharing `shared` with the overlays it will get.
    pub fn new(shared: Shared, walker_interval: Duration) -> Self {
        Node {
            shared,
            overlays: Vec::new(),
            walker_interval,
            next_tick: None,
            dormant: false,
            running: false,
            pending: VecDeque::new(),
            estimated_lan: None,
            wan_from_endpoint: false,
            estimated_wan: None,
        }
    }

    /// The state shared by this node's overlays.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The node's counters.
    pub fn stats(&self) -> NodeStats {
        self.shared.borrow().stats.clone()
    }

    /// Add an overlay with its walkers (in configuration order). Returns its index.
    pub fn add_overlay<C: Community>(&mut self, community: C, walkers: Vec<Walker<C>>) -> usize {
        self.overlays
            .push(Box::new(Overlay::new(community, walkers)));
        self.wake_ticks();
        self.overlays.len() - 1
    }

    /// A new overlay may want ticks that a dormant node no longer schedules.
    fn wake_ticks(&mut self) {
        let now = self.shared.borrow().now;
        self.settle(now);
    }

    /// Add an already type-erased overlay (from the configuration registry).
    pub fn add_boxed_overlay(&mut self, overlay: Box<dyn AnyOverlay>) -> usize {
        self.overlays.push(overlay);
        self.wake_ticks();
        self.overlays.len() - 1
    }

    /// The overlays, in order.
    pub fn overlays(&self) -> &[Box<dyn AnyOverlay>] {
        &self.overlays
    }

    /// The first overlay of type `C`.
    pub fn overlay<C: Community>(&self) -> Option<&C> {
        self.overlays
            .iter()
            .find_map(|o| o.as_any().downcast_ref::<C>())
    }

    /// The first overlay of type `C`, mutably.
    pub fn overlay_mut<C: Community>(&mut self) -> Option<&mut C> {
        self.overlays
            .iter_mut()
            .find_map(|o| o.as_any_mut().downcast_mut::<C>())
    }

    /// The overlay at `index`, as type `C`.
    pub fn overlay_at<C: Community>(&self, index: usize) -> Option<&C> {
        self.overlays.get(index)?.as_any().downcast_ref::<C>()
    }

    /// The overlay at `index`, as type `C`, mutably.
    pub fn overlay_at_mut<C: Community>(&mut self, index: usize) -> Option<&mut C> {
        self.overlays
            .get_mut(index)?
            .as_any_mut()
            .downcast_mut::<C>()
    }

    /// Overlay `index` walks to `address` (sends it an introduction-request).
    pub fn walk_to(&mut self, index: usize, address: SocketAddr) {
        if let Some(o) = self.overlays.get_mut(index) {
            o.walk_to(address);
        }
    }

    /// Whether the node is started.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The endpoint opened, bound to `local_address`: estimate LAN addresses, call
    /// every overlay's `started`, and tick at once (py-ipv8 `IPv8.start`).
    pub fn start(&mut self, now: Instant, local_address: SocketAddr) {
        {
            let mut s = self.shared.borrow_mut();
            s.now = now;
            s.endpoint_open = true;
            s.local_address = local_address;
            if !s.lan_ips.contains(&local_address.ip()) {
                // (Exact: one or two addresses per node.)
                s.lan_ips.reserve_exact(1);
                s.lan_ips.push(local_address.ip());
            }
        }
        let lan = self.estimated_lan.unwrap_or(local_address);
        let wan = if let Some(wan) = self.estimated_wan {
            wan
        } else if self.wan_from_endpoint {
            local_address
        } else {
            crate::discovery::NULL_ADDRESS
        };
        for o in &mut self.overlays {
            o.start(lan, wan);
        }
        self.running = true;
        self.next_tick = Some(now);
        self.dormant = false;
    }

    /// Stop: unload the overlays (tasks cancelled), close the endpoint and drop what was
    /// not sent yet.
    pub fn stop(&mut self, now: Instant) {
        self.shared.borrow_mut().now = now;
        for o in &mut self.overlays {
            o.unload();
        }
        let mut s = self.shared.borrow_mut();
        s.endpoint_open = false;
        s.out.clear();
        self.pending.clear();
        self.running = false;
        self.next_tick = None;
    }

    /// A datagram arrived from `source` (py-ipv8: the endpoint's prefix listeners).
    pub fn handle_datagram(&mut self, now: Instant, source: SocketAddr, data: &[u8]) {
        if !self.running {
            return;
        }
        {
            let mut s = self.shared.borrow_mut();
            s.now = now;
            s.stats.msgs_received += 1;
            s.stats.bytes_received += data.len() as u64;
        }
        let result = match wire::packet_prefix(data) {
            None => Err(DropReason::NoHeader),
            Some(prefix) => match self.overlays.iter().position(|o| o.prefix() == prefix) {
                Some(i) => match self.overlays.get_mut(i) {
                    Some(o) => o.on_packet(source, data),
                    None => Err(DropReason::UnknownCommunity),
                },
                None => match wire::parse_beacon(data) {
                    Some(p) => {
                        let mut seen = false;
                        for o in self.overlays.iter_mut().filter(|o| o.prefix() == p) {
                            o.on_beacon(source);
                            seen = true;
                        }
                        if seen {
                            Ok(())
                        } else {
                            Err(DropReason::UnknownCommunity)
                        }
                    }
                    None => match self.overlays.iter_mut().find(|o| o.accepts_any_prefix()) {
                        Some(o) => o.on_packet(source, data),
                        None => Err(DropReason::UnknownCommunity),
                    },
                },
            },
        };
        if let Err(reason) = result {
            self.shared.borrow_mut().stats.drop(reason);
        }
        self.settle(now);
    }

    /// Time passed: run the strategy tick if due, then due tasks and timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.running {
            return;
        }
        self.shared.borrow_mut().now = now;
        if !self.dormant && self.next_tick.is_some_and(|t| t <= now) {
            // py-ipv8 `IPv8.on_tick`: every walker of every overlay in order, then sleep.
            for o in &mut self.overlays {
                o.tick();
            }
            self.next_tick = Some(now + self.walker_interval);
        }
        for o in &mut self.overlays {
            if o.poll_timeout().is_some_and(|t| t <= now) {
                o.handle_timeout(now);
            }
        }
        self.settle(now);
    }

    /// After an input: decide whether the tick grid needs to be scheduled.
    ///
    /// py-ipv8 ticks every `walker_interval` for ever, but a tick in which no walker
    /// runs (every overlay at its walkers' targets) does nothing: no message, no
    /// randomness, no state. Whether a walker runs depends only on the node's state,
    /// which only inputs change, so the node checks after every input and, while no
    /// walker would run, leaves the tick out of [`poll_timeout`](Self::poll_timeout):
    /// a converged peer costs nothing per tick. When an input makes a walker want to
    /// run again, the tick resumes on its grid at the first grid point after `now`
    /// (the points skipped in between were no-ops). The one case that differs from
    /// ticking for ever is an input landing exactly on a grid point after that
    /// point's tick would have been due; py-ipv8 then runs the tick first (it was
    /// scheduled earlier), and so does this.
    fn settle(&mut self, now: Instant) {
        if !self.running {
            return;
        }
        let wanted = self.overlays.iter().any(|o| o.wants_tick());
        if !wanted {
            self.dormant = true;
        } else if self.dormant {
            self.dormant = false;
            if let Some(t) = self.next_tick.filter(|t| *t <= now) {
                let step = self.walker_interval.as_nanos().max(1);
                let behind = now.saturating_duration_since(t).as_nanos();
                let k = behind / step + 1;
                let skip = u64::try_from(k.saturating_mul(step)).unwrap_or(u64::MAX);
                self.next_tick = Some(t + Duration::from_nanos(skip));
            }
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next. Call after every
    /// input; `None` while stopped.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.running {
            return None;
        }
        self.overlays
            .iter()
            .filter_map(|o| o.poll_timeout())
            .chain(self.next_tick.filter(|_| !self.dormant))
            .min()
    }

    /// The next datagram to send. Call after every input until `None`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        if self.pending.is_empty() {
            let mut s = self.shared.borrow_mut();
            if s.out.is_empty() {
                // Drained: an idle node keeps no buffer (a burst's capacity would
                // otherwise stay allocated for the rest of the run).
                if self.pending.capacity() > 0 {
                    self.pending = VecDeque::new();
                }
                return None;
            }
            // Take the outbox's buffer as is (O(1)); the outbox starts empty again.
            self.pending = VecDeque::from(std::mem::take(&mut s.out));
        }
        self.pending.pop_front()
    }
}

#[cfg(test)]
mod dormant_tests;
