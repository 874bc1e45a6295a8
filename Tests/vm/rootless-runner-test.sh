#!/bin/bash
# Integration test: the seed's runner as the seed runs it. One apply creates the unprivileged
# user gitlab-runner (subordinate ids, lingering), its runner (config, executor scripts, unit)
# and the packages rootless podman needs; then the generated prepare/run/cleanup scripts run as
# that user, as gitlab-runner.service would start them (systemd-run with the unit's User= and
# WorkingDirectory=), against ROOTLESS podman with an image imported into the user's storage:
# a job that writes to the cache, one that fails with its own exit code, cleanup.
#
# Runs INSIDE the guest of `run-in-vm --systemd -k tun` (slirp4netns needs /dev/net/tun), from
# the repository; on the host, Tests/vm/run-systemd-tests.sh starts it. gitlab-runner itself is
# not packaged here: a stand-in keeps the service running as the user.
# Usage (in the guest): rootless-runner-test.sh RECONCILE_BINARY [LOG_DIR]
set -euo pipefail

BIN=${1:?usage: rootless-runner-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
TMP=$(mktemp -d /tmp/reconcile-rootless-runner.XXXXXX)
M=$TMP/manifests STATE=$TMP/state
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$M" "$STATE" "$LOGS"
chmod 755 "$TMP"
RUNNER=gitlab-runner HOME_DIR=/home/gitlab-runner SCRIPTS=/home/gitlab-runner/podman
IMAGE=localhost/reconcile-test/busybox:latest

cat >/usr/local/bin/gitlab-runner <<'SH'
#!/bin/sh
# Stand-in for gitlab-runner: `run` stays up (as the service's user); anything else succeeds.
[ "$1" = run ] && exec sleep infinity
exit 0
SH
chmod 755 /usr/local/bin/gitlab-runner
printf 'glrt-rootless-test-token\n' >"$TMP/token" && chmod 600 "$TMP/token"

cat >"$M/runner.yaml" <<YAML
kind: Package
name: podman
---
kind: Package
name: uidmap
---
kind: Package
name: slirp4netns
---
kind: User
name: $RUNNER
system: true
home: $HOME_DIR
shell: /bin/bash
subordinateIds: {count: 65536}
linger: true
---
kind: GitLabRunner
name: podman
url: https://gitlab.example.org/
token: {file: $TMP/token}
user: $RUNNER
home: $HOME_DIR
image: $IMAGE
allowedImages: ["localhost/reconcile-test/*"]
pullPolicy: never
shell: sh
dependsOn: [Package/podman, Package/uidmap, Package/slirp4netns]
YAML

apply "user, runner and packages"
check_eq "the runner's user has subordinate ids" "65536" "$(awk -F: -v u=$RUNNER '$1==u{print $3}' /etc/subuid)"
check_eq "the runner's config folder belongs to it" "$RUNNER" "$(stat -c %U "$HOME_DIR/.gitlab-runner" 2>&1)"
check_eq "the service runs" "active" "$(is_active gitlab-runner.service)"
pid=$(unit_prop gitlab-runner.service MainPID)
check_eq "as the runner's user" "$(id -u $RUNNER)" "$(awk '/^Uid:/{print $2}' "/proc/$pid/status" 2>&1)"
plan_exit "second plan" 0

as_runner() {   # as_runner CMD...: as gitlab-runner.service's children run
  systemd-run --quiet --wait --pipe --uid="$RUNNER" --gid="$RUNNER" -p WorkingDirectory="$HOME_DIR" \
    --setenv=BUILD_FAILURE_EXIT_CODE=1 --setenv=SYSTEM_FAILURE_EXIT_CODE=2 \
    --setenv=CUSTOM_ENV_CI_RUNNER_ID=7 --setenv=CUSTOM_ENV_CI_PROJECT_ID=42 \
    --setenv=CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID=0 --setenv=CUSTOM_ENV_CI_JOB_ID=1001 \
    --setenv=BUILD_EXIT_CODE_FILE="$TMP/exit-code" "$@"
}

# An image from busybox-static, imported into the user's own (rootless) storage.
mkdir -p "$TMP/image/bin"
cp "$(command -v busybox)" "$TMP/image/bin/busybox"
for tool in sh cat echo id ls mkdir; do ln -sf busybox "$TMP/image/bin/$tool"; done
tar -C "$TMP/image" -cf "$TMP/image.tar" . && chmod 644 "$TMP/image.tar"
touch "$TMP/exit-code" && chmod 666 "$TMP/exit-code"
run_logged import as_runner podman import "$TMP/image.tar" "$IMAGE"
check_eq "image imported as the user" 0 "$RC" "$LOG"
run_logged info as_runner podman info --format '{{.Host.Security.Rootless}}'
check_eq "podman is rootless for the user" "true" "$(tail -2 "$LOG" | head -1)" "$LOG"

run_logged prepare as_runner "$SCRIPTS/prepare.sh"
check_eq "prepare exits 0" 0 "$RC" "$LOG"
container=runner-7-project-42-concurrent-0-1001
run_logged ps as_runner podman ps --format '{{.Names}}'
check_eq "the job's container runs in the user's podman" "$container" "$(grep -x "$container" "$LOG" || true)" "$LOG"
check_eq "no root podman container" "" "$(podman ps -q 2>/dev/null)"

printf 'echo cached-by-job > /cache/marker\nid -u\n' >"$TMP/job-ok.sh"
printf 'echo failing\nexit 3\n' >"$TMP/job-fail.sh"
chmod 644 "$TMP"/job-*.sh
run_logged run-ok as_runner "$SCRIPTS/run.sh" "$TMP/job-ok.sh" build_script
check_eq "a passing job exits 0" 0 "$RC" "$LOG"
cache=$HOME_DIR/_cache/runner-7-project-42-concurrent-0
check_eq "the job wrote to the host cache, as the user" "cached-by-job $RUNNER" \
  "$(cat "$cache/marker" 2>&1) $(stat -c %U "$cache/marker" 2>&1)"
run_logged run-fail as_runner "$SCRIPTS/run.sh" "$TMP/job-fail.sh" build_script
check_eq "a failing job exits BUILD_FAILURE_EXIT_CODE" 1 "$RC" "$LOG"
check_eq "with its own exit code recorded" 3 "$(cat "$TMP/exit-code")"

run_logged cleanup as_runner "$SCRIPTS/cleanup.sh"
check_eq "cleanup exits 0" 0 "$RC" "$LOG"
run_logged ps-after as_runner podman ps -a --format '{{.Names}}'
check_eq "the container is gone" "" "$(grep -x "$container" "$LOG" || true)" "$LOG"
plan_exit "after the job" 0

summary "$T0"
[ "$FAILED" -eq 0 ]
