# Shared helpers for the shell tests (sourced). Every test gets its own
# temp dir, removed on exit whatever happened; failures are counted and the
# test exits non-zero if any assertion failed.
set -u

DL=${DRIFTLOCK_BUILD:?run through tests/run-tests.sh or set DRIFTLOCK_BUILD}/driftlock
PROBE=$DRIFTLOCK_BUILD/tests/probe
T_FAILED=0
# Debian's python3, which scripts/install-deps.sh installs, starts in 40 ms;
# a version manager's shim first in PATH (pyenv's) takes 0.4 to 2 s, enough
# to outlast a readiness wait on a loaded machine.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
T_CLEANUP=()

# The tests' sockets live in T_DIR, and a unix socket's path holds at most
# 107 bytes: under a long TMPDIR they would fail to bind, so /tmp is used.
T_BASE=${TMPDIR:-/tmp}
[ ${#T_BASE} -le 40 ] || T_BASE=/tmp
T_DIR=$(mktemp -d "$T_BASE/driftlock-test.XXXXXX")
t_cleanup() {
        local i
        for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do
                eval "${T_CLEANUP[i]}" >/dev/null 2>&1 || true
        done
        rm -rf "$T_DIR"
}
trap t_cleanup EXIT

# Runs CMD at exit (in reverse order of registration).
at_exit() { T_CLEANUP+=("$1"); }

skip() { echo "skipped: $*" >&2; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

fail() { echo "FAIL: $*" >&2; T_FAILED=$((T_FAILED + 1)); }
pass() { echo "ok: $*"; }

# check DESCRIPTION CMD...: passes when CMD succeeds.
check() {
        local what=$1; shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

# refute DESCRIPTION CMD...: passes when CMD fails.
refute() {
        local what=$1; shift
        if "$@"; then fail "$what"; else pass "$what"; fi
}

assert_eq() {
        if [ "$2" == "$3" ]; then pass "$1"; else
                fail "$1: expected [$3], got [$2]"
        fi
}

assert_contains() {
        if grep -qF -- "$3" <<<"$2"; then pass "$1"; else
                fail "$1: [$3] not found in:"; printf '%s\n' "$2" | sed 's/^/    /' >&2
        fi
}

assert_not_contains() {
        if ! grep -qF -- "$3" <<<"$2"; then pass "$1"; else
                fail "$1: [$3] unexpectedly found in:"; printf '%s\n' "$2" | sed 's/^/    /' >&2
        fi
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds (0) or
# SECONDS have passed (1). Timeouts are generous because CI machines are
# shared and slow at times; a passing test never waits them out.
wait_until() {
        local deadline=$((SECONDS + $1)); shift
        until "$@"; do
                [ "$SECONDS" -lt "$deadline" ] || return 1
                sleep 0.1
        done
}

# Number of lines in FILE (0 if it does not exist) that contain every
# further argument as a fixed string.
count_lines() {
        local file=$1; shift
        [ -f "$file" ] || { echo 0; return; }
        local out; out=$(cat "$file")
        for s in "$@"; do out=$(grep -F -- "$s" <<<"$out" || true); done
        [ -z "$out" ] && echo 0 || wc -l <<<"$out"
}

# A free TCP port on loopback.
free_port() {
        "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

finish() {
        if [ "$T_FAILED" -gt 0 ]; then
                echo "$T_FAILED assertion(s) failed" >&2
                exit 1
        fi
        exit 0
}
