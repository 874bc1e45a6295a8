#!/usr/bin/env bash
# Installs the reconcile package the package job built (PACKAGES/reconcile_*.deb) with apt, as
# root, so a job runs /usr/bin/reconcile on a plain Debian 12 image: no Swift needed.
set -euo pipefail
: "${PACKAGES:=packages}"
shopt -s nullglob
debs=("$PACKAGES"/reconcile_*.deb)
((${#debs[@]} == 1)) || { echo "expected one reconcile_*.deb in $PACKAGES, found ${#debs[@]} (did the package job run?)" >&2; exit 1; }
deb=${debs[0]}
[[ "$deb" == /* ]] || deb=./$deb   # apt takes a file for a package name only as a path
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
reconcile --version
