#!/bin/bash
# driftlockd itself: its sockets (0600, a live agent's never stolen, a
# crashed one's replaced), its configuration errors, the root-only control
# socket, and a listener that shrugs off what is not a runtime.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../agent-lib.sh"
need_root

start_agent || finish
check "listener socket is 0600" [ "$(stat -c %a "$AG_LISTENER")" = 600 ]
check "control socket is 0600" [ "$(stat -c %a "$AG_CONTROL")" = 600 ]
check "both owned by root" [ "$(stat -c %u "$AG_LISTENER")$(stat -c %u "$AG_CONTROL")" = 00 ]

# A second agent on the same sockets does not steal them.
out=$("$DLD" --foreground --listener "$AG_LISTENER" --control "$AG_CONTROL" \
        --profiles "$AG_PROFILES" --events /dev/null --shim-dir none 2>&1)
check "a second agent refuses to start" [ $? -ne 0 ]
assert_contains "and says why" "$out" "another agent is serving it"
check "the first one still answers" "$DL" status --control "$AG_CONTROL"

# Non-root is refused by the control socket.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$DL" status --control "$AG_CONTROL" 2>&1)
check "control socket refuses non-root" [ $? -ne 0 ]

# The listener: garbage, a message without an fd, an oversized state, a
# silent connection; the agent logs each and goes on.
"$PY" - "$AG_LISTENER" <<'PY'
import socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); return s
s = conn(); s.sendall(b"this is not JSON}"); s.close()
s = conn(); s.sendall(b'{"ociVersion":"1.0.2","pid":1,"state":{"id":"x","status":"creating"}}'); s.close()
s = conn(); s.sendall(b'{"a":"' + b"x" * (1100 * 1024) + b'"}'); s.close()
silent = conn()
time.sleep(0.5)
silent.close()
PY
check "garbage is rejected with a log line" wait_until 10 grep -q "connection rejected" "$AG_LOG"
check "a state without an fd is rejected" wait_until 10 grep -q "no file descriptor" "$AG_LOG"
check "an oversized state is rejected" wait_until 10 grep -q "too large\|larger than 1 MiB" "$AG_LOG"
check "the agent still answers" "$DL" status --control "$AG_CONTROL"

# Killed, it leaves its socket files behind: the next agent replaces them.
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=
check "a crashed agent leaves a stale socket" [ -S "$AG_LISTENER" ]
start_agent
check "the next agent replaces the stale sockets" "$DL" status --control "$AG_CONTROL"
stop_agent

# Configuration errors name file and line; flags override the file.
cat >"$T_DIR/bad.conf" <<'CONF'
[agent]
default_mode = sometimes
flush_interval = soon
bogus = 1
CONF
out=$("$DLD" --config "$T_DIR/bad.conf" --foreground 2>&1)
check "a bad configuration stops the agent" [ $? -ne 0 ]
assert_contains "bad mode with its line" "$out" "bad.conf:2:"
assert_contains "bad number with its line" "$out" "bad.conf:3:"
assert_contains "unknown key with its line" "$out" "bad.conf:4:"
out=$("$DLD" --config "$T_DIR/missing.conf" --foreground 2>&1)
check "a missing --config file is an error" [ $? -ne 0 ]
assert_contains "naming the file" "$out" "missing.conf"
out=$("$DLD" --help)
assert_contains "--help documents --shim-dir" "$out" "--shim-dir"

finish
