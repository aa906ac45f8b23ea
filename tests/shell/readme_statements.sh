#!/usr/bin/env bash
# The archive statements that tests/shell/native_archive.sql runs must be
# README's, verbatim: every line of the script that starts with
# "SELECT f.name" must appear as a line of README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
status=0
while IFS= read -r statement; do
  if ! grep -qxF -- "$statement" "$root/README.md"; then
    echo "not in README.md: $statement"
    status=1
  fi
done < <(grep '^SELECT f.name' "$root/tests/shell/native_archive.sql")
exit $status
