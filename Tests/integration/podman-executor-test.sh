#!/usr/bin/env bash
# Integration test for the GitLab Runner custom executor scripts that reconcile
# generates for a podman runner (base.sh, prepare.sh, run.sh, cleanup.sh).
#
#   podman-executor-test.sh SCRIPTS_DIR [ALT_IMAGE]
#
# Runs the four scripts the way gitlab-runner does (same arguments, the same
# environment variables) against real rootful podman, and prints one
# "ok - ..." or "not ok - ..." line per check and a count; exits 1 if a check
# failed, 2 if the test could not run at all.
#
# SCRIPTS_DIR/base.sh is used as generated. Its DEFAULT_IMAGE is built here
# from busybox-static (with bash copied from the host), so no registry is
# needed; PULL_POLICY must be 'never' or 'missing', and SETUP_COMMANDS must
# work in that busybox image (best left empty). ALT_IMAGE is a second,
# non-default image name that ALLOWED_IMAGES admits; by default the
# DEFAULT_IMAGE repository with the tag 'reconcile-alt'.
#
# Needs root and the Debian packages: podman runc busybox-static shellcheck
# (and bash, tar, util-linux, coreutils, findutils, which every Debian has).
#
# Side effects are kept off the machine: podman runs with its own
# containers.conf and storage.conf (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
# exported so the scripts' plain `podman` calls use them) under a temporary
# folder, with networking off. Everything is removed on exit: containers,
# images, storage, the temporary folder, the cache folders the test made under
# the baked HOST_CACHE_ROOT, and the empty folders podman itself creates in
# /run (hard-coded there in podman 4.3) when they did not exist before.
set -euo pipefail

die() {
  printf 'podman-executor-test: %s\n' "$*" >&2
  exit 2
}

