# The tour's checks of the socket recipes R25–R37 (sourced by examples/tour.sh).
# Every server runs on 127.0.0.1 with port 0 (start_peer reads the real
# port from its start line); clients are pointed at that port.

CR=$'\r'
CTIME='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'

# stop_peer: TERM the last peer, which must exit 0 within 5 s; its log is
# appended to $OUT (after a "--- server log" line) for the tour to show.
stop_peer() {
  kill -TERM "$PEER_PID" 2>/dev/null
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$PEER_PID" 2>/dev/null || break
    sleep 0.1
  done
  wait "$PEER_PID" 2>/dev/null
  local rc=$?
  OUT=$OUT$'\n'"--- server log"$'\n'$(cat "$PEER_LOG")
  if [ "$rc" -ne 0 ]; then
    WHY="the server did not stop cleanly on TERM (status $rc)"
    return 1
  fi
}

# run_input INPUT FILE [ARGS...]: run with INPUT on stdin.
run_input() {
  local input=$1 file=$2; shift 2
  OUT=$(printf '%s' "$input" | timeout 60 "$HOST" "examples/$file" "$@" 2>&1)
  RC=$?
}

# R25: the TCP client reads the iterative server's greeting, CRLF and all.
tour_R25() {
  start_peer inet/tcp_server.lua 0 || return 1
  run inet/tcp_client.lua localhost "$PEER_PORT"
  local shown=$OUT
  expect_exit 0 && expect "^Hello there, localhost, it's now $CTIME$CR\$" || return 1
  expect_usage inet/tcp_client.lua a b c || return 1
  OUT=$shown
}

# R26: the iterative server logs each connection and stops on TERM.
tour_R26() {
  start_peer inet/tcp_server.lua 0 || return 1
  run inet/tcp_client.lua 127.0.0.1 "$PEER_PORT"
  expect_exit 0 && expect "^Hello there, .*, it's now $CTIME$CR\$" || return 1
  stop_peer || return 1
  expect ': server started on port [0-9]+ at ' &&
    expect ': connection from .* \[127\.0\.0\.1\] at port [0-9]+ at ' &&
    expect ': caught SIGTERM, shutting down at ' || return 1
  local shown=$OUT
  expect_usage inet/tcp_server.lua nine || return 1
  OUT=$shown
}

# R27: a child per client (here running cat on the connection), reaped.
tour_R27() {
  start_peer inet/tcp_server_forking.lua 0 || return 1
  run inet/tcp_client.lua localhost "$PEER_PORT"
  expect_exit 0 && expect "^Hello there, localhost, it's now $CTIME$CR\$" || return 1
  local said=$OUT
  start_peer inet/tcp_server_forking.lua 0 cat || return 1
  run_input $'cat runs with the client as stdin and stdout\n' iosocket/biclient.lua localhost "$PEER_PORT"
  expect_exit 0 && expect '^cat runs with the client as stdin and stdout$' || return 1
  local i
  for ((i = 0; i < 50; i++)); do grep -q ': reaped ' "$PEER_LOG" && break; sleep 0.1; done
  OUT=$said$'\n'$OUT
  stop_peer || return 1
  expect ': begat [0-9]+ at ' && expect ': reaped [0-9]+ at ' || return 1
  local shown=$OUT
  expect_usage inet/tcp_server_forking.lua port || return 1
  OUT=$shown
}

# R28: the clocks of two "hosts" (our local time peer, by two names).
tour_R28() {
  start_peer inet/time_server.lua 0 || return 1
  run inet/time_client.lua "localhost:$PEER_PORT" "127.0.0.1:$PEER_PORT"
  local shown=$OUT
  expect_exit 0 && expect "^localhost {23}0 $CTIME\$" &&
    expect "^localhost:$PEER_PORT +-?[0-2] $CTIME\$" &&
    expect "^127\.0\.0\.1:$PEER_PORT +-?[0-2] $CTIME\$" || return 1
  expect_usage inet/time_client.lua || return 1
  OUT=$shown
}

