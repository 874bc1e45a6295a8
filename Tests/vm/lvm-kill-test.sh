#!/bin/bash
# Kill test: `reconcile apply` killed with SIGKILL at many points, in a real kernel with dm-cache.
# Runs INSIDE the guest of `run-in-vm` (plain mode); on the host:
#   GUEST=Tests/vm/lvm-kill-test.sh Tests/vm/run-lvm-tests.sh
#
# A cached (writeback) LV with ext4 and checksummed data grows by 64 MiB in each of nine rounds
# (uncache with its flush, lvresize --resizefs, recache). Each round kills the apply at one point,
# chosen by watching the journal (a step starts, then a delay), by time once the grow started, or
# by time while it still plans (the ninth), then checks that a plain
# re-run converges (it waits for commands of the killed apply that still run), the LV has its size
# and its cache in writeback, the data's checksums hold, no temp file of reconcile is left and the
# next plan is empty. Then the same for a 2,000-file apply onto that filesystem.
# Usage (in the guest): lvm-kill-test.sh RECONCILE_BINARY [LOG_DIR]. Ends with
# `kills: C converged / K killed` and `N passed, M failed`.
set -uo pipefail

BIN=${1:?usage: lvm-kill-test.sh RECONCILE_BINARY [LOG_DIR]}
TMP=$(mktemp -d /tmp/reconcile-kill-test.XXXXXX)
LOGS=${2:-$TMP/logs}
M=$TMP/lv.yaml
STATE=$TMP/state
MNT=/mnt/reconcile-kill
SUMS=$TMP/sums
JOURNAL=$STATE/journal.jsonl
mkdir -p "$LOGS" "$STATE" "$MNT"
export LVM_SUPPRESS_FD_WARNINGS=1
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
KILLED=0 CONVERGED=0

lv_field() { lvs --noheadings --units b --nosuffix -o "$1" storage/slowlv 2>/dev/null | tr -d ' '; }
write_data() { dd if=/dev/urandom of="$MNT/$1" bs=1M count="$2" status=none; sync; (cd "$MNT" && sha256sum "$1") >>"$SUMS"; }
lv_manifest() {  # lv_manifest SIZE_MIB
  printf 'kind: LogicalVolume\nname: storage/slowlv\nsize: %sM\nresizeFilesystem: true\npvs: [%s]\nflushStallSeconds: 600\ncache:\n  name: slowlv_cache\n  mode: writeback\n  size: 128M\n  device: %s\n' \
    "$1" "$SLOW" "$FAST" >"$M"
}
journal_size() { stat -c %s "$JOURNAL" 2>/dev/null || echo 0; }

# kill_apply POINT: starts an apply and SIGKILLs it at POINT: "step:PATTERN:DELAY" (DELAY seconds after
# a step matching PATTERN starts), "steps:N" (N steps done), "time:SECONDS" (after the apply started
# changing the host, its plan made) or "start:SECONDS" (after the process started: while it plans).
kill_apply() {
  local point=$1 from pid waited=0
  from=$(journal_size)
  N=$((N + 1)); LOG=$(printf '%s/%02d-killed-%s.log' "$LOGS" "$N" "$(echo "$point" | tr -c 'a-z0-9.\n' '_')")
  "$BIN" apply --auto-approve --state-dir "$STATE" "$M" >"$LOG" 2>&1 &
  pid=$!
  case $point in
    start:*) sleep "${point#start:}" ;;
    time:*)
      until tail -c +"$((from + 1))" "$JOURNAL" 2>/dev/null | grep -q '"event":"apply-started"'; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      sleep "${point#time:}" ;;
    step:*)
      local rest=${point#step:} pattern delay
      pattern=${rest%:*}; delay=${rest##*:}
      until tail -c +"$((from + 1))" "$JOURNAL" 2>/dev/null | grep '"event":"step-started"' | grep -q -- "$pattern"; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05; waited=$((waited + 1)); [ "$waited" -gt 6000 ] && break
      done
      sleep "$delay" ;;
    steps:*)
      until [ "$(tail -c +"$((from + 1))" "$JOURNAL" 2>/dev/null | grep -c '"event":"step-done"')" -ge "${point#steps:}" ]; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done ;;
  esac
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    KILLED=$((KILLED + 1))
    echo "# killed at $point: segtype=$(lv_field segtype) size=$(lv_field lv_size) running-record=$([ -e "$STATE/apply-running.json" ] && echo yes || echo no)"
    return 0
  fi
  wait "$pid" 2>/dev/null
  not_ok "kill at $point: the apply was still running" "it ended first; see $LOG"
  return 1
}

