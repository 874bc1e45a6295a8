#!/usr/bin/env bash
# CI job "plan": every host planned from its facts (no host is contacted); the plans
# (PLANS/HOST.json), a summary (PLANS/summary.json, PLANS/summary.txt) and each host's human
# plan (PLANS/HOST.txt) for review.
# With PLAN_SIGNING_KEY (a file holding an SSH private key, e.g. a GitLab CI variable of type
# File), each plan is signed too (PLANS/HOST.json.sig, `ssh-keygen -Y sign`, namespace
# reconcile-plan); the hosts then apply only plans signed by a key in their allowed signers.
# Exit 0: plans made; 1: a host could not be planned (errors above); 3: plans made, and some
# hold steps that can lose data (the summary names them).
set -euo pipefail
: "${MANIFESTS:=manifests}" "${FACTS:=facts}" "${RECONCILE:=reconcile}" "${PLANS:=plans}"
mkdir -p "$PLANS"
signing=()
if [[ -n "${PLAN_SIGNING_KEY:-}" ]]; then signing=(--sign-key "$PLAN_SIGNING_KEY"); fi
status=0
"$RECONCILE" plan --facts "$FACTS" --out "$PLANS" "${signing[@]}" "$MANIFESTS" | tee "$PLANS/summary.txt" || status=$?
for facts in "$FACTS"/*.json; do
    host=$(basename "$facts" .json)
    if [[ -f "$PLANS/$host.json" ]]; then
        "$RECONCILE" show "$PLANS/$host.json" >"$PLANS/$host.txt"
    fi
done
if ((status != 0)); then
    exit "$status"
fi
# The machine-readable count (schemas/summary.schema.json: totals.dataLoss, the only number
# under that key; the hosts' dataLoss are lists), not the human text: a CI image may have
# neither jq nor python.
if grep -Eq '"dataLoss" *: *[1-9]' "$PLANS/summary.json"; then
    echo "Some plans can lose data (see above): their applies need ALLOW_DATA_LOSS=1." >&2
    exit 3
fi
