//! The side-by-side comparison script (benches/pyipv8/side_by_side.py) in its quick
//! setting: real py-ipv8 3.2.1 and our binary on the docs' bootstrap scenario at 20
//! peers for 10 virtual seconds (a few seconds in all). No timing is asserted: the
//! tests check that both runs happen, that the table, curves and plots are written,
//! that the two curves agree, and that a failing run fails the script.
//!
//! The venv is created on first use by tests/interop/venv.sh under target/ (cached,
//! shared with tests/interop.rs). If it cannot be created the test FAILS. Set
//! `IPV8SIM_SKIP_INTEROP=1` to skip the test that needs it (it prints that it was skipped).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_ipv8sim");

fn script() -> PathBuf {
    Path::new(MANIFEST).join("benches/pyipv8/side_by_side.py")
}

/// The venv's python, or `None` if skipped (IPV8SIM_SKIP_INTEROP). Panics with
/// venv.sh's message if pyipv8 3.2.1 cannot be installed.
fn python(test: &str) -> Option<PathBuf> {
    if std::env::var("IPV8SIM_SKIP_INTEROP").is_ok_and(|v| !v.is_empty() && v != "0") {
        eprintln!("SKIPPED {test}: IPV8SIM_SKIP_INTEROP is set");
        println!("SKIPPED {test}: IPV8SIM_SKIP_INTEROP is set");
        return None;
    }
    let venv = Path::new(MANIFEST).join("target/interop-venv");
    let out = Command::new("bash")
        .arg(Path::new(MANIFEST).join("tests/interop/venv.sh"))
        .arg(&venv)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run tests/interop/venv.sh");
    assert!(
        out.status.success(),
        "pyipv8 3.2.1 is not available: tests/interop/venv.sh {} failed ({}): {}\n\
         (set IPV8SIM_SKIP_INTEROP=1 to skip)",
        venv.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(MANIFEST)
        .join("target/test-side-by-side")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run_script(python: &Path, out: &Path, extra: &[&str]) -> Output {
    run_script_for(python, out, "10", extra)
}

fn run_script_for(python: &Path, out: &Path, duration: &str, extra: &[&str]) -> Output {
    Command::new("python3")
        .arg(script())
        .args(["--peers", "20", "--seeds", "1", "--duration", duration])
        .arg("--out")
        .arg(out)
        .arg("--ipv8sim")
        .arg(BIN)
        .arg("--python")
        .arg(python)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run python3 benches/pyipv8/side_by_side.py")
}

/// table.csv as one map per row (column name → cell).
fn read_table(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    let cell = row
        .get(col)
        .unwrap_or_else(|| panic!("table.csv has no column {col}"));
    cell.parse()
        .unwrap_or_else(|_| panic!("table.csv column {col}: {cell:?} is not a number"))
}

fn non_empty(path: &Path) {
    let len = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{} missing: {e}", path.display()))
        .len();
    assert!(len > 0, "{} is empty", path.display());
}

#[test]
fn quick_side_by_side_runs_both_and_writes_table_curves_and_plots() {
    let Some(py) = python("quick_side_by_side_runs_both_and_writes_table_curves_and_plots") else {
        return;
    };
    let out = out_dir("quick");
    let res = run_script(&py, &out, &["--fast"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        res.status.success(),
        "side_by_side.py failed ({}):\n{stdout}\n{stderr}",
        res.status
    );
    assert!(
        stdout.contains("| N | seed | py wall s |"),
        "no Markdown table printed:\n{stdout}"
    );

    let rows = read_table(&out.join("table.csv"));
    assert_eq!(rows.len(), 1, "one row for N=20 seed 1: {rows:?}");
    let r = &rows[0];
    assert_eq!(num(r, "peers"), 20.0);
    assert_eq!(num(r, "seed"), 1.0);
    for col in [
        "py_sim_wall_s",
        "py_packets",
        "py_rss_mb",
        "our_run_wall_s",
        "our_total_wall_s",
        "our_process_wall_s",
        "our_packets",
        "floor_s",
        "wall_over_floor",
        "calls_over_floor",
        "sign_us",
        "verify_us",
        "ratio",
    ] {
        assert!(num(r, col) > 0.0, "{col} must be positive: {r:?}");
    }
    // The headline ratio is py's simulation wall over ours (4-decimal cells).
    let ratio = num(r, "py_sim_wall_s") / num(r, "our_run_wall_s");
    assert!(
        (num(r, "ratio") - ratio).abs() <= 0.01 * ratio + 0.01,
        "ratio {} != py_sim_wall_s / our_run_wall_s = {ratio}",
        num(r, "ratio")
    );
    assert!(num(r, "our_total_wall_s") >= num(r, "our_run_wall_s"));
    // Both simulate the same scenario: 20 peers, 2 trackers, 10 s → ~800-1000 packets each
    // and mean curves within a few peers of each other (seed noise is ~0.5 at N=20).
    for col in ["py_packets", "our_packets"] {
        let p = num(r, col);
        assert!((300.0..3000.0).contains(&p), "{col} = {p} out of range");
    }
    let diff = num(r, "mean_abs_diff");
    assert!(diff < 2.5, "mean |py - ours| of the mean curves = {diff}");
    // --fast: either a measured column or the explicit "no crypto key" note.
    let fast = r
        .get("fast_run_wall_s")
        .expect("--fast adds fast_run_wall_s");
    assert!(
        fast.starts_with("n/a") || fast.parse::<f64>().is_ok_and(|v| v > 0.0),
        "fast_run_wall_s = {fast:?}"
    );

    non_empty(&out.join("table.md"));
    non_empty(&out.join("pyipv8/n20_seed1.csv"));
    non_empty(&out.join("pyipv8/n20_seed1.json"));
    non_empty(&out.join("ipv8sim/ipv8sim-N20/1/metrics.csv"));
    non_empty(&out.join("ipv8sim/ipv8sim-N20/1/summary.json"));
    for plot in [
        "convergence-all.svg",
        "convergence-all.png",
        "convergence-N20.svg",
        "convergence-N20.png",
    ] {
        non_empty(&out.join(plot));
    }
    let curves = std::fs::read_to_string(out.join("curves/n20_seed1.csv")).unwrap();
    let mut lines = curves.lines();
    assert_eq!(
        lines.next(),
        Some("t,py_mean,py_min,py_max,ours_mean,ours_min,ours_max,fast_mean")
    );
    // Samples every 2 s from 0 to 10 s.
    assert_eq!(lines.count(), 6, "{curves}");
    let svg = std::fs::read_to_string(out.join("convergence-all.svg")).unwrap();
    assert!(
        svg.contains("py-ipv8 N=20"),
        "py-ipv8 curve not in the plot"
    );
    assert!(svg.contains("ipv8sim-N20"), "our curve not in the plot");
}

#[test]
fn side_by_side_fails_loudly_when_a_run_fails() {
    // `false` as py-ipv8's python: the first run exits 1, so must the script (no venv needed).
    let out = out_dir("failing");
    let res = run_script(Path::new("false"), &out, &[]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("py-ipv8 N=20 seed=1 failed"),
        "unclear message:\n{stderr}"
    );
    assert!(
        !out.join("table.csv").exists(),
        "no table may be written when a run failed"
    );
}

#[test]
fn fast_column_is_measured_when_ipv8sim_accepts_the_override() {
    let Some(py) = python("fast_column_is_measured_when_ipv8sim_accepts_the_override") else {
        return;
    };
    // A valid no-op override stands in for `crypto=fast` (which may not exist yet).
    let out = out_dir("fast-override");
    let res = run_script_for(
        &py,
        &out,
        "4",
        &["--fast", "--fast-set", "sample_interval=2"],
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "failed ({}):\n{stderr}", res.status);
    let rows = read_table(&out.join("table.csv"));
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert!(num(r, "fast_run_wall_s") > 0.0);
    let ratio = num(r, "py_sim_wall_s") / num(r, "fast_run_wall_s");
    assert!((num(r, "fast_ratio") - ratio).abs() <= 0.01 * ratio + 0.01);
    non_empty(&out.join("ipv8sim/ipv8sim-fast-N20/1/summary.json"));
    let svg = std::fs::read_to_string(out.join("convergence-N20.svg")).unwrap();
    assert!(
        svg.contains("ipv8sim-fast-N20"),
        "fast curve not in the N=20 plot"
    );
    let curves = std::fs::read_to_string(out.join("curves/n20_seed1.csv")).unwrap();
    let last = curves.lines().last().unwrap();
    assert!(
        !last.ends_with(','),
        "fast_mean column empty at the last sample: {last}"
    );

    // Any other refusal of the fast run is an error, not an n/a column.
    let out = out_dir("fast-bad-override");
    let res = run_script_for(&py, &out, "4", &["--fast", "--fast-set", "no_such_key=1"]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("ipv8sim (fast crypto) N=20 seed=1 failed")
            && stderr.contains("no_such_key"),
        "unclear message:\n{stderr}"
    );
    assert!(!out.join("table.csv").exists());
}
