#!/usr/bin/env bash
# lethe on a three-node dqlite cluster on 127.0.0.1, compared with one plain
# SQLite database given the same batches (deploy/dqlite/README.md).
#
#   bash deploy/dqlite/test.sh [--skip-if-missing] PATH/lethe.so
#
# Checks: batches in every allowed mode (example client: BEGIN ... COMMIT and
# INSERT INTO rejects SELECT sent as exec; the dqlite shell), the forbidden
# mode refused with nothing written, batches after dqlite's checkpoints, two
# clients at once, the leader killed mid-batch (all or nothing; after a retry,
# the single-node result), and at the end every node's own copy of sessions,
# turns and rejects (a hash of every row) equal to the single-node database's.
# Every wait is bounded, every node runs under `timeout` and is killed on
# exit. Prints a closing line; exits non-zero on any mismatch.
# --skip-if-missing: exit 0 with a message when the Debian packages are absent.
set -euo pipefail
shopt -s inherit_errexit
python=/usr/bin/python3  # Debian's: its sqlite3 module can load extensions
skip_if_missing=0
if [ "${1:-}" = --skip-if-missing ]; then skip_if_missing=1; shift; fi
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: bash deploy/dqlite/test.sh [--skip-if-missing] PATH/lethe.so" >&2
  exit 2
fi
lethe_so="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if ! command -v go >/dev/null || ! command -v dqlite >/dev/null || [ ! -f /usr/include/dqlite.h ] ||
  [ ! -d /usr/share/gocode/src/github.com/canonical/go-dqlite/app ]; then
  echo "dqlite test: needs golang-go libdqlite-dev golang-github-canonical-go-dqlite-dev go-dqlite"
  if ((skip_if_missing)); then echo "dqlite test: skipped"; exit 0; fi
  exit 1
fi

started=$SECONDS
work="$(dirname "$lethe_so")/dqlite"     # binaries and Go's cache, kept between runs
run="$work/run"                           # this run's nodes, batches and dumps
rm -rf "$run"
mkdir -p "$run/batches" "$run/out" "$run/ref" "$run/dumps"
NODE_LIFETIME=170                         # seconds; each node is killed after it whatever happens
checks=0
declare -a addr node_pid readies

finish() {
  local status=$?
  for i in 0 1 2; do stop_node "$i"; done
  if ((status == 0)); then
    echo "dqlite test: all $checks checks passed in $((SECONDS - started)) s"
  else
    echo "dqlite test: FAILED after $checks checks ($((SECONDS - started)) s); logs in $run"
  fi
}
trap finish EXIT
trap 'exit 130' INT TERM  # the EXIT trap kills the nodes then too

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { checks=$((checks + 1)); echo "ok $checks - $*"; }

# --- build --------------------------------------------------------------------
bash "$here/build.sh" "$work" >/dev/null
client() { timeout 90 "$work/lethe-dqlite-client" -s "$(IFS=,; echo "${addr[*]}")" "$@"; }

# --- cluster ------------------------------------------------------------------
read -r -a ports < <("$python" -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])')
for i in 0 1 2; do addr[i]="127.0.0.1:${ports[i]}"; done

# The pid of the node itself, child of its `timeout`.
node_process() { pgrep -P "${node_pid[$1]}" 2>/dev/null || true; }

# Waits (at most 60 s) until node $1 logged "ready" once more than before
# its last start: it knows the leader again (a restarted node can take a
# while, and the next kill must not leave the cluster without a quorum).
wait_until_ready() {
  for _ in $(seq 120); do
    (($(grep -c " ready, id " "$run/node$1.log" || true) > readies[$1])) && return 0
    sleep 0.5
  done
  fail "node ${addr[$1]} not ready 60 s after its start (see $run/node$1.log)"
}

start_node() {
  local i="$1" join=()
  [ ! -e "$run/node$i" ] && ((i > 0)) && join=(-join "${addr[0]}")
  touch "$run/node$i.log"
  readies[i]=$(grep -c " ready, id " "$run/node$i.log" || true)
  timeout -s KILL "$NODE_LIFETIME" "$work/lethe-dqlite-node" -lethe "$lethe_so" -dir "$run/node$i" \
    -address "${addr[i]}" "${join[@]}" >>"$run/node$i.log" 2>&1 &
  node_pid[i]=$!
  disown "$!"  # no "Killed" notice from bash when the test kills it
}

