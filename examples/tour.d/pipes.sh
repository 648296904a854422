# The tour's checks of the pipe recipes R10-R20 (sourced by examples/tour.sh).

# pipes_refute REGEX: no line of $OUT matches the extended regex.
pipes_refute() {
  if printf '%s\n' "$OUT" | grep -Eq -- "$1"; then
    WHY="a line matches: $1"
    return 1
  fi
}

tour_R10() {
  run pipes/spooler.lua "cat -v | tr a-z A-Z"
  expect_exit 0 && expect '^STUFF$' || return 1
  run pipes/spooler.lua "cat -v; exit 3"
  expect_exit 1 && expect '^stuff$' && expect '^bad spool: exit 3$' || return 1
  expect_usage pipes/spooler.lua "cat -v" extra || return 1
  run pipes/spooler.lua
  expect_exit 0 && expect '^stuff$'
}

tour_R11() {
  run pipes/status_filter.lua "printf 'tcp 1\nunix 2\nudp 3\nActive 4\n'"
  expect_exit 0 && expect '^unix 2$' && expect '^Active 4$' && pipes_refute '^(tcp|udp)' || return 1
  run pipes/status_filter.lua "printf 'x\n'; exit 4"
  expect_exit 1 && expect '^bad netstat: exit 4$' || return 1
  expect_usage pipes/status_filter.lua a b || return 1
  run pipes/status_filter.lua   # the real netstat (or ss)
  expect_exit 0 && pipes_refute '^(tcp|udp)' || return 1
  OUT=$(printf '%s\n' "$OUT" | head -n 6)
}

tour_R12() {
  run pipes/bogus.lua
  local shown=$OUT
  expect_exit 0 &&
    expect '^open\("\|-", "bogus"\): can.t fork: exec bogus: No such file or directory$' &&
    expect '^with PIPE at its default, the writer was killed by SIGPIPE$' &&
    expect '^with PIPE ignored, the print failed: write: Broken pipe$' &&
    expect '^can.t close: status=exit 127$' || return 1
  expect_usage pipes/bogus.lua extra || return 1
  OUT=$shown
}

tour_R13() {
  run pipes/backticks.lua "printf 'tcp 1\nunix 2\nudp 3\n'"
  local shown=$OUT
  expect_exit 0 && [ "$(printf '%s\n' "$OUT" | grep -c '^unix 2$')" -eq 2 ] &&
    expect '^== backticks: ' && expect '^== one line at a time: ' && pipes_refute '^(tcp|udp)' ||
    { WHY=${WHY:-"expected unix 2 once from each way"}; return 1; }
  run pipes/backticks.lua "exit 5;"
  expect_exit 1 && expect '^bad netstatus \(exit 5\)$' || return 1
  expect_usage pipes/backticks.lua a b || return 1
  run pipes/backticks.lua
  expect_exit 0 || return 1
  OUT=$shown
}

tour_R14() {
  run pipes/background.lua   # $(...) waits for the background command's output
  local shown=$OUT
  expect_exit 0 &&
    expect '^system\("sleep 1 && echo the background command is done &"\) returned exit 0 after 0\.[0-4] s$' &&
    expect '^no child of ours to reap: No child processes$' &&
    expect '^the background command is done$' || return 1
  expect_usage pipes/background.lua a b || return 1
  OUT=$shown
}

tour_R15() {
  local pidfile pid i state
  pidfile=$(mktemp -u /tmp/unixipc-tour-daemon.XXXXXX)
  run pipes/daemonize.lua "$pidfile"
  local shown=$OUT
  expect_exit 0 && expect "daemonizing; the daemon's pid goes to $pidfile\$" || return 1
  pid=$(cat "$pidfile" 2>/dev/null)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    WHY="no live daemon in $pidfile"; rm -f "$pidfile"; return 1
  fi
  # dissociated: cwd /, stdin /dev/null, no controlling terminal, not a session leader
  if [ "$(readlink "/proc/$pid/cwd")" != / ] || [ "$(readlink "/proc/$pid/fd/0")" != /dev/null ] ||
     [ "$(awk '{print $7}' "/proc/$pid/stat")" != 0 ] || [ "$(awk '{print $6}' "/proc/$pid/stat")" = "$pid" ]; then
    WHY="daemon $pid is not dissociated"; kill -KILL "$pid"; rm -f "$pidfile"; return 1
  fi
  kill -TERM "$(cat "$pidfile")"
  for ((i = 0; i < 50; i++)); do   # gone, or a zombie waiting for init
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
    [ -z "$state" ] || [ "$state" = Z ] && break
    sleep 0.1
  done
  if [ -n "$state" ] && [ "$state" != Z ]; then
    WHY="daemon $pid survived TERM"; kill -KILL "$pid"; rm -f "$pidfile"; return 1
  fi
  if [ -e "$pidfile" ]; then WHY="the daemon left its pidfile"; rm -f "$pidfile"; return 1; fi
  expect_usage pipes/daemonize.lua a b || return 1
  OUT="$shown
daemon $pid: cwd /, stdin /dev/null, no terminal; TERM ended it and it removed $pidfile"
}

