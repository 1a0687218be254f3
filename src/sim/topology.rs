//! [`TopologyLatency`]: latency from a petgraph network topology.
//!
//! Nodes are routers/sites, undirected edges are links with a latency and an optional
//! loss probability. Simulated hosts are placed on a list of *attachment* nodes (by a
//! [`Placement`]); a datagram follows the minimum-latency path between the hosts'
//! attachment nodes. All pairs are precomputed when the model is built (one Dijkstra
//! from each distinct attachment node), so a datagram costs two table look-ups. The
//! loss of a path is `1 - Π(1 - loss_e)` over its links; unreachable pairs lose every
//! datagram. Ties between equal-latency paths go to the first one found in node-index
//! order, so the result is deterministic.

use super::latency::{HostId, LatencyModel, Placement};
use super::seeds::SimRng;
use crate::runtime::Duration;
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::EdgeRef;
use rand::Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A link of a topology graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// One-way latency of the link.
    pub latency: Duration,
    /// Probability in `[0, 1]` that a datagram is lost on this link.
    pub loss: f64,
}

impl Link {
    /// A loss-free link.
    pub fn new(latency: Duration) -> Self {
        Link { latency, loss: 0.0 }
    }
}

/// The topology graph type: undirected, node weights unused.
pub type TopologyGraph = UnGraph<(), Link>;

/// Why a topology cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TopologyError {
    /// No attachment nodes were given.
    #[error("topology has no attachment nodes (hint: list the nodes hosts attach to)")]
    NoAttachments,
    /// An attachment node is not in the graph.
    #[error("attachment node {0} is not in the topology graph ({1} nodes)")]
    UnknownNode(usize, usize),
    /// A link's loss probability is outside `[0, 1]` (or NaN).
    #[error("link {0} has loss probability {1}, expected a value in [0, 1]")]
    BadLoss(usize, f64),
}

/// Latency model over a [`TopologyGraph`] (see the module docs).
#[derive(Clone, Debug)]
pub struct TopologyLatency {
    k: usize,
    /// `k × k` path latencies in ns; `u64::MAX` = unreachable.
    nanos: Vec<u64>,
    /// `k × k` path loss probabilities.
    loss: Vec<f64>,
    placement: Placement,
    rows: Vec<u32>,
}

/// Dijkstra from `src` tracking the survival probability along the chosen path.
fn shortest_from(g: &TopologyGraph, src: NodeIndex) -> (Vec<u64>, Vec<f64>) {
    let n = g.node_count();
    let mut dist = vec![u64::MAX; n];
    let mut surv = vec![0.0f64; n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    dist[src.index()] = 0;
    surv[src.index()] = 1.0;
    heap.push(Reverse((0u64, src.index())));
    while let Some(Reverse((d, u))) = heap.pop() {
        if done[u] {
            continue;
        }
        done[u] = true;
        for e in g.edges(NodeIndex::new(u)) {
            let v = if e.source().index() == u {
                e.target().index()
            } else {
                e.source().index()
            };
            let w = u64::try_from(e.weight().latency.as_nanos()).unwrap_or(u64::MAX);
            let nd = d.saturating_add(w);
            if nd < dist[v] {
                dist[v] = nd;
                surv[v] = surv[u] * (1.0 - e.weight().loss);
                heap.push(Reverse((nd, v)));
            }
        }
    }
    (dist, surv)
}

impl TopologyLatency {
    /// Precompute all attachment-pair paths of `graph`. Hosts are placed on
    /// `attachments` (by index in that list) with `placement`.
    pub fn new(
        graph: &TopologyGraph,
        attachments: &[NodeIndex],
        placement: Placement,
    ) -> Result<Self, TopologyError> {
        if attachments.is_empty() {
            return Err(TopologyError::NoAttachments);
        }
        for a in attachments {
            if a.index() >= graph.node_count() {
                return Err(TopologyError::UnknownNode(a.index(), graph.node_count()));
            }
        }
        for e in graph.edge_indices() {
            let l = graph[e].loss;
            if !(0.0..=1.0).contains(&l) {
                return Err(TopologyError::BadLoss(e.index(), l));
            }
        }
        let k = attachments.len();
        let mut nanos = vec![u64::MAX; k * k];
        let mut loss = vec![1.0; k * k];
        // One Dijkstra per distinct attachment node.
        let mut cache: std::collections::BTreeMap<usize, (Vec<u64>, Vec<f64>)> =
            std::collections::BTreeMap::new();
        for (i, a) in attachments.iter().enumerate() {
            let (dist, surv) = cache
                .entry(a.index())
                .or_insert_with(|| shortest_from(graph, *a));
            for (j, b) in attachments.iter().enumerate() {
                nanos[i * k + j] = dist[b.index()];
                loss[i * k + j] = 1.0 - surv[b.index()];
            }
        }
        Ok(TopologyLatency {
            k,
            nanos,
            loss,
            placement,
            rows: Vec::new(),
        })
    }

    /// The attachment index host `host` sits on.
    pub fn attachment_of(&mut self, host: HostId) -> usize {
        let h = host.0 as usize;
        while self.rows.len() <= h {
            let next = HostId(self.rows.len() as u32);
            self.rows.push(self.placement.row(next, self.k) as u32);
        }
        self.rows[h] as usize
    }

    /// Path latency and loss between attachment indices `i` and `j` (`None` latency =
    /// unreachable or out of range).
    pub fn path(&self, i: usize, j: usize) -> (Option<Duration>, f64) {
        if i >= self.k || j >= self.k {
            return (None, 1.0);
        }
        let d = self.nanos[i * self.k + j];
        let l = self.loss[i * self.k + j];
        if d == u64::MAX {
            (None, 1.0)
        } else {
            (Some(Duration::from_nanos(d)), l)
        }
    }
}

impl LatencyModel for TopologyLatency {
    fn one_way(&mut self, from: HostId, to: HostId, rng: &mut SimRng) -> Option<Duration> {
        let (i, j) = (self.attachment_of(from), self.attachment_of(to));
        let (d, loss) = self.path(i, j);
        let d = d?;
        if loss > 0.0 && rng.gen::<f64>() < loss {
            return None;
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_paths_and_loss() {
        // a -10- b -10- c, and a -50- c: a→c takes the 20 ms path through b.
        let mut g = TopologyGraph::new_undirected();
        let a = g.add_node(());
        let b = g.add_node(());
        let c = g.add_node(());
        let d = g.add_node(()); // isolated
        g.add_edge(
            a,
            b,
            Link {
                latency: Duration::from_millis(10),
                loss: 0.5,
            },
        );
        g.add_edge(b, c, Link::new(Duration::from_millis(10)));
        g.add_edge(a, c, Link::new(Duration::from_millis(50)));
        let t = TopologyLatency::new(&g, &[a, b, c, d], Placement::RoundRobin).unwrap();
        assert_eq!(t.path(0, 2), (Some(Duration::from_millis(20)), 0.5));
        assert_eq!(t.path(2, 0), (Some(Duration::from_millis(20)), 0.5));
        assert_eq!(t.path(1, 2), (Some(Duration::from_millis(10)), 0.0));
        assert_eq!(t.path(0, 0), (Some(Duration::ZERO), 0.0));
        assert_eq!(t.path(0, 3).0, None);
        assert_eq!(
            TopologyLatency::new(&g, &[], Placement::RoundRobin).unwrap_err(),
            TopologyError::NoAttachments
        );
        assert!(TopologyLatency::new(&g, &[NodeIndex::new(9)], Placement::RoundRobin).is_err());
    }
}
