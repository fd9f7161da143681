//! The per-source rate limit of `serve` over UDP, sans-IO: a source address
//! and a monotonic time in nanoseconds in, "handle it" or "drop it" out.
//!
//! Each source address has an allowance of `server_udp_burst_per_source`
//! datagrams that refills at `server_udp_rate_per_source` a second (a token
//! bucket, kept as one "theoretical arrival time" per source: the generic
//! cell rate algorithm, so a source costs one `u64`). The UDP loop asks
//! [`RateLimiter::allow`] before it hands a datagram to the service, so a
//! flood costs a hash lookup per datagram, not a decode.
//!
//! Contract: memory is bounded by `server_udp_rate_sources` entries. A
//! source whose allowance has refilled completely is the same as an unknown
//! one, so it may be forgotten; when the table is full of sources that are
//! all still spending, a new source shares one overflow allowance with every
//! other untracked source (a flood from many spoofed addresses is limited
//! as if it came from one). Forgetting sweeps the table at most once per
//! [`RATE_SWEEP_INTERVAL_NS`], so the work per datagram stays constant.
//! Never panics; time that goes backwards is treated as no time passing.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::limits::{Limits, RATE_SWEEP_INTERVAL_NS};

/// Nanoseconds in a second.
const NS: u64 = 1_000_000_000;

/// Per-source allowances (see the module docs).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// Nanoseconds one datagram costs: 1 s / rate.
    interval_ns: u64,
    /// How far ahead of `now` a source's arrival time may run: the burst
    /// beyond the first datagram.
    tolerance_ns: u64,
    /// Source -> theoretical arrival time of its next datagram.
    sources: HashMap<IpAddr, u64>,
    max_sources: usize,
    /// The shared allowance of sources the table has no room for.
    overflow: u64,
    last_sweep_ns: Option<u64>,
    /// Datagrams refused so far.
    refused: u64,
}

impl RateLimiter {
    /// A limiter with the budget of `limits`; `None` when the rate is 0
    /// (no limit).
    pub fn new(limits: &Limits) -> Option<RateLimiter> {
        let rate = u64::from(limits.server_udp_rate_per_source);
        if rate == 0 {
            return None;
        }
        let interval_ns = (NS / rate).max(1);
        let burst = u64::from(limits.server_udp_burst_per_source.max(1));
        Some(RateLimiter {
            interval_ns,
            tolerance_ns: interval_ns.saturating_mul(burst - 1),
            sources: HashMap::new(),
            max_sources: limits.server_udp_rate_sources,
            overflow: 0,
            last_sweep_ns: None,
            refused: 0,
        })
    }

    /// True when a datagram from `source` arriving at `now_ns` is within
    /// its allowance (and spends one datagram of it).
    pub fn allow(&mut self, source: IpAddr, now_ns: u64) -> bool {
        if !self.sources.contains_key(&source) && self.sources.len() >= self.max_sources {
            self.sweep(now_ns);
        }
        let (interval, tolerance) = (self.interval_ns, self.tolerance_ns);
        let tat = if let Some(t) = self.sources.get_mut(&source) {
            t
        } else if self.sources.len() < self.max_sources {
            self.sources.entry(source).or_insert(now_ns)
        } else {
            &mut self.overflow
        };
        let ok = spend(tat, now_ns, interval, tolerance);
        if !ok {
            self.refused = self.refused.saturating_add(1);
        }
        ok
    }

    /// Datagrams refused so far.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Sources tracked now.
    pub fn tracked(&self) -> usize {
        self.sources.len()
    }

    /// Forget sources whose allowance is full again, at most once per
    /// [`RATE_SWEEP_INTERVAL_NS`].
    fn sweep(&mut self, now_ns: u64) {
        if self
            .last_sweep_ns
            .is_some_and(|t| now_ns.saturating_sub(t) < RATE_SWEEP_INTERVAL_NS)
        {
            return;
        }
        self.last_sweep_ns = Some(now_ns);
        self.sources.retain(|_, tat| *tat > now_ns);
    }
}

