use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::limits::Limits;
use crate::programs::registry::Registry;
use crate::rpc::xdr::XdrWriter;

fn limits() -> WalkLimits {
    WalkLimits::from(&Limits::default())
}

/// Runs a call (arguments) and its reply (results) of portmap/rpcbind
/// `version`/`procedure` through the built-in definition.
fn exchange(version: u32, procedure: u32, args: &[u8], result: &[u8], max: usize) -> Vec<Mapping> {
    let reg = Registry::builtin();
    let e = reg.version(PORTMAP, version).unwrap();
    let p = e.procedure(procedure).unwrap();
    let mut out = Vec::new();
    let a = BodyBytes::whole(args);
    from_call(
        e.schema(),
        version,
        procedure,
        &p.args,
        &a,
        Transport::Udp,
        &limits(),
        max,
        &mut out,
    );
    from_reply(
        e.schema(),
        version,
        procedure,
        &p.args,
        Some(&a),
        p.result,
        &BodyBytes::whole(result),
        Transport::Udp,
        &limits(),
        max,
        &mut out,
    );
    out
}

/// `struct mapping { prog, vers, prot, port }`.
fn mapping_xdr(w: &mut XdrWriter<'_>, prog: u32, vers: u32, prot: u32, port: u32) {
    w.put_u32(prog).put_u32(vers).put_u32(prot).put_u32(port);
}

/// `struct rpcb { r_prog, r_vers, r_netid, r_addr, r_owner }`.
fn rpcb_xdr(w: &mut XdrWriter<'_>, prog: u32, vers: u32, netid: &str, addr: &str) {
    w.put_u32(prog)
        .put_u32(vers)
        .put_string(netid.as_bytes())
        .put_string(addr.as_bytes())
        .put_string(b"superuser");
}

fn xdr(f: impl FnOnce(&mut XdrWriter<'_>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut XdrWriter::new(&mut v));
    v
}

fn m(program: u32, version: u32, transport: Transport, addr: Option<IpAddr>, port: u16) -> Mapping {
    Mapping {
        program,
        version,
        transport,
        addr,
        port,
    }
}

const V4: fn(u8, u8, u8, u8) -> Option<IpAddr> =
    |a, b, c, d| Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));

#[test]
fn getport_reply_gives_the_port_of_the_mapping_asked() {
    // GETPORT(NFS 3, UDP) -> 2049.
    let args = xdr(|w| mapping_xdr(w, 100003, 3, 17, 0));
    let result = xdr(|w| {
        w.put_u32(2049);
    });
    assert_eq!(
        exchange(2, 3, &args, &result, 16),
        [m(100003, 3, Transport::Udp, None, 2049)]
    );
    // Over TCP, the call's prot says TCP whatever the exchange's transport.
    let args = xdr(|w| mapping_xdr(w, 100005, 3, 6, 0));
    assert_eq!(
        exchange(2, 3, &args, &result, 16),
        [m(100005, 3, Transport::Tcp, None, 2049)]
    );
    // Port 0: not registered.
    let zero = xdr(|w| {
        w.put_u32(0);
    });
    assert!(exchange(2, 3, &args, &zero, 16).is_empty());
    // A port over 65535, or a protocol other than TCP and UDP: nothing.
    let big = xdr(|w| {
        w.put_u32(70000);
    });
    assert!(exchange(2, 3, &args, &big, 16).is_empty());
    let sctp = xdr(|w| mapping_xdr(w, 100005, 3, 132, 0));
    assert!(exchange(2, 3, &sctp, &result, 16).is_empty());
}

