#!/bin/bash
# Integration test: Filesystem and Mount against the real mkfs, wipefs, lvm2 and systemd (PID 1):
# an LV gets a filesystem and a mount unit in one apply, grows with its filesystem while
# mounted (resizeFilesystem), and a device that has a signature is never formatted.
#
# Runs INSIDE the guest of `run-in-vm --systemd`, from the repository; on the host,
# Tests/vm/run-systemd-tests.sh starts it.
# Usage (in the guest): filesystem-mount-test.sh RECONCILE_BINARY [LOG_DIR]
set -euo pipefail

BIN=${1:?usage: filesystem-mount-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
TMP=$(mktemp -d /tmp/reconcile-filesystem-mount.XXXXXX)
M=$TMP/manifests STATE=$TMP/state
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$M" "$STATE" "$LOGS"
truncate -s 1G "$TMP/pv.img"
PV=$(losetup -f --show "$TMP/pv.img")
pvcreate -q "$PV" && vgcreate -q data "$PV"
lvcreate -q -y -L 64M -n used data && mkfs.ext4 -q -L keep /dev/data/used

manifest() {   # manifest SIZE
  cat >"$M/storage.yaml" <<YAML
kind: LogicalVolume
name: data/vol
size: $1
resizeFilesystem: true
pvs: [$PV]
---
kind: Filesystem
name: vol
device: /dev/data/vol
type: ext4
options: [-L, vol]
dependsOn: [LogicalVolume/data/vol]
---
kind: Mount
name: vol
what: /dev/data/vol
where: /srv/vol
type: ext4
options: noatime
dependsOn: [Filesystem/vol]
YAML
}
size_mib() { df -BM --output=size /srv/vol 2>/dev/null | tail -1 | tr -dc 0-9; }

# 1. LV, filesystem, mount in one apply
manifest 256M
apply "LV, filesystem and mount"
check_eq "mounted ext4 from the LV" "/dev/mapper/data-vol ext4" "$(findmnt -n -o SOURCE,FSTYPE /srv/vol 2>&1)"
check_eq "the label came from options" "vol" "$(blkid -o value -s LABEL /dev/data/vol 2>&1)"
check_eq "the mount unit is enabled and active" "enabled active" "$(is_enabled srv-vol.mount) $(is_active srv-vol.mount)"
check_eq "noatime applied" "yes" "$(findmnt -n -o OPTIONS /srv/vol | grep -qw noatime && echo yes || echo no)"
head -c 1M /dev/urandom >/srv/vol/data && SUM=$(sha256sum </srv/vol/data)
plan_exit "second plan" 0

# 2. the LV grows with its filesystem while mounted
manifest 512M
apply "grow to 512M"
size=$(size_mib)
check_eq "the mounted filesystem grew" "yes" "$([ "${size:-0}" -gt 400 ] && echo yes || echo "no ($size MiB)")"
check_eq "data intact" "$SUM" "$(sha256sum </srv/vol/data)"
plan_exit "after the grow" 0

# 3. a device with a signature is never formatted
before=$(wipefs --no-act --json /dev/data/used | sha256sum)
cat >"$M/bad.yaml" <<'YAML'
kind: Filesystem
name: used
device: /dev/data/used
type: btrfs
---
kind: Filesystem
name: missing
device: /dev/data/none
type: ext4
YAML
run_logged plan "$BIN" plan "$M" --state-dir "$STATE"
check_eq "a signature and a missing device: plan exits 1" 1 "$RC" "$LOG"
check_eq "both named" 2 "$(grep -c 'error: device' "$LOG" || true)" "$LOG"
run_logged apply "$BIN" apply "$M" --auto-approve --state-dir "$STATE"
check_eq "apply refuses too" 1 "$RC" "$LOG"
check_eq "the used device is untouched" "$before" "$(wipefs --no-act --json /dev/data/used | sha256sum)"
rm "$M/bad.yaml"

# 4. the mount goes; the filesystem and its data stay. The LV and the filesystem stay declared:
# left out of the manifests, the LV would be planned for removal (data-loss, refused without
# --allow-data-loss) as no longer declared.
manifest 512M
sed -i '/^kind: Mount$/,$d' "$M/storage.yaml"
cat >>"$M/storage.yaml" <<'YAML'
kind: Mount
name: vol
what: /dev/data/vol
where: /srv/vol
state: absent
YAML
apply "mount absent"
check_eq "unmounted" "" "$(findmnt -n /srv/vol 2>&1 || true)"
check_eq "unit file gone" "no" "$([ -e /etc/systemd/system/srv-vol.mount ] && echo yes || echo no)"
check_eq "the filesystem stays" "ext4" "$(blkid -o value -s TYPE /dev/data/vol 2>&1)"
plan_exit "after the removal" 0

summary "$T0"
[ "$FAILED" -eq 0 ]
