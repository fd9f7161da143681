#!/usr/bin/env python3
"""A scripted NFS client: the real libnfs library (libnfs.so.13, Debian 12
package libnfs13), driven through ctypes, one NFS context per run.

libnfs-utils only ships nfs-ls, nfs-cat and nfs-cp; this drives the same
library for what they cannot do (create, stat, rename, remove, mkdir, a
failing lookup) and for many operations on one mount, so capture scripts
get real client traffic. Every operation prints what the server answered:
that output is the capture's ground truth.

Usage: libnfs-ops.py SERVER EXPORT VERSION [COMMAND ...]
  VERSION is 3 or 4 (libnfs 4.0 speaks NFSv4.0 only: minorversion 0).
  Commands (each one shell word, fields separated by ':'):
    mkdir:PATH            rmdir:PATH
    write:PATH:TEXT       create PATH (mode 0644), write TEXT, fsync, close
    fill:PATH:BYTES       create PATH and write BYTES bytes of 'x'
    cat:PATH              open, read everything, close; prints the text
    stat:PATH             prints type, size, mode
    ls:PATH               opendir/readdir: prints the sorted names
    rename:OLD:NEW        rm:PATH
    missing:PATH          a stat that must fail (ENOENT): prints the error
    meta:DIR:N:SIZE       the benchmark loop: mkdir DIR, create N files of
                          SIZE bytes, list DIR, stat, read, rename and
                          remove each file, rmdir DIR; prints counts only
"""

import ctypes
import ctypes.util
import sys


class Stat64(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize",
        "blocks", "atime", "mtime", "ctime", "atime_nsec", "mtime_nsec",
        "ctime_nsec", "used")]


class Dirent(ctypes.Structure):
    pass


Dirent._fields_ = [("next", ctypes.POINTER(Dirent)), ("name", ctypes.c_char_p),
                   ("inode", ctypes.c_uint64)]

O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC = 0, 1, 0o100, 0o1000
# libnfs 4.0 fails to encode an NFSv4 WRITE of 4000 bytes or more ("ZDR error:
# Failed to encode COMPOUND4args"; nfs-cp to an NFSv4 URL fails the same
# way), so NFSv4 writes go in chunks below that. NFSv3 writes are not limited.
WRITE_CHUNK = {3: 1 << 20, 4: 3072}


def load():
    name = ctypes.util.find_library("nfs") or "libnfs.so.13"
    lib = ctypes.CDLL(name)
    vp, cp, i, u64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint64
    pp = ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "nfs_init_context": ([], vp),
        "nfs_destroy_context": ([vp], None),
        "nfs_get_error": ([vp], cp),
        "nfs_set_version": ([vp, i], i),
        "nfs_set_timeout": ([vp, i], None),
        "nfs_mount": ([vp, cp, cp], i),
        "nfs_umount": ([vp], i),
        "nfs_create": ([vp, cp, i, i, pp], i),
        "nfs_open": ([vp, cp, i, pp], i),
        "nfs_close": ([vp, vp], i),
        "nfs_write": ([vp, vp, u64, cp], i),
        "nfs_read": ([vp, vp, u64, vp], i),
        "nfs_fsync": ([vp, vp], i),
        "nfs_stat64": ([vp, cp, ctypes.POINTER(Stat64)], i),
        "nfs_rename": ([vp, cp, cp], i),
        "nfs_unlink": ([vp, cp], i),
        "nfs_mkdir": ([vp, cp], i),
        "nfs_rmdir": ([vp, cp], i),
        "nfs_opendir": ([vp, cp, pp], i),
        "nfs_readdir": ([vp, vp], ctypes.POINTER(Dirent)),
        "nfs_closedir": ([vp, vp], None),
    }
    for fn, (args, res) in sigs.items():
        f = getattr(lib, fn)
        f.argtypes, f.restype = args, res
    return lib


