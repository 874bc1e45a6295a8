#!/usr/bin/env bash
# Issue 7: plans for N hosts' facts of the bundled example fleet in one run, as a CI plan job
# does (`reconcile plan --facts DIR --out DIR`). Not a test: run it by hand.
#
#   bench/fleet.sh [-n 1000] [--runs 3] [--no-build]
#
# The N facts files are the three bundled ones (mx1, mx2, ci1), copied round-robin under new
# host names (hostNNNN-{mx1,mx2,ci1}.example.org) with their labels, so every host gets the
# resources its labels select, as the three real ones do (the LogicalVolume, selected by the
# name mx1.example.org alone, goes to none of the copies). Timing: /usr/bin/time -f '%e %M'
# (wall seconds, peak RSS KB), median of the runs; results in bench/results/fleet.txt.
set -euo pipefail
bench="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$bench")"
hosts=1000; runs=3; build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) hosts="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "unknown option $1" >&2; exit 1 ;;
    esac
done
if [ "$build" = 1 ]; then
    log="$(mktemp)"
    (cd "$repo" && swift build -c release --product reconcile > "$log" 2>&1) || { cat "$log" >&2; echo "release build failed" >&2; exit 1; }
    rm -f "$log"
fi
R="$repo/.build/release/reconcile"
work="$bench/work/fleet"
rm -rf "$work"; mkdir -p "$work/facts" "$bench/results"
python3 - "$repo/manifests/example/facts" "$work/facts" "$hosts" <<'PY'
import json, sys
source, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
templates = [json.load(open(f"{source}/{name}.example.org.json")) for name in ("mx1", "mx2", "ci1")]
for i in range(count):
    facts = dict(templates[i % 3])
    facts["host"] = f"host{i:04d}-{['mx1', 'mx2', 'ci1'][i % 3]}.example.org"
    with open(f"{target}/{facts['host']}.json", "w") as f:
        json.dump(facts, f, sort_keys=True)
PY
out="$bench/results/fleet.txt"
{
    echo "# bench/fleet.sh -n $hosts --runs $runs; $(date -u +%FT%TZ); $(nproc) cores; reconcile $("$R" --version) (release)"
    echo "# command: reconcile plan --facts $hosts-facts/ --out plans/ manifests/example"
    echo "run wall_s peak_kb plans"
} >"$out"
for run in $(seq "$runs"); do
    rm -rf "$work/plans"
    /usr/bin/time -f '%e %M' -o "$work/time" "$R" plan --facts "$work/facts" --out "$work/plans" "$repo/manifests/example" >"$work/summary.txt"
    read -r wall peak <"$work/time"
    plans=$(find "$work/plans" -name '*.json' ! -name summary.json | wc -l)
    echo "$run $wall $peak $plans" | tee -a "$out"
done
tail -3 "$work/summary.txt" | tee -a "$out"
