//! What a run measures: message counts by type (a counting wrapper around each peer's
//! endpoint), per-peer milestones (time to first peer / to target, measured after
//! every received datagram, so they are exact), and the periodic samples written to
//! `metrics.csv` and `peers.csv` (columns: the brief's "Results CSV columns").
//!
//! Message types are told apart by the packet's 22-byte prefix (which overlay) and
//! byte 22 (the message id, spec §3): 246/234 introduction-request, 245/233
//! introduction-response, 250/232 puncture-request, 249/231 puncture; on the
//! DiscoveryCommunity prefix 1–4 are similarity-request/-response, ping, pong;
//! 235–248 otherwise unused are Dispersy's deprecated ids; a 29-byte beacon is a
//! `beacon`; anything else `other`. Counts are cumulative from t = 0 and cover the
//! scenario's peers only (bootstrap servers are not peers).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};

use crate::community::{DropReason as NodeDrop, NodeStats};
use crate::endpoint::{Endpoint, EndpointError, EndpointListener, ListenerId, Prefix};
use crate::node::Node;
use crate::runtime::Instant;
use crate::sim::stats::{DropReason as NetDrop, NetStats};
use crate::sim::{Sim, SimulatedEndpoint};
use crate::wire::{self, msg_id};

/// Message type names, in column order.
pub const MSG_KINDS: [&str; 11] = [
    "introduction-request",
    "introduction-response",
    "puncture-request",
    "puncture",
    "similarity-request",
    "similarity-response",
    "ping",
    "pong",
    "beacon",
    "deprecated",
    "other",
];

const K: usize = MSG_KINDS.len();

/// The message type (index into [`MSG_KINDS`]) of a datagram; `discovery` says
/// whether its prefix is the DiscoveryCommunity's.
pub fn classify(data: &[u8], discovery: bool) -> usize {
    if wire::parse_beacon(data).is_some() {
        return 8;
    }
    let Some(&id) = data.get(22) else {
        return 10;
    };
    match id {
        msg_id::INTRODUCTION_REQUEST | msg_id::INTRODUCTION_REQUEST_OLD => 0,
        msg_id::INTRODUCTION_RESPONSE | msg_id::INTRODUCTION_RESPONSE_OLD => 1,
        msg_id::PUNCTURE_REQUEST | msg_id::PUNCTURE_REQUEST_OLD => 2,
        msg_id::PUNCTURE | msg_id::PUNCTURE_OLD => 3,
        1 if discovery => 4,
        2 if discovery => 5,
        3 if discovery => 6,
        4 if discovery => 7,
        235..=248 => 9,
        _ => 10,
    }
}

/// Counters of one overlay (summed over peers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OverlayCounters {
    /// Sent, by message type.
    pub sent: [u64; K],
    /// Received, by message type.
    pub recv: [u64; K],
    /// Datagrams sent.
    pub msgs_sent: u64,
    /// Datagrams received.
    pub msgs_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// Message counters of all overlays.
#[derive(Debug, Default)]
pub struct Counters {
    /// Per overlay (index = overlay number).
    pub overlays: Vec<OverlayCounters>,
    /// `(prefix, overlay, is DiscoveryCommunity)`.
    prefixes: Vec<(Prefix, usize, bool)>,
}

impl Counters {
    /// Counters for overlays with these prefixes.
    pub fn new(prefixes: Vec<(Prefix, bool)>) -> Self {
        Counters {
            overlays: vec![OverlayCounters::default(); prefixes.len()],
            prefixes: prefixes
                .into_iter()
                .enumerate()
                .map(|(i, (p, d))| (p, i, d))
                .collect(),
        }
    }

    fn overlay_of(&self, data: &[u8]) -> Option<(usize, bool)> {
        let p = wire::parse_beacon(data).or_else(|| wire::packet_prefix(data))?;
        self.prefixes
            .iter()
            .find(|(q, _, _)| q == p)
            .map(|(_, i, d)| (*i, *d))
    }

