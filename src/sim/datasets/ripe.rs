//! RIPE Atlas country-to-country RTT table (2025, aggregated by IOG) → symmetric one-way
//! matrix over ISO-3166 alpha-2 countries.
//!
//! Measured pairs: `rtt_avg / 2`. Diagonal: the same-country row, else the
//! intra-country mean / 2. Missing pairs (about half): the shortest path of two measured
//! pairs (`min_k d(a,k) + d(k,b)`), or, if no two-hop path exists, the shortest path of
//! any length (metric closure). "Wormhole" pairs are not used as hops: a measured pair
//! `(a,b)` whose typical neighbour `k` violates the reverse triangle inequality
//! (median over `k` of `|d(a,k) − d(b,k)|` > `d(a,b)`, with ≥ 5 common neighbours) — e.g.
//! Dominican Republic–Cambodia at 0.13 ms, a geolocation or anycast artefact. They keep
//! their measured value. Rows with codes that are not two letters (`None`, `Unknown`)
//! are dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::{median, quantile, read_csv, DatasetError, OneWayMatrix};

/// One row of IOG's `country_rtt_stat.csv.gz` (RTTs in ms).
#[derive(Clone, Debug, Deserialize)]
pub struct CountryRtt {
    /// ISO-3166 alpha-2 code (upstream also has `None` and `Unknown`).
    pub cty1: String,
    /// ISO-3166 alpha-2 code (`cty1 <= cty2` upstream).
    pub cty2: String,
    /// Number of pings aggregated.
    pub rtt_cnt: u64,
    /// Mean RTT, ms.
    pub rtt_avg: f64,
    /// RTT standard deviation, ms (empty upstream when `rtt_cnt` is 1).
    pub rtt_std: Option<f64>,
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
    pub rtt_std: Option<f64>,
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
    /// Input rows dropped because a code is not two ASCII letters.
    pub dropped_rows: usize,
    /// Unordered off-diagonal pairs measured.
    pub measured_pairs: usize,
    /// Measured pairs flagged as wormholes (kept, but not used as hops).
    pub wormhole_pairs: usize,
    /// Unordered pairs filled by the best two-hop path.
    pub filled_two_hop: usize,
    /// Unordered pairs filled by a longer shortest path (no two-hop path exists).
    pub filled_multi_hop: usize,
    /// Diagonal entries from the same-country row.
    pub diagonal_measured: usize,
    /// Diagonal entries from the intra-country mean / 2.
    pub diagonal_from_intra: usize,
    /// Leave-one-out check of the two-hop estimate on measured pairs: percentiles 10,
    /// 25, 50, 75, 90 of (two-hop estimate without the pair) / measured.
    pub loo_ratio_percentiles: [f64; 5],
    /// Number of measured pairs in that check (those with a two-hop path).
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

fn is_country_code(c: &str) -> bool {
    c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Dense symmetric distance table with NaN = missing.
struct Table {
    n: usize,
    d: Vec<f64>,
}

impl Table {
    fn get(&self, a: usize, b: usize) -> f64 {
        self.d.get(a * self.n + b).copied().unwrap_or(f64::NAN)
    }

    /// Best `d(a,k) + d(k,b)` over hops `k` whose edges are usable; +inf if none.
    fn two_hop(&self, a: usize, b: usize, usable: &BTreeSet<(usize, usize)>) -> f64 {
        let ok = |x: usize, y: usize| usable.contains(&(x.min(y), x.max(y)));
        (0..self.n)
            .filter(|&k| k != a && k != b && ok(a, k) && ok(k, b))
            .map(|k| self.get(a, k) + self.get(k, b))
            .fold(f64::INFINITY, f64::min)
    }
}

/// Converts the RIPE Atlas country table into a symmetric one-way matrix (see module doc).
pub fn convert_ripe_country(
    rows: &[CountryRtt],
    intra: &IntraRtt,
) -> Result<RipeConversion, DatasetError> {
    let mut report = RipeReport::default();
    let rows: Vec<&CountryRtt> = rows
        .iter()
        .filter(|r| {
            let keep = is_country_code(&r.cty1) && is_country_code(&r.cty2);
            report.dropped_rows += usize::from(!keep);
            keep
        })
        .collect();
    let codes: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| [r.cty1.as_str(), r.cty2.as_str()])
        .collect();
    let names: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    let index: BTreeMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let n = names.len();
    report.countries = n;
    let mut t = Table {
        n,
        d: vec![f64::NAN; n * n],
    };
    for r in &rows {
        let (Some(&a), Some(&b)) = (index.get(r.cty1.as_str()), index.get(r.cty2.as_str())) else {
            continue; // unreachable: `index` holds every code of `rows`
        };
        if !(r.rtt_avg.is_finite() && r.rtt_avg >= 0.0) {
            return Err(DatasetError::Invalid(format!(
                "{}-{} has rtt_avg {}",
                r.cty1, r.cty2, r.rtt_avg
            )));
        }
        if !t.get(a, b).is_nan() {
            return Err(DatasetError::Invalid(format!(
                "pair {}-{} appears twice",
                r.cty1, r.cty2
            )));
        }
        t.d[a * n + b] = r.rtt_avg / 2.0;
        t.d[b * n + a] = r.rtt_avg / 2.0;
    }

    // Measured off-diagonal edges, and the wormhole filter.
    let mut usable = BTreeSet::new();
    for a in 0..n {
        for b in a + 1..n {
            let v = t.get(a, b);
            if v.is_nan() {
                continue;
            }
            report.measured_pairs += 1;
            let mut gaps: Vec<f64> = (0..n)
                .filter(|&k| k != a && k != b)
                .map(|k| (t.get(a, k) - t.get(b, k)).abs())
                .filter(|g| !g.is_nan())
                .collect();
            let wormhole = gaps.len() >= 5 && median(&mut gaps).is_some_and(|m| m > v);
            if wormhole {
                report.wormhole_pairs += 1;
            } else {
                usable.insert((a, b));
            }
        }
    }

    // Leave-one-out check of the two-hop estimate.
    let mut ratios = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let v = t.get(a, b);
            if !v.is_nan() && v > 0.0 {
                let est = t.two_hop(a, b, &usable);
                if est.is_finite() {
                    ratios.push(est / v);
                }
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    report.loo_pairs = ratios.len();
    for (slot, q) in report
        .loo_ratio_percentiles
        .iter_mut()
        .zip([0.1, 0.25, 0.5, 0.75, 0.9])
    {
        *slot = quantile(&ratios, q).unwrap_or(f64::NAN);
    }

    // Metric closure over usable edges (Floyd–Warshall), for pairs with no two-hop path.
    let mut closure = vec![f64::INFINITY; n * n];
    for &(a, b) in &usable {
        closure[a * n + b] = t.get(a, b);
        closure[b * n + a] = t.get(a, b);
    }
    for i in 0..n {
        closure[i * n + i] = 0.0;
    }
    for k in 0..n {
        for i in 0..n {
            let ik = closure[i * n + k];
            if ik.is_finite() {
                for j in 0..n {
                    let via = ik + closure[k * n + j];
                    if via < closure[i * n + j] {
                        closure[i * n + j] = via;
                    }
                }
            }
        }
    }

    let mut out = t.d.clone();
    for a in 0..n {
        let diag = t.get(a, a);
        out[a * n + a] = if diag.is_nan() {
            report.diagonal_from_intra += 1;
            intra.rtt_avg / 2.0
        } else {
            report.diagonal_measured += 1;
            diag
        };
        for b in a + 1..n {
            if !t.get(a, b).is_nan() {
                continue;
            }
            let two = t.two_hop(a, b, &usable);
            let v = if two.is_finite() {
                report.filled_two_hop += 1;
                two
            } else {
                let c = closure[a * n + b];
                if !c.is_finite() {
                    return Err(DatasetError::Invalid(format!(
                        "no path of measured pairs between {} and {}",
                        names[a], names[b]
                    )));
                }
                report.filled_multi_hop += 1;
                c
            };
            out[a * n + b] = v;
            out[b * n + a] = v;
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
