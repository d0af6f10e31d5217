#!/bin/bash
# CLI tests of `driftlock profile`: lint, show, merge, diff, check and the
# usage/exit-code conventions. Exits 0 only if every assertion held; each
# failed assertion prints what differed.
set -u

DL=${DRIFTLOCK_BUILD:-$PWD/build}/driftlock
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
EXAMPLE=$TOP/profiles/example.ini

if [ ! -x "$DL" ]; then
        echo "profile.sh: $DL is missing: run make first" >&2
        exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/driftlock-cli.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

failures=0
checks=0

fail() {
        failures=$((failures + 1))
        printf 'FAIL: %s\n' "$1"
        shift
        for detail in "$@"; do
                printf '%s\n' "$detail" | sed 's/^/    /'
        done
}

# run CMD...: runs it, keeping stdout in $out (and out.txt), stderr in $err
# (and err.txt), the exit code in $rc.
run() {
        "$@" >"$work/out.txt" 2>"$work/err.txt"
        rc=$?
        out=$(cat "$work/out.txt")
        err=$(cat "$work/err.txt")
        last="$*"
}

context() {
        printf 'command: %s\nexit: %s\nstdout:\n%s\nstderr:\n%s\n' "$last" "$rc" "$out" "$err"
}

expect_rc() {
        checks=$((checks + 1))
        [ "$rc" -eq "$1" ] || fail "$2: exit $rc, expected $1" "$(context)"
}

expect_out() {
        checks=$((checks + 1))
        [ "$out" == "$1" ] ||
                fail "$2: stdout differs" "$(diff <(printf '%s\n' "$1") <(printf '%s\n' "$out") |
                                              sed '1s/^/expected vs got:\n/')" "$(context)"
}

expect_no_out() {
        checks=$((checks + 1))
        [ -z "$out" ] || fail "$1: expected no stdout" "$(context)"
}

# expect_line WHERE LINE DESC: WHERE ("out" or "err") has exactly this line.
expect_line() {
        checks=$((checks + 1))
        grep -Fxq -- "$2" "$work/$1.txt" || fail "$3: no $1 line '$2'" "$(context)"
}

# expect_prefix WHERE PREFIX DESC: some line of WHERE starts with PREFIX.
expect_prefix() {
        checks=$((checks + 1))
        local line
        while IFS= read -r line; do
                [ "${line#"$2"}" != "$line" ] && return 0
        done <"$work/$1.txt"
        fail "$3: no $1 line starts with '$2'" "$(context)"
}

# line_of FILE TEXT: the number of the first line of FILE that starts with TEXT.
line_of() {
        grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1
}

# --- lint ------------------------------------------------------------------

cat >good.ini <<'EOF'
[profile]
image = registry.example/app@sha256:0123
mode = monitor

