# Sourced by the golden-output tests (tests/shell/, tests/clients/): compares
# what a run printed with its golden file, or replaces the golden file when
# the test was run with --update.
#
#   golden_compare <label> <expected file> <actual file> [--update]
golden_compare() {
  local label="$1" expected="$2" actual="$3" mode="${4:-}"
  if [[ "$mode" == "--update" ]]; then
    cp "$actual" "$expected"
    echo "updated $expected"
    return 0
  fi
  if diff -u "$expected" "$actual"; then
    echo "$label: output matches $expected"
  else
    echo "$label: output differs from $expected" >&2
    return 1
  fi
}
