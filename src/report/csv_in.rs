//! Readers for the results CSV files (`metrics.csv`, `peers.csv`) and for py-ipv8
//! reference curves (`t,mean,min,max`), column names as in the brief's "Results CSV
//! columns" contract. Columns are looked up by name; unknown columns are ignored.
//!
//! Every error names the file and the 1-based line; nothing here panics on bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ReportError;

/// The fixed numeric columns of `metrics.csv` (all but `time_s` and `overlay`), in
/// file order. Any of them can be plotted with [`MetricsTable::series`].
pub const METRIC_COLUMNS: [&str; 13] = [
    "peers_online",
    "verified_mean",
    "verified_p10",
    "verified_p50",
    "verified_p90",
    "verified_min",
    "verified_max",
    "target",
    "fraction_at_target",
    "msgs_sent",
    "msgs_received",
    "bytes_sent",
    "bytes_received",
];

/// One row of `metrics.csv`: one sample of one overlay.
///
/// Numeric cells that are empty are read as `f64::NAN` ("not applicable", e.g. a
/// percentile while no peer is online); plots leave such samples out.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    /// Virtual time of the sample, seconds.
    pub time_s: f64,
    /// Overlay (community) name.
    pub overlay: String,
    /// Values of [`METRIC_COLUMNS`], same order. `target` is -1 when there is none.
    pub values: [f64; 13],
    /// Values of the extra columns ([`MetricsTable::extra_columns`], same order);
    /// `None` where the cell is empty or not a number (extra columns are informative
    /// only and never make a file invalid).
    pub extra: Vec<Option<f64>>,
}

impl MetricsRow {
    /// The value of a fixed column by name (`None` if `name` is not in [`METRIC_COLUMNS`]).
    pub fn get(&self, name: &str) -> Option<f64> {
        let i = METRIC_COLUMNS.iter().position(|c| *c == name)?;
        self.values.get(i).copied()
    }

    /// The walker target of this sample, `None` when the file says -1 (no target).
    pub fn target(&self) -> Option<f64> {
        self.get("target").filter(|t| t.is_finite() && *t >= 0.0)
    }
}

/// A parsed `metrics.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsTable {
    /// The file it was read from (for error messages).
    pub path: PathBuf,
    /// Names of the columns after the fixed ones (`sent:<msg>`, `drop:<reason>`...).
    pub extra_columns: Vec<String>,
    /// Rows in file order.
    pub rows: Vec<MetricsRow>,
}

impl MetricsTable {
    /// Overlay names in order of first appearance.
    pub fn overlays(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.overlay) {
                out.push(r.overlay.clone());
            }
        }
        out
    }

    /// The rows of one overlay, in file order.
    pub fn rows_of<'a>(&'a self, overlay: &'a str) -> impl Iterator<Item = &'a MetricsRow> + 'a {
        self.rows.iter().filter(move |r| r.overlay == overlay)
    }

    /// `(time_s, value)` of metric `metric` (a fixed column or an extra column) for
    /// one overlay, sorted by time; samples whose value is missing are left out.
    pub fn series(&self, overlay: &str, metric: &str) -> Result<Vec<(f64, f64)>, ReportError> {
        let fixed = METRIC_COLUMNS.iter().position(|c| *c == metric);
        let extra = self.extra_columns.iter().position(|c| c == metric);
        if fixed.is_none() && extra.is_none() {
            let mut available: Vec<&str> = METRIC_COLUMNS.to_vec();
            available.extend(self.extra_columns.iter().map(String::as_str));
            return Err(ReportError::UnknownMetric {
                path: self.path.clone(),
                metric: metric.to_string(),
                available: available.join(", "),
            });
        }
        let mut out: Vec<(f64, f64)> = self
            .rows_of(overlay)
            .filter_map(|r| {
                let v = match (fixed, extra) {
                    (Some(i), _) => r.values.get(i).copied(),
                    (None, Some(j)) => r.extra.get(j).copied().flatten(),
                    (None, None) => None,
                }?;
                v.is_finite().then_some((r.time_s, v))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(out)
    }

    /// The largest sample time in the file (0 if none).
    pub fn end_time(&self) -> f64 {
        self.rows.iter().map(|r| r.time_s).fold(0.0, f64::max)
    }
}

/// One row of `peers.csv`. Empty cells ("never / not applicable") are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRow {
    /// Peer identifier (index or name, as written).
    pub peer: String,
    /// Group name from the scenario.
    pub group: String,
    /// Join time, virtual seconds.
    pub join_s: Option<f64>,
    /// Leave time, virtual seconds.
    pub leave_s: Option<f64>,
    /// Time until the first verified peer, seconds.
    pub time_to_first_peer_s: Option<f64>,
    /// Time until the walker target was reached, seconds; `None` = never reached.
    pub time_to_target_s: Option<f64>,
    /// Verified peers at the end of the run.
    pub final_degree: Option<u64>,
    /// Messages sent.
    pub msgs_sent: Option<u64>,
    /// Messages received.
    pub msgs_received: Option<u64>,
}

