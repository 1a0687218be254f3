//! The live peer: one [`Node`] on a real UDP socket ([`UdpEndpoint`]) and the real
//! clock ([`RealClock`]), on a single-threaded executor — what `ipv8sim node` and
//! `ipv8sim tracker` run. Determinism is not a goal here (the network is real).
//!
//! [`run_node`] builds the node from a py-ipv8 configuration ([`build_node`]), binds the
//! first interface, starts it (py-ipv8 `IPv8.start`), reports every new verified peer
//! of every overlay and, periodically, the peer counts, answers commands, and on
//! [`Control::Shutdown`] (Ctrl-C), `quit` or the end of `duration` stops cleanly:
//! the driver stops the node (overlays unloaded: tasks cancelled, request caches shut
//! down), the socket is closed, and the receive and timer tasks are awaited.
//!
//! Output is one line per event on stdout: human-readable text, or with `json` one JSON
//! object per line in `tests/interop/py_peer.py`'s vocabulary (`ready`, `peer`,
//! `message`, `peers`, `sent`, `error`, `status`, `request`, `exit`).
//!
//! Commands (one per line, e.g. from stdin): `peers`, `send <hex public key>` (send the
//! [`InteropMessage`](super::interop::InteropMessage) test values from the first
//! `InteropCommunity` overlay to that verified peer), `status`, `quit`.

use super::builder::{build_node, load_keys, BuildEnv};
use super::config::{ConfigError, Configuration};
use super::driver::Driver;
use super::interop::{InteropCommunity, InteropMessage};
use super::registry::Registry;
use super::{Node, DEFAULT_WALKER_INTERVAL};
use crate::bootstrap::server::BootstrapServer;
use crate::community::{CommunitySettings, KeyCache, NodeContext};
use crate::crypto::{KeyKind, PrivateKey};
use crate::discovery::{KeyBin, Peer};
use crate::endpoint::{Endpoint, EndpointError, EndpointListener, UdpEndpoint};
use crate::runtime::{Clock, Duration, RealClock};
use async_executor::LocalExecutor;
use futures::channel::mpsc::Receiver;
use rand::{RngCore, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::rc::Rc;

/// How often the runner looks at the node (new peers, messages, commands).
const POLL: Duration = Duration::from_millis(50);

/// A request to the running peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// A command line (`peers`, `send <hex key>`, `status`, `quit`).
    Command(String),
    /// Stop now (Ctrl-C / SIGTERM).
    Shutdown,
}

/// Why the runner stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// The `quit` command, or the control channel closed.
    Quit,
    /// `duration` elapsed.
    Timeout,
    /// [`Control::Shutdown`].
    Signal,
}

impl ExitReason {
    /// `quit`, `timeout` or `signal`.
    pub fn name(self) -> &'static str {
        match self {
            ExitReason::Quit => "quit",
            ExitReason::Timeout => "timeout",
            ExitReason::Signal => "signal",
        }
    }
}

/// Errors that keep the live peer from running.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The configuration is invalid or the node cannot be built from it.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The socket could not be opened.
    #[error("{0}")]
    Endpoint(#[from] EndpointError),
    /// The configuration has no interface to bind.
    #[error("configuration: `interfaces` is empty; nothing to bind")]
    NoInterface,
}

/// Options of [`run_node`] and [`run_tracker`] besides the configuration.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Advertise `ip:bound port` as both LAN and WAN address (e.g. 127.0.0.1 on
    /// loopback); otherwise LAN = a guess of the host's address (spec §6.8) and WAN
    /// learned from introduction-responses.
    pub pin_address: Option<IpAddr>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// JSON lines instead of text.
    pub json: bool,
    /// Seed of generated keys and of the node's RNG (`None`: from the OS).
    pub seed: Option<u64>,
    /// Walk to these addresses every walker interval until a verified peer has them.
    pub walk_to: Vec<SocketAddr>,
    /// How often to print the peer counts.
    pub status_interval: Duration,
    /// Directory relative key file paths are resolved against (py-ipv8: the
    /// current directory).
    pub key_dir: PathBuf,
    /// Override the configured port of the first interface.
    pub port: Option<u16>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            pin_address: None,
            duration: None,
            json: false,
            seed: None,
            walk_to: Vec::new(),
            status_interval: Duration::from_secs(10),
            key_dir: PathBuf::from("."),
            port: None,
        }
    }
}

