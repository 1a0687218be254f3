//! Semantic checks of a parsed scenario, run before anything is built: impossible
//! values, keys that do not apply to the chosen option, references to unknown groups,
//! events outside the run. Each error names the offending key's line
//! ([`Source::error`]) and says how to fix it. Checks that need a file's content
//! (matrix size, trace) run while building, with the same kind of error.

use super::format::*;
use super::source::{ScenarioError, Source};
use crate::crypto::KeyKind;

type R = Result<(), ScenarioError>;

fn finite_ge(src: &Source, key: &str, v: f64, min: f64, hint: &str) -> R {
    if !v.is_finite() || v < min {
        return Err(src.error(key, format!("must be a number ≥ {min}, got {v}"), hint));
    }
    Ok(())
}

fn positive(src: &Source, key: &str, v: f64, hint: &str) -> R {
    if !v.is_finite() || v <= 0.0 {
        return Err(src.error(key, format!("must be a number > 0, got {v}"), hint));
    }
    Ok(())
}

fn probability(src: &Source, key: &str, v: f64) -> R {
    if !(0.0..=1.0).contains(&v) {
        return Err(src.error(
            key,
            format!("must be a probability in [0, 1], got {v}"),
            "0 = no loss, 0.01 = 1 % of datagrams lost",
        ));
    }
    Ok(())
}

fn non_negative_int(src: &Source, key: &str, v: i64, hint: &str) -> R {
    if v < 0 {
        return Err(src.error(key, format!("must be ≥ 0, got {v}"), hint));
    }
    Ok(())
}

/// Reject `key` when it is set but does not apply.
fn not_for<T>(src: &Source, key: &str, v: &Option<T>, why: &str) -> R {
    if v.is_some() {
        return Err(src.error(key, format!("does not apply {why}"), "remove the key"));
    }
    Ok(())
}

/// Most verify worker threads a scenario may ask for.
pub const MAX_VERIFY_THREADS: i64 = 64;

/// `crypto`, `verify_skip`, `verify_threads`.
fn crypto(f: &ScenarioFile, src: &Source) -> R {
    let Some(mode) = crate::community::CryptoMode::from_name(&f.crypto) else {
        return Err(src.error(
            "crypto",
            format!("unknown crypto mode `{}`", f.crypto),
            "one of: real (Ed25519/ECDSA, default), fast (same-length stand-in, no security)",
        ));
    };
    if !(0..=MAX_VERIFY_THREADS).contains(&f.verify_threads) {
        return Err(src.error(
            "verify_threads",
            format!(
                "must be in 0..={MAX_VERIFY_THREADS}, got {}",
                f.verify_threads
            ),
            "0 = verify inline; about one per spare core, e.g. 2",
        ));
    }
    if mode == crate::community::CryptoMode::Fast && (f.verify_skip || f.verify_threads > 0) {
        let key = if f.verify_skip {
            "verify_skip"
        } else {
            "verify_threads"
        };
        return Err(src.error(
            key,
            "applies to crypto = \"real\" only (fast signatures cost nothing to check)",
            "remove the key, or use crypto = \"real\"",
        ));
    }
    if f.verify_skip && f.verify_threads > 0 {
        return Err(src.error(
            "verify_threads",
            "cannot be combined with verify_skip = true (every honest verify is skipped, the pool would only burn a core)",
            "keep one: verify_skip = true, or verify_threads = N",
        ));
    }
    Ok(())
}

