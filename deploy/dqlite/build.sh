#!/usr/bin/env bash
# Build lethe-dqlite-node and lethe-dqlite-client into OUT_DIR, offline, from
# Debian's Go packages (golang-go, golang-github-canonical-go-dqlite-dev,
# libdqlite-dev): GOPATH mode, nothing downloaded. OUT_DIR also holds Go's
# build cache; keep it out of git (build/ is ignored).
#
#   bash deploy/dqlite/build.sh build/dqlite
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: bash deploy/dqlite/build.sh OUT_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
export GO111MODULE=off GOPROXY=off
export GOPATH="$out/gopath:/usr/share/gocode" GOCACHE="$out/gocache"
# go-dqlite links with -Wl,-z,now, which cgo refuses unless allowed.
export CGO_LDFLAGS_ALLOW='-Wl,-z,now'
for program in node client; do
  (cd "$here/$program" && go build -o "$out/lethe-dqlite-$program" .)
done
echo "built $out/lethe-dqlite-node and $out/lethe-dqlite-client"
