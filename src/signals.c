/*
 * signals.c — the Lua side of deferred ("safe") signal delivery.
 *
 * sigqueue.c holds what runs in signal context: the C handler records each
 * delivery in a queue and arms a hook. Here, at safe points — that hook,
 * between Lua instructions of whichever coroutine runs, or inside any
 * blocking unixipc call (wait.c) — the queued deliveries run their Lua
 * handlers, one at a time per signal: deliveries of a signal whose handler
 * is running wait in a backlog, in order, until it returns.
 *
 * One Lua state per process owns the Lua handlers (the first to set one;
 * released when it closes), so the C handler never touches a state that is
 * gone. Coroutines: a hook is per thread in Lua 5.4, so the owner's
 * coroutine.resume and coroutine.wrap are wrapped to record which thread
 * runs; the C handler arms that one.
 */

/***
Signals: deferred ("safe") delivery with a queue.
Handlers run at safe points, in whichever coroutine runs, and inside every
blocking unixipc call; a handler that raises ends that call with its error,
one that does not lets it go on with what is left of its timeout.
@module unixipc
*/
#include "unixipc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

enum { MODE_NONE, MODE_LUA, MODE_HOSTINT };
static int mode[NSIG];                   /* what a delivery runs */
static unsigned long handled[NSIG];
static unsigned long handlers_ran;     /* all Lua handlers run, ever */
static unsigned long pause_seen;       /* handlers_ran when pause last returned */
static unsigned char active[NSIG];     /* a handler of this signal runs */
static uipc_sigentry backlog[UIPC_SIGQ_SIZE]; /* waiting for a busy handler */
static unsigned backlog_head, backlog_count;
static char names[NSIG][24];           /* "INT", "RTMIN+3"; "" for none */

static int handlers_key;  /* registry: [signo] = function */

/* ---- names ---- */

static const struct { const char *name; int signo; } signames[] = {
#define S(x) { #x, SIG##x },
  S(HUP) S(INT) S(QUIT) S(ILL) S(TRAP) S(ABRT) S(BUS) S(FPE) S(KILL) S(USR1)
  S(SEGV) S(USR2) S(PIPE) S(ALRM) S(TERM)
#ifdef SIGSTKFLT
  S(STKFLT)
#endif
  S(CHLD) S(CONT) S(STOP) S(TSTP) S(TTIN) S(TTOU) S(URG) S(XCPU) S(XFSZ)
  S(VTALRM) S(PROF) S(WINCH)
#ifdef SIGIO
  S(IO)
#endif
#ifdef SIGPWR
  S(PWR)
#endif
  S(SYS)
#ifdef SIGEMT
  S(EMT)
#endif
#ifdef SIGINFO
  S(INFO)
#endif
#undef S
};

static const struct { const char *name; int signo; } aliases[] = {
  { "IOT", SIGABRT }, { "CLD", SIGCHLD },
#ifdef SIGIO
  { "POLL", SIGIO },
#endif
};

static void names_init(void) {
  for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
    snprintf(names[signames[i].signo], sizeof names[0], "%s", signames[i].name);
  int lo = SIGRTMIN, hi = SIGRTMAX;
  for (int s = lo; s <= hi; s++) {  /* as kill -l names them */
    if (s == lo)
      snprintf(names[s], sizeof names[0], "RTMIN");
    else if (s == hi)
      snprintf(names[s], sizeof names[0], "RTMAX");
    else if (s - lo <= (hi - lo) / 2)
      snprintf(names[s], sizeof names[0], "RTMIN+%d", s - lo);
    else
      snprintf(names[s], sizeof names[0], "RTMAX-%d", hi - s);
  }
}

const char *uipc_signame(int signo) {
  return (signo > 0 && signo < NSIG && names[signo][0]) ? names[signo] : NULL;
}

static int numbers_key;  /* registry: "INT", "SIGINT", "IOT"... -> number */

/* The table of names to numbers, so a name costs one hash lookup. */
static void numbers_table(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &numbers_key) != LUA_TNIL)
    return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 2 * NSIG);
  for (int s = 1; s < NSIG; s++)
    if (names[s][0]) {
      lua_pushinteger(L, s);
      lua_setfield(L, -2, names[s]);
      lua_pushfstring(L, "SIG%s", names[s]);
      lua_pushinteger(L, s);
      lua_rawset(L, -3);
    }
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    lua_pushinteger(L, aliases[i].signo);
    lua_setfield(L, -2, aliases[i].name);
    lua_pushfstring(L, "SIG%s", aliases[i].name);
    lua_pushinteger(L, aliases[i].signo);
    lua_rawset(L, -3);
  }
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &numbers_key);
}

