//! Real latency datasets: conversion of the raw files in `../shared/data` into the plain
//! latency-matrix format shipped in `traces/`, and placement of simulated peers on the
//! rows (cities, countries) of such a matrix.
//!
//! * WonderNetwork / WonderProxy pings (2020): one-way = `avg` RTT / 2; a missing directed
//!   pair is filled from the reverse direction, and if both are missing, from a linear fit
//!   of one-way delay on great-circle distance over the measured pairs.
//! * RIPE Atlas country-to-country table (2025, aggregated by IOG): symmetric from the
//!   upper triangle, `rtt_avg / 2`; missing pairs from the shortest path through measured
//!   pairs (metric closure).
//!
//! `examples/convert_traces.rs` runs these conversions; `traces/README.md` documents them.
//! Official matrix loading for the simulator lives elsewhere in `sim`; this module only
//! writes the format (see [`OneWayMatrix::write_plain`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors from reading or converting a dataset.
#[derive(Debug, Error)]
pub enum DatasetError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A line of the file could not be parsed.
    #[error("{path}:{line}: {message} (hint: {hint})")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 if unknown).
        line: u64,
        /// What was wrong.
        message: String,
        /// What the file should look like.
        hint: &'static str,
    },
    /// The data or an argument is inconsistent (duplicate pair, bad weights, ...).
    #[error("{0}")]
    Invalid(String),
}

/// Opens a text file, transparently gunzipping it if it starts with the gzip magic bytes.
pub fn open_text(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut reader = BufReader::new(File::open(path)?);
    let is_gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    if is_gzip {
        Ok(Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(
            reader,
        ))))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads every record of a CSV file (header first, `#` comment lines allowed).
fn read_csv<T: DeserializeOwned>(path: &Path, hint: &'static str) -> Result<Vec<T>, DatasetError> {
    let io_err = |source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    };
    let input = open_text(path).map_err(io_err)?;
    read_csv_from(input, path, hint)
}

fn read_csv_from<T: DeserializeOwned, R: Read>(
    input: R,
    path: &Path,
    hint: &'static str,
) -> Result<Vec<T>, DatasetError> {
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(input);
    let mut out = Vec::new();
    for record in rdr.deserialize::<T>() {
        match record {
            Ok(r) => out.push(r),
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    // Re-wrap read errors (e.g. a corrupt gzip stream) as I/O errors.
                    return Err(DatasetError::Io {
                        path: path.to_path_buf(),
                        source: io::Error::other(e.to_string()),
                    });
                }
                let line = e.position().map_or(0, |p| p.line());
                return Err(DatasetError::Parse {
                    path: path.to_path_buf(),
                    line,
                    message: e.to_string(),
                    hint,
                });
            }
        }
    }
    Ok(out)
}

/// Great-circle distance in km between two points given in decimal degrees (haversine,
/// mean Earth radius 6371.0088 km).
pub fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0088 * a.sqrt().min(1.0).asin()
}

/// A square matrix of one-way latencies in milliseconds, with a name per row/column.
#[derive(Clone, Debug, PartialEq)]
pub struct OneWayMatrix {
    /// Host names, in row (and column) order.
    pub names: Vec<String>,
    /// Row-major `names.len() × names.len()` one-way delays in ms.
    pub values_ms: Vec<f64>,
}

impl OneWayMatrix {
    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if the matrix has no hosts.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// One-way delay from `row` to `col` in ms, or `None` out of range.
    pub fn get(&self, row: usize, col: usize) -> Option<f64> {
        let n = self.len();
        if row >= n || col >= n {
            return None;
        }
        self.values_ms.get(row * n + col).copied()
    }

