//! Endpoints and transports: who talks to whom.

use std::fmt;
use std::net::IpAddr;

/// An IP address and port. Displays as `addr:port`, IPv6 as `[addr]:port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

/// Hashed as one or two words (an IPv4 endpoint packs into 48 bits):
/// endpoints key every per-packet table (flows, streams, calls), and the
/// derived hash fed the hasher the address family, the address's length and
/// its bytes, and the port, one by one.
impl std::hash::Hash for Endpoint {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self.addr {
            IpAddr::V4(a) => h.write_u64(u64::from(a.to_bits()) << 16 | u64::from(self.port)),
            IpAddr::V6(a) => {
                h.write_u128(a.to_bits());
                h.write_u16(self.port);
            }
        }
    }
}

impl Endpoint {
    pub fn new(addr: IpAddr, port: u16) -> Self {
        Endpoint { addr, port }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

/// The transport an RPC message travelled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One direction of a conversation: bytes or datagrams from `src` to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub src: Endpoint,
    pub dst: Endpoint,
}

impl FlowKey {
    /// The opposite direction.
    pub fn reverse(self) -> FlowKey {
        FlowKey {
            src: self.dst,
            dst: self.src,
        }
    }
}
