#!/bin/bash
# driftlock-hook's own input checks: usage, and a container state on stdin
# that is empty, malformed or too large is refused with a message before
# any agent is asked (none runs here).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

HOOK=$DRIFTLOCK_BUILD/driftlock-hook
NOAGENT=$T_DIR/no-agent.sock

# run CMD... <INPUT: stderr in $err, exit code in $rc.
run() {
        "$@" >"$T_DIR/out.txt" 2>"$T_DIR/err.txt"
        rc=$?
        err=$(cat "$T_DIR/err.txt")
}

run "$HOOK" --help </dev/null
assert_eq "--help exits 0" "$rc" 0
assert_contains "--help prints the usage" "$(cat "$T_DIR/out.txt")" "Usage: driftlock-hook"
run "$HOOK" --control "$NOAGENT" </dev/null
assert_eq "no stage: exit 2" "$rc" 2
run "$HOOK" --control "$NOAGENT" poststart </dev/null
assert_eq "unknown stage: exit 2" "$rc" 2
assert_contains "unknown stage: named" "$err" "unknown stage 'poststart'"

run "$HOOK" --control "$NOAGENT" createRuntime </dev/null
assert_eq "empty state: exit 1" "$rc" 1
assert_contains "empty state: why" "$err" "bad container state on stdin"
printf '{"ociVersion": "1.0.2", "id": "x", "status": "creating", "pid": 1, "bundle": "/b"' \
        >"$T_DIR/cut.json"
run "$HOOK" --control "$NOAGENT" createRuntime <"$T_DIR/cut.json"
assert_eq "cut-off state: exit 1" "$rc" 1
assert_contains "cut-off state: why" "$err" "bad container state on stdin"

# Over 1 MiB: refused, from a file, and from a pipe whose writer never
# stops (the hook does not wait for it).
"$PY" -c 'import sys
sys.stdout.write("{\"a\": \"" + "x" * (1 << 20) + "\"}")' >"$T_DIR/big.json"
run "$HOOK" --control "$NOAGENT" createRuntime <"$T_DIR/big.json"
assert_eq "oversized state: exit 1" "$rc" 1
assert_contains "oversized state: why" "$err" "larger than 1048576 bytes"
run timeout 20 "$HOOK" --control "$NOAGENT" createRuntime < <(yes)
assert_eq "endless state: exit 1, not a hang" "$rc" 1
assert_contains "endless state: why" "$err" "larger than 1048576 bytes"

finish