/* The number of the signal named by the string at idx, or 0. */
static int signum_at(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  numbers_table(L);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  int signo = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return signo;
}

/* The signal at idx (a name, "SIG" name or number): its number, or 0 with
 * *why saying what is wrong. */
static int signal_at(lua_State *L, int idx, const char **why) {
  int isint;
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER: {
    lua_Integer n = lua_tointegerx(L, idx, &isint);
    if (!isint)
      *why = "number has no integer representation";
    else if (n <= 0 || n >= NSIG)
      *why = "invalid signal number";
    else
      return (int)n;
    return 0;
  }
  case LUA_TSTRING: {
    int signo = signum_at(L, idx);
    if (signo == 0)
      *why = lua_pushfstring(L, "unknown signal '%s'", lua_tostring(L, idx));
    return signo;
  }
  default:
    *why = lua_pushfstring(L, "signal name or number expected, got %s", luaL_typename(L, idx));
    return 0;
  }
}

int uipc_checksignal(lua_State *L, int arg) {
  const char *why;
  int signo = signal_at(L, arg, &why);
  if (signo == 0)
    luaL_argerror(L, arg, why);
  return signo;
}

/* A signal set from one name/number or an array of them at arg; the
 * signals also go to `list` (room for NSIG) when given. Returns how many. */
static int checksigset(lua_State *L, int arg, sigset_t *set, int *list) {
  sigemptyset(set);
  if (lua_type(L, arg) != LUA_TTABLE) {
    int s = uipc_checksignal(L, arg);
    sigaddset(set, s);
    if (list)
      list[0] = s;
    return 1;
  }
  lua_Integer n = luaL_len(L, arg);
  luaL_argcheck(L, n < NSIG, arg, "too many signals");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, arg, i);
    const char *why;
    int s = signal_at(L, -1, &why);
    if (s == 0)
      luaL_argerror(L, arg, lua_pushfstring(L, "element %I: %s", i, why));
    sigaddset(set, s);
    if (list)
      list[i - 1] = s;
    lua_pop(L, 1);
  }
  return (int)n;
}

static void pushsigset(lua_State *L, const sigset_t *set) {
  lua_newtable(L);
  int k = 0;
  for (int s = 1; s < NSIG; s++)
    if (names[s][0] && sigismember(set, s) == 1) {
      lua_pushstring(L, names[s]);
      lua_rawseti(L, -2, ++k);
    }
}

/* ---- the backlog ---- */

static int queue_nonempty(void) {
  return backlog_count > 0 || uipc_sigq_pending();
}

static uipc_sigentry *backlog_at(unsigned i) {
  return &backlog[(backlog_head + i) % UIPC_SIGQ_SIZE];
}

static void backlog_push(const uipc_sigentry *e) {
  if (backlog_count == UIPC_SIGQ_SIZE)
    uipc_sigq_count_drop(e->signo);
  else
    *backlog_at(backlog_count++) = *e;
}

static void backlog_take(unsigned i, uipc_sigentry *out) {
  *out = *backlog_at(i);
  if (i == 0) {
    backlog_head = (backlog_head + 1) % UIPC_SIGQ_SIZE;
  } else {
    for (; i + 1 < backlog_count; i++)
      *backlog_at(i) = *backlog_at(i + 1);
  }
  backlog_count--;
}

/* The oldest queued delivery that `accept` takes; the others it passes over
 * stay queued, in order. */
typedef int (*acceptor)(const uipc_sigentry *e, const void *ctx);

static int take_first(acceptor accept, const void *ctx, uipc_sigentry *out) {
  for (unsigned i = 0; i < backlog_count; i++)
    if (accept(backlog_at(i), ctx)) {
      backlog_take(i, out);
      return 1;
    }
  while (uipc_sigq_pop(out)) {
    if (accept(out, ctx))
      return 1;
    backlog_push(out);
  }
  return 0;
}

/* Dispatch takes what no running handler of the same signal holds back. */
static int handler_free(const uipc_sigentry *e, const void *ctx) {
  (void)ctx;
  return !active[e->signo];
}

/* sigwait takes the signals of its set. */
static int in_set(const uipc_sigentry *e, const void *set) {
  return sigismember((const sigset_t *)set, e->signo) == 1;
}

static void backlog_after_fork(void) {
  backlog_head = backlog_count = 0;
  memset(handled, 0, sizeof handled);
  handlers_ran = pause_seen = 0;
}

