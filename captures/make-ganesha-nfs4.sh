#!/usr/bin/env bash
# Records three small NFSv4 captures against a real nfs-ganesha (VFS export
# of a temporary directory) with a real rpcbind, on a private loopback (a
# fresh network namespace):
#   ganesha-nfs40.pcap  NFSv4.0 from real libnfs clients (nfs-ls, nfs-cat,
#                       and captures/libnfs-ops.py driving libnfs.so)
#   ganesha-nfs41.pcap  NFSv4.1 session, COMPOUNDs hand-built by
#                       captures/nfs4-session.py (no 4.1 client here)
#   ganesha-nfs42.pcap  NFSv4.2 session, the same plus 4.2 operations
# Next to each: NAME.truth.txt (what the client reported, then the server's
# tree), NAME.tshark.tsv (the RPC reference, MANIFEST.md fields) and
# NAME.tshark-nfs.tsv (tshark's per-operation NFS decode).
#
# Needs root, rpcbind, nfs-ganesha + nfs-ganesha-vfs, libnfs-utils, libnfs13,
# python3, tcpdump, tshark.
# Usage: captures/make-ganesha-nfs4.sh [OUTPUT_DIR]   (default: captures/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=$(realpath -m "${1:-$here}")
. "$here/ganesha-netns.sh"
need_tools rpcbind rpcinfo ganesha.nfsd nfs-ls nfs-cat python3 tcpdump tshark unshare timeout
netns_enter "$0" "$outdir"
mkdir -p "$outdir"

export_dir=$NETNS_WORK/export
mkdir -p "$export_dir/docs"
printf 'hello from rpcscope over NFSv4.0\n' > "$export_dir/docs/readme.txt"
ganesha_start "$export_dir"

ops=(timeout 60 python3 "$here/libnfs-ops.py" 127.0.0.1 /export)
nfs4=(timeout 60 python3 "$here/nfs4-session.py" 127.0.0.1)

# record NAME COMMAND...: one capture of the commands in the function
# session_NAME; their output is the ground truth.
record() {
    local name=$1 pcap=$outdir/$1.pcap truth=$outdir/$1.truth.txt
    capture_start "$pcap"
    "session_$name" > "$truth"
    capture_stop
    {
        echo "# server tree after the session (type size path):"
        (cd "$export_dir" && find . -mindepth 1 -printf '%y %s %p\n' | sort -k3)
    } >> "$truth"
    tshark -r "$pcap" -Y rpc -T fields -E header=y -E separator=/t -e frame.number -e ip.src \
        -e ip.dst -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp -e rpc.program \
        -e rpc.programversion -e rpc.procedure -e rpc.replystat -e rpc.state_accept \
        -e rpc.auth.flavor -e rpc.time > "$outdir/$name.tshark.tsv" 2>/dev/null
    tshark -r "$pcap" -Y nfs -T fields -E header=y -E separator=/t -e frame.number -e rpc.xid \
        -e rpc.msgtyp -e nfs.minorversion -e nfs.opcode -e nfs.status -e nfs.nfsstat4 \
        -e nfs.main_opcode -e nfs.name -e nfs.pathname.component -e nfs.fh.hash \
        -e nfs.offset4 -e nfs.count4 > "$outdir/$name.tshark-nfs.tsv" 2>/dev/null
    echo "wrote $pcap ($(stat -c %s "$pcap") bytes)" >&2
}

session_ganesha-nfs40() {
    echo "\$ nfs-ls nfs://127.0.0.1/export/docs?version=4"
    timeout 20 nfs-ls 'nfs://127.0.0.1/export/docs?version=4' </dev/null
    echo "\$ nfs-cat nfs://127.0.0.1/export/docs/readme.txt?version=4"
    timeout 20 nfs-cat 'nfs://127.0.0.1/export/docs/readme.txt?version=4' </dev/null
    echo "\$ libnfs-ops.py 127.0.0.1 /export 4 ..."
    "${ops[@]}" 4 mkdir:/dir40 write:/dir40/a.txt:hello-nfs40 ls:/dir40 stat:/dir40/a.txt \
        cat:/dir40/a.txt fill:/dir40/big.bin:20000 cat:/dir40/big.bin \
        rename:/dir40/a.txt:/dir40/b.txt missing:/dir40/a.txt stat:/dir40/b.txt \
        write:/dir40/gone.txt:bye rm:/dir40/gone.txt ls:/dir40 stat:/docs/readme.txt
}

session_ganesha-nfs41() {
    echo "\$ nfs4-session.py 127.0.0.1 1 /export"
    "${nfs4[@]}" 1 /export
}

session_ganesha-nfs42() {
    echo "\$ nfs4-session.py 127.0.0.1 2 /export"
    "${nfs4[@]}" 2 /export
}

for name in ganesha-nfs40 ganesha-nfs41 ganesha-nfs42; do
    record "$name"
done
