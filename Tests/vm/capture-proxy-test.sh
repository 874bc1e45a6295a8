#!/bin/bash
# Integration test: the CaptureProxy kind against real systemd (PID 1), socat and tcpdump.
#
# Runs INSIDE the guest of `run-in-vm --systemd`, from the repository (run-in-vm keeps the
# cwd); on the host, Tests/vm/run-systemd-tests.sh starts it as
#   run-in-vm --systemd -t 600 -w WORK -f Tests/vm/capture-proxy-test.sh BINARY WORK
#
# Usage (in the guest): capture-proxy-test.sh RECONCILE_BINARY [LOG_DIR]
# Prints `ok - …` / `not ok - …` per check, then `N passed, M failed`; exits 1 if any failed.
set -euo pipefail

BIN=${1:?usage: capture-proxy-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
echo "# guest uptime at start: $(cut -d' ' -f1 /proc/uptime) s; $(socat -V | sed -n 2p); $(tcpdump --version | head -1)"

TMP=$(mktemp -d /tmp/reconcile-capture-test.XXXXXX)
M=$TMP/manifests STATE=$TMP/state
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$M" "$STATE" "$LOGS"
SERVER=/run/app.sock PROXY=/run/app.sock.proxy PORT=9000
PCAP=/var/lib/reconcile/capture/app.pcap
UNITS=(capture-app-tcpdump.service capture-app-tcp.service capture-app-unix.service)
REQUEST="hello through the proxy"
REPLY="HELLO THROUGH THE PROXY"

# The server: replies in upper case, so the two directions can be told apart in the pcap.
systemd-run --quiet --unit=upper-server /usr/bin/socat "UNIX-LISTEN:$SERVER,fork,unlink-early" "EXEC:tr a-z A-Z"

is_socket() { [ -S "$1" ]; }
talk() { printf '%s\n' "$REQUEST" | timeout 10 socat -t5 - "UNIX-CONNECT:$1" 2>&1 || true; }
# Under TCG on a busy host a fresh relay can take seconds to answer: retry (short tries, so a
# stuck connection does not use up the wait) before the check that counts.
answers() { [ "$(talk "$PROXY")" = "$REPLY" ]; }
active_states() { local u; for u in "$@"; do printf '%s ' "$(is_active "$u")"; done; }
pcap_has_both() {   # read whole first: grep -q would end the pipe early and, with pipefail, fail it
  local text
  text=$(tcpdump -r "$1" -nn -A 2>/dev/null) || return 1
  grep -q "$REQUEST" <<<"$text" && grep -q "$REPLY" <<<"$text"
}
chain_processes() {   # processes whose argv names this chain's proxy, port or pcap
  pgrep -c -f -- "$PROXY|TCP-LISTEN:$PORT,|port $PORT\$" || true
}
write_proxy() {   # write_proxy [EXTRA LINE]
  cat >"$M/app.yaml" <<EOF2
kind: CaptureProxy
name: app
socket: $SERVER
proxy: $PROXY
port: $PORT
pcap: $PCAP
rotate: {megabytes: 10, files: 2}
${1:-}
EOF2
}
poll 10 is_socket "$SERVER" || not_ok "the test's server is listening on $SERVER"

# --- 1: apply starts the chain ---------------------------------------------------------
write_proxy
run_logged validate "$BIN" validate "$M"
check_eq "manifest validates" 0 "$RC" "$LOG"
plan_exit "before the first apply" 2
apply "first apply"
check_eq "first apply: the three units are active" "active active active " "$(active_states "${UNITS[@]}")"
check_eq "first apply: the client-facing relay is enabled" enabled "$(is_enabled capture-app-unix.service)"
poll 10 is_socket "$PROXY" || true
check_eq "first apply: proxy socket mode and owner" "socket 600 root:root" "$(stat -c '%F %a %U:%G' "$PROXY" 2>&1 || true)"
check_eq "first apply: TCP listener on loopback only" "127.0.0.1:$PORT" "$(ss -Hltn "sport = :$PORT" | awk '{print $4}')"
run_logged verify systemd-analyze verify --man=no "${UNITS[@]/#//etc/systemd/system/}"
check_eq "generated units: systemd-analyze verify prints nothing" "0 0" "$RC $(($(wc -l <"$LOG") - 2))" "$LOG"

# --- 2: traffic lands in the pcap ------------------------------------------------------
poll 30 answers || true
check_eq "a client gets the server's reply through the proxy" "$REPLY" "$(talk "$PROXY")"
# -W 2 names the ring pcap0, pcap1.
if poll 10 pcap_has_both "${PCAP}0"; then ok "pcap has both directions while the capture runs (tcpdump -U)"
else not_ok "pcap has both directions while the capture runs (tcpdump -U)" "$(tcpdump -r "${PCAP}0" -nn -A 2>&1 | tail -20)"; fi
check_eq "pcap is root's only" "600 root" "$(stat -c '%a %U' "${PCAP}0" 2>&1 || true)"
plan_exit "after the first apply (converged)" 0

# --- 3: a killed relay comes back by itself (unlink-early, Restart=on-failure) ---------
for unit in capture-app-unix.service capture-app-tcp.service; do
  before=$(unit_prop "$unit" MainPID)
  systemctl kill -s KILL "$unit"
  restarted() { local pid; pid=$(unit_prop "$unit" MainPID); [ "$pid" != 0 ] && [ "$pid" != "$before" ] && [ "$(is_active "$unit")" = active ]; }
  if poll 15 restarted; then ok "$unit killed with SIGKILL: restarted (NRestarts=$(unit_prop "$unit" NRestarts))"
  else not_ok "$unit killed with SIGKILL: restarted" "$(systemctl status "$unit" --no-pager 2>&1 | tail -15)"; fi
  # Type=simple: "active" comes before socat listens; a client may see one refused connection.
  poll 30 answers || true
  check_eq "after killing $unit: the proxy works again" "$REPLY" "$(talk "$PROXY")"
done
check_eq "after the kills: the three units are active" "active active active " "$(active_states "${UNITS[@]}")"
plan_exit "after the kills" 0

# A killed recorder restarts; the relays bound to it go down with it (nothing passes uncaptured)
# and whatever is left down, the next apply brings back.
before=$(unit_prop capture-app-tcpdump.service MainPID)
systemctl kill -s KILL capture-app-tcpdump.service
recorder_back() { local pid; pid=$(unit_prop capture-app-tcpdump.service MainPID); [ "$pid" != 0 ] && [ "$pid" != "$before" ]; }
if poll 15 recorder_back; then ok "capture-app-tcpdump.service killed with SIGKILL: restarted"
else not_ok "capture-app-tcpdump.service killed with SIGKILL: restarted" "$(systemctl status capture-app-tcpdump.service --no-pager 2>&1 | tail -15)"; fi
sleep 2
echo "# after killing tcpdump: $(active_states "${UNITS[@]}")(tcpdump tcp unix)"
apply "after killing tcpdump"
check_eq "after killing tcpdump and applying: the three units are active" "active active active " "$(active_states "${UNITS[@]}")"
poll 30 answers || true
check_eq "after killing tcpdump and applying: the proxy works" "$REPLY" "$(talk "$PROXY")"
plan_exit "after killing tcpdump and applying" 0

# --- 4: a port taken by something else is a plan error naming the port -----------------
systemd-run --quiet --unit=port-blocker /usr/bin/socat TCP-LISTEN:9002,bind=127.0.0.1,fork EXEC:/bin/cat
poll 10 sh -c 'ss -Hltn "sport = :9002" | grep -q 9002' || true
cp "$M/app.yaml" "$TMP/app.yaml.keep"
sed -e 's/name: app/name: other/' -e "s|$PROXY|/run/other.proxy|" -e "s/port: $PORT/port: 9002/" \
  -e 's|app.pcap|other.pcap|' "$TMP/app.yaml.keep" >"$M/other.yaml"
run_logged plan "$BIN" plan "$M" --detailed-exitcode --state-dir "$STATE"
check_eq "port 9002 taken: plan exits 1" 1 "$RC" "$LOG"
if grep -q "port 9002 is already in use" "$LOG"; then ok "port 9002 taken: the error names the port"
else not_ok "port 9002 taken: the error names the port" "$(tail -5 "$LOG")"; fi
rm "$M/other.yaml"
systemctl stop port-blocker.service

# --- 5: left out of the manifests, the chain is removed through its absent path ---------
# The first apply recorded CaptureProxy/app in the inventory. Now no manifest declares it: its
# file is moved away and a File takes the folder's place. --keep-undeclared only reports it;
# a plain apply then removes it as `state: absent` would (section 6 declares that explicitly).
INVENTORY=$STATE/inventory.jsonl
MARKER=/etc/reconcile-capture-test.marker
# json_eval FILE PYTHON-EXPR: EXPR with `doc` (the parsed file), `change(address)` (a plan's
# change of that address) and `managed(address)` (whether the inventory has it).
json_eval() {
  python3 - "$1" "$2" "$INVENTORY" <<'PY' 2>&1 || true
import json, sys
with open(sys.argv[1]) as f:
    text = f.read()
try:
    doc = json.loads(text)
except ValueError:   # the inventory: JSON Lines
    doc = [json.loads(line) for line in text.splitlines() if line.strip()]
def change(address):
    found = [c for c in doc.get("changes", []) if c.get("address") == address]
    return found[0] if len(found) == 1 else {"action": f"{len(found)} changes of {address}", "cause": None}
def managed(address):
    with open(sys.argv[3]) as f:
        return any(json.loads(line).get("address") == address for line in f if line.strip())
print(eval(sys.argv[2]))
PY
}
# json_out NAME CMD...: CMD's stdout (a JSON document) into LOG with .json for .log, its stderr
# and exit status into LOG; sets RC, LOG and OUT.
json_out() {
  local name=$1; shift
  N=$((N + 1)); LOG=$(printf '%s/%02d-%s.log' "$LOGS" "$N" "$name"); OUT=${LOG%.log}.json
  echo "\$ $* >$OUT" >"$LOG"
  RC=0; "$@" >"$OUT" 2>>"$LOG" || RC=$?
  echo "[exit $RC]" >>"$LOG"
}
check_eq "undeclared: the inventory has CaptureProxy/app (from the first apply)" True "$(json_eval "$INVENTORY" "managed('CaptureProxy/app')")"
mv "$M/app.yaml" "$TMP/app.yaml.declared"
cat >"$M/marker.yaml" <<EOF
kind: File
name: marker
path: $MARKER
content: "CaptureProxy/app is no longer declared\n"
EOF
json_out plan-json "$BIN" plan "$M" --json --state-dir "$STATE"
check_eq "undeclared: plan --json exits 0" 0 "$RC" "$LOG"
check_eq "undeclared: plan --json deletes CaptureProxy/app, cause undeclared" "delete undeclared" \
  "$(json_eval "$OUT" "change('CaptureProxy/app')['action'], change('CaptureProxy/app')['cause']" | tr -d "(),'")" "$OUT"

# --keep-undeclared: reported, not removed, by plan and by apply.
run_logged plan-keep "$BIN" plan "$M" --keep-undeclared --state-dir "$STATE"
check_eq "keep-undeclared: plan exits 0" 0 "$RC" "$LOG"
if grep -q "^Kept (--keep-undeclared): 1 resource no longer declared stays on the host and in the inventory: CaptureProxy/app$" "$LOG"
then ok "keep-undeclared: plan lists CaptureProxy/app as kept"
else not_ok "keep-undeclared: plan lists CaptureProxy/app as kept" "$(tail -8 "$LOG")"; fi
json_out plan-keep-json "$BIN" plan "$M" --json --keep-undeclared --state-dir "$STATE"
check_eq "keep-undeclared: plan --json: undeclaredKept, and only the File changes" "['CaptureProxy/app'] ['File/marker']" \
  "$(json_eval "$OUT" "doc.get('undeclaredKept'), [c['address'] for c in doc['changes'] if c['action'] != 'no-op']" | sed 's/^(\(.*\))$/\1/; s/, \[/ [/')" "$OUT"
run_logged apply-keep "$BIN" apply "$M" --auto-approve --keep-undeclared --state-dir "$STATE"
check_eq "keep-undeclared: apply exits 0" 0 "$RC" "$LOG"
check_eq "keep-undeclared: apply wrote the declared File" "CaptureProxy/app is no longer declared" "$(cat "$MARKER" 2>&1 || true)"
check_eq "keep-undeclared: the three units are still active" "active active active " "$(active_states "${UNITS[@]}")"
poll 30 answers || true
check_eq "keep-undeclared: the proxy still works" "$REPLY" "$(talk "$PROXY")"
check_eq "keep-undeclared: CaptureProxy/app stays in the inventory" True "$(json_eval "$INVENTORY" "managed('CaptureProxy/app')")"

# A plain apply removes it.
apply "undeclared"
if grep -q "CaptureProxy/app  delete (no longer declared)" "$LOG"; then ok "undeclared: apply printed the delete as no longer declared"
else not_ok "undeclared: apply printed the delete as no longer declared" "$(head -20 "$LOG")"; fi
check_eq "undeclared: the three units are inactive" "inactive inactive inactive " "$(active_states "${UNITS[@]}")"
check_eq "undeclared: no unit files left" "" "$(ls /etc/systemd/system/capture-app-* /etc/systemd/system/multi-user.target.wants/capture-app-* 2>/dev/null || true)"
check_eq "undeclared: systemd forgot them (LoadState)" "not-found not-found not-found " \
  "$(for u in "${UNITS[@]}"; do printf '%s ' "$(unit_prop "$u" LoadState)"; done)"
check_eq "undeclared: no proxy socket" "no" "$([ -e "$PROXY" ] && echo yes || echo no)"
check_eq "undeclared: no socat or tcpdump of the chain" 0 "$(chain_processes)"
check_eq "undeclared: nothing listens on $PORT" "" "$(ss -Hltn "sport = :$PORT")"
if pcap_has_both "${PCAP}0"; then ok "undeclared: the pcap is kept and still readable"; else not_ok "undeclared: the pcap is kept and still readable"; fi
check_eq "undeclared: the inventory no longer has CaptureProxy/app, still has File/marker" "False True" \
  "$(json_eval "$INVENTORY" "managed('CaptureProxy/app'), managed('File/marker')" | tr -d '(),')"
plan_exit "after removing the undeclared proxy" 0
json_out history "$BIN" history --json --state-dir "$STATE"
check_eq "undeclared: history --json: the last apply is complete with one delete and nothing else" "complete create=0 update=0 replace=0 delete=1" \
  "$(json_eval "$OUT" "'{result} create={create} update={update} replace={replace} delete={delete}'.format(result=doc['applies'][0]['result'], **doc['applies'][0]['summary'])")" "$OUT"

# Declared again (and the File left out, so removed): the chain is back for section 6, with
# traffic in a fresh pcap (tcpdump's ring starts again at pcap0).
mv "$TMP/app.yaml.declared" "$M/app.yaml"
rm "$M/marker.yaml"
apply "declared again"
check_eq "declared again: the three units are active" "active active active " "$(active_states "${UNITS[@]}")"
check_eq "declared again: the File left out is removed" "no" "$([ -e "$MARKER" ] && echo yes || echo no)"
poll 10 is_socket "$PROXY" || true
poll 30 answers || true
check_eq "declared again: the proxy works" "$REPLY" "$(talk "$PROXY")"
if poll 10 pcap_has_both "${PCAP}0"; then ok "declared again: the new capture has both directions"
else not_ok "declared again: the new capture has both directions" "$(tcpdump -r "${PCAP}0" -nn -A 2>&1 | tail -20)"; fi
check_eq "declared again: the inventory has CaptureProxy/app, not File/marker" "True False" \
  "$(json_eval "$INVENTORY" "managed('CaptureProxy/app'), managed('File/marker')" | tr -d '(),')"
plan_exit "after declaring the proxy again" 0

# --- 6: state: absent stops everything and leaves nothing behind -----------------------
cat >"$M/app.yaml" <<EOF
kind: CaptureProxy
name: app
state: absent
proxy: $PROXY
EOF
apply "state: absent"
check_eq "absent: the three units are inactive" "inactive inactive inactive " "$(active_states "${UNITS[@]}")"
check_eq "absent: no unit files left" "" "$(ls /etc/systemd/system/capture-app-* /etc/systemd/system/multi-user.target.wants/capture-app-* 2>/dev/null || true)"
check_eq "absent: systemd forgot them (LoadState)" "not-found" "$(unit_prop capture-app-unix.service LoadState)"
check_eq "absent: no proxy socket" "no" "$([ -e "$PROXY" ] && echo yes || echo no)"
check_eq "absent: no socat or tcpdump of the chain" 0 "$(chain_processes)"
check_eq "absent: nothing listens on $PORT" "" "$(ss -Hltn "sport = :$PORT")"
if pcap_has_both "${PCAP}0"; then ok "absent: the pcap is kept and still readable"; else not_ok "absent: the pcap is kept and still readable"; fi
plan_exit "after state: absent" 0

# --- 7: a time-limited capture ends cleanly and stays ended --------------------------
write_proxy "timeLimit: 20s"
sed -i '/^rotate:/d' "$M/app.yaml"
apply "time-limited capture"
check_eq "time-limited: the three units are active" "active active active " "$(active_states "${UNITS[@]}")"
poll 10 is_socket "$PROXY" || true
poll 10 answers || true   # within the 20 s limit
check_eq "time-limited: traffic passes" "$REPLY" "$(talk "$PROXY")"
ended() { [ "$(active_states "${UNITS[@]}")" = "inactive inactive inactive " ]; }
if poll 40 ended; then ok "time-limited: the whole chain stopped at the limit"
else not_ok "time-limited: the whole chain stopped at the limit" "$(active_states "${UNITS[@]}")"; fi
check_eq "time-limited: tcpdump ended cleanly, not failed" "success" "$(unit_prop capture-app-tcpdump.service Result)"
check_eq "time-limited: no proxy socket left" "no" "$([ -e "$PROXY" ] && echo yes || echo no)"
if pcap_has_both "$PCAP"; then ok "time-limited: the pcap is complete"; else not_ok "time-limited: the pcap is complete" "$(tcpdump -r "$PCAP" -nn 2>&1 | tail)"; fi
plan_exit "after the time limit (the capture stays ended)" 0

systemctl stop upper-server.service >/dev/null 2>&1 || true
summary "$T0"
[ "$FAILED" -eq 0 ]
