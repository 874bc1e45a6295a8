#!/usr/bin/env bash
# CI job "validate": every problem of the manifests, checked from the view of every host that
# has facts (resources meant for different hosts never conflict). Exit 1 on any error.
set -euo pipefail
: "${MANIFESTS:=manifests}" "${FACTS:=facts}" "${RECONCILE:=reconcile}"
exec "$RECONCILE" validate --facts "$FACTS" "$MANIFESTS"