if [[ $# -lt 1 || $# -gt 2 ]]; then
  die "usage: $0 SCRIPTS_DIR [ALT_IMAGE]"
fi
[[ -d "$1" ]] || die "no such folder: $1"
SCRIPTS_DIR="$(cd -- "$1" && pwd)"
for script in base.sh prepare.sh run.sh cleanup.sh; do
  [[ -f "${SCRIPTS_DIR}/${script}" ]] || die "missing ${SCRIPTS_DIR}/${script}"
done

# --- Prerequisites ----------------------------------------------------------
[[ "$(id -u)" == 0 ]] || die "must run as root (the scripts drive rootful podman)"
missing=()
for tool in podman runc shellcheck busybox unshare tar ldd; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  die "missing ${missing[*]}; install with: apt-get install -y podman runc busybox-static shellcheck"
fi
BUSYBOX="$(command -v busybox)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "${BUSYBOX} is dynamically linked; install busybox-static (it replaces busybox)"
fi
BASH_BIN="$(command -v bash)"

# --- Private podman configuration -------------------------------------------
T="$(mktemp -d "${TMPDIR:-/tmp}/podman-executor-test.XXXXXX")"
mkdir -p "$T/storage/root" "$T/storage/runroot" "$T/tmp" "$T/networks" "$T/logs" "$T/jobs"

# Podman 4.3 creates these itself whatever its configuration says; remove
# them again at exit if they were not there before and are left empty.
HOST_DIRS=(/run/containers/networks /run/containers /run/runc /run/libpod)
host_dirs_before=()
for dir in "${HOST_DIRS[@]}"; do
  if [[ -e "$dir" ]]; then host_dirs_before+=("$dir"); fi
done

private_store=no
created_cache_top=""
# --- Clean up on exit, also after a failure ----------------------------------
cleanup() {
  local status=$? dir mount_point
  set +e
  # Only once podman is known to use the private store (see below).
  if [[ "$private_store" == yes ]]; then
    podman rm --all --force --volumes --time 0 >/dev/null 2>&1
    podman rmi --all --force >/dev/null 2>&1
  fi
  # Anything podman left mounted under the temporary folder, deepest first.
  while read -r mount_point; do
    umount -l -- "$mount_point" 2>/dev/null
  done < <(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf -- "$T"
  if [[ -n "$created_cache_top" ]]; then
    rm -rf -- "$CACHE_DIR"
    # The folders above CACHE_DIR that the test created: only when empty.
    dir="$(dirname -- "$CACHE_DIR")"
    while [[ "$dir/" == "$created_cache_top/"* ]]; do
      rmdir -- "$dir" 2>/dev/null || break
      dir="$(dirname -- "$dir")"
    done
  fi
  for dir in "${HOST_DIRS[@]}"; do
    if [[ " ${host_dirs_before[*]} " != *" ${dir} "* && -d "$dir" ]]; then
      rmdir -- "$dir" 2>/dev/null
    fi
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$T/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$T/storage/root"
runroot = "$T/storage/runroot"
EOF
# default_ulimits: this machine's hard limits are below podman's defaults and
# runc may not raise them ("error setting rlimit type 7"). netns "none": no
# netavark bridge or firewall rules on the host. cgroupfs and the file event
# logger: systemd is not PID 1 (podman picks them itself then; set for clarity).
cat >"$T/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"

[network]
network_config_dir = "$T/networks"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$T/tmp"
image_copy_tmp_dir = "$T/tmp"
EOF
export CONTAINERS_CONF="$T/containers.conf"
export CONTAINERS_STORAGE_CONF="$T/storage.conf"
export TMPDIR="$T/tmp"

# Refuse to go on (or to clean up) unless podman really uses the private store.
graphroot="$(podman info --format '{{.Store.GraphRoot}}' 2>"$T/logs/podman-info.log")" || {
  cat "$T/logs/podman-info.log" >&2
  die "podman info failed"
}
if [[ "$graphroot" != "$T/storage/root" ]]; then
  die "podman uses ${graphroot}, not the private store ${T}/storage/root; stopping"
fi
private_store=yes

# --- The runner's environment ----------------------------------------------
# IDs unlikely to match a real runner's, because HOST_CACHE_ROOT is real.
export CUSTOM_ENV_CI_RUNNER_ID="9$((100000 + $$))"
export CUSTOM_ENV_CI_PROJECT_ID=4711
export CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID=0
export CUSTOM_ENV_CI_JOB_ID=1001
export CUSTOM_ENV_CI_PIPELINE_ID=501
export BUILD_FAILURE_EXIT_CODE=1
export SYSTEM_FAILURE_EXIT_CODE=2
export BUILD_EXIT_CODE_FILE="$T/build-exit-code"
unset CUSTOM_ENV_CI_JOB_IMAGE

# The baked values, read the way the scripts read them.
# shellcheck disable=SC1091  # base.sh is the file under test
settings="$(
  source "${SCRIPTS_DIR}/base.sh" || exit 1
  printf '%s\n' "$DEFAULT_IMAGE" "$PULL_POLICY" "$HOST_CACHE_ROOT" \
    "$CONTAINER_CACHE_DIR" "$JOB_SHELL" "$CACHE_DIR" "$CONTAINER_ID"
)" || {
  die "sourcing ${SCRIPTS_DIR}/base.sh failed"
}
{
  read -r DEFAULT_IMAGE
  read -r PULL_POLICY
  read -r HOST_CACHE_ROOT
  read -r CONTAINER_CACHE_DIR
  read -r JOB_SHELL
  read -r CACHE_DIR
  read -r CONTAINER_ID
} <<<"$settings"
ALT_IMAGE="${2:-${DEFAULT_IMAGE%:*}:reconcile-alt}"
NOSHELL_IMAGE='localhost/reconcile-executor-test/no-job-shell:latest'

case "$PULL_POLICY" in
  never | missing) ;;
  *)
    die "PULL_POLICY='${PULL_POLICY}' needs a registry; test scripts generated with 'never' or 'missing'"
    ;;
esac
if [[ -e "$CACHE_DIR" ]]; then
  die "${CACHE_DIR} exists already; not touching a real cache folder"
fi
# The first missing ancestor of CACHE_DIR: everything from there down is ours.
top="$CACHE_DIR"
while [[ ! -e "$(dirname -- "$top")" ]]; do
  top="$(dirname -- "$top")"
done
created_cache_top="$top"


