//! The scenario's text: reading it, applying `--set key=value` overrides, parsing it
//! into [`ScenarioFile`], and pointing errors at a file, line and column.
//!
//! Syntax and type errors come from `toml`'s deserializer (with its byte span);
//! semantic errors name a dotted key path (`group.1.walker.0.target`) that
//! [`Source::locate`] resolves to the span of that key's value with `toml_edit`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{ImDocument, Item, Value};

use super::format::ScenarioFile;

/// Why a scenario cannot be loaded, validated or built.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file (or a file it names) cannot be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A `--set key=value` argument is malformed or names no usable place.
    #[error("--set {arg}: {message}")]
    Override {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        message: String,
    },
    /// The document is wrong at a place in the file.
    #[error("{}", .0)]
    At(Box<Located>),
}

/// An error at a place in the scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The scenario file.
    pub path: PathBuf,
    /// 1-based line (0: unknown).
    pub line: usize,
    /// 1-based column (0: unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Whether `--set` overrides changed the text (line numbers then refer to the
    /// overridden document).
    pub overridden: bool,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if self.overridden {
            write!(f, " (after --set overrides)")?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl ScenarioError {
    /// The located error, if this is one.
    pub fn located(&self) -> Option<&Located> {
        match self {
            ScenarioError::At(l) => Some(l),
            _ => None,
        }
    }
}

/// A scenario file's (possibly overridden) text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file it came from.
    pub path: PathBuf,
    /// The text (after overrides).
    pub text: String,
    /// Whether overrides were applied.
    pub overridden: bool,
}

