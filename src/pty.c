/*
 * pty.c — pseudo-terminals: ipc.openpty and ipc.pty_spawn.
 *
 * The master is an ordinary handle (so read, write, expect and select work
 * on it) that takes EIO, which Linux gives once every slave descriptor is
 * closed, as end of input. pty_spawn starts its child through spawn.c's
 * plan, on the fork path: the child makes a new session and takes the
 * slave as its controlling terminal before the exec.
 */

/***
Pseudo-terminals.
@module unixipc
*/
#include "unixipc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* Open a master and its slave (both close-on-exec, neither a controlling
 * terminal here): 0 or -1 with errno and nothing left open. */
static int pty_pair(int *master, int *slave, char *name, size_t size) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return -1;
  int s = -1;
  if (grantpt(m) == 0 && unlockpt(m) == 0 && ptsname_r(m, name, size) == 0)
    s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) {
    int err = errno;
    close(m);
    errno = err;
    return -1;
  }
  *master = m;
  *slave = s;
  return 0;
}

static void attach_master(uipc_handle *h, int fd) {
  uipc_handle_attach(h, fd, NULL);
  h->flags |= UIPC_H_EIO_EOF;
}

/***
A new pseudo-terminal.
@function openpty
@treturn[1] handle master (EIO, once no slave is open, reads as end of input)
@treturn[1] handle slave
@treturn[1] string the slave's name (`/dev/pts/N`)
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local master, slave, name = ipc.openpty()
*/
static int l_openpty(lua_State *L) {
  uipc_handle *mh = uipc_handle_new(L);
  uipc_handle *sh = uipc_handle_new(L);
  char name[128];
  int m, s;
  if (pty_pair(&m, &s, name, sizeof name) < 0)
    return uipc_fail(L, "openpty", NULL);
  attach_master(mh, m);
  uipc_handle_attach(sh, s, NULL);
  lua_pushstring(L, name);
  return 3;
}

/* An optional window dimension of the command table. */
static unsigned short check_dim(lua_State *L, int tbl, const char *key, unsigned short def) {
  lua_getfield(L, tbl, key);
  lua_Integer v = lua_isnil(L, -1) ? def : lua_tointeger(L, -1);
  luaL_argcheck(L, (lua_isnil(L, -1) || lua_isinteger(L, -1)) && v > 0 && v < 65536, 1,
                lua_pushfstring(L, "%s must be a positive integer", key));
  lua_pop(L, 1);
  return (unsigned short)v;
}

/* The command as a table at the top: the strings given, or a copy of the
 * one table given. */
static int command_table(lua_State *L) {
  int n = lua_gettop(L);
  luaL_argcheck(L, n >= 1, 1, "command expected");
  if (n == 1 && lua_istable(L, 1))
    return 1;
  lua_createtable(L, n, 0);
  for (int i = 1; i <= n; i++) {
    luaL_checktype(L, i, LUA_TSTRING);
    lua_pushvalue(L, i);
    lua_rawseti(L, -2, i);
  }
  return lua_gettop(L);
}

/***
Start a command on a new pseudo-terminal: the child gets a new session
with the slave as its controlling terminal and as stdin, stdout and
stderr; `p.pty` is the master (EIO after the child is gone reads as end
of input).
@function pty_spawn
@param ... the command: strings, or one table `{prog, arg..., env=, cwd=,
rows=24, cols=80}`
@treturn[1] process with `pid` and `pty`
@return[2] nil (the program could not be started; no child is left)
@treturn[2] string message
@treturn[2] int errno
@usage local p = ipc.pty_spawn("cat", "-n"); p.pty:write("hi\n"); p.pty:expect("hi", 5)
*/
static int l_pty_spawn(lua_State *L) {
  int cmd = command_table(L);
  uipc_spawn_plan pl;
  uipc_plan_init(&pl);
  pl.argv = uipc_check_argv(L, cmd, 1, &pl.envp);
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = check_dim(L, cmd, "rows", 24);
  ws.ws_col = check_dim(L, cmd, "cols", 80);
  lua_getfield(L, cmd, "cwd");
  luaL_argcheck(L, lua_isnil(L, -1) || lua_type(L, -1) == LUA_TSTRING, 1, "cwd must be a string");
  uipc_check_nonul(L, -1, 1, "cwd");
  pl.cwd = lua_tostring(L, -1);  /* the command table keeps it */
  lua_pop(L, 1);
  uipc_process_new(L);
  int obj = lua_gettop(L);
  uipc_handle *mh = uipc_handle_new(L);
  lua_getiuservalue(L, obj, 1);
  lua_rotate(L, -2, 1);
  lua_setfield(L, -2, "pty");
  lua_pop(L, 1);
  fflush(NULL);  /* before any descriptor: a handler may run in the flush */
  uipc_flush_all(L);
  char name[128];
  int m, s;
  if (pty_pair(&m, &s, name, sizeof name) < 0)
    return uipc_fail(L, "openpty", NULL);
  ioctl(m, TIOCSWINSZ, &ws);
  for (int i = 0; i < 3; i++)
    pl.map[i].source = s;
  uipc_plan_keep(&pl, s);
  pl.setsid = 1;
  pl.ctty = s;
  if (uipc_process_run(L, obj, &pl) < 0) {
    close(m);
    return 3;
  }
  attach_master(mh, m);
  lua_settop(L, obj);
  return 1;
}

static const luaL_Reg funcs[] = {
  { "openpty", l_openpty }, { "pty_spawn", l_pty_spawn },
  { NULL, NULL }
};

int uipc_pty_open(lua_State *L) {
  uipc_register(L, funcs);
  return 0;
}
