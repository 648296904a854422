/*
 * socket.c — sockets on the one handle type: creation, addresses, the
 * socket methods of handles (bind, listen, accept, connect, send, recv...).
 *
 * A socket is a handle (handle.c) whose family and socktype are set, so
 * read, lines, write, expect and timeouts work on it unchanged. Every call
 * that can wait makes one attempt that does not block (MSG_DONTWAIT,
 * accept4 on a non-blocking listener, a non-blocking connect) and then waits
 * through wait.c, so signals and timeouts reach it as everywhere else.
 * Sends carry MSG_NOSIGNAL: a closed peer gives EPIPE, never SIGPIPE, and
 * nothing process-wide is changed for it.
 *
 * Addresses come and go through the one converter of netdb.c.
 */

/***
Sockets: TCP, UDP and Unix-domain on the handle type.
Addresses are tables `{family = "inet"|"inet6", host = "127.0.0.1", port = n}`
or `{family = "unix", path = p}`; where a method takes an address it also
takes the arguments `host, port` or `path`. A failed system call returns
`nil, "<op> <address>: <strerror>", errno`; a wait that times out returns
`nil, "timeout", ETIMEDOUT`; a resolver failure returns
`nil, "getaddrinfo <host:port>: <resolver message>", "EAI_NONAME"` (the
name of the resolver's code, a string, where a system call gives an errno).
@module unixipc
*/
#include "unixipc.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define RECV_DEFAULT 65536   /* recv/recvfrom without a size */
#define RECV_MAX (4 * 1024 * 1024)  /* above any datagram or socket buffer */
#define FDS_MAX 16           /* descriptors recvfd takes from one message */

/* ---- socket handles and their states ---- */

/* The socket at arg; a socket that came from elsewhere (fdopen, recvfd)
 * gets its family, type and listening state from the kernel once. */
