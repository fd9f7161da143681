//! Authentication on the wire: `opaque_auth` ([`OpaqueAuth`], RFC 5531
//! section 8.2) and the credential bodies carried in it ([`Auth`]): AUTH_NONE,
//! AUTH_SYS (RFC 5531 appendix A), AUTH_SHORT, AUTH_DH (RFC 2695),
//! RPCSEC_GSS (RFC 2203 section 5) and AUTH_TLS (RFC 9289).
//!
//! Parsing borrows the input. An unknown flavor is not an error: it is kept
//! as [`Auth::Other`] with its body. Credentials are checked against the RFC
//! bounds when parsed from a capture (`machinename<255>`, the body cap of
//! `Limits::max_auth_bytes`); the tighter `Limits::max_auth_sys_gids` is
//! enforced only when emitting, because real clients send more than 16 gids.
//! Errors from [`OpaqueAuth::decode_cred`] count offsets from the start of the
//! credential body ([`CallHeader::CRED_BODY_OFFSET`](super::call::CallHeader::CRED_BODY_OFFSET) in a call).

use super::error::RpcError;
use super::ids::{AuthFlavor, GssProc, GssService};
use super::xdr::{padded, U32Array, XdrReader, XdrWriter};
use crate::limits::Limits;

/// `machinename<255>` in `authsys_parms` (RFC 5531 appendix A).
pub const RFC_MAX_MACHINE_NAME: u32 = 255;
/// `MAXNETNAMELEN` for AUTH_DH netnames (RFC 2695 section 3.3.1).
pub const MAX_NETNAME: u32 = 255;
/// RPCSEC_GSS credential versions we decode: 1 (RFC 2203) and 3 (RFC 7861).
pub const GSS_VERSIONS: [u32; 2] = [1, 3];

/// Which `opaque_auth` of a message is being read; it names error fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRole {
    /// The call's credential.
    Cred,
    /// A call's or an accepted reply's verifier.
    Verf,
}

impl AuthRole {
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            AuthRole::Cred => ("cred.flavor", "cred.length"),
            AuthRole::Verf => ("verf.flavor", "verf.length"),
        }
    }
}

/// `struct opaque_auth { auth_flavor flavor; opaque body<400>; }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OpaqueAuth<'a> {
    /// The authentication flavor.
    pub flavor: AuthFlavor,
    /// The flavor-specific body, undecoded.
    pub body: &'a [u8],
}

impl<'a> OpaqueAuth<'a> {
    /// AUTH_NONE with an empty body: the usual verifier.
    pub const NONE: OpaqueAuth<'static> = OpaqueAuth {
        flavor: AuthFlavor::NONE,
        body: &[],
    };
    /// The verifier of a reply to an AUTH_TLS probe (RFC 9289 section 4.1).
    pub const STARTTLS: OpaqueAuth<'static> = OpaqueAuth {
        flavor: AuthFlavor::NONE,
        body: b"STARTTLS",
    };

    /// Read one `opaque_auth`; the body may not exceed `limits.max_auth_bytes`.
    pub fn read(r: &mut XdrReader<'a>, limits: &Limits, role: AuthRole) -> Result<Self, RpcError> {
        let (flavor_field, length_field) = role.fields();
        let flavor = r.enumeration(flavor_field)?;
        let body = r.opaque_var(limits.max_auth_bytes, length_field)?;
        Ok(OpaqueAuth { flavor, body })
    }

    /// Append the wire form.
    pub fn emit(&self, w: &mut XdrWriter<'_>) {
        w.put_enum(self.flavor).put_opaque_var(self.body);
    }

    /// Bytes of the wire form.
    pub fn encoded_len(&self) -> usize {
        8 + padded(self.body.len())
    }

    /// True for the AUTH_TLS reply verifier (AUTH_NONE, body "STARTTLS").
    pub fn is_starttls(&self) -> bool {
        *self == Self::STARTTLS
    }

    /// Decode the body as a call credential of its flavor.
    pub fn decode_cred(&self) -> Result<Auth<'a>, RpcError> {
        let mut r = XdrReader::new(self.body);
        let auth = match self.flavor {
            AuthFlavor::NONE => Auth::None,
            AuthFlavor::SYS => Auth::Sys(AuthSys::read(&mut r)?),
            AuthFlavor::SHORT => Auth::Short(r.rest()),
            AuthFlavor::DH => Auth::Dh(AuthDh::read(&mut r)?),
            AuthFlavor::RPCSEC_GSS => Auth::Gss(GssCred::read(&mut r)?),
            AuthFlavor::TLS => Auth::Tls,
            flavor => Auth::Other {
                flavor,
                body: r.rest(),
            },
        };
        if !r.is_empty() {
            // AUTH_NONE and AUTH_TLS bodies must be empty; others must be
            // exactly their structure.
            return Err(RpcError::invalid(
                "cred.body",
                r.offset(),
                r.remaining().len() as u64,
            ));
        }
        Ok(auth)
    }
}

