#!/bin/bash
# Runs every test of `make check`: cmocka unit tests, fuzz-corpus replays,
# CLI tests and integration tests. A test script exits 0 (pass), 77 (skip,
# with the reason on stderr) or anything else (fail). With CI set, a skip
# counts as a failure: CI must run the real tests.
#
#   TESTS=REGEX   run only the tests whose name matches
set -u

BUILD=${BUILD:-build}
export BUILD
DRIFTLOCK_BUILD=$(cd "$BUILD" && pwd)
export DRIFTLOCK_BUILD
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
cd "$TOP" || exit 1

passed=0 failed=0 skipped=0
# Tests must keep to their own sockets and profiles: the host's agent
# directories are checked before and after.
host_state() { ls -la --time-style=+ /run/driftlock /etc/driftlock 2>&1; }
host_before=$(host_state)
failures=()
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/driftlock-check.XXXXXX")
trap 'rm -rf "$log_dir"' EXIT

run() {
        local name=$1; shift
        if [ -n "${TESTS:-}" ] && ! [[ $name =~ $TESTS ]]; then
                return
        fi
        local log=$log_dir/${name//\//_}.log start end rc
        start=$(date +%s)
        "$@" >"$log" 2>&1
        rc=$?
        end=$(date +%s)
        if [ $rc -eq 0 ]; then
                passed=$((passed + 1))
                printf 'PASS  %-44s %3ss\n' "$name" $((end - start))
        elif [ $rc -eq 77 ] && [ -z "${CI:-}" ]; then
                skipped=$((skipped + 1))
                printf 'SKIP  %-44s %s\n' "$name" "$(tail -n 1 "$log")"
        else
                failed=$((failed + 1))
                failures+=("$name")
                [ $rc -eq 77 ] && echo "(skipped, and CI is set: a skip is a failure)" >>"$log"
                printf 'FAIL  %-44s (exit %d)\n' "$name" $rc
                # What went wrong, without the passes around it: CI shows
                # only a few lines after this one.
                grep -v -E '^(ok: |\[ +(RUN|OK) +\] )' "$log" | sed 's/^/    | /' | head -n 60
        fi
}

for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
for t in "$BUILD"/tests/replay_fuzz_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t"); corpus=tests/fuzz/corpus/${name#replay_fuzz_}
        run "fuzz-replay/${name#replay_}" "$t" "$corpus"
done
for t in tests/cli/*.sh tests/integration/*.sh; do
        [ -f "$t" ] && run "${t#tests/}" bash "$t"
done

if [ "$(host_state)" != "$host_before" ]; then
        failed=$((failed + 1))
        failures+=("host-state")
        echo "FAIL  a test changed /run/driftlock or /etc/driftlock on the host"
fi

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[*]}"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