/// The generic cell rate algorithm: a datagram conforms when the source's
/// theoretical arrival time is at most `tolerance` ahead of now; it then
/// moves on by one interval.
fn spend(tat: &mut u64, now: u64, interval: u64, tolerance: u64) -> bool {
    let start = (*tat).max(now);
    if start - now > tolerance {
        return false;
    }
    *tat = start.saturating_add(interval);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: u32, burst: u32, sources: usize) -> RateLimiter {
        let limits = Limits {
            server_udp_rate_per_source: rate,
            server_udp_burst_per_source: burst,
            server_udp_rate_sources: sources,
            ..Limits::default()
        };
        RateLimiter::new(&limits).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// How many of `n` datagrams at time `t` are allowed.
    fn burst(l: &mut RateLimiter, src: IpAddr, t: u64, n: u32) -> u32 {
        (0..n).filter(|_| l.allow(src, t)).count() as u32
    }

    #[test]
    fn rate_zero_is_no_limit() {
        let limits = Limits {
            server_udp_rate_per_source: 0,
            ..Limits::default()
        };
        assert!(RateLimiter::new(&limits).is_none());
    }

    #[test]
    fn a_fresh_source_gets_its_burst_then_the_rate() {
        let mut l = limiter(100, 20, 16);
        let a = ip("198.18.0.2");
        assert_eq!(burst(&mut l, a, 5 * NS, 50), 20);
        assert_eq!(l.refused(), 30);
        // 10 ms buys one more datagram at 100/s.
        assert_eq!(burst(&mut l, a, 5 * NS + 10_000_000, 5), 1);
        // One second later: 100 more (the burst is not exceeded).
        assert_eq!(burst(&mut l, a, 6 * NS + 10_000_000, 500), 20);
    }

    #[test]
    fn sustained_flood_gets_the_rate_and_no_more() {
        let mut l = limiter(100, 200, 16);
        let a = ip("2001:db8::1");
        // 10 000 datagrams a second for 3 seconds, evenly spread.
        let mut allowed = 0;
        for i in 0..30_000u64 {
            allowed += u32::from(l.allow(a, NS + i * 100_000));
        }
        // The burst plus 100 a second for the 3 s (minus one interval).
        assert!((200 + 299..=200 + 300).contains(&allowed), "{allowed}");
    }

    #[test]
    fn sources_are_independent() {
        let mut l = limiter(10, 5, 16);
        let (a, b) = (ip("198.18.0.2"), ip("198.18.0.3"));
        assert_eq!(burst(&mut l, a, NS, 100), 5);
        assert_eq!(burst(&mut l, b, NS, 3), 3, "b is not charged for a's flood");
        assert_eq!(burst(&mut l, b, NS, 10), 2);
    }

    #[test]
    fn full_table_shares_one_overflow_allowance() {
        let mut l = limiter(10, 2, 4);
        for i in 0..4 {
            assert!(l.allow(ip(&format!("198.18.1.{i}")), NS));
        }
        assert_eq!(l.tracked(), 4);
        // Every tracked source is still spending: new ones share overflow.
        let fresh: u32 = (10..20)
            .map(|i| burst(&mut l, ip(&format!("198.18.1.{i}")), NS, 1))
            .sum();
        assert_eq!(fresh, 2, "ten new sources, one shared burst of 2");
        assert_eq!(l.tracked(), 4);
    }

    #[test]
    fn refilled_sources_are_forgotten_when_room_is_needed() {
        let mut l = limiter(10, 2, 4);
        for i in 0..4 {
            assert!(l.allow(ip(&format!("198.18.1.{i}")), NS));
        }
        // 1 s later every allowance has refilled: a new source takes a slot.
        assert!(l.allow(ip("198.18.2.1"), 2 * NS));
        assert_eq!(l.tracked(), 1);
        assert_eq!(burst(&mut l, ip("198.18.2.1"), 2 * NS, 5), 1);
    }

    #[test]
    fn sweeps_are_rate_limited() {
        let mut l = limiter(1, 1, 2);
        assert!(l.allow(ip("198.18.1.1"), NS));
        assert!(l.allow(ip("198.18.1.2"), NS));
        // Full of spending sources: a sweep finds nothing, overflow serves.
        assert!(l.allow(ip("198.18.1.3"), NS));
        assert!(!l.allow(ip("198.18.1.4"), NS));
        // 1.5 s later both have refilled, but the last sweep was only just
        // long enough ago when RATE_SWEEP_INTERVAL_NS has passed.
        let later = NS + RATE_SWEEP_INTERVAL_NS.max(NS + NS / 2);
        assert!(l.allow(ip("198.18.1.5"), later));
        assert_eq!(l.tracked(), 1, "the sweep forgot both refilled sources");
    }

    #[test]
    fn time_going_backwards_is_no_time() {
        let mut l = limiter(10, 2, 4);
        let a = ip("198.18.0.9");
        assert_eq!(burst(&mut l, a, 10 * NS, 5), 2);
        assert_eq!(burst(&mut l, a, 0, 5), 0);
    }
}
