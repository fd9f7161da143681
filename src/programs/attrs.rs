//! Opaque data with an inner type: attribute bags, whose values a bitmap
//! chooses, and typed opaques, whose type an enum beside them chooses.
//!
//! NFSv4 carries file attributes as `fattr4 { bitmap4 attrmask; attrlist4
//! attr_vals; }`: `attr_vals` is opaque to XDR, but holds, one after the
//! other in increasing bit order, one value for each bit set in
//! `attrmask`, each of the type of its attribute (`fattr4_size` for bit 4,
//! ...). The `.x` language cannot say this, so program semantics name the
//! container ([`BagSpec`]) and the rule that gives each bit its type: the
//! constant `<consts><NAME>` holds the bit number and `<types><name>` (the
//! name in lower case) is the type, as RFC 7863 writes them
//! (`FATTR4_SIZE = 4`, `typedef uint64_t fattr4_size;`).
//!
//! [`Expand`] is a visitor adapter that, placed in front of any visitor
//! (the JSON writer, the `-V` tree), turns the opaque `attr_vals` of a bag
//! into a struct-like value: `StructBegin`, then per attribute a `Field`
//! named after it (`size`, `mode`, `owner`, ...) and its value, then
//! `StructEnd`. The bitmap before it is passed on as it is. So the JSON of
//! a `fattr4` is `{"attrmask": [...], "attr_vals": {"type": "NF4REG",
//! "mode": 420, ...}}`.
//!
//! The same adapter decodes **typed opaques**: a struct holding an enum and
//! an opaque whose content's type the enum names ([`SwitchSpec`]). NFSv4.1
//! layouts are these: `layout_content4 { layouttype4 loc_type; opaque
//! loc_body<>; }` holds an `nfsv4_1_file_layout4` when `loc_type` is
//! `LAYOUT4_NFSV4_1_FILES`. The opaque is then shown as that value; a
//! value that does not decode exactly (to the opaque's last byte), or an
//! enum value without a type, is shown as the opaque it is.
//!
//! An attribute rpcscope has no type for, or whose value does not decode,
//! ends the object with the member `attr_<bit>` holding the remaining bytes
//! (opaque); bytes left after the last attribute are the member
//! `undecoded`. A bag whose values were not all captured is passed on as
//! the opaque it is. Values are checked by a first walk (with no events)
//! before any event is delivered, so a visitor never sees a value that
//! stops halfway.
//!
//! Contract: never panics; bags nested in attribute values are passed on
//! raw (no recursion); the inner walks of one outer walk share one budget
//! of `WalkLimits::max_nodes` events (each inner value is walked twice: a
//! check, then the delivery), so expansion at most triples a walk's work.

use super::roles::{Role, Roles};
use super::schema::{Kind, Schema, TypeId};
use super::walk::WalkLimits;
use super::walk::{walk, BodyBytes, BodyError, BodyErrorKind, Event, Flow, Malformation, Visitor};
use crate::limits::MAX_BAG_BITS;

/// How a program's semantics describe one kind of attribute bag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BagSpec {
    /// The container struct (`fattr4`).
    pub container: &'static str,
    /// Its bitmap field (`attrmask`: an array of unsigned words).
    pub mask: &'static str,
    /// Its opaque field holding the values (`attr_vals`).
    pub vals: &'static str,
    /// Prefix of the constants numbering the bits (`FATTR4_`).
    pub consts: &'static str,
    /// Prefix of the value types, followed by the constant's name in lower
    /// case (`fattr4_`).
    pub types: &'static str,
}

/// How a program's semantics describe one kind of typed opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchSpec {
    /// The container struct (`layout_content4`).
    pub container: &'static str,
    /// Its enum field (`loc_type`).
    pub tag: &'static str,
    /// Its opaque field (`loc_body`).
    pub body: &'static str,
    /// `(enum value name, type name)`: the content's type per value.
    pub cases: &'static [(&'static str, &'static str)],
}

/// One kind of typed opaque, resolved against a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switched {
    /// The container struct, aliases resolved.
    pub container: TypeId,
    pub tag: String,
    pub body: String,
    /// `(enum value, content type)`.
    pub cases: Vec<(i32, TypeId)>,
}

/// One attribute: its name (the constant's, in lower case) and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub name: String,
    pub ty: TypeId,
}

/// One kind of bag, resolved against a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bag {
    /// The container struct, aliases resolved.
    pub container: TypeId,
    pub mask: String,
    pub vals: String,
    /// By bit number (below [`MAX_BAG_BITS`]).
    pub attrs: Vec<Option<Attr>>,
}

