#!/usr/bin/env bash
# Runs every prow-rs test: builds (or reuses) the Go-built kube-apiserver and etcd, then
# `cargo test` over the whole workspace. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh

PROW_RS_TOOLS_DIR="$(hack/build-tools.sh)"
export PROW_RS_TOOLS_DIR
echo "using kube-apiserver and etcd from $PROW_RS_TOOLS_DIR" >&2
PROW_RS_GCS_TOOLS_DIR="$(hack/build-tools.sh gcs)"
export PROW_RS_GCS_TOOLS_DIR
echo "using the object-storage API server (gofakes3) from $PROW_RS_GCS_TOOLS_DIR" >&2

PROW_RS_HELM_TOOLS_DIR="$(hack/build-tools.sh helm)"
export PROW_RS_HELM_TOOLS_DIR
echo "using helm from $PROW_RS_HELM_TOOLS_DIR" >&2

# deck's browser tests drive Debian's chromium through chromedriver (no-op when installed).
hack/install-chromium.sh

cargo test --workspace --locked "$@"
