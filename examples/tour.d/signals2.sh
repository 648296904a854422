# The tour's checks of R03-R07 and R09 (sourced by examples/tour.sh).

# _s2_wait_lines FILE REGEX N [SECONDS=10]: wait until FILE has N lines
# matching REGEX (for the recipes that run in the background).
_s2_wait_lines() {
  local i
  for ((i = 0; i < ${4:-10} * 20; i++)); do
    [ "$(grep -Ec -- "$2" "$1")" -ge "$3" ] && return 0
    sleep 0.05
  done
  WHY="timed out waiting for $3 line(s) matching: $2"
  return 1
}

# _s2_count REGEX: how many lines of $OUT match.
_s2_count() { printf '%s\n' "$OUT" | grep -Ec -- "$1"; }

tour_R03() {
  run signals/hup_group.lua
  local shown=$OUT parent
  parent=$(sed -n 's/^parent \([0-9]*\) leads process group \1$/\1/p' <<<"$OUT")
  [ -n "$parent" ] || { WHY="no 'parent PID leads process group PID' line"; return 1; }
  expect_exit 0 && expect "^parent $parent: kill\('HUP', -$parent\) with HUP ignored here$" &&
    expect "^parent $parent: still running, its own HUP was ignored$" || return 1
  [ "$(_s2_count "^child [0-9]+: got SIGHUP from $parent$")" -eq 3 ] &&
    [ "$(_s2_count '^child [0-9]+ exited 0$')" -eq 3 ] ||
    { WHY="three children should get HUP from $parent and exit 0"; return 1; }
  expect_usage signals/hup_group.lua extra || return 1
  OUT=$shown
}

tour_R04() {
  local dead shown
  (exit 0) & dead=$!
  wait "$dead"
  run signals/kill_zero.lua $$ "$dead"
  expect_exit 1 && expect "^$$ is alive$" &&
    expect "^$dead looks dead \(kill $dead: No such process\)$" || return 1
  shown=$OUT
  if [ "$(id -u)" -eq 0 ]; then
    # as root every process is ours: ask as nobody about this shell
    OUT=$(timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$HOST" examples/signals/kill_zero.lua $$ 2>&1 </dev/null)
    RC=$?
    expect "^$$ is alive, but not ours to signal \(kill $$: Operation not permitted\)$"
  else
    run signals/kill_zero.lua 1
    expect '^1 is alive, but not ours to signal \(kill 1: Operation not permitted\)$'
  fi || return 1
  expect_exit 0 || return 1
  shown="$shown
$OUT"
  expect_usage signals/kill_zero.lua || return 1
  expect_usage signals/kill_zero.lua 12x || return 1
  OUT=$shown
}

tour_R05() {
  run signals/reaper.lua 5
  local shown=$OUT i pid
  expect_exit 0 && expect '^5 children, 5 reaped by [1-5] runs of the handler; no zombie left$' || return 1
  for i in 1 2 3 4 5; do
    pid=$(sed -n "s/^begat \([0-9]*\) (child $i)\$/\1/p" <<<"$OUT")
    expect "^reaped $pid: exit $i$" || return 1
  done
  expect_usage signals/reaper.lua x || return 1
  OUT=$shown
}

tour_R06() {
  local f fd shown
  f=$(mktemp)
  exec {fd}>>"$f"
  flock -x "$fd"          # this shell holds the lock on $f now
  run signals/alarm_timeout.lua "$f" 1
  shown=$OUT
  expect_exit 1 &&
    expect "^timed out after 1\.[0-9] s waiting for the write lock on $f: alarm clock restart$"
  local held=$?
  exec {fd}>&-            # released
  if [ "$held" -eq 0 ]; then
    run signals/alarm_timeout.lua "$f" 1
    shown="$shown
$OUT"
    expect_exit 0 && expect "^got the write lock on $f after 0\.[0-9] s$"
    held=$?
  fi
  rm -f "$f"
  [ "$held" -eq 0 ] || return 1
  expect_usage signals/alarm_timeout.lua || return 1
  expect_usage signals/alarm_timeout.lua "$f" soon || return 1
  OUT=$shown
}

tour_R07() {
  local log pid ok=0
  log=$(mktemp)
  "$HOST" examples/signals/sighup_daemon.lua one 'two three' >"$log" 2>&1 </dev/null &
  pid=$!
  _s2_wait_lines "$log" '^1$' 1 &&
    kill -HUP "$pid" && _s2_wait_lines "$log" '^1$' 2 &&
    kill -HUP "$pid" && _s2_wait_lines "$log" '^PID: ' 3 || ok=1
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  RC=$?
  OUT=$(cat "$log")
  rm -f "$log"
  [ "$ok" -eq 0 ] || return 1
  [ "$RC" -eq 143 ] || { WHY="exit status $RC, expected death by TERM (143)"; return 1; }
  ! kill -0 "$pid" 2>/dev/null || { WHY="$pid survived TERM"; return 1; }
  [ "$(_s2_count "^PID: $pid$")" -eq 3 ] && [ "$(_s2_count '^ARGV: one two three$')" -eq 3 ] &&
    [ "$(_s2_count '^got SIGHUP$')" -eq 2 ] ||
    { WHY="expected 3 starts as PID $pid with the same ARGV, 2 HUPs"; return 1; }
  # each start counts 1, 2, ... afresh
  [ "$(_s2_count '^1$')" -ge 2 ] &&
    printf '%s\n' "$OUT" | awk '/^PID:/ { n = 0 } /^[0-9]+$/ { if ($0 != n + 1) bad = 1; n = $0 } END { exit bad }' ||
    { WHY="the counter did not restart from 1 after HUP"; return 1; }
}

tour_R09() {
  local f log pid got rc i
  f=$(mktemp -u /tmp/unixipc-tour-signature.XXXXXX)
  log=$(mktemp)
  "$HOST" examples/fifo/signature.lua "$f" 2 >"$log" 2>&1 </dev/null &
  pid=$!
  for ((i = 0; i < 100; i++)); do [ -p "$f" ] && break; sleep 0.05; done
  got=$(timeout 10 cat "$f"; echo "--- second reader"; timeout 10 cat "$f")
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  [ -p "$f" ]; local left=$?
  [ -s "$log" ] && got="$got
$(cat "$log")"               # the writer prints nothing unless it fails
  rm -f "$f" "$log"
  OUT=$got RC=$rc
  expect_exit 0 || return 1
  [ "$left" -eq 0 ] || { WHY="the FIFO $f did not stay"; return 1; }
  [ "$(_s2_count '^John Smith \(smith@host\.org\)$')" -eq 2 ] ||
    { WHY="two readers should each get the signature"; return 1; }
  expect_usage fifo/signature.lua "$f" 2 extra || return 1
  expect_usage fifo/signature.lua "$f" many || return 1
  OUT=$got
}