/* Interned strings a delivery needs, kept in one registry array so that
 * pushing a handler's arguments hashes no C string: [signo] = name, then
 * the info table's keys. */
static int strings_key;
static const char *const info_keys[] = {
  "signo", "name", "pid", "uid", "code", "status", "value"
};
enum { K_SIGNO = NSIG, K_NAME, K_PID, K_UID, K_CODE, K_STATUS, K_VALUE, K_END };

static int strings_table(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &strings_key) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_createtable(L, K_END, 0);
    for (int sig = 1; sig < NSIG; sig++)
      if (names[sig][0]) {
        lua_pushstring(L, names[sig]);
        lua_rawseti(L, -2, sig);
      }
    for (int k = K_SIGNO; k < K_END; k++) {
      lua_pushstring(L, info_keys[k - K_SIGNO]);
      lua_rawseti(L, -2, k);
    }
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &strings_key);
  }
  return lua_gettop(L);
}

static void set_int(lua_State *L, int strings, int key, lua_Integer v) {
  lua_rawgeti(L, strings, key);
  lua_pushinteger(L, v);
  lua_rawset(L, -3);
}

/* Push a handler's arguments for a delivery: its name and the info table. */
static void push_delivery(lua_State *L, const uipc_sigentry *e) {
  int strings = strings_table(L);
  lua_rawgeti(L, strings, e->signo);
  lua_createtable(L, 0, 7);
  set_int(L, strings, K_SIGNO, e->signo);
  lua_rawgeti(L, strings, K_NAME);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  set_int(L, strings, K_PID, e->pid);
  set_int(L, strings, K_UID, e->uid);
  set_int(L, strings, K_CODE, e->code);
  if (e->signo == SIGCHLD)
    set_int(L, strings, K_STATUS, e->status);
  if (e->has_value)
    set_int(L, strings, K_VALUE, (lua_Integer)e->value);
  lua_remove(L, strings);
}

static int is_owner(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  int yes = lua_tothread(L, -1) == uipc_sigq_owner();
  lua_pop(L, 1);
  return yes;
}

/* Leave what is still queued for the next safe point, then raise. */
static int raise_after_handler(lua_State *L) {
  if (queue_nonempty())
    uipc_sigq_arm(L);
  return lua_error(L);
}

/* Run one delivery; returns 1 if a Lua handler ran. Raises what it raises. */
static int deliver(lua_State *L, const uipc_sigentry *e) {
  int s = e->signo;
  if (mode[s] == MODE_HOSTINT) {
    handled[s]++;
    lua_pushliteral(L, "interrupted!");
    return raise_after_handler(L);
  }
  if (mode[s] != MODE_LUA)
    return 0;  /* the setting changed after it was queued */
  lua_rawgetp(L, LUA_REGISTRYINDEX, &handlers_key);
  if (lua_rawgeti(L, -1, s) != LUA_TFUNCTION) {
    lua_pop(L, 2);
    return 0;
  }
  lua_remove(L, -2);
  push_delivery(L, e);
  handled[s]++;
  handlers_ran++;
  active[s] = 1;
  int status = lua_pcall(L, 2, 0, 0);
  active[s] = 0;
  if (status != LUA_OK)
    return raise_after_handler(L);
  return 1;
}

int uipc_sig_dispatch(lua_State *L) {
  if (!queue_nonempty() || !is_owner(L))
    return 0;
  int ran = 0;
  uipc_sigentry e;
  while (take_first(handler_free, NULL, &e))
    ran += deliver(L, &e);
  return ran;
}

void uipc_sig_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  uipc_sig_dispatch(L);
}

/* ---- dispositions ---- */

static void registry_handlers(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &handlers_key) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &handlers_key);
  }
}

/* Push the current setting of a signal: function, "IGNORE", "DEFAULT", or
 * "OTHER" for a C handler unixipc did not install. */
static void pushsetting(lua_State *L, int signo) {
  if (mode[signo] == MODE_LUA) {
    registry_handlers(L);
    lua_rawgeti(L, -1, signo);
    lua_remove(L, -2);
    if (!lua_isnil(L, -1))
      return;
    lua_pop(L, 1);
  }
  struct sigaction old;
  if (sigaction(signo, NULL, &old) < 0 || (!(old.sa_flags & SA_SIGINFO) &&
                                           old.sa_handler == SIG_DFL))
    lua_pushliteral(L, "DEFAULT");
  else if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
    lua_pushliteral(L, "IGNORE");
  else if (uipc_sigq_is_ours(&old))
    lua_pushliteral(L, "DEFAULT");  /* the host's Control-C */
  else
    lua_pushliteral(L, "OTHER");
}

