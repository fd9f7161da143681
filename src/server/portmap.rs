//! The portmapper (program 100000): portmap v2 and rpcbind v3/v4 (RFC 1833)
//! over one bounded registration table.
//!
//! Every registration is an rpcbind entry `(prog, vers, netid, uaddr,
//! owner)`; portmap v2 sees the `tcp` and `udp` entries as `(prog, vers,
//! prot, port)`. The wire form of every procedure is
//! `src/programs/x/rpcbind.x`, through [`super::codec`]: arguments arrive
//! as values of its types and results leave as values (DUMP's are encoded
//! once per table state and kept). Behaviour follows Linux rpcbind where
//! RFC 1833 leaves room:
//!
//! * SET refuses (FALSE) an existing `(prog, vers, netid)` and a full table
//!   (`Limits::server_max_registrations`); SET and UNSET are only honoured
//!   from loopback callers (rpcbind without `-i`), others get FALSE.
//! * portmap UNSET removes both `tcp` and `udp`; rpcbind UNSET with an empty
//!   netid removes every netid.
//! * GETPORT and GETADDR fall back to another version of the program when the
//!   asked one is not registered (so the caller gets PROG_MISMATCH from the
//!   program itself, which is how `rpcinfo` learns the version range);
//!   GETVERSADDR does not.
//! * A wildcard address (`0.0.0.0`, `::`) is answered with the address the
//!   caller reached us on (rpcbind's `mergeaddr`); for UDP on a wildcard
//!   socket that is unknown, and a loopback caller gets the loopback.
//! * CALLIT/BCAST/INDIRECT run the target procedure inside this service
//!   (the sans-IO core cannot forward); calls to the portmapper itself are
//!   refused.
//! * UADDR2TADDR/TADDR2UADDR use the Linux `sockaddr_in`/`sockaddr_in6`
//!   layout (family in little-endian byte order, as x86 rpcbind sends it).
//! * GETSTAT counts calls per version and procedure, and successful SETs and
//!   UNSETs; the per-address and remote-call lists are empty.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use super::codec::{make, Bug, Garbage, Shape};
use super::service::{CallCtx, Caller, Indirect, IndirectStyle, Outcome, ProcResult, Request};
use crate::limits::Limits;
use crate::programs::value::Value;
use crate::rpc::AcceptBody;

/// The portmapper's program number.
pub const PORTMAP: u32 = 100000;
/// IPPROTO_TCP, as portmap v2 names transports.
pub const IPPROTO_TCP: u32 = 6;
/// IPPROTO_UDP.
pub const IPPROTO_UDP: u32 = 17;
/// `RPCBSTAT_HIGHPROC`: procedures counted per version by GETSTAT.
const STAT_PROCS: usize = 13;

/// One registration: an rpcbind `rpcb` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Program number.
    pub program: u32,
    /// Version.
    pub version: u32,
    /// `tcp`, `udp`, `tcp6`, `udp6`.
    pub netid: String,
    /// Universal address, e.g. `0.0.0.0.0.111`.
    pub uaddr: String,
    /// Owner: `superuser`, a uid, or `unknown`.
    pub owner: String,
}

/// The registration table and GETSTAT counters.
#[derive(Debug)]
pub struct Portmap {
    regs: Vec<Registration>,
    max_regs: usize,
    max_str: u32,
    stats: [[u32; STAT_PROCS]; 3],
    sets: [u32; 3],
    unsets: [u32; 3],
    /// The DUMP results, encoded through the schema when first asked for
    /// and kept until the table changes: portmap v2's `pmaplist_ptr`
    /// ([`PMAPLIST`]) and rpcbind v3/v4's `rpcblist_ptr` ([`RPCBLIST`]).
    /// A DUMP load then costs a copy, not a value tree per call.
    dumps: [Option<Arc<[u8]>>; 2],
}

/// Index of portmap v2's DUMP result in [`Portmap::dumps`].
const PMAPLIST: usize = 0;
/// Index of rpcbind v3/v4's DUMP result (the same type in both versions).
const RPCBLIST: usize = 1;