/// Validate the whole scenario.
pub fn validate(f: &ScenarioFile, src: &Source) -> R {
    if f.name.is_empty()
        || !f
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || f.name.starts_with('.')
    {
        return Err(src.error(
            "name",
            format!("`{}` is not a usable directory name", f.name),
            "use letters, digits, '-', '_' and '.', e.g. name = \"docs-bootstrap\"",
        ));
    }
    match (&f.seed, &f.seeds) {
        (Some(_), Some(_)) => {
            return Err(src.error(
                "seeds",
                "both `seed` and `seeds` are given",
                "keep one: seed = 1, or seeds = [1, 2, 3]",
            ))
        }
        (Some(s), None) => non_negative_int(src, "seed", *s, "seeds are integers ≥ 0")?,
        (None, Some(v)) => {
            if v.is_empty() {
                return Err(src.error("seeds", "is empty", "list at least one seed"));
            }
            for (i, s) in v.iter().enumerate() {
                non_negative_int(src, &format!("seeds.{i}"), *s, "seeds are integers ≥ 0")?;
                if v[..i].contains(s) {
                    return Err(src.error(
                        &format!("seeds.{i}"),
                        format!("seed {s} is listed twice"),
                        "each seed is a separate run; list it once",
                    ));
                }
            }
        }
        (None, None) => {}
    }
    positive(
        src,
        "duration",
        f.duration,
        "virtual seconds to simulate, e.g. 120",
    )?;
    positive(
        src,
        "sample_interval",
        f.sample_interval,
        "virtual seconds between samples, e.g. 2",
    )?;
    if f.sample_interval > f.duration {
        return Err(src.error(
            "sample_interval",
            format!(
                "{} s is longer than the run ({} s)",
                f.sample_interval, f.duration
            ),
            "make it at most `duration`",
        ));
    }
    crypto(f, src)?;
    probability(src, "network.loss", f.network.loss)?;
    latency(src, "network.latency", &f.network.latency)?;
    non_negative_int(
        src,
        "bootstrap.servers",
        f.bootstrap.servers,
        "the number of bootstrap servers, e.g. 2",
    )?;
    if f.bootstrap.servers > 1000 {
        return Err(src.error(
            "bootstrap.servers",
            format!(
                "{} servers is more than the supported 1000",
                f.bootstrap.servers
            ),
            "py-ipv8 deployments use a handful",
        ));
    }
    if f.groups.is_empty() {
        return Err(src.error_at(
            0,
            0,
            "the scenario has no [[group]] of peers",
            "add a [[group]] with at least `count`",
        ));
    }
    let names: Vec<String> = f
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| g.display_name(i))
        .collect();
    for (i, g) in f.groups.iter().enumerate() {
        group(f, src, i, g)?;
        if names[..i].contains(&names[i]) {
            return Err(src.error(
                &format!("group.{i}.name"),
                format!("group name `{}` is used twice", names[i]),
                "give every group its own name",
            ));
        }
    }
    // Groups with the same community must agree on its id.
    for (i, g) in f.groups.iter().enumerate() {
        for (j, h) in f.groups[..i].iter().enumerate() {
            if g.community == h.community && g.community_id != h.community_id {
                return Err(src.error(
                    &format!("group.{i}.community_id"),
                    format!(
                        "group `{}` gives community `{}` a different id than group `{}`",
                        names[i], g.community, names[j]
                    ),
                    "a community name stands for one community id: use the same id or another name",
                ));
            }
        }
    }
    let group_index = |key: &str, name: &str| -> Result<usize, ScenarioError> {
        names.iter().position(|n| n == name).ok_or_else(|| {
            src.error(
                key,
                format!("unknown group `{name}`"),
                format!("groups are: {}", names.join(", ")),
            )
        })
    };
    let churn_group = match &f.churn {
        Some(c) => Some(churn(f, src, c, &group_index)?),
        None => None,
    };
    for (i, e) in f.events.iter().enumerate() {
        event(f, src, i, e, &group_index, churn_group)?;
    }
    Ok(())
}

