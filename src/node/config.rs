//! py-ipv8's configuration model (`ipv8/configuration.py`, spec §14) as serde types:
//! [`Configuration`] and its parts, [`Configuration::default`] (= py-ipv8's
//! `get_default_configuration()`), a [`ConfigBuilder`] like py-ipv8's, and
//! [`ConfigError`], the error of everything in `node::{config, registry, builder}`.
//!
//! The field names are py-ipv8's, so a configuration dict dumped from Python with
//! `json.dumps(get_default_configuration())` loads here unchanged. Unknown fields are
//! errors (`deny_unknown_fields`). The free-form maps (`init`, `initialize`) keep JSON
//! values; they are checked when a node is built, by the constructors they are for
//! (see [`registry`](super::registry)).
//!
//! Missing top-level fields other than `keys` and `overlays` take py-ipv8's defaults
//! (one UDPIPv4 interface on 0.0.0.0:8090, logger INFO, working directory `.`,
//! walker interval 0.5 s); py-ipv8 requires them all.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// A free-form keyword-argument map (`init`, `initialize`), as py-ipv8's `**kwargs`.
pub type InitMap = BTreeMap<String, Value>;

pub use super::builder::ConfigBuilder;

/// Everything that can go wrong reading a configuration or building a node from it.
/// Every variant names the place in the configuration (`path`, e.g.
/// `overlays[1].walkers[0].init.timeout`) or the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not valid JSON/TOML for a [`Configuration`] (the message carries
    /// the line and column, and the offending field).
    #[error("invalid {format} configuration: {message}")]
    Parse {
        /// `"JSON"` or `"TOML"`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A configuration file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file name without a `.json` or `.toml` extension.
    #[error("{}: unknown configuration format (use a .json or .toml file)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A value is not acceptable.
    #[error("{path}: {message}")]
    Invalid {
        /// Where in the configuration.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A value has the wrong type.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        /// Where in the configuration.
        path: String,
        /// What was expected (`"a number"`, …).
        expected: &'static str,
        /// What was found (the JSON text of the value).
        found: String,
    },
    /// An `init`/`initialize` argument the constructor does not take.
    #[error("{path}: unknown argument `{name}` of {owner} (accepted: {accepted})")]
    UnknownArgument {
        /// Where in the configuration (ends with `.name`).
        path: String,
        /// The argument.
        name: String,
        /// The strategy, bootstrapper or community it was given to.
        owner: String,
        /// The arguments it does accept, comma-separated (`none` if none).
        accepted: String,
    },
    /// An overlay `class` that is not registered.
    #[error("{path}: community class `{class}` is not registered (registered: {registered})")]
    UnknownCommunity {
        /// `overlays[i].class`.
        path: String,
        /// The class name.
        class: String,
        /// The registered classes, comma-separated.
        registered: String,
    },
    /// A walker `strategy` that the overlay's class does not offer.
    #[error("{path}: strategy `{strategy}` is not available for `{class}` (available: {available}){hint}")]
    UnknownStrategy {
        /// `overlays[i].walkers[j].strategy`.
        path: String,
        /// The strategy name.
        strategy: String,
        /// The overlay's class.
        class: String,
        /// The strategies that class offers, comma-separated.
        available: String,
        /// Which other classes offer it, if any (`"; RandomChurn is offered by …"`).
        hint: String,
    },
    /// A bootstrapper `class` that is not registered.
    #[error("{path}: bootstrapper class `{class}` is not registered (registered: {registered})")]
    UnknownBootstrapper {
        /// `overlays[i].bootstrappers[j].class`.
        path: String,
        /// The class name.
        class: String,
        /// The registered bootstrappers, comma-separated.
        registered: String,
    },
    /// An `on_start` method the overlay's class does not offer.
    #[error("{path}: on_start method `{method}` is not available for `{class}` (available: {available})")]
    UnknownMethod {
        /// `overlays[i].on_start[j]`.
        path: String,
        /// The method name.
        method: String,
        /// The overlay's class.
        class: String,
        /// The methods that class offers, comma-separated (`none` if none).
        available: String,
    },
    /// An overlay's `key` names no entry of `keys`.
    #[error("{path}: unknown key alias `{alias}`")]
    UnknownKeyAlias {
        /// `overlays[i].key`.
        path: String,
        /// The alias.
        alias: String,
    },
    /// A key file could not be read, parsed or written.
    #[error("{path}: {source}")]
    KeyFile {
        /// `keys[i].file`.
        path: String,
        /// The cause (names the file).
        source: crate::crypto::KeyFileError,
    },
    /// Key material (`bin`) is invalid, or generation failed.
    #[error("{path}: {source}")]
    Key {
        /// `keys[i].bin` or `keys[i].generation`.
        path: String,
        /// The cause.
        source: crate::crypto::CryptoError,
    },
    /// A feature of py-ipv8's configuration this implementation does not support.
    #[error("{path}: {what} is not supported")]
    Unsupported {
        /// Where in the configuration.
        path: String,
        /// What.
        what: String,
    },
}

