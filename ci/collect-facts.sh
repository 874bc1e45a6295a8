#!/usr/bin/env bash
# Collects facts from hosts over SSH into FACTS/HOST.json (commit them, or keep them as a CI
# artifact for the plan job). Each host runs `reconcile facts` on the manifests shipped to it;
# its name and labels (--label, /etc/reconcile/labels) decide which resources it probes.
#
# Usage: ci/collect-facts.sh HOST...
# Env: FACTS (default facts), SSH_OPTIONS, RECONCILE (path on the hosts), REMOTE_MANIFESTS
#      (where the manifests are on the hosts; default /etc/reconcile/manifests), SSH_USER
#      (default root), REMOTE_ROOT (--root on the hosts, if any).
set -euo pipefail
: "${FACTS:=facts}" "${RECONCILE:=reconcile}" "${SSH_OPTIONS:=}" "${REMOTE_MANIFESTS:=/etc/reconcile/manifests}"
read -r -a options <<<"$SSH_OPTIONS"
root=()
if [[ -n "${REMOTE_ROOT:-}" ]]; then root=(--root "$REMOTE_ROOT"); fi
mkdir -p "$FACTS"
failed=0
for host in "$@"; do
    # shellcheck disable=SC2029  # expanded here on purpose
    if ssh "${options[@]}" "${SSH_USER:-root}@$host" "$RECONCILE" facts --host "$host" "${root[@]}" "$REMOTE_MANIFESTS" >"$FACTS/$host.json.tmp"; then
        mv "$FACTS/$host.json.tmp" "$FACTS/$host.json"
        echo "$host: facts collected"
    else
        rm -f "$FACTS/$host.json.tmp"
        echo "$host: could not collect facts" >&2
        failed=1
    fi
done
exit "$failed"