# --- Images ------------------------------------------------------------------
# busybox-static with all its applets; with bash (from the host, with its
# libraries) unless with_bash=no; /etc/reconcile-image names the image.
build_image() {
  local name=$1 marker=$2 with_bash=$3 rootfs applet lib
  rootfs="$T/rootfs-${marker}"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  cp -- "$BUSYBOX" "$rootfs/bin/busybox"
  while read -r applet; do
    [[ "$applet" == busybox || "$applet" == bash ]] && continue
    ln -s busybox "$rootfs/bin/$applet"
  done < <("$BUSYBOX" --list)
  if [[ "$with_bash" == yes ]]; then
    cp -- "$BASH_BIN" "$rootfs/bin/bash"
    while read -r lib; do
      cp -L --parents -- "$lib" "$rootfs"
    done < <(ldd "$BASH_BIN" | grep -o '/[^ ]*')
  fi
  printf '%s\n' "$marker" >"$rootfs/etc/reconcile-image"
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$rootfs.tar" .
  # podman 4.3 writes a blob-info cache to /var/lib/containers/cache on import,
  # whatever the storage configuration says: give it a throw-away /var/lib in
  # a private mount namespace.
  # shellcheck disable=SC2016  # $1 and $2 are for the inner sh
  unshare --mount --propagation private -- /bin/sh -c \
    'mount -n -t tmpfs tmpfs /var/lib && exec podman import --quiet "$1" "$2"' \
    sh "$rootfs.tar" "$name" >/dev/null 2>"$T/logs/import-${marker}.log" || {
    cat "$T/logs/import-${marker}.log" >&2
    die "podman import of ${name} failed"
  }
}
build_image "$DEFAULT_IMAGE" default yes
if [[ "$ALT_IMAGE" != "$DEFAULT_IMAGE" ]]; then
  build_image "$ALT_IMAGE" alt yes
fi
build_image "$NOSHELL_IMAGE" no-job-shell no

# --- Helpers -----------------------------------------------------------------
passed=0
failed=0
check_number=0
ok() {
  check_number=$((check_number + 1))
  passed=$((passed + 1))
  printf 'ok %d - %s\n' "$check_number" "$1"
}
not_ok() {
  check_number=$((check_number + 1))
  failed=$((failed + 1))
  printf 'not ok %d - %s\n' "$check_number" "$1"
  shift
  local line
  for line in "$@"; do
    printf '#   %s\n' "$line"
  done
  if [[ -n "${out:-}" ]]; then
    printf '%s\n' "$out" | sed 's/^/#   | /'
  fi
}

# stage NAME COMMAND...: run one script, output (stdout and stderr) in $out,
# exit status in $rc.
stage() {
  local log="$T/logs/$1.log"
  shift
  set +e
  "$@" >"$log" 2>&1 </dev/null
  rc=$?
  set -e
  out="$(cat -- "$log")"
}
prepare() { stage "prepare-$1" "${scripts}/prepare.sh"; }
cleanup_stage() { stage "cleanup-$1" "${scripts}/cleanup.sh"; }
# run_job NAME SCRIPT_TEXT: run.sh with a job script file, as gitlab-runner does.
run_job() {
  printf '%s\n' "$2" >"$T/jobs/$1"
  rm -f -- "$BUILD_EXIT_CODE_FILE"
  stage "run-$1" "${scripts}/run.sh" "$T/jobs/$1" build_script
}
container_state() {
  podman container inspect --format '{{.State.Status}}' "$1" 2>/dev/null || echo absent
}
container_exists() { podman container exists "$1"; }
remove_container() { podman rm --force --time 0 "$1" >/dev/null 2>&1 || true; }
scripts="$SCRIPTS_DIR"

# --- Checks ------------------------------------------------------------------
echo "# scripts: ${SCRIPTS_DIR}; image ${DEFAULT_IMAGE}, job shell ${JOB_SHELL}, cache ${CACHE_DIR} -> ${CONTAINER_CACHE_DIR}"

# The scripts must be executable: gitlab-runner runs them directly.
if [[ -x "$scripts/prepare.sh" && -x "$scripts/run.sh" && -x "$scripts/cleanup.sh" ]]; then
  ok "prepare.sh, run.sh and cleanup.sh are executable"
else
  not_ok "prepare.sh, run.sh and cleanup.sh are executable"
fi

out=""
headers_ok=yes
for script in base.sh prepare.sh run.sh cleanup.sh; do
  if [[ "$(sed -n 1p "$scripts/$script")" != '#!/usr/bin/env bash' ]] ||
    ! sed -n 2p "$scripts/$script" | grep -Eq '^# Managed by reconcile \(GitLabRunner/[^)]+\); local edits are overwritten\.$'; then
    headers_ok=no
    out+="${script}: $(sed -n 1,2p "$scripts/$script" | tr '\n' ' ')"$'\n'
  fi
done
if [[ "$headers_ok" == yes ]]; then
  ok "all four start with the bash shebang and the 'Managed by reconcile' line"
else
  not_ok "all four start with the bash shebang and the 'Managed by reconcile' line"
fi

out=""
if (cd / && shellcheck -x "$scripts/base.sh" "$scripts/prepare.sh" "$scripts/run.sh" "$scripts/cleanup.sh") >"$T/logs/shellcheck.log" 2>&1; then
  ok "shellcheck -x passes on all four scripts"