fn latency(src: &Source, key: &str, l: &LatencySpec) -> R {
    let k = |s: &str| format!("{key}.{s}");
    let model = l.model;
    let why = format!("to latency model `{}`", model_name(model));
    if !matches!(model, LatencyKind::Constant | LatencyKind::Jitter) {
        not_for(src, &k("ms"), &l.ms, &why)?;
    }
    if model != LatencyKind::Jitter {
        not_for(src, &k("spread_ms"), &l.spread_ms, &why)?;
        not_for(src, &k("std_ms"), &l.std_ms, &why)?;
    }
    if model != LatencyKind::Matrix {
        not_for(src, &k("file"), &l.file, &why)?;
        not_for(src, &k("weights"), &l.weights, &why)?;
        not_for(src, &k("city_weights"), &l.city_weights, &why)?;
        not_for(src, &k("weights_file"), &l.weights_file, &why)?;
        not_for(src, &k("weights_column"), &l.weights_column, &why)?;
    }
    if model != LatencyKind::Topology {
        not_for(src, &k("nodes"), &l.nodes, &why)?;
        not_for(src, &k("links"), &l.links, &why)?;
        not_for(src, &k("attach"), &l.attach, &why)?;
    }
    if !matches!(model, LatencyKind::Matrix | LatencyKind::Topology) {
        not_for(src, &k("placement"), &l.placement, &why)?;
    }
    match model {
        LatencyKind::Zero => {}
        LatencyKind::Constant => {
            let ms = l.ms.ok_or_else(|| {
                src.error(
                    &k("model"),
                    "constant latency needs `ms`",
                    "add ms = 25.0 (one-way)",
                )
            })?;
            finite_ge(src, &k("ms"), ms, 0.0, "one-way delay in ms")?;
        }
        LatencyKind::Jitter => {
            let ms = l.ms.ok_or_else(|| {
                src.error(
                    &k("model"),
                    "jitter latency needs `ms` (the base delay)",
                    "add ms = 50.0 and spread_ms = 10.0 (or std_ms)",
                )
            })?;
            finite_ge(src, &k("ms"), ms, 0.0, "one-way delay in ms")?;
            match (l.spread_ms, l.std_ms) {
                (Some(_), Some(_)) => {
                    return Err(src.error(
                        &k("std_ms"),
                        "give either spread_ms (uniform) or std_ms (normal), not both",
                        "remove one",
                    ))
                }
                (None, None) => {
                    return Err(src.error(
                        &k("model"),
                        "jitter latency needs spread_ms (uniform) or std_ms (normal)",
                        "add spread_ms = 10.0",
                    ))
                }
                (Some(s), None) => finite_ge(src, &k("spread_ms"), s, 0.0, "ms")?,
                (None, Some(s)) => finite_ge(src, &k("std_ms"), s, 0.0, "ms")?,
            }
        }
        LatencyKind::Matrix => {
            if l.file.is_none() {
                return Err(src.error(
                    &k("model"),
                    "matrix latency needs `file`",
                    "add file = \"../traces/wondernetwork-2020.csv\" (relative to the scenario file)",
                ));
            }
            let weighted = l.placement == Some(PlacementKind::Weighted);
            let sources = [
                l.weights.is_some(),
                l.city_weights.is_some(),
                l.weights_file.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if weighted && sources != 1 {
                return Err(src.error(
                    &k("placement"),
                    "weighted placement needs exactly one of weights, city_weights, weights_file",
                    "e.g. city_weights = { Amsterdam = 0.9, Tokyo = 14.0 }",
                ));
            }
            if !weighted && sources > 0 {
                let which = if l.weights.is_some() {
                    "weights"
                } else if l.city_weights.is_some() {
                    "city_weights"
                } else {
                    "weights_file"
                };
                return Err(src.error(
                    &k(which),
                    "weights are only used with placement = \"weighted\"",
                    "add placement = \"weighted\" or remove the weights",
                ));
            }
            if l.weights_file.is_some() != l.weights_column.is_some() {
                return Err(src.error(
                    &k(if l.weights_file.is_some() {
                        "weights_file"
                    } else {
                        "weights_column"
                    }),
                    "weights_file and weights_column go together",
                    "name the CSV file and the column holding the weights",
                ));
            }
            for (i, w) in l.weights.iter().flatten().enumerate() {
                finite_ge(src, &k(&format!("weights.{i}")), *w, 0.0, "weights are ≥ 0")?;
            }
            for (name, w) in l.city_weights.iter().flatten() {
                finite_ge(
                    src,
                    &k(&format!("city_weights.{name}")),
                    *w,
                    0.0,
                    "weights are ≥ 0",
                )?;
            }
        }
        LatencyKind::Topology => {
            let n = l.nodes.ok_or_else(|| {
                src.error(
                    &k("model"),
                    "topology latency needs `nodes`",
                    "add nodes = 4 and links",
                )
            })?;
            if n <= 0 {
                return Err(src.error(
                    &k("nodes"),
                    format!("must be > 0, got {n}"),
                    "the number of graph nodes",
                ));
            }
            if l.placement == Some(PlacementKind::Weighted)
                || l.placement == Some(PlacementKind::Distinct)
            {
                return Err(src.error(
                    &k("placement"),
                    "topology placement is uniform or round-robin",
                    "use placement = \"uniform\"",
                ));
            }
            let links = l.links.as_deref().unwrap_or(&[]);
            if links.is_empty() && n > 1 {
                return Err(src.error(
                    &k("links"),
                    "a topology with several nodes needs links",
                    "links = [[0, 1, 10.0]]",
                ));
            }
            for (i, link) in links.iter().enumerate() {
                let lk = k(&format!("links.{i}"));
                if !(3..=4).contains(&link.len()) {
                    return Err(src.error(
                        &lk,
                        format!("has {} numbers", link.len()),
                        "a link is [a, b, ms] or [a, b, ms, loss]",
                    ));
                }
                for end in &link[..2] {
                    if end.fract() != 0.0 || *end < 0.0 || *end >= n as f64 {
                        return Err(src.error(
                            &lk,
                            format!("node {end} is not in 0..{n}"),
                            "node numbers are 0-based integers below `nodes`",
                        ));
                    }
                }
                finite_ge(src, &lk, link[2], 0.0, "link latency in ms, ≥ 0")?;
                if let Some(loss) = link.get(3) {
                    probability(src, &lk, *loss)?;
                }
            }
            for (i, a) in l.attach.iter().flatten().enumerate() {
                if *a < 0 || *a >= n {
                    return Err(src.error(
                        &k(&format!("attach.{i}")),
                        format!("node {a} is not in 0..{n}"),
                        "attachment nodes are 0-based below `nodes`",
                    ));
                }
            }
            if l.attach.as_ref().is_some_and(|a| a.is_empty()) {
                return Err(src.error(
                    &k("attach"),
                    "is empty",
                    "list the nodes hosts attach to, or remove the key (all nodes)",
                ));
            }
        }
    }
    Ok(())
}

/// The name of a latency model as written in files.
pub fn model_name(m: LatencyKind) -> &'static str {
    match m {
        LatencyKind::Zero => "zero",
        LatencyKind::Constant => "constant",
        LatencyKind::Jitter => "jitter",
        LatencyKind::Matrix => "matrix",
        LatencyKind::Topology => "topology",
    }
}

