# Container fixtures for the end-to-end tests (sourced after tests/lib.sh):
# OCI bundles run with real runc, and podman runs with --rootfs, all kept
# inside the test's $T_DIR and removed at exit whatever happened.
#
#   . "$(dirname "$0")/../lib.sh"
#   . "$(dirname "$0")/../container-lib.sh"
#   need_runc
#   make_bundle app                     # busybox rootfs; or: make_bundle app debian
#   bundle_set_args app /bin/sh -c 'echo hello'
#   run_container app app-1 20; rc=$?   # container's exit status (124: timed out)
#   assert_eq "says hello" "$(container_stdout app-1)" hello
#
# runc runs with its own state root ($CT_RUNC_ROOT, under $T_DIR): IDs only
# need to be unique within one test, and `ct_runc list` shows this test's
# containers only. podman uses its own storage, run and tmp dirs under
# $T_DIR (podman_cmd), so the host's containers and images are never touched.
# The containers share the host's network namespace: they reach listeners on
# the host's 127.0.0.1.

CT_TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CT_TIMEOUT=${CT_TIMEOUT:-30}            # default seconds for a container run
CT_RUNC_ROOT=$T_DIR/runc
CT_BUNDLES=$T_DIR/bundles
CT_LOGS=$T_DIR/containers               # ID.stdout, ID.stderr, ID.pid
CT_PODMAN_DIR=$T_DIR/podman
CT_STDOUT='' CT_STDERR=''
# shellcheck disable=SC2034 # for the tests: set by run_container_detached
CT_PID=''
declare -A CT_REGISTERED=()
# Flat, unique per test and container: runc removes the leaf cgroup on
# delete, and two test runs using the same ID do not share a cgroup.
CT_CGROUP_PREFIX=/driftlock-test-${T_DIR##*/}

ct_runc() { runc --root "$CT_RUNC_ROOT" "$@"; }

# Every podman call of a test goes through this: isolated storage (vfs, so
# no overlay mounts are left behind), state, tmp and volume dirs. The SHM
# lock segment (/dev/shm/libpod_lock) is the one thing shared with the host.
CT_PODMAN=(podman --root "$CT_PODMAN_DIR/root" --runroot "$CT_PODMAN_DIR/run"
        --tmpdir "$CT_PODMAN_DIR/tmp" --volumepath "$CT_PODMAN_DIR/volumes"
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
podman_cmd() { mkdir -p "$CT_PODMAN_DIR" && "${CT_PODMAN[@]}" "$@"; }

ct_err() { echo "container-lib: $*" >&2; }

# Removes what any test may have left: containers of this test's runc root
# and podman storage, then every mount under $T_DIR (deepest first), before
# lib.sh removes $T_DIR itself.
ct_cleanup() {
        local id mp
        if [ -d "$CT_RUNC_ROOT" ]; then
                for id in $(ct_runc list -q 2>/dev/null); do
                        ct_runc delete -f "$id" >/dev/null 2>&1
                done
        fi
        # Not a variable: podman_run is often called in $(...).
        if [ -d "$CT_PODMAN_DIR" ]; then
                "${CT_PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
        fi
        awk -v p="$T_DIR/" 'substr($5, 1, length(p)) == p { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r mp; do
                        umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null
                done
        return 0
}
at_exit ct_cleanup

# Skips the test unless runc can really run a container here (root, runc,
# python3, busybox-static, a working cgroup setup). In CI a skip fails.
need_runc() {
        need_root
        [ -n "${CT_RUNC_OK:-}" ] && return 0
        command -v runc >/dev/null 2>&1 || skip "runc not installed (scripts/install-deps.sh)"
        command -v "$PY" >/dev/null 2>&1 || skip "python3 not installed (scripts/install-deps.sh)"
        local err
        err=$(make_bundle _probe 2>&1) || skip "cannot make a bundle: $(tail -n 1 <<<"$err")"
        bundle_set_args _probe /bin/true
        if ! run_container _probe _probe 20; then
                skip "runc cannot run a container here: $(tail -n 1 "$CT_STDERR")"
        fi
        rm -rf "${CT_BUNDLES:?}/_probe"
        CT_RUNC_OK=1
}

# Skips the test unless podman can run a --rootfs container here.
need_podman() {
        need_root
        [ -n "${CT_PODMAN_OK:-}" ] && return 0
        command -v podman >/dev/null 2>&1 || skip "podman not installed (scripts/install-deps.sh)"
        command -v runc >/dev/null 2>&1 || skip "runc not installed (scripts/install-deps.sh)"
        local err
        err=$(make_rootfs "$T_DIR/rootfs/_podman_probe" 2>&1) ||
                skip "cannot make a rootfs: $(tail -n 1 <<<"$err")"
        err=$(podman_run --rootfs "$T_DIR/rootfs/_podman_probe" /bin/true 2>&1) ||
                skip "podman cannot run a container here: $(tail -n 1 <<<"$err")"
        CT_PODMAN_OK=1
}

# make_rootfs DIR [KIND]: a root filesystem in DIR; KIND busybox (default,
# static, instant) or debian (bookworm minbase, dynamically linked; built
# once per machine into a cache, about 90 s, then copied in under a second).
make_rootfs() {
        local dir=$1 kind=${2:-busybox}
        case $kind in
        busybox | debian) "$CT_TOP/scripts/make-rootfs-$kind.sh" "$dir" ;;
        *) ct_err "make_rootfs: unknown rootfs kind '$kind'"; return 1 ;;
        esac
}

