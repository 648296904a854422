#!/bin/sh
# Install, with apt-get, the Debian packages unixipc needs that are missing.
# A no-op when everything is there. `deps.sh fuzz`: what `make fuzz` needs
# on top (clang and its libFuzzer/sanitizer runtimes).
set -e
if [ "${1:-}" = fuzz ]; then
  packages="clang"
else
  packages="gcc make pkg-config lua5.4 liblua5.4-dev lua-busted luarocks
libreadline-dev valgrind lua-ldoc perl tmux util-linux procps busybox"
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
updated=

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

install() {
  missing=""
  for p in "$@"; do
    installed "$p" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "make deps: installing$missing"
  if [ -z "$updated" ]; then
    $SUDO apt-get update -qq
    updated=yes
  fi
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# shellcheck disable=SC2086
install $packages
if [ "${1:-}" = fuzz ]; then
  # libFuzzer comes with the compiler-rt of clang's own version
  # (libclang-rt-14-dev on Debian 12), a recommendation only of clang's.
  major=$(clang -dumpversion | cut -d. -f1)
  install "libclang-rt-$major-dev"
fi
