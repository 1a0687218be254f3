//! Scenario files, the runner and its results: shipped scenarios run, malformed ones
//! fail with their intended message, runs are reproducible, churn replay follows its
//! trace, and docs-bootstrap matches py-ipv8's own measurement.

use std::path::{Path, PathBuf};

use ipv8sim::report::csv_in::{read_metrics, read_reference};
use ipv8sim::runtime::Instant;
use ipv8sim::sim::scenario::{build, run, Scenario};
use ipv8sim::sim::trace::{ChurnTrace, NodeSample, PeerOrder, ReplayOptions, WindowStart};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipv8sim-scen-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_to(path: &Path, seed: u64, sets: &[&str], out: &Path, plot: bool) -> run::RunOutput {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = Scenario::load(path, &sets).unwrap_or_else(|e| panic!("{e}"));
    let mut opts = run::RunOptions::new(out);
    opts.plot = plot;
    run::run(&s, seed, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Short versions of every shipped scenario run and write all outputs; metrics.csv has
/// one row per sample per overlay.
#[test]
fn shipped_scenarios_run() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "docs-bootstrap",
        "walkers-compare",
        "churn-replay",
        "latency-matrix",
        "scale-10k",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "scenarios/{want}.toml missing"
        );
    }
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let mut sets = vec!["duration=6", "sample_interval=2"];
        if name == "scale-10k" {
            sets.push("group.0.count=400");
        }
        if name == "latency-matrix" {
            sets.push("event.0.at=3"); // keep the loss event inside the short run
        }
        let out = tmp(&format!("shipped-{name}"));
        let plot = name == "docs-bootstrap";
        let o = run_to(f, 1, &sets, &out, plot);
        for file in ["metrics.csv", "peers.csv", "summary.json"] {
            assert!(out.join(file).is_file(), "{name}: no {file}");
        }
        if plot {
            assert!(out.join("convergence.svg").is_file());
            assert!(out.join("convergence.png").is_file());
        }
        let m = read_metrics(&out.join("metrics.csv")).unwrap();
        let overlays = m.overlays().len();
        assert_eq!(m.rows.len(), 4 * overlays, "{name}: samples at 0, 2, 4, 6");
        if name == "walkers-compare" {
            assert_eq!(m.overlays(), vec!["RandomWalk", "EdgeWalk"]);
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(json["seed"], 1);
        assert_eq!(json["events"].as_u64(), Some(o.summary.events));
        assert!(o.summary.events > 0, "{name}: nothing happened");
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// Every file in tests/bad-scenarios is rejected before running, at the line and
/// with the message its `# expect: line N: text` comment names.
#[test]
fn bad_scenarios_fail_with_their_message() {
    let dir = Path::new("tests/bad-scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(root().join(dir)).unwrap() {
        let file = dir.join(e.unwrap().file_name());
        if file.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        n += 1;
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        let expect = text
            .lines()
            .find_map(|l| l.strip_prefix("# expect: line "))
            .unwrap_or_else(|| panic!("{}: no `# expect: line N: ...` comment", file.display()));
        let (line, msg) = expect.split_once(": ").unwrap();
        let line: usize = line.parse().unwrap();
        // Relative path, as a user would type it (messages name it).
        let cwd_file = root().join(&file);
        let result = Scenario::load(&cwd_file, &[]).and_then(|s| build::check(&s, 1));
        let err = match result {
            Ok(()) => panic!("{}: accepted", file.display()),
            Err(e) => e,
        };
        let located = err
            .located()
            .unwrap_or_else(|| panic!("{}: error without location: {err}", file.display()));
        let shown = err
            .to_string()
            .replace(&format!("{}/", root().display()), "");
        assert_eq!(located.line, line, "{}: {shown}", file.display());
        assert!(
            shown.contains(msg),
            "{}:\n  got: {shown}\n  expected: {msg}",
            file.display()
        );
        assert!(
            shown.contains("hint: "),
            "{}: no hint: {shown}",
            file.display()
        );
    }
    assert!(n >= 20, "only {n} bad scenarios");
}

/// `--set` reaches nested keys and array elements, and a bad override is an error.
#[test]
fn overrides_reach_nested_keys() {
    let f = root().join("scenarios/walkers-compare.toml");
    let s = Scenario::load(
        &f,
        &[
            "group.1.count=7".into(),
            "group.1.walker.0.target=3".into(),
            "network.latency.ms=5.5".into(),
            "duration=9".into(),
        ],
    )
    .unwrap();
    assert_eq!(s.file.groups[1].count, 7);
    assert_eq!(s.file.groups[1].walkers.as_ref().unwrap()[0].target, 3);
    assert_eq!(s.file.network.latency.ms, Some(5.5));
    assert_eq!(s.file.duration, 9.0);
    let e = Scenario::load(&f, &["group.5.count=1".into()]).unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = Scenario::load(&f, &["duration".into()]).unwrap_err();
    assert!(e.to_string().contains("key=value"), "{e}");
    let e = Scenario::load(&f, &["group.0.count=-3".into()]).unwrap_err();
    assert!(e.to_string().contains("after --set overrides"), "{e}");
}

/// Same scenario + seed → byte-identical metrics.csv and peers.csv; another seed
/// changes them.
#[test]
fn docs_bootstrap_is_reproducible() {
    let f = root().join("scenarios/docs-bootstrap.toml");
    let (a, b, c) = (tmp("det-a"), tmp("det-b"), tmp("det-c"));
    run_to(&f, 1, &[], &a, false);
    run_to(&f, 1, &[], &b, false);
    run_to(&f, 2, &[], &c, false);
    for file in ["metrics.csv", "peers.csv"] {
        let (x, y, z) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            std::fs::read(c.join(file)).unwrap(),
        );
        assert_eq!(x, y, "{file} differs between two runs of seed 1");
        assert_ne!(x, z, "{file} is the same for seeds 1 and 2");
    }
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// churn-replay: `peers_online` in metrics.csv equals `ChurnTrace::online_at` at every
/// sample after t = 0 (at t = 0 the sample is taken before the t = 0 joins, so 0).
#[test]
fn churn_replay_follows_the_trace() {
    let f = root().join("scenarios/churn-replay.toml");
    let out = tmp("churn");
    run_to(&f, 1, &[], &out, false);
    let s = Scenario::load(&f, &[]).unwrap();
    let c = s.file.churn.as_ref().unwrap();
    let opts = ReplayOptions {
        time_scale: c.time_scale,
        start: WindowStart::AfterFirstJoin(std::time::Duration::from_secs_f64(c.start)),
        duration: c.window.map(std::time::Duration::from_secs_f64),
        max_nodes: Some(s.file.groups[0].count as usize),
        sample: NodeSample::First,
        order: PeerOrder::FirstJoin,
    };
    let mut rng = ipv8sim::sim::seeds::node_rng(1, u64::MAX, "churn");
    let trace = ChurnTrace::load(&s.resolve(&c.trace), &opts, &mut rng).unwrap();
    assert!(trace.peers > 10, "window too empty: {} peers", trace.peers);
    let m = read_metrics(&out.join("metrics.csv")).unwrap();
    let online = m.series("test", "peers_online").unwrap();
    assert_eq!(online.len(), 151);
    let event_times: Vec<Instant> = trace.events().iter().map(|e| e.time).collect();
    let mut changes = 0;
    let mut last = 0.0;
    for (t, v) in online {
        let at = Instant::from_nanos((t * 1e9).round() as u64);
        let expected = if at == Instant::ZERO {
            0
        } else {
            assert!(
                !event_times.contains(&at),
                "a churn event coincides with the sample at {t} s: online_at is ambiguous there"
            );
            trace.online_at(at)
        };
        assert_eq!(v as usize, expected, "peers online at {t} s");
        if v != last {
            changes += 1;
        }
        last = v;
    }
    assert!(changes > 20, "only {changes} changes: not much churn");
    let _ = std::fs::remove_dir_all(&out);
}

/// `ipv8sim validate` on a bad file: non-zero exit, a located message, no panic.
#[test]
fn cli_reports_errors_without_panicking() {
    let bin = env!("CARGO_BIN_EXE_ipv8sim");
    let o = std::process::Command::new(bin)
        .current_dir(root())
        .args(["validate", "tests/bad-scenarios/unknown-group.toml"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "tests/bad-scenarios/unknown-group.toml:14:9: event.0.group: unknown group `pears`"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let o = std::process::Command::new(bin)
        .current_dir(root())
        .args(["run", "no/such/file.toml"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/file.toml: cannot read"));
}

/// Fidelity: the mean verified-peers curve of docs-bootstrap (mean of seeds 1–3) is
/// within ±10 % of py-ipv8's (mean of its seeds 1–3, ../shared/reference) at every 2 s
/// sample from 10 s on.
#[test]
fn docs_bootstrap_matches_pyipv8() {
    let f = root().join("scenarios/docs-bootstrap.toml");
    let refdir = root().join("../shared/reference/pyipv8-seed-bootstrap");
    let mut ours: Vec<Vec<(f64, f64)>> = Vec::new();
    for seed in 1..=3 {
        let out = tmp(&format!("fid-{seed}"));
        run_to(&f, seed, &[], &out, false);
        let m = read_metrics(&out.join("metrics.csv")).unwrap();
        ours.push(m.series("docs-community", "verified_mean").unwrap());
        let _ = std::fs::remove_dir_all(&out);
    }
    let refs: Vec<Vec<(f64, f64)>> = (1..=3)
        .map(|s| {
            read_reference(&refdir.join(format!("n20_seed{s}.csv")))
                .unwrap()
                .iter()
                .map(|r| (r.t, r.mean))
                .collect()
        })
        .collect();
    let mean_at = |runs: &[Vec<(f64, f64)>], t: f64| -> f64 {
        let v: Vec<f64> = runs
            .iter()
            .map(|r| {
                r.iter()
                    .find(|(x, _)| (x - t).abs() < 1e-9)
                    .unwrap_or_else(|| panic!("no sample at {t}"))
                    .1
            })
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let mut bad = Vec::new();
    let mut table = String::from("t_s  ipv8sim  py-ipv8  ratio\n");
    let mut t = 10.0;
    while t <= 120.0 + 1e-9 {
        let (a, b) = (mean_at(&ours, t), mean_at(&refs, t));
        table.push_str(&format!("{t:>5} {a:>8.3} {b:>8.3} {:>6.3}\n", a / b));
        if (a - b).abs() > 0.1 * b {
            bad.push(t);
        }
        t += 2.0;
    }
    println!("{table}");
    assert!(bad.is_empty(), "outside ±10 % at t = {bad:?}\n{table}");
}

const TIMELINE: &str = r#"
name = "timeline"
seed = 1
duration = 30.0
sample_interval = 1.0
[network]
loss = 0.05
[network.latency]
model = "jitter"
ms = 20.0
spread_ms = 10.0
[[group]]
name = "a"
count = 12
join_spread = 2.0
[[group.walker]]
strategy = "RandomWalk"
target = 6
[[group.bootstrapper]]
type = "broadcast"
timeout = 3.0
[[group]]
name = "b"
count = 8
auto_join = false
[[group.walker]]
strategy = "EdgeWalk"
target = 4
[[group.bootstrapper]]
type = "broadcast"
timeout = 3.0
[[event]]
at = 5.0
action = "join"
group = "b"
count = 5
[[event]]
at = 10.0
action = "crash"
group = "a"
count = 4
[[event]]
at = 12.0
action = "leave"
group = "b"
peers = [0, 1]
[[event]]
at = 15.0
action = "partition"
groups = ["a", "b"]
[[event]]
at = 18.0
action = "latency"
latency = { model = "constant", ms = 50.0 }
[[event]]
at = 20.0
action = "rejoin"
group = "a"
[[event]]
at = 22.0
action = "heal"
[[event]]
at = 25.0
action = "loss"
loss = 0.0
"#;

fn run_text(text: &str, seed: u64, out: &Path) {
    let s = Scenario::from_text(&root().join("timeline.toml"), text, &[]).unwrap();
    let mut opts = run::RunOptions::new(out);
    opts.plot = false;
    run::run(&s, seed, &opts).unwrap();
}

/// A timeline of every event kind (peers find each other by LAN broadcast, so this
/// needs no bootstrap server): reproducible byte for byte, seed-sensitive, and the
/// online counts follow the events.
#[test]
fn timeline_events_are_applied_and_reproducible() {
    let (a, b, c) = (tmp("tl-a"), tmp("tl-b"), tmp("tl-c"));
    run_text(TIMELINE, 1, &a);
    run_text(TIMELINE, 1, &b);
    run_text(TIMELINE, 2, &c);
    for file in ["metrics.csv", "peers.csv"] {
        let x = std::fs::read(a.join(file)).unwrap();
        assert_eq!(
            x,
            std::fs::read(b.join(file)).unwrap(),
            "{file}: same seed differs"
        );
        assert_ne!(
            x,
            std::fs::read(c.join(file)).unwrap(),
            "{file}: seeds 1 and 2 agree"
        );
    }
    let m = read_metrics(&a.join("metrics.csv")).unwrap();
    assert_eq!(m.overlays(), vec!["test"]);
    let online: Vec<(f64, f64)> = m.series("test", "peers_online").unwrap();
    let at = |t: f64| online.iter().find(|(x, _)| *x == t).unwrap().1 as usize;
    assert_eq!(at(0.0), 0);
    assert_eq!(at(3.0), 12); // group a joined within [0, 2)
    assert_eq!(at(6.0), 17); // + 5 of b
    assert_eq!(at(11.0), 13); // 4 of a crashed
    assert_eq!(at(13.0), 11); // b peers 0 and 1 left
    assert_eq!(at(21.0), 15); // the 4 crashed peers of a rejoined
    assert_eq!(at(30.0), 15);
    let mean = m.series("test", "verified_mean").unwrap();
    assert!(
        mean.iter().any(|(_, v)| *v > 3.0),
        "peers never found each other: {mean:?}"
    );
    let drops = m.series("test", "drop:partition").unwrap();
    assert!(
        drops.last().unwrap().1 > 0.0,
        "the partition dropped nothing"
    );
    let loss = m.series("test", "drop:loss").unwrap();
    assert!(loss.last().unwrap().1 > 0.0, "5 % loss lost nothing");
    let peers = std::fs::read_to_string(a.join("peers.csv")).unwrap();
    let rows: Vec<Vec<&str>> = peers
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 20);
    // b peers 5..8 never joined: empty join cell; b peers 0, 1 left at 12.
    assert_eq!(rows[12 + 5][2], "");
    assert_eq!(rows[12][3], "12");
    assert_eq!(
        rows[0][3], "",
        "a crashed peer that rejoined is online at the end"
    );
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A DiscoveryCommunity group with RandomWalk, RandomChurn and PeriodicSimilarity
/// walkers next to a plain community: both overlays are sampled, and the discovery
/// messages are counted by type.
#[test]
fn discovery_community_group_runs() {
    let text = r#"
name = "disc"
seed = 3
duration = 40.0
sample_interval = 2.0
[bootstrap]
servers = 2
[[group]]
name = "d"
count = 15
community = "DiscoveryCommunity"
[[group.walker]]
strategy = "RandomWalk"
target = 8
[[group.walker]]
strategy = "RandomChurn"
target = -1
ping_interval = 5.0
[[group.walker]]
strategy = "PeriodicSimilarity"
target = -1
[[group]]
name = "p"
count = 10
"#;
    let out = tmp("disc");
    run_text(text, 3, &out);
    let m = read_metrics(&out.join("metrics.csv")).unwrap();
    assert_eq!(m.overlays(), vec!["DiscoveryCommunity", "test"]);
    let last = |o: &str, c: &str| m.series(o, c).unwrap().last().unwrap().1;
    assert_eq!(last("DiscoveryCommunity", "peers_online"), 15.0);
    assert_eq!(last("test", "peers_online"), 10.0);
    assert!(last("DiscoveryCommunity", "verified_mean") > 2.0);
    assert!(last("test", "verified_mean") > 2.0);
    assert!(last("DiscoveryCommunity", "sent:similarity-request") > 0.0);
    assert!(last("DiscoveryCommunity", "sent:ping") > 0.0);
    assert_eq!(last("test", "sent:similarity-request"), 0.0);
    let _ = std::fs::remove_dir_all(&out);
}
