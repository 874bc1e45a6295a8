#!/usr/bin/env bash
# Removes the job's container; never fails the job. The cache stays for the next job.
currentDir="$(cd "$(dirname "${BASH_SOURCE[0]}")" >/dev/null 2>&1 && pwd)"
# shellcheck source=base.sh
source "${currentDir}/base.sh"

echo "Deleting container $CONTAINER_ID"
podman rm --force "$CONTAINER_ID" >/dev/null 2>&1 || true
exit 0
