#!/bin/bash
# The in-container shim (shim/) against a fake agent (shim_fake_agent.c,
# the agent side of include/shimproto.h with the real filter): what the
# artifacts depend on, LD_PRELOAD and driftlock-exec on the host, one attach
# per process tree, the failure policy, and both inside a busybox-static and
# a Debian chroot with the shim directory bind-mounted read-only at
# /.driftlock, as an operator would mount it into a container.
. "$(dirname "$0")/../lib.sh"
need_root

FAKE=$DRIFTLOCK_BUILD/tests/shim_fake_agent
PRELOAD=$DRIFTLOCK_BUILD/libdriftlock-preload.so
EXEC=$DRIFTLOCK_BUILD/driftlock-exec
for f in "$FAKE" "$PRELOAD" "$EXEC" "$PROBE"; do
        [ -e "$f" ] || { fail "$f is missing"; finish; }
done
# Nothing of the caller's environment may steer the shim.
unset DRIFTLOCK_SHIM_SOCKET DRIFTLOCK_SHIM_FAIL LD_PRELOAD
# Under `make asan` the probe is sanitized, and ASan insists on being the
# first library; the shim runs before it and calls nothing it intercepts.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
W=$T_DIR/w
mkdir -p "$W"
CHROOT=$(command -v chroot) || skip "chroot not installed"

# start_fake NAME SOCKET [OPTION...]: a fake agent logging to $T_DIR/NAME.log.
start_fake() {
        local name=$1 sock=$2; shift 2
        "$FAKE" "$sock" "$@" >"$T_DIR/$name.log" 2>&1 &
        at_exit "kill $!"
        wait_until 30 grep -q '^ready' "$T_DIR/$name.log" && return 0
        fail "fake agent $name did not start"; cat "$T_DIR/$name.log" >&2
        return 1
}
log_count() { count_lines "$T_DIR/$1.log" "${@:2}"; }
lines() { [ -s "$1" ] && wc -l <"$1" || echo 0; }

# --- what the artifacts need from an image: nothing --------------------------
check "preload library: no NEEDED entry" [ "$(readelf -dW "$PRELOAD" | grep -c NEEDED)" -eq 0 ]
assert_eq "preload library: no dynamic symbol, imported or exported" \
        "$(readelf --dyn-syms -W "$PRELOAD" | awk '$1 ~ /^[0-9]+:$/ && $8 != ""' | wc -l)" 0
assert_contains "ldd: statically linked" "$(ldd "$PRELOAD" 2>&1)" "statically linked"
assert_not_contains "driftlock-exec: no interpreter" "$(readelf -lW "$EXEC")" INTERP
assert_contains "driftlock-exec: no dynamic section" "$(readelf -d "$EXEC" 2>&1)" "no dynamic section"

# --- LD_PRELOAD on the host -----------------------------------------------------
start_fake pre "$T_DIR/pre.sock" || finish
preload() { DRIFTLOCK_SHIM_SOCKET=$T_DIR/pre.sock LD_PRELOAD=$PRELOAD "$@"; }
out=$(preload "$PROBE" open "$W/deny-me" wc 2>"$T_DIR/err")
assert_eq "preload: a write the agent refuses fails with EPERM" "$out" "errno EPERM"
check "preload: the file was not created" [ ! -e "$W/deny-me" ]
assert_eq "preload: attached in silence (nothing on stderr)" "$(lines "$T_DIR/err")" 0
check "preload: the agent saw the attach, kind 1" [ "$(log_count pre 'hello pid=' 'kind=1')" -eq 1 ]
check "preload: and the refused open" [ "$(log_count pre "path=$W/deny-me" verdict=EPERM)" -eq 1 ]
out=$(preload "$PROBE" open "$W/ok" wc)
assert_eq "preload: an allowed write works" "$out" "opened"
check "preload: and was seen" [ "$(log_count pre "path=$W/ok" verdict=continue)" -eq 1 ]