# _ct_edit NAME PYTHON-CODE ARGS...: runs PYTHON-CODE with `c` the bundle's
# config.json as a dict and `a` the list of ARGS, then writes c back
# (atomically, so a failed edit leaves the old file).
_ct_edit() {
        local name=$1 code=$2; shift 2
        local cfg=$CT_BUNDLES/$name/config.json
        [ -f "$cfg" ] || { ct_err "no bundle '$name' (make_bundle first)"; return 1; }
        "$PY" - "$cfg" "$code" "$@" <<'PY'
import json, os, sys
cfg, code = sys.argv[1], sys.argv[2]
with open(cfg) as f:
        c = json.load(f)
# A namespace of its own: the edit's variables cannot clobber cfg.
exec(code, {"c": c, "a": sys.argv[3:], "json": json, "os": os, "sys": sys})
with open(cfg + ".tmp", "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
os.replace(cfg + ".tmp", cfg)
PY
}

# bundle_edit NAME PYTHON-CODE ARGS...: any other change, e.g.
#   bundle_edit app 'c["process"]["user"] = {"uid": 65534, "gid": 65534}'
bundle_edit() { _ct_edit "$@"; }

bundle_dir() { echo "$CT_BUNDLES/$1"; }
bundle_rootfs() { echo "$CT_BUNDLES/$1/rootfs"; }
bundle_config() { echo "$CT_BUNDLES/$1/config.json"; }

# make_bundle NAME [ROOTFS_KIND]: $T_DIR/bundles/NAME with a fresh rootfs
# (busybox, debian, or the absolute path of an existing rootfs directory,
# used in place) and the config of `runc spec` with: no terminal, a
# writable root, no network namespace (the host's loopback is shared),
# hostname NAME, and /bin/true as the process until bundle_set_args.
make_bundle() {
        local name=$1 kind=${2:-busybox}
        local b=$CT_BUNDLES/$name root=rootfs
        if ! [[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]]; then
                ct_err "make_bundle: bad bundle name '$name'"; return 1
        fi
        [ -e "$b" ] && { ct_err "make_bundle: bundle '$name' exists"; return 1; }
        mkdir -p "$b" || return 1
        case $kind in
        /*)
                [ -x "$kind/bin/sh" ] || [ -L "$kind/bin/sh" ] ||
                        { ct_err "make_bundle: $kind does not look like a rootfs"; return 1; }
                root=$kind
                ;;
        *) make_rootfs "$b/rootfs" "$kind" || return 1 ;;
        esac
        runc spec --bundle "$b" || return 1
        _ct_edit "$name" '
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": a[0], "readonly": False}
c["hostname"] = a[1]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
' "$root" "$name"
}

# bundle_set_args NAME ARG...: the container's command line.
bundle_set_args() {
        local name=$1; shift
        [ $# -gt 0 ] || { ct_err "bundle_set_args: no command"; return 1; }
        _ct_edit "$name" 'c["process"]["args"] = a' "$@"
}

# bundle_set_env NAME VAR=VALUE...: sets (or replaces) environment variables.
bundle_set_env() {
        local name=$1; shift
        _ct_edit "$name" '
for kv in a:
        k = kv.split("=", 1)[0]
        env = [e for e in c["process"].get("env", []) if e.split("=", 1)[0] != k]
        c["process"]["env"] = env + [kv]
' "$@"
}

# bundle_set_seccomp NAME FILE: linux.seccomp becomes the JSON object in
# FILE (OCI format: defaultAction, architectures, syscalls, listenerPath...).
bundle_set_seccomp() {
        _ct_edit "$1" '
with open(a[0]) as f:
        s = json.load(f)
if not isinstance(s, dict):
        sys.exit("bundle_set_seccomp: %s is not a JSON object" % a[0])
c["linux"]["seccomp"] = s
' "$2"
}

# bundle_add_annotation NAME KEY VALUE
bundle_add_annotation() {
        _ct_edit "$1" 'c.setdefault("annotations", {})[a[0]] = a[1]' "$2" "$3"
}

# bundle_add_mount NAME SRC DST [ro]: bind mount of the host's SRC (file or
# directory) at DST in the container.
bundle_add_mount() {
        local name=$1 src=$2 dst=$3 ro=${4:-}
        [ -e "$src" ] || { ct_err "bundle_add_mount: $src does not exist"; return 1; }
        case $ro in "" | ro) ;; *) ct_err "bundle_add_mount: 4th argument must be ro"; return 1 ;; esac
        _ct_edit "$name" '
opts = ["rbind", "rprivate"] + (["ro"] if a[2] == "ro" else [])
c["mounts"].append({"destination": a[1], "type": "bind",
                    "source": os.path.abspath(a[0]), "options": opts})
' "$src" "$dst" "$ro"
}

# bundle_add_hook NAME KIND PATH [ARG...]: an OCI hook (prestart,
# createRuntime, createContainer, startContainer, poststart, poststop).
# It gets the container state JSON (id, pid, bundle, annotations) on stdin,
# argv PATH ARG..., and this shell's PATH (runc passes no environment).
bundle_add_hook() {
        local name=$1 kind=$2 path=$3; shift 3
        case $kind in
        prestart | createRuntime | createContainer | startContainer | poststart | poststop) ;;
        *) ct_err "bundle_add_hook: unknown hook kind '$kind'"; return 1 ;;
        esac
        [ -x "$path" ] || { ct_err "bundle_add_hook: $path is not executable"; return 1; }
        _ct_edit "$name" '
path = os.path.abspath(a[2])
c.setdefault("hooks", {}).setdefault(a[0], []).append(
        {"path": path, "args": [path] + a[3:], "env": ["PATH=" + a[1]]})
' "$kind" "$PATH" "$path" "$@"
}

# Common part of the run functions: checks, per-run cgroup, log files,
# cleanup registration.
_ct_prepare() {
        local name=$1 id=$2
        if ! [[ $id =~ ^[A-Za-z0-9_.+-]+$ ]]; then
                ct_err "bad container id '$id'"; return 1
        fi
        _ct_edit "$name" 'c["linux"]["cgroupsPath"] = a[0]' "$CT_CGROUP_PREFIX-$id" || return 1
        mkdir -p "$CT_LOGS" "$CT_RUNC_ROOT" || return 1
        CT_STDOUT=$CT_LOGS/$id.stdout
        CT_STDERR=$CT_LOGS/$id.stderr
        if [ -z "${CT_REGISTERED[$id]:-}" ]; then
                CT_REGISTERED[$id]=1
                at_exit "runc --root '$CT_RUNC_ROOT' delete -f '$id'"
        fi
}

# run_container NAME ID [TIMEOUT]: runs bundle NAME as container ID in the
# foreground and returns the container's exit status (128+N if killed by
# signal N), or 124 if it ran longer than TIMEOUT seconds (default
# $CT_TIMEOUT; the container is then removed). stdout and stderr go to
# $CT_STDOUT and $CT_STDERR (see container_stdout / container_stderr); stdin
# is /dev/null. runc removes the container when it exits.
run_container() {
        local name=$1 id=$2 t=${3:-$CT_TIMEOUT} rc
        _ct_prepare "$name" "$id" || return 1
        # runc passes the TERM on, which an init without a handler ignores:
        # KILL follows a second later. -v: timeout tells on stderr that it
        # fired, which tells a timeout apart from a container that exited 124.
        timeout -v -k 1 "$t" runc --root "$CT_RUNC_ROOT" run --bundle "$CT_BUNDLES/$name" "$id" \
                </dev/null >"$CT_STDOUT" 2>"$CT_STDERR"
        rc=$?
        if grep -q '^timeout: sending signal' "$CT_STDERR"; then
                ct_runc delete -f "$id" >/dev/null 2>&1
                ct_err "container $id timed out after $t s"
                return 124
        fi
        return $rc
}

# run_container_detached NAME ID [TIMEOUT]: starts bundle NAME as container
# ID in the background (runc run -d); returns runc's status once the
# container process runs (TIMEOUT bounds the start, hooks included). Sets
# CT_PID (the container's init, as the host sees it); the container's stdout
# and stderr go to $CT_STDOUT / $CT_STDERR (files, so that no pipe of the
# caller is held open by the container).
run_container_detached() {
        local name=$1 id=$2 t=${3:-$CT_TIMEOUT} rc
        _ct_prepare "$name" "$id" || return 1
        CT_PID=
        timeout -k 5 "$t" runc --root "$CT_RUNC_ROOT" run -d --pid-file "$CT_LOGS/$id.pid" \
                --bundle "$CT_BUNDLES/$name" "$id" </dev/null >"$CT_STDOUT" 2>"$CT_STDERR"
        rc=$?
        if [ $rc -ne 0 ]; then
                ct_err "runc run -d $id failed ($rc): $(tail -n 3 "$CT_STDERR")"
                return $rc
        fi
        # shellcheck disable=SC2034 # read by the tests
        CT_PID=$(cat "$CT_LOGS/$id.pid")
}

# container_exec ID CMD...: runs CMD in the running container ID (runc exec,
# no terminal) with the caller's stdio; returns CMD's exit status, 124 after
# $CT_TIMEOUT seconds. For runc exec options use ct_runc exec directly.
container_exec() {
        local id=$1; shift
        timeout -k 5 "$CT_TIMEOUT" runc --root "$CT_RUNC_ROOT" exec "$id" "$@"
}

# container_status ID: prints created/running/paused/stopped, or nothing if
# there is no such container.
container_status() {
        ct_runc state "$1" 2>/dev/null | sed -n 's/^ *"status": *"\([a-z]*\)".*/\1/p'
}

# container_wait ID [TIMEOUT]: waits until container ID is stopped (or gone).
container_stopped() {
        local s
        s=$(container_status "$1")
        [ -z "$s" ] || [ "$s" = stopped ]
}
container_wait() {
        local id=$1 t=${2:-$CT_TIMEOUT}
        wait_until "$t" container_stopped "$id" && return 0
        ct_err "container $id still $(container_status "$id") after $t s"
        return 1
}

# container_kill ID [SIGNAL]: sends SIGNAL (default KILL) to the container's
# init; with KILL (or TERM) waits until it has stopped.
container_kill() {
        local id=$1 sig=${2:-KILL}
        ct_runc kill "$id" "$sig" || return 1
        case $sig in KILL | 9 | SIGKILL | TERM | 15 | SIGTERM) container_wait "$id" 10 ;; esac
}

