//! `Series`: a labelled curve (line + optional band) ready to plot, and the
//! aggregation that makes one from several runs — seeds of a scenario, or py-ipv8
//! reference files with the same N (line = mean across runs, band = min–max).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::csv_in::{read_metrics, read_reference, MetricsTable};
use super::ReportError;

/// One point of a [`Series`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// Virtual time, seconds.
    pub t: f64,
    /// The line's value (mean across runs when aggregated).
    pub value: f64,
    /// `(min, max)` across runs, when the series aggregates more than one run.
    pub band: Option<(f64, f64)>,
}

/// Where a series comes from (decides its line style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    /// ipv8sim results (solid line).
    Run,
    /// A py-ipv8 reference curve (dashed line).
    Reference,
}

/// A labelled curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Run or reference.
    pub kind: SeriesKind,
    /// Points sorted by time.
    pub points: Vec<SeriesPoint>,
    /// Walker target of the runs, when they all have the same one.
    pub target: Option<f64>,
}

/// One run's `(time, value)` samples.
pub type Run = Vec<(f64, f64)>;

/// Sample times are matched across runs to the microsecond.
fn time_key(t: f64) -> i64 {
    // `as` saturates; times are finite (checked by the readers).
    (t * 1e6).round() as i64
}

/// Aggregates runs of `(t, value)` (each sorted or not) into points: for every time
/// present in *all* runs, `value` = mean across runs and, when there are two or more
/// runs, `band` = (min, max) across runs. Times missing from a run are left out, so
/// every point averages the same runs. Returns an empty vector for no runs.
pub fn aggregate(runs: &[Run]) -> Vec<SeriesPoint> {
    let mut by_time: BTreeMap<i64, (f64, Vec<f64>)> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        for &(t, v) in run {
            let slot = by_time
                .entry(time_key(t))
                .or_insert_with(|| (t, Vec::new()));
            // A run contributes one value per time (the first, if duplicated).
            if slot.1.len() == i {
                slot.1.push(v);
            }
        }
    }
    by_time
        .into_values()
        .filter(|(_, vs)| !vs.is_empty() && vs.len() == runs.len())
        .map(|(t, vs)| {
            let n = vs.len() as f64;
            let mean = vs.iter().sum::<f64>() / n;
            let min = vs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = vs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            SeriesPoint {
                t,
                value: mean,
                band: (runs.len() > 1).then_some((min, max)),
            }
        })
        .collect()
}

/// The metrics files of a results directory: `dir/metrics.csv` for a seed directory,
/// else `dir/<seed>/metrics.csv` for every sub-directory that has one (ordered by seed
/// number, then name). Returns `(seed name, path)` pairs.
pub fn metrics_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ReportError> {
    let direct = dir.join("metrics.csv");
    if direct.is_file() {
        return Ok(vec![(dir_name(dir), direct)]);
    }
    let entries = std::fs::read_dir(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut seeds = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let file = entry.path().join("metrics.csv");
        if file.is_file() {
            seeds.push((entry.file_name().to_string_lossy().into_owned(), file));
        }
    }
    if seeds.is_empty() {
        return Err(ReportError::NotAResultsDir {
            path: dir.to_path_buf(),
        });
    }
    seeds.sort_by(|a, b| {
        let num = |s: &str| s.parse::<u64>().ok();
        (num(&a.0).is_none(), num(&a.0), &a.0).cmp(&(num(&b.0).is_none(), num(&b.0), &b.0))
    });
    Ok(seeds)
}

/// The last path component of `dir` (after resolving `.`/`..` when possible).
fn dir_name(dir: &Path) -> String {
    let resolved = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    resolved
        .file_name()
        .or_else(|| dir.file_name())
        .map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
}

/// The walker target shared by all rows of `overlay` in every table, if there is one.
fn common_target(tables: &[&MetricsTable], overlay: &str) -> Option<f64> {
    let mut targets = tables
        .iter()
        .flat_map(|t| t.rows_of(overlay).map(|r| r.target()))
        .collect::<Vec<_>>();
    targets.dedup();
    match targets.as_slice() {
        [Some(t)] => Some(*t),
        _ => None,
    }
}

