//! Latency distributions: an HDR histogram for percentiles (within 1%),
//! exact minimum, mean and maximum, and exact counts on fixed log buckets
//! (the 1-2-5 series, [`LOG_BUCKET_BOUNDS_US`]) for pictures.
//!
//! Contract: recording never allocates after the histogram has grown to the
//! range of the values seen (bounded: a few KiB per decade of latency), and
//! never panics on any value (values past the histogram's range are clamped).

use hdrhistogram::Histogram;

/// Significant digits of the latency histograms: 2 keeps percentiles within
/// 1% and a histogram of latencies up to minutes at ~20 KiB.
const HIST_SIGFIGS: u8 = 2;

/// Upper bounds (exclusive, in microseconds) of the log buckets: 1, 2, 5,
/// 10, 20, 50 ... 100 s. Bucket `i` holds latencies in
/// `[bound[i-1], bound[i])`; bucket 0 everything under 1 us; the last bucket
/// ([`LOG_BUCKETS`]` - 1`) everything from 100 s on. Three buckets a decade
/// read at a glance ("most READs take 200-500 us") and fit a terminal line.
pub const LOG_BUCKET_BOUNDS_US: [u64; 25] = [
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
];

/// Number of log buckets: one per bound, and one past the last.
pub const LOG_BUCKETS: usize = LOG_BUCKET_BOUNDS_US.len() + 1;

/// The log bucket of a latency in nanoseconds (exact: compares nanoseconds
/// with the bounds).
pub fn log_bucket(ns: u64) -> usize {
    LOG_BUCKET_BOUNDS_US.partition_point(|&b| b.saturating_mul(1000) <= ns)
}

/// A short label of bucket `i`'s lower bound: `<1us`, `1us`, `20ms`, `5s`.
pub fn log_bucket_label(i: usize) -> String {
    if i == 0 {
        return "<1us".into();
    }
    human_us(LOG_BUCKET_BOUNDS_US[(i - 1).min(LOG_BUCKET_BOUNDS_US.len() - 1)])
}

/// `1us`, `500us`, `2ms`, `10s` for a 1-2-5 bound in microseconds.
pub fn human_us(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{}s", us / 1_000_000)
    } else if us >= 1000 {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}

/// Latencies of one row.
#[derive(Debug, Clone)]
pub struct Latency {
    /// 32-bit counts: half the memory of 64-bit ones (a row's histogram is
    /// most of its size), and a count saturates (never wraps) past 4.29
    /// billion latencies within 1% of each other, which no capture holds.
    hist: Histogram<u32>,
    count: u64,
    sum_ns: u128,
    min_ns: u64,
    max_ns: u64,
    buckets: [u64; LOG_BUCKETS],
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            hist: Histogram::new(HIST_SIGFIGS).expect("valid sigfigs"),
            count: 0,
            sum_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            buckets: [0; LOG_BUCKETS],
        }
    }
}

impl Latency {
    /// Records one latency.
    pub fn record(&mut self, ns: u64) {
        self.count += 1;
        self.sum_ns += ns as u128;
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
        self.buckets[log_bucket(ns)] += 1;
        // The histogram auto-resizes, so `record` only fails on values
        // beyond its absolute range (u64::MAX / 2): clamp those.
        let us = ns.div_ceil(1000);
        if self.hist.record(us).is_err() {
            self.hist.saturating_record(us);
        }
    }
    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// The sum of all latencies, in nanoseconds (the total time spent).
    pub fn sum_ns(&self) -> u128 {
        self.sum_ns
    }
    /// Exact minimum, mean and maximum in microseconds.
    pub fn min_mean_max_us(&self) -> Option<(f64, f64, f64)> {
        (self.count > 0).then(|| {
            (
                self.min_ns as f64 / 1e3,
                self.sum_ns as f64 / self.count as f64 / 1e3,
                self.max_ns as f64 / 1e3,
            )
        })
    }
    /// A percentile (0..=100) in microseconds, clamped to [min, max].
    pub fn percentile_us(&self, p: f64) -> Option<f64> {
        let (min, _, max) = self.min_mean_max_us()?;
        let v = self.hist.value_at_percentile(p) as f64;
        Some(v.clamp(min, max))
    }
    /// Exact counts per log bucket ([`LOG_BUCKET_BOUNDS_US`]).
    pub fn buckets(&self) -> &[u64; LOG_BUCKETS] {
        &self.buckets
    }
    /// Adds another row's latencies (several rows shown as one).
    pub fn merge(&mut self, o: &Latency) {
        if o.count == 0 {
            return;
        }
        self.count += o.count;
        self.sum_ns += o.sum_ns;
        self.min_ns = self.min_ns.min(o.min_ns);
        self.max_ns = self.max_ns.max(o.max_ns);
        for (a, b) in self.buckets.iter_mut().zip(o.buckets.iter()) {
            *a += b;
        }
        // Both histograms auto-resize: adding cannot fail for lack of range.
        let _ = self.hist.add(&o.hist);
    }
}

