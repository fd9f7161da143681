//! Mappings: where portmap and rpcbind (program 100000) say programs
//! listen, read from their bodies for RPC detection.
//!
//! Which bodies say it (RFC 1833):
//! - version 2 (portmap): the arguments of SET, the results of GETPORT
//!   (the port of the `mapping` asked about), DUMP (`pmaplist`) and CALLIT
//!   (the port of the program called);
//! - versions 3 and 4 (rpcbind): the arguments of SET, the results of
//!   GETADDR and GETVERSADDR (a universal address for the `rpcb` asked
//!   about), DUMP (`rpcblist`), GETADDRLIST (`rpcb_entry_list`), and
//!   CALLIT / BCAST / INDIRECT (the address of the program called).
//!
//! A [`MappingVisitor`] walks a body and keeps, per struct, the few fields
//! that matter, by their `.x` names (`prog`, `vers`, `prot`, `port`,
//! `r_prog`, `r_vers`, `r_netid`, `r_addr`, `r_maddr`, `r_nc_netid`,
//! `addr`, and rpcsvc's `pm_*` spellings), plus a bare `unsigned int` or
//! `string` result (GETPORT, GETADDR). [`from_call`] and [`from_reply`] turn
//! those into [`Mapping`]s: the transport from the protocol number (6 TCP,
//! 17 UDP) or the netid (`tcp`, `udp`, `tcp6`, `udp6`; others, such as
//! `local`, are not IP), else the transport the exchange itself used; the
//! address from the universal address ([`parse_uaddr`]), `None` where it is
//! the unspecified address (the server's own). Port 0 (not registered) and
//! unreadable addresses give nothing.
//!
//! Contract: never panics, never allocates from a wire length; at most
//! `max` mappings per body (the walk is bounded by its limits).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::schema::{Schema, TypeId};
use super::walk::{walk, BodyBytes, Event, Flow, Visitor, WalkLimits};
use crate::net::Transport;

/// The portmap / rpcbind program number.
pub const PORTMAP: u32 = 100000;

/// `(version, procedure)` whose arguments register a mapping (SET).
const SETS: &[(u32, u32)] = &[(2, 1), (3, 1), (4, 1)];

/// `(version, procedure)` whose results tell where programs listen.
const ANSWERS: &[(u32, u32)] = &[
    (2, 3),  // PMAPPROC_GETPORT
    (2, 4),  // PMAPPROC_DUMP
    (2, 5),  // PMAPPROC_CALLIT
    (3, 3),  // RPCBPROC_GETADDR
    (3, 4),  // RPCBPROC_DUMP
    (3, 5),  // RPCBPROC_CALLIT
    (4, 3),  // RPCBPROC_GETADDR
    (4, 4),  // RPCBPROC_DUMP
    (4, 5),  // RPCBPROC_BCAST
    (4, 9),  // RPCBPROC_GETVERSADDR
    (4, 10), // RPCBPROC_INDIRECT
    (4, 11), // RPCBPROC_GETADDRLIST
];

/// One program listening somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub program: u32,
    pub version: u32,
    pub transport: Transport,
    /// The address; `None`: the unspecified address, i.e. the host that
    /// answered (or was asked).
    pub addr: Option<IpAddr>,
    pub port: u16,
}

/// The fields of one struct (or a bare result) that matter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Rec<'a> {
    prog: Option<u64>,
    vers: Option<u64>,
    prot: Option<u64>,
    port: Option<u64>,
    netid: Option<&'a [u8]>,
    addr: Option<&'a [u8]>,
}

impl Rec<'_> {
    fn any(&self) -> bool {
        *self != Rec::default()
    }
    fn locates(&self) -> bool {
        self.port.is_some() || self.addr.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Prog,
    Vers,
    Prot,
    Port,
    Netid,
    Addr,
}

