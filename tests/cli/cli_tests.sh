#!/usr/bin/env bash
# The mockroom executable's command line: --help, the ready line, start-up errors (one clear
# line, exit 1), and bank files that are reported and skipped. Usage: cli_tests.sh MOCKROOM_BIN
set -uo pipefail
bin="$1"
source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(realpath "$bin")"
cd "$source_dir"  # node resolves the 'ws' package from here
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
    "$bin" --port 0 --web "$work/web" --data "${server_data:-$work/data}" "$@" >"$out" 2>"$work/last.err" &
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
    --messages-per-second --rooms-per-minute --in-memory --snapshot-every --commit-interval-us \
    --max-commit-interval-us; do
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

# Offline tools on a data directory: export a room's report as a role, purge ended rooms.
rm -rf "$work/data"
check "starts for the tools" start_server
create_room() { curl -sf -X POST -H 'Content-Type: application/json' -d '{"bank":"python-developer"}' \
    "http://127.0.0.1:$port/api/rooms"; }
ended_room=$(create_room)
open_room=$(create_room)
# An interviewer pushes question 3, writes private notes and a score, and ends the interview.
check "an interview is held and ended" node --input-type=module -e "
import WebSocket from 'ws';
const room = JSON.parse(process.argv[1]);
const ws = new WebSocket('ws://127.0.0.1:$port/ws');
const send = (m) => ws.send(JSON.stringify(m));
const timer = setTimeout(() => { console.error('no ended before the deadline'); process.exit(1); }, 10000);
ws.on('open', () => send({type: 'hello', room: room.room, token: room.tokens.interviewer, name: 'Grace', client: 'g'}));
ws.on('message', (data) => {
  const m = JSON.parse(data);
  if (m.type === 'welcome') {
    send({type: 'question.push', question: 'q3'});
    send({type: 'notes.push', doc: 'private', version: 0, updates: [{clientID: 'g', changes: [[0, 'PRIVATE-CLI-CANARY']]}]});
    send({type: 'score.set', field: 'q1.comment', value: 'SCORE-CLI-CANARY', expect_rev: 0});
    send({type: 'room.end'});
  }
  if (m.type === 'error') { console.error(JSON.stringify(m)); process.exit(1); }
  if (m.type === 'ended') { clearTimeout(timer); ws.close(); process.exit(0); }
});
" "$ended_room"
kill -TERM "${pids[-1]}" && wait "${pids[-1]}"
ended_id=$(node -e 'console.log(JSON.parse(process.argv[1]).room)' "$ended_room")
open_id=$(node -e 'console.log(JSON.parse(process.argv[1]).room)' "$open_room")
"$bin" export --data "$work/data" --room "$ended_id" >"$work/interviewer.md" 2>"$work/export.err"
check "export as interviewer exits 0" test $? -eq 0
check "the interviewer's report has the private notes" grep -q PRIVATE-CLI-CANARY "$work/interviewer.md"
check "the interviewer's report has the scorecard" grep -q SCORE-CLI-CANARY "$work/interviewer.md"
check "the interviewer's report has the sample answer" grep -q "We once had a background job" "$work/interviewer.md"
"$bin" export --data "$work/data" --room "$ended_id" --as candidate --format json >"$work/candidate.json"
check "export as candidate exits 0" test $? -eq 0
check "the candidate's report is JSON for the candidate" bash -c "node -e 'const r = JSON.parse(require(\"fs\").readFileSync(process.argv[1])); process.exit(r.for === \"candidate\" && r.questions.length === 1 ? 0 : 1)' $work/candidate.json"
check "the candidate's report has no private notes, scores or answers" \
    bash -c "! grep -qE 'PRIVATE-CLI-CANARY|SCORE-CLI-CANARY|We once had a background job|sample_answer' $work/candidate.json"
"$bin" export --data "$work/data" --room nope >/dev/null 2>"$work/export.err"
check "export of an unknown room fails" test $? -ne 0
check "export of an unknown room says so" grep -q "^mockroom: error: no room 'nope'" "$work/export.err"
"$bin" export --data "$work/no-such-data" --room "$ended_id" >/dev/null 2>"$work/export.err"
check "export without a database is a clear error" grep -q "^mockroom: error: no database at" "$work/export.err"
"$bin" purge --data "$work/data" --older-than soon >/dev/null 2>"$work/purge.err"
check "purge needs an age" grep -q "^mockroom: error: --older-than takes an age" "$work/purge.err"
check "purge keeps a recently ended room" bash -c "'$bin' purge --data '$work/data' --older-than 1d | grep -q 'purged 0 ended rooms; kept 2'"
check "purge deletes an ended room, keeps an open one" bash -c "'$bin' purge --data '$work/data' --older-than 0s | grep -q 'purged 1 ended rooms; kept 1'"
"$bin" export --data "$work/data" --room "$ended_id" >/dev/null 2>&1
check "a purged room is gone" test $? -ne 0
"$bin" export --data "$work/data" --room "$open_id" --as observer >/dev/null 2>&1
check "the open room is still there" test $? -eq 0
check "the database is intact" bash -c "sqlite3 '$work/data/mockroom.db' 'PRAGMA integrity_check' | grep -qx ok"

# Store and benchmark flags: bad values refused before anything starts; --in-memory writes nothing.
for bad in "--commit-interval-us -1" "--commit-interval-us 2000000" "--max-commit-interval-us -1" \
    "--max-commit-interval-us 2000000" "--max-commit-interval-us x" "--snapshot-every 0" "--snapshot-every x"; do
    # shellcheck disable=SC2086  # the flag and its value, split on purpose
    "$bin" --port 0 --web "$work/web" --data "$work/flags-data" $bad >/dev/null 2>&1
    check "refused: $bad" test $? -ne 0
done
check "no database made for refused flags" test ! -e "$work/flags-data/mockroom.db"
server_data="$work/memory-data"
check "--in-memory starts" start_server --in-memory
server_data=""
check "--in-memory says where rooms live" grep -q "restored from memory" "$work/last.err"
check "--in-memory serves rooms" bash -c "curl -sf -X POST -H 'Content-Type: application/json' -d '{\"bank\":\"python-developer\"}' http://127.0.0.1:$port/api/rooms | grep -q tokens"
check "--in-memory writes no database" test ! -e "$work/memory-data/mockroom.db"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