impl ConfigError {
    /// A [`ConfigError::Invalid`] at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The configuration path the error concerns, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            ConfigError::Parse { .. }
            | ConfigError::Io { .. }
            | ConfigError::UnknownFormat { .. } => None,
            ConfigError::Invalid { path, .. }
            | ConfigError::WrongType { path, .. }
            | ConfigError::UnknownArgument { path, .. }
            | ConfigError::UnknownCommunity { path, .. }
            | ConfigError::UnknownStrategy { path, .. }
            | ConfigError::UnknownBootstrapper { path, .. }
            | ConfigError::UnknownMethod { path, .. }
            | ConfigError::UnknownKeyAlias { path, .. }
            | ConfigError::KeyFile { path, .. }
            | ConfigError::Key { path, .. }
            | ConfigError::Unsupported { path, .. } => Some(path),
        }
    }
}

/// The kind of a network interface (py-ipv8 `DispatcherEndpoint` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InterfaceKind {
    /// UDP over IPv4.
    #[serde(rename = "UDPIPv4")]
    UdpIpv4,
    /// UDP over IPv6.
    #[serde(rename = "UDPIPv6")]
    UdpIpv6,
}

/// py-ipv8's default port.
pub const DEFAULT_PORT: u16 = 8090;

fn default_port() -> u16 {
    DEFAULT_PORT
}

/// An interface to bind to (`{"interface": "UDPIPv4", "ip": "0.0.0.0", "port": 8090}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// `UDPIPv4` or `UDPIPv6`.
    pub interface: InterfaceKind,
    /// The address to bind to; absent = the unspecified address of the kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The port to try first (py-ipv8 tries the following ones if it is taken).
    #[serde(default = "default_port")]
    pub port: u16,
}

impl Interface {
    /// The socket address to bind.
    pub fn socket_addr(&self) -> SocketAddr {
        let ip = self.ip.unwrap_or(match self.interface {
            InterfaceKind::UdpIpv4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            InterfaceKind::UdpIpv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        });
        SocketAddr::new(ip, self.port)
    }
}

/// How a key is generated: py-ipv8's security-level names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KeyGeneration {
    /// The LibNaCL dual key (default).
    #[serde(rename = "curve25519")]
    Curve25519,
    /// EC sect163k1.
    #[serde(rename = "very-low")]
    VeryLow,
    /// EC sect233k1.
    #[serde(rename = "low")]
    Low,
    /// EC sect409k1.
    #[serde(rename = "medium")]
    Medium,
    /// EC sect571k1.
    #[serde(rename = "high")]
    High,
}

impl KeyGeneration {
    /// The crypto module's key kind.
    pub fn kind(self) -> crate::crypto::KeyKind {
        use crate::crypto::{EcCurve, KeyKind};
        match self {
            KeyGeneration::Curve25519 => KeyKind::Curve25519,
            KeyGeneration::VeryLow => KeyKind::Ec(EcCurve::Sect163k1),
            KeyGeneration::Low => KeyKind::Ec(EcCurve::Sect233k1),
            KeyGeneration::Medium => KeyKind::Ec(EcCurve::Sect409k1),
            KeyGeneration::High => KeyKind::Ec(EcCurve::Sect571k1),
        }
    }
}

/// A key by alias (py-ipv8 key block; `ipv8_service.py` `IPv8.__init__`).
///
/// Where the key comes from (py-ipv8 semantics): if `file` is set (non-empty) and the
/// file exists, it is loaded; otherwise `bin` (base64 of the raw private key bin) is
/// decoded if present, else a key of kind `generation` is generated; then, if `file`
/// is set, the key is written there. See [`builder::KeyFiles`](super::builder::KeyFiles)
/// for simulations, which never touch files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The name overlays use for this key.
    pub alias: String,
    /// Kind of key to generate when neither the file nor `bin` provides one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<KeyGeneration>,
    /// Key file (raw `key_to_bin()` bytes); `""` means none, as in py-ipv8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Base64 of the private key bin (py-ipv8 `add_key_from_bin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

impl KeyConfig {
    /// The key file, if one is configured (`None` and `""` mean none).
    pub fn file_path(&self) -> Option<&Path> {
        self.file
            .as_deref()
            .filter(|f| !f.is_empty())
            .map(Path::new)
    }
}

