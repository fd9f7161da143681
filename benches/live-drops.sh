#!/usr/bin/env bash
# Kernel drops of `rpcscope live` at full loopback client speed, with its
# default options, in a private network namespace (nothing else on the
# wire): the reference server (`rpcscope serve`) and CLIENTS parallel
# `rpcscope call` loads of NULL calls over TCP, as fast as they go, while
# `live -i lo` decodes (JSON Lines, or `--stats` with
# STATS=1; tcpdump -w /dev/null with TCPDUMP=1, for reference). Prints the kernel's counts from live's summary, the calls made
# and the call rate.
#
# Usage: benches/live-drops.sh [RPCSCOPE_BINARY]    (default target/release/rpcscope)
# Environment: CLIENTS (default 4), CALLS per client (default 100000),
#   CONCURRENCY per client (default 16), LIVE_ARGS (extra options for live).
# Needs root (unshare, capture).
set -euo pipefail
bin=$(realpath "${1:-target/release/rpcscope}")
if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    exec env RPCSCOPE_IN_NETNS=1 unshare --net --mount --fork "$0" "$bin"
fi
ip link set lo up
clients=${CLIENTS:-4}
calls=${CALLS:-100000}
conc=${CONCURRENCY:-16}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$bin" serve --port 5111 >/dev/null 2>&1 &
sleep 0.5
view=(--format json)
[ "${STATS:-0}" = 1 ] && view=(--stats)
if [ "${TCPDUMP:-0}" = 1 ]; then
    # The reference: tcpdump with its defaults, writing the packets away.
    tcpdump -i lo -w /dev/null 2>"$tmp/live.err" &
else
    # shellcheck disable=SC2086
    "$bin" live -i lo --no-sandbox -Z root "${view[@]}" ${LIVE_ARGS:-} >"$tmp/live.out" 2>"$tmp/live.err" &
fi
live=$!
sleep 1
start=$(date +%s.%N)
pids=()
for _ in $(seq "$clients"); do
    "$bin" call 127.0.0.1 rpcscope_test 1 NULL --port 5111 --tcp -q \
        --count "$calls" --concurrency "$conc" >/dev/null 2>&1 &
    pids+=($!)
done
wait "${pids[@]}"
end=$(date +%s.%N)
# CPU time of live's threads (user+system, clock ticks) while the load ran.
for t in /proc/"$live"/task/*; do
    echo "live thread $(cat "$t/comm"): $(awk '{print ($14 + $15) / 100}' "$t/stat") s CPU, nice $(awk '{print $19}' "$t/stat")"
done
sleep 1
kill -INT "$live"
wait "$live" || true
total=$((clients * calls))
rate=$(python3 -c "print(round($total / ($end - $start)))")
echo "calls: $total in $(python3 -c "print(round($end - $start, 2))") s ($rate calls/s, $clients clients x $conc in flight)"
grep -E "capture:|dropped|received" "$tmp/live.err" || true
# What live decoded: the exchanges of its summary (JSON or text).
[ -f "$tmp/live.out" ] && tail -1 "$tmp/live.out" | grep -o '"exchanges":[0-9]*\|"packets_received.*' || true
grep -o "[0-9]* exchanges" "$tmp/live.err" || true
