/*
 * poller.c — ipc.poller(): readiness of many descriptors at once, for
 * servers with thousands of connections.
 *
 * The kernel side is a backend chosen by the platform header: epoll
 * (level-triggered; the wait polls the epoll descriptor through wait.c, so
 * signals and deadlines behave as in every blocking call, then takes the
 * events without waiting) or plain poll over the registered descriptors.
 * The Lua side is a slot per descriptor (what is wanted, and the handle for
 * its input buffer) plus a table descriptor -> object in the poller's user
 * value, which keeps the objects alive and gives them back. As with select,
 * a handle holding buffered, unread input is readable at once.
 */

/***
A poller over handles, io files and descriptors (epoll on Linux).
@module unixipc
*/
#include "unixipc.h"

#include <fcntl.h>

#include <string.h>
#include <unistd.h>
#ifdef UIPC_HAVE_EPOLL
#include <sys/epoll.h>
#endif

#define POLLER_MT "unixipc.poller"
#define EVENTS_MAX 4096  /* results taken from the kernel in one wait */

enum { WANT_R = 1, WANT_W = 2 };
enum { GOT_R = 1, GOT_W = 2, GOT_E = 4, GOT_DONE = 8 };
enum { UV_OBJECTS = 1, UV_SLOTS = 2, UV_BUF = 3 };

typedef struct {
  uipc_handle *h;      /* a handle (for its input buffer), else NULL */
  unsigned char want;  /* WANT_*; 0: a free slot */
  unsigned char file;  /* an io file: its buffer is looked at through Lua */
  unsigned char got;   /* GOT_* while a wait builds its answer */
} slot;

typedef struct {
  int fd;          /* the epoll descriptor (poll: 0); -1 once closed */
  int count;       /* slots in use */
  int nslots;      /* length of slots, indexed by descriptor */
  slot *slots;     /* memory of user value UV_SLOTS */
  void *buf;       /* kernel results, memory of user value UV_BUF */
  size_t bufsize;
} poller;

/* ---- backends ---- */

#ifdef UIPC_HAVE_EPOLL

typedef struct epoll_event kevent;
#define BACKEND_CAPPED 1  /* what is not taken now comes at the next wait */

static int backend_open(void) {
  return epoll_create1(EPOLL_CLOEXEC);
}

static int backend_close(int fd) {
  return close(fd);
}

/* op: EPOLL_CTL_ADD, _MOD or _DEL. */
static int backend_ctl(poller *p, int op, int fd, int want) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = (want & WANT_R ? EPOLLIN : 0) | (want & WANT_W ? EPOLLOUT : 0);
  ev.data.fd = fd;
  return epoll_ctl(p->fd, op, fd, &ev);
}
#define CTL_ADD EPOLL_CTL_ADD
#define CTL_MOD EPOLL_CTL_MOD
#define CTL_DEL EPOLL_CTL_DEL

/* Wait through wait.c on the epoll descriptor, then take what is ready:
 * the count of ready entries in buf, or -1 (errno). */
static int backend_wait(lua_State *L, poller *p, int room, double deadline) {
  int w = uipc_wait_fd(L, p->fd, POLLIN, deadline);
  if (w < 0 || p->fd < 0)
    return w;
  int n;
  do
    n = epoll_wait(p->fd, p->buf, room, 0);
  while (n < 0 && errno == EINTR);
  return n;
}

/* The descriptor and GOT_* of ready entry i. */
static int backend_ready(const poller *p, int i, int *got) {
  const struct epoll_event *ev = (const struct epoll_event *)p->buf + i;
  *got = (ev->events & EPOLLIN ? GOT_R : 0) | (ev->events & EPOLLOUT ? GOT_W : 0) |
         (ev->events & (EPOLLERR | EPOLLHUP) ? GOT_E : 0);
  return ev->data.fd;
}

#else  /* poll over the slots */

typedef struct pollfd kevent;
#define BACKEND_CAPPED 0  /* every descriptor is polled every time */

static int backend_open(void) {
  return 0;
}

static int backend_close(int fd) {
  (void)fd;
  return 0;
}

static int backend_ctl(poller *p, int op, int fd, int want) {
  (void)p, (void)op, (void)fd, (void)want;
  return 0;  /* the slots are the interest list */
}
#define CTL_ADD 0
#define CTL_MOD 1
#define CTL_DEL 2