# errno: a constructor of another library sets it before the shim's runs
# (later LD_PRELOAD entries are initialised first); main must still see it.
cat >"$T_DIR/seterrno.c" <<'EOF'
#include <errno.h>
#include <unistd.h>
__attribute__((constructor)) static void set(void) { write(2, "seterrno\n", 9); errno = EXDEV; }
EOF
cat >"$T_DIR/showerrno.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
int main(void) { int e = errno; printf("errno=%d\n", e); return 0; }
EOF
if ! cc -shared -fPIC -o "$T_DIR/seterrno.so" "$T_DIR/seterrno.c" ||
   ! cc -o "$T_DIR/showerrno" "$T_DIR/showerrno.c"; then
        fail "cannot build the errno helpers"
fi
exdev=$("$PY" -c 'import errno; print(errno.EXDEV)')
assert_eq "errno helpers: errno reaches main without the shim" \
        "$(LD_PRELOAD=$T_DIR/seterrno.so "$T_DIR/showerrno" 2>/dev/null)" "errno=$exdev"
n=$(log_count pre 'attach pid=')
out=$(DRIFTLOCK_SHIM_SOCKET=$T_DIR/pre.sock LD_PRELOAD="$PRELOAD $T_DIR/seterrno.so" "$T_DIR/showerrno" 2>/dev/null)
assert_eq "preload: errno unchanged across an attaching constructor" "$out" "errno=$exdev"
check "preload: (that run attached)" [ "$(log_count pre 'attach pid=')" -eq $((n + 1)) ]
out=$(DRIFTLOCK_SHIM_FAIL=open DRIFTLOCK_SHIM_SOCKET=$T_DIR/absent.sock \
        LD_PRELOAD="$PRELOAD $T_DIR/seterrno.so" "$T_DIR/showerrno" 2>"$T_DIR/err")
assert_eq "preload: errno unchanged across a failing one" "$out" "errno=$exdev"
assert_eq "preload: the other constructor ran first" "$(head -n 1 "$T_DIR/err")" "seterrno"

# The workload keeps no fd of the shim (socket, listener) and runs with
# no_new_privs (the documented price of installing a filter unprivileged).
assert_eq "preload: no fd left behind" "$(preload ls /proc/self/fd | tr '\n' ' ')" \
        "$(ls /proc/self/fd | tr '\n' ' ')"
assert_contains "preload: no_new_privs is set" "$(preload grep NoNewPrivs /proc/self/status)" "NoNewPrivs:	1"

# musl calls constructors without (argc, argv, envp): the shim then reads
# /proc/self/environ, so the socket override must still be found.
if command -v musl-gcc >/dev/null 2>&1; then
        cat >"$T_DIR/wr.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
        int e = errno;
        FILE *f = argc > 1 ? fopen(argv[1], "w") : NULL;
        printf("errno=%d open=%s\n", e, f ? "ok" : strerror(errno));
        return 0;
}
EOF
        musl-gcc -o "$T_DIR/wr-musl" "$T_DIR/wr.c" || fail "musl-gcc failed"
        out=$(preload "$T_DIR/wr-musl" "$W/deny-me-musl")
        assert_eq "preload under musl: attached, write refused" "$out" "errno=0 open=Operation not permitted"
        check "preload under musl: the agent saw it" [ "$(log_count pre "path=$W/deny-me-musl" verdict=EPERM)" -eq 1 ]
else
        echo "note: musl-gcc not installed (musl-tools): the musl check did not run"
fi

# --- driftlock-exec on the host --------------------------------------------------
start_fake ex "$T_DIR/ex.sock" || finish
dexec() { DRIFTLOCK_SHIM_SOCKET=$T_DIR/ex.sock "$EXEC" "$@"; }
out=$(dexec -- /bin/busybox sh -c "echo x >'$W/deny-me-bb'; echo rc=\$?; echo y >'$W/ok-bb'" 2>"$T_DIR/err")
assert_eq "exec + static busybox: refused write" "$out" "rc=1"
check "exec + static busybox: allowed write" [ -s "$W/ok-bb" ]
check "exec: the agent saw the attach, kind 2" [ "$(log_count ex 'hello pid=' 'kind=2')" -eq 1 ]
check "exec: the entrypoint's execve is the first held call" \
        grep -q 'syscall=execve path=/bin/busybox' <(grep '^notify' "$T_DIR/ex.log" | head -n 1)
