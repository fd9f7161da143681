#!/usr/bin/env python3
"""A hand-built NFSv4.1 / NFSv4.2 client session (RFC 8881, RFC 7862).

No client on this machine speaks NFSv4.1 or 4.2 (libnfs 4.0 sends
minorversion 0 only; the Linux kernel client needs mounts), so this script
builds the COMPOUNDs itself, byte by byte, and sends them to a real server
(nfs-ganesha) over TCP with AUTH_SYS. The server's answers are real; the
client side is this file. It prints what the server answered, which is the
capture's ground truth.

Usage: nfs4-session.py SERVER MINORVERSION EXPORT
  MINORVERSION 1: EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE, then
    SEQUENCE-led compounds: PUTROOTFH/LOOKUP/GETFH/GETATTR (mount),
    CREATE (a directory), OPEN (create) + WRITE + COMMIT + CLOSE, OPEN +
    READ + CLOSE, GETATTR, READDIR, SAVEFH/RENAME, a LOOKUP that fails with
    NFS4ERR_NOENT, REMOVE, DESTROY_SESSION, DESTROY_CLIENTID.
  MINORVERSION 2: the same session, plus the 4.2 operations ALLOCATE,
    SEEK, READ_PLUS, DEALLOCATE and the RFC 8276 extended attributes
    (SETXATTR, GETXATTR, LISTXATTRS, REMOVEXATTR); a failing 4.2 operation
    is printed with its status and the session goes on.
"""

import socket
import struct
import sys
import time

NFS4_OK, NFS4ERR_NOENT = 0, 2
OP = dict(ACCESS=3, CLOSE=4, COMMIT=5, CREATE=6, GETATTR=9, GETFH=10, LOOKUP=15, OPEN=18,
          PUTFH=22, PUTROOTFH=24, READ=25, READDIR=26, REMOVE=28, RENAME=29, SAVEFH=32,
          WRITE=38, EXCHANGE_ID=42, CREATE_SESSION=43, DESTROY_SESSION=44, SEQUENCE=53,
          DESTROY_CLIENTID=57, RECLAIM_COMPLETE=58, ALLOCATE=59, DEALLOCATE=62, READ_PLUS=68,
          SEEK=69, GETXATTR=72, SETXATTR=73, LISTXATTRS=74, REMOVEXATTR=75)
OPNAME = {v: k for k, v in OP.items()}
STATUS = {0: "NFS4_OK", 1: "NFS4ERR_PERM", 2: "NFS4ERR_NOENT", 10004: "NFS4ERR_NOTSUPP",
          10044: "NFS4ERR_OP_ILLEGAL", 10095: "NFS4ERR_NOXATTR", 22: "NFS4ERR_INVAL",
          10063: "NFS4ERR_SEQ_MISORDERED", 10013: "NFS4ERR_GRACE"}

# fattr4 bits: type 1, size 4, fileid 20 (word 0); mode 33 (word 1).
ATTR_TYPE_SIZE_FILEID_MODE = [(1 << 1) | (1 << 4) | (1 << 20), 1 << (33 - 32)]


class Enc:
    def __init__(self):
        self.b = bytearray()

    def u32(self, v):
        self.b += struct.pack(">I", v)
        return self

    def u64(self, v):
        self.b += struct.pack(">Q", v)
        return self

    def fixed(self, data):
        self.b += data + b"\0" * (-len(data) % 4)
        return self

    def opaque(self, data):
        return self.u32(len(data)).fixed(data)

    def bitmap(self, words):
        self.u32(len(words))
        for w in words:
            self.u32(w)
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

    def fixed(self, n):
        v = self.d[self.o:self.o + n]
        self.o += n + (-n % 4)
        return v

    def opaque(self):
        return self.fixed(self.u32())

    def bitmap(self):
        return [self.u32() for _ in range(self.u32())]


def skip_cinfo(d):
    d.u32(), d.u64(), d.u64()


def skip_channel_attrs(d):
    for _ in range(6):
        d.u32()
    for _ in range(d.u32()):
        d.u32()


