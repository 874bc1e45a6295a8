#!/bin/bash
# Host side: runs Tests/vm/lvm-test.sh (or GUEST=Tests/vm/lvm-kill-test.sh, the SIGKILL test)
# against the built binary in a throw-away qemu guest with device-mapper and dm-cache
# (../shared/vm/run-in-vm, plain mode).
# Usage: [GUEST=SCRIPT] Tests/vm/run-lvm-tests.sh [BINARY]   (default .build/debug/reconcile);
# WORK=DIR keeps logs.
set -euo pipefail
REPO=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
cd "$REPO"
BINARY=$(realpath "${1:-.build/debug/reconcile}")
for tool in lvm:lvm2 cache_check:thin-provisioning-tools mkfs.ext4:e2fsprogs; do
  PATH=$PATH:/usr/sbin:/sbin command -v "${tool%%:*}" >/dev/null ||
    { echo "missing ${tool%%:*}: apt-get install ${tool#*:} (the guest uses the host's binaries)" >&2; exit 2; }
done
if [ -z "${WORK:-}" ]; then mkdir -p .build; WORK=$(mktemp -d "$REPO/.build/vm-lvm.XXXXXX"); fi
mkdir -p "$WORK"
echo "# binary: $BINARY; logs: $WORK" >&2
exec ../shared/vm/run-in-vm -t 1800 -w "$(realpath "$WORK")" -f "${GUEST:-Tests/vm/lvm-test.sh}" "$BINARY" "$(realpath "$WORK")"
