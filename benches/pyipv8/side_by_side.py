#!/usr/bin/env python3
"""
Side by side: the real pyipv8 3.2.1 (run_sim.py, virtual time) and our `ipv8sim run` on the docs'
bootstrap scenario (scenarios/docs-bootstrap.toml) at several peer counts, one core, one machine,
one invocation.

    python3 benches/pyipv8/side_by_side.py                      # 20,100,500,1000,2000 peers, seed 1, 120 s
    python3 benches/pyipv8/side_by_side.py --peers 20 --duration 10     # quick (CI)
    python3 benches/pyipv8/side_by_side.py --fast               # + a column with `--set crypto=fast`

For every N and seed it runs, strictly one after the other (never concurrently), each pinned to one
core with `taskset -c CPU` when taskset exists:

  1. py-ipv8: `<venv python> benches/pyipv8/run_sim.py --peers N --seed S --duration D`
  2. ours:    `ipv8sim run scenarios/docs-bootstrap.toml --set group.0.count=N --set seeds=[S]
               --set duration=D --no-plot`
  3. (--fast) ours again with `--set crypto=fast`.

Fair timing: py-ipv8's `sim_wall_s` excludes its setup (instance and key creation), so the headline
ratio is py `sim_wall_s` / our `run_wall_s` (our simulation phase). Our total wall (`wall_time_s`:
build + run) and the process wall as seen from here (including the crypto-floor calibration and
file writing) are reported too, as is a total-vs-total ratio (py setup + sim / our process wall).
With --repeat K every (N, seed) is run K times, py-ipv8 and ours alternating, and the table keeps
each side's fastest run (curves and plots show the last repeat). On a shared machine wall time includes waiting for the core, so CPU time is reported as well:
py-ipv8's `sim_cpu_s` against the CPU time of our whole process (from getrusage of the child; it
includes our setup and the floor calibration, so the CPU ratio is a lower bound of our lead).

Output in --out (default <repo>/results/side-by-side):
  table.csv, table.md                   the table (also printed as Markdown)
  pyipv8/n<N>_seed<S>.csv, .json        py-ipv8 curve (t,mean,min,max) and its JSON line
  ipv8sim/ipv8sim-N<N>/<S>/             our metrics.csv, peers.csv, summary.json
  ipv8sim/ipv8sim-fast-N<N>/<S>/        the same with crypto = "fast" (--fast)
  curves/n<N>_seed<S>.csv               both mean curves side by side (t, py_*, ours_*, fast_mean)
  convergence-all.svg/.png              one plot: every N, ours (solid) and py-ipv8 (dashed)
  convergence-N<N>.svg/.png             one plot per N (+ the fast run with --fast)

The pyipv8 venv comes from tests/interop/venv.sh target/interop-venv (created once, cached) unless
--python is given. ipv8sim is built with `cargo build --release` if the binary is missing.
Any failed run stops the script with a non-zero exit and the failing command's stderr — except a
--fast run refused because this ipv8sim has no `crypto` scenario key, which is reported in the
fast columns. Only the Python standard library is needed to run this driver.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SCENARIO = os.path.join(REPO, "scenarios", "docs-bootstrap.toml")
RUN_SIM = os.path.join(HERE, "run_sim.py")

#: Acceptance targets of issue 7 (printed as information, never asserted here).
FLOOR_TARGET = 1.3
RATIO_TARGET = 15.0
FAST_RATIO_TARGET = 200.0


class RunFailed(Exception):
    """A child run failed: the message names the command and carries its stderr (also in .stderr)."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def die(msg: str) -> None:
    print(f"side_by_side.py: error: {msg}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_int_list(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def pin_prefix(cpu: int | None) -> list[str]:
    """`taskset -c CPU` (one core, literally) when available and wanted, else nothing."""
    if cpu is None:
        return []
    taskset = shutil.which("taskset")
    if taskset is None:
        note("note: taskset not found; runs are sequential but not pinned to one core")
        return []
    return [taskset, "-c", str(cpu)]


def run_child(cmd: list[str], what: str, timeout: float, cwd: str | None = None) -> tuple[str, float, float]:
    """Runs `cmd` to completion; returns (stdout, wall s, CPU s of the child). Raises RunFailed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunFailed(f"{what}: timed out after {timeout:g} s: {' '.join(cmd)}") from None
    except OSError as e:
        raise RunFailed(f"{what}: cannot start {' '.join(cmd)}: {e}") from None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-25:])
        raise RunFailed(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}", proc.stderr)
    return proc.stdout, wall, cpu


def find_python(args: argparse.Namespace) -> str:
    if args.python:
        return args.python
    venv_sh = os.path.join(REPO, "tests", "interop", "venv.sh")
    venv = os.path.join(REPO, "target", "interop-venv")
    note(f"pyipv8 venv: {venv_sh} {venv}")
    proc = subprocess.run(["bash", venv_sh, venv], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        die(f"tests/interop/venv.sh failed (exit {proc.returncode}); pass --python PY to use another "
            f"python with pyipv8==3.2.1:\n{proc.stderr.strip()}")
    return proc.stdout.strip()


def find_ipv8sim(args: argparse.Namespace) -> str:
    path = args.ipv8sim
    if not os.path.isabs(path):
        path = os.path.join(REPO, path)
    if not os.path.isfile(path):
        note(f"{path} missing: cargo build --release")
        proc = subprocess.run(["cargo", "build", "--release"], cwd=REPO, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            die(f"cargo build --release failed (exit {proc.returncode})")
        if not os.path.isfile(path):
            die(f"{path} still missing after cargo build --release (wrong --ipv8sim?)")
    return path


def run_py(args, py: str, n: int, seed: int, out: str) -> dict:
    os.makedirs(os.path.join(out, "pyipv8"), exist_ok=True)
    curve = os.path.join(out, "pyipv8", f"n{n}_seed{seed}.csv")
    cmd = pin_prefix(args.cpu) + [py, RUN_SIM, "--peers", str(n), "--seed", str(seed),
                                  "--duration", f"{args.duration:g}", "--out", curve]
    stdout, wall, cpu = run_child(cmd, f"py-ipv8 N={n} seed={seed}", args.timeout, cwd=HERE)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RunFailed(f"py-ipv8 N={n} seed={seed}: no JSON line on stdout:\n{stdout[-2000:]}")
    try:
        rec = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        raise RunFailed(f"py-ipv8 N={n} seed={seed}: bad JSON line ({e}): {lines[-1]}") from None
    for key in ("sim_wall_s", "setup_wall_s", "sim_cpu_s", "packets", "peak_rss_mb"):
        if not isinstance(rec.get(key), (int, float)):
            raise RunFailed(f"py-ipv8 N={n} seed={seed}: JSON line lacks `{key}`: {lines[-1]}")
    with open(os.path.join(out, "pyipv8", f"n{n}_seed{seed}.json"), "w") as f:
        f.write(lines[-1] + "\n")
    rec["process_wall_s"], rec["process_cpu_s"], rec["curve"] = wall, cpu, curve
    return rec


def run_ours(args, exe: str, n: int, seed: int, out: str, fast: bool) -> dict:
    label = f"ipv8sim-fast-N{n}" if fast else f"ipv8sim-N{n}"
    run_dir = os.path.join(out, "ipv8sim", label, str(seed))
    if os.path.isdir(run_dir):
        shutil.rmtree(run_dir)
    cmd = pin_prefix(args.cpu) + [exe, "run", SCENARIO, "--set", f"group.0.count={n}",
                                  "--set", f"seeds=[{seed}]", "--set", f"duration={args.duration:g}",
                                  "--out", run_dir, "--no-plot"]
    if fast:
        for kv in args.fast_set:
            cmd += ["--set", kv]
    what = f"ipv8sim{' (fast crypto)' if fast else ''} N={n} seed={seed}"
    _, wall, cpu = run_child(cmd, what, args.timeout, cwd=REPO)
    try:
        with open(os.path.join(run_dir, "summary.json")) as f:
            s = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise RunFailed(f"{what}: cannot read summary.json: {e}") from None
    floor = s.get("crypto_floor") or {}
    # The run's own Ed25519 samples: how fast the machine signed during this run (they
    # drift by up to 40 % between minutes; wall/floor is worst when they are fast).
    ed = next((k for k in floor.get("kinds") or [] if isinstance(k, dict)
               and k.get("kind") == "curve25519"), {})
    rec = {
        "run_wall_s": s.get("run_wall_s"),
        "total_wall_s": s.get("wall_time_s"),
        "packets": s.get("packets_sent"),
        "events": s.get("events"),
        "rss_mb": (s["peak_memory_kb"] / 1024) if isinstance(s.get("peak_memory_kb"), (int, float)) else None,
        "floor_s": floor.get("floor_s"),
        "wall_over_floor": floor.get("wall_over_floor"),
        "calls_over_floor": floor.get("calls_over_floor"),
        "sign_us": ed.get("sign_us"),
        "verify_us": ed.get("verify_us"),
        "process_wall_s": wall,
        "process_cpu_s": cpu,
        "dir": run_dir,
    }
    if not isinstance(rec["run_wall_s"], (int, float)) or rec["run_wall_s"] <= 0:
        raise RunFailed(f"{what}: summary.json lacks a positive run_wall_s")
    return rec


def is_unknown_crypto_key(err: RunFailed) -> bool:
    """True if ipv8sim refused `--set crypto=fast` because the scenario has no `crypto` key."""
    return "unknown field `crypto`" in err.stderr


def read_py_curve(path: str) -> dict[float, tuple[float, float, float]]:
    with open(path, newline="") as f:
        return {float(r["t"]): (float(r["mean"]), float(r["min"]), float(r["max"])) for r in csv.DictReader(f)}


def read_our_curve(run_dir: str) -> dict[float, tuple[float, float, float]]:
    """verified_mean/min/max per sample time (one overlay in this scenario); empty cells skipped."""
    out = {}
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r.get("verified_mean"):
                out[float(r["time_s"])] = (float(r["verified_mean"]), float(r["verified_min"]),
                                           float(r["verified_max"]))
    return out


def write_curves(out: str, n: int, seed: int, py: dict, ours: dict, fast: dict | None) -> float | None:
    """Writes curves/n<N>_seed<S>.csv; returns mean |py mean - our mean| over the common times."""
    pyc, oc = read_py_curve(py["curve"]), read_our_curve(ours["dir"])
    fc = read_our_curve(fast["dir"]) if fast and "dir" in fast else {}
    os.makedirs(os.path.join(out, "curves"), exist_ok=True)
    times = sorted(set(pyc) | set(oc))
    with open(os.path.join(out, "curves", f"n{n}_seed{seed}.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["t", "py_mean", "py_min", "py_max", "ours_mean", "ours_min", "ours_max", "fast_mean"])
        for t in times:
            p, o = pyc.get(t), oc.get(t)
            w.writerow([f"{t:g}",
                        *(("%.4f" % p[0], "%g" % p[1], "%g" % p[2]) if p else ("", "", "")),
                        *(("%.4f" % o[0], "%g" % o[1], "%g" % o[2]) if o else ("", "", "")),
                        "%.4f" % fc[t][0] if t in fc else ""])
    common = [t for t in times if t in pyc and t in oc]
    if not common:
        return None
    return sum(abs(pyc[t][0] - oc[t][0]) for t in common) / len(common)


def plot(exe: str, out: str, dirs: list[str], refs: list[str], name: str) -> None:
    target = os.path.join(out, name)
    for ext in ("svg", "png"):
        cmd = [exe, "plot", *dirs, "--reference", *refs, "--out", f"{target}.{ext}"]
        run_child(cmd, f"ipv8sim plot {name}.{ext}", 300, cwd=REPO)


def fmt(v, digits: int = 2) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    return f"{v:.{digits}f}"


COLUMNS = [
    # (csv name, markdown header or None = CSV only, digits)
    ("peers", "N", 0), ("seed", "seed", 0), ("repeats", None, 0),
    ("py_sim_wall_s", "py wall s", 2), ("py_setup_wall_s", None, 2), ("py_sim_cpu_s", "py CPU s", 2),
    ("py_process_cpu_s", None, 2), ("py_packets", "py packets", 0), ("py_rss_mb", "py RSS MB", 0),
    ("our_run_wall_s", "our run wall s", 3), ("our_total_wall_s", "our total wall s", 3),
    ("our_process_wall_s", None, 3), ("our_process_cpu_s", "our CPU s", 3), ("our_packets", "our packets", 0),
    ("our_rss_mb", "our RSS MB", 0), ("floor_s", "floor s", 3), ("wall_over_floor", "wall/floor", 2),
    ("calls_over_floor", "signatures/floor", 2), ("sign_us", "Ed25519 sign µs", 1), ("verify_us", "verify µs", 1),
    ("ratio", "py/ours wall", 1), ("ratio_total", None, 1), ("ratio_cpu", "py/ours CPU", 1),
    ("mean_abs_diff", "curve Δ", 2),
]
FAST_COLUMNS = [("fast_run_wall_s", "fast wall s", 3), ("fast_process_cpu_s", None, 3),
                ("fast_ratio", "py/fast wall", 0)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peers", type=parse_int_list, default=[20, 100, 500, 1000, 2000],
                   help="comma-separated peer counts (default 20,100,500,1000,2000)")
    p.add_argument("--seeds", type=parse_int_list, default=[1], help="comma-separated seeds (default 1)")
    p.add_argument("--duration", type=float, default=120.0, help="virtual seconds (default 120)")
    p.add_argument("--fast", action="store_true", help="also run ours with --set crypto=fast")
    p.add_argument("--fast-set", action="append", metavar="KEY=VALUE",
                   help="the --set override(s) of the fast column (default crypto=fast; repeatable)")
    p.add_argument("--out", default=os.path.join(REPO, "results", "side-by-side"),
                   help="output directory (default: the repository's results/side-by-side)")
    p.add_argument("--ipv8sim", default="target/release/ipv8sim",
                   help="our binary (relative paths are relative to the repository)")
    p.add_argument("--python", help="python with pyipv8==3.2.1 (default: tests/interop/venv.sh target/interop-venv)")
    p.add_argument("--cpu", type=int, default=0, help="core to pin every run to with taskset (default 0)")
    p.add_argument("--no-pin", action="store_true", help="do not pin runs with taskset")
    p.add_argument("--repeat", type=int, default=1,
                   help="run each (N, seed) pair K times, alternating; the table keeps each side's fastest run")
    p.add_argument("--timeout", type=float, default=3600.0, help="limit per run, wall seconds")
    p.add_argument("--no-plot", action="store_true", help="skip the plots")
    args = p.parse_args()
    if args.duration <= 0:
        die("--duration must be positive")
    if not args.fast_set:
        args.fast_set = ["crypto=fast"]
    if args.repeat < 1:
        die("--repeat must be at least 1")
    if args.no_pin:
        args.cpu = None

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    exe = find_ipv8sim(args)
    py = find_python(args)
    note(f"py-ipv8: {py}\nipv8sim: {exe}\npinning: {' '.join(pin_prefix(args.cpu)) or 'none'}\n"
         f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    rows = []
    fast_error = None
    fast_ok: set[int] = set()  # peer counts with a successful fast run for every seed
    try:
        for n in args.peers:
            # Seed directories of an earlier invocation would be averaged into this one's plots.
            for label in (f"ipv8sim-N{n}", f"ipv8sim-fast-N{n}"):
                shutil.rmtree(os.path.join(out, "ipv8sim", label), ignore_errors=True)
            for seed in args.seeds:
                pr = ours = fast = None
                for rep in range(args.repeat):
                    tag = f" (repeat {rep + 1}/{args.repeat})" if args.repeat > 1 else ""
                    note(f"N={n} seed={seed}{tag}: py-ipv8 ...")
                    p_run = run_py(args, py, n, seed, out)
                    note(f"  py-ipv8 sim {p_run['sim_wall_s']:.2f} s, {p_run['packets']} packets; ipv8sim ...")
                    o_run = run_ours(args, exe, n, seed, out, fast=False)
                    note(f"  ipv8sim run {o_run['run_wall_s']:.3f} s, {o_run['packets']} packets")
                    # With --repeat, each side keeps its fastest run (the least disturbed by other jobs).
                    pr = p_run if pr is None or p_run["sim_wall_s"] < pr["sim_wall_s"] else pr
                    ours = o_run if ours is None or o_run["run_wall_s"] < ours["run_wall_s"] else ours
                    if args.fast and fast_error is None:
                        try:
                            f_run = run_ours(args, exe, n, seed, out, fast=True)
                            note(f"  ipv8sim fast {f_run['run_wall_s']:.3f} s")
                            fast = f_run if fast is None or f_run["run_wall_s"] < fast["run_wall_s"] else fast
                        except RunFailed as e:
                            if not is_unknown_crypto_key(e):
                                raise
                            fast_error = "n/a (no `crypto` key)"
                            note(f"  --fast: {fast_error}\n{e}")
                row = {
                    "peers": n, "seed": seed, "repeats": args.repeat,
                    "py_sim_wall_s": pr["sim_wall_s"], "py_setup_wall_s": pr["setup_wall_s"],
                    "py_sim_cpu_s": pr["sim_cpu_s"], "py_process_cpu_s": pr["process_cpu_s"],
                    "py_packets": pr["packets"], "py_rss_mb": pr["peak_rss_mb"],
                    "our_run_wall_s": ours["run_wall_s"], "our_total_wall_s": ours["total_wall_s"],
                    "our_process_wall_s": ours["process_wall_s"], "our_process_cpu_s": ours["process_cpu_s"],
                    "our_packets": ours["packets"], "our_rss_mb": ours["rss_mb"],
                    "floor_s": ours["floor_s"], "wall_over_floor": ours["wall_over_floor"],
                    "calls_over_floor": ours["calls_over_floor"], "sign_us": ours["sign_us"], "verify_us": ours["verify_us"],
                    "ratio": pr["sim_wall_s"] / ours["run_wall_s"],
                    "ratio_total": (pr["setup_wall_s"] + pr["sim_wall_s"]) / ours["process_wall_s"],
                    "ratio_cpu": pr["sim_cpu_s"] / ours["process_cpu_s"] if ours["process_cpu_s"] > 0 else None,
                    "mean_abs_diff": write_curves(out, n, seed, pr, ours, fast),
                }
                if args.fast:
                    if fast is not None:
                        if seed == args.seeds[0]:
                            fast_ok.add(n)
                        row["fast_run_wall_s"] = fast["run_wall_s"]
                        row["fast_process_cpu_s"] = fast["process_cpu_s"]
                        row["fast_ratio"] = pr["sim_wall_s"] / fast["run_wall_s"]
                    else:
                        fast_ok.discard(n)
                        row["fast_run_wall_s"] = row["fast_ratio"] = row["fast_process_cpu_s"] = fast_error
                rows.append(row)
    except RunFailed as e:
        die(str(e))

    cols = COLUMNS + (FAST_COLUMNS if args.fast else [])
    with open(os.path.join(out, "table.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([c[0] for c in cols])
        for r in rows:
            w.writerow([fmt(r.get(c[0]), max(c[2], 4) if isinstance(r.get(c[0]), float) else 0) for c in cols])
    shown = [c for c in cols if c[1] is not None]
    md = ["| " + " | ".join(c[1] for c in shown) + " |",
          "|" + "|".join("---:" for _ in shown) + "|"]
    for r in rows:
        md.append("| " + " | ".join(fmt(r.get(c[0]), c[2]) for c in shown) + " |")
    lines = [
        f"docs' bootstrap scenario, {args.duration:g} virtual s, one core each "
        f"({'taskset -c %d' % args.cpu if pin_prefix(args.cpu) else 'not pinned'}), run sequentially"
        + (f"; each side's fastest of {args.repeat} alternating runs." if args.repeat > 1 else "."),
        "py wall = py-ipv8 simulation phase (no setup); our run wall = our simulation phase; "
        "our total wall = build + run; py/ours wall = py wall / our run wall.",
        "CPU: py-ipv8's simulation phase vs our whole process (setup and crypto-floor calibration "
        "included, so py/ours CPU under-states our lead); wall times include waiting for a shared core.",
        "signatures/floor: the wall time our run spent inside its sign and verify calls, over the floor "
        "(above 1: signatures cost more between simulation steps than in a hot loop).",
        "Ed25519 sign/verify µs: our run's own samples of the floor (fast samples = a quiet machine, "
        "where wall/floor reads highest).",
        "",
        *md,
        "",
        f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    for r in rows:
        if r["peers"] >= 1000:
            lines.append(f"N={r['peers']} seed={r['seed']}: wall/floor {fmt(r['wall_over_floor'])} "
                         f"(target ≤ {FLOOR_TARGET}), py/ours {fmt(r['ratio'], 1)} (target ≥ {RATIO_TARGET:g}), "
                         f"py/ours CPU {fmt(r['ratio_cpu'], 1)}"
                         + (f", py/fast {fmt(r.get('fast_ratio'), 0)} (target ≥ {FAST_RATIO_TARGET:g})"
                            if args.fast else ""))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(text)
    print(text, end="", flush=True)

    if not args.no_plot:
        try:
            by_n = {}
            for n in args.peers:
                refs = [os.path.join(out, "pyipv8", f"n{n}_seed{s}.csv") for s in args.seeds]
                dirs = [os.path.join(out, "ipv8sim", f"ipv8sim-N{n}")]
                fast_dir = os.path.join(out, "ipv8sim", f"ipv8sim-fast-N{n}")
                per_n = dirs + ([fast_dir] if n in fast_ok else [])
                plot(exe, out, per_n, refs, f"convergence-N{n}")
                by_n[n] = (dirs, refs)
            plot(exe, out, [d for n in args.peers for d in by_n[n][0]],
                 [r for n in args.peers for r in by_n[n][1]], "convergence-all")
        except RunFailed as e:
            die(str(e))
        print(f"plots: {out}/convergence-all.svg (.png), convergence-N<N>.svg (.png)")
    print(f"table: {out}/table.csv, {out}/table.md; curves: {out}/curves/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
