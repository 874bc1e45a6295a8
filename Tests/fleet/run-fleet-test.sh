#!/bin/bash
# Fleet test (issues 7, 20): contrib/ansible's playbook and `reconcile` role against three
# "hosts" on this machine. Each host is a Debian root of its own without Swift (debootstrapped
# once, with openssh-server and python3-apt: Tests/package/debian-root.sh) in a network
# namespace (veth pair to the root namespace, 10.231.N.2/30), running its own sshd chrooted
# into that root (own host key, root login with a key made here). The role installs the
# package (scripts/package's .deb) into each root with apt and runs reconcile there, on the
# root itself; the central plans and the CI plan job use the same package's binary here.
#
# Usage (as root): Tests/fleet/run-fleet-test.sh [DEB]    (default: the .deb in .build/package)
# Env:   FLEET_CACHE=DIR   the ansible-core venv goes to DIR/fleet-venv, made once and reused,
#                          and the logs to DIR/fleet-logs (default: the repo's .build)
#        ANSIBLE_CORE=SPEC pip requirement for the venv (default: ansible-core>=2.17,<2.20)
#        PACKAGE_TEST_CACHE, DEBOOTSTRAP_MIRROR: where the Debian roots are kept and come from
#                          (Tests/package/debian-root.sh)
# Needs: iproute2, python3 with venv, ssh, debootstrap (the first run fetches the roots' packages).
#
# Checks (TAP-like, in the style of Tests/vm/lib.sh): a. the playbook installs the package and
# applies on all three hosts; b. a second run changes nothing; c. facts fetched by the role, plans made centrally from them,
# one host drifted by hand: its saved plan is refused as stale and its file left alone, the
# others apply, and the next apply run repairs the drift (the plans come from one
# `plan --facts FOLDER`); d. resources limited by `hosts:` (labels, names) land only where
# they belong; e. the example GitLab CI pipeline's scripts over the same SSH: ci/collect-facts.sh,
# ci/plan.sh (with the package's binary), ci/apply-host.sh per host (installing the package
# first, as the CI example does), and a drifted host refusing its reviewed plan.
# Prints `ok - …` / `not ok - …`, then `N passed, M failed`; exit 1 if any check
# failed, 2 on a setup error. Everything it made (sshd processes, namespaces, veths, temp
# dirs) is removed on exit.
set -euo pipefail

REPO=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
# shellcheck disable=SC2012  # our own file names
DEB=${1:-$(ls -t "$REPO"/.build/package/reconcile_*.deb 2>/dev/null | head -1 || true)}
CACHE=${FLEET_CACHE:-$REPO/.build}
ANSIBLE_CORE=${ANSIBLE_CORE:-ansible-core>=2.17,<2.20}
PLAYBOOK=$REPO/contrib/ansible/playbook.yml
HOSTS=(h1 h2 h3)
NET=10.231   # host N: 10.231.N.1 (root namespace side) <-> 10.231.N.2 (the host's sshd)

