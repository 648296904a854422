/*
 * netdb.c — names and addresses: the names of families, types and
 * protocols; the one converter from every address argument to a sockaddr
 * (uipc_addr_check) and back to a table (uipc_addr_push), used by every
 * socket call; and the name services: getaddrinfo and getnameinfo, and the
 * classic calls perlipc uses (gethostbyname, gethostbyaddr, getservbyname,
 * getprotobyname, inet_aton, inet_ntoa), all on the reentrant resolver
 * interfaces, IPv4 and IPv6 alike.
 */

/***
Name services. A resolver failure returns
`nil, "<call> <name>: <resolver message>", "EAI_..."` (the resolver's code
by name); a failure of the system returns the usual errno triple.
@module unixipc
*/
#include "unixipc.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* ---- names ---- */

static const char *const family_names[] = { "inet", "inet6", "unix", NULL };
static const int family_values[] = { AF_INET, AF_INET6, AF_UNIX };
static const char *const type_names[] = { "stream", "dgram", "seqpacket", NULL };
static const int type_values[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

int uipc_checkfamily(lua_State *L, int arg, int def) {
  if (lua_isnoneornil(L, arg))
    return def;
  return family_values[luaL_checkoption(L, arg, NULL, family_names)];
}

const char *uipc_familyname(int family) {
  for (int i = 0; family_names[i]; i++)
    if (family_values[i] == family)
      return family_names[i];
  return NULL;
}

int uipc_checksocktype(lua_State *L, int arg, int def) {
  if (lua_isnoneornil(L, arg))
    return def;
  return type_values[luaL_checkoption(L, arg, NULL, type_names)];
}

const char *uipc_socktypename(int type) {
  for (int i = 0; type_names[i]; i++)
    if (type_values[i] == type)
      return type_names[i];
  return NULL;
}

int uipc_checkprotocol(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg))
    return 0;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Integer p = luaL_checkinteger(L, arg);
    luaL_argcheck(L, p >= 0 && p <= 255, arg, "protocol out of range");
    return (int)p;
  }
  const char *name = luaL_checkstring(L, arg);
  struct protoent pe, *found = NULL;
  char buf[1024];
  if (getprotobyname_r(name, &pe, buf, sizeof buf, &found) != 0 || found == NULL)
    return luaL_argerror(L, arg, lua_pushfstring(L, "unknown protocol '%s'", name));
  return found->p_proto;
}

/* ---- addresses ---- */

static socklen_t unix_path_offset(void) {
  return (socklen_t)offsetof(struct sockaddr_un, sun_path);
}

/* The path of a Unix-domain address (may be "" for an unnamed socket, or
 * start with a NUL for Linux's abstract names). */
static const char *unix_path(const uipc_sockaddr *a, size_t *len) {
  const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
  size_t n = a->len > unix_path_offset() ? a->len - unix_path_offset() : 0;
  if (n > 0 && un->sun_path[0] != '\0')
    n = strnlen(un->sun_path, n);  /* a filesystem path ends at its NUL */
  *len = n;
  return un->sun_path;
}

/* Numeric host and port of an inet or inet6 address. */
static int inet_parts(const uipc_sockaddr *a, char *host, size_t size) {
  if (a->ss.ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
    inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)size);
    return ntohs(in->sin_port);
  }
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
  inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)size);
  return ntohs(in6->sin6_port);
}

void uipc_addr_push(lua_State *L, const uipc_sockaddr *a) {
  int family = a->ss.ss_family;
  lua_createtable(L, 0, 3);
  const char *name = uipc_familyname(family);
  if (name)
    lua_pushstring(L, name);
  else
    lua_pushinteger(L, family);
  lua_setfield(L, -2, "family");
  if (family == AF_INET || family == AF_INET6) {
    char host[INET6_ADDRSTRLEN];
    int port = inet_parts(a, host, sizeof host);
    lua_pushstring(L, host);
    lua_setfield(L, -2, "host");
    lua_pushinteger(L, port);
    lua_setfield(L, -2, "port");
  } else if (family == AF_UNIX) {
    size_t n;
    const char *p = unix_path(a, &n);
    lua_pushlstring(L, p, n);
    lua_setfield(L, -2, "path");
  }
}