#[test]
fn set_call_registers_and_unset_does_not() {
    let args = xdr(|w| mapping_xdr(w, 0x2000_0099, 1, 6, 40001));
    let ok = xdr(|w| {
        w.put_bool(true);
    });
    assert_eq!(
        exchange(2, 1, &args, &ok, 16),
        [m(0x2000_0099, 1, Transport::Tcp, None, 40001)]
    );
    assert!(exchange(2, 2, &args, &ok, 16).is_empty());
    // rpcbind SET: the address is a universal address.
    let args = xdr(|w| rpcb_xdr(w, 100021, 4, "udp", "10.0.0.2.136.20"));
    assert_eq!(
        exchange(4, 1, &args, &ok, 16),
        [m(100021, 4, Transport::Udp, V4(10, 0, 0, 2), 34836)]
    );
}

#[test]
fn dump_lists_every_mapping() {
    // pmaplist: (present, mapping)* then absent.
    let result = xdr(|w| {
        for (p, v, prot, port) in [
            (100000, 2, 6, 111),
            (100003, 3, 17, 2049),
            (100024, 1, 17, 0),
        ] {
            w.put_bool(true);
            mapping_xdr(w, p, v, prot, port);
        }
        w.put_bool(false);
    });
    assert_eq!(
        exchange(2, 4, &[], &result, 16),
        [
            m(100000, 2, Transport::Tcp, None, 111),
            m(100003, 3, Transport::Udp, None, 2049),
        ]
    );
    // At most `max` records are read.
    assert_eq!(exchange(2, 4, &[], &result, 1).len(), 1);
}

#[test]
fn rpcbind_dump_reads_netids_and_universal_addresses() {
    // As captures/rpcbind-rpcinfo.pcap's rpcbind v3 DUMP.
    let result = xdr(|w| {
        for (netid, addr) in [
            ("tcp6", "::.0.111"),
            ("udp", "0.0.0.0.0.111"),
            ("local", "/run/rpcbind.sock"),
            ("udp6", "fe80::1.8.1"),
            ("tcp", "192.168.1.7.3.236"),
        ] {
            w.put_bool(true);
            rpcb_xdr(w, 100000, 4, netid, addr);
        }
        w.put_bool(false);
    });
    let fe80 = Some(IpAddr::V6("fe80::1".parse().unwrap()));
    assert_eq!(
        exchange(3, 4, &[], &result, 16),
        [
            m(100000, 4, Transport::Tcp, None, 111),
            m(100000, 4, Transport::Udp, None, 111),
            m(100000, 4, Transport::Udp, fe80, 2049),
            m(100000, 4, Transport::Tcp, V4(192, 168, 1, 7), 1004),
        ]
    );
}

#[test]
fn getaddr_and_getversaddr_read_the_address_with_the_call_netid() {
    let args = xdr(|w| rpcb_xdr(w, 100005, 3, "tcp6", ""));
    let result = xdr(|w| {
        w.put_string(b"::1.78.80");
    });
    let v6 = Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(
        exchange(4, 3, &args, &result, 16),
        [m(100005, 3, Transport::Tcp, v6, 20048)]
    );
    assert_eq!(
        exchange(4, 9, &args, &result, 16),
        [m(100005, 3, Transport::Tcp, v6, 20048)]
    );
    assert_eq!(
        exchange(3, 3, &args, &result, 16),
        [m(100005, 3, Transport::Tcp, v6, 20048)]
    );
    // An empty answer: not registered (rpcbind-rpcinfo.pcap frame 106).
    let empty = xdr(|w| {
        w.put_string(b"");
    });
    assert!(exchange(4, 3, &args, &empty, 16).is_empty());
    // TADDR2UADDR also answers a string, but it is no mapping.
    assert!(exchange(3, 8, &[0; 8], &result, 16).is_empty());
}

#[test]
fn getaddrlist_reads_each_entry() {
    let args = xdr(|w| rpcb_xdr(w, 100003, 3, "", ""));
    let result = xdr(|w| {
        for (maddr, netid, proto) in [
            ("10.1.0.2.8.1", "tcp", "tcp"),
            ("10.1.0.2.8.1", "udp", "udp"),
        ] {
            w.put_bool(true);
            w.put_string(maddr.as_bytes())
                .put_string(netid.as_bytes())
                .put_u32(2)
                .put_string(b"inet")
                .put_string(proto.as_bytes());
        }
        w.put_bool(false);
    });
    assert_eq!(
        exchange(4, 11, &args, &result, 16),
        [
            m(100003, 3, Transport::Tcp, V4(10, 1, 0, 2), 2049),
            m(100003, 3, Transport::Udp, V4(10, 1, 0, 2), 2049),
        ]
    );
}

