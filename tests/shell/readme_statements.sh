#!/usr/bin/env bash
# The archive statements that tests/shell/native_archive.sql runs must be the
# documentation's, verbatim: every line of the script that starts with
# "SELECT f.name" must appear as a line of docs/guide/agents.md (where the
# user guide shows them; README links there).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
doc="docs/guide/agents.md"
status=0
count=0
while IFS= read -r statement; do
  count=$((count + 1))
  if ! grep -qxF -- "$statement" "$root/$doc"; then
    echo "not in $doc: $statement"
    status=1
  fi
done < <(grep '^SELECT f.name' "$root/tests/shell/native_archive.sql")
if ((count == 0)); then
  echo "no 'SELECT f.name' line in tests/shell/native_archive.sql: nothing was compared"
  status=1
fi
exit $status
