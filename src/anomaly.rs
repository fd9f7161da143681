//! Counted anomalies: malformed traffic is data, not failure.
//!
//! Every layer reports what it could not decode as an [`Anomaly`]; the
//! pipeline counts them and the summary lists the counts by name. Counting
//! never allocates after the first occurrence of a kind.

use crate::net::NetAnomaly;

/// One anomaly. `name()` is the stable key used in summaries and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Anomaly {
    /// From the network layer (link, IP, UDP, TCP).
    Net(NetAnomaly),
    /// A TCP record or UDP datagram that looked like RPC failed to parse.
    RpcMalformed,
    /// A message was cut by the snapshot length; its header prefix was decoded.
    RpcTruncated,
    /// Bytes of a TCP stream were never captured.
    TcpGap,
    /// Record framing was lost on a TCP stream that carried RPC.
    RecordSyncLost,
    /// A pending call was evicted to make room (table full).
    PendingCallEvicted,
    /// An RPC stream was dropped to make room (table full).
    RpcStreamEvicted,
    /// A call's arguments were not kept while it waited (the budget of
    /// kept arguments was spent): its reply is decoded without them.
    BodyNotKept,
    /// A program body broke its type (a bad bool, a union case with no
    /// arm, a length over its maximum, bytes after its end).
    BodyMalformed,
    /// A port mapping learned from portmap/rpcbind was forgotten to make
    /// room (`Limits::max_learned_ports`).
    PortMappingEvicted,
}

impl Anomaly {
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::Net(n) => n.name(),
            Anomaly::RpcMalformed => "rpc_malformed",
            Anomaly::RpcTruncated => "rpc_truncated",
            Anomaly::TcpGap => "tcp_gap",
            Anomaly::RecordSyncLost => "record_sync_lost",
            Anomaly::PendingCallEvicted => "pending_call_evicted",
            Anomaly::RpcStreamEvicted => "rpc_stream_evicted",
            Anomaly::BodyNotKept => "body_not_kept",
            Anomaly::BodyMalformed => "body_malformed",
            Anomaly::PortMappingEvicted => "port_mapping_evicted",
        }
    }
}

/// Anomaly counts by name, in name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anomalies {
    counts: std::collections::BTreeMap<&'static str, u64>,
}

impl Anomalies {
    pub fn add(&mut self, a: Anomaly) {
        self.add_n(a, 1);
    }
    pub fn add_n(&mut self, a: Anomaly, n: u64) {
        if n > 0 {
            *self.counts.entry(a.name()).or_insert(0) += n;
        }
    }
    pub fn get(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.counts.iter().map(|(k, v)| (*k, *v))
    }
    pub fn merge(&mut self, other: &Anomalies) {
        for (k, v) in other.iter() {
            *self.counts.entry(k).or_insert(0) += v;
        }
    }
}