/* The first state to set a Lua handler owns them all. */
static void take_ownership(lua_State *L) {
  if (uipc_sigq_owner() == NULL) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    uipc_sigq_set_owner(lua_tothread(L, -1));
    lua_pop(L, 1);
  }
}

static int is_fault(int signo) {
  return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL ||
         signo == SIGFPE || signo == SIGKILL || signo == SIGSTOP;
}

static void wrap_coroutines(lua_State *L);

/***
Set what a signal does; returns the previous setting.
@function signal
@tparam string|int sig signal name ("INT", "SIGINT") or number
@tparam[opt] function|string handler a function `handler(name, info)`, "IGNORE", "DEFAULT" or nil
@tparam[opt] table opts `{restart = false}` installs without SA_RESTART
@return the previous setting (function, "IGNORE", "DEFAULT" or "OTHER")
@usage ipc.signal("HUP", function(name, info) print(name, info.pid) end)
*/
static int l_signal(lua_State *L) {
  int signo = uipc_checksignal(L, 1);
  int t = lua_type(L, 2);
  static const char *const settings[] = { "IGNORE", "DEFAULT", NULL };
  int which = -1;
  if (t == LUA_TSTRING)
    which = luaL_checkoption(L, 2, NULL, settings);
  else if (t != LUA_TFUNCTION && t != LUA_TNIL && t != LUA_TNONE)
    return luaL_typeerror(L, 2, "function, \"IGNORE\", \"DEFAULT\" or nil");
  int restart = 1;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "restart");
    restart = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  if (signo == uipc_sigq_call_signal())
    return luaL_argerror(L, 1, lua_pushfstring(L,
        "%s is reserved by unixipc for interrupting system calls", uipc_signame(signo)));
  if (t == LUA_TFUNCTION) {
    if (is_fault(signo))
      return luaL_argerror(L, 1, lua_pushfstring(L,
          "a Lua handler cannot be set for %s", uipc_signame(signo)));
    if (uipc_sigq_owner() != NULL && !is_owner(L))
      return luaL_error(L, "signal: Lua handlers belong to another Lua state of this process");
  }
  pushsetting(L, signo);  /* the previous setting, returned */
  int rc;
  if (t == LUA_TFUNCTION) {
    take_ownership(L);
    wrap_coroutines(L);
    registry_handlers(L);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, signo);
    lua_pop(L, 1);
    mode[signo] = MODE_LUA;
    rc = uipc_sigq_install(signo, restart);
  } else {
    mode[signo] = MODE_NONE;
    registry_handlers(L);
    lua_pushnil(L);
    lua_rawseti(L, -2, signo);
    lua_pop(L, 1);
    rc = uipc_sigq_install_plain(signo, which == 0 ? SIG_IGN : SIG_DFL);
  }
  if (rc < 0)
    return uipc_fail(L, "sigaction", uipc_signame(signo));
  return 1;
}

/***
The current setting of a signal, as `ipc.SIG[sig]` reads it.
@function getsignal
@tparam string|int sig
@return function, "IGNORE", "DEFAULT", or "OTHER" (a C handler unixipc did not install)
*/
static int l_getsignal(lua_State *L) {
  pushsetting(L, uipc_checksignal(L, 1));
  return 1;
}

void uipc_sig_host_interrupt(lua_State *L, int on) {
  if (on && mode[SIGINT] == MODE_NONE) {
    struct sigaction old;
    if (sigaction(SIGINT, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
        old.sa_handler == SIG_DFL) {
      take_ownership(L);
      mode[SIGINT] = MODE_HOSTINT;
      uipc_sigq_install(SIGINT, 1);
    }
  } else if (!on && mode[SIGINT] == MODE_HOSTINT) {
    mode[SIGINT] = MODE_NONE;
    uipc_sigq_install_plain(SIGINT, SIG_DFL);
  }
}

/* ---- coroutines: record the running thread for the C handler ---- */

static void resume_done(lua_State *co, lua_State *prev) {
  uipc_sigq_set_running(prev);
  if (lua_gethook(co) == uipc_sig_hook)
    lua_sethook(co, NULL, 0, 0);  /* co may be collected once suspended */
  if (queue_nonempty())
    uipc_sigq_arm(prev != NULL ? prev : uipc_sigq_owner());
}

/* coroutine.resume(co, ...) through the original (upvalue 1). */
static int co_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co != NULL, 1, "coroutine");
  lua_State *prev = uipc_sigq_running();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  uipc_sigq_set_running(co);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  resume_done(co, prev);
  if (status != LUA_OK)
    return lua_error(L);
  return lua_gettop(L);
}

