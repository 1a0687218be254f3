//! Building a [`Node`] from a [`Configuration`] (py-ipv8 `ipv8_service.py`,
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

use super::config::{ConfigError, Configuration, KeyConfig};
use super::registry::Registry;
use super::Node;
use crate::community::{CommunitySettings, KeyCache, NodeContext};
use crate::crypto::{load_key_file, save_key_file, PrivateKey};
use crate::runtime::{Duration, Instant};
use indexmap::IndexMap;
use rand::SeedableRng;
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use std::cell::{Cell, RefCell};
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