/// The attribute bags and typed opaques of one schema (usually none; NFSv4
/// has `fattr4` and the layouts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bags {
    bags: Vec<Bag>,
    switched: Vec<Switched>,
}

/// No bags.
pub static NO_BAGS: Bags = Bags {
    bags: Vec::new(),
    switched: Vec::new(),
};

impl Bags {
    /// Resolves `specs` and `switches` against `schema` and marks each
    /// container with [`Role::INNER`]. A spec whose container or fields the
    /// schema lacks is ignored; so is a constant at or past
    /// [`MAX_BAG_BITS`], one without a type, and a case whose enum value or
    /// type the schema lacks.
    pub fn build(
        specs: &[BagSpec],
        switches: &[SwitchSpec],
        schema: &Schema,
        roles: &mut Roles,
    ) -> Bags {
        let mut switched = Vec::new();
        for spec in switches {
            let Some((id, container)) = container(schema, spec.container, &[spec.tag, spec.body])
            else {
                continue;
            };
            let cases = spec
                .cases
                .iter()
                .filter_map(|(value, ty)| Some((enum_value(schema, value)?, schema.lookup(ty)?)))
                .collect();
            roles.set(id, Role::INNER);
            roles.set(container, Role::INNER);
            switched.push(Switched {
                container,
                tag: spec.tag.to_string(),
                body: spec.body.to_string(),
                cases,
            });
        }
        let mut bags = Vec::new();
        for spec in specs {
            let Some((id, container)) = container(schema, spec.container, &[spec.mask, spec.vals])
            else {
                continue;
            };
            let mut attrs: Vec<Option<Attr>> = Vec::new();
            for (name, &value) in &schema.consts {
                let Some(rest) = name.strip_prefix(spec.consts) else {
                    continue;
                };
                let Ok(bit) = usize::try_from(value) else {
                    continue;
                };
                if bit >= MAX_BAG_BITS || rest.is_empty() {
                    continue;
                }
                let lower = rest.to_ascii_lowercase();
                let Some(ty) = schema.lookup(&format!("{}{lower}", spec.types)) else {
                    continue;
                };
                if attrs.len() <= bit {
                    attrs.resize(bit + 1, None);
                }
                attrs[bit] = Some(Attr { name: lower, ty });
            }
            roles.set(id, Role::INNER);
            roles.set(container, Role::INNER);
            bags.push(Bag {
                container,
                mask: spec.mask.to_string(),
                vals: spec.vals.to_string(),
                attrs,
            });
        }
        Bags { bags, switched }
    }

    /// True when there is nothing to expand.
    pub fn is_empty(&self) -> bool {
        self.bags.is_empty() && self.switched.is_empty()
    }

    /// The bag whose container is `ty` (aliases followed).
    pub fn get(&self, schema: &Schema, ty: TypeId) -> Option<&Bag> {
        let id = schema.resolve(ty).0;
        self.bags.iter().find(|b| b.container == id)
    }

    /// The typed opaque whose container is `ty` (aliases followed).
    pub fn switched(&self, schema: &Schema, ty: TypeId) -> Option<&Switched> {
        let id = schema.resolve(ty).0;
        self.switched.iter().find(|b| b.container == id)
    }
}

/// The struct `name` (its id and resolved id) when it has every field of
/// `fields`.
fn container(schema: &Schema, name: &str, fields: &[&str]) -> Option<(TypeId, TypeId)> {
    let id = schema.lookup(name)?;
    let (resolved, kind) = schema.resolve(id);
    let Kind::Struct(st) = kind else { return None };
    fields
        .iter()
        .all(|n| st.fields.iter().any(|f| f.name == *n))
        .then_some((id, resolved))
}

/// The value of an enum member (or constant) named `name`.
fn enum_value(schema: &Schema, name: &str) -> Option<i32> {
    if let Some(&v) = schema.consts.get(name) {
        return i32::try_from(v).ok();
    }
    schema.types.iter().find_map(|t| match &t.kind {
        Kind::Enum(e) => e.value_of(name),
        _ => None,
    })
}

/// Walks `body` as `types` like [`walk`], with the attribute bags of `bags`
/// expanded for `v` (see the module docs). Without bags this is [`walk`].
pub fn walk_expanded<V: Visitor + ?Sized>(
    schema: &Schema,
    roles: &Roles,
    bags: &Bags,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    v: &mut V,
) -> Result<u64, BodyError> {
    if bags.is_empty() {
        return walk(schema, types, body, limits, v);
    }
    let mut x = Expand::new(v, roles, bags, limits);
    walk(schema, types, body, limits, &mut x)
}

/// Where the adapter is within a bag's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before or in the bitmap.
    Mask,
    /// The next value is the opaque of values.
    Vals,
    /// Past them (or not expanding).
    Done,
}