# R29: the RFC 868 peer answers over TCP and UDP on one port.
tour_R29() {
  start_peer inet/time_server.lua 0 || return 1
  run inet/time_client.lua "localhost:$PEER_PORT"
  expect_exit 0 || return 1
  local tcp=$OUT
  run udp/udp_time_client.lua "localhost:$PEER_PORT"
  expect_exit 0 || return 1
  OUT="\$ time_client.lua localhost:$PEER_PORT"$'\n'$tcp$'\n'"\$ udp_time_client.lua localhost:$PEER_PORT"$'\n'$OUT
  stop_peer || return 1
  expect ': connection from .* \[127\.0\.0\.1\] at port ' &&
    expect ': datagram from .* \[127\.0\.0\.1\] at port ' || return 1
  local shown=$OUT
  expect_usage inet/time_server.lua -1 || return 1
  OUT=$shown
}

# R32: the IO::Socket daytime client against the local daytime peer.
tour_R32() {
  start_peer iosocket/daytime_server.lua 0 || return 1
  run iosocket/daytime_client.lua localhost "$PEER_PORT"
  local shown=$OUT
  expect_exit 0 && expect "^$CTIME$CR\$" || return 1
  expect_usage iosocket/daytime_client.lua a b c || return 1
  OUT=$shown
}

# R33: the daytime peer: one ctime line with CRLF per connection.
tour_R33() {
  start_peer iosocket/daytime_server.lua 0 || return 1
  run iosocket/daytime_client.lua 127.0.0.1 "$PEER_PORT"
  expect_exit 0 && expect "^$CTIME$CR\$" || return 1
  stop_peer || return 1
  expect ': connection from .* \[127\.0\.0\.1\] at port ' || return 1
  local shown=$OUT
  expect_usage iosocket/daytime_server.lua x || return 1
  OUT=$shown
}

