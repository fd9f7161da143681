//! Bodies for the printers: an exchange's arguments and results as JSON
//! text, one-line summaries and the status name, read through the program
//! registry.
//!
//! [`BodyView`] owns the buffers the JSON is written into, so rendering an
//! exchange allocates nothing once they have grown. It only reads: what the
//! bodies teach (paths, statuses) was learned by the tracker and arrives in
//! [`crate::event::BodyFacts`].

use std::sync::Arc;

use super::schema::BodyErrorJson;
use crate::event::{Body, BodyBytes, BodyPart, Exchange, Missing};
use crate::limits::Limits;
use crate::programs::json::{body_to_json_with, JsonOptions};
use crate::programs::nfs4::{self, Shape, Stop};
use crate::programs::registry::{Registry, VersionEntry};
use crate::programs::schema::{ProcDef, TypeId};
use crate::programs::walk::{BodyError, BodyErrorKind, WalkLimits};

/// The rendered bodies of one exchange, borrowed from the [`BodyView`].
#[derive(Debug, Default)]
pub struct Rendered<'a> {
    /// The arguments as JSON text; `None` when not decoded (unknown
    /// program, not captured, void).
    pub args: Option<&'a [u8]>,
    /// The results as JSON text.
    pub result: Option<&'a [u8]>,
    /// The first place a body did not decode.
    pub error: Option<BodyErrorJson>,
}

/// Renders bodies. See the module docs.
pub struct BodyView {
    registry: Arc<Registry>,
    walk: WalkLimits,
    data_hex: bool,
    opaque_inline_max: usize,
    string_max: usize,
    max_ops: usize,
    args: Vec<u8>,
    result: Vec<u8>,
}

impl BodyView {
    /// A view reading bodies with `registry`; `data_hex`: bulk data also
    /// as hex (`--data hex`).
    pub fn new(registry: Arc<Registry>, limits: &Limits, data_hex: bool) -> Self {
        BodyView {
            registry,
            walk: WalkLimits::from(limits),
            data_hex,
            opaque_inline_max: limits.body_opaque_inline,
            string_max: limits.body_string_max,
            max_ops: limits.max_compound_ops,
            args: Vec::with_capacity(512),
            result: Vec::with_capacity(512),
        }
    }

    /// A view with the same registry and settings, and buffers of its own
    /// (for another rendering thread).
    pub fn fork(&self) -> Self {
        BodyView {
            registry: Arc::clone(&self.registry),
            walk: self.walk,
            data_hex: self.data_hex,
            opaque_inline_max: self.opaque_inline_max,
            string_max: self.string_max,
            max_ops: self.max_ops,
            args: Vec::with_capacity(512),
            result: Vec::with_capacity(512),
        }
    }

