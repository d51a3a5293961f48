#!/usr/bin/env bash
# Measures the prow-utils sidecar uploading a large build log (default 100 MB) to a file://
# bucket with censoring on: a mounted secret appears in the log (plain and base64) every few
# hundred lines. Prints the elapsed time, peak resident memory (GNU time's "Maximum resident
# set size") and checks that no secret reached the uploaded log.
# Target: streamed upload, < 50 MB resident.
# Usage: hack/bench-sidecar.sh [log size in MB]   (default 100)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh
size_mb="${1:-100}"
cargo build --release -p prow-utils >&2
target_dir="${CARGO_TARGET_DIR:-target}"
binary="$target_dir/release/prow-utils"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs/artifacts" "$work/secrets" "$work/bucket"
secret="bench-secret-$(date +%s%N)"
printf '%s\n' "$secret" >"$work/secrets/token"
encoded="$(printf '%s' "$secret" | base64 -w0)"
python3 - "$work/logs/process-log.txt" "$size_mb" "$secret" "$encoded" <<'PY'
import sys
path, size_mb, secret, encoded = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
line = "I1126 12:00:00.000000 1 test.go:42] ordinary test output line with some padding ......\n"
block = (line * 400) + f"token={secret} b64={encoded}\n"
block = block.encode()
target = size_mb * 1024 * 1024
with open(path, "wb") as out:
    written = 0
    while written < target:
        out.write(block)
        written += len(block)
PY
echo 0 >"$work/logs/marker-file.txt"
export SIDECAR_OPTIONS="$(cat <<JSON
{"gcs_options":{"items":["$work/logs/artifacts"],"bucket":"file://$work/bucket","path_strategy":"explicit","dry_run":false},
 "entries":[{"args":["bench"],"process_log":"$work/logs/process-log.txt","marker_file":"$work/logs/marker-file.txt","metadata_file":"$work/logs/artifacts/metadata.json"}],
 "censoring_options":{"secret_directories":["$work/secrets"]}}
JSON
)"
export JOB_SPEC='{"type":"periodic","job":"bench-sidecar","buildid":"1","prowjobid":"bench"}'
export RUST_LOG=warn
/usr/bin/time -v "$binary" sidecar 2>"$work/time.txt"
uploaded="$work/bucket/logs/bench-sidecar/1/build-log.txt"
input_bytes=$(stat -c %s "$work/logs/process-log.txt")
output_bytes=$(stat -c %s "$uploaded")
leaks=$(grep -c -e "$secret" -e "$encoded" "$uploaded" || true)
echo "log size:          $input_bytes bytes (uploaded $output_bytes bytes)"
grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$work/time.txt"
censored=$(grep -c "token=\*\{${#secret}\} b64=\*\{${#encoded}\}" "$uploaded" || true)
echo "secret occurrences in the uploaded log: $leaks (censored lines: $censored)"
[ "$input_bytes" = "$output_bytes" ] && [ "$leaks" = 0 ]
