//! The scenario file format: the TOML document as typed structs (serde,
//! `deny_unknown_fields` everywhere, defaults filled). Every key and its default is
//! documented in `scenarios/README.md`; semantic checks live in
//! [`super::validate`].
//!
//! Numbers that must not be negative are read as signed integers on purpose, so a
//! negative value reaches validation and gets a precise message instead of a serde
//! "expected u64".

use serde::{Deserialize, Serialize};

fn default_sample_interval() -> f64 {
    1.0
}
fn default_community() -> String {
    "test".to_string()
}
fn default_key() -> String {
    "curve25519".to_string()
}
fn default_walker_interval() -> f64 {
    0.5
}
fn default_max_peers() -> i64 {
    crate::community::DEFAULT_MAX_PEERS
}
fn default_true() -> bool {
    true
}
fn default_target() -> i64 {
    20
}
fn default_bootstrap_timeout() -> f64 {
    crate::bootstrap::BOOTSTRAP_TIMEOUT.as_secs_f64()
}
fn default_time_scale() -> f64 {
    1.0
}
fn default_crypto() -> String {
    "real".to_string()
}
fn is_real(s: &str) -> bool {
    s == "real"
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Results go to `results/<name>/<seed>/`.
    pub name: String,
    /// One seed (exclusive with `seeds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Several seeds, each a separate run (exclusive with `seed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Vec<i64>>,
    /// Virtual seconds to simulate.
    pub duration: f64,
    /// Virtual seconds between metric samples (first sample at t = 0).
    #[serde(default = "default_sample_interval")]
    pub sample_interval: f64,
    /// Signatures: `"real"` (Ed25519 / ECDSA, default) or `"fast"` (a same-length,
    /// non-cryptographic stand-in; see [`crate::community::CryptoMode`]).
    #[serde(default = "default_crypto", skip_serializing_if = "is_real")]
    pub crypto: String,
    /// Real crypto: a signature made in the run and verified over the same key and
    /// bytes is accepted without the curve arithmetic.
    #[serde(default, skip_serializing_if = "is_false")]
    pub verify_skip: bool,
    /// Real crypto: worker threads that verify signatures ahead of time (0 = inline).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub verify_threads: i64,
    /// Real crypto: Ed25519 and sect163k1 signatures computed in variable time (the
    /// same bytes as live nodes' signing, faster; the scenario's keys have no secret
    /// to protect). `false` signs as a live node does.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub vartime_sign: bool,
    /// Latency and loss.
    #[serde(default)]
    pub network: NetworkSpec,
    /// Bootstrap servers.
    #[serde(default)]
    pub bootstrap: BootstrapSpec,
    /// Peer groups (`[[group]]`).
    #[serde(default, rename = "group")]
    pub groups: Vec<GroupSpec>,
    /// Timeline (`[[event]]`).
    #[serde(default, rename = "event", skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventSpec>,
    /// Churn replayed from a trace file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churn: Option<ChurnSpec>,
}

/// `[network]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// `[network.latency]`.
    #[serde(default)]
    pub latency: LatencySpec,
    /// Probability that any datagram is lost, in `[0, 1]`.
    #[serde(default)]
    pub loss: f64,
}

/// The latency model kinds.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LatencyKind {
    /// Every datagram arrives at once.
    #[default]
    Zero,
    /// The same one-way delay everywhere.
    Constant,
    /// A base delay plus uniform or normal jitter.
    Jitter,
    /// A latency-matrix file, hosts placed on its rows.
    Matrix,
    /// A graph of links; shortest paths.
    Topology,
}

/// How hosts are placed on matrix rows / topology attachment nodes.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PlacementKind {
    /// Each host draws a row uniformly (seeded).
    Uniform,
    /// Each host draws a row with probability proportional to a weight (seeded).
    Weighted,
    /// Host `h` on row `h mod rows`.
    RoundRobin,
    /// Host `h` on row `h`; the matrix must have a row per host.
    Distinct,
}

