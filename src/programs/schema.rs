//! A checked XDR schema: the types, constants and programs of one `.x` file
//! (with its includes), interned so that walking a body is a loop over small
//! integers.
//!
//! The IDL parser ([`super::idl`]) builds a `Schema`; the walker
//! ([`super::walk`]) reads bytes against it; the encoder ([`super::value`])
//! writes values through it. Every type is a [`TypeDef`] in one `Vec`,
//! addressed by a [`TypeId`]: named types (`struct nfs_fh3`, `typedef
//! opaque fhandle[32]`), and the anonymous ones declared inline (`struct {
//! ... } *next`, `opaque data<>`), each once. The primitive types sit at fixed
//! ids ([`TypeId::VOID`] ... [`TypeId::BOOL`]).
//!
//! Contract: a `Schema` handed out by the parser is checked: every `TypeId`
//! in it is in range, every type name resolves, no name is defined twice, and
//! no type contains itself except through optional data (`*`) or a
//! variable-length array, so any walk over finite bytes ends. Lookups never
//! panic on ids from this schema.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::rpc::xdr::padded;

/// Index of a type in its [`Schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u32);

impl TypeId {
    /// `void`.
    pub const VOID: TypeId = TypeId(0);
    /// `int`: 32-bit signed.
    pub const INT: TypeId = TypeId(1);
    /// `unsigned int`.
    pub const UINT: TypeId = TypeId(2);
    /// `hyper`: 64-bit signed.
    pub const HYPER: TypeId = TypeId(3);
    /// `unsigned hyper`.
    pub const UHYPER: TypeId = TypeId(4);
    /// `float`: IEEE single precision.
    pub const FLOAT: TypeId = TypeId(5);
    /// `double`: IEEE double precision.
    pub const DOUBLE: TypeId = TypeId(6);
    /// `quadruple`: 16 bytes, kept as opaque bits.
    pub const QUADRUPLE: TypeId = TypeId(7);
    /// `bool`: an enum of FALSE (0) and TRUE (1).
    pub const BOOL: TypeId = TypeId(8);
    /// Number of primitive ids; the first declared type gets this id.
    pub const FIRST_DECLARED: u32 = 9;

    /// The index into [`Schema::types`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One type: its shape and, for named types, its name.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// The declared name (`nfs_fh3`, `fhandle`), or `None` for a type written
    /// inline and for primitives.
    pub name: Option<String>,
    /// The shape.
    pub kind: Kind,
}

/// The shape of a type (RFC 4506 section 4).
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `void`: no bytes.
    Void,
    /// `int`.
    Int,
    /// `unsigned int`.
    UInt,
    /// `hyper`.
    Hyper,
    /// `unsigned hyper`.
    UHyper,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `quadruple` (16 bytes).
    Quadruple,
    /// `bool`.
    Bool,
    /// `enum { NAME = value, ... }`.
    Enum(EnumDef),
    /// `struct { ... }`.
    Struct(StructDef),
    /// `union switch (...) { ... }`.
    Union(UnionDef),
    /// `opaque name[n]`: exactly `n` bytes (plus padding).
    FixedOpaque(u32),
    /// `opaque name<max>`: a length, then that many bytes; `None` is `<>`.
    VarOpaque(Option<u32>),
    /// `string name<max>`; `None` is `<>`.
    String(Option<u32>),
    /// `type name[n]`: exactly `n` elements.
    FixedArray { elem: TypeId, len: u32 },
    /// `type name<max>`: a count, then the elements; `None` is `<>`.
    VarArray { elem: TypeId, max: Option<u32> },
    /// `type *name`: optional data, a bool then the value when TRUE.
    Optional(TypeId),
    /// `typedef other name;`: another name for a named type. The walker
    /// follows it; it exists so that program semantics can recognise a type
    /// by the name the `.x` file gives it.
    Alias(TypeId),
}

/// The values of an enum, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnumDef {
    /// `(name, value)` pairs, in declaration order.
    pub values: Vec<(String, i32)>,
    /// Indexes into `values`, sorted by value (for [`EnumDef::name_of`]).
    by_value: Vec<u32>,
    /// For an enum whose values span at most `DENSE_ENUM_SPAN`: the
    /// smallest value, and per value from it the index into `values` plus
    /// one (0: no name). Status and type enums (nfsstat3 spans 10008) are
    /// looked up on every message: a table beats a binary search.
    dense: Option<(i32, Vec<u16>)>,
}

/// Largest span of values an enum gets a direct lookup table for (two
/// bytes a slot: 20 KiB at most; nfsstat4 spans 10097).
const DENSE_ENUM_SPAN: i64 = 10240;

