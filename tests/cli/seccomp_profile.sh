#!/bin/bash
# CLI tests of `driftlock seccomp-profile`, then acceptance with the real
# runc: the profiles pass runc's own checks (it gets as far as connecting to
# the listener), and a container runs under a merged profile with a tiny
# agent that answers every notification with CONTINUE.
# The runc part needs root, runc and a static busybox; without them the CLI
# part still runs and the test exits 77 (skip) naming what was missing.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CONTAINERS_DEFAULT=/usr/share/containers/seccomp.json
cd "$T_DIR" || exit 1

# run CMD...: stdout in $out, stderr in $err, exit code in $rc.
run() {
        "$@" >"$T_DIR/out.txt" 2>"$T_DIR/err.txt"
        rc=$?
        out=$(cat "$T_DIR/out.txt")
        err=$(cat "$T_DIR/err.txt")
}

# json_checks: reads "DESCRIPTION<TAB>PYTHON-EXPR" lines and evaluates each
# with d = the JSON in out.txt (one python3 for all: it starts slowly on a
# loaded machine). notified(d) and uncond(d) list the notified names, all
# of them and those without condition.
json_checks() {
        local line
        while IFS= read -r line; do
                case $line in
                ok:*) echo "$line" ;;
                *) fail "${line#FAIL: }" ;;
                esac
        done < <("$PY" -c 'import json, sys
def notified(d):
    return [n for s in d["syscalls"] if s["action"] == "SCMP_ACT_NOTIFY" for n in s.get("names", [])]
def uncond(d):
    return [n for s in d["syscalls"] if s["action"] == "SCMP_ACT_NOTIFY" and not s.get("args") for n in s["names"]]
checks = [l.rstrip("\n").split("\t", 1) for l in sys.stdin if l.strip()]
try:
    d = json.load(open(sys.argv[1]))
except ValueError as e:
    d = None
    print("FAIL: output is not JSON: %s" % e)
for desc, expr in checks:
    try:
        ok = d is not None and eval(expr)
    except Exception as e:
        ok = False
        desc += " (%r)" % e
    print(("ok: " if ok else "FAIL: ") + desc + ("" if ok else ": " + expr))' "$T_DIR/out.txt")
}

# ---- usage ---------------------------------------------------------------

run "$DL" seccomp-profile --help
assert_eq "--help exits 0" "$rc" 0
assert_contains "--help prints the usage" "$out" "Usage: driftlock seccomp-profile"
run "$DL" --help
assert_contains "the command is listed" "$out" "seccomp-profile"
run "$DL" seccomp-profile --mode sometimes
assert_eq "unknown mode: exit 2" "$rc" 2
assert_contains "unknown mode: message" "$err" "unknown mode 'sometimes'"
run "$DL" seccomp-profile --listener relative.sock
assert_eq "relative listener: exit 2" "$rc" 2
assert_contains "relative listener: message" "$err" "absolute"
run "$DL" seccomp-profile --bogus
assert_eq "unknown option: exit 2" "$rc" 2
run "$DL" seccomp-profile --base
assert_eq "--base without FILE: exit 2" "$rc" 2
assert_contains "--base without FILE: message" "$err" "needs an argument"
run "$DL" seccomp-profile extra
assert_eq "an operand: exit 2" "$rc" 2

# ---- standalone ----------------------------------------------------------

run "$DL" seccomp-profile
assert_eq "default: exit 0" "$rc" 0
check "default: python3 -m json.tool accepts it" "$PY" -m json.tool "$T_DIR/out.txt" /dev/null
json_checks <<'EOF'
default action is ALLOW	d["defaultAction"] == "SCMP_ACT_ALLOW"
native architecture only	d["architectures"] == ["SCMP_ARCH_X86_64"]
default listener	d["listenerPath"] == "/run/driftlock/listener.sock"
no metadata unless asked	"listenerMetadata" not in d
write, sendmsg, fcntl never notified	not {"write", "sendmsg", "fcntl", "read", "close"} & set(notified(d))
execve, connect, mkdir notified	{"execve", "connect", "mkdir"} <= set(uncond(d))
openat: one rule per write flag	sorted(a["value"] for s in d["syscalls"] if s["names"] == ["openat"] for a in s.get("args", [])) == [1, 2, 64, 512]
openat read-only not notified	"openat" not in uncond(d)
io_uring refused with errnoRet	any(s["action"] == "SCMP_ACT_ERRNO" and s["errnoRet"] == 1 and "io_uring_setup" in s["names"] for s in d["syscalls"])
sendto notified only with a destination	[s["args"] for s in d["syscalls"] if "sendto" in s["names"]] == [[{"index": 4, "value": 0, "op": "SCMP_CMP_NE"}]]
EOF