#[test]
fn callit_tells_the_port_of_the_program_called_on_the_same_transport() {
    let args = xdr(|w| {
        w.put_u32(100232).put_u32(10).put_u32(0).put_opaque_var(&[]);
    });
    let result = xdr(|w| {
        w.put_u32(32773).put_opaque_var(&[]);
    });
    assert_eq!(
        exchange(2, 5, &args, &result, 16),
        [m(100232, 10, Transport::Udp, None, 32773)]
    );
}

#[test]
fn a_cut_result_gives_what_came_before_the_cut() {
    let result = xdr(|w| {
        for port in [111, 2049] {
            w.put_bool(true);
            mapping_xdr(w, 100003, 3, 6, port);
        }
        w.put_bool(false);
    });
    let reg = Registry::builtin();
    let e = reg.version(PORTMAP, 2).unwrap();
    let p = e.procedure(4).unwrap();
    for cut in 0..result.len() {
        let body = BodyBytes {
            data: &result[..cut],
            len: result.len() as u64,
            missing: crate::programs::walk::Missing::Snaplen,
        };
        let mut out = Vec::new();
        from_reply(
            e.schema(),
            2,
            4,
            &p.args,
            None,
            p.result,
            &body,
            Transport::Tcp,
            &limits(),
            16,
            &mut out,
        );
        // The first mapping is whole once its 20 bytes (bool + 4 words)
        // are held.
        let expect = usize::from(cut >= 20) + usize::from(cut >= 40);
        assert_eq!(out.len(), expect, "cut at {cut}");
    }
}

#[test]
fn universal_addresses() {
    let v4 = |s: &str| parse_uaddr(s.as_bytes());
    assert_eq!(v4("127.0.0.1.0.111"), Some((V4(127, 0, 0, 1), 111)));
    assert_eq!(v4("10.0.0.2.8.1"), Some((V4(10, 0, 0, 2), 2049)));
    assert_eq!(v4("0.0.0.0.3.236"), Some((None, 1004)));
    assert_eq!(v4("::.0.111"), Some((None, 111)));
    assert_eq!(
        v4("::1.8.1"),
        Some((Some(IpAddr::V6(Ipv6Addr::LOCALHOST)), 2049))
    );
    // IPv6 text ending in a dotted IPv4 part.
    assert_eq!(
        v4("::ffff:10.0.0.2.0.111"),
        Some((Some(IpAddr::V6("::ffff:10.0.0.2".parse().unwrap())), 111))
    );
    for bad in [
        "",
        "127.0.0.1",
        "127.0.0.1.0",
        "127.0.0.1.256.1",
        "127.0.0.1.1.-1",
        "1.2.3.0.111",
        "/run/rpcbind.sock",
        "fe80::zz.0.1",
        "127.0.0.1. 0.1",
    ] {
        assert_eq!(v4(bad), None, "{bad:?}");
    }
    assert_eq!(parse_uaddr(&[0xff, b'.', b'1', b'.', b'1']), None);
    assert_eq!(parse_uaddr(&[b'1'; 65]), None);
}

#[test]
fn netids() {
    assert_eq!(netid_transport(b"tcp"), Some(Transport::Tcp));
    assert_eq!(netid_transport(b"tcp6"), Some(Transport::Tcp));
    assert_eq!(netid_transport(b"udp"), Some(Transport::Udp));
    assert_eq!(netid_transport(b"udp6"), Some(Transport::Udp));
    assert_eq!(netid_transport(b"local"), None);
    assert_eq!(netid_transport(b"ticlts"), None);
    assert_eq!(netid_transport(b""), None);
}