/// A decoded credential.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Auth<'a> {
    /// AUTH_NONE.
    None,
    /// AUTH_SYS.
    Sys(AuthSys<'a>),
    /// AUTH_SHORT: an opaque handle issued by the server.
    Short(&'a [u8]),
    /// AUTH_DH.
    Dh(AuthDh<'a>),
    /// RPCSEC_GSS.
    Gss(GssCred<'a>),
    /// AUTH_TLS: the STARTTLS probe; its body is empty.
    Tls,
    /// A flavor we do not decode, with its body (so it can be re-emitted).
    Other {
        /// The flavor number.
        flavor: AuthFlavor,
        /// The undecoded body.
        body: &'a [u8],
    },
}

impl<'a> Auth<'a> {
    /// The flavor this credential is sent as.
    pub fn flavor(&self) -> AuthFlavor {
        match self {
            Auth::None => AuthFlavor::NONE,
            Auth::Sys(_) => AuthFlavor::SYS,
            Auth::Short(_) => AuthFlavor::SHORT,
            Auth::Dh(_) => AuthFlavor::DH,
            Auth::Gss(_) => AuthFlavor::RPCSEC_GSS,
            Auth::Tls => AuthFlavor::TLS,
            Auth::Other { flavor, .. } => *flavor,
        }
    }

    /// Append the credential body (not the `opaque_auth` header) to `out`,
    /// checking the bounds a sender must respect: AUTH_SYS gids and machine
    /// name per `limits`, the whole body per `limits.max_auth_bytes`.
    pub fn emit_body(&self, out: &mut Vec<u8>, limits: &Limits) -> Result<(), RpcError> {
        let start = out.len();
        match self {
            Auth::None | Auth::Tls => {}
            Auth::Sys(sys) => sys.emit(&mut XdrWriter::new(out), limits)?,
            // Undecoded bodies are copied as they are: the opaque_auth around
            // them carries the padding.
            Auth::Short(body) | Auth::Other { body, .. } => out.extend_from_slice(body),
            Auth::Dh(dh) => dh.emit(&mut XdrWriter::new(out))?,
            Auth::Gss(gss) => gss.emit(&mut XdrWriter::new(out)),
        }
        let len = out.len() - start;
        if len > limits.max_auth_bytes as usize {
            out.truncate(start);
            return Err(RpcError::too_large(
                "cred.length",
                0,
                len as u64,
                limits.max_auth_bytes.into(),
            ));
        }
        Ok(())
    }

    /// Encode into `buf` (cleared first) and return the `opaque_auth` that
    /// carries it, ready for a [`CallHeader`](super::call::CallHeader).
    pub fn to_opaque<'b>(
        &self,
        buf: &'b mut Vec<u8>,
        limits: &Limits,
    ) -> Result<OpaqueAuth<'b>, RpcError> {
        buf.clear();
        self.emit_body(buf, limits)?;
        Ok(OpaqueAuth {
            flavor: self.flavor(),
            body: buf,
        })
    }
}

/// `struct authsys_parms` (RFC 5531 appendix A).
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AuthSys<'a> {
    /// Arbitrary id chosen by the caller.
    pub stamp: u32,
    /// `machinename<255>`, as sent (ASCII by convention).
    pub machine_name: &'a [u8],
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    gids: Gids<'a>,
}

