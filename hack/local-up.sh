#!/usr/bin/env bash
# Brings up the whole prow-rs suite on this machine (loopback only): a real Kubernetes
# control plane with a node agent that runs Pods as local processes, a fake GitHub with the
# demo org `prow-rs-demo`, the demo repository, local object storage, and hook, plank, crier,
# horologium, sinker and deck with config/ and jobs/. Prints deck's URL and the command that
# sends a signed demo pull-request event. Ctrl-C stops everything.
#
# The first run builds kube-apiserver and etcd from Go modules (several minutes) and the
# Rust components; later runs reuse both. Flags go to `prow-local up` (see --help), e.g.
# `hack/local-up.sh --deck-port 9090`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh

PROW_RS_TOOLS_DIR="$(hack/build-tools.sh)"
export PROW_RS_TOOLS_DIR
cargo build --locked --bins -p prow-local -p hook -p plank -p crier -p horologium -p sinker -p deck -p prow-utils
exec "$CARGO_TARGET_DIR/debug/prow-local" up "$@"
