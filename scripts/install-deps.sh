#!/bin/sh
# Installs every build and test dependency of driftlock from Debian's archive.
# Safe to run again: apt-get skips what is installed; the package index is
# refreshed only when it is missing or older than a day.
set -eu

packages="
  build-essential pkg-config make gcc clang libclang-rt-14-dev cppcheck
  libseccomp-dev libcap-dev libinih-dev libcmocka-dev libjansson-dev
  runc podman uidmap busybox-static debootstrap
  iproute2 strace python3 hyperfine musl-tools
"

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: must run as root (it calls apt-get)" >&2
    exit 1
fi

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    apt-get update -q
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
