#!/bin/bash
# The demo (README, first command): learn what a small workload does, then
# enforce it: the workload still runs, while a binary copied to /tmp and
# started is refused, and so is a write outside what was learned.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dl=$top/build/driftlock
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (seccomp supervision of any workload)" >&2; exit 1; }
[ -x "$dl" ] || { echo "demo: $dl is missing: run 'make' first" >&2; exit 1; }

work=$(mktemp -d /tmp/driftlock-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"

# The "application": a shell script that reads, sorts and reports.
cat >"$work/app.sh" <<APP
#!/bin/sh
set -e
ls /etc >"$work/data/report.txt"
sort -r "$work/data/report.txt" | head -n 3 >"$work/data/summary.txt"
wc -l <"$work/data/report.txt"
APP

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. learn: run the workload under driftlock, recording what it does"
"$dl" run --mode learn --profile "$work/app.ini" --events /dev/null -- /bin/sh "$work/app.sh"

say "2. the learned profile (review it, commit it)"
"$dl" profile show "$work/app.ini"

say "3. enforce: the workload runs as before, with no denials"
"$dl" run --mode enforce --profile "$work/app.ini" --events "$work/events.json" -- /bin/sh "$work/app.sh"
echo "denials: $(grep -c '"verdict":"deny"' "$work/events.json" || true)"

say "4. drift: an attacker drops a binary into /tmp and starts it"
cp /usr/bin/id "$work/id-copy"
set +e
"$dl" run --mode enforce --profile "$work/app.ini" --events - -- /bin/sh -c "$work/id-copy"
echo "exit status: $?  (the copied binary never ran)"

say "5. drift: a write outside what was learned"
"$dl" run --mode enforce --profile "$work/app.ini" --events - -- /bin/sh -c "echo owned >$work/data/../backdoor"
echo "exit status: $?; $work/backdoor exists: $([ -e "$work/backdoor" ] && echo yes || echo no)"
