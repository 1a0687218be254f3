#!/usr/bin/env python3
"""
Compare mean-of-seeds curves (t,mean,min,max CSVs) against the reference runs.

    python compare.py --ref ../../../shared/reference/pyipv8-seed-bootstrap/n20_seed{1,2,3}.csv \
                      --ours out/n20_seed{1,2,3}.csv [--at 2 4 6 10 20 120]

Prints, per time point, the mean over the given files of the per-run mean, for both sets, and the
difference. Only the Python standard library is needed.
"""
from __future__ import annotations

import argparse
import csv


def load(path: str) -> dict[float, float]:
    with open(path, newline="") as f:
        return {float(r["t"]): float(r["mean"]) for r in csv.DictReader(f)}


def mean_curve(paths: list[str]) -> dict[float, float]:
    curves = [load(p) for p in paths]
    common = set.intersection(*(set(c) for c in curves))
    return {t: sum(c[t] for c in curves) / len(curves) for t in sorted(common)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ref", nargs="+", required=True)
    p.add_argument("--ours", nargs="+", required=True)
    p.add_argument("--at", nargs="+", type=float, default=[2, 4, 6, 10, 20, 120])
    args = p.parse_args()
    ref, ours = mean_curve(args.ref), mean_curve(args.ours)
    print(f"{'t':>6} {'reference':>10} {'ours':>8} {'diff':>7}")
    worst = 0.0
    for t in args.at:
        if t in ref and t in ours:
            d = ours[t] - ref[t]
            worst = max(worst, abs(d))
            print(f"{t:>6g} {ref[t]:>10.2f} {ours[t]:>8.2f} {d:>+7.2f}")
    common = sorted(set(ref) & set(ours))
    if common:
        mad = sum(abs(ours[t] - ref[t]) for t in common) / len(common)
        print(f"mean |diff| over all {len(common)} common samples: {mad:.3f}; max at listed points: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