die() { echo "run-fleet-test: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run me as root (network namespaces, sshd)"
if [ -z "$DEB" ] || [ ! -f "$DEB" ]; then die "no package: run scripts/package first, or pass the .deb"; fi
DEB=$(realpath "$DEB")
PKG_VERSION=$(dpkg-deb -f "$DEB" Version)
# shellcheck source=Tests/package/debian-root.sh
source "$REPO/Tests/package/debian-root.sh"
[ -f "$PLAYBOOK" ] || die "missing $PLAYBOOK"
T_START=$(date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- results: Tests/vm/lib.sh's ok / not ok lines and `#` diagnostics ----------------------
LOGS=$CACHE/fleet-logs
rm -rf "$LOGS"; mkdir -p "$LOGS"
# shellcheck source=Tests/vm/lib.sh
source "$REPO/Tests/vm/lib.sh"
N=0 RC=0 LOG='' CHILD=''
# run_logged NAME CMD...: output into the next numbered log; sets RC and LOG. CMD runs in its
# own process group, waited for with `wait` so that SIGINT/SIGTERM reach the trap at once
# (ansible-playbook handles SIGINT itself and exits 99); cleanup ends the whole group.
run_logged() {
  local name=$1; shift
  N=$((N + 1)); LOG=$(printf '%s/%02d-%s.log' "$LOGS" "$N" "$name")
  echo "\$ $*" >"$LOG"
  RC=0
  setsid "$@" >>"$LOG" 2>&1 </dev/null &
  CHILD=$!
  wait "$CHILD" || RC=$?
  CHILD=
  echo "[exit $RC]" >>"$LOG"
}
check() {   # check DESCRIPTION CMD...: ok when CMD succeeds
  local desc=$1; shift
  if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}
phase() { PHASE_T0=$(date +%s%N); echo "# $1"; }
phase_done() { echo "# ($1 took $(ms_since "$PHASE_T0") ms)"; }

# --- prerequisites ----------------------------------------------------------------------
for tool in ip ssh ssh-keygen; do command -v "$tool" >/dev/null || die "missing $tool"; done
VENV=$CACHE/fleet-venv
if [ ! -x "$VENV/bin/ansible-playbook" ]; then
  echo "# making $VENV ($ANSIBLE_CORE)" >&2
  rm -rf "$VENV"
  { /usr/bin/python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "$ANSIBLE_CORE"; } >"$LOGS/venv.log" 2>&1 \
    || { rm -rf "$VENV"; die "could not install $ANSIBLE_CORE into $VENV: $LOGS/venv.log"; }
fi

# --- cleanup: what this run made, and what a killed earlier run left --------------------
T=$(mktemp -d /tmp/reconcile-fleet.XXXXXX)
SSHD_PIDS=()
kill_netns_pids() {   # kill_netns_pids NS: every process still in our namespace
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  [ -z "$pids" ] && return 0
  # shellcheck disable=SC2086  # one PID per word
  kill $pids 2>/dev/null || true
  sleep 0.2
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}
sessions_left() {   # sessions_left: processes in our namespaces besides the sshd listeners
  local i pid
  for i in "${!HOSTS[@]}"; do
    for pid in $(ip netns pids "rfleet-$$-${HOSTS[$i]}" 2>/dev/null); do
      [[ " ${SSHD_PIDS[*]} " == *" $pid "* ]] || echo "$pid"
    done
  done
}
cleanup() {
  local rc=$? i ns pid try
  set +e
  if [ -n "$CHILD" ]; then   # interrupted while a command ran: end it and what it started
    kill -TERM -- "-$CHILD" 2>/dev/null
    for ((try = 0; try < 30; try++)); do kill -0 -- "-$CHILD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  # ssh control masters ansible left behind (ControlPersist), found by our own control path:
  # ending them ends their sessions, which each sshd reaps, before the listeners go
  for pid in $(pgrep -f -- "ControlPath=$T/cp/" || true); do kill "$pid" 2>/dev/null; done
  for ((try = 0; try < 30; try++)); do [ -z "$(sessions_left)" ] && break; sleep 0.1; done
  for pid in "${SSHD_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${SSHD_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for i in "${!HOSTS[@]}"; do
    ns=rfleet-$$-${HOSTS[$i]}
    if ip netns list | grep -qx "$ns\( .*\)\?"; then
      kill_netns_pids "$ns"
      ip netns del "$ns"   # takes the inner veth along, and with it its peer
    fi
    ip link del "rf$$${HOSTS[$i]}" 2>/dev/null
  done
  local held=0
  for i in "${!HOSTS[@]}"; do root_release "$T/${HOSTS[$i]}/root" || held=1; done
  if [ "$held" = 0 ]; then rm -rf --one-file-system "$T"
  else echo "run-fleet-test: a /proc in $T stays mounted; leaving $T in place" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A run killed with SIGKILL cannot clean up: remove namespaces of runs that are gone.
for ns in $(ip netns list | awk '{print $1}' | grep -E '^rfleet-[0-9]+-h[0-9]+$' || true); do
  pid=${ns#rfleet-}; pid=${pid%%-*}
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "# removing $ns, left by a run that is gone" >&2
    kill_netns_pids "$ns"
    ip netns del "$ns"
  fi
done
ADDRS=$(ip -o -4 addr show)
if grep -q " $NET\." <<<"$ADDRS"; then
  die "addresses in $NET.0.0/16 are taken (another fleet test running?): $(grep " $NET\." <<<"$ADDRS" | awk '{print $2, $4}' | tr '\n' ' ')"
fi

# --- the fleet --------------------------------------------------------------------------
ANSIBLE_VERSION=$("$VENV/bin/ansible-playbook" --version)
phase "setup: 3 namespaces, each a $SUITE root without Swift running sshd; $(basename "$DEB"); ${ANSIBLE_VERSION%%$'\n'*}"
# The controller's reconcile (central plans, the CI plan job): the package's own binary.
dpkg-deb -x "$DEB" "$T/controller"
BIN=$T/controller/usr/bin/reconcile
[ "$("$BIN" --version)" = "$PKG_VERSION" ] || die "the package's binary does not run here: $BIN"
HOST_BASE=$(root_tarball fleet-host openssh-server python3 python3-apt)
ssh-keygen -q -t ed25519 -N '' -C reconcile-fleet-test -f "$T/id_ed25519"
: >"$T/known_hosts"
mkdir -p "$T/cp"
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]} n=$((i + 1))
  ns=rfleet-$$-$h addr=$NET.$n.2 r=$T/$h/root
  root_unpack "$HOST_BASE" "$r"
  # What apt needs to install the package in the root, where there is no network: from the
  # archives kept (fetched there once, outside the namespace, if missing).
  cp "$DEB" "$r/tmp/"
  root_apt_install "$r" "$LOGS/apt-download-$h.log" --download-only "/tmp/$(basename "$DEB")" \
    || die "apt-get install --download-only of the package's dependencies failed in $h's root: $LOGS/apt-download-$h.log"
  rm -f "$r/tmp/$(basename "$DEB")"
  ip netns add "$ns"
  ip link add "rf$$$h" type veth peer name "rf$$${h}n" netns "$ns"
  ip addr add "$NET.$n.1/30" dev "rf$$$h"
  ip link set "rf$$$h" up
  ip -n "$ns" addr add "$addr/30" dev "rf$$${h}n"
  ip -n "$ns" link set "rf$$${h}n" up
  ip -n "$ns" link set lo up
  ssh-keygen -q -t ed25519 -N '' -C "$h" -f "$r/etc/ssh/ssh_host_ed25519_key"
  echo "$addr $(cut -d' ' -f1,2 "$r/etc/ssh/ssh_host_ed25519_key.pub")" >>"$T/known_hosts"
  install -d -m 0700 "$r/root/.ssh"
  install -m 0600 "$T/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
  install -d -m 0755 "$r/run/sshd"   # sshd's privilege separation folder
  printf '%s\n' "Port 22" "ListenAddress $addr" "HostKey /etc/ssh/ssh_host_ed25519_key" "PidFile none" \
    "PermitRootLogin prohibit-password" "PubkeyAuthentication yes" "AuthorizedKeysFile /root/.ssh/authorized_keys" \
    "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" "UseDNS no" "MaxStartups 30" \
    "MaxSessions 30" "Subsystem sftp /usr/lib/openssh/sftp-server" "LogLevel VERBOSE" >"$r/etc/ssh/sshd_config.fleet"
  in_root "$r" /usr/sbin/sshd -t -f /etc/ssh/sshd_config.fleet || die "sshd -t rejects $r/etc/ssh/sshd_config.fleet"
  ip netns exec "$ns" chroot "$r" /usr/sbin/sshd -D -f /etc/ssh/sshd_config.fleet -E /var/log/sshd-fleet.log &
  SSHD_PIDS+=($!)
done
for i in "${!HOSTS[@]}"; do
  check_eq "setup: ${HOSTS[$i]}'s root has no Swift (swift, swiftc, libswift*, libFoundation*) and no reconcile yet" "" \
    "$(in_root "$T/${HOSTS[$i]}/root" sh -c 'command -v swift swiftc reconcile; find / -xdev \( -name "libswift*" -o -name "libFoundation*.so*" \) -print' 2>&1 || true)"
done
SSH_OPTS=(-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null
  -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes)
for i in "${!HOSTS[@]}"; do   # sshd is up when a login works (<= 5 s)
  for ((try = 0; ; try++)); do
    if ssh "${SSH_OPTS[@]}" -i "$T/id_ed25519" -o ConnectTimeout=1 "root@$NET.$((i + 1)).2" true 2>/dev/null; then break; fi
    [ "$try" -lt 50 ] || die "no ssh login to ${HOSTS[$i]} ($NET.$((i + 1)).2): $T/${HOSTS[$i]}/root/var/log/sshd-fleet.log: $(tail -5 "$T/${HOSTS[$i]}/root/var/log/sshd-fleet.log" 2>&1)"
    sleep 0.1
  done
done

LABEL_OF=([0]=web [1]=db [2]=web)   # h1, h3: role=web (h3 by its labels file), h2: role=db
{
  echo "all:"
  echo "  vars:"
  echo "    ansible_user: root"
  echo "    ansible_ssh_private_key_file: $T/id_ed25519"
  echo "    ansible_ssh_common_args: -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"
  echo "    ansible_python_interpreter: /usr/bin/python3"
  echo "    reconcile_become: false"
  echo "    reconcile_package: $DEB"
  echo "    reconcile_manifests: $T/manifests"
  echo "    reconcile_plans_dir: $T/plans"
  echo "    reconcile_facts_dir: $T/facts"
  echo "    reconcile_saved_plans_dir: $T/saved"
  echo "  hosts:"
  for i in "${!HOSTS[@]}"; do
    h=${HOSTS[$i]}
    echo "    $h:"
    echo "      ansible_host: $NET.$((i + 1)).2"
    if [ "$h" = h3 ]; then   # h3 keeps role=web in its own labels file
      echo "      reconcile_labels: {fleet: test}"
      mkdir -p "$T/$h/root/etc/reconcile"
      printf '# labels of this host\nrole=%s\n' "${LABEL_OF[$i]}" >"$T/$h/root/etc/reconcile/labels"
    else
      echo "      reconcile_labels: {role: ${LABEL_OF[$i]}, fleet: test}"
    fi
  done
} >"$T/inventory.yml"

export ANSIBLE_CONFIG=$T/ansible.cfg ANSIBLE_HOME=$T/ansible-home ANSIBLE_LOCAL_TEMP=$T/ansible-local
export ANSIBLE_SSH_CONTROL_PATH_DIR=$T/cp
export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PIPELINING=1
export ANSIBLE_FORKS=3
: >"$ANSIBLE_CONFIG"
playbook() {   # playbook NAME [ansible-playbook args...]: sets RC and LOG
  local name=$1; shift
  run_logged "$name" "$VENV/bin/ansible-playbook" -i "$T/inventory.yml" "$PLAYBOOK" "$@"
}
# task_status LOG HOST [TASK]: what a task of the role (default: the apply) reported for HOST
# (ok, changed, fatal, …)
task_status() {
  awk -v host="[$2]" -v task="TASK [reconcile : ${3:-Apply (reconcile apply)}]" '
    /^TASK \[/ { here = index($0, task) == 1; next }
    here && /^[a-z]+: \[/ {
      status = substr($0, 1, index($0, ":") - 1)
      if (index($0, status ": " host) == 1) { print status; found = 1; exit }
    }
    END { if (!found) print "none" }' "$1"
}
recap() {   # recap LOG HOST KEY: a PLAY RECAP counter (changed, failed, unreachable…)
  sed -n "s/^$2 *:.* $3=\([0-9]*\).*/\1/p" "$1" | tail -1
}
fetched() {   # fetched FILE EXPR: a python expression over the JSON in FILE (as j)
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1 || true
}
content() { if [ -f "$1" ]; then cat "$1"; else echo "<no file $1>"; fi; }
F=/etc/reconcile-fleet-test   # managed folder, under each host's root

# --- manifests --------------------------------------------------------------------------
M=$T/manifests
mkdir -p "$M/app"
write_motd() {   # write_motd VERSION
  cat >"$M/base.yaml" <<EOF
kind: File
name: motd
path: $F/motd
content: "managed by reconcile: fleet test $1\n"
mode: "0644"
EOF
}
write_motd v1
cat >"$M/app/app.yaml" <<EOF
kind: File
name: app-conf
path: $F/app/app.conf
content: "listen=0.0.0.0:8080\n"
mode: "0640"
dependsOn: [File/motd]
EOF
cat >"$M/extra.yaml" <<EOF
kind: File
name: extra
path: $F/extra.conf
content: "extra\n"
EOF
cat >"$M/web.yaml" <<EOF
hosts: {labels: {role: web}}
---
kind: File
name: web-conf
path: $F/web.conf
content: "role=web\n"
EOF
cat >"$M/db.yaml" <<EOF
kind: File
name: db-conf
hosts: ["h2*"]
path: $F/db.conf
content: "only on h2\n"
EOF
EXPECTED_CREATES=(4 4 4)
phase_done setup

# --- a. first run: every host changes ---------------------------------------------------
phase "a. the playbook applies on all hosts"
playbook first-apply
check_eq "a: ansible-playbook exits 0" 0 "$RC" "$LOG"
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]} r=$T/${HOSTS[$i]}/root
  check_eq "a: $h: the role installs the package (changed)" changed "$(task_status "$LOG" "$h" "Install the reconcile package")" "$LOG"
  # shellcheck disable=SC2016  # dpkg-query's format
  check_eq "a: $h: dpkg in its root has reconcile $PKG_VERSION and libyaml-0-2 (Depends)" "install ok installed $PKG_VERSION|install ok installed" \
    "$(in_root "$r" dpkg-query -W -f '${Status} ${Version}|' reconcile 2>&1)$(in_root "$r" dpkg-query -W -f '${Status}' libyaml-0-2 2>&1)"
  check_eq "a: $h: the apply task reports changed" changed "$(task_status "$LOG" "$h")" "$LOG"
  check_eq "a: $h: motd in its root" "managed by reconcile: fleet test v1" "$(content "$r$F/motd")"
  check_eq "a: $h: app.conf in its root, mode 640" "listen=0.0.0.0:8080 640" "$(content "$r$F/app/app.conf") $(stat -c %a "$r$F/app/app.conf" 2>&1)"
  check_eq "a: $h: fetched plan is its own (its root /), all creates" "$h / ${EXPECTED_CREATES[$i]} 0" \
    "$(fetched "$T/plans/$h.json" '" ".join(str(x) for x in (j["host"], j["root"], j["summary"]["create"], j["summary"]["update"]))')"
  check "a: $h: its state dir has the journal" test -s "$r/var/lib/reconcile/journal.jsonl"
done
check "a: nothing written to the real $F" test ! -e "$F"
phase_done a

# --- d. hosts: limited resources (labels, names) ----------------------------------------
phase "d. resources limited to labels / names"
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]} r=$T/${HOSTS[$i]}/root
  want_web=absent want_db=absent
  [ "${LABEL_OF[$i]}" = web ] && want_web=present
  [ "$h" = h2 ] && want_db=present
  check_eq "d: $h (role=${LABEL_OF[$i]}): web.conf (hosts: labels role=web) $want_web" \
    $want_web "$([ -e "$r$F/web.conf" ] && echo present || echo absent)"
  check_eq "d: $h: db.conf (hosts: [h2*]) $want_db" $want_db "$([ -e "$r$F/db.conf" ] && echo present || echo absent)"
