#!/usr/bin/env bash
# Head to head of server settings under the same load: runs the durable server with each set of
# flags in turn (alternating, --repeat rounds, a fresh server and data directory each run) and
# drives it with the S1 load at --rooms rooms. Prints every run, then the median of each set.
# Alternating runs, one after the other, because this VM's figures drift between runs by more
# than most changes are worth.
#
#   bash tests/load/compare.sh [--rooms 200] [--seconds 10] [--repeat 5] -- "FLAGS A" "FLAGS B" ...
#   e.g. bash tests/load/compare.sh --rooms 200 -- "--max-commit-interval-us 1000" ""
#
# A set that begins with binary=PATH runs that server build instead of the bench preset's, to
# compare two builds: -- "binary=build/other/server/mockroom --in-memory" "--in-memory"
#
# Needs the bench preset built (bash tests/load/bench.sh builds it, or
# cmake --preset bench && cmake --build --preset bench).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$root/build/bench
server_bin=$build_dir/server/mockroom
load_bin=$build_dir/tests/load/mockroom-load
rooms=200 seconds=10 repeat=5 warmup=3
while (($#)); do
    case $1 in
        --rooms) rooms=$2 && shift 2 ;;
        --seconds) seconds=$2 && shift 2 ;;
        --repeat) repeat=$2 && shift 2 ;;
        --) shift && break ;;
        *) echo "compare.sh: unknown option $1" >&2 && exit 2 ;;
    esac
done
(($# >= 1)) || { echo "compare.sh: give at least one set of server flags after --" >&2 && exit 2; }
for bin in "$server_bin" "$load_bin"; do
    [[ -x $bin ]] || { echo "compare.sh: $bin is missing: build the bench preset" >&2 && exit 2; }
done
pin_target=() pin_load=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    pin_target=(taskset -c 0) pin_load=(taskset -c 1)
fi

work=$(mktemp -d "$build_dir/compare.XXXXXX")
target_pid=""
cleanup() {
    [[ -z $target_pid ]] || kill -KILL "$target_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/web"
: >"$work/web/index.html" # the server only needs an index.html to start

results=$work/results.tsv
echo "S1 load at $rooms rooms, $seconds s measured after $warmup s, $repeat rounds; server on core 0, generator on core 1"
printf '%-40s %10s %8s %8s %8s %12s\n' "server flags" "CPU µs/msg" "p50 ms" "p99 ms" "p99.9" "gen. lag p99"
for ((round = 1; round <= repeat; round++)); do
    for i in $(seq 0 $(($# - 1))); do
        flags=${*:$((i + 1)):1}
        run=$work/run-$round-$i
        mkdir -p "$run"
        binary=$server_bin
        if [[ $flags == binary=* ]]; then
            binary=${flags%% *} binary=${binary#binary=}
            [[ $flags == *" "* ]] && server_flags=${flags#* } || server_flags=""
        else
            server_flags=$flags
        fi
        [[ -x $binary ]] || { echo "compare.sh: $binary is not an executable" >&2 && exit 2; }
        # shellcheck disable=SC2086  # the flags split on purpose
        "${pin_target[@]}" "$binary" --host 127.0.0.1 --port 0 --threads 1 --web "$work/web" \
            --data "$run/data" --rooms-per-minute 1000000 --max-rooms 20000 $server_flags \
            >"$run/stdout" 2>"$run/stderr" &
        target_pid=$!
        deadline=$((SECONDS + 30))
        until grep -q '^listening on ' "$run/stdout"; do
            if ! kill -0 "$target_pid" 2>/dev/null || ((SECONDS > deadline)); then
                echo "compare.sh: the server did not start with '$flags':" >&2
                cat "$run/stderr" >&2
                exit 1
            fi
            sleep 0.05
        done
        url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$run/stdout" | head -n 1)
        "${pin_load[@]}" "$load_bin" --target "$url" --mode mockroom --server-pid "$target_pid" \
            --json "$run/result.json" --label compare --warmup "$warmup" --duration "$seconds" \
            --rooms "$rooms" --participants 4 --typists 2 --cursor-rate 10 >"$run/log" 2>&1 ||
            { echo "compare.sh: the generator failed:" >&2 && tail -5 "$run/log" >&2 && exit 1; }
        kill -TERM "$target_pid" 2>/dev/null || true
        wait "$target_pid" || true
        target_pid=""
        node -e '
            const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
            const l = r.latency_us, ms = (us) => (us / 1000).toFixed(2);
            if (r.received !== r.expected) throw new Error(`received ${r.received} of ${r.expected}`);
            const row = [process.argv[2], r.server_cpu_us_per_delivery.toFixed(2), ms(l.p50),
                         ms(l.p99), ms(l.p999), ms(r.send_lag_p99_us)];
            console.log(row.join("\t"));' "$run/result.json" "$i" >>"$results"
        tail -n 1 "$results" | awk -F'\t' -v f="${flags:-(defaults)}" \
            '{ printf "%-40s %10s %8s %8s %8s %12s\n", f, $2, $3, $4, $5, $6 }'
        rm -rf "$run"
    done
done

echo
echo "median of $repeat runs (a run whose generator was over 100 ms late, lag p99, is left out: bench.sh's rule)"
for i in $(seq 0 $(($# - 1))); do
    flags=${*:$((i + 1)):1}
    awk -F'\t' -v i="$i" '$1 == i && $6 <= 100' "$results" | node -e '
        const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").filter(Boolean)
            .map((line) => line.split("\t").map(Number));
        const median = (k) => {
            const v = rows.map((r) => r[k]).sort((a, b) => a - b);
            return v.length ? ((v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2).toFixed(2) : "-";
        };
        console.log([process.argv[1].padEnd(40), median(1).padStart(10), median(2).padStart(8),
                     median(3).padStart(8), median(4).padStart(8), `${rows.length} runs`.padStart(12)]
                    .join(" "));' -- "${flags:-(defaults)}"
done
