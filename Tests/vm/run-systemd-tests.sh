#!/bin/bash
# Host side: runs Tests/vm/systemd-unit-test.sh against the built reconcile binary in a
# throw-away qemu guest with systemd as PID 1 (../shared/vm/run-in-vm --systemd).
#
# Usage: Tests/vm/run-systemd-tests.sh [BINARY]    (default: .build/debug/reconcile)
# Env:   WORK=DIR  host dir shared with the guest for the logs of every reconcile command
#                  (default: a fresh .build/vm-tests.XXXXXX in the repo)
# Exit status: the guest script's (0 all passed, 1 some failed), 124 timeout, 125 VM failure.
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

START=$(date +%s%N)
RC=0
"$VM" --systemd -t 600 -w "$WORK" -f Tests/vm/systemd-unit-test.sh "$BINARY" "$WORK" || RC=$?
echo "# run-in-vm exited $RC after $(( ($(date +%s%N) - START) / 1000000 )) ms (boot + test)" >&2
exit "$RC"
