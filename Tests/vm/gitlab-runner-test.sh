#!/bin/bash
# Integration test: the GitLabRunner kind against real systemd (PID 1), useradd and a stand-in
# for gitlab-runner (not packaged here: a bash script that counts its starts and registrations).
#
# Runs INSIDE the guest of `run-in-vm --systemd`, from the repository (run-in-vm keeps the
# cwd); on the host, Tests/vm/run-systemd-tests.sh starts it as
#   run-in-vm --systemd -t 600 -w WORK -f Tests/vm/gitlab-runner-test.sh BINARY WORK
#
# Usage (in the guest): gitlab-runner-test.sh RECONCILE_BINARY [LOG_DIR]
# Prints `ok - …` / `not ok - …` per check, then `N passed, M failed`; exits 1 if any failed.
# Every token source holds $CANARY; the last checks grep all of reconcile's output for it.
set -euo pipefail

BIN=${1:?usage: gitlab-runner-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
echo "# guest uptime at start: $(cut -d' ' -f1 /proc/uptime) s; $(systemctl --version | head -1); reconcile $("$BIN" --version)"

TMP=$(mktemp -d /tmp/reconcile-gitlab-runner-test.XXXXXX)
M=$TMP/manifests STATE=$TMP/state
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$M" "$STATE" "$LOGS"
UNIT_DIR=/etc/systemd/system
RUNNER_USER=gitlab-runner HOME_DIR=/home/gitlab-runner
CACHE=$HOME_DIR/_cache
CONFIG=/etc/gitlab-runner/config.toml                 # runner alpha (glrt- token from a file)
LEGACY_CONFIG=/etc/gitlab-runner-legacy/config.toml   # runner beta (registration token from env)
TOKEN_FILE=/etc/reconcile/runner-token
CANARY="CANARY-7d41c9"
ALPHA_UNITS=(gitlab-runner.service gitlab-runner-alpha-cache-purge.service gitlab-runner-alpha-cache-purge.timer)
PURGE=gitlab-runner-alpha-cache-purge.service
STANDIN=/usr/local/bin/gitlab-runner STANDIN2=/usr/local/bin/gitlab-runner-2
REC=/run/glr   # what the stand-in records (world-writable: `run` runs as the runner's user)

# --- the stand-in for gitlab-runner -----------------------------------------------------
mkdir -p "$REC" && chmod 1777 "$REC"
cat >"$STANDIN" <<'EOF'
#!/bin/bash
# Stand-in for gitlab-runner (reconcile's GitLabRunner VM test). `run`: one `started` line per
# start in /run/glr/starts-<config path>, exits 0 on SIGQUIT/SIGTERM. `register`: appends a
# [[runners]] entry, records the call and whether REGISTRATION_TOKEN was the expected one.
set -u
REC=/run/glr
command=${1:-}; shift || true
declare -A opt=()
argv=("$@")
while (($#)); do
  case $1 in
    --non-interactive) shift ;;
    --*) [ $# -ge 2 ] || { echo "gitlab-runner stand-in: $1 needs a value" >&2; exit 2; }
         opt[${1#--}]=$2; shift 2 ;;
    *) echo "gitlab-runner stand-in: unexpected argument $1" >&2; exit 2 ;;
  esac
done
config=${opt[config]:?--config missing}
tag=${config//\//_}
case $command in
  run)
    trap 'echo "stopped by QUIT" >>"$REC/signals$tag"; exit 0' QUIT
    trap 'echo "stopped by TERM" >>"$REC/signals$tag"; exit 0' TERM
    echo "started $0" >>"$REC/starts$tag"
    while :; do sleep 5 & wait $!; done ;;
  register)
    for key in url name executor shell builds-dir cache-dir limit custom-prepare-exec custom-run-exec custom-cleanup-exec; do
      [ -n "${opt[$key]:-}" ] || { echo "gitlab-runner stand-in: register without --$key" >&2; exit 2; }
    done
    if [ "$(printf %s "${REGISTRATION_TOKEN:-}" | sha256sum | cut -d' ' -f1)" = "$(cat "$REC/expected-registration.sha256" 2>/dev/null)" ]
    then via_env=yes; else via_env=no; fi
    echo "register token-via-env=$via_env argv: ${argv[*]}" >>"$REC/register.log"
    mkdir -p "$(dirname "$config")"
    if [ ! -s "$config" ]; then printf 'concurrent = 1\ncheck_interval = 0\n' >"$config"; fi
    cat >>"$config" <<TOML

[[runners]]
  name = "${opt[name]}"
  url = "${opt[url]}"
  token = "glrt-from-register-${opt[name]}"
  executor = "${opt[executor]}"
  shell = "${opt[shell]}"
  builds_dir = "${opt[builds-dir]}"
  cache_dir = "${opt[cache-dir]}"
  limit = ${opt[limit]}
  [runners.custom]
    prepare_exec = "${opt[custom-prepare-exec]}"
    run_exec = "${opt[custom-run-exec]}"
    cleanup_exec = "${opt[custom-cleanup-exec]}"
TOML
    chmod 600 "$config"
    echo "Runner registered successfully." ;;
  *) echo "gitlab-runner stand-in: unknown command $command" >&2; exit 2 ;;
esac
EOF
chmod 755 "$STANDIN"
cp "$STANDIN" "$STANDIN2"

tag() { echo "${1//\//_}"; }
starts() { local f; f=$REC/starts$(tag "$1"); if [ -f "$f" ]; then grep -c '^started ' "$f" || true; else echo 0; fi; }
# starts_settled CONFIG WANT: poll (<= 10 s) until WANT starts, then a second more for extra ones.
starts_settled() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(starts "$1")" -ge "$2" ] && break
    sleep 0.1
  done
  sleep 1
  starts "$1"
}
last_start() { tail -1 "$REC/starts$(tag "$1")" 2>/dev/null | cut -d' ' -f2; }
registrations() { if [ -f "$REC/register.log" ]; then grep -c '^register ' "$REC/register.log" || true; else echo 0; fi; }
# toml CONFIG PYTHON-EXPR: evaluates EXPR with `doc` (the parsed file) and `runner(name)`.
toml() {
  python3 - "$1" "$2" <<'PY' 2>&1 || true
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    doc = tomllib.load(f)
def runner(name):
    found = [r for r in doc.get("runners", []) if r.get("name") == name]
    return found[0] if len(found) == 1 else {"error": f"{len(found)} entries named {name}"}
print(eval(sys.argv[2]))
PY
}
# The hand-written entry reconcile must leave alone, byte for byte.
unmanaged_block() { sed -n '/^# The old shell runner/,/^    MaxUploadedArchiveSize/p' "$1" 2>&1 || true; }
file_gone() { if [ -e "$1" ] || [ -L "$1" ]; then echo "exists"; else echo "gone"; fi; }

