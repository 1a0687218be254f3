//! From a validated scenario and a seed to a ready-to-run [`World`]: the simulated
//! network and its latency model, bootstrap servers, peers (keys from the seed), and
//! everything scheduled up front — samples first, so that a sample sorts before any
//! other event at the same instant (py-ipv8's reference sampled before its peers
//! ticked), then group joins, timeline events, churn.
//!
//! Hosts: bootstrap servers are hosts `0..servers`, then the peers group by group, so
//! addresses depend only on the scenario. All randomness comes from
//! [`crate::sim::seeds`]: keys `(seed, peer, "keys")`, protocol RNG
//! `(seed, peer, "protocol/<session>")`, join spread `(seed, peer, "scenario")`,
//! host placement and churn sampling from dedicated streams.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha1::{Digest, Sha1};

use super::format::*;
use super::metrics::{Counters, CountingEndpoint, PeerLive, SampleRow};
use super::{Scenario, ScenarioError};
use crate::bootstrap::server::BootstrapServer;
use crate::bootstrap::{DispersyBootstrapper, UdpBroadcastBootstrapper};
use crate::community::{
    Community, CommunityBase, CommunitySettings, KeyCache, NodeContext, Walker,
};
use crate::crypto::{KeyKind, PrivateKey};
use crate::discovery::{
    DiscoveryCommunity, EdgeWalk, PeriodicSimilarity, RandomChurn, RandomWalk, NULL_ADDRESS,
};
use crate::endpoint::Endpoint;
use crate::node::driver::Driver;
use crate::node::Node;
use crate::runtime::{Clock, Duration, Instant};
use crate::sim::datasets::assign_hosts;
use crate::sim::seeds::{derive_u64, node_rng, purpose};
use crate::sim::trace::{
    ChurnEventKind, ChurnTrace, NodeSample, PeerOrder, ReplayOptions, WindowStart,
};
use crate::sim::{
    ConstantLatency, HostId, JitterLatency, LatencyMatrix, LatencyModel, Placement, Sim,
    SimNetwork, SimRng, SimulatedEndpoint, TopologyGraph, TopologyLatency, ZeroLatency,
};
use crate::wire::Prefix;

/// A plain community with a fixed id and no messages of its own (py-ipv8: a bare
/// `Community` subclass, as in the docs' examples).
pub struct PlainCommunity {
    base: CommunityBase<Self>,
}

impl PlainCommunity {
    /// A community with id `id`.
    pub fn new(id: [u8; 20], settings: CommunitySettings) -> Self {
        PlainCommunity {
            base: CommunityBase::new(id, settings),
        }
    }
}

impl Community for PlainCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
}

/// The community id of a community name when the file gives none:
/// SHA-1 of `ipv8sim/community/<name>`.
pub fn default_community_id(name: &str) -> [u8; 20] {
    Sha1::digest(format!("ipv8sim/community/{name}").as_bytes()).into()
}

/// An overlay of the run (one per distinct community name).
#[derive(Clone, Debug)]
pub struct OverlayInfo {
    /// Name (the `community` of its groups).
    pub name: String,
    /// Community id.
    pub id: [u8; 20],
    /// Walker target (−1: none): the largest finite target of its groups.
    pub target: i64,
}

/// One simulated peer.
pub struct PeerSlot {
    /// Group index.
    pub group: usize,
    /// Overlay index.
    pub overlay: usize,
    /// Its endpoint (one host, fixed address).
    pub endpoint: SimulatedEndpoint,
    /// Its key (kept across sessions).
    pub key: Rc<PrivateKey>,
    /// The running node's driver.
    pub driver: Option<Rc<Driver>>,
    /// Sessions started so far.
    pub sessions: u64,
    /// Live tracking.
    pub live: Rc<RefCell<PeerLive>>,
}

