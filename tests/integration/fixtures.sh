#!/bin/bash
# Self-test of tests/container-lib.sh: bundles run with real runc (output,
# exit status, config edits, hooks, timeout, detached + exec + kill) and
# podman --rootfs, and nothing of them is left once a container is deleted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../container-lib.sh"
need_runc
need_podman

# --- foreground run: output and exit status ------------------------------------
make_bundle hello
bundle_set_args hello /bin/echo hello
run_container hello fx-hello 20
check "echo hello exits 0" [ $? -eq 0 ]
assert_eq "stdout is captured" "$(container_stdout fx-hello)" hello
assert_eq "runc removed the finished container" "$(container_status fx-hello)" ""

make_bundle status
bundle_set_args status /bin/sh -c 'echo oops >&2; exit 7'
run_container status fx-status 20
assert_eq "exit status is propagated" $? 7
assert_eq "stderr is captured" "$(container_stderr fx-status)" oops

# --- config edits: env, mount, seccomp, host network, annotation to a hook -----
mkdir -p "$T_DIR/share"
echo shared >"$T_DIR/share/file"
cat >"$T_DIR/deny-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
cat >"$T_DIR/hook.sh" <<'EOF'
#!/bin/sh
cat >"$1"
EOF
chmod +x "$T_DIR/hook.sh"
make_bundle edits
bundle_set_env edits GREETING=hi
bundle_add_mount edits "$T_DIR/share" /mnt/share ro
bundle_set_seccomp edits "$T_DIR/deny-mkdir.json"
bundle_add_annotation edits io.driftlock.mode learn
bundle_add_hook edits prestart "$T_DIR/hook.sh" "$T_DIR/state.json"
# shellcheck disable=SC2016 # expanded by the container's shell
bundle_set_args edits /bin/sh -c '
echo "env=$GREETING"
echo "host=$(hostname)"
echo "net=$(readlink /proc/self/ns/net)"
echo "file=$(cat /mnt/share/file)"
touch /mnt/share/new 2>/dev/null && echo "ro=no" || echo "ro=yes"
mkdir /tmp/d 2>/dev/null && echo "mkdir=allowed" || echo "mkdir=denied"
touch /tmp/f && echo "touch=allowed"'
run_container edits fx-edits 20
check "edited bundle runs" [ $? -eq 0 ]
out=$(container_stdout fx-edits)
assert_contains "bundle_set_env" "$out" "env=hi"
assert_contains "hostname is the bundle name" "$out" "host=edits"
assert_contains "host network namespace" "$out" "net=$(readlink /proc/self/ns/net)"
assert_contains "bind mount" "$out" "file=shared"
assert_contains "read-only bind mount" "$out" "ro=yes"
assert_contains "seccomp profile applied" "$out" "mkdir=denied"
assert_contains "seccomp allows the rest" "$out" "touch=allowed"
check "prestart hook got the state" [ -s "$T_DIR/state.json" ]
state=$(cat "$T_DIR/state.json" 2>/dev/null)
assert_contains "hook state has the id" "$state" '"id":"fx-edits"'
assert_contains "hook state has the annotation" "$state" '"io.driftlock.mode":"learn"'

# --- timeout: the run is cut short and the container removed --------------------
make_bundle slow
bundle_set_args slow /bin/sleep 60
start=$SECONDS
run_container slow fx-slow 1 2>/dev/null
assert_eq "timed-out run returns 124" $? 124
check "timeout is prompt" [ $((SECONDS - start)) -le 5 ]
assert_eq "timed-out container is gone" "$(container_status fx-slow)" ""

# --- detached: exec into it, kill, delete ---------------------------------------
make_bundle daemon
bundle_set_args daemon /bin/sh -c 'echo started; exec sleep 60'
run_container_detached daemon fx-daemon
check "detached start" [ $? -eq 0 ]
assert_eq "detached container runs" "$(container_status fx-daemon)" running
check "CT_PID is the container's init" kill -0 "${CT_PID:-0}"
assert_eq "exec runs in the container" "$(container_exec fx-daemon hostname)" daemon
container_exec fx-daemon /bin/sh -c 'exit 5'
assert_eq "exec exit status" $? 5
container_kill fx-daemon
assert_eq "killed container is stopped" "$(container_status fx-daemon)" stopped
assert_eq "detached stdout is captured" "$(container_stdout fx-daemon)" started
container_delete fx-daemon
assert_not_contains "deleted container not listed" "$(ct_runc list -q)" fx-daemon
check "its cgroup is gone" [ ! -e "/sys/fs/cgroup/pids$CT_CGROUP_PREFIX-fx-daemon" ]

# --- podman --rootfs ---------------------------------------------------------------
echo '{"defaultAction": "SCMP_ACT_ALLOW"}' >"$T_DIR/allow.json"
make_rootfs "$T_DIR/rootfs/podman"
out=$(podman_run --security-opt seccomp="$T_DIR/allow.json" \
        --annotation io.driftlock.mode=learn --rootfs "$T_DIR/rootfs/podman" /bin/echo hello)
check "podman run exits 0" [ $? -eq 0 ]
assert_eq "podman run output" "$out" hello
podman_run --rootfs "$T_DIR/rootfs/podman" /bin/sh -c 'exit 3'
assert_eq "podman exit status is propagated" $? 3
assert_eq "podman --rm left no container" "$(podman_cmd ps -aq)" ""

assert_eq "no runc container left" "$(ct_runc list -q)" ""
finish