static int backend_wait(lua_State *L, poller *p, int room, double deadline) {
  struct pollfd *fds = p->buf;
  int n = 0;
  for (int fd = 0; fd < p->nslots && n < room - 1; fd++)
    if (p->slots[fd].want) {
      fds[n].fd = fd;
      fds[n].events = (p->slots[fd].want & WANT_R ? POLLIN : 0) |
                      (p->slots[fd].want & WANT_W ? POLLOUT : 0);
      fds[n++].revents = 0;
    }
  int r = uipc_poll(L, fds, (nfds_t)n, deadline);
  if (r <= 0)
    return r;
  int k = 0;  /* the ready ones to the front */
  for (int i = 0; i < n; i++)
    if (fds[i].revents)
      fds[k++] = fds[i];
  return k;
}

static int backend_ready(const poller *p, int i, int *got) {
  const struct pollfd *pf = (const struct pollfd *)p->buf + i;
  *got = (pf->revents & POLLIN ? GOT_R : 0) | (pf->revents & POLLOUT ? GOT_W : 0) |
         (pf->revents & (POLLERR | POLLHUP | POLLNVAL) ? GOT_E : 0);
  return pf->fd;
}

#endif

/* ---- the poller object ---- */

static poller *check_poller(lua_State *L, int arg) {
  poller *p = luaL_checkudata(L, arg, POLLER_MT);
  if (p->fd < 0)
    luaL_argerror(L, arg, "attempt to use a closed poller");
  return p;
}

/* A block of Lua-managed memory kept in user value uv of the poller at
 * index 1, grown to at least `size` (old contents kept). */
static void *uv_block(lua_State *L, int uv, void *old, size_t oldsize, size_t size) {
  void *mem = lua_newuserdatauv(L, size, 0);
  memset(mem, 0, size);
  if (old)
    memcpy(mem, old, oldsize);
  lua_setiuservalue(L, 1, uv);
  return mem;
}

/* The slot of fd, growing the array as needed. */
static slot *slot_at(lua_State *L, poller *p, int fd) {
  if (fd >= p->nslots) {
    size_t n = p->nslots ? (size_t)p->nslots : 64;
    while (n <= (size_t)fd)  /* fd is an open descriptor: below its limit */
      n *= 2;
    p->slots = uv_block(L, UV_SLOTS, p->slots, sizeof(slot) * (size_t)p->nslots,
                        sizeof(slot) * (size_t)n);
    p->nslots = (int)n;
  }
  return &p->slots[fd];
}

static int check_mode(lua_State *L, int arg) {
  static const char *const modes[] = { "r", "w", "rw", NULL };
  static const int wants[] = { WANT_R, WANT_W, WANT_R | WANT_W };
  return wants[luaL_checkoption(L, arg, NULL, modes)];
}

/* Whether the object registered for fd is `obj` itself (at idx). */
static int registered_as(lua_State *L, int fd, int idx) {
  lua_getiuservalue(L, 1, UV_OBJECTS);
  lua_rawgeti(L, -1, fd);
  int same = lua_rawequal(L, -1, idx);
  lua_pop(L, 2);
  return same;
}

/* Whether the object registered for fd still stands for that descriptor
 * (a handle closed meanwhile does not, and the number may be reused). */
static int still_there(lua_State *L, int fd) {
  lua_getiuservalue(L, 1, UV_OBJECTS);
  lua_rawgeti(L, -1, fd);
  int live = uipc_tofd(L, -1, NULL, NULL) == fd;
  lua_pop(L, 2);
  return live;
}

static void forget(lua_State *L, poller *p, int fd) {
  backend_ctl(p, CTL_DEL, fd, 0);  /* fails harmlessly for a closed one */
  p->slots[fd].want = 0;
  p->slots[fd].h = NULL;
  p->count--;
  lua_getiuservalue(L, 1, UV_OBJECTS);
  lua_pushnil(L);
  lua_rawseti(L, -2, fd);
  lua_pop(L, 1);
}

static int ctl_fail(lua_State *L, const char *what, int fd) {
  int err = errno;
  lua_pushfstring(L, "fd %d", fd);
  return uipc_fail_errno(L, err, what, lua_tostring(L, -1));
}

/***
Watch an object for reading ("r"), writing ("w") or both ("rw"). Epoll
cannot watch regular files (nil, message, EPERM); select can.
@function poller:add
@param h handle, io file or descriptor
@string mode "r", "w" or "rw"
@treturn[1] poller
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int p_add(lua_State *L) {
  poller *p = check_poller(L, 1);
  uipc_handle *h;
  void *f;
  int fd = uipc_checkfd(L, 2, &h, &f);
  int want = check_mode(L, 3);
  if (fcntl(fd, F_GETFD) < 0)  /* before the slot array grows to its number */
    return ctl_fail(L, "poller add", fd);
  slot *s = slot_at(L, p, fd);
  if (s->want) {
    if (still_there(L, fd))
      return luaL_argerror(L, 2, "already in the poller (use modify)");
    forget(L, p, fd);
  }
  if (backend_ctl(p, CTL_ADD, fd, want) < 0)
    return ctl_fail(L, "poller add", fd);
  s->want = (unsigned char)want;
  s->h = h;
  s->file = f != NULL;
  p->count++;
  lua_getiuservalue(L, 1, UV_OBJECTS);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, fd);
  lua_settop(L, 1);
  return 1;
}

