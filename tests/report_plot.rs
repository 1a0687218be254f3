//! Tests of `report`: CSV readers, seed/reference aggregation, and the plots
//! (files written, sizes, text, byte-identical output for the same input).

use std::path::{Path, PathBuf};

use ipv8sim::report::csv_in::{read_metrics, read_peers, read_reference};
use ipv8sim::report::plot::{
    compare, convergence, plot_runs, step_cdf, COMPARE_SIZE, CONVERGENCE_SIZE,
};
use ipv8sim::report::series::{aggregate, load_references, load_results_dir, SeriesKind};
use ipv8sim::report::ReportError;

const HEADER: &str = "time_s,overlay,peers_online,verified_mean,verified_p10,verified_p50,\
verified_p90,verified_min,verified_max,target,fraction_at_target,msgs_sent,msgs_received,\
bytes_sent,bytes_received";

/// A fresh, empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("ipv8sim-report-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A metrics.csv with one overlay whose verified_mean at time t is `f(t)`, samples
/// every 2 s up to 20 s, target 10, plus an extra column.
fn metrics_csv(f: impl Fn(f64) -> f64) -> String {
    let mut s = format!("{HEADER},sent:introduction-request\n");
    for k in 0..=10 {
        let t = f64::from(k) * 2.0;
        let m = f(t);
        s += &format!(
            "{t},Discovery,20,{m},{},{m},{},0,{},10,0.5,{k}0,{k}0,{k}00,{k}00,{k}\n",
            (m - 2.0).max(0.0),
            m + 3.0,
            m + 6.0
        );
    }
    s
}

const PEERS: &str = "peer,group,join_s,leave_s,time_to_first_peer_s,time_to_target_s,final_degree,msgs_sent,msgs_received
0,a,0,,0.5,3.0,12,100,90
1,a,0,,0.5,5.5,11,100,90
2,a,0,,0.7,,4,80,70
3,a,0,,0.6,9.0,10,90,85
";

/// A seed directory `<root>/<scenario>/<seed>` with metrics.csv and peers.csv.
fn make_run(root: &Path, scenario: &str, seed: u32, f: impl Fn(f64) -> f64) -> PathBuf {
    let dir = root.join(scenario).join(seed.to_string());
    write(&dir.join("metrics.csv"), &metrics_csv(f));
    write(&dir.join("peers.csv"), PEERS);
    dir
}