/* The function coroutine.wrap returns: upvalue 1 the coroutine, 2 the
 * original resume. Errors close the coroutine and carry the caller's
 * position, as Lua's own wrap does. */
static int co_wrapped(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int nargs = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_rotate(L, 1, 2);
  lua_State *prev = uipc_sigq_running();
  uipc_sigq_set_running(co);
  int status = lua_pcall(L, nargs + 1, LUA_MULTRET, 0);
  resume_done(co, prev);
  if (status != LUA_OK)
    return lua_error(L);
  if (lua_toboolean(L, 1))
    return lua_gettop(L) - 1;
  int cs = lua_status(co);
  if (cs != LUA_OK && cs != LUA_YIELD) {  /* an error inside the coroutine */
    cs = lua_resetthread(co);
    lua_xmove(co, L, 1);
  }
  if (cs != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

/* coroutine.wrap(f): upvalue 1 coroutine.create, 2 the original resume. */
static int co_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushcclosure(L, co_wrapped, 2);
  return 1;
}

static int wrapped_key;

static void wrap_coroutines(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &wrapped_key) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_pushboolean(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &wrapped_key);
  lua_getglobal(L, "coroutine");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  int co = lua_gettop(L);
  lua_getfield(L, co, "resume");  /* the original, upvalue of both */
  int orig = lua_gettop(L);
  lua_pushvalue(L, orig);
  lua_pushcclosure(L, co_resume, 1);
  lua_setfield(L, co, "resume");
  lua_getfield(L, co, "create");
  lua_pushvalue(L, orig);
  lua_pushcclosure(L, co_wrap, 2);
  lua_setfield(L, co, "wrap");
  lua_pop(L, 1);
  lua_pop(L, 1);
}

/* ---- the state's lifetime ---- */

/* When the owning state closes, its Lua handlers go with it. */
static int owner_gc(lua_State *L) {
  if (is_owner(L)) {
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    for (int s = 1; s < NSIG; s++)
      if (mode[s] != MODE_NONE) {
        mode[s] = MODE_NONE;
        uipc_sigq_install_plain(s, SIG_DFL);
      }
    uipc_sigq_set_owner(NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
  }
  return 0;
}

static int sentinel_key;

static void sentinel(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &sentinel_key) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_newuserdatauv(L, 0, 0);
  lua_newtable(L);
  lua_pushcfunction(L, owner_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &sentinel_key);
}

/* ---- fork ---- */

pid_t uipc_fork(lua_State *L) {
  fflush(NULL);
  uipc_flush_all(L);
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();  /* the child's queues are reset by the atfork handlers */
  int err = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  errno = err;
  return pid;
}

/* ---- Lua functions ---- */

/***
Send a signal to processes (kill(2)).
@function kill
@tparam string|int sig signal name or number; 0 only probes
@tparam int pid ... one or more process ids; a negative one is a process group
@treturn[1] int how many were signalled
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage if not ipc.kill(0, pid) then print(pid .. " looks dead") end
*/
static int l_kill(lua_State *L) {
  int signo = lua_isinteger(L, 1) && lua_tointeger(L, 1) == 0
                  ? 0 : uipc_checksignal(L, 1);  /* 0 probes */
  int n = lua_gettop(L), count = 0, err = 0;
  luaL_argcheck(L, n >= 2, 2, "process id expected");
  for (int i = 2; i <= n; i++)  /* every pid checked before any signal goes */
    luaL_checkinteger(L, i);
  for (int i = 2; i <= n; i++) {
    if (kill((pid_t)lua_tointeger(L, i), signo) == 0)
      count++;
    else
      err = errno;
  }
  if (count == 0) {
    lua_pushfstring(L, "%d", (int)lua_tointeger(L, 2));
    return uipc_fail_errno(L, err, "kill", lua_tostring(L, -1));
  }
  lua_pushinteger(L, count);
  return 1;
}

