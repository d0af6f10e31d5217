# Starting driftlockd for a test (sourced after tests/lib.sh): its own
# sockets, profile directory and event file under $T_DIR, stopped at exit.
#
#   start_agent [EXTRA-OPTIONS...]     sets AGENT_PID; waits until it serves
#   stop_agent                          SIGTERM and wait (saves learned profiles)

DLD=$DRIFTLOCK_BUILD/driftlockd
AG_LISTENER=$T_DIR/agent/listener.sock
AG_CONTROL=$T_DIR/agent/control.sock
AG_PROFILES=$T_DIR/agent/profiles
AG_EVENTS=$T_DIR/agent/events.json
AG_LOG=$T_DIR/agent/agent.log
AG_SHIM=$T_DIR/agent/shim
AGENT_PID=

agent_answers() { [ -S "$AG_CONTROL" ] && "$DL" status --control "$AG_CONTROL" >/dev/null 2>&1; }
agent_settled() { agent_answers || ! kill -0 "$AGENT_PID" 2>/dev/null; }

start_agent() {
        mkdir -p "$T_DIR/agent"
        "$DLD" --foreground --listener "$AG_LISTENER" --control "$AG_CONTROL" \
                --profiles "$AG_PROFILES" --events "$AG_EVENTS" --shim-dir "$AG_SHIM" "$@" 2>>"$AG_LOG" &
        AGENT_PID=$!
        at_exit "kill $AGENT_PID 2>/dev/null; wait $AGENT_PID 2>/dev/null"
        wait_until 30 agent_settled && agent_answers && return 0
        fail "driftlockd did not start:"; sed 's/^/    /' "$AG_LOG" >&2
        return 1
}

stop_agent() {
        [ -n "$AGENT_PID" ] || return 0
        kill "$AGENT_PID" 2>/dev/null
        wait "$AGENT_PID" 2>/dev/null
        AGENT_PID=
}

# agent_events CONTAINER VERDICT [SUBSTRING...]: how many events of the
# container have this verdict (and contain every substring).
agent_events() {
        local id=$1 verdict=$2; shift 2
        count_lines "$AG_EVENTS" "\"container\":\"$id\"" "\"verdict\":\"$verdict\"" "$@"
}

# agent_saw CONTAINER VERDICT [SUBSTRING...]: true once there is such an event.
agent_saw() { [ "$(agent_events "$@")" -ge 1 ]; }

# agent_done CONTAINER: waits for the agent to let the container go (its
# "detach" event). Only then has it saved what the container taught it and
# read the send gate's last reports: runc can return a moment earlier.
agent_done() { wait_until 30 agent_saw "$1" detach || fail "the agent did not let container $1 go"; }
