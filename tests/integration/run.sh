#!/bin/bash
# driftlock run end to end, with real seccomp: learn a workload, enforce it
# with zero denials, then each kind of drift is refused (with an event and
# without its side effect) in enforce mode and reported in monitor mode.
. "$(dirname "$0")/../lib.sh"
need_root

W=$T_DIR/w                      # the workload's world
PROF=$T_DIR/app.ini
EV=$T_DIR/events.json
mkdir -p "$W/sub"
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done

"$PROBE" listen tcp 127.0.0.1 "$P1" 120 >/dev/null & at_exit "kill $!"
"$PROBE" listen tcp 127.0.0.1 "$P2" 120 >/dev/null & at_exit "kill $!"
listening() { "$PROBE" connect tcp 127.0.0.1 "$1" >/dev/null; }
wait_until 30 listening "$P1" && wait_until 30 listening "$P2" || fail "the listeners did not start"

cat >"$W/app.sh" <<APP
#!/bin/sh
set -e
rm -rf "$W/out"
mkdir -p "$W/out"
echo hello >"$W/out/a.txt"
cat "$W/out/a.txt" >/dev/null
ls "$W" >"$W/out/listing.txt"
mv "$W/out/listing.txt" "$W/out/listing.old"
ln -f "$W/out/a.txt" "$W/out/a.link"
"$PROBE" connect tcp 127.0.0.1 $P1 >/dev/null
/bin/sh -c true
APP
chmod +x "$W/app.sh"

# --- learn, twice: the same file both times --------------------------------
"$DL" run --mode learn -p "$PROF" --events "$T_DIR/learn.json" -- /bin/sh "$W/app.sh"
check "learn run exits 0" [ $? -eq 0 ]
check "learn wrote the profile" [ -s "$PROF" ]
"$DL" profile lint "$PROF"
check "learned profile lints clean" [ $? -eq 0 ]
"$DL" run --mode learn -p "$T_DIR/again.ini" --events /dev/null -- /bin/sh "$W/app.sh"
check "second learn run is byte-identical" cmp -s "$PROF" "$T_DIR/again.ini"
prof=$(cat "$PROF")
assert_contains "exec of the shell learned" "$prof" "allow = /usr/bin/dash"
assert_contains "write learned" "$prof" "/out/a.txt"
assert_contains "connect learned" "$prof" "allow = tcp 127.0.0.1 $P1"
check "learn events say learn" grep -q '"verdict":"learn"' "$T_DIR/learn.json"

# --- enforce: the workload runs with zero denials -----------------------------
"$DL" run --mode enforce -p "$PROF" --events "$EV" -- /bin/sh "$W/app.sh"
check "enforce run of the workload exits 0" [ $? -eq 0 ]
assert_eq "zero denials for the learned workload" "$(count_lines "$EV" '"verdict":"deny"')" 0

# --- enforce: drift is refused ------------------------------------------------
cp /usr/bin/true "$W/copy"
ln -s "$W/copy" "$W/link"
enforce() { : >"$EV"; "$DL" run --mode enforce -p "$PROF" --events "$EV" -- "$@"; }
denied() {  # denied WHAT CLASS PATH-OR-ADDR-SUBSTRING
        local n; n=$(count_lines "$EV" '"verdict":"deny"' "\"class\":\"$2\"" "$3")
        if [ "$n" -ge 1 ]; then pass "$1: deny event"; else
                fail "$1: no deny event for $3"; sed 's/^/    /' "$EV" >&2; fi
}

enforce "$W/copy"; check "copied binary: refused" [ $? -ne 0 ]
denied "copied binary" exec "\"path\":\"$W/copy\""
enforce "$W/link"; check "via symlink: refused" [ $? -ne 0 ]
denied "via symlink" exec "\"path\":\"$W/copy\""
enforce "$W/sub/../copy"; check "via dir/../: refused" [ $? -ne 0 ]
denied "via dir/../" exec "\"path\":\"$W/copy\""
enforce /bin/sh -c "cd '$W' && ./copy"; check "relative after cd: refused" [ $? -ne 0 ]
denied "relative after cd" exec "\"path\":\"$W/copy\""
out=$(enforce "$PROBE" execveat-dir "$W" copy)
assert_eq "execveat with a dirfd: EPERM" "$out" "errno EPERM"
denied "execveat with a dirfd" exec "\"path\":\"$W/copy\""
out=$(enforce "$PROBE" execveat-memfd /usr/bin/true)
assert_eq "memfd + execveat(AT_EMPTY_PATH): EPERM" "$out" "errno EPERM"
denied "memfd exec" exec '"syscall":"execveat"'