/***
Send a signal to a process group (killpg(3)).
@function killpg
@tparam string|int sig
@tparam int pgid
@treturn[1] int 1
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_killpg(lua_State *L) {
  int signo = uipc_checksignal(L, 1);
  lua_Integer pg = luaL_checkinteger(L, 2);
  luaL_argcheck(L, pg >= 0, 2, "process group must not be negative");
  if (killpg((pid_t)pg, signo) < 0)
    return uipc_fail(L, "killpg", lua_tostring(L, 2));
  lua_pushinteger(L, 1);
  return 1;
}

/***
Send a signal to this process; a Lua handler runs at the next safe point.
@function raise
@tparam string|int sig
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_raise(lua_State *L) {
  int signo = uipc_checksignal(L, 1);
  if (raise(signo) != 0)
    return uipc_fail(L, "raise", uipc_signame(signo));
  lua_pushboolean(L, 1);
  return 1;
}

/***
Queue a signal with a value (sigqueue(3)); the handler sees it as `info.value`.
@function sigqueue
@tparam int pid
@tparam string|int sig
@tparam[opt=0] int value
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_sigqueue(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  int signo = uipc_checksignal(L, 2);
  union sigval v;
  v.sival_ptr = (void *)(intptr_t)luaL_optinteger(L, 3, 0);
  if (sigqueue((pid_t)pid, signo, v) < 0)
    return uipc_fail(L, "sigqueue", lua_tostring(L, 1));
  lua_pushboolean(L, 1);
  return 1;
}

/* A signal as name, "SIG" name or number -> its number, or 0 if none. */
static int tosignal(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Integer n = luaL_checkinteger(L, arg);
    return uipc_signame((int)n) != NULL ? (int)n : 0;
  }
  luaL_checkstring(L, arg);
  return signum_at(L, arg);
}

/***
The number of a signal.
@function signum
@tparam string|int sig "ALRM", "SIGALRM" or 14
@treturn int|nil the number, or nil for no such signal
@usage print("SIGALRM is " .. ipc.signum("ALRM"))
*/
static int l_signum(lua_State *L) {
  int signo = tosignal(L, 1);
  if (signo == 0)
    luaL_pushfail(L);
  else
    lua_pushinteger(L, signo);
  return 1;
}

/***
The name of a signal, without "SIG".
@function signame
@tparam string|int sig
@treturn string|nil the name, or nil for no such signal
*/
static int l_signame(lua_State *L) {
  int signo = tosignal(L, 1);
  if (signo == 0)
    luaL_pushfail(L);
  else
    lua_pushstring(L, uipc_signame(signo));
  return 1;
}

/***
Every signal name of the platform in number order, as `kill -l` lists them.
@function signals
@treturn {string,...}
*/
static int l_signals(lua_State *L) {
  sigset_t all;
  sigfillset(&all);
  pushsigset(L, &all);
  return 1;
}

/* The signal mask as unixipc last set or read it. sigwait consults it
 * before blocking its set, which spares a system call per wait when the
 * program blocked the signals beforehand, as it should. A change made
 * behind unixipc's back by other C code is the one way it can be wrong. */
static sigset_t known_mask;
static int mask_known;

static void mask_learn(int how, const sigset_t *set, const sigset_t *old) {
  sigset_t m = *old;
  for (int s = 1; s < NSIG; s++)
    if (sigismember(set, s) == 1) {
      if (how == SIG_UNBLOCK)
        sigdelset(&m, s);
      else
        sigaddset(&m, s);
    } else if (how == SIG_SETMASK) {
      sigdelset(&m, s);
    }
  known_mask = m;
  mask_known = 1;
}

static int procmask(lua_State *L, int how) {
  sigset_t set, old;
  if (how == SIG_SETMASK)
    checksigset(L, 1, &set, NULL);
  else {
    sigemptyset(&set);
    for (int i = 1; i <= lua_gettop(L); i++) {
      sigset_t one;
      checksigset(L, i, &one, NULL);
      sigorset(&set, &set, &one);
    }
  }
  if (sigprocmask(how, &set, &old) < 0)
    return uipc_fail(L, "sigprocmask", NULL);
  mask_learn(how, &set, &old);
  pushsigset(L, &old);
  return 1;
}

/***
Block signals (sigprocmask SIG_BLOCK).
@function sigblock
@param ... names or numbers, or arrays of them
@treturn {string,...} the previous mask
*/
static int l_sigblock(lua_State *L) { return procmask(L, SIG_BLOCK); }
/***
Unblock signals (sigprocmask SIG_UNBLOCK).
@function sigunblock
@param ... names or numbers, or arrays of them
@treturn {string,...} the previous mask
*/
static int l_sigunblock(lua_State *L) { return procmask(L, SIG_UNBLOCK); }
/***
Set the signal mask to exactly these signals.
@function sigsetmask
@tparam {string,...} sigs
@treturn {string,...} the previous mask
*/
static int l_sigsetmask(lua_State *L) { return procmask(L, SIG_SETMASK); }

