# shellcheck shell=bash
# Shared by the guest scripts under Tests/vm (sourced; run-in-vm keeps the host's cwd, the repo).
# Needs BIN (reconcile), M (manifests dir), STATE (--state-dir) and LOGS (log dir) set.
# Prints `ok - …` / `not ok - …` per check with diagnostics on `#` lines.

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() {   # not_ok DESCRIPTION [DIAGNOSTIC LINE...]
  FAILED=$((FAILED + 1)); echo "not ok - $1"; shift
  local line
  for line in "$@"; do printf '#   %s\n' "$line"; done
}
check_eq() {   # check_eq DESCRIPTION WANT GOT [LOG FILE to show on failure]
  if [ "$3" = "$2" ]; then ok "$1"; return 0; fi
  local diag=("expected: '$2'" "got:      '$3'")
  if [ -n "${4:-}" ]; then
    diag+=("output of: $(head -1 "$4")")
    mapfile -t -O "${#diag[@]}" diag < <(tail -n +2 "$4" | tail -n 40)
  fi
  not_ok "$1" "${diag[@]}"
}

# run_logged NAME CMD...: runs CMD, output into the next numbered log; sets RC and LOG.
N=0 RC=0 LOG=
run_logged() {
  local name=$1; shift
  N=$((N + 1)); LOG=$(printf '%s/%02d-%s.log' "$LOGS" "$N" "$name")
  echo "\$ $*" >"$LOG"
  RC=0; "$@" >>"$LOG" 2>&1 || RC=$?
  echo "[exit $RC]" >>"$LOG"
}
apply() {      # apply DESCRIPTION: apply must exit 0
  run_logged apply "$BIN" apply "$M" --auto-approve --state-dir "$STATE"
  check_eq "$1: reconcile apply exits 0" 0 "$RC" "$LOG"
}
plan_exit() {  # plan_exit DESCRIPTION WANT: plan --detailed-exitcode must exit WANT
  run_logged plan "$BIN" plan "$M" --detailed-exitcode --state-dir "$STATE"
  check_eq "$1: reconcile plan --detailed-exitcode exits $2" "$2" "$RC" "$LOG"
}
poll() {   # poll SECONDS CMD...: until CMD succeeds
  local until=$(($(date +%s) + $1)); shift
  until "$@"; do [ "$(date +%s)" -lt "$until" ] || return 1; sleep 0.2; done
}
unit_prop() { systemctl show -P "$2" "$1" 2>&1 || true; }
is_enabled() { systemctl is-enabled "$1" 2>&1 || true; }
is_active() { systemctl is-active "$1" 2>&1 || true; }

# guest_preamble USAGE: refuses to run outside run-in-vm --systemd or without a binary.
guest_preamble() {
  if [ "${RUN_IN_VM_SYSTEMD:-}" != 1 ] || [ "$(cat /proc/1/comm)" != systemd ]; then
    echo "run me under run-in-vm --systemd (PID 1 is $(cat /proc/1/comm))" >&2
    exit 2
  fi
  [ -x "$BIN" ] || { echo "not an executable: $BIN" >&2; exit 2; }
}

# summary T0: prints the totals; the caller exits with `[ "$FAILED" -eq 0 ]`.
summary() {
  echo "# test took $(( ($(date +%s%N) - $1) / 1000000 )) ms; logs: $LOGS"
  echo "$PASSED passed, $FAILED failed"
}
