/*
 * socket.c — (being written)
 */
#include "unixipc.h"

int uipc_socket_open(lua_State *L) {
  (void)L;
  return 0;
}
