#!/bin/bash
# Integration test: the LogicalVolume provider against real lvm2 and dm-cache in a real kernel.
# Runs INSIDE the guest of `run-in-vm` (plain mode); on the host use Tests/vm/run-lvm-tests.sh.
#
# Loop-backed slow (2G) and fast (512M) PVs, an ext4 filesystem with checksummed files, then
# `reconcile apply` for: create LV, attach cache, grow (recache and online), change cache mode,
# change cache size, remove cache, grow a filesystem left smaller than its LV, remove LV; after
# each: checksums hold, lvs shows the wanted state, and a second plan is empty. One apply is
# killed with SIGKILL between uncache and recache; the next apply converges with the data
# intact. Then an LV left out of the manifest (removed only with --allow-data-loss) and one
# dropped by `reconcile forget` (left alone).
# Usage (in the guest): lvm-test.sh RECONCILE_BINARY [LOG_DIR]. Prints ok/not ok lines, then
# `N passed, M failed`.
set -uo pipefail

BIN=${1:?usage: lvm-test.sh RECONCILE_BINARY [LOG_DIR]}
TMP=$(mktemp -d /tmp/reconcile-lvm-test.XXXXXX)
LOGS=${2:-$TMP/logs}
M=$TMP/lv.yaml
STATE=$TMP/state
MNT=/mnt/reconcile-test
SUMS=$TMP/sums
mkdir -p "$LOGS" "$STATE" "$MNT"
export LVM_SUPPRESS_FD_WARNINGS=1
PASSED=0 FAILED=0 N=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $1"; shift; for line in "$@"; do echo "#   $line"; done; }
check() {   # check DESCRIPTION WANT GOT
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: '$2'" "got:      '$3'"; fi
}
logged() {  # logged NAME CMD...: sets RC and LOG
  local name=$1; shift
  N=$((N + 1)); LOG=$(printf '%s/%02d-%s.log' "$LOGS" "$N" "$name")
  echo "\$ $*" >"$LOG"; RC=0; "$@" >>"$LOG" 2>&1 || RC=$?; echo "[exit $RC]" >>"$LOG"
}
show_log() { sed 's/^/#   /' "$LOG" | tail -n 25; }