/// Everything a run consists of.
pub struct World {
    /// The executor.
    pub sim: Sim,
    /// The network.
    pub net: SimNetwork,
    /// The seed.
    pub seed: u64,
    /// The scenario.
    pub scenario: Scenario,
    /// Group names.
    pub group_names: Vec<String>,
    /// Overlays.
    pub overlays: Vec<OverlayInfo>,
    /// Peers (global index).
    pub peers: RefCell<Vec<PeerSlot>>,
    /// First global peer index of each group, and its peer count.
    pub group_ranges: Vec<(usize, usize)>,
    /// Message counters.
    pub counters: Rc<RefCell<Counters>>,
    /// Bootstrap servers' drivers.
    pub servers: Vec<Rc<Driver>>,
    /// Bootstrap server addresses (one list, shared by every node's bootstrapper).
    pub server_addrs: Rc<[SocketAddr]>,
    /// The simulation clock, shared by every node's driver.
    clock: Rc<dyn Clock>,
    /// Collected samples.
    pub samples: RefCell<Vec<SampleRow>>,
    /// The churn trace, if any.
    pub churn: Option<ChurnTrace>,
    keys: Rc<RefCell<KeyCache>>,
}

/// A latency model over a matrix with an explicit host → row table.
struct RowsLatency {
    matrix: Rc<LatencyMatrix>,
    rows: Vec<u32>,
}

impl LatencyModel for RowsLatency {
    fn one_way(&mut self, from: HostId, to: HostId, _: &mut SimRng) -> Option<Duration> {
        let n = self.matrix.len().max(1);
        let row = |h: HostId| {
            self.rows
                .get(h.0 as usize)
                .map_or(h.0 as usize % n, |r| *r as usize)
        };
        self.matrix.one_way(row(from), row(to))
    }
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v.max(0.0) / 1000.0)
}

fn secs(v: f64) -> Instant {
    Instant::from_nanos((v.max(0.0) * 1e9).round() as u64)
}

/// Build a latency model from `spec` (located at dotted `key`) for `hosts` hosts.
pub fn latency_model(
    s: &Scenario,
    key: &str,
    spec: &LatencySpec,
    seed: u64,
    hosts: usize,
) -> Result<Box<dyn LatencyModel>, ScenarioError> {
    let src = &s.source;
    let k = |x: &str| format!("{key}.{x}");
    Ok(match spec.model {
        LatencyKind::Zero => Box::new(ZeroLatency),
        LatencyKind::Constant => Box::new(ConstantLatency(ms(spec.ms.unwrap_or(0.0)))),
        LatencyKind::Jitter => {
            let base = ms(spec.ms.unwrap_or(0.0));
            Box::new(match (spec.spread_ms, spec.std_ms) {
                (_, Some(sd)) => JitterLatency::normal(base, ms(sd)),
                (spread, None) => JitterLatency::uniform(base, ms(spread.unwrap_or(0.0))),
            })
        }
        LatencyKind::Matrix => {
            let file = spec.file.clone().unwrap_or_default();
            let path = s.resolve(&file);
            let matrix = LatencyMatrix::load(&path).map_err(|e| {
                src.error(
                    &k("file"),
                    e.to_string(),
                    "the plain latency-matrix format is described in traces/README.md",
                )
            })?;
            let n = matrix.len();
            let mut rng = node_rng(seed, u64::MAX, purpose::PLACEMENT);
            let rows: Vec<usize> = match spec.placement.unwrap_or(PlacementKind::Uniform) {
                PlacementKind::Uniform => assign_hosts(hosts, n, None, &mut rng).map_err(|e| {
                    src.error(
                        &k("file"),
                        e.to_string(),
                        "the matrix needs at least one host",
                    )
                })?,
                PlacementKind::RoundRobin => (0..hosts).map(|h| h % n.max(1)).collect(),
                PlacementKind::Distinct => {
                    if hosts > n {
                        return Err(src.error(
                            &k("placement"),
                            format!("the matrix {} has {n} rows but the scenario needs {hosts} hosts (bootstrap servers + peers), one row each", path.display()),
                            "use placement = \"uniform\" (several peers per row) or a larger matrix",
                        ));
                    }
                    (0..hosts).collect()
                }
                PlacementKind::Weighted => {
                    let w = weights(s, key, spec, &matrix)?;
                    assign_hosts(hosts, n, Some(&w), &mut rng).map_err(|e| {
                        src.error(
                            &k("placement"),
                            e.to_string(),
                            "weights must be ≥ 0 and not all zero",
                        )
                    })?
                }
            };
            Box::new(RowsLatency {
                matrix: Rc::new(matrix),
                rows: rows.into_iter().map(|r| r as u32).collect(),
            })
        }
        LatencyKind::Topology => {
            let n = spec.nodes.unwrap_or(1).max(1) as usize;
            let mut g = TopologyGraph::with_capacity(n, 0);
            let idx: Vec<_> = (0..n).map(|_| g.add_node(())).collect();
            for l in spec.links.iter().flatten() {
                let (a, b) = (l[0] as usize, l[1] as usize);
                g.add_edge(
                    idx[a],
                    idx[b],
                    crate::sim::Link {
                        latency: ms(l[2]),
                        loss: l.get(3).copied().unwrap_or(0.0),
                    },
                );
            }
            let attach: Vec<_> = match &spec.attach {
                Some(a) => a.iter().map(|i| idx[*i as usize]).collect(),
                None => idx.clone(),
            };
            let placement = match spec.placement {
                Some(PlacementKind::RoundRobin) => Placement::RoundRobin,
                _ => Placement::Seeded(derive_u64(seed, u64::MAX, purpose::PLACEMENT)),
            };
            Box::new(TopologyLatency::new(&g, &attach, placement).map_err(|e| {
                src.error(
                    &k("links"),
                    e.to_string(),
                    "check the topology's nodes, links and attach lists",
                )
            })?)
        }
    })
}

