//! Churn traces: reading session files and turning them into a replay schedule.
//!
//! The canonical session format (plain or gzip CSV, `#` comment lines allowed):
//!
//! ```text
//! node,join_unix_ms,leave_unix_ms,left_censored,right_censored
//! 20,1396656000000,1396690006497,1,0
//! ```
//!
//! One row per online session: `node` is an integer id, times are Unix milliseconds with
//! `join < leave`, the censoring flags are `0`/`1` (`left_censored = 1`: already running
//! when the node's observation began; `right_censored = 1`: still running when it ended).
//! Sessions of one node must not overlap.
//!
//! [`ChurnTrace::from_sessions`] cuts a window out of the trace, rescales time, picks the
//! nodes to simulate and maps each to a peer index (kept across its sessions, so a node
//! rejoins with the same key). Times become virtual [`Instant`]s since the simulation
//! start ([`Instant::ZERO`] = window start).

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use rand::Rng;
use thiserror::Error;

use super::datasets::open_text;
use crate::runtime::{Duration, Instant};

/// The header line every session file starts with (after comments).
pub const SESSION_HEADER: &str = "node,join_unix_ms,leave_unix_ms,left_censored,right_censored";

const HINT: &str =
    "each line must be `node,join_unix_ms,leave_unix_ms,left_censored,right_censored` \
                    with non-negative integers, join < leave, flags 0 or 1";

/// Errors from reading a session file or building a replay.
#[derive(Debug, Error)]
pub enum TraceError {
    /// The file could not be opened or read (including a corrupt gzip stream).
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A line is malformed.
    #[error("{path}:{line}:{column}: {message} (hint: {hint})")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based CSV column (field) number; 0 for the whole line.
        column: usize,
        /// What was wrong.
        message: String,
        /// What a line should look like.
        hint: &'static str,
    },
    /// A replay option is invalid (e.g. a non-positive time scale).
    #[error("invalid churn replay option: {0}")]
    Option(String),
}

/// One session as read from a trace file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TraceSession {
    /// Trace node id.
    pub node: u64,
    /// Join time, Unix ms.
    pub join_unix_ms: u64,
    /// Leave time, Unix ms (`> join_unix_ms`).
    pub leave_unix_ms: u64,
    /// Already running when the node's observation began.
    pub left_censored: bool,
    /// Still running when the node's observation ended.
    pub right_censored: bool,
}