# start_busybox_httpd DIR: a real HTTP server from Debian's packages
# (busybox httpd, installed by make deps) serving DIR on 127.0.0.1 in the
# foreground. The port is found free by binding port 0 and closing it;
# should another process take it first, httpd exits and another port is
# tried (5 tries). Waits (10 s at most) until it accepts. Sets HTTPD_PID
# and PEER_PORT; the caller stops it with stop_busybox_httpd.
start_busybox_httpd() {
  local dir=$1 try i
  HTTPD_PID="" PEER_PORT=""
  command -v busybox >/dev/null || { WHY="busybox is missing (make deps installs it)"; return 1; }
  for ((try = 0; try < 5; try++)); do
    PEER_PORT=$("$HOST" -e 'local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
      print(s:getsockname().port) s:close()') || { WHY="no free port"; return 1; }
    busybox httpd -f -p "127.0.0.1:$PEER_PORT" -h "$dir" >"$dir.log" 2>&1 </dev/null &
    HTTPD_PID=$!
    PEERS+=("$HTTPD_PID")
    for ((i = 0; i < 100; i++)); do
      kill -0 "$HTTPD_PID" 2>/dev/null || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$PEER_PORT") 2>/dev/null; then
        kill -0 "$HTTPD_PID" 2>/dev/null && return 0
        break
      fi
      sleep 0.1
    done
    stop_busybox_httpd
  done
  WHY="busybox httpd did not start: $(cat "$dir.log" 2>/dev/null)"
  return 1
}

# stop_busybox_httpd: TERM httpd (KILL after 5 s) and reap it.
stop_busybox_httpd() {
  [ -n "$HTTPD_PID" ] || return 0
  kill -TERM "$HTTPD_PID" 2>/dev/null
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$HTTPD_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$HTTPD_PID" 2>/dev/null && kill -KILL "$HTTPD_PID" 2>/dev/null
  wait "$HTTPD_PID" 2>/dev/null
  local keep=() p
  for p in "${PEERS[@]}"; do [ "$p" = "$HTTPD_PID" ] || keep+=("$p"); done
  PEERS=("${keep[@]}")
  HTTPD_PID=""
}

# R34: two documents fetched from busybox httpd, one connection each, their
# bytes printed exactly (the second ends without a newline). busybox answers
# the HTTP/1.0 request with an HTTP/1.1 status line (a server names its own
# version). The exact request bytes ("GET DOC HTTP/1.0" CRLF CRLF) are
# checked by spec/recipes/net_spec.lua.
tour_R34() {
  local dir rc=0
  dir=$(mktemp -d) || { WHY="no temporary directory"; return 1; }
  local a=$'<html><body>Alpha, the first document.</body></html>\r\n<!-- end -->\n'
  local b='Bravo, the second document: its last line has no newline'
  printf '%s' "$a" >"$dir/a.html"
  printf '%s' "$b" >"$dir/b.html"
  if start_busybox_httpd "$dir"; then
    tour_R34_check "$dir" "$a" "$b" || rc=1
  else
    rc=1
  fi
  stop_busybox_httpd
  rm -rf "$dir" "$dir.log"
  return "$rc"
}

tour_R34_check() {
  local dir=$1 a=$2 b=$3 got doc status
  timeout 60 "$HOST" examples/iosocket/webget.lua "127.0.0.1:$PEER_PORT" /a.html /b.html >"$dir/out" 2>&1 </dev/null
  RC=$?
  OUT=$(cat "$dir/out")
  expect_exit 0 || return 1
  got=$(cat "$dir/out"; printf x)
  got=${got%x}
  for doc in "$a" "$b"; do
    status=${got%%"$CR"$'\n'*}
    [[ $status =~ ^HTTP/1\.[01]\ 200\ OK$ ]] || { WHY="status line: $status"; return 1; }
    [[ $got == *"$CR"$'\n'"$CR"$'\n'* ]] || { WHY="headers not ended by CRLF CRLF"; return 1; }
    got=${got#*"$CR"$'\n'"$CR"$'\n'}
    [[ $got == "$doc"* ]] || { WHY="a document's bytes differ"; return 1; }
    got=${got#"$doc"}
  done
  [ -z "$got" ] || { WHY="more after the documents: $got"; return 1; }
  local shown=$OUT
  expect_usage iosocket/webget.lua localhost || return 1
  OUT=$shown
}

# R35: the interactive client talks to the command server; the prompts
# (no newline) show as they come; it exits 0 when the server closes.
tour_R35() {
  start_peer iosocket/command_server.lua 0 || return 1
  run_input $'date\nquit\n' iosocket/biclient.lua localhost "$PEER_PORT"
  local shown=$OUT
  expect_exit 0 && expect "^\[Connected to localhost:$PEER_PORT\]\$" &&
    expect "^Command\? $CTIME\$" || return 1
  expect_usage iosocket/biclient.lua localhost || return 1
  OUT=$shown
}

# R36: the command server's texts, one command after another.
tour_R36() {
  start_peer iosocket/command_server.lua 0 || return 1
  run_input $'help\ndate\ncookie\nquit\n' iosocket/biclient.lua 127.0.0.1 "$PEER_PORT"
  expect_exit 0 &&
    expect '^Welcome to examples/iosocket/command_server.lua; type help for command list\.$' &&
    expect '^Command\? Commands: quit date who cookie motd$' &&
    expect "^Command\? $CTIME\$" || return 1
  printf '%s\n' "$OUT" | tail -n 1 | grep -q '^Command? ' || { WHY="no prompt after cookie"; return 1; }
  stop_peer || return 1
  expect '^\[Server examples/iosocket/command_server.lua accepting clients\]$' &&
    expect '^\[Connect from .*\]$' || return 1
  local shown=$OUT
  expect_usage iosocket/command_server.lua nine || return 1
  OUT=$shown
}

# R37: UDP to two "hosts" at once, answers collected with select.
tour_R37() {
  start_peer inet/time_server.lua 0 || return 1
  run udp/udp_time_client.lua "localhost:$PEER_PORT" "127.0.0.1:$PEER_PORT"
  local shown=$OUT
  expect_exit 0 && expect "^localhost {11}0 $CTIME\$" &&
    expect "^localhost:$PEER_PORT +-?[0-2] $CTIME\$" &&
    expect "^127\.0\.0\.1:$PEER_PORT +-?[0-2] $CTIME\$" || return 1
  expect_usage udp/udp_time_client.lua || return 1
  OUT=$shown
}
