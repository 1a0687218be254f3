//! [`ConfigBuilder`] (py-ipv8's, for configurations) and building a [`Node`] from a
//! [`Configuration`] (py-ipv8 `ipv8_service.py`,
//! `IPv8.__init__`): keys by alias, one [`NodeContext`] shared by the overlays, one
//! Lamport clock per key alias (py-ipv8 keeps one `Peer` per alias, and the clock lives
//! on the `Peer`), the overlays in configuration order with their walkers (in
//! configuration order) and bootstrappers, made by the [`Registry`].
//!
//! All randomness comes from [`BuildEnv::seed`]: generated keys from one ChaCha20
//! stream (in `keys` order), the node's RNG from another. Binding the interfaces is
//! the caller's business ([`Configuration::bind_addresses`]); the node is not started.
//!
//! ```ignore
//! let env = BuildEnv::simulation(42);
//! let node = build_node(&config, &registry, &env)?;
//! ```

use super::config::{
    default_walker_interval, default_working_directory, ConfigError, Configuration, Interface,
    InterfaceKind, KeyConfig, KeyGeneration, LogLevel, LoggerConfig, OverlayConfig, DEFAULT_PORT,
};
use super::registry::Registry;
use super::Node;
use crate::community::{CommunitySettings, KeyCache, NodeContext};
use crate::crypto::{load_key_file, save_key_file, PrivateKey};
use crate::runtime::{Duration, Instant};
use indexmap::IndexMap;
use rand::SeedableRng;
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::path::PathBuf;
use std::rc::Rc;

/// Whether key files are used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFiles {
    /// Never read or write files: keys come from `bin` or are generated from the seed.
    /// For simulations, where thousands of nodes share one configuration (and its one
    /// `file`).
    Ignore,
    /// py-ipv8 semantics: load `file` if it exists, else make the key (from `bin` or
    /// generated) and write it there. Relative paths are relative to `base_dir`.
    ReadWrite {
        /// Directory relative key file paths are resolved against.
        base_dir: PathBuf,
    },
}

/// What a node is built with besides its configuration.
#[derive(Clone)]
pub struct BuildEnv {
    /// Seed of the generated keys and of the node's RNG.
    pub seed: u64,
    /// Parsed-key cache shared by the nodes of a simulation.
    pub key_cache: Rc<RefCell<KeyCache>>,
    /// The time the node is built at.
    pub now: Instant,
    /// Whether key files are used.
    pub key_files: KeyFiles,
}

impl BuildEnv {
    /// For a simulated node: seeded, key files ignored, time zero, a fresh key cache.
    pub fn simulation(seed: u64) -> Self {
        BuildEnv {
            seed,
            key_cache: Rc::new(RefCell::new(KeyCache::new(4096))),
            now: Instant::ZERO,
            key_files: KeyFiles::Ignore,
        }
    }

    /// For a live node: key files read and written relative to `base_dir`.
    pub fn live(seed: u64, base_dir: impl Into<PathBuf>) -> Self {
        BuildEnv {
            key_files: KeyFiles::ReadWrite {
                base_dir: base_dir.into(),
            },
            ..Self::simulation(seed)
        }
    }

    /// Share `cache` (one per simulation).
    pub fn with_key_cache(mut self, cache: Rc<RefCell<KeyCache>>) -> Self {
        self.key_cache = cache;
        self
    }

    /// Build at time `now`.
    pub fn at(mut self, now: Instant) -> Self {
        self.now = now;
        self
    }

    fn key_rng(&self) -> ChaCha20Rng {
        let mut r = ChaCha20Rng::seed_from_u64(self.seed);
        r.set_stream(1);
        r
    }

    fn node_rng(&self) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::seed_from_u64(self.seed);
        r.set_stream(2);
        r
    }
}

