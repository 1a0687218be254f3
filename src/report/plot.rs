//! The plots: the per-run convergence figure ([`convergence`]) and the multi-run
//! comparison behind `ipv8sim plot` ([`plot_runs`], [`compare`]).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::RelativeSize;

use super::csv_in::{read_metrics, read_peers, MetricsTable, PeerRow};
use super::series::{load_references, load_results_dir, Series, SeriesKind};
use super::style::{
    chart_on, colour, draw_axes, draw_legend, fmt_num, metric_text, render, Figure, FONT, GUIDE,
    TITLE_SIZE,
};
use super::ReportError;

/// Size of `convergence.svg` / `convergence.png`, pixels.
pub const CONVERGENCE_SIZE: (u32, u32) = (1000, 800);
/// Size of the `ipv8sim plot` comparison figure, pixels.
pub const COMPARE_SIZE: (u32, u32) = (1000, 700);

/// The files a plot function wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFiles {
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
}

/// One overlay's curves in the convergence figure.
struct OverlayCurves {
    name: String,
    mean: Vec<(f64, f64)>,
    band: Vec<(f64, f64, f64)>,
    target: Option<f64>,
}

/// Data of the convergence figure of one run.
struct ConvergenceFigure {
    title: String,
    overlays: Vec<OverlayCurves>,
    t_end: f64,
    /// `None` when the run has no `peers.csv`.
    peers: Option<Vec<PeerRow>>,
}

/// Writes `convergence.svg` and `convergence.png` (1000×800) into `run_dir`, a seed
/// directory `results/<scenario>/<seed>/` holding `metrics.csv` and (optionally)
/// `peers.csv`.
///
/// Top panel: mean verified peers over virtual time, a shaded p10–p90 band, and the
/// walker target as a dashed line, per overlay. Bottom panel: CDF over peers of
/// `time_to_target_s`; peers that never reached the target keep the curve below 1.0
/// and the caption says "x of N peers reached target". Without `peers.csv` the bottom
/// panel says so instead.
pub fn convergence(run_dir: &Path) -> Result<PlotFiles, ReportError> {
    let metrics = read_metrics(&run_dir.join("metrics.csv"))?;
    let peers_path = run_dir.join("peers.csv");
    let peers = if peers_path.is_file() {
        Some(read_peers(&peers_path)?)
    } else {
        None
    };
    let fig = ConvergenceFigure::new(run_dir, &metrics, peers)?;
    let svg = run_dir.join("convergence.svg");
    let png = run_dir.join("convergence.png");
    render(&fig, &[svg.clone(), png.clone()])?;
    Ok(PlotFiles { svg, png })
}

