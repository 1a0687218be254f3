//! The latency-matrix loader: the plain format, units, and one test per error kind
//! (each checks path, line and column in the message).

use ipv8sim::runtime::Duration;
use ipv8sim::sim::{LatencyMatrix, MatrixError};
use std::path::Path;

fn parse(text: &str) -> Result<LatencyMatrix, MatrixError> {
    LatencyMatrix::parse(text, Path::new("m.csv"))
}

fn err(text: &str) -> (MatrixError, String) {
    let e = parse(text).unwrap_err();
    let msg = e.to_string();
    (e, msg)
}

#[test]
fn parses_the_documented_example() {
    let m = parse(
        "# lines starting with '#' are comments\n# unit: ms one-way\nhost,a,b,c\na,0,12.5,30\nb,12.5,0,7\n\nc, 30 ,7,0\n",
    )
    .unwrap();
    assert_eq!(m.names(), ["a", "b", "c"]);
    assert_eq!(m.one_way(0, 1), Some(Duration::from_micros(12_500)));
    assert_eq!(m.one_way(2, 0), Some(Duration::from_millis(30)));
    assert_eq!(m.one_way(1, 1), Some(Duration::ZERO));
    assert_eq!(m.one_way(3, 0), None);
}

#[test]
fn units_default_one_way_rtt_halves_seconds_scale() {
    let one = parse("h,a,b\na,1,20\nb,20,1\n").unwrap();
    assert_eq!(one.one_way(0, 1), Some(Duration::from_millis(20)));
    let rtt = parse("# unit: ms rtt\nh,a,b\na,1,20\nb,20,1\n").unwrap();
    assert_eq!(rtt.one_way(0, 1), Some(Duration::from_millis(10)));
    assert_eq!(rtt.one_way(0, 0), Some(Duration::from_micros(500)));
    let secs = parse("# unit: s\nh,a\na,0.25\n").unwrap();
    assert_eq!(secs.one_way(0, 0), Some(Duration::from_millis(250)));
    let (e, msg) = err("# unit: furlongs\nh,a\na,1\n");
    assert!(matches!(e, MatrixError::BadUnit { line: 1, .. }), "{msg}");
    assert!(msg.starts_with("m.csv:1:") && msg.contains("hint"), "{msg}");
}

#[test]
fn ragged_row() {
    let (e, msg) = err("h,a,b\na,0,1\nb,1\n");
    assert!(
        matches!(
            e,
            MatrixError::Ragged {
                line: 3,
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.starts_with("m.csv:3:"), "{msg}");
}

#[test]
fn negative_value() {
    let (e, msg) = err("h,a,b\na,0,-1\nb,1,0\n");
    assert!(
        matches!(
            e,
            MatrixError::Negative {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.starts_with("m.csv:2:3:"), "{msg}");
}

#[test]
fn non_numeric_value() {
    let (e, msg) = err("h,a,b\na,0,fast\nb,1,0\n");
    assert!(
        matches!(
            e,
            MatrixError::NotANumber {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("`fast`") && msg.starts_with("m.csv:2:3:"),
        "{msg}"
    );
}

#[test]
fn non_finite_values() {
    for bad in ["inf", "NaN", "1e999"] {
        let (e, msg) = err(&format!("h,a,b\na,0,1\nb,{bad},0\n"));
        assert!(
            matches!(
                e,
                MatrixError::NotANumber {
                    line: 3,
                    column: 2,
                    ..
                }
            ),
            "{msg}"
        );
    }
}

#[test]
fn empty_cell() {
    let (e, msg) = err("h,a,b\na,0,\nb,1,0\n");
    assert!(
        matches!(
            e,
            MatrixError::EmptyCell {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.starts_with("m.csv:2:3:"), "{msg}");
}

#[test]
fn row_name_mismatch() {
    let (e, msg) = err("h,a,b\nb,0,1\na,1,0\n");
    assert!(matches!(e, MatrixError::RowName { line: 2, .. }), "{msg}");
    assert!(msg.contains("`b`") && msg.contains("`a`"), "{msg}");
}

#[test]
fn not_square() {
    let (e, msg) = err("h,a,b\na,0,1\n");
    assert!(
        matches!(
            e,
            MatrixError::NotSquare {
                rows: 1,
                columns: 2,
                ..
            }
        ),
        "{msg}"
    );
    let (e, msg) = err("h,a\na,0\nb,1\n");
    assert!(matches!(e, MatrixError::NotSquare { line: 3, .. }), "{msg}");
}

#[test]
fn missing_header_and_duplicates() {
    assert!(matches!(
        err("# only a comment\n").0,
        MatrixError::NoHeader { .. }
    ));
    assert!(matches!(err("").0, MatrixError::NoHeader { .. }));
    let (e, msg) = err("h,a,a\na,0,0\na,0,0\n");
    assert!(
        matches!(
            e,
            MatrixError::DuplicateName {
                line: 1,
                column: 3,
                ..
            }
        ),
        "{msg}"
    );
}

#[test]
fn io_errors_name_the_path() {
    let e = LatencyMatrix::load("/nonexistent/dir/m.csv").unwrap_err();
    assert!(matches!(e, MatrixError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/dir/m.csv"));
}