# --- fixtures: the token, and a config.toml with a runner reconcile does not manage --------
mkdir -p /etc/reconcile "$(dirname "$CONFIG")"
(umask 077; printf 'glrt-%s-alpha-auth\n' "$CANARY" >"$TOKEN_FILE")
cat >"$CONFIG" <<'EOF'
# Global settings (written by hand)
concurrent = 1
check_interval = 0

[session_server]
  session_timeout = 1800

# The old shell runner: not managed by reconcile.
[[runners]]
  name = "old-shell"
  url="https://gitlab.example.org/"    # odd spacing, kept as is
  token = "glrt-unmanaged-0000"
  executor = "shell"
  [runners.cache]
    MaxUploadedArchiveSize = 0
EOF
chmod 600 "$CONFIG"
UNMANAGED=$(unmanaged_block "$CONFIG")
if getent passwd "$RUNNER_USER" >/dev/null; then
  not_ok "fixture: user $RUNNER_USER does not exist before the first apply"
fi

IMAGE=registry.example.org/base/debian:12 CONCURRENCY=1 EXECUTABLE=$STANDIN
write_alpha() {
  cat >"$M/alpha.yaml" <<EOF
kind: GitLabRunner
name: alpha
url: https://gitlab.example.org/
token: {file: $TOKEN_FILE}
config: $CONFIG
image: $IMAGE
concurrency: $CONCURRENCY
executable: $EXECUTABLE
purgeCacheAfter: 2d
EOF
}

