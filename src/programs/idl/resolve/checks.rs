//! The checks that need every type built: `typedef X X`, `struct X`
//! references, typedef cycles, types containing themselves, and union
//! discriminants and case values. Graph walks are iterative.

use super::types::{builtin_named, builtin_primitive};
use super::*;

/// How a kind reads in a message.
pub(super) fn describe(kind: &Kind) -> &'static str {
    match kind {
        Kind::Void => "void",
        Kind::Int => "int",
        Kind::UInt => "unsigned int",
        Kind::Hyper => "hyper",
        Kind::UHyper => "unsigned hyper",
        Kind::Float => "float",
        Kind::Double => "double",
        Kind::Quadruple => "quadruple",
        Kind::Bool => "bool",
        Kind::Enum(_) => "an enum",
        Kind::Struct(_) => "a struct",
        Kind::Union(_) => "a union",
        Kind::FixedOpaque(_) => "fixed-size opaque",
        Kind::VarOpaque(_) => "variable-length opaque",
        Kind::String(_) => "a string",
        Kind::FixedArray { .. } => "a fixed-size array",
        Kind::VarArray { .. } => "a variable-length array",
        Kind::Optional(_) => "optional data",
        Kind::Alias(_) => "a typedef",
    }
}

/// The `i`-th type that `kind` holds by value (not through `*` or `<>`):
/// a struct's fields, a union's discriminant and arms, a fixed array's
/// element, an alias's target.
pub(super) fn contained(kind: &Kind, i: usize) -> Option<TypeId> {
    match kind {
        Kind::Struct(s) => s.fields.get(i).map(|f| f.ty),
        Kind::Union(u) if i == 0 => Some(u.discriminant.ty),
        Kind::Union(u) => u.arms.get(i - 1).map(|f| f.ty),
        Kind::FixedArray { elem, .. } if i == 0 => Some(*elem),
        Kind::Alias(t) if i == 0 => Some(*t),
        _ => None,
    }
}

impl<'a> Builder<'a> {
    // ---- whole-schema checks ---------------------------------------------------

    /// `typedef X X;` needs `X` defined by another definition.
    pub(super) fn check_self_typedefs(&mut self) -> Result<(), Diag> {
        for i in 0..self.self_typedefs.len() {
            let (d, target, tag) = self.self_typedefs[i];
            let defined = matches!(self.names.get(target), Some(Name::Type { .. }));
            if !defined && builtin_named(target).is_none() && builtin_primitive(target).is_none() {
                return Err(Diag::new(
                    d.spec_pos,
                    format!(
                        "`typedef {}{target} {target};` names itself, and `{target}` is not defined elsewhere",
                        tag.map_or(String::new(), |t| format!("{} ", t.word()))
                    ),
                ));
            }
            self.type_ref(target, tag, d.spec_pos)?;
        }
        Ok(())
    }

    /// A typedef that leads back to itself through other typedefs.
    pub(super) fn check_alias_cycles(&self) -> Result<(), Diag> {
        let types = &self.schema.types;
        let mut state = vec![0u8; types.len()]; // 0 new, 1 on this chain, 2 done
        for start in 0..types.len() {
            let mut chain = Vec::new();
            let mut cur = start;
            while let (0, Kind::Alias(t)) = (state[cur], &types[cur].kind) {
                state[cur] = 1;
                chain.push(cur);
                cur = t.index().min(types.len() - 1);
            }
            if state[cur] == 1 {
                let from = chain.iter().position(|&c| c == cur).unwrap_or(0);
                let mut names: Vec<&str> = chain[from..].iter().map(|&c| self.label(c)).collect();
                names.push(self.label(cur));
                return Err(Diag::new(
                    self.type_pos[cur],
                    format!("typedef cycle: {}", names.join(" -> ")),
                ));
            }
            for c in chain {
                state[c] = 2;
            }
        }
        Ok(())
    }

    pub(super) fn label(&self, i: usize) -> &str {
        let def = &self.schema.types[i];
        match &def.name {
            Some(n) => n,
            None => match def.kind {
                Kind::Struct(_) => "(inline struct)",
                Kind::Union(_) => "(inline union)",
                Kind::FixedArray { .. } => "(fixed-size array)",
                _ => "(inline type)",
            },
        }
    }