out=$(dexec "$PROBE" open "$W/deny-me-dyn" wc)
assert_eq "exec + dynamic program (no --): refused write" "$out" "errno EPERM"

mkdir -p "$T_DIR/p0/tool" "$T_DIR/p1" "$T_DIR/p2"
printf 'not executable\n' >"$T_DIR/p1/tool"
printf '#!/bin/sh\necho tool ran\n' >"$T_DIR/p2/tool"
chmod +x "$T_DIR/p2/tool"
out=$(PATH=$T_DIR/p0:$T_DIR/p1:$T_DIR/p2 dexec tool)
assert_eq "exec: PATH search skips a directory and a non-executable file" "$out" "tool ran"
out=$(PATH=$T_DIR/p1 dexec tool 2>&1); rc=$?
assert_eq "exec: only a non-executable candidate: 126" "$rc" 126
assert_eq "exec: says EACCES" "$out" "driftlock-exec: tool: EACCES"
out=$(PATH=$T_DIR/p0 dexec no-such-tool 2>&1); rc=$?
assert_eq "exec: not found: 127" "$rc" 127
assert_eq "exec: says ENOENT" "$out" "driftlock-exec: no-such-tool: ENOENT"
"$EXEC" >/dev/null 2>&1
assert_eq "exec: no command: usage, 2" "$?" 2
printf 'garbage' >"$T_DIR/p2/junk"; chmod +x "$T_DIR/p2/junk"
out=$(dexec "$T_DIR/p2/junk" 2>&1); rc=$?
assert_eq "exec: execve failing after the attach: 126" "$rc" 126
assert_eq "exec: says the errno" "$out" "driftlock-exec: $T_DIR/p2/junk: ENOEXEC"

# --- one attach per process tree ---------------------------------------------------
start_fake tree "$T_DIR/tree.sock" || finish
DRIFTLOCK_SHIM_SOCKET=$T_DIR/tree.sock LD_PRELOAD=$PRELOAD sh -c 'ls / >/dev/null; ls / >/dev/null'
assert_eq "tree: sh -c 'ls; ls' exits 0" "$?" 0
assert_eq "tree: one hello (children ask the kernel, not the agent)" "$(log_count tree 'hello pid=')" 1
assert_eq "tree: one attach" "$(log_count tree 'attach pid=')" 1
assert_eq "tree: both ls execs held" "$(log_count tree 'syscall=execve' 'bin/ls')" 2
DRIFTLOCK_SHIM_SOCKET=$T_DIR/tree.sock LD_PRELOAD=$PRELOAD "$EXEC" -- sh -c 'ls / >/dev/null'
assert_eq "tree: exec wrapper plus LD_PRELOAD: still one more attach" "$(log_count tree 'attach pid=')" 2

# Without the probe rule in the filter: a child gets the filter, and the
# kernel's one-listener rule (EBUSY) tells it that it is attached already.
start_fake noprobe "$T_DIR/noprobe.sock" --no-probe || finish
DRIFTLOCK_SHIM_SOCKET=$T_DIR/noprobe.sock LD_PRELOAD=$PRELOAD sh -c 'ls / >/dev/null; ls / >/dev/null' 2>"$T_DIR/err"
assert_eq "no probe rule: exits 0" "$?" 0
assert_eq "no probe rule: silent" "$(lines "$T_DIR/err")" 0
assert_eq "no probe rule: one attach" "$(log_count noprobe 'attach pid=')" 1
assert_eq "no probe rule: the children asked" "$(log_count noprobe 'hello pid=')" 3
start_fake already "$T_DIR/already.sock" --no-probe --already || finish
DRIFTLOCK_SHIM_SOCKET=$T_DIR/already.sock LD_PRELOAD=$PRELOAD sh -c 'ls / >/dev/null; ls / >/dev/null' 2>"$T_DIR/err"
assert_eq "agent says already attached: exits 0" "$?" 0
assert_eq "agent says already attached: silent" "$(lines "$T_DIR/err")" 0
assert_eq "agent says already attached: one attach" "$(log_count already 'attach pid=')" 1
assert_eq "agent says already attached: to both children" "$(log_count already 'already pid=')" 2

