#!/bin/bash
# make bench: driftlock's overhead as ratios against the same workload run
# unsupervised, with strace as the ptrace peer, all measured in this one run.
#
# Machines are shared and noisy, so nothing is compared with stored numbers:
# for each workload the variants are interleaved (unsupervised, driftlock,
# continue, strace, unsupervised, ...), each is run BENCH_REPEAT times, and
# the tables show medians. The cost per held call is
# (driftlock - unsupervised) / held: everything supervision adds (the
# notification round trip, the supervisor's path resolution and decision, the
# BPF filter on every system call, and the supervisor competing for CPU),
# spread over the calls it held.
#
# driftlock is the enforce run as shipped: it performs allowed opens,
# connects and calls on names (the write loop's renames) itself (a worker
# thread with the target's credentials; an fd is installed with
# SECCOMP_IOCTL_NOTIF_ADDFD) so that the checked path is the one used. continue is the same run with --no-emulate, where the kernel
# performs them (CONTINUE, racy). The cost per emulated call is
# (driftlock - continue) / emulated: what that race-proofing costs.
#
# Environment: BENCH_REPEAT (5), BENCH_TIMEOUT (seconds per run, 60),
# BENCH_EXEC_N, BENCH_WRITE_N, BENCH_READ_N, BENCH_SEND_N (workload sizes), BENCH_PYTHON
# (/usr/bin/python3), BENCH_KEEP=1 keeps the temp dir (profiles) for a
# post-mortem.
set -euo pipefail
# The workloads must not depend on who runs them: xargs looks cat up in PATH,
# and every directory in it before /usr/bin is one more held execve.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
dl=$top/build/driftlock
py=${BENCH_PYTHON:-/usr/bin/python3}
repeat=${BENCH_REPEAT:-5}
timeout_s=${BENCH_TIMEOUT:-60}
exec_n=${BENCH_EXEC_N:-300}
write_n=${BENCH_WRITE_N:-10000}
read_n=${BENCH_READ_N:-5000}
send_n=${BENCH_SEND_N:-100000}
workloads=(exec write read send)

say() { printf 'bench: %s\n' "$*"; }
die() { printf 'bench: FAIL: %s\n' "$*" >&2; exit 1; }

# The preconditions, each with what to do about it.
[ "$(id -u)" -eq 0 ] || die "run as root (seccomp supervision of the workloads): sudo make bench"
[ -x "$dl" ] || die "$dl is missing: run 'make' first"
[ -x "$py" ] || die "$py is missing (timing and the file-write workload need it): scripts/install-deps.sh installs python3"
for v in BENCH_REPEAT:repeat BENCH_TIMEOUT:timeout_s BENCH_EXEC_N:exec_n \
        BENCH_WRITE_N:write_n BENCH_READ_N:read_n BENCH_SEND_N:send_n; do
        name=${v#*:}
        [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "${v%%:*} must be a positive integer, got '${!name}'"
done
strace=$(command -v strace || true)
variants=(unsup driftlock continue strace)
if [ -z "$strace" ]; then
        printf 'bench: WARNING: strace is not installed: the strace columns will be n/a (scripts/install-deps.sh installs it)\n' >&2
        variants=(unsup driftlock continue)
fi
# Below this many emulated calls, (driftlock - continue) / emulated is the
# noise of two medians divided by a small number: shown as n/a.
emul_min=100

work=$(mktemp -d /tmp/driftlock-bench.XXXXXX)
cleanup() {
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
                say "kept $work (BENCH_KEEP=1)"
        else
                rm -rf "$work"
        fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$work/files"
# A fixed port for the send workload: its learned rule names it.
send_port=$("$py" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# workload_cmd NAME: sets CMD to the workload's command line.
# shellcheck disable=SC2016 # $1 and $i are the inner sh's, not ours
workload_cmd() {
        case $1 in
        exec)
                # fork+exec dominated: one held execve per iteration.
                CMD=(/bin/sh -c 'i=0; while [ "$i" -lt "$1" ]; do /bin/true; i=$((i + 1)); done' sh "$exec_n") ;;
        write)
                # three held calls per iteration: write-open, rename, unlink.
                CMD=("$py" -I -B "$top/scripts/bench/fileloop.py" "$work/files" "$write_n") ;;
        read)
                # read-only opens, which stay in the kernel when the profile
                # has no [read] section: a handful of held execs and one
                # write-open (/dev/null) for thousands of opens.
                CMD=(/bin/sh -c 'LC_ALL=C find /usr/share -type f -print0 | head -z -n "$1" | xargs -0 cat >/dev/null' sh "$read_n") ;;
        send)
                # UDP sendmsg: nothing held, every datagram judged by the
                # send gate's BPF program in the kernel.
                CMD=("$py" -I -B "$top/scripts/bench/sendloop.py" "$send_port" "$send_n") ;;
        *)
                die "unknown workload $1" ;;
        esac
}

