-- unixipc.sysv: SysV IPC needs nothing composed in Lua. The low-level
-- functions (shmget ... msgctl), ftok, the constants and the objects
-- ipc.shm, ipc.sem and ipc.msg are all in C (src/sysv.c, src/sysv_msg.c,
-- src/sysv_sem.c): a method is the low-level function with its object's
-- id in place of self, so an argument error names the method and counts
-- its arguments as the caller wrote them.
return function(ipc, core)
  local _ = ipc, core
end
