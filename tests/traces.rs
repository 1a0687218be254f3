//! The shipped `traces/` files, the dataset conversions and the churn trace loader.

use std::io::Write;
use std::path::{Path, PathBuf};

use ipv8sim::runtime::{Duration, Instant};
use ipv8sim::sim::datasets::{
    assign_hosts, convert_ripe_country, convert_wondernetwork, great_circle_km, read_cities,
    read_ripe_country, read_ripe_intra, read_wonder_pings, read_wonder_servers, CountryRtt,
    IntraRtt, PingRow, WonderServer,
};
use ipv8sim::sim::trace::{
    read_sessions, ChurnTrace, NodeSample, PeerOrder, ReplayOptions, Session, TraceError,
    WindowStart,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared_data() -> PathBuf {
    root().join("../shared/data")
}

/// A deliberately independent, minimal parser of the plain matrix format.
fn parse_plain(path: &Path) -> (Vec<String>, Vec<Vec<f64>>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut comments = Vec::new();
    let mut lines = text.lines().filter(|l| {
        if l.starts_with('#') {
            comments.push(l.to_string());
            false
        } else {
            true
        }
    });
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let mut cells = line.split(',');
        assert_eq!(cells.next().unwrap(), header[i], "row {i} name");
        let row: Vec<f64> = cells.map(|c| c.parse::<f64>().unwrap()).collect();
        assert_eq!(row.len(), header.len(), "row {i} width");
        assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0), "row {i}");
        rows.push(row);
    }
    assert_eq!(rows.len(), header.len(), "square");
    (header, rows, comments)
}

#[test]
fn shipped_wondernetwork_matrix_is_square_named_and_attributed() {
    let (names, rows, comments) = parse_plain(&root().join("traces/wondernetwork-2020.csv"));
    assert_eq!(names.len(), 246);
    assert!(comments.iter().any(|c| c.contains("credit WonderProxy")));
    assert!(comments.iter().any(|c| c.trim() == "# unit: ms one-way"));
    // Hand-checked from the raw grouped file: 0→1 avg 288.722 (JoaoPessoa→Melbourne).
    assert_eq!(names[0], "JoaoPessoa");
    assert_eq!(names[1], "Melbourne");
    assert_eq!(rows[0][1], 144.361);
    // 0→0 self-ping avg 0.027 → 0.0135 (as f64 just below) → "0.013" at 0.001 ms.
    assert_eq!(rows[0][0], 0.013);
    let cities = read_cities(&root().join("traces/wondernetwork-2020-cities.csv")).unwrap();
    assert_eq!(cities.len(), names.len());
    for (c, n) in cities.iter().zip(&names) {
        assert_eq!(&c.name, n);
    }
    assert_eq!(cities[1].country, "Australia");
}

#[test]
fn shipped_ripe_matrix_is_square_symmetric_and_attributed() {
    let (names, rows, comments) = parse_plain(&root().join("traces/ripe-atlas-country-2025.csv"));
    assert_eq!(names.len(), 158);
    assert!(comments
        .iter()
        .any(|c| c.contains("RIPE NCC RIPE Atlas; aggregation by IOG (ouroboros-leios)")));
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            assert_eq!(*v, rows[j][i], "symmetric {i},{j}");
        }
    }
    // Raw: AD,AT rtt_avg 37.53599421183268 → 18.768 one-way.
    let (ad, at) = (
        names.iter().position(|n| n == "AD").unwrap(),
        names.iter().position(|n| n == "AT").unwrap(),
    );
    assert_eq!(rows[ad][at], 18.768);
    assert!(!names.iter().any(|n| n == "None" || n == "Unknown"));
}

#[test]
fn shipped_churn_traces_load() {
    for (name, sessions) in [("100", 157_558), ("80", 226_579)] {
        let p = root().join(format!("traces/stunner-2014-sessions_{name}.csv.gz"));
        assert_eq!(read_sessions(&p).unwrap().len(), sessions, "{name}");
    }
}