done
phase_done d

# --- b. second run: nothing changes ------------------------------------------------------
phase "b. a second run changes nothing"
playbook second-apply
check_eq "b: ansible-playbook exits 0" 0 "$RC" "$LOG"
for h in "${HOSTS[@]}"; do
  check_eq "b: $h: the package task reports ok (installed already)" ok "$(task_status "$LOG" "$h" "Install the reconcile package")" "$LOG"
  check_eq "b: $h: the apply task reports ok" ok "$(task_status "$LOG" "$h")" "$LOG"
  check_eq "b: $h: recap changed=0 failed=0" "0 0" "$(recap "$LOG" "$h" changed) $(recap "$LOG" "$h" failed)" "$LOG"
  check_eq "b: $h: fetched plan has no changes" "0 0 0 0" \
    "$(fetched "$T/plans/$h.json" '" ".join(str(j["summary"][k]) for k in ("create", "update", "replace", "delete"))')"
done
phase_done b

# --- c. saved plans made centrally from facts; one host drifted ---------------------------
phase "c. facts -> central plans -> drift on h2 -> apply the saved plans"
write_motd v2
rm "$M/extra.yaml"
cat >"$M/new.yaml" <<EOF
kind: File
name: new
path: $F/new.conf
content: "new in v2\n"
EOF
playbook facts --tags facts
check_eq "c: ansible-playbook --tags facts exits 0" 0 "$RC" "$LOG"
for h in "${HOSTS[@]}"; do
  check_eq "c: $h: facts fetched, for $h" "$h" "$(fetched "$T/facts/$h.json" 'j["host"]')" "$LOG"
  check_eq "c: $h: gathering facts applied nothing" "managed by reconcile: fleet test v1" "$(content "$T/$h/root$F/motd")"
  check "c: $h: a manifest removed on the controller is removed on the host" test ! -e "$T/$h/root/var/lib/reconcile-ansible/manifests/extra.yaml"
