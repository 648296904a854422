/*
 * handle.c — one buffered, binary-safe handle type for every descriptor.
 *
 * Layers, bottom up: a driver makes one attempt at a read or write that never
 * blocks (recv/send with MSG_DONTWAIT for sockets, RWF_NOWAIT for pipes and
 * FIFOs, poll first where the kernel offers neither); io_wait() waits through
 * wait.c when an attempt would block, so signals, timeouts and blocking mode
 * apply uniformly; the input buffer serves Lua 5.4's read formats, lines and
 * expect; the output buffer implements setvbuf. Pipes, sockets, FIFOs and
 * ptys all use this one type.
 *
 * A Lua signal handler may run inside any wait, and may even close or read
 * the handle: after every wait the buffer pointers are taken afresh and a
 * closed handle raises.
 */

/***
Handles: one buffered, binary-safe type for pipes, sockets, FIFOs and ptys.
Writes are unbuffered unless `setvbuf` says otherwise. A read or write that
waits honours the handle's timeout and blocking mode, and signals.
@module unixipc
*/
#include "unixipc.h"

#include <ctype.h>
#include <locale.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lualib.h"

#define READ_CHUNK (64 * 1024)    /* input buffer size, grown on demand */
#define WRITE_CHUNK (16 * 1024)   /* default output buffer */
#define KEEP_MAX (1024 * 1024)    /* a buffer grown past this is given back */

enum { VBUF_NO, VBUF_LINE, VBUF_FULL };
enum { KIND_POLLFIRST = UIPC_KIND_SOCKET + 1 };

static uipc_handle *pending_list;  /* handles holding unwritten output */

/* ---- memory through the state's allocator ---- */

static void *mem_resize(lua_State *L, void *p, size_t old, size_t size) {
  void *ud;
  lua_Alloc alloc = lua_getallocf(L, &ud);
  void *q = alloc(ud, p, old, size);
  if (q == NULL && size > 0)
    luaL_error(L, "not enough memory");
  return q;
}

static void buffers_free(lua_State *L, uipc_handle *h) {
  mem_resize(L, h->rbuf, h->rcap, 0);
  mem_resize(L, h->wbuf, h->wcap, 0);
  h->rbuf = h->wbuf = NULL;
  h->rcap = h->rpos = h->rlen = h->wcap = h->wlen = 0;
}

/* ---- the list of handles with pending output (flushed before a fork) ---- */

static void pending_update(uipc_handle *h) {
  int want = h->wlen > 0 && h->fd >= 0;
  if (want == !!(h->flags & UIPC_H_PENDING))
    return;
  if (want) {
    h->next_pending = pending_list;
    h->prev_pending = NULL;
    if (pending_list)
      pending_list->prev_pending = h;
    pending_list = h;
    h->flags |= UIPC_H_PENDING;
  } else {
    if (h->prev_pending)
      h->prev_pending->next_pending = h->next_pending;
    else
      pending_list = h->next_pending;
    if (h->next_pending)
      h->next_pending->prev_pending = h->prev_pending;
    h->flags &= ~UIPC_H_PENDING;
  }
}

/* ---- drivers: one attempt that does not block ---- */

/* Bytes moved, or -1 with errno (EAGAIN: it would block). `ready` says that
 * poll has just reported the descriptor ready. */
