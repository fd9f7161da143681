#!/usr/bin/env bash
# Records captures/rpcbind-learned.pcap: a program whose port is known only
# from rpcbind. `rpcscope serve --register --port 40999` registers the
# rpcscope_test program with a real rpcbind (SET over port 111); real
# `rpcinfo` lists it (DUMP, GETADDR); `rpcscope call` asks rpcbind for the
# port (GETPORT) and calls the program there, over UDP and TCP. The capture
# keeps port 111 both ways but, from the program's port, only what the
# server sends (`src port 40999`): its replies, whose calls the capture
# never saw, as a one-way tap or a capture started late would. They are RPC
# only because rpcbind said so (tests/learned_ports.rs).
#
# Needs root (unshare), rpcbind, rpcinfo, tcpdump and a release build of
# rpcscope. Usage: captures/make-learned.sh [OUTPUT.pcap]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/rpcbind-learned.pcap}")
bin=${RPCSCOPE:-$here/../target/release/rpcscope}
if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    exec env RPCSCOPE_IN_NETNS=1 RPCSCOPE="$bin" unshare --net --mount --fork "$0" "$out"
fi
mount -t tmpfs tmpfs /run
mkdir -p /run/rpcbind
ip link set lo up
rpcbind -w -f </dev/null >/dev/null 2>&1 &
rpcbind_pid=$!
for _ in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
tcpdump -Z root -i lo -w "$out" -U -s 0 'port 111 or src port 40999' </dev/null >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1
"$bin" serve --register --port 40999 </dev/null >/dev/null 2>&1 &
serve_pid=$!
for _ in $(seq 50); do rpcinfo -p 127.0.0.1 2>/dev/null | grep -q 40999 && break; sleep 0.1; done
c() { timeout 10 "$bin" call "$@" </dev/null >/dev/null || true; }
T=rpcscope_test
rpcinfo -p 127.0.0.1 >/dev/null || true    # portmap v2 DUMP: lists port 40999
rpcinfo -T udp 127.0.0.1 536871065 1 >/dev/null || true   # GETADDR, then NULL (udp)
c --udp --xid 0x4000 127.0.0.1 $T 1 NULL --count 3           # GETPORT (udp), then 3 NULLs
c --udp --xid 0x4100 127.0.0.1 $T 1 ECHO --args-hex 0000000568656c6c6f000000
c --tcp --xid 0x4200 127.0.0.1 $T 1 NULL --count 2           # GETPORT (tcp), then 2 NULLs
sleep 0.5
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true   # UNSET on exit
sleep 0.5
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
kill "$rpcbind_pid"; wait "$rpcbind_pid" 2>/dev/null || true
echo "wrote $out"
