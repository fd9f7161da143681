//! The `.x` parser against the real thing: every RPC language file that
//! Debian's rpcsvc-proto installs in `/usr/include/rpcsvc/` loads without
//! error, and what it loads matches the file (program, version and
//! procedure numbers, argument and result types, enum values, unions).
//!
//! The parser is sans-IO, so this test provides the include callback (the
//! directory of the including file). Without the directory the test skips
//! with a note, except under `CI=true`, where it fails.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rpcscope::programs::idl::{self, IdlError};
use rpcscope::programs::schema::{Kind, Schema, TypeId};

const DIR: &str = "/usr/include/rpcsvc";

/// The directory, or `None` (skip) on a machine without rpcsvc-proto.
fn rpcsvc_dir() -> Option<PathBuf> {
    let dir = Path::new(DIR);
    if dir.join("nfs_prot.x").is_file() {
        return Some(dir.to_path_buf());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{DIR} is missing: CI must install rpcsvc-proto");
    }
    eprintln!("note: {DIR} not found (install rpcsvc-proto); skipping");
    None
}

/// Loads `name` from `dir`, looking for includes in `dir` and then in its
/// parent (`/usr/include`, for `%#include <rpcsvc/nis.h>`).
fn load(dir: &Path, name: &str) -> Result<Schema, IdlError> {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    idl::parse_with(&text, name, &mut |inc, _from| {
        let found = [dir.join(inc), dir.parent().unwrap().join(inc)]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| format!("{inc}: not found"))?;
        let display = found.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::read_to_string(&found)
            .map(|t| (display, t))
            .map_err(|e| e.to_string())
    })
}

fn loaded(name: &str) -> Option<Schema> {
    let dir = rpcsvc_dir()?;
    Some(load(&dir, name).unwrap_or_else(|e| panic!("{e}")))
}

/// `(number, display name, argument type names, result type name)` of
/// every procedure of one version.
fn procs(s: &Schema, prog: u32, vers: u32) -> Vec<(u32, String, Vec<String>, String)> {
    let name = |t: TypeId| match (s.name(t), &s.get(t).kind) {
        (Some(n), _) => n.to_string(),
        (None, k) => format!("{k:?}"),
    };
    s.program(prog)
        .unwrap_or_else(|| panic!("no program {prog}"))
        .version(vers)
        .unwrap_or_else(|| panic!("no version {vers}"))
        .procedures
        .iter()
        .map(|p| {
            (
                p.number,
                p.display.clone(),
                p.args.iter().map(|&a| name(a)).collect(),
                name(p.result),
            )
        })
        .collect()
}

fn kind<'s>(s: &'s Schema, name: &str) -> &'s Kind {
    &s.get(s.lookup(name).unwrap_or_else(|| panic!("no type {name}")))
        .kind
}

