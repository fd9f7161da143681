//! What a schema from the parser guarantees, as a check: the fuzz target
//! and the tests run it on every schema they get.
//!
//! Contract: [`check`] never panics, on any `Schema` (checked or not), and
//! runs in time linear in the schema's size.

use std::collections::HashSet;

use crate::programs::schema::{display_name, Kind, Schema, TypeId};

/// `Ok` when `s` keeps the promises of [`crate::programs::schema`]'s module
/// docs (ids in range, names unique and indexed, no alias cycles, no type
/// containing itself by value, unions and programs well formed), else the
/// first broken one.
pub fn check(s: &Schema) -> Result<(), String> {
    let n = s.types.len();
    if n < TypeId::FIRST_DECLARED as usize {
        return Err("the primitive types are missing".into());
    }
    let in_range = |t: TypeId, what: &str| {
        if t.index() < n {
            Ok(())
        } else {
            Err(format!("{what}: type id {} out of range ({n} types)", t.0))
        }
    };
    for (i, def) in s.types.iter().enumerate() {
        let at = || match &def.name {
            Some(name) => format!("type {i} `{name}`"),
            None => format!("type {i}"),
        };
        if let Some(name) = &def.name {
            if s.by_name.get(name) != Some(&TypeId(i as u32)) {
                return Err(format!("{}: not indexed by its name", at()));
            }
        }
        match &def.kind {
            Kind::Struct(st) => {
                let mut seen = HashSet::new();
                for f in &st.fields {
                    in_range(f.ty, &at())?;
                    if !seen.insert(f.name.as_str()) {
                        return Err(format!("{}: duplicate field `{}`", at(), f.name));
                    }
                }
            }
            Kind::Union(u) => {
                in_range(u.discriminant.ty, &at())?;
                match s.resolve(u.discriminant.ty).1 {
                    Kind::Int | Kind::UInt | Kind::Bool | Kind::Enum(_) => {}
                    k => return Err(format!("{}: discriminant of kind {k:?}", at())),
                }
                for a in &u.arms {
                    in_range(a.ty, &at())?;
                }
                if u.cases.windows(2).any(|w| w[0].0 >= w[1].0) {
                    return Err(format!("{}: case values not sorted and unique", at()));
                }
                let arms = u.arms.len() as u32;
                if u.cases.iter().any(|&(_, a)| a >= arms) || u.default.is_some_and(|d| d >= arms) {
                    return Err(format!("{}: case arm out of range", at()));
                }
            }
            Kind::FixedArray { elem, len } => {
                in_range(*elem, &at())?;
                if *len == 0 {
                    return Err(format!("{}: empty fixed array", at()));
                }
            }
            Kind::VarArray { elem, .. } => in_range(*elem, &at())?,
            Kind::Optional(t) | Kind::Alias(t) => in_range(*t, &at())?,
            Kind::FixedOpaque(0) => return Err(format!("{}: empty fixed opaque", at())),
            _ => {}
        }
        if matches!(def.kind, Kind::Alias(_)) && def.name.is_none() {
            return Err(format!("{}: an anonymous alias", at()));
        }
    }
    for (name, id) in &s.by_name {
        in_range(*id, name)?;
        if s.types[id.index()].name.as_deref() != Some(name.as_str()) {
            return Err(format!("by_name `{name}` points at another type"));
        }
    }
    no_cycles(s)?;
    for p in &s.programs {
        if p.versions.windows(2).any(|w| w[0].number >= w[1].number) {
            return Err(format!(
                "program {}: versions not sorted and unique",
                p.number
            ));
        }
        for v in &p.versions {
            if v.procedures.windows(2).any(|w| w[0].number >= w[1].number) {
                return Err(format!("{} v{}: procedures not sorted", p.number, v.number));
            }
            for pr in &v.procedures {
                if pr.display.is_empty() || pr.display != display_name(&pr.name) {
                    return Err(format!("procedure `{}`: display `{}`", pr.name, pr.display));
                }
                in_range(pr.result, &pr.name)?;
                for &a in &pr.args {
                    in_range(a, &pr.name)?;
                    if a == TypeId::VOID {
                        return Err(format!("procedure `{}`: a void argument", pr.name));
                    }
                }
            }
        }
    }
    Ok(())
}

/// No type contains itself by value (struct fields, union arms, fixed
/// arrays, aliases): an iterative depth-first search.
fn no_cycles(s: &Schema) -> Result<(), String> {
    let n = s.types.len();
    let held = |k: &Kind, i: usize| -> Option<TypeId> {
        match k {
            Kind::Struct(st) => st.fields.get(i).map(|f| f.ty),
            Kind::Union(u) => u.arms.get(i).map(|f| f.ty),
            Kind::FixedArray { elem, .. } | Kind::Alias(elem) if i == 0 => Some(*elem),
            _ => None,
        }
    };
    let mut color = vec![0u8; n];
    for root in 0..n {
        if color[root] != 0 {
            continue;
        }
        color[root] = 1;
        let mut stack = vec![(root, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (node, i) = *top;
            match held(&s.types[node].kind, i) {
                None => {
                    color[node] = 2;
                    stack.pop();
                }
                Some(c) => {
                    top.1 += 1;
                    let c = c.index().min(n - 1);
                    match color[c] {
                        0 => {
                            color[c] = 1;
                            stack.push((c, 0));
                        }
                        1 => return Err(format!("type {c} contains itself by value")),
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}
