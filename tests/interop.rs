//! Interop with the real py-ipv8 (pyipv8 3.2.1) on 127.0.0.1: our `ipv8sim node` /
//! `ipv8sim tracker` binaries next to py-ipv8 peers and a py-ipv8 tracker
//! (tests/interop/{py_peer,py_tracker}.py, protocol in tests/interop/README.md).
//!
//! The venv is created on first use by tests/interop/venv.sh under target/ (cached).
//! If it cannot be created the tests FAIL. Set `IPV8SIM_SKIP_INTEROP=1` to skip them
//! (they print that they were skipped). Every process is started with its own time
//! limit and killed by a guard on drop, also when a test fails.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Self-imposed limit of every process (they exit by themselves after it).
const PROCESS_LIMIT_S: u32 = 45;
/// How long to wait for one expected event.
const WAIT: Duration = Duration::from_secs(20);

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Wall-clock time: these tests run real processes on the real network.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn interop_dir() -> PathBuf {
    Path::new(MANIFEST).join("tests/interop")
}

/// The venv's python, or `None` if the tests are to be skipped (IPV8SIM_SKIP_INTEROP).
/// Panics (fails the test) with venv.sh's message if pyipv8 cannot be installed.
fn python(test: &str) -> Option<PathBuf> {
    if std::env::var("IPV8SIM_SKIP_INTEROP").is_ok_and(|v| !v.is_empty() && v != "0") {
        eprintln!("SKIPPED {test}: IPV8SIM_SKIP_INTEROP is set");
        println!("SKIPPED {test}: IPV8SIM_SKIP_INTEROP is set");
        return None;
    }
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let py = PY.get_or_init(|| {
        let venv = Path::new(MANIFEST).join("target/interop-venv");
        let out = Command::new("bash")
            .arg(interop_dir().join("venv.sh"))
            .arg(&venv)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run tests/interop/venv.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tests/interop/venv.sh {} failed ({}): {}\n(set IPV8SIM_SKIP_INTEROP=1 to skip the interop tests)",
                venv.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok(PathBuf::from(path))
    });
    match py {
        Ok(p) => Some(p.clone()),
        Err(e) => panic!("pyipv8 3.2.1 is not available: {e}"),
    }
}

/// A child process speaking JSON lines on stdout; killed and reaped on drop.
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    events: Receiver<Value>,
    seen: Vec<Value>,
    stderr: Arc<Mutex<String>>,
}