/// Supplementary gids: borrowed wire bytes when parsed, a slice when built.
#[derive(Debug, Clone, Copy)]
enum Gids<'a> {
    Wire(U32Array<'a>),
    Native(&'a [u32]),
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Gids<'a> {
    /// Generated gids are wire bytes: `&[u32]` cannot borrow fuzzer input.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Gids::Wire(u.arbitrary()?))
    }
}

impl<'a> AuthSys<'a> {
    /// A credential to emit.
    pub fn new(stamp: u32, machine_name: &'a [u8], uid: u32, gid: u32, gids: &'a [u32]) -> Self {
        AuthSys {
            stamp,
            machine_name,
            uid,
            gid,
            gids: Gids::Native(gids),
        }
    }

    /// The supplementary gids in order.
    pub fn gids(&self) -> impl ExactSizeIterator<Item = u32> + Clone + 'a {
        let (wire, native) = match self.gids {
            Gids::Wire(a) => (Some(a.iter()), None),
            Gids::Native(s) => (None, Some(s.iter().copied())),
        };
        GidIter { wire, native }
    }

    fn read(r: &mut XdrReader<'a>) -> Result<Self, RpcError> {
        Ok(AuthSys {
            stamp: r.u32("cred.body.stamp")?,
            machine_name: r.string(RFC_MAX_MACHINE_NAME, "cred.body.machinename")?,
            uid: r.u32("cred.body.uid")?,
            gid: r.u32("cred.body.gid")?,
            // Capped only by the body size: captures show more than 16.
            gids: Gids::Wire(r.u32_array(u32::MAX, "cred.body.gids")?),
        })
    }

    fn emit(&self, w: &mut XdrWriter<'_>, limits: &Limits) -> Result<(), RpcError> {
        let name_len = self.machine_name.len() as u64;
        if name_len > limits.max_machine_name.into() {
            return Err(RpcError::too_large(
                "cred.body.machinename",
                4,
                name_len,
                limits.max_machine_name.into(),
            ));
        }
        let gids = self.gids();
        if gids.len() as u64 > limits.max_auth_sys_gids.into() {
            let at = 16 + padded(self.machine_name.len());
            return Err(RpcError::too_large(
                "cred.body.gids",
                at,
                gids.len() as u64,
                limits.max_auth_sys_gids.into(),
            ));
        }
        w.put_u32(self.stamp)
            .put_string(self.machine_name)
            .put_u32(self.uid)
            .put_u32(self.gid)
            .put_u32_array(gids);
        Ok(())
    }
}

impl PartialEq for AuthSys<'_> {
    /// Equal when every field and every gid is equal, however the gids are held.
    fn eq(&self, other: &Self) -> bool {
        (self.stamp, self.machine_name, self.uid, self.gid)
            == (other.stamp, other.machine_name, other.uid, other.gid)
            && self.gids().eq(other.gids())
    }
}

impl Eq for AuthSys<'_> {}

#[derive(Clone)]
struct GidIter<A, B> {
    wire: Option<A>,
    native: Option<B>,
}

impl<A: Iterator<Item = u32>, B: Iterator<Item = u32>> Iterator for GidIter<A, B> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match (&mut self.wire, &mut self.native) {
            (Some(a), _) => a.next(),
            (None, Some(b)) => b.next(),
            (None, None) => None,
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match (&self.wire, &self.native) {
            (Some(a), _) => a.size_hint(),
            (None, Some(b)) => b.size_hint(),
            (None, None) => (0, Some(0)),
        }
    }
}