/// Reads and validates a session file (plain CSV or gzip, detected by magic bytes).
/// Sessions are returned in file order.
pub fn read_sessions(path: &Path) -> Result<Vec<TraceSession>, TraceError> {
    let input = open_text(path).map_err(|source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_sessions(input, path)
}

/// Parses and validates session CSV from `input`; `path` only labels errors.
pub fn parse_sessions<R: BufRead>(
    mut input: R,
    path: &Path,
) -> Result<Vec<TraceSession>, TraceError> {
    let err = |line: u64, column: usize, message: String| TraceError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
        hint: HINT,
    };
    let mut sessions = Vec::new();
    let mut lines_of = Vec::new();
    let mut buf = String::new();
    let mut line_no = 0u64;
    let mut seen_header = false;
    loop {
        buf.clear();
        let read = input.read_line(&mut buf).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let line = buf.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !seen_header {
            if line != SESSION_HEADER {
                return Err(err(
                    line_no,
                    0,
                    format!("expected header `{SESSION_HEADER}`, found `{line}`"),
                ));
            }
            seen_header = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 5 {
            return Err(err(
                line_no,
                0,
                format!("expected 5 fields, found {}", fields.len()),
            ));
        }
        let int = |col: usize| -> Result<u64, TraceError> {
            let f = fields.get(col).copied().unwrap_or("");
            f.parse::<u64>().map_err(|_| {
                err(
                    line_no,
                    col + 1,
                    format!("`{f}` is not a non-negative integer"),
                )
            })
        };
        let flag = |col: usize| -> Result<bool, TraceError> {
            match fields.get(col).copied() {
                Some("0") => Ok(false),
                Some("1") => Ok(true),
                other => Err(err(
                    line_no,
                    col + 1,
                    format!("`{}` is not a flag (0 or 1)", other.unwrap_or("")),
                )),
            }
        };
        let s = TraceSession {
            node: int(0)?,
            join_unix_ms: int(1)?,
            leave_unix_ms: int(2)?,
            left_censored: flag(3)?,
            right_censored: flag(4)?,
        };
        if s.join_unix_ms >= s.leave_unix_ms {
            return Err(err(
                line_no,
                3,
                format!(
                    "leave {} is not after join {}",
                    s.leave_unix_ms, s.join_unix_ms
                ),
            ));
        }
        sessions.push(s);
        lines_of.push(line_no);
    }
    if !seen_header {
        return Err(err(line_no, 0, "no header line (empty file?)".into()));
    }
    // Sessions of one node must not overlap.
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    order.sort_by_key(|&i| sessions.get(i).map(|s| (s.node, s.join_unix_ms)));
    for w in order.windows(2) {
        if let ([a, b], Some(sa), Some(sb)) = (w, sessions.get(w[0]), sessions.get(w[1])) {
            if sa.node == sb.node && sb.join_unix_ms < sa.leave_unix_ms {
                let line = |i: &usize| lines_of.get(*i).copied().unwrap_or(0);
                let (la, lb) = (line(a), line(b));
                return Err(err(
                    la.max(lb),
                    0,
                    format!(
                        "session of node {} overlaps its session on line {}",
                        sa.node,
                        la.min(lb)
                    ),
                ));
            }
        }
    }
    Ok(sessions)
}

/// Where the replay window starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowStart {
    /// This long after the earliest join in the trace (`AfterFirstJoin(Duration::ZERO)`
    /// starts at the first join).
    AfterFirstJoin(Duration),
    /// At an absolute Unix time in ms.
    UnixMs(u64),
}

/// Which nodes to keep when [`ReplayOptions::max_nodes`] is smaller than the number of
/// nodes online during the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeSample {
    /// The first `max_nodes` in order of first join in the window (ties: node id).
    First,
    /// A uniform random subset of `max_nodes`, drawn from the `rng` passed in.
    Random,
}

/// How selected trace nodes are numbered as simulated peers `0..peers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerOrder {
    /// In order of first join in the window (ties: node id): peer 0 joins first.
    FirstJoin,
    /// In increasing trace node id.
    NodeId,
}

/// Options for [`ChurnTrace::from_sessions`].
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayOptions {
    /// Virtual seconds per trace second: `0.01` replays 100× faster. Must be finite, > 0.
    pub time_scale: f64,
    /// Start of the window, in trace time.
    pub start: WindowStart,
    /// Length of the window in trace time (before scaling); `None` = to the trace's end.
    pub duration: Option<Duration>,
    /// At most this many nodes (peers); `None` = all nodes online in the window.
    pub max_nodes: Option<usize>,
    /// How to pick nodes when capping.
    pub sample: NodeSample,
    /// How to number the picked nodes.
    pub order: PeerOrder,
}

impl Default for ReplayOptions {
    /// Whole trace from its first join, real time, all nodes, numbered by first join.
    fn default() -> Self {
        ReplayOptions {
            time_scale: 1.0,
            start: WindowStart::AfterFirstJoin(Duration::ZERO),
            duration: None,
            max_nodes: None,
            sample: NodeSample::First,
            order: PeerOrder::FirstJoin,
        }
    }
}

/// One online session of a simulated peer, in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Session {
    /// Peer index in `0..ChurnTrace::peers`.
    pub peer: usize,
    /// When the peer comes online (`Instant::ZERO` if it was online at window start).
    pub join: Instant,
    /// When it goes offline; `None` if it is still online at the window's end.
    pub leave: Option<Instant>,
}

