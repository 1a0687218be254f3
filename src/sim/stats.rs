//! Counters of the simulated network: totals ([`NetStats`]) and per endpoint
//! ([`EndpointStats`]).
//!
//! Invariant (checked in tests): `sent_packets == delivered_packets + dropped_total()
//! + in flight`. A broadcast counts one sent packet per receiving endpoint.

/// Why the simulated network dropped a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// No endpoint owns the destination address (py-ipv8's simulation raised here).
    UnknownAddress,
    /// Lost by the loss probability or the latency model (incl. unroutable paths).
    Loss,
    /// The destination was closed at send time, or closed while it was in flight.
    Closed,
    /// Sender and receiver are in partitioned host groups.
    Partition,
}

impl DropReason {
    /// All reasons, in a fixed order (for report columns).
    pub const ALL: [DropReason; 4] = [
        DropReason::UnknownAddress,
        DropReason::Loss,
        DropReason::Closed,
        DropReason::Partition,
    ];

    /// A short snake_case name (`drop:<name>` report columns).
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::UnknownAddress => "unknown_address",
            DropReason::Loss => "loss",
            DropReason::Closed => "closed",
            DropReason::Partition => "partition",
        }
    }
}

/// Network-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Datagrams handed to the network by open endpoints (one per broadcast receiver).
    pub sent_packets: u64,
    /// Bytes of `sent_packets`.
    pub sent_bytes: u64,
    /// Datagrams handed to a destination's listeners.
    pub delivered_packets: u64,
    /// Bytes of `delivered_packets`.
    pub delivered_bytes: u64,
    /// Drops per reason, indexed like [`DropReason::ALL`].
    pub dropped: [u64; 4],
    /// `send` calls on closed endpoints (silent no-ops, not counted as sent).
    pub send_while_closed: u64,
    /// Broadcast calls (each copy is also counted in `sent_packets`).
    pub broadcasts: u64,
}

impl NetStats {
    /// Drops for one reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }

    /// Drops for all reasons.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    pub(crate) fn drop(&mut self, reason: DropReason) {
        self.dropped[reason as usize] += 1;
    }
}

/// Counters of one simulated endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Datagrams sent while open (broadcast copies count one each).
    pub packets_sent: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Datagrams delivered to this endpoint's listeners.
    pub packets_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
}