else
  out="$(cat "$T/logs/shellcheck.log")"
  not_ok "shellcheck -x passes on all four scripts"
fi

prepare first
mounts="$(podman container inspect --format '{{range .Mounts}}{{.Source}}={{.Destination}} {{end}}' "$CONTAINER_ID" 2>/dev/null || true)"
image_name="$(podman container inspect --format '{{.ImageName}}' "$CONTAINER_ID" 2>/dev/null || true)"
state="$(container_state "$CONTAINER_ID")"
if [[ $rc == 0 && "$state" == running && -d "$CACHE_DIR" && " $mounts " == *" ${CACHE_DIR}=${CONTAINER_CACHE_DIR} "* && "$image_name" == "$DEFAULT_IMAGE" ]]; then
  ok "prepare starts ${CONTAINER_ID} from the default image, with the host cache folder mounted"
else
  not_ok "prepare starts ${CONTAINER_ID} from the default image, with the host cache folder mounted" \
    "exit ${rc}, state ${state}, image '${image_name}', mounts '${mounts}', cache folder $( [[ -d "$CACHE_DIR" ]] && echo exists || echo missing)"
fi

run_job hello "echo 'hello from the job'
echo cached-by-job-1001 > '${CONTAINER_CACHE_DIR}/from-job.txt'"
if [[ $rc == 0 && "$out" == 'hello from the job' && "$(cat -- "$CACHE_DIR/from-job.txt" 2>/dev/null)" == cached-by-job-1001 && ! -e "$BUILD_EXIT_CODE_FILE" ]]; then
  ok "run executes the job script: exit 0, its output only, its file in the host cache folder"
else
  not_ok "run executes the job script: exit 0, its output only, its file in the host cache folder" "exit ${rc}"
fi

run_job shell "echo \"\${BASH_VERSION:+bash}\""
expected_shell=""
if [[ "$JOB_SHELL" == bash ]]; then expected_shell=bash; fi
if [[ $rc == 0 && "$out" == "$expected_shell" ]]; then
  ok "run uses the job shell '${JOB_SHELL}'"
else
  not_ok "run uses the job shell '${JOB_SHELL}'" "exit ${rc}"
fi

run_job fail "echo failing on purpose
exit 3"
code_file="$(cat -- "$BUILD_EXIT_CODE_FILE" 2>/dev/null || echo none)"
if [[ $rc == "$BUILD_FAILURE_EXIT_CODE" && "$code_file" == 3 ]]; then
  ok "run with a failing job script (exit 3) exits BUILD_FAILURE_EXIT_CODE and writes 3 to BUILD_EXIT_CODE_FILE"
else
  not_ok "run with a failing job script (exit 3) exits BUILD_FAILURE_EXIT_CODE and writes 3 to BUILD_EXIT_CODE_FILE" \
    "exit ${rc}, BUILD_EXIT_CODE_FILE: ${code_file}"
fi

run_job fail125 "exit 125"
if [[ $rc == "$BUILD_FAILURE_EXIT_CODE" && "$(cat -- "$BUILD_EXIT_CODE_FILE" 2>/dev/null)" == 125 ]]; then
  ok "run with a job script exiting 125 (podman's own error code) is still a build failure"
else
  not_ok "run with a job script exiting 125 (podman's own error code) is still a build failure" "exit ${rc}"
fi

cleanup_stage first
if [[ $rc == 0 ]] && ! container_exists "$CONTAINER_ID"; then
  ok "cleanup removes the container and exits 0"
else
  not_ok "cleanup removes the container and exits 0" "exit ${rc}, state $(container_state "$CONTAINER_ID")"
fi

cleanup_stage again
if [[ $rc == 0 && -z "$out" ]]; then
  ok "cleanup with no container exits 0 quietly"
else
  not_ok "cleanup with no container exits 0 quietly" "exit ${rc}"
fi

run_job gone "echo should not run"
if [[ $rc == "$SYSTEM_FAILURE_EXIT_CODE" && "$out" != *"should not run"* ]]; then
  ok "run when the container is gone exits SYSTEM_FAILURE_EXIT_CODE"
else
  not_ok "run when the container is gone exits SYSTEM_FAILURE_EXIT_CODE" "exit ${rc}"
fi

