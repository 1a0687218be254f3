//! `report`: results files (CSV, JSON) and plots.
//!
//! - [`csv_in`] reads `metrics.csv`, `peers.csv` and py-ipv8 reference curves
//!   (columns as in the project brief's "Results CSV columns" contract).
//! - [`series`] turns them into labelled curves, aggregating seeds (and reference
//!   files with the same N) into a mean line with a min–max band.
//! - [`scaling`] reads several runs' `summary.json` into the cost-growth table and
//!   its log–log plot (`ipv8sim scaling`).
//! - [`plot`] draws the per-run `convergence.svg`/`.png` and the multi-run chart of
//!   `ipv8sim plot`; [`style`] holds the look and the SVG/PNG output step.

pub mod csv_in;
mod error;
pub mod plot;
pub mod scaling;
pub mod series;
pub mod style;

pub use error::ReportError;