/// A join or leave, for schedulers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChurnEventKind {
    /// The peer goes offline.
    Leave,
    /// The peer comes online.
    Join,
}

/// A churn event at a virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChurnEvent {
    /// When.
    pub time: Instant,
    /// Which peer.
    pub peer: usize,
    /// Join or leave.
    pub kind: ChurnEventKind,
}

/// A churn schedule in virtual time, ready to replay.
#[derive(Clone, Debug, PartialEq)]
pub struct ChurnTrace {
    /// Number of simulated peers (`0..peers`); every peer has at least one session.
    pub peers: usize,
    /// Sessions sorted by `(join, peer)`. A peer's sessions never overlap or touch.
    pub sessions: Vec<Session>,
    /// Trace node id of each peer (`nodes[peer]`).
    pub nodes: Vec<u64>,
    /// Window start, Unix ms (virtual `Instant::ZERO`).
    pub window_start_unix_ms: u64,
    /// Window end in virtual time (`duration × time_scale`), if a duration was given.
    pub end: Option<Instant>,
    /// The time scale used.
    pub time_scale: f64,
}

impl ChurnTrace {
    /// Reads `path` ([`read_sessions`]) and builds the replay ([`ChurnTrace::from_sessions`]).
    pub fn load<R: Rng + ?Sized>(
        path: &Path,
        opts: &ReplayOptions,
        rng: &mut R,
    ) -> Result<ChurnTrace, TraceError> {
        ChurnTrace::from_sessions(&read_sessions(path)?, opts, rng)
    }