# A later job of a later pipeline: new container, same cache folder.
export CUSTOM_ENV_CI_JOB_ID=1002 CUSTOM_ENV_CI_PIPELINE_ID=502
CONTAINER_ID2="${CONTAINER_ID%-*}-1002"
touch -d '3 days ago' -- "$CACHE_DIR"
prepare second
run_job reuse "cat '${CONTAINER_CACHE_DIR}/from-job.txt'"
if [[ $rc == 0 && "$out" == cached-by-job-1001 ]]; then
  ok "a job of a later pipeline sees the cache the earlier job wrote"
else
  not_ok "a job of a later pipeline sees the cache the earlier job wrote" "exit ${rc}"
fi
if [[ -n "$(find "$CACHE_DIR" -maxdepth 0 -mmin -5)" ]]; then
  ok "prepare refreshes the cache folder's time (for a purge by age)"
else
  out="$(ls -ld --full-time -- "$CACHE_DIR")"
  not_ok "prepare refreshes the cache folder's time (for a purge by age)"
fi

# The container vanishes while the job runs.
(sleep 1 && podman rm --force --time 0 "$CONTAINER_ID2" >/dev/null 2>&1) &
run_job killed "sleep 5; echo survived"
wait
if [[ $rc == "$SYSTEM_FAILURE_EXIT_CODE" && "$out" != *survived* ]]; then
  ok "run whose container is removed mid-job exits SYSTEM_FAILURE_EXIT_CODE"
else
  not_ok "run whose container is removed mid-job exits SYSTEM_FAILURE_EXIT_CODE" "exit ${rc}"
fi
cleanup_stage second

# An old container of the same name (an earlier attempt of this job), running.
podman run --detach --interactive --name "$CONTAINER_ID2" --entrypoint /bin/sh "$DEFAULT_IMAGE" >"$T/logs/old-id" 2>&1 || true
old_id="$(cat "$T/logs/old-id")"
prepare replace
new_id="$(podman container inspect --format '{{.Id}}' "$CONTAINER_ID2" 2>/dev/null || true)"
if [[ $rc == 0 && -n "$new_id" && "$new_id" != "$old_id" && "$(container_state "$CONTAINER_ID2")" == running && "$out" == *"Removing old container"* ]]; then
  ok "prepare replaces an old container of the same name, saying so"
else
  not_ok "prepare replaces an old container of the same name, saying so" "exit ${rc}, old ${old_id}, new ${new_id}"
fi
cleanup_stage replace

export CUSTOM_ENV_CI_JOB_ID=1003
CONTAINER_ID3="${CONTAINER_ID%-*}-1003"
export CUSTOM_ENV_CI_JOB_IMAGE=docker.io/library/alpine:latest
prepare disallowed
if [[ $rc == "$SYSTEM_FAILURE_EXIT_CODE" && "$out" == *"docker.io/library/alpine:latest"* && "$out" == *"$DEFAULT_IMAGE"* ]] && ! container_exists "$CONTAINER_ID3"; then
  ok "prepare refuses a disallowed image: SYSTEM_FAILURE_EXIT_CODE, message names the image and what is allowed, no container"
else
  not_ok "prepare refuses a disallowed image: SYSTEM_FAILURE_EXIT_CODE, message names the image and what is allowed, no container" "exit ${rc}"
fi

export CUSTOM_ENV_CI_JOB_IMAGE=--privileged
prepare option
if [[ $rc == "$SYSTEM_FAILURE_EXIT_CODE" ]] && ! container_exists "$CONTAINER_ID3"; then
  ok "prepare refuses an image name starting with '-'"
else
  not_ok "prepare refuses an image name starting with '-'" "exit ${rc}"
fi

export CUSTOM_ENV_CI_JOB_IMAGE="$ALT_IMAGE"
prepare alt
image_name="$(podman container inspect --format '{{.ImageName}}' "$CONTAINER_ID3" 2>/dev/null || true)"
run_job alt "cat /etc/reconcile-image"
if [[ "$ALT_IMAGE" != "$DEFAULT_IMAGE" && "$image_name" == "$ALT_IMAGE" && $rc == 0 && "$out" == alt ]]; then
  ok "a job asking for an allowed non-default image (${ALT_IMAGE}) runs in it"
else
  not_ok "a job asking for an allowed non-default image (${ALT_IMAGE}) runs in it" \
    "container image '${image_name}'; is ${ALT_IMAGE} allowed by ALLOWED_IMAGES? (pass another as ALT_IMAGE)"
fi
cleanup_stage alt
unset CUSTOM_ENV_CI_JOB_IMAGE