/// The keys of `keys`, by alias in configuration order (py-ipv8 semantics, see
/// [`KeyConfig`] and [`KeyFiles`]).
pub fn load_keys(
    keys: &[KeyConfig],
    env: &BuildEnv,
) -> Result<IndexMap<String, Rc<PrivateKey>>, ConfigError> {
    let mut rng = env.key_rng();
    let mut out = IndexMap::new();
    for (i, k) in keys.iter().enumerate() {
        let file = match (&env.key_files, k.file_path()) {
            (KeyFiles::ReadWrite { base_dir }, Some(f)) => Some(base_dir.join(f)),
            _ => None,
        };
        let existing = match &file {
            Some(f) if f.is_file() => {
                Some(load_key_file(f).map_err(|source| ConfigError::KeyFile {
                    path: format!("keys[{i}].file"),
                    source,
                })?)
            }
            _ => None,
        };
        let key = match existing {
            Some(key) => key,
            None => {
                let key = if let Some(b64) = &k.bin {
                    let path = format!("keys[{i}].bin");
                    let compact: String = b64.split_whitespace().collect();
                    let bin = openssl::base64::decode_block(&compact)
                        .map_err(|_| ConfigError::invalid(&path, "not valid base64"))?;
                    PrivateKey::from_bin(&bin)
                        .map_err(|source| ConfigError::Key { path, source })?
                } else if let Some(g) = k.generation {
                    PrivateKey::generate(g.kind(), &mut rng).map_err(|source| ConfigError::Key {
                        path: format!("keys[{i}].generation"),
                        source,
                    })?
                } else {
                    return Err(ConfigError::invalid(
                        format!("keys[{i}]"),
                        "needs a `file`, a `bin` or a `generation`",
                    ));
                };
                if let Some(f) = &file {
                    save_key_file(f, &key).map_err(|source| ConfigError::KeyFile {
                        path: format!("keys[{i}].file"),
                        source,
                    })?;
                }
                key
            }
        };
        if out.insert(k.alias.clone(), Rc::new(key)).is_some() {
            return Err(ConfigError::invalid(
                format!("keys[{i}].alias"),
                format!("duplicate alias `{}`", k.alias),
            ));
        }
    }
    Ok(out)
}

/// Build a (not yet started) node from `config`. Errors name the place in the
/// configuration; nothing panics on bad input.
pub fn build_node(
    config: &Configuration,
    registry: &Registry,
    env: &BuildEnv,
) -> Result<Node, ConfigError> {
    config.validate()?;
    let walker_interval = Duration::try_from_secs_f64(config.walker_interval)
        .map_err(|_| ConfigError::invalid("walker_interval", "out of range"))?;
    let keys = load_keys(&config.keys, env)?;
    let clocks: IndexMap<&str, Rc<Cell<u64>>> = keys
        .keys()
        .map(|a| (a.as_str(), Rc::new(Cell::new(0))))
        .collect();
    let mut context = NodeContext::new(env.node_rng(), env.key_cache.clone());
    context.now = env.now;
    let shared = Rc::new(RefCell::new(context));
    let mut node = Node::new(shared.clone(), walker_interval);
    for (i, overlay) in config.overlays.iter().enumerate() {
        let path = format!("overlays[{i}]");
        let (Some(key), Some(clock)) = (keys.get(&overlay.key), clocks.get(overlay.key.as_str()))
        else {
            return Err(ConfigError::UnknownKeyAlias {
                path: format!("{path}.key"),
                alias: overlay.key.clone(),
            });
        };
        let mut settings = CommunitySettings::new(shared.clone(), key.clone());
        settings.global_time = clock.clone();
        node.add_boxed_overlay(registry.build_overlay(overlay, &path, settings)?);
    }
    Ok(node)
}

// ----- ConfigBuilder -------------------------------------------------------------------