# --- 1: first apply ------------------------------------------------------------------------
write_alpha
run_logged validate "$BIN" validate "$M"
check_eq "manifest validates" 0 "$RC" "$LOG"
plan_exit "before the first apply" 2
apply "first apply"
plan_exit "after the first apply (converged)" 0
check_eq "first apply: user created (system account, home, nologin)" "yes $HOME_DIR /usr/sbin/nologin" \
  "$(getent passwd "$RUNNER_USER" | awk -F: '{print ($3 < 1000 ? "yes" : "uid " $3), $6, $7}')"
check_eq "first apply: gitlab-runner.service enabled, active" "enabled active" \
  "$(is_enabled gitlab-runner.service) $(is_active gitlab-runner.service)"
check_eq "first apply: gitlab-runner.service started once, as $RUNNER_USER" "1 $RUNNER_USER" \
  "$(starts_settled "$CONFIG" 1) $(ps -o user= -p "$(unit_prop gitlab-runner.service MainPID)" 2>&1 || true)"
check_eq "first apply: the purge timer enabled, active" "enabled active" \
  "$(is_enabled gitlab-runner-alpha-cache-purge.timer) $(is_active gitlab-runner-alpha-cache-purge.timer)"
check_eq "first apply: the purge service loaded" loaded "$(unit_prop "$PURGE" LoadState)"
run_logged verify systemd-analyze verify --man=no "${ALPHA_UNITS[@]/#/$UNIT_DIR/}"
check_eq "generated units: systemd-analyze verify prints nothing" "0 0" "$RC $(($(wc -l <"$LOG") - 2))" "$LOG"
check_eq "first apply: cache folder created, 0750, owned by $RUNNER_USER" "directory 750 $RUNNER_USER:$RUNNER_USER" \
  "$(stat -c '%F %a %U:%G' "$CACHE" 2>&1 || true)"
check_eq "first apply: executor scripts 0755 root, bash -n clean" "755 root;755 root;755 root;755 root;" \
  "$(for s in base prepare run cleanup; do f=$HOME_DIR/alpha/$s.sh; printf '%s%s;' "$(stat -c '%a %U' "$f" 2>&1)" "$(bash -n "$f" 2>&1)"; done)"
run_logged shellcheck-scripts shellcheck -x -P SCRIPTDIR "$HOME_DIR"/alpha/{base,prepare,run,cleanup}.sh
check_eq "generated executor scripts: shellcheck clean" 0 "$RC" "$LOG"
check_eq "first apply: config.toml parses; top level and the unmanaged entry kept" "1 old-shell shell 2" \
  "$(toml "$CONFIG" '" ".join(map(str, [doc["concurrent"], doc["runners"][0]["name"], doc["runners"][0]["executor"], len(doc["runners"])]))')"
check_eq "first apply: the unmanaged entry's lines are byte-for-byte unchanged" "$UNMANAGED" "$(unmanaged_block "$CONFIG")"
check_eq "first apply: the header comment is kept" "# Global settings (written by hand)" "$(head -1 "$CONFIG")"
EXPECT_ENTRY="custom https://gitlab.example.org/ token=file $HOME_DIR/alpha/prepare.sh $HOME_DIR/alpha/run.sh $HOME_DIR/alpha/cleanup.sh 1"
ENTRY_EXPR='" ".join([runner("alpha").get("executor", "?"), runner("alpha").get("url", "?"), "token=" + ("file" if runner("alpha").get("token") == open("'$TOKEN_FILE'").read().strip() else "other"), *[runner("alpha").get("custom", {}).get(k, "?") for k in ("prepare_exec", "run_exec", "cleanup_exec")], str(runner("alpha").get("limit"))])'
check_eq "first apply: the managed entry has the file's token and the scripts" "$EXPECT_ENTRY" "$(toml "$CONFIG" "$ENTRY_EXPR")"
check_eq "first apply: config.toml 0600, owned by $RUNNER_USER" "600 $RUNNER_USER:$RUNNER_USER" "$(stat -c '%a %U:%G' "$CONFIG")"