const char *uipc_addr_text(const uipc_sockaddr *a, char *buf, size_t size) {
  int family = a->ss.ss_family;
  if (family == AF_INET || family == AF_INET6) {
    char host[INET6_ADDRSTRLEN];
    int port = inet_parts(a, host, sizeof host);
    snprintf(buf, size, family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
  } else if (family == AF_UNIX) {
    size_t n;
    const char *p = unix_path(a, &n);
    if (n > 0 && p[0] == '\0')  /* an abstract name, shown as ss(8) does */
      snprintf(buf, size, "@%.*s", (int)n - 1, p + 1);
    else
      snprintf(buf, size, "%.*s", (int)n, p);
  } else {
    snprintf(buf, size, "family %d", family);
  }
  return buf;
}

int uipc_fail_gai(lua_State *L, int rc, const char *what, const char *target) {
  static const struct { int code; const char *name; } codes[] = {
    { EAI_AGAIN, "EAI_AGAIN" }, { EAI_BADFLAGS, "EAI_BADFLAGS" },
    { EAI_FAIL, "EAI_FAIL" }, { EAI_FAMILY, "EAI_FAMILY" },
    { EAI_MEMORY, "EAI_MEMORY" }, { EAI_NONAME, "EAI_NONAME" },
    { EAI_SERVICE, "EAI_SERVICE" }, { EAI_SOCKTYPE, "EAI_SOCKTYPE" },
    { EAI_OVERFLOW, "EAI_OVERFLOW" },
#ifdef EAI_NODATA
    { EAI_NODATA, "EAI_NODATA" },
#endif
#ifdef EAI_ADDRFAMILY
    { EAI_ADDRFAMILY, "EAI_ADDRFAMILY" },
#endif
  };
  if (rc == EAI_SYSTEM)
    return uipc_fail(L, what, target);
  if (rc == UIPC_RESOLVE_TIMEOUT)
    return uipc_fail_timeout(L);
  luaL_pushfail(L);
  lua_pushfstring(L, "%s %s: %s", what, target, gai_strerror(rc));
  lua_pushnil(L);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (codes[i].code == rc) {
      lua_pop(L, 1);
      lua_pushstring(L, codes[i].name);
    }
  return 3;
}

/* What is wrong with a Unix-domain path, as a message pushed, or NULL: a
 * NUL byte other than the first of a Linux abstract name, or more bytes
 * than sun_path holds (a path is never shortened). */
static const char *unix_path_error(lua_State *L, const char *path, size_t len) {
  int abstract = len > 0 && path[0] == '\0';
  size_t room = sizeof ((struct sockaddr_un *)0)->sun_path - (abstract ? 0 : 1);
  if (!abstract && memchr(path, '\0', len) != NULL)
    return lua_pushstring(L, "path contains a NUL byte");
  if (len > room)
    return lua_pushfstring(L, "Unix-domain socket path too long (%d bytes, at most %d)",
                           (int)len, (int)room);
  return NULL;
}

/* ipc._unix_path_error(path): for socket.lua, which checks the path of
 * connect{}/listen{} before any socket exists. */
static int l_unix_path_error(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  if (unix_path_error(L, path, len) == NULL)
    lua_pushnil(L);
  return 1;
}

/* A Unix-domain address; a bad path is a programming error. */
static void unix_addr(lua_State *L, int arg, const char *path, size_t len,
                      uipc_sockaddr *out) {
  struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
  const char *why = unix_path_error(L, path, len);
  if (why != NULL)
    luaL_argerror(L, arg, why);
  memset(un, 0, sizeof *un);
  un->sun_family = AF_UNIX;
  memcpy(un->sun_path, path, len);
  out->len = unix_path_offset() + (socklen_t)len + (len > 0 && path[0] == '\0' ? 0 : 1);
}

/* ---- parsing outside text ---- */

/* Digits only (at least one), with an optional leading '-'; the value
 * saturates above 1e9, which every caller rejects as out of range. */
static int decimal(const char *s, size_t len, long *value) {
  size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
  if (i == len)
    return 0;
  long v = 0;
  for (size_t k = i; k < len; k++) {
    if (s[k] < '0' || s[k] > '9')
      return 0;
    if (v < 1000000000L)
      v = v * 10 + (s[k] - '0');
  }
  *value = i ? -v : v;
  return 1;
}

int uipc_parse_port(const char *s, size_t len, size_t *name_len, long *number) {
  if (decimal(s, len, number))
    return UIPC_PORT_NUMBER;
  const char *open = len > 2 && s[len - 1] == ')' ? memchr(s, '(', len) : NULL;
  if (open != NULL && open > s && open < s + len - 2 &&
      open[1] != '-' && decimal(open + 1, (size_t)(s + len - 1 - (open + 1)), number) &&
      *number <= 65535) {
    *name_len = (size_t)(open - s);
    return UIPC_PORT_NAMED;
  }
  return UIPC_PORT_NAME;
}

int uipc_split_hostport(const char *s, size_t len, uipc_hostport *out) {
  memset(out, 0, sizeof *out);
  if (len == 0)
    return 0;
  if (s[0] == '[') {  /* "[host]" or "[host]:port" */
    const char *close = memchr(s, ']', len);
    if (close == NULL || close == s + 1 || memchr(s + 1, '[', (size_t)(close - s - 1)))
      return 0;
    out->host = 1;
    out->host_len = (size_t)(close - s - 1);
    size_t rest = (size_t)(close - s) + 1;
    if (rest == len)
      return 1;
    if (s[rest] != ':' || rest + 1 == len)
      return 0;
    out->port = rest + 1;
    out->port_len = len - out->port;
    return memchr(s + out->port, ']', out->port_len) == NULL;
  }
  if (memchr(s, '[', len) != NULL || memchr(s, ']', len) != NULL)
    return 0;
  const char *colon = memchr(s, ':', len);
  out->host_len = len;
  if (colon == NULL || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) != NULL)
    return 1;  /* no port, or a bare IPv6 address */
  if (colon + 1 == s + len)
    return 0;  /* "host:" */
  out->host_len = (size_t)(colon - s);
  out->port = out->host_len + 1;
  out->port_len = len - out->port;
  return 1;
}

