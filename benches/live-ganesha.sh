#!/usr/bin/env bash
# Kernel drops of `rpcscope live` during real NFS bulk copies at full
# loopback speed, with live's default options: a real rpcbind and
# nfs-ganesha (VFS export) on the loopback of a private network namespace
# (captures/ganesha-netns.sh), and libnfs clients (libnfs-utils) copying as
# fast as they go while `live -i lo` decodes: COPIES parallel `nfs-cp`
# uploads of a SIZE_MB file of random bytes (WRITE), then COPIES parallel
# `nfs-cat` reads of them to /dev/null (READ).
#
# Prints the bytes copied, the wall time and MB/s, the CPU time of live's
# threads, the kernel's counts (from live's summary, or tcpdump's), the
# exchanges live decoded (READ and WRITE among them) next to the READ and
# WRITE calls the clients must have made (from the sizes libnfs negotiated,
# nfs_get_readmax/nfs_get_writemax, and its 1 MiB copy buffer), and the
# load average before and after.
#
# Views: JSON Lines (default), STATS=1 the `--stats` view (as a JSON array,
# to count its READ/WRITE rows), TCPDUMP=1 `tcpdump -i lo -w /dev/null`
# instead of live, for reference (nothing decoded then).
#
# Usage: benches/live-ganesha.sh [RPCSCOPE_BINARY]   (default target/release/rpcscope)
# Environment: SIZE_MB per copy (default 1024), COPIES in parallel (default 2),
#   NFSVERS=3|4 (default 3; with 4 the files are put into the export
#   directly and only the reads go over NFSv4: libnfs 4.0's nfs-cp cannot
#   write 4000 bytes or more over NFSv4, see captures/libnfs-ops.py),
#   LO_MTU (e.g. 1500: that MTU on lo with segmentation offloads off, as
#   benches/make-captures.sh; default: lo left as it is, 64 KiB MTU and
#   offloaded super-frames), LIVE_ARGS (extra options for live).
# Needs root (unshare, capture), rpcbind, nfs-ganesha + nfs-ganesha-vfs,
# libnfs-utils, python3, tcpdump; (COPIES + 1) x SIZE_MB of disk in TMPDIR
# (the source file and the server's copies, removed at exit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The set-up helper (not followed by shellcheck):
# shellcheck disable=SC1091
. "$here/../captures/ganesha-netns.sh"

bin=$(realpath -m "${1:-target/release/rpcscope}")
if [ "${TCPDUMP:-0}" != 1 ] && [ ! -x "$bin" ]; then
    echo "error: $bin: no rpcscope binary there (cargo build --release, or give its path)" >&2
    exit 2
fi
size_mb=${SIZE_MB:-1024}
copies=${COPIES:-2}
vers=${NFSVERS:-3}
for v in "$size_mb" "$copies"; do
    [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "error: SIZE_MB and COPIES must be positive integers (got '$v')" >&2; exit 2; }
done
[[ "$vers" == 3 || "$vers" == 4 ]] || { echo "error: NFSVERS must be 3 or 4 (got '$vers')" >&2; exit 2; }
need_tools rpcbind rpcinfo ganesha.nfsd nfs-cp nfs-cat python3 tcpdump unshare timeout ip
[ -n "${LO_MTU:-}" ] && need_tools ethtool
netns_enter "$0" "$bin"

# Inside the namespace from here on (netns_cleanup stops what NETNS_PIDS
# lists and removes NETNS_WORK on exit).
need_mb=$(( (copies + 1) * size_mb + 64 ))
avail_mb=$(df -Pm "$NETNS_WORK" | awk 'NR == 2 {print $4}')
if [ "$avail_mb" -lt "$need_mb" ]; then
    echo "error: $NETNS_WORK: $avail_mb MB free, $need_mb MB needed (SIZE_MB x (COPIES + 1))" >&2
    exit 1
fi
if [ -n "${LO_MTU:-}" ]; then
    ip link set lo mtu "$LO_MTU"
    ethtool -K lo tso off gso off gro off >/dev/null
fi
export_dir=$NETNS_WORK/export
mkdir -p "$export_dir"
src=$NETNS_WORK/src.bin
head -c $((size_mb * 1048576)) /dev/urandom > "$src"
ganesha_start "$export_dir"
url=nfs://127.0.0.1/export
if [ "$vers" = 4 ]; then
    for i in $(seq "$copies"); do cp "$src" "$export_dir/copy-$i.bin"; done
    sync
