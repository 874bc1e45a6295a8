#!/usr/bin/env bash
# Starts the job's container; any failure here is a system failure, not the job's.
set -eo pipefail
currentDir="$(cd "$(dirname "${BASH_SOURCE[0]}")" >/dev/null 2>&1 && pwd)"
# shellcheck source=base.sh
source "${currentDir}/base.sh"
trap 'exit "$SYSTEM_FAILURE_EXIT_CODE"' ERR

if podman inspect "$CONTAINER_ID" >/dev/null 2>&1; then
    echo "Found old container $CONTAINER_ID, removing it"
    podman rm --force "$CONTAINER_ID" >/dev/null
fi
mkdir -p "$CACHE_DIR"
podman pull "$IMAGE"
podman run --detach --interactive --tty --name "$CONTAINER_ID" \
    --volume "$CACHE_DIR":/home/user/cache "$IMAGE"
echo "Running in $CONTAINER_ID"