/* The port at idx as a service string for the resolver: a number 0..65535,
 * a service name, or Perl's "name(number)" (then *fallback is the number,
 * for when the name is unknown; else -1). Raises on a port out of range. */
static const char *port_service(lua_State *L, int idx, int arg, char *buf,
                                size_t size, long *fallback) {
  *fallback = -1;
  if (lua_isnil(L, idx))
    return "0";
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer p = lua_tointeger(L, idx);
    if (!lua_isinteger(L, idx) && (lua_Number)p != lua_tonumber(L, idx))
      luaL_argerror(L, arg, "port must be an integer");
    if (p < 0 || p > 65535)
      luaL_argerror(L, arg, lua_pushfstring(L, "port %I out of range (0..65535)", p));
    snprintf(buf, size, "%d", (int)p);
    return buf;
  }
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_argerror(L, arg, lua_pushfstring(L, "port expected (number or service name), got %s",
                                           luaL_typename(L, idx)));
  uipc_check_nonul(L, idx, arg, "port");
  size_t len, name_len;
  long number;
  const char *s = lua_tolstring(L, idx, &len);
  switch (uipc_parse_port(s, len, &name_len, &number)) {
  case UIPC_PORT_NUMBER:
    if (number < 0 || number > 65535)
      luaL_argerror(L, arg, lua_pushfstring(L, "port %s out of range (0..65535)", s));
    snprintf(buf, size, "%ld", number);
    return buf;
  case UIPC_PORT_NAMED:
    if (name_len < size) {
      snprintf(buf, size, "%.*s", (int)name_len, s);
      *fallback = number;
      return buf;
    }
    break;
  }
  return s;
}

/* A numeric host and a port in range straight into a sockaddr: 1 done. */
static int numeric_inet(const char *host, lua_Integer port, int family, uipc_sockaddr *out) {
  if (port < 0 || port > 65535)
    return 0;
  memset(&out->ss, 0, sizeof out->ss);
  struct sockaddr_in *in = (struct sockaddr_in *)&out->ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
  if (family != AF_INET6 && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    out->len = sizeof *in;
    return 1;
  }
  if (family != AF_INET && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    out->len = sizeof *in6;
    return 1;
  }
  return 0;
}

/* getaddrinfo for a host and the port at pidx (see port_service), trying
 * the number of Perl's "name(number)" when the name is unknown, within the
 * deadline (-1: none). Returns the list (the caller frees it), or NULL
 * having pushed the failure. */
