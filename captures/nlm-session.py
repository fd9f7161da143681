#!/usr/bin/env python3
"""A hand-built NLM v4 and NSM session (X/Open XNFS chapters 10-11, RFC 1813
section 6) against a real nfs-ganesha and a real rpc.statd.

No client on this machine speaks NLM without a kernel mount, so this script
encodes the calls itself (stdlib Python, AUTH_SYS) and sends them to the
real servers: the replies are theirs. It prints each call and what the
server answered: the capture's ground truth.

Usage: nlm-session.py SERVER EXPORT FILE
  MOUNT v3 MNT EXPORT and NFSv3 LOOKUP FILE give the file's handle; then
  over NLM v4 (UDP, then TCP): NULL; TEST (free: granted); LOCK (owner 1,
  exclusive, bytes 0-99: granted; ganesha asks rpc.statd to monitor us,
  SM_MON); TEST by owner 2 (denied, with owner 1 as holder); LOCK by owner 2
  without blocking (denied); CANCEL by owner 2; UNLOCK by owner 1 (granted);
  a shared LOCK and UNLOCK by owner 2; SHARE and UNSHARE; and NLM v1 TEST
  and v3 NULL (ganesha serves version 4 only: PROG_MISMATCH). FREE_ALL is
  not sent: nfs-ganesha 4.3 crashes on it (a segmentation fault). Then NSM to rpc.statd: NULL, SM_STAT for
  `localhost` and SM_UNMON_ALL.
"""

import random
import socket
import struct
import sys

PMAP, NFS, MOUNT, NLM, NSM = 100000, 100003, 100005, 100021, 100024
NLM4_STATS = {0: "NLM4_GRANTED", 1: "NLM4_DENIED", 2: "NLM4_DENIED_NOLOCKS",
              3: "NLM4_BLOCKED", 4: "NLM4_DENIED_GRACE_PERIOD", 5: "NLM4_DEADLCK",
              6: "NLM4_ROFS", 7: "NLM4_STALE_FH", 8: "NLM4_FBIG", 9: "NLM4_FAILED"}


class Enc:
    def __init__(self):
        self.b = bytearray()

    def u32(self, v):
        self.b += struct.pack(">I", v)
        return self

    def u64(self, v):
        self.b += struct.pack(">Q", v)
        return self

    def opaque(self, data):
        self.u32(len(data))
        self.b += data + b"\0" * (-len(data) % 4)
        return self


class Dec:
    def __init__(self, data):
        self.d, self.o = data, 0

    def u32(self):
        v = struct.unpack_from(">I", self.d, self.o)[0]
        self.o += 4
        return v

    def u64(self):
        v = struct.unpack_from(">Q", self.d, self.o)[0]
        self.o += 8
        return v

    def opaque(self):
        n = self.u32()
        v = self.d[self.o:self.o + n]
        self.o += n + (-n % 4)
        return v