stop_node() {
  local i="$1"
  [ -n "${node_pid[$i]:-}" ] || return 0
  local process
  process="$(node_process "$i")"
  [ -z "$process" ] || kill -KILL "$process" 2>/dev/null || true
  kill -KILL "${node_pid[$i]}" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "${node_pid[$i]}" 2>/dev/null || break; sleep 0.1; done
  node_pid[i]=""
}

# Waits (at most 30 s) until the cluster has a leader and three voters.
wait_for_three_voters() {
  for _ in $(seq 60); do
    [ "$(client voters 2>/dev/null)" = 3 ] && return 0
    sleep 0.5
  done
  fail "no leader with three voters after 30 s (see $run/node*.log)"
}

start_node 0
sleep 0.5
start_node 1
start_node 2
wait_for_three_voters
for i in 0 1 2; do wait_until_ready "$i"; done
grep -h "on every connection" "$run/node0.log"
pass "three nodes on ${addr[*]}"
if dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libdqlite-dev)" lt 1.13; then
  grep -q "cache_spill OFF" "$run/node0.log" || fail "dqlite < 1.13 without PRAGMA cache_spill=OFF"
  pass "PRAGMA cache_spill=OFF on every connection (dqlite < 1.13)"
fi
# A library without the replicated entry point (and so without the guard) is refused.
if timeout 20 "$work/lethe-dqlite-node" -lethe "$(ldconfig -p | awk '/libsqlite3.so.0 / {print $NF; exit}')" \
  -dir "$run/refused" -address 127.0.0.1:1 2>"$run/refused.err"; then
  fail "the node started without lethe's replicated entry point"
fi
grep -q sqlite3_lethe_replicated_init "$run/refused.err" || fail "unclear refusal: $(cat "$run/refused.err")"
[ ! -e "$run/refused" ] || fail "the refused node created its data folder"
pass "a library without sqlite3_lethe_replicated_init is refused"

client schema "$repo/sql/schema.sql"
client exec "CREATE TABLE IF NOT EXISTS rejects(line, byte_offset, code, field, message)"

# --- batches ------------------------------------------------------------------
# One generator for every batch (bench/gen_corpus.py): deterministic, distinct
# sessions per seed, 1% bad lines of every kind.
batch() {  # batch NAME LINES SEED [BAD_FRACTION]
  "$python" "$repo/bench/gen_corpus.py" --lines "$2" --sessions $(($2 / 200 + 1)) --seed "$3" \
    --bad-fraction "${4:-0.01}" --out "$run/batches/$1.ndjson" 2>"$run/batches/$1.summary"
}
bad_lines() { sed -n 's/.*bad_lines=\([0-9]*\).*/\1/p' "$run/batches/$1.summary"; }
batch small 40 1 0.1  # small: the dqlite shell takes it as one argument (at most 128 KiB)
batch tx1 2000 2
batch exec1 2000 3
batch big1 8000 4
batch big2 8000 5
batch big3 8000 6
batch par1 3000 7
batch par2 3000 8
# No bad lines in the kill batches: a retried exec batch would add its
# rejected lines to `rejects` again (README: "outcome unknown").
batch kill1 12000 9 0
batch kill2 12000 10 0
batch kill3 12000 12 0
batch forbidden 40 11  # small: it also goes as a hexadecimal literal

# The plan: every batch the cluster committed, in order, for the reference.
plan=0
planned() { plan=$((plan + 1)); echo "$plan $1 $2 $run/batches/$3.ndjson" >>"$run/plan"; }

# ingest MODE OWNER BATCH: one call through the example client; the rejects
# it prints (mode tx) go to out/STEP.tsv, compared with the reference's.
ingest() {
  client ingest -mode "$1" -owner "$2" "$run/batches/$3.ndjson" >"$run/out/$((plan + 1)).tsv" ||
    fail "ingest -mode $1 of $3 failed"
  planned "$1" "$2" "$3"
}

ingest tx ana tx1
ingest exec ana exec1
pass "a batch in BEGIN ... COMMIT and one as INSERT INTO rejects SELECT (exec)"

# The dqlite shell runs each statement in its own BEGIN ... COMMIT: both
# forms work there. The batch goes as a hexadecimal blob literal, which needs
# no quoting (the shell splits its argument at every ';').
hex="$(od -An -v -tx1 "$run/batches/small.ndjson" | tr -d ' \n')"
timeout 60 dqlite -s "${addr[0]}" lethe "SELECT * FROM lethe_ingest('bob', X'$hex')" >"$run/shell1.out" ||
  fail "dqlite shell: SELECT * FROM lethe_ingest failed"