    /// The registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The definition and procedure of the exchange's call.
    fn procedure<'r>(
        registry: &'r Registry,
        ex: &Exchange<'_>,
    ) -> Option<(&'r VersionEntry, &'r ProcDef)> {
        let c = ex.call.as_ref()?;
        let program = ex.facts.decode_as.or(c.program)?;
        let e = registry.version(program, c.version?)?;
        let p = e.procedure(c.procedure?)?;
        Some((e, p))
    }

    /// The arguments and results of `ex` as JSON text.
    pub fn render_json(&mut self, ex: &Exchange<'_>) -> Rendered<'_> {
        self.args.clear();
        self.result.clear();
        let Some((entry, proc_def)) = Self::procedure(&self.registry, ex) else {
            return Rendered::default();
        };
        let opts = JsonOptions {
            roles: entry.roles(),
            data_hex: self.data_hex,
            opaque_inline_max: self.opaque_inline_max,
            string_max: self.string_max,
        };
        let compound = ex.facts.compound.as_deref();
        let one = |types: &[TypeId],
                   body: Option<&Body<'_>>,
                   stop: Option<Stop>,
                   out: &mut Vec<u8>,
                   part| {
            let body = body?;
            let bytes = cut_at_op_limit(body.bytes(), stop);
            let e = body_to_json_with(
                entry.schema(),
                entry.bags(),
                types,
                &bytes,
                &opts,
                &self.walk,
                out,
            )?;
            Some(error_json(part, e, body.len))
        };
        // The first body that did not decode, the arguments first; one that
        // could not be read at all (encrypted) has no JSON and no walk.
        let sealed = |part| {
            ex.facts.sealed(part).map(|s| BodyErrorJson {
                part: part.name(),
                offset: s.offset,
                kind: s.kind.name(),
                len: s.len,
            })
        };
        let mut error = one(
            &proc_def.args,
            ex.call_body.as_ref(),
            compound.and_then(|c| c.call_stop),
            &mut self.args,
            "args",
        )
        .or_else(|| sealed(BodyPart::Args));
        let success = ex.reply.is_some_and(|r| r.status.is_success());
        if success {
            let e = one(
                std::slice::from_ref(&proc_def.result),
                ex.reply_body.as_ref(),
                compound.and_then(|c| c.reply_stop),
                &mut self.result,
                "result",
            )
            .or_else(|| sealed(BodyPart::Result));
            error = error.or(e);
        }
        Rendered {
            args: (!self.args.is_empty()).then_some(&self.args[..]),
            result: (!self.result.is_empty()).then_some(&self.result[..]),
            error,
        }
    }

    /// The name of the status heading the result.
    pub fn status_name<'r>(registry: &'r Registry, ex: &Exchange<'_>) -> Option<&'r str> {
        let c = ex.call.as_ref()?;
        let s = ex.facts.status?;
        let program = ex.facts.decode_as.or(c.program)?;
        registry.status_name(program, c.version?, s.ty, s.value)
    }

    /// Appends the one-line summary of the call's arguments (each item
    /// after a space); false when there is none.
    pub fn call_summary(&self, ex: &Exchange<'_>, out: &mut String) -> bool {
        if sealed_summary(ex, BodyPart::Args, out) {
            return true;
        }
        let (Some((entry, proc_def)), Some(body)) =
            (Self::procedure(&self.registry, ex), ex.call_body.as_ref())
        else {
            return false;
        };
        if let Some(shape) = Shape::of(entry, proc_def.number) {
            let bytes = body.bytes();
            let w = nfs4::walk_compound(
                entry.schema(),
                entry.roles(),
                &shape.args,
                &bytes,
                &self.walk,
                self.max_ops,
            );
            let (schema, en) = (entry.schema(), shape.op_enum());
            return nfs4::summary::call_summary(schema, en, shape.callback, &w, out);
        }
        crate::programs::summary::summarize(
            entry.schema(),
            entry.roles(),
            &proc_def.args,
            &body.bytes(),
            &self.walk,
            out,
        )
    }

    /// Appends the one-line summary of the reply's results.
    pub fn reply_summary(&self, ex: &Exchange<'_>, out: &mut String) -> bool {
        if ex.reply.is_some_and(|r| r.status.is_success())
            && sealed_summary(ex, BodyPart::Result, out)
        {
            return true;
        }
        let (Some((entry, proc_def)), Some(body)) =
            (Self::procedure(&self.registry, ex), ex.reply_body.as_ref())
        else {
            return false;
        };
        if !ex.reply.is_some_and(|r| r.status.is_success()) {
            return false;
        }
        if let Some(shape) = Shape::of(entry, proc_def.number) {
            let bytes = body.bytes();
            let w = nfs4::walk_compound(
                entry.schema(),
                entry.roles(),
                &shape.result,
                &bytes,
                &self.walk,
                self.max_ops,
            );
            let status = w.status.and_then(|(ty, v)| {
                let e = entry.schema();
                match e.resolve(ty).1 {
                    crate::programs::schema::Kind::Enum(en) => en.name_of(v),
                    _ => None,
                }
            });
            let main = ex.facts.compound.as_ref().and_then(|c| c.main_op());
            let (schema, en) = (entry.schema(), shape.op_enum());
            return nfs4::summary::reply_summary(schema, en, shape.callback, status, main, &w, out);
        }
        crate::programs::summary::summarize(
            entry.schema(),
            entry.roles(),
            std::slice::from_ref(&proc_def.result),
            &body.bytes(),
            &self.walk,
            out,
        )
    }
    /// Appends the detail view (`-V`) of the call's arguments, or of the
    /// reply's results (`reply`), indented under the line.
    pub fn tree(&self, ex: &Exchange<'_>, reply: bool, out: &mut String) {
        let part = if reply {
            BodyPart::Result
        } else {
            BodyPart::Args
        };
        if let Some(s) = ex.facts.sealed(part) {
            use std::fmt::Write as _;
            let _ = writeln!(out, "    [{}: {} bytes]", s.kind.name(), s.len);
            return;
        }
        let Some((entry, proc_def)) = Self::procedure(&self.registry, ex) else {
            return;
        };
        let (types, body) = if reply {
            if !ex.reply.is_some_and(|r| r.status.is_success()) {
                return;
            }
            (
                std::slice::from_ref(&proc_def.result),
                ex.reply_body.as_ref(),
            )
        } else {
            (&proc_def.args[..], ex.call_body.as_ref())
        };
        let Some(body) = body else { return };
        let err = crate::programs::tree::write_tree_with(
            entry.schema(),
            entry.roles(),
            entry.bags(),
            types,
            &body.bytes(),
            &self.walk,
            4,
            out,
        );
        if let Some(e) = err {
            use std::fmt::Write as _;
            let _ = writeln!(
                out,
                "    [body stops at byte {}: {}]",
                e.offset,
                e.kind.name()
            );
        }
    }
}