    /// Writes the plain latency-matrix format (`# unit: ms one-way`, values rounded to
    /// 0.001 ms, trailing zeros trimmed). Each string of `comments` becomes a `# ` line.
    pub fn write_plain<W: Write>(&self, out: &mut W, comments: &[String]) -> io::Result<()> {
        for c in comments {
            writeln!(out, "# {c}")?;
        }
        writeln!(out, "# unit: ms one-way")?;
        write!(out, "host")?;
        for name in &self.names {
            write!(out, ",{name}")?;
        }
        writeln!(out)?;
        let n = self.len();
        for (i, name) in self.names.iter().enumerate() {
            write!(out, "{name}")?;
            for v in self.values_ms.iter().skip(i * n).take(n) {
                write!(out, ",{}", format_ms(*v))?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

/// Formats a value in ms rounded to 0.001, without trailing zeros (`144.361`, `0.018`, `12`).
pub fn format_ms(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// WonderNetwork
// ---------------------------------------------------------------------------------------

/// One row of WonderNetwork's `servers.csv` (extra columns are ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct WonderServer {
    /// Server id (matches the ping file's `source`/`destination`).
    pub id: u32,
    /// Short unique name, e.g. `JoaoPessoa`.
    pub name: String,
    /// Display name, e.g. `Joao Pessoa`.
    pub title: String,
    /// Country name.
    pub country: String,
    /// WonderNetwork continent code (1..5, see the data README).
    pub continent: u8,
    /// Latitude in decimal degrees.
    pub latitude: f64,
    /// Longitude in decimal degrees.
    pub longitude: f64,
}

/// One row of the grouped WonderNetwork ping file: RTT statistics of a directed pair, ms.
#[derive(Clone, Debug, Deserialize)]
pub struct PingRow {
    /// Pinging server id.
    pub source: u32,
    /// Pinged server id.
    pub destination: u32,
    /// Minimum RTT, ms.
    pub min: f64,
    /// Average RTT, ms.
    pub avg: f64,
    /// Maximum RTT, ms.
    pub max: f64,
    /// `ping`'s mdev, ms.
    pub mdev: f64,
}

/// One row of `traces/wondernetwork-2020-cities.csv`: a matrix row and its city.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct City {
    /// Row index in the matrix (0-based).
    pub index: usize,
    /// Host name used in the matrix header.
    pub name: String,
    /// Display name.
    pub title: String,
    /// Country name.
    pub country: String,
    /// WonderNetwork continent code (1 N/C America, 2 S America, 3 Europe+Asia, 4 Oceania, 5 Africa).
    pub continent: u8,
    /// Latitude, decimal degrees.
    pub lat: f64,
    /// Longitude, decimal degrees.
    pub lon: f64,
    /// WonderNetwork server id in the raw data.
    pub server_id: u32,
}

/// Least-squares line `one_way_ms = intercept_ms + slope_ms_per_km × km`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DistanceFit {
    /// Intercept, ms.
    pub intercept_ms: f64,
    /// Slope, ms per km.
    pub slope_ms_per_km: f64,
    /// Coefficient of determination on the fitted pairs.
    pub r_squared: f64,
    /// Number of (directed, measured) pairs fitted.
    pub pairs: usize,
}

impl DistanceFit {
    /// Ordinary least squares on `(km, ms)` points; `None` with fewer than 2 distinct x.
    pub fn fit(points: &[(f64, f64)]) -> Option<DistanceFit> {
        let n = points.len() as f64;
        let (sx, sy) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (x, y) in points {
            sxx += (x - mx) * (x - mx);
            sxy += (x - mx) * (y - my);
            syy += (y - my) * (y - my);
        }
        if points.len() < 2 || sxx <= 0.0 {
            return None;
        }
        let slope = sxy / sxx;
        let intercept = my - slope * mx;
        let r_squared = if syy > 0.0 {
            sxy * sxy / (sxx * syy)
        } else {
            1.0
        };
        Some(DistanceFit {
            intercept_ms: intercept,
            slope_ms_per_km: slope,
            r_squared,
            pairs: points.len(),
        })
    }

    /// Predicted one-way delay at `km`, never negative.
    pub fn predict(&self, km: f64) -> f64 {
        (self.intercept_ms + self.slope_ms_per_km * km).max(0.0)
    }
}

/// How each WonderNetwork matrix entry was obtained.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WonderReport {
    /// Directed off-diagonal pairs measured.
    pub measured: usize,
    /// Directed off-diagonal pairs filled from the reverse direction.
    pub from_reverse: usize,
    /// Directed off-diagonal pairs estimated from great-circle distance.
    pub from_distance: usize,
    /// Diagonal entries taken from the measured self-ping.
    pub diagonal_measured: usize,
    /// Servers whose self-ping was missing (filled with the median measured diagonal).
    pub diagonal_missing: Vec<String>,
    /// Servers whose self-ping exceeded their nearest other server (implausible; replaced
    /// by the median measured diagonal), with the raw self-ping RTT in ms.
    pub diagonal_implausible: Vec<(String, f64)>,
    /// The median measured plausible diagonal, one-way ms (used for the two cases above).
    pub diagonal_median_ms: f64,
    /// Server ids with pings but no metadata (dropped).
    pub dropped_ids: Vec<u32>,
}

/// The result of [`convert_wondernetwork`].
#[derive(Clone, Debug)]
pub struct WonderConversion {
    /// One-way delays, rows in server-id order, named by server `name`.
    pub matrix: OneWayMatrix,
    /// City metadata per row.
    pub cities: Vec<City>,
    /// The distance fit used for pairs missing in both directions.
    pub fit: DistanceFit,
    /// Counts of how entries were filled.
    pub report: WonderReport,
}

const SERVERS_HINT: &str =
    "WonderNetwork servers.csv with header id,name,title,...,country,state_abbv,continent,latitude,longitude";
const PINGS_HINT: &str = "grouped ping CSV with header source,destination,min,avg,max,mdev";
const CITIES_HINT: &str = "cities CSV with header index,name,title,country,continent,lat,lon,server_id";

/// Reads WonderNetwork's `servers.csv`.
pub fn read_wonder_servers(path: &Path) -> Result<Vec<WonderServer>, DatasetError> {
    read_csv(path, SERVERS_HINT)
}

/// Reads the grouped WonderNetwork ping file.
pub fn read_wonder_pings(path: &Path) -> Result<Vec<PingRow>, DatasetError> {
    read_csv(path, PINGS_HINT)
}

/// Reads a cities file written by [`write_cities`] (e.g. `traces/wondernetwork-2020-cities.csv`).
pub fn read_cities(path: &Path) -> Result<Vec<City>, DatasetError> {
    let cities: Vec<City> = read_csv(path, CITIES_HINT)?;
    for (i, c) in cities.iter().enumerate() {
        if c.index != i {
            return Err(DatasetError::Invalid(format!(
                "{}: row {} has index {}, expected {i} (rows must be in matrix order)",
                path.display(),
                i + 1,
                c.index
            )));
        }
    }
    Ok(cities)
}

/// Writes the cities CSV (`index,name,title,country,continent,lat,lon,server_id`).
pub fn write_cities<W: Write>(out: W, cities: &[City]) -> Result<(), DatasetError> {
    let mut w = csv::Writer::from_writer(out);
    let to_err = |e: csv::Error| DatasetError::Invalid(format!("writing cities: {e}"));
    for c in cities {
        w.serialize(c).map_err(to_err)?;
    }
    w.flush()
        .map_err(|e| DatasetError::Invalid(format!("writing cities: {e}")))
}

/// Converts WonderNetwork servers + grouped pings into a one-way matrix (see module doc).
///
/// Rows are the servers with metadata, in id order; pings naming other ids are dropped.
/// Self-pairs use the measured self-ping / 2, unless it is missing or larger than the
/// server's smallest measured RTT to another server (three Chinese servers self-ping at
/// 265–384 ms); those get the median measured diagonal.
pub fn convert_wondernetwork(
    servers: &[WonderServer],
    pings: &[PingRow],
) -> Result<WonderConversion, DatasetError> {
    let mut servers: Vec<&WonderServer> = servers.iter().collect();
    servers.sort_by_key(|s| s.id);
    let mut index: BTreeMap<u32, usize> = BTreeMap::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, s) in servers.iter().enumerate() {
        if index.insert(s.id, i).is_some() {
            return Err(DatasetError::Invalid(format!("duplicate server id {}", s.id)));
        }
        if !names.insert(s.name.as_str()) || s.name.contains([',', '\n', '"']) {
            return Err(DatasetError::Invalid(format!(
                "server name {:?} is duplicated or unusable as a matrix host name",
                s.name
            )));
        }
    }
    let n = servers.len();
    let mut report = WonderReport::default();
    // Directed one-way delays, NaN = not measured.
    let mut rtt = vec![f64::NAN; n * n];
    for p in pings {
        let (Some(&a), Some(&b)) = (index.get(&p.source), index.get(&p.destination)) else {
            for id in [p.source, p.destination] {
                if !index.contains_key(&id) && !report.dropped_ids.contains(&id) {
                    report.dropped_ids.push(id);
                }
            }
            continue;
        };
        if !(p.avg.is_finite() && p.avg >= 0.0) {
            return Err(DatasetError::Invalid(format!(
                "ping {}→{} has avg {} (must be finite, ≥ 0)",
                p.source, p.destination, p.avg
            )));
        }
        let cell = &mut rtt[a * n + b];
        if !cell.is_nan() {
            return Err(DatasetError::Invalid(format!(
                "ping pair {}→{} appears twice",
                p.source, p.destination
            )));
        }
        *cell = p.avg;
    }
    report.dropped_ids.sort_unstable();

