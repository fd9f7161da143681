"""A small XDR-language parser and body walker, for checking the program
descriptions in src/programs/x/ against real traffic before the Rust engine
does it. Development aid only: not used by rpcscope.

parse(text) -> Schema; Schema.decode(type, data) -> (value, bytes used).
"""
import re
import struct

KEYWORDS = {"bool", "case", "const", "default", "double", "quadruple", "enum", "float",
            "hyper", "int", "opaque", "string", "struct", "switch", "typedef", "union",
            "unsigned", "void", "program", "version"}


class XdrError(Exception):
    pass


def tokenize(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("%"))
    return re.findall(r"-?0[xX][0-9a-fA-F]+|-?[0-9]+|[A-Za-z_][A-Za-z0-9_]*|[{}()\[\]<>;:,=*]", text)


class Parser:
    def __init__(self, text):
        self.t = tokenize(text)
        self.i = 0
        self.types = {}    # name -> type
        self.consts = {"TRUE": 1, "FALSE": 0}
        self.programs = []  # (name, number, [(vname, vnum, [(pname, pnum, [args], res)])])

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def next(self):
        tok = self.peek()
        if tok is None:
            raise XdrError("unexpected end")
        self.i += 1
        return tok

    def expect(self, tok):
        got = self.next()
        if got != tok:
            raise XdrError(f"expected {tok!r}, got {got!r} at token {self.i}: {' '.join(self.t[self.i-8:self.i+4])}")

    def value(self):
        tok = self.next()
        if re.fullmatch(r"-?0[xX][0-9a-fA-F]+", tok):
            return int(tok, 16)
        if re.fullmatch(r"-?[0-9]+", tok):
            return int(tok)
        if tok in self.consts:
            return self.consts[tok]
        raise XdrError(f"unknown constant {tok}")

    def define(self, name, ty):
        if name in self.types:
            raise XdrError(f"{name} defined twice")
        self.types[name] = ty

    def parse(self):
        while self.peek() is not None:
            tok = self.next()
            if tok == "const":
                name = self.next()
                self.expect("=")
                if name in self.consts:
                    raise XdrError(f"const {name} defined twice")
                self.consts[name] = self.value()
                self.expect(";")
            elif tok == "typedef":
                name, ty = self.declaration()
                self.define(name, ty)
                self.expect(";")
            elif tok == "enum":
                name = self.next()
                self.define(name, self.enum_body())
                self.expect(";")
            elif tok == "struct":
                name = self.next()
                self.define(name, self.struct_body())
                self.expect(";")
            elif tok == "union":
                name = self.next()
                self.define(name, self.union_body())
                self.expect(";")
            elif tok == "program":
                self.program()
            else:
                raise XdrError(f"unexpected {tok!r} at top level")
        return self

    def enum_body(self):
        self.expect("{")
        values = {}
        while True:
            name = self.next()
            self.expect("=")
            v = self.value()
            values[v] = values.get(v, name)
            if name in self.consts:
                raise XdrError(f"enum value {name} defined twice")
            self.consts[name] = v
            tok = self.next()
            if tok == "}":
                break
            if tok != ",":
                raise XdrError(f"enum: expected , got {tok}")
        return ("enum", values)

    def struct_body(self):
        self.expect("{")
        fields = []
        while self.peek() != "}":
            name, ty = self.declaration()
            self.expect(";")
            fields.append((name, ty))
        self.expect("}")
        return ("struct", fields)

    def union_body(self):
        self.expect("switch")
        self.expect("(")
        dname, dty = self.declaration()
        self.expect(")")
        self.expect("{")
        cases = {}
        default = None
        arms = []
        while self.peek() != "}":
            labels = []
            while self.peek() in ("case", "default"):
                if self.next() == "case":
                    labels.append(self.value())
                else:
                    labels.append("default")
                self.expect(":")
            arm = self.declaration()
            self.expect(";")
            arms.append(arm)
            for l in labels:
                if l == "default":
                    default = arm
                else:
                    if l in cases:
                        raise XdrError(f"union case {l} twice")
                    cases[l] = arm
        self.expect("}")
        return ("union", (dname, dty), cases, default)

    def type_spec(self):
        tok = self.next()
        if tok == "unsigned":
            nxt = self.peek()
            if nxt == "int":
                self.next()
                return ("uint",)
            if nxt == "hyper":
                self.next()
                return ("uhyper",)
            return ("uint",)
        if tok in ("int", "hyper", "float", "double", "bool", "void", "quadruple"):
            return (tok,)
        if tok == "enum":
            if self.peek() == "{":
                return self.enum_body()
            return ("ref", self.next())
        if tok == "struct":
            if self.peek() == "{":
                return self.struct_body()
            return ("ref", self.next())
        if tok == "union":
            if self.peek() == "switch":
                return self.union_body()
            return ("ref", self.next())
        if tok in KEYWORDS:
            raise XdrError(f"unexpected keyword {tok}")
        return ("ref", tok)

    def declaration(self):
        if self.peek() == "void":
            self.next()
            return ("", ("void",))
        if self.peek() in ("opaque", "string"):
            kind = self.next()
            name = self.next()
            if self.peek() == "[":
                self.next()
                n = self.value()
                self.expect("]")
                return (name, ("fopaque", n))
            self.expect("<")
            mx = None if self.peek() == ">" else self.value()
            self.expect(">")
            return (name, ("vopaque" if kind == "opaque" else "string", mx))
        ty = self.type_spec()
        if self.peek() == "*":
            self.next()
            return (self.next(), ("opt", ty))
        name = self.next()
        if self.peek() == "[":
            self.next()
            n = self.value()
            self.expect("]")
            return (name, ("farray", ty, n))
        if self.peek() == "<":
            self.next()
            mx = None if self.peek() == ">" else self.value()
            self.expect(">")
            return (name, ("varray", ty, mx))
        return (name, ty)

    def proc_type(self):
        if self.peek() == "string":      # rpcgen's `string` in procedure types
            self.next()
            return ("string", None)
        return self.type_spec()

    def program(self):
        pname = self.next()
        self.expect("{")
        versions = []
        while self.peek() == "version":
            self.next()
            vname = self.next()
            self.expect("{")
            procs = []
            while self.peek() != "}":
                res = self.proc_type()
                name = self.next()
                self.expect("(")
                args = [self.proc_type()]
                while self.peek() == ",":
                    self.next()
                    args.append(self.proc_type())
                self.expect(")")
                self.expect("=")
                num = self.value()
                self.expect(";")
                if args == [("void",)]:
                    args = []
                procs.append((name, num, args, res))
            self.expect("}")
            self.expect("=")
            vnum = self.value()
            self.expect(";")
            versions.append((vname, vnum, procs))
        self.expect("}")
        self.expect("=")
        num = self.value()
        self.expect(";")
        self.programs.append((pname, num, versions))