/// Writes events to stdout, as JSON lines or text.
struct Events {
    json: bool,
    clock: RealClock,
}

impl Events {
    fn emit(&self, event: &str, mut fields: Value, text: impl FnOnce() -> String) {
        let mut out = std::io::stdout().lock();
        let _ = if self.json {
            if let Value::Object(m) = &mut fields {
                m.insert("event".into(), json!(event));
            }
            writeln!(out, "{fields}")
        } else {
            let t = self.clock.now().since_epoch().as_secs_f64();
            writeln!(out, "[{t:8.3}s] {}", text())
        };
        let _ = out.flush();
    }
}

fn addr_json(a: SocketAddr) -> Value {
    json!([a.ip().to_string(), a.port()])
}

fn os_seed() -> u64 {
    rand::rngs::OsRng.next_u64()
}

/// Bind, estimate addresses, start the driver; spawn the receive and timer tasks.
fn start(
    ex: &LocalExecutor<'_>,
    node: Node,
    endpoint: Rc<UdpEndpoint>,
    clock: &RealClock,
    pin: Option<IpAddr>,
) -> Result<(Rc<Driver>, Vec<async_executor::Task<()>>), LiveError> {
    endpoint.open()?;
    let mut node = node;
    let local = endpoint.local_address();
    match pin {
        Some(ip) => {
            let a = SocketAddr::new(ip, local.port());
            node.estimated_lan = Some(a);
            node.estimated_wan = Some(a);
        }
        None => node.estimated_lan = Some(endpoint.guess_lan_address()),
    }
    let node = Rc::new(RefCell::new(node));
    let ep: Rc<dyn Endpoint> = endpoint.clone();
    let driver = Driver::new(node, ep, Rc::new(*clock));
    driver.start()?;
    let tasks = vec![
        ex.spawn(endpoint.receive_loop()),
        ex.spawn(driver.clone().run()),
    ];
    Ok((driver, tasks))
}

/// Stop the driver (node stopped, socket closed) and wait for its tasks to end.
async fn shut_down(driver: &Driver, tasks: Vec<async_executor::Task<()>>) {
    driver.stop();
    for t in tasks {
        t.await;
    }
}

