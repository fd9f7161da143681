//! Anomalies: malformed traffic is data, not failure, and is reported with
//! where and why.
//!
//! Every layer reports what it could not decode as an [`Anomaly`]. The
//! pipeline counts them (the summary lists the counts by name) and keeps an
//! [`AnomalyRecord`] for each: its kind, the frame and capture time, the flow,
//! and the decoder's own account (layer, offset, length, TCP sequence range,
//! reason). Records are rate-limited per kind in capture time (a burst of
//! `Limits::anomaly_burst`, then `Limits::anomaly_per_sec` a second); the ones
//! not kept are counted as suppressed, per kind, in the summary. Records wait
//! in a bounded queue (`Limits::max_anomaly_queue`) until the caller drains
//! them ([`Anomalies::drain_records`]); a caller that never drains loses only
//! records, never counts, and memory stays bounded.
//!
//! Counting never allocates after the first occurrence of a kind.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use crate::capture::Timestamp;
use crate::limits::{Limits, NS_PER_SEC};
use crate::net::{FlowKey, NetAnomaly, Transport};

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
    /// A record that never ends: more fragments than `max_record_fragments`
    /// or longer than `max_record`; its bytes are dropped and framing is
    /// searched for again.
    RecordUnterminated,
    /// The input ended inside a record: the prefix that arrived is decoded.
    RecordCutAtEnd,
    /// Retransmitted or overlapping TCP segments disagree on bytes: the copy
    /// delivered first is kept (see `net::tcp_stream`).
    InconsistentRetransmission,
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
            Anomaly::RecordUnterminated => "record_unterminated",
            Anomaly::RecordCutAtEnd => "record_cut_at_end",
            Anomaly::InconsistentRetransmission => "inconsistent_retransmission",
            Anomaly::PendingCallEvicted => "pending_call_evicted",
            Anomaly::RpcStreamEvicted => "rpc_stream_evicted",
            Anomaly::BodyNotKept => "body_not_kept",
            Anomaly::BodyMalformed => "body_malformed",
            Anomaly::PortMappingEvicted => "port_mapping_evicted",
        }
    }

    /// The layer that reports it (`layer` in records without details).
    pub fn layer(self) -> &'static str {
        match self {
            Anomaly::Net(NetAnomaly::UnsupportedLinkType) => "link",
            Anomaly::Net(
                NetAnomaly::TcpStreamEvicted
                | NetAnomaly::TcpOooOverflow
                | NetAnomaly::TcpTruncatedSegment,
            ) => "tcp",
            Anomaly::Net(NetAnomaly::UdpTruncated) => "udp",
            Anomaly::Net(_) => "ip",
            Anomaly::TcpGap | Anomaly::InconsistentRetransmission => "tcp",
            Anomaly::RecordSyncLost
            | Anomaly::RecordUnterminated
            | Anomaly::RecordCutAtEnd
            | Anomaly::RpcStreamEvicted => "record",
            Anomaly::RpcMalformed | Anomaly::RpcTruncated => "rpc",
            Anomaly::PendingCallEvicted | Anomaly::PortMappingEvicted => "track",
            Anomaly::BodyNotKept | Anomaly::BodyMalformed => "body",
        }
    }
}

/// Where and why, as the decoder that saw it has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// The layer: `link`, `ip`, `udp`, `tcp`, `record`, `rpc`, `track`, `body`.
    pub layer: Option<&'static str>,
    /// In `tcp` and `record`: the stream offset (bytes from the first byte
    /// seen of that direction); in `rpc`: the byte offset in the message.
    pub offset: Option<u64>,
    /// Bytes concerned, from `offset`.
    pub len: Option<u64>,
    /// TCP sequence numbers of `[offset, offset + len)`.
    pub seq: Option<(u32, u32)>,
    /// Why, in words.
    pub reason: Option<Cow<'static, str>>,
}