/// Name of a path's last component, resolving `.`/`..` when possible.
fn last_name(p: &Path) -> Option<String> {
    let resolved = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

impl ConvergenceFigure {
    fn new(
        run_dir: &Path,
        metrics: &MetricsTable,
        peers: Option<Vec<PeerRow>>,
    ) -> Result<Self, ReportError> {
        let seed = last_name(run_dir).unwrap_or_default();
        let scenario = run_dir
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().and_then(last_name));
        let title = match scenario {
            Some(s) => format!("Peer discovery: {s}, seed {seed}"),
            None => format!("Peer discovery: {seed}"),
        };
        let mut overlays = Vec::new();
        for name in metrics.overlays() {
            let mean = metrics.series(&name, "verified_mean")?;
            let band = metrics
                .rows_of(&name)
                .filter_map(|r| {
                    let (lo, hi) = (r.get("verified_p10")?, r.get("verified_p90")?);
                    (lo.is_finite() && hi.is_finite()).then_some((r.time_s, lo, hi))
                })
                .collect();
            let target = metrics.rows_of(&name).filter_map(|r| r.target()).last();
            overlays.push(OverlayCurves {
                name,
                mean,
                band,
                target,
            });
        }
        Ok(ConvergenceFigure {
            title,
            overlays,
            t_end: metrics.end_time(),
            peers,
        })
    }

    /// The walker target of the run when all overlays agree on one.
    fn target(&self) -> Option<f64> {
        let mut ts = self.overlays.iter().filter_map(|o| o.target);
        let first = ts.next()?;
        ts.all(|t| t == first).then_some(first)
    }

    fn draw_verified<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let x_max = self.t_end.max(1.0);
        let y_top = self
            .overlays
            .iter()
            .flat_map(|o| {
                o.band
                    .iter()
                    .map(|b| b.2)
                    .chain(o.mean.iter().map(|m| m.1))
                    .chain(o.target)
            })
            .fold(1.0, f64::max);
        let caption = "Verified peers per peer: mean, with p10\u{2013}p90 band over peers";
        let mut chart = chart_on(area, caption, 0.0..x_max, 0.0..y_top * 1.12)?;
        draw_axes(&mut chart, "virtual time (s)", "verified peers")?;
        let several = self.overlays.len() > 1;
        let shared_target = self.target();
        for (i, o) in self.overlays.iter().enumerate() {
            let c = colour(i);
            if !o.band.is_empty() {
                let poly: Vec<(f64, f64)> = o
                    .band
                    .iter()
                    .map(|b| (b.0, b.2))
                    .chain(o.band.iter().rev().map(|b| (b.0, b.1)))
                    .collect();
                let band =
                    chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.22).filled())))?;
                // With several overlays the caption explains the bands; the legend
                // keeps one entry per overlay.
                if !several {
                    band.label("p10\u{2013}p90 over peers")
                        .legend(move |(x, y)| {
                            Rectangle::new([(x, y - 7), (x + 26, y + 7)], c.mix(0.3).filled())
                        });
                }
            }
            let label = if several {
                format!("{}: mean", o.name)
            } else {
                "mean".to_string()
            };
            chart
                .draw_series(LineSeries::new(o.mean.iter().copied(), c.stroke_width(3)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 26, y)], c.stroke_width(3))
                });
            // Per-overlay target lines only when the overlays' targets differ.
            if let (Some(t), None, true) = (o.target, shared_target, several) {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(0.0, t), (x_max, t)],
                        10,
                        7,
                        c.stroke_width(2),
                    ))?
                    .label(format!("{}: target = {}", o.name, fmt_num(t)))
                    .legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 26, y)], 6, 4, c.stroke_width(2))
                    });
            }
        }
        if let Some(t) = shared_target {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, t), (x_max, t)],
                    10,
                    7,
                    GUIDE.stroke_width(2),
                ))?
                .label(format!("walker target = {}", fmt_num(t)))
                .legend(move |(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 26, y)], 6, 4, GUIDE.stroke_width(2))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }

    fn draw_cdf<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let target_txt = self
            .target()
            .map_or_else(String::new, |t| format!(" ({})", fmt_num(t)));
        let groups = self.peers.as_deref().map(group_times).unwrap_or_default();
        let n: usize = groups.iter().map(|g| g.n).sum();
        let reached: usize = groups.iter().map(|g| g.times.len()).sum();
        let caption = match &self.peers {
            None => "Time to target: no peers.csv in this run".to_string(),
            Some(_) if n == 0 => "Time to target: peers.csv lists no peers".to_string(),
            Some(_) if reached == 0 && self.target().is_none() => {
                format!("Time to target: no walker target in this run (0 of {n} peers)")
            }
            Some(_) => format!(
                "Time to target{target_txt}: {reached} of {n} peers reached target (CDF over peers)"
            ),
        };
        // Zoom on where peers reach the target (25 % past the last one), but never
        // past the end of the run unless a time lies beyond it.
        let last = groups
            .iter()
            .flat_map(|g| g.times.iter().copied())
            .fold(f64::NEG_INFINITY, f64::max);
        let x_max = if last.is_finite() {
            (last * 1.25).min(self.t_end).max(last)
        } else {
            self.t_end
        }
        .max(1.0);
        let mut chart = chart_on(area, &caption, 0.0..x_max, 0.0..1.08)?;
        draw_axes(
            &mut chart,
            "time to reach target (virtual s)",
            "fraction of peers",
        )?;
        if n == 0 || (reached == 0 && self.target().is_none()) {
            return Ok(());
        }
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 1.0), (x_max, 1.0)],
                4,
                5,
                GUIDE.stroke_width(1),
            ))?
            .label("all peers")
            .legend(|(x, y)| {
                DashedPathElement::new(vec![(x, y), (x + 26, y)], 4, 4, GUIDE.stroke_width(1))
            });
        let several = groups.len() > 1;
        for (i, g) in groups.iter().enumerate() {
            let c = colour(i);
            let who = if several {
                format!("group {}: ", g.name)
            } else {
                String::new()
            };
            chart
                .draw_series(LineSeries::new(
                    step_cdf(&g.times, g.n, x_max),
                    c.stroke_width(3),
                ))?
                .label(format!("{who}{} of {} reached target", g.times.len(), g.n))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 26, y)], c.stroke_width(3))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