fn group(f: &ScenarioFile, src: &Source, i: usize, g: &GroupSpec) -> R {
    let k = |s: &str| format!("group.{i}.{s}");
    non_negative_int(
        src,
        &k("count"),
        g.count,
        "the number of peers in the group",
    )?;
    if g.count > 1_000_000 {
        return Err(src.error(
            &k("count"),
            format!("{} peers is more than the supported 1,000,000", g.count),
            "split the run",
        ));
    }
    if g.community.is_empty() {
        return Err(src.error(
            &k("community"),
            "is empty",
            "\"DiscoveryCommunity\" or a name for a plain test community",
        ));
    }
    if g.community == DISCOVERY_COMMUNITY && g.community_id.is_some() {
        return Err(src.error(
            &k("community_id"),
            "DiscoveryCommunity has a fixed community id",
            "remove community_id (or name a plain test community)",
        ));
    }
    if let Some(id) = &g.community_id {
        if id.len() != 40 || hex::decode(id).is_err() {
            return Err(src.error(
                &k("community_id"),
                format!("`{id}` is not 40 hex digits"),
                "a 20-byte community id in hex",
            ));
        }
    }
    if KeyKind::from_name(&g.key).is_err() {
        return Err(src.error(
            &k("key"),
            format!("unknown key kind `{}`", g.key),
            "one of: curve25519, very-low, low, medium, high",
        ));
    }
    positive(
        src,
        &k("walker_interval"),
        g.walker_interval,
        "seconds between walker steps, py-ipv8 uses 0.5",
    )?;
    if g.max_peers < -1 {
        return Err(src.error(
            &k("max_peers"),
            format!("must be ≥ -1, got {}", g.max_peers),
            "-1 = unlimited",
        ));
    }
    finite_ge(
        src,
        &k("join"),
        g.join,
        0.0,
        "join time in virtual seconds (events cannot happen before 0)",
    )?;
    finite_ge(
        src,
        &k("join_spread"),
        g.join_spread,
        0.0,
        "peers join in [join, join + join_spread)",
    )?;
    if g.join > f.duration {
        return Err(src.error(
            &k("join"),
            format!(
                "{} s is after the end of the run ({} s)",
                g.join, f.duration
            ),
            "join before `duration`",
        ));
    }
    for (w, spec) in g.walkers.iter().flatten().enumerate() {
        walker(
            src,
            &format!("group.{i}.walker.{w}"),
            spec,
            g.community == DISCOVERY_COMMUNITY,
        )?;
    }
    for (b, spec) in g.bootstrappers.iter().flatten().enumerate() {
        let bk = |s: &str| format!("group.{i}.bootstrapper.{b}.{s}");
        positive(
            src,
            &bk("timeout"),
            spec.timeout,
            "seconds between bootstrap rounds, py-ipv8 uses 30",
        )?;
        match spec.kind {
            BootstrapperKind::Dispersy => {
                not_for(
                    src,
                    &bk("domain"),
                    &spec.domain,
                    "to a dispersy bootstrapper",
                )?;
                if f.bootstrap.servers == 0 {
                    return Err(src.error(
                        &bk("type"),
                        "a dispersy bootstrapper needs bootstrap servers, but [bootstrap] servers = 0",
                        "add [bootstrap] servers = 2, or use type = \"broadcast\"",
                    ));
                }
            }
            BootstrapperKind::Broadcast => {
                if let Some(d) = spec.domain {
                    non_negative_int(src, &bk("domain"), d, "a broadcast domain number ≥ 0")?;
                }
            }
        }
    }
    Ok(())
}

