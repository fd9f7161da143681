//! Random valid values of any schema type, deterministic from a seed: for
//! round-trip tests and schema-aware fuzzing (generated bodies reach deep
//! union arms that random bytes never do).
//!
//! Every value generated encodes without error. Size is bounded by a node
//! budget: once it is spent, optional data is absent and counted arrays,
//! lists, opaque data and strings are empty, so generation ends on every
//! checked schema (a type contains itself only through those). Nesting is
//! kept under [`GEN_MAX_DEPTH`] compound levels the same way, below the
//! walk's default depth limit.

use super::Value;
use crate::limits::VALUE_MAX_DEPTH;
use crate::programs::schema::{Field, Kind, Schema, TypeId};
use crate::programs::walk::DiscKind;

/// Compound levels (structs, unions, arrays, lists) past which the
/// generator takes the empty choice wherever it has one.
pub const GEN_MAX_DEPTH: usize = 24;

/// A small deterministic PRNG (SplitMix64): the same seed gives the same
/// values on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// A random valid value of `ty`, spending at most about `budget` nodes.
pub fn arbitrary_value(schema: &Schema, ty: TypeId, rng: &mut Rng, budget: u32) -> Value {
    let mut g = Gen {
        schema,
        rng,
        budget,
    };
    g.value(ty, 0, 0)
}

struct Gen<'s, 'r> {
    schema: &'s Schema,
    rng: &'r mut Rng,
    budget: u32,
}

/// Characters strings are made of: ASCII, JSON specials, multi-byte
/// UTF-8, bytes that are not UTF-8, and backslashes, also before text that
/// looks like the writer's `\xNN` escape.
const PIECES: &[&[u8]] = &[
    b"a",
    b"b",
    b"z",
    b"Q",
    b"0",
    b"9",
    b".",
    b"_",
    b"-",
    b" ",
    b"/",
    b"\"",
    b"\n",
    b"\t",
    b"\x01",
    b"\x7f",
    "é".as_bytes(),
    "Ж".as_bytes(),
    "€".as_bytes(),
    "😀".as_bytes(),
    b"\xff",
    b"\xc3",
    b"\x80",
    b"\xe2\x82",
    b"\\",
    b"\\x41",
    b"\\xdC",
    b"\\x",
];

impl Gen<'_, '_> {
    /// Whether to take the empty choice: budget spent or too deep.
    fn lean(&self, depth: usize) -> bool {
        self.budget == 0 || depth >= GEN_MAX_DEPTH
    }

    /// A length in `0..=max`, usually small, empty when lean.
    fn length(&mut self, max: Option<u32>, depth: usize, cap: u64) -> usize {
        if self.lean(depth) {
            return 0;
        }
        let max = max.map_or(u64::MAX, u64::from);
        let cap = if self.rng.one_in(16) { cap * 8 } else { cap };
        self.rng.below(max.min(cap) + 1) as usize
    }