/// One anomaly, where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyRecord {
    pub kind: Anomaly,
    /// The frame being decoded when it was seen (1-based, per input).
    pub frame: u64,
    /// That frame's capture time.
    pub ts: Timestamp,
    /// The transport and direction concerned, when one is.
    pub flow: Option<(Transport, FlowKey)>,
    pub detail: Detail,
}

/// Where the decoder is: stamped on records of anomalies counted without
/// a detail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    pub frame: u64,
    pub ts: Timestamp,
    pub flow: Option<(Transport, FlowKey)>,
}

/// A token bucket per kind, in capture time.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u64,
    last: Timestamp,
}

#[derive(Debug, Clone, Default)]
struct Log {
    at: Context,
    records: VecDeque<AnomalyRecord>,
    buckets: BTreeMap<&'static str, Bucket>,
    burst: u64,
    per_sec: u64,
    max_queue: usize,
}

/// Anomaly counts by name, in name order, and the records waiting to be
/// drained. Equality and merging look at the counts only.
#[derive(Debug, Clone, Default)]
pub struct Anomalies {
    counts: BTreeMap<&'static str, u64>,
    suppressed: BTreeMap<&'static str, u64>,
    log: Log,
}

impl PartialEq for Anomalies {
    fn eq(&self, o: &Self) -> bool {
        self.counts == o.counts && self.suppressed == o.suppressed
    }
}

impl Eq for Anomalies {}

impl Anomalies {
    /// Counts with records, rate-limited as `limits` say. (`default()`
    /// counts only: every record is suppressed.)
    pub fn with_records(limits: &Limits) -> Self {
        Anomalies {
            log: Log {
                burst: limits.anomaly_burst.into(),
                per_sec: limits.anomaly_per_sec.into(),
                max_queue: limits.max_anomaly_queue,
                ..Log::default()
            },
            ..Anomalies::default()
        }
    }

    /// Where the decoder is now (records of [`Anomalies::add`] carry it).
    pub fn set_context(&mut self, at: Context) {
        self.log.at = at;
    }

    /// The current context.
    pub fn context(&self) -> Context {
        self.log.at
    }

    /// Counts one anomaly, recorded at the current context without details.
    pub fn add(&mut self, a: Anomaly) {
        self.report(a, Detail::default());
    }

    /// Counts `n` anomalies of one kind (one record).
    pub fn add_n(&mut self, a: Anomaly, n: u64) {
        if n > 0 {
            *self.counts.entry(a.name()).or_insert(0) += n - 1;
            self.add(a);
        }
    }

    /// Counts one anomaly and records it at the current context with
    /// `detail`.
    pub fn report(&mut self, a: Anomaly, detail: Detail) {
        let at = self.log.at;
        self.report_at(a, at, detail);
    }

    /// Counts one anomaly and records it at `at` with `detail`.
    pub fn report_at(&mut self, a: Anomaly, at: Context, mut detail: Detail) {
        let name = a.name();
        *self.counts.entry(name).or_insert(0) += 1;
        if self.log.max_queue == 0 {
            // Counting only (`default()`): no records to suppress.
            return;
        }
        if !self.take_token(name, at.ts) {
            *self.suppressed.entry(name).or_insert(0) += 1;
            return;
        }
        detail.layer = detail.layer.or(Some(a.layer()));
        self.log.records.push_back(AnomalyRecord {
            kind: a,
            frame: at.frame,
            ts: at.ts,
            flow: at.flow,
            detail,
        });
    }

    fn take_token(&mut self, name: &'static str, now: Timestamp) -> bool {
        let log = &mut self.log;
        if log.records.len() >= log.max_queue {
            return false;
        }
        let (burst, per_sec) = (log.burst, log.per_sec);
        let b = log.buckets.entry(name).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        if per_sec > 0 && now > b.last {
            let elapsed = now.nanos_since(b.last);
            let refill = (elapsed as u128 * per_sec as u128 / NS_PER_SEC as u128) as u64;
            if refill > 0 {
                b.tokens = (b.tokens + refill).min(burst);
                b.last = now;
            }
        }
        if b.tokens == 0 {
            return false;
        }
        b.tokens -= 1;
        true
    }

