rockspec_format = "3.0"
package = "unixipc"
version = "scm-1"
source = {
  url = "git+https://example.invalid/unixipc.git",
}
description = {
  summary = "Everything perlipc teaches, for Lua 5.4: signals, pipes, processes, sockets, SysV IPC",
  detailed = [[
unixipc brings Perl's perlipc to Lua 5.4 in C: deferred ("safe") signals
with a queue, one buffered handle type for pipes, sockets, FIFOs and ptys,
fork/exec and safe subprocesses, select and poll, and SysV IPC.
]],
  license = "MIT",
}
supported_platforms = { "linux" }
dependencies = {
  "lua >= 5.4, < 5.5",
}
build = {
  type = "builtin",
  modules = {
    ["unixipc.core"] = {
      sources = {
        "src/core.c", "src/daemon.c", "src/error.c", "src/file.c", "src/handle.c", "src/poller.c",
        "src/process.c", "src/pty.c", "src/select.c", "src/signals.c",
        "src/resolve.c", "src/sigqueue.c", "src/socket.c", "src/netdb.c", "src/spawn.c", "src/sysv.c",
        "src/sysv_msg.c", "src/sysv_sem.c", "src/wait.c",
      },
      incdirs = { "src" },
      defines = { "_GNU_SOURCE" },
      libraries = { "util" },  -- openpty
    },
    ["unixipc"] = "lua/unixipc/init.lua",
    ["unixipc.process"] = "lua/unixipc/process.lua",
    ["unixipc.socket"] = "lua/unixipc/socket.lua",
  },
}
