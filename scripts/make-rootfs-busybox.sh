#!/bin/bash
# Builds a minimal container rootfs in DIR from the host's statically linked
# busybox (Debian busybox-static): DIR/bin/busybox, one relative symlink per
# applet, /etc/passwd and /etc/group with root, /tmp (1777) and the /proc,
# /sys, /dev mountpoints the OCI runtime mounts over. A static binary needs
# nothing else, so the rootfs is tiny and builds in well under a second.
#
#   scripts/make-rootfs-busybox.sh DIR
#
# Safe to run again on the same DIR (it refreshes the same files).
# BUSYBOX=PATH uses another busybox binary (it must be static as well).
set -eu

die() { echo "make-rootfs-busybox.sh: $*" >&2; exit 1; }

{ [ $# -eq 1 ] && [ -n "$1" ]; } || die "usage: make-rootfs-busybox.sh DIR"
dir=$1
bb=${BUSYBOX:-/bin/busybox}

[ -x "$bb" ] || die "$bb not found (install busybox-static: scripts/install-deps.sh)"
# A dynamically linked busybox would need the host's libc inside the rootfs;
# the ELF program headers say whether it has an interpreter.
if command -v readelf >/dev/null 2>&1; then
        readelf -lW "$bb" 2>/dev/null | grep -q 'LOAD' || die "$bb is not an ELF executable"
        ! readelf -lW "$bb" | grep -q 'INTERP' ||
                die "$bb is dynamically linked; install busybox-static"
else
        file -L "$bb" | grep -q 'statically linked' ||
                die "$bb is not statically linked; install busybox-static"
fi
list=$("$bb" --list) || die "$bb --list failed"
mapfile -t applets <<<"$list"
[ -n "${applets[0]}" ] || die "$bb --list printed no applets"

mkdir -p "$dir"/bin "$dir"/etc "$dir"/root "$dir"/proc "$dir"/sys "$dir"/dev "$dir"/usr
mkdir -p "$dir"/tmp
chmod 1777 "$dir"/tmp
# cp to a temp name and rename: replacing a busybox that a running
# container still executes must not fail with ETXTBSY.
cp "$bb" "$dir"/bin/.busybox.new
chmod 0755 "$dir"/bin/.busybox.new
mv -f "$dir"/bin/.busybox.new "$dir"/bin/busybox

# Everything lives in /bin; the usual other PATH directories point there so
# that /usr/bin/env, /sbin/ip and friends resolve too.
for d in sbin usr/bin usr/sbin; do
        if [ -d "$dir/$d" ] && [ ! -L "$dir/$d" ]; then
                continue        # left as the caller made it
        fi
        case $d in usr/*) target=../bin ;; *) target=bin ;; esac
        ln -sfn "$target" "$dir/$d"
done

# One process for all ~270 links: a fork per applet costs seconds on a slow
# machine. perl is Essential in Debian; a link that already points to
# busybox is kept, anything else of that name is replaced.
perl -e '
        my $d = shift;
        for my $a (@ARGV) {
                next if $a eq "busybox" or $a =~ m{/} or $a eq "." or $a eq "..";
                my $l = "$d/$a";
                next if (readlink($l) // "") eq "busybox";
                unlink $l if -l $l or -e _;
                symlink("busybox", $l) or die "symlink $l: $!\n";
        }' "$dir"/bin "${applets[@]}" || die "creating the applet links failed"

printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
        'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$dir"/etc/passwd
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$dir"/etc/group
printf '%s\n' '127.0.0.1 localhost' '::1 localhost' >"$dir"/etc/hosts
exit 0