fn key(name: &str) -> Option<Key> {
    Some(match name {
        "prog" | "r_prog" | "pm_prog" => Key::Prog,
        "vers" | "r_vers" | "pm_vers" => Key::Vers,
        "prot" | "pm_prot" => Key::Prot,
        "port" | "pm_port" => Key::Port,
        "r_netid" | "r_nc_netid" => Key::Netid,
        "r_addr" | "r_maddr" | "addr" => Key::Addr,
        _ => return None,
    })
}

/// The visitor: see the module docs. String bytes are found again in the
/// body by address (the walker lends slices of it), as facts do, so the
/// records borrow the body and not the walk.
pub struct MappingVisitor<'a> {
    body: &'a [u8],
    stack: Vec<Rec<'a>>,
    key: Option<Key>,
    recs: Vec<Rec<'a>>,
    max: usize,
}

impl<'a> MappingVisitor<'a> {
    fn keep(&mut self, r: Rec<'a>) {
        if r.any() && self.recs.len() < self.max {
            self.recs.push(r);
        }
    }

    fn set(&mut self, f: impl FnOnce(&mut Rec<'a>)) {
        match self.stack.last_mut() {
            Some(top) => f(top),
            // A bare result (GETPORT's port, GETADDR's address).
            None => {
                let mut r = Rec::default();
                f(&mut r);
                self.keep(r);
            }
        }
    }

    /// `part` (a slice the walker lent) as a slice of the body.
    fn rebase(&self, part: &[u8]) -> Option<&'a [u8]> {
        let start = (part.as_ptr() as usize).checked_sub(self.body.as_ptr() as usize)?;
        self.body.get(start..start.checked_add(part.len())?)
    }
}

impl Visitor for MappingVisitor<'_> {
    fn event(&mut self, _schema: &Schema, ev: Event<'_, '_>) -> Flow {
        match ev {
            Event::StructBegin { .. } => {
                self.stack.push(Rec::default());
                self.key = None;
            }
            Event::StructEnd { .. } => {
                if let Some(r) = self.stack.pop() {
                    self.keep(r);
                }
            }
            Event::Field { name, .. } => self.key = key(name),
            Event::UInt { value, .. } => match self.key.take() {
                Some(Key::Prog) => self.set(|r| r.prog = Some(value)),
                Some(Key::Vers) => self.set(|r| r.vers = Some(value)),
                Some(Key::Prot) => self.set(|r| r.prot = Some(value)),
                Some(Key::Port) => self.set(|r| r.port = Some(value)),
                // A bare unsigned result is a port (GETPORT).
                None if self.stack.is_empty() => self.set(|r| r.port = Some(value)),
                _ => {}
            },
            Event::Str { data, len, .. } if data.len() as u64 == len => {
                let Some(s) = self.rebase(data) else {
                    return Flow::Continue;
                };
                match self.key.take() {
                    Some(Key::Netid) => self.set(|r| r.netid = Some(s)),
                    Some(Key::Addr) => self.set(|r| r.addr = Some(s)),
                    // A bare string result is a universal address (GETADDR).
                    None if self.stack.is_empty() => self.set(|r| r.addr = Some(s)),
                    _ => {}
                }
            }
            _ => self.key = None,
        }
        Flow::Continue
    }
}

/// The records of `body` walked as `types` (a cut body yields what came
/// before the cut).
fn records<'a>(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'a>,
    limits: &WalkLimits,
    max: usize,
) -> Vec<Rec<'a>> {
    let mut v = MappingVisitor {
        body: body.data,
        stack: Vec::new(),
        key: None,
        recs: Vec::new(),
        max,
    };
    let _ = walk(schema, types, body, limits, &mut v);
    v.recs
}

/// The mappings the arguments of a call register (SET).
#[allow(clippy::too_many_arguments)]
pub fn from_call(
    schema: &Schema,
    version: u32,
    procedure: u32,
    arg_types: &[TypeId],
    args: &BodyBytes<'_>,
    via: Transport,
    limits: &WalkLimits,
    max: usize,
    out: &mut Vec<Mapping>,
) {
    if !SETS.contains(&(version, procedure)) {
        return;
    }
    for r in records(schema, arg_types, args, limits, max) {
        if let Some(m) = mapping(&r, &Rec::default(), via) {
            out.push(m);
        }
    }
}