tour_R16() {
  local file
  file=$(mktemp -u /tmp/unixipc-tour-precious.XXXXXX)
  run pipes/safe_write.lua "$file"
  local shown=$OUT
  expect_exit 0 && expect '^child: effective uid [0-9]+ gid [0-9]+ -> [0-9]+ [0-9]+ \(the real ids\)$' &&
    expect "^child: wrote 3 lines to $file\$" &&
    [ "$(cat "$file" 2>/dev/null)" = "$(printf 'first precious line\nsecond precious line\nthird precious line')" ] ||
    { WHY=${WHY:-"$file does not hold the three lines"}; rm -f "$file"; return 1; }
  rm -f "$file"
  run pipes/safe_write.lua /nonexistent-dir/file
  expect_exit 1 && expect '^kid exited exit 1$' || return 1
  expect_usage pipes/safe_write.lua || return 1
  OUT=$shown
}

tour_R17() {
  run pipes/safe_read.lua printf '%s\n' 'a;b' '$(echo pwned)' '*'
  local shown=$OUT
  expect_exit 0 && expect '^   1: a;b$' && expect '^   2: \$\(echo pwned\)$' && expect '^   3: \*$' || return 1
  run pipes/safe_read.lua no-such-program
  expect_exit 1 && expect "^can't exec program: exec no-such-program: No such file or directory$" &&
    expect '^kid exited exit 127$' || return 1
  expect_usage pipes/safe_read.lua || return 1
  OUT=$shown
}

tour_R18() {
  run pipes/safe_exec_write.lua wc -l
  expect_exit 0 && expect '^10000$' || return 1
  run pipes/safe_exec_write.lua head -n 3
  expect_exit 1 && expect '^line 3$' && expect '^whoops, head pipe broke$' && pipes_refute '^line 4$' || return 1
  local shown=$OUT
  expect_usage pipes/safe_exec_write.lua || return 1
  OUT=$shown
}

tour_R19() {
  run pipes/two_writers.lua
  local shown=$OUT
  expect_exit 0 && expect '^reader got: a line from the parent$' &&
    expect '^reader got: line 3 from the writer child$' &&
    expect '^reader: end of input, every write end is closed$' &&
    expect '^parent: reaped the writer: exit 0$' && expect '^parent: reaped the reader: exit 0$' || return 1
  expect_usage pipes/two_writers.lua extra || return 1
  OUT=$shown
}

tour_R20() {
  local dir
  dir=$(mktemp -d /tmp/unixipc-tour-grep.XXXXXX)
  printf 'Foo one\nnothing\nbar; echo $((6*7))\n' >"$dir/notes; echo \$((6*7)).txt"
  printf 'BAR\n' >"$dir/plain"
  run pipes/list_open.lua 'foo|b.r;' "$dir/notes; echo \$((6*7)).txt" "$dir/plain"
  rm -rf "$dir"
  expect_exit 0 && expect '/notes; echo \$\(\(6\*7\)\)\.txt:Foo one$' &&
    expect '/notes; echo \$\(\(6\*7\)\)\.txt:bar; echo \$\(\(6\*7\)\)$' && pipes_refute '^42$' &&
    pipes_refute 'plain:BAR' && pipes_refute 'nothing' || return 1
  local shown=$OUT
  expect_usage pipes/list_open.lua pattern || return 1
  OUT=$shown
}
