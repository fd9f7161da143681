//! UTC calendar dates and times of capture timestamps, for CSV text and
//! partition directories (no time zone database: always UTC).

use crate::capture::Timestamp;

/// A UTC date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

impl Utc {
    /// The UTC date and time of `ts`.
    pub fn of(ts: Timestamp) -> Self {
        let secs = ts.0.div_euclid(1_000_000_000);
        let nanos = ts.0.rem_euclid(1_000_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
            nanos,
        }
    }

    /// ISO 8601 with the fraction the capture holds: 6 digits, or 9 when
    /// the time has sub-microsecond digits (`2013-07-22T11:51:31.802141Z`).
    pub fn iso8601(&self) -> String {
        let frac = if self.nanos.is_multiple_of(1000) {
            format!("{:06}", self.nanos / 1000)
        } else {
            format!("{:09}", self.nanos)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{frac}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_instants() {
        // `date -u -d @1374493891` = 2013-07-22 11:51:31
        let t = Utc::of(Timestamp(1_374_493_891_802_141_000));
        assert_eq!(t.iso8601(), "2013-07-22T11:51:31.802141Z");
        assert_eq!(
            Utc::of(Timestamp(0)).iso8601(),
            "1970-01-01T00:00:00.000000Z"
        );
        // 2000-02-29 (leap day) 23:59:59.000000001
        let t = Utc::of(Timestamp(951_868_799_000_000_001));
        assert_eq!(t.iso8601(), "2000-02-29T23:59:59.000000001Z");
        // Before the epoch: 1969-12-31 23:59:59.5
        let t = Utc::of(Timestamp(-500_000_000));
        assert_eq!(t.iso8601(), "1969-12-31T23:59:59.500000Z");
        assert_eq!(Utc::of(Timestamp(4_102_444_800_000_000_000)).year, 2100);
    }
}