    fn count(&mut self, data: &[u8], sent: bool) {
        if let Some((o, d)) = self.overlay_of(data) {
            let kind = classify(data, d);
            if let Some(c) = self.overlays.get_mut(o) {
                let len = data.len() as u64;
                if sent {
                    c.sent[kind] += 1;
                    c.msgs_sent += 1;
                    c.bytes_sent += len;
                } else {
                    c.recv[kind] += 1;
                    c.msgs_received += 1;
                    c.bytes_received += len;
                }
            }
        }
    }
}

/// Node counters accumulated over a peer's finished sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsAcc {
    /// Drops per reason (indexed like `community::DropReason::ALL`).
    pub drops: [u64; 10],
    /// Signatures made.
    pub signs: u64,
    /// Signatures verified.
    pub verifies: u64,
}

impl StatsAcc {
    /// Add one node's counters.
    pub fn add(&mut self, s: &NodeStats) {
        for (i, r) in NodeDrop::ALL.iter().enumerate() {
            self.drops[i] += s.drops(*r);
        }
        self.signs += s.signs;
        self.verifies += s.verifies;
    }
}

/// What is tracked live about one peer.
#[derive(Debug, Default)]
pub struct PeerLive {
    /// Online now.
    pub online: bool,
    /// First join.
    pub first_join: Option<Instant>,
    /// Last leave (cleared on rejoin).
    pub last_leave: Option<Instant>,
    /// First time the peer had ≥ 1 verified peer.
    pub first_peer: Option<Instant>,
    /// First time it had ≥ its walker target.
    pub at_target: Option<Instant>,
    /// The walker target (None: no target).
    pub target: Option<usize>,
    /// Datagrams sent (all sessions).
    pub msgs_sent: u64,
    /// Datagrams received (all sessions).
    pub msgs_received: u64,
    /// Node counters of finished sessions.
    pub past: StatsAcc,
}

/// A peer's endpoint with counting (what the peer's driver is given).
pub struct CountingEndpoint {
    inner: SimulatedEndpoint,
    live: Rc<RefCell<PeerLive>>,
    counters: Rc<RefCell<Counters>>,
    node: Weak<RefCell<Node>>,
    sim: Sim,
}

impl CountingEndpoint {
    /// Wrap `inner` for the peer whose node is `node`.
    pub fn new(
        inner: SimulatedEndpoint,
        live: Rc<RefCell<PeerLive>>,
        counters: Rc<RefCell<Counters>>,
        node: &Rc<RefCell<Node>>,
        sim: Sim,
    ) -> Self {
        CountingEndpoint {
            inner,
            live,
            counters,
            node: Rc::downgrade(node),
            sim,
        }
    }

    fn count_sent(&self, data: &[u8]) {
        self.live.borrow_mut().msgs_sent += 1;
        self.counters.borrow_mut().count(data, true);
    }
}

struct CountingListener {
    inner: Rc<dyn EndpointListener>,
    live: Rc<RefCell<PeerLive>>,
    counters: Rc<RefCell<Counters>>,
    node: Weak<RefCell<Node>>,
    sim: Sim,
}

impl EndpointListener for CountingListener {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        self.live.borrow_mut().msgs_received += 1;
        self.counters.borrow_mut().count(data, false);
        self.inner.on_packet(source, data);
        // Verified peers only change when a datagram is handled: check milestones now.
        let pending = {
            let l = self.live.borrow();
            l.first_peer.is_none() || (l.target.is_some() && l.at_target.is_none())
        };
        if pending {
            if let Some(node) = self.node.upgrade() {
                let n = node
                    .try_borrow()
                    .ok()
                    .and_then(|n| n.overlays().first().map(|o| o.peer_count()));
                if let Some(count) = n {
                    let now = self.sim.now();
                    let mut l = self.live.borrow_mut();
                    if count >= 1 && l.first_peer.is_none() {
                        l.first_peer = Some(now);
                    }
                    if l.target.is_some_and(|t| count >= t) && l.at_target.is_none() {
                        l.at_target = Some(now);
                    }
                }
            }
        }
    }
}

impl Endpoint for CountingEndpoint {
    fn send(&self, to: SocketAddr, data: Vec<u8>) {
        if self.inner.is_open() {
            self.count_sent(&data);
        }
        self.inner.send(to, data);
    }

