//! Learned ports: the endpoints portmap and rpcbind said serve RPC.
//!
//! A GETPORT or GETADDR reply, a DUMP listing, a SET registration (see
//! [`crate::programs::mappings`]) tells that a program listens on a
//! transport, address and port. The pipeline then reads traffic from that
//! endpoint as RPC even when nothing else proves it: a UDP reply whose call
//! was not captured, a TCP connection whose first record is a reply. A
//! mapping with the unspecified address (`0.0.0.0`, `::`, or a bare port)
//! names the host that answered.
//!
//! Contract: at most `Limits::max_learned_ports` endpoints; learning one
//! more forgets the least recently learned and counts
//! [`Anomaly::PortMappingEvicted`]. Lookups never allocate.

use std::net::IpAddr;

use super::pending::AgedMap;
use crate::anomaly::{Anomalies, Anomaly};
use crate::capture::Timestamp;
use crate::net::{Endpoint, Transport};
use crate::programs::mappings::Mapping;

/// What an endpoint was learned to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learned {
    /// The program (the last one learned there: one port often serves
    /// several, NFS and NFS_ACL on 2049).
    pub program: u32,
    pub version: u32,
}

/// The table. See the module docs.
pub struct Ports {
    map: AgedMap<(Transport, Endpoint), Learned>,
}

impl Ports {
    /// An empty table of at most `cap` endpoints.
    pub fn new(cap: usize) -> Self {
        Ports {
            map: AgedMap::new(cap),
        }
    }

    /// Endpoints known now.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Learns `m`, told by (or about) the host `host` at capture time `now`.
    pub fn learn(&mut self, m: &Mapping, host: IpAddr, now: Timestamp, anomalies: &mut Anomalies) {
        let ep = Endpoint::new(m.addr.unwrap_or(host), m.port);
        let v = Learned {
            program: m.program,
            version: m.version,
        };
        if self.map.insert((m.transport, ep), v, now).is_some() {
            anomalies.add(Anomaly::PortMappingEvicted);
        }
    }

    /// What `server` on `transport` was learned to serve.
    pub fn get(&self, transport: Transport, server: Endpoint) -> Option<Learned> {
        self.map.get(&(transport, server)).copied()
    }

    /// True when `server` on `transport` was learned to serve RPC.
    pub fn contains(&self, transport: Transport, server: Endpoint) -> bool {
        self.map.contains_key(&(transport, server))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    fn mapping(addr: Option<IpAddr>, port: u16, transport: Transport) -> Mapping {
        Mapping {
            program: 100003,
            version: 3,
            transport,
            addr,
            port,
        }
    }

    #[test]
    fn a_mapping_without_address_names_the_host() {
        let mut p = Ports::new(8);
        let mut a = Anomalies::default();
        p.learn(
            &mapping(None, 2049, Transport::Udp),
            ip(2),
            Timestamp(0),
            &mut a,
        );
        p.learn(
            &mapping(Some(ip(9)), 20048, Transport::Tcp),
            ip(2),
            Timestamp(0),
            &mut a,
        );
        assert!(p.contains(Transport::Udp, Endpoint::new(ip(2), 2049)));
        assert!(!p.contains(Transport::Tcp, Endpoint::new(ip(2), 2049)));
        assert!(!p.contains(Transport::Udp, Endpoint::new(ip(3), 2049)));
        assert!(p.contains(Transport::Tcp, Endpoint::new(ip(9), 20048)));
        assert!(!p.contains(Transport::Tcp, Endpoint::new(ip(2), 20048)));
        assert_eq!(
            p.get(Transport::Udp, Endpoint::new(ip(2), 2049)),
            Some(Learned {
                program: 100003,
                version: 3
            })
        );
        assert_eq!(a.total(), 0);
    }

    #[test]
    fn the_table_is_bounded_and_evictions_are_counted() {
        let mut p = Ports::new(4);
        let mut a = Anomalies::default();
        for port in 1..=10u16 {
            p.learn(
                &mapping(None, port, Transport::Tcp),
                ip(2),
                Timestamp(port as i64),
                &mut a,
            );
        }
        assert_eq!(p.len(), 4);
        assert_eq!(a.get("port_mapping_evicted"), 6);
        // The most recent stay.
        assert!(p.contains(Transport::Tcp, Endpoint::new(ip(2), 10)));
        assert!(!p.contains(Transport::Tcp, Endpoint::new(ip(2), 1)));
        // Learning a known endpoint again evicts nothing.
        p.learn(
            &mapping(None, 10, Transport::Tcp),
            ip(2),
            Timestamp(11),
            &mut a,
        );
        assert_eq!(a.get("port_mapping_evicted"), 6);
    }
}