/// The mappings a successful reply tells, read with the call's arguments
/// (which name the program a GETPORT or GETADDR asked about).
#[allow(clippy::too_many_arguments)]
pub fn from_reply(
    schema: &Schema,
    version: u32,
    procedure: u32,
    arg_types: &[TypeId],
    args: Option<&BodyBytes<'_>>,
    result_type: TypeId,
    result: &BodyBytes<'_>,
    via: Transport,
    limits: &WalkLimits,
    max: usize,
    out: &mut Vec<Mapping>,
) {
    if !ANSWERS.contains(&(version, procedure)) {
        return;
    }
    let asked = args
        .and_then(|a| records(schema, arg_types, a, limits, 1).into_iter().next())
        .unwrap_or_default();
    for r in records(schema, &[result_type], result, limits, max) {
        if !r.locates() {
            continue;
        }
        if let Some(m) = mapping(&r, &asked, via) {
            out.push(m);
        }
    }
}

/// One record as a mapping, its gaps filled from `asked` (the call's).
fn mapping(r: &Rec<'_>, asked: &Rec<'_>, via: Transport) -> Option<Mapping> {
    let program = r.prog.or(asked.prog)?;
    let version = r.vers.or(asked.vers).unwrap_or(0);
    let transport = match (r.prot.or(asked.prot), r.netid.or(asked.netid)) {
        (Some(6), _) => Transport::Tcp,
        (Some(17), _) => Transport::Udp,
        (Some(_), _) => return None,
        (None, Some(n)) => netid_transport(n)?,
        (None, None) => via,
    };
    let (addr, port) = match (r.addr, r.port) {
        (Some(u), _) => parse_uaddr(u)?,
        (None, Some(p)) => (None, u16::try_from(p).ok()?),
        (None, None) => return None,
    };
    if port == 0 {
        return None;
    }
    Some(Mapping {
        program: u32::try_from(program).ok()?,
        version: u32::try_from(version).unwrap_or(0),
        transport,
        addr,
        port,
    })
}

/// The transport of an IP netid (`tcp`, `udp`, `tcp6`, `udp6`).
pub fn netid_transport(netid: &[u8]) -> Option<Transport> {
    match netid {
        b"tcp" | b"tcp6" => Some(Transport::Tcp),
        b"udp" | b"udp6" => Some(Transport::Udp),
        _ => None,
    }
}

/// A universal address (RFC 5665 section 5.2.3.3, 5.2.3.4): IPv4
/// `h1.h2.h3.h4.p1.p2`, IPv6 `x:x::x.p1.p2` (the address in RFC 4291
/// text form, which may end in a dotted IPv4 part), port `p1 * 256 + p2`.
/// Returns the address (`None` for the unspecified one) and the port.
pub fn parse_uaddr(u: &[u8]) -> Option<(Option<IpAddr>, u16)> {
    // No address text is longer than an IPv6 one with its port.
    if u.len() > 64 {
        return None;
    }
    let s = std::str::from_utf8(u).ok()?;
    let mut parts = s.rsplitn(3, '.');
    let lo: u8 = parts.next()?.parse().ok()?;
    let hi: u8 = parts.next()?.parse().ok()?;
    let host = parts.next()?;
    let addr: IpAddr = if host.contains(':') {
        IpAddr::V6(host.parse::<Ipv6Addr>().ok()?)
    } else {
        IpAddr::V4(host.parse::<Ipv4Addr>().ok()?)
    };
    let port = u16::from(hi) << 8 | u16::from(lo);
    Some(((!addr.is_unspecified()).then_some(addr), port))
}

#[cfg(test)]
#[path = "mappings_tests.rs"]
mod tests;