/// Run one live peer from `config` until stopped (see the module docs).
pub fn run_node(
    config: &Configuration,
    registry: &Registry,
    opts: &LiveOptions,
    control: Receiver<Control>,
) -> Result<ExitReason, LiveError> {
    let iface = config.interfaces.first().ok_or(LiveError::NoInterface)?;
    let mut bind = iface.socket_addr();
    if let Some(p) = opts.port {
        bind.set_port(p);
    }
    let seed = opts.seed.unwrap_or_else(os_seed);
    let env = BuildEnv::live(seed, &opts.key_dir);
    let node = build_node(config, registry, &env)?;
    // The same keys again (same seed, and the files now exist): for reporting.
    let keys = load_keys(&config.keys, &env)?;
    let key: Option<Vec<u8>> = config
        .overlays
        .first()
        .and_then(|o| keys.get(&o.key))
        .or_else(|| keys.values().next())
        .map(|k| k.public_key().key_to_bin().to_vec());
    let classes: Vec<String> = config.overlays.iter().map(|o| o.class.clone()).collect();
    let clock = RealClock::new();
    let events = Events {
        json: opts.json,
        clock,
    };
    if config.interfaces.len() > 1 {
        events.emit(
            "warning",
            json!({"warning": "only the first interface is used"}),
            || format!("warning: only the first interface ({bind}) is used"),
        );
    }
    let ex = LocalExecutor::new();
    let endpoint = Rc::new(UdpEndpoint::new(bind));
    let (driver, tasks) = start(&ex, node, endpoint.clone(), &clock, opts.pin_address)?;
    let walker_interval = Duration::try_from_secs_f64(config.walker_interval)
        .unwrap_or(DEFAULT_WALKER_INTERVAL)
        .max(POLL);
    let main = async {
        let (lan, wan) = {
            let node = driver.node().borrow();
            (node.estimated_lan, node.estimated_wan)
        };
        let local = endpoint.local_address();
        let key_hex = key.as_ref().map(hex::encode).unwrap_or_default();
        let mid_hex = key
            .as_ref()
            .map(|k| hex::encode(crate::discovery::mid_of(k)))
            .unwrap_or_default();
        events.emit(
            "ready",
            json!({
                "port": local.port(),
                "address": addr_json(local),
                "lan": lan.map(addr_json),
                "wan": wan.map(addr_json),
                "public_key": key_hex,
                "mid": mid_hex,
                "overlays": classes,
                "seed": seed,
            }),
            || {
                format!(
                    "listening on {local} (LAN {}), overlays: {}; public key {}…",
                    lan.map_or("?".into(), |a| a.to_string()),
                    classes.join(", "),
                    key_hex.get(..24).unwrap_or(&key_hex)
                )
            },
        );
        let mut control = control;
        let mut reported: BTreeSet<(usize, KeyBin)> = BTreeSet::new();
        let start_t = clock.now();
        let mut next_walk = start_t;
        let mut next_status = start_t + opts.status_interval;
        let reason = loop {
            let now = clock.now();
            if opts.duration.is_some_and(|d| now >= start_t + d) {
                break ExitReason::Timeout;
            }
            report_new_peers(&driver, &classes, &mut reported, &events);
            report_messages(&driver, &events);
            if !opts.walk_to.is_empty() && now >= next_walk {
                walk_to_missing(&driver, &opts.walk_to);
                next_walk = now + walker_interval;
            }
            if now >= next_status {
                status(&driver, &classes, &endpoint, &events);
                next_status = now + opts.status_interval;
            }
            let mut stop = None;
            loop {
                match control.try_recv() {
                    Ok(Control::Shutdown) => stop = Some(ExitReason::Signal),
                    Ok(Control::Command(line)) => {
                        if command(&line, &driver, &classes, &endpoint, &events) {
                            stop = Some(ExitReason::Quit);
                        }
                    }
                    // Closed: the command source is gone (EOF); keep running, like py_peer.py.
                    Err(_) => break,
                }
                if stop.is_some() {
                    break;
                }
            }
            if let Some(r) = stop {
                break r;
            }
            clock.sleep(POLL).await;
        };
        status(&driver, &classes, &endpoint, &events);
        shut_down(&driver, tasks).await;
        reason
    };
    let reason = async_io::block_on(ex.run(main));
    events.emit(
        "exit",
        json!({"reason": reason.name(), "socket_open": endpoint.is_open()}),
        || format!("stopped ({}); socket closed", reason.name()),
    );
    Ok(reason)
}

/// Emit a `peer` event for every verified peer of every overlay not reported yet.
fn report_new_peers(
    driver: &Driver,
    classes: &[String],
    reported: &mut BTreeSet<(usize, KeyBin)>,
    events: &Events,
) {
    for (i, peers) in overlay_peers(driver).into_iter().enumerate() {
        for p in peers {
            if reported.insert((i, p.key_bin().clone())) {
                let class = classes.get(i).map_or("?", String::as_str);
                let key = hex::encode(p.key_bin());
                events.emit(
                    "peer",
                    json!({"overlay": class, "public_key": key, "address": addr_json(p.address())}),
                    || {
                        format!(
                            "new peer in {class}: {} ({}…)",
                            p.address(),
                            key.get(..24).unwrap_or(&key)
                        )
                    },
                );
            }
        }
    }
}

/// The verified peers of each overlay (py-ipv8 `overlay.get_peers()`), in overlay order.
fn overlay_peers(driver: &Driver) -> Vec<Vec<Peer>> {
    let node = driver.node().borrow();
    let s = node.shared().borrow();
    node.overlays()
        .iter()
        .map(|o| s.network.peers_for_service(o.community_id()))
        .collect()
}

/// Emit a `message` event for every custom message the interop overlays received.
fn report_messages(driver: &Driver, events: &Events) {
    let received = {
        let mut node = driver.node().borrow_mut();
        let n = node.overlays().len();
        let mut all = Vec::new();
        for i in 0..n {
            if let Some(c) = node.overlay_at_mut::<InteropCommunity>(i) {
                all.extend(c.take_received());
            }
        }
        all
    };
    let expected = InteropMessage::test_values();
    for r in received {
        let matches = r.message == expected;
        let from = hex::encode(&r.from);
        events.emit(
            "message",
            json!({
                "from": from,
                "address": addr_json(r.address),
                "values": r.message.to_json(),
                "matches_expected": matches,
            }),
            || {
                format!(
                    "custom message from {} ({}…), matches the test values: {matches}",
                    r.address,
                    from.get(..24).unwrap_or(&from)
                )
            },
        );
    }
}

