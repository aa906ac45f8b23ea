#!/usr/bin/env bash
# The code and tests cite the project's contract as "contract section N" (or
# "contract, section N", "contract v1, sections 2, 3 and 5", "sections 2-4").
# Fails when a cited section has no "## N." header in docs/contract.md, and
# when anything still points at a contract outside the repository.
# Usage: check_contract_refs.sh [repository root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
contract=docs/contract.md
[[ -f $contract ]] || { echo "FAIL: $contract is missing"; exit 1; }

failures=0
# Every citation: the text after "contract" (up to 40 characters on the same
# line, no sentence end between) that names one or more section numbers.
citations=$(grep -rnoiP --include='*.cpp' --include='*.hpp' --include='*.h' --include='*.py' \
  --include='*.sh' --include='*.md' --include='*.txt' --include='*.sql' \
  'contract[^.;\n]{0,40}?\bsections? [0-9]+(\s*(-|–|,|and)\s*[0-9]+)*' ext tests bench || true)
count=0
while IFS= read -r hit; do
  [[ -n $hit ]] || continue
  where=${hit%%:contract*}
  where=${where%%:Contract*}
  numbers=$(grep -oP 'sections? \K[0-9].*' <<<"$hit" | sed -E 's/and|,/ /g')
  # Expand ranges such as 2-4 (or 2–4).
  numbers=$(sed -E 's/([0-9]+)\s*(-|–)\s*([0-9]+)/range:\1:\3/g' <<<"$numbers")
  for n in $numbers; do
    if [[ $n == range:* ]]; then
      IFS=: read -r _ from to <<<"$n"
      set -- $(seq "$from" "$to")
    else
      set -- "$n"
    fi
    for section in "$@"; do
      count=$((count + 1))
      if ! grep -qE "^## ${section}\. " "$contract"; then
        echo "FAIL: $where cites contract section $section, but $contract has no '## $section.' header"
        failures=$((failures + 1))
      fi
    done
  done
done <<<"$citations"

# No path to a contract kept outside the repository.
outside=$(grep -rnE --exclude-dir=.git --exclude-dir='build*' --exclude-dir=node_modules \
  --exclude=check_contract_refs.sh '/work/shared|\.\./shared/|wire-v1\.md|adapters-v1\.md' . || true)
if [[ -n $outside ]]; then
  echo "FAIL: paths to a contract outside the repository (cite docs/contract.md instead):"
  echo "$outside"
  failures=$((failures + 1))
fi

if ((count == 0)); then
  echo "FAIL: found no contract citation at all; the pattern is broken"
  exit 1
fi
if ((failures > 0)); then exit 1; fi
echo "ok: $count contract section citations, all in $contract"