# A variant of the scripts whose default image lacks the job shell.
variant="$T/variant"
cp -a -- "$scripts" "$variant"
sed -i -e "s|^DEFAULT_IMAGE=.*|DEFAULT_IMAGE='${NOSHELL_IMAGE}'|" -e "s|^JOB_SHELL=.*|JOB_SHELL='bash'|" "$variant/base.sh"
scripts="$variant"
prepare no-shell
if [[ $rc == "$SYSTEM_FAILURE_EXIT_CODE" && "$out" == *"job shell 'bash'"* ]]; then
  ok "prepare fails with SYSTEM_FAILURE_EXIT_CODE when the image lacks the job shell"
else
  not_ok "prepare fails with SYSTEM_FAILURE_EXIT_CODE when the image lacks the job shell" "exit ${rc}"
fi
cleanup_stage no-shell

# Variants with setup commands and extra podman run arguments.
cp -a -- "$SCRIPTS_DIR/." "$variant/"
sed -i -e "s|^SETUP_COMMANDS=.*|SETUP_COMMANDS=('id -u >/tmp/setup-uid' 'echo once >>/tmp/setup-count')|" \
  -e "s|^PODMAN_RUN_ARGS=.*|PODMAN_RUN_ARGS=('--env' 'RECONCILE_TEST=from-run-args')|" "$variant/base.sh"
prepare setup
run_job setup "cat /tmp/setup-uid /tmp/setup-count; echo \"\$RECONCILE_TEST\""
if [[ $rc == 0 && "$out" == $'0\nonce\nfrom-run-args' ]]; then
  ok "SETUP_COMMANDS run once, as root, at prepare; PODMAN_RUN_ARGS reach podman run"
else
  not_ok "SETUP_COMMANDS run once, as root, at prepare; PODMAN_RUN_ARGS reach podman run" "exit ${rc}"
fi
cleanup_stage setup
sed -i -e "s|^SETUP_COMMANDS=.*|SETUP_COMMANDS=('echo setting up; exit 7')|" "$variant/base.sh"
prepare setup-fails
if [[ $rc == "$SYSTEM_FAILURE_EXIT_CODE" && "$out" == *"setup command failed"* ]]; then
  ok "a failing setup command makes prepare exit SYSTEM_FAILURE_EXIT_CODE"
else
  not_ok "a failing setup command makes prepare exit SYSTEM_FAILURE_EXIT_CODE" "exit ${rc}"
fi
cleanup_stage setup-fails
scripts="$SCRIPTS_DIR"

# gitlab-runner did not give a variable (say, run by hand).
saved_job_id="$CUSTOM_ENV_CI_JOB_ID"
unset CUSTOM_ENV_CI_JOB_ID
prepare no-job-id
prepare_rc=$rc prepare_out="$out"
cleanup_stage no-job-id
if [[ $prepare_rc == "$SYSTEM_FAILURE_EXIT_CODE" && "$prepare_out" == *CUSTOM_ENV_CI_JOB_ID* && $rc == 0 ]]; then
  ok "a missing runner variable: prepare exits SYSTEM_FAILURE_EXIT_CODE naming it, cleanup still exits 0"
else
  out="$prepare_out"
  not_ok "a missing runner variable: prepare exits SYSTEM_FAILURE_EXIT_CODE naming it, cleanup still exits 0" \
    "prepare exit ${prepare_rc}, cleanup exit ${rc}"
fi
export CUSTOM_ENV_CI_JOB_ID="$saved_job_id"

# podman itself fails: cleanup warns and still exits 0.
mkdir -p "$T/broken-bin"
printf '#!/bin/sh\necho "podman: simulated failure" >&2\nexit 125\n' >"$T/broken-bin/podman"
chmod 755 "$T/broken-bin/podman"
stage cleanup-broken env PATH="$T/broken-bin:$PATH" "$scripts/cleanup.sh"
if [[ $rc == 0 && "$out" == *WARNING* ]]; then
  ok "cleanup exits 0 with a warning when podman fails"
else
  not_ok "cleanup exits 0 with a warning when podman fails" "exit ${rc}"
fi

out=""
leftover="$(podman ps --all --format '{{.Names}}' | tr '\n' ' ')"
if [[ -z "${leftover// /}" ]]; then
  ok "no containers left behind"
else
  not_ok "no containers left behind" "left: ${leftover}"
fi

printf '1..%d\n# %d passed, %d failed\n' "$check_number" "$passed" "$failed"
if ((failed > 0)); then
  exit 1
fi