run "$DL" seccomp-profile --reads --mode enforce --listener @driftlock-test --metadata "image=busybox"
assert_eq "--reads: exit 0" "$rc" 0
json_checks <<'EOF'
--reads: open and openat unconditional	{"open", "openat"} <= set(uncond(d))
--reads: no flag rules	not any(s.get("args") for s in d["syscalls"] if s["action"] == "SCMP_ACT_NOTIFY" and s["names"] != ["sendto"])
--listener	d["listenerPath"] == "@driftlock-test"
--metadata	d["listenerMetadata"] == "image=busybox"
EOF

# ---- --base --------------------------------------------------------------

run "$DL" seccomp-profile --base "$T_DIR/no-such-profile.json"
assert_eq "missing base: exit 1" "$rc" 1
assert_contains "missing base: the path is named" "$err" "$T_DIR/no-such-profile.json"
assert_eq "missing base: nothing printed" "$out" ""

mkfifo "$T_DIR/fifo.json"
run timeout 20 "$DL" seccomp-profile --base "$T_DIR/fifo.json"
assert_eq "FIFO base: exit 1, not a hang" "$rc" 1
assert_contains "FIFO base: why" "$err" "$T_DIR/fifo.json: not a regular file"
run "$DL" seccomp-profile --base "$T_DIR"
assert_eq "directory base: exit 1" "$rc" 1
assert_contains "directory base: why" "$err" "$T_DIR: Is a directory"

printf '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [}\n' >"$T_DIR/broken.json"
run "$DL" seccomp-profile --base "$T_DIR/broken.json"
assert_eq "malformed base: exit 1" "$rc" 1
assert_contains "malformed base: file and line" "$err" "$T_DIR/broken.json:2:"

printf '{"defaultAction": "SCMP_ACT_NOTIFY"}\n' >"$T_DIR/notify.json"
run "$DL" seccomp-profile --base "$T_DIR/notify.json"
assert_eq "NOTIFY default: exit 1" "$rc" 1
assert_contains "NOTIFY default: why" "$err" "defaultAction SCMP_ACT_NOTIFY"

printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}\n' >"$T_DIR/obj.json"
run "$DL" seccomp-profile --base "$T_DIR/obj.json"
assert_eq "syscalls not an array: exit 1" "$rc" 1
assert_contains "syscalls not an array: message" "$err" "syscalls: not an array"

printf '%s\n' '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [' \
        '{"names": ["read", "write", "openat", "execve", "exit_group"], "action": "SCMP_ACT_ALLOW"},' \
        '{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}' >"$T_DIR/small.json"
