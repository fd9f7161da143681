#!/usr/bin/env bash
# Records captures/ganesha-nfs.pcap: real libnfs clients (nfs-ls, nfs-cat)
# against a real nfs-ganesha (VFS export of a small directory tree), with a
# real rpcbind, on a private loopback (a fresh network namespace).
#
# Needs root, rpcbind, nfs-ganesha + nfs-ganesha-vfs, libnfs-utils, tcpdump.
# Usage: captures/make-ganesha.sh [OUTPUT.pcap]
set -euo pipefail
out=$(realpath -m "${1:-$(dirname "$0")/ganesha-nfs.pcap}")
if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    exec env RPCSCOPE_IN_NETNS=1 unshare --net --mount --fork "$0" "$out"
fi
mount -t tmpfs tmpfs /run
mkdir -p /run/rpcbind /run/ganesha
ip link set lo up
work=$(mktemp -d)
mkdir -p "$work/export/dir"
printf 'hello from rpcscope\n' > "$work/export/hello.txt"
head -c 200000 /dev/zero | tr '\0' 'x' > "$work/export/dir/big.txt"
cat > "$work/ganesha.conf" <<CONF
NFS_CORE_PARAM { Protocols = 3, 4; Mount_Path_Pseudo = true; }
NFS_KRB5 { Active_krb5 = false; }
NFSV4 { Graceless = true; }
EXPORT {
    Export_Id = 1; Path = "$work/export"; Pseudo = "/export";
    Access_Type = RW; Squash = No_Root_Squash; SecType = sys; Protocols = 3, 4;
    FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
CONF
rpcbind -w -f </dev/null >/dev/null 2>&1 &
rpcbind_pid=$!
for _ in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
ganesha.nfsd -F -f "$work/ganesha.conf" -L "$work/ganesha.log" -p "$work/ganesha.pid" </dev/null >/dev/null 2>&1 &
ganesha_pid=$!
for _ in $(seq 100); do rpcinfo -p 127.0.0.1 2>/dev/null | grep -q nfs && break; sleep 0.2; done
sleep 1
tcpdump -Z root -i lo -w "$out" -U -s 0 'tcp or udp' </dev/null >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1
timeout 20 nfs-ls 'nfs://127.0.0.1/export?version=3' </dev/null || true
timeout 20 nfs-cat 'nfs://127.0.0.1/export/hello.txt?version=3' </dev/null >/dev/null || true
timeout 20 nfs-ls 'nfs://127.0.0.1/export/dir?version=4' </dev/null || true
timeout 20 nfs-cat 'nfs://127.0.0.1/export/dir/big.txt?version=4' </dev/null >/dev/null || true
sleep 1
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
kill "$ganesha_pid" "$rpcbind_pid" 2>/dev/null || true
wait 2>/dev/null || true
rm -rf "$work"
if command -v tshark >/dev/null; then
    tshark -r "$out" -Y rpc -T fields -E header=y -E separator=/t -e frame.number -e ip.src -e ip.dst \
        -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp -e rpc.program -e rpc.programversion \
        -e rpc.procedure -e rpc.replystat -e rpc.state_accept -e rpc.auth.flavor -e rpc.time \
        > "${out%.pcap}.tshark.tsv" 2>/dev/null
fi
echo "wrote $out"