/// Builds configurations like py-ipv8's `ConfigBuilder`: starts from the default
/// configuration ([`ConfigBuilder::new`]) or an empty one ([`ConfigBuilder::clean`]).
///
/// ```
/// use ipv8sim::node::config::*; // re-exports ConfigBuilder
/// let config = ConfigBuilder::new()
///     .clear_keys()
///     .clear_overlays()
///     .add_key("my peer", KeyGeneration::Curve25519, "ec1.pem")
///     .add_overlay(
///         OverlayConfig::new("MyCommunity", "my peer")
///             .walker(WalkerConfig::random_walk(10, 3.0))
///             .bootstrapper(BootstrapperConfig::udp_broadcast()),
///     )
///     .finalize()?;
/// assert_eq!(config.overlays[0].class, "MyCommunity");
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigBuilder {
    config: Configuration,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigBuilder {
    /// Start from the default configuration.
    pub fn new() -> Self {
        ConfigBuilder {
            config: Configuration::default(),
        }
    }

    /// Start from an empty configuration: no interfaces, keys or overlays (logger,
    /// working directory and walker interval keep their defaults).
    pub fn clean() -> Self {
        ConfigBuilder {
            config: Configuration {
                interfaces: Vec::new(),
                keys: Vec::new(),
                logger: LoggerConfig::default(),
                working_directory: default_working_directory(),
                walker_interval: default_walker_interval(),
                overlays: Vec::new(),
            },
        }
    }

    /// Remove all keys.
    pub fn clear_keys(mut self) -> Self {
        self.config.keys.clear();
        self
    }

    /// Remove all overlays.
    pub fn clear_overlays(mut self) -> Self {
        self.config.overlays.clear();
        self
    }

    /// Remove the overlays of a class.
    pub fn remove_overlay(mut self, class: &str) -> Self {
        self.config.overlays.retain(|o| o.class != class);
        self
    }

    fn interface_mut(&mut self, kind: InterfaceKind) -> &mut Interface {
        let pos = match self
            .config
            .interfaces
            .iter()
            .position(|i| i.interface == kind)
        {
            Some(p) => p,
            None => {
                self.config.interfaces.push(Interface {
                    interface: kind,
                    ip: None,
                    port: DEFAULT_PORT,
                });
                self.config.interfaces.len() - 1
            }
        };
        &mut self.config.interfaces[pos]
    }

    /// Set the address to bind `interface` to (added if absent).
    pub fn set_address(mut self, ip: IpAddr, interface: InterfaceKind) -> Self {
        self.interface_mut(interface).ip = Some(ip);
        self
    }

    /// Set the port to bind `interface` to (added if absent).
    pub fn set_port(mut self, port: u16, interface: InterfaceKind) -> Self {
        self.interface_mut(interface).port = port;
        self
    }

    /// Set the log level.
    pub fn set_log_level(mut self, level: LogLevel) -> Self {
        self.config.logger = LoggerConfig { level };
        self
    }

    /// Set the working directory.
    pub fn set_working_directory(mut self, dir: impl Into<String>) -> Self {
        self.config.working_directory = dir.into();
        self
    }

    /// Set the interval between strategy ticks, in seconds.
    pub fn set_walker_interval(mut self, seconds: f64) -> Self {
        self.config.walker_interval = seconds;
        self
    }

    fn put_key(&mut self, key: KeyConfig) {
        self.config.keys.retain(|k| k.alias != key.alias);
        self.config.keys.push(key);
    }

    /// Add (or replace) a key generated as `generation` and stored in `file`.
    pub fn add_key(
        mut self,
        alias: impl Into<String>,
        generation: KeyGeneration,
        file: impl Into<String>,
    ) -> Self {
        self.put_key(KeyConfig {
            alias: alias.into(),
            generation: Some(generation),
            file: Some(file.into()),
            bin: None,
        });
        self
    }

    /// Add (or replace) a key from base64 key material, optionally stored in `file`.
    pub fn add_key_from_bin(
        mut self,
        alias: impl Into<String>,
        bin_base64: impl Into<String>,
        file: Option<String>,
    ) -> Self {
        self.put_key(KeyConfig {
            alias: alias.into(),
            generation: None,
            file: Some(file.unwrap_or_default()),
            bin: Some(bin_base64.into()),
        });
        self
    }

    /// Add (or replace) a key held only in memory: the given key's material, no file
    /// (py-ipv8 `add_ephemeral_key`, which generates the key itself).
    pub fn add_ephemeral_key(
        self,
        alias: impl Into<String>,
        key: &crate::crypto::PrivateKey,
    ) -> Result<Self, ConfigError> {
        let alias = alias.into();
        let bin = key.key_to_bin();
        Ok(self.add_key_from_bin(alias, openssl::base64::encode_block(&bin), None))
    }

    /// Add an overlay, replacing those of the same class (py-ipv8's default).
    pub fn add_overlay(mut self, overlay: OverlayConfig) -> Self {
        self.config.overlays.retain(|o| o.class != overlay.class);
        self.config.overlays.push(overlay);
        self
    }

    /// Add an overlay, keeping others of the same class (`allow_duplicate=True`).
    pub fn add_duplicate_overlay(mut self, overlay: OverlayConfig) -> Self {
        self.config.overlays.push(overlay);
        self
    }

    /// The configuration so far (unchecked).
    pub fn config(&self) -> &Configuration {
        &self.config
    }

    /// Check ([`Configuration::validate`]) and return the configuration.
    pub fn finalize(self) -> Result<Configuration, ConfigError> {
        self.config.validate()?;
        Ok(self.config)
    }
}
