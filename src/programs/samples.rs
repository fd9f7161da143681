//! Hand-built schemas for tests, benchmarks and fuzzers (built with the
//! `arbitrary` feature or in tests): a [`Builder`] that reads like a `.x`
//! file, a schema with every [`Kind`], the NFSv3 READDIRPLUS types, and
//! small random schemas made from fuzzer bytes.
//!
//! Contract: every schema made here is checked in the sense of
//! [`Schema`]'s contract (ids in range, no containment cycle except through
//! optional data or counted arrays), whatever bytes [`from_bytes`] gets.

use super::schema::{EnumDef, Field, Kind, Schema, StructDef, TypeDef, TypeId, UnionDef};

/// Builds a [`Schema`] by hand.
#[derive(Debug, Default)]
pub struct Builder {
    /// The schema so far.
    pub schema: Schema,
}

fn fields(f: &[(&str, TypeId)]) -> Vec<Field> {
    f.iter()
        .map(|&(name, ty)| Field {
            name: name.into(),
            ty,
        })
        .collect()
}

impl Builder {
    /// An empty schema (primitives only).
    pub fn new() -> Self {
        Builder::default()
    }

    /// A type named `name`.
    pub fn named(&mut self, name: &str, kind: Kind) -> TypeId {
        self.schema.push(TypeDef {
            name: Some(name.into()),
            kind,
        })
    }

    /// An anonymous type (declared inline).
    pub fn anon(&mut self, kind: Kind) -> TypeId {
        self.schema.push(TypeDef { name: None, kind })
    }

    /// A named type to be defined later with [`Builder::define`] (for
    /// recursive types).
    pub fn declare(&mut self, name: &str) -> TypeId {
        self.named(name, Kind::Void)
    }

    /// Gives a declared type its shape.
    pub fn define(&mut self, id: TypeId, kind: Kind) {
        if let Some(t) = self.schema.types.get_mut(id.index()) {
            t.kind = kind;
        }
        self.schema.invalidate();
    }

    /// `struct name { ... }`.
    pub fn structure(&mut self, name: &str, f: &[(&str, TypeId)]) -> TypeId {
        self.named(name, Kind::Struct(StructDef { fields: fields(f) }))
    }

    /// Defines a declared struct.
    pub fn define_struct(&mut self, id: TypeId, f: &[(&str, TypeId)]) {
        self.define(id, Kind::Struct(StructDef { fields: fields(f) }));
    }

    /// `enum name { ... }`.
    pub fn enumeration(&mut self, name: &str, values: &[(&str, i32)]) -> TypeId {
        let values = values.iter().map(|&(n, v)| (n.to_string(), v)).collect();
        self.named(name, Kind::Enum(EnumDef::new(values)))
    }

    /// `union name switch (disc) { case ...: arm; ... default: arm; }`:
    /// `arms` are `(case values, arm name, arm type)`; a void arm has the
    /// name `""` and type `TypeId::VOID`.
    pub fn union(
        &mut self,
        name: &str,
        disc: (&str, TypeId),
        arms: &[(&[i64], &str, TypeId)],
        default: Option<(&str, TypeId)>,
    ) -> TypeId {
        let mut def = UnionDef {
            discriminant: Field {
                name: disc.0.into(),
                ty: disc.1,
            },
            arms: Vec::new(),
            cases: Vec::new(),
            default: None,
        };
        for &(cases, arm, ty) in arms {
            let i = def.arms.len() as u32;
            def.arms.push(Field {
                name: arm.into(),
                ty,
            });
            def.cases.extend(cases.iter().map(|&c| (c, i)));
        }
        if let Some((arm, ty)) = default {
            def.default = Some(def.arms.len() as u32);
            def.arms.push(Field {
                name: arm.into(),
                ty,
            });
        }
        def.cases.sort_by_key(|c| c.0);
        def.cases.dedup_by_key(|c| c.0);
        self.named(name, Kind::Union(def))
    }

    /// `T *`.
    pub fn optional(&mut self, t: TypeId) -> TypeId {
        self.anon(Kind::Optional(t))
    }

    /// `T x<max>`.
    pub fn var_array(&mut self, elem: TypeId, max: Option<u32>) -> TypeId {
        self.anon(Kind::VarArray { elem, max })
    }

    /// `T x[len]`.
    pub fn fixed_array(&mut self, elem: TypeId, len: u32) -> TypeId {
        self.anon(Kind::FixedArray { elem, len })
    }

    /// `opaque x<max>`.
    pub fn var_opaque(&mut self, max: Option<u32>) -> TypeId {
        self.anon(Kind::VarOpaque(max))
    }

    /// `string x<max>`.
    pub fn string(&mut self, max: Option<u32>) -> TypeId {
        self.anon(Kind::String(max))
    }