# converge NAME CHECKS...: plan (says interrupted), plain re-run, then every check; counts a convergence.
converge() {
  local name=$1 before=$FAILED interrupted=no
  [ -e "$STATE/apply-running.json" ] && interrupted=yes
  run_logged "$name-plan-after-kill" "$BIN" plan --state-dir "$STATE" "$M"
  if [ "$interrupted" = yes ]; then
    if grep -q "was interrupted after step" "$LOG"; then ok "$name: the next plan says the apply was interrupted"
    else not_ok "$name: the next plan says the apply was interrupted" "$(tail -5 "$LOG")"; fi
  fi
  run_logged "$name-rerun" "$BIN" apply --auto-approve --lock-timeout 900 --state-dir "$STATE" "$M"
  check_eq "$name: a plain re-run exits 0" 0 "$RC" "$LOG"
  shift
  "$@"
  sync; echo 3 >/proc/sys/vm/drop_caches
  if (cd "$MNT" && sha256sum --quiet -c "$SUMS" >/dev/null 2>&1); then ok "$name: checksums hold"; else not_ok "$name: checksums hold"; fi
  check_eq "$name: no temp file of reconcile left" "" "$(find "$STATE" "$MNT" \( -name '.*.reconcile-*' -o -name 'check-*' \) 2>/dev/null | head -3)"
  run_logged "$name-plan" "$BIN" plan --detailed-exitcode --state-dir "$STATE" "$M"
  check_eq "$name: the next plan is empty" 0 "$RC" "$LOG"
  [ "$FAILED" = "$before" ] && CONVERGED=$((CONVERGED + 1))
}

T0=$(date +%s%N)
truncate -s 2G "$TMP/slow.img"; truncate -s 512M "$TMP/fast.img"
SLOW=$(losetup -f --show "$TMP/slow.img"); FAST=$(losetup -f --show "$TMP/fast.img")
pvcreate -q "$SLOW" "$FAST" && vgcreate -q storage "$SLOW" "$FAST"
echo "# slow PV $SLOW, fast PV $FAST; $(lvm version | head -1 | tr -s ' '); kernel $(uname -r)"
SIZE=512
lv_manifest "$SIZE"
run_logged create "$BIN" apply --auto-approve --state-dir "$STATE" "$M"
check_eq "setup: cached LV created" 0 "$RC" "$LOG"
mkfs.ext4 -q /dev/storage/slowlv && mount /dev/storage/slowlv "$MNT" && : >"$SUMS"
write_data base 32

lv_checks() {
  check_eq "$ROUND: LV size" "$((SIZE * 1048576))" "$(lv_field lv_size)"
  check_eq "$ROUND: cached" cache "$(lv_field segtype)"
  check_eq "$ROUND: cache mode" writeback "$(lv_field cache_mode)"
  check_eq "$ROUND: filesystem grew with it" 1 "$(( $(df -B1M --output=size "$MNT" | tail -1) > SIZE - 64 ))"
}

# The grow's steps: lvconvert --uncache (a flush of dirty blocks), lvresize --resizefs, lvcreate --type cache.
for point in "step:lvconvert --uncache:0" "step:lvconvert --uncache:0.5" "step:lvresize:0" "step:lvresize:0.5" \
  "step:lvcreate --type cache:0" "step:lvcreate --type cache:0.3" time:1.5 time:3 start:1; do
  SIZE=$((SIZE + 64)); ROUND="grow to ${SIZE}M, killed at $point"
  write_data "dirty-$SIZE" 8   # dirty blocks in the writeback cache, so the uncache flushes
  lv_manifest "$SIZE"
  kill_apply "$point" && converge "$ROUND" lv_checks
done

# A 2,000-file apply onto the LV's filesystem, killed as it starts and half-way (by journal progress;
# InterruptedApplyTests kills one at eight points, by time too, outside the VM).
FILES=$TMP/files.yaml
files_manifest() {  # files_manifest ROUND
  for i in $(seq 0 1999); do
    printf -- '---\nkind: File\nname: f%s\npath: %s/files/d%s/f%s\ncontent: "file %s round %s\\n"\n' "$i" "$MNT" "$((i % 20))" "$i" "$i" "$1"
  done >"$FILES"
}
files_checks() {
  local wrong
  wrong=$(for i in 0 1 999 1998 1999; do [ "$(cat "$MNT/files/d$((i % 20))/f$i" 2>/dev/null)" = "file $i round $FROUND" ] || echo "f$i"; done)
  check_eq "$ROUND: every file has its content" "" "$wrong"
}
M=$FILES
# These applies declare only the files: the LV they live on is let go from the inventory
# (`reconcile forget`), or each apply would plan its removal as no longer declared.
run_logged forget-lv "$BIN" forget --state-dir "$STATE" LogicalVolume/storage/slowlv
check_eq "the LV is forgotten, not removed" "0 yes" "$RC $([ -b /dev/storage/slowlv ] && echo yes || echo no)" "$LOG"
for point in steps:1 steps:1000; do
  FROUND=$point; ROUND="2,000 files, killed at $point"
  files_manifest "$FROUND"
  kill_apply "$point" && converge "$ROUND" files_checks
done

umount "$MNT"; vgchange -q -an storage >/dev/null 2>&1; losetup -D
echo "kills: $CONVERGED converged / $KILLED killed"
summary "$T0"
[ "$FAILED" = 0 ]