impl Source {
    /// Read `path` and apply `overrides` (each `dotted.key=value`, in order).
    pub fn load(path: &Path, overrides: &[String]) -> Result<Source, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Source::from_text(path, text, overrides)
    }

    /// Use `text` as if read from `path`, then apply `overrides`.
    pub fn from_text(
        path: &Path,
        text: String,
        overrides: &[String],
    ) -> Result<Source, ScenarioError> {
        let mut src = Source {
            path: path.to_path_buf(),
            text,
            overridden: false,
        };
        if !overrides.is_empty() {
            // A syntax error must be reported against the original text first.
            let mut doc: toml_edit::DocumentMut = src
                .text
                .parse()
                .map_err(|e: toml_edit::TomlError| src.syntax_error(e.message(), e.span()))?;
            for o in overrides {
                apply_override(&mut doc, o)?;
            }
            src.text = doc.to_string();
            src.overridden = true;
        }
        Ok(src)
    }

    /// Deserialize into the typed form (syntax errors, unknown keys, wrong types).
    pub fn parse(&self) -> Result<ScenarioFile, ScenarioError> {
        toml::from_str::<ScenarioFile>(&self.text)
            .map_err(|e| self.syntax_error(e.message(), e.span()))
    }

    fn syntax_error(&self, message: &str, span: Option<Range<usize>>) -> ScenarioError {
        let (line, column) = span.map_or((0, 0), |s| self.line_col(s.start));
        let message = message.trim().to_string();
        let hint = if message.starts_with("unknown field") {
            "remove or rename the key; every key is listed in scenarios/README.md"
        } else if message.starts_with("unknown variant") {
            "use one of the values listed in the message (see scenarios/README.md)"
        } else if message.starts_with("missing field") {
            "add the key; required keys are marked in scenarios/README.md"
        } else if message.starts_with("invalid type") {
            "check the value's type: numbers unquoted, names quoted, lists in [ ]"
        } else {
            "check the TOML syntax near this position"
        };
        self.error_at(line, column, message, hint)
    }

    /// An error at a line and column.
    pub fn error_at(
        &self,
        line: usize,
        column: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::At(Box::new(Located {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
            hint: hint.into(),
            overridden: self.overridden,
        }))
    }

    /// An error about the value at dotted `key` (e.g. `group.1.count`).
    pub fn error(
        &self,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> ScenarioError {
        let (line, column) = self.locate(key);
        self.error_at(line, column, format!("{key}: {}", message.into()), hint)
    }

    /// 1-based line and column of dotted `key`'s value; the deepest existing parent
    /// when the key is absent; `(0, 0)` if nothing matches.
    pub fn locate(&self, key: &str) -> (usize, usize) {
        let Ok(doc) = ImDocument::parse(self.text.as_str()) else {
            return (0, 0);
        };
        let mut best: Option<Range<usize>> = None;
        let mut node = Node::Item(doc.as_item());
        for seg in key.split('.') {
            let Some((span, next)) = node.child(seg) else {
                break;
            };
            if span.is_some() {
                best = span;
            }
            node = next;
        }
        best.map_or((0, 0), |s| self.line_col(s.start))
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let upto = self.text.get(..offset).unwrap_or(&self.text);
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// A place in a parsed document (array elements are not `Item`s in `toml_edit`).
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Table(&'a toml_edit::Table),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    /// The child `seg` (a key, or an index into an array) and its span.
    fn child(self, seg: &str) -> Option<(Option<Range<usize>>, Node<'a>)> {
        let index = seg.parse::<usize>().ok();
        match (self, index) {
            (Node::Item(Item::ArrayOfTables(a)), Some(i)) => {
                a.get(i).map(|t| (t.span(), Node::Table(t)))
            }
            (Node::Item(Item::Value(v)), _) => Node::Value(v).child(seg),
            (Node::Value(Value::Array(a)), Some(i)) => a.get(i).map(|v| (v.span(), Node::Value(v))),
            (Node::Value(Value::InlineTable(t)), _) => t
                .get_key_value(seg)
                .map(|(k, v)| (v.span().or_else(|| k.span()), Node::Item(v))),
            (Node::Table(t), _) => t
                .get_key_value(seg)
                .map(|(k, v)| (v.span().or_else(|| k.span()), Node::Item(v))),
            (Node::Item(Item::Table(t)), _) => Node::Table(t).child(seg),
            _ => None,
        }
    }
}

/// Apply one `dotted.key=value` override to `doc`. The value is parsed as a TOML
/// value (`50`, `2.5`, `true`, `"text"`, `[1, 2]`); anything that does not parse is
/// taken as a string. Numeric segments index arrays (`group.0.count`).
fn apply_override(doc: &mut toml_edit::DocumentMut, arg: &str) -> Result<(), ScenarioError> {
    let err = |message: String| ScenarioError::Override {
        arg: arg.to_string(),
        message,
    };
    let Some((key, raw)) = arg.split_once('=') else {
        return Err(err("expected key=value (e.g. --set duration=20)".into()));
    };
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(err("empty key segment (e.g. --set group.0.count=50)".into()));
    }
    let raw = raw.trim();
    let value: Value = raw
        .parse::<Value>()
        .unwrap_or_else(|_| Value::from(raw.to_string()));
    let segs: Vec<&str> = key.split('.').collect();
    set_in_table(doc.as_table_mut(), &segs, value).map_err(err)
}

/// Set the remaining dotted path `rest` inside table `t` (recursing through arrays of
/// tables by index).
fn set_in_table(t: &mut toml_edit::Table, rest: &[&str], value: Value) -> Result<(), String> {
    match rest {
        [] => Err("empty key".into()),
        [last] => {
            t.insert(last, Item::Value(value));
            Ok(())
        }
        [seg, tail @ ..] => {
            if t.get(seg).is_none() {
                t.insert(seg, Item::Table(toml_edit::Table::new()));
            }
            match t.get_mut(seg) {
                Some(Item::ArrayOfTables(a)) => {
                    let (i, tail2) = match tail.split_first() {
                        Some((i, tail2)) => (
                            i.parse::<usize>()
                                .map_err(|_| format!("`{seg}` is an array: give an index"))?,
                            tail2,
                        ),
                        None => return Err(format!("`{seg}` is an array: give an index")),
                    };
                    let len = a.len();
                    let inner = a.get_mut(i).ok_or_else(|| {
                        format!("`{seg}`: index {i} out of range (the array has {len} entries)")
                    })?;
                    set_in_table(inner, tail2, value)
                }
                Some(Item::Table(inner)) => set_in_table(inner, tail, value),
                Some(Item::Value(Value::InlineTable(inner))) => {
                    let mut tbl = inner.clone().into_table();
                    set_in_table(&mut tbl, tail, value)?;
                    t.insert(
                        seg,
                        Item::Value(Value::InlineTable(tbl.into_inline_table())),
                    );
                    Ok(())
                }
                _ => Err(format!("`{seg}` is not a table")),
            }
        }
    }
}