describe() {
        case $1 in
        exec) echo "/bin/sh loop running /bin/true $exec_n times" ;;
        write) echo "python3: create+write, rename, unlink a small file $write_n times (8 names, private temp dir)" ;;
        read) echo "find /usr/share -type f | head -n $read_n | xargs cat >/dev/null" ;;
        send) echo "python3: $send_n UDP datagrams with sendmsg to 127.0.0.1:$send_port (the send gate judges each in the kernel)" ;;
        esac
}

# variant_cmd VARIANT WORKLOAD: sets FULL to the command line of that run.
variant_cmd() {
        workload_cmd "$2"
        local profile=$work/$2.ini
        case $1 in
        unsup) FULL=("${CMD[@]}") ;;
        learn) FULL=("$dl" run --mode learn --profile "$profile" --events /dev/null --stats -- "${CMD[@]}") ;;
        driftlock) FULL=("$dl" run --mode enforce --profile "$profile" --events /dev/null --stats -- "${CMD[@]}") ;;
        continue) FULL=("$dl" run --mode enforce --no-emulate --profile "$profile" --events /dev/null --stats -- "${CMD[@]}") ;;
        strace) FULL=("$strace" -f -o /dev/null -- "${CMD[@]}") ;;
        *) die "unknown variant $1" ;;
        esac
}

# show_failure WORKLOAD: what is needed to reproduce a failed run by hand.
show_failure() {
        printf 'bench: command: ' >&2
        printf '%q ' "${FULL[@]}" >&2
        printf '\n' >&2
        if [ -s "$work/stderr" ]; then
                printf 'bench: its stderr (last 20 lines):\n' >&2
                tail -n 20 "$work/stderr" | sed 's/^/    /' >&2
        fi
        if [ -f "$work/$1.ini" ]; then
                printf 'bench: the learned profile %s:\n' "$work/$1.ini" >&2
                sed 's/^/    /' "$work/$1.ini" >&2
        fi
        [ "${BENCH_KEEP:-0}" = 1 ] || printf 'bench: (BENCH_KEEP=1 keeps %s for a post-mortem)\n' "$work" >&2
}

# run_timed VARIANT WORKLOAD: runs it once, fails loudly unless it exits 0.
# Sets T_NS to the elapsed monotonic time and C_NS to the CPU time of the
# whole tree (runtimed.py says which); its stderr is left in
# $work/stderr. For driftlock runs (learn, driftlock, continue), sets HELD,
# DENIED and EMULATED from --stats.
run_timed() {
        local out status
        variant_cmd "$1" "$2"
        if ! out=$("$py" -I -B "$top/scripts/bench/runtimed.py" "$timeout_s" "${FULL[@]}" 2>"$work/stderr"); then
                show_failure "$2"
                die "$2/$1: the timer failed"
        fi
        read -r T_NS status C_NS <<<"$out"
        if [ "$status" -ne 0 ]; then
                show_failure "$2"
                [ "$status" -eq 124 ] && die "$2/$1: still running after ${timeout_s} s (hang?), killed"
                die "$2/$1: exit status $status"
        fi
        case $1 in
        learn | driftlock | continue) ;;
        *) return 0 ;;
        esac
        # The fields we use in their order, then whatever later versions
        # append (emulated= was one such addition) rather than failing on it.
        local stats re='^driftlock: stats: held=([0-9]+) allowed=[0-9]+ denied=([0-9]+) alerted=[0-9]+ learned=[0-9]+ gone=[0-9]+( emulated=([0-9]+))?( [a-z_]+=[0-9]+)*$'
        stats=$(grep '^driftlock: stats: ' "$work/stderr" | tail -n 1 || true)
        if ! [[ $stats =~ $re ]]; then
                show_failure "$2"
                [ -n "$stats" ] && die "$2/$1: unexpected stats line on stderr: '$stats'"
                die "$2/$1: no 'driftlock: stats:' line on stderr"
        fi
        HELD=${BASH_REMATCH[1]}
        DENIED=${BASH_REMATCH[2]}
        if [ -z "${BASH_REMATCH[3]}" ]; then
                # Without the count the emulation columns mean nothing.
                show_failure "$2"
                die "$2/$1: the stats line has no emulated=N (is $dl older than this script?): '$stats'"
        fi
        EMULATED=${BASH_REMATCH[4]}
        STATS=${stats#driftlock: stats: }
        # Anything else on stderr (the workload's or driftlock's), once
        # per workload rather than on every run.
        local other
        other=$(grep -v '^driftlock: stats: ' "$work/stderr" | head -n 5 || true)
        if [ -n "$other" ] && [ "$other" != "${LAST_NOTE:-}" ]; then
                say "  note: stderr of $2/$1:"
                printf '%s\n' "$other" | sed 's/^/    /'
        fi
        LAST_NOTE=$other
}

