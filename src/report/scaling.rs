//! The cost-growth report behind `ipv8sim scaling`: reads the `summary.json` of several
//! runs, prints the table of `benches/README.md` (peers → wall time, events/s, peak
//! RSS, crypto floor, wall/floor) and draws wall time against peers on log–log axes,
//! one line per crypto mode.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{colour, render, tick, Figure, FONT, GRID_BOLD, GRID_LIGHT, LABEL_SIZE};
use super::ReportError;

/// One run's figures, read from its `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRow {
    /// The run directory (or summary file) it came from.
    pub source: PathBuf,
    /// Scenario name.
    pub scenario: String,
    /// Peers (servers excluded).
    pub peers: u64,
    /// Bootstrap servers.
    pub servers: u64,
    /// Virtual seconds simulated.
    pub duration_s: f64,
    /// `real` or `fast` (older summaries without the field: `real`).
    pub crypto_mode: String,
    /// Executor events.
    pub events: u64,
    /// Datagrams sent.
    pub packets: u64,
    /// Wall seconds of the simulation (build excluded).
    pub run_wall_s: f64,
    /// Wall seconds of building the world.
    pub build_wall_s: f64,
    /// Peak RSS, kB.
    pub peak_memory_kb: Option<u64>,
    /// Crypto floor, seconds, if measured.
    pub floor_s: Option<f64>,
}

impl ScalingRow {
    /// Events per wall second of the simulation.
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.run_wall_s.max(1e-9)
    }

    /// `run_wall_s / floor_s`.
    pub fn wall_over_floor(&self) -> Option<f64> {
        self.floor_s
            .filter(|f| *f > 0.0)
            .map(|f| self.run_wall_s / f)
    }

    /// Wall µs per peer per simulated second.
    pub fn us_per_peer_second(&self) -> f64 {
        self.run_wall_s * 1e6 / (self.peers.max(1) as f64 * self.duration_s.max(1e-9))
    }
}

fn summary_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join("summary.json")
    } else {
        p.to_path_buf()
    }
}

/// Reads one `summary.json` (or the one inside a run directory).
pub fn read_row(p: &Path) -> Result<ScalingRow, ReportError> {
    let path = summary_path(p);
    let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| ReportError::Malformed {
        path: path.clone(),
        line: e.line() as u64,
        message: format!("not JSON: {e}"),
    })?;
    let missing = |k: &str| ReportError::Invalid(format!("{}: no `{k}` field", path.display()));
    let u = |k: &str| v.get(k).and_then(|x| x.as_u64()).ok_or_else(|| missing(k));
    let f = |k: &str| v.get(k).and_then(|x| x.as_f64()).ok_or_else(|| missing(k));
    Ok(ScalingRow {
        source: p.to_path_buf(),
        scenario: v
            .get("scenario")
            .and_then(|x| x.as_str())
            .unwrap_or("?")
            .to_string(),
        peers: u("peers")?,
        servers: u("bootstrap_servers")?,
        duration_s: f("duration_s")?,
        crypto_mode: v
            .get("crypto_mode")
            .and_then(|x| x.as_str())
            .unwrap_or("real")
            .to_string(),
        events: u("events")?,
        packets: u("packets_sent")?,
        run_wall_s: f("run_wall_s")?,
        build_wall_s: f("build_wall_s").unwrap_or(0.0),
        peak_memory_kb: v.get("peak_memory_kb").and_then(|x| x.as_u64()),
        floor_s: v
            .get("crypto_floor")
            .and_then(|c| c.get("floor_s"))
            .and_then(|x| x.as_f64()),
    })
}

/// A log-axis label: only 1, 2 and 5 × 10^k are labelled.
fn decade_tick(v: &f64) -> String {
    if *v <= 0.0 {
        return String::new();
    }
    let m = v / 10f64.powf(v.log10().floor());
    if [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|k| (m - k).abs() < 0.02 * k)
    {
        tick(v)
    } else {
        String::new()
    }
}

/// A rate with a k/M suffix and no decimals below 1000.
fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// The Markdown table of `benches/README.md`, rows sorted by (mode, peers, duration).
pub fn markdown_table(rows: &[ScalingRow]) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        (a.crypto_mode.as_str(), a.peers)
            .cmp(&(b.crypto_mode.as_str(), b.peers))
            .then(a.duration_s.total_cmp(&b.duration_s))
    });
    let mut s = String::from(
        "| scenario | peers | servers | sim s | crypto | events | packets | build s | run wall s | events/s | peak RSS MB | floor s | wall/floor | µs / peer / sim s |\n\
         |---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {} | {} | {} | {} | {:.2} |\n",
            r.scenario,
            r.peers,
            r.servers,
            r.duration_s,
            r.crypto_mode,
            r.events,
            r.packets,
            r.build_wall_s,
            r.run_wall_s,
            rate(r.events_per_s()),
            r.peak_memory_kb
                .map_or("—".to_string(), |k| format!("{:.0}", k as f64 / 1024.0)),
            r.floor_s.map_or("—".to_string(), |f| format!("{f:.2}")),
            r.wall_over_floor()
                .map_or("—".to_string(), |w| format!("{w:.2}")),
            r.us_per_peer_second(),
        ));
    }
    s
}

/// The log–log figure: run wall time against peers, one line per (crypto mode,
/// simulated duration), points labelled by peers.
struct ScalingFigure {
    series: Vec<(String, Vec<(f64, f64)>)>,
}

