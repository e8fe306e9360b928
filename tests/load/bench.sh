#!/usr/bin/env bash
# Side-by-side benchmark: mockroom (durable, and --in-memory) against a minimal Node `ws` room
# relay (tests/load/relay.mjs), both driven by the open-loop load generator mockroom-load.
# See tests/load/README.md for the scenarios and how the figures are computed.
#
#   bash tests/load/bench.sh                 full run (about 10 minutes), on a fresh Debian 12 clone
#   bash tests/load/bench.sh --smoke         tiny run of every scenario (< 1 minute once built)
#
# Options:
#   --smoke             tiny loads, one S2 step; exits non-zero if a run failed or received nothing
#   --out FILE          the Markdown results (default BUILD/results.md); raw JSON in BUILD/results/
#   --build-dir DIR     use the binaries already built in DIR (DIR/server/mockroom,
#                       DIR/tests/load/mockroom-load): no install-deps.sh, npm ci or build step
#   --warmup S          warm-up seconds per run (default 3; smoke 1)
#   --duration S        measured seconds per run (default 15; smoke 1)
#   --s2-rooms "N..."   S2 steps: rooms at the nominal rates, in order (default "25 50 100 150 200 300 400 500")
#   --idle N            S3 idle connections (default 15000; smoke 200)
#   --churn-rate K      S4 reconnects per second (default 20; smoke 10)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
smoke=0
out=""
build_dir=""
warmup=""
duration=""
s2_rooms=""
idle=""
churn=""

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
        --smoke) smoke=1 ;;
        --out) out=$2; shift ;;
        --build-dir) build_dir=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --duration) duration=$2; shift ;;
        --s2-rooms) s2_rooms=$2; shift ;;
        --idle) idle=$2; shift ;;
        --churn-rate) churn=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if ((smoke)); then
    rooms=10 warmup=${warmup:-1} duration=${duration:-1} s2_rooms=${s2_rooms:-20}
    idle=${idle:-200} churn=${churn:-10}
else
    rooms=500 warmup=${warmup:-3} duration=${duration:-15}
    s2_rooms=${s2_rooms:-"25 50 100 150 200 300 400 500"} idle=${idle:-15000} churn=${churn:-20}
fi
participants=4 typists=2 edit_rate=10 cursor_rate=10
s2_duration=$duration
idle_hold=$duration # S3: seconds the idle connections are held after RSS is read
((smoke)) && idle_hold=1
((!smoke && duration > 10)) && s2_duration=10 # S2 has many steps: 10 s each is enough

# --- Dependencies and build -------------------------------------------------------------------
if [[ -z $build_dir ]]; then
    build_dir=$root/build/bench
    bash "$root/deploy/install-deps.sh" # compiler, libraries, cmake, ninja, Node.js (not Chromium)
    if [[ ! -d $root/node_modules/ws ]]; then (cd "$root" && npm ci --no-audit --no-fund); fi
    (cd "$root" && cmake --preset bench >/dev/null && cmake --build --preset bench --target mockroom mockroom-load)
fi
build_dir=$(cd "$build_dir" && pwd)
server_bin=$build_dir/server/mockroom
load_bin=$build_dir/tests/load/mockroom-load
for binary in "$server_bin" "$load_bin"; do
    [[ -x $binary ]] || { echo "bench.sh: $binary is missing (build it, or drop --build-dir)" >&2; exit 1; }
done
[[ -d $root/node_modules/ws ]] || { echo "bench.sh: node_modules/ws is missing (npm ci)" >&2; exit 1; }

