#!/usr/bin/env bash
# The cost-growth runs of benches/README.md: the bench scenarios, one core each, then the
# table (printed) and the log-log plot (benches/img/scaling.{svg,png}).
#
#   benches/scale.sh            # 20 … 10k peers, real and fast crypto (~3 min)
#   benches/scale.sh --long     # + 100k peers real (~7 min) and fast (~1 min); by hand, never in CI
#   benches/scale.sh --huge     # + the above and 1M peers, fast (~15 min, 10 GiB of memory)
#
# Results go to results/bench/<run>/ (summary.json, metrics.csv, …).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/ipv8sim
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "${CPU:-0}"); fi
out=results/bench
mkdir -p "$out"
run() { # name scenario [--set ...]
  local name=$1 scenario=$2
  shift 2
  "${pin[@]}" "$bin" run "$scenario" --out "$out/$name" --no-plot "$@"
}
run docs-20 scenarios/bench/docs-20.toml
run docs-1k scenarios/bench/docs-1k.toml
run docs-2k scenarios/bench/docs-2k.toml
run docs-1k-fast scenarios/bench/docs-1k.toml --set crypto=fast
run docs-2k-fast scenarios/bench/docs-2k.toml --set crypto=fast
run matrix-1k scenarios/bench/matrix-1k.toml
run matrix-10k scenarios/bench/matrix-10k.toml
run matrix-1k-fast scenarios/bench/matrix-1k.toml --set crypto=fast
run matrix-10k-fast scenarios/bench/matrix-10k.toml --set crypto=fast
if [ "${1:-}" = "--long" ] || [ "${1:-}" = "--huge" ]; then
  run matrix-100k scenarios/bench/matrix-100k.toml
  run matrix-100k-fast scenarios/bench/matrix-100k.toml --set crypto=fast
fi
if [ "${1:-}" = "--huge" ]; then
  run matrix-1m-fast scenarios/bench/matrix-1m-fast.toml
fi
# (Directories only: the docs plot below is written next to them.)
"$bin" scaling "$out"/matrix-*/ --out benches/img/scaling.svg --out benches/img/scaling.png
"$bin" scaling "$out"/docs-*/ --out "$out/docs-scaling.svg"