/// A procedure: the call in, its outcome (results as a value of the
/// procedure's `.x` result type) out.
type Proc = fn(&mut Portmap, &Request<'_>) -> ProcResult;

/// NULL: no arguments, no results.
fn null(_: &mut Portmap, _: &Request<'_>) -> ProcResult {
    Ok(Outcome::ok(Value::Void))
}

/// portmap v2 (RFC 1833 section 3), indexed by procedure.
const V2: &[Proc] = &[
    null,
    Portmap::pmap_set,
    Portmap::pmap_unset,
    Portmap::pmap_getport,
    Portmap::pmap_dump,
    Portmap::pmap_callit,
];
/// rpcbind v3 (RFC 1833 section 2.2).
const V3: &[Proc] = &[
    null,
    Portmap::rpcb_set,
    Portmap::rpcb_unset,
    Portmap::rpcb_getaddr,
    Portmap::rpcb_dump,
    Portmap::rpcb_callit,
    Portmap::rpcb_gettime,
    Portmap::rpcb_uaddr2taddr,
    Portmap::rpcb_taddr2uaddr,
];
/// rpcbind v4: v3 with 5 as BCAST, plus four more.
const V4: &[Proc] = &[
    null,
    Portmap::rpcb_set,
    Portmap::rpcb_unset,
    Portmap::rpcb_getaddr,
    Portmap::rpcb_dump,
    Portmap::rpcb_callit,
    Portmap::rpcb_gettime,
    Portmap::rpcb_uaddr2taddr,
    Portmap::rpcb_taddr2uaddr,
    Portmap::rpcb_getversaddr,
    Portmap::rpcb_indirect,
    Portmap::rpcb_getaddrlist,
    Portmap::rpcb_getstat,
];

/// Procedures answered over UDP to loopback callers only (unless `serve
/// --allow-remote-udp`): DUMP, whose reply grows with the table (over 500
/// times its call with a full table, see docs/server.md), and the indirect
/// calls, which run another procedure on a forged caller's behalf and return
/// its results (portmap v2 and rpcbind v3 CALLIT, rpcbind v4 BCAST and
/// INDIRECT).
pub fn udp_loopback_only(version: u32, procedure: u32) -> bool {
    matches!((version, procedure), (2..=4, 4) | (2..=4, 5) | (4, 10))
}

/// portmap v2 `struct mapping`.
struct Mapping {
    program: u32,
    version: u32,
    prot: u32,
    port: u32,
}

impl Mapping {
    /// `struct mapping { prog; vers; prot; port; }`.
    fn of(v: &Value) -> Result<Self, Bug> {
        let [prog, vers, prot, port] = v.members()?;
        Ok(Mapping {
            program: prog.u32()?,
            version: vers.u32()?,
            prot: prot.u32()?,
            port: port.u32()?,
        })
    }
}

/// rpcbind `struct rpcb`, borrowed from its value.
struct Rpcb<'a> {
    program: u32,
    version: u32,
    netid: &'a [u8],
    addr: &'a [u8],
}

impl<'a> Rpcb<'a> {
    /// `struct rpcb { r_prog; r_vers; r_netid; r_addr; r_owner; }`; each
    /// string at most `max` bytes (the `.x` leaves them unbounded). The
    /// owner is not kept: it comes from the credential.
    fn of(v: &'a Value, max: u32) -> Result<Self, super::service::Fault> {
        let [prog, vers, netid, addr, owner] = v.members()?;
        let rpcb = Rpcb {
            program: prog.u32()?,
            version: vers.u32()?,
            netid: bounded(netid.bytes()?, max)?,
            addr: bounded(addr.bytes()?, max)?,
        };
        bounded(owner.bytes()?, max)?;
        Ok(rpcb)
    }
}

/// `b` when it is at most `max` bytes, else GARBAGE_ARGS.
fn bounded(b: &[u8], max: u32) -> Result<&[u8], Garbage> {
    if b.len() > max as usize {
        return Err(Garbage);
    }
    Ok(b)
}

fn netid_of_prot(prot: u32) -> Option<&'static str> {
    match prot {
        IPPROTO_TCP => Some("tcp"),
        IPPROTO_UDP => Some("udp"),
        _ => None,
    }
}

fn owner_of(caller: Caller) -> String {
    match caller {
        Caller::Sys { uid: 0, .. } => "superuser".into(),
        Caller::Sys { uid, .. } => uid.to_string(),
        Caller::Anonymous => "unknown".into(),
    }
}

impl Portmap {
    /// An empty table bounded by `limits`.
    pub fn new(limits: &Limits) -> Self {
        Portmap {
            regs: Vec::new(),
            max_regs: limits.server_max_registrations,
            max_str: limits.server_max_rpcb_string,
            stats: [[0; STAT_PROCS]; 3],
            sets: [0; 3],
            unsets: [0; 3],
            dumps: [None, None],
        }
    }

