#!/bin/bash
# driftlockd with real runc containers attached through the seccomp
# listener (busybox-static rootfs): learn, enforce with zero denials, drift
# refused inside the container with events naming container and profile,
# runc exec supervised in the same session, the operator's control socket,
# concurrent learners of one image, and the failure modes without an agent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../container-lib.sh"
. "$(dirname "$0")/../agent-lib.sh"
need_root
need_runc

IMAGE=registry.example/shop/app:1.0
PROFILE_FILE=$AG_PROFILES/registry.example_2fshop_2fapp_3a1.0.ini
SEC=$T_DIR/seccomp.json
"$DL" seccomp-profile --listener "$AG_LISTENER" >"$SEC" || fail "seccomp-profile"

P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
"$PROBE" listen tcp 127.0.0.1 "$P1" 300 >/dev/null & at_exit "kill $!"
"$PROBE" listen tcp 127.0.0.1 "$P2" 300 >/dev/null & at_exit "kill $!"

make_bundle app
bundle_set_seccomp app "$SEC"
bundle_add_annotation app org.opencontainers.image.ref.name "$IMAGE"
# rm, mkdir, mv and ln: the calls on names, which enforce mode performs in
# the container's root itself
WORKLOAD="rm -rf /data/out && mkdir -p /data/out && echo hi >/data/out/a.txt &&
cat /data/out/a.txt >/dev/null && ls / >/data/out/ls.txt && mv /data/out/ls.txt /data/out/ls.old &&
ln -s a.txt /data/out/link && nc -w 2 127.0.0.1 $P1 </dev/null"
bundle_set_args app /bin/sh -c "$WORKLOAD"

# --- no agent: runc refuses to create the container --------------------------
run_container app no-agent 20
check "without an agent runc refuses the container" [ $? -ne 0 ]
assert_contains "and says why" "$(container_stderr no-agent)" "seccomp"

start_agent --default-mode monitor || finish

# --- learn ----------------------------------------------------------------------
bundle_add_annotation app io.driftlock.mode learn
run_container app learn-1 30
assert_eq "learn run exits 0" "$?" 0
agent_done learn-1
check "the profile is named after the image" [ -f "$PROFILE_FILE" ]
check "it lints clean" "$DL" profile lint "$PROFILE_FILE"
check "entrypoint learned" "$DL" profile check "$PROFILE_FILE" exec /bin/busybox
check "write learned" "$DL" profile check "$PROFILE_FILE" write /data/out/a.txt
check "connect learned" "$DL" profile check "$PROFILE_FILE" connect tcp 127.0.0.1 "$P1"
assert_not_contains "runtime noise not learned" "$(cat "$PROFILE_FILE")" '/proc/'
check "attach event names container and profile" \
        [ "$(agent_events learn-1 attach "\"profile\":\"$IMAGE\"")" -eq 1 ]

# --- enforce: the workload runs clean ---------------------------------------------
bundle_add_annotation app io.driftlock.mode enforce
run_container app enforce-1 30
assert_eq "enforce run of the learned workload exits 0" "$?" 0
agent_done enforce-1
assert_eq "zero denials" "$(agent_events enforce-1 deny)" 0

# --- enforce: drift inside the container ------------------------------------------
cp "$(bundle_rootfs app)/bin/busybox" "$(bundle_rootfs app)/tmp/true"     # the dropped tool
bundle_set_args app /bin/sh -c "/tmp/true true; echo exec=\$?
echo x >/etc/evil; echo write=\$?
mv /data/out/a.txt /etc/moved; echo rename=\$?
nc -w 2 127.0.0.1 $P2 </dev/null; echo connect=\$?
nc -w 2 127.0.0.1 $P1 </dev/null; echo learned=\$?"
run_container app drift-1 30
agent_done drift-1
out=$(container_stdout drift-1)
assert_contains "copied binary refused" "$out" "exec=126"
assert_contains "write outside the allowlist refused" "$out" "write=1"
check "and nothing was written" [ ! -e "$(bundle_rootfs app)/etc/evil" ]
assert_contains "rename out of the allowlist refused" "$out" "rename=1"
check "the file stayed" [ -e "$(bundle_rootfs app)/data/out/a.txt" ]
check "and nothing moved" [ ! -e "$(bundle_rootfs app)/etc/moved" ]
assert_not_contains "unlisted connect refused" "$out" "connect=0"
assert_contains "the learned port still works" "$out" "learned=0"
check "exec deny event" [ "$(agent_events drift-1 deny '"path":"/tmp/true"' '"class":"exec"' "\"profile\":\"$IMAGE\"")" -ge 1 ]
check "write deny event" [ "$(agent_events drift-1 deny '"path":"/etc/evil"')" -ge 1 ]
check "connect deny event" [ "$(agent_events drift-1 deny "\"addr\":\"tcp 127.0.0.1 $P2\"")" -ge 1 ]

