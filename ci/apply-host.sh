#!/usr/bin/env bash
# CI job "apply" for one host: copies the plan reviewed in the merge request to the host and
# applies exactly it. The host probes again first and refuses a plan whose facts moved ("stale
# plan": nothing changes, exit 1); re-collect its facts and plan again.
#
# Usage: ci/apply-host.sh HOST
# Env: PLANS (default plans), SSH_TARGET (default root@HOST), SSH_OPTIONS (extra ssh/scp options),
#      RECONCILE (the binary's path on the host), REMOTE_PLAN (where the plan goes on the host),
#      REMOTE_ROOT (the host's --root, if its facts were taken with one),
#      ALLOW_DATA_LOSS=1 to pass --allow-data-loss,
#      REMOTE_ALLOWED_SIGNERS (an ssh allowed_signers file on the host): the plan's signature
#      (PLANS/HOST.json.sig, from ci/plan.sh with PLAN_SIGNING_KEY) is copied too and the host
#      refuses a plan that is unsigned or signed by a key not in that file,
#      PACKAGE (a reconcile .deb, or a folder holding one: the package job's): copied next to
#      REMOTE_PLAN and installed with apt first, so the host runs the reconcile that made the
#      plan (apt changes nothing when that version is installed already).
# The host is named HOST to reconcile (--host), as in its facts, whatever its own hostname.
# Exit: 0 nothing changed, 2 changes applied, 1 error or stale plan.
set -euo pipefail
host=${1:?usage: ci/apply-host.sh HOST}
: "${PLANS:=plans}" "${RECONCILE:=reconcile}" "${SSH_TARGET:=root@$host}" "${SSH_OPTIONS:=}"
: "${REMOTE_PLAN:=/var/lib/reconcile/incoming/$host.json}"
plan="$PLANS/$host.json"
[[ -f "$plan" ]] || { echo "no plan for $host in $PLANS (was it planned?)" >&2; exit 1; }
read -r -a options <<<"$SSH_OPTIONS"
extra=(--host "$host")
if [[ -n "${REMOTE_ROOT:-}" ]]; then extra+=(--root "$REMOTE_ROOT"); fi
if [[ "${ALLOW_DATA_LOSS:-0}" == 1 ]]; then extra+=(--allow-data-loss); fi
ssh "${options[@]}" "$SSH_TARGET" mkdir -p "$(dirname "$REMOTE_PLAN")"
scp -q "${options[@]}" "$plan" "$SSH_TARGET:$REMOTE_PLAN"
if [[ -n "${REMOTE_ALLOWED_SIGNERS:-}" ]]; then
    extra+=(--allowed-signers "$REMOTE_ALLOWED_SIGNERS")
    # A missing signature is copied as nothing: the host then refuses the unsigned plan.
    ssh "${options[@]}" "$SSH_TARGET" rm -f "$REMOTE_PLAN.sig"
    if [[ -f "$plan.sig" ]]; then scp -q "${options[@]}" "$plan.sig" "$SSH_TARGET:$REMOTE_PLAN.sig"; fi
fi
if [[ -n "${PACKAGE:-}" ]]; then
    if [[ -d "$PACKAGE" ]]; then
        debs=("$PACKAGE"/reconcile_*.deb)
        [[ ${#debs[@]} == 1 && -f "${debs[0]}" ]] || { echo "expected one reconcile_*.deb in $PACKAGE (was the package job run?)" >&2; exit 1; }
        PACKAGE=${debs[0]}
    fi
    [[ -f "$PACKAGE" ]] || { echo "no package $PACKAGE (was the package job run?)" >&2; exit 1; }
    remote_package="$(dirname "$REMOTE_PLAN")/$(basename "$PACKAGE")"
    scp -q "${options[@]}" "$PACKAGE" "$SSH_TARGET:$remote_package"
    # shellcheck disable=SC2029  # expanded here on purpose
    ssh "${options[@]}" "$SSH_TARGET" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$remote_package" \
        || { echo "$host: installing $(basename "$PACKAGE") failed" >&2; exit 1; }
fi
status=0
# shellcheck disable=SC2029  # expanded here on purpose: the remote command is fixed, its paths are ours
ssh "${options[@]}" "$SSH_TARGET" "$RECONCILE" apply --auto-approve --detailed-exitcode "${extra[@]}" "$REMOTE_PLAN" || status=$?
case $status in
    0) echo "$host: nothing to change" ;;
    2) echo "$host: changes applied" ;;
    *) echo "$host: apply failed (exit $status)" >&2 ;;
esac
exit "$status"