fn walker(src: &Source, key: &str, w: &WalkerSpec, discovery: bool) -> R {
    let k = |s: &str| format!("{key}.{s}");
    if w.target < -1 {
        return Err(src.error(
            &k("target"),
            format!("must be ≥ -1, got {}", w.target),
            "-1 = walk forever",
        ));
    }
    let why = format!("to strategy {:?}", w.strategy);
    let rw = w.strategy == StrategyKind::RandomWalk;
    let ew = w.strategy == StrategyKind::EdgeWalk;
    let rc = w.strategy == StrategyKind::RandomChurn;
    if !rw {
        not_for(src, &k("timeout"), &w.timeout, &why)?;
        not_for(src, &k("window_size"), &w.window_size, &why)?;
        not_for(src, &k("reset_chance"), &w.reset_chance, &why)?;
        not_for(src, &k("target_interval"), &w.target_interval, &why)?;
    }
    if !ew {
        not_for(src, &k("edge_length"), &w.edge_length, &why)?;
        not_for(src, &k("neighborhood_size"), &w.neighborhood_size, &why)?;
        not_for(src, &k("edge_timeout"), &w.edge_timeout, &why)?;
    }
    if !rc {
        not_for(src, &k("sample_size"), &w.sample_size, &why)?;
        not_for(src, &k("ping_interval"), &w.ping_interval, &why)?;
        not_for(src, &k("inactive_time"), &w.inactive_time, &why)?;
        not_for(src, &k("drop_time"), &w.drop_time, &why)?;
    }
    if !discovery
        && matches!(
            w.strategy,
            StrategyKind::RandomChurn | StrategyKind::PeriodicSimilarity
        )
    {
        return Err(src.error(
            &k("strategy"),
            format!(
                "{:?} runs on DiscoveryCommunity only (it needs its ping/similarity messages)",
                w.strategy
            ),
            "set the group's community = \"DiscoveryCommunity\", or use RandomWalk / EdgeWalk",
        ));
    }
    if let Some(v) = w.sample_size {
        non_negative_int(src, &k("sample_size"), v, "a count")?;
    }
    for (name, v) in [
        ("ping_interval", w.ping_interval),
        ("inactive_time", w.inactive_time),
        ("drop_time", w.drop_time),
        ("timeout", w.timeout),
        ("target_interval", w.target_interval),
        ("edge_timeout", w.edge_timeout),
    ] {
        if let Some(v) = v {
            finite_ge(src, &k(name), v, 0.0, "seconds")?;
        }
    }
    for (name, v) in [
        ("window_size", w.window_size),
        ("edge_length", w.edge_length),
        ("neighborhood_size", w.neighborhood_size),
    ] {
        if let Some(v) = v {
            non_negative_int(src, &k(name), v, "a count")?;
        }
    }
    if let Some(r) = w.reset_chance {
        if !(0..=255).contains(&r) {
            return Err(src.error(
                &k("reset_chance"),
                format!("must be in 0..=255, got {r}"),
                "a chance in 256 (py-ipv8 default 50)",
            ));
        }
    }
    Ok(())
}

fn churn(
    f: &ScenarioFile,
    src: &Source,
    c: &ChurnSpec,
    group_index: &dyn Fn(&str, &str) -> Result<usize, ScenarioError>,
) -> Result<usize, ScenarioError> {
    let gi = group_index("churn.group", &c.group)?;
    positive(
        src,
        "churn.time_scale",
        c.time_scale,
        "virtual seconds per trace second, e.g. 0.01 = 100x faster",
    )?;
    finite_ge(
        src,
        "churn.start",
        c.start,
        0.0,
        "trace seconds after the trace's first join",
    )?;
    if let Some(ms) = c.start_unix_ms {
        non_negative_int(src, "churn.start_unix_ms", ms, "a Unix time in ms")?;
        if c.start != 0.0 {
            return Err(src.error(
                "churn.start_unix_ms",
                "give either start or start_unix_ms",
                "remove one",
            ));
        }
    }
    if let Some(w) = c.window {
        positive(src, "churn.window", w, "the window length in trace seconds")?;
    }
    let g = &f.groups[gi];
    if g.join != 0.0 || g.join_spread != 0.0 || !g.auto_join {
        return Err(src.error(
            &format!("group.{gi}.join"),
            format!(
                "group `{}` follows the churn trace; its join/join_spread/auto_join cannot be set",
                c.group
            ),
            "remove them: the trace decides when its peers join and leave",
        ));
    }
    Ok(gi)
}