    fn value(&mut self, ty: TypeId, depth: usize, rec: usize) -> Value {
        self.budget = self.budget.saturating_sub(1);
        let (_, kind) = self.schema.resolve(ty);
        // Optional chains and such do not add walk depth but do recurse.
        if rec > VALUE_MAX_DEPTH / 2 {
            return self.minimal(kind);
        }
        let r = &mut *self.rng;
        match kind {
            Kind::Void => Value::Void,
            Kind::Int => Value::Int(match r.below(3) {
                0 => r.below(10) as i64,
                1 => -(r.below(1000) as i64),
                _ => (r.next_u64() as i32).into(),
            }),
            Kind::UInt => Value::UInt(if r.one_in(2) {
                r.below(100)
            } else {
                r.next_u64() as u32 as u64
            }),
            Kind::Hyper => Value::Int(r.next_u64() as i64 >> r.below(64)),
            Kind::UHyper => Value::UInt(r.next_u64() >> r.below(64)),
            Kind::Float => Value::Float(loop {
                let f = f32::from_bits(r.next_u64() as u32);
                if f.is_finite() {
                    break f.into();
                }
            }),
            Kind::Double => Value::Float(loop {
                let f = f64::from_bits(r.next_u64());
                if f.is_finite() {
                    break f;
                }
            }),
            Kind::Bool => Value::Bool(r.one_in(2)),
            Kind::Enum(def) => {
                if def.values.is_empty() || r.one_in(8) {
                    Value::Enum(r.next_u64() as i32)
                } else {
                    Value::Enum(def.values[r.below(def.values.len() as u64) as usize].1)
                }
            }
            Kind::Quadruple => Value::Opaque(self.bytes(16)),
            Kind::FixedOpaque(n) => Value::Opaque(self.bytes(*n as usize)),
            Kind::VarOpaque(max) => {
                let n = self.length(*max, depth, 40);
                Value::Opaque(self.bytes(n))
            }
            Kind::String(max) => {
                let n = self.length(*max, depth, 24);
                Value::Str(self.text(n))
            }
            Kind::Struct(def) => Value::Struct(self.fields(&def.fields, depth + 1, rec)),
            Kind::Union(def) => {
                let d = self.discriminant(def);
                let arm = match def.arm(d) {
                    Some(f) => self.value(f.ty, depth + 1, rec + 1),
                    None => Value::Void,
                };
                Value::Union {
                    discriminant: d,
                    arm: Box::new(arm),
                }
            }
            Kind::FixedArray { elem, len } => Value::Array(
                (0..*len)
                    .map(|_| self.value(*elem, depth + 1, rec + 1))
                    .collect(),
            ),
            Kind::VarArray { elem, max } => {
                let n = self.length(*max, depth, 5);
                Value::Array(
                    (0..n)
                        .map(|_| self.value(*elem, depth + 1, rec + 1))
                        .collect(),
                )
            }
            Kind::Optional(target) => {
                let tables = self.schema.tables();
                let elem = tables.resolve(*target);
                if let (Some(link), Kind::Struct(def)) =
                    (tables.list_link(elem), &self.schema.get(elem).kind)
                {
                    let fields = def.fields.get(..link).unwrap_or(&[]);
                    let n = self.length(None, depth, 5);
                    return Value::Array(
                        (0..n)
                            .map(|_| Value::Struct(self.fields(fields, depth + 2, rec + 1)))
                            .collect(),
                    );
                }
                if self.lean(depth) || self.rng.one_in(3) {
                    Value::Optional(None)
                } else {
                    Value::Optional(Some(Box::new(self.value(*target, depth, rec + 1))))
                }
            }
            Kind::Alias(_) => Value::Void,
        }
    }

    /// The smallest value of a kind, for runaway recursion (only reached on
    /// schemas that nest absurdly through fixed types).
    fn minimal(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Optional(_) => Value::Optional(None),
            Kind::VarArray { .. } => Value::Array(Vec::new()),
            Kind::VarOpaque(_) => Value::Opaque(Vec::new()),
            Kind::String(_) => Value::Str(Vec::new()),
            _ => Value::Void,
        }
    }

    fn fields(&mut self, fields: &[Field], depth: usize, rec: usize) -> Vec<Value> {
        fields
            .iter()
            .filter(|f| !matches!(self.schema.resolve(f.ty).1, Kind::Void))
            .map(|f| self.value(f.ty, depth, rec + 1))
            .collect()
    }

    /// A discriminant with an arm: one of the cases, or for a default arm
    /// a value no case names.
    fn discriminant(&mut self, def: &crate::programs::schema::UnionDef) -> i64 {
        let choices = def.cases.len() as u64 + u64::from(def.default.is_some());
        let pick = self.rng.below(choices) as usize;
        if let Some(&(v, _)) = def.cases.get(pick) {
            return v;
        }
        let kind = DiscKind::of(self.schema, def.discriminant.ty);
        for _ in 0..16 {
            let v = match kind {
                DiscKind::Bool => self.rng.below(2) as i64,
                DiscKind::Int | DiscKind::Enum(_) => self.rng.next_u64() as i32 as i64,
                DiscKind::UInt => self.rng.next_u64() as u32 as i64,
                DiscKind::Hyper | DiscKind::UHyper => self.rng.next_u64() as i64,
            };
            if def.cases.binary_search_by_key(&v, |c| c.0).is_err() {
                return v;
            }
        }
        // Every value we tried is a case (a bool union): take a case.
        def.cases.first().map_or(0, |c| c.0)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.next_u64() as u8).collect()
    }

    fn text(&mut self, n: usize) -> Vec<u8> {
        let mut s = Vec::with_capacity(n);
        while s.len() < n {
            let p = PIECES[self.rng.below(PIECES.len() as u64) as usize];
            if s.len() + p.len() <= n {
                s.extend_from_slice(p);
            } else {
                s.push(b'x');
            }
        }
        s
    }
}
