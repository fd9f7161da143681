#!/usr/bin/env bash
# Regenerates captures/refs-nfs4/: tshark's per-operation decode of NFSv4
# COMPOUNDs (and callbacks) in the public captures that carry NFSv4
# (../shared/captures/public), one TSV per capture, named after it. Unlike
# captures/refs-bodies/, file name snooping is OFF, so `nfs.name` holds
# only names that are in the message (READDIR entries). Outputs larger than
# 256 KiB are gzipped (`gzip -9 -n`). tests/nfs4_tshark.rs reads them; see
# captures/README.md for the fields.
#
# Needs tshark (the references were made with TShark 4.0.17, Debian 12).
# Usage: captures/refs-nfs4/make.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
captures=$(dirname "$here")
public=$(dirname "$captures")/../shared/captures/public
command -v tshark >/dev/null || { echo "error: tshark is not installed" >&2; exit 2; }
[ -d "$public" ] || { echo "error: $public is absent" >&2; exit 2; }

fields=(frame.number rpc.xid rpc.msgtyp rpc.program rpc.programversion rpc.procedure
    nfs.minorversion nfs.opcode nfs.nfsstat4 nfs.main_opcode nfs.name
    nfs.pathname.component nfs.fh.hash nfs.cb.operation)

# The options of ../shared/captures/public/MANIFEST.md.
opts_for() {
    case "$1" in
    nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz) echo "--disable-protocol dlep" ;;
    esac
}

args=(-Y rpc -T fields -E header=y -E separator=/t)
for f in "${fields[@]}"; do args+=(-e "$f"); done

for name in nfstrace-eth-ipv4-tcp-nfsv4.pcap.gz nfstrace-eth-ipv4-tcp-nfsv41.pcap \
    nfstrace-eth-ipv4-tcp-nfsv4-incorrect_mount.pcap nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz \
    suricata-verify-nfs4-01-input.pcap; do
    out=$here/$name.tsv
    rm -f "$out" "$out.gz"
    # shellcheck disable=SC2046 # the options are words
    tshark -r "$public/$name" $(opts_for "$name") "${args[@]}" > "$out" 2>/dev/null
    if [ "$(stat -c %s "$out")" -gt 262144 ]; then
        gzip -9 -n "$out"
        out=$out.gz
    fi
    echo "$(basename "$out"): $(stat -c %s "$out") bytes"
done
