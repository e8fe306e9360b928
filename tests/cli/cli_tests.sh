#!/usr/bin/env bash
# The mockroom executable's command line: --help, the ready line, start-up errors (one clear
# line, exit 1), and bank files that are reported and skipped. Usage: cli_tests.sh MOCKROOM_BIN
set -uo pipefail
bin="$1"
source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # check NAME CONDITION...
    local name="$1"; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name" >&2; failed=$((failed + 1)); fi
}

# Starts the server in the background; waits (deadline 10 s) for its ready line. Sets `port`.
start_server() {
    local out="$work/out.$RANDOM"
    "$bin" --port 0 --web "$work/web" --data "$work/data" "$@" >"$out" 2>"$work/last.err" &
    pids+=($!)
    for _ in $(seq 100); do
        if grep -q '^listening on ' "$out"; then
            port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$out")
            return 0
        fi
        kill -0 "${pids[-1]}" 2>/dev/null || return 1
        timeout 0.1 tail -f /dev/null 2>/dev/null  # a bounded wait between polls, not a guess
    done
    return 1
}

mkdir -p "$work/web" && echo '<!doctype html><title>t</title>' >"$work/web/index.html"

# --help lists every flag.
help=$("$bin" --help)
for flag in --host --port --banks --web --data --public-url --threads --max-rooms \
    --messages-per-second --rooms-per-minute; do
    check "--help lists $flag" grep -q -- "$flag" <<<"$help"
done

# The ready line, on stdout, exactly once; the bundled bank is the default.
check "starts with the bundled bank" start_server
check "ready line names the port" test -n "${port:-}"
check "serves the bundled bank" bash -c "curl -sf http://127.0.0.1:$port/api/banks | grep -q python-developer"

# Port taken: one line on stderr, exit 1.
"$bin" --port "$port" --web "$work/web" --data "$work/data" >"$work/taken.out" 2>"$work/taken.err"
status=$?
check "port taken exits 1" test "$status" -eq 1
check "port taken says so in one line" bash -c "[ \$(wc -l <'$work/taken.err') -eq 1 ] && grep -q '^mockroom: error: cannot listen on 127.0.0.1:$port' '$work/taken.err'"
check "port taken prints no ready line" test ! -s "$work/taken.out"

expect_startup_error() {  # NAME PATTERN ARGS...
    local name="$1" pattern="$2"; shift 2
    "$bin" --port 0 "$@" >"$work/e.out" 2>"$work/e.err"
    local status=$?
    check "$name: exit 1" test "$status" -eq 1
    check "$name: one clear error line" one_error_line "$work/e.err" "$pattern"
}

one_error_line() {  # FILE PATTERN: exactly one error line, it matches, and nothing follows it
    [ "$(grep -c '^mockroom: error:' "$1")" -eq 1 ] && tail -n 1 "$1" | grep -q -- "$2"
}
expect_startup_error "missing bank dir" "^mockroom: error: bank directory '/nonexistent' is not a directory" \
    --banks /nonexistent --web "$work/web" --data "$work/data"
mkdir -p "$work/locked" && cp "$source_dir/shared/questions/python-developer.txt" "$work/locked/"
chmod 000 "$work/locked"
if [ "$(id -u)" -ne 0 ]; then  # root reads anything: the check only means something for others
    expect_startup_error "unreadable bank dir" "^mockroom: error: cannot read bank directory" \
        --banks "$work/locked" --web "$work/web" --data "$work/data"
fi
chmod 755 "$work/locked"
expect_startup_error "missing web dir" "^mockroom: error: web directory '/nonexistent' is not a directory" \
    --web /nonexistent --data "$work/data"
mkdir -p "$work/empty-web"
expect_startup_error "web dir without index.html" "^mockroom: error: no index.html in web directory" \
    --web "$work/empty-web" --data "$work/data"
echo x >"$work/data-file"
expect_startup_error "data path is a file" "^mockroom: error: cannot create data directory" \
    --web "$work/web" --data "$work/data-file/sub"
expect_startup_error "bad host" "^mockroom: error: 'not-an-ip' is not an IP address" \
    --host not-an-ip --web "$work/web" --data "$work/data"
mkdir -p "$work/no-banks" && echo "not a bank" >"$work/no-banks/junk.txt"
expect_startup_error "no usable bank" "^mockroom: error: no usable question bank" \
    --banks "$work/no-banks" --web "$work/web" --data "$work/data"
# A database that cannot be used is a clear start-up error, and the file is left as it was.
mkdir -p "$work/bad-db" && head -c 8192 /dev/urandom >"$work/bad-db/mockroom.db"
cp "$work/bad-db/mockroom.db" "$work/bad-db.copy"
expect_startup_error "not a database" "^mockroom: error: .*bad-db/mockroom.db: not an SQLite database" \
    --web "$work/web" --data "$work/bad-db"
check "a bad database is never overwritten" cmp -s "$work/bad-db/mockroom.db" "$work/bad-db.copy"
"$bin" --port 70000 >/dev/null 2>&1
check "out-of-range port is refused" test $? -ne 0

# A bad bank file is reported (file, line, reason) and skipped; the good ones are served.
mkdir -p "$work/banks"
cp "$source_dir/shared/questions/python-developer.txt" "$work/banks/"
sed 's/^Difficulty: hard$/Difficulty: brutal/' "$source_dir/shared/questions/python-developer.txt" \
    | sed 's/^Python Developer$/Broken Bank/' >"$work/banks/broken.txt"
check "starts despite a bad bank" start_server --banks "$work/banks"
check "reports file, line and reason" grep -q "^mockroom: skipped bank $work/banks/broken.txt:31: .*brutal" "$work/last.err"
check "still serves the good bank" bash -c "curl -sf http://127.0.0.1:$port/api/banks | grep -q python-developer"
check "does not serve the bad bank" bash -c "! curl -sf http://127.0.0.1:$port/api/banks | grep -q broken-bank"

# SIGTERM stops the server cleanly.
kill -TERM "${pids[-1]}"
wait "${pids[-1]}"
check "SIGTERM exits 0" test $? -eq 0

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
