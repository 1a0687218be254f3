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

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use serde::de::DeserializeOwned;
use thiserror::Error;

mod ripe;
mod wondernetwork;

pub use ripe::{
    convert_ripe_country, read_ripe_country, read_ripe_intra, CountryRtt, IntraRtt, RipeConversion,
    RipeReport,
};
pub use wondernetwork::{
    convert_wondernetwork, read_cities, read_wonder_pings, read_wonder_servers, write_cities, City,
    DistanceFit, PingRow, WonderConversion, WonderReport, WonderServer,
};

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
        Ok(Box::new(BufReader::new(
            flate2::bufread::MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads every record of a CSV file (header first, `#` comment lines allowed).
pub(crate) fn read_csv<T: DeserializeOwned>(
    path: &Path,
    hint: &'static str,
) -> Result<Vec<T>, DatasetError> {
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

/// Median of finite values (sorts the slice); `None` if empty.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(n / 2).copied(),
        _ => Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0),
    }
}

/// The `q`-quantile (0..=1, nearest rank) of a sorted slice.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
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
