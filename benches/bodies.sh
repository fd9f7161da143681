#!/usr/bin/env bash
# What decoding program bodies costs: rpcscope with and without bodies, and
# tshark decoding the same bodies, on the same capture files. Prints a
# markdown table (docs/performance.md, "Program bodies").
#
#   read --format json FILE               bodies decoded (the default)
#   read --format json --no-bodies FILE   RPC headers only
#   stats FILE                            statuses only (what stats needs)
#   stats --no-bodies FILE
#   tshark -r FILE -Y rpc -T fields ...   the body fields of
#                                         captures/refs-bodies/make.sh, with
#                                         NFS name snooping
#
# Every command's output goes to /dev/null. Each file is read once first so
# it is in the page cache. Each command runs RUNS times (default 5; tshark
# TSHARK_RUNS, default 3) under /usr/bin/time; the table gives the median
# wall time and the median CPU time (user + system), which a machine shared
# with other work disturbs less.
#
# Usage: benches/bodies.sh FILE...   (uncompressed captures: gzip would be
# part of every figure)
# Needs tshark, GNU time (/usr/bin/time), python3, cargo.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
truns=${TSHARK_RUNS:-3}
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
(cd "$repo" && cargo build --release --quiet --bin rpcscope)
bin=$repo/target/release/rpcscope
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fields=(frame.number rpc.xid rpc.msgtyp rpc.program rpc.programversion rpc.procedure
    nfs.status nfs.nfsstat4 nfs.opcode nfs.main_opcode nfs.name nfs.pathname.component
    nfs.full_name nfs.fh.hash nfs.offset3 nfs.count3 nfs.offset4 nfs.count4
    mount.status mount.path nlm.stat
    portmap.prog portmap.version portmap.proto portmap.port portmap.uaddr
    portmap.rpcb.prog portmap.rpcb.version portmap.rpcb.netid portmap.rpcb.addr)
targs=(-Y rpc -T fields -E header=y -E separator=/t
    -o nfs.file_name_snooping:TRUE -o nfs.file_full_name_snooping:TRUE)
for f in "${fields[@]}"; do targs+=(-e "$f"); done

# measure N COMMAND...: prints "wall_median cpu_median" (seconds).
measure() {
    local n=$1
    shift
    : >"$tmp/t"
    for _ in $(seq "$n"); do
        /usr/bin/time -a -o "$tmp/t" -f '%e %U %S' "$@" >/dev/null 2>/dev/null
    done
    python3 -c '
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and l.split()[0][0].isdigit()]
wall = statistics.median(float(r[0]) for r in rows)
cpu = statistics.median(float(r[1]) + float(r[2]) for r in rows)
print(f"{wall:.3f} {cpu:.3f}")' "$tmp/t"
}

echo "| file | MB | frames | json | json --no-bodies | cost | stats | stats --no-bodies | tshark (body fields) | json vs tshark |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in "$@"; do
    name=$(basename "$f")
    cat "$f" >/dev/null
    opts=()
    case "$name" in
    nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap*) opts=(--disable-protocol dlep) ;;
    esac
    mb=$(python3 -c "import os,sys; print(f'{os.path.getsize(sys.argv[1])/1e6:.1f}')" "$f")
    frames=$("$bin" read --no-bodies --format json "$f" 2>/dev/null | tail -1 |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')
    read -r jw jc < <(measure "$runs" "$bin" read --format json "$f")
    read -r nw nc < <(measure "$runs" "$bin" read --format json --no-bodies "$f")
    read -r sw sc < <(measure "$runs" "$bin" stats "$f")
    read -r snw snc < <(measure "$runs" "$bin" stats --no-bodies "$f")
    read -r tw tc < <(measure "$truns" tshark -r "$f" "${opts[@]}" "${targs[@]}")
    python3 - "$name" "$mb" "$frames" "$jw" "$jc" "$nw" "$nc" "$sw" "$sc" "$snw" "$snc" "$tw" "$tc" <<'PY'
import sys
name, mb, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
jw, jc, nw, nc, sw, sc, snw, snc, tw, tc = map(float, sys.argv[4:])
cell = lambda w, c: f"{w:.2f} s ({c:.2f})"
cost = f"+{100 * (jc - nc) / nc:.0f}%" if nc > 0 else "-"
print(f"| {name} | {mb} | {frames:,} | {cell(jw, jc)} | {cell(nw, nc)} | {cost} | "
      f"{cell(sw, sc)} | {cell(snw, snc)} | {cell(tw, tc)} | {tc / max(jc, 0.005):.0f}x |")
PY
done
