#!/usr/bin/env bash
# Builds the Go programs the prow-rs tests run from the versions pinned in a Go module under
# hack/tools, into a cache directory outside the checkout:
#
#   hack/build-tools.sh          # hack/tools/go.mod: etcd, kube-apiserver
#   hack/build-tools.sh <set>    # hack/tools/<set>/go.mod: the programs its tools.list names
#
#   ${PROW_RS_CACHE:-$HOME/.cache/prow-rs}/tools/[<set>-]<key>/<program>...
#
# tools.list has one `<program> <go package>` per line. <key> hashes go.mod, go.sum and
# `go version`. A finished directory is reused as is,
# so a second run only prints its path. The build goes to a temporary directory that is
# renamed into place when complete, so an interrupted build never leaves a half cache; a
# lock (flock) makes concurrent runs wait for one build instead of racing.
#
# stdout: the directory path, nothing else. Logs go to stderr.
set -euo pipefail

tools_set="${1:-}"
tools_src="$(cd "$(dirname "${BASH_SOURCE[0]}")/tools/$tools_set" && pwd)"
cache_root="${PROW_RS_CACHE:-$HOME/.cache/prow-rs}/tools"

log() { echo "build-tools: $*" >&2; }

command -v go >/dev/null || { log "go is not installed (need Go to build kube-apiserver and etcd)"; exit 1; }
go_version="$(go version)"
key="$(cat "$tools_src/go.mod" "$tools_src/go.sum" <(echo "$go_version") | sha256sum | cut -c1-16)"
[[ -n "$tools_set" ]] && key="$tools_set-$key"
final_dir="$cache_root/$key"

# `<program> <package>` pairs, from tools.list (comments and blank lines skipped).
mapfile -t targets < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$tools_src/tools.list")
[[ ${#targets[@]} -gt 0 ]] || { log "$tools_src/tools.list names no program"; exit 1; }

complete() {
  local target
  for target in "${targets[@]}"; do
    [[ -x "$1/${target%% *}" ]] || return 1
  done
}

if complete "$final_dir"; then
  echo "$final_dir"
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock-$key"
log "waiting for the build lock $cache_root/.lock-$key"
flock 9

# Another process may have finished the build while we waited for the lock.
if complete "$final_dir"; then
  echo "$final_dir"
  exit 0
fi

# Leftovers of a build that was killed (SIGKILL skips the trap below); we hold the lock, so
# no other build is using them.
rm -rf "$cache_root/.build-$key".*
tmp_dir="$(mktemp -d "$cache_root/.build-$key.XXXXXX")"
chmod 755 "$tmp_dir"
trap 'rm -rf "$tmp_dir"' EXIT

cd "$tools_src"
for target in "${targets[@]}"; do
  read -r name pkg <<<"$target"
  log "building $name ($pkg) with $go_version"
  start=$SECONDS
  # 9>&-: the compiler must not hold the lock if this script is killed mid-build.
  CGO_ENABLED=0 go build -trimpath -o "$tmp_dir/$name" "$pkg" 9>&-
  log "built $name in $((SECONDS - start)) s"
done

# A stale partial directory (from a build without this script's rename) must not block us.
rm -rf "$final_dir"
mv -T "$tmp_dir" "$final_dir"
trap - EXIT
log "tools ready in $final_dir"
echo "$final_dir"