/// Loads a results directory as series of `metric`, one per overlay.
///
/// A seed directory (has `metrics.csv`) gives a plain line labelled
/// `<scenario> (seed <s>)`; a scenario directory (seed sub-directories) gives the
/// mean across seeds with a min–max band, labelled `<scenario> (<k> seeds)`. With
/// several overlays, ` [<overlay>]` is appended to each label.
pub fn load_results_dir(dir: &Path, metric: &str) -> Result<Vec<Series>, ReportError> {
    let files = metrics_files(dir)?;
    let seed_dir = dir.join("metrics.csv").is_file();
    let tables = files
        .iter()
        .map(|(_, p)| read_metrics(p))
        .collect::<Result<Vec<_>, _>>()?;
    let base = match files.as_slice() {
        [(seed, _)] if seed_dir => {
            let parent = dir
                .canonicalize()
                .ok()
                .and_then(|p| p.parent().map(dir_name));
            match parent {
                Some(scenario) => format!("{scenario} (seed {seed})"),
                None => format!("seed {seed}"),
            }
        }
        [(seed, _)] => format!("{} (seed {seed})", dir_name(dir)),
        _ => format!("{} ({} seeds)", dir_name(dir), files.len()),
    };
    let mut overlays: Vec<String> = Vec::new();
    for t in &tables {
        for o in t.overlays() {
            if !overlays.contains(&o) {
                overlays.push(o);
            }
        }
    }
    let mut out = Vec::new();
    for overlay in &overlays {
        let mut runs = Vec::new();
        let mut with_overlay = Vec::new();
        for t in &tables {
            if t.rows_of(overlay).next().is_some() {
                runs.push(t.series(overlay, metric)?);
                with_overlay.push(t);
            }
        }
        let points = aggregate(&runs);
        if points.is_empty() {
            return Err(ReportError::Invalid(format!(
                "{}: overlay `{overlay}`: no sample time with a `{metric}` value in every seed",
                dir.display()
            )));
        }
        let label = if overlays.len() > 1 {
            format!("{base} [{overlay}]")
        } else {
            base.clone()
        };
        out.push(Series {
            label,
            kind: SeriesKind::Run,
            points,
            target: common_target(&with_overlay, overlay),
        });
    }
    Ok(out)
}

/// The group a reference file belongs to: `n20` for `n20_seed3.csv`, else the stem.
fn reference_group(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    match stem.split_once("_seed") {
        Some((n, _)) if !n.is_empty() => n.to_string(),
        _ => stem,
    }
}

/// Loads py-ipv8 reference curves (`t,mean,min,max`) as series of `metric`.
///
/// Files named `n<N>_seed<S>.csv` with the same N are averaged into one series
/// (line = mean across files, band = min–max across files when there are several),
/// labelled `py-ipv8 N=<N> (<k> seeds)`; other files become one series each, named
/// by their stem. `metric` picks the column: `verified_mean` → `mean`,
/// `verified_min` → `min`, `verified_max` → `max`; other metrics are an error (the
/// reference files hold verified-peer counts only). Groups keep first-mention order.
pub fn load_references(files: &[PathBuf], metric: &str) -> Result<Vec<Series>, ReportError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let pick: fn(&super::csv_in::ReferenceRow) -> f64 = match metric {
        "verified_mean" => |r| r.mean,
        "verified_min" => |r| r.min,
        "verified_max" => |r| r.max,
        _ => {
            return Err(ReportError::Invalid(format!(
                "--reference curves hold verified peers (mean/min/max) only; \
                 they cannot be plotted with --metric {metric} \
                 (use verified_mean, verified_min or verified_max)"
            )))
        }
    };
    let mut groups: Vec<(String, Vec<Run>)> = Vec::new();
    for f in files {
        let rows = read_reference(f)?;
        let run: Vec<(f64, f64)> = rows.iter().map(|r| (r.t, pick(r))).collect();
        let g = reference_group(f);
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, runs)) => runs.push(run),
            None => groups.push((g, vec![run])),
        }
    }
    let mut out = Vec::new();
    for (g, runs) in groups {
        let points = aggregate(&runs);
        if points.is_empty() {
            return Err(ReportError::Invalid(format!(
                "reference files of group `{g}` share no sample time"
            )));
        }
        let who = match g.strip_prefix('n').filter(|n| n.parse::<u64>().is_ok()) {
            Some(n) => format!("py-ipv8 N={n}"),
            None => format!("py-ipv8 {g}"),
        };
        let label = if runs.len() > 1 {
            format!("{who} ({} seeds)", runs.len())
        } else {
            who
        };
        out.push(Series {
            label,
            kind: SeriesKind::Reference,
            points,
            target: None,
        });
    }
    Ok(out)
}