    // Fit on measured directed off-diagonal pairs (in row-major order: deterministic).
    let km = |a: usize, b: usize| {
        great_circle_km(
            servers[a].latitude,
            servers[a].longitude,
            servers[b].latitude,
            servers[b].longitude,
        )
    };
    let mut points = Vec::new();
    for a in 0..n {
        for b in 0..n {
            let v = rtt[a * n + b];
            if a != b && !v.is_nan() {
                points.push((km(a, b), v / 2.0));
            }
        }
    }
    let fit = DistanceFit::fit(&points).ok_or_else(|| {
        DatasetError::Invalid("too few measured pairs to fit latency on distance".into())
    })?;

    let mut out = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            if a == b {
                continue;
            }
            let (fwd, rev) = (rtt[a * n + b], rtt[b * n + a]);
            out[a * n + b] = if !fwd.is_nan() {
                report.measured += 1;
                fwd / 2.0
            } else if !rev.is_nan() {
                report.from_reverse += 1;
                rev / 2.0
            } else {
                report.from_distance += 1;
                fit.predict(km(a, b))
            };
        }
    }

    // Diagonal.
    let nearest_rtt = |a: usize| {
        (0..n)
            .filter(|&b| b != a)
            .filter_map(|b| {
                let v = rtt[a * n + b];
                (!v.is_nan()).then_some(v)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut plausible = Vec::new();
    let mut needs_fill = Vec::new();
    for a in 0..n {
        let self_rtt = rtt[a * n + a];
        if self_rtt.is_nan() {
            report.diagonal_missing.push(servers[a].name.clone());
            needs_fill.push(a);
        } else if self_rtt > nearest_rtt(a) {
            report
                .diagonal_implausible
                .push((servers[a].name.clone(), self_rtt));
            needs_fill.push(a);
        } else {
            report.diagonal_measured += 1;
            out[a * n + a] = self_rtt / 2.0;
            plausible.push(self_rtt / 2.0);
        }
    }
    report.diagonal_median_ms = median(&mut plausible).unwrap_or(0.0);
    for a in needs_fill {
        out[a * n + a] = report.diagonal_median_ms;
    }

    let cities = servers
        .iter()
        .enumerate()
        .map(|(i, s)| City {
            index: i,
            name: s.name.clone(),
            title: s.title.clone(),
            country: s.country.clone(),
            continent: s.continent,
            lat: s.latitude,
            lon: s.longitude,
            server_id: s.id,
        })
        .collect();
    let matrix = OneWayMatrix {
        names: servers.iter().map(|s| s.name.clone()).collect(),
        values_ms: out,
    };
    Ok(WonderConversion {
        matrix,
        cities,
        fit,
        report,
    })
}

/// Median of finite values (sorts the slice); `None` if empty.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(n / 2).copied(),
        _ => Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0),
    }
}