/// The container being walked.
#[derive(Debug, Clone, Copy)]
enum Inner<'x> {
    Bag(&'x Bag),
    Switched(&'x Switched),
}

/// The adapter: see the module docs.
pub struct Expand<'x, V: Visitor + ?Sized> {
    inner: &'x mut V,
    roles: &'x Roles,
    bags: &'x Bags,
    limits: WalkLimits,
    /// Events the inner walks may still cost.
    budget: u32,
    /// The container being walked: which, the phase, and the depth of
    /// compounds open inside it.
    bag: Option<(Inner<'x>, Phase, u32)>,
    /// A typed opaque's enum value read.
    tag: Option<i32>,
    mask: [u32; MAX_BAG_BITS / 32],
    /// Bitmap words read (may exceed the array: those bits are unknown).
    words: u32,
    /// A bit set past [`MAX_BAG_BITS`].
    high_bits: bool,
}

impl<'x, V: Visitor + ?Sized> Expand<'x, V> {
    /// An adapter in front of `inner`.
    pub fn new(inner: &'x mut V, roles: &'x Roles, bags: &'x Bags, limits: &WalkLimits) -> Self {
        Expand {
            inner,
            roles,
            bags,
            limits: *limits,
            budget: limits.max_nodes,
            bag: None,
            tag: None,
            mask: [0; MAX_BAG_BITS / 32],
            words: 0,
            high_bits: false,
        }
    }

    /// The set bits of the mask read, in increasing order.
    fn bits(&self) -> impl Iterator<Item = usize> + '_ {
        self.mask.iter().enumerate().flat_map(|(w, &word)| {
            (0..32)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| w * 32 + b)
        })
    }

    /// Checks each attribute's value with an event-less walk: returns the
    /// end offset of each value that decodes, and the bit where decoding
    /// stopped (no type, a bad value, the budget spent), if it did.
    fn plan(
        &mut self,
        schema: &Schema,
        bag: &Bag,
        data: &[u8],
        ends: &mut Vec<(usize, usize)>,
    ) -> Option<usize> {
        let mut at = 0usize;
        let bits: Vec<usize> = self.bits().collect();
        for bit in bits {
            let Some(Some(attr)) = bag.attrs.get(bit) else {
                return Some(bit);
            };
            let rest = BodyBytes::whole(data.get(at..).unwrap_or(&[]));
            let mut count = Count(0);
            let limits = WalkLimits {
                max_nodes: self.budget / 2,
                ..self.limits
            };
            let used = match walk(schema, &[attr.ty], &rest, &limits, &mut count) {
                Ok(n) => n,
                Err(e) if e.kind == BodyErrorKind::Malformed(Malformation::TrailingBytes) => {
                    e.offset
                }
                Err(_) => return Some(bit),
            };
            self.budget = self.budget.saturating_sub(count.0.saturating_mul(2));
            at += used as usize;
            ends.push((bit, at));
        }
        None
    }

    /// Delivers the values of `data` (the bag's opaque, held whole) as a
    /// struct of named attributes. Returns the flow for the outer walk.
    fn expand(&mut self, schema: &Schema, bag: &'x Bag, ty: TypeId, data: &[u8]) -> Flow {
        let mut ends = Vec::new();
        let mut stop = self.plan(schema, bag, data, &mut ends);
        if stop.is_none() && self.high_bits {
            stop = Some(MAX_BAG_BITS);
        }
        match self.inner.event(schema, Event::StructBegin { ty }) {
            Flow::Stop => return Flow::Stop,
            Flow::Skip => return self.forward(schema, Event::StructEnd { ty }),
            Flow::Continue => {}
        }
        let mut start = 0usize;
        for &(bit, end) in &ends {
            let Some(Some(attr)) = bag.attrs.get(bit) else {
                break;
            };
            let value = data.get(start..end).unwrap_or(&[]);
            start = end;
            let field = Event::Field {
                name: &attr.name,
                ty: attr.ty,
            };
            match self.inner.event(schema, field) {
                Flow::Stop => return Flow::Stop,
                Flow::Skip => continue,
                Flow::Continue => {}
            }
            let mut fwd = Forward {
                inner: &mut *self.inner,
                stopped: false,
            };
            // Checked by `plan`: the same walk cannot fail now.
            let _ = walk(
                schema,
                &[attr.ty],
                &BodyBytes::whole(value),
                &self.limits,
                &mut fwd,
            );
            if fwd.stopped {
                return Flow::Stop;
            }
        }
        let rest = data.get(start..).unwrap_or(&[]);
        if !rest.is_empty() || stop.is_some() {
            let name = match stop {
                Some(bit) => format!("attr_{bit}"),
                None => "undecoded".to_string(),
            };
            let field = Event::Field { name: &name, ty };
            match self.inner.event(schema, field) {
                Flow::Stop => return Flow::Stop,
                Flow::Skip => {}
                Flow::Continue => {
                    let ev = Event::Opaque {
                        ty,
                        data: rest,
                        len: rest.len() as u64,
                    };
                    if self.inner.event(schema, ev) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
            }
        }
        self.forward(schema, Event::StructEnd { ty })
    }

    fn forward(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        self.inner.event(schema, ev)
    }
}