#[test]
fn wondernetwork_conversion_from_raw_data() {
    let wn = shared_data().join("wondernetwork-pings-2020");
    let servers = read_wonder_servers(&wn.join("servers.csv")).unwrap();
    let pings = read_wonder_pings(&wn.join("pings-2020-07-19-2020-07-20-grouped.csv")).unwrap();
    let conv = convert_wondernetwork(&servers, &pings).unwrap();
    let m = &conv.matrix;
    let idx = |id: u32| conv.cities.iter().position(|c| c.server_id == id).unwrap();
    assert_eq!(m.get(idx(0), idx(1)), Some(288.722 / 2.0));
    assert_eq!(m.get(idx(0), idx(2)), Some(155.684 / 2.0));
    assert_eq!(conv.report.dropped_ids, vec![292, 293, 294, 295]);
    let r = &conv.report;
    assert_eq!(r.measured + r.from_reverse + r.from_distance, 246 * 245);
    // The three implausible Chinese self-pings are replaced, the rest measured.
    assert_eq!(r.diagonal_implausible.len(), 3);
    assert_eq!(r.diagonal_measured + r.diagonal_missing.len() + 3, 246);
    // A directed pair missing in the raw data but measured in reverse takes that value.
    let present: std::collections::BTreeMap<(u32, u32), f64> = pings
        .iter()
        .map(|p| ((p.source, p.destination), p.avg))
        .collect();
    let (a, b) = present
        .keys()
        .find(|(a, b)| *a < 292 && *b < 292 && a != b && !present.contains_key(&(*b, *a)))
        .copied()
        .unwrap();
    assert_eq!(m.get(idx(b), idx(a)), Some(present[&(a, b)] / 2.0));
    // The fit is plausible: ~5 µs/km one-way is light in fibre; routing adds more.
    assert!(conv.fit.slope_ms_per_km > 0.005 && conv.fit.slope_ms_per_km < 0.02);
    assert!(conv.fit.r_squared > 0.5);
}

/// The shipped matrices are exactly what the conversion code produces from the raw data
/// (comment lines aside), i.e. `examples/convert_traces.rs` output is up to date.
#[test]
fn shipped_matrices_match_a_fresh_conversion() {
    let strip = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let wn = shared_data().join("wondernetwork-pings-2020");
    let conv = convert_wondernetwork(
        &read_wonder_servers(&wn.join("servers.csv")).unwrap(),
        &read_wonder_pings(&wn.join("pings-2020-07-19-2020-07-20-grouped.csv")).unwrap(),
    )
    .unwrap();
    let mut fresh = Vec::new();
    conv.matrix.write_plain(&mut fresh, &[]).unwrap();
    let shipped = std::fs::read_to_string(root().join("traces/wondernetwork-2020.csv")).unwrap();
    assert!(strip(&shipped) == strip(&String::from_utf8(fresh).unwrap()));
    let dir = shared_data().join("ripe-atlas-country-rtt-2025");
    let conv = convert_ripe_country(
        &read_ripe_country(&dir.join("country_rtt_stat.csv.gz")).unwrap(),
        &read_ripe_intra(&dir.join("intra_rtt_stat.csv.gz")).unwrap(),
    )
    .unwrap();
    let mut fresh = Vec::new();
    conv.matrix.write_plain(&mut fresh, &[]).unwrap();
    let shipped =
        std::fs::read_to_string(root().join("traces/ripe-atlas-country-2025.csv")).unwrap();
    assert!(strip(&shipped) == strip(&String::from_utf8(fresh).unwrap()));
}

fn server(id: u32, name: &str, lat: f64, lon: f64) -> WonderServer {
    WonderServer {
        id,
        name: name.into(),
        title: name.into(),
        country: "X".into(),
        continent: 3,
        latitude: lat,
        longitude: lon,
    }
}

fn ping(source: u32, destination: u32, avg: f64) -> PingRow {
    PingRow {
        source,
        destination,
        min: avg,
        avg,
        max: avg,
        mdev: 0.0,
    }
}

