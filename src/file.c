/*
 * file.c — named pipes, file types and advisory locks.
 *
 * flock(2) and the open(2) of a FIFO block in the kernel where no poll can
 * watch them, so they are made between uipc_call_begin and uipc_call_end
 * (wait.c): the call timer interrupts them when a signal lands or a
 * deadline passes, the handlers run, and the call goes round again unless
 * one of them raised. EINTR never leaves this file.
 */

/***
Files: named pipes (FIFOs), file types and advisory locks (flock).
@module unixipc
*/
#include "unixipc.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A permission mode argument (0666 style); raises when out of range. */
static mode_t checkmode(lua_State *L, int arg, lua_Integer def) {
  lua_Integer mode = luaL_optinteger(L, arg, def);
  luaL_argcheck(L, mode >= 0 && mode <= 07777, arg, "mode out of range");
  return (mode_t)mode;
}

/***
Make a named pipe (mkfifo(3)); the umask applies to the mode.
@function mkfifo
@string path
@int[opt=0666] mode permission bits
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message, e.g. "mkfifo /tmp/x: File exists"
@treturn[2] int errno
@usage assert(ipc.mkfifo("/tmp/myfifo", tonumber("600", 8)))
*/
static int l_mkfifo(lua_State *L) {
  const char *path = uipc_checkpath(L, 1);
  mode_t mode = checkmode(L, 2, 0666);
  if (mkfifo(path, mode) < 0)
    return uipc_fail(L, "mkfifo", path);
  lua_pushboolean(L, 1);
  return 1;
}

static const char *type_name(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISLNK(mode)) return "link";
  if (S_ISCHR(mode)) return "char";
  if (S_ISBLK(mode)) return "block";
  return "unknown";
}

/***
The type of a file, not following a final symbolic link (lstat(2)): Perl's
`-f -d -p -S -l -c -b` in one call.
@function filetype
@string path
@treturn[1] string "file", "directory", "fifo", "socket", "link", "char" or "block"
@return[2] nil
@treturn[2] string message, e.g. "lstat /x: No such file or directory"
@treturn[2] int errno
@usage if ipc.filetype(path) ~= "fifo" then assert(ipc.mkfifo(path)) end
*/
static int l_filetype(lua_State *L) {
  const char *path = uipc_checkpath(L, 1);
  struct stat st;
  if (lstat(path, &st) < 0)
    return uipc_fail(L, "lstat", path);
  lua_pushstring(L, type_name(st.st_mode));
  return 1;
}

/* Perl flushes a file handle before locking or unlocking it, so that what
 * was written under the lock is in the file before another process may
 * look. A handle's flush is its own method (it reports through Lua). */
static void flush_before_lock(lua_State *L, uipc_handle *h, void *f) {
  if (f != NULL) {
    fflush((FILE *)f);
  } else if (h != NULL && h->wlen > 0) {
    lua_getfield(L, 1, "flush");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 0);
  }
}

/* flock through the call timer: 0 done, or -1 with errno (never EINTR). */
static int flock_interruptible(lua_State *L, int fd, int op) {
  for (;;) {
    if (uipc_call_begin(L, -1) < 0)
      return -1;
    int r = flock(fd, op);
    int err = errno;
    uipc_call_end();
    if (r == 0 || err != EINTR) {
      errno = err;
      return r;
    }
  }
}

/***
Take or release an advisory lock on a whole file (flock(2)). A blocking
lock waits until it is granted; signal handlers run meanwhile (one that
raises ends the wait with its error), and `ipc.timeout` bounds it.
The handle's or file's pending output is flushed first.
@function flock
@param h handle, io file or descriptor
@string op "sh" (shared), "ex" (exclusive) or "un" (release)
@bool[opt=false] nonblock fail at once instead of waiting
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message, e.g. "flock: Resource temporarily unavailable"
@treturn[2] int errno (EWOULDBLOCK when nonblock and the lock is held)
@usage local f = assert(io.open("/tmp/app.lock", "w"))
assert(ipc.timeout(5, ipc.flock, f, "ex"))
*/
static int l_flock(lua_State *L) {
  static const char *const names[] = { "sh", "ex", "un", NULL };
  static const int ops[] = { LOCK_SH, LOCK_EX, LOCK_UN };
  uipc_handle *h;
  void *f;
  int fd = uipc_checkfd(L, 1, &h, &f);
  int op = ops[luaL_checkoption(L, 2, NULL, names)];
  if (lua_toboolean(L, 3))
    op |= LOCK_NB;
  flush_before_lock(L, h, f);
  if (flock_interruptible(L, fd, op) < 0)
    return uipc_fail(L, "flock", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* open(2) of a FIFO, which waits for the other side, through the call
 * timer: the descriptor, -1 with errno, or -2 when the deadline passed. */
static int open_interruptible(lua_State *L, const char *path, int flags,
                              double deadline) {
  for (;;) {
    int go = uipc_call_begin(L, deadline);
    if (go == 0)
      return -2;
    if (go < 0)
      return -1;
    int fd = open(path, flags);
    int err = errno;
    uipc_call_end();
    if (fd >= 0 || err != EINTR) {
      errno = err;
      return fd;
    }
  }
}

/***
Open a named pipe as a handle, waiting until the other side opens it too
(a reader waits for a writer and a writer for a reader, as perlipc's
"Named Pipes" shows). Signal handlers run while it waits.
@function open_fifo
@string path
@string mode "r" (read) or "w" (write)
@number[opt] timeout seconds to wait for the other side
@treturn[1] handle
@return[2] nil
@treturn[2] string message ("timeout" when the other side did not come)
@treturn[2] int errno
@usage local w = assert(ipc.open_fifo(os.getenv("HOME") .. "/.signature", "w"))
*/
static int l_open_fifo(lua_State *L) {
  static const char *const modes[] = { "r", "w", NULL };
  const char *path = uipc_checkpath(L, 1);
  int flags = luaL_checkoption(L, 2, NULL, modes) == 0 ? O_RDONLY : O_WRONLY;
  double deadline = uipc_deadline(uipc_opttimeout(L, 3));
  uipc_handle *h = uipc_handle_new(L);  /* first: nothing to leak if a handler raises */
  int fd = open_interruptible(L, path, flags | O_CLOEXEC, deadline);
  if (fd == -2)
    return uipc_fail_timeout(L);
  if (fd < 0)
    return uipc_fail(L, "open", path);
  uipc_handle_attach(h, fd, NULL);
  return 1;
}

static const luaL_Reg funcs[] = {
  { "mkfifo", l_mkfifo },
  { "filetype", l_filetype },
  { "flock", l_flock },
  { "open_fifo", l_open_fifo },
  { NULL, NULL }
};

int uipc_file_open(lua_State *L) {
  uipc_register(L, funcs);
  return 0;
}