class Schema:
    def __init__(self, text):
        p = Parser(text).parse()
        self.types, self.consts, self.programs = p.types, p.consts, p.programs
        self.check()

    def check(self):
        """Every reference resolves."""
        def walk(ty):
            k = ty[0]
            if k == "ref":
                if ty[1] not in self.types:
                    raise XdrError(f"unknown type {ty[1]}")
            elif k == "struct":
                for _, t in ty[1]:
                    walk(t)
            elif k == "union":
                walk(ty[1][1])
                for _, t in ty[2].values():
                    walk(t)
                if ty[3]:
                    walk(ty[3][1])
            elif k in ("opt",):
                walk(ty[1])
            elif k in ("farray", "varray"):
                walk(ty[1])
        for t in self.types.values():
            walk(t)
        for _, _, versions in self.programs:
            for _, _, procs in versions:
                for _, _, args, res in procs:
                    for a in args + [res]:
                        walk(a)

    def resolve(self, ty):
        seen = 0
        while ty[0] == "ref":
            ty = self.types[ty[1]]
            seen += 1
            if seen > 100:
                raise XdrError("alias loop")
        return ty

    def decode(self, ty, data, off=0, depth=0):
        if depth > 20000:
            raise XdrError("too deep")
        ty = self.resolve(ty)
        k = ty[0]

        def u32(o):
            if o + 4 > len(data):
                raise XdrError(f"truncated at {o}")
            return struct.unpack(">I", data[o:o + 4])[0], o + 4

        if k == "void":
            return None, off
        if k in ("int", "uint", "bool", "enum", "float"):
            v, off = u32(off)
            if k == "int":
                v = struct.unpack(">i", struct.pack(">I", v))[0]
            if k == "bool":
                if v > 1:
                    raise XdrError(f"bool {v} at {off-4}")
                return bool(v), off
            if k == "enum":
                sv = struct.unpack(">i", struct.pack(">I", v))[0]
                if sv not in ty[1]:
                    raise XdrError(f"enum value {sv} not in enum at {off-4}")
                return ty[1][sv], off
            return v, off
        if k in ("hyper", "uhyper", "double"):
            if off + 8 > len(data):
                raise XdrError(f"truncated at {off}")
            return struct.unpack(">q" if k == "hyper" else ">Q", data[off:off + 8])[0], off + 8
        if k == "quadruple":
            return data[off:off + 16], off + 16
        if k == "fopaque":
            n = ty[1]
            end = off + n + (-n % 4)
            if end > len(data):
                raise XdrError(f"truncated opaque at {off}")
            return data[off:off + n].hex(), end
        if k in ("vopaque", "string"):
            n, off = u32(off)
            if ty[1] is not None and n > ty[1]:
                raise XdrError(f"{k} length {n} > max {ty[1]} at {off-4}")
            end = off + n + (-n % 4)
            if end > len(data):
                raise XdrError(f"truncated {k} (len {n}) at {off}")
            raw = data[off:off + n]
            return (raw.decode("latin1") if k == "string" else raw.hex()), end
        if k == "struct":
            out = {}
            for name, fty in ty[1]:
                out[name], off = self.decode(fty, data, off, depth + 1)
            return out, off
        if k == "union":
            dname, dty = ty[1]
            raw = struct.unpack(">I", data[off:off + 4])[0] if off + 4 <= len(data) else None
            if raw is None:
                raise XdrError(f"truncated discriminant at {off}")
            rdty = self.resolve(dty)
            key = raw if rdty[0] in ("uint",) else struct.unpack(">i", struct.pack(">I", raw))[0]
            off += 4
            arm = ty[2].get(key, ty[3])
            if arm is None:
                raise XdrError(f"union {dname}={key}: no arm at {off-4}")
            label = rdty[1].get(key, key) if rdty[0] == "enum" else key
            v, off = self.decode(arm[1], data, off, depth + 1)
            return {dname: label, arm[0]: v} if arm[0] else {dname: label}, off
        if k == "opt":
            flag, off = u32(off)
            if flag > 1:
                raise XdrError(f"optional flag {flag} at {off-4}")
            if not flag:
                return None, off
            return self.decode(ty[1], data, off, depth + 1)
        if k == "farray":
            out = []
            for _ in range(ty[2]):
                v, off = self.decode(ty[1], data, off, depth + 1)
                out.append(v)
            return out, off
        if k == "varray":
            n, off = u32(off)
            if ty[2] is not None and n > ty[2]:
                raise XdrError(f"array count {n} > max {ty[2]} at {off-4}")
            if n > len(data):
                raise XdrError(f"array count {n} too big at {off-4}")
            out = []
            for _ in range(n):
                v, off = self.decode(ty[1], data, off, depth + 1)
                out.append(v)
            return out, off
        raise XdrError(f"cannot decode {ty}")

