//! Latency matrices: the plain file format, its loader, and [`MatrixLatency`], the
//! latency model that places simulated hosts on matrix rows.
//!
//! # File format (`*.csv`)
//! ```text
//! # lines starting with '#' are comments (attribution, units)
//! # unit: ms one-way        <- optional directive; or "# unit: ms rtt" (values are halved)
//! host,a,b,c                <- header: first cell ignored, then the host names
//! a,0,12.5,30               <- one row per host, in header order; values in ms
//! b,12.5,0,7
//! c,30,7,0
//! ```
//! * Cells are comma-separated; surrounding whitespace is trimmed; blank lines are
//!   ignored. The unit directive may appear on any comment line before the header
//!   (`ms` or `s`; `one-way`, the default, or `rtt`).
//! * The matrix is square: one row per header name, row names equal the header names
//!   in the same order, every row has exactly one cell per host.
//! * Every value is a non-negative finite number; empty cells are errors (there is no
//!   "missing measurement" marker — fill gaps before loading).
//! * Entry `[i][j]` is the one-way delay from host `i` to host `j` (so asymmetric
//!   matrices are allowed). The diagonal `[i][i]` is the delay between two simulated
//!   peers placed on the same row; it may be non-zero.
//!
//! Errors name the file, the 1-based line and (for cells) the 1-based column, and
//! carry a hint ([`MatrixError`]).

use super::latency::{HostId, LatencyModel, Placement};
use super::seeds::SimRng;
use crate::runtime::Duration;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Why a latency-matrix file could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// The file could not be read.
    #[error("{path}: cannot read latency matrix: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The CSV itself is malformed (e.g. an unterminated quote).
    #[error("{path}:{line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What the CSV reader reported.
        message: String,
    },
    /// No header line (the file is empty or only comments).
    #[error("{path}: no header line (expected `host,<name>,<name>,...`); is the file empty?")]
    NoHeader {
        /// The file.
        path: PathBuf,
    },
    /// A `# unit:` directive that is not understood.
    #[error("{path}:{line}: unknown unit directive `{text}` (hint: use `# unit: ms one-way` or `# unit: ms rtt`)")]
    BadUnit {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The directive's text.
        text: String,
    },
    /// The header names a host twice.
    #[error("{path}:{line}:{column}: host `{name}` appears twice in the header (hint: host names must be unique)")]
    DuplicateName {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// The repeated name.
        name: String,
    },
    /// A row has a different number of cells than the header.
    #[error("{path}:{line}: row has {found} cells, the header has {expected} (hint: every row is `name` followed by one value per host)")]
    Ragged {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// A row's name differs from the header name at the same position.
    #[error("{path}:{line}:1: row name `{found}` does not match header name `{expected}` (hint: rows must be in the same order as the header)")]
    RowName {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The header's name for this row.
        expected: String,
        /// The row's name.
        found: String,
    },
    /// An empty cell.
    #[error("{path}:{line}:{column}: empty cell (hint: missing measurements are not allowed; fill them in)")]
    EmptyCell {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
    },
    /// A cell that is not a number, or not finite (`inf`, `NaN`).
    #[error("{path}:{line}:{column}: `{text}` is not a finite number (hint: values are milliseconds, e.g. `12.5`)")]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// The cell's text.
        text: String,
    },
    /// A negative value.
    #[error("{path}:{line}:{column}: negative latency {value} (hint: latencies are >= 0)")]
    Negative {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// The value.
        value: f64,
    },
    /// More or fewer rows than header names.
    #[error("{path}:{line}: matrix is not square: {rows} rows for {columns} header names (hint: one row per host)")]
    NotSquare {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first extra row, or of the last line when rows are missing.
        line: u64,
        /// Rows found.
        rows: usize,
        /// Host names in the header.
        columns: usize,
    },
}

/// A loaded latency matrix: host names and one-way delays.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyMatrix {
    names: Vec<String>,
    /// Row-major one-way delays in nanoseconds.
    nanos: Vec<u64>,
}

fn parse_unit(text: &str) -> Option<f64> {
    // Returns the factor from file values to one-way milliseconds.
    let mut words = text.split_whitespace();
    let scale = match words.next()? {
        "ms" => 1.0,
        "s" => 1000.0,
        _ => return None,
    };
    let kind = match words.next() {
        None | Some("one-way") | Some("oneway") | Some("one_way") => 1.0,
        Some("rtt") => 0.5,
        _ => return None,
    };
    if words.next().is_some() {
        return None;
    }
    Some(scale * kind)
}

impl LatencyMatrix {
    /// Build from names and row-major one-way milliseconds (`names.len()²` values,
    /// each finite and non-negative; otherwise `None`).
    pub fn from_millis(names: Vec<String>, one_way_ms: &[f64]) -> Option<Self> {
        if one_way_ms.len() != names.len() * names.len() || names.is_empty() {
            return None;
        }
        let mut nanos = Vec::with_capacity(one_way_ms.len());
        for &v in one_way_ms {
            if !v.is_finite() || v < 0.0 {
                return None;
            }
            nanos.push(Duration::from_secs_f64(v / 1000.0).as_nanos() as u64);
        }
        Some(LatencyMatrix { names, nanos })
    }