/// A Python log level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum LogLevel {
    #[serde(rename = "CRITICAL")]
    Critical,
    #[serde(rename = "ERROR")]
    Error,
    #[serde(rename = "WARNING")]
    Warning,
    #[serde(rename = "INFO")]
    Info,
    #[serde(rename = "DEBUG")]
    Debug,
    #[serde(rename = "NOTSET")]
    NotSet,
}

/// Logger settings (py-ipv8 passes the dict to `logging.basicConfig`; only `level`
/// is accepted here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggerConfig {
    /// The level.
    pub level: LogLevel,
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig {
            level: LogLevel::Info,
        }
    }
}

/// A walker: a strategy by name, its target peer count and its keyword arguments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkerConfig {
    /// Strategy name (`RandomWalk`, `EdgeWalk`, `RandomChurn`, `PeriodicSimilarity`, …).
    pub strategy: String,
    /// Run while the overlay has fewer peers than this; −1 = always.
    pub peers: i64,
    /// Keyword arguments of the strategy's constructor.
    #[serde(default)]
    pub init: InitMap,
}

impl WalkerConfig {
    /// A walker.
    pub fn new(strategy: impl Into<String>, peers: i64, init: InitMap) -> Self {
        WalkerConfig {
            strategy: strategy.into(),
            peers,
            init,
        }
    }

    /// `RandomWalk` with `timeout` (seconds) until `peers` peers.
    pub fn random_walk(peers: i64, timeout: f64) -> Self {
        Self::new("RandomWalk", peers, init_map([("timeout", json!(timeout))]))
    }
}

/// A bootstrapper by class name with its keyword arguments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapperConfig {
    /// `DispersyBootstrapper` or `UDPBroadcastBootstrapper` (or a registered one).
    pub class: String,
    /// Keyword arguments of its constructor.
    #[serde(default)]
    pub init: InitMap,
}

impl BootstrapperConfig {
    /// py-ipv8's `DISPERSY_BOOTSTRAPPER` (spec §11.2: 13 IPs, 7 DNS names, 30 s).
    pub fn dispersy_default() -> Self {
        const IPS: [(&str, u16); 13] = [
            ("130.161.119.206", 6421),
            ("130.161.119.206", 6422),
            ("131.180.27.155", 6423),
            ("131.180.27.156", 6424),
            ("131.180.27.161", 6427),
            ("131.180.27.161", 6521),
            ("131.180.27.161", 6522),
            ("131.180.27.162", 6523),
            ("131.180.27.162", 6524),
            ("130.161.119.215", 6525),
            ("130.161.119.215", 6526),
            ("130.161.119.201", 6527),
            ("130.161.119.201", 6528),
        ];
        const DNS: [(&str, u16); 7] = [
            ("dispersy1.tribler.org", 6421),
            ("dispersy1.st.tudelft.nl", 6421),
            ("dispersy2.tribler.org", 6422),
            ("dispersy2.st.tudelft.nl", 6422),
            ("dispersy3.tribler.org", 6423),
            ("dispersy3.st.tudelft.nl", 6423),
            ("dispersy4.tribler.org", 6424),
        ];
        let pairs =
            |v: &[(&str, u16)]| Value::Array(v.iter().map(|(h, p)| json!([h, p])).collect());
        BootstrapperConfig {
            class: "DispersyBootstrapper".into(),
            init: init_map([
                ("ip_addresses", pairs(&IPS)),
                ("dns_addresses", pairs(&DNS)),
                ("bootstrap_timeout", json!(30.0)),
            ]),
        }
    }

    /// A `DispersyBootstrapper` for these servers (no DNS names, 30 s timeout).
    pub fn dispersy(servers: &[SocketAddr]) -> Self {
        let ips = servers
            .iter()
            .map(|a| json!([a.ip().to_string(), a.port()]))
            .collect();
        BootstrapperConfig {
            class: "DispersyBootstrapper".into(),
            init: init_map([
                ("ip_addresses", Value::Array(ips)),
                ("dns_addresses", json!([])),
            ]),
        }
    }

    /// A `UDPBroadcastBootstrapper` with default arguments.
    pub fn udp_broadcast() -> Self {
        BootstrapperConfig {
            class: "UDPBroadcastBootstrapper".into(),
            init: InitMap::new(),
        }
    }
}

/// py-ipv8's `default_bootstrap_defs`: the default Dispersy bootstrapper.
pub fn default_bootstrap_defs() -> Vec<BootstrapperConfig> {
    vec![BootstrapperConfig::dispersy_default()]
}

