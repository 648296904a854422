#!/usr/bin/env bash
# make demo: a tour of the perlipc recipes in examples/, run end to end with
# the host build/bin/unixipc. Each recipe runs for real (with the local peers
# it needs), its output is shown and checked, and the tour ends with
# "N of 40 recipes ran as perlipc describes".
#
# Table-driven: a recipe is one row of RECIPES ("ID|file[ file...]|what") and
# one function tour_ID that runs it and checks what it printed (helpers:
# run, expect, expect_exit). A row whose files are missing is shown as
# "not yet written"; one without a tour_ID function as "no tour check yet".
set -u
cd "$(dirname "$0")/.."
HOST=$PWD/build/bin/unixipc
[ -x "$HOST" ] || { echo "tour: $HOST is missing; run make first" >&2; exit 1; }

RECIPES=(
  "R01|signals/catch_zap.lua|Signals: trap INT, the handler raises"
  "R02|signals/signames.lua|signal names and numbers, kill -l, SIGALRM is 14"
  "R03|signals/hup_group.lua|HUP to the process group with HUP locally ignored"
  "R04|signals/kill_zero.lua|signal 0 liveness, EPERM"
  "R05|signals/reaper.lua|CHLD handler looping waitpid(-1, WNOHANG)"
  "R06|signals/alarm_timeout.lua|alarm timeout around a blocking flock"
  "R07|signals/sighup_daemon.lua|daemon that re-execs itself on HUP"
  "R08|signals/deferred.lua|deferred signals: handlers at safe points, no EINTR"
  "R09|fifo/signature.lua|.signature FIFO writer loop"
  "R10|pipes/spooler.lua|open |- to a shell pipeline, SIGPIPE trapped"
  "R11|pipes/status_filter.lua|open -| from netstat, filter lines"
  "R12|pipes/bogus.lua|writing to a command that does not exist"
  "R13|pipes/backticks.lua|backticks vs line-at-a-time reading"
  "R14|pipes/background.lua|system(\"cmd &\")"
  "R15|pipes/daemonize.lua|complete dissociation: daemonize"
  "R16|pipes/safe_write.lua|fork_open |-, child writes with dropped privileges"
  "R17|pipes/safe_read.lua|fork_open -| + exec: safe backticks"
  "R18|pipes/safe_exec_write.lua|fork_open |- + exec with a SIGPIPE handler"
  "R19|pipes/two_writers.lua|pipe + two forks + dup"
  "R20|pipes/list_open.lua|list-form open keeps metacharacters literal"
  "R21|bidi/open2.lua|open2 with cat -un"
  "R22|bidi/pty_cat.lua|cat -n on a pseudo-terminal"
  "R23|bidi/pipe1.lua|two pipes, parent <-> child"
  "R24|bidi/pipe2.lua|socketpair, parent <-> child"
  "R25|inet/tcp_client.lua|TCP client"
  "R26|inet/tcp_server.lua|iterative TCP server"
  "R27|inet/tcp_server_forking.lua|forking TCP server with REAPER"
  "R28|inet/time_client.lua|RFC 868 time client"
  "R29|inet/time_server.lua|RFC 868 time server, TCP and UDP"
  "R30|unix/unix_client.lua|Unix-domain client"
  "R31|unix/unix_server.lua|Unix-domain forking server"
  "R32|iosocket/daytime_client.lua|IO::Socket daytime client"
  "R33|iosocket/daytime_server.lua|daytime server"
  "R34|iosocket/webget.lua|HTTP/1.0 GET"
  "R35|iosocket/biclient.lua|interactive client: fork, socket <-> stdio"
  "R36|iosocket/command_server.lua|command server"
  "R37|udp/udp_time_client.lua|UDP time to many hosts"
  "R38|sysv/shm.lua|shared memory"
  "R39|sysv/sem_create.lua sysv/sem_take.lua sysv/sem_give.lua|semaphores"
  "R40|sysv/msg.lua|message queue"
)

