/*
 * select.c — ipc.select over handles, io files and integer descriptors.
 *
 * Built on poll (no FD_SETSIZE limit) through wait.c, so signals and
 * timeouts behave as in every other blocking call. Input already sitting in
 * a handle's or an io file's buffer counts as readable at once: poll cannot
 * see it, and a select that ignored it would wait for data that has come.
 */

/***
select on poll.
@module unixipc
*/
#include "unixipc.h"

#include <stdio.h>

/* Descriptors of the objects in the array at arg (nil = none) into fds;
 * returns how many, and whether one holds buffered input. */
static int collect(lua_State *L, int arg, struct pollfd *fds, short events,
                   int *buffered) {
  if (lua_isnoneornil(L, arg))
    return 0;
  int n = (int)luaL_len(L, arg);
  for (int i = 1; i <= n; i++) {
    uipc_handle *h;
    void *f;
    lua_geti(L, arg, i);
    fds[i - 1].fd = uipc_tofd(L, -1, &h, &f);
    if (fds[i - 1].fd == -2)
      return luaL_argerror(L, arg, lua_pushfstring(L,
          "element %d: attempt to use a closed handle", i));
    if (fds[i - 1].fd < 0)
      return luaL_argerror(L, arg, lua_pushfstring(L,
          "element %d: handle, io file or descriptor expected, got %s",
          i, luaL_typename(L, -1)));
    fds[i - 1].events = events;
    fds[i - 1].revents = 0;
    if (events == POLLIN && uipc_buffered_input(h, f) > 0)
      *buffered = 1;
    lua_pop(L, 1);
  }
  return n;
}

/* The array of objects of `arg` whose poll entries are ready. */
static void ready_list(lua_State *L, int arg, const struct pollfd *fds, int n,
                       short mask, int count_buffered) {
  lua_newtable(L);
  int k = 0;
  for (int i = 1; i <= n; i++) {
    lua_geti(L, arg, i);
    int ready = (fds[i - 1].revents & mask) != 0;
    if (!ready && count_buffered) {
      uipc_handle *h;
      void *f;
      uipc_tofd(L, -1, &h, &f);
      ready = uipc_buffered_input(h, f) > 0;
    }
    if (ready)
      lua_rawseti(L, -2, ++k);
    else
      lua_pop(L, 1);
  }
}

static int count_of(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg))
    return 0;
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_Integer n = luaL_len(L, arg);
  luaL_argcheck(L, n >= 0 && n < 0x10000000, arg, "too many objects");
  return (int)n;
}

/***
Wait until some of the objects are ready: handles, io files and descriptors,
with no FD_SETSIZE limit. A handle or io file holding buffered input is
readable at once.
@function select
@tparam {handle,...} readers (or nil)
@tparam {handle,...} writers (or nil)
@number[opt] timeout seconds
@treturn[1] table the readable objects, as given, in order
@treturn[1] table the writable objects
@return[2] {}, {}, "timeout"
@usage local r = ipc.select({sock, pipe}, nil, 5)
*/
static int l_select(lua_State *L) {
  int nr = count_of(L, 1), nw = count_of(L, 2);
  double deadline = uipc_deadline(uipc_opttimeout(L, 3));
  lua_settop(L, 3);
  struct pollfd *fds = lua_newuserdatauv(L, sizeof *fds * (size_t)(nr + nw + 1), 0);
  int buffered = 0;
  collect(L, 1, fds, POLLIN, &buffered);
  collect(L, 2, fds + nr, POLLOUT, &buffered);
  if (buffered)
    deadline = uipc_monotime();  /* answer now, with whatever else is ready */
  int r = uipc_poll(L, fds, (nfds_t)(nr + nw), deadline);
  if (r < 0)
    return uipc_fail(L, "select", NULL);
  for (int i = 0; i < nr + nw; i++)
    if (fds[i].revents & POLLNVAL)
      return uipc_fail_errno(L, EBADF, "select", NULL);
  if (nr > 0)
    ready_list(L, 1, fds, nr, POLLIN | POLLHUP | POLLERR, 1);
  else
    lua_newtable(L);
  if (nw > 0)
    ready_list(L, 2, fds + nr, nw, POLLOUT | POLLHUP | POLLERR, 0);
  else
    lua_newtable(L);
  if (luaL_len(L, -1) == 0 && luaL_len(L, -2) == 0) {
    lua_pushliteral(L, "timeout");
    return 3;
  }
  return 2;
}

static const luaL_Reg funcs[] = {
  { "select", l_select },
  { NULL, NULL }
};

int uipc_select_open(lua_State *L) {
  uipc_register(L, funcs);
  return 0;
}
