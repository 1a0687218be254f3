//! `ReportError`: everything that can go wrong reading results files or drawing plots.

use std::path::PathBuf;

/// An error from the `report` module. Every variant names the file it is about; file
/// format errors carry the 1-based line number.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is not well-formed (bad cell, wrong number of cells, bad UTF-8).
    #[error("{}:{line}: {message}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// What is wrong, with a hint.
        message: String,
    },
    /// A required column is missing from a CSV header.
    #[error("{}:{line}: missing column `{column}` (header has: {found})", .path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// 1-based line number of the header.
        line: u64,
        /// The missing column name.
        column: String,
        /// The columns the header does have, comma-separated.
        found: String,
    },
    /// A CSV file has a header but no data rows (or not even a header).
    #[error("{}: no data rows", .path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A directory given as results holds neither `metrics.csv` nor seed
    /// sub-directories that hold one.
    #[error(
        "{}: not a results directory (expected metrics.csv, or sub-directories <seed>/metrics.csv)",
        .path.display()
    )]
    NotAResultsDir {
        /// The directory.
        path: PathBuf,
    },
    /// The requested metric is not a column of the file.
    #[error("{}: no metric `{metric}` (available: {available})", .path.display())]
    UnknownMetric {
        /// The metrics file.
        path: PathBuf,
        /// The requested name.
        metric: String,
        /// The numeric columns that can be plotted, comma-separated.
        available: String,
    },
    /// The inputs are well-formed but cannot be plotted as asked (no overlapping
    /// sample times, unsupported output extension, reference with a metric it lacks...).
    #[error("{0}")]
    Invalid(String),
    /// The plotting backend failed while drawing or writing a file.
    #[error("{}: drawing failed: {message}", .path.display())]
    Draw {
        /// The output file.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
}