/// The per-row weights of a weighted matrix placement.
fn weights(
    s: &Scenario,
    key: &str,
    spec: &LatencySpec,
    m: &LatencyMatrix,
) -> Result<Vec<f64>, ScenarioError> {
    let src = &s.source;
    let n = m.len();
    if let Some(w) = &spec.weights {
        if w.len() != n {
            return Err(src.error(
                &format!("{key}.weights"),
                format!("{} weights for a matrix of {n} rows", w.len()),
                "give one weight per matrix row, in row order (or use city_weights)",
            ));
        }
        return Ok(w.clone());
    }
    let mut out = vec![0.0; n];
    let mut set = |name: &str, v: f64, where_: &str| -> Result<(), ScenarioError> {
        match m.names().iter().position(|x| x == name) {
            Some(i) => {
                out[i] = v;
                Ok(())
            }
            None => Err(src.error(
                where_,
                format!("`{name}` is not a host of the matrix"),
                format!(
                    "host names are the matrix header, e.g. {}",
                    m.names()
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    };
    if let Some(cw) = &spec.city_weights {
        for (name, v) in cw {
            set(name, *v, &format!("{key}.city_weights.{name}"))?;
        }
    } else if let (Some(file), Some(col)) = (&spec.weights_file, &spec.weights_column) {
        let path = s.resolve(file);
        let fk = format!("{key}.weights_file");
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_path(&path)
            .map_err(|e| {
                src.error(
                    &fk,
                    format!("{}: {e}", path.display()),
                    "a CSV file with a header",
                )
            })?;
        let headers = rdr
            .headers()
            .map_err(|e| src.error(&fk, e.to_string(), "a CSV file with a header"))?
            .clone();
        let name_i = headers.iter().position(|h| h == "name").ok_or_else(|| {
            src.error(
                &fk,
                format!("{} has no `name` column", path.display()),
                "the column `name` holds matrix host names",
            )
        })?;
        let col_i = headers.iter().position(|h| h == col).ok_or_else(|| {
            src.error(
                &format!("{key}.weights_column"),
                format!("{} has no column `{col}`", path.display()),
                format!(
                    "columns are: {}",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        for (line, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| src.error(&fk, e.to_string(), "a well-formed CSV file"))?;
            let name = rec.get(name_i).unwrap_or("");
            let v: f64 = rec.get(col_i).unwrap_or("").trim().parse().map_err(|_| {
                src.error(
                    &fk,
                    format!(
                        "{} line {}: `{col}` is not a number",
                        path.display(),
                        line + 2
                    ),
                    "weights are numbers ≥ 0",
                )
            })?;
            set(name, v, &fk)?;
        }
    }
    Ok(out)
}

impl World {
    /// Signatures made and verified so far by every host, per key kind.
    pub fn crypto_counts(&self) -> crate::community::CryptoCounts {
        self.keys.borrow().counts()
    }

    /// The crypto options the world runs with.
    pub fn crypto_options(&self) -> crate::community::CryptoOptions {
        self.keys.borrow().options()
    }

    /// Time every sign and verify call on the wall clock from now on (for the crypto
    /// floor; changes nothing in the simulation).
    pub fn time_crypto_calls(&self) {
        self.keys.borrow_mut().time_calls();
    }

    /// Wall seconds spent inside sign and verify calls since
    /// [`time_crypto_calls`](Self::time_crypto_calls).
    pub fn crypto_call_time_s(&self) -> Option<f64> {
        self.keys.borrow().call_time_s()
    }

    /// What the verify pool did (`None` without one; not reproducible).
    pub fn crypto_pool_stats(&self) -> Option<crate::community::PoolStats> {
        self.keys.borrow().pool_stats()
    }

    /// Stop the verify pool's threads (also done when the world is dropped).
    pub fn shutdown_crypto(&self) {
        self.keys.borrow_mut().shutdown();
    }

    /// Build the network, servers, peers and schedule for `seed`.
    pub fn build(scenario: &Scenario, seed: u64) -> Result<Rc<World>, ScenarioError> {
        let f = &scenario.file;
        let src = &scenario.source;
        let group_names: Vec<String> = f
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| g.display_name(i))
            .collect();

        // Churn first: it decides its group's peer count.
        let churn = match &f.churn {
            Some(c) => {
                let gi = group_names.iter().position(|n| *n == c.group).unwrap_or(0);
                let opts = ReplayOptions {
                    time_scale: c.time_scale,
                    start: match c.start_unix_ms {
                        Some(ms) => WindowStart::UnixMs(ms.max(0) as u64),
                        None => WindowStart::AfterFirstJoin(Duration::from_secs_f64(c.start)),
                    },
                    duration: c.window.map(Duration::from_secs_f64),
                    max_nodes: Some(f.groups[gi].count.max(0) as usize),
                    sample: match c.sample {
                        ChurnSample::First => NodeSample::First,
                        ChurnSample::Random => NodeSample::Random,
                    },
                    order: match c.order {
                        ChurnOrder::FirstJoin => PeerOrder::FirstJoin,
                        ChurnOrder::NodeId => PeerOrder::NodeId,
                    },
                };
                let mut rng = node_rng(seed, u64::MAX, "churn");
                let t = ChurnTrace::load(&scenario.resolve(&c.trace), &opts, &mut rng).map_err(
                    |e| {
                        src.error(
                            "churn.trace",
                            e.to_string(),
                            "a session file as described in traces/README.md",
                        )
                    },
                )?;
                Some((gi, t))
            }
            None => None,
        };
        let counts: Vec<usize> = f
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| match &churn {
                Some((gi, t)) if *gi == i => t.peers,
                _ => g.count.max(0) as usize,
            })
            .collect();
        let servers = f.bootstrap.servers.max(0) as usize;
        let hosts = servers + counts.iter().sum::<usize>();

        let sim = Sim::new();
        let net = SimNetwork::new(&sim, seed);
        net.set_latency_model(latency_model(
            scenario,
            "network.latency",
            &f.network.latency,
            seed,
            hosts,
        )?);
        net.set_loss(f.network.loss);
        let keys = Rc::new(RefCell::new(KeyCache::with_options(
            hosts.saturating_mul(2).max(4096),
            f.crypto_options(),
        )));

        // Overlays: one per community name, in order of first mention.
        let mut overlays: Vec<OverlayInfo> = Vec::new();
        let mut group_overlay = Vec::new();
        for g in &f.groups {
            let id = match &g.community_id {
                _ if g.community == DISCOVERY_COMMUNITY => {
                    crate::community::payload::DISCOVERY_COMMUNITY_ID
                }
                Some(h) => {
                    let mut id = [0u8; 20];
                    hex::decode_to_slice(h, &mut id)
                        .map_err(|_| src.error("group", "bad community_id", "40 hex digits"))?;
                    id
                }
                None => default_community_id(&g.community),
            };
            let target = walkers_of(g)
                .iter()
                .map(|w| w.target)
                .filter(|t| *t >= 0)
                .max()
                .unwrap_or(-1);
            let oi = match overlays.iter().position(|o| o.name == g.community) {
                Some(i) => {
                    overlays[i].target = overlays[i].target.max(target);
                    i
                }
                None => {
                    overlays.push(OverlayInfo {
                        name: g.community.clone(),
                        id,
                        target,
                    });
                    overlays.len() - 1
                }
            };
            group_overlay.push(oi);
        }
        let prefixes: Vec<(Prefix, bool)> = overlays
            .iter()
            .map(|o| (crate::wire::prefix(&o.id), o.name == DISCOVERY_COMMUNITY))
            .collect();
        let counters = Rc::new(RefCell::new(Counters::new(prefixes)));

        // Bootstrap servers: hosts 0..servers, started now (t = 0).
        let clock: Rc<dyn Clock> = Rc::new(sim.clock());
        let mut server_drivers = Vec::new();
        let mut server_addrs = Vec::new();
        for i in 0..servers as u64 {
            let mut krng = node_rng(seed, i, "server-keys");
            let kind = KeyKind::from_name("very-low")
                .map_err(|e| src.error("bootstrap.servers", e.to_string(), ""))?;
            let key = Rc::new(
                PrivateKey::generate(kind, &mut krng)
                    .map_err(|e| src.error("bootstrap.servers", e.to_string(), ""))?,
            );
            let rng = ChaCha8Rng::seed_from_u64(derive_u64(seed, i, "server-protocol"));
            let shared = Rc::new(RefCell::new(NodeContext::new(rng, keys.clone())));
            let server = BootstrapServer::new(CommunitySettings::new(shared.clone(), key));
            let mut node = Node::new(shared, crate::node::DEFAULT_WALKER_INTERVAL);
            node.add_overlay(server, Vec::new());
            // py-ipv8's simulation setup (see `start_node`), servers included.
            node.estimated_lan = Some(NULL_ADDRESS);
            node.wan_from_endpoint = true;
            let node = Rc::new(RefCell::new(node));
            let ep = net.new_endpoint();
            server_addrs.push(ep.wan_address());
            let driver = Driver::new(node, Rc::new(ep), clock.clone());
            driver
                .start()
                .map_err(|e| src.error("bootstrap.servers", e.to_string(), ""))?;
            sim.spawn(driver.clone().run()).detach();
            server_drivers.push(driver);
        }

        // Peers: keys and hosts up front.
        let mut peers = Vec::new();
        let mut group_ranges = Vec::new();
        for (gi, g) in f.groups.iter().enumerate() {
            group_ranges.push((peers.len(), counts[gi]));
            let kind = KeyKind::from_name(&g.key)
                .map_err(|e| src.error(&format!("group.{gi}.key"), e.to_string(), ""))?;
            let domain = bootstrappers_of(g, servers)
                .iter()
                .find_map(|b| match b.kind {
                    BootstrapperKind::Broadcast => Some(b.domain.unwrap_or(0).max(0) as u32),
                    BootstrapperKind::Dispersy => None,
                });
            for _ in 0..counts[gi] {
                let p = peers.len() as u64;
                let mut krng = node_rng(seed, p, purpose::KEYS);
                let key = PrivateKey::generate(kind, &mut krng)
                    .map_err(|e| src.error(&format!("group.{gi}.key"), e.to_string(), ""))?;
                let endpoint = net.new_endpoint();
                if domain.is_some() {
                    net.set_broadcast_domain(endpoint.host(), domain);
                }
                net.set_group(endpoint.host(), gi as u32 + 1);
                let target = walkers_of(g)
                    .iter()
                    .map(|w| w.target)
                    .filter(|t| *t >= 0)
                    .max();
                let live = PeerLive {
                    target: target.map(|t| t as usize),
                    ..PeerLive::default()
                };
                peers.push(PeerSlot {
                    group: gi,
                    overlay: group_overlay[gi],
                    endpoint,
                    key: Rc::new(key),
                    driver: None,
                    sessions: 0,
                    live: Rc::new(RefCell::new(live)),
                });
            }
        }

        let world = Rc::new(World {
            sim,
            net,
            seed,
            scenario: scenario.clone(),
            group_names,
            overlays,
            peers: RefCell::new(peers),
            group_ranges,
            counters,
            servers: server_drivers,
            server_addrs: server_addrs.into(),
            clock,
            samples: RefCell::new(Vec::new()),
            churn: churn.as_ref().map(|(_, t)| t.clone()),
            keys,
        });
        world.schedule(churn.map(|(gi, _)| gi))?;
        Ok(world)
    }

    /// Schedule samples, joins, events and churn (in that order: see module docs).
    fn schedule(self: &Rc<Self>, churn_group: Option<usize>) -> Result<(), ScenarioError> {
        let f = &self.scenario.file;
        let end = secs(f.duration).as_nanos();
        let step = secs(f.sample_interval).as_nanos().max(1);
        let mut t = 0u64;
        while t <= end {
            let w = self.clone();
            self.sim
                .schedule_at(Instant::from_nanos(t), move || w.sample());
            t += step;
        }
        // Group joins.
        let mut joins: Vec<(Instant, usize)> = Vec::new();
        for (gi, g) in f.groups.iter().enumerate() {
            if !g.auto_join || churn_group == Some(gi) {
                continue;
            }
            let (first, n) = self.group_ranges[gi];
            for p in first..first + n {
                let at = if g.join_spread > 0.0 {
                    let u: f64 = node_rng(self.seed, p as u64, purpose::SCENARIO).gen();
                    g.join + u * g.join_spread
                } else {
                    g.join
                };
                joins.push((secs(at), p));
            }
        }
        joins.sort();
        for (at, p) in joins {
            let w = self.clone();
            self.sim.schedule_at(at, move || w.join(p));
        }
        // Timeline events, in file order.
        for (i, e) in f.events.iter().enumerate() {
            let w = self.clone();
            // Latency models are built now so that file errors surface before the run.
            let model = match (&e.action, &e.latency) {
                (Action::Latency, Some(l)) => {
                    let hosts = self.net.host_count();
                    Some(latency_model(
                        &self.scenario,
                        &format!("event.{i}.latency"),
                        l,
                        self.seed,
                        hosts,
                    )?)
                }
                _ => None,
            };
            let model = RefCell::new(model);
            self.sim.schedule_at(secs(e.at), move || {
                w.apply_event(i, model.borrow_mut().take())
            });
        }
        if let (Some(gi), Some(trace)) = (churn_group, &self.churn) {
            let first = self.group_ranges[gi].0;
            for ev in trace.events() {
                let w = self.clone();
                let p = first + ev.peer;
                match ev.kind {
                    ChurnEventKind::Join => self.sim.schedule_at(ev.time, move || w.join(p)),
                    ChurnEventKind::Leave => {
                        self.sim.schedule_at(ev.time, move || w.leave(p, false))
                    }
                };
            }
        }
        Ok(())
    }

    /// Start a fresh node for peer `p` (same key and address as before).
    pub fn join(&self, p: usize) {
        let f = &self.scenario.file;
        let mut peers = self.peers.borrow_mut();
        let Some(slot) = peers.get_mut(p) else { return };
        if slot.driver.is_some() {
            return;
        }
        let g = &f.groups[slot.group];
        let purpose = format!("{}/{}", purpose::PROTOCOL, slot.sessions);
        let rng = ChaCha8Rng::seed_from_u64(derive_u64(self.seed, p as u64, &purpose));
        slot.sessions += 1;
        let shared = Rc::new(RefCell::new(NodeContext::new(rng, self.keys.clone())));
        let mut settings = CommunitySettings::new(shared.clone(), slot.key.clone());
        settings.max_peers = g.max_peers;
        let node = Node::new(shared, Duration::from_secs_f64(g.walker_interval));
        let driver = if g.community == DISCOVERY_COMMUNITY {
            let community = DiscoveryCommunity::new(settings);
            let walkers = walkers_of(g).iter().map(make_discovery_walker).collect();
            self.start_node(slot, node, community, walkers, g)
        } else {
            let community = PlainCommunity::new(self.overlays[slot.overlay].id, settings);
            let walkers = walkers_of(g).iter().map(make_walker).collect();
            self.start_node(slot, node, community, walkers, g)
        };
        let Some(driver) = driver else {
            return;
        };
        slot.driver = Some(driver);
        let now = self.sim.now();
        let mut l = slot.live.borrow_mut();
        l.online = true;
        l.first_join.get_or_insert(now);
        l.last_leave = None;
    }

    /// Give `community` its bootstrappers, add it to `node` and start the node on the
    /// peer's (counting) endpoint.
    fn start_node<C: Community>(
        &self,
        slot: &PeerSlot,
        mut node: Node,
        mut community: C,
        walkers: Vec<Walker<C>>,
        g: &GroupSpec,
    ) -> Option<Rc<Driver>> {
        for b in bootstrappers_of(g, self.servers.len()) {
            let timeout = Duration::from_secs_f64(b.timeout);
            let boot: Box<dyn crate::bootstrap::Bootstrapper> = match b.kind {
                BootstrapperKind::Dispersy => Box::new(DispersyBootstrapper::new(
                    self.server_addrs.clone(),
                    timeout,
                )),
                BootstrapperKind::Broadcast => Box::new(UdpBroadcastBootstrapper::new(timeout)),
            };
            community.base_mut().bootstrappers.push(boot);
        }
        node.add_overlay(community, walkers);
        // py-ipv8's own simulations (../shared/reference): my_estimated_lan = 0.0.0.0:0,
        // my_estimated_wan = the endpoint's address, from the very first message. Every
        // node's LAN address is then 0.0.0.0:0, which py-ipv8's Network treats as a
        // known address: a bootstrap server's liveness ping makes it a verified peer
        // (spec §7 add_verified_peer; measured as the reference's slow growth after 10 s).
        node.estimated_lan = Some(NULL_ADDRESS);
        node.wan_from_endpoint = true;
        let node = Rc::new(RefCell::new(node));
        let ep = CountingEndpoint::new(
            slot.endpoint.clone(),
            slot.live.clone(),
            self.counters.clone(),
            &node,
            self.sim.clone(),
        );
        let driver = Driver::new(node.clone(), Rc::new(ep), self.clock.clone());
        driver.start().ok()?;
        self.sim.spawn(driver.clone().run()).detach();
        Some(driver)
    }

    /// Stop peer `p`: gracefully (node stopped, then endpoint closed) or as a crash
    /// (endpoint closed first: nothing the node does while stopping goes out).
    pub fn leave(&self, p: usize, crash: bool) {
        let mut peers = self.peers.borrow_mut();
        let Some(slot) = peers.get_mut(p) else { return };
        let Some(driver) = slot.driver.take() else {
            return;
        };
        if crash {
            slot.endpoint.close();
        }
        driver.stop();
        let stats = driver.node().borrow().stats();
        let mut l = slot.live.borrow_mut();
        l.past.add(&stats);
        l.online = false;
        l.last_leave = Some(self.sim.now());
    }

    fn apply_event(&self, i: usize, model: Option<Box<dyn LatencyModel>>) {
        let Some(e) = self.scenario.file.events.get(i) else {
            return;
        };
        let gi = |name: &str| self.group_names.iter().position(|n| n == name);
        match e.action {
            Action::Join | Action::Leave | Action::Crash | Action::Rejoin => {
                let Some(g) = e.group.as_deref().and_then(gi) else {
                    return;
                };
                let (first, n) = self.group_ranges[g];
                let candidates: Vec<usize> = match &e.peers {
                    Some(list) => list
                        .iter()
                        .map(|x| first + *x as usize)
                        .filter(|p| *p < first + n)
                        .collect(),
                    None => (first..first + n).collect(),
                };
                let eligible: Vec<usize> = {
                    let peers = self.peers.borrow();
                    candidates
                        .into_iter()
                        .filter(|p| {
                            let s = &peers[*p];
                            let l = s.live.borrow();
                            match e.action {
                                Action::Join => s.driver.is_none() && l.first_join.is_none(),
                                Action::Rejoin => s.driver.is_none() && l.first_join.is_some(),
                                _ => s.driver.is_some(),
                            }
                        })
                        .collect()
                };
                let take = e.count.map_or(eligible.len(), |c| c.max(0) as usize);
                for p in eligible.into_iter().take(take) {
                    match e.action {
                        Action::Join | Action::Rejoin => self.join(p),
                        Action::Leave => self.leave(p, false),
                        _ => self.leave(p, true),
                    }
                }
            }
            Action::Partition | Action::Heal => match e.groups.as_deref() {
                Some([a, b]) => {
                    if let (Some(a), Some(b)) = (gi(a), gi(b)) {
                        let (a, b) = (a as u32 + 1, b as u32 + 1);
                        if e.action == Action::Partition {
                            self.net.partition(a, b);
                        } else {
                            self.net.heal(a, b);
                        }
                    }
                }
                _ => self.net.heal_all(),
            },
            Action::Latency => {
                if let Some(m) = model {
                    self.net.set_latency_model(m);
                }
            }
            Action::Loss => self.net.set_loss(e.loss.unwrap_or(0.0)),
        }
    }

    /// Take one sample of every overlay (scheduled; see module docs).
    fn sample(&self) {
        let now = self.sim.now();
        let peers = self.peers.borrow();
        let mut verified: Vec<Vec<usize>> = vec![Vec::new(); self.overlays.len()];
        let mut drops = [0u64; 10];
        for s in peers.iter() {
            let l = s.live.borrow();
            for (d, x) in drops.iter_mut().zip(l.past.drops.iter()) {
                *d += x;
            }
            if let Some(dr) = &s.driver {
                let node = dr.node().borrow();
                let st = node.stats();
                for (i, r) in crate::community::DropReason::ALL.iter().enumerate() {
                    drops[i] += st.drops(*r);
                }
                verified[s.overlay].push(node.overlays().first().map_or(0, |o| o.peer_count()));
            }
        }
        let net = self.net.stats();
        let counters = self.counters.borrow();
        let mut out = self.samples.borrow_mut();
        for (o, info) in self.overlays.iter().enumerate() {
            let mut v = std::mem::take(&mut verified[o]);
            v.sort_unstable();
            out.push(SampleRow {
                time: now,
                overlay: info.name.clone(),
                peers_online: v.len(),
                verified: super::metrics::VerifiedSummary::of(&v, info.target),
                target: info.target,
                counters: counters.overlays.get(o).cloned().unwrap_or_default(),
                node_drops: drops,
                net,
            });
        }
    }

    /// Peers online now.
    pub fn online(&self) -> usize {
        self.peers
            .borrow()
            .iter()
            .filter(|p| p.driver.is_some())
            .count()
    }
}

/// The group's walkers (default: one RandomWalk with target 20).
pub fn walkers_of(g: &GroupSpec) -> Vec<WalkerSpec> {
    g.walkers.clone().unwrap_or_else(|| {
        vec![WalkerSpec {
            strategy: StrategyKind::RandomWalk,
            target: 20,
            timeout: None,
            window_size: None,
            reset_chance: None,
            target_interval: None,
            edge_length: None,
            neighborhood_size: None,
            edge_timeout: None,
            sample_size: None,
            ping_interval: None,
            inactive_time: None,
            drop_time: None,
        }]
    })
}

/// The group's bootstrappers (default: dispersy when there are servers).
pub fn bootstrappers_of(g: &GroupSpec, servers: usize) -> Vec<BootstrapperSpec> {
    g.bootstrappers.clone().unwrap_or_else(|| {
        if servers > 0 {
            vec![BootstrapperSpec {
                kind: BootstrapperKind::Dispersy,
                timeout: crate::bootstrap::BOOTSTRAP_TIMEOUT.as_secs_f64(),
                domain: None,
            }]
        } else {
            Vec::new()
        }
    })
}

fn make_walker<C: crate::discovery::WalkOverlay + 'static>(w: &WalkerSpec) -> Walker<C> {
    let n = |v: Option<i64>, d: usize| v.map_or(d, |x| x.max(0) as usize);
    match w.strategy {
        StrategyKind::EdgeWalk => Walker::new(
            EdgeWalk::new(
                n(w.edge_length, 4),
                n(w.neighborhood_size, 6),
                w.edge_timeout.unwrap_or(3.0),
            ),
            w.target,
        ),
        // RandomChurn / PeriodicSimilarity are rejected by validation for plain
        // communities (see make_discovery_walker).
        _ => Walker::new(
            RandomWalk::new(
                w.timeout.unwrap_or(3.0),
                n(w.window_size, 5),
                w.reset_chance.map_or(50, |x| x.clamp(0, 255) as u32),
                w.target_interval.unwrap_or(0.0),
            ),
            w.target,
        ),
    }
}

/// Build the world for `seed` and discard it: checks everything a run needs (files
/// named by the scenario, matrix size, trace) without running.
pub fn check(scenario: &Scenario, seed: u64) -> Result<(), ScenarioError> {
    let w = World::build(scenario, seed)?;
    w.sim.shutdown();
    Ok(())
}

fn make_discovery_walker(w: &WalkerSpec) -> Walker<DiscoveryCommunity> {
    let n = |v: Option<i64>, d: usize| v.map_or(d, |x| x.max(0) as usize);
    match w.strategy {
        StrategyKind::RandomChurn => Walker::new(
            RandomChurn::new(
                n(w.sample_size, 8),
                w.ping_interval.unwrap_or(10.0),
                w.inactive_time.unwrap_or(27.5),
                w.drop_time.unwrap_or(57.5),
            ),
            w.target,
        ),
        StrategyKind::PeriodicSimilarity => Walker::new(PeriodicSimilarity::new(), w.target),
        _ => make_walker(w),
    }
}