static struct addrinfo *lookup(lua_State *L, const char *host, int pidx, int arg,
                               const struct addrinfo *hints, double deadline) {
  char buf[64], num[24];
  long fallback;
  const char *service = port_service(L, pidx, arg, buf, sizeof buf, &fallback);
  struct addrinfo *res = NULL;
  int rc = uipc_getaddrinfo(L, host, service, hints, &res, deadline);
  if (rc == EAI_SERVICE && fallback >= 0) {
    snprintf(num, sizeof num, "%ld", fallback);
    rc = uipc_getaddrinfo(L, host, num, hints, &res, deadline);
  }
  if (rc == 0)
    return res;
  char target[512];
  snprintf(target, sizeof target, strchr(host ? host : "", ':') ? "[%s]:%s" : "%s:%s",
           host ? host : (hints->ai_flags & AI_PASSIVE ? "*" : "localhost"), service);
  uipc_fail_gai(L, rc, "getaddrinfo", target);
  return NULL;
}

/* The host at hidx: a string, or NULL for nil and "*" (any). */
static const char *host_arg(lua_State *L, int hidx, int arg) {
  if (lua_isnoneornil(L, hidx))
    return NULL;
  if (lua_type(L, hidx) != LUA_TSTRING)
    luaL_argerror(L, arg, lua_pushfstring(L, "host must be a string, got %s",
                                           luaL_typename(L, hidx)));
  uipc_check_nonul(L, hidx, arg, "host");
  const char *host = lua_tostring(L, hidx);
  return strcmp(host, "*") == 0 ? NULL : host;
}

/* Host and port (values at hidx, pidx) for a socket of `family`. */
static int inet_addr_of(lua_State *L, int hidx, int pidx, int arg, int family,
                        int socktype, int passive, uipc_sockaddr *out) {
  const char *host = host_arg(L, hidx, arg);
  if (host && lua_isinteger(L, pidx) && numeric_inet(host, lua_tointeger(L, pidx), family, out))
    return 0;  /* the common case, without the resolver */
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = socktype == SOCK_SEQPACKET ? 0 : socktype;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  struct addrinfo *res = lookup(L, host, pidx, arg, &hints, -1);
  if (res == NULL)
    return 3;
  memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
  out->len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

/* The address given as a table at arg. */
static int addr_table(lua_State *L, int arg, int family, int socktype, int passive,
                      uipc_sockaddr *out) {
  lua_getfield(L, arg, "family");
  int given = lua_isnil(L, -1) ? family : -1;
  if (given < 0) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, arg, "address field 'family' must be a string");
    const char *name = lua_tostring(L, -1);
    for (int i = 0; family_names[i]; i++)
      if (strcmp(family_names[i], name) == 0)
        given = family_values[i];
    if (given < 0)
      luaL_argerror(L, arg, lua_pushfstring(L, "unknown address family '%s'", name));
    if (family != 0 && given != family)
      luaL_argerror(L, arg, lua_pushfstring(L, "%s address for a socket of family %s",
                                             name, uipc_familyname(family)));
  }
  lua_getfield(L, arg, "path");
  if (given == AF_UNIX || (given == 0 && !lua_isnil(L, -1))) {
    size_t len;
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, arg, "address field 'path' must be a string");
    const char *path = lua_tolstring(L, -1, &len);
    unix_addr(L, arg, path, len, out);
    lua_pop(L, 2);
    return 0;
  }
  lua_getfield(L, arg, "host");
  lua_getfield(L, arg, "port");
  int top = lua_gettop(L);
  int rc = inet_addr_of(L, top - 1, top, arg, given, socktype, passive, out);
  if (rc)
    return rc;
  lua_settop(L, top - 4);
  return 0;
}