class Client:
    def __init__(self, lib, server, export, version):
        self.lib = lib
        self.version = version
        self.nfs = lib.nfs_init_context()
        if not self.nfs:
            sys.exit("libnfs-ops: nfs_init_context failed")
        lib.nfs_set_timeout(self.nfs, 20000)
        if lib.nfs_set_version(self.nfs, version) != 0:
            sys.exit(f"libnfs-ops: libnfs does not speak NFS version {version}")
        self.check(lib.nfs_mount(self.nfs, server.encode(), export.encode()), "mount", export)

    def error(self):
        return (self.lib.nfs_get_error(self.nfs) or b"").decode(errors="replace")

    def check(self, rc, op, path):
        if rc < 0:
            sys.exit(f"libnfs-ops: {op} {path} failed: {rc} {self.error()}")
        return rc

    def write(self, path, data):
        fh = ctypes.c_void_p()
        self.check(self.lib.nfs_create(self.nfs, path.encode(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0o644, ctypes.byref(fh)), "create", path)
        done = 0
        while done < len(data):
            chunk = data[done:done + WRITE_CHUNK[self.version]]
            n = self.check(self.lib.nfs_write(self.nfs, fh, len(chunk), chunk), "write", path)
            done += n
        self.check(self.lib.nfs_fsync(self.nfs, fh), "fsync", path)
        self.check(self.lib.nfs_close(self.nfs, fh), "close", path)

    def read(self, path):
        fh = ctypes.c_void_p()
        self.check(self.lib.nfs_open(self.nfs, path.encode(), O_RDONLY, ctypes.byref(fh)),
                   "open", path)
        out, buf = b"", ctypes.create_string_buffer(1 << 16)
        while True:
            n = self.check(self.lib.nfs_read(self.nfs, fh, len(buf), buf), "read", path)
            if n == 0:
                break
            out += buf.raw[:n]
        self.check(self.lib.nfs_close(self.nfs, fh), "close", path)
        return out

    def stat(self, path):
        st = Stat64()
        rc = self.lib.nfs_stat64(self.nfs, path.encode(), ctypes.byref(st))
        return rc, st

    def ls(self, path):
        d = ctypes.c_void_p()
        self.check(self.lib.nfs_opendir(self.nfs, path.encode(), ctypes.byref(d)), "opendir", path)
        names = []
        while True:
            e = self.lib.nfs_readdir(self.nfs, d)
            if not e:
                break
            names.append(e.contents.name.decode())
        self.lib.nfs_closedir(self.nfs, d)
        return sorted(n for n in names if n not in (".", ".."))

    def run(self, cmd):
        op, _, rest = cmd.partition(":")
        a = rest.split(":")
        lib, nfs = self.lib, self.nfs
        if op == "mkdir":
            self.check(lib.nfs_mkdir(nfs, a[0].encode()), "mkdir", a[0])
            print(f"mkdir {a[0]}: ok")
        elif op == "rmdir":
            self.check(lib.nfs_rmdir(nfs, a[0].encode()), "rmdir", a[0])
            print(f"rmdir {a[0]}: ok")
        elif op == "write":
            text = ":".join(a[1:]).encode()
            self.write(a[0], text)
            print(f"write {a[0]}: {len(text)} bytes {text!r}")
        elif op == "fill":
            self.write(a[0], b"x" * int(a[1]))
            print(f"fill {a[0]}: {int(a[1])} bytes of 'x'")
        elif op == "cat":
            data = self.read(a[0])
            shown = data if len(data) <= 64 else data[:32] + b"..."
            print(f"cat {a[0]}: {len(data)} bytes {shown!r}")
        elif op == "stat":
            rc, st = self.stat(a[0])
            self.check(rc, "stat", a[0])
            kind = {0o040000: "dir", 0o100000: "file"}.get(st.mode & 0o170000, "other")
            print(f"stat {a[0]}: {kind} size {st.size} mode {st.mode & 0o7777:04o}")
        elif op == "ls":
            print(f"ls {a[0]}: {' '.join(self.ls(a[0]))}")
        elif op == "rename":
            self.check(lib.nfs_rename(nfs, a[0].encode(), a[1].encode()), "rename", a[0])
            print(f"rename {a[0]} -> {a[1]}: ok")
        elif op == "rm":
            self.check(lib.nfs_unlink(nfs, a[0].encode()), "unlink", a[0])
            print(f"rm {a[0]}: ok")
        elif op == "missing":
            rc, _ = self.stat(a[0])
            if rc >= 0:
                sys.exit(f"libnfs-ops: {a[0]} exists, expected it not to")
            print(f"missing {a[0]}: {rc} {self.error()}")
        elif op == "meta":
            self.meta(a[0], int(a[1]), int(a[2]))
        else:
            sys.exit(f"libnfs-ops: unknown command {cmd!r}")
        sys.stdout.flush()

    def meta(self, d, n, size):
        lib, nfs = self.lib, self.nfs
        self.check(lib.nfs_mkdir(nfs, d.encode()), "mkdir", d)
        body = b"m" * size
        for k in range(n):
            self.write(f"{d}/f{k}", body)
        listed = len(self.ls(d))
        total = 0
        for k in range(n):
            rc, st = self.stat(f"{d}/f{k}")
            self.check(rc, "stat", f"{d}/f{k}")
            total += len(self.read(f"{d}/f{k}"))
        for k in range(n):
            self.check(lib.nfs_rename(nfs, f"{d}/f{k}".encode(), f"{d}/g{k}".encode()),
                       "rename", f"{d}/f{k}")
        for k in range(n):
            self.check(lib.nfs_unlink(nfs, f"{d}/g{k}".encode()), "unlink", f"{d}/g{k}")
        self.check(lib.nfs_rmdir(nfs, d.encode()), "rmdir", d)
        print(f"meta {d}: {n} files created, {listed} listed, {total} bytes read, "
              f"{n} renamed, {n} removed")

    def close(self):
        self.lib.nfs_umount(self.nfs)
        self.lib.nfs_destroy_context(self.nfs)


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in ("3", "4"):
        sys.exit(__doc__)
    c = Client(load(), sys.argv[1], sys.argv[2], int(sys.argv[3]))
    for cmd in sys.argv[4:]:
        c.run(cmd)
    c.close()


if __name__ == "__main__":
    main()
