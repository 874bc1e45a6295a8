#!/usr/bin/env bash
# Runs two builds of reconcile alternately on the same command, so that load from other work
# falls on both alike, and prints each run's `/usr/bin/time` line and the medians.
#
#   bench/compare.sh RUNS BIN_A BIN_B -- ARGS...     e.g.
#   bench/compare.sh 21 /tmp/reconcile-old .build/release/reconcile -- \
#       plan --detailed-exitcode --root "$PWD/bench/work/10000/stage/reconcile" bench/work/10000/files/files.yaml
#
# Output: "A|B wall user sys peak_kb" per run, then per build: median, quartiles, min, max wall,
# median CPU (user + sys), largest peak RSS, runs at or under 0.3 s.
set -euo pipefail
[ $# -ge 4 ] && [ "$4" = "--" ] || { sed -n 2,10p "$0" >&2; exit 1; }
runs="$1"; a="$2"; b="$3"; shift 4
out="$(mktemp)"; trap 'rm -f "$out" "$out.t"' EXIT
for _ in $(seq "$runs"); do
    for side in A B; do
        bin="$a"; [ "$side" = B ] && bin="$b"
        /usr/bin/time -f '%e %U %S %M' -o "$out.t" "$bin" "$@" >/dev/null 2>&1 || true
        echo "$side $(tail -1 "$out.t")" | tee -a "$out"
    done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, wall, user, system, peak = line.split()
    runs[side].append((float(wall), float(user) + float(system), int(peak)))
for side, values in sorted(runs.items()):
    walls = sorted(v[0] for v in values)
    q = lambda f: walls[int(f * (len(walls) - 1))]
    print(f"{side}: wall median {statistics.median(walls):.3f} s (quartiles {q(0.25):.3f}–{q(0.75):.3f}, "
          f"min {walls[0]:.3f}, max {walls[-1]:.3f}), cpu median {statistics.median(v[1] for v in values):.3f} s, "
          f"peak {max(v[2] for v in values) / 1024:.0f} MiB, {sum(w <= 0.3 for w in walls)}/{len(walls)} runs ≤ 0.3 s")
PY
