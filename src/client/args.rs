//! `call`'s procedure arguments as a user types them, encoded through the
//! procedure's `.x` definition (built in, or loaded with `--idl`): JSON
//! (`--args '{"prog": 100003, "vers": 3, "prot": 6, "port": 0}'`, the form
//! `rpcscope read --format json` prints as `args`), `NAME=VALUE` pairs
//! (`prog=100003 vers=3 prot=6 port=0`), or XDR bytes as hex
//! (`--args-hex`, for any program, defined or not).
//!
//! Pairs: NAME is a member of the argument struct; members of nested
//! structs are joined with dots (`what.dir=...`, `what.name=foo`); a union
//! is written as its `.x` members, the discriminant and the arm
//! (`sh.kind=BLUE sh.label=x`); an array or list element by its index
//! (`path.0.x=1 path.0.y=2`); optional data as its value, or `null`; rpcgen
//! `-N` argument lists name their arguments `arg1`, `arg2`, ... A VALUE is
//! read as its type says: strings as typed, opaque data as hex, integers in
//! decimal or `0x` hex, enums by name or number, bools as `true`/`false`;
//! a whole struct, union or array may be given as JSON
//! (`path='[{"x":1,"y":2}]'`). A procedure whose one argument has no
//! members (a `string`, an `int`, a list) takes its value alone, without
//! `NAME=`.
//!
//! Contract: errors say where and why, named from the argument root
//! (`args.what.name: expected a string, got a number`); nothing here does
//! I/O; the JSON built from pairs is bounded by the command line (an array
//! index past [`MAX_INDEX`] is refused).

use serde_json::{Map, Number, Value as Json};

use crate::programs::registry::VersionEntry;
use crate::programs::roles::{Role, Roles};
use crate::programs::schema::{Kind, ProcDef, Schema, TypeId};
use crate::programs::value::{encode_all, from_json_all, ValueError};

/// Largest array index a `NAME=VALUE` path may name.
pub const MAX_INDEX: usize = 1 << 16;

/// Nesting a path may walk through (optional data adds no segment).
const MAX_PATH_DEPTH: usize = 256;

