//! Time stamps of text lines (`-t/--time`): the formats of tcpdump's
//! `-t`/`-tt`/`-ttt`/`-tttt` and tshark's `-t a|ad|e|r|dd`.
//!
//! A [`Clock`] turns a capture [`Timestamp`] into text. It keeps the first
//! frame's time (`relative`) and the previous line's (`delta`), nothing
//! else; `local` holds the time zone loaded when the clock was made (from
//! `TZ` or `/etc/localtime`), so formatting never reads a file (it runs
//! inside the sandbox). Microsecond precision, as tcpdump prints and as
//! tshark prints microsecond captures; a negative difference (frames out of
//! order) keeps its sign. Formatting never fails and never panics, whatever
//! the timestamp.

use std::fmt::Write as _;

use crate::capture::Timestamp;
use crate::cli::TimeFormat;

const NS: i64 = 1_000_000_000;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Clock {
    format: TimeFormat,
    zone: Option<jiff::tz::TimeZone>,
    first: Option<Timestamp>,
    prev: Option<Timestamp>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            format: TimeFormat::Absolute,
            zone: None,
            first: None,
            prev: None,
        }
    }
}

impl Clock {
    /// A clock for `format`; `local` loads the system time zone now (an
    /// error says why it cannot).
    pub fn new(format: TimeFormat) -> Result<Clock, String> {
        let zone = match format {
            TimeFormat::Local => Some(
                jiff::tz::TimeZone::try_system()
                    .map_err(|e| format!("-t local: cannot load the local time zone: {e}"))?,
            ),
            _ => None,
        };
        Ok(Clock {
            format,
            zone,
            ..Clock::default()
        })
    }

    /// A clock for `format` in time zone `zone` (tests).
    pub fn with_zone(format: TimeFormat, zone: jiff::tz::TimeZone) -> Clock {
        Clock {
            format,
            zone: Some(zone),
            ..Clock::default()
        }
    }

    /// The first frame of an input: `relative` counts from the first one
    /// ever given.
    pub fn first_frame(&mut self, ts: Timestamp) {
        self.first.get_or_insert(ts);
    }

    /// Appends the time of a line stamped `ts` to `out` (and remembers it
    /// as the previous line's).
    pub fn write(&mut self, out: &mut String, ts: Timestamp) {
        match self.format {
            TimeFormat::Absolute => {
                let (secs, micros) = split(ts.0);
                let day = secs.rem_euclid(86_400);
                let _ = write!(
                    out,
                    "{:02}:{:02}:{:02}.{micros:06}",
                    day / 3600,
                    day / 60 % 60,
                    day % 60
                );
            }
            TimeFormat::Date => civil(out, ts, &jiff::tz::TimeZone::UTC),
            TimeFormat::Local => match &self.zone {
                Some(z) => civil(out, ts, z),
                None => civil(out, ts, &jiff::tz::TimeZone::UTC),
            },
            TimeFormat::Epoch => seconds(out, ts.0),
            TimeFormat::Relative => {
                let first = *self.first.get_or_insert(ts);
                seconds(out, ts.0.saturating_sub(first.0));
            }
            TimeFormat::Delta => {
                let prev = self.prev.unwrap_or(ts);
                seconds(out, ts.0.saturating_sub(prev.0));
            }
        }
        self.prev = Some(ts);
    }
}

/// Whole seconds and microseconds (floored: a time before 1970 counts back).
fn split(ns: i64) -> (i64, i64) {
    (ns.div_euclid(NS), ns.rem_euclid(NS) / 1000)
}

/// `S.uuuuuu`, with a minus sign for a negative span.
fn seconds(out: &mut String, ns: i64) {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    let _ = write!(
        out,
        "{sign}{}.{:06}",
        abs / NS as u64,
        abs % NS as u64 / 1000
    );
}

/// `YYYY-MM-DD HH:MM:SS.uuuuuu` in `zone`.
fn civil(out: &mut String, ts: Timestamp, zone: &jiff::tz::TimeZone) {
    let (secs, micros) = split(ts.0);
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => {
            let d = zone.to_datetime(t);
            let _ = write!(
                out,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{micros:06}",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minute(),
                d.second()
            );
        }
        // Beyond what a calendar holds (year 9999): the epoch seconds.
        Err(_) => seconds(out, ts.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2013-07-22 11:51:31.771516 UTC (the capture time in the issue).
    const T: Timestamp = Timestamp(1_374_493_891_771_516_000);

    fn show(c: &mut Clock, ts: Timestamp) -> String {
        let mut s = String::new();
        c.write(&mut s, ts);
        s
    }

    #[test]
    fn each_format_of_one_time() {
        let mut c = Clock::new(TimeFormat::Absolute).unwrap();
        assert_eq!(show(&mut c, T), "11:51:31.771516");
        let mut c = Clock::new(TimeFormat::Date).unwrap();
        assert_eq!(show(&mut c, T), "2013-07-22 11:51:31.771516");
        let mut c = Clock::new(TimeFormat::Epoch).unwrap();
        assert_eq!(show(&mut c, T), "1374493891.771516");
        let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
        let mut c = Clock::with_zone(TimeFormat::Local, ny);
        assert_eq!(show(&mut c, T), "2013-07-22 07:51:31.771516", "EDT, UTC-4");
    }

    #[test]
    fn relative_counts_from_the_first_frame_and_delta_from_the_previous_line() {
        let mut r = Clock::new(TimeFormat::Relative).unwrap();
        r.first_frame(Timestamp(T.0 - 1_500_000));
        r.first_frame(T); // a later input does not move the origin
        assert_eq!(show(&mut r, T), "0.001500");
        assert_eq!(show(&mut r, Timestamp(T.0 + 2 * NS)), "2.001500");
        let mut d = Clock::new(TimeFormat::Delta).unwrap();
        assert_eq!(show(&mut d, T), "0.000000");
        assert_eq!(show(&mut d, Timestamp(T.0 + 250_000)), "0.000250");
        // Out of order: the sign is kept.
        assert_eq!(show(&mut d, T), "-0.000250");
    }

    #[test]
    fn extreme_times_do_not_panic() {
        for f in [
            TimeFormat::Absolute,
            TimeFormat::Date,
            TimeFormat::Epoch,
            TimeFormat::Relative,
            TimeFormat::Delta,
        ] {
            let mut c = Clock::new(f).unwrap();
            for ts in [i64::MIN, -1, 0, i64::MAX] {
                assert!(!show(&mut c, Timestamp(ts)).is_empty());
            }
        }
        let mut c = Clock::new(TimeFormat::Date).unwrap();
        assert_eq!(show(&mut c, Timestamp(-1000)), "1969-12-31 23:59:59.999999");
    }
}