# --- failure policy ------------------------------------------------------------------
# run_shim WHO SOCKET [VAR=VALUE...]: runs `echo ran` through the preload
# library (WHO=preload) or the exec wrapper (WHO=exec); sets OUT, ERR, RC.
run_shim() {
        local who=$1 sock=$2; shift 2
        if [ "$who" = preload ]; then
                OUT=$(env DRIFTLOCK_SHIM_SOCKET="$sock" LD_PRELOAD="$PRELOAD" "$@" /bin/echo ran 2>"$T_DIR/err")
        else
                OUT=$(env DRIFTLOCK_SHIM_SOCKET="$sock" "$@" "$EXEC" -- /bin/echo ran 2>"$T_DIR/err")
        fi
        RC=$?
        ERR=$(cat "$T_DIR/err")
}
start_fake refuse "$T_DIR/refuse.sock" --refuse || finish
start_fake badmagic "$T_DIR/badmagic.sock" --bad-magic || finish
start_fake drop "$T_DIR/drop.sock" --drop-after-filter || finish
start_fake nack "$T_DIR/nack.sock" --nack || finish
for who in preload exec; do
        run_shim $who "$T_DIR/absent.sock"
        assert_eq "$who, no agent: exit 126" "$RC" 126
        assert_eq "$who, no agent: the workload did not run" "$OUT" ""
        assert_eq "$who, no agent: one line on stderr" "$(lines "$T_DIR/err")" 1
        assert_contains "$who, no agent: says why" "$ERR" "$T_DIR/absent.sock (connect: ENOENT); refusing to start"
        run_shim $who "$T_DIR/absent.sock" DRIFTLOCK_SHIM_FAIL=closed
        assert_eq "$who, no agent, closed: exit 126" "$RC" 126
        run_shim $who "$T_DIR/absent.sock" DRIFTLOCK_SHIM_FAIL=bogus
        assert_eq "$who, no agent, unknown policy counts as closed" "$RC" 126
        run_shim $who "$T_DIR/absent.sock" DRIFTLOCK_SHIM_FAIL=open
        assert_eq "$who, no agent, open: runs" "$RC/$OUT" "0/ran"
        assert_eq "$who, no agent, open: one line on stderr" "$(lines "$T_DIR/err")" 1
        assert_contains "$who, no agent, open: a warning" "$ERR" "warning: cannot attach"
        assert_contains "$who, no agent, open: says unsupervised" "$ERR" "running unsupervised"

        run_shim $who "$T_DIR/refuse.sock"
        assert_eq "$who, agent refuses: exit 126" "$RC" 126
        assert_contains "$who, agent refuses: says so" "$ERR" "refused by the agent at $T_DIR/refuse.sock (filter: unknown container)"
        run_shim $who "$T_DIR/refuse.sock" DRIFTLOCK_SHIM_FAIL=open
        assert_eq "$who, agent refuses, open: runs" "$RC/$OUT" "0/ran"
        run_shim $who "$T_DIR/badmagic.sock"
        assert_eq "$who, garbage answer: exit 126" "$RC" 126
        assert_contains "$who, garbage answer: EPROTO" "$ERR" "(filter: EPROTO)"

        # Once the filter is in, there is no way back: fatal whatever the policy.
        run_shim $who "$T_DIR/drop.sock" DRIFTLOCK_SHIM_FAIL=open
        assert_eq "$who, agent gone after the filter, open: still 126" "$RC" 126
        assert_contains "$who, agent gone after the filter: says so" "$ERR" "filter installed but not handed over"
        run_shim $who "$T_DIR/nack.sock" DRIFTLOCK_SHIM_FAIL=open
        assert_eq "$who, agent refuses the listener, open: still 126" "$RC" 126
        assert_contains "$who, agent refuses the listener: says so" "$ERR" "(ack: internal error)"
