//! The built-in program descriptions (`src/programs/x/*.x`) against the
//! parser and the procedure-name tables: every file loads, every procedure
//! has the number and shown name `names.rs` gives it, every version
//! `names.rs` lists for a described program is described, once, and the
//! shapes users see in the JSON output are the RFCs' (spot checks per file).

use std::collections::BTreeMap;

use rpcscope::programs::idl;
use rpcscope::programs::schema::{Kind, Schema, TypeId};
use rpcscope::programs::{program, programs};

/// Every built-in file, as the binary will embed it.
const FILES: &[(&str, &str)] = &[
    ("rpcbind.x", include_str!("../src/programs/x/rpcbind.x")),
    ("mount.x", include_str!("../src/programs/x/mount.x")),
    ("nfs2.x", include_str!("../src/programs/x/nfs2.x")),
    ("nfs3.x", include_str!("../src/programs/x/nfs3.x")),
    ("nfs4.x", include_str!("../src/programs/x/nfs4.x")),
    ("nlm.x", include_str!("../src/programs/x/nlm.x")),
    ("nsm.x", include_str!("../src/programs/x/nsm.x")),
    ("nfs_acl.x", include_str!("../src/programs/x/nfs_acl.x")),
    ("rquota.x", include_str!("../src/programs/x/rquota.x")),
    (
        "rpcscope_test.x",
        include_str!("../src/programs/x/rpcscope_test.x"),
    ),
];

fn load(name: &str) -> Schema {
    let (_, text) = FILES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not a built-in file"));
    idl::parse(text, name).unwrap_or_else(|e| panic!("{e}"))
}

fn ty(s: &Schema, name: &str) -> TypeId {
    s.lookup(name).unwrap_or_else(|| panic!("no type {name}"))
}

/// The shape of a named type with aliases followed.
fn kind<'s>(s: &'s Schema, name: &str) -> &'s Kind {
    s.resolve(ty(s, name)).1
}

/// Field (or arm) names of a struct or union, in order.
fn members(s: &Schema, name: &str) -> Vec<String> {
    match kind(s, name) {
        Kind::Struct(st) => st.fields.iter().map(|f| f.name.clone()).collect(),
        Kind::Union(u) => std::iter::once(u.discriminant.name.clone())
            .chain(u.arms.iter().map(|a| a.name.clone()))
            .collect(),
        k => panic!("{name} is {k:?}"),
    }
}

/// `(value, name)` of an enum, sorted by value.
fn enum_values(s: &Schema, name: &str) -> Vec<(i32, String)> {
    match kind(s, name) {
        Kind::Enum(e) => {
            let mut v: Vec<_> = e.values.iter().map(|(n, v)| (*v, n.clone())).collect();
            v.sort();
            v
        }
        k => panic!("{name} is {k:?}"),
    }
}

/// The name of the type of `field` in struct or union `name`.
fn member_type(s: &Schema, name: &str, field: &str) -> String {
    let id = match kind(s, name) {
        Kind::Struct(st) => st.fields.iter().find(|f| f.name == field).map(|f| f.ty),
        Kind::Union(u) => u.arms.iter().find(|a| a.name == field).map(|a| a.ty),
        k => panic!("{name} is {k:?}"),
    }
    .unwrap_or_else(|| panic!("{name} has no member {field}"));
    match s.name(id) {
        Some(n) => n.to_string(),
        None => format!("{:?}", s.get(id).kind),
    }
}

#[test]
fn every_procedure_has_the_number_and_name_of_names_rs() {
    // (program, version) -> file that describes it.
    let mut described: BTreeMap<(u32, u32), &str> = BTreeMap::new();
    for (file, _) in FILES {
        let s = load(file);
        assert!(!s.programs.is_empty(), "{file} has no program");
        for p in &s.programs {
            let info = program(p.number)
                .unwrap_or_else(|| panic!("{file}: program {} is not in names.rs", p.number));
            for v in &p.versions {
                let names = info
                    .version(v.number)
                    .unwrap_or_else(|| {
                        panic!("{file}: {} version {} not in names.rs", info.name, v.number)
                    })
                    .procedures;
                if let Some(other) = described.insert((p.number, v.number), file) {
                    panic!("{} v{} is in {other} and {file}", info.name, v.number);
                }
                for proc in &v.procedures {
                    let want = names.get(proc.number as usize).copied().unwrap_or("");
                    assert_eq!(
                        proc.display, want,
                        "{file}: {} v{} procedure {} ({})",
                        info.name, v.number, proc.number, proc.name
                    );
                }
                for (number, name) in names.iter().enumerate() {
                    assert!(
                        name.is_empty() || v.procedure(number as u32).is_some(),
                        "{file}: {} v{} lacks {number} {name}",
                        info.name,
                        v.number
                    );
                }
            }
        }
    }
    // Every version names.rs lists for a described program is described.
    for info in programs() {
        if !described.keys().any(|&(p, _)| p == info.number) {
            continue;
        }
        for v in info.versions {
            assert!(
                described.contains_key(&(info.number, v.version)),
                "{} v{} is in names.rs but no file describes it",
                info.name,
                v.version
            );
        }
    }
    // The programs rpcscope decodes today, at least.
    for (prog, vers) in [
        (100000, 2),
        (100000, 3),
        (100000, 4),
        (100003, 2),
        (100003, 3),
        (100003, 4),
        (100005, 1),
        (100005, 3),
        (100011, 2),
        (100021, 4),
        (100024, 1),
        (100227, 3),
        (0x2000_0099, 1),
        (0x4000_0000, 1),
    ] {
        assert!(described.contains_key(&(prog, vers)), "{prog} v{vers}");
    }
}

