#!/usr/bin/env bash
# The tree is the map of the architecture (ARCHITECTURE.md): each layer of
# ext/ may use only the layers below it, and each rule the tree states is
# checked here, so that a path keeps saying which layer a file is in.
#
#   common/  <- parse/  <- native/       no SQLite at all
#   write/   every SQL statement lethe runs; SQLite, never sqlite3_vtab
#   call/    the SQLite glue; alone knows sqlite3_vtab
#   cli/     the `lethe` command: a client of the extension like any other,
#            through the public sqlite3 API of the system's libsqlite3; it
#            includes common/, parse/ and its own files, never write/ or call/
#
#   bash tests/layers.sh [repository root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
status=0
fail() { echo "layer_rules: $*"; status=1; }

# Which layers a layer's files may include ("" = only its own and these).
declare -A allowed=(
  [common]="common"
  [parse]="common parse"
  [native]="common parse native"
  [sync]="common parse sync"
  [write]="common parse sync write"
  [call]="common parse native sync write call"
  [cli]="common parse cli"
)
for layer in "${!allowed[@]}"; do
  [[ -d "ext/$layer" ]] || { fail "ext/$layer is missing"; continue; }
  while IFS=: read -r file _ include; do
    target="${include#*\"}"; target="${target%%/*}"
    [[ " ${allowed[$layer]} " == *" $target "* ]] ||
      fail "$file includes \"${include#*\"} (ext/$layer may use only: ${allowed[$layer]})"
  done < <(grep -rHn '^#include "' "ext/$layer" || true)
done

# Every folder of ext/ is a layer named above (a new one is added here, with
# its rule, and to ARCHITECTURE.md).
for dir in ext/*/; do
  layer="$(basename "$dir")"
  [[ -n "${allowed[$layer]+x}" ]] || fail "ext/$layer is not a known layer (tests/layers.sh, ARCHITECTURE.md)"
done

# No SQLite below write/.
if grep -rEn '\bsqlite3_[a-z_0-9]+|\bsqlite3\s*\*|SQLITE_[A-Z_]+|<sqlite3' ext/common ext/parse ext/native ext/sync --include='*.?pp' |
  grep -v '^\S*:[0-9]*:\s*//' ; then
  fail "the lines above use SQLite outside write/ and call/"
fi
# Only call/ knows sqlite3_vtab, sqlite3_module and sqlite3_context.
if grep -rEn 'sqlite3_vtab|sqlite3_module|sqlite3_index_info|sqlite3_context' ext --include='*.?pp' |
  grep -v '^ext/call/' | grep -v '^\S*:[0-9]*:\s*//'; then
  fail "the lines above use SQLite's virtual-table or function API outside call/"
fi
# Only write/ runs SQL for the extension: prepares statements, executes text.
# (cli/ is the command, a client that runs its own queries on its own
# connection, as any program that loads lethe does.)
if grep -rEn 'sqlite3_prepare|sqlite3_exec\b' ext --include='*.?pp' | grep -v '^ext/write/' |
  grep -v '^ext/cli/'; then
  fail "the lines above run SQL outside write/ (and the command's cli/)"
fi
# The command talks to SQLite as a client does (sqlite3.h, the system's
# library), never through the routines table of a loadable extension.
if grep -rEn '<sqlite3ext\.h>|SQLITE_EXTENSION_INIT' ext/cli; then
  fail "the lines above make the command an extension: it includes <sqlite3.h> only"
fi
# Every source file of ext/ is built (a file left behind by a move is not).
for file in $(find ext -name '*.cpp' | sort); do
  grep -q "$file" CMakeLists.txt || fail "$file is not in CMakeLists.txt"
done
[[ $status -eq 0 ]] && echo "layer_rules: every file keeps its layer's rule"
exit $status
