/*
 * pty.c — (being written)
 */
#include "unixipc.h"

int uipc_pty_open(lua_State *L) {
  (void)L;
  return 0;
}
