#!/usr/bin/env bash
# Benchmarks reconcile at scale, side by side with Ansible and Puppet (issue 8).
# Not a test: run it by hand. Results: bench/results/{results.csv,processes.csv,summary.md,time-vs-n.png,cdb.txt}.
#
#   bench/run.sh [-n "100 1000 10000"] [--runs 3] [--ansible-n "100 1000"] [--ansible-runs 1]
#                [--no-ansible] [--no-puppet] [--no-cdb] [--no-build]
#
# Needs: root, a Swift toolchain, python3 (venv), strace, /usr/bin/time, puppet (Debian package),
# tinycdb; ansible-core and matplotlib are installed into bench/.venv on first use.
# Every timing is `/usr/bin/time -f '%e %M'` (wall seconds, peak RSS KB); tools are interleaved
# within each run so that noise from other load falls on all of them alike.
set -euo pipefail

bench="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$bench")"
sizes="100 1000 10000"; runs=3; ansible_sizes="100 1000"; ansible_runs=1
do_ansible=1; do_puppet=1; do_cdb=1; do_build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n) sizes="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --ansible-n) ansible_sizes="$2"; shift 2 ;;
        --ansible-runs) ansible_runs="$2"; shift 2 ;;
        --no-ansible) do_ansible=0; shift ;;
        --no-puppet) do_puppet=0; shift ;;
        --no-cdb) do_cdb=0; shift ;;
        --no-build) do_build=0; shift ;;
        -h|--help) sed -n 2,11p "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 1 ;;
    esac
done

# The mixed workload's GitLabRunners read their token from here ({env: BENCH_RUNNER_TOKEN});
# glrt- makes it an authentication token, the only kind a staged (--root) plan accepts.
export BENCH_RUNNER_TOKEN=glrt-bench-not-a-secret

work="$bench/work"; results="$bench/results"
mkdir -p "$work" "$results"
venv="$bench/.venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -c 'import matplotlib' 2>/dev/null || "$venv/bin/pip" install -q matplotlib
if [ "$do_ansible" = 1 ] && [ ! -x "$venv/bin/ansible-playbook" ]; then "$venv/bin/pip" install -q ansible-core; fi
[ "$do_puppet" = 0 ] || command -v puppet >/dev/null || { echo "puppet missing (apt-get install puppet) or use --no-puppet" >&2; exit 1; }
command -v strace >/dev/null || { echo "strace missing (apt-get install strace)" >&2; exit 1; }

# SwiftPM prints compile errors on standard output: keep it, and show it when the build fails.
if [ "$do_build" = 1 ]; then
    (cd "$repo" && swift build -c release --product reconcile > "$work/build.log" 2>&1) || { cat "$work/build.log" >&2; echo "release build failed" >&2; exit 1; }
fi
R="$repo/.build/release/reconcile"

csv="$results/results.csv"; procs="$results/processes.csv"
echo "n,workload,tool,op,run,wall_s,peak_kb" > "$csv"
echo "n,workload,command,processes,programs" > "$procs"

# measure N WORKLOAD TOOL OP RUN EXPECT_RC CMD...  (EXPECT_RC "-" = any of 0/2)
measure() {
    local n="$1" wl="$2" tool="$3" op="$4" run="$5" expect="$6"; shift 6
    local rc=0
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/last.out" 2> "$work/last.err" || rc=$?
    if { [ "$expect" = "-" ] && [ "$rc" != 0 ] && [ "$rc" != 2 ]; } || { [ "$expect" != "-" ] && [ "$rc" != "$expect" ]; }; then
        echo "FAILED ($rc, wanted $expect): $*" >&2; tail -20 "$work/last.out" "$work/last.err" >&2; exit 1
    fi
    read -r w m < <(tail -1 "$work/time")
    echo "$n,$wl,$tool,$op,$run,$w,$m" >> "$csv"
    printf '  %-6s %-6s %-9s %-22s run %s: %6.2f s %8d KB\n' "$n" "$wl" "$tool" "$op" "$run" "$w" "$m"
}

# count_procs N WORKLOAD LABEL CMD...: external programs one run execs (strace -f, execve), the tool itself excluded
count_procs() {
    local n="$1" wl="$2" label="$3"; shift 3
    strace -f -qq -e trace=execve -e signal=none -o "$work/strace" "$@" > /dev/null 2>&1 || true
    local count progs
    count=$(grep -c 'execve(' "$work/strace" || true); count=$((count - 1))
    progs=$(grep 'execve(' "$work/strace" | tail -n +2 | sed -E 's/.*execve\("([^"]*)".*/\1/' | xargs -rn1 basename | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=" "}')
    echo "$n,$wl,\"$label\",$count,\"$progs\"" >> "$procs"
    printf '  %-6s %-6s %-30s %4d processes: %s\n' "$n" "$wl" "$label" "$count" "$progs"
}

