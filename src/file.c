/*
 * file.c — (being written)
 */
#include "unixipc.h"

int uipc_file_open(lua_State *L) {
  (void)L;
  return 0;
}