    /// Every registration, in the order they were made.
    pub fn registrations(&self) -> &[Registration] {
        &self.regs
    }

    /// Add a registration; false when `(prog, vers, netid)` is taken or the
    /// table is full.
    pub fn set(&mut self, reg: Registration) -> bool {
        let taken = self.regs.iter().any(|r| {
            (r.program, r.version, r.netid.as_str()) == (reg.program, reg.version, &reg.netid)
        });
        if taken || self.regs.len() >= self.max_regs {
            return false;
        }
        self.regs.push(reg);
        self.dumps = [None, None];
        true
    }

    /// Remove `(prog, vers)` for the netids `netid` accepts; true when any
    /// was removed.
    pub fn unset(&mut self, program: u32, version: u32, netid: impl Fn(&str) -> bool) -> bool {
        let before = self.regs.len();
        self.regs
            .retain(|r| !(r.program == program && r.version == version && netid(&r.netid)));
        let changed = self.regs.len() != before;
        if changed {
            self.dumps = [None, None];
        }
        changed
    }

    /// Find `(prog, vers, netid)`, or with `any_version` another version of
    /// the program on that netid.
    fn find(
        &self,
        program: u32,
        version: u32,
        netid: &str,
        any_version: bool,
    ) -> Option<&Registration> {
        let on = |r: &&Registration| r.program == program && r.netid == netid;
        self.regs
            .iter()
            .filter(on)
            .find(|r| r.version == version)
            .or_else(|| any_version.then(|| self.regs.iter().find(on)).flatten())
    }

    /// The port of `(prog, vers)` on the caller's transport (any version
    /// as a fallback), for portmap CALLIT replies.
    pub fn port_of(&self, program: u32, version: u32, ctx: &CallCtx) -> Option<u16> {
        let reg = self.find(program, version, ctx.netid(), true)?;
        parse_uaddr(&reg.uaddr).map(|a| a.port())
    }

    /// The universal address of `(prog, vers)` on the caller's netid, with a
    /// wildcard host replaced by the address the caller reached; `""` when
    /// not registered.
    pub fn addr_of(&self, program: u32, version: u32, ctx: &CallCtx, any_version: bool) -> String {
        self.addr_on(program, version, ctx.netid(), ctx, any_version)
    }

    fn addr_on(
        &self,
        program: u32,
        version: u32,
        netid: &str,
        ctx: &CallCtx,
        any_version: bool,
    ) -> String {
        match self.find(program, version, netid, any_version) {
            Some(reg) => merge_addr(&reg.uaddr, ctx),
            None => String::new(),
        }
    }

    pub(super) fn dispatch(&mut self, procedure: u32, req: &Request<'_>) -> ProcResult {
        let table = match req.version {
            2 => V2,
            3 => V3,
            4 => V4,
            _ => return Ok(Outcome::Fail(AcceptBody::ProcUnavail)),
        };
        let Some(proc_fn) = table.get(procedure as usize) else {
            return Ok(Outcome::Fail(AcceptBody::ProcUnavail));
        };
        let v = (req.version - 2) as usize;
        let counter = &mut self.stats[v][procedure as usize];
        *counter = counter.saturating_add(1);
        proc_fn(self, req)
    }

    fn count_change(&mut self, version: u32, set: bool, ok: bool) {
        let v = (version.clamp(2, 4) - 2) as usize;
        if ok {
            let c = if set {
                &mut self.sets[v]
            } else {
                &mut self.unsets[v]
            };
            *c = c.saturating_add(1);
        }
    }

    // ---- portmap v2 ------------------------------------------------------

