#!/usr/bin/env bash
# Peak memory (max RSS) of `rpcscope read --format json` on synthetic NFS
# captures of growing size: streaming decode keeps it flat. Also decodes the
# large public captures when ../shared is present, and tshark for comparison.
# Usage: benches/memory.sh [SIZES_MB...]   (default: 100 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/rpcscope
tmp=${TMPDIR:-/tmp}/rpcscope-bench
sizes=("${@:-100 1000}")
for mb in ${sizes[@]}; do
    RPCSCOPE_BENCH_SYNTH_MB=$mb cargo bench --quiet --bench decode >/dev/null
    f=$tmp/synthetic-nfs-tcp-${mb}MB.pcap
    /usr/bin/time -f "%M" -o "$tmp/rss" "$bin" read --format json "$f" >/dev/null 2>&1 || true
    echo "synthetic ${mb} MB: rpcscope max RSS $(cat "$tmp/rss") KB"
done
for f in "$tmp"/nfstrace-*.pcap; do
    [ -e "$f" ] || continue
    /usr/bin/time -f "%M" -o "$tmp/rss" "$bin" read --format json "$f" >/dev/null 2>&1 || true
    r=$(cat "$tmp/rss")
    t="-"
    if command -v tshark >/dev/null; then
        /usr/bin/time -f "%M" -o "$tmp/rss" tshark -r "$f" -Y rpc -T fields -e rpc.xid >/dev/null 2>&1 || true
        t=$(cat "$tmp/rss")
    fi
    echo "$(basename "$f"): rpcscope max RSS $r KB, tshark $t KB"
done
