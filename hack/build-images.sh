#!/usr/bin/env bash
# Builds the release binaries and assembles prow-rs's images as an OCI image layout in
# ${1:-target/images} (no container engine needed; see hack/build-images.py for the images
# and how to push them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source hack/cache-env.sh
out="${1:-$CARGO_TARGET_DIR/images}"
cargo build --locked --release --bins -p hook -p plank -p crier -p horologium -p sinker -p deck -p branch-protector -p prowctl -p prow-utils
rm -rf "$out"
python3 hack/build-images.py --bin-dir "$CARGO_TARGET_DIR/release" --out "$out" --tag "${TAG:-latest}"