done
mkdir -p "$T/saved"
run_logged plan-facts-dir "$BIN" plan --facts "$T/facts" --out "$T/saved" "$M"
check_eq "c: reconcile plan --facts DIR --out DIR exits 0" 0 "$RC" "$LOG"
check_eq "c: summary.json: 3 hosts with changes, each 1 create and 1 update" "3 3 0 h1:1/1 h2:1/1 h3:1/1" \
  "$(fetched "$T/saved/summary.json" '" ".join([str(j["totals"][k]) for k in ("hosts", "hostsWithChanges", "hostsFailed")]
    + ["%s:%s/%s" % (h["host"], h["summary"]["create"], h["summary"]["update"]) for h in j["hosts"]])')"
for h in "${HOSTS[@]}"; do
  check_eq "c: $h: central plan updates motd, creates new.conf" "$h update create" \
    "$(fetched "$T/saved/$h.json" '" ".join([j["host"]] + [c["action"] for c in j["changes"] if c["address"] in ("File/motd", "File/new")])')"
done
# The central plans select by the labels the facts recorded.
check_eq "d: h3: its facts record role=web (its labels file) and fleet=test (--label)" "web test" \
  "$(fetched "$T/facts/h3.json" 'j["labels"].get("role"), j["labels"].get("fleet")' | tr -d "(',)")"
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]} want=()
  [ "${LABEL_OF[$i]}" = web ] && want+=(File/web-conf)
  [ "$h" = h2 ] && want+=(File/db-conf)
  check_eq "d: $h: its central plan holds only its limited resources (${want[*]})" "${want[*]}" \
    "$(fetched "$T/saved/$h.json" '" ".join(c["address"] for c in j["changes"] if c["address"] in ("File/web-conf", "File/db-conf"))')"