#[test]
fn rpcbind_lists_and_results() {
    let s = load("rpcbind.x");
    let p = s.program(100000).unwrap();
    let vers: Vec<u32> = p.versions.iter().map(|v| v.number).collect();
    assert_eq!(vers, [2, 3, 4]);
    // DUMP results are the RFC's linked lists.
    assert_eq!(members(&s, "pmaplist"), ["pml_map", "pml_next"]);
    assert_eq!(members(&s, "rp__list"), ["rpcb_map", "rpcb_next"]);
    assert_eq!(
        members(&s, "rpcb"),
        ["r_prog", "r_vers", "r_netid", "r_addr", "r_owner"]
    );
    let v4 = p.version(4).unwrap();
    let getaddr = v4.procedure(3).unwrap();
    assert_eq!(s.get(getaddr.result).kind, Kind::String(None));
    let stat = v4.procedure(12).unwrap();
    assert_eq!(s.name(stat.result), Some("rpcb_stat_byvers"));
    assert!(matches!(
        kind(&s, "rpcb_stat_byvers"),
        Kind::FixedArray { len: 3, .. }
    ));
    assert!(matches!(
        kind(&s, "rpcbs_proc"),
        Kind::FixedArray { len: 13, .. }
    ));
    assert_eq!(
        members(&s, "rpcb_entry"),
        [
            "r_maddr",
            "r_nc_netid",
            "r_nc_semantics",
            "r_nc_protofmly",
            "r_nc_proto"
        ]
    );
}

#[test]
fn nfs3_results_switch_on_nfsstat3() {
    let s = load("nfs3.x");
    let stat = enum_values(&s, "nfsstat3");
    assert_eq!(stat.len(), 29);
    assert_eq!(stat[0], (0, "NFS3_OK".to_string()));
    assert_eq!(
        stat.last().unwrap(),
        &(10008, "NFS3ERR_JUKEBOX".to_string())
    );
    assert_eq!(members(&s, "LOOKUP3res"), ["status", "resok", "resfail"]);
    assert_eq!(members(&s, "LOOKUP3args"), ["what"]);
    assert_eq!(members(&s, "diropargs3"), ["dir", "name"]);
    assert_eq!(
        members(&s, "LOOKUP3resok"),
        ["object", "obj_attributes", "dir_attributes"]
    );
    assert_eq!(members(&s, "entryplus3").last().unwrap(), "nextentry");
    assert_eq!(member_type(&s, "sattr3", "atime"), "set_atime");
    // A `void` arm has an empty name.
    assert_eq!(members(&s, "set_atime"), ["set_it", "atime", ""]);
    let fh = match kind(&s, "nfs_fh3") {
        Kind::Struct(st) => st.fields[0].ty,
        k => panic!("{k:?}"),
    };
    assert_eq!(s.resolve(fh).1, &Kind::VarOpaque(Some(64)));
    let v3 = s.program(100003).unwrap().version(3).unwrap();
    assert_eq!(v3.procedures.len(), 22);
    assert_eq!(
        s.name(v3.procedure(17).unwrap().result),
        Some("READDIRPLUS3res")
    );
}

#[test]
fn nfs2_and_mount() {
    let s = load("nfs2.x");
    assert_eq!(enum_values(&s, "nfsstat").len(), 18);
    assert_eq!(s.resolve(ty(&s, "fhandle")).1, &Kind::FixedOpaque(32));
    assert_eq!(members(&s, "diropres"), ["status", "diropok", ""]);
    let m = load("mount.x");
    assert_eq!(members(&m, "mountres3"), ["fhs_status", "mountinfo", ""]);
    assert_eq!(
        members(&m, "exportnode"),
        ["ex_dir", "ex_groups", "ex_next"]
    );
    assert_eq!(
        members(&m, "mountbody"),
        ["ml_hostname", "ml_directory", "ml_next"]
    );
    assert_eq!(enum_values(&m, "mountstat3").len(), 10);
    let v2 = m.program(100005).unwrap().version(2).unwrap();
    assert_eq!(m.name(v2.procedure(7).unwrap().result), Some("ppathcnf"));
}