def parse_result(op, d):
    """Decodes the body of one successful operation result; returns what the
    session needs from it (or None)."""
    if op in (OP["PUTFH"], OP["PUTROOTFH"], OP["LOOKUP"], OP["SAVEFH"], OP["RECLAIM_COMPLETE"],
              OP["DESTROY_SESSION"], OP["DESTROY_CLIENTID"], OP["ALLOCATE"],
              OP["DEALLOCATE"]):
        return None
    if op == OP["GETFH"]:
        return d.opaque()
    if op == OP["GETATTR"]:
        mask, vals = d.bitmap(), Dec(d.opaque())
        out = {}
        if mask and mask[0] & (1 << 1):
            out["type"] = {1: "file", 2: "dir"}.get(vals.u32(), "other")
        if mask and mask[0] & (1 << 4):
            out["size"] = vals.u64()
        if mask and mask[0] & (1 << 20):
            out["fileid"] = vals.u64()
        if len(mask) > 1 and mask[1] & (1 << 1):
            out["mode"] = f"{vals.u32():04o}"
        return out
    if op == OP["SEQUENCE"]:
        d.fixed(16)
        return [d.u32() for _ in range(5)]
    if op == OP["EXCHANGE_ID"]:
        clientid, seq = d.u64(), d.u32()
        d.u32()  # flags
        d.u32()  # state_protect: SP4_NONE
        d.u64(), d.opaque(), d.opaque()  # server_owner, server_scope
        for _ in range(d.u32()):
            d.opaque(), d.opaque(), d.u64(), d.u32()
        return clientid, seq
    if op == OP["CREATE_SESSION"]:
        sid = d.fixed(16)
        d.u32(), d.u32()
        skip_channel_attrs(d)
        skip_channel_attrs(d)
        return sid
    if op == OP["CREATE"]:
        skip_cinfo(d)
        d.bitmap()
        return None
    if op == OP["OPEN"]:
        stateid = d.fixed(16)
        skip_cinfo(d)
        d.u32()
        d.bitmap()
        deleg = d.u32()
        if deleg == 3:  # OPEN_DELEGATE_NONE_EXT
            why = d.u32()
            if why in (1, 2):
                d.u32()
        elif deleg != 0:
            raise SystemExit(f"nfs4-session: unexpected delegation type {deleg}")
        return stateid
    if op == OP["WRITE"]:
        count, committed = d.u32(), d.u32()
        d.fixed(8)
        return count, committed
    if op == OP["COMMIT"]:
        return d.fixed(8)
    if op == OP["CLOSE"]:
        return d.fixed(16)
    if op == OP["READ"]:
        eof = d.u32()
        return eof, d.opaque()
    if op == OP["READDIR"]:
        d.fixed(8)
        names = []
        while d.u32():
            d.u64()
            names.append(d.opaque().decode())
            d.bitmap(), d.opaque()
        d.u32()  # eof
        return sorted(names)
    if op in (OP["REMOVE"], OP["SETXATTR"], OP["REMOVEXATTR"]):
        skip_cinfo(d)
        return None
    if op == OP["RENAME"]:
        skip_cinfo(d), skip_cinfo(d)
        return None
    if op == OP["SEEK"]:
        return d.u32(), d.u64()
    if op == OP["READ_PLUS"]:
        eof, segs = d.u32(), []
        for _ in range(d.u32()):
            kind = d.u32()
            if kind == 0:  # NFS4_CONTENT_DATA
                off, data = d.u64(), d.opaque()
                segs.append(("data", off, len(data)))
            else:  # NFS4_CONTENT_HOLE
                segs.append(("hole", d.u64(), d.u64()))
        return eof, segs
    if op == OP["GETXATTR"]:
        return d.opaque()
    if op == OP["LISTXATTRS"]:
        d.u64()
        names = [d.opaque().decode() for _ in range(d.u32())]
        d.u32()
        return names
    raise SystemExit(f"nfs4-session: no result parser for op {op}")