    fn add_listener(
        &self,
        prefix: Option<Prefix>,
        listener: Rc<dyn EndpointListener>,
    ) -> ListenerId {
        let wrapped = CountingListener {
            inner: listener,
            live: self.live.clone(),
            counters: self.counters.clone(),
            node: self.node.clone(),
            sim: self.sim.clone(),
        };
        self.inner.add_listener(prefix, Rc::new(wrapped))
    }

    fn remove_listener(&self, id: ListenerId) {
        self.inner.remove_listener(id)
    }

    fn open(&self) -> Result<(), EndpointError> {
        self.inner.open()
    }

    fn close(&self) {
        self.inner.close()
    }

    fn is_open(&self) -> bool {
        self.inner.is_open()
    }

    fn local_address(&self) -> SocketAddr {
        self.inner.local_address()
    }

    fn wan_address(&self) -> SocketAddr {
        self.inner.wan_address()
    }

    fn broadcast(&self, data: Vec<u8>) {
        if self.inner.is_open() {
            self.count_sent(&data);
        }
        Endpoint::broadcast(&self.inner, data)
    }
}

/// One overlay's row of one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRow {
    /// Sample time.
    pub time: Instant,
    /// Overlay name.
    pub overlay: String,
    /// Online peers running the overlay.
    pub peers_online: usize,
    /// The verified-peer counts of the online peers, summarised (a sample keeps no
    /// per-peer data: memory stays flat however long the run).
    pub verified: VerifiedSummary,
    /// Walker target (−1 none).
    pub target: i64,
    /// Message counters of the overlay (cumulative).
    pub counters: OverlayCounters,
    /// Node drops of all peers (cumulative, all overlays).
    pub node_drops: [u64; 10],
    /// Network counters (cumulative).
    pub net: NetStats,
}

/// The `verified_*` and `fraction_at_target` columns of one sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VerifiedSummary {
    /// Number of values.
    pub count: usize,
    /// Their sum.
    pub sum: usize,
    /// Nearest-rank 10th percentile.
    pub p10: Option<usize>,
    /// Median.
    pub p50: Option<usize>,
    /// 90th percentile.
    pub p90: Option<usize>,
    /// Minimum.
    pub min: Option<usize>,
    /// Maximum.
    pub max: Option<usize>,
    /// How many are at or above the target (0 without a target).
    pub at_target: usize,
}

impl VerifiedSummary {
    /// The summary of `sorted` (ascending) for walker target `target` (−1: none).
    pub fn of(sorted: &[usize], target: i64) -> Self {
        VerifiedSummary {
            count: sorted.len(),
            sum: sorted.iter().sum(),
            p10: quantile(sorted, 0.1),
            p50: quantile(sorted, 0.5),
            p90: quantile(sorted, 0.9),
            min: sorted.first().copied(),
            max: sorted.last().copied(),
            at_target: usize::try_from(target)
                .map_or(0, |t| sorted.iter().filter(|&&x| x >= t).count()),
        }
    }
}

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[usize], q: f64) -> Option<usize> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
}

/// Seconds of an instant as written in results (shortest exact decimal).
pub fn secs(t: Instant) -> String {
    let ns = t.as_nanos();
    let (s, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        format!("{s}")
    } else {
        let f = format!("{frac:09}");
        format!("{s}.{}", f.trim_end_matches('0'))
    }
}

