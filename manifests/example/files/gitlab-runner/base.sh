# shellcheck shell=bash
# Sourced by prepare.sh, run.sh and cleanup.sh: names shared by every stage of one job.
CONTAINER_ID="runner-${CUSTOM_ENV_CI_RUNNER_ID}-project-${CUSTOM_ENV_CI_PROJECT_ID}-concurrent-${CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID}-${CUSTOM_ENV_CI_JOB_ID}"
# The job's own image: wins over the default (the seed's "no image support" gap is closed upstream).
IMAGE="${CUSTOM_ENV_CI_JOB_IMAGE:-registry.example.org/base/fedora:40}"
CACHE_DIR="$(dirname "${BASH_SOURCE[0]}")/../_cache/runner-${CUSTOM_ENV_CI_RUNNER_ID}-project-${CUSTOM_ENV_CI_PROJECT_ID}-concurrent-${CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID}-pipeline-${CUSTOM_ENV_CI_PIPELINE_ID}"
export CONTAINER_ID IMAGE CACHE_DIR
