/*
 * fuzz/driver.c — the libFuzzer entry of every fuzz target: a Lua state
 * with unixipc (the C module built with the sanitizers, linked in), which
 * loads fuzz/<FUZZ_TARGET>.lua once and calls the function it returns on
 * each input. The Lua side holds the target's oracle; the C routines under
 * test are unixipc's, reached the way a program reaches them. A failed
 * invariant (a Lua error) aborts, so libFuzzer keeps the input as a crash,
 * as it does for what AddressSanitizer or UBSan find.
 *
 * Built and run by fuzz/run (make fuzz), which defines FUZZ_ROOT (the
 * source tree) and FUZZ_TARGET.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int luaopen_unixipc_core(lua_State *L);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static int target_ref;

static int traceback(lua_State *Ls) {
  luaL_traceback(Ls, Ls, luaL_tolstring(Ls, 1, NULL), 1);
  return 1;
}

static void die(const char *what) {
  fprintf(stderr, "fuzz %s: %s: %s\n", FUZZ_TARGET, what, lua_tostring(L, -1));
  abort();
}

static void close_state(void) {
  lua_close(L);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_unixipc_core);
  lua_setfield(L, -2, "unixipc.core");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushstring(L, FUZZ_ROOT "/lua/?.lua;" FUZZ_ROOT "/lua/?/init.lua;" FUZZ_ROOT "/fuzz/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  lua_pushcfunction(L, traceback);
  lua_getglobal(L, "require");
  lua_pushstring(L, FUZZ_TARGET);
  if (lua_pcall(L, 1, 1, 1) != LUA_OK)
    die("loading");
  target_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  atexit(close_state);  /* so that LeakSanitizer sees only real leaks */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_pushcfunction(L, traceback);
  lua_rawgeti(L, LUA_REGISTRYINDEX, target_ref);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 1) != LUA_OK)
    die("invariant");
  lua_settop(L, 0);
  return 0;
}