/// One overlay: a community class by name, the key it uses, its walkers and
/// bootstrappers, the settings/constructor arguments, and methods to call on start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayConfig {
    /// Community class name, looked up in the [`Registry`](super::registry::Registry).
    pub class: String,
    /// Alias of the key (from [`Configuration::keys`]).
    pub key: String,
    /// Walkers, run in this order every tick.
    #[serde(default)]
    pub walkers: Vec<WalkerConfig>,
    /// Bootstrappers.
    #[serde(default)]
    pub bootstrappers: Vec<BootstrapperConfig>,
    /// Settings (`max_peers`, `anonymize`) and constructor keyword arguments.
    #[serde(default)]
    pub initialize: InitMap,
    /// `[method, args…]` rows called once the node has started; the methods are those
    /// registered with [`CommunityEntry::on_start`](super::registry::CommunityEntry::on_start).
    #[serde(default)]
    pub on_start: Vec<Vec<Value>>,
}

impl OverlayConfig {
    /// An overlay of `class` with key `key_alias`, nothing else.
    pub fn new(class: impl Into<String>, key_alias: impl Into<String>) -> Self {
        OverlayConfig {
            class: class.into(),
            key: key_alias.into(),
            walkers: Vec::new(),
            bootstrappers: Vec::new(),
            initialize: InitMap::new(),
            on_start: Vec::new(),
        }
    }

    /// Add a walker.
    pub fn walker(mut self, w: WalkerConfig) -> Self {
        self.walkers.push(w);
        self
    }

    /// Add a bootstrapper.
    pub fn bootstrapper(mut self, b: BootstrapperConfig) -> Self {
        self.bootstrappers.push(b);
        self
    }

    /// Set an `initialize` entry.
    pub fn initialize(mut self, name: impl Into<String>, value: Value) -> Self {
        self.initialize.insert(name.into(), value);
        self
    }
}

/// An IPv8 configuration (py-ipv8's configuration dict).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configuration {
    /// Interfaces to bind to.
    #[serde(default = "default_interfaces")]
    pub interfaces: Vec<Interface>,
    /// Keys by alias.
    pub keys: Vec<KeyConfig>,
    /// Logger settings.
    #[serde(default)]
    pub logger: LoggerConfig,
    /// Base working directory of the overlays.
    #[serde(default = "default_working_directory")]
    pub working_directory: String,
    /// Seconds between strategy ticks.
    #[serde(default = "default_walker_interval")]
    pub walker_interval: f64,
    /// The overlays, in load order.
    pub overlays: Vec<OverlayConfig>,
}

pub(crate) fn default_interfaces() -> Vec<Interface> {
    vec![Interface {
        interface: InterfaceKind::UdpIpv4,
        ip: Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        port: DEFAULT_PORT,
    }]
}

pub(crate) fn default_working_directory() -> String {
    ".".into()
}

pub(crate) fn default_walker_interval() -> f64 {
    0.5
}