fi

# The transfer sizes libnfs negotiates (v3: FSINFO rtmax/wtmax; v4: the
# maxread/maxwrite attributes), before the capture starts.
read -r readmax writemax < <(python3 - "$vers" <<'PY'
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library("nfs") or "libnfs.so.13")
lib.nfs_init_context.restype = ctypes.c_void_p
lib.nfs_get_error.restype = ctypes.c_char_p
lib.nfs_get_readmax.restype = lib.nfs_get_writemax.restype = ctypes.c_uint64
vp, cp = ctypes.c_void_p, ctypes.c_char_p
for f, args in (("nfs_set_version", [vp, ctypes.c_int]), ("nfs_mount", [vp, cp, cp]),
                ("nfs_get_readmax", [vp]), ("nfs_get_writemax", [vp]), ("nfs_get_error", [vp]),
                ("nfs_umount", [vp]), ("nfs_destroy_context", [vp])):
    getattr(lib, f).argtypes = args
nfs = lib.nfs_init_context()
if lib.nfs_set_version(nfs, int(sys.argv[1])) != 0 or lib.nfs_mount(nfs, b"127.0.0.1", b"/export") != 0:
    sys.exit("error: libnfs mount of 127.0.0.1:/export failed: %s" % lib.nfs_get_error(nfs).decode())
print(lib.nfs_get_readmax(nfs), lib.nfs_get_writemax(nfs))
lib.nfs_umount(nfs)
lib.nfs_destroy_context(nfs)
PY
)

out=$NETNS_WORK/live.out
err=$NETNS_WORK/live.err
if [ "${TCPDUMP:-0}" = 1 ]; then
    # The reference: tcpdump with its defaults, writing the packets away.
    mode="tcpdump -w /dev/null"
    tcpdump -i lo -w /dev/null </dev/null >/dev/null 2>"$err" &
elif [ "${STATS:-0}" = 1 ]; then
    mode="live --stats"
    # shellcheck disable=SC2086
    "$bin" live -i lo --stats --format json ${LIVE_ARGS:-} </dev/null >"$out" 2>"$err" &
else
    mode="live --format json"
    # shellcheck disable=SC2086
    "$bin" live -i lo --format json ${LIVE_ARGS:-} </dev/null >"$out" 2>"$err" &
fi
live=$!
NETNS_PIDS+=("$live")
for _ in $(seq 50); do
    grep -q "listening on" "$err" 2>/dev/null && break
    kill -0 "$live" 2>/dev/null || { echo "error: $mode ended at start:" >&2; cat "$err" >&2; exit 1; }
    sleep 0.1
done
sleep 0.5

