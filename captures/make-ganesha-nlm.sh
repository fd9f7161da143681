#!/usr/bin/env bash
# Records captures/ganesha-nlm.pcap: NLM v4 locking and NSM against a real
# nfs-ganesha (VFS export, its NLM service) and a real rpc.statd, with a
# real rpcbind, on a private loopback (a fresh network namespace). The
# client is captures/nlm-session.py (hand-built calls: no NLM client runs
# here without a kernel mount); ganesha's own calls to rpc.statd (SM_MON
# when it grants the first lock) are in the capture too. Next to it:
# ganesha-nlm.truth.txt (what the servers answered, as the client printed
# it) and refs-bodies/ganesha-nlm.pcap.tsv (captures/refs-bodies/make.sh).
#
# Needs root, rpcbind, rpc.statd (nfs-common), nfs-ganesha +
# nfs-ganesha-vfs, python3, tcpdump, tshark.
# Usage: captures/make-ganesha-nlm.sh [OUTPUT.pcap]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/ganesha-nlm.pcap}")
. "$here/ganesha-netns.sh"
need_tools rpcbind rpcinfo rpc.statd ganesha.nfsd python3 tcpdump unshare timeout
netns_enter "$0" "$out"

export_dir=$NETNS_WORK/export
mkdir -p "$export_dir"
printf 'locked by rpcscope\n' > "$export_dir/lock.txt"
ganesha_start "$export_dir"
# rpc.statd with its state in the work directory (not the host's
# /var/lib/nfs), no reboot notifications.
mkdir -p "$NETNS_WORK/statd/sm" "$NETNS_WORK/statd/sm.bak"
rpc.statd -F -L -P "$NETNS_WORK/statd" </dev/null >/dev/null 2>&1 &
NETNS_PIDS+=($!)
for _ in $(seq 50); do rpcinfo -p 127.0.0.1 2>/dev/null | grep -q status && break; sleep 0.1; done
for _ in $(seq 50); do rpcinfo -p 127.0.0.1 2>/dev/null | grep -q nlockmgr && break; sleep 0.2; done

capture_start "$out"
timeout 60 python3 "$here/nlm-session.py" 127.0.0.1 /export lock.txt > "${out%.pcap}.truth.txt"
capture_stop
echo "wrote $out ($(stat -c %s "$out") bytes)" >&2
