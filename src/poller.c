/*
 * poller.c — (being written)
 */
#include "unixipc.h"

int uipc_poller_open(lua_State *L) {
  (void)L;
  return 0;
}