# explain_denials VARIANT WORKLOAD: runs that enforce variant once more,
# untimed, with events, and prints what it refused.
explain_denials() {
        local events=$work/$2.denials.json
        local -a opt=()
        [ "$1" = continue ] && opt=(--no-emulate)
        workload_cmd "$2"
        "$dl" run --mode enforce "${opt[@]}" --profile "$work/$2.ini" --events "$events" --stats -- "${CMD[@]}" \
                </dev/null >/dev/null 2>"$work/stderr.again" || true
        printf 'bench: what the same run refuses (again, with --events; first 20):\n' >&2
        grep '"verdict":"deny"' "$events" 2>/dev/null | head -n 20 | sed 's/^/    /' >&2 || true
}

median() {
        printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 }
                END { if (NR % 2) printf "%.0f\n", a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

start_ns=$("$py" -I -c 'import time; print(time.monotonic_ns())')
say "driftlock: $dl"
say "strace: ${strace:-not installed}"
say "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $repeat runs of each variant (BENCH_REPEAT), interleaved"
say "temp dir: $work"

declare -A med_ns cmed_ns held_last held_all emul_last

# A supervised command must start with the signal dispositions and mask it
# would have had without driftlock; if not, a workload can behave (and cost)
# differently for reasons that have nothing to do with interception. Not
# fatal: the measurements stay valid for driftlock as it is.
sig_cmd=(/bin/grep -E '^(SigBlk|SigIgn):' /proc/self/status)
sig_plain=$("${sig_cmd[@]}")
sig_dl=$("$dl" run --mode learn --profile "$work/signals.ini" --events /dev/null -- "${sig_cmd[@]}" 2>/dev/null) ||
        die "driftlock run --mode learn -- ${sig_cmd[*]} failed"
if [ "$sig_plain" != "$sig_dl" ]; then
        say "WARNING: the supervised command does not start with the signal state it has without driftlock:"
        say "  without: $(tr '\n\t' '  ' <<<"$sig_plain")"
        say "  with:    $(tr '\n\t' '  ' <<<"$sig_dl")"
        say "  (e.g. SigIgn bit 0x1000 is SIGPIPE: a find piped into head then walks the"
        say "  whole tree after head exits instead of dying, and the read row shows it)"
fi

for wl in "${workloads[@]}"; do
        say ""
        say "workload $wl: $(describe "$wl")"
        # Warm the page cache and the dentry cache: the first walk of
        # /usr/share is several times slower than the next ones.
        run_timed unsup "$wl"
        say "  warm-up (unsupervised): $(secs "$T_NS") s"
        run_timed learn "$wl"
        [ -s "$work/$wl.ini" ] || die "$wl: learn mode wrote no profile $work/$wl.ini"
        say "  learn: $(secs "$T_NS") s, $STATS, profile: $(grep -c '^allow' "$work/$wl.ini") rules"

        declare -A samples=() csamples=()
        held_all[$wl]=""
        for ((rep = 1; rep <= repeat; rep++)); do
                line="  run $rep/$repeat:"
                for v in "${variants[@]}"; do
                        run_timed "$v" "$wl"
                        samples[$v]+=" $T_NS"
                        csamples[$v]+=" $C_NS"
                        line+=" $v $(secs "$T_NS") s"
                        case $v in
                        driftlock) line+=" (held $HELD, emulated $EMULATED)" ;;
                        continue) line+=" (held $HELD)" ;;
                        esac
                        case $v in
                        driftlock | continue)
                                # both are enforce runs of a learned workload
                                if [ "$DENIED" -ne 0 ]; then
                                        say "$line"
                                        explain_denials "$v" "$wl"
                                        show_failure "$wl"
                                        die "$wl/$v: enforce run $rep refused $DENIED call(s) of a workload it learned ($STATS): a learned workload must run with denied=0"
                                fi
                                ;;
                        esac
                        if [ "$v" = driftlock ]; then
                                held_last[$wl]=$HELD
                                held_all[$wl]+=" $HELD"
                                emul_last[$wl]=$EMULATED
                        elif [ "$v" = continue ] && [ "$EMULATED" -ne 0 ]; then
                                # then continue is not the baseline it claims
                                say "$line"
                                show_failure "$wl"
                                die "$wl/continue: --no-emulate still emulated $EMULATED call(s) ($STATS): the emulation cost would be meaningless"
                        fi
                        line+=","
                done
                say "${line%,}"
        done
        for v in "${variants[@]}"; do
                # the samples are space-separated numbers; the medians are
                # read through table()'s nameref
                # shellcheck disable=SC2086,SC2034
                med_ns[$wl.$v]=$(median ${samples[$v]})
                # shellcheck disable=SC2086,SC2034
                cmed_ns[$wl.$v]=$(median ${csamples[$v]})
        done
        # shellcheck disable=SC2086
        spread=$(printf '%s\n' ${samples[unsup]} | sort -n | sed -n '1p;$p' | paste -sd' ' -)
        if awk -v a="${spread% *}" -v b="${spread#* }" 'BEGIN { exit !(b > 1.5 * a) }'; then
                say "  note: noisy machine: the unsupervised runs took $(secs "${spread% *}") to $(secs "${spread#* }") s;"
                say "  read this workload's ratios with care (BENCH_REPEAT=9 narrows the medians)"
        fi
        unset samples csamples
        # shellcheck disable=SC2086
        held_range=$(printf '%s\n' ${held_all[$wl]} | sort -n | sed -n '1p;$p' | paste -sd- -)
        case $held_range in
        *-*) [ "${held_range%-*}" = "${held_range#*-}" ] ||
                say "  note: held varied between runs: $held_range (the workload is not perfectly deterministic)" ;;
        esac