/// Walk every overlay to each address no verified peer has yet.
fn walk_to_missing(driver: &Driver, targets: &[SocketAddr]) {
    {
        let mut node = driver.node().borrow_mut();
        let missing: Vec<SocketAddr> = {
            let s = node.shared().borrow();
            targets
                .iter()
                .filter(|a| s.network.verified_by_address(a).is_none())
                .copied()
                .collect()
        };
        for a in missing {
            for i in 0..node.overlays().len() {
                node.walk_to(i, a);
            }
        }
    }
    driver.poke();
}

fn status(driver: &Driver, classes: &[String], endpoint: &UdpEndpoint, events: &Events) {
    let counts: Vec<usize> = overlay_peers(driver).iter().map(Vec::len).collect();
    let (verified, stats) = {
        let node = driver.node().borrow();
        let s = node.shared().borrow();
        (s.network.verified_count(), s.stats.clone())
    };
    let per: serde_json::Map<String, Value> = classes
        .iter()
        .zip(&counts)
        .map(|(c, n)| (c.clone(), json!(n)))
        .collect();
    let drops: serde_json::Map<String, Value> = crate::community::DropReason::ALL
        .iter()
        .filter(|r| stats.drops(**r) > 0)
        .map(|r| (r.name().to_owned(), json!(stats.drops(*r))))
        .collect();
    let udp = endpoint.stats();
    events.emit(
        "status",
        json!({
            "peers": per,
            "verified": verified,
            "msgs_sent": stats.msgs_sent,
            "msgs_received": stats.msgs_received,
            "verifies": stats.verifies,
            "drops": drops,
            "udp_send_failed": udp.send_failed,
        }),
        || {
            let per: Vec<String> = classes
                .iter()
                .zip(&counts)
                .map(|(c, n)| format!("{c}={n}"))
                .collect();
            format!(
                "peers: {} (verified total {verified}; sent {}, received {})",
                per.join(", "),
                stats.msgs_sent,
                stats.msgs_received
            )
        },
    )
}

/// Run one command; `true` = quit.
fn command(
    line: &str,
    driver: &Driver,
    classes: &[String],
    endpoint: &UdpEndpoint,
    events: &Events,
) -> bool {
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => {}
        (Some("quit"), None, _) => return true,
        (Some("status"), None, _) => status(driver, classes, endpoint, events),
        (Some("peers"), None, _) => {
            let list: Vec<Value> = overlay_peers(driver)
                .into_iter()
                .enumerate()
                .flat_map(|(i, peers)| {
                    let class = classes.get(i).cloned().unwrap_or_default();
                    peers.into_iter().map(move |p| {
                        json!({"overlay": class, "public_key": hex::encode(p.key_bin()),
                               "address": addr_json(p.address())})
                    })
                })
                .collect();
            let text = list
                .iter()
                .map(|v| format!("  {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            events.emit("peers", json!({ "peers": list }), || {
                format!("{} peer(s)\n{text}", list.len())
            });
        }
        (Some("send"), Some(key_hex), None) => send_command(key_hex, driver, events),
        _ => events.emit(
            "error",
            json!({"error": format!("unknown command {:?}", line.trim())}),
            || {
                format!(
                    "unknown command {:?} (peers, send <hex key>, status, quit)",
                    line.trim()
                )
            },
        ),
    }
    false
}

fn send_command(key_hex: &str, driver: &Driver, events: &Events) {
    let error = |msg: &str| {
        events.emit(
            "error",
            json!({"error": msg, "public_key": key_hex}),
            || format!("send: {msg}"),
        )
    };
    let Ok(key) = hex::decode(key_hex) else {
        return error("bad hex public key");
    };
    let sent = {
        let node = driver.node().borrow();
        let Some(c) =
            (0..node.overlays().len()).find_map(|i| node.overlay_at::<InteropCommunity>(i))
        else {
            drop(node);
            return error("no InteropCommunity overlay");
        };
        let peer = crate::community::CommunityExt::get_peers(c)
            .into_iter()
            .find(|p| p.key_bin()[..] == key[..]);
        peer.map(|p| {
            c.send_test_message(&p);
            p.address()
        })
    };
    match sent {
        None => error("unknown peer"),
        Some(address) => {
            driver.poke();
            events.emit(
                "sent",
                json!({"public_key": key_hex, "address": addr_json(address)}),
                || format!("sent the custom message to {address}"),
            );
        }
    }
}

