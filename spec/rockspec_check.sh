#!/usr/bin/env bash
# Prove that the rockspec installs offline with Debian's luarocks, and that a
# plain lua5.4 requires unixipc from that tree.
set -eu
cd "$(dirname "$0")/.."
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
# The builtin build lists the C sources: check it names every one of them.
for f in src/*.c; do
  [ "$f" = src/host.c ] && continue
  grep -q "\"$f\"" rockspec/unixipc-scm-1.rockspec || { echo "rockspec misses $f"; exit 1; }
done
# Build in a copy: luarocks compiles next to the sources.
mkdir "$tree/src-copy"
cp -r src lua rockspec "$tree/src-copy/"
(cd "$tree/src-copy" && luarocks --lua-version=5.4 --tree="$tree" make --deps-mode=none rockspec/unixipc-scm-1.rockspec) >"$tree/log" 2>&1 ||
  { cat "$tree/log"; exit 1; }
out=$(cd / && env -u LUA_PATH -u LUA_CPATH \
  LUA_PATH="$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$tree/lib/lua/5.4/?.so;;" \
  lua5.4 -e 'local ipc = require "unixipc"; local r, w = ipc.pipe(); w:write("ok\n"); print(r:read(), package.searchpath("unixipc.core", package.cpath))')
case "$out" in
  "ok	$tree/"*) echo "luarocks make installed unixipc into a temporary tree: ok" ;;
  *) echo "unexpected: $out"; exit 1 ;;
esac
