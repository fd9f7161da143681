//! `rpcscope_test` (program 0x20000099, version 1): the test program served
//! by `rpcscope serve`, built to exercise analyzers and load generators.
//!
//! ```text
//! program RPCSCOPE_TEST {
//!   version V1 {
//!     void        NULL(void)                      = 0;
//!     opaque<>    ECHO(opaque data<32768>)        = 1;  /* same bytes back   */
//!     unsigned    SLEEP(unsigned ms)              = 2;  /* reply after ms    */
//!     void        FAIL(void)                      = 3;  /* always SYSTEM_ERR */
//!     bool        PUT(string key<64>, opaque value<1024>) = 4; /* AUTH_SYS */
//!     opaque     *GET(string key<64>)             = 5;  /* optional value    */
//!     string      LIST(void)<>                    = 6;  /* keys, sorted      */
//!     upload_res  UPLOAD(opaque data<1048576>)    = 7;  /* multi-fragment    */
//!     bool        DELETE(string key<64>)          = 8;  /* AUTH_SYS          */
//!   } = 1;
//! } = 0x20000099;
//! struct upload_res { unsigned count; unsigned fnv1a32; };
//! ```
//!
//! The wire form is `src/programs/x/rpcscope_test.x` (the same bytes as the
//! sketch above, with each argument a named struct), read and written
//! through [`super::codec`]. The bounds (sleep, echo, upload, key, value,
//! entries) come from [`Limits`], whose defaults the `.x` records; an
//! argument past its bound is GARBAGE_ARGS. PUT on a full
//! store returns FALSE (replacing an existing key always works); PUT and
//! DELETE with AUTH_NONE are AUTH_ERROR/TOOWEAK. The store never evicts.

use std::collections::BTreeMap;

use super::codec::{make, Garbage, Shape};
use super::service::{Caller, Outcome, ProcResult, Request};
use crate::limits::Limits;
use crate::programs::value::Value;
use crate::rpc::{AcceptBody, AuthStat};

/// The program number (user-defined range 0x20000000-0x3fffffff).
pub const PROGRAM: u32 = 0x2000_0099;
/// The one version.
pub const VERSION: u32 = 1;

/// Procedure numbers.
pub mod procs {
    /// Takes and returns nothing.
    pub const NULL: u32 = 0;
    /// Returns its opaque argument.
    pub const ECHO: u32 = 1;
    /// Replies after the given number of milliseconds.
    pub const SLEEP: u32 = 2;
    /// Always answers SYSTEM_ERR.
    pub const FAIL: u32 = 3;
    /// Stores a value under a key (AUTH_SYS only).
    pub const PUT: u32 = 4;
    /// Returns the value under a key, if any.
    pub const GET: u32 = 5;
    /// Returns every key, sorted.
    pub const LIST: u32 = 6;
    /// Accepts a large opaque and returns its length and FNV-1a hash.
    pub const UPLOAD: u32 = 7;
    /// Removes a key (AUTH_SYS only).
    pub const DELETE: u32 = 8;
}

/// A procedure: the call in, its outcome (results as a value of the
/// procedure's `.x` result type) out.
type Proc = fn(&mut TestProgram, &Request<'_>) -> ProcResult;

/// The dispatch table, indexed by procedure number.
const PROCS: [Proc; 9] = [
    |_, _| Ok(Outcome::ok(Value::Void)),
    TestProgram::echo,
    TestProgram::sleep,
    |_, _| Ok(Outcome::Fail(AcceptBody::SystemErr)),
    TestProgram::put,
    TestProgram::get,
    TestProgram::list,
    TestProgram::upload,
    TestProgram::delete,
];

/// `b` when it is at most `max` bytes, else GARBAGE_ARGS.
fn bounded(b: &[u8], max: u32) -> Result<&[u8], Garbage> {
    if b.len() > max as usize {
        return Err(Garbage);
    }
    Ok(b)
}

/// The test program's state: the bounded key-value store.
#[derive(Debug)]
pub struct TestProgram {
    limits: Limits,
    store: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl TestProgram {
    /// An empty store with the bounds of `limits`.
    pub fn new(limits: &Limits) -> Self {
        TestProgram {
            limits: limits.clone(),
            store: BTreeMap::new(),
        }
    }

    /// Entries in the store.
    pub fn store_len(&self) -> usize {
        self.store.len()
    }

    pub(super) fn dispatch(&mut self, procedure: u32, req: &Request<'_>) -> ProcResult {
        match PROCS.get(procedure as usize) {
            Some(p) => p(self, req),
            None => Ok(Outcome::Fail(AcceptBody::ProcUnavail)),
        }
    }

    /// `echo_args { opaque data<>; }` -> `echo_res`, the same bytes.
    fn echo(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [data] = args.members()?;
        let data = bounded(data.bytes()?, self.limits.server_max_echo)?;
        Ok(Outcome::ok(make::opaque(data)))
    }

    /// `sleep_args { unsigned int ms; }` -> `ms`, after `ms`.
    fn sleep(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [ms] = args.members()?;
        let ms = ms.u32()?;
        if ms > self.limits.server_max_sleep_ms {
            return Err(Garbage.into());
        }
        Ok(Outcome::Success {
            result: make::uint(ms),
            delay_ms: ms,
        })
    }

    /// `put_args { store_key key; store_value value; }` -> `bool`.
    fn put(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [key, value] = args.members()?;
        let key = bounded(key.bytes()?, self.limits.server_store_key)?;
        let value = bounded(value.bytes()?, self.limits.server_store_value)?;
        if req.caller == Caller::Anonymous {
            return Ok(Outcome::Denied(AuthStat::TOOWEAK));
        }
        let stored = if let Some(v) = self.store.get_mut(key) {
            *v = value.to_vec();
            true
        } else if self.store.len() < self.limits.server_store_entries {
            self.store.insert(key.to_vec(), value.to_vec());
            true
        } else {
            false
        };
        Ok(Outcome::ok(make::bool(stored)))
    }

    /// `get_args { store_key key; }` -> `get_res`, the value if any.
    fn get(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [key] = args.members()?;
        let key = bounded(key.bytes()?, self.limits.server_store_key)?;
        let value = self
            .store
            .get(key)
            .map(|v| Box::new(make::opaque(v.as_slice())));
        Ok(Outcome::ok(Value::Optional(value)))
    }

    /// `list_res`: every key, sorted.
    fn list(&mut self, _req: &Request<'_>) -> ProcResult {
        let keys = self.store.keys().map(|k| make::string(k.as_slice()));
        Ok(Outcome::ok(make::list(keys.collect())))
    }

    /// `upload_args { opaque data<>; }` -> `upload_res { count; fnv1a32; }`.
    fn upload(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [data] = args.members()?;
        let data = bounded(data.bytes()?, self.limits.server_max_upload)?;
        Ok(Outcome::ok(make::record(vec![
            make::uint(data.len() as u32),
            make::uint(fnv1a32(data)),
        ])))
    }

    /// `delete_args { store_key key; }` -> `bool`, whether it was there.
    fn delete(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [key] = args.members()?;
        let key = bounded(key.bytes()?, self.limits.server_store_key)?;
        if req.caller == Caller::Anonymous {
            return Ok(Outcome::Denied(AuthStat::TOOWEAK));
        }
        Ok(Outcome::ok(make::bool(self.store.remove(key).is_some())))
    }
}

/// 32-bit FNV-1a, the checksum UPLOAD returns so a client can check that
/// every fragment arrived in order.
pub fn fnv1a32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
