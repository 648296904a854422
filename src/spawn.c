/*
 * spawn.c — (being written)
 */
#include "unixipc.h"

int uipc_spawn_open(lua_State *L) {
  (void)L;
  return 0;
}
