#!/usr/bin/env bash
# Measures deck at 20,000 ProwJobs end to end: a private local control plane (prow-testkit's
# etcd + kube-apiserver; needs hack/build-tools.sh), ProwJobs created through the API server
# with their status, the real `deck` binary watching them, then
#   - filtered JSON API page latency (/api/v1/jobs?...) p50/p90/p99, 1 and N clients,
#   - HTML list page latency (/?...) p50/p90/p99, 1 and N clients,
#   - first render in headless chromium (Performance API through WebDriver),
#   - deck's resident memory (VmRSS, VmHWM from /proc/<pid>/status) and its /metrics.
# Targets: API p99 < 50 ms, list rendered < 1 s, < 200 MB resident.
# Usage: hack/bench-deck.sh [prowjobs] [concurrent clients] [seconds per latency phase]
#        (defaults 20000, 4, 15; creating the ProwJobs stops after DECK_BENCH_FILL_SECONDS,
#        default 600). Bounded: every phase has a deadline.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh
hack/install-chromium.sh
PROW_RS_TOOLS_DIR="${PROW_RS_TOOLS_DIR:-$(hack/build-tools.sh)}"
export PROW_RS_TOOLS_DIR
export DECK_BENCH_PROWJOBS="${1:-20000}"
export DECK_BENCH_CONCURRENCY="${2:-4}"
export DECK_BENCH_SECONDS="${3:-15}"
# Build first (unbounded: a cold release build takes a while), then run bounded.
cargo bench -p deck --bench deck_load --no-run
exec timeout --signal=TERM --kill-after=30 1800 cargo bench -p deck --bench deck_load