/// The `q`-quantile (0..=1, nearest rank) of a sorted slice.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
}

// ---------------------------------------------------------------------------------------
// RIPE Atlas country table
// ---------------------------------------------------------------------------------------

/// One row of IOG's `country_rtt_stat.csv.gz` (RTTs in ms).
#[derive(Clone, Debug, Deserialize)]
pub struct CountryRtt {
    /// ISO-3166 alpha-2 code.
    pub cty1: String,
    /// ISO-3166 alpha-2 code (`cty1 <= cty2` upstream).
    pub cty2: String,
    /// Number of pings aggregated.
    pub rtt_cnt: u64,
    /// Mean RTT, ms.
    pub rtt_avg: f64,
    /// RTT standard deviation, ms.
    pub rtt_std: f64,
    /// Minimum RTT, ms.
    pub rtt_min: f64,
    /// Maximum RTT, ms.
    pub rtt_max: f64,
}

/// The single row of IOG's `intra_rtt_stat.csv.gz` (same-country pings).
#[derive(Clone, Debug, Deserialize)]
pub struct IntraRtt {
    /// Number of pings aggregated.
    pub rtt_cnt: u64,
    /// Mean RTT, ms.
    pub rtt_avg: f64,
    /// RTT standard deviation, ms.
    pub rtt_std: f64,
    /// Minimum RTT, ms.
    pub rtt_min: f64,
    /// Maximum RTT, ms.
    pub rtt_max: f64,
}