    /// Hands out the records waiting, oldest first.
    pub fn drain_records(&mut self, f: &mut dyn FnMut(&AnomalyRecord)) {
        while let Some(r) = self.log.records.pop_front() {
            f(&r);
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
    /// Records not kept (rate limit or full queue), by name.
    pub fn suppressed(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.suppressed.iter().map(|(k, v)| (*k, *v))
    }
    /// Records not kept, in all.
    pub fn suppressed_total(&self) -> u64 {
        self.suppressed.values().sum()
    }
    /// Adds another run's counts (records are not merged).
    pub fn merge(&mut self, other: &Anomalies) {
        for (k, v) in other.iter() {
            *self.counts.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.suppressed() {
            *self.suppressed.entry(k).or_insert(0) += v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(burst: u32, per_sec: u32, queue: usize) -> Limits {
        Limits {
            anomaly_burst: burst,
            anomaly_per_sec: per_sec,
            max_anomaly_queue: queue,
            ..Limits::default()
        }
    }

    fn at(secs: i64) -> Context {
        Context {
            frame: secs as u64,
            ts: Timestamp(secs * NS_PER_SEC as i64),
            flow: None,
        }
    }

    fn drained(a: &mut Anomalies) -> Vec<AnomalyRecord> {
        let mut v = Vec::new();
        a.drain_records(&mut |r| v.push(r.clone()));
        v
    }

    #[test]
    fn records_are_rate_limited_per_kind_and_counted_all_the_same() {
        let mut a = Anomalies::with_records(&limits(3, 1, 1000));
        for i in 0..10 {
            a.set_context(at(100));
            a.add(Anomaly::TcpGap);
            if i < 2 {
                a.add(Anomaly::RpcMalformed);
            }
        }
        assert_eq!(a.get("tcp_gap"), 10);
        let r = drained(&mut a);
        let gaps = r.iter().filter(|r| r.kind == Anomaly::TcpGap).count();
        assert_eq!(gaps, 3, "the burst");
        assert_eq!(r.len(), 5, "the other kind has its own bucket");
        assert_eq!(a.suppressed().collect::<Vec<_>>(), [("tcp_gap", 7)]);
        // Two seconds later, two more tokens.
        for _ in 0..5 {
            a.set_context(at(102));
            a.add(Anomaly::TcpGap);
        }
        assert_eq!(drained(&mut a).len(), 2);
        assert_eq!(a.suppressed_total(), 10);
        assert_eq!(a.get("tcp_gap"), 15);
    }

    #[test]
    fn a_queue_nobody_drains_stays_bounded() {
        let mut a = Anomalies::with_records(&limits(1_000_000, 0, 16));
        for _ in 0..100 {
            a.add(Anomaly::RpcTruncated);
        }
        assert_eq!(a.get("rpc_truncated"), 100);
        assert_eq!(drained(&mut a).len(), 16);
        assert_eq!(a.suppressed_total(), 84);
    }

    #[test]
    fn details_and_layers() {
        let mut a = Anomalies::with_records(&Limits::default());
        a.set_context(at(7));
        a.report(
            Anomaly::RecordUnterminated,
            Detail {
                offset: Some(40),
                reason: Some("too many record fragments".into()),
                ..Detail::default()
            },
        );
        a.add(Anomaly::Net(NetAnomaly::MalformedHeader));
        let r = drained(&mut a);
        assert_eq!(r[0].detail.layer, Some("record"));
        assert_eq!(r[0].detail.offset, Some(40));
        assert_eq!(r[0].frame, 7);
        assert_eq!(r[1].detail.layer, Some("ip"));
        // Counts compare, records do not.
        let mut b = Anomalies::default();
        b.add(Anomaly::RecordUnterminated);
        b.add(Anomaly::Net(NetAnomaly::MalformedHeader));
        let mut c = Anomalies::default();
        c.merge(&a);
        assert_eq!(c.total(), 2);
        assert_eq!(c.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
    }
}