# ---- helpers for the tour_ID functions ----

OUT="" RC=0 WHY=""

# run FILE [ARGS...]: run examples/FILE with the host (60 s at most);
# stdout and stderr land in $OUT, the exit status in $RC.
run() {
  local file=$1; shift
  OUT=$(timeout 60 "$HOST" "examples/$file" "$@" 2>&1 </dev/null)
  RC=$?
}

# expect REGEX: some line of $OUT matches the extended regex.
expect() {
  if ! printf '%s\n' "$OUT" | grep -Eq -- "$1"; then
    WHY="no line matches: $1"
    return 1
  fi
}

# expect_exit CODE: the last run exited with CODE.
expect_exit() {
  if [ "$RC" -ne "$1" ]; then
    WHY="exit status $RC, expected $1"
    return 1
  fi
}

# expect_usage FILE ARGS...: bad arguments give a usage line and exit 2.
expect_usage() {
  run "$@"
  expect_exit 2 && expect '^usage: ' || { WHY="bad arguments: $WHY"; return 1; }
  if printf '%s\n' "$OUT" | grep -q 'stack traceback'; then
    WHY="bad arguments gave a traceback"
    return 1
  fi
}

# start_peer FILE [ARGS...]: start a server recipe in the background and
# wait (10 s at most) for its start line; sets PEER_PID, PEER_LOG and
# PEER_PORT ("server started on port N") or PEER_PATH ("... on PATH").
# Every peer is stopped with TERM when the tour ends.
PEERS=() PEER_LOGS=()
start_peer() {
  local file=$1; shift
  PEER_LOG=$(mktemp) PEER_PORT="" PEER_PATH=""
  PEER_LOGS+=("$PEER_LOG")
  "$HOST" "examples/$file" "$@" >"$PEER_LOG" 2>&1 </dev/null &
  PEER_PID=$!
  PEERS+=("$PEER_PID")
  local line="" i
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 'server started on ' "$PEER_LOG") && break
    kill -0 "$PEER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$line" ]; then
    WHY="peer $file did not print its start line"
    return 1
  fi
  PEER_PORT=$(sed -n 's/.*server started on port \([0-9][0-9]*\).*/\1/p' <<<"$line")
  [ -n "$PEER_PORT" ] || PEER_PATH=$(sed -n 's/.*server started on \([^ ]*\).*/\1/p' <<<"$line")
}

stop_peers() {
  local p
  for p in "${PEERS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PEERS[@]}"; do wait "$p" 2>/dev/null; done
  rm -f "${PEER_LOGS[@]}"
}
trap stop_peers EXIT

# ---- one function per recipe: examples/tour.d/<area>.sh define tour_ID ----

for part in examples/tour.d/*.sh; do
  # shellcheck source=/dev/null
  . "$part"
done

# ---- the tour ----

ran=0 failed=0
for row in "${RECIPES[@]}"; do
  IFS='|' read -r id files what <<<"$row"
  missing=""
  for f in $files; do [ -f "examples/$f" ] || missing="$missing $f"; done
  if [ -n "$missing" ]; then
    printf '%s %-34s not yet written\n' "$id" "$files"
    continue
  fi
  if ! declare -F "tour_$id" >/dev/null; then
    printf '%s %-34s written, no tour check yet\n' "$id" "$files"
    continue
  fi
  printf '%s %-34s %s\n' "$id" "$files" "$what"
  WHY="" OUT=""
  if "tour_$id"; then
    printf '%s\n' "$OUT" | sed 's/^/    | /'
    printf '    ok\n'
    ran=$((ran + 1))
  else
    printf '%s\n' "$OUT" | sed 's/^/    | /'
    printf '    FAILED: %s\n' "$WHY"
    failed=$((failed + 1))
  fi
done
echo "$ran of 40 recipes ran as perlipc describes"
# Fewer than 40 (a recipe missing, unchecked or failing) fails `make demo`.
[ "$ran" -eq 40 ]