fn event(
    f: &ScenarioFile,
    src: &Source,
    i: usize,
    e: &EventSpec,
    group_index: &dyn Fn(&str, &str) -> Result<usize, ScenarioError>,
    churn_group: Option<usize>,
) -> R {
    let k = |s: &str| format!("event.{i}.{s}");
    if !e.at.is_finite() || e.at < 0.0 {
        return Err(src.error(
            &k("at"),
            format!("event time {} is before the start of the run (0)", e.at),
            "times are virtual seconds ≥ 0",
        ));
    }
    if e.at > f.duration {
        return Err(src.error(
            &k("at"),
            format!(
                "event time {} is after the end of the run ({} s)",
                e.at, f.duration
            ),
            "raise `duration` or move the event",
        ));
    }
    let why = format!("to action {:?}", e.action);
    let peers_action = matches!(
        e.action,
        Action::Join | Action::Leave | Action::Crash | Action::Rejoin
    );
    if !peers_action {
        not_for(src, &k("group"), &e.group, &why)?;
        not_for(src, &k("count"), &e.count, &why)?;
        not_for(src, &k("peers"), &e.peers, &why)?;
    }
    if !matches!(e.action, Action::Partition | Action::Heal) {
        not_for(src, &k("groups"), &e.groups, &why)?;
    }
    if e.action != Action::Latency {
        not_for(src, &k("latency"), &e.latency, &why)?;
    }
    if e.action != Action::Loss {
        not_for(src, &k("loss"), &e.loss, &why)?;
    }
    match e.action {
        Action::Join | Action::Leave | Action::Crash | Action::Rejoin => {
            let name = e.group.as_deref().ok_or_else(|| {
                src.error(
                    &k("action"),
                    format!("{:?} needs `group`", e.action),
                    "add group = \"<name>\"",
                )
            })?;
            let gi = group_index(&k("group"), name)?;
            if churn_group == Some(gi) {
                return Err(src.error(
                    &k("group"),
                    format!("group `{name}` follows the churn trace"),
                    "events cannot move peers of the churn group; use another group",
                ));
            }
            let count = f.groups[gi].count;
            if let Some(c) = e.count {
                non_negative_int(src, &k("count"), c, "how many peers")?;
                if c > count {
                    return Err(src.error(
                        &k("count"),
                        format!("group `{name}` has only {count} peers"),
                        "at most the group's count",
                    ));
                }
                if e.peers.is_some() {
                    return Err(src.error(&k("peers"), "give either count or peers", "remove one"));
                }
            }
            for (j, p) in e.peers.iter().flatten().enumerate() {
                if *p < 0 || *p >= count {
                    return Err(src.error(
                        &k(&format!("peers.{j}")),
                        format!("peer {p} is not in group `{name}` (0..{count})"),
                        "peer indices are 0-based within the group",
                    ));
                }
            }
        }
        Action::Partition | Action::Heal => match e.groups.as_deref() {
            None if e.action == Action::Heal => {}
            None => {
                return Err(src.error(
                    &k("action"),
                    "partition needs `groups`",
                    "groups = [\"a\", \"b\"]",
                ))
            }
            Some(gs) => {
                if gs.len() != 2 {
                    return Err(src.error(&k("groups"), format!("lists {} groups", gs.len()), "exactly two group names, e.g. [\"a\", \"b\"] (the same twice cuts a group off from itself)"));
                }
                for (j, g) in gs.iter().enumerate() {
                    group_index(&k(&format!("groups.{j}")), g)?;
                }
            }
        },
        Action::Latency => {
            let l = e.latency.as_ref().ok_or_else(|| {
                src.error(
                    &k("action"),
                    "a latency event needs a `latency` table",
                    "latency = { model = \"constant\", ms = 100.0 }",
                )
            })?;
            latency(src, &k("latency"), l)?;
        }
        Action::Loss => {
            let l = e.loss.ok_or_else(|| {
                src.error(&k("action"), "a loss event needs `loss`", "loss = 0.1")
            })?;
            probability(src, &k("loss"), l)?;
        }
    }
    Ok(())
}
