# Sourced by hack/test.sh and .ci/run: puts expensive build outputs in a cache directory
# outside the checkout that survives between runs on the same machine, keyed by toolchain
# version, so a second run (or a fresh clone) does not rebuild everything.
prow_rs_cache="${PROW_RS_CACHE:-$HOME/.cache/prow-rs}"
rust_key="$(rustc --version | tr -c 'A-Za-z0-9.\n' '-' )"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$prow_rs_cache/target/$rust_key}"
export PROW_RS_CACHE="$prow_rs_cache"
# Incremental compilation pays off for edit-compile loops, not for whole-workspace test runs,
# and its files grow by gigabytes per crate version; off unless asked for.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