/// (width, height) from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "not a PNG: {}",
        path.display()
    );
    assert_eq!(&b[12..16], b"IHDR");
    let w = u32::from_be_bytes(b[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(b[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn convergence_writes_svg_and_png_with_titles_and_labels() {
    let tmp = TempDir::new("conv");
    let run = make_run(tmp.path(), "randomwalk", 1, |t| (t * 1.5).min(13.0));
    let files = convergence(&run).unwrap();
    assert_eq!(files.svg, run.join("convergence.svg"));
    assert_eq!(files.png, run.join("convergence.png"));
    assert_eq!(png_size(&files.png), CONVERGENCE_SIZE);
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    for needle in [
        "Peer discovery: randomwalk, seed 1",
        "virtual time (s)",
        "verified peers",
        "fraction of peers",
        "time to reach target (virtual s)",
        // 3 of the 4 peers in PEERS have a time_to_target_s.
        "3 of 4 peers reached target",
        "walker target = 10",
        "p10\u{2013}p90 over peers",
    ] {
        assert!(svg.contains(needle), "SVG lacks {needle:?}");
    }
}

#[test]
fn convergence_is_byte_identical_for_same_input() {
    let tmp = TempDir::new("det");
    let run = make_run(tmp.path(), "edgewalk", 3, |t| (t * 0.9).min(12.5));
    let f1 = convergence(&run).unwrap();
    let (svg1, png1) = (
        std::fs::read(&f1.svg).unwrap(),
        std::fs::read(&f1.png).unwrap(),
    );
    let f2 = convergence(&run).unwrap();
    assert_eq!(
        svg1,
        std::fs::read(&f2.svg).unwrap(),
        "SVG differs between renders"
    );
    assert_eq!(
        png1,
        std::fs::read(&f2.png).unwrap(),
        "PNG differs between renders"
    );
    // A different input gives a different picture (the check above can fail).
    write(
        &run.join("metrics.csv"),
        &metrics_csv(|t| (t * 0.5).min(9.0)),
    );
    let f3 = convergence(&run).unwrap();
    assert_ne!(svg1, std::fs::read(&f3.svg).unwrap());
}

#[test]
fn convergence_without_peers_csv_says_so() {
    let tmp = TempDir::new("nopeers");
    let run = make_run(tmp.path(), "s", 1, |t| t.min(10.0));
    std::fs::remove_file(run.join("peers.csv")).unwrap();
    let files = convergence(&run).unwrap();
    let svg = std::fs::read_to_string(files.svg).unwrap();
    assert!(svg.contains("no peers.csv in this run"));
}

#[test]
fn convergence_without_target_says_so() {
    let tmp = TempDir::new("notarget");
    let run = make_run(tmp.path(), "s", 1, |t| t.min(10.0));
    let m = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    write(&run.join("metrics.csv"), &m.replace(",10,0.5,", ",-1,0.5,"));
    let p = PEERS
        .replace(",3.0,", ",,")
        .replace(",5.5,", ",,")
        .replace(",9.0,", ",,");
    write(&run.join("peers.csv"), &p);
    let svg = std::fs::read_to_string(convergence(&run).unwrap().svg).unwrap();
    assert!(svg.contains("no walker target in this run (0 of 4 peers)"));
    assert!(!svg.contains("walker target ="));
}

#[test]
fn convergence_of_two_overlays_has_one_legend_entry_each() {
    let tmp = TempDir::new("twoov");
    let dir = tmp.path().join("two").join("1");
    let mut csv = format!("{HEADER}\n");
    for k in 0..5 {
        let t = k * 2;
        csv += &format!("{t},Alpha,5,{k},0,{k},{k},0,{k},10,0,0,0,0,0\n");
        csv += &format!("{t},Beta,5,{k},0,{k},{k},0,{k},8,0,0,0,0,0\n");
    }
    write(&dir.join("metrics.csv"), &csv);
    write(&dir.join("peers.csv"), PEERS);
    let svg = std::fs::read_to_string(convergence(&dir).unwrap().svg).unwrap();
    assert!(svg.contains("Alpha: mean") && svg.contains("Beta: mean"));
    // Different targets: one dashed target line per overlay.
    assert!(svg.contains("Alpha: target = 10") && svg.contains("Beta: target = 8"));
}

#[test]
fn metrics_reader_looks_columns_up_by_name() {
    let tmp = TempDir::new("byname");
    // Columns permuted, an extra column in the middle, two overlays, a comment line.
    let text = "# produced by a test\n\
        overlay,time_s,sent:x,peers_online,verified_mean,verified_p10,verified_p50,verified_p90,\
        verified_min,verified_max,target,fraction_at_target,msgs_sent,msgs_received,bytes_sent,bytes_received\n\
        A,0,7,3,1.5,1,1,2,0,3,-1,0,1,2,3,4\n\
        B,0,,3,,,,,,,-1,0,1,2,3,4\n\
        A,2,9,3,2.5,2,2,3,1,4,-1,0.25,5,6,7,8\n";
    let p = tmp.path().join("metrics.csv");
    write(&p, text);
    let m = read_metrics(&p).unwrap();
    assert_eq!(m.extra_columns, vec!["sent:x".to_string()]);
    assert_eq!(m.overlays(), vec!["A".to_string(), "B".to_string()]);
    assert_eq!(
        m.series("A", "verified_mean").unwrap(),
        vec![(0.0, 1.5), (2.0, 2.5)]
    );
    assert_eq!(
        m.series("A", "sent:x").unwrap(),
        vec![(0.0, 7.0), (2.0, 9.0)]
    );
    // Empty cells are "not applicable": left out of the series.
    assert!(m.series("B", "verified_mean").unwrap().is_empty());
    assert_eq!(m.rows[2].get("bytes_received"), Some(8.0));
    assert_eq!(m.rows[0].target(), None, "-1 means no target");
    match m.series("A", "nope") {
        Err(ReportError::UnknownMetric {
            metric, available, ..
        }) => {
            assert_eq!(metric, "nope");
            assert!(available.contains("verified_p50") && available.contains("sent:x"));
        }
        other => panic!("expected UnknownMetric, got {other:?}"),
    }
}

/// Asserts `r` is a `Malformed` error at `line` whose message mentions `needle`.
fn assert_malformed<T: std::fmt::Debug>(
    r: Result<T, ReportError>,
    path: &Path,
    line: u64,
    needle: &str,
) {
    match r {
        Err(e @ ReportError::Malformed { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!("{}:{line}:", path.display())),
                "wrong path/line in {msg:?}"
            );
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        }
        other => panic!("expected Malformed at line {line}, got {other:?}"),
    }
}

#[test]
fn metrics_reader_rejects_malformed_files_with_line_numbers() {
    let tmp = TempDir::new("badmetrics");
    let p = tmp.path().join("metrics.csv");
    let good = "0,A,3,1,1,1,1,1,1,10,0,0,0,0,0";
    // Line 3 has a word where a number belongs.
    write(
        &p,
        &format!("{HEADER}\n{good}\n2,A,3,lots,1,1,1,1,1,10,0,0,0,0,0\n"),
    );
    assert_malformed(read_metrics(&p), &p, 3, "verified_mean");
    // Line 4 has too few cells (after a comment line).
    write(&p, &format!("{HEADER}\n# c\n{good}\n2,A,3\n"));
    assert_malformed(read_metrics(&p), &p, 4, "cells");
    // Infinite time.
    write(&p, &format!("{HEADER}\ninf,A,3,1,1,1,1,1,1,10,0,0,0,0,0\n"));
    assert_malformed(read_metrics(&p), &p, 2, "time_s");
    // Missing column: error names the column and the header line.
    write(&p, "time_s,overlay,peers_online\n0,A,3\n");
    match read_metrics(&p) {
        Err(ReportError::MissingColumn { column, line, .. }) => {
            assert_eq!(column, "verified_mean");
            assert_eq!(line, 1);
        }
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    // The header line is counted past leading comments.
    write(&p, "# one\n# two\ntime_s,overlay\n0,A\n");
    assert!(matches!(
        read_metrics(&p),
        Err(ReportError::MissingColumn { line: 3, .. })
    ));
    // Header only / empty file / missing file.
    write(&p, &format!("{HEADER}\n"));
    assert!(matches!(read_metrics(&p), Err(ReportError::Empty { .. })));
    write(&p, "");
    assert!(matches!(read_metrics(&p), Err(ReportError::Empty { .. })));
    assert!(matches!(
        read_metrics(&tmp.path().join("absent.csv")),
        Err(ReportError::Io { .. })
    ));
    // Invalid UTF-8 on line 2.
    std::fs::write(
        &p,
        [
            HEADER.as_bytes(),
            b"\n0,\xff\xfe,3,1,1,1,1,1,1,10,0,0,0,0,0\n",
        ]
        .concat(),
    )
    .unwrap();
    assert_malformed(read_metrics(&p), &p, 2, "UTF-8");
}

#[test]
fn peers_reader_reads_empty_cells_as_none_and_rejects_bad_counts() {
    let tmp = TempDir::new("peers");
    let p = tmp.path().join("peers.csv");
    write(&p, PEERS);
    let peers = read_peers(&p).unwrap();
    assert_eq!(peers.len(), 4);
    assert_eq!(peers[0].time_to_target_s, Some(3.0));
    assert_eq!(peers[2].time_to_target_s, None);
    assert_eq!(peers[2].leave_s, None);
    assert_eq!(peers[1].final_degree, Some(11));
    write(&p, &format!("{PEERS}4,a,0,,0.5,3.0,-2,1,1\n"));
    assert_malformed(read_peers(&p), &p, 6, "final_degree");
    write(&p, "peer,group\n0,a\n");
    assert!(matches!(
        read_peers(&p),
        Err(ReportError::MissingColumn { .. })
    ));
}

#[test]
fn reference_reader_reads_shared_reference_and_rejects_bad_rows() {
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/pyipv8-seed-bootstrap");
    let rows = read_reference(&shared.join("n20_seed1.csv")).unwrap();
    assert_eq!(rows[1].t, 2.0);
    assert_eq!(rows[1].mean, 4.6);
    assert_eq!((rows[1].min, rows[1].max), (2.0, 10.0));
    let tmp = TempDir::new("ref");
    let p = tmp.path().join("n5_seed1.csv");
    write(&p, "t,mean,min,max\n0,0,0,0\n2,1.5,,3\n");
    assert_malformed(read_reference(&p), &p, 3, "min");
}

#[test]
fn scenario_dir_seeds_become_mean_line_with_min_max_band() {
    let tmp = TempDir::new("seeds");
    // Seed s has verified_mean = s * t / 2 (seeds 1, 2, 6), so at t: mean 1.5 t,
    // min 0.5 t, max 3 t.
    for s in [1u32, 2, 6] {
        make_run(tmp.path(), "rw", s, move |t| f64::from(s) * t / 2.0);
    }
    // Seed 6 lacks t = 20: that time is left out (every point averages all seeds).
    let p6 = tmp.path().join("rw/6/metrics.csv");
    let text = std::fs::read_to_string(&p6).unwrap();
    let cut: Vec<&str> = text.lines().filter(|l| !l.starts_with("20,")).collect();
    write(&p6, &(cut.join("\n") + "\n"));

    let series = load_results_dir(&tmp.path().join("rw"), "verified_mean").unwrap();
    assert_eq!(series.len(), 1);
    let s = &series[0];
    assert_eq!(s.label, "rw (3 seeds)");
    assert_eq!(s.kind, SeriesKind::Run);
    assert_eq!(s.target, Some(10.0));
    assert_eq!(s.points.len(), 10, "t = 0..18 only");
    for p in &s.points {
        assert!(
            (p.value - 1.5 * p.t).abs() < 1e-9,
            "mean at {}: {}",
            p.t,
            p.value
        );
        let (lo, hi) = p.band.unwrap();
        assert!((lo - 0.5 * p.t).abs() < 1e-9 && (hi - 3.0 * p.t).abs() < 1e-9);
    }
    // A seed directory alone: a plain line labelled with scenario and seed.
    let one = load_results_dir(&tmp.path().join("rw/2"), "verified_mean").unwrap();
    assert_eq!(one[0].label, "rw (seed 2)");
    assert!(one[0].points.iter().all(|p| p.band.is_none()));
    assert_eq!(one[0].points[3].value, 6.0, "seed 2 at t = 6");
    // Not a results dir.
    let empty = tmp.path().join("nothing");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        load_results_dir(&empty, "verified_mean"),
        Err(ReportError::NotAResultsDir { .. })
    ));
}

#[test]
fn aggregate_is_exact_and_single_run_has_no_band() {
    let pts = aggregate(&[vec![(0.0, 1.0), (1.0, 4.0)], vec![(1.0, 2.0), (0.0, 3.0)]]);
    assert_eq!(pts.len(), 2);
    assert_eq!(
        (pts[0].t, pts[0].value, pts[0].band),
        (0.0, 2.0, Some((1.0, 3.0)))
    );
    assert_eq!(
        (pts[1].t, pts[1].value, pts[1].band),
        (1.0, 3.0, Some((2.0, 4.0)))
    );
    let single = aggregate(&[vec![(0.0, 5.0)]]);
    assert_eq!(single[0].band, None);
    assert!(aggregate(&[]).is_empty());
}

#[test]
fn references_with_same_n_are_averaged_into_one_band() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/pyipv8-seed-bootstrap");
    let files: Vec<PathBuf> = [
        "n20_seed1",
        "n100_seed1",
        "n20_seed2",
        "n20_seed3",
        "n100_seed2",
        "n100_seed3",
    ]
    .iter()
    .map(|n| dir.join(format!("{n}.csv")))
    .collect();
    let s = load_references(&files, "verified_mean").unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].label, "py-ipv8 N=20 (3 seeds)");
    assert_eq!(s[1].label, "py-ipv8 N=100 (3 seeds)");
    assert!(s.iter().all(|x| x.kind == SeriesKind::Reference));
    // README: mean of 3 seeds, N=20: 4.37 @2 s, 8.30 @4 s, 13.25 @120 s.
    let at = |i: usize, t: f64| s[i].points.iter().find(|p| p.t == t).copied().unwrap();
    assert!((at(0, 2.0).value - 4.3667).abs() < 1e-3);
    assert_eq!(at(0, 2.0).band, Some((4.2, 4.6)));
    assert!((at(0, 4.0).value - 8.30).abs() < 5e-3);
    assert!((at(0, 120.0).value - 13.25).abs() < 5e-3);
    // N=100: 4.64 @2 s (4.54, 4.52, 4.86).
    assert!((at(1, 2.0).value - 4.64).abs() < 5e-3);
    assert_eq!(at(1, 2.0).band, Some((4.52, 4.86)));
    // verified_max picks the max column.
    let mx = load_references(&files[..1], "verified_max").unwrap();
    assert_eq!(mx[0].label, "py-ipv8 N=20");
    assert_eq!(mx[0].points[1].value, 10.0);
    // References hold verified peers only.
    assert!(matches!(
        load_references(&files, "peers_online"),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn step_cdf_stays_below_one_when_peers_never_reach_target() {
    // Equal times make one step.
    assert_eq!(
        step_cdf(&[1.0, 1.0, 3.0], 5, 8.0),
        vec![
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 0.4),
            (3.0, 0.4),
            (3.0, 0.6),
            (8.0, 0.6)
        ]
    );
    let pts = step_cdf(&[1.0, 2.0, 4.0], 4, 10.0);
    assert_eq!(
        pts,
        vec![
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 0.25),
            (2.0, 0.25),
            (2.0, 0.5),
            (4.0, 0.5),
            (4.0, 0.75),
            (10.0, 0.75)
        ]
    );
}