    /// The finished schema.
    pub fn finish(self) -> Schema {
        self.schema
    }
}

/// A schema with every kind of type, and the ids worth walking.
#[derive(Debug)]
pub struct EveryKind {
    pub schema: Schema,
    /// `struct all`: one field of every kind.
    pub all: TypeId,
    /// `struct entry { unsigned id; string name<16>; entry *next; }`.
    pub entry: TypeId,
    /// `entry *` (a list).
    pub list: TypeId,
    /// `union u switch (color c)` with a void arm and a default.
    pub color_union: TypeId,
    /// `struct node { int v; node *left; node *right; }`: a tree, not a list.
    pub tree: TypeId,
    /// `typedef opaque fhandle[8];`
    pub fhandle: TypeId,
    /// `struct fh3 { opaque data<16>; }`
    pub fh3: TypeId,
    /// Every named type, for tests that go over all of them.
    pub named: Vec<TypeId>,
}

/// Builds [`EveryKind`].
pub fn every_kind() -> EveryKind {
    let mut b = Builder::new();
    let color = b.enumeration(
        "color",
        &[("RED", 0), ("GREEN", 1), ("BLUE", 2), ("NEG", -5)],
    );
    let name16 = b.string(Some(16));
    let entry = b.declare("entry");
    let list = b.optional(entry);
    b.define_struct(
        entry,
        &[("id", TypeId::UINT), ("name", name16), ("next", list)],
    );
    let color_union = b.union(
        "cu",
        ("c", color),
        &[
            (&[0], "red", TypeId::INT),
            (&[1], "", TypeId::VOID),
            (&[-5], "neg", list),
        ],
        Some(("other", name16)),
    );
    let int_union = b.union(
        "iu",
        ("n", TypeId::INT),
        &[
            (&[-1], "minus", TypeId::HYPER),
            (&[7], "seven", TypeId::BOOL),
        ],
        None,
    );
    let uint_union = b.union(
        "uu",
        ("n", TypeId::UINT),
        &[(&[0xffff_ffff], "max", TypeId::UHYPER)],
        Some(("", TypeId::VOID)),
    );
    let bool_union = b.union(
        "bu",
        ("present", TypeId::BOOL),
        &[(&[1], "value", TypeId::DOUBLE), (&[0], "", TypeId::VOID)],
        None,
    );
    let hyper_union = b.union(
        "hu",
        ("h", TypeId::HYPER),
        &[(&[1 << 40], "big", TypeId::FLOAT)],
        Some(("rest", TypeId::INT)),
    );
    let node = b.declare("node");
    let node_ptr = b.optional(node);
    b.define_struct(
        node,
        &[("v", TypeId::INT), ("left", node_ptr), ("right", node_ptr)],
    );
    let fhandle = b.named("fhandle", Kind::FixedOpaque(8));
    let dirfh = b.named("dirfh", Kind::Alias(fhandle));
    let data16 = b.var_opaque(Some(16));
    let fh3 = b.structure("fh3", &[("data", data16)]);
    let inner = b.structure("inner", &[("a", TypeId::INT), ("b", TypeId::UHYPER)]);
    let fixed_ints = b.fixed_array(TypeId::INT, 3);
    let fixed_inner = b.fixed_array(inner, 2);
    let var_strings_elem = b.string(None);
    let var_strings = b.var_array(var_strings_elem, Some(4));
    let var_unions = b.var_array(color_union, None);
    let opt_inner = b.optional(inner);
    let opt_int = b.optional(TypeId::INT);
    let opaque5 = b.anon(Kind::FixedOpaque(5));
    let opaque_any = b.var_opaque(None);
    let count = b.named("count", Kind::Alias(TypeId::UINT));
    let all = b.structure(
        "all",
        &[
            ("i", TypeId::INT),
            ("u", TypeId::UINT),
            ("h", TypeId::HYPER),
            ("uh", TypeId::UHYPER),
            ("f", TypeId::FLOAT),
            ("d", TypeId::DOUBLE),
            ("q", TypeId::QUADRUPLE),
            ("flag", TypeId::BOOL),
            ("color", color),
            ("o5", opaque5),
            ("bytes", opaque_any),
            ("name", name16),
            ("nothing", TypeId::VOID),
            ("inner", inner),
            ("cu", color_union),
            ("iu", int_union),
            ("uu", uint_union),
            ("bu", bool_union),
            ("hu", hyper_union),
            ("ints", fixed_ints),
            ("inners", fixed_inner),
            ("strings", var_strings),
            ("unions", var_unions),
            ("maybe", opt_inner),
            ("maybe_int", opt_int),
            ("list", list),
            ("head", entry),
            ("tree", node_ptr),
            ("fh", fhandle),
            ("dir", dirfh),
            ("fh3", fh3),
            ("n", count),
        ],
    );
    let schema = b.finish();
    let named = schema.by_name.values().copied().collect::<Vec<_>>();
    let mut named = named;
    named.sort();
    EveryKind {
        schema,
        all,
        entry,
        list,
        color_union,
        tree: node,
        fhandle,
        fh3,
        named,
    }
}

