#!/usr/bin/env bash
# Installs the reconcile package the package job built (PACKAGES/reconcile_*.deb) with apt, as
# root, so a job runs /usr/bin/reconcile on a plain Debian 12 image: no Swift needed.
set -euo pipefail
: "${PACKAGES:=packages}"
shopt -s nullglob
debs=("$PACKAGES"/reconcile_*.deb)
((${#debs[@]} == 1)) || { echo "expected one reconcile_*.deb in $PACKAGES, found ${#debs[@]} (did the package job run?)" >&2; exit 1; }
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./${debs[0]}" >/dev/null
reconcile --version