done

end_ns=$("$py" -I -c 'import time; print(time.monotonic_ns())')
say ""
say "results: medians of $repeat interleaved runs; ratio = variant / unsupervised;"
say "driftlock = enforce (emulating allowed opens/connects), continue = enforce --no-emulate;"
say "µs/held = (driftlock - unsupervised) / held calls (held: the last driftlock run),"
say "n/a below $emul_min held calls (send: its datagrams are judged in the kernel, not held);"
say "µs/emul = (driftlock - continue) / emulated calls (the last driftlock run), n/a"
say "below $emul_min emulated calls; each in elapsed time and in CPU time"

# table KIND ARRAY: one row per workload from the medians in ARRAY.
table() {
        local -n med=$2
        local fmt='%-8s %10s %12s %7s %10s %7s %8s %9s\n' wl un dn st st_ratio held per
        echo
        echo "$1"
        # shellcheck disable=SC2059 # the format is the constant above
        # %10s for µs/held: printf pads bytes, and µ is two of them
        printf "${fmt% *} %10s\n" workload unsup_s driftlock_s ratio strace_s ratio held µs/held
        for wl in "${workloads[@]}"; do
                un=${med[$wl.unsup]}
                dn=${med[$wl.driftlock]}
                if [ -n "$strace" ]; then
                        st=$(secs "${med[$wl.strace]}")
                        st_ratio=$(ratio "${med[$wl.strace]}" "$un")
                else
                        st=n/a
                        st_ratio=n/a
                fi
                held=${held_last[$wl]}
                # a handful of held calls (the read and send workloads)
                # would charge the whole run to each: n/a, as for emulation
                per=$(awk -v d="$dn" -v u="$un" -v h="$held" -v min="$emul_min" 'BEGIN { if (h >= min) printf "%.1f", (d - u) / h / 1000; else print "n/a" }')
                # shellcheck disable=SC2059
                printf "$fmt" "$wl" "$(secs "$un")" "$(secs "$dn")" "$(ratio "$dn" "$un")" "$st" "$st_ratio" "$held" "$per"
        done
}
# emul_table KIND ARRAY: the cost of emulation, one row per workload.
emul_table() {
        local -n med=$2
        local fmt='%-8s %10s %12s %7s %11s %7s %9s %9s\n' wl un dn cn em per
        echo
        echo "$1"
        # shellcheck disable=SC2059 # the format is the constant above
        printf "${fmt% *} %10s\n" workload unsup_s driftlock_s ratio continue_s ratio emulated µs/emul
        for wl in "${workloads[@]}"; do
                un=${med[$wl.unsup]}
                dn=${med[$wl.driftlock]}
                cn=${med[$wl.continue]}
                em=${emul_last[$wl]}
                per=$(awk -v d="$dn" -v c="$cn" -v e="$em" -v m="$emul_min" 'BEGIN { if (e >= m) printf "%+.1f", (d - c) / e / 1000; else print "n/a" }')
                # shellcheck disable=SC2059
                printf "$fmt" "$wl" "$(secs "$un")" "$(secs "$dn")" "$(ratio "$dn" "$un")" "$(secs "$cn")" "$(ratio "$cn" "$un")" "$em" "$per"
        done
}
table "elapsed time (monotonic clock):" med_ns
table "CPU time, user+system of the whole tree (supervisor, tracer and workload):" cmed_ns
emul_table "emulation vs CONTINUE, elapsed time:" med_ns
emul_table "emulation vs CONTINUE, CPU time:" cmed_ns
echo
[ -n "$strace" ] || say "WARNING: strace is not installed: no ptrace comparison (scripts/install-deps.sh installs it)"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); bench took $(secs $((end_ns - start_ns))) s"
