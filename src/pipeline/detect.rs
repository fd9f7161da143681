//! Finding RPC on any port without taking other protocols for it.
//!
//! A stream is *proven* RPC once a record on it is accepted here; until then
//! each record is judged. On a port known as RPC (portmapper 111, NFS 2049)
//! or learned as one (an endpoint that already called or answered RPC), the
//! rules are lenient: a call that parses (of any RPC version), or a reply that answers a known
//! call, comes from a known RPC server, or has a strong header (see
//! [`super::convert::is_strong_reply`]). On any other port the record marking
//! must chain (the resync search already demands it; at a SYN the first
//! record must parse) and the header must be plausible for its direction:
//! - a call needs RPC version 2, a program other than 0 (never assigned),
//!   and a length within `Limits::max_probe_record`;
//! - a reply needs a matching call, or a second consistent record on the
//!   same stream: until one comes it is held on probation
//!   ([`Verdict::Probation`]) and dropped if the next record is not RPC;
//!   a reply longer than `max_probe_record` is not plausible.
//!
//! SMB, HTTP, TLS and DNS traffic in the public corpus is rejected by these
//! rules (docs/performance.md lists the measurement); RPC on unregistered
//! ports is still found, at the latest with its second record.

use super::convert::{is_strong_reply, Decoded};
use super::reorder::Reorder;
use crate::limits::Limits;
use crate::net::{Endpoint, FlowKey, Transport};
use crate::track::{CallKey, Tracker};

/// Ports assigned to ONC RPC services: the portmapper (rpcbind) and NFS.
pub const WELL_KNOWN_PORTS: &[u16] = &[111, 2049];

/// What to make of a record on a stream not yet proven RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// RPC: report it; the stream is proven.
    Accept,
    /// A reply that may be RPC: hold it until the next record says.
    Probation,
    /// Not RPC (or not at a record boundary).
    Reject,
}

/// What the pipeline knows of calls and servers: the tracker's tables and
/// the calls still waiting for capture order.
#[derive(Clone, Copy)]
pub struct Known<'a> {
    pub tracker: &'a Tracker,
    pub order: &'a Reorder,
}

impl Known<'_> {
    /// A call with `key` waits for its reply (or was answered recently).
    pub fn call(&self, key: &CallKey) -> bool {
        self.tracker.expects_reply(key) || self.order.has_call(key)
    }

    /// `server` on `transport` answered or received RPC calls.
    pub fn rpc_server(&self, transport: Transport, server: Endpoint) -> bool {
        self.tracker.is_rpc_server(transport, server) || self.order.has_server(transport, server)
    }

    /// `server` is a known (well-known port) or learned RPC endpoint.
    pub fn server(&self, transport: Transport, server: Endpoint) -> bool {
        WELL_KNOWN_PORTS.contains(&server.port) || self.rpc_server(transport, server)
    }
}

/// Judges one record (`data`, `len` bytes on the wire) of the TCP stream
/// `flow` that is not proven yet. `second`: a reply is on probation already,
/// so this record can be the consistent second one.
pub fn judge_tcp(
    decoded: &Decoded,
    data: &[u8],
    len: u64,
    flow: FlowKey,
    known: Known<'_>,
    limits: &Limits,
    second: bool,
) -> Verdict {
    let too_long = len > u64::from(limits.max_probe_record);
    match decoded {
        Decoded::Call(c) => {
            // A known server is sent RPC, whatever its version (it answers
            // RPC_MISMATCH to one it does not speak).
            if known.server(Transport::Tcp, flow.dst) {
                return Verdict::Accept;
            }
            if c.rpcvers != 2 || c.program == Some(0) || too_long {
                return Verdict::Reject;
            }
            Verdict::Accept
        }
        Decoded::Reply(r) => {
            let key = CallKey {
                transport: Transport::Tcp,
                caller: flow.dst,
                callee: flow.src,
                xid: r.xid,
            };
            if known.call(&key) {
                return Verdict::Accept;
            }
            if known.rpc_server(Transport::Tcp, flow.src) {
                return Verdict::Accept;
            }
            if WELL_KNOWN_PORTS.contains(&flow.src.port) {
                return if is_strong_reply(data, limits) {
                    Verdict::Accept
                } else {
                    Verdict::Reject
                };
            }
            if too_long || !is_strong_reply(data, limits) {
                return Verdict::Reject;
            }
            if second {
                Verdict::Accept
            } else {
                Verdict::Probation
            }
        }
    }
}

/// Whether a UDP call from an endpoint not known as RPC is plausible: RPC
/// version 2 and a program other than 0 (unless the server is known).
pub fn udp_call_plausible(decoded: &Decoded, known: Known<'_>, server: Endpoint) -> bool {
    match decoded {
        Decoded::Call(c) => {
            known.server(Transport::Udp, server) || (c.rpcvers == 2 && c.program != Some(0))
        }
        Decoded::Reply(_) => true,
    }
}
