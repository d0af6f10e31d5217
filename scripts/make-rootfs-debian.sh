#!/bin/bash
# Puts a Debian bookworm minbase rootfs (dynamically linked programs, glibc,
# dash, coreutils) in DIR, for container tests whose workload must be a
# normal dynamically linked program (LD_PRELOAD).
#
#   scripts/make-rootfs-debian.sh DIR
#
# debootstrap runs once into a cache directory; every later call only copies
# the cache into DIR (reflink where the filesystem can). A lock serialises
# concurrent test runs, and the cache counts only once its stamp file exists:
# the stamp is written after a complete build, so an interrupted build is
# simply done again.
#
# Environment:
#   DRIFTLOCK_ROOTFS_CACHE  cache dir (default
#                           /var/cache/driftlock-test/debian-bookworm-minbase)
#   DEBIAN_MIRROR           archive URL (default: the one apt uses for
#                           bookworm, from /etc/apt/sources.list{,.d/*})
#   DRIFTLOCK_LOCK_TIMEOUT  seconds to wait for another build (default 900)
# Needs root (debootstrap, and the rootfs has root-owned files).
set -eu

suite=bookworm
stamp_name=.driftlock-rootfs-stamp

die() { echo "make-rootfs-debian.sh: $*" >&2; exit 1; }
log() { echo "make-rootfs-debian.sh: $*" >&2; }

{ [ $# -eq 1 ] && [ -n "$1" ]; } || die "usage: make-rootfs-debian.sh DIR"
dir=$1
cache=${DRIFTLOCK_ROOTFS_CACHE:-/var/cache/driftlock-test/debian-$suite-minbase}
cache=${cache%/}
{ [ -n "$cache" ] && [ "$cache" != / ]; } || die "bad DRIFTLOCK_ROOTFS_CACHE"
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap)"

# The first enabled "deb" source for $suite in apt's configuration, one-line
# (.list) or deb822 (.sources) format. Only Debian's archive may be
# reachable from a test machine, and apt's mirror is the one known to work.
apt_mirror() {
        local f
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -f "$f" ] || continue
                awk -v suite="$suite" '
                        $1 == "deb" {
                                i = 2
                                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                                if ($(i + 1) == suite) { print $i; exit }
                        }' "$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                # Paragraphs are separated by blank lines; comments dropped.
                awk -v suite="$suite" '
                        function flush() {
                                if (types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" suite "( |$)") &&
                                    tolower(enabled) != "no" && uris != "") {
                                        split(uris, u, " "); print u[1]; exit
                                }
                                types = suites = uris = enabled = ""
                        }
                        /^[ \t]*#/ { next }
                        /^[ \t]*$/ { flush(); next }
                        {
                                key = tolower($1); $1 = ""; sub(/^ +/, "")
                                if (key == "types:") types = $0
                                else if (key == "suites:") suites = $0
                                else if (key == "uris:") uris = $0
                                else if (key == "enabled:") enabled = $0
                        }
                        END { flush() }' "$f"
        done
}

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
        mirror=$(apt_mirror | head -n 1)
        [ -n "$mirror" ] || die "no '$suite' source in apt's configuration; set DEBIAN_MIRROR"
fi

# debootstrap mounts /proc and /sys inside the target while it runs; a
# killed build leaves them there, and rm must not walk into them.
remove_partial() {
        local mp
        awk -v p="$1/" 'substr($5, 1, length(p)) == p { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r mp; do umount -l "$mp" 2>/dev/null || true; done
        rm -rf --one-file-system "$1"
}

build_cache() {
        command -v debootstrap >/dev/null 2>&1 ||
                die "debootstrap not found (scripts/install-deps.sh installs it)"
        local partial=$cache.partial start=$SECONDS
        remove_partial "$partial"
        log "building $cache from $mirror (once; about a minute)"
        # Its own process group, so that an interrupted build stops all of
        # debootstrap (dpkg, wget) instead of leaving it writing behind us.
        setsid debootstrap --variant=minbase "$suite" "$partial" "$mirror" \
                >"$cache.log" 2>&1 </dev/null &
        local pid=$!
        # shellcheck disable=SC2064 # expand now: pid and partial are local
        trap "kill -TERM -- -$pid 2>/dev/null; wait $pid || true; remove_partial '$partial'; exit 130" INT TERM HUP
        if ! wait "$pid"; then
                tail -n 20 "$cache.log" >&2
                remove_partial "$partial"
                die "debootstrap failed (full log: $cache.log)"
        fi
        # The downloaded .debs are half the size and no test needs them.
        rm -f "$partial"/var/cache/apt/archives/*.deb
        rm -rf "$partial"/var/lib/apt/lists/*
        [ -x "$partial"/bin/sh ] || die "debootstrap left no /bin/sh in $partial"
        printf 'suite=%s\nmirror=%s\nbuilt=%s\n' "$suite" "$mirror" "$(date -u +%FT%TZ)" \
                >"$partial/$stamp_name"
        sync -f "$partial/$stamp_name" 2>/dev/null || true
        rm -rf --one-file-system "$cache"
        mv "$partial" "$cache"
        trap - INT TERM HUP
        log "built $cache in $((SECONDS - start)) s"
}

mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock -w "${DRIFTLOCK_LOCK_TIMEOUT:-900}" 9 ||
        die "timed out waiting for the lock $cache.lock (another build running?)"
[ -f "$cache/$stamp_name" ] || build_cache
# Nobody rebuilds a stamped cache, so readers may share it.
flock -s 9

mkdir -p "$dir"
cp -a --reflink=auto "$cache/." "$dir/" || die "copying $cache to $dir failed"
rm -f "$dir/$stamp_name"
exit 0
