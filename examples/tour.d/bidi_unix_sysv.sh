# The tour's checks of the bidirectional, Unix-domain and SysV recipes
# (sourced by examples/tour.sh).

tour_R21() {
  run bidi/open2.lua
  local shown=$OUT
  expect_exit 0 && expect $'^got:      1\tstuff$' && expect '^cat -un ended: exit 0$' || return 1
  expect_usage bidi/open2.lua extra || return 1
  OUT=$shown
}

tour_R22() {
  run bidi/pty_cat.lua
  local shown=$OUT
  expect_exit 0 && expect $'^got back      1\ta line$' && expect $'^got back     10\ta line$' || return 1
  if [ "$(grep -c '^got back ' <<<"$OUT")" -ne 10 ] || grep -q $'\r' <<<"$OUT"; then
    WHY="expected exactly 10 'got back' lines without CR"
    return 1
  fi
  expect_usage bidi/pty_cat.lua extra || return 1
  OUT=$shown
}

# pipe1 and pipe2: the child reads the parent's line, then the parent the child's.
tour_bidi_pair() {
  run "$1"
  local shown=$OUT
  expect_exit 0 &&
    expect "^Child Pid [0-9]+ just read this: 'Parent Pid [0-9]+ is sending this'\$" &&
    expect "^Parent Pid [0-9]+ just read this: 'Child Pid [0-9]+ is sending this'\$" || return 1
  expect_usage "$1" extra || return 1
  OUT=$shown
}
tour_R23() { tour_bidi_pair bidi/pipe1.lua; }
tour_R24() { tour_bidi_pair bidi/pipe2.lua; }

# A fresh socket path for a Unix-domain server (it removes it when it stops).
tour_sock() { echo "${TMPDIR:-/tmp}/unixipc-tour-$$-$1.sock"; }

tour_R30() {
  start_peer unix/unix_server.lua "$(tour_sock R30)" || return 1
  run unix/unix_client.lua "$PEER_PATH"
  local shown=$OUT
  expect_exit 0 && expect "^Hello there, it's now [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}\$" || return 1
  if [ "$(printf '%s\n' "$OUT" | wc -l)" -lt 2 ]; then
    WHY="no fortune or saying after the greeting"
    return 1
  fi
  expect_usage unix/unix_client.lua a b || return 1
  OUT=$shown
}

tour_R31() {
  local path
  path=$(tour_sock R31)
  start_peer unix/unix_server.lua "$path" || return 1
  run unix/unix_client.lua "$path"
  expect_exit 0 && expect "^Hello there, it's now " || return 1
  local i
  for ((i = 0; i < 50; i++)); do
    grep -q ': reaped [0-9]' "$PEER_LOG" && break
    sleep 0.1
  done
  OUT=$(cat "$PEER_LOG")
  local shown=$OUT
  expect "^examples/unix/unix_server.lua [0-9]+: server started on $path at " &&
    expect ": connection on $path at " && expect ': begat [0-9]+ at ' &&
    expect ': reaped [0-9]+ at ' || return 1
  expect_usage unix/unix_server.lua "$path" notanumber || return 1
  OUT=$shown
}

tour_R38() {
  run sysv/shm.lua
  local shown=$OUT
  expect_exit 0 && expect '^shm key [0-9]+$' && expect "^wrote: 'Message #1'\$" &&
    expect "^read : 'Message #1'\$" && expect '^swell$' && expect '^deleting shm [0-9]+$' || return 1
  # the two halves apart: a segment written by one process, read by another
  run sysv/shm.lua write "from the tour"
  shown+=$'\n'"\$ shm.lua write 'from the tour'"$'\n'"$OUT"
  local id
  id=$(sed -n 's/^shm key \([0-9][0-9]*\)$/\1/p' <<<"$OUT")
  expect_exit 0 && [ -n "$id" ] || { WHY="shm.lua write: no id (status $RC)"; return 1; }
  run sysv/shm.lua read "$id"
  shown+=$'\n'"\$ shm.lua read $id"$'\n'"$OUT"
  ipcrm -m "$id" 2>/dev/null   # gone already when the recipe did its job
  expect_exit 0 && expect "^read : 'from the tour'\$" && expect "^deleting shm $id\$" || return 1
  expect_usage sysv/shm.lua read notanid || return 1
  OUT=$shown
}

tour_R39() {
  local key=$((1000000 + $$)) shown="" id="" ok=1 bg log
  log=$(mktemp)
  run sysv/sem_create.lua "$key"
  shown+="\$ sem_create.lua $key"$'\n'"$OUT"
  id=$(sed -n 's/^sem id \([0-9][0-9]*\)$/\1/p' <<<"$OUT")
  if [ "$RC" -ne 0 ] || [ -z "$id" ]; then
    WHY="sem_create.lua: no id (status $RC)" ok=0
  fi
  if [ $ok = 1 ]; then   # the first take: the semaphore is 0, so at once
    run sysv/sem_take.lua "$key"
    shown+=$'\n'"\$ sem_take.lua $key"$'\n'"$OUT"
    expect_exit 0 && expect "^took semaphore 0 of sem id $id\$" || ok=0
  fi
  if [ $ok = 1 ]; then   # the second take waits for the give
    timeout 20 "$HOST" examples/sysv/sem_take.lua "$key" >"$log" 2>&1 </dev/null &
    bg=$!
    sleep 0.5
    if ! kill -0 "$bg" 2>/dev/null || [ -s "$log" ]; then
      WHY="a second sem_take.lua did not wait for the semaphore" ok=0
    fi
    shown+=$'\n'"\$ sem_take.lua $key &   (waits)"
    run sysv/sem_give.lua "$key"
    shown+=$'\n'"\$ sem_give.lua $key"$'\n'"$OUT"
    [ $ok = 1 ] && { expect_exit 0 && expect "^gave semaphore 0 of sem id $id\$" || ok=0; }
    wait "$bg"
    RC=$? OUT=$(cat "$log")
    shown+=$'\n'"(the waiting sem_take.lua went on)"$'\n'"$OUT"
    [ $ok = 1 ] && { expect_exit 0 && expect "^took semaphore 0 of sem id $id\$" || ok=0; }
  fi
  [ -n "$id" ] && ipcrm -s "$id" 2>/dev/null
  rm -f "$log"
  [ $ok = 1 ] || { OUT=$shown; return 1; }
  expect_usage sysv/sem_take.lua 0x10 || return 1
  OUT=$shown
}

tour_R40() {
  run sysv/msg.lua
  local shown=$OUT
  expect_exit 0 && expect '^okay$' || return 1
  local key=$((2000000 + $$)) log bg ok=1
  log=$(mktemp)
  timeout 20 "$HOST" examples/sysv/msg.lua recv "$key" 2 >"$log" 2>&1 </dev/null &
  bg=$!
  run sysv/msg.lua send "$key" "first message" second
  shown+=$'\n'"\$ msg.lua recv $key 2 &"$'\n'"\$ msg.lua send $key 'first message' second"$'\n'"$OUT"
  expect_exit 0 && expect '^sent type 1234: first message$' || ok=0
  wait "$bg"
  RC=$? OUT=$(cat "$log")
  shown+=$'\n'"(recv)"$'\n'"$OUT"
  ipcrm -Q "$key" 2>/dev/null   # gone already when recv did its job
  rm -f "$log"
  [ $ok = 1 ] && expect_exit 0 && expect '^received type 1234: first message$' &&
    expect '^received type 1234: second$' || { OUT=$shown; return 1; }
  expect_usage sysv/msg.lua recv notakey || return 1
  OUT=$shown
}