#[test]
fn plot_runs_draws_several_runs_and_references_on_one_chart() {
    let tmp = TempDir::new("compare");
    for s in [1u32, 2] {
        make_run(tmp.path(), "randomwalk", s, move |t| {
            (t * f64::from(s)).min(13.0)
        });
        make_run(tmp.path(), "edgewalk", s, move |t| {
            (t * 0.5 * f64::from(s)).min(12.0)
        });
    }
    let refdir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/pyipv8-seed-bootstrap");
    let refs: Vec<PathBuf> = (1..=3)
        .map(|s| refdir.join(format!("n20_seed{s}.csv")))
        .collect();
    let dirs = [tmp.path().join("randomwalk"), tmp.path().join("edgewalk/1")];
    let png = tmp.path().join("out/cmp.png");
    let written = plot_runs(&dirs, "verified_mean", &refs, Some(&png)).unwrap();
    assert_eq!(written, vec![png.clone()]);
    assert_eq!(png_size(&png), COMPARE_SIZE);
    let svg = tmp.path().join("out/cmp.svg");
    plot_runs(&dirs, "verified_mean", &refs, Some(&svg)).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "randomwalk (2 seeds)",
        "edgewalk (seed 1)",
        "py-ipv8 N=20 (3 seeds)",
        "Mean verified peers per peer",
        "virtual time (s)",
        "walker target = 10",
    ] {
        assert!(text.contains(needle), "SVG lacks {needle:?}");
    }
    // Same input, same bytes.
    plot_runs(&dirs, "verified_mean", &refs, Some(&svg)).unwrap();
    assert_eq!(text, std::fs::read_to_string(&svg).unwrap());
    // Another metric, extra column too.
    plot_runs(&dirs, "sent:introduction-request", &[], Some(&svg)).unwrap();
    assert!(std::fs::read_to_string(&svg)
        .unwrap()
        .contains("sent:introduction-request"));
    // Bad output extension, unknown metric, nothing to plot.
    assert!(matches!(
        plot_runs(&dirs, "verified_mean", &[], Some(&tmp.path().join("x.jpg"))),
        Err(ReportError::Invalid(_))
    ));
    assert!(matches!(
        plot_runs(&dirs, "bogus", &[], Some(&svg)),
        Err(ReportError::UnknownMetric { .. })
    ));
    assert!(compare(&[], "verified_mean", &[svg]).is_err());
}

