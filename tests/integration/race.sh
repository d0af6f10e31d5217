#!/bin/bash
# The argument-rewrite race in enforce mode (issue: "Enforcement that
# survives argument-rewrite races"): a second thread, and a second process
# sharing the memory, flip the path or sockaddr between an allowed and a
# forbidden value while the call is made, 10,000 times each for exec,
# write-open and connect, for sendto and sendmsg with a destination and for
# the write-class calls on names (mkdir, rename, symlink). Not one
# forbidden effect may happen. The same program against CONTINUE answers
# (--no-emulate, and --no-send-gate for the destinations the kernel's send
# gate judges) shows that it does catch the race when there is one, so a
# pass here means something.
. "$(dirname "$0")/../lib.sh"
need_root
RACE=$DRIFTLOCK_BUILD/tests/race
N=${RACE_ATTEMPTS:-10000}

D=$T_DIR/r
mkdir -p "$D/ok" "$D/no"
cp /usr/bin/true "$D/ok/prog"           # exits 0: the allowed program ran
cp /usr/bin/false "$D/no/prog"          # exits 1: the forbidden one ran
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
"$PROBE" listen tcp 127.0.0.1 "$P1" 600 >/dev/null & at_exit "kill $!"
PROF=$T_DIR/p.ini
cat >"$PROF" <<INI
[exec]
allow = $RACE
allow = $D/ok/prog

[write]
allow = $D/ok/*
allow = /dev/stdout

[connect]
allow = tcp 127.0.0.1 $P1
allow = udp 127.0.0.1 $P1
INI

race() {        # race EXPECT KIND HOW N A B [driftlock options]
        local expect=$1 kind=$2 how=$3 n=$4 a=$5 b=$6 out; shift 6
        out=$(timeout 600 "$DL" run --mode enforce "$@" -p "$PROF" --events "$T_DIR/ev.json" -- \
                "$RACE" "$kind" "$how" "$n" "$a" "$b" 2>/dev/null)
        case $expect in
        none) assert_contains "$kind, racing $how: no forbidden effect in $n attempts" "$out" "forbidden 0" ;;
        some) assert_not_contains "$kind, racing $how, CONTINUE answers: the race is caught" "$out" "forbidden 0" ;;
        esac
        echo "    $kind $how $*: $out"
}

for how in thread process; do
        race none open "$how" "$N" "$D/ok/file" "$D/no/file"
        check "open, racing $how: the forbidden file does not exist" [ ! -e "$D/no/file" ]
        race none connect "$how" "$N" "$P1" "$P2"
        race none sendto "$how" "$N" "$P1" "$P2"
        race none sendmsg "$how" "$N" "$P1" "$P2"
        race none exec "$how" "$N" "$D/ok/prog" "$D/no/prog"
        for kind in mkdir rename symlink; do
                race none $kind "$how" "$N" "$D/ok/name" "$D/no/name"
                check "$kind, racing $how: the forbidden name does not exist" [ ! -e "$D/no/name" ]
        done
done

# An object without a name in the root (the pipe behind /dev/stdout: race's
# output is captured) is opened again by the agent, not left to the kernel.
# The forbidden path must have the same length as /dev/stdout.
F=$(mktemp -u /tmp/XXXXXX); at_exit "rm -f $F"
race none open thread "$N" /dev/stdout "$F"
check "open via /dev/stdout, racing thread: $F does not exist" [ ! -e "$F" ]

# The test is not vacuous: with CONTINUE answers the same programs win.
race some open thread 2000 "$D/ok/file" "$D/no/file" --no-emulate
rm -f "$D/no/file"
# connect and sendto are judged twice over: emulation alone (above, and
# without the send gate here) and the send gate alone (CONTINUE answers)
# each leave no forbidden effect; with neither, the race wins.
race none connect thread 5000 "$P1" "$P2" --no-emulate
race none sendto thread 5000 "$P1" "$P2" --no-emulate
race none connect thread 5000 "$P1" "$P2" --no-send-gate
race none sendto thread 5000 "$P1" "$P2" --no-send-gate
race some connect thread 5000 "$P1" "$P2" --no-emulate --no-send-gate
race some sendto thread 5000 "$P1" "$P2" --no-emulate --no-send-gate
# sendmsg is not held by seccomp at all: only the send gate stops it.
race some sendmsg thread 2000 "$P1" "$P2" --no-send-gate
race some rename thread 2000 "$D/ok/name" "$D/no/name" --no-emulate
race some open thread 2000 /dev/stdout "$F" --no-emulate

finish