impl EnumDef {
    /// An enum of these `(name, value)` pairs.
    pub fn new(values: Vec<(String, i32)>) -> Self {
        let mut by_value: Vec<u32> = (0..values.len() as u32).collect();
        by_value.sort_by_key(|&i| values[i as usize].1);
        let dense = match (by_value.first(), by_value.last()) {
            (Some(&lo), Some(&hi)) if values.len() < u16::MAX as usize => {
                let (lo, hi) = (values[lo as usize].1, values[hi as usize].1);
                let span = hi as i64 - lo as i64 + 1;
                (span <= DENSE_ENUM_SPAN).then(|| {
                    let mut t = vec![0u16; span as usize];
                    // First declared name wins, as in `name_of`'s search.
                    for (i, (_, v)) in values.iter().enumerate().rev() {
                        t[(*v as i64 - lo as i64) as usize] = i as u16 + 1;
                    }
                    (lo, t)
                })
            }
            _ => None,
        };
        EnumDef {
            values,
            by_value,
            dense,
        }
    }

    /// The name of `value`, when the enum has one (the first declared, where
    /// two names share a value).
    pub fn name_of(&self, value: i32) -> Option<&str> {
        if let Some((lo, t)) = &self.dense {
            let at = (value as i64 - *lo as i64) as usize;
            return match t.get(at) {
                Some(&j) if j > 0 => Some(self.values[j as usize - 1].0.as_str()),
                _ => None,
            };
        }
        let i = self
            .by_value
            .partition_point(|&i| self.values[i as usize].1 < value);
        let &j = self.by_value.get(i)?;
        let (name, v) = &self.values[j as usize];
        (*v == value).then_some(name.as_str())
    }

    /// The value of `name`.
    pub fn value_of(&self, name: &str) -> Option<i32> {
        self.values.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// A named member: a struct field, a union's discriminant or arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The member's name in the `.x` file (empty for a `void` arm).
    pub name: String,
    /// Its type ([`TypeId::VOID`] for a `void` arm).
    pub ty: TypeId,
}

/// The fields of a struct, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StructDef {
    pub fields: Vec<Field>,
}

/// A discriminated union.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionDef {
    /// The discriminant (`switch (nfsstat3 status)`): an `int`, `unsigned
    /// int`, `bool` or enum type.
    pub discriminant: Field,
    /// The arms. Several case values may share one arm (`case A: case B:`).
    pub arms: Vec<Field>,
    /// `(case value, index into arms)`, sorted by value. Values are the
    /// discriminant read as its type says (an `unsigned int` discriminant of
    /// 0xffffffff is 4294967295, an `int` of the same bits is -1).
    pub cases: Vec<(i64, u32)>,
    /// The arm of `default:`, if the union has one.
    pub default: Option<u32>,
}

impl UnionDef {
    /// The arm selected by a discriminant value: `None` when no case matches
    /// and there is no default (the body is malformed).
    pub fn arm(&self, value: i64) -> Option<&Field> {
        let i = self.cases.partition_point(|&(v, _)| v < value);
        let idx = match self.cases.get(i) {
            Some(&(v, idx)) if v == value => idx,
            _ => self.default?,
        };
        self.arms.get(idx as usize)
    }
}

/// A procedure of a program version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcDef {
    /// The name in the `.x` file (`NFSPROC3_LOOKUP`).
    pub name: String,
    /// The name shown to users (`LOOKUP`): see [`display_name`].
    pub display: String,
    pub number: u32,
    /// Argument types, in order: one for classic rpcgen programs, none for
    /// `void`, several for rpcgen's `-N` style.
    pub args: Vec<TypeId>,
    /// The result type ([`TypeId::VOID`] for `void`).
    pub result: TypeId,
}

/// A version of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDef {
    pub name: String,
    pub number: u32,
    /// Sorted by procedure number.
    pub procedures: Vec<ProcDef>,
}

impl VersionDef {
    /// The procedure with this number.
    pub fn procedure(&self, number: u32) -> Option<&ProcDef> {
        self.procedures
            .binary_search_by_key(&number, |p| p.number)
            .ok()
            .map(|i| &self.procedures[i])
    }
}

/// A program block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramDef {
    pub name: String,
    pub number: u32,
    /// Sorted by version number.
    pub versions: Vec<VersionDef>,
}

impl ProgramDef {
    /// The version with this number.
    pub fn version(&self, number: u32) -> Option<&VersionDef> {
        self.versions
            .binary_search_by_key(&number, |v| v.number)
            .ok()
            .map(|i| &self.versions[i])
    }
}