/* The descriptor of the registered object at arg, or raise. */
static int registered_fd(lua_State *L, poller *p, int arg) {
  int fd = uipc_tofd(L, arg, NULL, NULL);
  if (fd == -2) {  /* closed since: find it by identity */
    lua_getiuservalue(L, 1, UV_OBJECTS);
    lua_pushnil(L);
    while (fd < 0 && lua_next(L, -2)) {
      if (lua_rawequal(L, -1, arg))
        fd = (int)lua_tointeger(L, -2);
      lua_pop(L, 1);
    }
    lua_settop(L, lua_gettop(L) - (fd >= 0 ? 2 : 1));
  }
  if (fd < 0 || fd >= p->nslots || !p->slots[fd].want || !registered_as(L, fd, arg))
    luaL_argerror(L, arg, "not in the poller");
  return fd;
}

/***
Change what an object is watched for.
@function poller:modify
@param h an object added before
@string mode "r", "w" or "rw"
@treturn[1] poller
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int p_modify(lua_State *L) {
  poller *p = check_poller(L, 1);
  int fd = registered_fd(L, p, 2);
  int want = check_mode(L, 3);
  if (backend_ctl(p, CTL_MOD, fd, want) < 0)
    return ctl_fail(L, "poller modify", fd);
  p->slots[fd].want = (unsigned char)want;
  lua_settop(L, 1);
  return 1;
}

/***
Stop watching an object (a handle closed meanwhile may be removed too).
@function poller:remove
@param h an object added before
@treturn poller
*/
static int p_remove(lua_State *L) {
  poller *p = check_poller(L, 1);
  forget(L, p, registered_fd(L, p, 2));
  lua_settop(L, 1);
  return 1;
}

/* Input a slot's object holds in its buffer (readable at once). */
static int has_buffered(lua_State *L, const slot *s, int fd) {
  if (!(s->want & WANT_R))
    return 0;
  if (s->h)
    return s->h->closef != NULL && s->h->fd == fd && s->h->rlen > s->h->rpos;
  if (!s->file)
    return 0;
  uipc_handle *h;
  void *f;
  lua_getiuservalue(L, 1, UV_OBJECTS);
  lua_rawgeti(L, -1, fd);
  int live = uipc_tofd(L, -1, &h, &f) == fd;
  lua_pop(L, 2);
  return live && uipc_buffered_input(h, f) > 0;
}

/* How many slots hold buffered input; with `mark`, they are marked
 * readable for the answer. */
static int buffered_slots(lua_State *L, poller *p, int mark) {
  int n = 0;
  for (int fd = 0; fd < p->nslots; fd++)
    if (p->slots[fd].want && has_buffered(L, &p->slots[fd], fd)) {
      if (mark)
        p->slots[fd].got = GOT_R;
      n++;
    }
  return n;
}

/* Append {object, events} for fd to the result at -2 (objects at -1). */
static void push_ready(lua_State *L, int fd, int got, int *k) {
  char ev[4];
  int n = 0;
  if (got & GOT_R) ev[n++] = 'r';
  if (got & GOT_W) ev[n++] = 'w';
  if (got & GOT_E) ev[n++] = 'e';
  lua_createtable(L, 2, 0);
  lua_rawgeti(L, -2, fd);
  lua_rawseti(L, -2, 1);
  lua_pushlstring(L, ev, (size_t)n);
  lua_rawseti(L, -2, 2);
  lua_rawseti(L, -3, ++*k);
}

/* The result array from n ready kernel entries and the buffered slots. */
static void build_result(lua_State *L, poller *p, int n, int buffered) {
  lua_createtable(L, n + buffered, 0);
  lua_getiuservalue(L, 1, UV_OBJECTS);
  int k = 0;
  for (int i = 0; i < n; i++) {
    int got, fd = backend_ready(p, i, &got);
    if (fd >= p->nslots || !p->slots[fd].want)
      continue;  /* removed by a signal handler meanwhile */
    if (!still_there(L, fd)) {
      forget(L, p, fd);  /* closed without being removed */
      continue;
    }
    slot *s = &p->slots[fd];
    if ((got & GOT_E) && (s->want & WANT_R))
      got |= GOT_R;  /* hang-up: a read gives the end of input, as select says */
    got &= (s->want & WANT_R ? GOT_R : 0) | (s->want & WANT_W ? GOT_W : 0) | GOT_E;
    push_ready(L, fd, got | (s->got & GOT_R), &k);
    s->got = GOT_DONE;
  }
  for (int fd = 0; fd < p->nslots; fd++) {
    if (p->slots[fd].got == GOT_R)
      push_ready(L, fd, GOT_R, &k);
    p->slots[fd].got = 0;
  }
  lua_pop(L, 1);
}

