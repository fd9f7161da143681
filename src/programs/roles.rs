//! Roles: what program semantics say about a type beyond its XDR shape.
//!
//! The `.x` language says `nfs_fh3` is a struct holding `opaque data<64>`;
//! only NFS semantics know it is a file handle. Semantics (written per
//! program, beside its `.x`) set roles on types by name once when a program
//! loads; the JSON writer, the text summary and fact extraction read them
//! per event in O(1): a [`Roles`] is a byte of flags per [`TypeId`], no
//! hashing and no strings.
//!
//! Contract: `has` takes any id (an id never set has no role) and never
//! panics; [`Roles::of`] also follows aliases, so a role set on `nfs_fh3`
//! holds for `typedef nfs_fh3 dirfh;`.

use super::schema::{Kind, Schema, TypeId};

/// One role a type can play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role(u8);

impl Role {
    /// A file handle: an opaque type (`typedef opaque fhandle[32]`) or a
    /// struct wrapping one opaque (`struct nfs_fh3 { opaque data<64>; }`).
    /// Rendered as `{"hex": ..., "hash": "0x..."}`.
    pub const FILE_HANDLE: Role = Role(1);
    /// Bulk data (READ/WRITE payloads): rendered as `{"len": N}` whatever
    /// its size.
    pub const BULK: Role = Role(2);
    /// The status enum that heads a result (`nfsstat3`).
    pub const STATUS: Role = Role(4);
    /// One path component: a name within a directory (`filename3`,
    /// `component4`); paths are built from these.
    pub const FILE_NAME: Role = Role(8);
    /// An absolute path (MOUNT's `dirpath`): the root of an export.
    pub const PATH_NAME: Role = Role(16);
    /// Opaque data that holds text (NFSv4's `utf8string` and the types
    /// built on it: names, tags, owners): rendered as a string.
    pub const TEXT: Role = Role(32);
    /// A struct holding opaque data with an inner type: an attribute bag
    /// (NFSv4's `fattr4`: a bitmap and one value per bit set) or a typed
    /// opaque (an NFSv4.1 layout), decoded by [`super::attrs`].
    pub const INNER: Role = Role(64);

    /// The bit of this role.
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// The roles of a schema's types: a set of [`Role`]s per [`TypeId`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    bits: Vec<u8>,
    /// Per type: a value of it may hold a value with a role (see
    /// [`Roles::mark_inside`]); empty until marked.
    inside: Vec<bool>,
    /// Per type: a value of it may hold what one visitor watches (see
    /// [`Roles::mark_watched`]); empty until marked.
    watched: Vec<bool>,
}

impl Roles {
    /// No type has any role.
    pub fn new() -> Self {
        Roles::default()
    }

    /// Gives `ty` the role `role` (ids beyond the schema's are accepted and
    /// mean nothing).
    pub fn set(&mut self, ty: TypeId, role: Role) {
        let i = ty.index();
        if i >= self.bits.len() {
            self.bits.resize(i + 1, 0);
        }
        self.bits[i] |= role.0;
    }

    /// Gives the named type `name` the role, if the schema has that name;
    /// returns whether it did.
    pub fn set_by_name(&mut self, schema: &Schema, name: &str, role: Role) -> bool {
        match schema.lookup(name) {
            Some(ty) => {
                self.set(ty, role);
                true
            }
            None => false,
        }
    }

    /// Whether `ty` itself has the role (aliases not followed).
    #[inline]
    pub fn has(&self, ty: TypeId, role: Role) -> bool {
        self.bits.get(ty.index()).is_some_and(|b| b & role.0 != 0)
    }

    /// The role bits of `ty` and of every type its aliases lead to: the
    /// roles of the value, however it is named where it sits. One lookup
    /// for a type that is not an alias; bounded by the schema's size.
    #[inline]
    pub fn of(&self, schema: &Schema, ty: TypeId) -> u8 {
        let mut bits = self.bits.get(ty.index()).copied().unwrap_or(0);
        let mut t = ty;
        for _ in 0..schema.types.len() {
            match schema.get(t).kind {
                Kind::Alias(next) => {
                    t = next;
                    bits |= self.bits.get(t.index()).copied().unwrap_or(0);
                }
                _ => break,
            }
        }
        bits
    }