/***
The blocked signals.
@function sigmask
@treturn {string,...}
*/
static int l_sigmask(lua_State *L) {
  sigset_t old;
  sigprocmask(SIG_BLOCK, NULL, &old);
  pushsigset(L, &old);
  return 1;
}

/***
The signals blocked and waiting (sigpending(2)).
@function sigpending
@treturn {string,...}
*/
static int l_sigpending(lua_State *L) {
  sigset_t set;
  sigpending(&set);
  pushsigset(L, &set);
  return 1;
}

static double tv2sec(const struct timeval *tv) {
  return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/***
Schedule an ALRM; fractions of a second are honoured (setitimer).
@function alarm
@number seconds 0 cancels
@treturn number seconds that were left on the previous alarm
*/
/* setitimer for `s` seconds (0 cancels); the seconds left on the previous
 * one, or -1 with errno. */
static double set_alarm(double s, int *failed) {
  struct itimerval it, old;
  memset(&it, 0, sizeof it);
  it.it_value.tv_sec = (time_t)s;
  it.it_value.tv_usec = (suseconds_t)((s - (double)it.it_value.tv_sec) * 1e6);
  if (s > 0 && it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
    it.it_value.tv_usec = 1;  /* a tiny alarm still rings */
  *failed = setitimer(ITIMER_REAL, &it, &old) < 0;
  return tv2sec(&old.it_value);
}

static int l_alarm(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  luaL_argcheck(L, s >= 0 && s < 1e9, 1, "seconds must be between 0 and 1e9");
  int failed;
  double left = set_alarm((double)s, &failed);
  if (failed)
    return uipc_fail(L, "setitimer", NULL);
  lua_pushnumber(L, left);
  return 1;
}

/***
Sleep the whole time; handlers run meanwhile, and one that raises ends it.
@function sleep
@number seconds
@treturn int 0
*/
static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  luaL_argcheck(L, s >= 0, 1, "seconds must not be negative");
  uipc_sleep_until(L, uipc_deadline(s));
  lua_pushinteger(L, 0);
  return 1;
}

/***
Wait until at least one Lua handler has run. One already queued counts, and
so does one that ran since the previous `pause` returned (a handler may run
at any instruction, even at the call of `pause` itself), so the loop
`while not done do ipc.pause() end` never misses a signal.
@function pause
@treturn int how many handlers ran
*/
static int l_pause(lua_State *L) {
  for (;;) {
    uipc_sig_dispatch(L);
    if (handlers_ran != pause_seen)
      break;
    struct pollfd wake[1];
    uipc_poll_once(L, wake, 0, -1);
  }
  lua_pushinteger(L, (lua_Integer)(handlers_ran - pause_seen));
  pause_seen = handlers_ran;
  return 1;
}

/***
Run the queued handlers now.
@function dispatch
@treturn int how many ran
*/
static int l_dispatch(lua_State *L) {
  lua_pushinteger(L, uipc_sig_dispatch(L));
  return 1;
}

static int dispatch_protected(lua_State *L) {
  lua_pushinteger(L, uipc_sig_dispatch(L));
  return 1;
}

/* All of the n signals are in the set. */
static int all_in(const int *sigs, int n, const sigset_t *set) {
  for (int i = 0; i < n; i++)
    if (sigismember(set, sigs[i]) != 1)
      return 0;
  return 1;
}

/***
Wait for one of the signals synchronously, taking it without running its
handler. The signals are blocked while waiting; block them beforehand (with
`sigblock`) so that none arrives between two calls.
@function sigwait
@param sigs a name or an array of names
@number[opt] timeout seconds
@treturn[1] string the signal's name
@treturn[1] table info (`signo`, `name`, `pid`, `uid`, `code`, `value`, `status`)
@return[2] nil
@treturn[2] string "timeout"
@treturn[2] int ETIMEDOUT
*/
static int l_sigwait(lua_State *L) {
  sigset_t set, old;
  int sigs[NSIG];
  int nsigs = checksigset(L, 1, &set, sigs);
  double deadline = uipc_deadline(uipc_opttimeout(L, 2));
  int blocked_before = mask_known && all_in(sigs, nsigs, &known_mask);
  if (!blocked_before) {
    sigprocmask(SIG_BLOCK, &set, &old);
    blocked_before = all_in(sigs, nsigs, &old);
    mask_learn(SIG_BLOCK, &set, &old);
  }
  uipc_sigentry e;
  int got = 0, err = 0;
  for (;;) {
    if (take_first(in_set, &set, &e)) {
      got = 1;
      break;
    }
    siginfo_t info;
    struct timespec ts;
    uipc_time_left(deadline, &ts);
    uipc_sigq_waiting(&ts);  /* a delivery to a handler cuts the wait short */
    int s = uipc_sigq_pending() ? (errno = EINTR, -1) : sigtimedwait(&set, &info, &ts);
    uipc_sigq_waiting(NULL);
    if (s > 0) {
      uipc_sigentry_set(&e, s, &info);
      got = 1;
      break;
    }
    if (errno == EAGAIN && deadline >= 0 && uipc_monotime() >= deadline)
      break;  /* the timeout */
    if (errno != EAGAIN && errno != EINTR) {
      err = errno;
      break;
    }
    /* another signal's handler is due: run it, but never raise with the
     * mask changed */
    lua_pushcfunction(L, dispatch_protected);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
      if (!blocked_before)
        sigprocmask(SIG_SETMASK, &old, NULL);
      return raise_after_handler(L);
    }
    lua_pop(L, 1);
  }
  if (!blocked_before) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    mask_learn(SIG_SETMASK, &old, &old);
  }
  if (err)
    return uipc_fail_errno(L, err, "sigwait", NULL);
  if (!got)
    return uipc_fail_timeout(L);
  push_delivery(L, &e);
  return 2;
}

