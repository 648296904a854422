/*
 * daemon.c — (being written)
 */
#include "unixipc.h"

int uipc_daemon_open(lua_State *L) {
  (void)L;
  return 0;
}