done
DRIFT="edited by hand on h2"
echo "$DRIFT" >"$T/h2/root$F/motd"
playbook saved-plan-apply -e reconcile_mode=saved-plan
check_eq "c: ansible-playbook exits 2 (a host failed)" 2 "$RC" "$LOG"
for h in h1 h3; do
  check_eq "c: $h: the saved plan applies (changed)" changed "$(task_status "$LOG" "$h")" "$LOG"
  check_eq "c: $h: motd is v2" "managed by reconcile: fleet test v2" "$(content "$T/$h/root$F/motd")"
  check "c: $h: new.conf created" test -f "$T/$h/root$F/new.conf"
done
check_eq "c: h2: the saved plan is refused (failed)" fatal "$(task_status "$LOG" h2)" "$LOG"
if grep '^fatal: \[h2\]' "$LOG" | grep -q 'stale plan'; then ok "c: h2: the failure says stale plan"
else not_ok "c: h2: the failure says stale plan" "$(grep '^fatal: \[h2\]' "$LOG" | cut -c1-400)"; fi
check_eq "c: h2: the hand-edited motd is untouched" "$DRIFT" "$(content "$T/h2/root$F/motd")"
check "c: h2: new.conf not created" test ! -e "$T/h2/root$F/new.conf"
check_eq "c: h2: recap failed=1" 1 "$(recap "$LOG" h2 failed)" "$LOG"
playbook repair-apply
check_eq "c: the next apply run exits 0" 0 "$RC" "$LOG"
check_eq "c: h2: it changes h2" changed "$(task_status "$LOG" h2)" "$LOG"
for h in h1 h3; do check_eq "c: $h: and nothing else ($h ok)" ok "$(task_status "$LOG" "$h")" "$LOG"; done
check_eq "c: h2: motd repaired to v2" "managed by reconcile: fleet test v2" "$(content "$T/h2/root$F/motd")"
phase_done c