#[test]
fn cli_plot_writes_the_requested_file_and_fails_cleanly_on_bad_input() {
    let tmp = TempDir::new("cli");
    make_run(tmp.path(), "rw", 1, |t| t.min(10.0));
    let out = tmp.path().join("p.png");
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_ipv8sim"))
        .arg("plot")
        .arg(tmp.path().join("rw"))
        .arg("--metric")
        .arg("verified_p50")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(png_size(&out), COMPARE_SIZE);
    let conv = std::process::Command::new(env!("CARGO_BIN_EXE_ipv8sim"))
        .args(["plot", "--convergence"])
        .arg(tmp.path().join("rw/1"))
        .output()
        .unwrap();
    assert!(
        conv.status.success(),
        "{}",
        String::from_utf8_lossy(&conv.stderr)
    );
    assert!(tmp.path().join("rw/1/convergence.png").is_file());
    write(
        &tmp.path().join("bad/1/metrics.csv"),
        &format!("{HEADER}\n0,A,x\n"),
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_ipv8sim"))
        .arg("plot")
        .arg(tmp.path().join("bad"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("metrics.csv:2:"), "stderr: {err}");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Arbitrary bytes, or a valid header followed by arbitrary bytes, never make
        /// a reader panic: they parse or return an error.
        #[test]
        fn readers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), with_header in any::<bool>()) {
            let tmp = TempDir::new("fuzz");
            let p = tmp.path().join("f.csv");
            for header in [HEADER, "peer,group,join_s,leave_s,time_to_first_peer_s,time_to_target_s,final_degree,msgs_sent,msgs_received", "t,mean,min,max"] {
                let mut bytes = Vec::new();
                if with_header {
                    bytes.extend_from_slice(header.as_bytes());
                    bytes.push(b'\n');
                }
                bytes.extend_from_slice(&body);
                std::fs::write(&p, &bytes).unwrap();
                let _ = read_metrics(&p);
                let _ = read_peers(&p);
                let _ = read_reference(&p);
            }
        }
    }
}