impl ScalingFigure {
    fn new(rows: &[ScalingRow]) -> Result<Self, ReportError> {
        let mut keys: Vec<(String, u64)> = rows
            .iter()
            .map(|r| (r.crypto_mode.clone(), r.duration_s.round() as u64))
            .collect();
        keys.sort();
        keys.dedup();
        let series: Vec<(String, Vec<(f64, f64)>)> = keys
            .into_iter()
            .map(|(mode, dur)| {
                let mut pts: Vec<(f64, f64)> = rows
                    .iter()
                    .filter(|r| r.crypto_mode == mode && r.duration_s.round() as u64 == dur)
                    .map(|r| (r.peers.max(1) as f64, r.run_wall_s.max(1e-3)))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                (format!("crypto = {mode}, {dur} simulated s"), pts)
            })
            .collect();
        if series.iter().all(|(_, p)| p.is_empty()) {
            return Err(ReportError::Invalid("no runs to plot".into()));
        }
        Ok(ScalingFigure { series })
    }
}

impl Figure for ScalingFigure {
    fn size(&self) -> (u32, u32) {
        (900, 650)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let pts = self.series.iter().flat_map(|(_, p)| p.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in pts {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y0 = y0.min(*y);
            y1 = y1.max(*y);
        }
        let mut chart = ChartBuilder::on(root)
            .caption("ipv8sim: wall time of the simulation vs peers", (FONT, 26))
            .margin(14)
            .margin_right(36)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(
                ((x0 / 1.5)..(x1 * 1.5)).log_scale(),
                ((y0 / 2.0)..(y1 * 2.0)).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("peers (log)")
            .y_desc("wall seconds (log)")
            .axis_desc_style((FONT, 20))
            .label_style((FONT, LABEL_SIZE))
            .x_label_formatter(&decade_tick)
            .y_label_formatter(&decade_tick)
            .max_light_lines(0)
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID_BOLD)
            .draw()?;
        // A slope-1 guide through the first point of the first series: linear cost.
        if let Some((x, y)) = self.series.first().and_then(|(_, p)| p.first()) {
            let k = y / x;
            chart
                .draw_series(LineSeries::new(
                    [(x0 / 1.5, k * x0 / 1.5), (x1 * 1.5, k * x1 * 1.5)],
                    ShapeStyle::from(&RGBColor(170, 170, 170)).stroke_width(1),
                ))?
                .label("linear in peers (guide)")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RGBColor(170, 170, 170)));
        }
        for (i, (label, p)) in self.series.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(LineSeries::new(p.iter().copied(), c.stroke_width(3)))?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(3)));
            chart.draw_series(p.iter().map(|&(x, y)| Circle::new((x, y), 5, c.filled())))?;
            chart.draw_series(p.iter().map(|&(x, y)| {
                Text::new(
                    format!("{} s", tick(&y)),
                    (x, y * 1.25),
                    (FONT, LABEL_SIZE).into_font().color(&c),
                )
            }))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(14)
            .label_font((FONT, LABEL_SIZE))
            .background_style(WHITE.mix(0.9))
            .border_style(GRID_BOLD)
            .draw()?;
        Ok(())
    }
}

/// Reads the runs, draws the log–log plot to `outs` and returns the Markdown table.
pub fn scaling(inputs: &[PathBuf], outs: &[PathBuf]) -> Result<String, ReportError> {
    let rows = inputs
        .iter()
        .map(|p| read_row(p))
        .collect::<Result<Vec<_>, _>>()?;
    let fig = ScalingFigure::new(&rows)?;
    render(&fig, outs)?;
    Ok(markdown_table(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(peers: u64, wall: f64, mode: &str) -> ScalingRow {
        ScalingRow {
            source: PathBuf::from("x"),
            scenario: "s".into(),
            peers,
            servers: 2,
            duration_s: 600.0,
            crypto_mode: mode.into(),
            events: 1000,
            packets: 10,
            run_wall_s: wall,
            build_wall_s: 0.1,
            peak_memory_kb: Some(2048),
            floor_s: Some(wall / 2.0),
        }
    }

    #[test]
    fn table_sorts_and_derives_columns() {
        let t = markdown_table(&[row(10_000, 10.0, "real"), row(1000, 1.0, "real")]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("| s | 1000 |"), "{}", lines[2]);
        // wall/floor = 2, µs/peer/s = 1 s / (1000 × 600 s) = 1.67 µs.
        assert!(lines[2].contains("| 2.00 | 1.67 |"), "{}", lines[2]);
        assert!(lines[2].contains("| 2 |"), "peak RSS in MB: {}", lines[2]);
    }

    #[test]
    fn reads_a_summary_and_draws() {
        let dir = std::env::temp_dir().join(format!("ipv8sim-scaling-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = dir.join("run");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(
            run.join("summary.json"),
            r#"{"scenario":"a","peers":100,"bootstrap_servers":2,"duration_s":120.0,
                "events":5000,"packets_sent":700,"run_wall_s":0.5,"build_wall_s":0.01,
                "peak_memory_kb":30000,"crypto_floor":{"floor_s":0.4}}"#,
        )
        .unwrap();
        let r = read_row(&run).unwrap();
        assert_eq!((r.peers, r.crypto_mode.as_str()), (100, "real"));
        assert_eq!(r.wall_over_floor(), Some(1.25));
        let svg = dir.join("scaling.svg");
        let table = scaling(std::slice::from_ref(&run), std::slice::from_ref(&svg)).unwrap();
        assert!(table.contains("| a | 100 |"));
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        // A missing field is an error naming the file, not a panic.
        std::fs::write(run.join("summary.json"), r#"{"scenario":"a"}"#).unwrap();
        let e = read_row(&run).unwrap_err().to_string();
        assert!(e.contains("summary.json") && e.contains("peers"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