    fn pmap_set(&mut self, req: &Request<'_>) -> ProcResult {
        let m = Mapping::of(&req.args()?)?;
        let ok = match (netid_of_prot(m.prot), u16::try_from(m.port)) {
            (Some(netid), Ok(port)) if req.ctx.peer.ip().is_loopback() => self.set(Registration {
                program: m.program,
                version: m.version,
                netid: netid.into(),
                uaddr: to_uaddr(&SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)),
                owner: owner_of(req.caller),
            }),
            _ => false,
        };
        self.count_change(2, true, ok);
        Ok(Outcome::ok(make::bool(ok)))
    }

    fn pmap_unset(&mut self, req: &Request<'_>) -> ProcResult {
        let m = Mapping::of(&req.args()?)?;
        let ok = req.ctx.peer.ip().is_loopback()
            && self.unset(m.program, m.version, |n| n == "tcp" || n == "udp");
        self.count_change(2, false, ok);
        Ok(Outcome::ok(make::bool(ok)))
    }

    fn pmap_getport(&mut self, req: &Request<'_>) -> ProcResult {
        let m = Mapping::of(&req.args()?)?;
        let port = netid_of_prot(m.prot)
            .and_then(|netid| self.find(m.program, m.version, netid, true))
            .and_then(|r| parse_uaddr(&r.uaddr))
            .map_or(0, |a| a.port());
        Ok(Outcome::ok(make::uint(port.into())))
    }

    fn pmap_dump(&mut self, req: &Request<'_>) -> ProcResult {
        self.dump(req, PMAPLIST, |regs| {
            // pmaplist_ptr: a list of `struct pmaplist { mapping pml_map;
            // }` (the link is the list's), the tcp and udp entries.
            let mut list = Vec::with_capacity(regs.len());
            for r in regs {
                let prot = match r.netid.as_str() {
                    "tcp" => IPPROTO_TCP,
                    "udp" => IPPROTO_UDP,
                    _ => continue,
                };
                let Some(addr) = parse_uaddr(&r.uaddr) else {
                    continue;
                };
                let mapping = make::record(vec![
                    make::uint(r.program),
                    make::uint(r.version),
                    make::uint(prot),
                    make::uint(addr.port().into()),
                ]);
                list.push(make::record(vec![mapping]));
            }
            make::list(list)
        })
    }

    /// A DUMP result: the cached encoding `which`, or `listing` of the
    /// table encoded through the procedure's result type and cached.
    fn dump(
        &mut self,
        req: &Request<'_>,
        which: usize,
        listing: impl FnOnce(&[Registration]) -> Value,
    ) -> ProcResult {
        if let Some(bytes) = &self.dumps[which] {
            return Ok(Outcome::Encoded(bytes.clone()));
        }
        let bytes: Arc<[u8]> = req.encode_result(&listing(&self.regs))?.into();
        self.dumps[which] = Some(bytes.clone());
        Ok(Outcome::Encoded(bytes))
    }

    fn pmap_callit(&mut self, req: &Request<'_>) -> ProcResult {
        indirect(req, IndirectStyle::Callit)
    }

    // ---- rpcbind v3 and v4 -----------------------------------------------

    fn rpcb_set(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let rpcb = Rpcb::of(&args, self.max_str)?;
        let netid = String::from_utf8_lossy(rpcb.netid).into_owned();
        let uaddr = String::from_utf8_lossy(rpcb.addr).into_owned();
        let ok = req.ctx.peer.ip().is_loopback()
            && parse_uaddr(&uaddr).is_some()
            && matches!(netid.as_str(), "tcp" | "udp" | "tcp6" | "udp6")
            && self.set(Registration {
                program: rpcb.program,
                version: rpcb.version,
                netid,
                uaddr,
                owner: owner_of(req.caller),
            });
        self.count_change(req.version, true, ok);
        Ok(Outcome::ok(make::bool(ok)))
    }

    fn rpcb_unset(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let rpcb = Rpcb::of(&args, self.max_str)?;
        let ok = req.ctx.peer.ip().is_loopback()
            && self.unset(rpcb.program, rpcb.version, |n| {
                rpcb.netid.is_empty() || n.as_bytes() == rpcb.netid
            });
        self.count_change(req.version, false, ok);
        Ok(Outcome::ok(make::bool(ok)))
    }

    fn rpcb_getaddr(&mut self, req: &Request<'_>) -> ProcResult {
        self.getaddr(req, true)
    }

    fn rpcb_getversaddr(&mut self, req: &Request<'_>) -> ProcResult {
        self.getaddr(req, false)
    }

    fn getaddr(&mut self, req: &Request<'_>, any_version: bool) -> ProcResult {
        let args = req.args()?;
        let rpcb = Rpcb::of(&args, self.max_str)?;
        let netid = match std::str::from_utf8(rpcb.netid) {
            Ok("") | Err(_) => req.ctx.netid(),
            Ok(n) => n,
        };
        let addr = self.addr_on(rpcb.program, rpcb.version, netid, &req.ctx, any_version);
        Ok(Outcome::ok(make::string(addr)))
    }

    fn rpcb_dump(&mut self, req: &Request<'_>) -> ProcResult {
        self.dump(req, RPCBLIST, |regs| {
            // rpcblist_ptr: a list of `struct rp__list { rpcb rpcb_map; }`.
            let list = regs
                .iter()
                .map(|r| {
                    make::record(vec![make::record(vec![
                        make::uint(r.program),
                        make::uint(r.version),
                        make::string(r.netid.as_bytes()),
                        make::string(r.uaddr.as_bytes()),
                        make::string(r.owner.as_bytes()),
                    ])])
                })
                .collect();
            make::list(list)
        })
    }

    fn rpcb_callit(&mut self, req: &Request<'_>) -> ProcResult {
        indirect(req, IndirectStyle::Broadcast)
    }

    fn rpcb_indirect(&mut self, req: &Request<'_>) -> ProcResult {
        indirect(req, IndirectStyle::Indirect)
    }

    fn rpcb_gettime(&mut self, req: &Request<'_>) -> ProcResult {
        // `unsigned int` seconds: wraps in 2106, as rpcbind's does.
        Ok(Outcome::ok(make::uint(req.ctx.now_unix as u32)))
    }

    fn rpcb_uaddr2taddr(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let uaddr = bounded(args.bytes()?, self.max_str)?;
        let taddr = std::str::from_utf8(uaddr)
            .ok()
            .and_then(parse_uaddr)
            .map(|a| to_taddr(&a))
            .unwrap_or_default();
        // struct netbuf { unsigned int maxlen; opaque buf<>; }
        let maxlen = make::uint(taddr.len() as u32);
        Ok(Outcome::ok(make::record(vec![maxlen, make::opaque(taddr)])))
    }

    fn rpcb_taddr2uaddr(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let [_maxlen, buf] = args.members()?;
        let buf = bounded(buf.bytes()?, self.max_str)?;
        let uaddr = from_taddr(buf).map(|a| to_uaddr(&a)).unwrap_or_default();
        Ok(Outcome::ok(make::string(uaddr)))
    }

    fn rpcb_getaddrlist(&mut self, req: &Request<'_>) -> ProcResult {
        let args = req.args()?;
        let rpcb = Rpcb::of(&args, self.max_str)?;
        // rpcb_entry_list_ptr: every netid of (prog, vers), as a list of
        // `struct rpcb_entry_list { rpcb_entry rpcb_entry_map; }`.
        let mut list = Vec::new();
        for r in &self.regs {
            if (r.program, r.version) != (rpcb.program, rpcb.version) {
                continue;
            }
            let (semantics, family, proto) = match r.netid.as_str() {
                "tcp" => (3, "inet", "tcp"),
                "udp" => (1, "inet", "udp"),
                "tcp6" => (3, "inet6", "tcp"),
                "udp6" => (1, "inet6", "udp"),
                _ => continue,
            };
            let entry = make::record(vec![
                make::string(merge_addr(&r.uaddr, &req.ctx)),
                make::string(r.netid.as_bytes()),
                make::uint(semantics), // NC_TPI_CLTS = 1, NC_TPI_COTS_ORD = 3
                make::string(family),
                make::string(proto),
            ]);
            list.push(make::record(vec![entry]));
        }
        Ok(Outcome::ok(make::list(list)))
    }

    fn rpcb_getstat(&mut self, _req: &Request<'_>) -> ProcResult {
        // rpcb_stat_byvers: rpcb_stat[3], indexed as rpcbind does:
        // portmap v2 = 0, rpcbind v3 = 1, rpcbind v4 = 2. The counters are
        // `int` on the wire.
        let stats = (0..3)
            .map(|v| {
                make::record(vec![
                    make::list(self.stats[v].iter().map(|&n| make::int_bits(n)).collect()),
                    make::int_bits(self.sets[v]),
                    make::int_bits(self.unsets[v]),
                    make::list(Vec::new()), // addrinfo: none kept
                    make::list(Vec::new()), // rmtinfo: none kept
                ])
            })
            .collect();
        Ok(Outcome::ok(make::list(stats)))
    }
}

