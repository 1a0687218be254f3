#!/bin/bash
# Paired A/B timing of two ipv8sim builds on one scenario (benches/README.md).
#
#   benches/pair.sh ROUNDS SCENARIO BIN_A BIN_B
#
# Each round runs A and B at the same time, one pinned to each of cores 0 and 1
# (swapped every round; which starts first alternates every two rounds), so both
# see the same minute of a noisy machine; it prints A's and B's run wall, the ratio
# A/B, and each wall/floor, then the median and geometric mean of the ratios. Each
# run has the other core busy, so absolute times are those of a loaded machine;
# compare the ratios. Needs taskset and python3.
set -euo pipefail
if [ $# -ne 4 ]; then
    sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
ROUNDS=$1 SCENARIO=$2 A=$3 B=$4
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for i in $(seq 1 "$ROUNDS"); do
    if [ $((i % 2)) = 1 ]; then ca=0 cb=1; else ca=1 cb=0; fi
    # Which build starts first alternates too (every other pair of rounds), so start
    # order cannot favour either. A/A runs (one binary against its copy) still
    # spread by about +-3 % over 30-40 pairs: differences smaller than that are noise.
    if [ $(((i - 1) / 2 % 2)) = 0 ]; then
        taskset -c $ca "$A" run "$SCENARIO" --out "$TMP/a" --no-plot >/dev/null 2>&1 &
        pa=$!
        taskset -c $cb "$B" run "$SCENARIO" --out "$TMP/b" --no-plot >/dev/null 2>&1 &
        pb=$!
    else
        taskset -c $cb "$B" run "$SCENARIO" --out "$TMP/b" --no-plot >/dev/null 2>&1 &
        pb=$!
        taskset -c $ca "$A" run "$SCENARIO" --out "$TMP/a" --no-plot >/dev/null 2>&1 &
        pa=$!
    fi
    wait $pa
    wait $pb
    python3 - "$TMP/a/summary.json" "$TMP/b/summary.json" <<'PY' | tee -a "$TMP/pairs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
wf = lambda s: (s.get("crypto_floor") or {}).get("wall_over_floor", 0.0)
print(f"{a['run_wall_s'] / b['run_wall_s']:.3f} A {a['run_wall_s']:.3f} s "
      f"B {b['run_wall_s']:.3f} s  wall/floor A {wf(a):.3f} B {wf(b):.3f}")
PY
done
python3 - "$TMP/pairs" <<'PY'
import statistics as st, sys
r = [float(l.split()[0]) for l in open(sys.argv[1])]
print(f"A/B wall: median {st.median(r):.3f}, geometric mean {st.geometric_mean(r):.3f} ({len(r)} pairs)")
PY
