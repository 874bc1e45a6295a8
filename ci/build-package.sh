#!/usr/bin/env bash
# CI job "package": builds reconcile's Debian package once, from RECONCILE_REF of
# RECONCILE_REPOSITORY, with that repository's scripts/package (a static binary: the hosts and
# the other jobs need no Swift). The .deb goes to PACKAGES/; with the job's cache keyed on
# RECONCILE_REF, a pipeline whose cache already holds it builds nothing.
# Runs in an image with Swift 6 on Debian 12 (the package is built for the release it is built
# on); installs the Debian packages the build needs when they are missing (as root).
# Env: RECONCILE_REPOSITORY, RECONCILE_REF (a tag), PACKAGES (default packages),
#      LINTIAN (default 0: scripts/package checks the package with lintian when 1)
set -euo pipefail
: "${RECONCILE_REPOSITORY:?set RECONCILE_REPOSITORY (the git repository of reconcile)}"
: "${RECONCILE_REF:?set RECONCILE_REF (the tag to build)}" "${PACKAGES:=packages}" "${LINTIAN:=0}"
mkdir -p "$PACKAGES"
if compgen -G "$PACKAGES/reconcile_*.deb" >/dev/null && [[ -f "$PACKAGES/ref" && "$(cat "$PACKAGES/ref")" == "$RECONCILE_REF" ]]; then
    echo "reconcile $RECONCILE_REF: $(ls "$PACKAGES"/reconcile_*.deb) (from the cache)"
    exit 0
fi
rm -f "$PACKAGES"/reconcile_*.deb "$PACKAGES/ref"
needed=(git libyaml-dev pkg-config dpkg-dev binutils)
missing=()
for package in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
source=$(mktemp -d)
trap 'rm -rf "$source"' EXIT
git clone --quiet --depth 1 --branch "$RECONCILE_REF" "$RECONCILE_REPOSITORY" "$source"
out=$PACKAGES
[[ "$out" == /* ]] || out=$PWD/$out
deb=$(OUT="$out" LINTIAN="$LINTIAN" "$source/scripts/package" | tail -1)
echo "$RECONCILE_REF" >"$PACKAGES/ref"
echo "reconcile $RECONCILE_REF: $deb"