/// A checked schema. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Every type; index with [`TypeId::index`].
    pub types: Vec<TypeDef>,
    /// Named types by name.
    pub by_name: HashMap<String, TypeId>,
    /// Constants (`const NFS3_FHSIZE = 64;`) and enum values by name.
    pub consts: HashMap<String, i64>,
    /// Program blocks, in file order.
    pub programs: Vec<ProgramDef>,
    /// Tables derived from `types` for the walker, computed on first use.
    derived: Derived,
}

impl Default for Schema {
    fn default() -> Self {
        Schema::new()
    }
}

impl Schema {
    /// A schema holding only the primitive types.
    pub fn new() -> Self {
        let prim = |kind| TypeDef { name: None, kind };
        Schema {
            types: vec![
                prim(Kind::Void),
                prim(Kind::Int),
                prim(Kind::UInt),
                prim(Kind::Hyper),
                prim(Kind::UHyper),
                prim(Kind::Float),
                prim(Kind::Double),
                prim(Kind::Quadruple),
                prim(Kind::Bool),
            ],
            by_name: HashMap::new(),
            consts: HashMap::new(),
            programs: Vec::new(),
            derived: Derived::default(),
        }
    }

    /// Tables derived from the types (aliases resolved, list links, fixed
    /// wire sizes), computed on the first call and kept. [`Schema::push`]
    /// drops them; code that edits `types` in place after a walk must call
    /// [`Schema::invalidate`]. Stale tables never make a walk panic, only
    /// decode wrongly.
    pub fn tables(&self) -> &Tables {
        self.derived.0.get_or_init(|| Tables::compute(self))
    }

    /// Drops the derived tables (after `types` was edited in place).
    pub fn invalidate(&mut self) {
        self.derived = Derived::default();
    }

    /// The definition of `id` (ids come from this schema; a foreign id out
    /// of range gives `void`).
    pub fn get(&self, id: TypeId) -> &TypeDef {
        self.types.get(id.index()).unwrap_or(&self.types[0])
    }

    /// The shape of `id`, with aliases followed (bounded: a checked schema
    /// has no alias cycles, and at most `types.len()` steps are taken).
    pub fn resolve(&self, mut id: TypeId) -> (TypeId, &Kind) {
        for _ in 0..=self.types.len() {
            match &self.get(id).kind {
                Kind::Alias(t) => id = *t,
                k => return (id, k),
            }
        }
        (TypeId::VOID, &Kind::Void)
    }

    /// The named type `name`.
    pub fn lookup(&self, name: &str) -> Option<TypeId> {
        self.by_name.get(name).copied()
    }

    /// The type's declared name, if it has one.
    pub fn name(&self, id: TypeId) -> Option<&str> {
        self.get(id).name.as_deref()
    }

    /// Appends a type and returns its id; a named type is also entered in
    /// `by_name` (the caller checks for duplicates first).
    pub fn push(&mut self, def: TypeDef) -> TypeId {
        let id = TypeId(self.types.len() as u32);
        self.invalidate();
        if let Some(n) = &def.name {
            self.by_name.insert(n.clone(), id);
        }
        self.types.push(def);
        id
    }

    /// Appends a type that is not entered in `by_name`, whatever its name
    /// (a private alias made by program semantics: its name is for display).
    pub fn push_anonymous(&mut self, def: TypeDef) -> TypeId {
        let id = TypeId(self.types.len() as u32);
        self.types.push(def);
        id
    }

    /// The program with this number.
    pub fn program(&self, number: u32) -> Option<&ProgramDef> {
        self.programs.iter().find(|p| p.number == number)
    }
}

