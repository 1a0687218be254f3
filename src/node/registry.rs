//! The [`Registry`]: class names in a configuration → constructors of communities,
//! discovery strategies and bootstrappers (py-ipv8 `ipv8_service.py`: `_COMMUNITIES`
//! plus `extra_communities`, `_WALKERS` plus each overlay's
//! `get_available_strategies()`, `_BOOTSTRAPPERS`).
//!
//! Strategies are generic over the community type, so each registered community has
//! its own strategy table: every community gets `RandomWalk` and `EdgeWalk`;
//! communities that can ping (`C: PingOverlay`, i.e. the DiscoveryCommunity) also get
//! `RandomChurn` and `PeriodicSimilarity` through
//! [`CommunityEntry::with_ping_strategies`], which only compiles for such types.
//! Asking for `RandomChurn` on a plain community is an error naming both.
//!
//! Keyword arguments (`init`, `initialize`) reach constructors as [`InitArgs`], which
//! checks types and reports arguments nobody read as [`ConfigError::UnknownArgument`].
//!
//! ```ignore
//! let mut registry = Registry::with_defaults();
//! registry.register_community("MyCommunity", |settings, init| {
//!     let greeting = init.string("greeting", "hi")?;
//!     Ok(MyCommunity::new(settings, greeting))
//! });
//! ```

use super::config::{ConfigError, InitMap, OverlayConfig};
use crate::bootstrap::{Bootstrapper, DispersyBootstrapper, UdpBroadcastBootstrapper};
use crate::community::{AnyOverlay, Community, CommunitySettings, Overlay, Walker};
use crate::discovery::{
    DiscoveryStrategy, EdgeWalk, PeriodicSimilarity, PingOverlay, RandomChurn, RandomWalk,
};
use crate::runtime::Duration;
use serde_json::Value;
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

/// Keyword arguments for one constructor, with their place in the configuration.
///
/// Read each accepted argument once with a typed getter (which records its name),
/// then the builder calls [`finish`](Self::finish): anything not read is an
/// [`ConfigError::UnknownArgument`] listing the accepted names.
pub struct InitArgs {
    path: String,
    owner: String,
    map: InitMap,
    read: BTreeSet<String>,
}

