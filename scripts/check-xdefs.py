#!/usr/bin/env python3
"""Check the built-in program descriptions (src/programs/x/*.x).

For every .x file: rpcgen must accept it (-h and -c), and every procedure of
every program block must have the number and display name that
src/programs/names.rs gives for that program and version (display name: the
.x name without its <PREFIX>PROC<digits>_ prefix, as schema::display_name
computes it). Every version names.rs lists for a described program must be
described, with no procedure missing or extra.

Usage: scripts/check-xdefs.py [FILE.x ...]   (default: every file)
Exit status 0 when everything matches.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XDIR = os.path.join(ROOT, "src", "programs", "x")
NAMES = os.path.join(ROOT, "src", "programs", "names.rs")


def display_name(name):
    """A transcription of schema::display_name."""
    search = 0
    while True:
        at = name.find("PROC", search)
        if at < 0:
            return name
        end = at + 4
        while end < len(name) and name[end].isdigit():
            end += 1
        prefix_ok = all(c.isupper() or c.isdigit() or c == "_" for c in name[:at])
        if prefix_ok and end < len(name) and name[end] == "_" and end + 1 < len(name):
            return name[end + 1:]
        search = at + 4


def rust_int(s):
    s = s.replace("_", "")
    return int(s, 16) if s.lower().startswith("0x") else int(s)


def load_names():
    text = open(NAMES).read()
    lists = {}
    for m in re.finditer(r"const (\w+): &\[&str\] = &\[(.*?)\];", text, re.S):
        lists[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    table = {}
    for m in re.finditer(r'p\(\s*([0-9a-fA-Fx_]+),\s*"([^"]+)",\s*&\[(.*?)\],?\s*\)', text, re.S):
        prog = rust_int(m.group(1))
        for vm in re.finditer(r"v\((\d+),\s*(\w+)\)", m.group(3)):
            table[(prog, int(vm.group(1)))] = lists[vm.group(2)]
    return table


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("%"))


def xdr_int(tok, consts):
    if re.fullmatch(r"-?0[xX][0-9a-fA-F]+", tok):
        return int(tok, 16)
    if re.fullmatch(r"-?[0-9]+", tok):
        return int(tok)
    return consts[tok]


def parse_programs(text):
    text = strip(text)
    consts = {m.group(1): m.group(2) for m in re.finditer(r"\bconst\s+(\w+)\s*=\s*([\w-]+)\s*;", text)}
    resolved = {}
    for k in consts:
        v = consts[k]
        seen = 0
        while v in consts and seen < 50:
            v, seen = consts[v], seen + 1
        resolved[k] = xdr_int(v, {})
    programs = []
    for pm in re.finditer(r"\bprogram\s+(\w+)\s*\{", text):
        # find the matching close brace
        depth, i = 1, pm.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[pm.end():i - 1]
        num = re.match(r"\s*=\s*([\w]+)\s*;", text[i:]).group(1)
        versions = []
        for vm in re.finditer(r"\bversion\s+(\w+)\s*\{(.*?)\}\s*=\s*(\w+)\s*;", body, re.S):
            procs = []
            for p in re.finditer(r"(\w+)\s*\(([^)]*)\)\s*=\s*(\w+)\s*;", vm.group(2)):
                procs.append((xdr_int(p.group(3), resolved), p.group(1)))
            versions.append((xdr_int(vm.group(3), resolved), vm.group(1), procs))
        programs.append((xdr_int(num, resolved), pm.group(1), versions))
    return programs


def check_rpcgen(path):
    errs = []
    for flag in ("-h", "-c"):
        r = subprocess.run(["rpcgen", flag, path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or r.stderr.strip():
            errs.append(f"rpcgen {flag}: rc={r.returncode} {r.stderr.strip()}")
    return errs


def main():
    files = sys.argv[1:] or sorted(
        os.path.join(XDIR, f) for f in os.listdir(XDIR) if f.endswith(".x"))
    names = load_names()
    failed = False
    everything = {}
    for path in files:
        errs = check_rpcgen(path)
        described = {}
        for prog, pname, versions in parse_programs(open(path).read()):
            for vers, vname, procs in versions:
                key = (prog, vers)
                if key in described:
                    errs.append(f"program {prog} version {vers} described twice")
                described[key] = procs
                want = names.get(key)
                if want is None:
                    errs.append(f"{pname} ({prog:#x}) v{vers}: not in names.rs")
                    continue
                got = {}
                for num, name in procs:
                    if num in got:
                        errs.append(f"{pname} v{vers}: procedure {num} twice")
                    got[num] = display_name(name)
                for num, shown in sorted(got.items()):
                    expect = want[num] if num < len(want) else ""
                    if shown != expect:
                        errs.append(f"{pname} v{vers} proc {num}: .x shows {shown!r}, names.rs {expect!r}")
                for num, expect in enumerate(want):
                    if expect and num not in got:
                        errs.append(f"{pname} v{vers}: names.rs {num} {expect!r} missing")
        for key in described:
            if key in everything:
                errs.append(f"program {key[0]} v{key[1]} also described in {everything[key]}")
            everything[key] = os.path.basename(path)
        n = sum(len(v) for v in described.values())
        rel = os.path.relpath(path, ROOT)
        if errs:
            failed = True
            print(f"FAIL {rel}")
            for e in errs:
                print(f"  {e}")
        else:
            vs = ", ".join(f"{p}/v{v}" for p, v in sorted(described))
            print(f"ok   {rel}: rpcgen -h/-c clean; {n} procedures match names.rs ({vs})")
    if not sys.argv[1:]:
        # Every version names.rs lists for a described program is described.
        for prog in sorted({p for p, _ in everything}):
            for (p, v) in sorted(names):
                if p == prog and (p, v) not in everything:
                    failed = True
                    print(f"FAIL program {prog} v{v} is in names.rs but no file describes it")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
