/*
 * core.c — the C module unixipc.core, assembled from the areas' open
 * functions. The Lua front (lua/unixipc/init.lua) builds on it.
 */
#include "unixipc.h"

__attribute__((visibility("default"))) int luaopen_unixipc_core(lua_State *L);

int luaopen_unixipc_core(lua_State *L) {
  luaL_checkversion(L);
  lua_newtable(L);
  uipc_errno_open(L);
  uipc_signals_open(L);
  uipc_handle_open(L);
  uipc_select_open(L);
  uipc_process_open(L);
  uipc_spawn_open(L);
  uipc_pty_open(L);
  uipc_file_open(L);
  uipc_daemon_open(L);
  uipc_socket_open(L);
  uipc_netdb_open(L);
  uipc_poller_open(L);
  uipc_sysv_open(L);
  lua_pushliteral(L, UIPC_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
