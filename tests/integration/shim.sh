#!/bin/bash
# Containers without a seccomp listener: driftlock-hook registers them in
# config.json, the in-container shim attaches their process tree through
# /.driftlock/agent.sock. A Debian rootfs running a dynamically linked
# workload with LD_PRELOAD, a busybox-static rootfs with driftlock-exec:
# learn, enforce with zero denials, then drift refused with events naming
# the container. Then the identity and robustness properties of the shim
# socket, and fail-closed for enforced containers that never attach.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../container-lib.sh"
. "$(dirname "$0")/../agent-lib.sh"
need_root
need_runc
HOOK=$DRIFTLOCK_BUILD/driftlock-hook
for f in "$HOOK" "$DRIFTLOCK_BUILD/driftlock-exec" "$DRIFTLOCK_BUILD/libdriftlock-preload.so"; do
        [ -e "$f" ] || { fail "$f is missing"; finish; }
done

P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
"$PROBE" listen tcp 127.0.0.1 "$P1" 600 >/dev/null & at_exit "kill $!"
"$PROBE" listen tcp 127.0.0.1 "$P2" 600 >/dev/null & at_exit "kill $!"
start_agent --default-mode monitor || finish
check "the agent put the shim into its shim dir" [ -x "$AG_SHIM/driftlock-exec" ]
check "and its socket is there for every container uid" [ "$(stat -c %a "$AG_SHIM/agent.sock")" = 666 ]

# shim_bundle NAME KIND PROFILE: a bundle attached through hook + shim.
shim_bundle() {
        make_bundle "$1" "$2" || return 1
        bundle_add_mount "$1" "$AG_SHIM" /.driftlock ro &&
        bundle_add_hook "$1" createRuntime "$HOOK" --control "$AG_CONTROL" createRuntime &&
        bundle_add_hook "$1" poststop "$HOOK" --control "$AG_CONTROL" poststop &&
        bundle_add_annotation "$1" io.driftlock.profile "$3"
}
mode() { bundle_add_annotation "$1" io.driftlock.mode "$2"; }

# --- busybox-static + driftlock-exec ------------------------------------------
shim_bundle bb busybox bb-app
WORK="mkdir -p /data && echo hi >/data/a.txt && cat /data/a.txt >/dev/null && nc -w 2 127.0.0.1 $P1 </dev/null"
bundle_set_args bb /.driftlock/driftlock-exec -- /bin/sh -c "$WORK"
mode bb learn
run_container bb bb-learn 30
assert_eq "busybox + driftlock-exec: learn run exits 0" "$?" 0
BB=$AG_PROFILES/bb-app.ini
check "profile written at poststop" [ -f "$BB" ]
check "exec learned" "$DL" profile check "$BB" exec /bin/busybox
check "write learned" "$DL" profile check "$BB" write /data/a.txt
check "connect learned" "$DL" profile check "$BB" connect tcp 127.0.0.1 "$P1"
mode bb enforce
run_container bb bb-enforce 30
assert_eq "busybox: enforce run exits 0" "$?" 0
assert_eq "busybox: zero denials" "$(agent_events bb-enforce deny)" 0
cp "$(bundle_rootfs bb)/bin/busybox" "$(bundle_rootfs bb)/tmp/true"
bundle_set_args bb /.driftlock/driftlock-exec -- /bin/sh -c "/tmp/true; echo exec=\$?
echo x >/etc/evil; echo write=\$?
nc -w 2 127.0.0.1 $P2 </dev/null; echo connect=\$?"
run_container bb bb-drift 30
out=$(container_stdout bb-drift)
assert_contains "busybox: copied binary refused" "$out" "exec=126"
assert_contains "busybox: write refused" "$out" "write=1"
assert_not_contains "busybox: connect refused" "$out" "connect=0"
check "busybox: exec deny event names the container" [ "$(agent_events bb-drift deny '"path":"/tmp/true"')" -ge 1 ]
check "busybox: write deny event" [ "$(agent_events bb-drift deny '"path":"/etc/evil"')" -ge 1 ]
check "busybox: connect deny event" [ "$(agent_events bb-drift deny "tcp 127.0.0.1 $P2")" -ge 1 ]