# --- runc exec joins the container's session; the operator changes modes ------
bundle_set_args app /bin/sleep 60
run_container_detached app live-1 30 || fail "detached container"
container_exec live-1 /bin/sh -c 'echo x >/etc/evil2' 2>/dev/null
check "runc exec: write refused" [ $? -ne 0 ]
check "runc exec: deny event for the same container" [ "$(agent_events live-1 deny '"path":"/etc/evil2"')" -ge 1 ]
status=$("$DL" status --control "$AG_CONTROL")
assert_contains "status lists the container" "$status" "live-1"
assert_contains "status shows its mode" "$status" "enforce"
check "status counts the denial" awk '$1 == "live-1" && $5 >= 1 { found = 1 } END { exit !found }' <<<"$status"
check "mode: the operator switches to monitor" "$DL" mode --control "$AG_CONTROL" live-1 monitor
container_exec live-1 /tmp/true true
assert_eq "monitor: the copied binary runs" "$?" 0
check "monitor: alert event" [ "$(agent_events live-1 alert '"path":"/tmp/true"')" -ge 1 ]
"$DL" mode --control "$AG_CONTROL" nosuch monitor 2>/dev/null
check "mode of an unknown container fails" [ $? -ne 0 ]
container_kill live-1

# --- the exec gate: the file the kernel runs, not the name -------------------------
bundle_add_annotation app io.driftlock.mode enforce
bundle_set_args app /bin/sleep 60
run_container_detached app live-2 30 || fail "detached container"
container_exec live-2 /bin/true
assert_eq "gate: the allowlisted program runs" "$?" 0
# Replace the allowlisted binary by rename, from outside (as a compromised
# volume or a host-side attacker would): same path, another file.
cp "$(bundle_rootfs app)/bin/busybox" "$(bundle_rootfs app)/bin/.bb.new"
mv "$(bundle_rootfs app)/bin/.bb.new" "$(bundle_rootfs app)/bin/busybox"
container_exec live-2 /bin/true 2>/dev/null
check "gate: a binary replaced by rename is refused" [ $? -ne 0 ]
check "gate: with a deny event" [ "$(agent_events live-2 deny '"class":"exec"' 'changed since supervision started')" -ge 1 ]
container_kill live-2

# --- several learners of one image merge into one profile -------------------------
bundle_add_annotation app io.driftlock.mode learn
bundle_set_args app /bin/sh -c 'sleep 1; echo a >/data/from-a'
make_bundle app2 && bundle_set_seccomp app2 "$SEC" &&
        bundle_add_annotation app2 org.opencontainers.image.ref.name "$IMAGE" &&
        bundle_add_annotation app2 io.driftlock.mode learn &&
        bundle_set_args app2 /bin/sh -c 'sleep 1; mkdir -p /data; echo b >/data/from-b'
run_container app learn-a 30 & pa=$!
run_container app2 learn-b 30 & pb=$!
wait $pa; wait $pb
agent_done learn-a; agent_done learn-b
check "first learner's entry kept" "$DL" profile check "$PROFILE_FILE" write /data/from-a
check "second learner's entry kept" "$DL" profile check "$PROFILE_FILE" write /data/from-b
check "earlier entries kept" "$DL" profile check "$PROFILE_FILE" write /data/out/a.txt

# --- flush writes what a running learner has seen ----------------------------------
bundle_set_args app /bin/sh -c 'echo f >/data/flushed; sleep 60'
run_container_detached app learn-f 30 || fail "detached learner"
wait_until 30 agent_saw learn-f learn '"/data/flushed"' || fail "the learner's write was not reported"
check "flush" "$DL" flush --control "$AG_CONTROL"
check "flushed entry is in the profile while the container runs" \
        "$DL" profile check "$PROFILE_FILE" write /data/flushed
