# Sourced by capture scripts (captures/make-ganesha-nfs4.sh,
# benches/make-captures.sh): a real rpcbind and nfs-ganesha (VFS export) on
# the loopback of a private network namespace, and tcpdump on that loopback.
#
# The caller re-execs itself under `unshare --net --mount --fork` first
# (netns_enter), so nothing else is on the wire and /run is private.
# Everything started here is stopped by netns_cleanup (an EXIT trap).

# Fails with a clear message when a tool is missing.
need_tools() {
    local missing=()
    for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "error: missing tools: ${missing[*]} (Debian 12: rpcbind nfs-ganesha nfs-ganesha-vfs" \
            "libnfs-utils libnfs13 tcpdump tshark python3 ethtool)" >&2
        exit 2
    fi
}

# netns_enter "$0" "$@": re-runs the calling script inside a fresh network
# and mount namespace, as root. Returns only inside the namespace.
netns_enter() {
    if [ "$(id -u)" != 0 ]; then
        echo "error: $1 needs root (unshare --net --mount, rpcbind, ganesha, tcpdump)" >&2
        exit 2
    fi
    if [ "${RPCSCOPE_IN_NETNS:-}" != 1 ]; then
        exec env RPCSCOPE_IN_NETNS=1 unshare --net --mount --fork "$@"
    fi
    # A private /run: our rpcbind and ganesha sockets, locks and pid files.
    mount -t tmpfs tmpfs /run
    mkdir -p /run/rpcbind /run/ganesha
    ip link set lo up
    NETNS_PIDS=()
    NETNS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/rpcscope-ganesha.XXXXXX")
    trap netns_cleanup EXIT
    trap 'exit 130' INT TERM
}

netns_cleanup() {
    local p
    for p in "${NETNS_PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    [ -n "${NETNS_WORK:-}" ] && rm -rf "$NETNS_WORK"
}

# ganesha_start EXPORT_DIR [EXTRA_NFSV4_SETTINGS]: rpcbind, then ganesha
# exporting EXPORT_DIR as /export (NFSv3 and NFSv4.0-4.2). Waits until NFS is
# registered with rpcbind (at most ~20 s).
ganesha_start() {
    local export_dir=$1 conf=$NETNS_WORK/ganesha.conf
    cat > "$conf" <<CONF
NFS_CORE_PARAM { Protocols = 3, 4; Mount_Path_Pseudo = true; }
NFS_KRB5 { Active_krb5 = false; }
NFSV4 { Graceless = true; Minor_Versions = 0, 1, 2; ${2:-} }
EXPORT {
    Export_Id = 1; Path = "$export_dir"; Pseudo = "/export";
    Access_Type = RW; Squash = No_Root_Squash; SecType = sys; Protocols = 3, 4;
    FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
CONF
    rpcbind -w -f </dev/null >/dev/null 2>&1 &
    NETNS_PIDS+=($!)
    local i
    for i in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
    ganesha.nfsd -F -f "$conf" -L "$NETNS_WORK/ganesha.log" -p "$NETNS_WORK/ganesha.pid" \
        </dev/null >/dev/null 2>&1 &
    NETNS_PIDS+=($!)
    for i in $(seq 100); do
        rpcinfo -p 127.0.0.1 2>/dev/null | grep -q nfs && break
        if [ "$i" = 100 ]; then
            echo "error: nfs-ganesha did not register NFS with rpcbind; its log:" >&2
            cat "$NETNS_WORK/ganesha.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    sleep 1
}

# capture_start OUT.pcap [SNAPLEN] [BUFFER_KIB]: tcpdump on lo, TCP and UDP.
capture_start() {
    tcpdump -Z root -i lo -w "$1" -U -s "${2:-0}" -B "${3:-65536}" 'tcp or udp' \
        </dev/null >"$NETNS_WORK/tcpdump.log" 2>&1 &
    CAPTURE_PID=$!
    NETNS_PIDS+=($CAPTURE_PID)
    sleep 1
}

# capture_stop: stops tcpdump and prints its packet/drop counts to stderr.
capture_stop() {
    sleep 1
    kill "$CAPTURE_PID" 2>/dev/null || true
    wait "$CAPTURE_PID" 2>/dev/null || true
    grep -E 'captured|dropped' "$NETNS_WORK/tcpdump.log" >&2 || true
}
