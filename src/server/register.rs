//! `serve --register`: tell the rpcbind on 127.0.0.1:111 where our programs
//! are, and take it back on shutdown.
//!
//! Each `(program, version, netid)` is first UNSET (a stale entry from an
//! earlier run would make SET fail), then SET with rpcbind v4; when the
//! rpcbind only speaks portmap v2, `tcp` and `udp` are SET with portmap v2
//! instead. Calls go over UDP with AUTH_SYS uid 0, as libtirpc's
//! `rpcb_set`/`pmap_set` do; their arguments and results are values of the
//! built-in `rpcbind.x` types, the definition the server itself answers
//! with.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::portmap::{to_uaddr, IPPROTO_TCP, IPPROTO_UDP, PORTMAP};
use super::service::Served;
use crate::client::typed::{call_value, Builtin};
use crate::client::wire::Cred;
use crate::limits::Limits;
use crate::net::Transport;
use crate::programs::value::Value;

const TIMEOUT: Duration = Duration::from_secs(3);

/// One registration we made, to undo.
#[derive(Debug, Clone)]
pub struct Made {
    program: u32,
    version: u32,
    netid: &'static str,
    /// Made with portmap v2 rather than rpcbind v4.
    v2: bool,
}

fn rpcbind() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 111)
}

fn cred() -> Cred {
    Cred::Sys {
        uid: 0,
        gid: 0,
        machine: "localhost".into(),
    }
}

/// Call the local rpcbind; the boolean result of SET/UNSET.
fn call_bool(version: u32, procedure: u32, args: &Value, limits: &Limits) -> Result<bool, String> {
    let to = Builtin {
        program: PORTMAP,
        version,
        procedure,
    };
    let (st, res) = call_value(
        rpcbind(),
        Transport::Udp,
        to,
        &cred(),
        args,
        TIMEOUT,
        limits,
    )?;
    match res {
        Some(Value::Bool(b)) => Ok(b),
        Some(other) => Err(format!("rpcbind v{version} answered {other:?}, not a bool")),
        None => Err(format!("rpcbind v{version} answered {st}")),
    }
}

/// `struct rpcb { r_prog; r_vers; r_netid; r_addr; r_owner; }`.
fn rpcb_args(program: u32, version: u32, netid: &str, uaddr: &str) -> Value {
    Value::Struct(vec![
        Value::UInt(program.into()),
        Value::UInt(version.into()),
        Value::Str(netid.into()),
        Value::Str(uaddr.into()),
        Value::Str(b"superuser".to_vec()),
    ])
}

/// `struct mapping { prog; vers; prot; port; }`.
fn pmap_args(program: u32, version: u32, prot: u32, port: u16) -> Value {
    Value::Struct(vec![
        Value::UInt(program.into()),
        Value::UInt(version.into()),
        Value::UInt(prot.into()),
        Value::UInt(port.into()),
    ])
}

/// Register every version of every served program on every netid.
pub fn register(
    served: &[Served],
    netids: &[(&'static str, IpAddr)],
    port: u16,
    limits: &Limits,
) -> Result<Vec<Made>, String> {
    let mut made = Vec::new();
    for s in served {
        for version in s.low..=s.high {
            for &(netid, ip) in netids {
                let uaddr = to_uaddr(&SocketAddr::new(ip, port));
                let _ = call_bool(4, 2, &rpcb_args(s.program, version, netid, ""), limits);
                match call_bool(4, 1, &rpcb_args(s.program, version, netid, &uaddr), limits) {
                    Ok(true) => made.push(Made {
                        program: s.program,
                        version,
                        netid,
                        v2: false,
                    }),
                    Ok(false) => {
                        unregister(&made, limits);
                        return Err(format!(
                            "rpcbind refused SET of {} v{version} {netid} {uaddr}",
                            s.program
                        ));
                    }
                    Err(e) => {
                        // No rpcbind v4: portmap v2 knows tcp and udp only.
                        let prot = match netid {
                            "tcp" => IPPROTO_TCP,
                            "udp" => IPPROTO_UDP,
                            _ => continue,
                        };
                        let _ = call_bool(2, 2, &pmap_args(s.program, version, prot, 0), limits);
                        let args = pmap_args(s.program, version, prot, port);
                        match call_bool(2, 1, &args, limits) {
                            Ok(true) => {}
                            Ok(false) => {
                                unregister(&made, limits);
                                return Err(format!(
                                    "rpcbind refused SET of {} v{version} {netid} ({e})",
                                    s.program
                                ));
                            }
                            // Neither rpcbind v4 nor portmap v2 answered:
                            // nothing listens (not a refusal).
                            Err(e2) => {
                                unregister(&made, limits);
                                return Err(format!(
                                    "no rpcbind listening on {} (udp): {e2}; start rpcbind, or serve without --register",
                                    rpcbind()
                                ));
                            }
                        }
                        made.push(Made {
                            program: s.program,
                            version,
                            netid,
                            v2: true,
                        });
                    }
                }
            }
        }
    }
    Ok(made)
}

/// Undo `made`; failures are ignored (rpcbind may be gone already).
pub fn unregister(made: &[Made], limits: &Limits) {
    for m in made {
        let _ = if m.v2 {
            call_bool(2, 2, &pmap_args(m.program, m.version, 0, 0), limits)
        } else {
            call_bool(4, 2, &rpcb_args(m.program, m.version, m.netid, ""), limits)
        };
    }
}