/// A map from `(name, value)` pairs.
pub fn init_map<const N: usize>(entries: [(&str, Value); N]) -> InitMap {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

impl Default for Configuration {
    /// py-ipv8 3.2.1's `get_default_configuration()` (spec §14): DiscoveryCommunity,
    /// HiddenTunnelCommunity and DHTDiscoveryCommunity with the `anonymous id`
    /// curve25519 key in `ec_multichain.pem`. Only DiscoveryCommunity is implemented;
    /// building a node from this configuration unchanged fails naming
    /// HiddenTunnelCommunity (remove the others with
    /// [`ConfigBuilder::remove_overlay`]).
    fn default() -> Self {
        let rw = || WalkerConfig::random_walk(20, 3.0);
        let discovery = OverlayConfig {
            class: "DiscoveryCommunity".into(),
            key: "anonymous id".into(),
            walkers: vec![
                rw(),
                WalkerConfig::new(
                    "RandomChurn",
                    -1,
                    init_map([
                        ("sample_size", json!(8)),
                        ("ping_interval", json!(10.0)),
                        ("inactive_time", json!(27.5)),
                        ("drop_time", json!(57.5)),
                    ]),
                ),
                WalkerConfig::new("PeriodicSimilarity", -1, InitMap::new()),
            ],
            bootstrappers: default_bootstrap_defs(),
            initialize: InitMap::new(),
            on_start: Vec::new(),
        };
        let tunnels = OverlayConfig {
            class: "HiddenTunnelCommunity".into(),
            key: "anonymous id".into(),
            walkers: vec![rw()],
            bootstrappers: default_bootstrap_defs(),
            initialize: init_map([
                ("min_circuits", json!(1)),
                ("max_circuits", json!(1)),
                ("max_joined_circuits", json!(100)),
                ("max_time", json!(600)),
                ("max_time_inactive", json!(20)),
                ("max_traffic", json!(250u64 * 1024 * 1024)),
                ("dht_lookup_interval", json!(30)),
            ]),
            on_start: vec![vec![json!("build_tunnels"), json!(1)]],
        };
        let dht = OverlayConfig {
            class: "DHTDiscoveryCommunity".into(),
            key: "anonymous id".into(),
            walkers: vec![rw(), WalkerConfig::new("PingChurn", -1, InitMap::new())],
            bootstrappers: default_bootstrap_defs(),
            initialize: InitMap::new(),
            on_start: Vec::new(),
        };
        Configuration {
            interfaces: default_interfaces(),
            keys: vec![KeyConfig {
                alias: "anonymous id".into(),
                generation: Some(KeyGeneration::Curve25519),
                file: Some(crate::crypto::DEFAULT_KEY_FILE.into()),
                bin: None,
            }],
            logger: LoggerConfig::default(),
            working_directory: default_working_directory(),
            walker_interval: default_walker_interval(),
            overlays: vec![discovery, tunnels, dht],
        }
    }
}

impl Configuration {
    /// Parse JSON (py-ipv8's dict as `json.dumps` writes it).
    pub fn from_json_str(s: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(s).map_err(|e| ConfigError::Parse {
            format: "JSON",
            message: e.to_string(),
        })
    }

    /// Parse TOML.
    pub fn from_toml_str(s: &str) -> Result<Self, ConfigError> {
        toml::from_str(s).map_err(|e| ConfigError::Parse {
            format: "TOML",
            message: e.to_string(),
        })
    }

    /// Read a `.json` or `.toml` file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let parse = match ext.as_deref() {
            Some("json") => Self::from_json_str,
            Some("toml") => Self::from_toml_str,
            _ => {
                return Err(ConfigError::UnknownFormat {
                    path: path.to_path_buf(),
                })
            }
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        parse(&text)
    }

    /// As pretty JSON.
    pub fn to_json_string(&self) -> Result<String, ConfigError> {
        serde_json::to_string_pretty(self).map_err(|e| ConfigError::Parse {
            format: "JSON",
            message: e.to_string(),
        })
    }

    /// As TOML (fails if an `init` map holds a JSON `null`, which TOML cannot express).
    pub fn to_toml_string(&self) -> Result<String, ConfigError> {
        toml::to_string_pretty(self).map_err(|e| ConfigError::Parse {
            format: "TOML",
            message: e.to_string(),
        })
    }

    /// The socket addresses of the interfaces.
    pub fn bind_addresses(&self) -> Vec<SocketAddr> {
        self.interfaces.iter().map(Interface::socket_addr).collect()
    }

    /// Check what py-ipv8's `ConfigBuilder.finalize` checks, with paths: walker
    /// interval finite and ≥ 0; every key has an alias (unique) and a source (`file`,
    /// `bin` or `generation`); every overlay's key alias exists; `on_start` rows start
    /// with a method name. Class, strategy and argument names are checked when a node
    /// is built (they depend on the registry).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.walker_interval.is_finite() || self.walker_interval < 0.0 {
            return Err(ConfigError::invalid(
                "walker_interval",
                format!("must be a finite number ≥ 0, is {}", self.walker_interval),
            ));
        }
        for (i, k) in self.keys.iter().enumerate() {
            if k.alias.is_empty() {
                return Err(ConfigError::invalid(format!("keys[{i}].alias"), "is empty"));
            }
            if self.keys[..i].iter().any(|o| o.alias == k.alias) {
                return Err(ConfigError::invalid(
                    format!("keys[{i}].alias"),
                    format!("duplicate alias `{}`", k.alias),
                ));
            }
            if k.file_path().is_none() && k.bin.is_none() && k.generation.is_none() {
                return Err(ConfigError::invalid(
                    format!("keys[{i}]"),
                    "needs a `file`, a `bin` or a `generation`",
                ));
            }
        }
        for (i, o) in self.overlays.iter().enumerate() {
            if !self.keys.iter().any(|k| k.alias == o.key) {
                return Err(ConfigError::UnknownKeyAlias {
                    path: format!("overlays[{i}].key"),
                    alias: o.key.clone(),
                });
            }
            for (j, row) in o.on_start.iter().enumerate() {
                if !row.first().is_some_and(Value::is_string) {
                    return Err(ConfigError::invalid(
                        format!("overlays[{i}].on_start[{j}]"),
                        "must start with a method name",
                    ));
                }
            }
        }
        Ok(())
    }
}