impl<'x, V: Visitor + ?Sized> Expand<'x, V> {
    /// A typed opaque's content, when its type is known and it decodes to
    /// its last byte: delivered in place of the opaque.
    fn switched(&mut self, schema: &Schema, sw: &Switched, data: &[u8]) -> Option<Flow> {
        let tag = self.tag?;
        let &(_, ty) = sw.cases.iter().find(|(v, _)| *v == tag)?;
        let mut count = Count(0);
        let limits = WalkLimits {
            max_nodes: self.budget / 2,
            ..self.limits
        };
        let body = BodyBytes::whole(data);
        walk(schema, &[ty], &body, &limits, &mut count).ok()?;
        self.budget = self.budget.saturating_sub(count.0.saturating_mul(2));
        let mut fwd = Forward {
            inner: &mut *self.inner,
            stopped: false,
        };
        let _ = walk(schema, &[ty], &body, &self.limits, &mut fwd);
        Some(if fwd.stopped {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}

impl<V: Visitor + ?Sized> Visitor for Expand<'_, V> {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        let Some((inner, phase, depth)) = self.bag else {
            if let Event::StructBegin { ty } = ev {
                if self.roles.of(schema, ty) & Role::INNER.bits() != 0 {
                    self.tag = None;
                    if let Some(bag) = self.bags.get(schema, ty) {
                        self.bag = Some((Inner::Bag(bag), Phase::Mask, 0));
                        self.mask = [0; MAX_BAG_BITS / 32];
                        self.words = 0;
                        self.high_bits = false;
                    } else if let Some(sw) = self.bags.switched(schema, ty) {
                        self.bag = Some((Inner::Switched(sw), Phase::Mask, 0));
                    }
                }
            }
            return self.inner.event(schema, ev);
        };
        match ev {
            Event::StructBegin { .. } | Event::UnionBegin { .. } | Event::ArrayBegin { .. } => {
                self.bag = Some((inner, phase, depth + 1));
            }
            Event::StructEnd { .. } | Event::UnionEnd { .. } | Event::ArrayEnd { .. } => {
                self.bag = match depth {
                    0 => None,
                    d => Some((inner, phase, d - 1)),
                };
            }
            Event::Field { name, .. } if depth == 0 => {
                let vals = match inner {
                    Inner::Bag(b) => &b.vals,
                    Inner::Switched(s) => &s.body,
                };
                let next = if name == vals { Phase::Vals } else { phase };
                self.bag = Some((inner, next, 0));
            }
            Event::UInt { value, .. } if depth == 1 && phase == Phase::Mask => {
                let w = self.words as usize;
                match self.mask.get_mut(w) {
                    Some(slot) => *slot = value as u32,
                    None => self.high_bits |= value != 0,
                }
                self.words = self.words.saturating_add(1);
            }
            Event::Enum { value, .. } if depth == 0 && phase == Phase::Mask => {
                self.tag = Some(value);
            }
            Event::Opaque { ty, data, len } if depth == 0 && phase == Phase::Vals => {
                self.bag = Some((inner, Phase::Done, 0));
                if data.len() as u64 == len {
                    match inner {
                        Inner::Bag(bag) => return self.expand(schema, bag, ty, data),
                        Inner::Switched(sw) => {
                            if let Some(flow) = self.switched(schema, sw, data) {
                                return flow;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        self.inner.event(schema, ev)
    }
}

/// Counts events (the check walk).
struct Count(u32);

impl Visitor for Count {
    fn event(&mut self, _: &Schema, _: Event<'_, '_>) -> Flow {
        self.0 = self.0.saturating_add(1);
        Flow::Continue
    }
}

/// Passes an inner walk's events on, noting a stop.
struct Forward<'v, V: Visitor + ?Sized> {
    inner: &'v mut V,
    stopped: bool,
}

impl<V: Visitor + ?Sized> Visitor for Forward<'_, V> {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        let f = self.inner.event(schema, ev);
        self.stopped |= f == Flow::Stop;
        f
    }
}

#[cfg(test)]
#[path = "attrs_tests.rs"]
mod tests;