enforce /bin/sh -c "echo x >'$W/forbidden.txt'"; check "write outside the allowlist: refused" [ $? -ne 0 ]
check "no file was created" [ ! -e "$W/forbidden.txt" ]
denied "write outside" write "\"path\":\"$W/forbidden.txt\""
enforce /bin/mv "$W/out/a.txt" "$W/moved.txt"; check "rename out of the allowlist: refused" [ $? -ne 0 ]
check "rename had no effect" [ -e "$W/out/a.txt" ] && check "nothing moved" [ ! -e "$W/moved.txt" ]
denied "rename" write "\"path\":\"$W/moved.txt\""
enforce /bin/ln "$W/out/a.txt" "$W/hardlink"; check "link outside the allowlist: refused" [ $? -ne 0 ]
check "no link was made" [ ! -e "$W/hardlink" ]
denied "link" write "\"path\":\"$W/hardlink\""

out=$(enforce "$PROBE" connect tcp 127.0.0.1 "$P2")
assert_eq "connect to an unlisted loopback port: EPERM" "$out" "errno EPERM"
denied "connect" connect "\"addr\":\"tcp 127.0.0.1 $P2\""
out=$(enforce "$PROBE" connect tcp 127.0.0.1 "$P1")
assert_eq "the learned port still works" "$out" "connected"

# sendto with a destination is a connect: judged by its address, also one
# that says AF_UNSPEC (the kernel sends it as AF_INET)
"$PROBE" recv-udp 127.0.0.1 "$P2" 3 >"$T_DIR/recv.txt" & recv=$!
wait_until 30 test -s "$T_DIR/recv.txt" || fail "the UDP receiver did not start"
out=$(enforce "$PROBE" sendto udp 127.0.0.1 "$P2")
assert_eq "sendto an unlisted UDP port: EPERM" "$out" "errno EPERM"
denied "sendto" connect "\"addr\":\"udp 127.0.0.1 $P2\""
out=$(enforce "$PROBE" sendto unspec 127.0.0.1 "$P2")
assert_eq "sendto with an AF_UNSPEC address: EPERM" "$out" "errno EPERM"
wait $recv
assert_eq "no datagram arrived" "$(tail -n 1 "$T_DIR/recv.txt")" "received 0"

# --- the send gate: destinations of sendmsg, judged in the kernel -----------------
# sendmsg is never held by seccomp (runtimes hand the listener over with
# it): the gate's BPF programs judge the kernel's copy of the destination,
# learn it, refuse it and report it like a held connect.
GP=$T_DIR/gate.ini GEV=$T_DIR/gate.json ABS=driftlock-test-run-$$
U1=$(free_port); U2=$(free_port)
while [ "$U2" = "$U1" ]; do U2=$(free_port); done
receivers=()
for r in ok:"$W/ok.sock" no:"$W/no.sock" aok:"@$ABS-ok" ano:"@$ABS-no"; do
        f=$T_DIR/recv-${r%%:*}.txt
        "$PROBE" recv-unix "${r#*:}" 8 >"$f" & receivers+=($!); at_exit "kill $! 2>/dev/null"
        wait_until 30 test -s "$f" || fail "the receiver on ${r#*:} did not start"
done
"$DL" run --mode learn -p "$GP" --events "$GEV" -- /bin/sh -c "
'$PROBE' sendto sendmsg 127.0.0.1 $U1 && '$PROBE' send-unix sendmsg '$W/ok.sock' &&
'$PROBE' send-unix sendmsg @$ABS-ok" >/dev/null
check "learn: sendmsg goes through" [ $? -eq 0 ]
check "learned: a UDP sendmsg destination" "$DL" profile check "$GP" connect udp 127.0.0.1 "$U1"
check "learned: a unix datagram path, exactly (the gate matches bytes)" \
        grep -qxF "allow = unix $W/ok.sock" "$GP"
check "learned: an abstract name" "$DL" profile check "$GP" connect unix "@$ABS-ok"
gate() { "$DL" run --mode "$1" -p "$GP" --events "$GEV" -- "${@:2}"; }
: >"$GEV"
assert_eq "enforce: the learned UDP destination" "$(gate enforce "$PROBE" sendto sendmsg 127.0.0.1 "$U1")" "sent 5"
assert_eq "enforce: sendmsg to another port: EPERM" "$(gate enforce "$PROBE" sendto sendmsg 127.0.0.1 "$U2")" "errno EPERM"
assert_eq "enforce: sendmmsg to another port: EPERM" "$(gate enforce "$PROBE" sendto sendmmsg 127.0.0.1 "$U2")" "errno EPERM"
assert_eq "enforce: the learned unix path" "$(gate enforce "$PROBE" send-unix sendmsg "$W/ok.sock")" "sent 5"
assert_eq "enforce: sendmsg to another unix path: EPERM" "$(gate enforce "$PROBE" send-unix sendmsg "$W/no.sock")" "errno EPERM"
assert_eq "enforce: sendto to it (held by seccomp): EPERM" "$(gate enforce "$PROBE" send-unix sendto "$W/no.sock")" "errno EPERM"
assert_eq "enforce: the learned abstract name" "$(gate enforce "$PROBE" send-unix sendmsg "@$ABS-ok")" "sent 5"
assert_eq "enforce: another abstract name: EPERM" "$(gate enforce "$PROBE" send-unix sendmsg "@$ABS-no")" "errno EPERM"
check "deny events: syscall sendmsg, the destination" \
        [ "$(count_lines "$GEV" '"verdict":"deny"' '"syscall":"sendmsg"' "\"addr\":\"udp 127.0.0.1 $U2\"")" -eq 2 ]
