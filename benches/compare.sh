#!/usr/bin/env bash
# Times rpcscope next to tcpdump, tshark and the bare libpcap read loop on the
# same capture files, in one run, and prints a markdown table (median of
# several runs, peak RSS, and the ratio tshark / each command).
#
#   rpcscope read --format json FILE   (target/release/rpcscope; -j default:
#                                      every core, JSON rendered beside decoding)
#   rpcscope read --format json -j 1 FILE   (one thread: the 1 -> N speed-up)
#   rpcscope stats FILE                (-j default: the network layer on a
#                                      second thread)
#   rpcscope stats -j 1 FILE           (one thread)
#   tcpdump -nn -r FILE
#   tshark -r FILE -Y rpc -T fields -e frame.number -e ip.src ... -e rpc.time
#                                      (the field set of the references in
#                                      ../shared/captures/public/MANIFEST.md)
#   pcap_read_loop FILE                (examples/pcap_read_loop.rs: libpcap's
#                                      pcap_next_ex loop, the floor)
#
# Every command's output goes to /dev/null. Each file is read once first so
# it is in the page cache. Times: hyperfine, RUNS runs per command (default
# 3), median; peak RSS from one more run under /usr/bin/time -f %M. On files
# over 1 GB, tshark and tcpdump run once (SLOW_RUNS=N to change that): a
# single run is timed and measured by /usr/bin/time alone, and stopped after
# SLOW_TIMEOUT seconds (default 600); a stopped run shows as "> 600" and its
# ratio as a lower bound (its peak RSS is the one reached by then).
#
# Usage: benches/compare.sh FILE...      (e.g. target/bench-captures/*.pcap)
# Needs hyperfine, tshark, tcpdump, GNU time (/usr/bin/time), python3, cargo.
set -euo pipefail

tshark_fields=(-Y rpc -T fields -E header=y -E separator=/t -e frame.number -e ip.src -e ip.dst
    -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp -e rpc.program -e rpc.programversion
    -e rpc.procedure -e rpc.replystat -e rpc.state_accept -e rpc.auth.flavor -e rpc.time)

# measure RUNS COMMAND...: prints "median min peak_rss_kib".
measure() {
    local runs=$1
    shift
    if [ "$runs" = 1 ]; then
        local rc=0
        /usr/bin/time -f '%e %M' -o "$tmp/time" timeout "${SLOW_TIMEOUT:-600}" "$@" \
            >/dev/null 2>&1 || rc=$?
        read -r e m < <(tail -1 "$tmp/time")
        if [ "$rc" = 124 ]; then echo "$e $e $m stopped"; else echo "$e $e $m"; fi
        return
    fi
    hyperfine -N --runs "$runs" --warmup 0 --export-json "$tmp/h.json" "$*" \
        >/dev/null 2>"$tmp/h.err" || { cat "$tmp/h.err" >&2; exit 1; }
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1 || true
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["median"], r["min"], open(sys.argv[2]).read().split()[-1])' \
        "$tmp/h.json" "$tmp/rss"
}

main() {
    local repo runs
    repo=$(cd "$(dirname "$0")/.." && pwd)
    runs=${RUNS:-3}
    [ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
    local missing=() t
    for t in hyperfine tshark tcpdump python3 cargo; do command -v "$t" >/dev/null || missing+=("$t"); done
    [ -x /usr/bin/time ] || missing+=("/usr/bin/time (Debian package time)")
    [ ${#missing[@]} -eq 0 ] || { echo "error: missing tools: ${missing[*]}" >&2; exit 2; }
    (cd "$repo" && cargo build --release --quiet --bin rpcscope --example pcap_read_loop)
    local rpcscope=$repo/target/release/rpcscope
    local readloop=$repo/target/release/examples/pcap_read_loop
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/rpcscope-compare.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT

    echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
        "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM; load average before:" \
        "$(cut -d' ' -f1-3 /proc/loadavg); $("$rpcscope" --version);" \
        "$(tshark --version 2>/dev/null | head -1 | cut -d' ' -f1-3); tcpdump" \
        "$(tcpdump --version 2>&1 | head -1 | awk '{print $3}')"
    echo
    echo "| file | MB | frames | command | median s | min s | runs | peak RSS MB | tshark / this |"
    echo "|---|---:|---:|---|---:|---:|---:|---:|---:|"
    local f
    for f in "$@"; do
        [ -r "$f" ] || { echo "error: cannot read $f" >&2; exit 1; }
        cat "$f" > /dev/null
        local bytes frames slow
        bytes=$(stat -c %s "$f")
        frames=$("$readloop" "$f" | awk '{print $1}')
        slow=${SLOW_RUNS:-$([ "$bytes" -gt 1000000000 ] && echo 1 || echo "$runs")}
        local names=("rpcscope read --format json" "rpcscope stats" "tcpdump -nn -r"
            "tshark -Y rpc -T fields" "libpcap read loop" "rpcscope read --format json -j 1"
            "rpcscope stats -j 1")
        local nruns=("$runs" "$runs" "$slow" "$slow" "$runs" "$runs" "$runs")
        local res=() i
        res[0]=$(measure "$runs" "$rpcscope" read --format json "$f")
        res[1]=$(measure "$runs" "$rpcscope" stats "$f")
        res[2]=$(measure "$slow" tcpdump -nn -r "$f")
        res[3]=$(measure "$slow" tshark -r "$f" "${tshark_fields[@]}")
        res[4]=$(measure "$runs" "$readloop" "$f")
        res[5]=$(measure "$runs" "$rpcscope" read --format json -j 1 "$f")
        res[6]=$(measure "$runs" "$rpcscope" stats -j 1 "$f")
        for i in "${!res[@]}"; do
            python3 -c '
import sys
name, b, frames, cmd, runs, res, tshark = sys.argv[1:]
med, mn, rss, *stopped = res.split()
ratio = float(tshark.split()[0]) / max(float(med), 1e-3)
# A stopped tshark run gives a lower bound; a stopped command itself, an upper one.
mark = ">" if stopped else ""
bound = ">= " if "stopped" in tshark and not stopped else ("<= " if stopped and "stopped" not in tshark else "")
print(f"| {name} | {int(b)/1e6:,.1f} | {int(frames):,} | {cmd} | {mark}{float(med):.2f} | {mark}{float(mn):.2f} | {runs} | {int(rss)/1024:.1f} | {bound}{ratio:.1f}x |")
' "$(basename "$f")" "$bytes" "$frames" "${names[$i]}" "${nruns[$i]}" "${res[$i]}" "${res[3]}"
        done
    done
    echo
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

main "$@"
exit