impl BodyView {
    /// For an NFSv4 compound: writes its operations into `ops` as a JSON
    /// array (`["OP_SEQUENCE","OP_PUTFH","OP_READ"]`) and its main
    /// operation into `main` (`"OP_READ"`; nothing when it has none), each
    /// operation by name, or by number when the schema names none. False
    /// for any other exchange.
    pub fn render_ops(&self, ex: &Exchange<'_>, ops: &mut Vec<u8>, main: &mut Vec<u8>) -> bool {
        let (Some(c), Some((entry, _))) = (
            ex.facts.compound.as_deref(),
            Self::procedure(&self.registry, ex),
        ) else {
            return false;
        };
        let schema = entry.schema();
        let write = |out: &mut Vec<u8>, op: u32| match nfs4::op_name(schema, c.op_enum, op) {
            Some(n) => crate::programs::json::write_str(out, n.as_bytes()),
            None => out.extend_from_slice(itoa::Buffer::new().format(op).as_bytes()),
        };
        ops.push(b'[');
        let mut first = true;
        c.for_each_op(|op| {
            if !first {
                ops.push(b',');
            }
            first = false;
            write(ops, op);
        });
        ops.push(b']');
        if let Some(m) = c.main_op() {
            write(main, m);
        }
        true
    }
}

/// A body cut where its compound's operations stopped for the operation
/// bound, so the JSON stops there too (a `limit` body error).
fn cut_at_op_limit(bytes: BodyBytes<'_>, stop: Option<Stop>) -> BodyBytes<'_> {
    match stop {
        Some(s) if s.error.kind == BodyErrorKind::Limit => {
            let at = usize::try_from(s.error.offset).unwrap_or(usize::MAX);
            if at >= bytes.data.len() {
                return bytes;
            }
            BodyBytes {
                data: &bytes.data[..at],
                len: bytes.len,
                missing: Missing::NotKept,
            }
        }
        _ => bytes,
    }
}

fn error_json(part: &'static str, e: BodyError, len: u64) -> BodyErrorJson {
    BodyErrorJson {
        part,
        offset: e.offset,
        kind: e.kind.name(),
        len,
    }
}

/// ` [encrypted N bytes]` for a body that could not be read.
fn sealed_summary(ex: &Exchange<'_>, part: BodyPart, out: &mut String) -> bool {
    use std::fmt::Write as _;
    match ex.facts.sealed(part) {
        Some(s) => {
            let _ = write!(out, " [{} {} bytes]", s.kind.name(), s.len);
            true
        }
        None => false,
    }
}