fn found(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

impl InitArgs {
    /// The arguments `map` at `path` (e.g. `overlays[0].walkers[1].init`) for `owner`
    /// (the class they are given to).
    pub fn new(path: impl Into<String>, owner: impl Into<String>, map: InitMap) -> Self {
        InitArgs {
            path: path.into(),
            owner: owner.into(),
            map,
            read: BTreeSet::new(),
        }
    }

    /// Where these arguments are in the configuration.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of argument `name`.
    pub fn path_of(&self, name: &str) -> String {
        format!("{}.{}", self.path, name)
    }

    /// An [`ConfigError::Invalid`] for argument `name`.
    pub fn error(&self, name: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::invalid(self.path_of(name), message)
    }

    fn wrong(&self, name: &str, expected: &'static str, v: &Value) -> ConfigError {
        ConfigError::WrongType {
            path: self.path_of(name),
            expected,
            found: found(v),
        }
    }

    /// The raw value of `name`, if given (marks it read).
    pub fn value(&mut self, name: &str) -> Option<&Value> {
        self.read.insert(name.to_owned());
        self.map.get(name)
    }

    /// A number (integer or float, finite).
    pub fn f64(&mut self, name: &str, default: f64) -> Result<f64, ConfigError> {
        match self.value(name).cloned() {
            None => Ok(default),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() => Ok(x),
                _ => Err(self.wrong(name, "a number", &v)),
            },
        }
    }

    /// A duration in seconds (a finite number ≥ 0).
    pub fn seconds(&mut self, name: &str, default: f64) -> Result<Duration, ConfigError> {
        let s = self.f64(name, default)?;
        if s < 0.0 {
            return Err(self.error(name, format!("must be ≥ 0 seconds, is {s}")));
        }
        Duration::try_from_secs_f64(s).map_err(|_| self.error(name, "duration out of range"))
    }

    /// An integer.
    pub fn i64(&mut self, name: &str, default: i64) -> Result<i64, ConfigError> {
        match self.value(name).cloned() {
            None => Ok(default),
            Some(v) => v.as_i64().ok_or_else(|| self.wrong(name, "an integer", &v)),
        }
    }

    /// A non-negative integer.
    pub fn u64(&mut self, name: &str, default: u64) -> Result<u64, ConfigError> {
        match self.value(name).cloned() {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| self.wrong(name, "a non-negative integer", &v)),
        }
    }

    /// A non-negative integer that fits `usize`.
    pub fn usize(&mut self, name: &str, default: usize) -> Result<usize, ConfigError> {
        let v = self.u64(name, default as u64)?;
        usize::try_from(v).map_err(|_| self.error(name, "too large"))
    }

    /// A boolean.
    pub fn bool(&mut self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.value(name).cloned() {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| self.wrong(name, "a boolean", &v)),
        }
    }

    /// A string.
    pub fn string(&mut self, name: &str, default: &str) -> Result<String, ConfigError> {
        match self.value(name).cloned() {
            None => Ok(default.to_owned()),
            Some(Value::String(s)) => Ok(s),
            Some(v) => Err(self.wrong(name, "a string", &v)),
        }
    }

    /// A list of `[host, port]` pairs (py-ipv8 address tuples) with hosts as text.
    pub fn host_ports(&mut self, name: &str) -> Result<Vec<(String, u16)>, ConfigError> {
        let Some(v) = self.value(name).cloned() else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = &v else {
            return Err(self.wrong(name, "a list of [host, port] pairs", &v));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.path_of(name));
            let pair = match item {
                Value::Array(p) if p.len() == 2 => p,
                _ => {
                    return Err(ConfigError::WrongType {
                        path,
                        expected: "a [host, port] pair",
                        found: found(item),
                    })
                }
            };
            let (Some(host), Some(port)) = (pair.first(), pair.get(1)) else {
                continue;
            };
            let host = host.as_str().ok_or_else(|| ConfigError::WrongType {
                path: format!("{path}[0]"),
                expected: "a host name or address",
                found: found(host),
            })?;
            let port = port
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| ConfigError::WrongType {
                    path: format!("{path}[1]"),
                    expected: "a port number (0–65535)",
                    found: found(port),
                })?;
            out.push((host.to_owned(), port));
        }
        Ok(out)
    }

    /// A list of `[ip, port]` pairs as socket addresses.
    pub fn socket_addrs(&mut self, name: &str) -> Result<Vec<SocketAddr>, ConfigError> {
        let pairs = self.host_ports(name)?;
        let base = self.path_of(name);
        pairs
            .into_iter()
            .enumerate()
            .map(|(i, (host, port))| {
                host.parse::<IpAddr>()
                    .map(|ip| SocketAddr::new(ip, port))
                    .map_err(|_| ConfigError::WrongType {
                        path: format!("{base}[{i}][0]"),
                        expected: "an IP address",
                        found: format!("{host:?}"),
                    })
            })
            .collect()
    }

    /// Mark every argument read (for constructors that take arbitrary keywords).
    pub fn read_all(&mut self) -> &InitMap {
        self.read.extend(self.map.keys().cloned());
        &self.map
    }

    /// Fail on the first argument never read.
    pub fn finish(self) -> Result<(), ConfigError> {
        let accepted = if self.read.is_empty() {
            "none".to_owned()
        } else {
            self.read.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        match self.map.keys().find(|k| !self.read.contains(*k)) {
            None => Ok(()),
            Some(name) => Err(ConfigError::UnknownArgument {
                path: format!("{}.{}", self.path, name),
                name: name.clone(),
                owner: self.owner,
                accepted,
            }),
        }
    }
}

/// Makes a strategy for communities of type `C` from its arguments.
pub type StrategyCtor<C> =
    Rc<dyn Fn(&mut InitArgs) -> Result<Box<dyn DiscoveryStrategy<C>>, ConfigError>>;

/// Makes a bootstrapper from its arguments.
pub type BootstrapperCtor = Rc<dyn Fn(&mut InitArgs) -> Result<Box<dyn Bootstrapper>, ConfigError>>;

/// Makes a community of type `C` from its settings and its remaining `initialize`
/// arguments.
pub type CommunityCtor<C> = Rc<dyn Fn(CommunitySettings, &mut InitArgs) -> Result<C, ConfigError>>;

/// A prepared `on_start` call, run on the community once the node has started.
pub use crate::community::overlay::StartCall;

/// Turns the arguments of an `on_start` row (after the method name; the `&str` is the
/// row's path for errors) into a [`StartCall`].
pub type OnStartCtor<C> = Rc<dyn Fn(&[Value], &str) -> Result<StartCall<C>, ConfigError>>;