# --- Debian + LD_PRELOAD ---------------------------------------------------------
shim_bundle deb debian deb-app || finish
bundle_set_env deb LD_PRELOAD=/.driftlock/libdriftlock-preload.so
DWORK="mkdir -p /data && echo hi >/data/a.txt && ls /etc >/data/ls.txt && cat /data/a.txt"
bundle_set_args deb /bin/sh -c "$DWORK"
mode deb learn
run_container deb deb-learn 60
assert_eq "Debian + LD_PRELOAD: learn run exits 0" "$?" 0
DEB=$AG_PROFILES/deb-app.ini
# The entrypoint itself already runs when the preloaded shim attaches:
# what it executes is checked, not the entrypoint (driftlock-exec checks it).
check "ls learned" "$DL" profile check "$DEB" exec /usr/bin/ls
check "write learned" "$DL" profile check "$DEB" write /data/ls.txt
check "one attach, not one per process" [ "$(agent_events deb-learn attach)" -eq 1 ]
mode deb enforce
run_container deb deb-enforce 60
assert_eq "Debian: enforce run exits 0" "$?" 0
assert_eq "Debian: zero denials" "$(agent_events deb-enforce deny)" 0
cp "$(bundle_rootfs deb)/usr/bin/id" "$(bundle_rootfs deb)/tmp/id"
bundle_set_args deb /bin/sh -c "/tmp/id; echo exec=\$?; echo x >/etc/evil; echo write=\$?"
run_container deb deb-drift 60
out=$(container_stdout deb-drift)
assert_contains "Debian: copied binary refused" "$out" "exec=126"
assert_contains "Debian: write refused" "$out" "write=2"
check "Debian: deny events name the container" [ "$(agent_events deb-drift deny)" -ge 2 ]

# --- identity: the kernel's word, not the message's ----------------------------------
# A host process (in no registered container) cannot attach as anyone.
out=$(DRIFTLOCK_SHIM_SOCKET=$AG_SHIM/agent.sock "$DRIFTLOCK_BUILD/driftlock-exec" -- /bin/true 2>&1)
check "a process outside every container is refused" [ $? -ne 0 ]
check "the agent says why" grep -q "in no registered container" "$AG_LOG"
# Two containers at once: what A's process attaches is A's, whatever it runs.
shim_bundle ca busybox a-app && mode ca learn &&
        bundle_set_args ca /.driftlock/driftlock-exec -- /bin/sh -c 'sleep 2; echo a >/data-a; /.driftlock/driftlock-exec -- /bin/true'
shim_bundle cb busybox b-app && mode cb enforce &&
        bundle_set_args cb /.driftlock/driftlock-exec -- /bin/sleep 4
printf '[exec]\nallow = /bin/busybox\n' >"$AG_PROFILES/b-app.ini"
run_container ca cont-a 30 & pa=$!
run_container cb cont-b 30 & pb=$!
wait $pa; wait $pb
check "A's write is learned into A's profile" "$DL" profile check "$AG_PROFILES/a-app.ini" write /data-a
refute "and never reaches B's" "$DL" profile check "$AG_PROFILES/b-app.ini" write /data-a
assert_eq "B was never judged by A's calls" "$(agent_events cont-b deny)" 0
# The operator's socket: root in another pid namespace (a container) is refused.
out=$(unshare --pid --fork "$DL" mode --control "$AG_CONTROL" cont-a monitor 2>&1)
check "control socket refuses root from another pid namespace" [ $? -ne 0 ]
assert_contains "with permission denied" "$out" "permission denied"

# --- robustness of the shim socket ------------------------------------------------
fds_before=$(ls /proc/"$AGENT_PID"/fd | wc -l)
"$PY" - "$AG_SHIM/agent.sock" <<'PY'
import os, socket, sys, time
path = sys.argv[1]
# garbage, a partial hello, and a hello followed by a bad attach
for payload in [os.urandom(100), b"DLK", b"\x31\x4b\x4c\x44" + b"\x01\0\0\0\x02\0\0\0\0\0\0\0" + b"junk"]:
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(payload); s.close()
# thousands of connections, many left open and silent
held = []
for i in range(2000):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
    except OSError:
        continue
    if i % 4 == 0:
        held.append(s)
    else:
        s.close()
time.sleep(0.5)
for s in held:
    s.close()
PY
out=$("$DL" status --control "$AG_CONTROL")
check "the agent still answers after garbage and 2000 connections" [ $? -eq 0 ]
fds_released() { [ "$(ls /proc/"$AGENT_PID"/fd | wc -l)" -le "$fds_before" ]; }
check "and holds no fd from them afterwards" wait_until 30 fds_released

# --- fail closed ---------------------------------------------------------------------
shim_bundle nolatch busybox never && mode nolatch enforce && bundle_set_args nolatch /bin/sleep 30
printf '[exec]\nallow = /bin/busybox\n' >"$AG_PROFILES/never.ini"
start=$SECONDS
run_container nolatch unattached-1 40
rc=$?
check "an enforced container that never attaches is killed" [ $rc -eq 137 ]
check "within the timeout" [ $((SECONDS - start)) -lt 20 ]
check "with a kill event" [ "$(agent_events unattached-1 kill)" -eq 1 ]
mode nolatch learn
bundle_set_args nolatch /bin/sh -c 'sleep 7; echo done'
run_container nolatch unattached-2 40
assert_eq "a learning container that never attaches runs on" "$?" 0
check "and is reported" [ "$(agent_events unattached-2 unattached)" -eq 1 ]

# --- no agent ----------------------------------------------------------------------
stop_agent
mode bb enforce
bundle_set_args bb /.driftlock/driftlock-exec -- /bin/true
run_container bb noagent-1 30
check "without the agent an enforced container does not start" [ $? -ne 0 ]

finish