class Session:
    def __init__(self, server, minor):
        self.sock = socket.create_connection((server, 2049), timeout=20)
        self.minor = minor
        self.xid = int(time.time()) & 0x7FFFFFFF
        self.sid = None
        self.slot_seq = 0
        self.clientid = 0

    def rpc(self, proc, body):
        self.xid += 1
        cred = Enc().u32(0).opaque(b"rpcscope").u32(0).u32(0).u32(0).b
        msg = (Enc().u32(self.xid).u32(0).u32(2).u32(100003).u32(4).u32(proc)
               .u32(1).opaque(bytes(cred)).u32(0).u32(0).b) + body
        self.sock.sendall(struct.pack(">I", 0x80000000 | len(msg)) + msg)
        data, last = b"", False
        while not last:
            mark = struct.unpack(">I", self.recv(4))[0]
            last = bool(mark & 0x80000000)
            data += self.recv(mark & 0x7FFFFFFF)
        d = Dec(data)
        xid, mtype, rstat = d.u32(), d.u32(), d.u32()
        if xid != self.xid or mtype != 1 or rstat != 0:
            raise SystemExit(f"nfs4-session: bad reply xid {xid:#x} type {mtype} stat {rstat}")
        d.u32(), d.opaque()  # verifier
        if d.u32() != 0:
            raise SystemExit("nfs4-session: call not accepted")
        return d

    def recv(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise SystemExit("nfs4-session: server closed the connection")
            out += chunk
        return out

    def compound(self, ops, tag=b"", seq=True):
        """ops: list of (opcode, argument bytes). With seq, a SEQUENCE is put
        first (4.1+). Returns (compound status, [(op, status, value)])."""
        if seq:
            self.slot_seq += 1
            ops = [(OP["SEQUENCE"], Enc().fixed(self.sid).u32(self.slot_seq).u32(0).u32(0)
                    .u32(0).b)] + ops
        e = Enc().opaque(tag).u32(self.minor).u32(len(ops))
        for op, args in ops:
            e.u32(op).b += args
        d = self.rpc(1, bytes(e.b))
        status = d.u32()
        d.opaque()
        results = []
        for _ in range(d.u32()):
            op, st = d.u32(), d.u32()
            if op != OP["SEQUENCE"] or st != NFS4_OK:
                results.append((op, st, parse_result(op, d) if st == NFS4_OK else None))
            else:
                parse_result(op, d)
        return status, results


def comp(name):
    return Enc().opaque(name.encode()).b


def stateid_args(stateid, *rest):
    e = Enc().fixed(stateid)
    for kind, v in rest:
        getattr(e, kind)(v)
    return e.b


def show(what, status, results):
    ops = " ".join(f"{OPNAME.get(op, op)}={STATUS.get(st, st)}" for op, st, _ in results)
    print(f"{what}: {STATUS.get(status, status)} [{ops}]")


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("1", "2"):
        sys.exit(__doc__)
    server, minor, export = sys.argv[1], int(sys.argv[2]), sys.argv[3].strip("/")
    s = Session(server, minor)
    s.rpc(0, b"")
    print("NULL: ok")
    owner = f"rpcscope-nfs4{minor}-session".encode()
    ex = (Enc().fixed(b"rpcscope").opaque(owner).u32(0x1)  # EXCHGID4_FLAG_SUPP_MOVED_REFER
          .u32(0).u32(0)).b  # SP4_NONE, no implementation id
    st, r = s.compound([(OP["EXCHANGE_ID"], ex)], tag=b"exchange_id", seq=False)
    show("EXCHANGE_ID", st, r)
    s.clientid, cseq = r[0][2]
    attrs = Enc()
    for v in (0, 1 << 20, 1 << 20, 4096, 16, 8):
        attrs.u32(v)
    attrs.u32(0)
    cs = (Enc().u64(s.clientid).u32(cseq).u32(0).b + attrs.b + attrs.b
          + Enc().u32(0x40000000).u32(1).u32(0).b)  # cb_program, one AUTH_NONE sec parm
    st, r = s.compound([(OP["CREATE_SESSION"], cs)], tag=b"create_session", seq=False)
    show("CREATE_SESSION", st, r)
    s.sid = r[0][2]
    show("RECLAIM_COMPLETE", *s.compound([(OP["RECLAIM_COMPLETE"], Enc().u32(0).b)]))

    # Mount: the export's handle from the pseudo root.
    gattr = Enc().bitmap(ATTR_TYPE_SIZE_FILEID_MODE).b
    st, r = s.compound([(OP["PUTROOTFH"], b""), (OP["LOOKUP"], comp(export)), (OP["GETFH"], b""),
                        (OP["GETATTR"], gattr)], tag=b"mount")
    show(f"mount /{export}", st, r)
    root = r[2][2]
    print(f"  /{export}: {r[3][2]}")

    # A directory.
    mkdir = Enc().u32(2).opaque(b"dir41" if minor == 1 else b"dir42").bitmap([]).opaque(b"").b
    d_name = "dir41" if minor == 1 else "dir42"
    st, r = s.compound([(OP["PUTFH"], Enc().opaque(root).b), (OP["CREATE"], mkdir),
                        (OP["GETFH"], b"")], tag=b"mkdir")
    show(f"CREATE {d_name}", st, r)
    dirfh = r[2][2]

    # Create and write a file, commit, close.
    text = f"hello from an NFSv4.{minor} session\n".encode()
    owner4 = Enc().u64(s.clientid).opaque(b"open-owner-1").b

    def open_args(name, create):
        # seqid, share_access (BOTH or READ, | OPEN4_SHARE_ACCESS_WANT_NO_DELEG), deny NONE
        e = Enc().u32(0).u32((3 if create else 1) | 0x0400).u32(0).fixed(owner4)
        if create:
            e.u32(1).u32(0).bitmap([0, 1 << 1]).opaque(Enc().u32(0o644).b)  # UNCHECKED4, mode
        else:
            e.u32(0)
        return e.u32(0).opaque(name.encode()).b  # CLAIM_NULL

    st, r = s.compound([(OP["PUTFH"], Enc().opaque(dirfh).b), (OP["OPEN"], open_args("a.txt", True)),
                        (OP["GETFH"], b"")], tag=b"open-create")
    show("OPEN a.txt (create)", st, r)
    sid, fh = r[1][2], r[2][2]
    st, r = s.compound([(OP["PUTFH"], Enc().opaque(fh).b),
                        (OP["WRITE"], stateid_args(sid, ("u64", 0), ("u32", 0), ("opaque", text))),
                        (OP["COMMIT"], Enc().u64(0).u32(0).b),
                        (OP["GETATTR"], gattr)], tag=b"write")
    show("WRITE+COMMIT a.txt", st, r)
    print(f"  wrote {r[1][2][0]} bytes {text!r}; attrs {r[3][2]}")
    st, r = s.compound([(OP["PUTFH"], Enc().opaque(fh).b),
                        (OP["CLOSE"], Enc().u32(0).fixed(sid).b)], tag=b"close")
    show("CLOSE a.txt", st, r)

    if minor == 2:
        st, r = s.compound([(OP["PUTFH"], Enc().opaque(dirfh).b),
                            (OP["OPEN"], open_args("sparse.bin", True)), (OP["GETFH"], b"")],
                           tag=b"open-sparse")
        show("OPEN sparse.bin (create)", st, r)
        sid2, fh2 = r[1][2], r[2][2]
        put2 = (OP["PUTFH"], Enc().opaque(fh2).b)
        for what, ops in [
            ("ALLOCATE 0+65536", [(OP["ALLOCATE"], stateid_args(sid2, ("u64", 0), ("u64", 65536)))]),
            ("WRITE 4 bytes @ 65536", [(OP["WRITE"], stateid_args(sid2, ("u64", 65536), ("u32", 2),
                                                                 ("opaque", b"tail")))]),
            ("DEALLOCATE 0+32768", [(OP["DEALLOCATE"], stateid_args(sid2, ("u64", 0), ("u64", 32768)))]),
            ("SEEK data from 0", [(OP["SEEK"], stateid_args(sid2, ("u64", 0), ("u32", 0)))]),
            ("SEEK hole from 0", [(OP["SEEK"], stateid_args(sid2, ("u64", 0), ("u32", 1)))]),
            ("READ_PLUS 65540 @ 0", [(OP["READ_PLUS"], stateid_args(sid2, ("u64", 0), ("u32", 65540)))]),
            ("GETATTR sparse.bin", [(OP["GETATTR"], gattr)]),
        ]:
            st, r = s.compound([put2] + ops, tag=b"v42")
            show(what, st, r)
            if st == NFS4_OK and r[-1][2] is not None:
                print(f"  {r[-1][2]}")
        st, r = s.compound([put2, (OP["CLOSE"], Enc().u32(0).fixed(sid2).b)], tag=b"close")
        show("CLOSE sparse.bin", st, r)
        putf = (OP["PUTFH"], Enc().opaque(fh).b)
        for what, ops in [
            ("SETXATTR user.rpcscope", [(OP["SETXATTR"], Enc().u32(0).opaque(b"user.rpcscope")
                                         .opaque(b"xattr value").b)]),  # SETXATTR4_EITHER
            ("GETXATTR user.rpcscope", [(OP["GETXATTR"], Enc().opaque(b"user.rpcscope").b)]),
            ("LISTXATTRS", [(OP["LISTXATTRS"], Enc().u64(0).u32(4096).b)]),
            ("REMOVEXATTR user.rpcscope", [(OP["REMOVEXATTR"], Enc().opaque(b"user.rpcscope").b)]),
            ("GETXATTR user.missing", [(OP["GETXATTR"], Enc().opaque(b"user.missing").b)]),
        ]:
            st, r = s.compound([putf] + ops, tag=b"xattr")
            show(what, st, r)
            if st == NFS4_OK and r[-1][2] is not None:
                print(f"  {r[-1][2]!r}")

    # Read it back.
    st, r = s.compound([(OP["PUTFH"], Enc().opaque(dirfh).b), (OP["OPEN"], open_args("a.txt", False)),
                        (OP["GETFH"], b"")], tag=b"open-read")
    show("OPEN a.txt (read)", st, r)
    sid = r[1][2]
    st, r = s.compound([(OP["PUTFH"], Enc().opaque(fh).b),
                        (OP["READ"], stateid_args(sid, ("u64", 0), ("u32", 4096))),
                        (OP["CLOSE"], Enc().u32(0).fixed(sid).b)], tag=b"read")
    show("READ+CLOSE a.txt", st, r)
    print(f"  read eof={r[1][2][0]} {r[1][2][1]!r}")

    # List, rename, a failing lookup, remove.
    rd = Enc().u64(0).fixed(b"\0" * 8).u32(4096).u32(8192).bitmap([1 << 20]).b
    st, r = s.compound([(OP["PUTFH"], Enc().opaque(dirfh).b), (OP["READDIR"], rd)], tag=b"ls")
    show(f"READDIR {d_name}", st, r)
    print(f"  {d_name}: {' '.join(r[1][2])}")
    put_dir = (OP["PUTFH"], Enc().opaque(dirfh).b)
    st, r = s.compound([put_dir, (OP["SAVEFH"], b""), put_dir,
                        (OP["RENAME"], comp("a.txt") + comp("b.txt"))], tag=b"rename")
    show("RENAME a.txt -> b.txt", st, r)
    st, r = s.compound([put_dir, (OP["LOOKUP"], comp("a.txt")), (OP["GETFH"], b"")], tag=b"lookup")
    show("LOOKUP a.txt (gone)", st, r)
    st, r = s.compound([put_dir, (OP["LOOKUP"], comp("b.txt")), (OP["GETATTR"], gattr)],
                       tag=b"stat")
    show("LOOKUP+GETATTR b.txt", st, r)
    print(f"  b.txt: {r[2][2]}")
    if minor == 2:
        st, r = s.compound([put_dir, (OP["REMOVE"], comp("sparse.bin"))], tag=b"rm")
        show("REMOVE sparse.bin", st, r)
    st, r = s.compound([put_dir, (OP["READDIR"], rd)], tag=b"ls")
    show(f"READDIR {d_name}", st, r)
    print(f"  {d_name}: {' '.join(r[1][2])}")

    st, r = s.compound([(OP["DESTROY_SESSION"], Enc().fixed(s.sid).b)], tag=b"bye", seq=False)
    show("DESTROY_SESSION", st, r)
    st, r = s.compound([(OP["DESTROY_CLIENTID"], Enc().u64(s.clientid).b)], tag=b"bye", seq=False)
    show("DESTROY_CLIENTID", st, r)
    s.sock.close()


if __name__ == "__main__":
    main()