/// A registered community class: its constructor, its strategy table and the methods
/// `on_start` may name.
pub struct CommunityEntry<C> {
    make: CommunityCtor<C>,
    strategies: BTreeMap<String, StrategyCtor<C>>,
    on_start: BTreeMap<String, OnStartCtor<C>>,
}

impl<C: Community> CommunityEntry<C> {
    fn new(make: CommunityCtor<C>) -> Self {
        let mut e = CommunityEntry {
            make,
            strategies: BTreeMap::new(),
            on_start: BTreeMap::new(),
        };
        // py-ipv8 `_WALKERS`: available to every overlay.
        e.strategy("RandomWalk", |a| {
            Ok(Box::new(RandomWalk::new(
                a.f64("timeout", 3.0)?,
                a.usize("window_size", 5)?,
                u32::try_from(a.u64("reset_chance", 50)?)
                    .map_err(|_| a.error("reset_chance", "too large"))?,
                a.f64("target_interval", 0.0)?,
            )))
        });
        e.strategy("EdgeWalk", |a| {
            Ok(Box::new(EdgeWalk::new(
                a.usize("edge_length", 4)?,
                a.usize("neighborhood_size", 6)?,
                a.f64("edge_timeout", 3.0)?,
            )))
        });
        e
    }

    /// Offer strategy `name` to overlays of this class (replaces one of that name).
    pub fn strategy(
        &mut self,
        name: impl Into<String>,
        make: impl Fn(&mut InitArgs) -> Result<Box<dyn DiscoveryStrategy<C>>, ConfigError> + 'static,
    ) -> &mut Self {
        self.strategies.insert(name.into(), Rc::new(make));
        self
    }

    /// Let `on_start` rows call `method` (py-ipv8 calls `getattr(overlay, method)(*args)`
    /// after the endpoint opened). `parse` checks the arguments when the node is built
    /// and returns the call, which runs once, when the node starts, before the first
    /// strategy tick.
    pub fn on_start(
        &mut self,
        method: impl Into<String>,
        parse: impl Fn(&[Value], &str) -> Result<StartCall<C>, ConfigError> + 'static,
    ) -> &mut Self {
        self.on_start.insert(method.into(), Rc::new(parse));
        self
    }

    /// The strategy names this class offers, sorted.
    pub fn strategy_names(&self) -> Vec<String> {
        self.strategies.keys().cloned().collect()
    }
}

impl<C: Community + PingOverlay> CommunityEntry<C> {
    /// Offer `RandomChurn` (sample_size, ping_interval, inactive_time, drop_time) and
    /// `PeriodicSimilarity` (no arguments), as py-ipv8's DiscoveryCommunity does
    /// (`get_available_strategies`).
    pub fn with_ping_strategies(&mut self) -> &mut Self {
        self.strategy("RandomChurn", |a| {
            Ok(Box::new(RandomChurn::new(
                a.usize("sample_size", 8)?,
                a.f64("ping_interval", 10.0)?,
                a.f64("inactive_time", 27.5)?,
                a.f64("drop_time", 57.5)?,
            )))
        });
        self.strategy("PeriodicSimilarity", |_| {
            Ok(Box::new(PeriodicSimilarity::new()))
        });
        self
    }
}

