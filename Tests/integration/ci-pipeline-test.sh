#!/usr/bin/env bash
# The example GitLab CI pipeline's scripts (ci/*.sh), run locally the way its jobs run them,
# against the bundled example fleet (manifests/example, facts of mx1, mx2 and ci1): plans and
# summary published, errors fail the job, data-loss plans flagged. ci/apply-host.sh and
# ci/collect-facts.sh need SSH: Tests/fleet/run-fleet-test.sh drives them against real sshd.
#
# Usage: Tests/integration/ci-pipeline-test.sh [BINARY]   (default: .build/debug/reconcile)
set -uo pipefail
REPO=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
cd "$REPO" || exit 2
RECONCILE=$(realpath "${1:-.build/debug/reconcile}")
export RECONCILE
T=$(mktemp -d /tmp/reconcile-ci-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASSED=0 FAILED=0
check() {   # check DESCRIPTION CONDITION-STATUS [DETAIL]
    if [[ "$2" == 0 ]]; then
        PASSED=$((PASSED + 1)); echo "ok - $1"
        return
    fi
    FAILED=$((FAILED + 1)); echo "not ok - $1"
    local line
    while IFS= read -r line; do echo "#   $line"; done <<<"${3:-}"
}
run() {     # run NAME ENV... -- CMD...: output in $T/NAME.log, status in RC
    local name=$1; shift
    local env=()
    while [[ "$1" != -- ]]; do env+=("$1"); shift; done
    shift
    RC=0; env "${env[@]}" "$@" >"$T/$name.log" 2>&1 || RC=$?
}

# The job definitions name scripts that exist.
python3 - ci/gitlab-ci.yml <<'PY' >"$T/jobs.log" 2>&1
import os, sys, yaml
pipeline = yaml.safe_load(open(sys.argv[1]))
for job in ("package", "validate", "plan", "apply"):
    for line in pipeline[job].get("before_script", []) + pipeline[job]["script"]:
        script = line.split()[0]
        assert os.access(script, os.X_OK), f"{job}: {script} is not executable"
assert pipeline["plan"]["allow_failure"]["exit_codes"] == [3]
# Built once: every other job needs the package job and installs its .deb (the apply on its host).
assert pipeline["package"]["artifacts"]["paths"] == ["packages/"]
for job in ("validate", "plan", "apply"):
    assert "package" in pipeline[job]["needs"], f"{job} does not need the package job"
for job in ("validate", "plan"):
    assert pipeline[job]["before_script"] == ["ci/install-package.sh"], job
assert pipeline["apply"]["variables"]["PACKAGE"] == "$PACKAGES"
assert pipeline["validate"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
assert pipeline["variables"]["RECONCILE"] == "/usr/bin/reconcile"
print("jobs ok")
PY
check "gitlab-ci.yml parses, its jobs run scripts that exist, the package is built once and used by the others" $? "$(cat "$T/jobs.log")"

base=(MANIFESTS=manifests/example FACTS=manifests/example/facts)
run validate "${base[@]}" CODE_QUALITY_REPORT="$T/quality-ok.json" -- ci/validate.sh
check "validate job: exit 0 for every host's view" "$RC" "$(cat "$T/validate.log")"
grep -q "valid for 3 hosts: ci1.example.org, mx1.example.org, mx2.example.org" "$T/validate.log"
check "validate job: names the three hosts it checked" $? "$(cat "$T/validate.log")"

run plan "${base[@]}" PLANS="$T/plans" -- ci/plan.sh
check "plan job: exit 0" "$RC" "$(cat "$T/plan.log")"
for host in mx1 mx2 ci1; do
    [[ -s "$T/plans/$host.example.org.json" ]] && head -1 "$T/plans/$host.example.org.txt" | grep -q "^Plan for host $host.example.org (from facts"
    check "plan job: $host's plan published as JSON and text" $? "$(head -3 "$T/plans/$host.example.org.txt" 2>&1)"
done
python3 - "$T/plans/summary.json" <<'PY' >"$T/summary.log" 2>&1
import json, sys
summary = json.load(open(sys.argv[1]))
hosts = {h["host"]: h for h in summary["hosts"]}
assert sorted(hosts) == ["ci1.example.org", "mx1.example.org", "mx2.example.org"], hosts
assert summary["totals"]["hosts"] == 3 and summary["totals"]["hostsFailed"] == 0
# ci1 gets the runner, its user, the motd and the hourly monitoring plan (its folder and two
# units), not the mail relay (its packages are installed).
ci1 = hosts["ci1.example.org"]["summary"]
assert ci1["create"] + ci1["update"] == 6, ci1
print("summary ok")
PY
check "plan job: summary.json counts 3 hosts, ci1 gets only its resources" $? "$(cat "$T/summary.log")"
grep -q '^total ' "$T/plans/summary.txt"
check "plan job: the human summary table is published" $?

# A change that can lose data is flagged: the job exits 3 (a warning in GitLab) and names it.
cp -r manifests/example "$T/lossy"
sed -i 's/^size: .*/&\nstate: absent/' "$T/lossy/40-cached-volume.yaml"
run lossy MANIFESTS="$T/lossy" FACTS=manifests/example/facts PLANS="$T/lossy-plans" -- ci/plan.sh
check "plan job: a data-loss plan exits 3" "$([[ $RC == 3 ]]; echo $?)" "$(cat "$T/lossy.log")"
grep -q "DATA LOSS on mx1.example.org: LogicalVolume/storage/slowlv" "$T/lossy.log"
check "plan job: the data-loss change is named with its host" $? "$(cat "$T/lossy.log")"

# A conflict only some hosts have: validate fails and says which hosts.
cp -r manifests/example "$T/conflict"
printf 'hosts: {labels: {role: mx}}\n---\nkind: File\nname: motd-mx\npath: /etc/motd\ncontent: "mx\\n"\n' >"$T/conflict/50-motd-mx.yaml"
run conflict MANIFESTS="$T/conflict" FACTS=manifests/example/facts CODE_QUALITY_REPORT="$T/quality.json" -- ci/validate.sh
check "validate job: a conflict fails the job" "$([[ $RC == 1 ]]; echo $?)" "$(cat "$T/conflict.log")"
grep -q "/etc/motd is already managed by File/motd (on hosts mx1.example.org, mx2.example.org)" "$T/conflict.log"
check "validate job: the conflict names the hosts that have it" $? "$(cat "$T/conflict.log")"
python3 - "$T/quality.json" "$T/quality-ok.json" <<'PY' >"$T/quality.log" 2>&1
import json, sys
issues = json.load(open(sys.argv[1]))
assert json.load(open(sys.argv[2])) == [], "a valid tree gets an empty report"
conflict = [i for i in issues if "/etc/motd is already managed by File/motd" in i["description"]]
assert len(conflict) == 1, issues
issue = conflict[0]
assert issue["severity"] == "major" and issue["location"]["path"].endswith("50-motd-mx.yaml"), issue
assert issue["location"]["lines"]["begin"] >= 1 and len(issue["fingerprint"]) == 64, issue
print("code quality ok")
PY
check "validate job: the conflict is in the Code Quality report at its file and line" $? "$(cat "$T/quality.log")"

# A host whose facts do not fit the manifests fails the job; the others are still planned.
mkdir -p "$T/facts"
cp manifests/example/facts/*.json "$T/facts/"
python3 - "$T/facts/ci1.example.org.json" <<'PY'
import json, sys
path = sys.argv[1]
facts = json.load(open(path))
del facts["resources"]["GitLabRunner/podman-fedora"]
json.dump(facts, open(path, "w"))
PY
run stale MANIFESTS=manifests/example FACTS="$T/facts" PLANS="$T/stale-plans" -- ci/plan.sh
check "plan job: a host without facts for its resources fails the job" "$([[ $RC == 1 ]]; echo $?)" "$(cat "$T/stale.log")"
grep -q "FAILED ci1.example.org" "$T/stale.log" && [[ -s "$T/stale-plans/mx1.example.org.json" && ! -e "$T/stale-plans/ci1.example.org.json" ]]
check "plan job: the failing host is named, the others' plans are still published" $? "$(cat "$T/stale.log")"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