/// How the RIPE country matrix was filled.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RipeReport {
    /// Number of countries (rows).
    pub countries: usize,
    /// Unordered off-diagonal pairs measured.
    pub measured_pairs: usize,
    /// Unordered off-diagonal pairs estimated by the metric closure.
    pub filled_pairs: usize,
    /// Of those, pairs whose shortest path needs more than two hops.
    pub filled_beyond_two_hops: usize,
    /// Diagonal entries from the same-country row.
    pub diagonal_measured: usize,
    /// Diagonal entries from the intra-country mean / 2.
    pub diagonal_from_intra: usize,
    /// Leave-one-out check of the fallback: for each measured pair, the ratio of the
    /// best two-hop path through other measured pairs to the measured value; the
    /// 10th, 50th and 90th percentile (pairs with no two-hop path skipped).
    pub loo_ratio_p10_p50_p90: (f64, f64, f64),
    /// Number of measured pairs in that check.
    pub loo_pairs: usize,
}

/// The result of [`convert_ripe_country`].
#[derive(Clone, Debug)]
pub struct RipeConversion {
    /// One-way delays, rows sorted by country code.
    pub matrix: OneWayMatrix,
    /// Counts of how entries were filled.
    pub report: RipeReport,
}

const COUNTRY_HINT: &str = "CSV with header cty1,cty2,rtt_cnt,rtt_avg,rtt_std,rtt_min,rtt_max";
const INTRA_HINT: &str = "CSV with header rtt_cnt,rtt_avg,rtt_std,rtt_min,rtt_max and one row";

/// Reads IOG's `country_rtt_stat.csv(.gz)`.
pub fn read_ripe_country(path: &Path) -> Result<Vec<CountryRtt>, DatasetError> {
    read_csv(path, COUNTRY_HINT)
}

/// Reads IOG's `intra_rtt_stat.csv(.gz)` (exactly one row).
pub fn read_ripe_intra(path: &Path) -> Result<IntraRtt, DatasetError> {
    let rows: Vec<IntraRtt> = read_csv(path, INTRA_HINT)?;
    let mut it = rows.into_iter();
    match (it.next(), it.next()) {
        (Some(row), None) => Ok(row),
        _ => Err(DatasetError::Parse {
            path: path.to_path_buf(),
            line: 0,
            message: "expected exactly one data row".into(),
            hint: INTRA_HINT,
        }),
    }
}