/// Read `call_args` / `rpcb_rmtcallargs` (the same layout: `prog, vers,
/// proc, opaque args<>`) into an indirect call for the service to run.
fn indirect(req: &Request<'_>, style: IndirectStyle) -> ProcResult {
    let args = req.args()?;
    let [prog, vers, proc_, inner] = args.members()?;
    Ok(Outcome::Indirect(Indirect {
        program: prog.u32()?,
        version: vers.u32()?,
        procedure: proc_.u32()?,
        args: inner.bytes()?.to_vec(),
        style,
    }))
}

/// `h1.h2.h3.h4.p1.p2` for IPv4, `<ipv6>.p1.p2` for IPv6 (RFC 5665).
pub fn to_uaddr(addr: &SocketAddr) -> String {
    let p = addr.port();
    format!("{}.{}.{}", addr.ip(), p >> 8, p & 0xff)
}

/// Parse a universal address; `None` when it is not one.
pub fn parse_uaddr(uaddr: &str) -> Option<SocketAddr> {
    let mut parts = uaddr.rsplitn(3, '.');
    let lo: u8 = parts.next()?.parse().ok()?;
    let hi: u8 = parts.next()?.parse().ok()?;
    let ip: IpAddr = parts.next()?.parse().ok()?;
    Some(SocketAddr::new(ip, u16::from(hi) << 8 | u16::from(lo)))
}

