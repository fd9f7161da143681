//! Program semantics: the little that the XDR description cannot say, one
//! short table per program, beside its `.x` file.
//!
//! A table names types (or single struct fields, as `"struct.field"`) that
//! play a role: file handles, file names, absolute paths, bulk data, the
//! status that heads a result. [`assign_roles`] turns the names into
//! per-[`TypeId`] roles when a schema loads, so visitors never compare
//! strings. Names that a schema does not define are ignored: the tables
//! also apply to a user's `.x` file for the same program number (rpcsvc's
//! `nfs_prot.x` uses the same type names as the RFC), and to nothing else.
//!
//! A role given to one field gets a private alias type, so that it does not
//! spread to every field sharing the type (NLM's lock `fh` and its `cookie`
//! are both `netobj`).

use super::attrs::{BagSpec, SwitchSpec};
use super::roles::{Role, Roles};
use super::schema::{Kind, Schema, TypeDef, TypeId};

/// The roles of one program's types.
#[derive(Debug, PartialEq, Eq)]
pub struct Semantics {
    /// File handles (rendered `{"hex","hash"}`, keys of the path table).
    pub handles: &'static [&'static str],
    /// One path component (a name in a directory).
    pub names: &'static [&'static str],
    /// Absolute paths (the export a MOUNT call names).
    pub pathnames: &'static [&'static str],
    /// Bulk data, rendered `{"len": N}` whatever its size.
    pub bulk: &'static [&'static str],
    /// Status enums that head results.
    pub status: &'static [&'static str],
    /// `(version, procedure)` of renames: their arguments hold the old
    /// (directory, name) then the new one.
    pub renames: &'static [(u32, u32)],
    /// Opaque types holding text (rendered as strings).
    pub text: &'static [&'static str],
    /// Attribute bags (NFSv4 `fattr4`), see [`super::attrs`].
    pub bags: &'static [BagSpec],
    /// Typed opaques (NFSv4.1 layouts), see [`super::attrs`].
    pub switched: &'static [SwitchSpec],
    /// `(version, procedure)` of COMPOUNDs: arguments and results that are
    /// a header and an array of operations, see [`super::nfs4`].
    pub compounds: &'static [(u32, u32)],
    /// `(version, procedure)` of removals (REMOVE, RMDIR): their (directory,
    /// name) no longer names the handle that was there.
    pub removes: &'static [(u32, u32)],
    /// The status value that means success (0 in every status enum but
    /// rquota's, whose `Q_OK` is 1).
    pub ok: i32,
}

impl Semantics {
    /// True when a result headed by `status` reports success.
    pub fn is_ok(&self, status: i32) -> bool {
        status == self.ok
    }
}

/// No roles: user programs and programs without a table.
pub static NONE: Semantics = Semantics {
    handles: &[],
    names: &[],
    pathnames: &[],
    bulk: &[],
    status: &[],
    renames: &[],
    text: &[],
    bags: &[],
    switched: &[],
    compounds: &[],
    removes: &[],
    ok: 0,
};

/// NFS v2 (RFC 1094), v3 (RFC 1813) and v4 (RFC 7530, 8881, 7862).
pub static NFS: Semantics = Semantics {
    handles: &["fhandle", "nfs_fh3", "nfs_fh4"],
    names: &["filename", "filename3", "component4"],
    pathnames: &[],
    bulk: &[
        "writeargs.data",
        "readokres.data",
        "WRITE3args.data",
        "READ3resok.data",
        "WRITE4args.data",
        "READ4resok.data",
    ],
    status: &["nfsstat", "nfsstat3", "nfsstat4"],
    renames: &[(2, 11), (3, 14)],
    text: NFS4_TEXT,
    bags: &[FATTR4],
    switched: NFS4_LAYOUTS,
    compounds: &[(4, 1)],
    removes: &[(2, 10), (2, 15), (3, 12), (3, 13)],
    ok: 0,
};

/// MOUNT v1-v3 (RFC 1094 appendix A, RFC 1813 section 5).
pub static MOUNT: Semantics = Semantics {
    handles: &["fhandle", "fhandle3"],
    names: &[],
    pathnames: &["dirpath"],
    bulk: &[],
    status: &["mountstat3"],
    renames: &[],
    text: &[],
    bags: &[],
    switched: &[],
    compounds: &[],
    removes: &[],
    ok: 0,
};

