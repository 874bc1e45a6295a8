#!/bin/bash
# Captures lvm2 JSON report fixtures for reconcile. Runs inside run-in-vm.
set -uo pipefail
OUT=$1
VG=storage MNT=/mnt/data
T0=$(date +%s.%N); TS=$T0
LOG=$OUT/transcript.log; CMDS=$OUT/commands.txt; TIM=$OUT/timings.txt
: >$LOG; : >$CMDS; : >$TIM
el() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
tmark() { local now; now=$(date +%s.%N); echo "$1 +$(el $TS $now)s total $(el $T0 $now)s" >>$TIM; TS=$now; }
# run: record command line (for README), run it, log stdout/stderr, abort on failure
run() { echo "$*" >>$CMDS; echo "\$ $*" >>$LOG; "$@" >>$LOG 2>&1; local rc=$?; [ $rc = 0 ] || { echo "rc=$rc" >>$LOG; echo "FAILED rc=$rc: $*" >&2; exit 1; }; }
runin() { echo "$* </dev/null" >>$CMDS; echo "\$ $* </dev/null" >>$LOG; "$@" </dev/null >>$LOG 2>&1; local rc=$?; [ $rc = 0 ] || { echo "rc=$rc" >>$LOG; echo "FAILED rc=$rc: $*" >&2; exit 1; }; }
state() { echo "== STATE $1" >>$CMDS; }
cap() {  # exact provider commands; stdout only into fixtures
  local s=$1 rc
  lvs -a --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size,lv_attr,lv_role,segtype,pool_lv,origin,devices,cache_mode,cache_dirty_blocks,cache_used_blocks,cache_total_blocks >$OUT/$s.lvs.json 2>$OUT/stderr/$s.lvs.err; rc=$?; echo "$s lvs rc=$rc" >>$OUT/caprc.txt
  vgs --reportformat json --units b --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count >$OUT/$s.vgs.json 2>$OUT/stderr/$s.vgs.err; rc=$?; echo "$s vgs rc=$rc" >>$OUT/caprc.txt
  pvs --reportformat json --units b --nosuffix -o pv_name,vg_name,pv_size,pv_free,pv_pe_count,pv_pe_alloc_count >$OUT/$s.pvs.json 2>$OUT/stderr/$s.pvs.err; rc=$?; echo "$s pvs rc=$rc" >>$OUT/caprc.txt
  echo "-- captured $s" >>$CMDS; tmark "$s"
}
errcap() {  # name, cmd... ; stdin /dev/null
  local n=$1; shift
  echo "$*" >$OUT/err/$n.cmd
  "$@" </dev/null >$OUT/err/$n.stdout 2>$OUT/err/$n.stderr; echo $? >$OUT/err/$n.rc
}
mkdir -p $OUT/stderr $OUT/err; : >$OUT/caprc.txt
lvm version >$OUT/lvm-version.txt 2>$OUT/stderr/lvm-version.err
uname -r >$OUT/uname-r.txt
date -u +%Y-%m-%dT%H:%M:%SZ >$OUT/date.txt
cleanup() { mountpoint -q $MNT && umount $MNT; vgchange -an $VG >/dev/null 2>&1 || true; losetup -D 2>/dev/null || true; }
trap cleanup EXIT

state empty-vg
run truncate -s 2G /tmp/slow.img; run truncate -s 512M /tmp/fast.img
SLOW=$(losetup -f --show /tmp/slow.img); echo "losetup -f --show /tmp/slow.img  # -> $SLOW" >>$CMDS
FAST=$(losetup -f --show /tmp/fast.img); echo "losetup -f --show /tmp/fast.img  # -> $FAST" >>$CMDS
echo "SLOW=$SLOW FAST=$FAST" >>$LOG
run pvcreate $SLOW $FAST
run vgcreate $VG $SLOW $FAST
cap empty-vg

state plain
run lvcreate -n slowlv -L 1G $VG $SLOW
run mkfs.ext4 -q /dev/$VG/slowlv
mkdir -p $MNT; run mount /dev/$VG/slowlv $MNT
cap plain

state cached-writeback
run lvcreate --type cache --cachemode writeback --name slowlv_cache --size 200M $VG/slowlv $FAST
run dd if=/dev/urandom of=$MNT/data1 bs=1M count=64 status=none
run sync
cap cached-writeback

state cached-writethrough
runin lvchange --cachemode writethrough $VG/slowlv
cap cached-writethrough

state uncached-after-flush
runin lvconvert --uncache $VG/slowlv
cap uncached-after-flush

state resized-uncached
runin lvresize -r -L +500M $VG/slowlv $SLOW
cap resized-uncached

state recached-grown
run lvcreate --type cache --cachemode writeback --name slowlv_cache --size 200M $VG/slowlv $FAST
cap recached-grown

state two-lvs
run lvcreate -n other -L 100M $VG $SLOW
cap two-lvs

# error cases (after the last capture so they cannot disturb any state)
errcap already-cached lvcreate --type cache --cachemode writeback --name slowlv_cache --size 200M $VG/slowlv $FAST
errcap lvremove-active lvremove $VG/other
errcap no-space lvcreate -n big -L 100G $VG
errcap bad-field lvs -a --reportformat json --units b --nosuffix -o lv_name,no_such_field
# post-error sanity: state unchanged?
lvs -a --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size,lv_attr,lv_role,segtype,pool_lv,origin,devices,cache_mode,cache_dirty_blocks,cache_used_blocks,cache_total_blocks >$OUT/after-errors.lvs.json 2>/dev/null
tmark errors
echo "\$ df -B1 --output=size,used,target $MNT" >>$LOG; df -B1 --output=size,used,target $MNT >>$LOG 2>&1
echo DONE
