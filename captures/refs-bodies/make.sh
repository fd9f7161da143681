#!/usr/bin/env bash
# Regenerates captures/refs-bodies/: tshark's decode of program BODIES (NFS
# v2/v3/v4 status, names, handles, offsets and counts; MOUNT, NLM, NSM,
# portmap and rpcbind fields) for each of the project's captures (captures/*.pcap)
# and each public capture (../shared/captures/public, when present), one TSV
# per capture, named after it. Outputs larger than 256 KiB are gzipped
# (`gzip -9 -n`, so the bytes do not depend on the time) to keep the
# directory small. See captures/README.md for the field list.
#
# Needs tshark (the references were made with TShark 4.0.17, Debian 12).
# Usage: captures/refs-bodies/make.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
captures=$(dirname "$here")
public=$(dirname "$captures")/../shared/captures/public
command -v tshark >/dev/null || { echo "error: tshark is not installed" >&2; exit 2; }

fields=(frame.number rpc.xid rpc.msgtyp rpc.program rpc.programversion rpc.procedure
    nfs.status nfs.nfsstat4 nfs.opcode nfs.main_opcode nfs.name nfs.pathname.component
    nfs.full_name nfs.fh.hash nfs.offset3 nfs.count3 nfs.offset4 nfs.count4
    mount.status mount.path nlm.stat
    portmap.prog portmap.version portmap.proto portmap.port portmap.uaddr
    portmap.rpcb.prog portmap.rpcb.version portmap.rpcb.netid portmap.rpcb.addr
    nlm.test_stat.stat nlm.lock.caller_name nlm.lock.svid nlm.lock.l_offset nlm.lock.l_len
    nlm.lock.l_offset64 nlm.lock.l_len64
    stat.name stat.mon_id.name stat.stat_res.res stat.stat_res.state stat.state)

# Per-file options: the same as ../shared/captures/public/MANIFEST.md (and
# captures/README.md for serve-call.pcap).
opts_for() {
    case "$1" in
    nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz) echo "--disable-protocol dlep" ;;
    nfstrace-eth-ipv4-udp-nfsv3-dup-retransm.pcap) echo "--disable-heuristic dns_udp" ;;
    tcpdump-nfs-write-verf-cookie.pcapng) echo "-d tcp.port==993,rpc" ;;
    tcpdump-nfs-seg-fault-1.pcapng) echo "-o tcp.desegment_tcp_streams:FALSE" ;;
    serve-call.pcap) echo "-o rpc.dissect_unknown_programs:TRUE" ;;
    esac
}

args=(-Y rpc -T fields -E header=y -E separator=/t
    -o nfs.file_name_snooping:TRUE -o nfs.file_full_name_snooping:TRUE)
for f in "${fields[@]}"; do args+=(-e "$f"); done

inputs=("$captures"/*.pcap)
if [ -d "$public" ]; then
    inputs+=("$public"/*.pcap "$public"/*.pcap.gz "$public"/*.pcapng "$public"/*.pcapng.gz "$public"/*.snoop)
else
    echo "note: $public is absent: only the project's own captures" >&2
fi
for f in "${inputs[@]}"; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    out=$here/$name.tsv
    rm -f "$out" "$out.gz"
    # shellcheck disable=SC2046 # the options are words
    tshark -r "$f" $(opts_for "$name") "${args[@]}" > "$out" 2>/dev/null
    if [ "$(stat -c %s "$out")" -gt 262144 ]; then
        gzip -9 -n "$out"
        out=$out.gz
    fi
    echo "$(basename "$out"): $(stat -c %s "$out") bytes"
done