for n in $sizes; do
    d="$work/$n"; rm -rf "$d"; mkdir -p "$d"
    echo "== N=$n: generating"
    python3 "$bench/gen.py" files "$n" "$d/files" "$d/stage"
    python3 "$bench/gen.py" mixed "$n" "$d/mixed"

    echo "== N=$n: mixed kinds (reconcile)"
    mstage="$d/mixed-stage"; mkdir -p "$mstage"
    # Facts: files/units/relay/proxies probed by reconcile itself under an empty staging root
    # (units via systemctl --root); LogicalVolume facts synthesized (no device-mapper here).
    "$R" facts --root "$mstage" --out "$d/facts.json" "$d/mixed/live" > /dev/null
    python3 "$bench/gen.py" lvfacts "$n" "$d/facts.json"
    for i in $(seq 1 "$runs"); do
        measure "$n" mixed reconcile validate "$i" 0 "$R" validate "$d/mixed/live" "$d/mixed/lv"
        measure "$n" mixed reconcile plan-facts "$i" 2 "$R" plan --detailed-exitcode --facts "$d/facts.json" "$d/mixed/live" "$d/mixed/lv"
    done
    count_procs "$n" mixed "plan --facts (all kinds)" "$R" plan --facts "$d/facts.json" "$d/mixed/live" "$d/mixed/lv"
    count_procs "$n" mixed "plan --root, fresh (no LVs)" "$R" plan --root "$mstage" "$d/mixed/live"
    for i in $(seq 1 "$runs"); do
        rm -rf "$mstage"; mkdir -p "$mstage"
        measure "$n" mixed reconcile apply "$i" 2 "$R" apply --detailed-exitcode --auto-approve --root "$mstage" "$d/mixed/live"
        measure "$n" mixed reconcile noop-plan "$i" 0 "$R" plan --detailed-exitcode --root "$mstage" "$d/mixed/live"
    done
    count_procs "$n" mixed "plan --root, no-op (no LVs)" "$R" plan --root "$mstage" "$d/mixed/live"
    rm -rf "$mstage"; mkdir -p "$mstage"
    count_procs "$n" mixed "apply --root, fresh (no LVs)" "$R" apply --auto-approve --root "$mstage" "$d/mixed/live"

    echo "== N=$n: $n files, reconcile / puppet / ansible interleaved"
    tools="reconcile"
    [ "$do_puppet" = 1 ] && tools="$tools puppet"
    if [ "$do_ansible" = 1 ] && [[ " $ansible_sizes " == *" $n "* ]]; then tools="$tools ansible"; fi
    for i in $(seq 1 "$runs"); do
        for tool in $tools; do
            if [ "$tool" = ansible ] && [ "$i" -gt "$ansible_runs" ]; then continue; fi
            s="$d/stage/$tool"; rm -rf "$s"; mkdir -p "$s"
            case "$tool" in
            reconcile)
                measure "$n" files reconcile check-fresh "$i" 2 "$R" plan --detailed-exitcode --root "$s" "$d/files/files.yaml"
                measure "$n" files reconcile apply "$i" 2 "$R" apply --detailed-exitcode --auto-approve --root "$s" "$d/files/files.yaml"
                measure "$n" files reconcile check-noop "$i" 0 "$R" plan --detailed-exitcode --root "$s" "$d/files/files.yaml" ;;
            puppet)
                measure "$n" files puppet check-fresh "$i" 0 puppet apply --noop "$d/files/site.pp"
                measure "$n" files puppet apply "$i" 0 puppet apply "$d/files/site.pp"
                measure "$n" files puppet check-noop "$i" 0 puppet apply --noop "$d/files/site.pp" ;;
            ansible)
                measure "$n" files ansible check-fresh "$i" 0 "$venv/bin/ansible-playbook" -i localhost, --check "$d/files/playbook.yml"
                measure "$n" files ansible apply "$i" 0 "$venv/bin/ansible-playbook" -i localhost, "$d/files/playbook.yml"
                measure "$n" files ansible check-noop "$i" 0 "$venv/bin/ansible-playbook" -i localhost, --check "$d/files/playbook.yml" ;;
            esac
        done
    done
    count_procs "$n" files "plan --root, no-op" "$R" plan --root "$d/stage/reconcile" "$d/files/files.yaml"
done

if [ "$do_cdb" = 1 ]; then
    echo "== cdb: 1,000,000 entries, tinycdb vs CDBWriter"
    "$bench/cdb/run.sh" | tee "$results/cdb.txt"
fi

"$venv/bin/python" "$bench/summarize.py" "$results"
echo "results in $results"