/// One row of a py-ipv8 reference curve: verified peers over the N peers at time `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferenceRow {
    /// Virtual time, seconds.
    pub t: f64,
    /// Mean verified peers.
    pub mean: f64,
    /// Minimum verified peers.
    pub min: f64,
    /// Maximum verified peers.
    pub max: f64,
}

/// A CSV file opened for reading with its header resolved.
struct Sheet {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    header: Vec<String>,
    header_line: u64,
}

impl Sheet {
    fn open(path: &Path) -> Result<Sheet, ReportError> {
        let file = std::fs::File::open(path).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(file);
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => return Err(csv_error(path, &e)),
        };
        // After the header the reader stands at the start of the next line.
        let header_line = reader.position().line().saturating_sub(1).max(1);
        if header.iter().all(String::is_empty) {
            return Err(ReportError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Sheet {
            path: path.to_path_buf(),
            reader,
            header,
            header_line,
        })
    }

    /// Index of a required column.
    fn col(&self, name: &str) -> Result<usize, ReportError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::MissingColumn {
                path: self.path.clone(),
                line: self.header_line,
                column: name.to_string(),
                found: self.header.join(","),
            })
    }

    /// Every data record with its 1-based line number.
    fn records(&mut self) -> Result<Vec<(u64, csv::StringRecord)>, ReportError> {
        let mut out = Vec::new();
        for rec in self.reader.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, csv::Position::line);
                    out.push((line, r));
                }
                Err(e) => return Err(csv_error(&self.path, &e)),
            }
        }
        if out.is_empty() {
            return Err(ReportError::Empty {
                path: self.path.clone(),
            });
        }
        Ok(out)
    }
}

/// Turns a `csv` error into [`ReportError::Malformed`] with its line.
fn csv_error(path: &Path, e: &csv::Error) -> ReportError {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "row has {len} cells, header has {expected_len} (every row needs one cell per column)"
        ),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => e.to_string(),
    };
    ReportError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// One row being parsed, for cell accessors that report path/line/column.
struct Cells<'a> {
    path: &'a Path,
    line: u64,
    rec: &'a csv::StringRecord,
    header: &'a [String],
}

impl Cells<'_> {
    fn text(&self, i: usize) -> &str {
        self.rec.get(i).unwrap_or("")
    }

    fn bad(&self, i: usize, what: &str) -> ReportError {
        let col = self.header.get(i).map_or("?", String::as_str);
        ReportError::Malformed {
            path: self.path.to_path_buf(),
            line: self.line,
            message: format!("column `{col}`: {what}, got {:?}", self.text(i)),
        }
    }

    /// A finite number; empty cells are an error.
    fn number(&self, i: usize) -> Result<f64, ReportError> {
        match self.text(i).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.bad(i, "expected a finite number")),
        }
    }

    /// A finite number, or NaN for an empty cell.
    fn number_or_nan(&self, i: usize) -> Result<f64, ReportError> {
        if self.text(i).is_empty() {
            Ok(f64::NAN)
        } else {
            self.number(i)
        }
    }

    /// A finite number, or `None` for an empty cell.
    fn opt_number(&self, i: usize) -> Result<Option<f64>, ReportError> {
        if self.text(i).is_empty() {
            Ok(None)
        } else {
            self.number(i).map(Some)
        }
    }

    /// A non-negative integer, or `None` for an empty cell.
    fn opt_count(&self, i: usize) -> Result<Option<u64>, ReportError> {
        let t = self.text(i);
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<u64>()
            .map(Some)
            .map_err(|_| self.bad(i, "expected a non-negative integer or an empty cell"))
    }
}