# container_delete ID: removes container ID, killing it if it still runs.
container_delete() { ct_runc delete -f "$1"; }

container_stdout() { cat "$CT_LOGS/$1.stdout"; }
container_stderr() { cat "$CT_LOGS/$1.stderr"; }

# podman_run ARGS...: `podman run` in this test's podman storage, with
# runc (crun fails on this hybrid cgroup setup), the ulimits podman 4.3
# needs here, --rm and the host's network; stdio are the caller's. ARGS
# normally start with --rootfs DIR (make_rootfs). Checked to work on
# Debian 12 (podman 4.3.1, runc 1.1.5), with the isolation flags of
# CT_PODMAN:
#   podman --root T/podman/root --runroot T/podman/run --tmpdir T/podman/tmp
#     --volumepath T/podman/volumes --storage-driver vfs
#     --cgroup-manager cgroupfs --events-backend file
#     run --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
#     --rm --network host --security-opt seccomp=allow.json
#     --annotation io.driftlock.mode=learn --rootfs T/rootfs /bin/echo hello
# with allow.json = {"defaultAction": "SCMP_ACT_ALLOW"} (podman's seccomp
# format, not OCI's; the profile and the annotation reach config.json).
# Bounded by $CT_TIMEOUT seconds (124 then); leftovers go at exit.
podman_run() {
        mkdir -p "$CT_PODMAN_DIR" || return 1
        timeout -k 5 "$CT_TIMEOUT" "${CT_PODMAN[@]}" run --runtime runc \
                --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
                --rm --network host "$@"
}