/// Tables derived from a schema's types, for the walker and the encoder
/// (see [`Schema::tables`]). Every lookup takes any id and never panics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tables {
    /// Per type: the type with aliases followed.
    resolved: Vec<TypeId>,
    /// Per struct type: the index of its list link field, or `NONE`.
    link: Vec<u32>,
    /// Per type: its wire size when that is constant and skipping it needs
    /// no check (no bool, union, optional or counted part), or `NONE`.
    fixed: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl Tables {
    /// `id` with aliases followed (`void` for an id out of range or an
    /// alias cycle).
    #[inline]
    pub fn resolve(&self, id: TypeId) -> TypeId {
        self.resolved
            .get(id.index())
            .copied()
            .unwrap_or(TypeId::VOID)
    }

    /// For a struct that is the element of a recursive optional list, the
    /// index of its link field: its last field, of type `T *` (optional
    /// data) where `T` is the struct itself, and no other field of that
    /// type (a tree with two such fields is not a list). `struct entry3 {
    /// ...; entry3 *nextentry; }` has the link 3. Takes a resolved id.
    #[inline]
    pub fn list_link(&self, id: TypeId) -> Option<usize> {
        match self.link.get(id.index()) {
            Some(&l) if l != NONE => Some(l as usize),
            _ => None,
        }
    }

    /// The wire size of `id` when every value of it has that size and
    /// reading it can fail only for lack of bytes (ints, hypers, floats,
    /// enums, fixed opaque, and fixed arrays and structs of those).
    #[inline]
    pub fn fixed_size(&self, id: TypeId) -> Option<u32> {
        match self.fixed.get(id.index()) {
            Some(&n) if n != NONE => Some(n),
            _ => None,
        }
    }

    fn compute(schema: &Schema) -> Tables {
        let n = schema.types.len();
        let resolved: Vec<TypeId> = (0..n)
            .map(|i| {
                let (r, k) = schema.resolve(TypeId(i as u32));
                if matches!(k, Kind::Alias(_)) {
                    TypeId::VOID
                } else {
                    r
                }
            })
            .collect();
        let res = |t: TypeId| resolved.get(t.index()).copied().unwrap_or(TypeId::VOID);
        let link = (0..n)
            .map(|i| {
                let Kind::Struct(def) = &schema.types[i].kind else {
                    return NONE;
                };
                let is_self_link = |f: &Field| {
                    matches!(schema.get(res(f.ty)).kind, Kind::Optional(t) if res(t).index() == i)
                };
                match def.fields.split_last() {
                    Some((last, rest))
                        if is_self_link(last) && !rest.iter().any(is_self_link) =>
                    {
                        rest.len() as u32
                    }
                    _ => NONE,
                }
            })
            .collect();
        let fixed = fixed_sizes(schema);
        Tables {
            resolved,
            link,
            fixed,
        }
    }
}

/// The fixed wire size of every type (`NONE` when not fixed), by a
/// depth-first walk with an explicit stack: a type's size needs its
/// members' first; a cycle (only possible through optional data or counted
/// arrays, which are not fixed anyway) gives `NONE`.
fn fixed_sizes(schema: &Schema) -> Vec<u32> {
    const UNSEEN: u32 = NONE - 1;
    const BUSY: u32 = NONE - 2;
    let n = schema.types.len();
    let mut size = vec![UNSEEN; n];
    let members = |i: usize| -> &[Field] {
        match &schema.types[i].kind {
            Kind::Struct(d) => &d.fields,
            _ => &[],
        }
    };
    let member = |i: usize, at: usize| -> Option<TypeId> {
        match &schema.types[i].kind {
            Kind::FixedArray { elem, .. } => (at == 0).then_some(*elem),
            Kind::Alias(t) => (at == 0).then_some(*t),
            _ => members(i).get(at).map(|f| f.ty),
        }
    };
    // (type, next member to look at)
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if size[root] != UNSEEN {
            continue;
        }
        size[root] = BUSY;
        stack.push((root, 0));
        while let Some(&(i, at)) = stack.last() {
            if let Some(k) = member(i, at) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                let k = k.index();
                if k < n && size[k] == UNSEEN {
                    size[k] = BUSY;
                    stack.push((k, 0));
                }
                continue;
            }
            let of = |t: &TypeId| match size.get(t.index()) {
                Some(&s) if s < BUSY => Some(s),
                _ => None,
            };
            let s = match &schema.types[i].kind {
                Kind::Void => Some(0),
                Kind::Int | Kind::UInt | Kind::Float | Kind::Enum(_) => Some(4),
                Kind::Hyper | Kind::UHyper | Kind::Double => Some(8),
                Kind::Quadruple => Some(16),
                Kind::FixedOpaque(len) => u32::try_from(padded(*len as usize)).ok(),
                Kind::Struct(d) => d
                    .fields
                    .iter()
                    .try_fold(0u32, |acc, f| acc.checked_add(of(&f.ty)?)),
                Kind::FixedArray { elem, len } => of(elem).and_then(|e| e.checked_mul(*len)),
                Kind::Alias(t) => of(t),
                _ => None,
            };
            size[i] = s.filter(|&s| s < BUSY).unwrap_or(NONE);
            stack.pop();
        }
    }
    size
}