    /// Builds the replay: sessions are clipped to the window (a session running at the
    /// window start joins at `Instant::ZERO`; one running past its end gets
    /// `leave: None`), shifted so the window starts at zero, scaled by `time_scale`
    /// (nanoseconds rounded to nearest), and sessions of a node that touch after
    /// scaling are merged; sessions that shrink to zero length are dropped. Nodes with a
    /// session left are candidates; `max_nodes` picks some of them (`rng` is used only by
    /// [`NodeSample::Random`]). Overlapping sessions of one node are an error
    /// ([`read_sessions`] already rejects them with a line number).
    pub fn from_sessions<R: Rng + ?Sized>(
        sessions: &[TraceSession],
        opts: &ReplayOptions,
        rng: &mut R,
    ) -> Result<ChurnTrace, TraceError> {
        if !(opts.time_scale.is_finite() && opts.time_scale > 0.0) {
            return Err(TraceError::Option(format!(
                "time_scale must be finite and > 0, got {}",
                opts.time_scale
            )));
        }
        let first_join = sessions.iter().map(|s| s.join_unix_ms).min().unwrap_or(0);
        const NS_PER_MS: u64 = 1_000_000;
        let ms_to_ns = |ms: u64| {
            ms.checked_mul(NS_PER_MS).ok_or_else(|| {
                TraceError::Option(format!("time {ms} ms is too large (max ~year 2554)"))
            })
        };
        let dur_ns = |d: Duration| {
            u64::try_from(d.as_nanos())
                .map_err(|_| TraceError::Option(format!("duration {d:?} too large")))
        };
        let ws = match opts.start {
            WindowStart::AfterFirstJoin(d) => ms_to_ns(first_join)?
                .checked_add(dur_ns(d)?)
                .ok_or_else(|| TraceError::Option("window start overflows".into()))?,
            WindowStart::UnixMs(ms) => ms_to_ns(ms)?,
        };
        let we = match opts.duration {
            Some(d) => Some(ws.saturating_add(dur_ns(d)?)),
            None => None,
        };
        let scale = |ns: u64| -> Instant {
            let v = ((ns - ws) as f64 * opts.time_scale).round();
            Instant::from_nanos(if v >= u64::MAX as f64 {
                u64::MAX
            } else {
                v as u64
            })
        };

        // Per node: clipped, scaled, merged sessions (sorted by join).
        let mut per_node: BTreeMap<u64, Vec<(Instant, Option<Instant>)>> = BTreeMap::new();
        let mut sorted: Vec<&TraceSession> = sessions.iter().collect();
        sorted.sort_by_key(|s| (s.node, s.join_unix_ms));
        for s in sorted {
            let (j, l) = (ms_to_ns(s.join_unix_ms)?, ms_to_ns(s.leave_unix_ms)?);
            if l <= ws || we.is_some_and(|we| j >= we) {
                continue;
            }
            let join = scale(j.max(ws));
            let leave = match we {
                Some(we) if l > we => None,
                _ => Some(scale(l)),
            };
            if leave == Some(join) {
                continue; // shrank to nothing
            }
            let list = per_node.entry(s.node).or_default();
            match list.last_mut() {
                Some(last) if last.1 == Some(join) => last.1 = leave,
                Some(last) if last.1.map_or(true, |l| l > join) => {
                    return Err(TraceError::Option(format!(
                        "sessions of node {} overlap at join {} ms",
                        s.node, s.join_unix_ms
                    )));
                }
                _ => list.push((join, leave)),
            }
        }

        // Candidates in first-join order, then the cap.
        let mut candidates: Vec<(Instant, u64)> = per_node
            .iter()
            .filter_map(|(node, list)| list.first().map(|s| (s.0, *node)))
            .collect();
        candidates.sort();
        let mut chosen: Vec<(Instant, u64)> = match opts.max_nodes {
            Some(cap) if cap < candidates.len() => match opts.sample {
                NodeSample::First => candidates.into_iter().take(cap).collect(),
                NodeSample::Random => {
                    let mut picks = rand::seq::index::sample(rng, candidates.len(), cap).into_vec();
                    picks.sort_unstable();
                    picks
                        .into_iter()
                        .filter_map(|i| candidates.get(i).copied())
                        .collect()
                }
            },
            _ => candidates,
        };
        if opts.order == PeerOrder::NodeId {
            chosen.sort_by_key(|c| c.1);
        }

        let mut out = Vec::new();
        let mut nodes = Vec::with_capacity(chosen.len());
        for (peer, (_, node)) in chosen.iter().enumerate() {
            nodes.push(*node);
            for (join, leave) in per_node.get(node).into_iter().flatten() {
                out.push(Session {
                    peer,
                    join: *join,
                    leave: *leave,
                });
            }
        }
        out.sort_by_key(|s| (s.join, s.peer));
        Ok(ChurnTrace {
            peers: nodes.len(),
            sessions: out,
            nodes,
            window_start_unix_ms: ws / NS_PER_MS,
            end: we.map(scale),
            time_scale: opts.time_scale,
        })
    }

    /// Exact number of peers online at virtual time `t`: sessions with
    /// `join <= t < leave` (a peer is online at its join instant and offline at its
    /// leave instant, i.e. the state after all events at `t` were applied).
    pub fn online_at(&self, t: Instant) -> usize {
        self.sessions
            .iter()
            .filter(|s| s.join <= t && s.leave.map_or(true, |l| t < l))
            .count()
    }

    /// All joins and leaves, sorted by `(time, peer, kind)`.
    pub fn events(&self) -> Vec<ChurnEvent> {
        let mut ev = Vec::with_capacity(self.sessions.len() * 2);
        for s in &self.sessions {
            ev.push(ChurnEvent {
                time: s.join,
                peer: s.peer,
                kind: ChurnEventKind::Join,
            });
            if let Some(l) = s.leave {
                ev.push(ChurnEvent {
                    time: l,
                    peer: s.peer,
                    kind: ChurnEventKind::Leave,
                });
            }
        }
        ev.sort();
        ev
    }

    /// The sessions of one peer, in time order.
    pub fn sessions_of(&self, peer: usize) -> impl Iterator<Item = &Session> + '_ {
        self.sessions.iter().filter(move |s| s.peer == peer)
    }
}