impl Figure for ConvergenceFigure {
    fn size(&self) -> (u32, u32) {
        CONVERGENCE_SIZE
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let body = root.titled(&self.title, (FONT, TITLE_SIZE))?;
        let (top, bottom) = body.split_vertically(RelativeSize::Height(0.56));
        self.draw_verified(&top)?;
        self.draw_cdf(&bottom)?;
        Ok(())
    }
}

/// Times to target of one peer group.
struct GroupTimes {
    name: String,
    /// Peers in the group.
    n: usize,
    /// Sorted times of the peers that reached the target.
    times: Vec<f64>,
}

/// Groups peers by `group` (first-appearance order) with their sorted times to target.
fn group_times(peers: &[PeerRow]) -> Vec<GroupTimes> {
    let mut out: Vec<GroupTimes> = Vec::new();
    for p in peers {
        let idx = match out.iter().position(|g| g.name == p.group) {
            Some(i) => i,
            None => {
                out.push(GroupTimes {
                    name: p.group.clone(),
                    n: 0,
                    times: Vec::new(),
                });
                out.len() - 1
            }
        };
        if let Some(g) = out.get_mut(idx) {
            g.n += 1;
            if let Some(t) = p.time_to_target_s {
                g.times.push(t);
            }
        }
    }
    for g in &mut out {
        g.times.sort_by(f64::total_cmp);
    }
    out
}

/// The empirical CDF of `times` over `n` peers as a step line from 0 to `x_max`: it
/// ends at `times.len() / n`, below 1.0 when some peers never reached the target.
pub fn step_cdf(times: &[f64], n: usize, x_max: f64) -> Vec<(f64, f64)> {
    let n = n.max(1) as f64;
    let mut pts = vec![(0.0, 0.0)];
    let mut below = 0usize;
    let mut i = 0usize;
    while let Some(&t) = times.get(i) {
        // Peers with the same time make one step.
        let mut j = i + 1;
        while times.get(j) == Some(&t) {
            j += 1;
        }
        pts.push((t, below as f64 / n));
        pts.push((t, j as f64 / n));
        below = j;
        i = j;
    }
    pts.push((x_max, below as f64 / n));
    pts
}

/// The `ipv8sim plot` comparison figure.
struct CompareFigure<'a> {
    title: String,
    y_desc: String,
    series: &'a [Series],
    target: Option<f64>,
    legend_pos: SeriesLabelPosition,
}