# --- 2: the purge deletes old cache folders, as the runner's user --------------------------
install -d -o "$RUNNER_USER" -g "$RUNNER_USER" "$CACHE/old-slot" "$CACHE/fresh-slot" "$CACHE/day-old-slot"
touch "$CACHE/old-slot/artifact"
chown "$RUNNER_USER" "$CACHE/old-slot/artifact"
touch -d '3 days ago' "$CACHE/old-slot"
touch -d '1 day ago' "$CACHE/day-old-slot"
run_logged purge systemctl start "$PURGE"
check_eq "purge: the service ran and succeeded" "0 success 0" "$RC $(unit_prop "$PURGE" Result) $(unit_prop "$PURGE" ExecMainStatus)" "$LOG"
check_eq "purge: the 3-day-old folder is gone, the fresh and 1-day-old ones stay" "gone exists exists" \
  "$(file_gone "$CACHE/old-slot") $(file_gone "$CACHE/fresh-slot") $(file_gone "$CACHE/day-old-slot")"
# Unprivileged: a root-owned old folder with a file in it cannot be emptied (the unit fails).
mkdir "$CACHE/root-slot" && touch "$CACHE/root-slot/keep" && touch -d '3 days ago' "$CACHE/root-slot"
run_logged purge-as-user systemctl start "$PURGE"
check_eq "purge: ran as $RUNNER_USER (root-owned old folder kept, rm denied)" "exists denied" \
  "$(file_gone "$CACHE/root-slot/keep") $(journalctl -u "$PURGE" -o cat 2>&1 | grep -q 'Permission denied' && echo denied || echo 'no Permission denied in the journal')"
systemctl reset-failed "$PURGE" >/dev/null 2>&1 || true
rm -rf "$CACHE/root-slot"
plan_exit "after the purge runs" 0

# --- 3: changes to the scripts or config.toml alone do not restart the service -------------
IMAGE=registry.example.org/base/debian:13 write_alpha
apply "image changed"
check_eq "image changed: base.sh has the new image" "DEFAULT_IMAGE='registry.example.org/base/debian:13'" \
  "$(grep '^DEFAULT_IMAGE=' "$HOME_DIR/alpha/base.sh" 2>&1 || true)"
check_eq "image changed: gitlab-runner.service not restarted" "1 active" "$(starts_settled "$CONFIG" 1) $(is_active gitlab-runner.service)"
plan_exit "after the image change" 0
IMAGE=registry.example.org/base/debian:13 CONCURRENCY=3
write_alpha
apply "concurrency changed"
check_eq "concurrency changed: limit = 3, top-level concurrent raised to 3" "3 3" \
  "$(toml "$CONFIG" '" ".join(map(str, [runner("alpha").get("limit"), doc.get("concurrent")]))')"
check_eq "concurrency changed: the unmanaged entry's lines are byte-for-byte unchanged" "$UNMANAGED" "$(unmanaged_block "$CONFIG")"
check_eq "concurrency changed: gitlab-runner.service not restarted" "1 active" "$(starts_settled "$CONFIG" 1) $(is_active gitlab-runner.service)"
plan_exit "after the concurrency change" 0

# --- 3b: a link the runner's user plants in its home never redirects root's writes ---------
# The home is the user's: it may swap the scripts folder for a link to /etc/profile.d. The
# next root apply that rewrites a script must refuse, naming the link, and write nothing there.
run_logged plant-link runuser -u "$RUNNER_USER" -- sh -c "mv '$HOME_DIR/alpha' '$HOME_DIR/alpha.real' && ln -s /etc/profile.d '$HOME_DIR/alpha'"
check_eq "planted link: the runner's user replaced its scripts folder with a link" "0 $RUNNER_USER /etc/profile.d" \
  "$RC $(stat -c %U "$HOME_DIR/alpha" 2>&1) $(readlink "$HOME_DIR/alpha" 2>&1)" "$LOG"