/// Reads `metrics.csv` (long format: one row per sample per overlay).
///
/// Requires the columns `time_s`, `overlay` and all of [`METRIC_COLUMNS`]; any other
/// column is kept as an extra column. Empty numeric cells read as NaN.
pub fn read_metrics(path: &Path) -> Result<MetricsTable, ReportError> {
    let mut sheet = Sheet::open(path)?;
    let time = sheet.col("time_s")?;
    let overlay = sheet.col("overlay")?;
    let mut fixed = [0usize; 13];
    for (slot, name) in fixed.iter_mut().zip(METRIC_COLUMNS) {
        *slot = sheet.col(name)?;
    }
    let known: Vec<usize> = [time, overlay].iter().chain(&fixed).copied().collect();
    let extra_idx: Vec<usize> = (0..sheet.header.len())
        .filter(|i| !known.contains(i))
        .collect();
    let extra_columns = extra_idx
        .iter()
        .filter_map(|i| sheet.header.get(*i).cloned())
        .collect();
    let mut rows = Vec::new();
    for (line, rec) in sheet.records()? {
        let c = Cells {
            path,
            line,
            rec: &rec,
            header: &sheet.header,
        };
        let mut values = [0.0; 13];
        for (v, i) in values.iter_mut().zip(fixed) {
            *v = c.number_or_nan(i)?;
        }
        rows.push(MetricsRow {
            time_s: c.number(time)?,
            overlay: c.text(overlay).to_string(),
            values,
            extra: extra_idx
                .iter()
                .map(|i| c.text(*i).parse::<f64>().ok().filter(|v| v.is_finite()))
                .collect(),
        });
    }
    Ok(MetricsTable {
        path: path.to_path_buf(),
        extra_columns,
        rows,
    })
}

/// Reads `peers.csv`; unknown columns are ignored.
pub fn read_peers(path: &Path) -> Result<Vec<PeerRow>, ReportError> {
    let mut sheet = Sheet::open(path)?;
    let cols: BTreeMap<&str, usize> = [
        "peer",
        "group",
        "join_s",
        "leave_s",
        "time_to_first_peer_s",
        "time_to_target_s",
        "final_degree",
        "msgs_sent",
        "msgs_received",
    ]
    .into_iter()
    .map(|n| sheet.col(n).map(|i| (n, i)))
    .collect::<Result<_, _>>()?;
    let ix = |n: &str| cols.get(n).copied().unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for (line, rec) in sheet.records()? {
        let c = Cells {
            path,
            line,
            rec: &rec,
            header: &sheet.header,
        };
        out.push(PeerRow {
            peer: c.text(ix("peer")).to_string(),
            group: c.text(ix("group")).to_string(),
            join_s: c.opt_number(ix("join_s"))?,
            leave_s: c.opt_number(ix("leave_s"))?,
            time_to_first_peer_s: c.opt_number(ix("time_to_first_peer_s"))?,
            time_to_target_s: c.opt_number(ix("time_to_target_s"))?,
            final_degree: c.opt_count(ix("final_degree"))?,
            msgs_sent: c.opt_count(ix("msgs_sent"))?,
            msgs_received: c.opt_count(ix("msgs_received"))?,
        });
    }
    Ok(out)
}

/// Reads a py-ipv8 reference curve (`t,mean,min,max`), sorted by `t`.
pub fn read_reference(path: &Path) -> Result<Vec<ReferenceRow>, ReportError> {
    let mut sheet = Sheet::open(path)?;
    let (t, mean, min, max) = (
        sheet.col("t")?,
        sheet.col("mean")?,
        sheet.col("min")?,
        sheet.col("max")?,
    );
    let mut out = Vec::new();
    for (line, rec) in sheet.records()? {
        let c = Cells {
            path,
            line,
            rec: &rec,
            header: &sheet.header,
        };
        out.push(ReferenceRow {
            t: c.number(t)?,
            mean: c.number(mean)?,
            min: c.number(min)?,
            max: c.number(max)?,
        });
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(out)
}