/// `[network.latency]` (also the `latency` table of a `latency` event). Keys that do
/// not apply to the chosen `model` are rejected by validation.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// The model.
    #[serde(default)]
    pub model: LatencyKind,
    /// constant / jitter: the (base) one-way delay, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<f64>,
    /// jitter: uniform jitter half-width, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_ms: Option<f64>,
    /// jitter: normal jitter standard deviation, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std_ms: Option<f64>,
    /// matrix: the file (relative to the scenario file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// matrix / topology: host placement (default uniform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementKind>,
    /// matrix, weighted: one weight per matrix row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// matrix, weighted: weight by matrix host name (unlisted hosts weigh 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_weights: Option<std::collections::BTreeMap<String, f64>>,
    /// matrix, weighted: a CSV file with a `name` column and a weight column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_file: Option<String>,
    /// matrix, weighted: the weight column of `weights_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_column: Option<String>,
    /// topology: number of graph nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<i64>,
    /// topology: links `[a, b, ms]` or `[a, b, ms, loss]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Vec<f64>>>,
    /// topology: nodes hosts attach to (default: all nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<Vec<i64>>,
}

/// `[bootstrap]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSpec {
    /// Number of bootstrap servers (py-ipv8 trackers), started at t = 0.
    #[serde(default)]
    pub servers: i64,
}

/// Which community a group runs.
pub const DISCOVERY_COMMUNITY: &str = "DiscoveryCommunity";

/// `[[group]]`: peers that share a configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Group name (default `group<i>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Number of peers (with `[churn]`: the cap on trace nodes).
    pub count: i64,
    /// `"DiscoveryCommunity"` or the name of a plain test community.
    #[serde(default = "default_community")]
    pub community: String,
    /// 40 hex digits; default: SHA-1 of `ipv8sim/community/<community>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    /// Key kind: curve25519, very-low, low, medium, high.
    #[serde(default = "default_key")]
    pub key: String,
    /// Seconds between walker steps (py-ipv8 `walker_interval`).
    #[serde(default = "default_walker_interval")]
    pub walker_interval: f64,
    /// py-ipv8 `max_peers` (−1: unlimited).
    #[serde(default = "default_max_peers")]
    pub max_peers: i64,
    /// Join time, s.
    #[serde(default)]
    pub join: f64,
    /// Peers join uniformly at random in `[join, join + join_spread)` (seeded).
    #[serde(default)]
    pub join_spread: f64,
    /// `false`: peers wait for `join` events.
    #[serde(default = "default_true")]
    pub auto_join: bool,
    /// `[[group.walker]]` (default: one RandomWalk, target 20).
    #[serde(default, rename = "walker", skip_serializing_if = "Option::is_none")]
    pub walkers: Option<Vec<WalkerSpec>>,
    /// `[[group.bootstrapper]]` (default: dispersy when there are servers).
    #[serde(
        default,
        rename = "bootstrapper",
        skip_serializing_if = "Option::is_none"
    )]
    pub bootstrappers: Option<Vec<BootstrapperSpec>>,
}

/// Discovery strategies.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum StrategyKind {
    /// py-ipv8 `RandomWalk`.
    RandomWalk,
    /// py-ipv8 `EdgeWalk`.
    EdgeWalk,
    /// py-ipv8 `RandomChurn` (DiscoveryCommunity only).
    RandomChurn,
    /// py-ipv8 `PeriodicSimilarity` (DiscoveryCommunity only).
    PeriodicSimilarity,
}

/// `[[group.walker]]`. Parameters that do not belong to `strategy` are rejected.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WalkerSpec {
    /// The strategy.
    pub strategy: StrategyKind,
    /// Run while the overlay has fewer peers (−1: always).
    #[serde(default = "default_target")]
    pub target: i64,
    /// RandomWalk `timeout` (3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// RandomWalk `window_size` (5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_size: Option<i64>,
    /// RandomWalk `reset_chance` (50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_chance: Option<i64>,
    /// RandomWalk `target_interval` (0.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_interval: Option<f64>,
    /// EdgeWalk `edge_length` (4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_length: Option<i64>,
    /// EdgeWalk `neighborhood_size` (6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighborhood_size: Option<i64>,
    /// EdgeWalk `edge_timeout` (3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_timeout: Option<f64>,
    /// RandomChurn `sample_size` (8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_size: Option<i64>,
    /// RandomChurn `ping_interval` (10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval: Option<f64>,
    /// RandomChurn `inactive_time` (27.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_time: Option<f64>,
    /// RandomChurn `drop_time` (57.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_time: Option<f64>,
}