    /// `struct X` must name a struct (after typedefs), and so on.
    pub(super) fn check_tags(&self) -> Result<(), Diag> {
        for &(id, tag, at) in &self.tags {
            let (_, kind) = self.schema.resolve(id);
            let ok = matches!(
                (tag, kind),
                (Tag::Struct, Kind::Struct(_))
                    | (Tag::Union, Kind::Union(_))
                    | (Tag::Enum, Kind::Enum(_))
            );
            if !ok {
                let name = self.label(id.index());
                return Err(Diag::new(
                    at,
                    format!(
                        "`{} {name}`: `{name}` is {}, not {} {}",
                        tag.word(),
                        describe(kind),
                        if tag == Tag::Enum { "an" } else { "a" },
                        tag.word()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A type that holds itself by value (through struct fields, union arms
    /// and fixed-size arrays only) would have infinite size: recursion must
    /// go through optional data or a variable-length array. Iterative DFS.
    pub(super) fn check_containment(&self) -> Result<(), Diag> {
        let types = &self.schema.types;
        let n = types.len();
        let mut color = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if color[root] != 0 {
                continue;
            }
            color[root] = 1;
            stack.push((root, 0));
            while let Some(top) = stack.last_mut() {
                let (node, i) = *top;
                let Some(child) = contained(&types[node].kind, i) else {
                    color[node] = 2;
                    stack.pop();
                    continue;
                };
                top.1 += 1;
                let c = child.index().min(n - 1);
                match color[c] {
                    0 => {
                        color[c] = 1;
                        stack.push((c, 0));
                    }
                    1 => return Err(self.containment_error(&stack, c)),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    pub(super) fn containment_error(&self, stack: &[(usize, usize)], back_to: usize) -> Diag {
        let from = stack.iter().position(|&(t, _)| t == back_to).unwrap_or(0);
        let cycle: Vec<usize> = stack[from..].iter().map(|&(t, _)| t).collect();
        // Report at the first-defined named type of the cycle.
        let at = cycle
            .iter()
            .copied()
            .filter(|&t| self.schema.types[t].name.is_some())
            .min_by_key(|&t| self.type_pos[t])
            .unwrap_or(back_to);
        let start = cycle.iter().position(|&t| t == at).unwrap_or(0);
        let mut path: Vec<&str> = cycle[start..]
            .iter()
            .chain(&cycle[..start])
            .map(|&t| self.label(t))
            .collect();
        path.push(self.label(at));
        Diag::new(
            self.type_pos[at],
            format!(
                "`{}` contains itself ({}) through struct fields, union arms or fixed-size \
                 arrays; recursion must go through optional data (`*`) or a variable-length \
                 array (`<>`)",
                self.label(at),
                path.join(" -> ")
            ),
        )
    }

    /// Discriminant types, and case values read as the discriminant's type.
    pub(super) fn finish_unions(&mut self) -> Result<(), Diag> {
        let pending = std::mem::take(&mut self.unions);
        for p in pending {
            let Kind::Union(u) = &self.schema.get(p.id).kind else {
                continue;
            };
            let disc = u.discriminant.clone();
            let (_, dk) = self.schema.resolve(disc.ty);
            #[derive(PartialEq)]
            enum Class {
                Int,
                UInt,
                Bool,
            }
            let class = match dk {
                Kind::Int | Kind::Enum(_) => Class::Int,
                Kind::UInt => Class::UInt,
                Kind::Bool => Class::Bool,
                other => {
                    return Err(Diag::new(
                        p.disc_pos,
                        format!(
                            "union discriminant `{}` must be int, unsigned int, bool or an enum, not {}",
                            disc.name,
                            describe(other)
                        ),
                    ))
                }
            };
            let type_word = match dk {
                Kind::Enum(_) => "an enum",
                Kind::UInt => "an unsigned int",
                Kind::Bool => "a bool",
                _ => "an int",
            };
            let mut cases = Vec::with_capacity(p.labels.len());
            let mut seen: HashMap<i64, Pos> = HashMap::new();
            for (label, arm) in p.labels {
                let v = self.value_of(&label.item, label.pos, 0)?;
                let two32 = 1i128 << 32;
                let norm = match class {
                    Class::Bool if v == 0 || v == 1 => Some(v),
                    Class::Bool => None,
                    // The case's 32 bits, read as the discriminant's type.
                    Class::Int if (-(1i128 << 31)..(1i128 << 31)).contains(&v) => Some(v),
                    Class::Int if ((1i128 << 31)..two32).contains(&v) => Some(v - two32),
                    Class::UInt if (0..two32).contains(&v) => Some(v),
                    Class::UInt if (-(1i128 << 31)..0).contains(&v) => Some(v + two32),
                    _ => None,
                };
                let Some(norm) = norm.map(|v| v as i64) else {
                    return Err(Diag::new(
                        label.pos,
                        format!(
                            "case value {v} does not fit {type_word} discriminant{}",
                            if class == Class::Bool {
                                " (TRUE or FALSE)"
                            } else {
                                ""
                            }
                        ),
                    ));
                };
                if let Some(first) = seen.insert(norm, label.pos) {
                    return Err(Diag::new(
                        label.pos,
                        format!(
                            "duplicate case value {norm} in the union (first at {})",
                            self.at(first)
                        ),
                    ));
                }
                cases.push((norm, arm));
            }
            cases.sort_unstable();
            if let Kind::Union(u) = &mut self.schema.types[p.id.index()].kind {
                u.cases = cases;
            }
        }
        Ok(())
    }
}
