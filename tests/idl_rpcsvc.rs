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
