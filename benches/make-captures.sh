#!/usr/bin/env bash
# Builds the large benchmark captures of docs/performance.md ("Large
# captures from real peers") on this machine, into OUTDIR (default
# target/bench-captures/, never committed):
#
#   bulk.pcap      >= 400 MB of bulk NFS READ/WRITE: libnfs `nfs-cp` of large
#                  files both ways over NFSv3, downloads over NFSv4.0, and
#                  NFSv4.0 uploads through captures/libnfs-ops.py (libnfs 4.0
#                  cannot send an NFSv4 WRITE of 4000 bytes or more, so
#                  `nfs-cp` to an NFSv4 URL fails; see captures/README.md).
#   meta.pcap      >= 900k frames of small metadata calls: in each round, four
#                  libnfs clients in parallel (two NFSv3, two NFSv4.0) each
#                  create, list, stat, read, rename and remove many small
#                  files, while `nfs-ls -R` walks a 2,000-file tree over v3
#                  and v4 and `nfs-cat` reads a few files.
#   synth-5g.pcap  a synthetic 5 GB NFSv3 capture (examples/synth_capture.rs,
#                  from benches/synth.rs): 32 KiB WRITEs on 16 connections,
#                  each followed by 8 GETATTRs, well-formed bodies.
#
# The real ones come from nfs-ganesha (VFS export) and rpcbind in a private
# network namespace (captures/ganesha-netns.sh), captured by tcpdump on its
# loopback, whose MTU is set to 1500 there with TCP segmentation offloads
# off, so frames are Ethernet-sized. Then it prints, per file: size, frames, and calls per
# program/version (from `rpcscope stats`).
#
# Needs root, rpcbind, nfs-ganesha + nfs-ganesha-vfs, libnfs-utils, libnfs13,
# python3, tcpdump, capinfos (tshark's package), ethtool, cargo. Takes ~10 minutes
# and ~6.5 GB of disk.
# Usage: benches/make-captures.sh [OUTDIR]
# Environment: ONLY="bulk meta synth" (a subset), BULK_MB=420,
#   META_FRAMES=950000, SYNTH_MB=5000, LO_MTU=1500 (the loopback's MTU in the
#   namespace).
set -euo pipefail
# The whole script is one block, so bash reads it all before running it
# (editing the file while it runs cannot change what runs).
{
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/target/bench-captures}")
only=${ONLY:-bulk meta synth}
bulk_mb=${BULK_MB:-420}
meta_frames=${META_FRAMES:-950000}
synth_mb=${SYNTH_MB:-5000}
rpcscope=$repo/target/release/rpcscope
. "$repo/captures/ganesha-netns.sh"

wants() { [[ " $only " == *" $1 "* ]]; }

frames_of() {
    capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'
}

# describe FILE: size, frames, and calls per program/version.
describe() {
    local f=$1
    echo "== $(basename "$f"): $(stat -c %s "$f") bytes ($(($(stat -c %s "$f") / 1000000)) MB)," \
        "$(frames_of "$f") frames"
    "$rpcscope" stats "$f" 2>&1 | awk '
        NR == 1 { next }
        /^rpcscope:/ { print "   " $0; next }
        $1 != "-" && NF > 4 { calls[$1 " v" $2] += $4 }
        END { for (k in calls) printf "   %-16s %9d calls\n", k, calls[k] }'
}

if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    need_tools rpcbind rpcinfo ganesha.nfsd nfs-ls nfs-cat nfs-cp python3 tcpdump capinfos \
        cargo unshare timeout ethtool
    [ "$(id -u)" = 0 ] || { echo "error: $0 needs root (unshare, rpcbind, ganesha, tcpdump)" >&2; exit 2; }
    (cd "$repo" && cargo build --release --quiet --bin rpcscope --example synth_capture)
    mkdir -p "$out"
    if wants bulk || wants meta; then
        # The real captures, inside a fresh network namespace (this script again).
        RPCSCOPE_IN_NETNS=1 ONLY="$only" unshare --net --mount --fork "$0" "$out"
    fi
    if wants synth; then
        echo "making synth-5g.pcap ($synth_mb MB)..." >&2
        rm -f "$out/synth-5g.pcap"
        timeout 1800 "$repo/target/release/examples/synth_capture" "$out/synth-5g.pcap" "$synth_mb" 8
    fi
    for f in bulk meta synth-5g; do
        [ -e "$out/$f.pcap" ] && describe "$out/$f.pcap"
    done
    exit 0
