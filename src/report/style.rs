//! Plot style (palette, fonts, sizes, metric wording) and the output step that renders
//! one drawing to SVG and/or PNG files.
//!
//! Determinism: the SVG is built in memory and written in one go, and the PNG comes
//! from plotters' bitmap backend; neither reads a clock or random source, so the same
//! input gives the same bytes (given the same system fonts).

use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::ReportError;

/// Font family for all text (resolved through fontconfig).
pub const FONT: &str = "sans-serif";
/// Font size of a figure's main title.
pub const TITLE_SIZE: u32 = 30;
/// Font size of a panel caption.
pub const CAPTION_SIZE: u32 = 22;
/// Font size of axis descriptions.
pub const AXIS_DESC_SIZE: u32 = 20;
/// Font size of tick labels and legends.
pub const LABEL_SIZE: u32 = 16;

/// Colour-blind-friendly categorical palette (Tableau 10 order, grey left out).
pub const PALETTE: [RGBColor; 9] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Neutral colour for target lines and reference guides.
pub const GUIDE: RGBColor = RGBColor(90, 90, 90);
/// Light grid lines.
pub const GRID_LIGHT: RGBColor = RGBColor(238, 238, 238);
/// Major grid lines.
pub const GRID_BOLD: RGBColor = RGBColor(205, 205, 205);

/// The colour of the `i`-th series.
pub fn colour(i: usize) -> RGBColor {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or(BLACK)
}

/// `(title, y-axis description)` for a `metrics.csv` column.
pub fn metric_text(metric: &str) -> (String, String) {
    let (title, unit) = match metric {
        "verified_mean" => ("Mean verified peers per peer", "verified peers"),
        "verified_p10" => (
            "Verified peers, 10th percentile over peers",
            "verified peers",
        ),
        "verified_p50" => ("Verified peers, median over peers", "verified peers"),
        "verified_p90" => (
            "Verified peers, 90th percentile over peers",
            "verified peers",
        ),
        "verified_min" => ("Verified peers, minimum over peers", "verified peers"),
        "verified_max" => ("Verified peers, maximum over peers", "verified peers"),
        "peers_online" => ("Peers online", "peers online"),
        "target" => ("Walker target", "peers"),
        "fraction_at_target" => (
            "Fraction of peers at the walker target",
            "fraction of peers",
        ),
        "msgs_sent" => ("Messages sent", "messages"),
        "msgs_received" => ("Messages received", "messages"),
        "bytes_sent" => ("Bytes sent", "bytes"),
        "bytes_received" => ("Bytes received", "bytes"),
        other => return (other.to_string(), other.to_string()),
    };
    (title.to_string(), unit.to_string())
}

/// A number for a legend: no decimals when it is whole.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// An image format, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// `.svg`
    Svg,
    /// `.png`
    Png,
}

impl ImageFormat {
    /// The format of `path` from its extension (case-insensitive `svg` / `png`).
    pub fn of(path: &Path) -> Result<ImageFormat, ReportError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(ReportError::Invalid(format!(
                "{}: output must end in .svg or .png",
                path.display()
            ))),
        }
    }
}

/// Something that can draw itself on any plotters backend.
pub trait Figure {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

/// Renders `fig` to every file in `outs` (format by extension), creating parent
/// directories as needed. Returns the paths written.
pub fn render<F: Figure>(fig: &F, outs: &[PathBuf]) -> Result<Vec<PathBuf>, ReportError> {
    for out in outs {
        ImageFormat::of(out)?;
    }
    for out in outs {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| ReportError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let draw_err = |e: String| ReportError::Draw {
            path: out.clone(),
            message: e,
        };
        match ImageFormat::of(out)? {
            ImageFormat::Svg => {
                let mut svg = String::new();
                {
                    let root = SVGBackend::with_string(&mut svg, fig.size()).into_drawing_area();
                    fig.draw(&root).map_err(|e| draw_err(e.to_string()))?;
                    root.present().map_err(|e| draw_err(e.to_string()))?;
                }
                std::fs::write(out, svg).map_err(|source| ReportError::Io {
                    path: out.clone(),
                    source,
                })?;
            }
            ImageFormat::Png => {
                let root = BitMapBackend::new(out, fig.size()).into_drawing_area();
                fig.draw(&root).map_err(|e| draw_err(e.to_string()))?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
        }
    }
    Ok(outs.to_vec())
}

/// A tick label: at most three decimals, trailing zeros dropped; `k`/`M` suffixes for
/// large values.
pub fn tick(v: &f64) -> String {
    fn trim(s: String) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
    let a = v.abs();
    let s = if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else {
        trim(format!("{v:.3}"))
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// The chart type of every plot here: `f64` time on x, `f64` value on y.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Builds a chart on `area` with the house margins and label areas.
pub fn chart_on<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(area)
        .caption(caption, (FONT, CAPTION_SIZE))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
}

/// Draws grid, axes, tick labels and axis descriptions.
pub fn draw_axes<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    x_desc: &str,
    y_desc: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, AXIS_DESC_SIZE))
        .label_style((FONT, LABEL_SIZE))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .max_light_lines(1)
        .light_line_style(GRID_LIGHT)
        .bold_line_style(GRID_BOLD)
        .draw()
}

/// Draws the legend of the labelled series at `pos`.
pub fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    pos: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(pos)
        .margin(14)
        .label_font((FONT, LABEL_SIZE))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID_BOLD)
        .draw()
}
