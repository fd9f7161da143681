#!/usr/bin/env bash
# Times rpcscope next to tcpdump, tshark and the bare libpcap read loop on the
# same capture files, in one run, and prints a markdown table (median of
# several runs, peak RSS, and the ratio tshark / each command).
#
#   rpcscope read --format json FILE   (target/release/rpcscope)
#   rpcscope stats FILE
#   tcpdump -nn -r FILE
#   tshark -r FILE -Y rpc -T fields -e frame.number -e ip.src ... -e rpc.time
#                                      (the field set of the references in
#                                      ../shared/captures/public/MANIFEST.md)
#   pcap_read_loop FILE                (examples/pcap_read_loop.rs: libpcap's
#                                      pcap_next_ex loop, the floor)
#
# Every command's output goes to /dev/null (hyperfine discards it). Each file
# is read once first so it is in the page cache. Times: hyperfine, RUNS runs
# per command (default 3; tshark and tcpdump get 1 run on files over 1 GB
# unless SLOW_RUNS is set), median. Peak RSS: one more run under
# /usr/bin/time -f %M.
#
# Usage: benches/compare.sh FILE...      (e.g. target/bench-captures/*.pcap)
# Needs hyperfine, tshark, tcpdump, GNU time (/usr/bin/time), python3, cargo.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
missing=()
for t in hyperfine tshark tcpdump python3 cargo; do command -v "$t" >/dev/null || missing+=("$t"); done
[ -x /usr/bin/time ] || missing+=("/usr/bin/time (Debian package time)")
[ ${#missing[@]} -eq 0 ] || { echo "error: missing tools: ${missing[*]}" >&2; exit 2; }
(cd "$repo" && cargo build --release --quiet --bin rpcscope --example pcap_read_loop)
rpcscope=$repo/target/release/rpcscope
readloop=$repo/target/release/examples/pcap_read_loop
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rpcscope-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

tshark_fields=(-Y rpc -T fields -E header=y -E separator=/t -e frame.number -e ip.src -e ip.dst
    -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp -e rpc.program -e rpc.programversion
    -e rpc.procedure -e rpc.replystat -e rpc.state_accept -e rpc.auth.flavor -e rpc.time)

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
    "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM; $("$rpcscope" --version 2>/dev/null || echo rpcscope);" \
    "$(tshark --version | head -1); tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}')"
echo
echo "| file | MB | frames | command | median s | min s | runs | peak RSS MB | tshark / this |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|"
for f in "$@"; do
    [ -r "$f" ] || { echo "error: cannot read $f" >&2; exit 1; }
    cat "$f" > /dev/null
    bytes=$(stat -c %s "$f")
    frames=$("$readloop" "$f" | awk '{print $1}')
    slow_runs=${SLOW_RUNS:-$([ "$bytes" -gt 1000000000 ] && echo 1 || echo "$runs")}
    names=("rpcscope read --format json" "rpcscope stats" "tcpdump -nn -r" "tshark -Y rpc -T fields"
        "libpcap read loop")
    cmds=("$rpcscope read --format json $f" "$rpcscope stats $f" "tcpdump -nn -r $f"
        "tshark -r $f ${tshark_fields[*]}" "$readloop $f")
    nruns=("$runs" "$runs" "$slow_runs" "$slow_runs" "$runs")
    declare -a med=() mins=() rss=()
    for i in "${!cmds[@]}"; do
        hyperfine -N --runs "${nruns[$i]}" --warmup 0 --export-json "$tmp/h.json" \
            "${cmds[$i]}" >/dev/null 2>"$tmp/h.err" || { cat "$tmp/h.err" >&2; exit 1; }
        read -r m n < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["median"], r["min"])' "$tmp/h.json")
        med[$i]=$m
        mins[$i]=$n
        # shellcheck disable=SC2086 # the command line is words
        /usr/bin/time -f %M -o "$tmp/rss" ${cmds[$i]} >/dev/null 2>&1 || true
        rss[$i]=$(tail -1 "$tmp/rss")
    done
    for i in "${!cmds[@]}"; do
        python3 -c '
import sys
name, mb, frames, med, mn, runs, rss, tshark, cmd = sys.argv[1:]
print(f"| {name} | {int(mb)/1e6:,.1f} | {int(frames):,} | {cmd} | {float(med):.2f} | {float(mn):.2f} | {runs} | {int(rss)/1024:.1f} | {float(tshark)/float(med):.1f}x |")
' "$(basename "$f")" "$bytes" "$frames" "${med[$i]}" "${mins[$i]}" "${nruns[$i]}" "${rss[$i]}" \
            "${med[3]}" "${names[$i]}"
    done
done