# --- e. the example CI pipeline's scripts over the same SSH ------------------------------
phase "e. ci/collect-facts.sh, ci/plan.sh, ci/apply-host.sh"
write_motd v3   # reviewed in the "merge request": the plans below update every motd
ci_env() {      # ci_env I: the environment the CI jobs get for host I, a variable per line
  local i=$1 h=${HOSTS[$1]}
  printf '%s\n' "RECONCILE=/usr/bin/reconcile" "REMOTE_MANIFESTS=/var/lib/reconcile-ansible/manifests"
  echo "SSH_OPTIONS=${SSH_OPTS[*]} -i $T/id_ed25519 -o HostName=$NET.$((i + 1)).2"
}
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]}
  mapfile -t vars < <(ci_env "$i")
  run_logged "ci-facts-$h" env FACTS="$T/ci-facts" "${vars[@]}" "$REPO/ci/collect-facts.sh" "$h"
  check_eq "e: ci/collect-facts.sh $h exits 0" 0 "$RC" "$LOG"
done
# Plans signed in the plan job; hosts trust only the CI's key.
ssh-keygen -q -t ed25519 -N '' -C ci -f "$T/plan_key"
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other_key"
echo "ci@example.org namespaces=\"reconcile-plan\" $(cat "$T/plan_key.pub")" >"$T/allowed_signers"
echo "other@example.org namespaces=\"reconcile-plan\" $(cat "$T/other_key.pub")" >"$T/other_signers"
for h in "${HOSTS[@]}"; do   # what each host's own configuration would install
  install -D -m 0644 "$T/allowed_signers" "$T/$h/root/etc/reconcile/allowed_signers"
  install -D -m 0644 "$T/other_signers" "$T/$h/root/etc/reconcile/other_signers"