/// Bootstrapper kinds.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BootstrapperKind {
    /// `DispersyBootstrapper` with every bootstrap server's address.
    Dispersy,
    /// `UdpBroadcastBootstrapper`; the group's hosts join broadcast domain `domain`.
    Broadcast,
}

/// `[[group.bootstrapper]]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BootstrapperSpec {
    /// The kind.
    #[serde(rename = "type")]
    pub kind: BootstrapperKind,
    /// Seconds between bootstrap rounds (py-ipv8 default 30).
    #[serde(default = "default_bootstrap_timeout")]
    pub timeout: f64,
    /// broadcast: the broadcast domain (LAN) number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<i64>,
}

/// Timeline actions.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Peers that never joined join.
    Join,
    /// Online peers leave (node stopped as py-ipv8 `IPv8.stop()`).
    Leave,
    /// Online peers crash: endpoint closed first, nothing more is sent.
    Crash,
    /// Peers that left come back with the same key and address (fresh state).
    Rejoin,
    /// Drop all datagrams between two groups.
    Partition,
    /// Undo a partition (or all partitions).
    Heal,
    /// Replace the latency model.
    Latency,
    /// Change the global loss probability.
    Loss,
}

/// `[[event]]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Virtual time, s.
    pub at: f64,
    /// What happens.
    pub action: Action,
    /// join/leave/crash/rejoin: the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// join/leave/crash/rejoin: how many eligible peers (lowest index first; default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// join/leave/crash/rejoin: explicit peer indices within the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peers: Option<Vec<i64>>,
    /// partition/heal: two group names (heal without it: heal all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// latency: the new model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpec>,
    /// loss: the new probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
}

/// Node sampling of a churn trace.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ChurnSample {
    /// Earliest first join.
    #[default]
    First,
    /// Uniform random subset (seeded).
    Random,
}

/// Peer numbering of a churn trace.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ChurnOrder {
    /// Peer 0 joins first.
    #[default]
    FirstJoin,
    /// By trace node id.
    NodeId,
}

/// `[churn]`: one group's joins and leaves come from a session trace
/// (`src/sim/trace.rs` `ReplayOptions`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChurnSpec {
    /// Session file (relative to the scenario file).
    pub trace: String,
    /// The group that follows the trace (its `count` caps the trace nodes).
    pub group: String,
    /// Virtual seconds per trace second.
    #[serde(default = "default_time_scale")]
    pub time_scale: f64,
    /// Window start, trace seconds after the trace's first join.
    #[serde(default)]
    pub start: f64,
    /// Window start as Unix ms (exclusive with `start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_unix_ms: Option<i64>,
    /// Window length, trace seconds (default: to the end of the trace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<f64>,
    /// Which nodes when capping.
    #[serde(default)]
    pub sample: ChurnSample,
    /// Peer numbering.
    #[serde(default)]
    pub order: ChurnOrder,
}

impl GroupSpec {
    /// The group's name (`group<i>` when not given).
    pub fn display_name(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("group{index}"))
    }
}

impl ScenarioFile {
    /// The crypto options of the run (validated: an unknown `crypto` never gets here;
    /// it would read as real).
    pub fn crypto_options(&self) -> crate::community::CryptoOptions {
        crate::community::CryptoOptions {
            mode: crate::community::CryptoMode::from_name(&self.crypto).unwrap_or_default(),
            verify_skip: self.verify_skip,
            verify_threads: usize::try_from(self.verify_threads).unwrap_or(0),
            vartime_sign: self.vartime_sign,
        }
    }

    /// The seeds to run (`seed`, else `seeds`, else `[1]`); validated non-negative.
    pub fn seed_list(&self) -> Vec<u64> {
        match (&self.seed, &self.seeds) {
            (Some(s), _) => vec![u64::try_from(*s).unwrap_or(0)],
            (None, Some(v)) => v.iter().map(|s| u64::try_from(*s).unwrap_or(0)).collect(),
            (None, None) => vec![1],
        }
    }
}