/// The derived tables' cell: cloning copies them, and two schemas compare
/// equal whatever was derived so far (the tables are a cache).
#[derive(Debug, Clone, Default)]
struct Derived(OnceLock<Tables>);

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The name users see for a procedure: the `.x` name without its
/// `<PREFIX>PROC<digits>_` prefix, the convention of the RFCs and rpcgen
/// programs (`NFSPROC3_LOOKUP` -> `LOOKUP`, `PMAPPROC_GETPORT` -> `GETPORT`,
/// `MOUNTPROC3_MNT` -> `MNT`, `NLMPROC4_TEST_MSG` -> `TEST_MSG`). A name
/// without such a prefix is shown as written (`SM_STAT`, `ECHO`).
pub fn display_name(name: &str) -> &str {
    let bytes = name.as_bytes();
    let mut search = 0;
    while let Some(at) = name[search..].find("PROC").map(|i| i + search) {
        let mut end = at + 4;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        let prefix_ok = bytes[..at]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
        if prefix_ok && bytes.get(end) == Some(&b'_') && end + 1 < bytes.len() {
            return &name[end + 1..];
        }
        search = at + 4;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_strip_the_proc_prefix() {
        for (x, shown) in [
            ("NFSPROC3_LOOKUP", "LOOKUP"),
            ("NFSPROC_NULL", "NULL"),
            ("PMAPPROC_GETPORT", "GETPORT"),
            ("RPCBPROC_GETADDR", "GETADDR"),
            ("MOUNTPROC3_MNT", "MNT"),
            ("NLMPROC4_TEST_MSG", "TEST_MSG"),
            ("NFSPROC4_COMPOUND", "COMPOUND"),
            ("CB_COMPOUND", "CB_COMPOUND"),
            ("SM_STAT", "SM_STAT"),
            ("ECHO", "ECHO"),
            ("PROC_", "PROC_"),
            ("lower_PROC_X", "lower_PROC_X"),
        ] {
            assert_eq!(display_name(x), shown, "{x}");
        }
    }

    #[test]
    fn enum_names_by_value() {
        let e = EnumDef::new(vec![("B".into(), 2), ("A".into(), -1), ("C".into(), 70000)]);
        assert_eq!(e.name_of(2), Some("B"));
        assert_eq!(e.name_of(-1), Some("A"));
        assert_eq!(e.name_of(70000), Some("C"));
        assert_eq!(e.name_of(3), None);
        assert_eq!(e.value_of("C"), Some(70000));
        assert_eq!(e.value_of("D"), None);
    }

    #[test]
    fn dense_enums_use_a_table_with_the_same_answers() {
        let e = EnumDef::new(vec![
            ("OK".into(), 0),
            ("PERM".into(), 1),
            ("ALSO_OK".into(), 0),
            ("STALE".into(), 70),
            ("NEG".into(), -3),
        ]);
        assert!(e.dense.is_some());
        assert_eq!(e.name_of(0), Some("OK"));
        assert_eq!(e.name_of(1), Some("PERM"));
        assert_eq!(e.name_of(70), Some("STALE"));
        assert_eq!(e.name_of(-3), Some("NEG"));
        for v in [-4, -1, 2, 69, 71, i32::MIN, i32::MAX] {
            assert_eq!(e.name_of(v), None, "{v}");
        }
    }

    #[test]
    fn union_arms_by_case_and_default() {
        let u = UnionDef {
            discriminant: Field {
                name: "status".into(),
                ty: TypeId::INT,
            },
            arms: vec![
                Field {
                    name: "ok".into(),
                    ty: TypeId::UINT,
                },
                Field {
                    name: String::new(),
                    ty: TypeId::VOID,
                },
            ],
            cases: vec![(0, 0), (5, 0)],
            default: Some(1),
        };
        assert_eq!(u.arm(0).unwrap().name, "ok");
        assert_eq!(u.arm(5).unwrap().name, "ok");
        assert_eq!(u.arm(-7).unwrap().ty, TypeId::VOID);
        let strict = UnionDef { default: None, ..u };
        assert!(strict.arm(1).is_none());
    }

    #[test]
    fn resolve_follows_aliases_and_survives_foreign_ids() {
        let mut s = Schema::new();
        let fh = s.push(TypeDef {
            name: Some("fhandle".into()),
            kind: Kind::FixedOpaque(32),
        });
        let alias = s.push(TypeDef {
            name: Some("dirfh".into()),
            kind: Kind::Alias(fh),
        });
        assert_eq!(s.resolve(alias), (fh, &Kind::FixedOpaque(32)));
        assert_eq!(s.lookup("dirfh"), Some(alias));
        assert_eq!(s.get(TypeId(9999)).kind, Kind::Void);
    }
}