impl<A: ExactSizeIterator<Item = u32>, B: ExactSizeIterator<Item = u32>> ExactSizeIterator
    for GidIter<A, B>
{
}

/// `union authdh_cred switch (authdh_namekind namekind)` (RFC 2695 section 3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AuthDh<'a> {
    /// `ADN_FULLNAME`: the first credential of a conversation.
    Fullname {
        /// `string name<MAXNETNAMELEN>`: the client's netname.
        name: &'a [u8],
        /// `des_block key`: the encrypted conversation key.
        key: [u8; 8],
        /// `opaque w1[4]`: the encrypted window.
        window: [u8; 4],
    },
    /// `ADN_NICKNAME`: the server-issued nickname used afterwards.
    Nickname(u32),
}

impl<'a> AuthDh<'a> {
    const FULLNAME: u32 = 0;
    const NICKNAME: u32 = 1;

    fn read(r: &mut XdrReader<'a>) -> Result<Self, RpcError> {
        let at = r.offset();
        match r.u32("cred.body.namekind")? {
            Self::FULLNAME => Ok(AuthDh::Fullname {
                name: r.string(MAX_NETNAME, "cred.body.name")?,
                key: fixed(r.opaque_fixed(8, "cred.body.key")?),
                window: fixed(r.opaque_fixed(4, "cred.body.w1")?),
            }),
            Self::NICKNAME => Ok(AuthDh::Nickname(r.u32("cred.body.nickname")?)),
            kind => Err(RpcError::invalid("cred.body.namekind", at, kind)),
        }
    }

    fn emit(&self, w: &mut XdrWriter<'_>) -> Result<(), RpcError> {
        match self {
            AuthDh::Fullname { name, key, window } => {
                if name.len() > MAX_NETNAME as usize {
                    return Err(RpcError::too_large(
                        "cred.body.name",
                        4,
                        name.len() as u64,
                        MAX_NETNAME.into(),
                    ));
                }
                w.put_u32(Self::FULLNAME)
                    .put_string(name)
                    .put_opaque_fixed(key)
                    .put_opaque_fixed(window);
            }
            AuthDh::Nickname(nick) => {
                w.put_u32(Self::NICKNAME).put_u32(*nick);
            }
        }
        Ok(())
    }
}

/// Copy a slice the reader has already sized to `N` bytes into an array.
fn fixed<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&s[..N]);
    a
}

/// `rpc_gss_cred_vers_1_t` inside `rpc_gss_cred_t` (RFC 2203 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GssCred<'a> {
    /// The union discriminant: 1 (RFC 2203) or 3 (RFC 7861).
    pub version: u32,
    /// Control procedure or DATA.
    pub gss_proc: GssProc,
    /// Sequence number of this request in the context.
    pub seq_num: u32,
    /// Protection of the arguments and results.
    pub service: GssService,
    /// `opaque handle<>`: the context handle from the server.
    pub handle: &'a [u8],
}

impl<'a> GssCred<'a> {
    fn read(r: &mut XdrReader<'a>) -> Result<Self, RpcError> {
        let at = r.offset();
        let version = r.u32("cred.body.version")?;
        if !GSS_VERSIONS.contains(&version) {
            return Err(RpcError::invalid("cred.body.version", at, version));
        }
        Ok(GssCred {
            version,
            gss_proc: r.enumeration("cred.body.gss_proc")?,
            seq_num: r.u32("cred.body.seq_num")?,
            service: r.enumeration("cred.body.service")?,
            handle: r.opaque_var(u32::MAX, "cred.body.handle")?,
        })
    }

    fn emit(&self, w: &mut XdrWriter<'_>) {
        w.put_u32(self.version)
            .put_enum(self.gss_proc)
            .put_u32(self.seq_num)
            .put_enum(self.service)
            .put_opaque_var(self.handle);
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
