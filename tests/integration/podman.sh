#!/bin/bash
# driftlockd with real podman (runtime runc) containers from a busybox
# rootfs, attached with --security-opt seccomp=<driftlock seccomp-profile>:
# learn, enforce with zero denials, drift refused with events naming the
# container and its profile.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../container-lib.sh"
. "$(dirname "$0")/../agent-lib.sh"
need_root
need_podman

IMAGE=registry.example/shop/worker:2
PROFILE_FILE=$AG_PROFILES/registry.example_2fshop_2fworker_3a2.ini
SEC=$T_DIR/seccomp.json
"$DL" seccomp-profile --listener "$AG_LISTENER" >"$SEC" || fail "seccomp-profile"
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
"$PROBE" listen tcp 127.0.0.1 "$P1" 300 >/dev/null & at_exit "kill $!"
"$PROBE" listen tcp 127.0.0.1 "$P2" 300 >/dev/null & at_exit "kill $!"
U1=$(free_port); U2=$(free_port)
while [ "$U2" = "$U1" ]; do U2=$(free_port); done

ROOTFS=$T_DIR/rootfs
make_rootfs "$ROOTFS" busybox || finish
cp "$DRIFTLOCK_BUILD/tests/probe-static" "$ROOTFS/bin/probe"
start_agent --default-mode monitor || finish

# pod MODE CIDFILE CMD...: one podman container of the image in MODE.
pod() {
        local mode=$1 cidfile=$2; shift 2
        podman_run --cidfile "$cidfile" --security-opt "seccomp=$SEC" \
                --annotation "org.opencontainers.image.ref.name=$IMAGE" \
                --annotation "io.driftlock.mode=$mode" --rootfs "$ROOTFS" "$@"
}
WORKLOAD="mkdir -p /data && echo hi >/data/a.txt && ls / >/data/ls.txt && nc -w 2 127.0.0.1 $P1 </dev/null &&
/bin/probe sendto sendmsg 127.0.0.1 $U1"

pod learn "$T_DIR/learn.cid" /bin/sh -c "$WORKLOAD"
assert_eq "podman learn run exits 0" "$?" 0
cid=$(cat "$T_DIR/learn.cid")
agent_done "$cid"
check "profile named after the image" [ -f "$PROFILE_FILE" ]
check "write learned" "$DL" profile check "$PROFILE_FILE" write /data/a.txt
check "connect learned" "$DL" profile check "$PROFILE_FILE" connect tcp 127.0.0.1 "$P1"
check "sendmsg destination learned (send gate)" "$DL" profile check "$PROFILE_FILE" connect udp 127.0.0.1 "$U1"
assert_eq "the container got its send gate" "$(agent_events "$cid" ungated)" 0
check "events carry podman's container id" [ "$(agent_events "$cid" attach "\"profile\":\"$IMAGE\"")" -eq 1 ]

pod enforce "$T_DIR/enforce.cid" /bin/sh -c "$WORKLOAD"
assert_eq "podman enforce run of the learned workload exits 0" "$?" 0
cid=$(cat "$T_DIR/enforce.cid")
agent_done "$cid"
assert_eq "zero denials" "$(agent_events "$cid" deny)" 0

cp "$ROOTFS/bin/busybox" "$ROOTFS/tmp/true"
out=$(pod enforce "$T_DIR/drift.cid" /bin/sh -c "/tmp/true; echo exec=\$?
echo x >/etc/evil; echo write=\$?
nc -w 2 127.0.0.1 $P2 </dev/null; echo connect=\$?
/bin/probe sendto sendmsg 127.0.0.1 $U2; echo sendmsg=\$?" 2>/dev/null)
cid=$(cat "$T_DIR/drift.cid")
agent_done "$cid"
assert_contains "copied binary refused" "$out" "exec=126"
assert_contains "write refused" "$out" "write=1"
assert_not_contains "unlisted connect refused" "$out" "connect=0"
assert_contains "sendmsg to an unlisted destination refused" "$out" "sendmsg=1"
check "nothing was written" [ ! -e "$ROOTFS/etc/evil" ]
check "exec deny event names container and profile" \
        [ "$(agent_events "$cid" deny '"path":"/tmp/true"' "\"profile\":\"$IMAGE\"")" -ge 1 ]
check "write deny event" [ "$(agent_events "$cid" deny '"path":"/etc/evil"')" -ge 1 ]
check "connect deny event" [ "$(agent_events "$cid" deny "\"addr\":\"tcp 127.0.0.1 $P2\"")" -ge 1 ]
check "sendmsg deny event" [ "$(agent_events "$cid" deny '"syscall":"sendmsg"' "\"addr\":\"udp 127.0.0.1 $U2\"")" -eq 1 ]

finish