#[test]
fn every_rpcsvc_file_loads() {
    let Some(dir) = rpcsvc_dir() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".x"))
        .collect();
    names.sort();
    assert!(names.len() >= 17, "{names:?}");
    let mut failures = Vec::new();
    let mut programs = HashMap::new();
    for name in &names {
        match load(&dir, name) {
            Ok(s) => {
                for p in &s.programs {
                    programs.insert(p.number, name.clone());
                }
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Every file but nis_object.x (types only, included by nis.x) holds a
    // program.
    for n in [
        100003, 100005, 100021, 100024, 100300, 100302, 100004, 100029,
    ] {
        assert!(programs.contains_key(&n), "program {n} in {programs:?}");
    }
}

#[test]
fn nfs_prot_version_2() {
    let Some(s) = loaded("nfs_prot.x") else {
        return;
    };
    let p = s.program(100003).unwrap();
    assert_eq!((p.name.as_str(), p.versions.len()), ("NFS_PROGRAM", 1));
    let v2 = procs(&s, 100003, 2);
    assert_eq!(v2.len(), 18);
    assert_eq!(
        v2.iter().map(|p| p.0).collect::<Vec<_>>(),
        (0..18).collect::<Vec<_>>()
    );
    let s_ = |x: &str| x.to_string();
    assert_eq!(v2[0], (0, s_("NULL"), vec![], s_("Void")));
    assert_eq!(
        v2[4],
        (4, s_("LOOKUP"), vec![s_("diropargs")], s_("diropres"))
    );
    assert_eq!(v2[6], (6, s_("READ"), vec![s_("readargs")], s_("readres")));
    assert_eq!(
        v2[17],
        (17, s_("STATFS"), vec![s_("nfs_fh")], s_("statfsres"))
    );
    // Constants, including octal ones and a negative one.
    assert_eq!(s.consts["NFS_FHSIZE"], 32);
    assert_eq!(s.consts["NFSMODE_FMT"], 0o170000);
    assert_eq!(s.consts["NFS_FIFO_DEV"], -1);
    assert_eq!(s.consts["NFSERR_STALE"], 70);
    // nfs_fh: opaque data[NFS_FHSIZE]; entry: a list through `*`.
    let Kind::Struct(fh) = kind(&s, "nfs_fh") else {
        panic!()
    };
    assert_eq!(fh.fields[0].name, "data");
    assert_eq!(s.get(fh.fields[0].ty).kind, Kind::FixedOpaque(32));
    let Kind::Struct(entry) = kind(&s, "entry") else {
        panic!()
    };
    let names: Vec<&str> = entry.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["fileid", "name", "cookie", "nextentry"]);
    assert_eq!(
        s.get(entry.fields[3].ty).kind,
        Kind::Optional(s.lookup("entry").unwrap())
    );
    assert_eq!(kind(&s, "filename"), &Kind::String(Some(255)));
    // attrstat: NFS_OK -> fattr attributes; default void.
    let Kind::Union(u) = kind(&s, "attrstat") else {
        panic!()
    };
    assert_eq!(u.discriminant.ty, s.lookup("nfsstat").unwrap());
    assert_eq!(u.arm(0).unwrap().name, "attributes");
    assert_eq!(u.arm(70).unwrap().ty, TypeId::VOID);
    let Kind::Enum(e) = kind(&s, "ftype") else {
        panic!()
    };
    assert_eq!(e.name_of(8), Some("NFFIFO"));
}

#[test]
fn mount_version_1() {
    let Some(s) = loaded("mount.x") else { return };
    let p = s.program(100005).unwrap();
    assert_eq!(p.name, "MOUNTPROG");
    let v1 = p.version(1).unwrap();
    assert_eq!(v1.name, "MOUNTVERS");
    let mnt = v1.procedure(1).unwrap();
    assert_eq!(
        (mnt.name.as_str(), mnt.display.as_str()),
        ("MOUNTPROC_MNT", "MNT")
    );
    assert_eq!(mnt.args, [s.lookup("dirpath").unwrap()]);
    assert_eq!(mnt.result, s.lookup("fhstatus").unwrap());
    assert_eq!(kind(&s, "dirpath"), &Kind::String(Some(1024)));
    assert_eq!(kind(&s, "fhandle"), &Kind::FixedOpaque(32));
    // `typedef struct mountbody *mountlist;` is a named optional.
    assert_eq!(
        kind(&s, "mountlist"),
        &Kind::Optional(s.lookup("mountbody").unwrap())
    );
    // fhstatus switches on `unsigned fhs_status`.
    let Kind::Union(u) = kind(&s, "fhstatus") else {
        panic!()
    };
    assert_eq!(u.discriminant.ty, TypeId::UINT);
    assert_eq!(u.cases, [(0, 0)]);
    assert_eq!(u.default, Some(1));
    assert_eq!(v1.procedures.len(), 7);
    assert_eq!(v1.procedure(6).unwrap().display, "EXPORTALL");
}

#[test]
fn sm_inter_defines_the_program_before_its_types() {
    let Some(s) = loaded("sm_inter.x") else {
        return;
    };
    let v1 = procs(&s, 100024, 1);
    let s_ = |x: &str| x.to_string();
    assert_eq!(
        v1,
        [
            (1, s_("SM_STAT"), vec![s_("sm_name")], s_("sm_stat_res")),
            (2, s_("SM_MON"), vec![s_("mon")], s_("sm_stat_res")),
            (3, s_("SM_UNMON"), vec![s_("mon_id")], s_("sm_stat")),
            (4, s_("SM_UNMON_ALL"), vec![s_("my_id")], s_("sm_stat")),
            (5, s_("SM_SIMU_CRASH"), vec![], s_("Void")),
        ]
    );
    let Kind::Struct(mon) = kind(&s, "mon") else {
        panic!()
    };
    assert_eq!(s.get(mon.fields[1].ty).kind, Kind::FixedOpaque(16));
}

#[test]
fn nlm_prot_versions_and_c_defines() {
    let Some(s) = loaded("nlm_prot.x") else {
        return;
    };
    let p = s.program(100021).unwrap();
    let versions: Vec<(u32, &str, usize)> = p
        .versions
        .iter()
        .map(|v| (v.number, v.name.as_str(), v.procedures.len()))
        .collect();
    assert_eq!(versions, [(1, "NLM_VERS", 15), (3, "NLM_VERSX", 4)]);
    let v3 = procs(&s, 100021, 3);
    assert_eq!(v3[0].0, 20);
    assert_eq!(v3[3].1, "NLM_FREE_ALL");
    // LM_MAXSTRLEN and MAXNAMELEN come from `%#define` lines.
    assert_eq!(s.consts["LM_MAXSTRLEN"], 1024);
    assert_eq!(s.consts["MAXNAMELEN"], 1025);
    let Kind::Struct(notify) = kind(&s, "nlm_notify") else {
        panic!()
    };
    assert_eq!(s.get(notify.fields[0].ty).kind, Kind::String(Some(1025)));
    // `long state;` is a 32-bit int; netobj is opaque<1024>.
    assert_eq!(notify.fields[1].ty, TypeId::INT);
    assert_eq!(kind(&s, "netobj"), &Kind::VarOpaque(Some(1024)));
    // `struct nlm_testargs` as an argument type.
    let test = p.version(1).unwrap().procedure(1).unwrap();
    assert_eq!(test.args, [s.lookup("nlm_testargs").unwrap()]);
}

#[test]
fn nis_includes_nis_object() {
    let Some(s) = loaded("nis.x") else { return };
    // From nis_object.x: an enum with duplicate values, a union on it.
    let Kind::Enum(z) = kind(&s, "zotypes") else {
        panic!()
    };
    assert_eq!(z.value_of("NIS_PRIVATE_OBJ"), Some(7));
    assert_eq!(z.name_of(0), Some("BOGUS_OBJ"));
    let Kind::Union(u) = kind(&s, "objdata") else {
        panic!()
    };
    assert_eq!(u.arm(2).unwrap().name, "di_data");
    assert_eq!(u.arm(1).unwrap().ty, TypeId::VOID);
    // `typedef struct nis_bound_endpoint nis_bound_endpoint;` adds nothing.
    assert!(matches!(kind(&s, "nis_bound_endpoint"), Kind::Struct(_)));
    let p = s.program(100300).unwrap().version(3).unwrap();
    assert_eq!(p.procedures.len(), 22);
    assert_eq!(p.procedure(18).unwrap().result, TypeId::UINT); // uint32_t
    assert!(p.procedure(11).is_none());
}

#[test]
fn nis_callback_uses_nis_types_through_its_c_include() {
    // `%#include <rpcsvc/nis.h>`: the types of nis.x (and nis_object.x).
    let Some(s) = loaded("nis_callback.x") else {
        return;
    };
    assert_eq!(
        kind(&s, "obj_p"),
        &Kind::Optional(s.lookup("nis_object").unwrap())
    );
    let cb = procs(&s, 100302, 1);
    assert_eq!(cb[2].2, ["nis_error"]);
    assert_eq!(cb[0].3, "Bool");
    // nis.x's own program comes along.
    assert!(s.program(100300).is_some());
}

#[test]
fn yp_key_prot_and_friends() {
    let Some(dir) = rpcsvc_dir() else { return };
    let yp = load(&dir, "yp.x").unwrap();
    // `#ifdef STUPID_SUN_BUG` ... `#else`: the #else branch is read.
    let Kind::Struct(kv) = kind(&yp, "ypresp_key_val") else {
        panic!()
    };
    let names: Vec<&str> = kv.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["stat", "val", "key"]);
    assert!(yp.program(0x40000000).is_some());
    let Kind::Union(all) = kind(&yp, "ypresp_all") else {
        panic!()
    };
    assert_eq!(all.cases, [(0, 1), (1, 0)]); // FALSE: void, TRUE: val
    assert_eq!(yp.consts["YPPUSH_REFUSED"], -14);

    let key = load(&dir, "key_prot.x").unwrap();
    // Enum values without `= n` count from 0.
    assert_eq!(key.consts["KEY_SYSTEMERR"], 3);
    assert_eq!(kind(&key, "netnamestr"), &Kind::String(Some(255)));
    assert_eq!(kind(&key, "keybuf"), &Kind::FixedOpaque(48));
    assert!(!key.consts.contains_key("HEXMODULUS")); // a string constant

    let rstat = load(&dir, "rstat.x").unwrap();
    let versions: Vec<u32> = rstat
        .program(100001)
        .unwrap()
        .versions
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    let Kind::Struct(st) = kind(&rstat, "statstime") else {
        panic!()
    };
    assert_eq!(
        rstat.get(st.fields[0].ty).kind,
        Kind::FixedArray {
            elem: TypeId::INT,
            len: 4
        }
    );

    let boot = load(&dir, "bootparam_prot.x").unwrap();
    let Kind::Struct(ip) = kind(&boot, "ip_addr_t") else {
        panic!()
    };
    assert!(ip.fields.iter().all(|f| f.ty == TypeId::INT)); // char
    let rex = load(&dir, "rex.x").unwrap();
    assert_eq!(rex.consts["NOFLSH"], 0x80000000);
}