class Client:
    """One RPC client: AUTH_SYS (uid 0, machine `nlmclient`), UDP or TCP."""

    def __init__(self, host, port, tcp):
        self.tcp = tcp
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        self.s.settimeout(5)
        self.s.connect((host, port))
        self.xid = random.randrange(1 << 30)

    def call(self, prog, vers, proc, args=b""):
        self.xid += 1
        cred = Enc().u32(0).opaque(b"nlmclient").u32(0).u32(0).u32(0).b
        msg = (Enc().u32(self.xid).u32(0).u32(2).u32(prog).u32(vers).u32(proc)
               .u32(1).opaque(cred).u32(0).u32(0).b) + args
        if self.tcp:
            self.s.sendall(struct.pack(">I", 0x80000000 | len(msg)) + msg)
            data = b""
            while True:
                mark = self._recv(4)
                n = struct.unpack(">I", mark)[0]
                data += self._recv(n & 0x7fffffff)
                if n & 0x80000000:
                    break
        else:
            self.s.send(msg)
            data = self.s.recv(65536)
        d = Dec(data)
        xid, mtype, rstat = d.u32(), d.u32(), d.u32()
        assert (xid, mtype) == (self.xid, 1), "not our reply"
        if rstat != 0:
            return None, "denied"
        d.u32()  # verifier flavor
        d.opaque()  # verifier body
        accept = d.u32()
        if accept != 0:
            return None, {1: "prog_unavail", 2: "prog_mismatch", 3: "proc_unavail",
                          4: "garbage_args"}.get(accept, str(accept))
        return d, "success"

    def _recv(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                raise EOFError("connection closed")
            b += chunk
        return b


def getport(host, prog, vers, prot):
    c = Client(host, 111, prot == 6)
    d, _ = c.call(PMAP, 2, 3, Enc().u32(prog).u32(vers).u32(prot).u32(0).b)
    return d.u32()


def lock(fh, owner, svid, offset=0, length=100):
    """nlm4_lock: caller_name, fh, oh, svid, l_offset, l_len."""
    return Enc().opaque(b"nlmclient").opaque(fh).opaque(owner).u32(svid).u64(offset).u64(length).b


def nlm4(c, label, proc, args, vers=4):
    d, st = c.call(NLM, vers, proc, args)
    if d is None:
        print(f"{label}: {st}")
        return
    if proc in (0, 23):  # NULL, FREE_ALL: void
        print(f"{label}: {st}")
        return
    cookie = d.opaque()
    stat = d.u32()
    extra = ""
    if proc in (1,) and stat == 1:  # TEST denied: the holder
        excl, svid, oh, off, ln = d.u32(), d.u32(), d.opaque(), d.u64(), d.u64()
        extra = f" holder exclusive={excl} svid={svid} oh={oh.decode()} offset={off} len={ln}"
    print(f"{label}: cookie={cookie.hex()} {NLM4_STATS.get(stat, stat)}{extra}")


def main():
    host, export, name = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
    mport = getport(host, MOUNT, 3, 6)
    m = Client(host, mport, True)
    d, _ = m.call(MOUNT, 3, 1, Enc().opaque(export).b)
    assert d.u32() == 0, "MNT failed"
    root = d.opaque()
    print(f"MNT {export.decode()}: MNT3_OK fh {root.hex()}")
    n = Client(host, getport(host, NFS, 3, 6), True)
    d, _ = n.call(NFS, 3, 3, Enc().opaque(root).opaque(name).b)
    assert d.u32() == 0, "LOOKUP failed"
    fh = d.opaque()
    print(f"LOOKUP {name.decode()}: NFS3_OK fh {fh.hex()}")

    for prot, tname in ((17, "udp"), (6, "tcp")):
        port = getport(host, NLM, 4, prot)
        c = Client(host, port, prot == 6)
        print(f"# NLM v4 over {tname}, port {port}")
        o1, o2 = f"owner-1-{tname}".encode(), f"owner-2-{tname}".encode()
        nlm4(c, "NULL", 0, b"")
        # nlm4_testargs: cookie, exclusive, lock.
        nlm4(c, "TEST owner 1", 1, Enc().opaque(b"c1").u32(1).b + lock(fh, o1, 101))
        # nlm4_lockargs: cookie, block, exclusive, lock, reclaim, state.
        nlm4(c, "LOCK owner 1", 2,
             Enc().opaque(b"c2").u32(0).u32(1).b + lock(fh, o1, 101) + Enc().u32(0).u32(3).b)
        nlm4(c, "TEST owner 2", 1, Enc().opaque(b"c3").u32(1).b + lock(fh, o2, 202))
        nlm4(c, "LOCK owner 2 (no block)", 2,
             Enc().opaque(b"c4").u32(0).u32(1).b + lock(fh, o2, 202) + Enc().u32(0).u32(3).b)
        # nlm4_cancargs: cookie, block, exclusive, lock.
        nlm4(c, "CANCEL owner 2", 3, Enc().opaque(b"c5").u32(0).u32(1).b + lock(fh, o2, 202))
        # nlm4_unlockargs: cookie, lock.
        nlm4(c, "UNLOCK owner 1", 4, Enc().opaque(b"c6").b + lock(fh, o1, 101))
        nlm4(c, "LOCK owner 2 shared", 2,
             Enc().opaque(b"c7").u32(0).u32(0).b + lock(fh, o2, 202, 50, 10) + Enc().u32(0).u32(3).b)
        nlm4(c, "UNLOCK owner 2", 4, Enc().opaque(b"c8").b + lock(fh, o2, 202, 50, 10))
        # nlm4_shareargs: cookie, share {caller_name, fh, oh, mode, access}, reclaim.
        share = Enc().opaque(b"nlmclient").opaque(fh).opaque(o1).u32(0).u32(1).b
        nlm4(c, "SHARE", 20, Enc().opaque(b"c9").b + share + Enc().u32(0).b)
        nlm4(c, "UNSHARE", 21, Enc().opaque(b"ca").b + share + Enc().u32(0).b)
        # FREE_ALL (23) is not sent: nfs-ganesha 4.3 crashes on it.
        # Version 1: nlm_testargs with 32-bit offsets.
        v1 = (Enc().opaque(b"c0").u32(1).opaque(b"nlmclient").opaque(fh).opaque(o1)
              .u32(101).u32(0).u32(100).b)
        nlm4(c, "NLM v1 TEST", 1, v1, vers=1)
        nlm4(c, "NLM v3 NULL", 0, b"", vers=3)

    sport = getport(host, NSM, 1, 17)
    s = Client(host, sport, False)
    print(f"# NSM over udp, port {sport}")
    d, st = s.call(NSM, 1, 0)
    print(f"SM_NULL: {st}")
    d, st = s.call(NSM, 1, 1, Enc().opaque(b"localhost").b)
    if d is not None:
        res, state = d.u32(), d.u32()
        print(f"SM_STAT localhost: res={res} state={state}")
    else:
        print(f"SM_STAT localhost: {st}")
    # my_id: my_name, my_prog, my_vers, my_proc.
    d, st = s.call(NSM, 1, 4, Enc().opaque(b"localhost").u32(NLM).u32(4).u32(16).b)
    if d is not None:
        print(f"SM_UNMON_ALL: state={d.u32()}")
    else:
        print(f"SM_UNMON_ALL: {st}")


if __name__ == "__main__":
    main()