#[test]
fn wondernetwork_fill_rules_on_a_small_input() {
    let servers = vec![
        server(5, "a", 0.0, 0.0),
        server(7, "b", 0.0, 10.0),
        server(9, "c", 0.0, 20.0),
        server(11, "d", 0.0, 30.0),
    ];
    let pings = vec![
        ping(5, 5, 0.2),
        ping(5, 7, 20.0), // 7→5 missing: filled from reverse
        ping(7, 9, 30.0),
        ping(9, 7, 32.0),
        ping(5, 9, 40.0),
        ping(9, 5, 40.0),
        ping(7, 11, 60.0),
        ping(11, 7, 60.0),
        ping(9, 11, 24.0),
        ping(11, 9, 24.0),
        ping(9, 9, 500.0), // implausible: more than to its nearest neighbour
        ping(5, 99, 1.0),  // unknown server: dropped
                           // 5↔11 missing in both directions: from the distance fit.
    ];
    let conv = convert_wondernetwork(&servers, &pings).unwrap();
    let m = &conv.matrix;
    assert_eq!(m.names, vec!["a", "b", "c", "d"]);
    assert_eq!(m.get(0, 1), Some(10.0));
    assert_eq!(m.get(1, 0), Some(10.0), "from reverse");
    assert_eq!(m.get(1, 2), Some(15.0));
    assert_eq!(
        m.get(2, 1),
        Some(16.0),
        "directions kept apart when both measured"
    );
    let km = great_circle_km(0.0, 0.0, 0.0, 30.0);
    let want = conv.fit.intercept_ms + conv.fit.slope_ms_per_km * km;
    assert_eq!(m.get(0, 3), Some(want));
    assert_eq!(m.get(3, 0), Some(want));
    assert_eq!(conv.report.from_reverse, 1);
    assert_eq!(conv.report.from_distance, 2);
    assert_eq!(m.get(0, 0), Some(0.1));
    assert_eq!(
        conv.report.diagonal_implausible,
        vec![("c".to_string(), 500.0)]
    );
    assert_eq!(m.get(2, 2), Some(0.1), "median of the plausible diagonal");
    assert_eq!(conv.report.diagonal_missing, vec!["b", "d"]);
    assert_eq!(conv.report.dropped_ids, vec![99]);
    // Duplicate directed pair is an error.
    let mut dup = pings.clone();
    dup.push(ping(5, 7, 1.0));
    assert!(convert_wondernetwork(&servers, &dup).is_err());
}

fn crow(a: &str, b: &str, avg: f64) -> CountryRtt {
    CountryRtt {
        cty1: a.into(),
        cty2: b.into(),
        rtt_cnt: 10,
        rtt_avg: avg,
        rtt_std: None,
        rtt_min: avg,
        rtt_max: avg,
    }
}

#[test]
fn ripe_conversion_rules_on_a_small_input() {
    let intra = IntraRtt {
        rtt_cnt: 1,
        rtt_avg: 80.0,
        rtt_std: None,
        rtt_min: 0.0,
        rtt_max: 100.0,
    };
    // AA-BB-CC-DD chain; AA-CC via BB (two hops), AA-DD needs three hops.
    let rows = vec![
        crow("AA", "AA", 4.0),
        crow("AA", "BB", 10.0),
        crow("BB", "CC", 20.0),
        crow("CC", "DD", 30.0),
        crow("BB", "None", 1.0),
    ];
    let conv = convert_ripe_country(&rows, &intra).unwrap();
    let m = &conv.matrix;
    assert_eq!(m.names, vec!["AA", "BB", "CC", "DD"]);
    assert_eq!(m.get(0, 0), Some(2.0));
    assert_eq!(m.get(1, 1), Some(40.0), "intra mean / 2");
    assert_eq!(m.get(1, 0), Some(5.0), "symmetric from the upper triangle");
    assert_eq!(m.get(0, 2), Some(15.0), "two-hop");
    assert_eq!(m.get(0, 3), Some(30.0), "metric closure");
    assert_eq!(m.get(3, 0), Some(30.0));
    let r = &conv.report;
    assert_eq!((r.filled_two_hop, r.filled_multi_hop), (2, 1));
    assert_eq!(r.dropped_rows, 1);
    // Disconnected countries are an error.
    let rows = vec![crow("AA", "BB", 10.0), crow("CC", "DD", 10.0)];
    assert!(convert_ripe_country(&rows, &intra).is_err());
}