# phase NAME COMMAND_TEMPLATE: COPIES clients in parallel (%i is the copy's
# number); fails with their messages if one of them fails.
phase() {
    local name=$1 tmpl=$2 i pids=() failed=0
    for i in $(seq "$copies"); do
        timeout 900 bash -c "${tmpl//%i/$i}" </dev/null >"$NETNS_WORK/$name-$i.log" 2>&1 &
        pids+=("$!")
        NETNS_PIDS+=("$!")
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            echo "error: $name $((i + 1)) failed:" >&2
            cat "$NETNS_WORK/$name-$((i + 1)).log" >&2
            failed=1
        fi
    done
    [ "$failed" = 0 ] || exit 1
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
if [ "$vers" = 3 ]; then
    phase write "nfs-cp '$src' '$url/copy-%i.bin?version=3'"
fi
t1=$(date +%s.%N)
phase read "nfs-cat '$url/copy-%i.bin?version=$vers' >/dev/null"
t2=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU time of live's threads (user+system, clock ticks) while the copies ran.
cpu=""
for t in /proc/"$live"/task/*; do
    cpu+=" $(cat "$t/comm" 2>/dev/null || echo '?')=$(awk '{printf "%.2f", ($14 + $15) / 100}' "$t/stat" 2>/dev/null || echo '?')s"
done
sleep 1
kill -INT "$live"
wait "$live" || true

# What reached the server is what was sent.
if [ "$vers" = 3 ]; then
    for i in $(seq "$copies"); do
        cmp -s "$src" "$export_dir/copy-$i.bin" || { echo "error: copy-$i.bin on the server differs from the source" >&2; exit 1; }
    done
fi

python3 - "$mode" "$vers" "$size_mb" "$copies" "$readmax" "$writemax" "$t0" "$t1" "$t2" \
    "$out" "$err" "$load_before" "$load_after" "$cpu" <<'PY'
import json, math, re, sys
(mode, vers, size_mb, copies, readmax, writemax, t0, t1, t2, out, err,
 load_before, load_after, cpu) = sys.argv[1:]
vers, size_mb, copies = int(vers), int(size_mb), int(copies)
readmax, writemax = int(readmax), int(writemax)
t0, t1, t2 = float(t0), float(t1), float(t2)
size = size_mb << 20
BUF = 1 << 20  # nfs-cp and nfs-cat move 1 MiB per nfs_pread/nfs_pwrite

def calls(rwmax):
    # libnfs splits each 1 MiB buffer into calls of at most rwmax bytes.
    # Its NFSv4 mount leaves rwmax at 0 and sends each buffer whole (a
    # short read makes the client ask again: then a minimum).
    rwmax = rwmax or BUF
    full, rest = divmod(size, BUF)
    return copies * (full * math.ceil(BUF / rwmax) + (math.ceil(rest / rwmax) if rest else 0))

expected = {"READ": calls(readmax), "WRITE": calls(writemax) if vers == 3 else 0}
wrote = copies * size if vers == 3 else 0
read = copies * size
mb = lambda b: b / 1e6
print(f"mode: {mode}, NFSv{vers}, {copies} copies of {size_mb} MiB "
      f"(rsize {readmax}, wsize {writemax})")
if wrote:
    print(f"write: {mb(wrote):.0f} MB in {t1 - t0:.2f} s ({mb(wrote) / (t1 - t0):.0f} MB/s)")
print(f"read:  {mb(read):.0f} MB in {t2 - t1:.2f} s ({mb(read) / (t2 - t1):.0f} MB/s)")
print(f"total: {mb(wrote + read):.0f} MB in {t2 - t0:.2f} s ({mb(wrote + read) / (t2 - t0):.0f} MB/s)")
print(f"load average: before {load_before}, after {load_after}")
errtext = open(err, errors="replace").read()
if mode.startswith("tcpdump"):
    rec = re.search(r"(\d+) packets received by filter", errtext)
    drop = re.search(r"(\d+) packets dropped by kernel", errtext)
    print(f"kernel: {rec.group(1) if rec else '?'} received, {drop.group(1) if drop else '?'} dropped")
    print(f"expected: READ {expected['READ']}, WRITE {expected['WRITE']} (tcpdump decodes nothing)")
    sys.exit(0)
print(f"live threads' CPU:{cpu}")
for line in errtext.splitlines():
    if "dropped" in line and "so far" in line:
        print(f"live said while running: {line}")
        break
counts = {"READ": 0, "WRITE": 0}
exchanges = 0
summary = None
if mode == "live --stats":
    m = re.search(r"(\d+) packets received by filter, (\d+) dropped by kernel", errtext)
    rec, drop = (m.group(1), m.group(2)) if m else ("?", "?")
    m = re.search(r"(\d+) frames in .*?(\d+) exchanges", errtext, re.S)
    frames, exchanges = (m.group(1), int(m.group(2))) if m else ("?", 0)
    with open(out) as f:
        for row in json.loads(f.read() or "[]"):
            name = row.get("procedure_name")
            op = row.get("operation")
            key = (op[3:] if isinstance(op, str) and op.startswith("OP_") else name)
            if key in counts:
                counts[key] += row.get("calls", 0)
else:
    with open(out) as f:
        for line in f:
            o = json.loads(line)
            t = o.get("type")
            if t == "exchange":
                exchanges += 1
                key = o.get("main_op") or ""
                key = key[3:] if key.startswith("OP_") else o.get("procedure_name")
                if key in counts:
                    counts[key] += 1
            elif t == "summary":
                summary = o
    s = summary or {}
    rec, drop, frames = s.get("packets_received", "?"), s.get("packets_dropped", "?"), s.get("frames", "?")
print(f"kernel: {rec} received, {drop} dropped; live decoded {frames} frames")
print(f"exchanges decoded: {exchanges}; READ {counts['READ']} of {expected['READ']} expected, "
      f"WRITE {counts['WRITE']} of {expected['WRITE']} expected")
PY