/// The NFSv3 READDIRPLUS types (RFC 1813), as `nfs3_prot.x` spells them.
#[derive(Debug)]
pub struct Nfs3 {
    pub schema: Schema,
    /// `READDIRPLUS3args`.
    pub args: TypeId,
    /// `READDIRPLUS3res`.
    pub res: TypeId,
    /// `nfs_fh3`.
    pub fh: TypeId,
    /// `nfsstat3`.
    pub status: TypeId,
}

/// Builds [`Nfs3`].
pub fn nfs3_readdirplus() -> Nfs3 {
    let mut b = Builder::new();
    let u64_ = |b: &mut Builder, n: &str| b.named(n, Kind::Alias(TypeId::UHYPER));
    let u32_ = |b: &mut Builder, n: &str| b.named(n, Kind::Alias(TypeId::UINT));
    let uint64 = u64_(&mut b, "uint64");
    let uint32 = u32_(&mut b, "uint32");
    let fileid3 = b.named("fileid3", Kind::Alias(uint64));
    let cookie3 = b.named("cookie3", Kind::Alias(uint64));
    let cookieverf3 = b.named("cookieverf3", Kind::FixedOpaque(8));
    let filename3 = b.named("filename3", Kind::String(None));
    let mode3 = b.named("mode3", Kind::Alias(uint32));
    let uid3 = b.named("uid3", Kind::Alias(uint32));
    let gid3 = b.named("gid3", Kind::Alias(uint32));
    let size3 = b.named("size3", Kind::Alias(uint64));
    let count3 = b.named("count3", Kind::Alias(uint32));
    let status = b.enumeration(
        "nfsstat3",
        &[
            ("NFS3_OK", 0),
            ("NFS3ERR_PERM", 1),
            ("NFS3ERR_NOENT", 2),
            ("NFS3ERR_IO", 5),
            ("NFS3ERR_ACCES", 13),
            ("NFS3ERR_NOTDIR", 20),
            ("NFS3ERR_BAD_COOKIE", 10003),
            ("NFS3ERR_TOOSMALL", 10005),
        ],
    );
    let ftype3 = b.enumeration(
        "ftype3",
        &[
            ("NF3REG", 1),
            ("NF3DIR", 2),
            ("NF3BLK", 3),
            ("NF3CHR", 4),
            ("NF3LNK", 5),
            ("NF3SOCK", 6),
            ("NF3FIFO", 7),
        ],
    );
    let specdata3 = b.structure("specdata3", &[("specdata1", uint32), ("specdata2", uint32)]);
    let nfstime3 = b.structure("nfstime3", &[("seconds", uint32), ("nseconds", uint32)]);
    let fattr3 = b.structure(
        "fattr3",
        &[
            ("type", ftype3),
            ("mode", mode3),
            ("nlink", uint32),
            ("uid", uid3),
            ("gid", gid3),
            ("size", size3),
            ("used", size3),
            ("rdev", specdata3),
            ("fsid", uint64),
            ("fileid", fileid3),
            ("atime", nfstime3),
            ("mtime", nfstime3),
            ("ctime", nfstime3),
        ],
    );
    let post_op_attr = b.union(
        "post_op_attr",
        ("attributes_follow", TypeId::BOOL),
        &[(&[1], "attributes", fattr3), (&[0], "", TypeId::VOID)],
        None,
    );
    let fh_data = b.var_opaque(Some(64));
    let fh = b.structure("nfs_fh3", &[("data", fh_data)]);
    let post_op_fh3 = b.union(
        "post_op_fh3",
        ("handle_follows", TypeId::BOOL),
        &[(&[1], "handle", fh), (&[0], "", TypeId::VOID)],
        None,
    );
    let entry = b.declare("entryplus3");
    let entry_ptr = b.optional(entry);
    b.define_struct(
        entry,
        &[
            ("fileid", fileid3),
            ("name", filename3),
            ("cookie", cookie3),
            ("name_attributes", post_op_attr),
            ("name_handle", post_op_fh3),
            ("nextentry", entry_ptr),
        ],
    );
    let dirlist = b.structure(
        "dirlistplus3",
        &[("entries", entry_ptr), ("eof", TypeId::BOOL)],
    );
    let resok = b.structure(
        "READDIRPLUS3resok",
        &[
            ("dir_attributes", post_op_attr),
            ("cookieverf", cookieverf3),
            ("reply", dirlist),
        ],
    );
    let resfail = b.structure("READDIRPLUS3resfail", &[("dir_attributes", post_op_attr)]);
    let res = b.union(
        "READDIRPLUS3res",
        ("status", status),
        &[(&[0], "resok", resok)],
        Some(("resfail", resfail)),
    );
    let args = b.structure(
        "READDIRPLUS3args",
        &[
            ("dir", fh),
            ("cookie", cookie3),
            ("cookieverf", cookieverf3),
            ("dircount", count3),
            ("maxcount", count3),
        ],
    );
    Nfs3 {
        schema: b.finish(),
        args,
        res,
        fh,
        status,
    }
}