    /// Load a matrix file (format in the module docs).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, MatrixError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| MatrixError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parse matrix text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Self, MatrixError> {
        let p = || path.to_path_buf();
        // The unit directive lives in comment lines before the header.
        let mut factor = 1.0;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let Some(comment) = t.strip_prefix('#') else {
                break;
            };
            if let Some(rest) = comment.trim().strip_prefix("unit:") {
                factor = parse_unit(rest).ok_or_else(|| MatrixError::BadUnit {
                    path: p(),
                    line: i as u64 + 1,
                    text: t.to_string(),
                })?;
            }
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut names: Vec<String> = Vec::new();
        let mut header_line = 0;
        let mut nanos: Vec<u64> = Vec::new();
        let mut rows = 0usize;
        let mut last_line = 0u64;
        for record in reader.records() {
            let record = record.map_err(|e| MatrixError::Csv {
                path: p(),
                line: e.position().map_or(0, |pos| pos.line()),
                message: e.to_string(),
            })?;
            let line = record.position().map_or(0, |pos| pos.line());
            last_line = line;
            if header_line == 0 {
                header_line = line;
                for (c, name) in record.iter().enumerate().skip(1) {
                    if names.iter().any(|n| n == name) {
                        return Err(MatrixError::DuplicateName {
                            path: p(),
                            line,
                            column: c + 1,
                            name: name.to_string(),
                        });
                    }
                    names.push(name.to_string());
                }
                continue;
            }
            let n = names.len();
            if rows >= n {
                return Err(MatrixError::NotSquare {
                    path: p(),
                    line,
                    rows: rows + 1,
                    columns: n,
                });
            }
            if record.len() != n + 1 {
                return Err(MatrixError::Ragged {
                    path: p(),
                    line,
                    expected: n + 1,
                    found: record.len(),
                });
            }
            let row_name = record.get(0).unwrap_or("");
            let expected = names.get(rows).map_or("", String::as_str);
            if row_name != expected {
                return Err(MatrixError::RowName {
                    path: p(),
                    line,
                    expected: expected.to_string(),
                    found: row_name.to_string(),
                });
            }
            for (c, cell) in record.iter().enumerate().skip(1) {
                let column = c + 1;
                if cell.is_empty() {
                    return Err(MatrixError::EmptyCell {
                        path: p(),
                        line,
                        column,
                    });
                }
                let value: f64 = match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => v,
                    _ => {
                        return Err(MatrixError::NotANumber {
                            path: p(),
                            line,
                            column,
                            text: cell.to_string(),
                        })
                    }
                };
                if value < 0.0 {
                    return Err(MatrixError::Negative {
                        path: p(),
                        line,
                        column,
                        value,
                    });
                }
                let ms = value * factor;
                nanos.push((ms * 1e6).round() as u64);
            }
            rows += 1;
        }
        if header_line == 0 || names.is_empty() {
            return Err(MatrixError::NoHeader { path: p() });
        }
        if rows != names.len() {
            return Err(MatrixError::NotSquare {
                path: p(),
                line: last_line,
                rows,
                columns: names.len(),
            });
        }
        Ok(LatencyMatrix { names, nanos })
    }

    /// Number of hosts (rows).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the matrix has no hosts (never true for a loaded matrix).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Host names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One-way delay from row `from` to row `to`, or `None` when out of range.
    pub fn one_way(&self, from: usize, to: usize) -> Option<Duration> {
        let n = self.names.len();
        if from >= n || to >= n {
            return None;
        }
        self.nanos
            .get(from * n + to)
            .map(|&x| Duration::from_nanos(x))
    }
}

/// A [`LatencyModel`] reading a [`LatencyMatrix`]: host `h` sits on row
/// `placement.row(h, n)`; a datagram from `a` to `b` takes `matrix[row a][row b]`.
#[derive(Clone, Debug)]
pub struct MatrixLatency {
    matrix: Rc<LatencyMatrix>,
    placement: Placement,
    rows: Vec<u32>,
}

impl MatrixLatency {
    /// A model over `matrix` with the given host placement.
    pub fn new(matrix: Rc<LatencyMatrix>, placement: Placement) -> Self {
        MatrixLatency {
            matrix,
            placement,
            rows: Vec::new(),
        }
    }

    /// The matrix.
    pub fn matrix(&self) -> &LatencyMatrix {
        &self.matrix
    }

    /// The row host `host` sits on.
    pub fn row_of(&mut self, host: HostId) -> usize {
        let h = host.0 as usize;
        while self.rows.len() <= h {
            let next = HostId(self.rows.len() as u32);
            self.rows
                .push(self.placement.row(next, self.matrix.len()) as u32);
        }
        self.rows[h] as usize
    }
}

impl LatencyModel for MatrixLatency {
    fn one_way(&mut self, from: HostId, to: HostId, _: &mut SimRng) -> Option<Duration> {
        let (a, b) = (self.row_of(from), self.row_of(to));
        self.matrix.one_way(a, b)
    }
}