impl Proc {
    fn spawn(name: &str, mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let (tx, events) = sync_channel(4096);
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_buf = stderr.clone();
        #[allow(clippy::disallowed_methods)] // test harness: pipe readers
        {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                }
            });
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = stderr_pipe.read_to_string(&mut s);
                err_buf.lock().unwrap().push_str(&s);
            });
        }
        let stdin = child.stdin.take();
        Proc {
            name: name.to_owned(),
            child,
            stdin,
            events,
            seen: Vec::new(),
            stderr,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// The first event (seen before or arriving within `WAIT`) matching `pred`.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        let deadline = now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    // Give the stderr reader a moment if the process died.
                    std::thread::sleep(Duration::from_millis(200));
                    panic!(
                        "{}: no {what} within {WAIT:?}\nevents: {:#?}\nstderr:\n{}",
                        self.name,
                        self.seen,
                        self.stderr.lock().unwrap()
                    );
                }
            }
        }
    }

    /// Wait for the next event named `event` after the ones already seen.
    fn next_event(&mut self, event: &str) -> Value {
        let deadline = now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == event {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "{}: no new {event} event within {WAIT:?}\nevents: {:#?}\nstderr:\n{}",
                    self.name,
                    self.seen,
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    fn ready(&mut self) -> Value {
        self.wait_for("ready event", |v| v["event"] == "ready")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn py_peer(py: &Path, name: &str, args: &[String]) -> Proc {
    let mut cmd = Command::new(py);
    cmd.arg(interop_dir().join("py_peer.py"))
        .args(["--port", "0", "--timeout", &PROCESS_LIMIT_S.to_string()])
        .args(args);
    Proc::spawn(name, cmd)
}

fn py_tracker(py: &Path) -> Proc {
    let mut cmd = Command::new(py);
    cmd.arg(interop_dir().join("py_tracker.py")).args([
        "--port",
        "0",
        "--timeout",
        &PROCESS_LIMIT_S.to_string(),
    ]);
    Proc::spawn("py-tracker", cmd)
}

/// A configuration for our node: one InteropCommunity on 127.0.0.1 (OS-chosen
/// port), an in-memory curve25519 key, RandomWalk, optional bootstrap servers.
fn node_config(test: &str, bootstrap: &[u16]) -> PathBuf {
    let ips: Vec<Value> = bootstrap
        .iter()
        .map(|p| serde_json::json!(["127.0.0.1", p]))
        .collect();
    let bootstrappers = if ips.is_empty() {
        serde_json::json!([])
    } else {
        serde_json::json!([{"class": "DispersyBootstrapper",
                            "init": {"ip_addresses": ips, "dns_addresses": []}}])
    };
    let config = serde_json::json!({
        "interfaces": [{"interface": "UDPIPv4", "ip": "127.0.0.1", "port": 0}],
        "keys": [{"alias": "me", "generation": "curve25519"}],
        "walker_interval": 0.5,
        "overlays": [{
            "class": "InteropCommunity",
            "key": "me",
            "walkers": [{"strategy": "RandomWalk", "peers": 20, "init": {"timeout": 3.0}}],
            "bootstrappers": bootstrappers,
        }],
    });
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{test}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

fn our_node(name: &str, config: &Path, extra: &[String]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipv8sim"));
    cmd.arg("node")
        .arg(config)
        .args([
            "--pin-address",
            "127.0.0.1",
            "--json",
            "--status-interval",
            "1",
        ])
        .args(["--duration", &PROCESS_LIMIT_S.to_string()])
        .args(extra);
    Proc::spawn(name, cmd)
}

fn our_tracker() -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipv8sim"));
    cmd.args(["tracker", "--port", "0", "--ip", "127.0.0.1"])
        .args(["--pin-address", "127.0.0.1", "--json"])
        .args(["--duration", &PROCESS_LIMIT_S.to_string()]);
    Proc::spawn("our-tracker", cmd)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn is_peer(key: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| v["event"] == "peer" && v["public_key"] == key
}

/// Stop our node with `quit` and check it shut down cleanly: exit event, socket
/// closed, no packet dropped for a bad signature or key. Returns its last status.
fn quit_cleanly(node: &mut Proc) -> Value {
    node.send("quit");
    let exit = node.wait_for("exit event", |v| v["event"] == "exit");
    assert_eq!(exit["reason"], "quit");
    assert_eq!(exit["socket_open"], false);
    let status = node
        .seen
        .iter()
        .rev()
        .find(|v| v["event"] == "status")
        .cloned()
        .expect("a status event before exit");
    for bad in ["bad_signature", "bad_key", "malformed"] {
        assert!(
            status["drops"].get(bad).is_none(),
            "{}: dropped packets as {bad}: {status}",
            node.name
        );
    }
    let code = node.child.wait().unwrap();
    assert!(code.success(), "{}: exit status {code}", node.name);
    status
}

#[test]
fn our_node_and_py_peer_find_each_other() {
    let Some(py) = python("our_node_and_py_peer_find_each_other") else {
        return;
    };
    let mut peer = py_peer(&py, "py-peer", &[]);
    let p = peer.ready();
    let py_key = s(&p["public_key"]);
    let py_port = p["port"].as_u64().unwrap();
    let config = node_config("find_each_other", &[]);
    let started = now();
    let mut node = our_node(
        "our-node",
        &config,
        &[format!("--walk-to=127.0.0.1:{py_port}")],
    );
    let ready = node.ready();
    let ready_after = started.elapsed();
    let our_key = s(&ready["public_key"]);
    let found = node.wait_for("peer event for the py-ipv8 peer", is_peer(&py_key));
    let elapsed = started.elapsed();
    println!(
        "MEASURED: our node listed the py-ipv8 peer {:.3} s after its process was started \
         (ready after {:.3} s)",
        elapsed.as_secs_f64(),
        ready_after.as_secs_f64()
    );
    assert_eq!(found["address"], serde_json::json!(["127.0.0.1", py_port]));
    assert_eq!(found["overlay"], "InteropCommunity");
    // The py-ipv8 peer lists us among its verified peers (its own get_peers()).
    let our_port = ready["port"].as_u64().unwrap();
    let deadline = now() + WAIT;
    loop {
        peer.send("peers");
        let list = peer.next_event("peers");
        let listed = list["peers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["public_key"] == our_key.as_str())
            .cloned();
        if let Some(e) = listed {
            assert_eq!(e["address"], serde_json::json!(["127.0.0.1", our_port]));
            break;
        }
        assert!(now() < deadline, "py-ipv8 never listed our node: {list}");
        std::thread::sleep(Duration::from_millis(200));
    }
    quit_cleanly(&mut node);
}

#[test]
fn our_tracker_bootstraps_two_py_peers() {
    let Some(py) = python("our_tracker_bootstraps_two_py_peers") else {
        return;
    };
    let mut tracker = our_tracker();
    let t = tracker.ready();
    let tport = t["port"].as_u64().unwrap();
    let boot = format!("--bootstrap=127.0.0.1:{tport}");
    let mut a = py_peer(&py, "py-peer-a", std::slice::from_ref(&boot));
    let mut b = py_peer(&py, "py-peer-b", &[boot]);
    let (ra, rb) = (a.ready(), b.ready());
    let (ka, kb) = (s(&ra["public_key"]), s(&rb["public_key"]));
    let fa = a.wait_for("peer event for B", is_peer(&kb));
    let fb = b.wait_for("peer event for A", is_peer(&ka));
    assert_eq!(fa["address"], serde_json::json!(["127.0.0.1", rb["port"]]));
    assert_eq!(fb["address"], serde_json::json!(["127.0.0.1", ra["port"]]));
    // Both asked our tracker (for the interop community), and the tracker is nobody's peer.
    for port in [&ra["port"], &rb["port"]] {
        tracker.wait_for("request from a py peer", |v| {
            v["event"] == "request"
                && v["source"][1] == *port
                && v["service"] == hex::encode(b"ipv8sim interop test")
        });
    }
    let tkey = s(&t["public_key"]);
    for p in [&a, &b] {
        assert!(
            !p.seen.iter().any(is_peer(&tkey)),
            "{}: tracker is a peer",
            p.name
        );
    }
    tracker.send("quit");
    let exit = tracker.wait_for("exit", |v| v["event"] == "exit");
    assert_eq!(exit["socket_open"], false);
}

#[test]
fn py_tracker_bootstraps_our_node() {
    let Some(py) = python("py_tracker_bootstraps_our_node") else {
        return;
    };
    let mut tracker = py_tracker(&py);
    let t = tracker.ready();
    let tport = t["port"].as_u64().unwrap();
    let mut a = py_peer(&py, "py-peer", &[format!("--bootstrap=127.0.0.1:{tport}")]);
    let ra = a.ready();
    let ka = s(&ra["public_key"]);
    // A registered with the tracker first, so the tracker introduces A to us: the only
    // way our node learns A's address is the tracker's (sect163k1-signed) response.
    tracker.wait_for("A's request", |v| {
        v["event"] == "request" && v["public_key"] == ka.as_str()
    });
    let config = node_config("py_tracker", &[tport as u16]);
    let mut node = our_node("our-node", &config, &[]);
    let ready = node.ready();
    let our_key = s(&ready["public_key"]);
    let found = node.wait_for("peer event for A", is_peer(&ka));
    assert_eq!(
        found["address"],
        serde_json::json!(["127.0.0.1", ra["port"]])
    );
    tracker.wait_for("our request", |v| {
        v["event"] == "request"
            && v["public_key"] == our_key.as_str()
            && v["service"] == hex::encode(b"ipv8sim interop test")
    });
    a.wait_for("A verifies our node", is_peer(&our_key));
    let status = quit_cleanly(&mut node);
    assert!(status["verifies"].as_u64().unwrap() >= 2, "{status}");
    let tkey = s(&t["public_key"]);
    assert!(
        !node.seen.iter().any(is_peer(&tkey)),
        "the tracker must not be a peer"
    );
}

#[test]
fn custom_message_both_ways() {
    let Some(py) = python("custom_message_both_ways") else {
        return;
    };
    let mut peer = py_peer(&py, "py-peer", &[]);
    let p = peer.ready();
    let py_key = s(&p["public_key"]);
    let config = node_config("custom_message", &[]);
    let mut node = our_node(
        "our-node",
        &config,
        &[format!("--walk-to=127.0.0.1:{}", p["port"])],
    );
    let our_key = s(&node.ready()["public_key"]);
    node.wait_for("py peer verified", is_peer(&py_key));
    peer.wait_for("our node verified", is_peer(&our_key));

    // Ours → py-ipv8.
    node.send(&format!("send {py_key}"));
    node.wait_for("sent", |v| v["event"] == "sent");
    let at_py = peer.wait_for("message at py-ipv8", |v| v["event"] == "message");
    assert_eq!(at_py["from"], our_key.as_str());
    assert_eq!(at_py["matches_expected"], true, "{at_py}");

    // py-ipv8 → ours.
    peer.send(&format!("send {our_key}"));
    let at_ours = node.wait_for("message at our node", |v| v["event"] == "message");
    assert_eq!(at_ours["from"], py_key.as_str());
    assert_eq!(at_ours["matches_expected"], true, "{at_ours}");
    // Both sides decoded the same values, equal to the README's JSON form.
    assert_eq!(at_ours["values"], at_py["values"]);
    let expected: Value = serde_json::from_str(
        r#"{"addr": ["::1", 8090], "big": 18446744073709551615, "blob": "000102ff",
            "counter": 3000000000, "delta": -1234567890123, "flag": true,
            "items": ["61", "", "00ff"], "numbers": [1, -1, 4611686018427387904],
            "port": 65535, "ratio": -2.75, "text": "h\u00e9llo, ipv8 \u2713",
            "v4": ["10.1.2.3", 6421]}"#,
    )
    .unwrap();
    assert_eq!(at_ours["values"], expected);
    quit_cleanly(&mut node);
}