/// What the registry needs of an entry, whatever its community type.
trait AnyEntry {
    fn build(
        &self,
        class: &str,
        settings: CommunitySettings,
        overlay: &OverlayConfig,
        path: &str,
        bootstrappers: Vec<Box<dyn Bootstrapper>>,
    ) -> Result<Box<dyn AnyOverlay>, ConfigError>;
    fn has_strategy(&self, name: &str) -> bool;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<C: Community> AnyEntry for CommunityEntry<C> {
    fn build(
        &self,
        class: &str,
        mut settings: CommunitySettings,
        overlay: &OverlayConfig,
        path: &str,
        bootstrappers: Vec<Box<dyn Bootstrapper>>,
    ) -> Result<Box<dyn AnyOverlay>, ConfigError> {
        // py-ipv8 sets every `initialize` entry on the settings object; the settings
        // we have are max_peers and anonymize, the rest goes to the constructor.
        let mut init = InitArgs::new(
            format!("{path}.initialize"),
            class,
            overlay.initialize.clone(),
        );
        settings.max_peers = init.i64("max_peers", settings.max_peers)?;
        if init.bool("anonymize", false)? {
            return Err(ConfigError::Unsupported {
                path: init.path_of("anonymize"),
                what: "anonymize = true (the TunnelEndpoint)".into(),
            });
        }
        let mut community = (self.make)(settings, &mut init)?;
        init.finish()?;
        let mut walkers = Vec::with_capacity(overlay.walkers.len());
        for (j, w) in overlay.walkers.iter().enumerate() {
            let wpath = format!("{path}.walkers[{j}]");
            let Some(make) = self.strategies.get(&w.strategy) else {
                return Err(ConfigError::UnknownStrategy {
                    path: format!("{wpath}.strategy"),
                    strategy: w.strategy.clone(),
                    class: class.to_owned(),
                    available: self.strategy_names().join(", "),
                    hint: String::new(),
                });
            };
            let mut args = InitArgs::new(format!("{wpath}.init"), &w.strategy, w.init.clone());
            let strategy = make(&mut args)?;
            args.finish()?;
            walkers.push(Walker {
                strategy,
                target_peers: w.peers,
            });
        }
        let mut calls = Vec::with_capacity(overlay.on_start.len());
        for (j, row) in overlay.on_start.iter().enumerate() {
            let rpath = format!("{path}.on_start[{j}]");
            let (method, args) = match row.split_first() {
                Some((Value::String(m), args)) => (m, args),
                _ => return Err(ConfigError::invalid(rpath, "must start with a method name")),
            };
            let Some(parse) = self.on_start.get(method) else {
                return Err(ConfigError::UnknownMethod {
                    path: rpath,
                    method: method.clone(),
                    class: class.to_owned(),
                    available: join_or_none(self.on_start.keys().cloned().collect()),
                });
            };
            calls.push(parse(args, &rpath)?);
        }
        community.base_mut().bootstrappers.extend(bootstrappers);
        Ok(Box::new(Overlay {
            community,
            walkers,
            on_start: calls,
        }))
    }

    fn has_strategy(&self, name: &str) -> bool {
        self.strategies.contains_key(name)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Class names → constructors. See the module docs.
pub struct Registry {
    communities: BTreeMap<String, Box<dyn AnyEntry>>,
    bootstrappers: BTreeMap<String, BootstrapperCtor>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::with_defaults()
    }
}

impl Registry {
    /// No communities; the two bootstrappers (`DispersyBootstrapper`,
    /// `UDPBroadcastBootstrapper`).
    pub fn new() -> Self {
        let mut r = Registry {
            communities: BTreeMap::new(),
            bootstrappers: BTreeMap::new(),
        };
        // py-ipv8 `DispersyBootstrapper(ip_addresses, dns_addresses, bootstrap_timeout=30.0)`.
        // DNS names are checked but not resolved (the simulator has no DNS).
        r.register_bootstrapper("DispersyBootstrapper", |a| {
            let ips = a.socket_addrs("ip_addresses")?;
            let _dns = a.host_ports("dns_addresses")?;
            let timeout = a.seconds("bootstrap_timeout", 30.0)?;
            Ok(Box::new(DispersyBootstrapper::new(ips, timeout)))
        });
        // py-ipv8 `UDPBroadcastBootstrapper(bootstrap_timeout=30.0)`.
        r.register_bootstrapper("UDPBroadcastBootstrapper", |a| {
            Ok(Box::new(UdpBroadcastBootstrapper::new(
                a.seconds("bootstrap_timeout", 30.0)?,
            )))
        });
        r
    }

    /// [`Registry::new`] plus the communities this crate implements:
    /// `DiscoveryCommunity` (with `RandomChurn` and `PeriodicSimilarity`),
    /// `BootstrapServer` and `InteropCommunity` (the py-ipv8 interop tests' overlay).
    pub fn with_defaults() -> Self {
        #[allow(unused_mut)]
        let mut r = Self::new();
        r.register_community("DiscoveryCommunity", |settings, _init| {
            Ok(crate::discovery::community::DiscoveryCommunity::new(
                settings,
            ))
        })
        .with_ping_strategies();
        r.register_community("BootstrapServer", |settings, _init| {
            Ok(crate::bootstrap::server::BootstrapServer::new(settings))
        });
        // The py-ipv8 interop tests' overlay (tests/interop/README.md).
        r.register_community("InteropCommunity", |settings, _init| {
            Ok(super::interop::InteropCommunity::new(settings))
        });
        r
    }

    /// Register community class `name` (replacing one of that name), made by `make`
    /// from its settings (with `initialize.max_peers` applied) and the other
    /// `initialize` arguments. Returns its entry, to add strategies.
    pub fn register_community<C: Community>(
        &mut self,
        name: impl Into<String>,
        make: impl Fn(CommunitySettings, &mut InitArgs) -> Result<C, ConfigError> + 'static,
    ) -> &mut CommunityEntry<C> {
        let name = name.into();
        let entry: Box<dyn AnyEntry> = Box::new(CommunityEntry::<C>::new(Rc::new(make)));
        self.communities.insert(name.clone(), entry);
        match self.community_entry_mut::<C>(&name) {
            Some(e) => e,
            // Just inserted with this type.
            None => unreachable!("registry entry just inserted"),
        }
    }

    /// The entry of class `name`, if it is registered with community type `C`.
    pub fn community_entry_mut<C: Community>(
        &mut self,
        name: &str,
    ) -> Option<&mut CommunityEntry<C>> {
        self.communities
            .get_mut(name)?
            .as_any_mut()
            .downcast_mut::<CommunityEntry<C>>()
    }

    /// Register bootstrapper class `name` (replacing one of that name).
    pub fn register_bootstrapper(
        &mut self,
        name: impl Into<String>,
        make: impl Fn(&mut InitArgs) -> Result<Box<dyn Bootstrapper>, ConfigError> + 'static,
    ) -> &mut Self {
        self.bootstrappers.insert(name.into(), Rc::new(make));
        self
    }

    /// The registered community classes, sorted.
    pub fn community_names(&self) -> Vec<String> {
        self.communities.keys().cloned().collect()
    }

    /// The registered bootstrapper classes, sorted.
    pub fn bootstrapper_names(&self) -> Vec<String> {
        self.bootstrappers.keys().cloned().collect()
    }

    /// Whether community class `name` is registered.
    pub fn has_community(&self, name: &str) -> bool {
        self.communities.contains_key(name)
    }

    /// Build overlay `overlay` (at `path`, e.g. `overlays[2]`) with `settings`: its
    /// bootstrappers, the community, its walkers (py-ipv8 `IPv8.__init__`).
    ///
    /// Unlike py-ipv8, which silently skips unknown bootstrapper classes, an unknown
    /// bootstrapper is an error.
    pub fn build_overlay(
        &self,
        overlay: &OverlayConfig,
        path: &str,
        settings: CommunitySettings,
    ) -> Result<Box<dyn AnyOverlay>, ConfigError> {
        let Some(entry) = self.communities.get(&overlay.class) else {
            return Err(ConfigError::UnknownCommunity {
                path: format!("{path}.class"),
                class: overlay.class.clone(),
                registered: join_or_none(self.community_names()),
            });
        };
        let mut bootstrappers = Vec::with_capacity(overlay.bootstrappers.len());
        for (j, b) in overlay.bootstrappers.iter().enumerate() {
            let bpath = format!("{path}.bootstrappers[{j}]");
            let Some(make) = self.bootstrappers.get(&b.class) else {
                return Err(ConfigError::UnknownBootstrapper {
                    path: format!("{bpath}.class"),
                    class: b.class.clone(),
                    registered: join_or_none(self.bootstrapper_names()),
                });
            };
            let mut args = InitArgs::new(format!("{bpath}.init"), &b.class, b.init.clone());
            let made = make(&mut args)?;
            args.finish()?;
            bootstrappers.push(made);
        }
        entry
            .build(&overlay.class, settings, overlay, path, bootstrappers)
            .map_err(|e| match e {
                ConfigError::UnknownStrategy {
                    path,
                    strategy,
                    class,
                    available,
                    ..
                } => {
                    let offered: Vec<String> = self
                        .communities
                        .iter()
                        .filter(|(_, e)| e.has_strategy(&strategy))
                        .map(|(n, _)| n.clone())
                        .collect();
                    let hint = match (offered.is_empty(), strategy.as_str()) {
                        (false, _) => {
                            format!("; `{strategy}` is offered by: {}", offered.join(", "))
                        }
                        (true, "RandomChurn" | "PeriodicSimilarity") => format!(
                            "; `{strategy}` needs a community that can ping (DiscoveryCommunity)"
                        ),
                        (true, "PingChurn") => {
                            format!("; `{strategy}` needs DHTDiscoveryCommunity (not implemented)")
                        }
                        _ => String::new(),
                    };
                    ConfigError::UnknownStrategy {
                        path,
                        strategy,
                        class,
                        available,
                        hint,
                    }
                }
                other => other,
            })
    }
}

fn join_or_none(v: Vec<String>) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