int uipc_addr_check(lua_State *L, int arg, int family, int socktype, int passive,
                    uipc_sockaddr *out, int *next) {
  memset(out, 0, sizeof *out);
  if (lua_type(L, arg) == LUA_TTABLE) {
    *next = arg + 1;
    return addr_table(L, arg, family, socktype, passive, out);
  }
  if (family == AF_UNIX) {
    size_t len;
    const char *path = luaL_checklstring(L, arg, &len);
    uipc_check_nonul(L, arg, arg, "path");
    unix_addr(L, arg, path, len, out);
    *next = arg + 1;
    return 0;
  }
  if (!lua_isnil(L, arg) && lua_type(L, arg) != LUA_TSTRING)
    luaL_typeerror(L, arg, "address table or host");
  *next = arg + 2;
  return inet_addr_of(L, arg, arg + 1, arg + 1, family, socktype, passive, out);
}

/* ---- name services ---- */

/* Hints from an optional table {family=, socktype=, protocol=, passive=,
 * timeout=}; the timeout, as a deadline, into *deadline. */
static void hints_of(lua_State *L, int arg, struct addrinfo *hints, double *deadline) {
  memset(hints, 0, sizeof *hints);
  *deadline = -1;
  if (lua_isnoneornil(L, arg))
    return;
  luaL_checktype(L, arg, LUA_TTABLE);
  int top = lua_gettop(L);
  lua_getfield(L, arg, "family");
  hints->ai_family = uipc_checkfamily(L, top + 1, AF_UNSPEC);
  lua_getfield(L, arg, "socktype");
  hints->ai_socktype = uipc_checksocktype(L, top + 2, 0);
  lua_getfield(L, arg, "protocol");
  hints->ai_protocol = uipc_checkprotocol(L, top + 3);
  lua_getfield(L, arg, "passive");
  hints->ai_flags = lua_toboolean(L, top + 4) ? AI_PASSIVE : 0;
  lua_getfield(L, arg, "timeout");
  if (!lua_isnil(L, top + 5)) {
    lua_Number t = lua_tonumber(L, top + 5);
    if (lua_type(L, top + 5) != LUA_TNUMBER || !(t >= 0))  /* NaN too */
      luaL_argerror(L, arg, "hints field 'timeout' must be a non-negative number");
    *deadline = uipc_deadline((double)t);
  }
  lua_settop(L, top);
}

/***
Resolve a host and a service into addresses.
@function getaddrinfo
@tparam string|nil host
@tparam[opt] string|int service
@tparam[opt] table hints `{family=, socktype=, protocol=, passive=, timeout=}`;
`timeout` bounds the wait for the name servers (then nil, "timeout",
ETIMEDOUT). The lookup runs in a thread of its own: signal handlers run
while it waits.
@treturn[1] table an array of address tables, each with `socktype` and `protocol`
@return[2] nil
@treturn[2] string message, e.g. "getaddrinfo nosuch.invalid: Name or service not known"
@treturn[2] string the resolver's code ("EAI_NONAME"), or an errno
@usage for _, a in ipairs(assert(ipc.getaddrinfo("localhost", "http"))) do print(a.host) end
*/
/* __gc of the box holding a getaddrinfo list. */
static int addrinfo_gc(lua_State *L) {
  struct addrinfo **box = lua_touserdata(L, 1);
  if (*box != NULL) {
    freeaddrinfo(*box);
    *box = NULL;
  }
  return 0;
}

