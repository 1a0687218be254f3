//! WonderNetwork / WonderProxy ping matrix (2020) → one-way matrix + cities.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{great_circle_km, median, read_csv, DatasetError, OneWayMatrix};

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
const CITIES_HINT: &str =
    "cities CSV with header index,name,title,country,continent,lat,lon,server_id";

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
    let mut names = BTreeSet::new();
    for (i, s) in servers.iter().enumerate() {
        if index.insert(s.id, i).is_some() {
            return Err(DatasetError::Invalid(format!(
                "duplicate server id {}",
                s.id
            )));
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
