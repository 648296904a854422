/*
 * error.c — the two error channels, and the errno table.
 *
 * A failure of the outside world returns nil, "<operation>[ <target>]: <strerror>",
 * errno through uipc_fail (which saves errno before anything can touch it) or
 * its explicit-errno twin. A programming error raises through luaL_argerror.
 */
#include "unixipc.h"

#include <fcntl.h>
#include <string.h>

int uipc_fail_errno(lua_State *L, int err, const char *what, const char *target) {
  luaL_pushfail(L);
  if (target != NULL)
    lua_pushfstring(L, "%s %s: %s", what, target, strerror(err));
  else
    lua_pushfstring(L, "%s: %s", what, strerror(err));
  lua_pushinteger(L, err);
  return 3;
}

int uipc_fail(lua_State *L, const char *what, const char *target) {
  int err = errno;  /* first, before any call can change it */
  return uipc_fail_errno(L, err, what, target);
}

int uipc_fail_timeout(lua_State *L) {
  luaL_pushfail(L);
  lua_pushliteral(L, "timeout");
  lua_pushinteger(L, ETIMEDOUT);
  return 3;
}

double uipc_opttimeout(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg))
    return -1;
  lua_Number t = luaL_checknumber(L, arg);
  luaL_argcheck(L, t >= 0, arg, "timeout must not be negative");
  luaL_argcheck(L, t == t, arg, "timeout must be a number");  /* NaN */
  return (double)t;
}

lua_Integer uipc_optsize(lua_State *L, int arg, lua_Integer def) {
  lua_Integer n = luaL_optinteger(L, arg, def);
  luaL_argcheck(L, n >= 0, arg, "must not be negative");
  return n;
}

void uipc_check_nonul(lua_State *L, int idx, int arg, const char *what) {
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  if (s != NULL && memchr(s, '\0', len) != NULL)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s contains a NUL byte", what));
}

const char *uipc_checkpath(lua_State *L, int arg) {
  const char *s = luaL_checkstring(L, arg);
  uipc_check_nonul(L, arg, arg, "path");
  return s;
}

void uipc_cloexec(int fd, int on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0)
    fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

/* Error names of the platform; any that a system lacks is simply absent. */
static const struct { const char *name; int num; } errnames[] = {
#define E(x) { #x, x },
  E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
  E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
  E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
  E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
  E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK)
  E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(EIDRM) E(ENOSTR) E(ENODATA)
  E(ETIME) E(ENOSR) E(ENOLINK) E(EPROTO) E(EBADMSG) E(EOVERFLOW) E(EILSEQ)
  E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE) E(ENOPROTOOPT)
  E(EPROTONOSUPPORT) E(ESOCKTNOSUPPORT) E(EOPNOTSUPP) E(ENOTSUP)
  E(EPFNOSUPPORT) E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN)
  E(ENETUNREACH) E(ENETRESET) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS)
  E(EISCONN) E(ENOTCONN) E(ESHUTDOWN) E(ETOOMANYREFS) E(ETIMEDOUT)
  E(ECONNREFUSED) E(EHOSTDOWN) E(EHOSTUNREACH) E(EALREADY) E(EINPROGRESS)
  E(ESTALE) E(EDQUOT) E(ECANCELED) E(EOWNERDEAD) E(ENOTRECOVERABLE)
#ifdef EWOULDBLOCK
  E(EWOULDBLOCK)
#endif
#ifdef ENOMEDIUM
  E(ENOMEDIUM)
#endif
#ifdef ERFKILL
  E(ERFKILL)
#endif
#undef E
};

/* ipc.errno: names -> numbers and numbers -> names (the first name wins for
 * aliases such as EWOULDBLOCK == EAGAIN). */
void uipc_errno_open(lua_State *L) {
  size_t n = sizeof errnames / sizeof errnames[0];
  lua_createtable(L, (int)n, (int)n);
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, errnames[i].num);
    lua_setfield(L, -2, errnames[i].name);
    if (lua_rawgeti(L, -1, errnames[i].num) == LUA_TNIL) {
      lua_pushstring(L, errnames[i].name);
      lua_rawseti(L, -3, errnames[i].num);
    }
    lua_pop(L, 1);
  }
  lua_setfield(L, -2, "errno");
}