manifest() {  # manifest SIZE [cache-yaml-lines...]
  { printf 'kind: LogicalVolume\nname: storage/slowlv\nsize: %s\nresizeFilesystem: true\npvs: [%s]\n' "$1" "$SLOW"
    shift
    if [ $# -gt 0 ]; then printf 'cache:\n'; printf '  %s\n' "$@"; fi
  } >"$M"
}
apply() {   # apply NAME [extra args]: apply, then the second plan must be empty
  local name=$1; shift
  logged "$name-apply" "$BIN" apply --auto-approve --state-dir "$STATE" "$@" "$M"
  if [ "$RC" = 0 ]; then ok "$name: apply exits 0"; else not_ok "$name: apply exits 0 (got $RC)"; show_log; fi
  logged "$name-plan" "$BIN" plan --detailed-exitcode --state-dir "$STATE" "$M"
  if [ "$RC" = 0 ]; then ok "$name: second plan is empty"; else not_ok "$name: second plan is empty (got $RC)"; show_log; fi
}
lv_field() { lvs --noheadings --units b --nosuffix -o "$1" storage/slowlv 2>/dev/null | tr -d ' '; }
data_intact() {
  sync; echo 3 >/proc/sys/vm/drop_caches
  if (cd "$MNT" && sha256sum --quiet -c "$SUMS" >/dev/null 2>&1); then ok "$1: checksums hold"
  else not_ok "$1: checksums hold"; fi
}
write_file() { dd if=/dev/urandom of="$MNT/$1" bs=1M count="$2" status=none; sync; (cd "$MNT" && sha256sum "$1") >>"$SUMS"; }

truncate -s 2G "$TMP/slow.img"; truncate -s 512M "$TMP/fast.img"
SLOW=$(losetup -f --show "$TMP/slow.img"); FAST=$(losetup -f --show "$TMP/fast.img")
pvcreate -q "$SLOW" "$FAST" && vgcreate -q storage "$SLOW" "$FAST"
echo "# slow PV $SLOW, fast PV $FAST; $(lvm version | head -1 | tr -s ' '); kernel $(uname -r)"
CACHE_WB=("name: slowlv_cache" "mode: writeback" "size: 200M" "device: $FAST")

# 1. create the LV (no cache yet), then a filesystem and data
manifest 1G
apply create
check "create: LV size" 1073741824 "$(lv_field lv_size)"
check "create: extents on the slow PV only" "$SLOW(0)" "$(lv_field devices)"
mkfs.ext4 -q /dev/storage/slowlv && mount /dev/storage/slowlv "$MNT" && : >"$SUMS"
write_file one 64

# 2. attach a writeback cache (the seed's lvcreate)
manifest 1G "${CACHE_WB[@]}"
apply attach-cache
check "attach-cache: segtype" cache "$(lv_field segtype)"
check "attach-cache: mode" writeback "$(lv_field cache_mode)"
write_file two 64
data_intact attach-cache

# 3. grow with the recache strategy (auto picks it on this kernel): uncache (flush), resize -r, recache
manifest 1536M "${CACHE_WB[@]}"
logged grow-plan "$BIN" plan --state-dir "$STATE" "$M"
if grep -q "strategy recache" "$LOG"; then ok "grow: the plan says recache and why"; else not_ok "grow: the plan says recache and why"; show_log; fi
apply grow-recache
check "grow-recache: LV size" 1610612736 "$(lv_field lv_size)"
check "grow-recache: cached again" cache "$(lv_field segtype)"
check "grow-recache: filesystem grew" 1 "$(( $(df -B1M --output=size "$MNT" | tail -1) > 1400 ))"
data_intact grow-recache

# 4. grow in place (resizeStrategy: online)
write_file three 32
manifest 1792M "${CACHE_WB[@]}"
echo "resizeStrategy: online" >>"$M"
apply grow-online
check "grow-online: LV size" 1879048192 "$(lv_field lv_size)"
check "grow-online: still cached" cache "$(lv_field segtype)"
data_intact grow-online

# 5. cache mode change: one lvchange, no uncache
manifest 1792M "name: slowlv_cache" "mode: writethrough" "size: 200M" "device: $FAST"
apply mode-change
check "mode-change: mode" writethrough "$(lv_field cache_mode)"
if grep -q "lvconvert" "$LOGS"/*mode-change-apply.log; then not_ok "mode-change: no uncache"; else ok "mode-change: no uncache"; fi
data_intact mode-change

# 6. cache size change: uncache + recache
manifest 1792M "name: slowlv_cache" "mode: writeback" "size: 100M" "device: $FAST"
apply cache-size
check "cache-size: data LV of the pool" 104857600 "$(lvs --noheadings --units b --nosuffix -o lv_size storage/slowlv_cache_cpool_cdata 2>/dev/null | tr -d ' ')"
data_intact cache-size

# 7. SIGKILL between uncache and recache, then converge
write_file four 32
manifest 1920M "${CACHE_WB[@]}"
N=$((N + 1)); LOG=$(printf '%s/%02d-killed-apply.log' "$LOGS" "$N")
"$BIN" apply --auto-approve --state-dir "$STATE" "$M" >"$LOG" 2>&1 &
APPLY=$!
for _ in $(seq 1 600); do   # until the cache is gone (uncache done), then kill at once
  [ "$(lv_field segtype)" != cache ] && break
  sleep 0.1
done
kill -KILL "$APPLY" 2>/dev/null; wait "$APPLY" 2>/dev/null
echo "# killed apply at: segtype=$(lv_field segtype) size=$(lv_field lv_size)"
apply after-kill
check "after-kill: LV size" 2013265920 "$(lv_field lv_size)"
check "after-kill: cached" cache "$(lv_field segtype)"
data_intact after-kill

# 8. remove the cache from the manifest
manifest 1920M
apply remove-cache
check "remove-cache: segtype" linear "$(lv_field segtype)"
data_intact remove-cache

# 8b. a grow stopped between its halves (the LV grown, its filesystem not: what a power cut in
# `lvresize --resizefs` leaves): the LV has the manifest's size, and the plan grows the filesystem
fs_bytes() {
  local info; info=$(dumpe2fs -h /dev/storage/slowlv 2>/dev/null)
  echo $(( $(sed -n 's/^Block count: *//p' <<<"$info") * $(sed -n 's/^Block size: *//p' <<<"$info") ))
}
lvextend -q -L 1984M storage/slowlv "$SLOW" >/dev/null 2>&1
check "grown halfway: the LV is grown, its filesystem is not" "2080374784 2013265920" "$(lv_field lv_size) $(fs_bytes)"
manifest 1984M
logged grown-halfway-plan "$BIN" plan --detailed-exitcode --state-dir "$STATE" "$M"
check "grown halfway: plan exits 2" 2 "$RC"
if grep -q "fsadm --yes resize storage/slowlv" "$LOG" && grep -q "spans 1920 MiB of its 1984 MiB" "$LOG"; then
  ok "grown halfway: the plan grows the filesystem and says why"
else not_ok "grown halfway: the plan grows the filesystem and says why"; show_log; fi
apply grown-halfway
check "grown halfway: the filesystem spans the LV" 2080374784 "$(fs_bytes)"
data_intact grown-halfway

# 9. state: absent needs --allow-data-loss
umount "$MNT"
printf 'kind: LogicalVolume\nname: storage/slowlv\nstate: absent\n' >"$M"
logged absent-refused "$BIN" apply --auto-approve --state-dir "$STATE" "$M"
check "absent: refused without --allow-data-loss" 1 "$RC"
check "absent: LV still there" slowlv "$(lv_field lv_name)"
apply absent --allow-data-loss
check "absent: LV gone" "" "$(lv_field lv_name)"