static ssize_t drive(uipc_handle *h, int writing, void *buf, size_t n, int ready) {
  struct iovec iov = { buf, n };
  ssize_t r;
  switch (h->kind) {
  case UIPC_KIND_SOCKET:
    return writing ? send(h->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                   : recv(h->fd, buf, n, MSG_DONTWAIT);
  case UIPC_KIND_NOWAIT:
    r = writing ? pwritev2(h->fd, &iov, 1, -1, RWF_NOWAIT)
                : preadv2(h->fd, &iov, 1, -1, RWF_NOWAIT);
    if (r >= 0 || (errno != EOPNOTSUPP && errno != EINVAL))
      return r;
    h->kind = KIND_POLLFIRST;  /* this descriptor cannot: poll, then act */
    /* fall through */
  case KIND_POLLFIRST:
    if (!ready) {
      errno = EAGAIN;
      return -1;
    }
    /* fall through */
  default:
    return writing ? write(h->fd, buf, n) : read(h->fd, buf, n);
  }
}

ssize_t uipc_handle_io(lua_State *L, uipc_handle *h, short events,
                       uipc_attempt attempt, void *ctx, double deadline, int adaptive) {
  int waited = adaptive && (h->flags & (UIPC_H_WAITFIRST | UIPC_H_NONBLOCK)) ==
                               UIPC_H_WAITFIRST;
  for (;;) {
    if (waited) {
      int w = uipc_wait_fd(L, h->fd, events, deadline);
      if (h->fd < 0)
        luaL_error(L, "handle closed by a signal handler during a wait");
      if (w <= 0)
        return w == 0 ? -2 : -1;
    }
    ssize_t r = attempt(h, ctx, waited);
    if (r >= 0)
      return r;
    if (errno == EINTR) {
      waited = 0;
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return -1;
    if (adaptive)
      h->flags |= UIPC_H_WAITFIRST;
    if (h->flags & UIPC_H_NONBLOCK)
      return -1;
    waited = 1;
  }
}

/* ---- input buffer ---- */

static size_t unread(const uipc_handle *h) {
  return h->rlen - h->rpos;
}

/* The first unread byte; "" before the buffer exists (no arithmetic on
 * NULL, which C leaves undefined even for an offset of 0). */
static const char *unread_text(const uipc_handle *h) {
  return h->rbuf != NULL ? h->rbuf + h->rpos : "";
}

/* Make room for at least `want` more bytes after the unread ones. */
static void rbuf_reserve(lua_State *L, uipc_handle *h, size_t want) {
  if (h->rpos == h->rlen)
    h->rpos = h->rlen = 0;
  if (h->rcap - h->rlen >= want)
    return;
  size_t left = unread(h);
  if (h->rpos > 0 && h->rcap - left >= want) {
    memmove(h->rbuf, h->rbuf + h->rpos, left);
    h->rpos = 0;
    h->rlen = left;
    return;
  }
  size_t cap = h->rcap ? h->rcap : READ_CHUNK;
  while (cap - left < want)
    cap *= 2;
  char *nb = mem_resize(L, NULL, 0, cap);
  if (left)
    memcpy(nb, h->rbuf + h->rpos, left);
  mem_resize(L, h->rbuf, h->rcap, 0);
  h->rbuf = nb;
  h->rcap = cap;
  h->rpos = 0;
  h->rlen = left;
}

/* A buffer grown for one big read goes back to its usual size. */
static void rbuf_shrink(lua_State *L, uipc_handle *h) {
  if (h->rcap > KEEP_MAX && unread(h) == 0) {
    mem_resize(L, h->rbuf, h->rcap, 0);
    h->rbuf = NULL;
    h->rcap = h->rpos = h->rlen = 0;
  }
}

/* Read into the free end of the input buffer (taken afresh after a wait:
 * a handler may have read meanwhile). */
static ssize_t attempt_fill(uipc_handle *h, void *ctx, int ready) {
  (void)ctx;
  return drive(h, 0, h->rbuf + h->rlen, h->rcap - h->rlen, ready);
}

/* Read more input: 1 got some, 0 end of input, -1 error, -2 timeout.
 * Reads are adaptive: after one that found nothing, the next waits first
 * (in a conversation the peer has not answered yet); one that filled the
 * buffer says more may be there. */
static int fill(lua_State *L, uipc_handle *h, double deadline) {
  if (h->rcap - h->rlen < READ_CHUNK / 4)
    rbuf_reserve(L, h, h->rcap ? h->rcap / 2 : READ_CHUNK);
  size_t space = h->rcap - h->rlen;
  ssize_t r = uipc_handle_io(L, h, POLLIN, attempt_fill, NULL, deadline, 1);
  if (r > 0) {
    if ((size_t)r == space)
      h->flags &= ~UIPC_H_WAITFIRST;
    h->rlen += (size_t)r;
    return 1;
  }
  if (r == -1 && errno == EIO && (h->flags & UIPC_H_EIO_EOF))
    return 0;  /* the pty's slave side is gone */
  return (int)r;
}

static void consume(uipc_handle *h, size_t n) {
  h->rpos += n;
  if (h->rpos == h->rlen)
    h->rpos = h->rlen = 0;
}

/* ---- handle lifecycle ---- */

static uipc_handle *tohandle(lua_State *L, int arg) {
  return (uipc_handle *)luaL_checkudata(L, arg, UIPC_HANDLE_MT);
}

uipc_handle *uipc_handle_check(lua_State *L, int arg) {
  uipc_handle *h = tohandle(L, arg);
  if (h->closef == NULL)
    luaL_argerror(L, arg, "attempt to use a closed handle");
  return h;
}

uipc_handle *uipc_handle_new(lua_State *L) {
  uipc_handle *h = (uipc_handle *)lua_newuserdatauv(L, sizeof *h, 1);
  memset(h, 0, sizeof *h);
  h->fd = -1;
  h->timeout = -1;
  luaL_setmetatable(L, UIPC_HANDLE_MT);
  return h;
}

/* The plain strategy: close the descriptor. */
static int close_fd(lua_State *L, uipc_handle *h, int fd, int may_wait) {
  (void)h;
  (void)may_wait;
  if (close(fd) < 0 && errno != EINTR)
    return uipc_fail(L, "close", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

void uipc_handle_attach_kind(uipc_handle *h, int fd, uipc_closef closef, int kind,
                             int nonblock) {
  h->fd = fd;
  h->closef = closef ? closef : close_fd;
  h->kind = kind;
  if (nonblock)
    h->flags |= UIPC_H_NONBLOCK;
}

void uipc_handle_attach(uipc_handle *h, int fd, uipc_closef closef) {
  struct stat st;
  int kind = UIPC_KIND_PLAIN;
  if (fstat(fd, &st) == 0) {
    if (S_ISSOCK(st.st_mode))
      kind = UIPC_KIND_SOCKET;
    else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
      kind = UIPC_KIND_NOWAIT;
  }
  int fl = fcntl(fd, F_GETFL);
  uipc_handle_attach_kind(h, fd, closef, kind, fl >= 0 && (fl & O_NONBLOCK));
}

/* ---- output ---- */

static ssize_t attempt_flush(uipc_handle *h, void *ctx, int ready) {
  (void)ctx;
  return drive(h, 1, h->wbuf, h->wlen, ready);
}

/* Write out the output buffer: 0 done, -1 error, -2 timeout. With
 * `may_wait` false it only writes what the descriptor takes at once. */
static int flush_buffer(lua_State *L, uipc_handle *h, double deadline, int may_wait) {
  int rc = 0;
  while (h->wlen > 0 && h->fd >= 0) {
    ssize_t r;
    if (may_wait) {
      r = uipc_handle_io(L, h, POLLOUT, attempt_flush, NULL, deadline, 0);
    } else {
      r = drive(h, 1, h->wbuf, h->wlen, 1);
      if (r < 0 && errno == EINTR)
        continue;
    }
    if (r < 0) {
      rc = (int)r;
      break;
    }
    memmove(h->wbuf, h->wbuf + r, h->wlen - (size_t)r);
    h->wlen -= (size_t)r;
  }
  pending_update(h);
  return rc;
}

/* Output that is not in the buffer (a string anchored on the Lua stack). */
typedef struct {
  const char *s;
  size_t len;
} span;

static ssize_t attempt_span(uipc_handle *h, void *ctx, int ready) {
  span *sp = (span *)ctx;
  return drive(h, 1, (void *)sp->s, sp->len, ready);
}

static int write_direct(lua_State *L, uipc_handle *h, const char *s, size_t len,
                        double deadline) {
  while (len > 0) {
    span sp = { s, len };
    ssize_t r = uipc_handle_io(L, h, POLLOUT, attempt_span, &sp, deadline, 0);
    if (r < 0)
      return (int)r;
    s += r;
    len -= (size_t)r;
  }
  return 0;
}

static void wbuf_alloc(lua_State *L, uipc_handle *h) {
  if (h->wbuf == NULL) {
    if (h->wcap == 0)
      h->wcap = WRITE_CHUNK;
    h->wbuf = mem_resize(L, NULL, 0, h->wcap);
  }
}

/* Queue or write one piece; 0, -1 error, -2 timeout. */
static int put(lua_State *L, uipc_handle *h, const char *s, size_t len, double deadline) {
  wbuf_alloc(L, h);
  if (h->wlen + len > h->wcap) {
    int rc = flush_buffer(L, h, deadline, 1);
    if (rc < 0)
      return rc;
    if (len >= h->wcap)
      return write_direct(L, h, s, len, deadline);
  }
  memcpy(h->wbuf + h->wlen, s, len);
  h->wlen += len;
  return 0;
}

/* Push the result of a failed operation: rc -1 (errno) or -2 (timeout). */
static int io_fail(lua_State *L, int rc, const char *what) {
  if (rc == -2)
    return uipc_fail_timeout(L);
  return uipc_fail(L, what, NULL);
}

/* A failed write or flush. Output that can never be written (a hard error)
 * is dropped, so close and exit do not try again; after a timeout or EAGAIN
 * buffered output stays for a retry, except in unbuffered mode, where the
 * caller still holds the data and would write it twice. */
static int write_fail(lua_State *L, uipc_handle *h, int rc, const char *what) {
  int err = errno;
  int again = rc == -2 || err == EAGAIN || err == EWOULDBLOCK;
  if (!again || h->vbuf == VBUF_NO) {
    h->wlen = 0;
    pending_update(h);
  }
  errno = err;
  return io_fail(L, rc, what);
}

/* A number as Lua's io writes it: floats in LUA_NUMBER_FMT, no ".0". */
static const char *number_text(lua_State *L, int i, char *buf, size_t *len) {
  int n = lua_isinteger(L, i)
      ? snprintf(buf, 64, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, i))
      : snprintf(buf, 64, LUA_NUMBER_FMT, (LUAI_UACNUMBER)lua_tonumber(L, i));
  *len = (size_t)n;
  return buf;
}

/***
Write strings and numbers.
@function handle:write
@param ... strings or numbers
@treturn[1] handle the handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int h_write(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  int n = lua_gettop(L);
  double deadline = uipc_deadline(h->timeout);
  int newline = 0;
  for (int i = 2; i <= n; i++)  /* all checked before anything is written */
    if (lua_type(L, i) != LUA_TNUMBER)
      luaL_checktype(L, i, LUA_TSTRING);
  for (int i = 2; i <= n; i++) {
    size_t len;
    char num[64];
    const char *s = lua_type(L, i) == LUA_TNUMBER ? number_text(L, i, num, &len)
                                                  : lua_tolstring(L, i, &len);
    if (h->vbuf == VBUF_LINE && memchr(s, '\n', len))
      newline = 1;
    int rc = put(L, h, s, len, deadline);
    if (rc < 0)
      return write_fail(L, h, rc, "write");
  }
  if (h->vbuf == VBUF_NO || newline) {
    int rc = flush_buffer(L, h, deadline, 1);
    if (rc < 0)
      return write_fail(L, h, rc, "write");
  }
  pending_update(h);
  lua_settop(L, 1);
  return 1;
}

/***
Write out buffered output.
@function handle:flush
@treturn[1] handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int h_flush(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  int rc = flush_buffer(L, h, uipc_deadline(h->timeout), 1);
  if (rc < 0)
    return write_fail(L, h, rc, "flush");
  lua_settop(L, 1);
  return 1;
}

/* Before a fork: first what the descriptors take at once (no handler can
 * run, so the list holds still), then a full flush of each one left,
 * starting over from the head since handlers may change the list. Output
 * that cannot be written is dropped: the child must not write it again. */
void uipc_flush_all(lua_State *L) {
  for (uipc_handle *h = pending_list, *next; h != NULL; h = next) {
    next = h->next_pending;
    flush_buffer(L, h, -1, 0);
  }
  uipc_handle *h;
  while ((h = pending_list) != NULL) {
    if (flush_buffer(L, h, uipc_deadline(h->timeout), 1) < 0) {
      h->wlen = 0;
      pending_update(h);
    }
  }
}

/* ---- close ---- */

/* Mark closed first, then give the descriptor back through the strategy. */
static int handle_close(lua_State *L, uipc_handle *h, int may_wait) {
  int flush_err = 0, rc = flush_buffer(L, h, uipc_deadline(h->timeout), may_wait);
  if (rc < 0)
    flush_err = rc == -2 ? ETIMEDOUT : errno;
  int fd = h->fd;
  uipc_closef closef = h->closef;
  h->fd = -1;
  h->closef = NULL;
  h->wlen = 0;
  pending_update(h);
  buffers_free(L, h);
  int nres = closef(L, h, fd, may_wait);
  if (flush_err) {
    lua_pop(L, nres);
    return uipc_fail_errno(L, flush_err, "close", NULL);
  }
  return nres;
}

/***
Close the handle (flushing first). Using it afterwards raises.
@function handle:close
@treturn[1] boolean true (a pipe to a process returns its exit status triple)
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int h_close(lua_State *L) {
  return handle_close(L, uipc_handle_check(L, 1), 1);
}

/* __gc and __close: idempotent, never waits. */
static int h_gc(lua_State *L) {
  uipc_handle *h = tohandle(L, 1);
  if (h->closef != NULL) {
    int top = lua_gettop(L);
    handle_close(L, h, 0);
    lua_settop(L, top);
  }
  return 0;
}

static int h_tostring(lua_State *L) {
  uipc_handle *h = tohandle(L, 1);
  if (h->closef == NULL)
    lua_pushliteral(L, "unixipc.handle (closed)");
  else
    lua_pushfstring(L, "unixipc.handle (fd %d)", h->fd);
  return 1;
}

/* ---- reading ---- */

/* Line: 1 pushed, 0 end of input, <0 failure. `chop` drops the newline. */
static int read_line(lua_State *L, uipc_handle *h, int chop, double deadline) {
  size_t scanned = 0;
  for (;;) {
    const char *start = unread_text(h);
    const char *nl = unread(h) > scanned ? memchr(start + scanned, '\n', unread(h) - scanned) : NULL;
    if (nl != NULL) {
      size_t len = (size_t)(nl - start) + 1;
      lua_pushlstring(L, start, chop ? len - 1 : len);
      consume(h, len);
      return 1;
    }
    scanned = unread(h);
    int rc = fill(L, h, deadline);
    if (rc == 0) {  /* end of input: the last line has no newline */
      if (unread(h) == 0)
        return 0;
      lua_pushlstring(L, unread_text(h), unread(h));
      consume(h, unread(h));
      return 1;
    }
    if (rc < 0)
      return rc;
  }
}

static int read_all(lua_State *L, uipc_handle *h, double deadline) {
  int rc;
  while ((rc = fill(L, h, deadline)) > 0)
    ;
  if (rc < 0)
    return rc;
  lua_pushlstring(L, unread_text(h), unread(h));
  consume(h, unread(h));
  rbuf_shrink(L, h);
  return 1;
}

/* Up to n bytes (fewer only at end of input); read(0) tests for end. */
static int read_count(lua_State *L, uipc_handle *h, size_t n, double deadline) {
  int rc;
  if (n == 0) {
    if (unread(h) == 0 && (rc = fill(L, h, deadline)) <= 0)
      return rc;
    lua_pushliteral(L, "");
    return 1;
  }
  if (n > unread(h))  /* room grows with what arrives, not with what is asked */
    rbuf_reserve(L, h, n - unread(h) < KEEP_MAX ? n - unread(h) : KEEP_MAX);
  while (unread(h) < n && (rc = fill(L, h, deadline)) != 0)
    if (rc < 0)
      return rc;
  if (unread(h) == 0)
    return 0;
  size_t k = n < unread(h) ? n : unread(h);
  lua_pushlstring(L, h->rbuf + h->rpos, k);
  consume(h, k);
  rbuf_shrink(L, h);
  return 1;
}

/* Next byte without consuming it: the byte, -1 end of input, <-1 failure. */
static int peek(lua_State *L, uipc_handle *h, double deadline) {
  if (unread(h) == 0) {
    int rc = fill(L, h, deadline);
    if (rc == 0)
      return -1;
    if (rc < 0)
      return rc - 1;
  }
  return (unsigned char)h->rbuf[h->rpos];
}

/* The "n" format, as Lua's io reads numerals (at most 200 characters). */
typedef struct {
  lua_State *L;
  uipc_handle *h;
  double deadline;
  int c, n, err;
  char buf[201];
} numreader;

static int nr_next(numreader *r) {
  if (r->n >= 200) {
    r->buf[0] = '\0';
    return 0;
  }
  r->buf[r->n++] = (char)r->c;
  consume(r->h, 1);
  r->c = peek(r->L, r->h, r->deadline);
  if (r->c < -1)
    r->err = r->c + 1;
  return 1;
}

static int nr_test2(numreader *r, const char *set) {
  if (r->c >= 0 && (r->c == set[0] || r->c == set[1]))
    return nr_next(r);
  return 0;
}

static int nr_digits(numreader *r, int hex) {
  int count = 0;
  while (r->c >= 0 && (hex ? isxdigit(r->c) : isdigit(r->c)) && nr_next(r))
    count++;
  return count;
}

static int read_number(lua_State *L, uipc_handle *h, double deadline) {
  numreader r = { L, h, deadline, 0, 0, 0, { 0 } };
  do {
    r.c = peek(L, h, deadline);
    if (r.c < -1)
      return r.c + 1;
    if (r.c >= 0 && isspace(r.c))
      consume(h, 1);
  } while (r.c >= 0 && isspace(r.c));
  int count = 0, hex = 0;
  char point = lua_getlocaledecpoint();
  nr_test2(&r, "-+");
  if (nr_test2(&r, "00")) {
    if (nr_test2(&r, "xX"))
      hex = 1;
    else
      count = 1;
  }
  count += nr_digits(&r, hex);
  char pt[2] = { point, '.' };
  if (nr_test2(&r, pt))
    count += nr_digits(&r, hex);
  if (count > 0 && nr_test2(&r, hex ? "pP" : "eE")) {
    nr_test2(&r, "-+");
    nr_digits(&r, 0);
  }
  if (r.err)
    return r.err;
  r.buf[r.n] = '\0';
  if (lua_stringtonumber(L, r.buf))
    return 1;
  return 0;  /* not a numeral: fail, as io.read("n") does */
}

/* Read the formats at first..top; returns the number of results. */
static int g_read(lua_State *L, uipc_handle *h, int first) {
  int nargs = lua_gettop(L) - first + 1;
  double deadline = uipc_deadline(h->timeout);
  if (nargs <= 0) {
    lua_settop(L, first - 1);
    lua_pushliteral(L, "l");
    nargs = 1;
  }
  luaL_checkstack(L, nargs + LUA_MINSTACK, "too many arguments");
  int n, rc = 1;
  for (n = first; nargs-- && rc > 0; n++) {
    if (lua_type(L, n) == LUA_TNUMBER) {
      lua_Integer k = luaL_checkinteger(L, n);
      luaL_argcheck(L, k >= 0, n, "count must not be negative");
      rc = read_count(L, h, (size_t)k, deadline);
    } else {
      const char *p = luaL_checkstring(L, n);
      if (*p == '*')
        p++;  /* Lua 5.1-5.3 spellings */
      switch (*p) {
      case 'n': rc = read_number(L, h, deadline); break;
      case 'l': rc = read_line(L, h, 1, deadline); break;
      case 'L': rc = read_line(L, h, 0, deadline); break;
      case 'a': rc = read_all(L, h, deadline); break;
      default: return luaL_argerror(L, n, "invalid format");
      }
    }
  }
  if (rc < 0)
    return io_fail(L, rc, "read");
  if (rc == 0)
    luaL_pushfail(L);  /* the format that failed */
  return n - first;
}

/***
Read with Lua 5.4's formats: "l", "L", "a", "n" and byte counts.
@function handle:read
@param ... formats (default "l")
@return[1] one value per format; nil at end of input
@return[2] nil
@treturn[2] string message, or "timeout"
@treturn[2] int errno
@usage local line = h:read("l")
*/
static int h_read(lua_State *L) {
  return g_read(L, uipc_handle_check(L, 1), 2);
}

/* The handle of an iterator made by h:lines(): put there by h_lines, so no
 * metatable check is needed on the hot path, only the closed state. */
static uipc_handle *iter_handle(lua_State *L) {
  uipc_handle *h = (uipc_handle *)lua_touserdata(L, lua_upvalueindex(1));
  if (h->closef == NULL)
    luaL_error(L, "lines iterator: attempt to use a closed handle");
  return h;
}

/* h:lines() with plain lines: upvalue the handle. */
static int lines_plain(lua_State *L) {
  uipc_handle *h = iter_handle(L);
  int rc = read_line(L, h, 1, uipc_deadline(h->timeout));
  if (rc > 0)
    return 1;
  if (rc == 0)
    return 0;
  io_fail(L, rc, "read");
  return luaL_error(L, "%s", lua_tostring(L, -2));
}

/* h:lines(fmt...): upvalues the handle, then the formats. Errors raise,
 * as Lua's io lines do. */
static int lines_formats(lua_State *L) {
  uipc_handle *h = iter_handle(L);
  int n = 0;
  lua_settop(L, 0);
  while (lua_type(L, lua_upvalueindex(n + 2)) != LUA_TNONE) {
    luaL_checkstack(L, 1, "too many arguments");
    lua_pushvalue(L, lua_upvalueindex(n + 2));
    n++;
  }
  int r = g_read(L, h, 1);
  if (lua_toboolean(L, -r))
    return r;
  if (r > 1 && lua_type(L, -r + 1) == LUA_TSTRING)  /* an error */
    return luaL_error(L, "%s", lua_tostring(L, -r + 1));
  return 0;
}

/***
An iterator over the input, as `io.lines` with formats; raises on errors.
@function handle:lines
@param ... formats (default "l")
@treturn function
@usage for line in h:lines() do print(line) end
*/
static int h_lines(lua_State *L) {
  uipc_handle_check(L, 1);
  int n = lua_gettop(L) - 1;
  luaL_argcheck(L, n <= 250, 252, "too many arguments");
  for (int i = 2; i <= n + 1; i++)
    if (lua_type(L, i) != LUA_TNUMBER)
      luaL_checkstring(L, i);
  if (n == 0 || (n == 1 && lua_type(L, 2) == LUA_TSTRING &&
                 strcmp(lua_tostring(L, 2), "l") == 0)) {
    lua_settop(L, 1);
    lua_pushcclosure(L, lines_plain, 1);
  } else {
    lua_pushcclosure(L, lines_formats, n + 1);
  }
  return 1;
}

/***
One read of 1..n bytes (buffered input first).
@function handle:sysread
@int[opt=65536] n
@treturn[1] string|nil the bytes; nil at end of input; "" for n = 0
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int h_sysread(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  size_t n = (size_t)uipc_optsize(L, 2, READ_CHUNK);
  if (n == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  if (unread(h) == 0) {
    if (h->rcap < n)
      rbuf_reserve(L, h, n);
    int rc = fill(L, h, uipc_deadline(h->timeout));
    if (rc < 0)
      return io_fail(L, rc, "read");
    if (rc == 0) {
      lua_pushnil(L);
      return 1;
    }
  }
  size_t k = n < unread(h) ? n : unread(h);
  lua_pushlstring(L, h->rbuf + h->rpos, k);
  consume(h, k);
  return 1;
}

/***
One write (after any buffered output).
@function handle:syswrite
@string s
@treturn[1] int bytes written
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int h_syswrite(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  double deadline = uipc_deadline(h->timeout);
  int rc = flush_buffer(L, h, deadline, 1);
  if (rc < 0)
    return write_fail(L, h, rc, "write");
  ssize_t r = 0;
  if (len > 0) {
    span sp = { s, len };
    r = uipc_handle_io(L, h, POLLOUT, attempt_span, &sp, deadline, 0);
    if (r < 0)
      return io_fail(L, (int)r, "write");
  }
  lua_pushinteger(L, r);
  return 1;
}

/* ---- settings ---- */

/***
Output buffering: "no" (the default), "line" or "full".
@function handle:setvbuf
@string mode
@int[opt] size buffer size
@treturn boolean true
*/
static int h_setvbuf(lua_State *L) {
  static const char *const modes[] = { "no", "line", "full", NULL };
  uipc_handle *h = uipc_handle_check(L, 1);
  int m = luaL_checkoption(L, 2, NULL, modes);
  lua_Integer size = uipc_optsize(L, 3, WRITE_CHUNK);
  luaL_argcheck(L, size > 0 && size <= (1 << 30), 3, "size must be between 1 and 2^30");
  int rc = flush_buffer(L, h, uipc_deadline(h->timeout), 1);
  if (rc < 0)
    return write_fail(L, h, rc, "setvbuf");
  mem_resize(L, h->wbuf, h->wcap, 0);
  h->wbuf = NULL;
  h->wcap = (size_t)size;
  h->vbuf = m;
  lua_pushboolean(L, 1);
  return 1;
}

/***
A timeout for each read or write that waits; nil for none.
@function handle:settimeout
@number[opt] seconds
@treturn handle
*/
static int h_settimeout(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  h->timeout = uipc_opttimeout(L, 2);
  lua_settop(L, 1);
  return 1;
}

/***
Blocking mode (O_NONBLOCK on the descriptor). Non-blocking, an operation
that would wait returns `nil, msg, EAGAIN` at once.
@function handle:setblocking
@bool blocking
@treturn handle
*/
static int h_setblocking(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  int blocking = lua_toboolean(L, 2);
  int fl = fcntl(h->fd, F_GETFL);
  if (fl < 0 || fcntl(h->fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK) < 0)
    return uipc_fail(L, "setblocking", NULL);
  if (blocking)
    h->flags &= ~UIPC_H_NONBLOCK;
  else
    h->flags |= UIPC_H_NONBLOCK;
  lua_settop(L, 1);
  return 1;
}

/***
The descriptor.
@function handle:fileno
@treturn int
*/
static int h_fileno(lua_State *L) {
  lua_pushinteger(L, uipc_handle_check(L, 1)->fd);
  return 1;
}

/* ---- expect ---- */

/***
Read until one of the Lua patterns matches (Expect on any handle).
Everything through the match is consumed; the earliest match wins.
@function handle:expect
@string ... patterns
@number[opt] timeout seconds (last argument)
@treturn[1] int index of the matching pattern
@treturn[1] string the match
@treturn[1] string the text before it
@return[2] nil at end of input, or nil, "timeout", ETIMEDOUT
@usage local i, m = h:expect("login: ", "Password:", 5)
*/
static int h_expect(lua_State *L) {
  uipc_handle *h = uipc_handle_check(L, 1);
  int top = lua_gettop(L);
  double timeout = h->timeout;
  if (top >= 3 && lua_type(L, top) == LUA_TNUMBER)
    timeout = uipc_opttimeout(L, top--);
  luaL_argcheck(L, top >= 2, 2, "pattern expected");
  for (int i = 2; i <= top; i++)
    luaL_checktype(L, i, LUA_TSTRING);
  double deadline = uipc_deadline(timeout);
  lua_settop(L, top);
  for (;;) {
    lua_Integer best_s = 0, best_e = 0;
    int best = 0;
    for (int i = 2; i <= top; i++) {
      lua_pushvalue(L, lua_upvalueindex(1));  /* string.find */
      lua_pushlstring(L, unread_text(h), unread(h));
      lua_pushvalue(L, i);
      if (lua_pcall(L, 2, 2, 0) != LUA_OK)  /* a malformed pattern */
        return luaL_argerror(L, i, lua_tostring(L, -1));
      if (lua_isinteger(L, -2) && (best == 0 || lua_tointeger(L, -2) < best_s)) {
        best = i - 1;
        best_s = lua_tointeger(L, -2);
        best_e = lua_tointeger(L, -1);
      }
      lua_pop(L, 2);
    }
    if (best > 0) {
      const char *text = unread_text(h);
      lua_pushinteger(L, best);
      lua_pushlstring(L, text + best_s - 1, (size_t)(best_e - best_s + 1));
      lua_pushlstring(L, text, (size_t)(best_s - 1));
      consume(h, (size_t)best_e);
      return 3;
    }
    int rc = fill(L, h, deadline);
    if (rc == 0) {
      lua_pushnil(L);
      return 1;
    }
    if (rc < 0)
      return io_fail(L, rc, "expect");
  }
}

/* ---- objects that stand for descriptors ---- */

int uipc_tofd(lua_State *L, int idx, uipc_handle **hp, void **fp) {
  uipc_handle *h = luaL_testudata(L, idx, UIPC_HANDLE_MT);
  if (hp) *hp = h;
  if (fp) *fp = NULL;
  if (h != NULL)
    return h->closef == NULL ? -2 : h->fd;
  luaL_Stream *s = luaL_testudata(L, idx, LUA_FILEHANDLE);
  if (s != NULL) {
    if (s->closef == NULL)
      return -2;
    if (fp) *fp = s->f;
    return fileno(s->f);
  }
  if (lua_isinteger(L, idx)) {
    lua_Integer fd = lua_tointeger(L, idx);
    if (fd >= 0 && fd <= 0x7fffffff)
      return (int)fd;
  }
  return -1;
}

int uipc_checkfd(lua_State *L, int arg, uipc_handle **hp, void **fp) {
  int fd = uipc_tofd(L, arg, hp, fp);
  if (fd == -2)
    return luaL_argerror(L, arg, "attempt to use a closed handle");
  if (fd < 0)
    return luaL_typeerror(L, arg, "handle, io file or descriptor");
  return fd;
}

size_t uipc_buffered_input(uipc_handle *h, void *f) {
  if (h != NULL)
    return unread(h);
  if (f != NULL)
    return UIPC_FILE_BUFFERED_INPUT((FILE *)f);
  return 0;
}

/* ---- module functions ---- */

/***
A pipe.
@function pipe
@treturn[1] handle reader
@treturn[1] handle writer
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_pipe(lua_State *L) {
  uipc_handle *r = uipc_handle_new(L);
  uipc_handle *w = uipc_handle_new(L);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return uipc_fail(L, "pipe", NULL);
  uipc_handle_attach(r, p[0], NULL);
  uipc_handle_attach(w, p[1], NULL);
  return 2;
}

/***
A new handle on a copy of the descriptor (close-on-exec).
@function dup
@param h handle, io file or descriptor
@treturn[1] handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_dup(lua_State *L) {
  int fd = uipc_checkfd(L, 1, NULL, NULL);
  uipc_handle *h = uipc_handle_new(L);
  int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (nfd < 0)
    return uipc_fail(L, "dup", NULL);
  uipc_handle_attach(h, nfd, NULL);
  return 1;
}

/***
Make descriptor `fd` refer to `h`'s file (dup2(2)); 0, 1 and 2 stay
inheritable, any other target is close-on-exec.
@function dup2
@param h handle, io file or descriptor
@int fd
@treturn[1] int fd
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_dup2(lua_State *L) {
  int fd = uipc_checkfd(L, 1, NULL, NULL);
  lua_Integer target = luaL_checkinteger(L, 2);
  luaL_argcheck(L, target >= 0 && target <= 0x7fffffff, 2, "invalid descriptor");
  int r = fd == target ? (fcntl(fd, F_GETFD) < 0 ? -1 : fd)
                       : dup3(fd, (int)target, target > 2 ? O_CLOEXEC : 0);
  if (r < 0) {
    lua_pushfstring(L, "%d", (int)target);
    return uipc_fail(L, "dup2", lua_tostring(L, -1));
  }
  lua_pushinteger(L, target);
  return 1;
}

/***
A handle that owns an existing descriptor.
@function fdopen
@int fd
@string[opt="r"] mode "r", "w", "rw", "r+", "w+", "a" or "a+"
@treturn[1] handle
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_fdopen(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, 1, "invalid descriptor");
  static const char *const modes[] = { "r", "w", "rw", "r+", "w+", "a", "a+", NULL };
  luaL_checkoption(L, 2, "r", modes);
  uipc_handle *h = uipc_handle_new(L);
  if (fcntl((int)fd, F_GETFD) < 0) {
    lua_pushfstring(L, "%d", (int)fd);
    return uipc_fail(L, "fdopen", lua_tostring(L, -1));
  }
  uipc_handle_attach(h, (int)fd, NULL);
  return 1;
}

/***
The descriptor of a handle, an io file or a descriptor.
@function fileno
@param h
@treturn int
*/
static int l_fileno(lua_State *L) {
  lua_pushinteger(L, uipc_checkfd(L, 1, NULL, NULL));
  return 1;
}

static const luaL_Reg methods[] = {
  { "read", h_read },         { "lines", h_lines },
  { "write", h_write },       { "flush", h_flush },
  { "sysread", h_sysread },   { "syswrite", h_syswrite },
  { "setvbuf", h_setvbuf },   { "settimeout", h_settimeout },
  { "setblocking", h_setblocking }, { "fileno", h_fileno },
  { "close", h_close },
  { NULL, NULL }
};

static const luaL_Reg metamethods[] = {
  { "__gc", h_gc },
  { "__close", h_gc },
  { "__tostring", h_tostring },
  { NULL, NULL }
};

static const luaL_Reg funcs[] = {
  { "pipe", l_pipe }, { "dup", l_dup }, { "dup2", l_dup2 },
  { "fdopen", l_fdopen }, { "fileno", l_fileno },
  { NULL, NULL }
};

int uipc_handle_open(lua_State *L) {
  if (luaL_newmetatable(L, UIPC_HANDLE_MT)) {
    luaL_setfuncs(L, metamethods, 0);
    luaL_newlibtable(L, methods);
    luaL_setfuncs(L, methods, 0);
    /* expect calls string.find, kept as its upvalue */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    }
    lua_getfield(L, -1, "find");
    lua_pushcclosure(L, h_expect, 1);
    lua_setfield(L, -4, "expect");
    lua_pop(L, 2);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  uipc_register(L, funcs);
  return 0;
}