planned tx bob small  # its rejects went to the shell's output, not to `rejects`
[ "$(grep -c . "$run/shell1.out")" = "$(bad_lines small)" ] ||
  fail "dqlite shell: expected $(bad_lines small) reject rows, got: $(cat "$run/shell1.out")"
timeout 60 dqlite -s "${addr[1]}" lethe "INSERT INTO rejects SELECT * FROM lethe_ingest('cy', X'$hex')" ||
  fail "dqlite shell: INSERT INTO rejects SELECT failed"
planned exec cy small
pass "the dqlite shell: SELECT and INSERT INTO rejects SELECT"

# --- the forbidden mode ---------------------------------------------------------
# A plain SELECT * FROM lethe_ingest(...) sent as a query outside a
# transaction: dqlite would not replicate its writes. The guard refuses it,
# and the same SELECT sent as an exec (whose refusal keeps its message:
# dqlite 1.11 garbles the message of a query that failed once started).
nothing_written_for() {
  [ "$(client query "SELECT count(*) FROM turns WHERE owner = '$1'")" = 0 ] || fail "the refused batch wrote turns"
  [ "$(client query "SELECT count(*) FROM sessions WHERE owner = '$1'")" = 0 ] || fail "the refused batch wrote sessions"
}
if client ingest -mode query -owner zed "$run/batches/forbidden.ndjson" >/dev/null 2>"$run/forbidden.err"; then
  fail "a plain SELECT * FROM lethe_ingest(...) sent as a query in autocommit was accepted"
fi
nothing_written_for zed
echo "    the query: $(cat "$run/forbidden.err")"
hex="$(od -An -v -tx1 "$run/batches/forbidden.ndjson" | tr -d ' \n')"
if client exec "SELECT * FROM lethe_ingest('zoe', X'$hex')" 2>"$run/forbidden-exec.err"; then
  fail "a plain SELECT * FROM lethe_ingest(...) in autocommit was accepted as an exec"
fi
grep -q "lethe_ingest" "$run/forbidden-exec.err" && grep -q "BEGIN" "$run/forbidden-exec.err" &&
  grep -q "INSERT INTO" "$run/forbidden-exec.err" ||
  fail "the refusal does not say how to call lethe_ingest: $(cat "$run/forbidden-exec.err")"
nothing_written_for zoe
echo "    the same as an exec: $(cat "$run/forbidden-exec.err")"
pass "SELECT * FROM lethe_ingest in autocommit is refused (as a query and as an exec), nothing written"

# --- checkpoints --------------------------------------------------------------
# dqlite checkpoints its WAL after a commit past 1000 pages: each of these
# batches (~6 MB) passes it, so each next one starts right after a checkpoint
# and spills pages from a 2 MB page cache (on dqlite 1.11 this failed with
# SQLITE_IOERR_SHORT_READ before the node's cache_spill workaround).
ingest tx dan big1
ingest exec dan big2
ingest tx eve big3
pass "three 8000-line batches, each after a checkpoint"

# --- two clients at once ------------------------------------------------------
client ingest -mode tx -owner fay "$run/batches/par1.ndjson" >"$run/out/par1.tsv" 2>"$run/par1.err" &
first=$!
client ingest -mode exec -owner gus "$run/batches/par2.ndjson" 2>"$run/par2.err" &
second=$!
wait "$first" || fail "the first of two clients failed: $(cat "$run/par1.err")"
wait "$second" || fail "the second of two clients failed: $(cat "$run/par2.err")"
planned tx fay par1
mv "$run/out/par1.tsv" "$run/out/$plan.tsv"
planned exec gus par2
pass "two clients at once"

# --- the leader killed mid-batch ----------------------------------------------
# Expected turns of a batch on its own, from a scratch single-node database.
turns_of() {
  echo "1 tx $1 $run/batches/$2.ndjson" >"$run/one.plan"
  rm -f "$run/one.db"
  "$python" "$here/reference.py" replay "$lethe_so" "$repo/sql/schema.sql" "$run/one.db" "$run/one.plan" "$run"
  "$python" "$here/reference.py" count "$run/one.db" "$1"
}