/// NLM v1-v4 (XNFS, RFC 1813 section 6): the lock's `fh` is a file handle.
pub static NLM: Semantics = Semantics {
    handles: &[
        "nlm_lock.fh",
        "nlm4_lock.fh",
        "nlm_share.fh",
        "nlm4_share.fh",
    ],
    names: &[],
    pathnames: &[],
    bulk: &[],
    status: &["nlm_stats", "nlm4_stats"],
    renames: &[],
    text: &[],
    bags: &[],
    switched: &[],
    compounds: &[],
    removes: &[],
    ok: 0,
};

/// NSM (status monitor).
pub static NSM: Semantics = Semantics {
    handles: &[],
    names: &[],
    pathnames: &[],
    bulk: &[],
    status: &["res"],
    renames: &[],
    text: &[],
    bags: &[],
    switched: &[],
    compounds: &[],
    removes: &[],
    ok: 0,
};

/// NFS_ACL v2/v3: results head with `aclstat2` / `aclstat3` (the NFS
/// status values under the draft's names).
pub static NFS_ACL: Semantics = Semantics {
    handles: &["fhandle", "nfs_fh3"],
    names: &[],
    pathnames: &[],
    bulk: &[],
    status: &["aclstat2", "aclstat3"],
    renames: &[],
    text: &[],
    bags: &[],
    switched: &[],
    compounds: &[],
    removes: &[],
    ok: 0,
};

/// rquota v1/v2.
pub static RQUOTA: Semantics = Semantics {
    handles: &[],
    names: &[],
    pathnames: &["getquota_args.gqa_pathp", "ext_getquota_args.gqa_pathp"],
    bulk: &[],
    status: &["gqr_status"],
    renames: &[],
    text: &[],
    bags: &[],
    switched: &[],
    compounds: &[],
    removes: &[],
    ok: 1,
};

/// The NFSv4 callback program.
pub static NFS_CB: Semantics = Semantics {
    handles: &["nfs_fh4"],
    names: &["component4"],
    pathnames: &[],
    bulk: &[],
    status: &["nfsstat4"],
    renames: &[],
    text: NFS4_TEXT,
    bags: &[FATTR4],
    switched: NFS4_LAYOUTS,
    compounds: &[(1, 1)],
    removes: &[],
    ok: 0,
};

/// NFSv4 opaque types that hold UTF-8 text (RFC 7530 section 3.2): names,
/// tags, owners, symlink targets.
const NFS4_TEXT: &[&str] = &["utf8string", "linktext4"];

/// NFSv4.1 layouts whose content type the layout type names (RFC 8881
/// section 13.3): the file layout type's body, device address and hint.
const NFS4_LAYOUTS: &[SwitchSpec] = &[
    SwitchSpec {
        container: "layout_content4",
        tag: "loc_type",
        body: "loc_body",
        cases: &[("LAYOUT4_NFSV4_1_FILES", "nfsv4_1_file_layout4")],
    },
    SwitchSpec {
        container: "device_addr4",
        tag: "da_layout_type",
        body: "da_addr_body",
        cases: &[("LAYOUT4_NFSV4_1_FILES", "nfsv4_1_file_layout_ds_addr4")],
    },
    SwitchSpec {
        container: "layouthint4",
        tag: "loh_type",
        body: "loh_body",
        cases: &[("LAYOUT4_NFSV4_1_FILES", "nfsv4_1_file_layouthint4")],
    },
];

/// NFSv4's attributes: `fattr4 { bitmap4 attrmask; attrlist4 attr_vals; }`,
/// one `fattr4_<name>` value per bit, numbered by `FATTR4_<NAME>`.
const FATTR4: BagSpec = BagSpec {
    container: "fattr4",
    mask: "attrmask",
    vals: "attr_vals",
    consts: "FATTR4_",
    types: "fattr4_",
};

/// The semantics table of a program number.
pub fn for_program(program: u32) -> &'static Semantics {
    match program {
        100003 => &NFS,
        100005 => &MOUNT,
        100021 => &NLM,
        100024 => &NSM,
        100227 => &NFS_ACL,
        100011 => &RQUOTA,
        0x4000_0000 => &NFS_CB,
        _ => &NONE,
    }
}

/// Gives the types `sem` names their roles in `schema` (which may gain
/// private alias types for field roles).
pub fn assign_roles(sem: &Semantics, schema: &mut Schema, roles: &mut Roles) {
    for (names, role) in [
        (sem.handles, Role::FILE_HANDLE),
        (sem.names, Role::FILE_NAME),
        (sem.pathnames, Role::PATH_NAME),
        (sem.bulk, Role::BULK),
        (sem.status, Role::STATUS),
        (sem.text, Role::TEXT),
    ] {
        for name in names {
            if let Some(ty) = target(schema, name) {
                roles.set(ty, role);
            }
        }
    }
}