[exec]
allow = /usr/bin/app
allow = /usr/lib/app/*.so

[write]
allow = /tmp/**

[read]
allow = /etc/app/**

[connect]
allow = tcp 10.0.0.0/8 5432
allow = udp ::1 53
allow = unix /run/app/*.sock
allow = unix @app-ctl
EOF

run "$DL" profile lint "$EXAMPLE" good.ini
expect_rc 0 "lint of valid files"
checks=$((checks + 1))
[ -z "$out$err" ] || fail "lint of valid files prints nothing" "$(context)"

# One file per kind of problem: name, expected line, content.
long_entry=/$(printf 'a%.0s' $(seq 1 240))
lint_cases=(
        "long-line|2|[exec]
allow = $long_entry"
        "indented|3|[exec]
allow = /bin/a
  allow = /bin/b"
        "unknown-section|3|[exec]
allow = /bin/a
[frob]
allow = /bin/b"
        "unknown-key|2|[exec]
permit = /bin/a"
        "profile-twice|3|[profile]
image = a
[profile]
mode = learn"
        "key-twice|3|[profile]
image = a
image = b"
        "bad-mode|2|[profile]
mode = sometimes"
        "relative-pattern|3|[write]
allow = /tmp/x
allow = tmp/y"
        "bad-glob|2|[exec]
allow = /usr/**bin"
        "bad-escape|2|[read]
allow = /etc/%zz"
        "bad-rule|4|[connect]
allow = tcp 10.0.0.1 80

allow = tcp 10.0.0.1/40 80"
        "bad-port|2|[connect]
allow = udp 10.0.0.1 70000"
        "bad-proto|2|[connect]
allow = sctp 10.0.0.1 80"
        "not-key-value|2|[exec]
/bin/sh"
)
for c in "${lint_cases[@]}"; do
        name=${c%%|*}; rest=${c#*|}
        line=${rest%%|*}; text=${rest#*|}
        printf '%s\n' "$text" >"$name.ini"
        run "$DL" profile lint good.ini "$name.ini"
        expect_rc 1 "lint $name"
        expect_no_out "lint $name"
        expect_prefix err "$name.ini:$line: " "lint $name"
        checks=$((checks + 1))
        if grep -qv "^$name\.ini:[0-9]*: " err.txt; then
                fail "lint $name: every stderr line is FILE:LINE: message" "$(context)"
        fi
done

# A NUL byte cannot go through a bash variable.
printf '[exec]\nallow = /bin/sh\nallow = /bin/a\0b\n' >nul.ini
run "$DL" profile lint nul.ini
expect_rc 1 "lint NUL byte"
expect_prefix err "nul.ini:3: " "lint NUL byte"

run "$DL" profile lint missing.ini good.ini
expect_rc 1 "lint of a missing file"
expect_out "" "lint of a missing file"
expect_line err "missing.ini: No such file or directory" "lint of a missing file"

mkdir adir
run "$DL" profile lint adir
expect_rc 1 "lint of a directory"
expect_prefix err "adir: " "lint of a directory"

run "$DL" profile lint
expect_rc 2 "lint without FILE"

# --- show ------------------------------------------------------------------

cat >messy.ini <<'EOF'
[connect]
allow = unix /run/b.sock
allow = tcp 10.1.2.3/8 443
[exec]
allow = /usr/bin//z
allow = /bin/./a
allow = /bin/a
[profile]
mode = enforce
EOF
run "$DL" profile show messy.ini
expect_rc 0 "show of a non-canonical file"
expect_out "[profile]
mode = enforce

[exec]
allow = /bin/a
allow = /usr/bin/z

[connect]
allow = tcp 10.0.0.0/8 443
allow = unix /run/b.sock" "show of a non-canonical file"

for f in "$EXAMPLE" good.ini messy.ini; do
        "$DL" profile show "$f" >show1.ini 2>show1.err
        rc1=$?
        "$DL" profile show show1.ini >show2.ini 2>show2.err
        rc2=$?
        checks=$((checks + 1))
        if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ] || ! cmp -s show1.ini show2.ini; then
                fail "show of show is identical ($f)" "exit $rc1 then $rc2" \
                     "$(cat show1.err show2.err)" "$(diff show1.ini show2.ini)"
        fi
        run "$DL" profile lint show1.ini
        expect_rc 0 "show output lints clean ($f)"
done

run "$DL" profile show bad-mode.ini
expect_rc 1 "show of an invalid file"
expect_no_out "show of an invalid file"
expect_prefix err "bad-mode.ini:2: " "show of an invalid file"

run "$DL" profile show good.ini messy.ini
expect_rc 2 "show of two files"

# --- merge -----------------------------------------------------------------

cat >a.ini <<'EOF'
[profile]
image = registry.example/app@sha256:0123
[exec]
allow = /usr/bin/app
[write]
allow = /tmp/*
EOF
cat >b.ini <<'EOF'
[exec]
allow = /usr/bin/app
allow = /bin/sh
[connect]
allow = tcp 10.0.0.1 5432
EOF
cat >c.ini <<'EOF'
[profile]
image = registry.example/app@sha256:0123
mode = enforce
[write]
allow = /var/cache/app/**
[read]
allow = /etc/app/**
EOF

run "$DL" profile merge a.ini b.ini c.ini
expect_rc 0 "merge a b c"
merged_abc=$out
expect_out "[profile]
image = registry.example/app@sha256:0123
mode = enforce

[exec]
allow = /bin/sh
allow = /usr/bin/app

[write]
allow = /tmp/*
allow = /var/cache/app/**

[read]
allow = /etc/app/**

[connect]
allow = tcp 10.0.0.1 5432" "merge a b c"
for order in "c.ini a.ini b.ini" "b.ini c.ini a.ini" "c.ini b.ini a.ini"; do
        # shellcheck disable=SC2086 # the order is a list of file names
        run "$DL" profile merge $order
        expect_rc 0 "merge $order"
        expect_out "$merged_abc" "merge $order gives the same as a b c"
done

run "$DL" profile merge a.ini
expect_rc 0 "merge of one file"
run "$DL" profile show a.ini
show_a=$out
run "$DL" profile merge a.ini a.ini
expect_out "$show_a" "merge of a file with itself is its canonical form"

printf '[profile]\nimage = registry.example/app@sha256:4567\n[exec]\nallow = /bin/ls\n' >d.ini
run "$DL" profile merge a.ini b.ini d.ini
expect_rc 1 "merge with a conflicting image"
expect_no_out "merge with a conflicting image"
checks=$((checks + 1))
case $err in
*d.ini*image*sha256:4567*sha256:0123* | *d.ini*image*sha256:0123*sha256:4567*) ;;
*) fail "merge conflict names the file, the key and both values" "$(context)" ;;
esac

printf '[profile]\nmode = learn\n' >e.ini
run "$DL" profile merge c.ini e.ini
expect_rc 1 "merge with a conflicting mode"
expect_no_out "merge with a conflicting mode"
checks=$((checks + 1))
case $err in
*e.ini*mode*learn*enforce*) ;;
*) fail "mode conflict names the file, the key and both values" "$(context)" ;;
esac

run "$DL" profile merge a.ini bad-rule.ini
expect_rc 1 "merge with an invalid file"
expect_no_out "merge with an invalid file"
expect_prefix err "bad-rule.ini:4: " "merge with an invalid file"

run "$DL" profile merge
expect_rc 2 "merge without FILE"

# --- diff ------------------------------------------------------------------

"$DL" profile show "$EXAMPLE" >example-canonical.ini
run "$DL" profile diff "$EXAMPLE" example-canonical.ini
expect_rc 0 "diff of a profile and its canonical form"
expect_no_out "diff of a profile and its canonical form"

sed -e 's|^allow = /usr/bin/sort$|allow = /usr/bin/curl|' \
    -e 's|^allow = tcp 10.0.0.0/8 8080 .*$|allow = tcp 10.0.0.0/8 8443|' \
    "$EXAMPLE" >changed.ini
run "$DL" profile diff "$EXAMPLE" changed.ini
expect_rc 1 "diff of changed profiles"
expect_line out "+ allow = /usr/bin/curl" "diff shows the added exec"
expect_line out "- allow = /usr/bin/sort" "diff shows the removed exec"
expect_line out "+ allow = tcp 10.0.0.0/8 8443" "diff shows the added rule"
expect_line out "- allow = tcp 10.0.0.0/8 8080" "diff shows the removed rule"
checks=$((checks + 1))
if grep -E '^[-+] ' out.txt | grep -qvE 'curl|sort|8443|8080'; then
        fail "diff shows only what changed" "$(context)"
fi

run "$DL" profile diff good.ini changed.ini
expect_rc 1 "diff of unrelated profiles"
run "$DL" profile diff "$EXAMPLE" bad-glob.ini
expect_rc 2 "diff with an invalid file"
expect_prefix err "bad-glob.ini:2: " "diff with an invalid file"
run "$DL" profile diff "$EXAMPLE" missing.ini
expect_rc 2 "diff with a missing file"
expect_line err "missing.ini: No such file or directory" "diff with a missing file"
run "$DL" profile diff "$EXAMPLE"
expect_rc 2 "diff with one file"

# --- check -----------------------------------------------------------------

ex=$EXAMPLE
# check EXIT EXPECTED-STDOUT ARGS...
check() {
        local want_rc=$1 want=$2
        shift 2
        run "$DL" profile check "$@"
        expect_rc "$want_rc" "check $*"
        expect_out "$want" "check $*"
}

l=$(line_of "$ex" "allow = /usr/sbin/nginx")
check 0 "allow exec /usr/sbin/nginx (rule \"/usr/sbin/nginx\" at $ex:$l)" \
        "$ex" exec /usr/sbin/nginx
check 0 "allow exec /usr/sbin/nginx (rule \"/usr/sbin/nginx\" at $ex:$l)" \
        "$ex" exec /usr/sbin/../sbin//./nginx
l=$(line_of "$ex" "allow = /docker-entrypoint.d/*.sh")
check 0 "allow exec /docker-entrypoint.d/20-envsubst.sh \
(rule \"/docker-entrypoint.d/*.sh\" at $ex:$l)" "$ex" exec /docker-entrypoint.d/20-envsubst.sh
check 1 "deny exec /usr/bin/curl (no matching rule)" "$ex" exec /usr/bin/curl
check 1 "deny exec /docker-entrypoint.d/x/y.sh (no matching rule)" \
        "$ex" exec /docker-entrypoint.d/x/y.sh
check 1 "deny exec /tmp/a (no matching rule)" "$ex" exec /tmp/a

l=$(line_of "$ex" "allow = /var/cache/nginx/**")
check 0 "allow write /var/cache/nginx/proxy/1/ab (rule \"/var/cache/nginx/**\" at $ex:$l)" \
        "$ex" write /var/cache/nginx/proxy/1/ab
l=$(line_of "$ex" "allow = /tmp/*")
check 0 "allow write /tmp/a%20b%2A%0A (rule \"/tmp/*\" at $ex:$l)" \
        "$ex" write $'/tmp/a b*\n'
check 1 "deny write /tmp/a/b (no matching rule)" "$ex" write /tmp/a/b
check 1 "deny write /etc/passwd (no matching rule)" "$ex" write /etc/passwd
check 1 "deny write /usr/sbin/nginx (no matching rule)" "$ex" write /usr/sbin/nginx

check 0 "allow read /etc/shadow (reads unrestricted: no [read] section)" \
        "$ex" read /etc/shadow
l=$(line_of good.ini "allow = /etc/app/**")
check 0 "allow read /etc/app/app.conf (rule \"/etc/app/**\" at good.ini:$l)" \
        good.ini read /etc/app/app.conf
check 1 "deny read /etc/shadow (no matching rule)" good.ini read /etc/shadow
printf '[exec]\nallow = /bin/sh\n[read]\n' >noreads.ini
check 1 "deny read /etc/hostname (no matching rule)" noreads.ini read /etc/hostname

l=$(line_of "$ex" "allow = tcp 10.0.0.0/8 8080")
check 0 "allow connect tcp 10.20.30.40 8080 (rule \"tcp 10.0.0.0/8 8080\" at $ex:$l)" \
        "$ex" connect tcp 10.20.30.40 8080
check 0 "allow connect tcp ::ffff:10.20.30.40 8080 (rule \"tcp 10.0.0.0/8 8080\" at $ex:$l)" \
        "$ex" connect tcp ::ffff:10.20.30.40 8080
check 1 "deny connect tcp 10.20.30.40 8081 (no matching rule)" \
        "$ex" connect tcp 10.20.30.40 8081
check 1 "deny connect udp 10.20.30.40 8080 (no matching rule)" \
        "$ex" connect udp 10.20.30.40 8080
check 1 "deny connect tcp 192.168.0.1 8080 (no matching rule)" \
        "$ex" connect tcp 192.168.0.1 8080
l=$(line_of "$ex" "allow = udp 10.96.0.10 53")
check 0 "allow connect udp 10.96.0.10 53 (rule \"udp 10.96.0.10 53\" at $ex:$l)" \
        "$ex" connect udp 10.96.0.10 53
l=$(line_of good.ini "allow = udp ::1 53")
check 0 "allow connect udp ::1 53 (rule \"udp ::1 53\" at good.ini:$l)" \
        good.ini connect udp 0:0::1 53
l=$(line_of "$ex" "allow = unix /run/nscd/socket")
check 0 "allow connect unix /run/nscd/socket (rule \"unix /run/nscd/socket\" at $ex:$l)" \
        "$ex" connect unix /run/nscd/socket
check 1 "deny connect unix @nscd (no matching rule)" "$ex" connect unix @nscd
l=$(line_of good.ini "allow = unix /run/app/*.sock")
check 0 "allow connect unix /run/app/ctl.sock (rule \"unix /run/app/*.sock\" at good.ini:$l)" \
        good.ini connect unix /run/app/ctl.sock
l=$(line_of good.ini "allow = unix @app-ctl")
check 0 "allow connect unix @app-ctl (rule \"unix @app-ctl\" at good.ini:$l)" \
        good.ini connect unix @app-ctl
check 1 "deny connect unix @app-ctl2 (no matching rule)" good.ini connect unix @app-ctl2

# Errors: exit 2, nothing on stdout.
check_error() {
        local desc=$1
        shift
        run "$DL" profile check "$@"
        expect_rc 2 "check error: $desc"
        expect_no_out "check error: $desc"
        checks=$((checks + 1))
        [ -n "$err" ] || fail "check error: $desc: a message on stderr" "$(context)"
}
check_error "relative path" "$ex" exec bin/ls
check_error "relative unix path" "$ex" connect unix run/nscd/socket
check_error "unknown class" "$ex" open /bin/ls
check_error "unknown protocol" "$ex" connect sctp 10.0.0.1 80
check_error "bad address" "$ex" connect tcp 10.0.0.300 80
check_error "bad port" "$ex" connect tcp 10.0.0.1 65536
check_error "negative port" "$ex" connect tcp 10.0.0.1 -1
check_error "missing port" "$ex" connect tcp 10.0.0.1
check_error "extra operand" "$ex" exec /bin/ls /bin/sh
check_error "missing path" "$ex" exec
check_error "missing file" missing.ini exec /bin/ls
expect_line err "missing.ini: No such file or directory" "check of a missing file"
check_error "invalid profile" bad-mode.ini exec /bin/ls
expect_prefix err "bad-mode.ini:2: " "check of an invalid profile"

# --- usage -------------------------------------------------------------------

for sub in "" profile "profile lint" "profile show" "profile merge" "profile diff" \
           "profile check"; do
        # shellcheck disable=SC2086 # the subcommand is words
        run "$DL" $sub --help
        expect_rc 0 "driftlock $sub --help"
        expect_prefix out "Usage: driftlock $sub" "driftlock $sub --help prints usage"
        checks=$((checks + 1))
        [ -z "$err" ] || fail "driftlock $sub --help: nothing on stderr" "$(context)"
done

run "$DL" --version
expect_rc 0 "driftlock --version"
expect_prefix out "driftlock " "driftlock --version"

for args in "profile frob" "profile" "frob" "" "profile lint --frob good.ini" "--frob" \
            "profile check -x"; do
        # shellcheck disable=SC2086 # the arguments are words
        run "$DL" $args
        expect_rc 2 "usage error: driftlock $args"
        checks=$((checks + 1))
        grep -q -- "--help" err.txt ||
                fail "usage error: driftlock $args: hint to --help" "$(context)"
done
run "$DL" profile frob
expect_line err "Try 'driftlock profile --help'." "unknown subcommand hint"

echo "$checks checks, $failures failed"
[ $failures -eq 0 ]
