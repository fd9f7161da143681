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
//! The bounds (sleep, echo, upload, key, value, entries) come from
//! [`Limits`]; an argument past its bound is GARBAGE_ARGS. PUT on a full
//! store returns FALSE (replacing an existing key always works); PUT and
//! DELETE with AUTH_NONE are AUTH_ERROR/TOOWEAK. The store never evicts.

use std::collections::BTreeMap;

use super::service::{Caller, Outcome, Request};
use crate::limits::Limits;
use crate::rpc::xdr::XdrWriter;
use crate::rpc::{AcceptBody, AuthStat, RpcError};

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

type Proc = for<'a> fn(&mut TestProgram, &mut Request<'a>, &mut XdrWriter<'_>) -> ProcResult<'a>;
type ProcResult<'a> = Result<Outcome<'a>, RpcError>;

/// The dispatch table, indexed by procedure number.
const PROCS: [Proc; 9] = [
    |_, _, _| Ok(Outcome::SUCCESS),
    TestProgram::echo,
    TestProgram::sleep,
    |_, _, _| Ok(Outcome::Fail(AcceptBody::SystemErr)),
    TestProgram::put,
    TestProgram::get,
    TestProgram::list,
    TestProgram::upload,
    TestProgram::delete,
];

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

    pub(super) fn dispatch<'a>(
        &mut self,
        procedure: u32,
        req: &mut Request<'a>,
        w: &mut XdrWriter<'_>,
    ) -> ProcResult<'a> {
        match PROCS.get(procedure as usize) {
            Some(p) => p(self, req, w),
            None => Ok(Outcome::Fail(AcceptBody::ProcUnavail)),
        }
    }

    fn echo<'a>(&mut self, req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        let data = req
            .args
            .opaque_var(self.limits.server_max_echo, "echo.data")?;
        w.put_opaque_var(data);
        Ok(Outcome::SUCCESS)
    }

    fn sleep<'a>(&mut self, req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        let at = req.args.offset();
        let ms = req.args.u32("sleep.ms")?;
        let max = self.limits.server_max_sleep_ms;
        if ms > max {
            return Err(RpcError::too_large("sleep.ms", at, ms.into(), max.into()));
        }
        w.put_u32(ms);
        Ok(Outcome::Success { delay_ms: ms })
    }

    fn put<'a>(&mut self, req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        let key = req.args.string(self.limits.server_store_key, "put.key")?;
        let value = req
            .args
            .opaque_var(self.limits.server_store_value, "put.value")?;
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
        w.put_bool(stored);
        Ok(Outcome::SUCCESS)
    }

    fn get<'a>(&mut self, req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        let key = req.args.string(self.limits.server_store_key, "get.key")?;
        w.put_optional(self.store.get(key), |w, v| {
            w.put_opaque_var(v);
        });
        Ok(Outcome::SUCCESS)
    }

    fn list<'a>(&mut self, _req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        w.put_u32(self.store.len() as u32);
        for key in self.store.keys() {
            w.put_string(key);
        }
        Ok(Outcome::SUCCESS)
    }

    fn upload<'a>(&mut self, req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        let data = req
            .args
            .opaque_var(self.limits.server_max_upload, "upload.data")?;
        w.put_u32(data.len() as u32).put_u32(fnv1a32(data));
        Ok(Outcome::SUCCESS)
    }

    fn delete<'a>(&mut self, req: &mut Request<'a>, w: &mut XdrWriter<'_>) -> ProcResult<'a> {
        let key = req
            .args
            .string(self.limits.server_store_key, "delete.key")?;
        if req.caller == Caller::Anonymous {
            return Ok(Outcome::Denied(AuthStat::TOOWEAK));
        }
        w.put_bool(self.store.remove(key).is_some());
        Ok(Outcome::SUCCESS)
    }
}

/// 32-bit FNV-1a, the checksum UPLOAD returns so a client can check that
/// every fragment arrived in order.
pub fn fnv1a32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
