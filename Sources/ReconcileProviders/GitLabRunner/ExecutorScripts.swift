import Foundation
import ReconcileCore

/// The custom executor's scripts for one runner (checked against real rootful podman by
/// Tests/integration/podman-executor-test.sh). base.sh holds every value from the manifest,
/// single-quoted; the other three only read it, so a manifest change rewrites base.sh alone.
public struct ExecutorScripts: Sendable, Equatable {
    public enum Script: String, Sendable, CaseIterable {
        case base, prepare, run, cleanup
    }

    public let spec: GitLabRunnerSpec

    public func path(_ script: Script) -> String { "\(spec.scriptsDir)/\(script.rawValue).sh" }

    var header: String { "# Managed by reconcile (GitLabRunner/\(spec.name)); local edits are overwritten." }

    public func content(_ script: Script) -> String {
        switch script {
        case .base: return base
        case .prepare: return Self.prepare(header: header)
        case .run: return Self.run(header: header)
        case .cleanup: return Self.cleanup(header: header)
        }
    }

    /// Single quotes keep every byte literal in bash.
    static func quote(_ value: String) -> String { "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static func array(_ values: [String]) -> String { "(" + values.map(quote).joined(separator: " ") + ")" }

    var base: String {
        #"""
        #!/usr/bin/env bash
        \#(header)
        #
        # Shared settings for the GitLab Runner custom executor scripts prepare.sh,
        # run.sh and cleanup.sh, which source this file. It is not run on its own.
        # shellcheck disable=SC2034  # the values are used by the scripts that source this file

        # Values baked in by reconcile, one plain single-quoted assignment each.
        DEFAULT_IMAGE=\#(Self.quote(spec.image ?? ""))
        ALLOWED_IMAGES=\#(Self.array(spec.allowedImages))
        PULL_POLICY=\#(Self.quote(spec.pullPolicy.rawValue))
        HOST_CACHE_ROOT=\#(Self.quote(spec.hostCacheDir))
        CONTAINER_CACHE_DIR=\#(Self.quote(spec.cacheDir))
        JOB_SHELL=\#(Self.quote(spec.shell.rawValue))
        PODMAN_RUN_ARGS=\#(Self.array(spec.podmanArgs))
        SETUP_COMMANDS=\#(Self.array(spec.setupCommands))

        # Variables gitlab-runner gives every stage. A missing one stops the stage with
        # SYSTEM_FAILURE_EXIT_CODE and a message naming it. (A bare ${VAR:?} check
        # would exit 1, which is gitlab-runner's BUILD_FAILURE_EXIT_CODE, and would not
        # fire an ERR trap.) The IDs must be numbers: a job can override CI_*
        # variables, and these IDs become a container name and a host path.
        _require_runner_variables() {
          local name
          for name in BUILD_FAILURE_EXIT_CODE SYSTEM_FAILURE_EXIT_CODE \
            CUSTOM_ENV_CI_RUNNER_ID CUSTOM_ENV_CI_PROJECT_ID \
            CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID CUSTOM_ENV_CI_JOB_ID; do
            if [[ -z "${!name:-}" ]]; then
              printf 'ERROR: %s is not set; run this only as a GitLab Runner custom executor stage\n' "$name" >&2
              exit "${SYSTEM_FAILURE_EXIT_CODE:-1}"
            fi
            if [[ ! "${!name}" =~ ^[0-9]+$ ]]; then
              printf 'ERROR: %s must be a number, not %q\n' "$name" "${!name}" >&2
              exit "${SYSTEM_FAILURE_EXIT_CODE:-1}"
            fi
          done
        }
        _require_runner_variables

        CONTAINER_ID="runner-${CUSTOM_ENV_CI_RUNNER_ID}-project-${CUSTOM_ENV_CI_PROJECT_ID}-concurrent-${CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID}-${CUSTOM_ENV_CI_JOB_ID}"

        # One cache folder per runner, project and concurrent slot, without the
        # pipeline ID the old how-to used: a cache is for reuse by later pipelines, and
        # a per-pipeline folder is never read again. The concurrent ID keeps jobs of
        # the same project that run at the same time out of each other's folder (as
        # the docker executor's cache volumes do). Purge old folders by age:
        #   find HOST_CACHE_ROOT -mindepth 1 -maxdepth 1 -type d -mmin +N
        CACHE_DIR="${HOST_CACHE_ROOT}/runner-${CUSTOM_ENV_CI_RUNNER_ID}-project-${CUSTOM_ENV_CI_PROJECT_ID}-concurrent-${CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID}"

        # The job's image: keyword, or the runner's default image.
        IMAGE="${CUSTOM_ENV_CI_JOB_IMAGE:-$DEFAULT_IMAGE}"

        """#
    }

    static func prepare(header: String) -> String {
        #"""
        #!/usr/bin/env bash
        \#(header)
        #
        # prepare_exec: start the job's container. Any failure is a system failure,
        # which gitlab-runner retries (3 attempts for this stage).
        set -euo pipefail

        # An EXIT trap rather than an ERR trap: it also turns failures that never fire
        # ERR (an expansion error, an exit from base.sh) into a system failure.
        _exit_as_system_failure() {
          local status=$?
          trap - EXIT
          if ((status != 0)); then
            exit "${SYSTEM_FAILURE_EXIT_CODE:-$status}"
          fi
        }
        trap _exit_as_system_failure EXIT

        # shellcheck source-path=SCRIPTDIR source=base.sh
        source "$(dirname -- "${BASH_SOURCE[0]}")/base.sh"

        fail() {
          printf 'ERROR: %s\n' "$*" >&2
          exit "$SYSTEM_FAILURE_EXIT_CODE"
        }

        # The default image is always allowed; ALLOWED_IMAGES holds glob patterns for
        # the images a job may ask for with image: (a * also matches /).
        image_allowed() {
          local pattern
          if [[ "$IMAGE" == "$DEFAULT_IMAGE" ]]; then
            return 0
          fi
          for pattern in "${ALLOWED_IMAGES[@]}"; do
            # shellcheck disable=SC2254  # unquoted on purpose: the pattern is a glob
            case "$IMAGE" in $pattern) return 0 ;; esac
          done
          return 1
        }

        if [[ -z "$IMAGE" || "$IMAGE" == -* ]]; then
          fail "invalid image name '${IMAGE}'"
        fi
        if ! image_allowed; then
          allowed="${DEFAULT_IMAGE} (the default)"
          for pattern in "${ALLOWED_IMAGES[@]}"; do
            allowed+=", ${pattern}"
          done
          fail "image '${IMAGE}' is not allowed on this runner; allowed: ${allowed}"
        fi

        # A container of this name is left over from an earlier attempt of this job.
        if podman container exists "$CONTAINER_ID"; then
          echo "Removing old container ${CONTAINER_ID}"
          podman rm --force --volumes --time 0 "$CONTAINER_ID" >/dev/null
        fi

        # Touch the folder so that a purge by age sees it was used.
        mkdir -p -- "$CACHE_DIR"
        touch -- "$CACHE_DIR"

        # /bin/sh as the entrypoint, with no arguments and stdin kept open
        # (--interactive, no tty), blocks reading stdin for as long as the container
        # lives: any image with /bin/sh stays up, whatever its own entrypoint and
        # command, without needing sleep. cleanup.sh removes it with --time 0.
        echo "Starting container ${CONTAINER_ID} from image ${IMAGE}"
        if ! podman run --detach --interactive \
          --name "$CONTAINER_ID" \
          --pull "$PULL_POLICY" \
          --entrypoint /bin/sh \
          --volume "${CACHE_DIR}:${CONTAINER_CACHE_DIR}" \
          "${PODMAN_RUN_ARGS[@]}" \
          "$IMAGE" >/dev/null; then
          fail "could not start a container from image '${IMAGE}' (it needs /bin/sh)"
        fi

        for command in "${SETUP_COMMANDS[@]}"; do
          echo "Running setup command: ${command}"
          if ! podman exec --user 0 "$CONTAINER_ID" /bin/sh -c "$command"; then
            fail "setup command failed: ${command}"
          fi
        done

        # After the setup commands, which may install it.
        # shellcheck disable=SC2016  # $1 is expanded by the container's shell
        if ! podman exec "$CONTAINER_ID" /bin/sh -c 'command -v "$1" >/dev/null 2>&1' sh "$JOB_SHELL"; then
          fail "the job shell '${JOB_SHELL}' is not in image '${IMAGE}'; use an image that has it or a setup command that installs it"
        fi

        """#
    }

    static func run(header: String) -> String {
        #"""
        #!/usr/bin/env bash
        \#(header)
        #
        # run_exec: gitlab-runner calls this once per sub-stage as
        #   run.sh SCRIPT_PATH STAGE_NAME
        # and this runs SCRIPT_PATH with the job shell in the job's container.
        # Exit 0, BUILD_FAILURE_EXIT_CODE (the job script failed) or
        # SYSTEM_FAILURE_EXIT_CODE (the container is gone or broken).
        set -uo pipefail

        # shellcheck source-path=SCRIPTDIR source=base.sh
        source "$(dirname -- "${BASH_SOURCE[0]}")/base.sh"

        if [[ $# -lt 1 || ! -r "$1" ]]; then
          printf 'ERROR: usage: run.sh SCRIPT_PATH STAGE_NAME (got %q)\n' "${1-}" >&2
          exit "$SYSTEM_FAILURE_EXIT_CODE"
        fi

        podman exec --interactive "$CONTAINER_ID" "$JOB_SHELL" <"$1"
        status=$?
        if ((status == 0)); then
          exit 0
        fi

        # podman exits 125 when it cannot exec at all (no such container); the job
        # script may also exit with any code. Decide by the container's state.
        if [[ "$(podman container inspect --format '{{.State.Running}}' "$CONTAINER_ID" 2>/dev/null)" != true ]]; then
          printf 'ERROR: container %s is gone or not running (podman exec exited with %s)\n' "$CONTAINER_ID" "$status" >&2
          exit "$SYSTEM_FAILURE_EXIT_CODE"
        fi

        # The job script's own exit code, for allow_failure:exit_codes.
        if [[ -n "${BUILD_EXIT_CODE_FILE:-}" ]]; then
          printf '%s\n' "$status" >"$BUILD_EXIT_CODE_FILE"
        fi
        exit "$BUILD_FAILURE_EXIT_CODE"

        """#
    }

    static func cleanup(header: String) -> String {
        #"""
        #!/usr/bin/env bash
        \#(header)
        #
        # cleanup_exec: remove the job's container. This never fails the job: it
        # always exits 0 and only warns on stderr (logged by gitlab-runner at WARN).
        set -uo pipefail
        trap 'exit 0' EXIT

        # shellcheck source-path=SCRIPTDIR source=base.sh
        source "$(dirname -- "${BASH_SOURCE[0]}")/base.sh"

        if ! output="$(podman rm --force --ignore --volumes --time 0 "$CONTAINER_ID" 2>&1)"; then
          printf 'WARNING: could not remove container %s: %s\n' "$CONTAINER_ID" "$output" >&2
        fi

        """#
    }
}
