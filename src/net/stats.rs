//! Plain counters describing what the network layer saw and did.
//!
//! Counters only ever increase; they are updated as events are emitted (see
//! [`NetStats::count_event`]) and by the decoding steps that produce no event
//! (duplicates, trimmed bytes).

use super::event::{NetAnomaly, NetEvent};

/// Counters for one [`super::NetDecoder`]. All fields are totals since it was
/// created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Frames handed to the decoder.
    pub frames: u64,
    /// Captured bytes in those frames.
    pub bytes: u64,
    /// IPv4 packets (fragments included).
    pub ipv4: u64,
    /// IPv6 packets (fragments included).
    pub ipv6: u64,
    /// IP fragments seen (IPv4 and IPv6).
    pub ip_fragments: u64,
    /// IP fragments ignored as identical duplicates.
    pub ip_fragment_duplicates: u64,
    /// Datagrams rebuilt from fragments.
    pub ip_datagrams_reassembled: u64,
    /// UDP datagrams delivered (`NetEvent::Udp`).
    pub udp_datagrams: u64,
    /// UDP payload bytes delivered.
    pub udp_bytes: u64,
    /// TCP segments decoded.
    pub tcp_segments: u64,
    /// TCP directions opened (`NetEvent::TcpOpen`).
    pub tcp_streams: u64,
    /// TCP directions closed (`NetEvent::TcpClose`).
    pub tcp_closes: u64,
    /// TCP payload bytes delivered in order (`NetEvent::TcpData`).
    pub tcp_bytes_delivered: u64,
    /// TCP bytes dropped because they were already delivered or declared lost
    /// (retransmissions and overlaps); not an anomaly.
    pub tcp_bytes_trimmed: u64,
    /// TCP segments that had to wait in the out-of-order buffer.
    pub tcp_segments_buffered: u64,
    /// TCP segments ignored because their direction was already closed.
    pub tcp_segments_after_close: u64,
    /// `NetEvent::TcpInconsistent` events.
    pub tcp_inconsistent: u64,
    /// `NetEvent::TcpGap` events.
    pub tcp_gaps: u64,
    /// Bytes covered by those gaps.
    pub tcp_gap_bytes: u64,
    /// Anomalies by kind, indexed by `NetAnomaly as usize`; see [`NetStats::anomaly`].
    pub anomalies: [u64; NetAnomaly::ALL.len()],
}

impl NetStats {
    /// How many anomalies of `kind` were reported.
    pub fn anomaly(&self, kind: NetAnomaly) -> u64 {
        self.anomalies[kind as usize]
    }

    /// All anomalies reported, of any kind.
    pub fn anomalies_total(&self) -> u64 {
        self.anomalies.iter().sum()
    }

    /// Updates the counters derived from an event about to be emitted.
    pub fn count_event(&mut self, ev: &NetEvent<'_>) {
        match ev {
            NetEvent::Udp { payload, .. } => {
                self.udp_datagrams += 1;
                self.udp_bytes += payload.len() as u64;
            }
            NetEvent::TcpOpen { .. } => self.tcp_streams += 1,
            NetEvent::TcpData { data, .. } => self.tcp_bytes_delivered += data.len() as u64,
            NetEvent::TcpGap { len, .. } => {
                self.tcp_gaps += 1;
                self.tcp_gap_bytes += len;
            }
            NetEvent::TcpClose { .. } => self.tcp_closes += 1,
            NetEvent::TcpHeld { .. } => {}
            NetEvent::TcpInconsistent { .. } => self.tcp_inconsistent += 1,
            NetEvent::Anomaly(a) => self.anomalies[*a as usize] += 1,
        }
    }
}

/// Where decoding steps send their events: counts each one in the stats,
/// then hands it to the caller's callback.
pub(crate) struct Sink<'s, 'o> {
    pub stats: &'s mut NetStats,
    pub out: &'o mut dyn FnMut(NetEvent<'_>),
    /// The frame being decoded (the last one, at `finish`).
    pub frame: u64,
    /// Its capture time.
    pub ts: crate::capture::Timestamp,
}

impl Sink<'_, '_> {
    pub fn emit(&mut self, ev: NetEvent<'_>) {
        self.stats.count_event(&ev);
        (self.out)(ev);
    }

    pub fn anomaly(&mut self, a: NetAnomaly) {
        self.emit(NetEvent::Anomaly(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anomaly_index_matches_all_order() {
        let mut s = NetStats::default();
        for (i, a) in NetAnomaly::ALL.iter().enumerate() {
            assert_eq!(*a as usize, i);
            s.count_event(&NetEvent::Anomaly(*a));
        }
        assert_eq!(s.anomalies_total(), NetAnomaly::ALL.len() as u64);
        assert_eq!(s.anomaly(NetAnomaly::UdpTruncated), 1);
    }
}
