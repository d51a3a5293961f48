#!/usr/bin/env bash
# Measures hook's full HTTP path with the kubernetes Prow config loaded (3,849 jobs and its
# plugins.yaml): signed `issue_comment` webhooks that start no job, sent over loopback to an
# in-process hook (validation, HMAC, parsing, de-duplication, queue, plugin dispatch).
# Phases: paced at 2,000 events/s (latency under the target load), unpaced (max throughput),
# then `pull_request` opened events by an org member that make trigger create ProwJobs on the
# real local API server (prow-testkit control plane; needs hack/build-tools.sh). Prints
# throughput, p50/p90/p99/max latency, ProwJobs/s, reload time and RSS.
# Targets: 2,000 no-op events/s, p99 < 10 ms, < 100 MB resident.
# Usage: hack/bench-hook.sh [events] [concurrent senders] [PR events]
#        (defaults 20000, 8, 100; each phase stops after 60 s)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh
export HOOK_BENCH_EVENTS="${1:-20000}"
export HOOK_BENCH_CONCURRENCY="${2:-8}"
export HOOK_BENCH_PR_EVENTS="${3:-100}"
export HOOK_BENCH_SECONDS="${HOOK_BENCH_SECONDS:-60}"
exec cargo bench -p hook --bench hook_noop_events