kill_leader_mid_batch() {  # MODE OWNER BATCH DELAY
  local mode="$1" owner="$2" name="$3" delay="$4" expected leader victim="" outcome stored
  expected="$(turns_of "$owner" "$name")"
  leader="$(client leader)"
  for i in 0 1 2; do [ "${addr[i]}" = "$leader" ] && victim=$i; done
  [ -n "$victim" ] || fail "leader $leader is none of ours"
  client ingest -mode "$mode" -owner "$owner" "$run/batches/$name.ndjson" >/dev/null 2>"$run/kill.err" &
  local writer=$!
  sleep "$delay"
  kill -KILL "$(node_process "$victim")"
  if wait "$writer"; then outcome="committed"; else outcome="error: $(head -c 200 "$run/kill.err")"; fi
  stop_node "$victim"
  # All or nothing, whatever the client was told.
  for try in 1 2 3; do  # a new leader within 3 x 30 s
    stored="$(client query "SELECT count(*) FROM turns WHERE owner = '$owner'")" && break
    ((try < 3)) || fail "no leader after the kill"
  done
  [ "$stored" = 0 ] || [ "$stored" = "$expected" ] ||
    fail "leader killed mid-batch: $stored of $expected turns stored"
  echo "    leader ${addr[victim]} killed ${delay}s into a $mode batch; client: $outcome;" \
    "stored: $([ "$stored" = 0 ] && echo nothing || echo all) ($stored of $expected turns)"
  # The retry (safe: sessions and turns are upserts).
  local tries=0
  until client ingest -mode "$mode" -owner "$owner" "$run/batches/$name.ndjson" >"$run/out/$((plan + 1)).tsv" \
    2>"$run/retry.err"; do
    tries=$((tries + 1))
    ((tries < 5)) || fail "the retry failed 5 times: $(cat "$run/retry.err")"
    sleep 1
  done
  planned "$mode" "$owner" "$name"
  [ "$(client query "SELECT count(*) FROM turns WHERE owner = '$owner'")" = "$expected" ] ||
    fail "after the retry, not the $expected turns of the batch"
  start_node "$victim"
  wait_until_ready "$victim"
  wait_for_three_voters
}
# Three kills at different points of a ~0.5 s batch (client start included).
kill_leader_mid_batch tx hal kill1 0.15
pass "leader killed during a BEGIN ... COMMIT batch: all or nothing, then the retry"
kill_leader_mid_batch exec ida kill2 0.3
pass "leader killed during an exec batch: all or nothing, then the retry"
kill_leader_mid_batch tx jo kill3 0.35
pass "leader killed later in a BEGIN ... COMMIT batch: all or nothing, then the retry"

ingest tx ana tx1     # re-sent: upserts, same result
pass "a batch after the cluster came back"

# --- every node equals the single-node database -------------------------------
"$python" "$here/reference.py" replay "$lethe_so" "$repo/sql/schema.sql" "$run/reference.db" "$run/plan" "$run/ref"
"$python" "$here/reference.py" hash "$run/reference.db" >"$run/reference.hash"
for step in $(awk '$2 == "tx" {print $1}' "$run/plan"); do
  [ -f "$run/out/$step.tsv" ] || continue  # the dqlite shell's, in its own format
  cmp -s "$run/out/$step.tsv" "$run/ref/$step.tsv" ||
    fail "step $step: the client's reject rows differ from the single-node ones"
done
pass "the rejects of every BEGIN ... COMMIT batch equal the single-node ones"

for i in 0 1 2; do
  # A follower may still be applying the last entries: ask again, 20 times at most.
  for try in $(seq 20); do
    rm -rf "$run/dumps/$i"
    client dump -node "${addr[i]}" -out "$run/dumps/$i"
    "$python" "$here/reference.py" hash "$run/dumps/$i/lethe" >"$run/node$i.hash"
    cmp -s "$run/node$i.hash" "$run/reference.hash" && break
    ((try < 20)) || fail "node ${addr[i]} differs from the single-node database:
$(diff "$run/node$i.hash" "$run/reference.hash")"
    sleep 0.5
  done
  pass "node ${addr[i]}: sessions, turns and rejects equal the single-node database's"
done
sed 's/^/    /' "$run/reference.hash"
for i in 0 1 2; do
  echo "    node ${addr[i]}: peak memory $(awk '/VmHWM/ {print $2, $3}' "/proc/$(node_process "$i")/status")"
done
