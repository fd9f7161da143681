//! One call whose arguments and results are values of the program's
//! built-in `.x` types: what `call` asks the portmapper (GETPORT) and what
//! `serve --register` asks rpcbind (SET, UNSET) go through the same
//! definitions (`src/programs/x/rpcbind.x`) as the server answering them
//! and the analyzer decoding them.

use std::net::SocketAddr;
use std::time::Duration;

use super::call_once;
use super::wire::{Cred, ReplyStatus};
use crate::limits::Limits;
use crate::net::Transport;
use crate::programs::registry::Registry;
use crate::programs::value::{self, Value};
use crate::programs::walk::{BodyBytes, WalkLimits};

/// A built-in procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    pub program: u32,
    pub version: u32,
    pub procedure: u32,
}

/// Calls `to` at `addr` with `args` (a value of its argument type): the
/// reply status and, on SUCCESS, the results as a value of its result
/// type. Errors: no reply, or arguments or results that do not fit the
/// definition, said in one line.
pub fn call_value(
    addr: SocketAddr,
    proto: Transport,
    to: Builtin,
    cred: &Cred,
    args: &Value,
    timeout: Duration,
    limits: &Limits,
) -> Result<(ReplyStatus, Option<Value>), String> {
    let registry = Registry::builtin();
    let Builtin {
        program,
        version,
        procedure,
    } = to;
    let def = registry
        .version(program, version)
        .and_then(|e| Some((e, e.procedure(procedure)?)))
        .ok_or_else(|| {
            format!("no built-in definition of {program} v{version} procedure {procedure}")
        })?;
    let (entry, proc_def) = def;
    let mut bytes = Vec::new();
    value::encode_all(entry.schema(), &proc_def.args, args, &mut bytes)
        .map_err(|e| format!("arguments: {e}"))?;
    let (status, results) = call_once(
        addr, proto, program, version, procedure, cred, &bytes, timeout, limits,
    )?;
    if !status.is_success() {
        return Ok((status, None));
    }
    let result = value::decode(
        entry.schema(),
        std::slice::from_ref(&proc_def.result),
        &BodyBytes::whole(&results),
        &WalkLimits::from(limits),
    )
    .map_err(|e| {
        format!(
            "the results do not decode: {} at byte {}",
            e.kind.name(),
            e.offset
        )
    })?;
    Ok((status, Some(result)))
}