run "$DL" seccomp-profile --base "$T_DIR/small.json"
assert_eq "small base: exit 0" "$rc" 0
json_checks <<'EOF'
small base: default kept	d["defaultAction"] == "SCMP_ACT_ERRNO" and d["defaultErrnoRet"] == 38
small base: allow list without driftlock's syscalls	d["syscalls"][0]["names"] == ["read", "write", "exit_group"]
small base: its refusal kept	d["syscalls"][1] == {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
small base: read-only openat allowed	any(s["action"] == "SCMP_ACT_ALLOW" and s["names"] == ["openat"] and s["args"][0]["value"] == 579 and s["args"][0]["valueTwo"] == 0 for s in d["syscalls"])
small base: what it refuses is not notified	"connect" not in notified(d)
EOF

if [ -r "$CONTAINERS_DEFAULT" ]; then
        run "$DL" seccomp-profile --base "$CONTAINERS_DEFAULT"
        assert_eq "containers-common base: exit 0" "$rc" 0
        json_checks <<'EOF'
containers-common base: no archMap	"archMap" not in d
containers-common base: write, sendmsg, fcntl never notified	not {"write", "sendmsg", "fcntl"} & set(notified(d))
containers-common base: execve notified	"execve" in uncond(d)
EOF
fi

# ---- runc ----------------------------------------------------------------

missing=
[ "$(id -u)" -eq 0 ] || missing="root"
command -v runc >/dev/null 2>&1 || missing="${missing:+$missing, }runc"
BUSYBOX=${BUSYBOX:-/bin/busybox}
if [ ! -x "$BUSYBOX" ] || readelf -lW "$BUSYBOX" 2>/dev/null | grep -q INTERP; then
        missing="${missing:+$missing, }a static busybox"
fi
if [ -n "$missing" ]; then
        [ "$T_FAILED" -gt 0 ] && finish
        skip "runc acceptance needs $missing (the CLI checks passed)"
fi

bundle=$T_DIR/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/etc" "$bundle/rootfs/tmp" \
        "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
cp "$BUSYBOX" "$bundle/rootfs/bin/busybox"
echo 'root:x:0:0:root:/:/bin/sh' >"$bundle/rootfs/etc/passwd"
(cd "$bundle" && runc spec) || { fail "runc spec"; finish; }
cid=driftlock-seccomp-test-$$-$RANDOM
at_exit "runc delete -f $cid"

# use_profile FILE ARGS: config.json with FILE as linux.seccomp and ARGS
# (a shell command) as the process.
use_profile() {
        "$PY" - "$bundle/config.json" "$1" "$2" <<'EOF'
import json, sys
path, profile, cmd = sys.argv[1:4]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/busybox", "sh", "-c", cmd]
c["root"]["readonly"] = False
c["linux"]["seccomp"] = json.load(open(profile))
json.dump(c, open(path, "w"))
EOF
}

runc_run() {
        (cd "$bundle" && timeout 60 runc run "$cid") >"$T_DIR/out.txt" 2>"$T_DIR/err.txt"
        rc=$?
        out=$(cat "$T_DIR/out.txt")
        err=$(cat "$T_DIR/err.txt")
        runc delete -f "$cid" >/dev/null 2>&1
}

# Nothing listens on this socket: runc gets through its own checks of the
# rules (in the container's init, before anything else) and then fails to
# reach the agent. An error about the rules would show instead.
nolistener=$T_DIR/nobody.sock
profiles=(standalone reads)
"$DL" seccomp-profile --listener "$nolistener" >"$T_DIR/standalone.json"
"$DL" seccomp-profile --reads --listener "$nolistener" >"$T_DIR/reads.json"
if [ -r "$CONTAINERS_DEFAULT" ]; then
        "$DL" seccomp-profile --base "$CONTAINERS_DEFAULT" --listener "$nolistener" >"$T_DIR/containers.json"
        profiles+=(containers)
fi
for p in "${profiles[@]}"; do
        use_profile "$T_DIR/$p.json" true
        runc_run
        assert_eq "runc, $p profile, no listener: fails" "$rc" 1
        assert_contains "runc, $p profile: reaches the listener" "$err" "failed to connect with seccomp agent"
        assert_not_contains "runc, $p profile: rules accepted" "$err" "unable to init seccomp"
done

# The control: the same profile with a notified write is refused by runc's
# rule checks, so the assertions above can tell the two apart.
"$PY" - "$T_DIR/standalone.json" "$T_DIR/bad.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["syscalls"].append({"names": ["write"], "action": "SCMP_ACT_NOTIFY"})
json.dump(d, open(sys.argv[2], "w"))
EOF
use_profile "$T_DIR/bad.json" true
runc_run
assert_contains "runc refuses a notified write (control)" "$err" \
        "SCMP_ACT_NOTIFY cannot be used for the write syscall"

# A container that runs: the agent answers CONTINUE and logs
# "nr flags-register" for each notification.
cat >"$T_DIR/agent.py" <<'EOF'
import fcntl, json, select, socket, struct, sys, time
sock_path, log_path, ready_path = sys.argv[1:4]
RECV = 0xc0502100   # SECCOMP_IOCTL_NOTIF_RECV, struct seccomp_notif: 80 bytes
SEND = 0xc0182101   # SECCOMP_IOCTL_NOTIF_SEND, struct seccomp_notif_resp: 24 bytes
OPEN_FLAGS_ARG = {2: 1, 257: 2}     # open, openat
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(4)
open(ready_path, "w").close()
srv.settimeout(60)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
state = json.loads(msg.decode())
log = open(log_path, "w")
log.write("state %s %s\n" % (",".join(state["fds"]), state.get("metadata", "")))
fd = fds[0]
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    buf = bytearray(80)
    try:
        fcntl.ioctl(fd, RECV, buf)
    except OSError:
        break       # no task left under the filter
    nid, pid, flags, nr, arch = struct.unpack_from("=QIIiI", buf, 0)
    args = struct.unpack_from("=6Q", buf, 32)
    log.write("%d %d\n" % (nr, args[OPEN_FLAGS_ARG[nr]] if nr in OPEN_FLAGS_ARG else 0))
    log.flush()
    try:
        fcntl.ioctl(fd, SEND, bytearray(struct.pack("=QqiI", nid, 0, 0, 1)))  # CONTINUE
    except OSError:
        pass
EOF
agent_sock=$T_DIR/agent.sock
run_profile=standalone
if [ -r "$CONTAINERS_DEFAULT" ]; then
        run_profile=containers
        "$DL" seccomp-profile --base "$CONTAINERS_DEFAULT" --listener "$agent_sock" \
                --metadata test-meta >"$T_DIR/run.json"
else
        "$DL" seccomp-profile --listener "$agent_sock" --metadata test-meta >"$T_DIR/run.json"
fi
x32=
if command -v cc >/dev/null 2>&1; then
        # One x32 system call (getpid with __X32_SYSCALL_BIT); exits 0 if it survived.
        printf '%s\n' 'void _start(void) { long r;' \
                '__asm__ volatile("syscall" : "=a"(r) : "a"(0x40000000L | 39) : "rcx", "r11", "memory");' \
                '__asm__ volatile("syscall" : : "a"(60), "D"(0) : "rcx", "r11", "memory"); for (;;); }' \
                >"$T_DIR/x32.c"
        cc -static -nostdlib -O1 -o "$bundle/rootfs/bin/x32call" "$T_DIR/x32.c" 2>/dev/null && x32='; /bin/x32call; echo x32=$?'
fi
use_profile "$T_DIR/run.json" \
        "/bin/busybox cat /etc/passwd >/dev/null && echo drift >/tmp/f && /bin/busybox cat /tmp/f$x32"
"$PY" "$T_DIR/agent.py" "$agent_sock" "$T_DIR/agent.log" "$T_DIR/agent.ready" 2>"$T_DIR/agent.err" &
agent_pid=$!
at_exit "kill $agent_pid"
python_agent_settled() { [ -e "$T_DIR/agent.ready" ] || ! kill -0 "$agent_pid" 2>/dev/null; }
wait_until 60 python_agent_settled
if [ ! -e "$T_DIR/agent.ready" ]; then
        fail "the test's agent did not start:"; sed 's/^/    /' "$T_DIR/agent.err" >&2
        finish
fi
runc_run
wait "$agent_pid"
log=$(cat "$T_DIR/agent.log" 2>/dev/null)
assert_eq "runc, $run_profile profile with an agent: the container exits 0" "$rc" 0
[ "$rc" -eq 0 ] || { echo "runc said:"; printf '%s\n' "$err"; echo "the agent said:"; cat "$T_DIR/agent.err"; } | sed 's/^/    /' >&2
assert_contains "the container wrote and read its file" "$out" "drift"
assert_contains "the agent got the fd and the metadata" "$log" "state seccompFd test-meta"
assert_contains "execve was notified" "$log" "59 0"
check "write opens were notified" grep -qE '^257 ([0-9]+)$' <<<"$log"
check "read-only opens were not notified" \
        "$PY" -c 'import sys
sys.exit(any(int(l.split()[0]) in (2, 257) and int(l.split()[1]) & 0o1103 == 0
             for l in sys.stdin if l[0].isdigit()))' <<<"$log"
if [ -n "$x32" ]; then
        # SIGSYS: libseccomp's bad-arch action, which runc keeps (KILL_THREAD)
        assert_contains "an x32 call is killed" "$out" "x32=159"
fi
finish