# 10. left out of the manifests: an LV in the inventory and in no manifest is removed only with
# --allow-data-loss; one dropped with `reconcile forget` is left alone. Two small LVs in the
# space slowlv freed; the manifest keeps section 9's absent slowlv (a no-op) so it is never empty.
INVENTORY=$STATE/inventory.jsonl
small_lvs() {   # small_lvs NAME...: the manifest declares slowlv absent and these 64M LVs
  printf 'kind: LogicalVolume\nname: storage/slowlv\nstate: absent\n' >"$M"
  local lv
  for lv in "$@"; do printf -- '---\nkind: LogicalVolume\nname: storage/%s\nsize: 64M\npvs: [%s]\n' "$lv" "$SLOW" >>"$M"; done
}
lv_of() { lvs --noheadings -o "$2" "storage/$1" 2>/dev/null | tr -d ' '; }
managed() {   # managed ADDRESS: True/False, whether the inventory has it
  python3 -c 'import json, sys; print(any(json.loads(l).get("address") == sys.argv[2] for l in open(sys.argv[1]) if l.strip()))' "$INVENTORY" "$1" 2>&1
}
head_sum() { sync; echo 3 >/proc/sys/vm/drop_caches; head -c 1M "/dev/storage/$1" 2>&1 | sha256sum | cut -d' ' -f1; }
small_lvs gonelv keptlv
apply undeclared-create
check "undeclared-create: both LVs exist" "gonelv keptlv" "$(lv_of gonelv lv_name) $(lv_of keptlv lv_name)"
check "undeclared-create: the inventory has both" "True True" "$(managed LogicalVolume/storage/gonelv) $(managed LogicalVolume/storage/keptlv)"
dd if=/dev/urandom of=/dev/storage/keptlv bs=1M count=1 conv=fsync status=none
KEPT_SUM=$(head_sum keptlv) KEPT_UUID=$(lv_of keptlv lv_uuid)

# gonelv left out: refused without --allow-data-loss, nothing changed
small_lvs keptlv
logged undeclared-refused "$BIN" apply --auto-approve --state-dir "$STATE" "$M"
check "undeclared: apply without --allow-data-loss exits 1" 1 "$RC"
if grep -q "this plan can lose data (LogicalVolume/storage/gonelv); nothing was changed" "$LOG"; then ok "undeclared: the refusal says data can be lost and names the LV"
else not_ok "undeclared: the refusal says data can be lost and names the LV"; show_log; fi
check "undeclared: LV still there after the refusal" gonelv "$(lv_of gonelv lv_name)"
check "undeclared: still in the inventory after the refusal" True "$(managed LogicalVolume/storage/gonelv)"
N=$((N + 1)); LOG=$(printf '%s/%02d-undeclared-plan.log' "$LOGS" "$N")
RC=0; "$BIN" plan --json --state-dir "$STATE" "$M" >"${LOG%.log}.json" 2>"$LOG" || RC=$?
check "undeclared: plan --json exits 0" 0 "$RC"
check "undeclared: plan --json: gonelv delete, undeclared, data-loss" "delete undeclared data-loss" "$(python3 -c '
import json, sys
found = [c for c in json.load(open(sys.argv[1]))["changes"] if c["address"] == "LogicalVolume/storage/gonelv"]
print(" ".join(str(found[0].get(k)) for k in ("action", "cause", "risk")) if len(found) == 1 else f"{len(found)} changes")' "${LOG%.log}.json" 2>&1)"
apply undeclared-remove --allow-data-loss
check "undeclared-remove: gonelv gone" "" "$(lv_of gonelv lv_name)"
check "undeclared-remove: the inventory no longer has it" False "$(managed LogicalVolume/storage/gonelv)"
check "undeclared-remove: keptlv untouched" "keptlv $KEPT_UUID $KEPT_SUM" "$(lv_of keptlv lv_name) $(lv_of keptlv lv_uuid) $(head_sum keptlv)"

# keptlv forgotten, then left out: nothing to do, and the LV stays as it was
logged forget "$BIN" forget LogicalVolume/storage/keptlv --state-dir "$STATE"
check "forget: exits 0" 0 "$RC"
if grep -q "^forgot LogicalVolume/storage/keptlv (the host is unchanged)$" "$LOG"; then ok "forget: says what it forgot"; else not_ok "forget: says what it forgot"; show_log; fi
check "forget: the inventory no longer has it" False "$(managed LogicalVolume/storage/keptlv)"
check "forget: the LV is untouched" "keptlv $KEPT_UUID $KEPT_SUM" "$(lv_of keptlv lv_name) $(lv_of keptlv lv_uuid) $(head_sum keptlv)"
small_lvs
logged forgotten-plan "$BIN" plan --detailed-exitcode --state-dir "$STATE" "$M"
check "forgotten and left out: the plan is empty" 0 "$RC"
apply forgotten --allow-data-loss   # even with data loss allowed, nothing is removed
check "forgotten and left out: the LV is untouched after an apply" "keptlv $KEPT_UUID $KEPT_SUM" "$(lv_of keptlv lv_name) $(lv_of keptlv lv_uuid) $(head_sum keptlv)"

vgchange -q -an storage >/dev/null 2>&1; losetup -D
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
