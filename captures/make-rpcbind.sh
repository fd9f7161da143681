#!/usr/bin/env bash
# Records captures/rpcbind-rpcinfo.pcap: real libtirpc `rpcinfo` talking to a
# real `rpcbind`, over TCP and UDP, IPv4 and IPv6, on a private loopback
# (a fresh network namespace, so nothing else is on the wire).
#
# Needs root (unshare), rpcbind, rpcinfo (package rpcbind) and tcpdump.
# Usage: captures/make-rpcbind.sh [OUTPUT.pcap]
set -euo pipefail
out=$(realpath -m "${1:-$(dirname "$0")/rpcbind-rpcinfo.pcap}")
if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    exec env RPCSCOPE_IN_NETNS=1 unshare --net --mount --fork "$0" "$out"
fi
# Private /run so our rpcbind's socket and lock do not clash with the host's.
mount -t tmpfs tmpfs /run
mkdir -p /run/rpcbind
ip link set lo up
rpcbind -w -f </dev/null >/dev/null 2>&1 &
rpcbind_pid=$!
for _ in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
tcpdump -Z root -i lo -w "$out" -U -s 0 'port 111' </dev/null >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1
# The calls, in order. Each line is one rpcinfo run; see captures/README.md.
rpcinfo -p 127.0.0.1                    # portmap v2 DUMP over TCP
rpcinfo -s 127.0.0.1                    # rpcbind v4 DUMP (rpcb entries)
rpcinfo -T tcp 127.0.0.1 100000 2       # NULL over TCP (GETADDR, then NULL)
rpcinfo -T udp 127.0.0.1 100000 3       # NULL over UDP
rpcinfo -T tcp6 ::1 100000 4            # IPv6, rpcbind v4 NULL
rpcinfo -u 127.0.0.1 100000             # portmap: NULL to every version over UDP
rpcinfo -T tcp 127.0.0.1 100000 7 || true   # PROG_MISMATCH (versions 2-4)
rpcinfo -T udp 127.0.0.1 100099 1 || true   # unregistered program: GETADDR answers empty
sleep 1
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
kill "$rpcbind_pid"; wait "$rpcbind_pid" 2>/dev/null || true

# The independent reference: tshark's decode of the same file (see
# ../shared/captures/public/MANIFEST.md for the field list).
if command -v tshark >/dev/null; then
    tshark -r "$out" -Y rpc -T fields -E header=y -E separator=/t -e frame.number -e ip.src -e ip.dst \
        -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp -e rpc.program -e rpc.programversion \
        -e rpc.procedure -e rpc.replystat -e rpc.state_accept -e rpc.auth.flavor -e rpc.time \
        > "${out%.pcap}.tshark.tsv" 2>/dev/null
fi
echo "wrote $out"
