//! The syntax tree of a `.x` text: what the parser read, with positions,
//! before names are resolved. Everything owns its strings; nothing here
//! is checked beyond syntax.

use super::Pos;

/// A number or a constant's name, where the language takes a value (array
/// sizes, case labels, enum values, program numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// A literal, with its sign applied.
    Num(i128),
    /// A constant's name.
    Name(String),
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct At<T> {
    pub item: T,
    pub pos: Pos,
}

/// `struct X`, `union X`, `enum X` as a type reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
    Struct,
    Union,
    Enum,
}

impl Tag {
    pub fn word(self) -> &'static str {
        match self {
            Tag::Struct => "struct",
            Tag::Union => "union",
            Tag::Enum => "enum",
        }
    }
}

/// A type specifier: what comes before the declared name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Spec {
    Void,
    Int,
    UInt,
    Hyper,
    UHyper,
    Float,
    Double,
    Quadruple,
    Bool,
    /// `opaque`: only with `[n]` or `<n>`.
    Opaque,
    /// `string`: only with `<n>` (alone as a procedure argument).
    String,
    /// A type name, perhaps written `struct X`.
    Named {
        name: String,
        tag: Option<Tag>,
    },
    Enum(EnumBody),
    Struct(StructBody),
    Union(Box<UnionBody>),
}

/// What a declaration makes of its type specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Shape {
    /// `type name`.
    Plain,
    /// `type name[n]`.
    Fixed(At<Value>),
    /// `type name<n>` or `type name<>`.
    Var(Option<At<Value>>),
    /// `type *name`.
    Optional,
}

/// A declaration: `spec name`, an array, optional data, or `void`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Decl {
    pub spec: Spec,
    /// Where the type specifier starts.
    pub spec_pos: Pos,
    /// The declared name; `None` for `void`.
    pub name: Option<At<String>>,
    pub shape: Shape,
}

/// One `NAME [= value]` of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Member {
    pub name: At<String>,
    /// `None`: one more than the previous member (0 for the first).
    pub value: Option<At<Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EnumBody {
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StructBody {
    pub fields: Vec<Decl>,
}

/// `case A: case B: decl;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Arm {
    pub labels: Vec<At<Value>>,
    pub decl: Decl,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UnionBody {
    pub discriminant: Decl,
    pub arms: Vec<Arm>,
    pub default: Option<Decl>,
}

/// The right side of `const NAME = ...;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ConstValue {
    Value(Value),
    /// `"..."`: accepted as rpcgen does, not a number.
    Str,
}

/// A procedure's argument or result type: a specifier, perhaps `*`, or
/// `string<n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sig {
    pub spec: Spec,
    pub pos: Pos,
    pub shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Procedure {
    pub name: At<String>,
    pub result: Sig,
    /// Empty for `(void)`.
    pub args: Vec<Sig>,
    pub number: At<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Version {
    pub name: At<String>,
    pub procedures: Vec<Procedure>,
    pub number: At<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Program {
    pub name: At<String>,
    pub versions: Vec<Version>,
    pub number: At<Value>,
}

/// A top-level definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Def {
    Const {
        name: At<String>,
        value: At<ConstValue>,
    },
    /// `typedef decl;` (the declaration has a name).
    Typedef(Decl),
    Enum {
        name: At<String>,
        body: EnumBody,
    },
    Struct {
        name: At<String>,
        body: StructBody,
    },
    Union {
        name: At<String>,
        body: Box<UnionBody>,
    },
    Program(Program),
}
