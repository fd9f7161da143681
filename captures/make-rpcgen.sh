#!/usr/bin/env bash
# Records captures/rpcgen-demo.pcap and its ground truth
# captures/rpcgen-demo.truth.jsonl: a real rpcgen client and server of the
# test program captures/rpcgen-demo/demo.x (libtirpc), with a real rpcbind,
# on a private loopback (a fresh network namespace). The client makes the
# same fixed sequence of calls over TCP and then over UDP and prints one
# JSON line per call (what it sent and what it got back), written by the
# hand-written printers of captures/rpcgen-demo/demo_json.c. Also writes
# the tshark view, captures/rpcgen-demo.tshark.tsv (the command of
# shared/captures/public/MANIFEST.md with `-o rpc.dissect_unknown_programs:TRUE`,
# as for serve-call: tshark does not know program 0x20000199, and `-d` for
# the server's ports).
#
# Needs root (unshare), rpcgen (rpcsvc-proto), a C compiler, libtirpc-dev,
# rpcbind, tcpdump; tshark for the .tsv (skipped when missing).
# Usage: captures/make-rpcgen.sh [OUTPUT.pcap]
#   writes OUTPUT.pcap, OUTPUT.truth.jsonl and OUTPUT.tshark.tsv
# or:    captures/make-rpcgen.sh --build DIR
#   only builds DIR/demo_server and DIR/demo_client (no root needed; the
#   tests that run the rpcgen peer build it so)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Build the client and the server from demo.x into the folder $1.
build_demo() {
    cp "$here"/rpcgen-demo/demo.x "$here"/rpcgen-demo/*.c "$here"/rpcgen-demo/*.h "$1"/
    (
        cd "$1"
        rpcgen -N demo.x  # demo.h, demo_xdr.c, demo_clnt.c, demo_svc.c
        cflags=(-O1 -Wall -Wno-unused-variable -I/usr/include/tirpc)
        ${CC:-cc} "${cflags[@]}" -o demo_server demo_server.c demo_svc.c demo_xdr.c -ltirpc
        ${CC:-cc} "${cflags[@]}" -o demo_client demo_client.c demo_clnt.c demo_xdr.c demo_json.c -ltirpc
    )
}

if [ "${1:-}" = --build ]; then
    mkdir -p "${2:?usage: $0 --build DIR}"
    build_demo "$2"
    exit 0
fi
out=$(realpath -m "${1:-$here/rpcgen-demo.pcap}")
truth="${out%.pcap}.truth.jsonl"
mkdir -p "$(dirname "$out")"
if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    build_demo "$build"
    env RPCSCOPE_IN_NETNS=1 RPCGEN_DEMO_BUILD="$build" unshare --net --mount --fork "$0" "$out"
    if command -v tshark >/dev/null; then
        # The server's ports are random and the client's reserved ports
        # (bindresvport, as root) may be another protocol's well-known port
        # (862 is TWAMP): tell tshark where RPC is.
        read -r tcp_port udp_port <"$build/ports"
        tshark -r "$out" -o rpc.dissect_unknown_programs:TRUE -d "tcp.port==$tcp_port,rpc" \
            -d "udp.port==$udp_port,rpc" -Y rpc -T fields -E header=y -E separator=/t \
            -e frame.number -e ip.src -e ip.dst -e tcp.srcport -e udp.srcport -e rpc.xid -e rpc.msgtyp \
            -e rpc.program -e rpc.programversion -e rpc.procedure -e rpc.replystat -e rpc.state_accept \
            -e rpc.auth.flavor -e rpc.time >"${out%.pcap}.tshark.tsv" 2>/dev/null
    fi
    echo "wrote $out and $truth ($(wc -l <"$truth") calls)"
    exit 0
fi
build=$RPCGEN_DEMO_BUILD
# Private /run so our rpcbind's socket and lock do not clash with the host's.
mount -t tmpfs tmpfs /run
mkdir -p /run/rpcbind
ip link set lo up
rpcbind -w -f </dev/null >/dev/null 2>&1 &
rpcbind_pid=$!
for _ in $(seq 50); do timeout 2 rpcinfo -p 127.0.0.1 </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
"$build/demo_server" </dev/null >/dev/null 2>"$build/server.err" &
server_pid=$!
# Wait for both versions over both transports (0x20000199 = 536871321).
for _ in $(seq 50); do
    [ "$(timeout 2 rpcinfo -p 127.0.0.1 </dev/null 2>/dev/null | grep -c '^ *536871321 ')" -ge 4 ] && break
    sleep 0.1
done
rpcinfo -p 127.0.0.1 </dev/null | awk '$1 == 536871321 { p[$3] = $4 } END { print p["tcp"], p["udp"] }' \
    >"$build/ports"
tcpdump -Z root -i lo -w "$out" -U -s 0 'tcp or udp' </dev/null >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1
status=0
timeout 60 "$build/demo_client" 127.0.0.1 </dev/null >"$truth" || status=$?
sleep 1
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
kill "$server_pid" "$rpcbind_pid" 2>/dev/null || true
wait 2>/dev/null || true
if [ "$status" -ne 0 ]; then
    echo "demo_client failed (exit $status); server said: $(cat "$build/server.err")" >&2
    exit 1
fi