fi

# Inside the namespace from here on.
netns_enter "$0" "$out"
# Ethernet-sized segments, as on a real network: lo's default MTU of 65536,
# and its segmentation offloads (tcpdump sees the unsegmented super-packets),
# would put up to 64 KiB of READ data in one frame.
ip link set lo mtu "${LO_MTU:-1500}"
ethtool -K lo tso off gso off gro off
export_dir=$NETNS_WORK/export
mkdir -p "$export_dir"
ganesha_start "$export_dir"
ops=(python3 "$repo/captures/libnfs-ops.py" 127.0.0.1 /export)
url=nfs://127.0.0.1/export

if wants bulk; then
    echo "making bulk.pcap (>= $bulk_mb MB)..." >&2
    head -c 48000000 /dev/urandom > "$NETNS_WORK/up.bin"
    cp "$NETNS_WORK/up.bin" "$export_dir/src.bin"
    rm -f "$out/bulk.pcap"
    capture_start "$out/bulk.pcap" 0 262144
    for round in $(seq 12); do
        rm -f "$NETNS_WORK/down3.bin" "$NETNS_WORK/down4.bin"  # nfs-cp will not overwrite
        timeout 300 nfs-cp "$NETNS_WORK/up.bin" "$url/up3-$round.bin?version=3" </dev/null >/dev/null
        timeout 300 nfs-cp "$url/up3-$round.bin?version=3" "$NETNS_WORK/down3.bin" </dev/null >/dev/null
        timeout 300 nfs-cp "$url/src.bin?version=4" "$NETNS_WORK/down4.bin" </dev/null >/dev/null
        timeout 300 "${ops[@]}" 4 "fill:/up4-$round.bin:2000000" </dev/null >/dev/null
        cmp -s "$NETNS_WORK/down3.bin" "$NETNS_WORK/up.bin" || { echo "error: v3 copy differs" >&2; exit 1; }
        cmp -s "$NETNS_WORK/down4.bin" "$NETNS_WORK/up.bin" || { echo "error: v4 copy differs" >&2; exit 1; }
        rm -f "$export_dir"/up3-*.bin "$export_dir"/up4-*.bin
        size=$(stat -c %s "$out/bulk.pcap")
        echo "  round $round: $((size / 1000000)) MB" >&2
        [ "$size" -ge $((bulk_mb * 1000000)) ] && break
        [ "$round" = 12 ] && { echo "error: bulk.pcap still under $bulk_mb MB after 12 rounds" >&2; exit 1; }
    done
    capture_stop
fi

if wants meta; then
    echo "making meta.pcap (>= $meta_frames frames)..." >&2
    # A tree for nfs-ls -R and nfs-cat, made on the server's side.
    for d in $(seq -w 20); do
        mkdir -p "$export_dir/tree/d$d"
        for f in $(seq 100); do printf 'file %s/%s\n' "$d" "$f" > "$export_dir/tree/d$d/f$f.txt"; done
    done
    rm -f "$out/meta.pcap"
    capture_start "$out/meta.pcap" 0 262144
    for round in $(seq 30); do
        pids=()
        for c in 1 2; do
            timeout 600 "${ops[@]}" 3 "meta:/m3-$round-$c:1000:512" </dev/null >/dev/null & pids+=($!)
            timeout 600 "${ops[@]}" 4 "meta:/m4-$round-$c:1000:512" </dev/null >/dev/null & pids+=($!)
        done
        timeout 600 nfs-ls -R "$url/tree?version=3" </dev/null >/dev/null & pids+=($!)
        timeout 600 nfs-ls -R "$url/tree?version=4" </dev/null >/dev/null & pids+=($!)
        for d in 01 07 13; do
            timeout 60 nfs-cat "$url/tree/d$d/f1.txt?version=3" </dev/null >/dev/null
            timeout 60 nfs-cat "$url/tree/d$d/f2.txt?version=4" </dev/null >/dev/null
        done
        for p in "${pids[@]}"; do
            wait "$p" || { echo "error: a metadata client failed (round $round)" >&2; exit 1; }
        done
        n=$(frames_of "$out/meta.pcap")
        echo "  round $round: ${n:-?} frames" >&2
        [ "${n:-0}" -ge "$meta_frames" ] && break
        [ "$round" = 30 ] && { echo "error: meta.pcap still under $meta_frames frames" >&2; exit 1; }
    done
    capture_stop
fi
exit
}
