#!/bin/bash
# Integration test: reconcile's File + SystemdUnit providers against real systemd (PID 1).
#
# Runs INSIDE the guest of `run-in-vm --systemd`; on the host, use
# Tests/vm/run-systemd-tests.sh, which starts it as
#   run-in-vm --systemd -t 600 -w WORK -f Tests/vm/systemd-unit-test.sh BINARY WORK
#
# Usage (in the guest): systemd-unit-test.sh RECONCILE_BINARY [LOG_DIR]
#   LOG_DIR (a dir shared with -w) receives every reconcile command's output, numbered;
#   without it the logs stay in the guest's /tmp and are lost.
#
# Prints `ok - …` / `not ok - …` per check (diagnostics on `#` lines), then
# `N passed, M failed`; exits 1 if any check failed, 2 on a usage error.
set -euo pipefail

BIN=${1:?usage: systemd-unit-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
echo "# guest uptime at start: $(cut -d' ' -f1 /proc/uptime) s; $(systemctl --version | head -1); reconcile $("$BIN" --version)"

TMP=$(mktemp -d /tmp/reconcile-systemd-test.XXXXXX)
M=$TMP/manifests        # manifests dir (reconcile reads every *.yaml in it)
STATE=$TMP/state        # --state-dir: lock, journal, queued restarts, backups
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$M" "$STATE" "$LOGS"
DEMO_STARTS=/run/demo-starts
OTHER_STARTS=/run/other-starts
UNIT_DIR=/etc/systemd/system

starts() { if [ -f "$1" ]; then grep -c '^started$' "$1" || true; else echo 0; fi; }
# starts_settled FILE WANT: Type=simple returns before the shell has written its line, so
# poll (<= 10 s) until FILE has WANT lines, then wait a second more to catch extra starts.
starts_settled() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(starts "$1")" -ge "$2" ] && break
    sleep 0.1
  done
  sleep 1
  starts "$1"
}

# --- manifests -------------------------------------------------------------------------
write_conf() {   # write_conf VALUE
  cat >"$M/demo-conf.yaml" <<EOF
kind: File
name: demo-conf
path: /etc/demo/demo.conf
content: "value=$1\n"
mode: "0644"
EOF
}
write_demo() {   # write_demo [EXTRA [Service] LINE]
  {
    cat <<'EOF'
kind: SystemdUnit
name: demo.service
content: |
  [Unit]
  Description=reconcile test: demo
  [Service]
  Type=simple
  ExecStart=/bin/sh -c 'echo started >> /run/demo-starts; exec sleep infinity'
EOF
    if [ -n "${1:-}" ]; then echo "  $1"; fi
    cat <<'EOF'
  [Install]
  WantedBy=multi-user.target
enabled: true
active: true
restartOn: [File/demo-conf]
EOF
  } >"$M/demo.yaml"
}
write_other() {
  cat >"$M/other.yaml" <<'EOF'
kind: SystemdUnit
name: other.service
content: |
  [Unit]
  Description=reconcile test: other (never restarted)
  [Service]
  Type=simple
  ExecStart=/bin/sh -c 'echo started >> /run/other-starts; exec sleep infinity'
  [Install]
  WantedBy=multi-user.target
enabled: true
active: true
EOF
}
write_demo_absent() {
  cat >"$M/demo.yaml" <<'EOF'
kind: SystemdUnit
name: demo.service
state: absent
EOF
}

# --- 1+2: first apply --------------------------------------------------------------------
write_conf 1
write_demo
run_logged validate "$BIN" validate "$M"
check_eq "manifests validate" 0 "$RC" "$LOG"
plan_exit "before the first apply" 2
apply "first apply"
check_eq "first apply: /etc/demo/demo.conf written" "value=1" "$(cat /etc/demo/demo.conf 2>&1 || true)"
check_eq "first apply: demo.service is-enabled" enabled "$(is_enabled demo.service)"
check_eq "first apply: demo.service is-active" active "$(is_active demo.service)"
check_eq "first apply: demo.service started once" 1 "$(starts_settled $DEMO_STARTS 1)"

# --- 3: converged ----------------------------------------------------------------------
plan_exit "after the first apply (converged)" 0

# --- 4: unit content changes -> one restart, daemon reloaded ---------------------------
write_demo "Environment=X=2"
apply "unit content changed"
check_eq "unit content changed: demo.service restarted exactly once" 2 "$(starts_settled $DEMO_STARTS 2)"
check_eq "unit content changed: NeedDaemonReload=no" no "$(unit_prop demo.service NeedDaemonReload)"
check_eq "unit content changed: new Environment= is live" "X=2" "$(unit_prop demo.service Environment)"
check_eq "unit content changed: demo.service is-active" active "$(is_active demo.service)"
plan_exit "after the unit content change" 0

