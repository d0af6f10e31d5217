#!/bin/bash
# The supervisor under awkward targets: threads racing through held calls,
# vfork and posix_spawn, paths longer than PATH_MAX, unreadable memory,
# processes killed while their call is held, thousands of short-lived
# children. Nothing may hang, crash or wedge the supervisor.
. "$(dirname "$0")/../lib.sh"
need_root

D=$T_DIR/d
mkdir -p "$D/out" "$D/k"
PROF=$T_DIR/p.ini
EV=$T_DIR/ev.json
cat >"$PROF" <<INI
[exec]
allow = /usr/bin/*
allow = $PROBE

[write]
allow = $D/**
allow = /dev/null
INI
"$DL" profile lint "$PROF" || fail "test profile lints"
enforce() { timeout 120 "$DL" run --mode enforce -p "$PROF" --events "$EV" -- "$@"; }

out=$(enforce "$PROBE" threads 16 100 "$D/out")
assert_eq "16 threads x 100 creates in enforce" "$out" "failures 0"
assert_eq "1600 files made" "$(find "$D/out" -type f | wc -l)" 1600

out=$(enforce "$PROBE" spawn /usr/bin/true)
assert_eq "vfork and posix_spawn children" "$out" "spawned"
out=$(enforce "$PROBE" spawn /bin/true)
assert_eq "vfork through a symlinked /bin" "$out" "spawned"

out=$(enforce "$PROBE" open-long)
assert_eq "path longer than PATH_MAX" "$out" "errno ENAMETOOLONG"
out=$(enforce "$PROBE" open-fault)
assert_eq "path at an unmapped address" "$out" "errno EFAULT"

# Names the agent changes itself keep the kernel's own rules: a trailing '/'
# applies to the name, and a last component "." or ".." fails as in the
# kernel instead of acting on the directory.
mkdir -p "$D/n/d" && touch "$D/n/f"
enforce /bin/rmdir "$D/n/d/." 2>/dev/null
check "rmdir dir/.: refused" [ $? -ne 0 ]
check "rmdir dir/.: the directory stays" [ -d "$D/n/d" ]
enforce /bin/mkdir "$D/n/new/"
check "mkdir name/: made" [ -d "$D/n/new" ]
enforce /bin/sh -c "/bin/rmdir '$D/n/new/' && /bin/mv '$D/n/f' '$D/n/d/'"
check "rmdir name/ and mv into dir/: done" [ ! -e "$D/n/new" ] && check "moved" [ -e "$D/n/d/f" ]
out=$(enforce "$PY" -c "import os
for f in (lambda: os.unlink('$D/n/d/f/'), lambda: os.rename('$D/n/d', '$D/n/d/.'), lambda: os.mkdir('$D/n/d/..')):
    try: f(); print('done')
    except OSError as e: print(e.errno)" 2>/dev/null)
assert_eq "unlink file/, rename onto dir/., mkdir dir/..: the kernel's errnos" \
        "$(echo $out)" "$("$PY" -c "import errno; print(errno.ENOTDIR, errno.EBUSY, errno.EEXIST)")"
check "the file is still there" [ -e "$D/n/d/f" ]

# Routes around the path checks are closed in BPF (README "What is
# protected"): a file handle opens a file without a path to check.
out=$(enforce "$PROBE" open-by-handle "$D/out/t0-0")
assert_eq "open_by_handle_at is refused" "$out" "errno EPERM"
out=$(enforce "$PROBE" open "$D/out/t0-0" w)
assert_eq "while the same file opens by path" "$out" "opened"

# Killed while held: each probe is SIGKILLed while its threads are in
# held calls; the supervisor must go on answering the rest of the tree.
: >"$EV"
enforce /bin/sh -c "
        i=0
        while [ \$i -lt 100 ]; do
                '$PROBE' threads 4 50 '$D/k' >/dev/null & kill -9 \$! 2>/dev/null
                i=\$((i + 1))
        done
        wait
        '$PROBE' open '$D/k/after' wc"
assert_eq "supervisor still answers after 100 kills mid-call" "$?" 0
check "the last call went through" [ -e "$D/k/after" ]
assert_eq "no denials on the way" "$(count_lines "$EV" '"verdict":"deny"')" 0

# Many short-lived children, each with held calls.
enforce /bin/sh -c "i=0; while [ \$i -lt 3000 ]; do /usr/bin/touch '$D/k/x'; i=\$((i+1)); done"
assert_eq "3000 short-lived children" "$?" 0

# A learn run gathers a profile from a threaded workload that enforce
# then accepts without a denial.
timeout 120 "$DL" run --mode learn -p "$T_DIR/t.ini" --events /dev/null -- "$PROBE" threads 8 20 "$D/out" >/dev/null
: >"$EV"
out=$(timeout 120 "$DL" run --mode enforce -p "$T_DIR/t.ini" --events "$EV" -- "$PROBE" threads 8 20 "$D/out")
assert_eq "threaded workload: learn then enforce" "$out" "failures 0"
assert_eq "threaded workload: zero denials" "$(count_lines "$EV" '"verdict":"deny"')" 0

# --learn-reads records reads into a [read] section that is then enforced.
echo data >"$D/in.txt"
timeout 60 "$DL" run --mode learn --learn-reads -p "$T_DIR/r.ini" --events /dev/null -- /bin/cat "$D/in.txt" >/dev/null
check "[read] section learned" grep -qx '\[read\]' "$T_DIR/r.ini"
check "the read file is in it" "$DL" profile check "$T_DIR/r.ini" read "$D/in.txt"
echo other >"$D/other.txt"
: >"$EV"
timeout 60 "$DL" run --mode enforce -p "$T_DIR/r.ini" --events "$EV" -- /bin/cat "$D/other.txt" >/dev/null 2>&1
check "an unlearned read is refused" [ $? -ne 0 ]
check "with a read deny event" [ "$(count_lines "$EV" '"verdict":"deny"' '"class":"read"' "$D/other.txt")" -ge 1 ]
out=$(timeout 60 "$DL" run --mode enforce -p "$T_DIR/r.ini" --events /dev/null -- /bin/cat "$D/in.txt")
assert_eq "the learned read still works" "$out" "data"

finish
