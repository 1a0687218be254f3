//! The crypto modes (`crypto = "fast"`, `verify_skip`, `verify_threads`,
//! `vartime_sign = false`) change wall
//! time only: a 200-peer docs-bootstrap run and a lossy EC-key run give byte-identical
//! `metrics.csv` and `peers.csv` in every mode, and `summary.json` differs only in the
//! wall-time fields, `crypto_mode`, the skip / pool statistics and the echoed keys.

use std::path::{Path, PathBuf};

use ipv8sim::sim::scenario::{run, Scenario};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipv8sim-cmode-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Out {
    metrics: Vec<u8>,
    peers: Vec<u8>,
    summary: Value,
}

fn run_mode(file: &str, base: &[&str], mode: &[&str], tag: &str) -> Out {
    let sets: Vec<String> = base.iter().chain(mode).map(|s| s.to_string()).collect();
    let path = root().join(file);
    let s = Scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{e}"));
    let out = tmp(tag);
    let mut opts = run::RunOptions::new(&out);
    opts.plot = false;
    opts.floor = true;
    run::run(&s, 1, &opts).unwrap_or_else(|e| panic!("{e}"));
    let read = |f: &str| std::fs::read(out.join(f)).unwrap();
    let o = Out {
        metrics: read("metrics.csv"),
        peers: read("peers.csv"),
        summary: serde_json::from_slice(&read("summary.json")).unwrap(),
    };
    let _ = std::fs::remove_dir_all(&out);
    o
}

/// `summary.json` without the fields a crypto mode may change.
fn comparable(summary: &Value) -> Value {
    let mut v = summary.clone();
    let o = v.as_object_mut().unwrap();
    for k in [
        "wall_time_s",
        "build_wall_s",
        "run_wall_s",
        "events_per_s",
        "crypto_floor",
        "peak_memory_kb",
        "heap_huge_pages",
        "crypto_mode",
        "verify_pool",
    ] {
        o.remove(k);
    }
    for c in o["crypto"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("verifies_skipped");
    }
    let sf = o["scenario_file"].as_object_mut().unwrap();
    for k in ["crypto", "verify_skip", "verify_threads", "vartime_sign"] {
        sf.remove(k);
    }
    v
}

fn skipped(summary: &Value) -> u64 {
    summary["crypto"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verifies_skipped"].as_u64().unwrap())
        .sum()
}

/// Verifies of all hosts, servers included (as `crypto` and the floor count them).
fn verifies(summary: &Value) -> u64 {
    summary["crypto"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verifies"].as_u64().unwrap())
        .sum()
}

fn check_modes(file: &str, base: &[&str], tag: &str) {
    let real = run_mode(file, base, &[], &format!("{tag}-real"));
    assert_eq!(real.summary["crypto_mode"], "real");
    assert!(
        real.summary["crypto_floor"].is_object(),
        "real mode has a floor"
    );
    // The run's own sign and verify calls are timed: part of its wall time, and the
    // rest is the simulation's.
    let f = &real.summary["crypto_floor"];
    let num = |v: &Value| v.as_f64().unwrap();
    let (calls, wall) = (num(&f["crypto_calls_s"]), num(&real.summary["run_wall_s"]));
    assert!(
        calls > 0.0 && calls < wall,
        "{tag}: calls {calls} s, run wall {wall} s"
    );
    assert!((num(&f["outside_crypto_s"]) - (wall - calls)).abs() < 1e-9);
    assert!((num(&f["calls_over_floor"]) - calls / num(&f["floor_s"])).abs() < 1e-9);
    assert_eq!(skipped(&real.summary), 0);
    assert!(real.summary.get("verify_pool").is_none());
    assert!(
        verifies(&real.summary) > 1000,
        "too few signatures to compare"
    );
    let modes: [(&str, &[&str]); 4] = [
        ("fast", &["crypto=fast"]),
        ("skip", &["verify_skip=true"]),
        ("pool", &["verify_threads=2"]),
        // Scenarios sign in variable time by default; constant-time signing is
        // byte-for-byte the same.
        ("ct", &["vartime_sign=false"]),
    ];
    for (name, sets) in modes {
        let o = run_mode(file, base, sets, &format!("{tag}-{name}"));
        assert!(
            o.metrics == real.metrics,
            "{tag} {name}: metrics.csv differs"
        );
        assert!(o.peers == real.peers, "{tag} {name}: peers.csv differs");
        assert_eq!(
            comparable(&o.summary),
            comparable(&real.summary),
            "{tag} {name}: summary.json differs"
        );
        match name {
            "fast" => {
                assert_eq!(o.summary["crypto_mode"], "fast");
                assert!(o.summary["crypto_floor"].is_null(), "fast: no floor");
            }
            "skip" => {
                // Most honest verifies are skipped, and the floor counts only the rest.
                let s = skipped(&o.summary);
                assert!(s * 2 > verifies(&o.summary), "{tag}: only {s} skipped");
                let floor_verifies: u64 = o.summary["crypto_floor"]["kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k["verifies"].as_u64().unwrap())
                    .sum();
                assert_eq!(floor_verifies, verifies(&o.summary) - s);
            }
            "ct" => {
                assert_eq!(o.summary["scenario_file"]["vartime_sign"], false);
                assert!(real.summary["scenario_file"].get("vartime_sign").is_none());
                assert!(o.summary["crypto_floor"].is_object());
            }
            _ => {
                let p = &o.summary["verify_pool"];
                assert_eq!(p["threads"], 2);
                assert!(p["submitted"].as_u64().unwrap() > 0, "{tag}: pool unused");
                let answered =
                    p["results_used"].as_u64().unwrap() + p["taken_inline"].as_u64().unwrap();
                assert!(answered <= verifies(&o.summary));
            }
        }
    }
}

/// 200 peers, 60 s of the docs' bootstrap scenario (curve25519, zero latency).
#[test]
fn docs_bootstrap_200_identical_in_every_crypto_mode() {
    check_modes(
        "scenarios/docs-bootstrap.toml",
        &["group.0.count=200", "duration=60", "seeds=[1]"],
        "docs200",
    );
}

/// EC keys (very-low: 42-byte signatures), 5 % loss and jitter: drops, timeouts and
/// retries still match.
#[test]
fn lossy_ec_run_identical_in_every_crypto_mode() {
    check_modes(
        "scenarios/docs-bootstrap.toml",
        &[
            "group.0.count=40",
            "duration=20",
            "seeds=[1]",
            "group.0.key=very-low",
            "network.loss=0.05",
            "network.latency.model=jitter",
            "network.latency.ms=20",
            "network.latency.spread_ms=10",
        ],
        "ec40",
    );
}

/// Bad values are refused before running, at the key's line.
#[test]
fn bad_crypto_keys_are_refused() {
    let path: &Path = &root().join("scenarios/docs-bootstrap.toml");
    for (sets, msg) in [
        (&["crypto=slow"][..], "unknown crypto mode `slow`"),
        (
            &["verify_threads=-1"][..],
            "verify_threads: must be in 0..=64",
        ),
        (
            &["crypto=fast", "verify_skip=true"][..],
            "verify_skip: applies to crypto",
        ),
        (
            &["verify_skip=true", "verify_threads=1"][..],
            "cannot be combined with verify_skip",
        ),
    ] {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let err = match Scenario::load(path, &sets) {
            Ok(_) => panic!("{sets:?} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(msg), "{sets:?}: {err}");
    }
}