#[test]
fn ripe_conversion_from_raw_data_keeps_measured_pairs() {
    let dir = shared_data().join("ripe-atlas-country-rtt-2025");
    let rows = read_ripe_country(&dir.join("country_rtt_stat.csv.gz")).unwrap();
    let intra = read_ripe_intra(&dir.join("intra_rtt_stat.csv.gz")).unwrap();
    assert_eq!(rows.len(), 6827);
    let conv = convert_ripe_country(&rows, &intra).unwrap();
    let m = &conv.matrix;
    let i = |c: &str| m.names.iter().position(|n| n == c).unwrap();
    for r in rows
        .iter()
        .filter(|r| r.cty1.len() == 2 && r.cty2.len() == 2)
    {
        assert_eq!(m.get(i(&r.cty1), i(&r.cty2)), Some(r.rtt_avg / 2.0));
        assert_eq!(m.get(i(&r.cty2), i(&r.cty1)), Some(r.rtt_avg / 2.0));
    }
    // Median leave-one-out ratio of the two-hop estimate is close to 1.
    let p50 = conv.report.loo_ratio_percentiles[2];
    assert!((0.9..1.1).contains(&p50), "{p50}");
}

#[test]
fn assign_hosts_is_seeded_uniform_or_weighted() {
    let a = assign_hosts(1000, 4, None, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    let b = assign_hosts(1000, 4, None, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    let c = assign_hosts(1000, 4, None, &mut ChaCha8Rng::seed_from_u64(2)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!((0..4).all(|h| a.iter().filter(|&&x| x == h).count() > 150));
    let w = [0.0, 1.0, 3.0, 0.0];
    let d = assign_hosts(4000, 4, Some(&w), &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    let count = |h| d.iter().filter(|&&x| x == h).count();
    assert_eq!(count(0) + count(3), 0);
    assert!((2700..3300).contains(&count(2)), "{}", count(2));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert!(assign_hosts(1, 3, Some(&w), &mut rng).is_err(), "length");
    assert!(
        assign_hosts(1, 2, Some(&[0.0, 0.0]), &mut rng).is_err(),
        "all zero"
    );
    assert!(
        assign_hosts(1, 2, Some(&[-1.0, 2.0]), &mut rng).is_err(),
        "negative"
    );
    assert!(assign_hosts(1, 0, None, &mut rng).is_err(), "no hosts");
}

// ------------------------------------------------------------------ churn loader

const T0: u64 = 1_000_000_000_000; // unix ms

/// node 7: [T0, T0+10s), [T0+20s, T0+30s); node 3: [T0+5s, T0+50s); node 9: [T0+40s, T0+45s)
fn small_trace() -> String {
    let mut s = String::from(
        "# hand-written\nnode,join_unix_ms,leave_unix_ms,left_censored,right_censored\n",
    );
    for (n, j, l) in [
        (7, 0, 10_000),
        (3, 5_000, 50_000),
        (7, 20_000, 30_000),
        (9, 40_000, 45_000),
    ] {
        s += &format!("{n},{},{},0,0\n", T0 + j, T0 + l);
    }
    s
}

fn write_temp(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipv8sim-traces-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn sess(peer: usize, join_ms: u64, leave_ms: Option<u64>) -> Session {
    Session {
        peer,
        join: Instant::from_millis(join_ms),
        leave: leave_ms.map(Instant::from_millis),
    }
}

fn load(opts: &ReplayOptions) -> ChurnTrace {
    let p = write_temp("small.csv", small_trace().as_bytes());
    ChurnTrace::load(&p, opts, &mut ChaCha8Rng::seed_from_u64(0)).unwrap()
}

#[test]
fn churn_whole_trace_keeps_peer_index_across_sessions() {
    let t = load(&ReplayOptions::default());
    assert_eq!(t.peers, 3);
    assert_eq!(t.nodes, vec![7, 3, 9], "numbered by first join");
    assert_eq!(
        t.sessions,
        vec![
            sess(0, 0, Some(10_000)),
            sess(1, 5_000, Some(50_000)),
            sess(0, 20_000, Some(30_000)),
            sess(2, 40_000, Some(45_000)),
        ]
    );
    assert_eq!(t.window_start_unix_ms, T0);
    let by_id = load(&ReplayOptions {
        order: PeerOrder::NodeId,
        ..ReplayOptions::default()
    });
    assert_eq!(by_id.nodes, vec![3, 7, 9]);
    assert_eq!(by_id.sessions_of(1).count(), 2);
}

#[test]
fn churn_window_clips_and_scales() {
    // Window [T0+8s, T0+42s), replayed 100× faster.
    let opts = ReplayOptions {
        time_scale: 0.01,
        start: WindowStart::AfterFirstJoin(Duration::from_secs(8)),
        duration: Some(Duration::from_secs(34)),
        ..ReplayOptions::default()
    };
    let t = load(&opts);
    // Nodes 3 and 7 both join at the window start: the tie goes to the lower node id.
    assert_eq!(t.nodes, vec![3, 7, 9]);
    assert_eq!(
        t.sessions,
        vec![
            sess(0, 0, None),     // node 3: running at both window start and end
            sess(1, 0, Some(20)), // node 7: joins at 0, leaves after 2 s × 0.01
            sess(1, 120, Some(220)),
            sess(2, 320, None),
        ]
    );
    assert_eq!(t.end, Some(Instant::from_millis(340)));
    // Same window given as absolute unix ms.
    let abs = load(&ReplayOptions {
        start: WindowStart::UnixMs(T0 + 8_000),
        ..opts.clone()
    });
    assert_eq!(abs.sessions, t.sessions);
    // Bad scale.
    let p = write_temp("small2.csv", small_trace().as_bytes());
    let bad = ReplayOptions {
        time_scale: 0.0,
        ..ReplayOptions::default()
    };
    assert!(matches!(
        ChurnTrace::load(&p, &bad, &mut ChaCha8Rng::seed_from_u64(0)),
        Err(TraceError::Option(_))
    ));
}

#[test]
fn churn_cap_and_seeded_sample() {
    let first = load(&ReplayOptions {
        max_nodes: Some(2),
        ..ReplayOptions::default()
    });
    assert_eq!(first.nodes, vec![7, 3]);
    assert_eq!(first.sessions.len(), 3);
    let p = write_temp("small3.csv", small_trace().as_bytes());
    let opts = ReplayOptions {
        max_nodes: Some(2),
        sample: NodeSample::Random,
        ..ReplayOptions::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let a = ChurnTrace::load(&p, &opts, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
        let b = ChurnTrace::load(&p, &opts, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(a.peers, 2);
        seen.insert(a.nodes.clone());
    }
    assert!(seen.len() > 1, "different seeds pick different subsets");
}

#[test]
fn churn_online_count_is_exact() {
    let t = load(&ReplayOptions::default());
    let at = |ms| t.online_at(Instant::from_millis(ms));
    assert_eq!(at(0), 1);
    assert_eq!(at(4_999), 1);
    assert_eq!(at(5_000), 2);
    assert_eq!(at(10_000), 1, "offline at the leave instant");
    assert_eq!(at(20_000), 2);
    assert_eq!(at(41_000), 2);
    assert_eq!(at(49_999), 1);
    assert_eq!(at(50_000), 0);
    // Agrees with replaying the event list.
    let mut online = 0i64;
    let mut ev = t.events().into_iter().peekable();
    for ms in (0..60_000).step_by(500) {
        let now = Instant::from_millis(ms);
        while let Some(e) = ev.next_if(|e| e.time <= now) {
            online += if e.kind == ipv8sim::sim::trace::ChurnEventKind::Join {
                1
            } else {
                -1
            };
        }
        assert_eq!(online as usize, t.online_at(now), "t={ms} ms");
    }
}

#[test]
fn churn_touching_sessions_merge_after_scaling() {
    let csv = format!(
        "node,join_unix_ms,leave_unix_ms,left_censored,right_censored\n\
         1,{},{},0,0\n1,{},{},0,0\n",
        T0,
        T0 + 1000,
        T0 + 1000,
        T0 + 2000
    );
    let p = write_temp("touch.csv", csv.as_bytes());
    let t = ChurnTrace::load(
        &p,
        &ReplayOptions::default(),
        &mut ChaCha8Rng::seed_from_u64(0),
    )
    .unwrap();
    assert_eq!(t.sessions, vec![sess(0, 0, Some(2000))]);
    // Overlapping sessions handed in directly (not via a file) are rejected too.
    let mut s = read_sessions(&p).unwrap();
    s[1].join_unix_ms -= 1;
    let r = ChurnTrace::from_sessions(
        &s,
        &ReplayOptions::default(),
        &mut ChaCha8Rng::seed_from_u64(0),
    );
    assert!(matches!(r, Err(TraceError::Option(_))));
}

fn parse_err(body: &str) -> (u64, usize, String) {
    let p = write_temp("bad.csv", body.as_bytes());
    match read_sessions(&p) {
        Err(TraceError::Parse {
            line, column, path, ..
        }) => {
            assert_eq!(path, p);
            let msg = read_sessions(&p).unwrap_err().to_string();
            (line, column, msg)
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn churn_malformed_lines_are_errors_with_line_numbers() {
    let h = "node,join_unix_ms,leave_unix_ms,left_censored,right_censored\n";
    assert_eq!(parse_err("node,join,leave\n1,2,3,0,0\n").0, 1, "bad header");
    let (line, col, msg) = parse_err(&format!("# c\n{h}1,10,20,0,0\n2,x,20,0,0\n"));
    assert_eq!((line, col), (4, 2));
    assert!(msg.contains("bad.csv:4:2"), "{msg}");
    assert_eq!(
        parse_err(&format!("{h}1,20,20,0,0\n")).0,
        2,
        "join == leave"
    );
    assert_eq!(parse_err(&format!("{h}1,30,20,0,0\n")).0, 2, "join > leave");
    assert_eq!(parse_err(&format!("{h}1,10,20,0\n")).0, 2, "4 fields");
    assert_eq!(parse_err(&format!("{h}1,10,20,2,0\n")).1, 4, "flag");
    assert_eq!(
        parse_err(&format!("{h}-1,10,20,0,0\n")).1,
        1,
        "negative node"
    );
    assert_eq!(parse_err(&format!("{h}1,10,20.5,0,0\n")).1, 3, "fraction");
    assert_eq!(
        parse_err(&format!("{h}1,10,20,0,0\n2,1,5,0,0\n1,15,30,0,0\n")).0,
        4,
        "overlap"
    );
    assert_eq!(parse_err("").0, 0, "empty file");
}

#[test]
fn churn_gz_file_loads_like_plain() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(small_trace().as_bytes()).unwrap();
    let gz = write_temp("small.csv.gz", &enc.finish().unwrap());
    let plain = write_temp("small4.csv", small_trace().as_bytes());
    assert_eq!(read_sessions(&gz).unwrap(), read_sessions(&plain).unwrap());
    // A truncated gzip stream is an I/O error, not a panic.
    let bytes = std::fs::read(&gz).unwrap();
    let cut = write_temp("cut.csv.gz", &bytes[..bytes.len() / 2]);
    assert!(matches!(read_sessions(&cut), Err(TraceError::Io { .. })));
}

#[test]
fn stunner_replay_online_count_matches_readme_scale() {
    // README: hourly absolute-time concurrency of sessions_100 has max 75.
    let p = root().join("traces/stunner-2014-sessions_100.csv.gz");
    let t = ChurnTrace::load(
        &p,
        &ReplayOptions::default(),
        &mut ChaCha8Rng::seed_from_u64(0),
    )
    .unwrap();
    assert_eq!(t.peers, 767);
    let max = (0..24 * 200)
        .map(|h| t.online_at(Instant::from_secs(h * 3600)))
        .max()
        .unwrap();
    assert_eq!(max, 75);
}
