#!/usr/bin/env bash
# Measures plank with a burst of ProwJobs (default 1,000) created at once against a local
# control plane (etcd + kube-apiserver from hack/build-tools.sh) with the node agent: time
# until every job is pending with its Pod, time until every job finished, plank's API
# requests by verb and resource, and plank's peak resident memory. plank runs as its own
# process with its default client rate limit (20 requests/s, bursts of 30).
# Usage: hack/bench-plank.sh [jobs]   (default 1000; PLANK_BURST_QPS=<n> to change plank's QPS)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh
export PLANK_BURST_JOBS="${1:-1000}"
cargo build --release -p plank --bin plank --example burst >&2
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/examples/burst"