/// The `metrics.csv` header.
pub fn metrics_header() -> String {
    let mut h = String::from(
        "time_s,overlay,peers_online,verified_mean,verified_p10,verified_p50,verified_p90,\
         verified_min,verified_max,target,fraction_at_target,msgs_sent,msgs_received,\
         bytes_sent,bytes_received",
    );
    for k in MSG_KINDS {
        let _ = write!(h, ",sent:{k}");
    }
    for k in MSG_KINDS {
        let _ = write!(h, ",recv:{k}");
    }
    for r in NodeDrop::ALL {
        let _ = write!(h, ",drop:{}", r.name());
    }
    for r in NetDrop::ALL {
        let _ = write!(h, ",drop:{}", r.as_str());
    }
    h.push('\n');
    h
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl SampleRow {
    /// The row as a `metrics.csv` line (empty cells where no peer is online).
    pub fn to_csv(&self) -> String {
        let v = &self.verified;
        let opt = |x: Option<usize>| x.map_or(String::new(), |x| x.to_string());
        let mean = if v.count == 0 {
            String::new()
        } else {
            format!("{:.4}", v.sum as f64 / v.count as f64)
        };
        let frac = if v.count == 0 || self.target < 0 {
            String::new()
        } else {
            format!("{:.4}", v.at_target as f64 / v.count as f64)
        };
        let c = &self.counters;
        let mut s = format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            secs(self.time),
            csv_field(&self.overlay),
            self.peers_online,
            mean,
            opt(v.p10),
            opt(v.p50),
            opt(v.p90),
            opt(v.min),
            opt(v.max),
            self.target,
            frac,
            c.msgs_sent,
            c.msgs_received,
            c.bytes_sent,
            c.bytes_received
        );
        for x in c
            .sent
            .iter()
            .chain(c.recv.iter())
            .chain(self.node_drops.iter())
        {
            let _ = write!(s, ",{x}");
        }
        for r in NetDrop::ALL {
            let _ = write!(s, ",{}", self.net.dropped(r));
        }
        s.push('\n');
        s
    }
}

/// The `peers.csv` header.
pub const PEERS_HEADER: &str = "peer,group,join_s,leave_s,time_to_first_peer_s,time_to_target_s,final_degree,msgs_sent,msgs_received\n";

/// One `peers.csv` line.
pub fn peer_line(peer: usize, group: &str, live: &PeerLive, final_degree: Option<usize>) -> String {
    let since_join = |t: Option<Instant>| match (t, live.first_join) {
        (Some(t), Some(j)) => secs(Instant::from_nanos(t.as_nanos() - j.as_nanos())),
        _ => String::new(),
    };
    format!(
        "{peer},{},{},{},{},{},{},{},{}\n",
        csv_field(group),
        live.first_join.map_or(String::new(), secs),
        if live.online {
            String::new()
        } else {
            live.last_leave.map_or(String::new(), secs)
        },
        since_join(live.first_peer),
        since_join(live.at_target),
        final_degree.map_or(String::new(), |d| d.to_string()),
        live.msgs_sent,
        live.msgs_received
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_id_and_prefix() {
        let mut p = vec![0u8; 22];
        p.push(234);
        assert_eq!(MSG_KINDS[classify(&p, false)], "introduction-request");
        p[22] = 245;
        assert_eq!(MSG_KINDS[classify(&p, false)], "introduction-response");
        p[22] = 1;
        assert_eq!(MSG_KINDS[classify(&p, true)], "similarity-request");
        assert_eq!(MSG_KINDS[classify(&p, false)], "other");
        p[22] = 240;
        assert_eq!(MSG_KINDS[classify(&p, false)], "deprecated");
        assert_eq!(MSG_KINDS[classify(&p[..10], false)], "other");
        let b = wire::broadcast_beacon(&[7; 22]);
        assert_eq!(MSG_KINDS[classify(&b, false)], "beacon");
    }

    #[test]
    fn secs_is_exact() {
        assert_eq!(secs(Instant::from_secs(2)), "2");
        assert_eq!(secs(Instant::from_millis(1500)), "1.5");
        assert_eq!(secs(Instant::from_nanos(1)), "0.000000001");
    }

    #[test]
    fn row_stats() {
        let r = SampleRow {
            time: Instant::from_secs(4),
            overlay: "t".into(),
            peers_online: 4,
            verified: VerifiedSummary::of(&[1, 2, 3, 10], 3),
            target: 3,
            counters: OverlayCounters::default(),
            node_drops: [0; 10],
            net: NetStats::default(),
        };
        let line = r.to_csv();
        assert!(
            line.starts_with("4,t,4,4.0000,1,3,10,1,10,3,0.5000,"),
            "{line}"
        );
        assert_eq!(
            line.trim_end().split(',').count(),
            metrics_header().trim_end().split(',').count()
        );
    }
}