results=$build_dir/results
out=${out:-$build_dir/results.md}
mkdir -p "$results" "$(dirname "$out")"
rm -f "$results"/*.json "$results"/*.log
manifest=$results/manifest.tsv
: >"$manifest"

# Scratch space on the build tree's disk, not /tmp: /tmp may be a tmpfs, where fsync is free and
# durable acks would look cheaper than on a server's disk.
work=$(mktemp -d "$build_dir/bench-tmp.XXXXXX")
mkdir -p "$work/web"
: >"$work/web/index.html" # the server only needs an index.html to start; no page is loaded

target_pid=""
cleanup() {
    if [[ -n $target_pid ]]; then kill -KILL "$target_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every connection is a file descriptor in the server and in the generator.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)
if [[ $fd_limit != unlimited ]] && ((idle > fd_limit - 200)); then
    echo "bench.sh: open-file limit is $fd_limit: S3 holds $((fd_limit - 200)) connections, not $idle" >&2
    idle=$((fd_limit - 200))
fi

# Server (or relay) on core 0, generator on core 1.
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    pin_target=(taskset -c 0) pin_load=(taskset -c 1) pinning="target on core 0, generator on core 1"
else
    pin_target=() pin_load=() pinning="none (fewer than 2 cores or no taskset): figures are not comparable"
    echo "bench.sh: not pinning: $pinning" >&2
fi

failures=0
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
if awk '{ exit !($1 > 0.5) }' /proc/loadavg; then
    echo "bench.sh: warning: the machine is busy (load average $load_at_start): figures will be off" >&2
fi

# start_target SYSTEM [SERVER FLAGS...]: starts mockroom (durable|memory) or the relay; sets
# target_pid and target_url from its `listening on URL` line.
start_target() {
    local system=$1
    shift
    run_dir=$(mktemp -d "$work/run.XXXXXX")
    local command
    case $system in
        durable | memory)
            command=("${pin_target[@]}" "$server_bin" --host 127.0.0.1 --port 0 --threads 1
                --web "$work/web" --data "$run_dir/data" --rooms-per-minute 1000000
                --max-rooms 20000 "$@")
            [[ $system == memory ]] && command+=(--in-memory)
            ;;
        relay) command=("${pin_target[@]}" node "$root/tests/load/relay.mjs" --host 127.0.0.1 --port 0) ;;
    esac
    : >"$run_dir/stdout" # exists before the background job opens it, for the grep below
    "${command[@]}" >"$run_dir/stdout" 2>"$run_dir/stderr" &
    target_pid=$!
    local deadline=$((SECONDS + 30))
    until grep -q '^listening on ' "$run_dir/stdout"; do
        if ! kill -0 "$target_pid" 2>/dev/null || ((SECONDS > deadline)); then
            echo "bench.sh: $system did not start:" >&2
            cat "$run_dir/stderr" >&2
            stop_target
            return 1
        fi
        sleep 0.05
    done
    target_url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$run_dir/stdout" | head -n 1)
}

stop_target() {
    [[ -n $target_pid ]] || return 0
    kill -TERM "$target_pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$target_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    kill -KILL "$target_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
    target_pid=""
}

# json_field FILE EXPRESSION: prints a value from a result file (EXPRESSION over `r`).
json_field() {
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
             const v = (0, eval)("(r) => " + process.argv[2])(r); console.log(v ?? "")' "$@"
}

# run ID SCENARIO SYSTEM NOTE [GENERATOR FLAGS...] (server flags in the array server_flags):
# one run on a fresh server and data directory. Sets run_status (ok, or why it failed) and
# run_json. Appends a line to the manifest the report is rendered from.
server_flags=()
run() {
    local id=$1 scenario=$2 system=$3 note=$4
    shift 4
    run_json=$results/$id.json
    local log=$results/$id.log mode=mockroom label
    case $system in
        durable) label="mockroom durable" ;;
        memory) label="mockroom in-memory" ;;
        relay) label="ws relay" mode=relay ;;
    esac
    run_status=ok
    local started=$SECONDS
    printf '%-14s %-20s ' "$id" "$label"
    if ! start_target "$system" "${server_flags[@]}"; then
        run_status="server did not start"
    else
        local code=0
        "${pin_load[@]}" timeout --foreground --kill-after=5 $((warmup + duration + 300)) "$load_bin" \
            --target "$target_url" --mode "$mode" --server-pid "$target_pid" \
            --json "$run_json" --label "$label" --warmup "$warmup" "$@" >"$log" 2>&1 || code=$?
        if ! kill -0 "$target_pid" 2>/dev/null; then
            run_status="server exited during the run"
        elif ((code != 0)); then
            run_status="generator exit status $code"
        elif [[ ! -s $run_json ]]; then
            run_status="no result file"
        elif [[ $scenario != idle ]] && (($(json_field "$run_json" 'r.received') == 0)); then
            run_status="received nothing"
        elif [[ $scenario == idle ]] && (($(json_field "$run_json" 'r.connections') == 0)); then
            run_status="held no connection"
        fi
        stop_target
        cp "$run_dir/stderr" "$results/$id.server.log" 2>/dev/null || true
        rm -rf "$run_dir"
    fi
    if [[ $run_status == ok ]]; then
        json_field "$run_json" '(r.scenario === "idle" ? `${r.connections} connections held, ${Math.round(r.rss_per_connection)} B RSS per connection` : `${r.delivered_per_s.toFixed(0)} delivered/s, p99 ${(r.latency_us.p99/1000).toFixed(2)} ms, ${r.connections} connections, CPU ${(r.server_cpu_us_per_delivery ?? 0).toFixed(2)} µs/msg`) + ` (${process.argv[3]} s)`' "$((SECONDS - started))"
    else
        echo "FAILED: $run_status (log: $log, $((SECONDS - started)) s)"
        failures=$((failures + 1))
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$scenario" "$system" "$note" "$run_status" "$run_json" >>"$manifest"
}

nominal=(--rooms "$rooms" --participants "$participants" --typists "$typists"
    --cursor-rate "$cursor_rate")

echo "mockroom benchmark$( ((smoke)) && echo ' (smoke)'): results in $results"

# S1 nominal: 500 rooms x 4, 2 typists per room at 10 edits/s, cursors at 10/s.
s1_systems=(durable memory relay)
if ! "$server_bin" --help | grep -q -- '--in-memory'; then
    echo "bench.sh: this mockroom has no --in-memory: no in-memory row" >&2
    s1_systems=(durable relay)
fi
for system in "${s1_systems[@]}"; do
    server_flags=()
    run "s1-$system" nominal "$system" "" --scenario nominal "${nominal[@]}" --edit-rate "$edit_rate" --duration "$duration"
done

# S1 below saturation: the same per-room load in 100 rooms, where no system queues. Durable
# against in-memory is the cost of durable acks (synchronous=FULL commits before every ack).
if ((!smoke)); then
    for system in "${s1_systems[@]}"; do
        server_flags=()
        run "s1light-$system" light "$system" "" --scenario nominal --rooms 100 \
            --participants "$participants" --typists "$typists" --cursor-rate "$cursor_rate" \
            --edit-rate "$edit_rate" --duration "$duration"
    done
fi

# S2 capacity: raise the offered rate (more rooms at the nominal per-typist rates: each typist
# stays a realistic client) until p99 > 10 ms or fewer than 99% delivered.
for system in durable relay; do
    server_flags=()
    for step_rooms in $s2_rooms; do
        run "s2-$system-$step_rooms" capacity "$system" "$step_rooms" --scenario nominal \
            --rooms "$step_rooms" --participants "$participants" --typists "$typists" \
            --cursor-rate "$cursor_rate" --edit-rate "$edit_rate" --duration "$s2_duration"
        [[ $run_status == ok ]] || break
        json_field "$run_json" 'r.latency_us.p99 <= 10000 && r.received >= 0.99 * r.expected ? 1 : 0' |
            grep -q 1 || break
    done
done

# S3 memory: idle connections (the generator puts them in rooms of --participants), RSS growth
# per connection.
for system in durable relay; do
    server_flags=()
    run "s3-$system" idle "$system" "" --scenario idle --connections "$idle" \
        --participants "$participants" --duration "$idle_hold"
done

# S4 churn: the nominal per-room load in 100 rooms (below saturation, so reconnect latency means
# something) plus observers reconnecting at a steady rate.
churn_rooms=$(( smoke ? rooms : 100 ))
for system in durable relay; do
    server_flags=()
    run "s4-$system" churn "$system" "$churn" --scenario churn --rooms "$churn_rooms" \
        --participants "$participants" --typists "$typists" --cursor-rate "$cursor_rate" --edit-rate "$edit_rate" \
        --churn-rate "$churn" --duration "$duration"
done

# --- Report -----------------------------------------------------------------------------------
git_commit() { # without running git: HEAD, then the branch it names (loose or packed)
    local dir=$root/.git head
    [[ -f $dir ]] && dir=$(sed -n 's/^gitdir: //p' "$dir")
    head=$(cat "$dir/HEAD" 2>/dev/null) || { echo unknown; return; }
    if [[ $head == "ref: "* ]]; then
        local ref=${head#ref: } common=$dir
        [[ -f $dir/commondir ]] && common=$dir/$(cat "$dir/commondir")
        cat "$common/$ref" 2>/dev/null || sed -n "s| $ref\$||p" "$common/packed-refs" 2>/dev/null || echo unknown
    else
        echo "$head"
    fi
}
facts=$(
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'commit\t%s\n' "$(git_commit | cut -c1-12)"
    printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    printf 'cores\t%s\n' "$(nproc)"
    printf 'kernel\t%s\n' "$(uname -sr)"
    printf 'node\t%s\n' "$(node --version)"
    printf 'disk\t%s (%s)\n' "$(df --output=fstype "$work" | tail -n 1)" "data directories under $build_dir"
    printf 'pinning\t%s\n' "$pinning"
    printf 'open files\t%s\n' "$fd_limit"
    printf 'load average\t%s at the start, %s at the end (other work on the machine skews every figure)\n' \
        "$load_at_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'runs\twarm-up %s s, measured %s s (S2 %s s)%s\n' "$warmup" "$duration" "$s2_duration" \
        "$( ((smoke)) && echo '; SMOKE RUN: tiny loads, figures mean nothing')"
)

node --input-type=commonjs - "$manifest" "$out" "$smoke" "$idle" "$facts" <<'NODE'
const fs = require('fs');
const [manifestPath, outPath, smokeArg, idleArg, facts] = process.argv.slice(2);
const smoke = smokeArg === '1';
const runs = fs.readFileSync(manifestPath, 'utf8').split('\n').filter(Boolean).map((line) => {
  const [id, scenario, system, note, status, json] = line.split('\t');
  let r = null;
  try { r = JSON.parse(fs.readFileSync(json, 'utf8')); } catch {}
  return { id, scenario, system, note, status, r };
});
const names = { durable: 'mockroom durable', memory: 'mockroom in-memory', relay: 'ws relay' };
const titles = { nominal: 'S1 nominal', light: 'S1 at 100 rooms', capacity: 'S2 capacity', idle: 'S3 memory', churn: 'S4 churn' };
const ms = (us) => (us == null || !Number.isFinite(us) ? '–' : (us / 1000).toFixed(us < 10000 ? 2 : 1));
const num = (x, d = 0) => (x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const bytes = (b) => (b == null || !Number.isFinite(b) ? '–' : b >= 10240 ? `${num(b / 1024, 1)} KiB` : `${num(b)} B`);
const errorText = (r) => {
  const parts = Object.entries(r.errors ?? {}).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`);
  if (r.closes) parts.push(`closes ${r.closes}`);
  return parts.length ? parts.join(', ') : '0';
};
const rate = (run) => {
  const r = run.r;
  if (run.scenario === 'idle') return `${num(r.connections)} idle connections`;
  let text = `${r.typists}×${r.edit_rate} edits/s + ${r.typists}×${r.cursor_rate} cursors/s per room`;
  if (run.scenario === 'churn') text += `, ${run.note} reconnects/s`;
  return text;
};
const passes = (r) => r && r.latency_us.p99 <= 10000 && r.received >= 0.99 * r.expected;
// The generator fell far behind its own schedule (or the CPU window collapsed): not a valid run.
const overloaded = (r) => r.scenario !== 'idle' && (r.send_lag_p99_us > 100000 || !(r.server_cpu_us > 0));

const lines = [];
lines.push('# mockroom benchmark: mockroom vs a Node `ws` relay', '');
if (smoke) lines.push('> **Smoke run**: tiny loads to check the harness end to end; the figures mean nothing.', '');
lines.push('| | |', '| --- | --- |');
for (const fact of facts.split('\n')) { const [k, v] = fact.split('\t'); lines.push(`| ${k} | ${v} |`); }
lines.push('', '## Runs', '');
lines.push('| scenario | system | rooms×participants | rate | delivered/s | received/expected | p50 | p90 | p99 | p99.9 | max (ms) | ack p50 / p99 (ms) | generator lag p99 / max (ms) | server CPU µs/msg | RSS/conn | errors | status |');
lines.push('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
for (const run of runs) {
  const r = run.r;
  const head = `| ${titles[run.scenario]} | ${names[run.system]}`;
  if (!r) { lines.push(`${head} | | | | | | | | | | | | | | | ${run.status} |`); continue; }
  const lat = r.latency_us ?? {};
  const ack = r.ack_latency_us && r.ack_latency_us.count ? `${ms(r.ack_latency_us.p50)} / ${ms(r.ack_latency_us.p99)}` : '–';
  const msgs = run.scenario !== 'idle';
  let status = run.status;
  if (run.scenario === 'capacity' && status === 'ok') status = passes(r) ? 'pass' : 'over the limit';
  if (run.status === 'ok' && overloaded(r)) status += '; generator overloaded: not valid';
  lines.push([head, `${r.rooms}×${r.participants}`, rate(run),
    msgs ? num(r.delivered_per_s) : '–',
    msgs ? `${num(r.received)} / ${num(r.expected)}` : '–',
    ...(msgs ? [ms(lat.p50), ms(lat.p90), ms(lat.p99), ms(lat.p999), ms(lat.max)] : ['–', '–', '–', '–', '–']),
    ack, msgs ? `${ms(r.send_lag_p99_us)} / ${ms(r.send_lag_max_us)}` : '–', msgs ? num(r.server_cpu_us_per_delivery, 2) : '–', bytes(r.rss_per_connection), errorText(r), status,
  ].join(' | ') + ' |');
}

const find = (scenario, system) => runs.find((x) => x.scenario === scenario && x.system === system && x.r && x.status === 'ok' && !overloaded(x.r))?.r;
const verdict = (ok) => (ok == null ? 'n/a' : ok ? '**met**' : '**not met**');
lines.push('', '## Comparison with the targets of issue 6', '');
lines.push('| target | figures | verdict |', '| --- | --- | --- |');
const relay1 = find('nominal', 'relay');
for (const system of ['durable', 'memory']) {
  const m = find('nominal', system);
  const ratio = m && relay1 && relay1.server_cpu_us_per_delivery > 0 ? m.server_cpu_us_per_delivery / relay1.server_cpu_us_per_delivery : null;
  lines.push(`| S1 server CPU per delivered message, ${names[system]} ÷ ws relay ≤ 0.8 | ${m ? num(m.server_cpu_us_per_delivery, 2) : '–'} µs ÷ ${relay1 ? num(relay1.server_cpu_us_per_delivery, 2) : '–'} µs = ${ratio == null ? '–' : num(ratio, 2)} | ${verdict(ratio == null ? null : ratio <= 0.8)} |`);
}
for (const system of ['durable', 'memory']) {
  const m = find('nominal', system);
  lines.push(`| S1 ${names[system]} p99 ≤ 2 ms | ${m ? ms(m.latency_us.p99) : '–'} ms (ws relay ${relay1 ? ms(relay1.latency_us.p99) : '–'} ms) | ${verdict(m ? m.latency_us.p99 <= 2000 : null)} |`);
  lines.push(`| S1 ${names[system]} p99.9 ≤ 10 ms | ${m ? ms(m.latency_us.p999) : '–'} ms (ws relay ${relay1 ? ms(relay1.latency_us.p999) : '–'} ms) | ${verdict(m ? m.latency_us.p999 <= 10000 : null)} |`);
}
const lightR = find('light', 'relay'), lightD = find('light', 'durable'), lightM = find('light', 'memory');
if (lightR && (lightD || lightM)) {
  const cpu = (r) => (r ? `${num(r.server_cpu_us_per_delivery, 2)} µs ÷ ${num(lightR.server_cpu_us_per_delivery, 2)} µs = ${num(r.server_cpu_us_per_delivery / lightR.server_cpu_us_per_delivery, 2)}` : '–');
  lines.push(`| below saturation (100 rooms): CPU per delivered message ÷ ws relay | durable ${cpu(lightD)}; in-memory ${cpu(lightM)} | ${verdict(lightD ? lightD.server_cpu_us_per_delivery <= 0.8 * lightR.server_cpu_us_per_delivery : null)} |`);
  const lat = (r) => (r ? `p50 ${ms(r.latency_us.p50)}, p99 ${ms(r.latency_us.p99)}, p99.9 ${ms(r.latency_us.p999)} ms` : '–');
  lines.push(`| below saturation (100 rooms): latency ≤ 2 ms p99, ≤ 10 ms p99.9 | durable ${lat(lightD)}; in-memory ${lat(lightM)}; ws relay ${lat(lightR)} | ${verdict(lightD ? lightD.latency_us.p99 <= 2000 && lightD.latency_us.p999 <= 10000 : null)} |`);
}
if (lightD && lightM) {
  lines.push(`| cost of durable acks (100 rooms): durable − in-memory | +${num(lightD.server_cpu_us_per_delivery - lightM.server_cpu_us_per_delivery, 2)} µs CPU per delivered message; p50 ${ms(lightM.latency_us.p50)} → ${ms(lightD.latency_us.p50)} ms, p99 ${ms(lightM.latency_us.p99)} → ${ms(lightD.latency_us.p99)} ms; ack p99 ${ms(lightM.ack_latency_us?.p99)} → ${ms(lightD.ack_latency_us?.p99)} ms | – |`);
}
const idleM = find('idle', 'durable'), idleR = find('idle', 'relay');
lines.push(`| S3 memory per idle connection ≤ 2 KiB (2048 B) | mockroom ${idleM ? bytes(idleM.rss_per_connection) : '–'}, ws relay ${idleR ? bytes(idleR.rss_per_connection) : '–'} | ${verdict(idleM ? idleM.rss_per_connection <= 2048 : null)} |`);
lines.push(`| S3 ≥ 15,000 connections held | mockroom ${idleM ? num(idleM.connections) : '–'} of ${num(Number(idleArg))}, ws relay ${idleR ? num(idleR.connections) : '–'} | ${Number(idleArg) < 15000 ? `n/a (${num(Number(idleArg))} asked)` : verdict(idleM ? idleM.connections >= 15000 : null)} |`);
for (const system of ['durable', 'relay']) {
  const series = runs.filter((x) => x.scenario === 'capacity' && x.system === system);
  if (!series.length) continue;
  const passed = series.filter((x) => x.status === 'ok' && passes(x.r));
  const last = passed[passed.length - 1];
  const stop = series.find((x) => !(x.status === 'ok' && passes(x.r)));
  let why = 'every step passed (add steps with --s2-rooms)';
  if (stop) why = stop.r ? `stopped at ${stop.r.rooms} rooms: p99 ${ms(stop.r.latency_us.p99)} ms, ${num(100 * stop.r.received / Math.max(1, stop.r.expected), 1)}% delivered` : `stopped at ${stop.note} rooms: ${stop.status}`;
  lines.push(`| S2 rate reached with p99 ≤ 10 ms, ${names[system]} | ${last ? `${num(last.r.delivered_per_s)} delivered/s (${last.r.rooms} rooms)` : 'none'}; ${why} | – |`);
}
const s2 = (system) => { const p = runs.filter((x) => x.scenario === 'capacity' && x.system === system && x.status === 'ok' && passes(x.r)); return p.length ? p[p.length - 1].r.delivered_per_s : null; };
if (s2('durable') != null && s2('relay') != null) lines.push(`| S2 capacity, mockroom ÷ ws relay | ${num(s2('durable') / s2('relay'), 2)} | – |`);
for (const run of runs.filter((x) => x.scenario === 'churn' && x.r)) {
  const rc = run.r.reconnect ?? {};
  lines.push(`| S4 reconnects, ${names[run.system]} | ${num(rc.done)} done, ${num(rc.failed)} failed; reconnect p50 ${ms(rc.latency_us?.p50)} ms, p99 ${ms(rc.latency_us?.p99)} ms; messages p99 ${ms(run.r.latency_us.p99)} ms | – |`);
}
lines.push('', 'Latency: from the moment a send was scheduled to its arrival at each other participant (open loop: sends', 'follow a fixed schedule, not the replies, so a slow server shows up as latency); it includes how late the generator itself sent (the generator lag column). Server CPU: user+system time of the server process during the measured window ÷', 'messages delivered in it. RSS/conn: (RSS after − RSS before connecting) ÷ connections. See tests/load/README.md.');
fs.writeFileSync(outPath, lines.join('\n') + '\n');
NODE

echo
cat "$out"
echo
echo "results: $out (raw JSON and logs in $results)"
if ((failures)); then
    echo "bench.sh: $failures run(s) failed" >&2
    exit 1
fi