// ---- the real tool ----------------------------------------------------------

/// rpcgen's verdict on `text` (`rpcgen -N -h`, output discarded), or `None`
/// when rpcgen is not installed. A hang (rpcgen loops forever on a typedef
/// cycle) is killed after 3 s and counts as a rejection.
fn rpcgen_accepts(text: &str, tag: usize) -> Option<bool> {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    // One file per case straight in the temporary directory: no shared
    // directory that one case removes while another creates it (a CI run
    // failed with EEXIST that way).
    let file =
        std::env::temp_dir().join(format!("rpcscope-idl-{}-case{tag}.x", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let mut child = match Command::new("rpcgen")
        .args(["-N", "-h"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return None,
    };
    let start = Instant::now();
    let ok = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.success();
        }
        if start.elapsed() > Duration::from_secs(3) {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = std::fs::remove_file(&file);
    Some(ok)
}

fn rpcgen_installed() -> bool {
    let found = std::process::Command::new("rpcgen")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("rpcgen is missing: CI must install rpcsvc-proto");
        }
        eprintln!("note: rpcgen not found (install rpcsvc-proto); skipping");
    }
    found
}

/// Where the two languages overlap (syntax, and rpcgen's own checks on
/// declarations and signatures), `rpcgen -h` and the parser accept and
/// reject the same texts.
#[test]
fn rpcgen_agrees_where_the_languages_overlap() {
    if !rpcgen_installed() {
        return;
    }
    let accept = [
        "enum e { A = 1, B, C = -1 };\nconst X = \"str\";\nunion u switch (e d) { case A: case B: int x; case -1: void; default: void; };",
        "union u switch (bool b) { case TRUE: int x; case FALSE: void; };",
        "program P { version V { int ADD(int a, int b) = 1; unsigned int LEN(string s<5>) = 2; } = 1; } = 0x20000001;",
        "%#define X 5\n#ifdef NOPE\nstruct a { garbage };\n#endif\nstruct b { int v[3]; };",
        "typedef struct x *xp;\nstruct x { int v; xp next; };",
        "struct a { u_int a; char b; long c; unsigned char d; short e; };",
        "const N = 0x10;\ntypedef opaque h[N];\ntypedef string s<>;\ntypedef h hl<N>;\nstruct x { h a; s b; hl c; unsigned hyper d; quadruple q; };",
        "struct x { int a; };\nprogram P { version V { void N(void) = 0; x G(struct x) = 1; } = 1; version W { x G(x *) = 1; } = 2; } = 7;",
    ];
    let reject = [
        "struct a { int x; }",
        "struct a { };",
        "struct a { void; };",
        "struct a { opaque o; };",
        "struct a { string s; };",
        "struct a { string s[4]; };",
        "struct a { int *p[3]; };",
        "enum e { A, };",
        "enum e { A B };",
        "union u switch (int d) { default: void; };",
        "union u switch (int d) { case 1: void; default: void; case 2: void; };",
        "typedef int a[;",
        "struct a { int x; }; /* open",
        "struct a { int x; } @;",
        "program P { } = 1;",
        "program P { version V { void F(int, void) = 1; } = 1; } = 1;",
        "program P { version V { void F(opaque) = 1; } = 1; } = 1;",
        "struct int { int x; };",
        "const X = ;",
        "struct a { int x };",
        "union u switch (int d) { case 1: void; }",
        "program P { version V { void F(void) = 1 } = 1; } = 1;",
    ];
    let mut disagree = Vec::new();
    let cases = accept
        .iter()
        .map(|t| (t, true))
        .chain(reject.iter().map(|t| (t, false)));
    for (i, (text, want)) in cases.enumerate() {
        let ours = idl::parse(text, "case.x").is_ok();
        let theirs = rpcgen_accepts(text, i).unwrap();
        if ours != want || theirs != want {
            disagree.push(format!(
                "{text:?}: want {want}, ours {ours}, rpcgen {theirs}"
            ));
        }
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
}

/// Where they differ, by design: rpcgen checks syntax only (the C compiler
/// catches the rest, or nothing does), and it does not take the RFC's
/// inline types. Pinned so a change on either side is noticed.
#[test]
fn rpcgen_differs_where_the_parser_checks_more() {
    if !rpcgen_installed() {
        return;
    }
    let cases = [
        // (text, the parser accepts, rpcgen accepts)
        ("struct s { struct { int a; } *next; };", true, false), // RFC 4506 inline type
        ("struct a { int x; };\nstruct a { int y; };", false, true),
        ("struct a { int x; hyper x; };", false, true),
        (
            "union u switch (int d) { case 1: int x; case 1: int y; };",
            false,
            true,
        ),
        ("union u switch (hyper d) { case 1: void; };", false, true),
        ("union u switch (void) { case 1: int x; };", false, true),
        ("typedef int a[0];", false, true),
        ("struct s { s next; };", false, true),
        ("struct s { unknown_t x; };", false, true),
        ("const A = 08;", false, true),
        ("typedef b a;\ntypedef a b;", false, false), // rpcgen loops forever
    ];
    for (i, (text, ours_want, theirs_want)) in cases.iter().enumerate() {
        let ours = idl::parse(text, "case.x").is_ok();
        assert_eq!(ours, *ours_want, "{text}");
        let theirs = rpcgen_accepts(text, 100 + i).unwrap();
        assert_eq!(theirs, *theirs_want, "rpcgen on {text}");
    }
}

/// rpcgen accepts every rpcsvc file too (the parser's side is
/// `every_rpcsvc_file_loads`). `-c` (the XDR routines), because `rpcgen -h
/// nis.x` fails: GCC's cpp keeps the line breaks of a `%#define` continued
/// with backslashes (nis.x line 410) and rpcgen reads the second line as
/// XDR. The parser splices such lines, as cpp's phase 2 does for
/// directives.
#[test]
fn rpcgen_accepts_every_rpcsvc_file() {
    let Some(dir) = rpcsvc_dir() else { return };
    if !rpcgen_installed() {
        return;
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "x") {
            let status = std::process::Command::new("rpcgen")
                .arg("-c")
                .arg(path.file_name().unwrap())
                .current_dir(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "rpcgen -c {}", path.display());
        }
    }
}

// ---- mutations of the real files --------------------------------------------

/// Deleting, duplicating and swapping tokens of the rpcsvc files never
/// makes the parser panic or run long, and whatever still loads passes the
/// schema invariants.
#[test]
fn mutated_rpcsvc_files_never_panic() {
    use std::time::{Duration, Instant};
    let Some(dir) = rpcsvc_dir() else { return };
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rand = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "x"))
        .collect();
    names.sort();
    let nis_object = std::fs::read_to_string(dir.join("nis_object.x")).unwrap();
    let (mut loaded, mut failed) = (0, 0);
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
        for _ in 0..150 {
            let mut w = words.clone();
            for _ in 0..1 + rand(3) {
                let (i, j) = (rand(w.len()), rand(w.len()));
                match rand(3) {
                    0 => {
                        w.remove(i);
                    }
                    1 => w.insert(i, w[j]),
                    _ => w.swap(i, j),
                }
            }
            let mutated = w.concat();
            let t = Instant::now();
            let r = idl::parse_with(&mutated, "m.x", &mut |_, _| {
                Ok(("nis_object.x".into(), nis_object.clone()))
            });
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "slow: {}",
                path.display()
            );
            match r {
                Ok(s) => {
                    idl::invariants::check(&s).unwrap();
                    loaded += 1;
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.col >= 1 && !e.message.is_empty());
                    failed += 1;
                }
            }
        }
    }
    // Both outcomes are reached: the checks run on schemas, not only errors.
    assert!(
        loaded > 50 && failed > 50,
        "{loaded} loaded, {failed} failed"
    );
}