check "deny event for the unix path" \
        [ "$(count_lines "$GEV" '"verdict":"deny"' '"syscall":"sendmsg"' "\"addr\":\"unix $W/no.sock\"")" -eq 1 ]
check "deny event for the abstract name" \
        [ "$(count_lines "$GEV" '"verdict":"deny"' '"syscall":"sendmsg"' "\"addr\":\"unix @$ABS-no\"")" -eq 1 ]
: >"$GEV"
assert_eq "monitor: sendmsg to another unix path happens" "$(gate monitor "$PROBE" send-unix sendmsg "$W/no.sock")" "sent 5"
check "monitor: one alert for it" \
        [ "$(count_lines "$GEV" '"verdict":"alert"' "\"addr\":\"unix $W/no.sock\"")" -eq 1 ]
wait "${receivers[@]}"
assert_eq "the unix path got learn and enforce's datagrams" "$(tail -n 1 "$T_DIR/recv-ok.txt")" "received 2"
assert_eq "the other path only monitor's" "$(tail -n 1 "$T_DIR/recv-no.txt")" "received 1"
assert_eq "the abstract name got learn and enforce's" "$(tail -n 1 "$T_DIR/recv-aok.txt")" "received 2"
assert_eq "the other name none" "$(tail -n 1 "$T_DIR/recv-ano.txt")" "received 0"
check "no cgroup of driftlock run is left" \
        [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "driftlock-run.*" 2>/dev/null)" ]

# --errno EACCES
: >"$EV"
out=$("$DL" run --mode enforce --errno EACCES -p "$PROF" --events "$EV" -- "$PROBE" connect tcp 127.0.0.1 "$P2")
assert_eq "--errno EACCES" "$out" "errno EACCES"

# --- monitor: everything happens, each is reported -------------------------------
monitor() { "$DL" run --mode monitor -p "$PROF" --events "$EV" -- "$@"; }
: >"$EV"
monitor "$W/copy"; check "monitor: copied binary runs" [ $? -eq 0 ]
monitor /bin/sh -c "echo x >'$W/forbidden.txt'"
check "monitor: write happens" [ -e "$W/forbidden.txt" ]
out=$(monitor "$PROBE" connect tcp 127.0.0.1 "$P2")
assert_eq "monitor: connect happens" "$out" "connected"
monitor "$PROBE" execveat-memfd /usr/bin/true >/dev/null
check "monitor: memfd exec runs" [ $? -eq 0 ]
assert_eq "monitor: no denials" "$(count_lines "$EV" '"verdict":"deny"')" 0
check "monitor: alert for the copied binary" [ "$(count_lines "$EV" '"verdict":"alert"' "\"path\":\"$W/copy\"")" -ge 1 ]
check "monitor: alert for the write" [ "$(count_lines "$EV" '"verdict":"alert"' "$W/forbidden.txt")" -ge 1 ]
check "monitor: alert for the connect" [ "$(count_lines "$EV" '"verdict":"alert"' "tcp 127.0.0.1 $P2")" -ge 1 ]
check "monitor: alert for the memfd exec" [ "$(count_lines "$EV" '"verdict":"alert"' '"syscall":"execveat"')" -ge 1 ]

# --- exit status and robustness ---------------------------------------------------
"$DL" run --mode monitor -p "$PROF" --events /dev/null -- /bin/sh -c 'exit 7'
assert_eq "exit status is CMD's" "$?" 7
"$DL" run --mode monitor -p "$PROF" --events /dev/null -- /bin/sh -c 'kill -TERM $$'
assert_eq "killed CMD gives 128+signal" "$?" 143
out=$("$DL" run --mode monitor -p "$PROF" --events /dev/null -- /bin/grep SigIgn /proc/self/status 2>/dev/null)
assert_eq "CMD keeps the signal dispositions it was given (SIGPIPE)" "$out" "$(/bin/grep SigIgn /proc/self/status)"
"$DL" run --mode monitor -p "$PROF" --events /dev/null -- /nonexistent/cmd 2>/dev/null
assert_eq "missing CMD gives 127" "$?" 127
start=$(date +%s)
"$DL" run --mode learn -p "$T_DIR/bg.ini" --events /dev/null --grace 1 -- /bin/sh -c 'sleep 300 & exit 0'
assert_eq "background leftovers do not keep run alive" "$?" 0
check "run returned within the grace time" [ $(( $(date +%s) - start )) -lt 30 ]
"$DL" run --mode learn -p "$T_DIR/many.ini" --events /dev/null -- /bin/sh -c 'i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done'
assert_eq "thousands of short-lived children" "$?" 0

finish
