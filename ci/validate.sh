#!/usr/bin/env bash
# CI job "validate": every problem of the manifests, checked from the view of every host that
# has facts (resources meant for different hosts never conflict). Exit 1 on any error.
# The same problems go to CODE_QUALITY_REPORT as GitLab's Code Quality report, which the job
# publishes so merge requests show them beside the lines they are about.
set -euo pipefail
: "${MANIFESTS:=manifests}" "${FACTS:=facts}" "${RECONCILE:=reconcile}"
: "${CODE_QUALITY_REPORT:=gl-code-quality-report.json}"
"$RECONCILE" validate --facts "$FACTS" --format gitlab "$MANIFESTS" >"$CODE_QUALITY_REPORT" || true
exec "$RECONCILE" validate --facts "$FACTS" "$MANIFESTS"