done
# A silent agent costs one timeout, not a hang.
start_fake hang "$T_DIR/hang.sock" --hang || finish
start=$SECONDS
run_shim exec "$T_DIR/hang.sock"
assert_eq "silent agent: exit 126" "$RC" 126
assert_contains "silent agent: timed out" "$ERR" "(filter: EAGAIN)"
check "silent agent: within the 5 s timeout" [ $((SECONDS - start)) -le 8 ]

# --- chroots: busybox-static with driftlock-exec, Debian with LD_PRELOAD -----------
# The shim dir as an operator mounts it: the artifacts and the agent's socket,
# bind-mounted read-only at /.driftlock.
SHIMDIR=$T_DIR/shimdir
mkdir -p "$SHIMDIR"
cp "$EXEC" "$PRELOAD" "$SHIMDIR/"
start_fake chroot "$SHIMDIR/agent.sock" || finish
mount_shimdir() {
        mkdir -p "$1/.driftlock" &&
                mount --bind "$SHIMDIR" "$1/.driftlock" &&
                at_exit "umount -l '$1/.driftlock'" &&
                mount -o remount,bind,ro "$1/.driftlock"
}
BB=$T_DIR/bb
if scripts/make-rootfs-busybox.sh "$BB" && mount_shimdir "$BB"; then
        # The image's own override cannot lead the shim away from the mounted socket.
        out=$(env -i PATH=/bin DRIFTLOCK_SHIM_SOCKET=/elsewhere.sock "$CHROOT" "$BB" \
                /.driftlock/driftlock-exec -- sh -c 'echo x >/tmp/deny-me; echo rc=$?; echo y >/tmp/ok; cat /tmp/ok' 2>"$T_DIR/err")
        assert_eq "busybox chroot: attached through the read-only mount" "$out" "rc=1
y"
        check "busybox chroot: the agent saw the path as the chroot sees it" \
                [ "$(log_count chroot 'path=/tmp/deny-me' verdict=EPERM)" -eq 1 ]
        check "busybox chroot: the mounted socket won over DRIFTLOCK_SHIM_SOCKET" \
                [ "$(log_count chroot 'hello pid=' 'kind=2')" -eq 1 ]
else
        fail "cannot set up the busybox chroot"
fi
DEB=$T_DIR/deb
if scripts/make-rootfs-debian.sh "$DEB" >/dev/null && mount_shimdir "$DEB"; then
        # exec: the shell's pid becomes ls's, the process that attaches.
        out=$(env -i PATH=/usr/bin:/bin "$CHROOT" "$DEB" /bin/sh -c \
                'echo $$; LD_PRELOAD=/.driftlock/libdriftlock-preload.so exec /bin/ls /.driftlock' 2>"$T_DIR/err")
        pid=$(head -n 1 <<<"$out")
        assert_contains "Debian chroot: LD_PRELOAD ls runs" "$out" "libdriftlock-preload.so"
        check "Debian chroot: /bin/ls attached itself" [ "$(log_count chroot "attach pid=$pid")" -eq 1 ]
        assert_eq "Debian chroot: silent" "$(lines "$T_DIR/err")" 0
        out=$(env -i PATH=/usr/bin:/bin "$CHROOT" "$DEB" /usr/bin/env LD_PRELOAD=/.driftlock/libdriftlock-preload.so \
                /bin/sh -c 'echo x >/tmp/deny-me-deb; echo rc=$?' 2>/dev/null)
        assert_eq "Debian chroot: refused write (dash says 2)" "$out" "rc=2"
else
        fail "cannot set up the Debian chroot"
fi

finish