done
run_logged ci-plan env MANIFESTS="$M" FACTS="$T/ci-facts" PLANS="$T/ci-plans" RECONCILE="$BIN" \
  PLAN_SIGNING_KEY="$T/plan_key" "$REPO/ci/plan.sh"
check_eq "e: ci/plan.sh exits 0" 0 "$RC" "$LOG"
check "e: each plan is signed" test -s "$T/ci-plans/h1.json.sig" -a -s "$T/ci-plans/h2.json.sig" -a -s "$T/ci-plans/h3.json.sig"
mapfile -t vars < <(ci_env 1)
run_logged ci-apply-h2-wrong-signer env PLANS="$T/ci-plans" SSH_TARGET="root@$NET.2.2" \
  REMOTE_PLAN=/var/lib/reconcile/incoming/h2.json REMOTE_ALLOWED_SIGNERS=/etc/reconcile/other_signers "${vars[@]}" "$REPO/ci/apply-host.sh" h2
check_eq "e: h2: a plan signed by a key the host does not trust is refused (exit 1)" 1 "$RC" "$LOG"
check "e: h2: the refusal names the signature" grep -q "is by no key in" "$LOG"
check_eq "e: h2: its motd is left as it was" "managed by reconcile: fleet test v2" "$(content "$T/h2/root$F/motd")"
check_eq "e: its summary: 3 hosts, each with changes" "3 3" \
  "$(fetched "$T/ci-plans/summary.json" '" ".join(str(j["totals"][k]) for k in ("hosts", "hostsWithChanges"))')"
echo "drifted after the review" >"$T/h3/root$F/motd"
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]}
  mapfile -t vars < <(ci_env "$i")
  run_logged "ci-apply-$h" env PLANS="$T/ci-plans" SSH_TARGET="root@$NET.$((i + 1)).2" \
    REMOTE_PLAN="/var/lib/reconcile/incoming/$h.json" REMOTE_ALLOWED_SIGNERS=/etc/reconcile/allowed_signers \
    PACKAGE="$DEB" "${vars[@]}" "$REPO/ci/apply-host.sh" "$h"
  if [ "$h" = h3 ]; then
    check_eq "e: h3 (drifted): ci/apply-host.sh exits 1" 1 "$RC" "$LOG"
    check "e: h3: the failure says stale plan" grep -q "stale plan" "$LOG"
    check_eq "e: h3: its motd is left as it was" "drifted after the review" "$(content "$T/h3/root$F/motd")"
  else
    check_eq "e: $h: ci/apply-host.sh exits 2 (changes applied)" 2 "$RC" "$LOG"
    check_eq "e: $h: motd is v3" "managed by reconcile: fleet test v3" "$(content "$T/$h/root$F/motd")"
  fi
done
phase_done e

echo "# test took $(ms_since "$T_START") ms; logs: $LOGS"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
