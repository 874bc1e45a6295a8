#!/usr/bin/env bash
# Runs one stage's script in the container; its failure is the job's failure.
currentDir="$(cd "$(dirname "${BASH_SOURCE[0]}")" >/dev/null 2>&1 && pwd)"
# shellcheck source=base.sh
source "${currentDir}/base.sh"

if ! podman exec --interactive "$CONTAINER_ID" /bin/sh < "$1"; then
    exit "$BUILD_FAILURE_EXIT_CODE"
fi