impl Figure for CompareFigure<'_> {
    fn size(&self) -> (u32, u32) {
        COMPARE_SIZE
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let x_max = pts.clone().map(|p| p.t).fold(1.0, f64::max);
        let y_max = pts
            .clone()
            .map(|p| p.band.map_or(p.value, |b| b.1.max(p.value)))
            .chain(self.target)
            .fold(f64::NEG_INFINITY, f64::max);
        let y_min = pts
            .map(|p| p.band.map_or(p.value, |b| b.0.min(p.value)))
            .fold(0.0, f64::min);
        let y_max = if y_max.is_finite() && y_max > y_min {
            y_max
        } else {
            y_min + 1.0
        };
        let pad = (y_max - y_min) * 0.08;
        let banded = |kind: SeriesKind| {
            self.series
                .iter()
                .any(|s| s.kind == kind && s.points.iter().any(|p| p.band.is_some()))
        };
        let across = match (banded(SeriesKind::Run), banded(SeriesKind::Reference)) {
            (true, true) => Some("seeds / reference files"),
            (true, false) => Some("seeds"),
            (false, true) => Some("reference files"),
            (false, false) => None,
        };
        let caption = match across {
            Some(a) => format!(
                "{}\u{2003}(line = mean, band = min\u{2013}max across {a})",
                self.title
            ),
            None => self.title.clone(),
        };
        let y_lo = if y_min < 0.0 { y_min - pad } else { 0.0 };
        let mut chart = chart_on(root, &caption, 0.0..x_max, y_lo..(y_max + pad))?;
        draw_axes(&mut chart, "virtual time (s)", &self.y_desc)?;
        for (i, s) in self.series.iter().enumerate() {
            let c = colour(i);
            let band: Vec<(f64, f64, f64)> = s
                .points
                .iter()
                .filter_map(|p| p.band.map(|(lo, hi)| (p.t, lo, hi)))
                .collect();
            if !band.is_empty() {
                let poly: Vec<(f64, f64)> = band
                    .iter()
                    .map(|b| (b.0, b.2))
                    .chain(band.iter().rev().map(|b| (b.0, b.1)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))?;
            }
            let line: Vec<(f64, f64)> = s.points.iter().map(|p| (p.t, p.value)).collect();
            match s.kind {
                SeriesKind::Run => chart
                    .draw_series(LineSeries::new(line, c.stroke_width(3)))?
                    .label(s.label.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 26, y)], c.stroke_width(3))
                    }),
                SeriesKind::Reference => chart
                    .draw_series(DashedLineSeries::new(line, 9, 5, c.stroke_width(3)))?
                    .label(s.label.as_str())
                    .legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 26, y)], 7, 4, c.stroke_width(3))
                    }),
            };
        }
        if let Some(t) = self.target {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, t), (x_max, t)],
                    4,
                    5,
                    GUIDE.stroke_width(2),
                ))?
                .label(format!("walker target = {}", fmt_num(t)))
                .legend(|(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 26, y)], 4, 4, GUIDE.stroke_width(2))
                });
        }
        draw_legend(&mut chart, self.legend_pos.clone())
    }
}

/// Draws several series of `metric` on one chart (1000×700) into each file of `outs`
/// (`.svg` or `.png`, by extension; parent directories are created). Run series are
/// solid, reference series dashed; bands are shaded. When `metric` is a verified-peers
/// column and every run series has the same walker target, the target is drawn as a
/// dashed grey line.
pub fn compare(
    series: &[Series],
    metric: &str,
    outs: &[PathBuf],
) -> Result<Vec<PathBuf>, ReportError> {
    if series.is_empty() {
        return Err(ReportError::Invalid(
            "nothing to plot: no series".to_string(),
        ));
    }
    let (title, y_desc) = metric_text(metric);
    let mut targets = series
        .iter()
        .filter(|s| s.kind == SeriesKind::Run)
        .map(|s| s.target);
    let first = targets.next().flatten();
    let target = if metric.starts_with("verified_") && targets.all(|t| t == first) {
        first
    } else {
        None
    };
    let legend_pos = match metric {
        "msgs_sent" | "msgs_received" | "bytes_sent" | "bytes_received" => {
            SeriesLabelPosition::UpperLeft
        }
        _ => SeriesLabelPosition::LowerRight,
    };
    let fig = CompareFigure {
        title,
        y_desc,
        series,
        target,
        legend_pos,
    };
    render(&fig, outs)
}

/// Default outputs of `ipv8sim plot` without `--out`: `results/plot.svg` and
/// `results/plot.png`, relative to the current directory.
pub fn default_plot_outputs() -> Vec<PathBuf> {
    vec![
        PathBuf::from("results").join("plot.svg"),
        PathBuf::from("results").join("plot.png"),
    ]
}

/// The `ipv8sim plot` command: loads every results directory (seed directory, or
/// scenario directory whose seeds become a min–max band) and every reference file
/// (averaged by N), and draws `metric` for all of them on one chart. `out` = `None`
/// writes [`default_plot_outputs`]; otherwise the one file given (`.svg` or `.png`).
/// Returns the files written.
pub fn plot_runs(
    dirs: &[PathBuf],
    metric: &str,
    references: &[PathBuf],
    out: Option<&Path>,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut series = Vec::new();
    for d in dirs {
        series.extend(load_results_dir(d, metric)?);
    }
    series.extend(load_references(references, metric)?);
    let outs = match out {
        Some(p) => vec![p.to_path_buf()],
        None => default_plot_outputs(),
    };
    compare(&series, metric, &outs)
}
