#!/usr/bin/env python3
"""Decode every call and reply body of the public captures with the program
descriptions in src/programs/x/*.x, and report, per procedure, how many
bodies decode exactly (every byte used, every enum and union value known).

Development aid for the .x files (needs tshark; not part of the test suite):
tshark finds and reassembles the RPC messages, scripts/xdr.py walks them.

Usage: scripts/xdefs-vs-captures.py [CAPTURE ...]   (default: ../shared/captures/public/*)
       -v   print every failure, not only the first per procedure
Extra tshark options (e.g. `-d tcp.port==4000,rpc`) may be given in the
XDEFS_TSHARK_OPTS environment variable.
"""
import collections
import glob
import hashlib
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xdr  # noqa: E402

sys.setrecursionlimit(200000)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XDIR = os.path.join(ROOT, "src", "programs", "x")
CAPTURES = os.path.join(ROOT, "..", "shared", "captures", "public")

# tshark options the corpus MANIFEST gives for files whose RPC traffic tshark
# would otherwise miss.
OPTS = {
    "nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz": ["--disable-protocol", "dlep"],
    "nfstrace-eth-ipv4-udp-nfsv3-dup-retransm.pcap": ["--disable-heuristic", "dns_udp"],
    "tcpdump-nfs-write-verf-cookie.pcapng": ["-d", "tcp.port==993,rpc"],
    "tcpdump-nfs-seg-fault-1.pcapng": ["-o", "tcp.desegment_tcp_streams:FALSE"],
}


def load_programs():
    table = {}
    for path in sorted(glob.glob(os.path.join(XDIR, "*.x"))):
        schema = xdr.Schema(open(path).read())
        for _, num, versions in schema.programs:
            for _, vnum, procs in versions:
                table[(num, vnum)] = (schema, {p[1]: p for p in procs}, os.path.basename(path))
    return table


def plausible_start(data):
    """Does a TCP segment start with a record mark and an RPC header?"""
    if len(data) < 12:
        return False
    mark, _, mtype = struct.unpack(">III", data[:12])
    return 8 <= (mark & 0x7FFFFFFF) <= (1 << 26) and mtype in (0, 1)


class Direction:
    """One direction of one TCP connection: bytes in sequence order, cut
    into records. A gap drops the buffer until a segment starts with what
    looks like a record mark."""

    def __init__(self):
        self.next_seq = None
        self.buf = b""
        self.frags = []
        self.lost = False

    def push(self, seq, data):
        out = []
        if self.next_seq is not None and seq < self.next_seq:
            skip = self.next_seq - seq  # retransmission or overlap
            if skip >= len(data):
                return out
            data, seq = data[skip:], self.next_seq
        if self.next_seq is not None and seq > self.next_seq:
            self.buf, self.frags, self.lost = b"", [], True
        if self.next_seq is None and not plausible_start(data):
            self.lost = True  # the capture starts mid-stream
        if self.lost:
            if not plausible_start(data):
                self.next_seq = seq + len(data)
                return out
            self.lost = False
        self.next_seq = seq + len(data)
        self.buf += data
        while len(self.buf) >= 4:
            mark = struct.unpack(">I", self.buf[:4])[0]
            n = mark & 0x7FFFFFFF
            if len(self.buf) < 4 + n:
                break
            self.frags.append(self.buf[4:4 + n])
            self.buf = self.buf[4 + n:]
            if mark & 0x80000000:
                out.append(b"".join(self.frags))
                self.frags = []
        return out


def parse_msg(m):
    """(xid, 'call', (prog, vers, proc), body) or (xid, 'reply', None, body) or None."""
    try:
        xid, mtype = struct.unpack(">II", m[:8])
        if mtype == 0:
            rpcvers, prog, vers, proc = struct.unpack(">IIII", m[8:24])
            if rpcvers != 2:
                return None
            off = 24
            flavor, n = struct.unpack(">II", m[off:off + 8])
            cred = m[off + 8:off + 8 + n]
            off += 8 + n + (-n % 4)
            _, n = struct.unpack(">II", m[off:off + 8])
            off += 8 + n + (-n % 4)
            if flavor == 6:  # RPCSEC_GSS: only gss_proc DATA with service none is plain
                _, gproc, _, service = struct.unpack(">IIII", cred[:16])
                if gproc != 0 or service != 1:
                    return (xid, "skip", None, None)
            return (xid, "call", (prog, vers, proc), m[off:])
        if mtype == 1:
            (stat,) = struct.unpack(">I", m[8:12])
            if stat != 0:
                return (xid, "skip", None, None)
            _, n = struct.unpack(">II", m[12:20])
            off = 20 + n + (-n % 4)
            (accept,) = struct.unpack(">I", m[off:off + 4])
            if accept != 0:
                return (xid, "skip", None, None)
            return (xid, "reply", None, m[off + 4:])
    except struct.error:
        return None
    return None