    /// Marks, for every type of `schema`, whether a value of it can hold a
    /// value with a role: the type itself has one, or a type it is made of
    /// (fields, discriminant, arms, elements, optional data, alias target)
    /// does, transitively (recursive types included). Call once the roles
    /// are set; visitors looking only for roles (facts) then skip the values
    /// that cannot hold one (attributes, timestamps, bulk data).
    pub fn mark_inside(&mut self, schema: &Schema) {
        self.inside = self.holders(schema, u8::MAX, |_| false);
    }

    /// Marks, for every type of `schema`, whether a value of it can hold a
    /// value that one visitor watches: a type with a role in `mask`, or a
    /// type `base` picks (by its kind: a field name, an optional), or a
    /// type made of one, transitively. A visitor that reads only those may
    /// skip the rest ([`Roles::watched`]). One table per roles; the NFSv4
    /// operation reader is its user.
    pub fn mark_watched(&mut self, schema: &Schema, mask: u8, base: impl Fn(&Kind) -> bool) {
        self.watched = self.holders(schema, mask, base);
    }

    /// Per type: a value of it can hold a value with a role in `mask` or of
    /// a type `base` picks, transitively.
    fn holders(&self, schema: &Schema, mask: u8, base: impl Fn(&Kind) -> bool) -> Vec<bool> {
        let n = schema.types.len();
        let mut holds: Vec<bool> = (0..n)
            .map(|i| {
                self.bits.get(i).is_some_and(|&b| b & mask != 0) || base(&schema.types[i].kind)
            })
            .collect();
        let get = |v: &[bool], t: TypeId| v.get(t.index()).copied().unwrap_or(false);
        // Fixed point: each pass can only set more bits, so at most `n`
        // passes (in practice two or three).
        for _ in 0..=n {
            let mut changed = false;
            for i in 0..n {
                if holds[i] {
                    continue;
                }
                let inner = match &schema.types[i].kind {
                    Kind::Struct(st) => st.fields.iter().any(|f| get(&holds, f.ty)),
                    Kind::Union(u) => {
                        get(&holds, u.discriminant.ty) || u.arms.iter().any(|a| get(&holds, a.ty))
                    }
                    Kind::FixedArray { elem, .. } | Kind::VarArray { elem, .. } => {
                        get(&holds, *elem)
                    }
                    Kind::Optional(t) | Kind::Alias(t) => get(&holds, *t),
                    _ => false,
                };
                if inner {
                    holds[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        holds
    }

    /// Whether a value of `ty` can hold a value with a role; true for every
    /// type until [`Roles::mark_inside`] ran (nothing may be skipped).
    #[inline]
    pub fn inside(&self, ty: TypeId) -> bool {
        self.inside.is_empty() || self.inside.get(ty.index()).copied().unwrap_or(false)
    }

    /// Whether a value of `ty` can hold what [`Roles::mark_watched`] named;
    /// true for every type until it ran (nothing may be skipped).
    #[inline]
    pub fn watched(&self, ty: TypeId) -> bool {
        self.watched.is_empty() || self.watched.get(ty.index()).copied().unwrap_or(false)
    }

    /// The same roles with nothing marked watched: a visitor then skips
    /// nothing (differential tests compare the two).
    pub fn without_watched(&self) -> Roles {
        Roles {
            watched: Vec::new(),
            ..self.clone()
        }
    }

    /// True when some type has `role`.
    pub fn any(&self, role: Role) -> bool {
        self.bits.iter().any(|&b| b & role.0 != 0)
    }

    /// True when no type has a role.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&b| b == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::schema::TypeDef;

    #[test]
    fn inside_follows_members_and_recursion() {
        use crate::programs::schema::{Field, StructDef};
        let mut s = Schema::new();
        let fh = s.push(TypeDef {
            name: Some("fh".into()),
            kind: Kind::FixedOpaque(8),
        });
        let field = |name: &str, ty| Field {
            name: name.into(),
            ty,
        };
        let attrs = s.push(TypeDef {
            name: Some("attrs".into()),
            kind: Kind::Struct(StructDef {
                fields: vec![field("size", TypeId::UINT)],
            }),
        });
        let holder = s.push(TypeDef {
            name: Some("holder".into()),
            kind: Kind::Struct(StructDef {
                fields: vec![field("a", attrs), field("h", fh)],
            }),
        });
        // A recursive list whose elements hold the handle: `entry *next`.
        let entry = s.push(TypeDef {
            name: Some("entry".into()),
            kind: Kind::Struct(StructDef { fields: vec![] }),
        });
        let next = s.push(TypeDef {
            name: None,
            kind: Kind::Optional(entry),
        });
        if let Kind::Struct(st) = &mut s.types[entry.index()].kind {
            st.fields = vec![field("h", holder), field("next", next)];
        }
        let list = s.push(TypeDef {
            name: Some("list".into()),
            kind: Kind::VarArray {
                elem: entry,
                max: None,
            },
        });
        let mut r = Roles::new();
        assert!(r.inside(attrs), "unmarked: nothing is skipped");
        r.set(fh, Role::FILE_HANDLE);
        r.mark_inside(&s);
        assert!(!r.inside(attrs));
        assert!(!r.inside(TypeId::UINT));
        for t in [fh, holder, entry, next, list] {
            assert!(r.inside(t), "{t:?}");
        }
    }

    #[test]
    fn roles_are_per_type_and_follow_aliases() {
        let mut s = Schema::new();
        let fh = s.push(TypeDef {
            name: Some("fhandle".into()),
            kind: Kind::FixedOpaque(32),
        });
        let dirfh = s.push(TypeDef {
            name: Some("dirfh".into()),
            kind: Kind::Alias(fh),
        });
        let data = s.push(TypeDef {
            name: None,
            kind: Kind::VarOpaque(None),
        });
        let mut r = Roles::new();
        assert!(r.is_empty());
        assert!(r.set_by_name(&s, "fhandle", Role::FILE_HANDLE));
        assert!(!r.set_by_name(&s, "nosuch", Role::BULK));
        r.set(data, Role::BULK);
        r.set(data, Role::STATUS);
        assert!(r.has(fh, Role::FILE_HANDLE));
        assert!(!r.has(fh, Role::BULK));
        assert!(!r.has(dirfh, Role::FILE_HANDLE), "has() does not follow");
        assert_eq!(r.of(&s, dirfh), Role::FILE_HANDLE.bits());
        assert_eq!(r.of(&s, data), Role::BULK.bits() | Role::STATUS.bits());
        assert_eq!(r.of(&s, TypeId::INT), 0);
        assert!(!r.has(TypeId(u32::MAX), Role::BULK));
        assert_eq!(r.of(&s, TypeId(u32::MAX)), 0);
        assert!(!r.is_empty());
    }

    #[test]
    fn watched_marks_holders_of_a_mask_or_a_kind() {
        use crate::programs::schema::{Field, StructDef};
        let mut s = Schema::new();
        let field = |name: &str, ty| Field {
            name: name.into(),
            ty,
        };
        let fh = s.push(TypeDef {
            name: Some("fh".into()),
            kind: Kind::FixedOpaque(8),
        });
        let name = s.push(TypeDef {
            name: Some("name".into()),
            kind: Kind::String(None),
        });
        let times = s.push(TypeDef {
            name: Some("times".into()),
            kind: Kind::Struct(StructDef {
                fields: vec![field("sec", TypeId::UINT)],
            }),
        });
        let span = s.push(TypeDef {
            name: Some("span".into()),
            kind: Kind::Struct(StructDef {
                fields: vec![field("offset", TypeId::UHYPER)],
            }),
        });
        let outer = s.push(TypeDef {
            name: Some("outer".into()),
            kind: Kind::Struct(StructDef {
                fields: vec![field("t", times), field("s", span)],
            }),
        });
        let mut r = Roles::new();
        r.set(fh, Role::FILE_HANDLE);
        r.set(name, Role::TEXT);
        assert!(r.watched(times), "unmarked: nothing is skipped");
        let by_field = |k: &Kind| match k {
            Kind::Struct(st) => st.fields.iter().any(|f| f.name == "offset"),
            _ => false,
        };
        r.mark_watched(&s, Role::FILE_HANDLE.bits(), by_field);
        assert!(r.watched(fh), "a role in the mask");
        assert!(!r.watched(name), "a role outside the mask");
        assert!(
            r.watched(span) && r.watched(outer),
            "the kind, and what holds it"
        );
        assert!(!r.watched(times));
        assert!(r.without_watched().watched(times));
        // mark_inside is the same fixed point with every role and no kind.
        r.mark_inside(&s);
        assert!(r.inside(name) && !r.inside(span));
    }
}
