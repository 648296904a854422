-- unixipc.process: (being written). Adds its functions to the ipc table.
return function(ipc, core)
  local _ = ipc, core
end
