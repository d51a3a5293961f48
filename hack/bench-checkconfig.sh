#!/usr/bin/env bash
# Measures `prowctl checkconfig` (load + validate) on the largest corpus instance, the
# kubernetes Prow config (config.yaml, plugins.yaml and 602 job files, 3,849 jobs):
# wall time and peak memory (max RSS) of a release build, over N runs (default 5).
# Usage: hack/bench-checkconfig.sh [runs]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh
runs="${1:-5}"
corpus="${PROW_CORPUS_DIR:-$(pwd)/../shared/corpus/prow-configs}"
[ -f "$corpus/SOURCES.md" ] || { echo "corpus not found at $corpus (set PROW_CORPUS_DIR)" >&2; exit 1; }

cargo build --release --locked -p prowctl >&2
prowctl="$CARGO_TARGET_DIR/release/prowctl"
cd "$corpus"
for i in $(seq 1 "$runs"); do
  /usr/bin/time -f "run $i: wall %e s, max RSS %M KiB" "$prowctl" checkconfig \
    --config-path kubernetes/test-infra/config/prow/config.yaml \
    --job-config-path kubernetes/test-infra/config/jobs \
    --plugin-config kubernetes/test-infra/config/prow/plugins.yaml \
    --output json >/dev/null || true
done 2>&1 | grep '^run '