/// A compact log histogram for many small cells (one per interval and key
/// of a time series): counts on buckets a quarter of a doubling wide
/// (2^(i/4) us, up to ~2^27 us = 134 s), so a percentile read from it is
/// within 10% (the bucket's geometric middle). Empty cells allocate nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoarseHist {
    counts: Vec<u32>,
    total: u64,
}

/// Buckets of [`CoarseHist`]: 4 per doubling from 1 us to 2^27 us.
const COARSE_BUCKETS: usize = 4 * 27 + 1;

impl CoarseHist {
    fn bucket(ns: u64) -> usize {
        let us = ns as f64 / 1e3;
        if us < 1.0 {
            0
        } else {
            ((us.log2() * 4.0).floor() as usize + 1).min(COARSE_BUCKETS - 1)
        }
    }
    /// Records one latency.
    pub fn record(&mut self, ns: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; COARSE_BUCKETS];
        }
        let c = &mut self.counts[Self::bucket(ns)];
        *c = c.saturating_add(1);
        self.total += 1;
    }
    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.total
    }
    /// Adds another histogram's counts.
    pub fn merge(&mut self, o: &CoarseHist) {
        if o.total == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; COARSE_BUCKETS];
        }
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a = a.saturating_add(*b);
        }
        self.total += o.total;
    }
    /// A percentile (0..=100) in microseconds: the geometric middle of the
    /// bucket that holds it (within 10%); `None` when empty.
    pub fn percentile_us(&self, p: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Some(if i == 0 {
                    0.5
                } else {
                    2f64.powf((i as f64 - 1.0 + 0.5) / 4.0)
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_buckets_split_at_their_bounds_exactly() {
        assert_eq!(log_bucket(0), 0);
        assert_eq!(log_bucket(999), 0);
        assert_eq!(log_bucket(1000), 1); // 1 us
        assert_eq!(log_bucket(1999), 1);
        assert_eq!(log_bucket(2000), 2);
        assert_eq!(log_bucket(499_999), 8); // just under 500 us
        assert_eq!(log_bucket(500_000), 9);
        assert_eq!(log_bucket(100_000_000_000), LOG_BUCKETS - 1); // 100 s
        assert_eq!(log_bucket(u64::MAX), LOG_BUCKETS - 1);
        assert_eq!(log_bucket_label(0), "<1us");
        assert_eq!(log_bucket_label(9), "500us");
        assert_eq!(log_bucket_label(10), "1ms");
        assert_eq!(log_bucket_label(LOG_BUCKETS - 1), "100s");
    }

    #[test]
    fn latency_counts_buckets_and_percentiles() {
        let mut l = Latency::default();
        for us in [150u64, 160, 170, 180, 3000] {
            l.record(us * 1000);
        }
        assert_eq!(l.count(), 5);
        assert_eq!(l.buckets()[7], 4); // 100-200 us
        assert_eq!(l.buckets()[11], 1); // 2-5 ms
        assert_eq!(l.buckets().iter().sum::<u64>(), 5);
        let p50 = l.percentile_us(50.0).unwrap();
        assert!((169.0..=171.0).contains(&p50), "{p50}");
        assert_eq!(l.percentile_us(100.0), Some(3000.0));
        assert_eq!(l.sum_ns(), 3_660_000);
        let mut m = Latency::default();
        m.record(1_000);
        m.merge(&l);
        assert_eq!(m.count(), 6);
        assert_eq!(m.min_mean_max_us().unwrap().0, 1.0);
        assert_eq!(m.buckets()[1], 1);
    }

    #[test]
    fn coarse_percentiles_are_within_ten_percent() {
        let mut h = CoarseHist::default();
        assert_eq!(h.percentile_us(50.0), None);
        for us in 1..=1000u64 {
            h.record(us * 1000);
        }
        for (p, want) in [(50.0, 500.0), (99.0, 990.0), (10.0, 100.0)] {
            let got = h.percentile_us(p).unwrap();
            assert!((got / want - 1.0).abs() < 0.1, "p{p}: {got} vs {want}");
        }
        let mut g = CoarseHist::default();
        g.merge(&h);
        assert_eq!(g, h);
        assert_eq!(g.count(), 1000);
    }
}
