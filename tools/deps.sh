#!/bin/sh
# Install, with apt-get, the Debian packages unixipc needs that are missing.
# A no-op when everything is there.
set -e
packages="gcc make pkg-config lua5.4 liblua5.4-dev lua-busted luarocks
libreadline-dev valgrind lua-ldoc perl tmux util-linux procps busybox"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "make deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