#[test]
fn nlm_nsm_acl_quota_and_test_program() {
    let nlm = load("nlm.x");
    assert_eq!(enum_values(&nlm, "nlm4_stats").len(), 10);
    let v4 = nlm.program(100021).unwrap().version(4).unwrap();
    // _MSG procedures take the arguments and return nothing; _RES
    // procedures take the result.
    let msg = v4.procedure(6).unwrap();
    assert_eq!(msg.result, TypeId::VOID);
    assert_eq!(nlm.name(msg.args[0]), Some("nlm4_testargs"));
    let res = v4.procedure(11).unwrap();
    assert_eq!(nlm.name(res.args[0]), Some("nlm4_testres"));
    assert_eq!(member_type(&nlm, "nlm4_lock", "l_offset"), "uint64");

    let nsm = load("nsm.x");
    assert_eq!(enum_values(&nsm, "res").len(), 2);
    assert_eq!(members(&nsm, "mon_id"), ["mon_name", "my_id"]);

    let acl = load("nfs_acl.x");
    assert_eq!(
        members(&acl, "secattr"),
        ["mask", "aclcnt", "aclent", "dfaclcnt", "dfaclent"]
    );
    assert_eq!(members(&acl, "GETACL3res"), ["status", "resok", "resfail"]);

    let q = load("rquota.x");
    assert_eq!(
        members(&q, "ext_getquota_args"),
        ["gqa_pathp", "gqa_type", "gqa_id"]
    );

    let t = load("rpcscope_test.x");
    let v1 = t.program(0x2000_0099).unwrap().version(1).unwrap();
    assert_eq!(t.name(v1.procedure(4).unwrap().args[0]), Some("put_args"));
    assert_eq!(members(&t, "put_args"), ["key", "value"]);
    assert!(matches!(kind(&t, "get_res"), Kind::Optional(_)));
    assert_eq!(members(&t, "upload_res"), ["count", "fnv1a32"]);
}

#[test]
fn nfs4_covers_every_operation_and_attribute() {
    let s = load("nfs4.x");
    let v4 = s.program(100003).unwrap().version(4).unwrap();
    assert_eq!(
        s.name(v4.procedure(1).unwrap().args[0]),
        Some("COMPOUND4args")
    );
    let cb = s.program(0x4000_0000).unwrap().version(1).unwrap();
    assert_eq!(cb.procedure(1).unwrap().display, "CB_COMPOUND");

    // Every operation number has an argument arm and a result arm named
    // after it, and there is no default arm.
    for (opnum, args, res, first, last) in [
        ("nfs_opnum4", "nfs_argop4", "nfs_resop4", 3, 75),
        ("nfs_cb_opnum4", "nfs_cb_argop4", "nfs_cb_resop4", 3, 15),
    ] {
        let ops = enum_values(&s, opnum);
        let numbers: Vec<i32> = ops.iter().map(|(v, _)| *v).collect();
        let mut want: Vec<i32> = (first..=last).collect();
        want.push(10044);
        assert_eq!(numbers, want, "{opnum}");
        for union in [args, res] {
            let Kind::Union(u) = kind(&s, union) else {
                panic!("{union}")
            };
            assert_eq!(u.default, None, "{union}");
            for (value, name) in &ops {
                let arm = u
                    .arm(i64::from(*value))
                    .unwrap_or_else(|| panic!("{union} has no arm for {name}"));
                let op = name.trim_start_matches("OP_");
                if arm.ty != TypeId::VOID {
                    let tyname = s.name(arm.ty).unwrap_or("");
                    assert!(tyname.starts_with(op), "{union} {name}: {tyname}");
                }
            }
        }
    }

    // One fattr4_<name> type for each FATTR4_<NAME> attribute number 0-82.
    let mut attrs: Vec<(i64, &str)> = s
        .consts
        .iter()
        .filter_map(|(k, &v)| k.strip_prefix("FATTR4_").map(|n| (v, n)))
        .collect();
    attrs.sort();
    let numbers: Vec<i64> = attrs.iter().map(|(v, _)| *v).collect();
    assert_eq!(numbers, (0..=82).collect::<Vec<i64>>());
    for (_, name) in &attrs {
        ty(&s, &format!("fattr4_{}", name.to_ascii_lowercase()));
    }
    assert_eq!(members(&s, "fattr4"), ["attrmask", "attr_vals"]);
    assert!(matches!(
        kind(&s, "fattr4_acl"),
        Kind::VarArray { max: None, .. }
    ));

    let stat = enum_values(&s, "nfsstat4");
    assert_eq!(
        stat.iter().find(|(v, _)| *v == 10096).unwrap().1,
        "NFS4ERR_XATTR2BIG"
    );
    assert_eq!(
        members(&s, "open_claim4"),
        [
            "claim",
            "file",
            "delegate_type",
            "delegate_cur_info",
            "file_delegate_prev",
            "",
            "",
            "oc_delegate_stateid"
        ]
    );
}
