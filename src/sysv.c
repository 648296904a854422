/*
 * sysv.c — (being written)
 */
#include "unixipc.h"

int uipc_sysv_open(lua_State *L) {
  (void)L;
  return 0;
}
