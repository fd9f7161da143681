#!/usr/bin/env bash
# Records captures/serve-call.pcap: `rpcscope call` (and a few hand-made
# datagrams) talking to `rpcscope serve`, over TCP and UDP, on a private
# loopback (a fresh network namespace, so nothing else is on the wire).
# Covers every reply state and a multi-fragment TCP record (a 32 KiB UPLOAD
# sent in 4 KiB record fragments). Also writes captures/serve-call.tshark.tsv
# with the tshark command of shared/captures/public/MANIFEST.md, with OPTS
# `-o rpc.dissect_unknown_programs:TRUE`: tshark otherwise shows calls to a
# program it does not know (rpcscope_test) as "Continuation data".
#
# Needs root (unshare), tcpdump, tshark, and a release build of rpcscope.
# Usage: captures/make-serve.sh [OUTPUT.pcap]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/serve-call.pcap}")
bin=${RPCSCOPE:-$here/../target/release/rpcscope}
if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    env RPCSCOPE_IN_NETNS=1 RPCSCOPE="$bin" unshare --net --mount --fork "$0" "$out"
    tsv="${out%.pcap}.tshark.tsv"
    tshark -r "$out" -o rpc.dissect_unknown_programs:TRUE -Y rpc -T fields -E header=y -E separator=/t -e frame.number -e ip.src \
        -e ip.dst -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp -e rpc.program \
        -e rpc.programversion -e rpc.procedure -e rpc.replystat -e rpc.state_accept \
        -e rpc.auth.flavor -e rpc.time >"$tsv"
    echo "wrote $out and $tsv"
    exit 0
fi
mount -t tmpfs tmpfs /run
ip link set lo up
"$bin" serve --listen 127.0.0.1 </dev/null >/dev/null 2>&1 &
serve_pid=$!
for _ in $(seq 50); do timeout 2 "$bin" call --port 111 127.0.0.1 100000 2 0 >/dev/null 2>&1 && break; sleep 0.1; done
tcpdump -i lo -w "$out" -U -s 0 'port 111' </dev/null >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1
c() { timeout 10 "$bin" call "$@" </dev/null >/dev/null || true; }
T=rpcscope_test
# The calls, in order, with their xids (see captures/README.md).
c --tcp --xid 0x1000 127.0.0.1 $T 1 NULL                 # GETPORT (tcp), then NULL
c --udp --xid 0x1100 --port 111 127.0.0.1 $T 1 NULL --count 2
c --tcp --xid 0x1200 --port 111 127.0.0.1 $T 1 ECHO --args-hex 0000000568656c6c6f000000
c --udp --xid 0x1300 --port 111 127.0.0.1 $T 1 SLEEP --args-hex 00000014
c --tcp --xid 0x1400 --port 111 127.0.0.1 $T 1 FAIL       # system_err
c --tcp --xid 0x1500 --port 111 127.0.0.1 $T 1 PUT --args-hex 000000016b00000000000002aabb0000   # auth_error(tooweak)
c --tcp --xid 0x1600 --port 111 --auth sys 127.0.0.1 $T 1 PUT --args-hex 000000016b00000000000002aabb0000
c --udp --xid 0x1700 --port 111 127.0.0.1 $T 1 GET --args-hex 000000016b000000
c --udp --xid 0x1800 --port 111 127.0.0.1 $T 1 LIST
# UPLOAD of 32 KiB over TCP in 4 KiB record fragments (9 fragments; the hex
# argument must stay under the 128 KiB limit of one exec argument).
upload=$(printf '00008000'; head -c 32768 /dev/zero | od -An -v -tx1 | tr -d ' \n' | tr 0 5)
c --tcp --xid 0x1900 --port 111 --max-fragment 4096 127.0.0.1 $T 1 UPLOAD --args-hex "$upload"
c --tcp --xid 0x1a00 --port 111 127.0.0.1 0x20000098 1 0  # prog_unavail
c --udp --xid 0x1b00 --port 111 127.0.0.1 $T 2 0          # prog_mismatch(1-1)
c --tcp --xid 0x1c00 --port 111 127.0.0.1 $T 1 99         # proc_unavail
c --udp --xid 0x1d00 --port 111 127.0.0.1 $T 1 ECHO --args-hex 00000064   # garbage_args
# Hand-made datagrams our client will not send: rpcvers 3 (rpc_mismatch) and
# an AUTH_SYS credential whose body does not decode (auth_error(badcred)).
hdr='\x00\x00\x1e\x00\x00\x00\x00\x00'
printf "$hdr"'\x00\x00\x00\x03\x20\x00\x00\x99\x00\x00\x00\x01\x00\x00\x00\x00''\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >/dev/udp/127.0.0.1/111
printf '\x00\x00\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x02\x20\x00\x00\x99\x00\x00\x00\x01\x00\x00\x00\x00''\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x07''\x00\x00\x00\x00\x00\x00\x00\x00' >/dev/udp/127.0.0.1/111
sleep 0.5
c --udp --xid 0x2000 127.0.0.1 $T 1 NULL --count 3 --concurrency 3   # GETPORT (udp), then 3 NULLs
sleep 1
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