def tshark_messages(path):
    opts = OPTS.get(os.path.basename(path), []) + os.environ.get("XDEFS_TSHARK_OPTS", "").split()
    cmd = ["tshark", "-r", path] + opts + [
        "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "tcp.relative_sequence_numbers:TRUE",
        "-Y", "tcp.len > 0 or udp.payload", "-T", "fields", "-E", "separator=/t",
        "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.seq",
        "-e", "tcp.payload", "-e", "udp.payload", "-e", "frame.len", "-e", "frame.cap_len"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    dirs = collections.defaultdict(Direction)
    for line in proc.stdout:
        cols = line.rstrip("\n").split("\t") + [""] * 8
        frame, stream, sport, seq, tcp, udp, flen, clen = cols[:8]
        cut = flen != clen
        if udp:
            msgs = [bytes.fromhex(udp.split(",")[0].replace(":", ""))]
        elif tcp and stream and seq:
            msgs = dirs[(stream, sport)].push(int(seq.split(",")[0]), bytes.fromhex(tcp.replace(":", "")))
        else:
            continue
        for m in msgs:
            p = parse_msg(m)
            if p:
                yield frame, stream, cut, p
    proc.wait()


def fattr4_values(schema, value):
    """Decode the attribute values of every fattr4 in a decoded body (NFSv4:
    attr_vals holds one fattr4_<name> per bit of attrmask). Returns the
    number of attributes decoded; raises XdrError on the first that does
    not decode."""
    names = {v: "fattr4_" + k[len("FATTR4_"):].lower()
             for k, v in schema.consts.items() if k.startswith("FATTR4_")}
    count = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if set(v) == {"attrmask", "attr_vals"}:
                data = bytes.fromhex(v["attr_vals"])
                off = 0
                for word, bits in enumerate(v["attrmask"]):
                    for bit in range(32):
                        if bits & (1 << bit):
                            num = word * 32 + bit
                            if num not in names:
                                raise xdr.XdrError(f"attribute {num} has no type")
                            try:
                                _, off = schema.decode(("ref", names[num]), data, off)
                            except xdr.XdrError as e:
                                raise xdr.XdrError(f"attribute {num} ({names[num]}): {e}")
                            count += 1
                if off != len(data):
                    raise xdr.XdrError(f"attr_vals: {len(data) - off} bytes left over")
            else:
                stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return count


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    files = args or sorted(glob.glob(os.path.join(CAPTURES, "*.pcap*")) + glob.glob(os.path.join(CAPTURES, "*.snoop")))
    table = load_programs()
    stats = collections.OrderedDict()
    failures = 0
    for path in files:
        calls = {}
        for frame, stream, cut, (xid, kind, key, body) in tshark_messages(path):
            if kind == "skip":
                calls.pop(xid, None)
                continue
            if kind == "call":
                calls[xid] = key
                which = "args"
            else:
                key = calls.pop(xid, None)
                if key is None:
                    continue
                which = "res"
            prog, vers, proc = key
            entry = table.get((prog, vers))
            if entry is None:
                continue
            schema, procs, fname = entry
            if proc not in procs:
                continue
            name, _, argtys, resty = procs[proc]
            tys = argtys if which == "args" else [resty]
            label = f"{fname} {prog}/v{vers} {name} {which}"
            st = stats.setdefault(label, {"ok": 0, "cut": 0, "fail": 0, "first": None})
            try:
                off = 0
                for ty in tys:
                    value, off = schema.decode(ty, body, off)
                    if "fattr4" in schema.types:
                        st["attrs"] = st.get("attrs", 0) + fattr4_values(schema, value)
                if off != len(body):
                    raise xdr.XdrError(f"{len(body) - off} bytes left over of {len(body)}")
                st["ok"] += 1
            except (xdr.XdrError, KeyError) as e:
                if cut:
                    st["cut"] += 1
                    continue
                st["fail"] += 1
                failures += 1
                where = f"{os.path.basename(path)} frame {frame}: {e}"
                if st["first"] is None:
                    st["first"] = where
                if verbose:
                    print("  FAIL", label, where)
    for label, st in stats.items():
        extra = f", {st['cut']} cut by snaplen" if st["cut"] else ""
        if st.get("attrs"):
            extra += f", {st['attrs']} fattr4 attribute values decoded"
        mark = "ok  " if not st["fail"] else "FAIL"
        print(f"{mark} {label}: {st['ok']} decoded{extra}" + (f", {st['fail']} failed (first: {st['first']})" if st["fail"] else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