static int l_getaddrinfo(lua_State *L) {
  const char *host = host_arg(L, 1, 1);
  luaL_argcheck(L, host || !lua_isnoneornil(L, 2), 1, "host or service expected");
  struct addrinfo hints, *res;
  double deadline;
  hints_of(L, 3, &hints, &deadline);
  if (lua_isnoneornil(L, 2)) {
    int rc = uipc_getaddrinfo(L, host, NULL, &hints, &res, deadline);
    if (rc != 0)
      return uipc_fail_gai(L, rc, "getaddrinfo", host);
  } else if ((res = lookup(L, host, 2, 2, &hints, deadline)) == NULL) {
    return 3;
  }
  /* the list lives in a box until the table is built: a memory error
   * raised meanwhile must not leak it */
  struct addrinfo **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = res;
  if (luaL_newmetatable(L, "unixipc.addrinfo")) {
    lua_pushcfunction(L, addrinfo_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_newtable(L);
  int n = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    uipc_sockaddr a;
    memcpy(&a.ss, ai->ai_addr, ai->ai_addrlen);
    a.len = ai->ai_addrlen;
    uipc_addr_push(L, &a);
    const char *type = uipc_socktypename(ai->ai_socktype);
    if (type)
      lua_pushstring(L, type);
    else
      lua_pushinteger(L, ai->ai_socktype);
    lua_setfield(L, -2, "socktype");
    lua_pushinteger(L, ai->ai_protocol);
    lua_setfield(L, -2, "protocol");
    lua_rawseti(L, -2, ++n);
  }
  freeaddrinfo(*box);
  *box = NULL;
  return 1;
}

/* getnameinfo of the address at arg with flags: pushes host, service.
 * Failures name `target`, or the address. */
static int name_info(lua_State *L, int arg, int flags, const char *what,
                     const char *target) {
  uipc_sockaddr a;
  int next;
  if (uipc_addr_check(L, arg, 0, 0, 0, &a, &next))
    return 3;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  int rc = uipc_getnameinfo(L, &a, host, sizeof host, serv, sizeof serv, flags, -1);
  if (rc != 0) {
    char text[160];
    return uipc_fail_gai(L, rc, what, target ? target : uipc_addr_text(&a, text, sizeof text));
  }
  lua_pushstring(L, host);
  lua_pushstring(L, serv);
  return 2;
}

/***
The host and service names of an address (numeric where there is no name).
@function getnameinfo
@tparam table addr an address table (or host, port)
@treturn[1] string host
@treturn[1] string service
@return[2] nil
@treturn[2] string message
@treturn[2] string the resolver's code, or an errno
*/
static int l_getnameinfo(lua_State *L) {
  return name_info(L, 1, 0, "getnameinfo", NULL);
}

/***
The name of a host address (IPv4 or IPv6 text).
@function gethostbyaddr
@string ip
@treturn[1] string name
@return[2] nil
@treturn[2] string message ("gethostbyaddr 192.0.2.1: Name or service not known")
@treturn[2] string the resolver's code, or an errno
*/
static int l_gethostbyaddr(lua_State *L) {
  const char *ip = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_pushinteger(L, 0);
  int r = name_info(L, 1, NI_NAMEREQD, "gethostbyaddr", ip);
  return r == 2 ? (lua_pop(L, 1), 1) : r;
}

/* The first IPv4 address of a name, into *out: 0, or pushes a failure. */
static int ipv4_of(lua_State *L, const char *name, const char *what, struct in_addr *out) {
  if (inet_pton(AF_INET, name, out) == 1)
    return 0;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  int rc = uipc_getaddrinfo(L, name, NULL, &hints, &res, -1);
  if (rc != 0)
    return uipc_fail_gai(L, rc, what, name);
  *out = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return 0;
}

/***
The IPv4 address of a host name, in dotted form.
@function gethostbyname
@string name
@treturn[1] string "127.0.0.1"
@return[2] nil
@treturn[2] string message
@treturn[2] string the resolver's code, or an errno
*/
static int l_gethostbyname(lua_State *L) {
  struct in_addr in;
  uipc_check_nonul(L, 1, 1, "name");
  if (ipv4_of(L, luaL_checkstring(L, 1), "gethostbyname", &in))
    return 3;
  char text[INET_ADDRSTRLEN];
  lua_pushstring(L, inet_ntop(AF_INET, &in, text, sizeof text));
  return 1;
}

/***
A host (dotted IPv4 or a name) as a 4-byte packed address, as Perl's
inet_aton.
@function inet_aton
@string host
@treturn[1] string 4 bytes
@return[2] nil
@treturn[2] string message
@treturn[2] string the resolver's code, or an errno
*/
static int l_inet_aton(lua_State *L) {
  struct in_addr in;
  if (ipv4_of(L, luaL_checkstring(L, 1), "inet_aton", &in))
    return 3;
  lua_pushlstring(L, (const char *)&in, sizeof in);
  return 1;
}

/***
A 4-byte packed IPv4 address in dotted form.
@function inet_ntoa
@string packed 4 bytes
@treturn string "127.0.0.1"
*/
static int l_inet_ntoa(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_argcheck(L, len == 4, 1, "4-byte packed address expected");
  char text[INET_ADDRSTRLEN];
  lua_pushstring(L, inet_ntop(AF_INET, s, text, sizeof text));
  return 1;
}

/* The failure of a getXbyY_r lookup: its error when it had one, else
 * ENOENT with `why` (the name is not in the database). */
static int not_found(lua_State *L, int rc, const char *what, const char *why) {
  if (rc != 0)
    return uipc_fail_errno(L, rc, what, NULL);
  luaL_pushfail(L);
  lua_pushfstring(L, "%s: %s", what, why);
  lua_pushinteger(L, ENOENT);
  return 3;
}

/***
The port of a service.
@function getservbyname
@string name "http"
@string[opt="tcp"] proto "tcp" or "udp"
@treturn[1] int port
@return[2] nil
@treturn[2] string "getservbyname nosuch/tcp: unknown service"
@treturn[2] int ENOENT (or the error of the lookup)
*/
static int l_getservbyname(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  uipc_check_nonul(L, 1, 1, "name");
  const char *proto = luaL_optstring(L, 2, "tcp");
  uipc_check_nonul(L, 2, 2, "protocol");
  struct servent se, *found = NULL;
  char buf[4096];
  int rc = getservbyname_r(name, proto, &se, buf, sizeof buf, &found);
  if (rc != 0 || found == NULL)
    return not_found(L, rc, lua_pushfstring(L, "getservbyname %s/%s", name, proto),
                     "unknown service");
  lua_pushinteger(L, ntohs((uint16_t)found->s_port));
  return 1;
}

/***
The number of a protocol.
@function getprotobyname
@string name "tcp"
@treturn[1] int
@return[2] nil
@treturn[2] string "getprotobyname nosuch: unknown protocol"
@treturn[2] int ENOENT (or the error of the lookup)
*/
static int l_getprotobyname(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  uipc_check_nonul(L, 1, 1, "name");
  struct protoent pe, *found = NULL;
  char buf[1024];
  int rc = getprotobyname_r(name, &pe, buf, sizeof buf, &found);
  if (rc != 0 || found == NULL)
    return not_found(L, rc, lua_pushfstring(L, "getprotobyname %s", name), "unknown protocol");
  lua_pushinteger(L, found->p_proto);
  return 1;
}

/***
Split a `HOST[:PORT]` argument, as IO::Socket takes its PeerAddr:
`"host:port"`, `"[::1]:80"`, `"[::1]"`, `"host"`; a bare IPv6 address
(`"::1"`, two colons or more) is all host. A port number 0..65535 comes
back as an integer, anything else (`"http"`, `"daytime(13)"`, `"99999"`)
as the string, for `ipc.connect`'s `port` to take or refuse.
@function splitaddr
@string addr
@treturn[1] string the host (`""` for `":80"`)
@treturn[1] int|string|nil the port, nil when there is none
@return[2] nil
@treturn[2] string "splitaddr: malformed address '[::1'"
@treturn[2] int EINVAL
@usage local host, port = ipc.splitaddr(arg[1]); port = port or 37
*/
static int l_splitaddr(lua_State *L) {
  size_t len, name_len;
  const char *s = luaL_checklstring(L, 1, &len);
  uipc_hostport hp;
  long number;
  if (!uipc_split_hostport(s, len, &hp)) {
    luaL_pushfail(L);
    lua_pushfstring(L, "splitaddr: malformed address '%s'", s);
    lua_pushinteger(L, EINVAL);
    return 3;
  }
  lua_pushlstring(L, s + hp.host, hp.host_len);
  if (hp.port_len == 0)
    lua_pushnil(L);
  else if (uipc_parse_port(s + hp.port, hp.port_len, &name_len, &number) == UIPC_PORT_NUMBER
           && number >= 0 && number <= 65535)
    lua_pushinteger(L, number);
  else
    lua_pushlstring(L, s + hp.port, hp.port_len);
  return 2;
}

static const luaL_Reg funcs[] = {
  { "getaddrinfo", l_getaddrinfo }, { "getnameinfo", l_getnameinfo },
  { "gethostbyname", l_gethostbyname }, { "gethostbyaddr", l_gethostbyaddr },
  { "getservbyname", l_getservbyname }, { "getprotobyname", l_getprotobyname },
  { "inet_aton", l_inet_aton }, { "inet_ntoa", l_inet_ntoa },
  { "splitaddr", l_splitaddr }, { "_unix_path_error", l_unix_path_error },
  { NULL, NULL }
};

int uipc_netdb_open(lua_State *L) {
  uipc_register(L, funcs);
  return 0;
}