static uipc_handle *check_socket(lua_State *L, int arg) {
  uipc_handle *h = uipc_handle_check(L, arg);
  if (h->family == 0) {
    int v = 0;
    socklen_t len = sizeof v;
    if (h->kind != UIPC_KIND_SOCKET ||
        getsockopt(h->fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0)
      luaL_argerror(L, arg, "socket expected, got another kind of handle");
    h->family = v;
    len = sizeof v;
    if (getsockopt(h->fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0)
      h->socktype = v;
    len = sizeof v;
    if (getsockopt(h->fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v)
      h->flags |= UIPC_H_LISTENING;
  }
  return h;
}

static void state_error(lua_State *L, int ok, const char *msg) {
  if (!ok)
    luaL_argerror(L, 1, msg);
}

static int is_stream(const uipc_handle *h) {
  return h->socktype == SOCK_STREAM || h->socktype == SOCK_SEQPACKET;
}

/* Give a new socket descriptor to a handle made closed beforehand (so
 * nothing can raise between the system call and here). */
static void socket_attach(uipc_handle *h, int fd, int family, int socktype, int flags) {
  uipc_handle_attach_kind(h, fd, NULL, UIPC_KIND_SOCKET, 0);  /* made blocking */
  h->family = family;
  h->socktype = socktype;
  h->flags |= flags;
}

/* O_NONBLOCK on or off on the descriptor, for the attempts that accept and
 * connect make (the handle's own blocking mode is kept in its flags): one
 * ioctl, no F_GETFL first. 0, or -1 with errno. */
static int fd_nonblock(int fd, int on) {
  return ioctl(fd, FIONBIO, &on);
}

/* The failure of uipc_handle_io or of a call: rc -2 timeout, else errno. */
static int sock_fail(lua_State *L, ssize_t rc, const char *what, const uipc_sockaddr *a) {
  if (rc == -2)
    return uipc_fail_timeout(L);
  int err = errno;
  char buf[160];
  return uipc_fail_errno(L, err, what, a ? uipc_addr_text(a, buf, sizeof buf) : NULL);
}

static double timeout_arg(lua_State *L, int arg, const uipc_handle *h) {
  return lua_isnoneornil(L, arg) ? h->timeout : uipc_opttimeout(L, arg);
}

/* ---- creation ---- */

/***
A new socket.
@function socket
@string family "inet", "inet6" or "unix"
@string[opt="stream"] type "stream", "dgram" or "seqpacket"
@tparam[opt] int|string protocol a number or a name ("tcp")
@treturn[1] handle the socket (close-on-exec)
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local s = assert(ipc.socket("inet", "stream"))
*/
static int l_socket(lua_State *L) {
  int family = uipc_checkfamily(L, 1, -1);
  luaL_argcheck(L, family >= 0, 1, "socket family expected");
  int type = uipc_checksocktype(L, 2, SOCK_STREAM);
  int proto = uipc_checkprotocol(L, 3);
  uipc_handle *h = uipc_handle_new(L);
  int fd = socket(family, type | SOCK_CLOEXEC, proto);
  if (fd < 0)
    return uipc_fail(L, "socket", NULL);
  socket_attach(h, fd, family, type, 0);
  return 1;
}

/***
A pair of connected Unix-domain sockets.
@function socketpair
@string[opt="stream"] type "stream", "dgram" or "seqpacket"
@treturn[1] handle
@treturn[1] handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_socketpair(lua_State *L) {
  int type = uipc_checksocktype(L, 1, SOCK_STREAM);
  uipc_handle *a = uipc_handle_new(L);
  uipc_handle *b = uipc_handle_new(L);
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
    return uipc_fail(L, "socketpair", NULL);
  socket_attach(a, sv[0], AF_UNIX, type, UIPC_H_CONNECTED);
  socket_attach(b, sv[1], AF_UNIX, type, UIPC_H_CONNECTED);
  return 2;
}

/* ---- bind, listen, accept, connect ---- */

/***
Bind to a local address. A host of nil or "*" is every interface.
@function socket:bind
@param addr address table, or host, port, or a path
@treturn[1] handle the socket
@return[2] nil
@treturn[2] string message, e.g. "bind 127.0.0.1:80: Permission denied"
@treturn[2] int|string errno (or the resolver's code)
*/
static int m_bind(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  uipc_sockaddr a;
  int next;
  if (uipc_addr_check(L, 2, h->family, h->socktype, 1, &a, &next))
    return 3;
  if (bind(h->fd, UIPC_SA(&a), a.len) < 0)
    return sock_fail(L, -1, "bind", &a);
  lua_settop(L, 1);
  return 1;
}

/***
Listen for connections. The descriptor becomes non-blocking (accept waits
through poll, and never blocks when another process took the connection).
@function socket:listen
@int[opt=SOMAXCONN] backlog
@treturn[1] handle the socket
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_listen(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  lua_Integer backlog = uipc_optsize(L, 2, SOMAXCONN);
  state_error(L, is_stream(h), "listen on a datagram socket");
  state_error(L, !(h->flags & UIPC_H_CONNECTED), "listen on a connected socket");
  if (backlog > 0x7fffffff)
    backlog = 0x7fffffff;
  if (listen(h->fd, (int)backlog) < 0 || fd_nonblock(h->fd, 1) < 0)
    return uipc_fail(L, "listen", NULL);
  h->flags |= UIPC_H_LISTENING;
  lua_settop(L, 1);
  return 1;
}

typedef struct {
  uipc_sockaddr peer;
} accept_ctx;

static ssize_t try_accept(uipc_handle *h, void *ctx, int ready) {
  (void)ready;
  accept_ctx *c = ctx;
  c->peer.len = sizeof c->peer.ss;
  return accept4(h->fd, UIPC_SA(&c->peer), &c->peer.len, SOCK_CLOEXEC);
}

/***
Take a connection (waiting with the socket's timeout; a signal handler that
raises meanwhile ends the wait with its error).
@function socket:accept
@treturn[1] handle the connected socket (close-on-exec)
@treturn[1] table the peer's address
@return[2] nil
@treturn[2] string message or "timeout"
@treturn[2] int errno
@usage local client, addr = server:accept()
*/
static int m_accept(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  state_error(L, (h->flags & UIPC_H_LISTENING) != 0, "accept on a socket that does not listen");
  if (fd_nonblock(h->fd, 1) < 0)  /* again: setblocking(true) clears it */
    return uipc_fail(L, "accept", NULL);
  uipc_handle *c = uipc_handle_new(L);
  accept_ctx ctx;
  ssize_t fd = uipc_handle_io(L, h, POLLIN, try_accept, &ctx, uipc_deadline(h->timeout), 1);
  if (fd < 0)
    return sock_fail(L, fd, "accept", NULL);
  socket_attach(c, (int)fd, h->family, h->socktype, UIPC_H_CONNECTED);
  uipc_addr_push(L, &ctx.peer);
  return 2;
}

/* The outcome of a connect in progress: 0 connected, else an errno. */
static int connect_result(lua_State *L, uipc_handle *h, double deadline) {
  int w = uipc_wait_fd(L, h->fd, POLLOUT, deadline);
  if (h->fd < 0)
    luaL_error(L, "socket closed by a signal handler during connect");
  if (w == 0)
    return ETIMEDOUT;
  if (w < 0)
    return errno;
  if (!(w & (POLLERR | POLLHUP)))
    return 0;  /* writable and no error: connected */
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    return errno;
  return err;
}

/* Connect without blocking: 0, an errno, or ETIMEDOUT for the deadline. A
 * Unix-domain listener with a full backlog says EAGAIN and cannot be
 * polled: try again every 10 ms. */
static int connect_to(lua_State *L, uipc_handle *h, const uipc_sockaddr *a,
                      double deadline) {
  for (;;) {
    if (connect(h->fd, UIPC_SA(a), a->len) == 0)
      return 0;
    int err = errno;
    if (h->flags & UIPC_H_NONBLOCK)
      return err;  /* EINPROGRESS too: the caller polls, as in C */
    if (err == EINPROGRESS || err == EINTR)
      return connect_result(L, h, deadline);
    if (err != EAGAIN || h->family != AF_UNIX)
      return err;
    if (deadline >= 0 && uipc_monotime() >= deadline)
      return ETIMEDOUT;
    double step = uipc_monotime() + 0.01;
    uipc_sleep_until(L, deadline >= 0 && deadline < step ? deadline : step);
    if (h->fd < 0)
      luaL_error(L, "socket closed by a signal handler during connect");
  }
}

/***
Connect to an address, waiting at most `timeout` seconds (default: the
socket's timeout). In non-blocking mode a connection that cannot be made
at once fails with EINPROGRESS (select the socket for writing, then
`getpeername` tells whether it worked).
@function socket:connect
@param addr address table, or host, port, or a path
@number[opt] timeout
@treturn[1] handle the socket
@return[2] nil
@treturn[2] string "connect 127.0.0.1:7: Connection refused", or "timeout"
@treturn[2] int|string errno (or the resolver's code)
@usage assert(s:connect("127.0.0.1", port, 5))
*/
static int m_connect(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  state_error(L, !(h->flags & UIPC_H_LISTENING), "connect on a listening socket");
  state_error(L, !(is_stream(h) && (h->flags & UIPC_H_CONNECTED)),
              "connect on a connected socket");
  uipc_sockaddr a;
  int next;
  if (uipc_addr_check(L, 2, h->family, h->socktype, 0, &a, &next))
    return 3;
  double deadline = uipc_deadline(timeout_arg(L, next, h));
  int blocking = !(h->flags & UIPC_H_NONBLOCK);  /* the descriptor's mode too */
  if (blocking && fd_nonblock(h->fd, 1) < 0)
    return sock_fail(L, -1, "connect", &a);
  int err = connect_to(L, h, &a, deadline);
  if (blocking)
    fd_nonblock(h->fd, 0);
  if (err == ETIMEDOUT)
    return uipc_fail_timeout(L);
  if (err) {
    errno = err;
    return sock_fail(L, -1, "connect", &a);
  }
  h->flags |= UIPC_H_CONNECTED;
  lua_settop(L, 1);
  return 1;
}

/* ---- send and receive ---- */

typedef struct {
  const char *data;
  size_t len;
  const uipc_sockaddr *to;   /* sendto */
  char *buf;                 /* recv */
  uipc_sockaddr from;        /* recvfrom */
} io_ctx;

static ssize_t try_send(uipc_handle *h, void *ctx, int ready) {
  (void)ready;
  io_ctx *c = ctx;
  return sendto(h->fd, c->data, c->len, MSG_DONTWAIT | MSG_NOSIGNAL,
                c->to ? UIPC_SA(c->to) : NULL, c->to ? c->to->len : 0);
}

static ssize_t try_recv(uipc_handle *h, void *ctx, int ready) {
  (void)ready;
  io_ctx *c = ctx;
  c->from.len = sizeof c->from.ss;
  return recvfrom(h->fd, c->buf, c->len, MSG_DONTWAIT, UIPC_SA(&c->from), &c->from.len);
}

/* Output the handle holds from h:write goes first, through h:flush. */
static int flush_pending(lua_State *L, uipc_handle *h) {
  if (h->wlen == 0)
    return 0;
  lua_getfield(L, 1, "flush");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 3);
  if (lua_toboolean(L, -3)) {
    lua_pop(L, 3);
    return 0;
  }
  return 3;
}

/* Send data whole (a stream) or as one datagram; returns bytes sent. */
static int send_data(lua_State *L, uipc_handle *h, int arg, const uipc_sockaddr *to) {
  size_t len;
  const char *s = luaL_checklstring(L, arg, &len);
  if (flush_pending(L, h))
    return 3;
  double deadline = uipc_deadline(h->timeout);
  io_ctx c = { s, len, to, NULL, { { 0 }, 0 } };
  size_t sent = 0;
  do {
    ssize_t r = uipc_handle_io(L, h, POLLOUT, try_send, &c, deadline, 0);
    if (r < 0)
      return sock_fail(L, r, to ? "sendto" : "send", to);
    sent += (size_t)r;
    c.data += r;
    c.len -= (size_t)r;
  } while (c.len > 0 && h->socktype == SOCK_STREAM);
  lua_pushinteger(L, (lua_Integer)sent);
  return 1;
}

/***
Send data: all of it on a stream, one datagram otherwise. Never raises
SIGPIPE: a closed peer gives `nil, "send: Broken pipe", EPIPE`.
@function socket:send
@string data
@treturn[1] int bytes sent
@return[2] nil
@treturn[2] string message or "timeout"
@treturn[2] int errno
*/
static int m_send(lua_State *L) {
  return send_data(L, check_socket(L, 1), 2, NULL);
}

/***
Send a datagram to an address.
@function socket:sendto
@string data
@param addr address table, or host, port, or a path
@treturn[1] int bytes sent
@return[2] nil
@treturn[2] string message
@treturn[2] int|string errno (or the resolver's code)
*/
static int m_sendto(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  luaL_checkstring(L, 2);
  uipc_sockaddr a;
  int next;
  if (uipc_addr_check(L, 3, h->family, h->socktype, 0, &a, &next))
    return 3;
  return send_data(L, h, 2, &a);
}

/* Receive at most n bytes (input the handle buffered first); pushes the
 * data (and the sender with `from`). Returns results, a single nil at the
 * end of a stream. */
static int recv_data(lua_State *L, uipc_handle *h, int from) {
  size_t n = (size_t)uipc_optsize(L, 2, RECV_DEFAULT);
  if (n > RECV_MAX)  /* one receive never brings more: no huge buffer up front */
    n = RECV_MAX;
  size_t held = h->rlen - h->rpos;
  if (held > 0 && !from) {
    size_t k = n < held ? n : held;
    lua_pushlstring(L, h->rbuf + h->rpos, k);
    h->rpos += k;
    return 1;
  }
  luaL_Buffer b;
  io_ctx c = { NULL, n, NULL, luaL_buffinitsize(L, &b, n ? n : 1), { { 0 }, 0 } };
  ssize_t r = uipc_handle_io(L, h, POLLIN, try_recv, &c, uipc_deadline(h->timeout), 1);
  if (r < 0)
    return sock_fail(L, r, from ? "recvfrom" : "recv", NULL);
  if (r == 0 && n > 0 && is_stream(h)) {
    lua_pushnil(L);
    return 1;
  }
  if ((size_t)r == n)
    h->flags &= ~UIPC_H_WAITFIRST;  /* filled: more may be waiting */
  luaL_pushresultsize(&b, (size_t)r);
  if (!from)
    return 1;
  if (c.from.len == 0)  /* a connected stream does not say */
    c.from.ss.ss_family = (sa_family_t)h->family;
  uipc_addr_push(L, &c.from);
  return 2;
}

/***
Receive at most `n` bytes: one read of a stream (nil at its end), one
datagram otherwise (the rest of a longer one is lost).
@function socket:recv
@int[opt=65536] n
@treturn[1] string|nil data; nil at end of input
@return[2] nil
@treturn[2] string message or "timeout"
@treturn[2] int errno
*/
static int m_recv(lua_State *L) {
  return recv_data(L, check_socket(L, 1), 0);
}

/***
Receive a datagram and its sender.
@function socket:recvfrom
@int[opt=65536] n
@treturn[1] string data
@treturn[1] table the sender's address
@return[2] nil
@treturn[2] string message or "timeout"
@treturn[2] int errno
*/
static int m_recvfrom(lua_State *L) {
  return recv_data(L, check_socket(L, 1), 1);
}

/***
Shut down reading, writing or both; "w" gives the peer end of input while
it can still answer.
@function socket:shutdown
@string[opt="rw"] how "r", "w" or "rw"
@treturn[1] handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_shutdown(lua_State *L) {
  static const char *const hows[] = { "r", "w", "rw", NULL };
  static const int values[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
  uipc_handle *h = check_socket(L, 1);
  int how = values[luaL_checkoption(L, 2, "rw", hows)];
  if (how != SHUT_RD) {
    int rc = flush_pending(L, h);
    if (rc)
      return rc;
  }
  if (shutdown(h->fd, how) < 0)
    return uipc_fail(L, "shutdown", NULL);
  lua_settop(L, 1);
  return 1;
}

/* ---- options ---- */

enum { OPT_BOOL, OPT_INT, OPT_LINGER };
static const char *const option_names[] = {
  "reuseaddr", "reuseport", "keepalive", "nodelay", "broadcast",
  "rcvbuf", "sndbuf", "linger", "ipv6only", NULL
};
static const struct { int level, name, kind; } options[] = {
  { SOL_SOCKET, SO_REUSEADDR, OPT_BOOL }, { SOL_SOCKET, SO_REUSEPORT, OPT_BOOL },
  { SOL_SOCKET, SO_KEEPALIVE, OPT_BOOL }, { IPPROTO_TCP, TCP_NODELAY, OPT_BOOL },
  { SOL_SOCKET, SO_BROADCAST, OPT_BOOL }, { SOL_SOCKET, SO_RCVBUF, OPT_INT },
  { SOL_SOCKET, SO_SNDBUF, OPT_INT }, { SOL_SOCKET, SO_LINGER, OPT_LINGER },
  { IPPROTO_IPV6, IPV6_V6ONLY, OPT_BOOL },
};

/***
Set a socket option: reuseaddr, reuseport, keepalive, nodelay, broadcast,
ipv6only (booleans), rcvbuf, sndbuf (bytes), linger (seconds, or false).
@function socket:setoption
@string name
@param value
@treturn[1] handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_setoption(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  uipc_check_nonul(L, 2, 2, "option name");
  int i = luaL_checkoption(L, 2, NULL, option_names);
  int v = 0;
  struct linger lg = { 0, 0 };
  void *val = &v;
  socklen_t len = sizeof v;
  if (options[i].kind == OPT_BOOL) {
    luaL_checktype(L, 3, LUA_TBOOLEAN);
    v = lua_toboolean(L, 3);
  } else if (options[i].kind == OPT_INT) {
    lua_Integer n = luaL_checkinteger(L, 3);
    luaL_argcheck(L, n >= 0 && n <= 0x7fffffff, 3, "size out of range");
    v = (int)n;
  } else {
    if (lua_toboolean(L, 3)) {
      lua_Integer n = luaL_checkinteger(L, 3);
      luaL_argcheck(L, n >= 0 && n <= 0x7fffffff, 3, "seconds out of range");
      lg.l_onoff = 1;
      lg.l_linger = (int)n;
    } else if (!lua_isboolean(L, 3) && !lua_isnil(L, 3)) {
      luaL_typeerror(L, 3, "seconds or false");
    }
    val = &lg;
    len = sizeof lg;
  }
  if (setsockopt(h->fd, options[i].level, options[i].name, val, len) < 0)
    return uipc_fail(L, "setoption", option_names[i]);
  lua_settop(L, 1);
  return 1;
}

/***
Read a socket option (names as for setoption): a boolean, a number, or for
linger the seconds or false.
@function socket:getoption
@string name
@return[1] the value
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_getoption(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  uipc_check_nonul(L, 2, 2, "option name");
  int i = luaL_checkoption(L, 2, NULL, option_names);
  int v = 0;
  struct linger lg = { 0, 0 };
  int lingering = options[i].kind == OPT_LINGER;
  socklen_t len = lingering ? sizeof lg : sizeof v;
  if (getsockopt(h->fd, options[i].level, options[i].name,
                 lingering ? (void *)&lg : (void *)&v, &len) < 0)
    return uipc_fail(L, "getoption", option_names[i]);
  if (lingering && lg.l_onoff)
    lua_pushinteger(L, lg.l_linger);
  else if (lingering || options[i].kind == OPT_BOOL)
    lua_pushboolean(L, !lingering && v != 0);
  else
    lua_pushinteger(L, v);
  return 1;
}

/* ---- names of the ends ---- */

/* getsockname (peer = 0) or getpeername (1) into a; 0 or -1 (errno). */
static int end_name(uipc_handle *h, int peer, uipc_sockaddr *a) {
  memset(a, 0, sizeof *a);
  a->len = sizeof a->ss;
  int r = peer ? getpeername(h->fd, UIPC_SA(a), &a->len)
               : getsockname(h->fd, UIPC_SA(a), &a->len);
  if (r == 0 && a->len == 0)
    a->ss.ss_family = (sa_family_t)h->family;
  return r;
}

/***
The local address.
@function socket:getsockname
@treturn[1] table address
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_getsockname(lua_State *L) {
  uipc_sockaddr a;
  if (end_name(check_socket(L, 1), 0, &a) < 0)
    return uipc_fail(L, "getsockname", NULL);
  uipc_addr_push(L, &a);
  return 1;
}

/***
The peer's address.
@function socket:getpeername
@treturn[1] table address
@return[2] nil
@treturn[2] string message ("getpeername: Transport endpoint is not connected")
@treturn[2] int errno
*/
static int m_getpeername(lua_State *L) {
  uipc_sockaddr a;
  if (end_name(check_socket(L, 1), 1, &a) < 0)
    return uipc_fail(L, "getpeername", NULL);
  uipc_addr_push(L, &a);
  return 1;
}

/* One field of the peer's address. */
static int peer_field(lua_State *L, const char *field) {
  int r = m_getpeername(L);
  if (r != 1)
    return r;
  lua_getfield(L, -1, field);
  return 1;
}

/***
The peer's host (numeric), or its path for a Unix-domain socket.
@function socket:peerhost
@treturn[1] string
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_peerhost(lua_State *L) {
  return peer_field(L, check_socket(L, 1)->family == AF_UNIX ? "path" : "host");
}

/***
The peer's port (nil for a Unix-domain socket).
@function socket:peerport
@treturn[1] int
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_peerport(lua_State *L) {
  return peer_field(L, "port");
}

/* ---- Unix-domain: descriptors and credentials ---- */

static uipc_handle *check_unix(lua_State *L, int arg) {
  uipc_handle *h = check_socket(L, arg);
  if (h->family != AF_UNIX)
    luaL_argerror(L, arg, "Unix-domain socket expected");
  return h;
}

typedef struct {
  struct msghdr msg;
  struct iovec iov;
  union {  /* aligned for cmsghdr */
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
  } control;
} fd_msg;

static void fd_msg_init(fd_msg *m, void *data, size_t len, size_t control) {
  memset(m, 0, sizeof *m);  /* the control buffer's padding goes out too */
  m->iov.iov_base = data;
  m->iov.iov_len = len;
  m->msg.msg_iov = &m->iov;
  m->msg.msg_iovlen = 1;
  m->msg.msg_control = m->control.buf;
  m->msg.msg_controllen = control;
}

static ssize_t try_sendmsg(uipc_handle *h, void *ctx, int ready) {
  (void)ready;
  return sendmsg(h->fd, &((fd_msg *)ctx)->msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static ssize_t try_recvmsg(uipc_handle *h, void *ctx, int ready) {
  (void)ready;
  fd_msg *m = ctx;
  m->msg.msg_controllen = sizeof m->control.buf;
  return recvmsg(h->fd, &m->msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
}

/***
Pass a descriptor to the peer (SCM_RIGHTS) with a little data.
@function socket:sendfd
@param h handle, io file or descriptor to pass
@string[opt="\0"] data sent with it (at least one byte goes)
@treturn[1] handle the socket
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_sendfd(lua_State *L) {
  uipc_handle *h = check_unix(L, 1);
  int fd = uipc_checkfd(L, 2, NULL, NULL);
  size_t len;
  const char *data = luaL_optlstring(L, 3, "", &len);
  if (len == 0)
    len = 1;  /* a stream carries descriptors only with data; "" has its NUL */
  fd_msg m;
  fd_msg_init(&m, (void *)data, len, CMSG_SPACE(sizeof fd));
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m.msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof fd);
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  ssize_t r = uipc_handle_io(L, h, POLLOUT, try_sendmsg, &m, uipc_deadline(h->timeout), 0);
  if (r < 0)
    return sock_fail(L, r, "sendfd", NULL);
  lua_settop(L, 1);
  return 1;
}

/* The first descriptor of a received message (-1 if none); any others are
 * closed, as only one was asked for. */
static int take_fd(fd_msg *m) {
  int fd = -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m->msg); cm; cm = CMSG_NXTHDR(&m->msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
      continue;
    size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int one;
      memcpy(&one, CMSG_DATA(cm) + i * sizeof(int), sizeof one);
      if (fd < 0)
        fd = one;
      else
        close(one);
    }
  }
  return fd;
}

/***
Receive a descriptor passed with sendfd.
@function socket:recvfd
@treturn[1] handle the descriptor received (close-on-exec)
@treturn[1] string the data that came with it
@return[2] nil at end of input, or nil, message, errno (EBADMSG: a message
without a descriptor; EMFILE: it came, but no descriptor slot was free)
*/
static int m_recvfd(lua_State *L) {
  uipc_handle *h = check_unix(L, 1);
  uipc_handle *got = uipc_handle_new(L);
  char data[4096];
  fd_msg m;
  fd_msg_init(&m, data, sizeof data, sizeof m.control.buf);
  ssize_t r = uipc_handle_io(L, h, POLLIN, try_recvmsg, &m, uipc_deadline(h->timeout), 1);
  if (r < 0)
    return sock_fail(L, r, "recvfd", NULL);
  int fd = take_fd(&m);
  if (fd < 0 && r == 0 && h->socktype == SOCK_STREAM) {
    lua_pushnil(L);
    return 1;
  }
  if (fd < 0 && (m.msg.msg_flags & MSG_CTRUNC))  /* the kernel had no slot */
    return uipc_fail_errno(L, EMFILE, "recvfd", NULL);
  if (fd < 0) {
    luaL_pushfail(L);
    lua_pushliteral(L, "recvfd: no descriptor in the message");
    lua_pushinteger(L, EBADMSG);
    return 3;
  }
  uipc_handle_attach(got, fd, NULL);
  lua_pushlstring(L, data, (size_t)r);
  return 2;
}

/***
The credentials of the connected peer (SO_PEERCRED).
@function socket:peercred
@treturn[1] int pid
@treturn[1] int uid
@treturn[1] int gid
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int m_peercred(lua_State *L) {
  uipc_handle *h = check_unix(L, 1);
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(h->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return uipc_fail(L, "peercred", NULL);
  lua_pushinteger(L, cred.pid);
  lua_pushinteger(L, cred.uid);
  lua_pushinteger(L, cred.gid);
  return 3;
}

/***
The family and type of a socket handle.
@function socket:socktype
@treturn string family "inet", "inet6" or "unix"
@treturn string type "stream", "dgram" or "seqpacket"
*/
static int m_socktype(lua_State *L) {
  uipc_handle *h = check_socket(L, 1);
  const char *family = uipc_familyname(h->family);
  if (family)
    lua_pushstring(L, family);
  else
    lua_pushinteger(L, h->family);
  lua_pushstring(L, uipc_socktypename(h->socktype));
  return 2;
}

static const luaL_Reg methods[] = {
  { "bind", m_bind }, { "listen", m_listen }, { "accept", m_accept },
  { "connect", m_connect }, { "send", m_send }, { "recv", m_recv },
  { "sendto", m_sendto }, { "recvfrom", m_recvfrom }, { "shutdown", m_shutdown },
  { "setoption", m_setoption }, { "getoption", m_getoption },
  { "getsockname", m_getsockname }, { "getpeername", m_getpeername },
  { "peerhost", m_peerhost }, { "peerport", m_peerport },
  { "sendfd", m_sendfd }, { "recvfd", m_recvfd }, { "peercred", m_peercred },
  { "socktype", m_socktype },
  { NULL, NULL }
};

static const luaL_Reg funcs[] = {
  { "socket", l_socket }, { "socketpair", l_socketpair },
  { NULL, NULL }
};

int uipc_socket_open(lua_State *L) {
  luaL_getmetatable(L, UIPC_HANDLE_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 2);
  uipc_register(L, funcs);
  return 0;
}