/// A small random schema from fuzzer bytes, and the type to walk (the last
/// one made). Types refer only to types made before them, except through
/// optional data and counted arrays, which may refer to any (themselves
/// included): so the schema is checked whatever the bytes.
#[cfg(feature = "arbitrary")]
pub fn from_bytes(input: &mut crate::fuzzing::Input<'_>) -> (Schema, TypeId) {
    let mut b = Builder::new();
    let n = 1 + (input.u8() % 12) as u32;
    let first = TypeId::FIRST_DECLARED;
    // Ids the types will have: first .. first + n.
    let any = |x: u8| TypeId(first + u32::from(x) % n);
    for i in 0..n {
        let id = first + i;
        let earlier = |x: u8| {
            if id > first && !x.is_multiple_of(4) {
                TypeId(first + u32::from(x) % i)
            } else {
                TypeId(1 + u32::from(x) % (TypeId::FIRST_DECLARED - 1))
            }
        };
        let op = input.u8();
        let a = input.u8();
        let c = input.u8();
        let max = |c: u8| (c & 0x80 == 0).then_some(u32::from(c & 7));
        let kind = match op % 13 {
            0 => Kind::Struct(StructDef {
                fields: (0..1 + a % 4)
                    .map(|k| Field {
                        name: format!("f{k}"),
                        ty: earlier(input.u8()),
                    })
                    .collect(),
            }),
            // A list element: fields, then a link to itself.
            1 => Kind::Struct(StructDef {
                fields: vec![
                    Field {
                        name: "v".into(),
                        ty: earlier(a),
                    },
                    Field {
                        name: "next".into(),
                        ty: TypeId(id + 1),
                    },
                ],
            }),
            2 => Kind::Optional(any(a)),
            3 => Kind::Optional(TypeId(id.saturating_sub(1).max(first))),
            4 => Kind::VarArray {
                elem: any(a),
                max: max(c),
            },
            5 => Kind::FixedArray {
                elem: earlier(a),
                len: u32::from(c % 4),
            },
            6 => Kind::FixedOpaque(u32::from(a % 9)),
            7 => Kind::VarOpaque(max(c)),
            8 => Kind::String(max(c)),
            9 => Kind::Enum(EnumDef::new(vec![
                ("A".into(), 0),
                ("B".into(), i32::from(a)),
            ])),
            10 => {
                let disc = [TypeId::INT, TypeId::UINT, TypeId::BOOL][usize::from(c % 3)];
                Kind::Union(UnionDef {
                    discriminant: Field {
                        name: "d".into(),
                        ty: disc,
                    },
                    arms: vec![
                        Field {
                            name: "x".into(),
                            ty: earlier(a),
                        },
                        Field {
                            name: String::new(),
                            ty: TypeId::VOID,
                        },
                    ],
                    cases: vec![(0, 0), (1, 1)],
                    default: (c & 8 != 0).then_some(0),
                })
            }
            11 => Kind::Alias(earlier(a)),
            _ => Kind::Struct(StructDef {
                fields: vec![Field {
                    name: "only".into(),
                    ty: earlier(a),
                }],
            }),
        };
        b.named(&format!("t{i}"), kind);
    }
    // Fix up list links: a struct made by op 1 points at the next id; make
    // that id `Optional(struct)` when it exists, else drop the link.
    let ids: Vec<u32> = (first..first + n).collect();
    for &id in &ids {
        let link_target = match &b.schema.types[id as usize].kind {
            Kind::Struct(d) if d.fields.len() == 2 && d.fields[1].name == "next" => Some(id + 1),
            _ => None,
        };
        if let Some(t) = link_target {
            if t < first + n {
                b.define(TypeId(t), Kind::Optional(TypeId(id)));
            } else if let Some(TypeDef {
                kind: Kind::Struct(d),
                ..
            }) = b.schema.types.get_mut(id as usize)
            {
                d.fields.pop();
            }
        }
    }
    b.schema.invalidate();
    let last = TypeId(first + n - 1);
    (b.finish(), last)
}