/// Where the arguments come from.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// None given.
    Nothing,
    /// `--args-hex HEX`: the XDR bytes.
    Hex(&'a str),
    /// `--args JSON`.
    Json(&'a str),
    /// `NAME=VALUE` pairs (or one bare value).
    Pairs(&'a [String]),
}

/// A procedure with a definition: its program version and its types.
#[derive(Debug, Clone, Copy)]
pub struct Procedure<'r> {
    pub entry: &'r VersionEntry,
    pub def: &'r ProcDef,
}

impl Procedure<'_> {
    /// The argument types that carry a value (not `void`).
    fn real_args(&self) -> Vec<(usize, TypeId)> {
        let schema = self.entry.schema();
        self.def
            .args
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, t)| !matches!(schema.resolve(*t).1, Kind::Void))
            .collect()
    }

    /// The arguments' shape for messages: `mapping: prog, vers, prot,
    /// port` for one struct argument, the types' names otherwise.
    pub fn describe_args(&self) -> String {
        let schema = self.entry.schema();
        let name = |t: TypeId| type_name(schema, t);
        match self.real_args().as_slice() {
            [] => "no arguments".into(),
            [(_, t)] => match schema.resolve(*t).1 {
                Kind::Struct(def) => {
                    let members: Vec<&str> = def
                        .fields
                        .iter()
                        .filter(|f| !matches!(schema.resolve(f.ty).1, Kind::Void))
                        .map(|f| f.name.as_str())
                        .collect();
                    format!("{}: {}", name(*t), members.join(", "))
                }
                _ => name(*t),
            },
            many => many
                .iter()
                .map(|&(i, t)| format!("arg{} {}", i + 1, name(t)))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A type as `.x` text would name it: its name, or the primitive's keyword.
fn type_name(schema: &Schema, ty: TypeId) -> String {
    if let Some(n) = schema.name(ty) {
        return n.to_string();
    }
    match schema.resolve(ty).1 {
        Kind::Int => "int",
        Kind::UInt => "unsigned int",
        Kind::Hyper => "hyper",
        Kind::UHyper => "unsigned hyper",
        Kind::Float => "float",
        Kind::Double => "double",
        Kind::Quadruple => "quadruple",
        Kind::Bool => "bool",
        Kind::String(_) => "string",
        Kind::VarOpaque(_) | Kind::FixedOpaque(_) => "opaque",
        Kind::FixedArray { .. } | Kind::VarArray { .. } => "an array",
        Kind::Optional(_) => "optional data",
        _ => "a value",
    }
    .to_string()
}

/// The argument bytes of a call. `proc` is the procedure's definition when
/// there is one; `what` names the procedure in messages
/// (`portmapper v2 GETPORT`). Every error is a bad command line.
pub fn encode(
    proc: Option<Procedure<'_>>,
    input: Input<'_>,
    what: &str,
) -> Result<Vec<u8>, String> {
    let json = match input {
        Input::Hex(h) => {
            return parse_hex(h).ok_or_else(|| format!("--args-hex is not hex: {h:?}"))
        }
        Input::Nothing => {
            return match proc {
                Some(p) if !p.real_args().is_empty() => Err(format!(
                    "{what} takes arguments ({}): give them as NAME=VALUE pairs, --args JSON or --args-hex HEX",
                    p.describe_args()
                )),
                _ => Ok(Vec::new()),
            };
        }
        Input::Json(text) => {
            let Some(p) = proc else {
                return Err(no_definition(what));
            };
            let json: Json =
                serde_json::from_str(text).map_err(|e| format!("--args is not JSON: {e}"))?;
            (p, json)
        }
        Input::Pairs(pairs) => {
            let Some(p) = proc else {
                return Err(no_definition(what));
            };
            let json = pairs_to_json(p, pairs).map_err(|e| e.with_root("args").to_string())?;
            (p, json)
        }
    };
    let (p, json) = json;
    let schema = p.entry.schema();
    let value = from_json_all(schema, &p.def.args, &json, p.entry.roles())
        .map_err(|e| e.with_root("args").to_string())?;
    let mut out = Vec::new();
    encode_all(schema, &p.def.args, &value, &mut out)
        .map_err(|e| e.with_root("args").to_string())?;
    Ok(out)
}

fn no_definition(what: &str) -> String {
    format!(
        "no .x definition of {what} to encode the arguments with: load one with --idl FILE.x, or give the XDR bytes with --args-hex"
    )
}

/// Hex digits (whitespace ignored) to bytes.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

/// The JSON of `NAME=VALUE` pairs, as [`from_json_all`] reads it.
fn pairs_to_json(p: Procedure<'_>, pairs: &[String]) -> Result<Json, ValueError> {
    let schema = p.entry.schema();
    let roles = p.entry.roles();
    let real = p.real_args();
    let b = Builder { schema, roles };
    match real.as_slice() {
        [] => Err(ValueError::new(format!(
            "{} given to a procedure that takes no arguments",
            pairs.len()
        ))),
        [(_, ty)] if !b.has_members(*ty) => match pairs {
            [one] => b.leaf(*ty, one),
            _ => Err(ValueError::new(format!(
                "the argument is one value, not {} (quote a value with spaces)",
                pairs.len()
            ))),
        },
        _ => {
            let mut root = Json::Null;
            for pair in pairs {
                let Some((path, text)) = pair.split_once('=') else {
                    return Err(ValueError::new(format!("{pair:?} is not NAME=VALUE")));
                };
                let segments: Vec<&str> = path.split('.').collect();
                match real.as_slice() {
                    [(_, ty)] => b.set(*ty, &mut root, &segments, text, 0)?,
                    many => {
                        // rpcgen -N: the first segment names the argument.
                        let (first, rest) = segments.split_first().unwrap_or((&"", &[]));
                        let Some(&(_, ty)) =
                            many.iter().find(|(i, _)| *first == format!("arg{}", i + 1))
                        else {
                            return Err(ValueError::new(format!(
                                "no argument {first:?} (they are {})",
                                p.describe_args()
                            )));
                        };
                        let obj = object(&mut root)?;
                        let slot = obj.entry(first.to_string()).or_insert(Json::Null);
                        b.set(ty, slot, rest, text, 0)
                            .map_err(|e| e.with_root(first))?;
                    }
                }
            }
            Ok(root)
        }
    }
}

/// `node` as an object, made one when it is still unset.
fn object(node: &mut Json) -> Result<&mut Map<String, Json>, ValueError> {
    if node.is_null() {
        *node = Json::Object(Map::new());
    }
    match node {
        Json::Object(m) => Ok(m),
        _ => Err(ValueError::new("given whole and by member")),
    }
}

struct Builder<'s> {
    schema: &'s Schema,
    roles: &'s Roles,
}

impl Builder<'_> {
    /// True when `ty` is written by member (struct, union, multi-part
    /// optional data), false for one value typed as a whole.
    fn has_members(&self, ty: TypeId) -> bool {
        match self.schema.resolve(ty).1 {
            Kind::Struct(_) => !self.is_handle(ty),
            Kind::Union(_) => true,
            Kind::Optional(t) if self.list_elem(ty).is_none() => self.has_members(*t),
            _ => false,
        }
    }

    fn is_handle(&self, ty: TypeId) -> bool {
        self.roles.of(self.schema, ty) & Role::FILE_HANDLE.bits() != 0
    }

    /// For a recursive optional list, its element struct.
    fn list_elem(&self, ty: TypeId) -> Option<TypeId> {
        let Kind::Optional(target) = self.schema.resolve(ty).1 else {
            return None;
        };
        let tables = self.schema.tables();
        let elem = tables.resolve(*target);
        tables.list_link(elem).map(|_| elem)
    }

    /// Sets the value at `path` under `node` (a value of `ty`) from `text`.
    fn set(
        &self,
        ty: TypeId,
        node: &mut Json,
        path: &[&str],
        text: &str,
        depth: usize,
    ) -> Result<(), ValueError> {
        if depth > MAX_PATH_DEPTH {
            return Err(ValueError::new("nested too deep"));
        }
        let Some((&seg, rest)) = path.split_first() else {
            if !node.is_null() {
                return Err(ValueError::new("given twice"));
            }
            *node = self.leaf(ty, text)?;
            return Ok(());
        };
        if let Some(elem) = self.list_elem(ty) {
            return self.element(elem, node, seg, rest, text, depth);
        }
        match self.schema.resolve(ty).1 {
            Kind::Optional(target) => self.set(*target, node, path, text, depth + 1),
            Kind::Struct(def) if !self.is_handle(ty) => {
                let Some(f) = def.fields.iter().find(|f| f.name == seg) else {
                    let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
                    return Err(ValueError::new(format!(
                        "no member {seg:?} (the members are {})",
                        names.join(", ")
                    )));
                };
                let slot = object(node)?.entry(seg.to_string()).or_insert(Json::Null);
                self.set(f.ty, slot, rest, text, depth + 1)
                    .map_err(|e| e.with_root(seg))
            }
            Kind::Union(def) => {
                let ty = if seg == def.discriminant.name {
                    def.discriminant.ty
                } else if let Some(arm) = def
                    .arms
                    .iter()
                    .find(|a| !a.name.is_empty() && a.name == seg)
                {
                    arm.ty
                } else {
                    return Err(ValueError::new(format!(
                        "no member {seg:?} (a union of {:?} and its arm)",
                        def.discriminant.name
                    )));
                };
                let slot = object(node)?.entry(seg.to_string()).or_insert(Json::Null);
                self.set(ty, slot, rest, text, depth + 1)
                    .map_err(|e| e.with_root(seg))
            }
            Kind::FixedArray { elem, .. } | Kind::VarArray { elem, .. } => {
                self.element(*elem, node, seg, rest, text, depth)
            }
            _ => Err(ValueError::new(format!(
                "has no member {seg:?}: it is one value"
            ))),
        }
    }

    /// The element `seg` (an index) of an array or list under `node`.
    fn element(
        &self,
        elem: TypeId,
        node: &mut Json,
        seg: &str,
        rest: &[&str],
        text: &str,
        depth: usize,
    ) -> Result<(), ValueError> {
        let i: usize = seg
            .parse()
            .map_err(|_| ValueError::new(format!("{seg:?} is not an element index")))?;
        if i > MAX_INDEX {
            return Err(ValueError::new(format!("index {i} over {MAX_INDEX}")));
        }
        if node.is_null() {
            *node = Json::Array(Vec::new());
        }
        let Json::Array(items) = node else {
            return Err(ValueError::new("given whole and by element"));
        };
        if items.len() <= i {
            items.resize(i + 1, Json::Null);
        }
        self.set(elem, &mut items[i], rest, text, depth + 1)
            .map_err(|e| e.at_index(i))
    }

    /// One VALUE typed as `ty` says (see the module docs).
    fn leaf(&self, ty: TypeId, text: &str) -> Result<Json, ValueError> {
        match self.schema.resolve(ty).1 {
            Kind::String(_) | Kind::VarOpaque(_) | Kind::FixedOpaque(_) | Kind::Quadruple => {
                Ok(Json::String(text.to_string()))
            }
            Kind::Enum(_) => Ok(integer(text).unwrap_or_else(|| Json::String(text.to_string()))),
            Kind::Int | Kind::UInt | Kind::Hyper | Kind::UHyper => integer(text)
                .ok_or_else(|| ValueError::new(format!("expected an integer, got {text:?}"))),
            Kind::Bool => match text {
                "true" | "TRUE" => Ok(Json::Bool(true)),
                "false" | "FALSE" => Ok(Json::Bool(false)),
                _ => Err(ValueError::new(format!(
                    "expected true or false, got {text:?}"
                ))),
            },
            Kind::Float | Kind::Double => text
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Json::Number)
                .ok_or_else(|| ValueError::new(format!("expected a number, got {text:?}"))),
            Kind::Optional(target) if self.list_elem(ty).is_none() => match text {
                "null" => Ok(Json::Null),
                _ => self.leaf(*target, text),
            },
            Kind::Struct(_) if self.is_handle(ty) && !text.starts_with('{') => {
                Ok(Json::String(text.to_string()))
            }
            Kind::Void => Err(ValueError::new("void takes no value")),
            _ => serde_json::from_str(text).map_err(|e| {
                ValueError::new(format!(
                    "a struct, union or array is given by member or as JSON ({e})"
                ))
            }),
        }
    }
}

/// A decimal or `0x` hexadecimal integer (optionally negative) as a JSON
/// number.
fn integer(text: &str) -> Option<Json> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let n: i128 = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None if digits.bytes().all(|b| b.is_ascii_digit()) => digits.parse().ok()?,
        None => return None,
    };
    let n = if neg { -n } else { n };
    if let Ok(i) = i64::try_from(n) {
        Some(Json::from(i))
    } else {
        u64::try_from(n).ok().map(Json::from)
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