PROFILE_BEFORE=$(find /etc/profile.d -printf "%p %s %T@\n" | sort | md5sum)
IMAGE=registry.example.org/base/debian:14 write_alpha
run_logged apply-through-link "$BIN" apply "$M" --auto-approve --state-dir "$STATE"
check_eq "planted link: apply exits 1" 1 "$RC" "$LOG"
check_eq "planted link: the error names the link and its owner" yes \
  "$(grep -q "refusing to follow the link \"$HOME_DIR/alpha\" -> \"/etc/profile.d\".*owned by uid $(id -u "$RUNNER_USER"), not root" "$LOG" && echo yes || echo no)" "$LOG"
check_eq "planted link: nothing was written into /etc/profile.d" "$PROFILE_BEFORE" "$(find /etc/profile.d -printf "%p %s %T@\n" | sort | md5sum)"
check_eq "planted link: no executor script in /etc/profile.d" "gone gone gone gone" \
  "$(for s in base prepare run cleanup; do printf '%s ' "$(file_gone "/etc/profile.d/$s.sh")"; done | sed 's/ $//')"
run_logged unplant-link runuser -u "$RUNNER_USER" -- sh -c "rm '$HOME_DIR/alpha' && mv '$HOME_DIR/alpha.real' '$HOME_DIR/alpha'"
IMAGE=registry.example.org/base/debian:13 write_alpha
plan_exit "after the link is gone again" 0

# --- 4: a unit change restarts the service once ---------------------------------------------
EXECUTABLE=$STANDIN2
write_alpha
apply "executable changed"
check_eq "executable changed: gitlab-runner.service restarted exactly once" 2 "$(starts_settled "$CONFIG" 2)"
check_eq "executable changed: the new executable runs" "$STANDIN2 active" "$(last_start "$CONFIG") $(is_active gitlab-runner.service)"
check_eq "executable changed: the old process got SIGQUIT (KillSignal)" "stopped by QUIT" \
  "$(cat "$REC/signals$(tag "$CONFIG")" 2>&1 || true)"
check_eq "executable changed: NeedDaemonReload=no" no "$(unit_prop gitlab-runner.service NeedDaemonReload)"
plan_exit "after the executable change" 0

# --- 5: a legacy registration token runs `gitlab-runner register` once ----------------------
export REG_TOKEN="$CANARY-registration"
printf %s "$REG_TOKEN" | sha256sum | cut -d' ' -f1 >"$REC/expected-registration.sha256"
cat >"$M/beta.yaml" <<EOF
kind: GitLabRunner
name: beta
url: https://gitlab.example.org/
token: {env: REG_TOKEN}
config: $LEGACY_CONFIG
service: gitlab-runner-legacy.service
hostCacheDir: $HOME_DIR/_cache-beta
image: registry.example.org/base/debian:12
EOF
plan_exit "legacy runner beta added" 2
apply "legacy runner beta added"
check_eq "legacy: register ran once, the token came by REGISTRATION_TOKEN" "1 token-via-env=yes" \
  "$(registrations) $(grep -o 'token-via-env=[a-z]*' "$REC/register.log" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
check_eq "legacy: the entry exists with register's token and the scripts" \
  "custom glrt-from-register-beta $HOME_DIR/beta/prepare.sh 1" \
  "$(toml "$LEGACY_CONFIG" '" ".join(map(str, [runner("beta").get("executor"), runner("beta").get("token"), runner("beta").get("custom", {}).get("prepare_exec"), len(doc["runners"])]))')"
