#!/usr/bin/env bash
# The GitLabRunner executor scripts as reconcile generates them, run against real rootful podman:
# applies a runner manifest into a temp root with the built binary, then hands the generated
# scripts folder to podman-executor-test.sh (prepare/run/cleanup as gitlab-runner calls them).
#
# Usage: Tests/integration/run-podman-tests.sh [BINARY]   (default: .build/debug/reconcile)
# Needs root and: podman runc busybox-static shellcheck (scripts/setup installs them).
set -euo pipefail

REPO=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
BIN=$(realpath "${1:-$REPO/.build/debug/reconcile}")
[[ -x "$BIN" ]] || { echo "no executable at $BIN (run swift build first)" >&2; exit 2; }
T=$(mktemp -d /tmp/reconcile-podman.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/root"

# The scripts run on this machine (not under the temp root), so the cache folder is a real path.
cat >"$T/runner.yaml" <<YAML
kind: GitLabRunner
name: podman-test
url: https://gitlab.example.org/
token: {env: RUNNER_TOKEN}
user: nobody
group: nogroup
home: /home/gitlab-runner
image: localhost/reconcile-test/busybox:latest
allowedImages: ["localhost/reconcile-test/*"]
pullPolicy: never
buildsDir: /builds
cacheDir: /cache
hostCacheDir: $T/cache
YAML

RUNNER_TOKEN=glrt-not-a-real-token "$BIN" apply --auto-approve --root "$T/root" "$T/runner.yaml" >"$T/apply.log" 2>&1 || {
  cat "$T/apply.log" >&2
  exit 1
}
"$REPO/Tests/integration/podman-executor-test.sh" "$T/root/home/gitlab-runner/podman-test"