/* guarded_pcall(guard, seconds, fn, ...) -> pcall's results. The alarm is
 * set here, just before the protected call, and guard.done = true right
 * after it, with no Lua call or instruction in between (a hook fires on
 * those, even on a C function's return): ipc.timeout's ALRM handler, which
 * raises only while guard.done is unset, can only raise inside fn. */
static int l_guarded_pcall(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  double seconds = luaL_checknumber(L, 2);
  luaL_checkany(L, 3);
  lua_remove(L, 2);
  int failed;
  set_alarm(seconds, &failed);
  if (failed)
    return uipc_fail(L, "setitimer", NULL);
  int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
  lua_pushboolean(L, 1);
  lua_setfield(L, 1, "done");
  lua_pushboolean(L, status == LUA_OK);
  lua_replace(L, 1);
  return lua_gettop(L);
}

/***
A descriptor that becomes readable when a delivery is queued, for
select/poll loops of other libraries.
@function sigfd
@treturn int
*/
static int l_sigfd(lua_State *L) {
  lua_pushinteger(L, uipc_sig_exportfd());
  return 1;
}

/***
Counts per signal name: `delivered` (reached the C handler), `handled` (ran
a Lua handler) and `dropped` (the queue was full).
@function sigstats
@treturn table `{INT = {delivered = n, handled = n, dropped = n}, ...}`
*/
static int l_sigstats(lua_State *L) {
  lua_newtable(L);
  for (int s = 1; s < NSIG; s++) {
    if (!names[s][0])
      continue;
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)uipc_sigq_delivered(s));
    lua_setfield(L, -2, "delivered");
    lua_pushinteger(L, (lua_Integer)handled[s]);
    lua_setfield(L, -2, "handled");
    lua_pushinteger(L, (lua_Integer)uipc_sigq_dropped(s));
    lua_setfield(L, -2, "dropped");
    lua_setfield(L, -2, names[s]);
  }
  return 1;
}

static const luaL_Reg funcs[] = {
  { "signal", l_signal },     { "getsignal", l_getsignal },
  { "kill", l_kill },         { "killpg", l_killpg },
  { "raise", l_raise },       { "sigqueue", l_sigqueue },
  { "signum", l_signum },     { "signame", l_signame },
  { "signals", l_signals },   { "sigblock", l_sigblock },
  { "sigunblock", l_sigunblock }, { "sigsetmask", l_sigsetmask },
  { "sigmask", l_sigmask },   { "sigpending", l_sigpending },
  { "alarm", l_alarm },       { "sleep", l_sleep },
  { "pause", l_pause },       { "dispatch", l_dispatch },
  { "sigwait", l_sigwait },   { "sigfd", l_sigfd },
  { "sigstats", l_sigstats }, { "_guarded_pcall", l_guarded_pcall },
  { NULL, NULL }
};

int uipc_signals_open(lua_State *L) {
  static int once;
  if (!once) {  /* once per process */
    if (uipc_sigq_init() < 0)
      return luaL_error(L, "unixipc: cannot create the signal wake-up descriptor: %s",
                        strerror(errno));
    names_init();
    pthread_atfork(NULL, NULL, backlog_after_fork);
    once = 1;
  }
  sentinel(L);
  uipc_register(L, funcs);
  return 0;
}
