#!/usr/bin/env bash
# The scheduled runs README promises, run as their schedulers would run them:
# - README's cron line, verbatim, in cron's environment (env -i with only
#   HOME, LOGNAME, SHELL and PATH, no terminal, stdin closed), twice: its log
#   file gets one line per run;
# - the systemd user service's ExecStart (deploy/systemd/lethe-sync.service)
#   in a user manager's environment; `systemd-analyze verify --user` on the
#   units when systemd-analyze is here (else their keys are checked);
# - a manual run in another environment (another folder, USER, LOGNAME,
#   XDG_DATA_HOME spelled out, the home with a trailing slash, a terminal's
#   TERM) on the same home: every session once, the tables equal one run's.
# The command is not installed here: its build folder stands first in PATH
# where the installed command would be found (/usr/bin).
# Usage: run_cli_schedule.sh <lethe> <sqlite3> <repository root>
source "$(dirname "$0")/common.sh"
bindir="$(dirname "$lethe")"
units="$root/deploy/systemd"

# The reference: one run of the fixture home into a database of its own.
"$lethe" sync --db "$work/once.db" >/dev/null
once="$(counts "$work/once.db")"
once_rows="$(rows "$work/once.db")"

# 1. README's cron line.
cron_line="$(grep -E '^0 \* \* \* \* ' "$root/README.md" | head -1)"
[[ -n "$cron_line" ]] || fail "README.md has no cron line (0 * * * * ...)"
grep -qF -- "$cron_line" <(sed -n '/^Every hour, with cron/,/^or with/p' <("$lethe" sync --help)) ||
  fail "README's cron line is not the one lethe sync --help gives: $cron_line"
command="$(cut -d' ' -f6- <<<"$cron_line")"
as_cron() {
  env -i HOME="$HOME" LOGNAME="$(id -un)" SHELL=/bin/sh PATH="$bindir:/usr/bin:/bin" \
    setsid sh -c "$command" </dev/null >"$work/cron.mail" 2>&1
}
as_cron || fail "the cron line failed: $command: $(cat "$work/cron.mail")"
as_cron || fail "the cron line failed the second time: $(cat "$work/cron.mail")"
log="$HOME/.lethe-sync.log"
[[ -f "$log" ]] || fail "the cron line wrote no log at $log"
[[ ! -s "$work/cron.mail" ]] || fail "the cron line printed something (cron would mail it): $(cat "$work/cron.mail")"
[[ "$(wc -l <"$log")" == 2 ]] || fail "the log does not have one line per run: $(cat "$log")"
while IFS= read -r line; do
  [[ "$line" =~ $log_line_re && "$line" == *" home=$HOME "* && "$line" == *" db=$default_db "* ]] ||
    fail "a cron log line has another shape: $line"
done <"$log"
[[ "$(tail -1 "$log")" == *" read=0 unchanged=4 failed=0 "* ]] || fail "the second cron run read again: $(tail -1 "$log")"
[[ "$(counts "$default_db")" == "$once" ]] || fail "cron's runs stored $(counts "$default_db"), one run $once"
pass "cron: $command -> $(tail -1 "$log")"

# 2. The systemd user service.
exec_start="$(sed -n 's/^ExecStart=//p' "$units/lethe-sync.service")"
[[ "$exec_start" == "lethe sync" ]] || fail "lethe-sync.service runs '$exec_start'"
journal="$(env -i HOME="$HOME" USER="$(id -un)" LOGNAME="$(id -un)" SHELL=/bin/sh \
  XDG_RUNTIME_DIR="$work/run" PATH="$bindir:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin" \
  setsid sh -c "exec $exec_start" </dev/null 2>&1)" || fail "the service's command failed: $journal"
[[ "$journal" =~ $log_line_re && "$journal" == *" db=$default_db "* ]] ||
  fail "the service's journal line has another shape: $journal"
pass "systemd service: $journal"

mkdir -p "$work/run" "$work/units" && chmod 700 "$work/run"
if command -v systemd-analyze >/dev/null; then
  # `lethe` is resolved in systemd's search path: point it at this build.
  sed "s|^ExecStart=lethe |ExecStart=$lethe |" "$units/lethe-sync.service" >"$work/units/lethe-sync.service"
  cp "$units/lethe-sync.timer" "$work/units/"
  # No generators: they start other programs (gpgconf), which can outlive
  # the check holding its output open; no sanitizer preload: systemd's
  # programs are not instrumented. A minute at most.
  verify="$(cd "$work/units" && XDG_RUNTIME_DIR="$work/run" timeout 60 \
    env -u LD_PRELOAD -u ASAN_OPTIONS systemd-analyze verify --user --generators=false \
    ./lethe-sync.service ./lethe-sync.timer 2>&1)" || fail "systemd-analyze verify: $verify"
  [[ -z "$verify" ]] || fail "systemd-analyze verify warns: $verify"
  pass "systemd-analyze verify --user: the service and the timer"
else
  for key in '^\[Service\]$' '^Type=oneshot$' '^ExecStart=lethe sync$'; do
    grep -q "$key" "$units/lethe-sync.service" || fail "lethe-sync.service lacks $key"
  done
  for key in '^\[Timer\]$' '^OnCalendar=hourly$' '^Persistent=true$' '^\[Install\]$' '^WantedBy=timers.target$'; do
    grep -q "$key" "$units/lethe-sync.timer" || fail "lethe-sync.timer lacks $key"
  done
  echo "note: no systemd-analyze here: the units' keys were checked instead"
fi
grep -q 'systemctl --user enable --now lethe-sync.timer' "$root/README.md" ||
  fail "README does not say how to enable lethe-sync.timer"

# 3. By hand, in another environment, on the same home: nothing twice.
(cd "$work" && env USER=someone LOGNAME=someone TERM=xterm-256color \
  XDG_DATA_HOME="$HOME/.local/share" "$lethe" sync --home "$HOME/" >"$work/manual.out" 2>&1) ||
  fail "the manual run failed: $(cat "$work/manual.out")"
[[ "$(cat "$work/manual.out")" == *" home=$HOME "*" db=$default_db "* ]] ||
  fail "the manual run named another home or database: $(cat "$work/manual.out")"
[[ "$(counts "$default_db")" == "$once" && "$(rows "$default_db")" == "$once_rows" ]] ||
  fail "cron, systemd and a manual run stored $(counts "$default_db"); one run stores $once"
[[ "$("$shell" "$default_db" "SELECT count(DISTINCT host) || ' ' || count(DISTINCT owner) FROM sessions")" == "1 1" ]] ||
  fail "the runs stored sessions under more than one host or owner"
pass "cron, systemd and a manual run: one copy of every session ($once sessions and turns)"
echo "PASS: the scheduled runs"
