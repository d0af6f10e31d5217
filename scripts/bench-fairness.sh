#!/bin/bash
# Part of `make bench`: does a container that floods driftlockd with held
# calls delay the decisions for another container? Two busybox containers
# under one agent, with real runc: B runs a fixed loop of write-opens
# (each one held and decided) and is timed while A is idle and while A
# floods the agent with the same calls as fast as it can. The same pair is
# timed unsupervised, because on two cores A also competes with B for CPU:
# the figure that matters is how much more B slows down under driftlock
# than without it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export DRIFTLOCK_BUILD=$top/build TOP=$top
. "$top/tests/lib.sh"
. "$top/tests/container-lib.sh"
. "$top/tests/agent-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench-fairness: run as root" >&2; exit 1; }

n=${BENCH_FAIR_N:-3000}
repeat=${BENCH_REPEAT:-5}
SEC=$T_DIR/seccomp.json
"$DL" seccomp-profile --listener "$AG_LISTENER" >"$SEC"
start_agent --default-mode enforce || exit 1
mkdir -p "$AG_PROFILES"
cat >"$AG_PROFILES/bench.ini" <<'INI'
[exec]
allow = /bin/busybox

[write]
allow = /data/**
INI

# bundle NAME SUPERVISED CMD: a busybox bundle, with or without driftlock.
bundle() {
        make_bundle "$1" >/dev/null
        [ "$2" = yes ] && { bundle_set_seccomp "$1" "$SEC"; bundle_add_annotation "$1" io.driftlock.profile bench; }
        mkdir -p "$(bundle_rootfs "$1")/data"
        bundle_set_args "$1" /bin/sh -c "$3"
}
LOOP='i=0; while [ $i -lt '$n' ]; do : >/data/f; i=$((i+1)); done'
FLOOD='while :; do : >/data/flood; done'
for s in yes no; do
        bundle "b-$s" "$s" "$LOOP"
        bundle "a-$s" "$s" "$FLOOD"
done

# time_b SUPERVISED FLOOD: seconds B takes (optionally with A flooding).
time_b() {
        local s=$1 flood=$2 t0 t1 id=b-$RANDOM
        if [ "$flood" = yes ]; then
                run_container_detached "a-$s" "flood-$id" >/dev/null || return 1
                sleep 0.3
        fi
        t0=$EPOCHREALTIME
        run_container "b-$s" "$id" 120 || return 1
        t1=$EPOCHREALTIME
        [ "$flood" = yes ] && { container_kill "flood-$id"; container_delete "flood-$id" 2>/dev/null || true; }
        awk "BEGIN { print $t1 - $t0 }"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A samples
for _ in $(seq "$repeat"); do
        for s in yes no; do
                for f in no yes; do
                        samples[$s-$f]+="$(time_b "$s" "$f") "
                done
        done
done
printf '\nfairness: container B: %d held write-opens; medians of %d runs (seconds)\n' "$n" "$repeat"
printf '%-14s %10s %12s %8s\n' "" "A idle" "A flooding" "ratio"
for s in no yes; do
        idle=$(tr ' ' '\n' <<<"${samples[$s-no]}" | grep . | median)
        busy=$(tr ' ' '\n' <<<"${samples[$s-yes]}" | grep . | median)
        printf '%-14s %10.3f %12.3f %8.2f\n' "$([ $s = yes ] && echo driftlock || echo unsupervised)" \
                "$idle" "$busy" "$(awk "BEGIN { print $busy / $idle }")"
done
denied=$(count_lines "$AG_EVENTS" '"verdict":"deny"')
[ "$denied" -eq 0 ] || { echo "bench-fairness: $denied calls were refused: the profile is wrong" >&2; exit 1; }
