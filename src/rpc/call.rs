//! The call header: `call_body` of RFC 5531 section 9, which follows the xid
//! and `msg_type` in a CALL message.

use super::auth::{AuthRole, OpaqueAuth};
use super::error::RpcError;
use super::ids::{Procedure, Program, Version};
use super::xdr::{XdrReader, XdrWriter};
use crate::limits::Limits;

/// `struct call_body`: who is called, and with which credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CallHeader<'a> {
    /// RPC protocol version; 2 for every real message. Parsing keeps any
    /// value so a server can answer RPC_MISMATCH.
    pub rpcvers: u32,
    /// The remote program.
    pub program: Program,
    /// Its version.
    pub version: Version,
    /// The procedure called.
    pub procedure: Procedure,
    /// The caller's credential.
    pub cred: OpaqueAuth<'a>,
    /// The caller's verifier.
    pub verf: OpaqueAuth<'a>,
}

impl<'a> CallHeader<'a> {
    /// The only RPC version in use (RFC 5531 section 8).
    pub const RPC_VERSION: u32 = 2;
    /// Offset of the credential body from the start of a call message: the
    /// base for errors from [`OpaqueAuth::decode_cred`].
    pub const CRED_BODY_OFFSET: usize = 32;

    /// Read `call_body` (after xid and msg_type).
    pub fn read(r: &mut XdrReader<'a>, limits: &Limits) -> Result<Self, RpcError> {
        Ok(CallHeader {
            rpcvers: r.u32("rpcvers")?,
            program: r.enumeration("prog")?,
            version: r.enumeration("vers")?,
            procedure: r.enumeration("proc")?,
            cred: OpaqueAuth::read(r, limits, AuthRole::Cred)?,
            verf: OpaqueAuth::read(r, limits, AuthRole::Verf)?,
        })
    }

    /// Append `call_body`.
    pub fn emit(&self, w: &mut XdrWriter<'_>) {
        w.put_u32(self.rpcvers)
            .put_enum(self.program)
            .put_enum(self.version)
            .put_enum(self.procedure);
        self.cred.emit(w);
        self.verf.emit(w);
    }

    /// Bytes of `call_body`.
    pub fn encoded_len(&self) -> usize {
        16 + self.cred.encoded_len() + self.verf.encoded_len()
    }
}