/// The type a table entry names: a named type, or for `"struct.field"` a
/// private alias of that field's type, put in the field's place.
fn target(schema: &mut Schema, name: &str) -> Option<TypeId> {
    let Some((st, field)) = name.split_once('.') else {
        return schema.lookup(name);
    };
    let sid = schema.lookup(st)?;
    let (sid, _) = schema.resolve(sid);
    let fty = match &schema.get(sid).kind {
        Kind::Struct(s) => s.fields.iter().find(|f| f.name == field)?.ty,
        _ => return None,
    };
    // Already private (the table lists a field twice, or two roles).
    if schema.get(fty).name.as_deref() == Some(name) {
        return Some(fty);
    }
    let alias = schema.push_anonymous(TypeDef {
        name: Some(name.to_string()),
        kind: Kind::Alias(fty),
    });
    if let Kind::Struct(s) = &mut schema.types[sid.index()].kind {
        if let Some(f) = s.fields.iter_mut().find(|f| f.name == field) {
            f.ty = alias;
        }
    }
    Some(alias)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::schema::{Field, StructDef};

    fn nlm_like() -> Schema {
        let mut s = Schema::new();
        let netobj = s.push(TypeDef {
            name: Some("netobj".into()),
            kind: Kind::VarOpaque(Some(1024)),
        });
        s.push(TypeDef {
            name: Some("nlm4_lock".into()),
            kind: Kind::Struct(StructDef {
                fields: vec![
                    Field {
                        name: "cookie".into(),
                        ty: netobj,
                    },
                    Field {
                        name: "fh".into(),
                        ty: netobj,
                    },
                ],
            }),
        });
        s
    }

    #[test]
    fn a_field_role_does_not_spread_to_the_shared_type() {
        let mut s = nlm_like();
        let mut roles = Roles::new();
        assign_roles(&NLM, &mut s, &mut roles);
        let netobj = s.lookup("netobj").unwrap();
        let lock = s.lookup("nlm4_lock").unwrap();
        let Kind::Struct(st) = &s.get(lock).kind else {
            panic!()
        };
        let (cookie, fh) = (st.fields[0].ty, st.fields[1].ty);
        assert_eq!(cookie, netobj);
        assert_ne!(fh, netobj);
        assert!(roles.has(fh, Role::FILE_HANDLE));
        assert!(!roles.has(netobj, Role::FILE_HANDLE));
        assert_eq!(s.resolve(fh).1, &Kind::VarOpaque(Some(1024)));
        // The alias is not a name users can refer to.
        assert_eq!(s.lookup("nlm4_lock.fh"), None);
    }

    /// Every name a built-in table gives a role is defined by one of its
    /// program's built-in `.x` files (a misspelt or renamed type would
    /// silently lose its role: NFS_ACL once named `nfsstat3` where its
    /// results head with `aclstat3`).
    #[test]
    fn every_builtin_table_name_is_defined() {
        use crate::programs::registry::Registry;
        let reg = Registry::builtin();
        for program in [100003, 100005, 100021, 100024, 100227, 100011, 0x4000_0000] {
            let sem = for_program(program);
            let schemas: Vec<_> = reg
                .versions()
                .iter()
                .filter(|e| e.program == program)
                .map(|e| e.schema())
                .collect();
            assert!(!schemas.is_empty(), "{program}: no built-in definition");
            for name in [sem.handles, sem.names, sem.pathnames, sem.bulk, sem.status].concat() {
                let defined = schemas.iter().any(|s| match name.split_once('.') {
                    // A field role: the struct keeps the field (typed by the
                    // private alias, whose name is the entry).
                    Some((st, field)) => s.lookup(st).is_some_and(|id| {
                        matches!(&s.get(s.resolve(id).0).kind,
                            Kind::Struct(d) if d.fields.iter().any(|f| f.name == field))
                    }),
                    None => s.lookup(name).is_some(),
                });
                assert!(defined, "{program}: {name} is not defined");
            }
        }
    }

    #[test]
    fn names_the_schema_lacks_are_ignored() {
        let mut s = Schema::new();
        let mut roles = Roles::new();
        assign_roles(&NFS, &mut s, &mut roles);
        assert!(!roles.any(Role::FILE_HANDLE));
    }
}