/// Converts the RIPE Atlas country table into a symmetric one-way matrix.
///
/// Measured pair: `rtt_avg / 2`. Diagonal: the same-country row if present, else
/// `intra.rtt_avg / 2`. Missing pair: the shortest path over measured off-diagonal pairs
/// (Floyd–Warshall), i.e. the metric closure; an error if some country is unreachable.
pub fn convert_ripe_country(
    rows: &[CountryRtt],
    intra: &IntraRtt,
) -> Result<RipeConversion, DatasetError> {
    let codes: std::collections::BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| [r.cty1.as_str(), r.cty2.as_str()])
        .collect();
    for c in &codes {
        if c.is_empty() || c.contains([',', '\n', '"']) {
            return Err(DatasetError::Invalid(format!("unusable country code {c:?}")));
        }
    }
    let names: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    let index: BTreeMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let n = names.len();
    let mut d = vec![f64::NAN; n * n];
    for r in rows {
        let (Some(&a), Some(&b)) = (index.get(r.cty1.as_str()), index.get(r.cty2.as_str()))
        else {
            continue; // unreachable: `index` holds every code of `rows`
        };
        if !(r.rtt_avg.is_finite() && r.rtt_avg >= 0.0) {
            return Err(DatasetError::Invalid(format!(
                "{}-{} has rtt_avg {}",
                r.cty1, r.cty2, r.rtt_avg
            )));
        }
        if !d[a * n + b].is_nan() {
            return Err(DatasetError::Invalid(format!(
                "pair {}-{} appears twice",
                r.cty1, r.cty2
            )));
        }
        d[a * n + b] = r.rtt_avg / 2.0;
        d[b * n + a] = r.rtt_avg / 2.0;
    }
    let mut report = RipeReport {
        countries: n,
        ..RipeReport::default()
    };
    // Leave-one-out two-hop check on measured pairs.
    let two_hop = |a: usize, b: usize| {
        (0..n)
            .filter(|&k| k != a && k != b)
            .map(|k| d[a * n + k] + d[k * n + b])
            .filter(|v| !v.is_nan())
            .fold(f64::INFINITY, f64::min)
    };
    let mut ratios = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let v = d[a * n + b];
            if !v.is_nan() {
                report.measured_pairs += 1;
                let est = two_hop(a, b);
                if est.is_finite() && v > 0.0 {
                    ratios.push(est / v);
                }
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    report.loo_pairs = ratios.len();
    report.loo_ratio_p10_p50_p90 = (
        quantile(&ratios, 0.1).unwrap_or(f64::NAN),
        quantile(&ratios, 0.5).unwrap_or(f64::NAN),
        quantile(&ratios, 0.9).unwrap_or(f64::NAN),
    );

    // Metric closure over off-diagonal measured pairs.
    let mut closure: Vec<f64> = d
        .iter()
        .map(|v| if v.is_nan() { f64::INFINITY } else { *v })
        .collect();
    for i in 0..n {
        closure[i * n + i] = 0.0;
    }
    for k in 0..n {
        for i in 0..n {
            let ik = closure[i * n + k];
            if !ik.is_finite() {
                continue;
            }
            for j in 0..n {
                let via = ik + closure[k * n + j];
                if via < closure[i * n + j] {
                    closure[i * n + j] = via;
                }
            }
        }
    }
    let mut out = vec![0.0; n * n];
    for a in 0..n {
        let diag = d[a * n + a];
        out[a * n + a] = if diag.is_nan() {
            report.diagonal_from_intra += 1;
            intra.rtt_avg / 2.0
        } else {
            report.diagonal_measured += 1;
            diag
        };
        for b in 0..n {
            if a == b {
                continue;
            }
            let v = d[a * n + b];
            out[a * n + b] = if !v.is_nan() {
                v
            } else {
                let c = closure[a * n + b];
                if !c.is_finite() {
                    return Err(DatasetError::Invalid(format!(
                        "no path of measured pairs between {} and {}",
                        names[a], names[b]
                    )));
                }
                if a < b {
                    report.filled_pairs += 1;
                    if two_hop(a, b) > c + 1e-9 {
                        report.filled_beyond_two_hops += 1;
                    }
                }
                c
            };
        }
    }
    Ok(RipeConversion {
        matrix: OneWayMatrix {
            names,
            values_ms: out,
        },
        report,
    })
}

// ---------------------------------------------------------------------------------------
// Peer placement
// ---------------------------------------------------------------------------------------

/// Assigns each of `n_peers` simulated peers to a matrix row (host) in `0..n_hosts`.
///
/// Each peer independently draws a row: uniformly if `weights` is `None`, else with
/// probability proportional to `weights[row]` (e.g. a per-city population column of a
/// scenario). The draws come only from `rng`, so a seeded `ChaCha8Rng` gives the same
/// assignment on every run. Errors: `n_hosts == 0`, or weights of the wrong length,
/// negative, non-finite or all zero.
pub fn assign_hosts<R: Rng + ?Sized>(
    n_peers: usize,
    n_hosts: usize,
    weights: Option<&[f64]>,
    rng: &mut R,
) -> Result<Vec<usize>, DatasetError> {
    if n_hosts == 0 {
        return Err(DatasetError::Invalid(
            "cannot place peers on a matrix with no hosts".into(),
        ));
    }
    match weights {
        None => Ok((0..n_peers).map(|_| rng.gen_range(0..n_hosts)).collect()),
        Some(w) => {
            if w.len() != n_hosts {
                return Err(DatasetError::Invalid(format!(
                    "{} host weights given for {n_hosts} hosts",
                    w.len()
                )));
            }
            if let Some((i, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(DatasetError::Invalid(format!(
                    "host weight {i} is {v}; weights must be finite and ≥ 0"
                )));
            }
            let dist = WeightedIndex::new(w).map_err(|e| {
                DatasetError::Invalid(format!("host weights unusable: {e} (all zero?)"))
            })?;
            Ok((0..n_peers).map(|_| dist.sample(rng)).collect())
        }
    }
}
