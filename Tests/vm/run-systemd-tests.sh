#!/bin/bash
# Host side: runs each guest script (Tests/vm/systemd-unit-test.sh: File + SystemdUnit;
# Tests/vm/capture-proxy-test.sh: CaptureProxy with socat and tcpdump; Tests/vm/gitlab-runner-test.sh:
# GitLabRunner with useradd and a stand-in gitlab-runner; Tests/vm/accounts-packages-test.sh: Package,
# Group and User with apt-get from a local repository, useradd and logind;
# Tests/vm/filesystem-mount-test.sh: Filesystem and Mount on an LV, grown while mounted;
# Tests/vm/rootless-runner-test.sh: the runner's user and its jobs in rootless podman;
# Tests/vm/acceptance-test.sh: one apply of the example host, then each seed procedure works) against the built
# reconcile binary, each in its own throw-away qemu guest with systemd as PID 1
# (../shared/vm/run-in-vm --systemd -k tun: slirp4netns, rootless podman's network, needs /dev/net/tun),
# from the repository (guest scripts source Tests/vm/lib.sh).
#
# Usage: Tests/vm/run-systemd-tests.sh [BINARY [SCRIPT...]]   (default: .build/debug/reconcile, all seven scripts)
# Env:   WORK=DIR  host dir shared with the guest for the logs of every reconcile command
#                  (default: a fresh .build/vm-tests.XXXXXX in the repo; one subdir per script)
# Exit status: 0 if every guest script passed, else the first failing one's (1 some checks
#              failed, 124 timeout, 125 VM failure).
set -euo pipefail

REPO=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
cd "$REPO"
VM=$REPO/../shared/vm/run-in-vm
BINARY=${1:-.build/debug/reconcile}
[ -x "$BINARY" ] || { echo "no executable at $BINARY (run swift build first)" >&2; exit 2; }
BINARY=$(realpath "$BINARY")
[ -x "$VM" ] || { echo "missing $VM" >&2; exit 2; }
if [ -z "${WORK:-}" ]; then
  mkdir -p .build
  WORK=$(mktemp -d "$REPO/.build/vm-tests.XXXXXX")
fi
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
echo "# binary: $BINARY; logs: $WORK" >&2

SCRIPTS=("${@:2}")
((${#SCRIPTS[@]})) || SCRIPTS=(Tests/vm/systemd-unit-test.sh Tests/vm/capture-proxy-test.sh Tests/vm/gitlab-runner-test.sh Tests/vm/accounts-packages-test.sh Tests/vm/filesystem-mount-test.sh Tests/vm/rootless-runner-test.sh Tests/vm/acceptance-test.sh)
FINAL=0
for script in "${SCRIPTS[@]}"; do
  logs=$WORK/$(basename "$script" .sh)
  mkdir -p "$logs"
  echo "# $script" >&2
  START=$(date +%s%N)
  RC=0
  "$VM" --systemd -k tun -t 600 -w "$WORK" -f "$script" "$BINARY" "$logs" || RC=$?
  echo "# run-in-vm exited $RC after $(( ($(date +%s%N) - START) / 1000000 )) ms (boot + test)" >&2
  if [ "$RC" -ne 0 ] && [ "$FINAL" -eq 0 ]; then FINAL=$RC; fi
done
exit "$FINAL"