/// Logs every old-style introduction-request (id 246) reaching the tracker.
struct RequestLog(Rc<Events>);

impl EndpointListener for RequestLog {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        if data.get(22) == Some(&crate::wire::msg_id::INTRODUCTION_REQUEST_OLD) {
            let service = data.get(2..22).map(hex::encode).unwrap_or_default();
            self.0.emit(
                "request",
                json!({"source": addr_json(source), "service": service}),
                || format!("introduction-request from {source} for service {service}"),
            );
        }
    }
}

/// Run a bootstrap server ([`BootstrapServer`], py-ipv8's tracker) on `bind` (exactly
/// that port) with a fresh "very-low" key, logging requests, until stopped.
pub fn run_tracker(
    bind: SocketAddr,
    opts: &LiveOptions,
    control: Receiver<Control>,
) -> Result<ExitReason, LiveError> {
    let seed = opts.seed.unwrap_or_else(os_seed);
    let mut key_rng = ChaCha20Rng::seed_from_u64(seed);
    key_rng.set_stream(1);
    let key = PrivateKey::generate(KeyKind::VERY_LOW, &mut key_rng).map_err(|source| {
        ConfigError::Key {
            path: "tracker key".into(),
            source,
        }
    })?;
    let key = Rc::new(key);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2);
    let shared = Rc::new(RefCell::new(NodeContext::new(
        rng,
        Rc::new(RefCell::new(KeyCache::new(4096))),
    )));
    let server = BootstrapServer::new(CommunitySettings::new(shared.clone(), key.clone()));
    let mut node = Node::new(shared, DEFAULT_WALKER_INTERVAL);
    node.add_overlay(server, Vec::new());
    let clock = RealClock::new();
    let events = Rc::new(Events {
        json: opts.json,
        clock,
    });
    let ex = LocalExecutor::new();
    let endpoint = Rc::new(UdpEndpoint::new(bind).with_port_attempts(1));
    endpoint.add_listener(None, Rc::new(RequestLog(events.clone())));
    let (driver, tasks) = start(&ex, node, endpoint.clone(), &clock, opts.pin_address)?;
    let main = async {
        let local = endpoint.local_address();
        let key_hex = hex::encode(key.public_key().key_to_bin());
        events.emit(
            "ready",
            json!({"port": local.port(), "address": addr_json(local), "public_key": key_hex,
                   "mid": hex::encode(key.mid())}),
            || {
                format!(
                    "tracker listening on {local} (sect163k1 key, mid {})",
                    hex::encode(key.mid())
                )
            },
        );
        let start_t = clock.now();
        let mut next_status = start_t + opts.status_interval;
        let mut control = control;
        let reason = loop {
            let now = clock.now();
            if opts.duration.is_some_and(|d| now >= start_t + d) {
                break ExitReason::Timeout;
            }
            if now >= next_status {
                tracker_status(&driver, &events);
                next_status = now + opts.status_interval;
            }
            let mut stop = None;
            while let Ok(c) = control.try_recv() {
                match c {
                    Control::Shutdown => stop = Some(ExitReason::Signal),
                    Control::Command(l) if l.trim() == "quit" => stop = Some(ExitReason::Quit),
                    Control::Command(l) if l.trim() == "status" => tracker_status(&driver, &events),
                    Control::Command(_) => {}
                }
                if stop.is_some() {
                    break;
                }
            }
            if let Some(r) = stop {
                break r;
            }
            clock.sleep(POLL).await;
        };
        shut_down(&driver, tasks).await;
        reason
    };
    let reason = async_io::block_on(ex.run(main));
    events.emit(
        "exit",
        json!({"reason": reason.name(), "socket_open": endpoint.is_open()}),
        || format!("tracker stopped ({}); socket closed", reason.name()),
    );
    Ok(reason)
}

fn tracker_status(driver: &Driver, events: &Events) {
    let node = driver.node().borrow();
    let (known, requests) = node
        .overlay::<BootstrapServer>()
        .map_or((0, 0), |s| (s.known_peers(), s.requests));
    events.emit(
        "status",
        json!({"known_peers": known, "requests": requests}),
        || format!("tracker: {known} known peer(s), {requests} request(s) answered"),
    );
}