/// rpcbind's `mergeaddr`: a wildcard host becomes the address the caller
/// reached us on (or the loopback, for a loopback caller on a wildcard UDP
/// socket).
fn merge_addr(uaddr: &str, ctx: &CallCtx) -> String {
    let Some(addr) = parse_uaddr(uaddr) else {
        return uaddr.to_string();
    };
    if !addr.ip().is_unspecified() {
        return uaddr.to_string();
    }
    let local = unmap(ctx.local.ip());
    let host = if !local.is_unspecified() {
        local
    } else if unmap(ctx.peer.ip()).is_loopback() {
        match addr.ip() {
            IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        }
    } else {
        return uaddr.to_string();
    };
    // Keep the family of the registration (tcp vs tcp6): across families
    // only the loopback has a known counterpart.
    let host = match (addr.ip(), host) {
        (IpAddr::V4(_), IpAddr::V6(h)) if h.is_loopback() => Ipv4Addr::LOCALHOST.into(),
        (IpAddr::V6(_), IpAddr::V4(h)) if h.is_loopback() => Ipv6Addr::LOCALHOST.into(),
        (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => addr.ip(),
        _ => host,
    };
    to_uaddr(&SocketAddr::new(host, addr.port()))
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Linux `sockaddr_in` / `sockaddr_in6` bytes.
fn to_taddr(addr: &SocketAddr) -> Vec<u8> {
    let mut b = Vec::with_capacity(28);
    match addr {
        SocketAddr::V4(a) => {
            b.extend_from_slice(&AF_INET.to_le_bytes());
            b.extend_from_slice(&a.port().to_be_bytes());
            b.extend_from_slice(&a.ip().octets());
            b.extend_from_slice(&[0; 8]);
        }
        SocketAddr::V6(a) => {
            b.extend_from_slice(&AF_INET6.to_le_bytes());
            b.extend_from_slice(&a.port().to_be_bytes());
            b.extend_from_slice(&a.flowinfo().to_be_bytes());
            b.extend_from_slice(&a.ip().octets());
            b.extend_from_slice(&a.scope_id().to_le_bytes());
        }
    }
    b
}

fn from_taddr(b: &[u8]) -> Option<SocketAddr> {
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    match family {
        AF_INET => {
            let ip: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            Some(SocketAddr::new(Ipv4Addr::from(ip).into(), port))
        }
        AF_INET6 => {
            let ip: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            Some(SocketAddr::new(Ipv6Addr::from(ip).into(), port))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uaddr_round_trips() {
        for s in [
            "0.0.0.0.0.111",
            "127.0.0.1.128.1",
            "::1.0.111",
            "fe80::1.255.255",
        ] {
            let a = parse_uaddr(s).unwrap();
            assert_eq!(to_uaddr(&a), s);
        }
        assert_eq!(
            parse_uaddr("127.0.0.1.128.1"),
            Some("127.0.0.1:32769".parse().unwrap())
        );
        for bad in ["", "1.2.3.4", "1.2.3.4.256.1", "x.1.1", "::1.1"] {
            assert_eq!(parse_uaddr(bad), None, "{bad}");
        }
    }

    #[test]
    fn taddr_round_trips() {
        for s in ["127.0.0.1:111", "[::1]:2049"] {
            let a: SocketAddr = s.parse().unwrap();
            let t = to_taddr(&a);
            assert_eq!(t.len(), if a.is_ipv4() { 16 } else { 28 });
            assert_eq!(from_taddr(&t), Some(a));
        }
        assert_eq!(from_taddr(&[2, 0, 0]), None);
        assert_eq!(from_taddr(&[9, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
