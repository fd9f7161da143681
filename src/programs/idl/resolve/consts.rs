//! Constants: `const` definitions, enum values and `#define`d numbers,
//! evaluated through each other on demand, memoized, with cycles and
//! depth bounded (no recursion deeper than [`IDL_MAX_CONST_DEPTH`]).

use super::super::expr::{self, Names};
use super::*;
use crate::limits::IDL_MAX_CONST_DEPTH;

impl<'a> Builder<'a> {
    // ---- constants -----------------------------------------------------------

    pub(super) fn eval_consts(&mut self) -> Result<(), Diag> {
        for i in 0..self.const_order.len() {
            let (name, pos) = self.const_order[i];
            let v = self.const_value(name, pos, 0)?;
            // Above i64::MAX: the same 64 bits (documented in the module).
            self.schema.consts.insert(name.to_string(), v as i64);
        }
        let mut soft: Vec<(&'a String, &'a SoftConst)> = self.soft.iter().collect();
        soft.sort_by_key(|(_, s)| s.pos);
        for (name, s) in soft {
            if self.names.contains_key(name.as_str()) {
                continue; // a const or enum value of the same name wins
            }
            if let Ok(v) = self.const_value(name, s.pos, 0) {
                self.schema.consts.insert(name.clone(), v as i64);
            }
        }
        Ok(())
    }

    /// The value of a number or constant name written at `at`.
    pub(super) fn value_of(&mut self, v: &Value, at: Pos, depth: usize) -> Result<i128, Diag> {
        match v {
            Value::Num(n) => Ok(*n),
            Value::Name(n) => self.const_value(n, at, depth),
        }
    }

    /// The value of constant `name`, used at `at`.
    pub(super) fn const_value(&mut self, name: &str, at: Pos, depth: usize) -> Result<i128, Diag> {
        match self.memo.get(name) {
            Some(Memo::Done(v)) => return Ok(*v),
            Some(Memo::Busy) => {
                return Err(Diag::new(
                    at,
                    format!("constant `{name}` is defined in terms of itself"),
                ))
            }
            None => {}
        }
        if depth > IDL_MAX_CONST_DEPTH {
            return Err(Diag::new(
                at,
                format!(
                    "constant `{name}` is defined through more than {IDL_MAX_CONST_DEPTH} other constants"
                ),
            ));
        }
        if let Some((&key, &def)) = self.names.get_key_value(name) {
            self.memo.insert(key, Memo::Busy);
            let r = self.named_const(key, def, at, depth);
            match r {
                Ok(v) => self.memo.insert(key, Memo::Done(v)),
                Err(_) => self.memo.remove(key),
            };
            return r;
        }
        if let Some((key, s)) = self.soft.get_key_value(name) {
            self.memo.insert(key, Memo::Busy);
            let r = expr::eval(
                &s.body,
                &mut SoftNames {
                    b: self,
                    at: s.pos,
                    depth,
                },
            );
            let r = r.map(i128::from).map_err(|e| {
                Diag::new(
                    at,
                    format!(
                        "`{name}` (from the #define at {}) is not an integer constant: {e}",
                        self.at(s.pos)
                    ),
                )
            });
            match r {
                Ok(v) => self.memo.insert(key, Memo::Done(v)),
                Err(_) => self.memo.remove(key.as_str()),
            };
            return r;
        }
        builtin_const(name).ok_or_else(|| Diag::new(at, format!("unknown constant `{name}`")))
    }

    pub(super) fn named_const(
        &mut self,
        name: &'a str,
        def: Name<'a>,
        at: Pos,
        depth: usize,
    ) -> Result<i128, Diag> {
        match def {
            Name::Type { .. } => Err(Diag::new(at, format!("`{name}` is a type, not a constant"))),
            Name::Const {
                value: ConstValue::Str,
                ..
            } => Err(Diag::new(
                at,
                format!("`{name}` is a string constant, not a number"),
            )),
            Name::Const {
                value: ConstValue::Value(v),
                value_pos,
                pos,
            } => {
                let v = self.value_of(v, value_pos, depth + 1)?;
                if v < i128::from(i64::MIN) || v > i128::from(u64::MAX) {
                    return Err(Diag::new(
                        pos,
                        format!("constant `{name}` = {v} does not fit 64 bits"),
                    ));
                }
                Ok(v)
            }
            Name::Member { members, index, .. } => self.member_value(members, index, depth),
        }
    }

    /// An enum value: its own `= value`, or one more than the previous
    /// member's. Members without a value between the nearest known one and
    /// `index` are memoized on the way, so a long enum costs linear time.
    pub(super) fn member_value(
        &mut self,
        members: &'a [Member],
        index: usize,
        depth: usize,
    ) -> Result<i128, Diag> {
        // Walk back to the nearest member with a value (written, or known).
        let mut k = index;
        let mut v = loop {
            let m = &members[k];
            if let Some(v) = &m.value {
                break self.value_of(&v.item, v.pos, depth + 1)?;
            }
            if k < index {
                if let Some(Memo::Done(v)) = self.memo.get(m.name.item.as_str()) {
                    break *v;
                }
            }
            if k == 0 {
                break 0; // the first member, without a value, is 0
            }
            k -= 1;
        };
        let fits = |v: i128| (i128::from(i32::MIN)..=i128::from(i32::MAX)).contains(&v);
        for (j, m) in members.iter().enumerate().take(index + 1).skip(k) {
            if j > k {
                v += 1;
            }
            if !fits(v) {
                return Err(Diag::new(
                    m.name.pos,
                    format!(
                        "enum value `{}` = {v} does not fit a 32-bit int",
                        m.name.item
                    ),
                ));
            }
            if j > k && j < index {
                self.memo.insert(&m.name.item, Memo::Done(v));
            }
        }
        Ok(v)
    }
}

/// Constants of `<rpc/rpc.h>` that `.x` files use without defining.
pub(super) fn builtin_const(name: &str) -> Option<i128> {
    match name {
        "TRUE" => Some(1),
        "FALSE" => Some(0),
        "MAXNETNAMELEN" => Some(255),
        "MAX_NETOBJ_SZ" => Some(1024),
        _ => None,
    }
}

/// Names in a `#define`'s value: the schema's constants.
struct SoftNames<'b, 'a> {
    b: &'b mut Builder<'a>,
    at: Pos,
    depth: usize,
}

impl Names for SoftNames<'_, '_> {
    fn value(&mut self, name: &str) -> Result<i64, String> {
        self.b
            .const_value(name, self.at, self.depth + 1)
            .map(|v| v as i64)
            .map_err(|d| d.msg)
    }
    fn defined(&mut self, _: &str) -> Option<bool> {
        None
    }
}
