#!/usr/bin/env bash
# Times tinycdb `cdb -c -m` against our cdb-bench (CDBWriter) on the same
# 1,000,000-entry domain -> onion map, checks the outputs are byte-identical,
# and prints wall time and peak RSS for 9 interleaved runs of each (RUNS=N to change).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$here"
work="$here/work"
entries="${ENTRIES:-1000000}"
runs="${RUNS:-9}"
mkdir -p "$work"

command -v cdb >/dev/null || { echo "tinycdb's cdb is not installed (apt-get install tinycdb)" >&2; exit 1; }

echo "== building cdb-bench (release)"
(cd "$root" && swift build -c release --product cdb-bench > "$work/build.log" 2>&1) || { cat "$work/build.log" >&2; echo "release build failed" >&2; exit 1; }
bench="$(cd "$root" && swift build -c release --show-bin-path)/cdb-bench"

map="$work/map-$entries.txt"
if [ ! -s "$map" ]; then
    echo "== generating $entries entries"
    python3 "$here/gen_map.py" "$entries" > "$map.tmp"
    mv "$map.tmp" "$map"
fi
cat "$map" > /dev/null  # warm the page cache so neither tool pays for the first read
echo "map: $map ($(wc -l < "$map") lines, $(stat -c %s "$map") bytes)"

declare -a tiny_wall tiny_rss ours_wall ours_rss
measure() {  # measure <time-output-file> <command...>
    local out="$1"; shift
    /usr/bin/time -f '%e %M' -o "$out" "$@"
}

for i in $(seq 1 "$runs"); do
    rm -f "$work/tiny.cdb" "$work/ours.cdb"
    measure "$work/time-tiny" cdb -c -m -t "$work/tiny.tmp" "$work/tiny.cdb" "$map"
    measure "$work/time-ours" "$bench" -t "$work/ours.tmp" "$work/ours.cdb" "$map"
    read -r w m < "$work/time-tiny"; tiny_wall+=("$w"); tiny_rss+=("$m")
    read -r w m < "$work/time-ours"; ours_wall+=("$w"); ours_rss+=("$m")
    if ! cmp -s "$work/tiny.cdb" "$work/ours.cdb"; then
        echo "run $i: OUTPUTS DIFFER" >&2
        cmp "$work/tiny.cdb" "$work/ours.cdb" >&2 || true
        exit 1
    fi
done
size="$(stat -c %s "$work/ours.cdb")"

python3 - "$runs" "$size" "${tiny_wall[@]}" "${tiny_rss[@]}" "${ours_wall[@]}" "${ours_rss[@]}" <<'PY'
import statistics, sys
runs = int(sys.argv[1]); size = int(sys.argv[2]); v = sys.argv[3:]
tw, tr, ow, orss = (v[i*runs:(i+1)*runs] for i in range(4))
tw, ow = [float(x) for x in tw], [float(x) for x in ow]
tr, orss = [int(x) for x in tr], [int(x) for x in orss]
print(f"\noutputs byte-identical (cmp) in all {runs} runs; cdb size {size} bytes\n")
print(f"{'tool':<24}" + "".join(f"{'run'+str(i+1)+' s':>9}" for i in range(runs)) + f"{'median s':>10}{'peak KB':>10}")
for name, w, r in (("tinycdb cdb -c -m", tw, tr), ("cdb-bench (CDBWriter)", ow, orss)):
    print(f"{name:<24}" + "".join(f"{x:>9.2f}" for x in w) + f"{statistics.median(w):>10.2f}{max(r):>10}")
mt, mo = statistics.median(tw), statistics.median(ow)
ratio = mo / mt if mt > 0 else float("nan")
print(f"\nratio ours/tinycdb (median wall): {ratio:.2f}  ({'faster' if ratio < 1 else 'slower' if ratio > 1 else 'same'})")
print(f"ratio ours/tinycdb (peak RSS):    {max(orss)/max(tr):.2f}")
wins = sum(1 for a, b in zip(ow, tw) if a < b)
ties = sum(1 for a, b in zip(ow, tw) if a == b)
print(f"ours faster in {wins} of {runs} interleaved pairs ({ties} ties)")
PY