check_eq "legacy: config.toml 0600, owned by $RUNNER_USER" "600 $RUNNER_USER:$RUNNER_USER" "$(stat -c '%a %U:%G' "$LEGACY_CONFIG" 2>&1 || true)"
check_eq "legacy: gitlab-runner-legacy.service enabled, active, started once" "enabled active 1" \
  "$(is_enabled gitlab-runner-legacy.service) $(is_active gitlab-runner-legacy.service) $(starts_settled "$LEGACY_CONFIG" 1)"
check_eq "legacy: runner alpha untouched (not restarted)" 2 "$(starts "$CONFIG")"
plan_exit "after registering beta" 0
apply "legacy runner beta again"
check_eq "legacy: a second apply does not register again" 1 "$(registrations)"
plan_exit "after applying beta again" 0

# --- 6: state: absent removes runner alpha, and only it ------------------------------------
cat >"$M/alpha.yaml" <<EOF
kind: GitLabRunner
name: alpha
state: absent
config: $CONFIG
EOF
apply "alpha absent"
check_eq "alpha absent: its units are inactive" "inactive inactive inactive " \
  "$(for u in "${ALPHA_UNITS[@]}"; do printf '%s ' "$(is_active "$u")"; done)"
check_eq "alpha absent: unit files and enablement links removed" "" \
  "$(ls -d "$UNIT_DIR"/gitlab-runner.service "$UNIT_DIR"/gitlab-runner-alpha-* "$UNIT_DIR"/*.wants/gitlab-runner.service \
    "$UNIT_DIR"/*.wants/gitlab-runner-alpha-* 2>/dev/null || true)"
check_eq "alpha absent: systemd forgot them (LoadState)" "not-found not-found" \
  "$(unit_prop gitlab-runner.service LoadState) $(unit_prop gitlab-runner-alpha-cache-purge.timer LoadState)"
check_eq "alpha absent: the managed entry is gone, the unmanaged one stays" "['old-shell']" \
  "$(toml "$CONFIG" '[r.get("name") for r in doc.get("runners", [])]')"
check_eq "alpha absent: the unmanaged entry's lines are byte-for-byte unchanged" "$UNMANAGED" "$(unmanaged_block "$CONFIG")"
check_eq "alpha absent: executor scripts removed" "gone gone gone gone" \
  "$(for s in base prepare run cleanup; do printf '%s ' "$(file_gone "$HOME_DIR/alpha/$s.sh")"; done | sed 's/ $//')"
echo "# alpha absent: its scripts folder $HOME_DIR/alpha: $(file_gone "$HOME_DIR/alpha"); cache folder $CACHE: $(file_gone "$CACHE")"
check_eq "alpha absent: beta still active, not restarted, not re-registered" "active 1 1" \
  "$(is_active gitlab-runner-legacy.service) $(starts_settled "$LEGACY_CONFIG" 1) $(registrations)"
plan_exit "after removing alpha" 0

# --- 7: the canary token never shows ------------------------------------------------------
systemctl stop gitlab-runner-legacy.service >/dev/null 2>&1 || true
check_eq "canary: not in any reconcile log ($LOGS)" "" "$(grep -rl -- "$CANARY" "$LOGS" 2>&1 || true)"
check_eq "canary: not in the state dir outside backups/ (journal, queue)" "" \
  "$(grep -rl --exclude-dir=backups -- "$CANARY" "$STATE" 2>&1 || true)"
check_eq "canary: backups that hold it are 0600 root" "" \
  "$(grep -rl -- "$CANARY" "$STATE/backups" 2>/dev/null | xargs -r stat -c '%a %U %n' | grep -v '^600 root ' || true)"
check_eq "canary: not on register's command line" "" "$(grep -l -- "$CANARY" "$REC/register.log" 2>&1 || true)"
check_eq "canary: not in the system journal" 0 "$(journalctl -b -o cat 2>/dev/null | grep -c -- "$CANARY" || true)"
echo "# state dir: $(find "$STATE" -type f | sed "s|^$STATE/||" | tr '\n' ' ')"

summary "$T0"
[ "$FAILED" -eq 0 ]
