//! Names of what the aggregates count, for every printer (table, JSON,
//! HTML, terminal UI): one place, so a row reads the same everywhere.

use crate::event::Exchange;
use crate::programs::nfs4::{self, Shape};
use crate::programs::registry::Registry;

use super::StatsKey;

/// The procedure's name from the registry, when the key names one.
pub fn procedure_name<'r>(registry: &'r Registry, k: &StatsKey) -> Option<&'r str> {
    match (k.program, k.version, k.procedure) {
        (Some(p), Some(v), Some(q)) => registry.procedure_name(p, v, q),
        _ => None,
    }
}

/// The name of a key's operation (`OP_READ`: an NFSv4 COMPOUND's main
/// operation, or with `--ops` each operation), from the compound's schema.
pub fn operation_name<'r>(registry: &'r Registry, k: &StatsKey) -> Option<&'r str> {
    let (Some(p), Some(v), Some(q), Some(op)) = (k.program, k.version, k.procedure, k.operation)
    else {
        return None;
    };
    let e = registry.version(p, v)?;
    let shape = Shape::of(e, q)?;
    nfs4::op_name(e.schema(), shape.op_enum(), op)
}

/// The name of an operation's status `value` (of the status type `ty`) in
/// the exchange's program (a callback program decodes as its own).
pub fn op_status_name<'r>(
    registry: &'r Registry,
    ex: &Exchange<'_>,
    ty: crate::programs::schema::TypeId,
    value: i32,
) -> Option<&'r str> {
    let c = ex.call.as_ref()?;
    let program = ex.facts.decode_as.or(c.program)?;
    registry.status_name(program, c.version?, ty, value)
}

/// The PROCEDURE column: `READ`, or `COMPOUND:READ` for an NFSv4
/// compound's main operation.
pub fn row_name(registry: &Registry, k: &StatsKey) -> String {
    let proc_ = opt_name(k.procedure, procedure_name(registry, k));
    match (k.operation, operation_name(registry, k)) {
        (Some(_), Some(n)) => format!("{proc_}:{}", nfs4::short_name(n)),
        (Some(op), None) => format!("{proc_}:{op}"),
        (None, _) => proc_,
    }
}

/// The PROGRAM column: the name, else the number, else `-`.
pub fn program_label(registry: &Registry, program: Option<u32>) -> String {
    opt_name(program, program.and_then(|p| registry.program_name(p)))
}

/// A name, else the number, else `-`.
pub fn opt_name(n: Option<u32>, name: Option<&str>) -> String {
    match (n, name) {
        (_, Some(s)) => s.to_string(),
        (Some(n), None) => n.to_string(),
        (None, None) => "-".into(),
    }
}

/// The name of the program status of `ex` when it reports a failure
/// (anything but the program's success value: NFS3_OK, MNT3_OK,
/// NLM4_GRANTED, NFS4_OK, rquota's Q_OK...).
pub fn body_error_name<'r>(registry: &'r Registry, ex: &Exchange<'_>) -> Option<&'r str> {
    let st = ex.facts.status?;
    let c = ex.call.as_ref()?;
    let (p, v) = (c.program?, c.version?);
    if registry.version(p, v)?.semantics.is_ok(st.value) {
        return None;
    }
    registry.status_name(p, v, st.ty, st.value)
}

/// Why an exchange failed, as `stats` counts it: a non-success RPC reply
/// (`prog_unavail`, `auth_error`...) or a program status other than OK
/// (`NFS3ERR_NOENT`...). `None` for a success and for a call with no reply.
pub fn failure<'r>(registry: &'r Registry, ex: &Exchange<'_>) -> Option<&'r str> {
    let r = ex.reply.as_ref()?;
    let name = crate::filter::status_name(&r.status);
    if !matches!(name, "success" | "accepted" | "unknown") {
        Some(name)
    } else {
        body_error_name(registry, ex)
    }
}

/// The `--by path` key of an exchange: its path, or `fh:0x...` (the
/// handle's hash) where the path is not known.
pub fn file_key(ex: &Exchange<'_>) -> Option<std::sync::Arc<str>> {
    match (&ex.facts.path, ex.facts.fh_hash) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(h)) => Some(format!("fh:{h:#010x}").into()),
        (None, None) => None,
    }
}
