#!/usr/bin/env bash
# The code and tests cite the project's contract as "contract section N" (or
# "contract, section N", "contract v1, sections 2, 3 and 5", "sections 2-4").
# Fails when a cited section has no "## N." header in
# docs/reference/contract.md (or, for "adapters section N", in
# docs/reference/adapters.md), and when anything still points at a contract
# outside the repository.
# Usage: check_contract_refs.sh [repository root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
contract=docs/reference/contract.md
[[ -f $contract ]] || { echo "FAIL: $contract is missing"; exit 1; }

failures=0
# Every citation of `word` ("contract", or "adapters" for
# docs/reference/adapters.md): the text after it (up to 40 characters on the
# same line, no sentence end between) that names one or more section
# numbers. Sets `cited`.
check_citations() {
  local word="$1" doc="$2" hit where numbers n section from to
  cited=0
  local citations
  citations=$(grep -rnoiP --include='*.cpp' --include='*.hpp' --include='*.h' --include='*.py' \
    --include='*.sh' --include='*.md' --include='*.txt' --include='*.sql' \
    "${word}[^.;\\n]{0,40}?\\bsections? [0-9]+(\\s*(-|–|,|and)\\s*[0-9]+)*" ext tests bench || true)
  while IFS= read -r hit; do
    [[ -n $hit ]] || continue
    where=$(cut -d: -f1,2 <<<"$hit")
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
        cited=$((cited + 1))
        if [[ ! -f $doc ]] || ! grep -qE "^## ${section}\. " "$doc"; then
          echo "FAIL: $where cites $word section $section, but $doc has no '## $section.' header"
          failures=$((failures + 1))
        fi
      done
    done
  done <<<"$citations"
}

check_citations adapters docs/reference/adapters.md
check_citations contract "$contract"
count=$cited

# No path to a contract kept outside the repository.
# Only the files git would commit: generated ones (bench/out's corpora) may
# quote anything.
outside=$( (git ls-files -co --exclude-standard 2>/dev/null || find . -type f -not -path './.git/*') |
  grep -v -e '^tests/check_contract_refs.sh$' -e '^build' -e '/node_modules/' |
  xargs -d '\n' grep -nE '/work/shared|\.\./shared/|wire-v1\.md|adapters-v1\.md' 2>/dev/null || true)
if [[ -n $outside ]]; then
  echo "FAIL: paths to a contract outside the repository (cite docs/reference/contract.md instead):"
  echo "$outside"
  failures=$((failures + 1))
fi

# Every document the code cites by path exists (docs/..., README.md,
# ARCHITECTURE.md, bench/README.md), so a moved page can't leave a stale
# pointer behind. bench/gen_corpus.py is skipped: it writes paths into the
# transcripts it generates, as text an agent might have written.
paths=0
while IFS=: read -r file line path; do
  [[ -n $path ]] || continue
  paths=$((paths + 1))
  if [[ ! -f $path ]]; then
    echo "FAIL: $file:$line cites $path, which does not exist"
    failures=$((failures + 1))
  fi
done < <(git grep -nIoE '(^|[^A-Za-z0-9_./-])(docs/[A-Za-z0-9_./-]+|bench/README|ARCHITECTURE|README)\.md' -- \
  ext tests sql bench ':!bench/gen_corpus.py' ':!bench/runs' ':!tests/fuzz/corpus' \
  ':!tests/fixtures' ':!tests/clients/sync/home' 2>/dev/null |
  sed -E 's/^([^:]*:[0-9]+:)[^A-Za-z]?/\1/' || true)

if ((count == 0)); then
  echo "FAIL: found no contract citation at all; the pattern is broken"
  exit 1
fi
if ((failures > 0)); then exit 1; fi
echo "ok: $count contract section citations, all in $contract; $paths document paths cited, all there"