# --- 5: the restartOn input changes -> one restart -------------------------------------
write_conf 2
apply "demo.conf changed"
check_eq "demo.conf changed: /etc/demo/demo.conf rewritten" "value=2" "$(cat /etc/demo/demo.conf 2>&1 || true)"
check_eq "demo.conf changed: demo.service restarted exactly once" 3 "$(starts_settled $DEMO_STARTS 3)"
check_eq "demo.conf changed: demo.service is-active" active "$(is_active demo.service)"
plan_exit "after the demo.conf change" 0

# --- 6: same manifests again -> nothing happens ----------------------------------------
apply "unchanged manifests"
check_eq "unchanged manifests: demo.service not restarted" 3 "$(starts_settled $DEMO_STARTS 3)"
plan_exit "after applying unchanged manifests" 0

# --- 7: a second unit is not restarted when demo changes -------------------------------
write_other
apply "other.service added"
check_eq "other.service added: other.service is-active" active "$(is_active other.service)"
check_eq "other.service added: other.service is-enabled" enabled "$(is_enabled other.service)"
check_eq "other.service added: other.service started once" 1 "$(starts_settled $OTHER_STARTS 1)"
check_eq "other.service added: demo.service not restarted" 3 "$(starts_settled $DEMO_STARTS 3)"
write_demo "Environment=X=3"
write_conf 3
apply "demo unit and demo.conf changed together"
check_eq "demo unit and demo.conf changed together: demo.service restarted exactly once" 4 "$(starts_settled $DEMO_STARTS 4)"
check_eq "demo unit and demo.conf changed together: other.service never restarted" 1 "$(starts_settled $OTHER_STARTS 1)"
plan_exit "after changing demo with other.service present" 0

# --- 8: state: absent ------------------------------------------------------------------
write_demo_absent
apply "demo.service absent"
check_eq "demo.service absent: is-active" inactive "$(is_active demo.service)"
if [ -e "$UNIT_DIR/multi-user.target.wants/demo.service" ] || [ -L "$UNIT_DIR/multi-user.target.wants/demo.service" ]; then
  not_ok "demo.service absent: disabled (no multi-user.target.wants link)" "$(ls -l "$UNIT_DIR/multi-user.target.wants/demo.service")"
else
  ok "demo.service absent: disabled (no multi-user.target.wants link)"
fi
if [ -e "$UNIT_DIR/demo.service" ]; then
  not_ok "demo.service absent: unit file removed" "$UNIT_DIR/demo.service still exists"
else
  ok "demo.service absent: unit file removed"
fi
check_eq "demo.service absent: systemd reloaded (LoadState=not-found)" not-found "$(unit_prop demo.service LoadState)"
check_eq "demo.service absent: other.service still active, never restarted" "active 1" \
  "$(is_active other.service) $(starts_settled $OTHER_STARTS 1)"
plan_exit "after removing demo.service" 0

# --- 9: a unit a package ships: enabled and started, its file never written --------------
# As a package would install it: under /usr/lib/systemd/system, stopped and disabled.
printf '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' >/usr/lib/systemd/system/pkg-demo.service
systemctl daemon-reload
printf 'kind: SystemdUnit\nname: pkg-demo.service\nenabled: true\nactive: true\n' >"$M/pkg.yaml"
plan_exit "a package's unit, stopped and disabled" 2
apply "a package's unit"
check_eq "a package's unit: enabled and active" "enabled active" "$(is_enabled pkg-demo.service) $(is_active pkg-demo.service)"
check_eq "a package's unit: its file stays the package's (none written in $UNIT_DIR)" "gone /usr/lib/systemd/system/pkg-demo.service" \
  "$(if [ -e "$UNIT_DIR/pkg-demo.service" ]; then echo exists; else echo gone; fi) $(readlink -f "$(unit_prop pkg-demo.service FragmentPath)")"
plan_exit "after starting the package's unit" 0
systemctl stop pkg-demo.service
plan_exit "the package's unit stopped by hand" 2
apply "the package's unit started again"
check_eq "the package's unit started again: active" active "$(is_active pkg-demo.service)"
printf 'kind: SystemdUnit\nname: not-installed.service\nenabled: true\n' >"$M/pkg.yaml"
plan_exit "a unit no package installed" 1
check_eq "a unit no package installed: the error says so" yes \
  "$(grep -q 'not-installed.service does not exist on this host' "$LOG" && echo yes || echo no)" "$LOG"
rm -f "$M/pkg.yaml"

# --- summary ---------------------------------------------------------------------------
systemctl stop other.service demo.service pkg-demo.service >/dev/null 2>&1 || true
summary "$T0"
[ "$FAILED" -eq 0 ]