container_kill live-1 2>/dev/null; container_kill learn-f

# --- a container without a usable name ------------------------------------------------
make_bundle anon && bundle_set_seccomp anon "$SEC" && bundle_set_args anon /bin/true
run_container anon anon-1 30
assert_eq "unnamed container runs (default mode monitor)" "$?" 0
agent_done anon-1
check "it is supervised under its id, and the event says so" \
        [ "$(agent_events anon-1 attach '"profile":"container-anon-1"' 'named after the container id')" -eq 1 ]

# --- the send gate: sendmsg destinations, judged in the kernel ----------------------
UDP_IMAGE=registry.example/shop/udp:1.0
UDP_PROFILE=$AG_PROFILES/registry.example_2fshop_2fudp_3a1.0.ini
U1=$(free_port); U2=$(free_port)
while [ "$U2" = "$U1" ]; do U2=$(free_port); done
make_bundle udp && bundle_set_seccomp udp "$SEC" &&
        bundle_add_annotation udp org.opencontainers.image.ref.name "$UDP_IMAGE" ||
        fail "udp bundle"
cp "$DRIFTLOCK_BUILD/tests/probe-static" "$(bundle_rootfs udp)/bin/probe"
bundle_add_annotation udp io.driftlock.mode learn
bundle_set_args udp /bin/sh -c "/bin/probe sendto sendmsg 127.0.0.1 $U1; echo learned=\$?"
run_container udp udp-learn 30
assert_eq "learn: sendmsg goes through" "$?" 0
agent_done udp-learn
check "the sendmsg destination is learned" "$DL" profile check "$UDP_PROFILE" connect udp 127.0.0.1 "$U1"
check "with a learn event from the gate" \
        [ "$(agent_events udp-learn learn '"syscall":"sendmsg"' "\"addr\":\"udp 127.0.0.1 $U1\"")" -eq 1 ]
"$PROBE" recv-udp 127.0.0.1 "$U1" 8 >"$T_DIR/u1.txt" & r1=$!
"$PROBE" recv-udp 127.0.0.1 "$U2" 8 >"$T_DIR/u2.txt" & r2=$!
at_exit "kill $r1 $r2 2>/dev/null"
bundle_add_annotation udp io.driftlock.mode enforce
bundle_set_args udp /bin/sh -c "/bin/probe sendto sendmsg 127.0.0.1 $U1; echo ok=\$?
/bin/probe sendto sendmsg 127.0.0.1 $U2; echo sendmsg=\$?
/bin/probe sendto sendmmsg 127.0.0.1 $U2; echo sendmmsg=\$?"
run_container udp udp-enforce 30
agent_done udp-enforce
out=$(container_stdout udp-enforce)
assert_contains "enforce: the learned destination works" "$out" "ok=0"
assert_contains "enforce: sendmsg elsewhere is refused" "$out" "sendmsg=1"
assert_contains "enforce: sendmmsg elsewhere is refused" "$out" "sendmmsg=1"
assert_contains "with EPERM" "$out" "errno EPERM"
check "deny events name container, image and destination" \
        [ "$(agent_events udp-enforce deny '"syscall":"sendmsg"' "\"image\":\"$UDP_IMAGE\"" "\"addr\":\"udp 127.0.0.1 $U2\"")" -eq 2 ]
wait "$r1" "$r2"
assert_eq "the allowed datagram arrived" "$(tail -n 1 "$T_DIR/u1.txt")" "received 1"
assert_eq "no forbidden datagram arrived" "$(tail -n 1 "$T_DIR/u2.txt")" "received 0"

# --- the agent dies: intercepted calls fail with ENOSYS ----------------------------
bundle_set_args app /bin/sh -c 'sleep 2; echo x >/data/after-death || exit 42'
bundle_add_annotation app io.driftlock.mode monitor
run_container app orphan-1 30 & po=$!
wait_until 30 agent_saw orphan-1 attach || fail "the container was not attached"
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=
wait $po
assert_eq "after the agent died the write failed (ENOSYS)" "$?" 42
check "nothing was written" [ ! -e "$(bundle_rootfs app)/data/after-death" ]

finish
