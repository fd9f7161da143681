//! The aggregation layer: what `stats`, the HTML report and the `top` view
//! count, apart from how they print it (the printers live in
//! [`crate::output`]), so a new format or a picture reads the same
//! aggregates.
//!
//! - [`Stats`] (`table`): rows keyed by program, version, procedure (and an
//!   NFSv4 compound's operation, and optionally a peer or a file), with
//!   counters, errors by name and a [`Latency`] distribution.
//! - [`Latency`] (`latency`): HDR percentiles, exact min/mean/max and exact
//!   counts on 1-2-5 log buckets; [`CoarseHist`] for many small cells.
//! - [`Series`] (`series`): calls, errors and p50/p99 per interval and key.
//! - [`TopTable`] (`top`): clients, servers, files by calls, bytes, time.
//! - [`Slowest`], [`ErrorList`] (`notable`): exchanges with frame numbers.
//! - [`Analysis`] (`analysis`): all of the above fed in one pass.
//!
//! Contract: sans-IO (events in, numbers out: no printing, no clock), and
//! every table bounded by a [`Limits`](crate::limits::Limits) value; a hit
//! bound is counted, never a panic.

pub mod analysis;
pub mod latency;
pub mod names;
pub mod notable;
pub mod series;
pub mod table;
pub mod top;

pub use analysis::{Analysis, SeriesShape};
pub use latency::{CoarseHist, Latency, LOG_BUCKETS, LOG_BUCKET_BOUNDS_US};
pub use notable::{ErrorList, Notable, Slowest};
pub use series::{Cell, Point, Series};
pub use table::{GroupBy, Stats, StatsKey, StatsRow};
pub use top::{Rank, TopEntry, TopTable};