/***
Wait until some watched objects are ready, or the timeout passes.
A handle holding buffered input is readable at once. Signal handlers run
during the wait; one that raises ends it with its error.
@function poller:wait
@number[opt] timeout seconds (none: wait as long as it takes)
@treturn[1] table an array of `{h, events}`, events a string of "r", "w"
and "e" (error or hang-up, which also reads as "r" for a reader); empty
on timeout
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage for _, ev in ipairs(p:wait(5)) do serve(ev[1], ev[2]) end
*/
static int p_wait(lua_State *L) {
  poller *p = check_poller(L, 1);
  double timeout = uipc_opttimeout(L, 2);
  lua_settop(L, 1);
  int room = p->count + 1;
  if (BACKEND_CAPPED && room > EVENTS_MAX)
    room = EVENTS_MAX;
  if (p->bufsize < (size_t)room * sizeof(kevent)) {
    p->bufsize = (size_t)room * 2 * sizeof(kevent);
    p->buf = uv_block(L, UV_BUF, NULL, 0, p->bufsize);
  }
  int buffered = buffered_slots(L, p, 0);
  int n = backend_wait(L, p, room, buffered ? uipc_monotime() : uipc_deadline(timeout));
  if (p->fd < 0)
    return luaL_error(L, "poller closed by a signal handler during wait");
  if (n < 0)
    return uipc_fail(L, "poller wait", NULL);
  buffered = buffered_slots(L, p, 1);  /* handlers may have read or closed */
  build_result(L, p, n, buffered);
  return 1;
}

/***
The number of objects watched.
@function poller:count
@treturn int
*/
static int p_count(lua_State *L) {
  lua_pushinteger(L, check_poller(L, 1)->count);
  return 1;
}

/* close, __gc and __close: idempotent. */
static int p_gc(lua_State *L) {
  poller *p = luaL_checkudata(L, 1, POLLER_MT);
  if (p->fd >= 0) {
    int fd = p->fd;
    p->fd = -1;
    backend_close(fd);
  }
  return 0;
}

/***
Close the poller (the objects it watched stay open).
@function poller:close
@treturn boolean true
*/
static int p_close(lua_State *L) {
  check_poller(L, 1);
  p_gc(L);
  lua_pushboolean(L, 1);
  return 1;
}

static int p_tostring(lua_State *L) {
  poller *p = luaL_checkudata(L, 1, POLLER_MT);
  if (p->fd < 0)
    lua_pushliteral(L, "unixipc.poller (closed)");
  else
    lua_pushfstring(L, "unixipc.poller (%d watched)", p->count);
  return 1;
}

/***
A new poller: `p:add(h, "r"|"w"|"rw")`, `p:modify`, `p:remove`,
`p:wait([timeout])`, `p:close()`. Epoll on Linux, poll elsewhere.
@function poller
@treturn[1] poller
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local p = ipc.poller(); p:add(server, "r")
*/
static int l_poller(lua_State *L) {
  poller *p = lua_newuserdatauv(L, sizeof *p, 3);
  memset(p, 0, sizeof *p);
  p->fd = -1;
  luaL_setmetatable(L, POLLER_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, UV_OBJECTS);
  p->fd = backend_open();
  if (p->fd < 0)
    return uipc_fail(L, "poller", NULL);
  return 1;
}

static const luaL_Reg methods[] = {
  { "add", p_add }, { "modify", p_modify }, { "remove", p_remove },
  { "wait", p_wait }, { "count", p_count }, { "close", p_close },
  { NULL, NULL }
};

static const luaL_Reg metamethods[] = {
  { "__gc", p_gc }, { "__close", p_gc }, { "__tostring", p_tostring },
  { NULL, NULL }
};

static const luaL_Reg funcs[] = {
  { "poller", l_poller },
  { NULL, NULL }
};

int uipc_poller_open(lua_State *L) {
  if (luaL_newmetatable(L, POLLER_MT)) {
    luaL_setfuncs(L, metamethods, 0);
    luaL_newlibtable(L, methods);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  uipc_register(L, funcs);
  return 0;
}
