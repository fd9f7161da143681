//! A small JSON writer for the hot path: exchange objects are written
//! straight into a reused byte buffer, with no intermediate value and no
//! allocation per object. What is written is described by the schema types
//! in [`super::schema`]; this module only knows JSON's syntax.
//!
//! Contract: every string is escaped per RFC 8259 (control characters as
//! `\u00XX`); numbers are exact (integers as integers, capture times and
//! latencies as decimal fractions of their integer nanoseconds, so no float
//! rounding shows).

use std::io::Write as _;

/// Writes one JSON object at a time into a buffer.
pub struct ObjectWriter<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> ObjectWriter<'o> {
    /// Opens an object at the end of `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    /// Writes `"name":` (with the comma before it when needed). Keys are
    /// the schema's field names: plain identifiers, written unescaped.
    /// Inlined: the names are literals, so the copies become stores of
    /// known length.
    #[inline(always)]
    pub fn key(&mut self, name: &str) -> &mut Vec<u8> {
        debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        let out = &mut *self.out;
        out.reserve(name.len() + 4);
        if !self.first {
            out.push(b',');
        }
        self.first = false;
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        out
    }

    /// An endpoint as a JSON string, `"10.0.0.1:2049"` or
    /// `"[fe80::1]:2049"`: the same text as its `Display`, with IPv4 (most
    /// traffic) written without the formatting machinery.
    pub fn endpoint(&mut self, name: &str, e: &crate::net::Endpoint) {
        let w = self.key(name);
        w.push(b'"');
        push_endpoint(w, e);
        w.push(b'"');
    }

    #[inline(always)]
    pub fn str(&mut self, name: &str, v: &str) {
        string(self.key(name), v);
    }

    #[inline(always)]
    pub fn opt_str(&mut self, name: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(name, v),
            None => self.null(name),
        }
    }

    #[inline(always)]
    pub fn u64(&mut self, name: &str, v: u64) {
        let mut b = itoa::Buffer::new();
        self.key(name).extend_from_slice(b.format(v).as_bytes());
    }

    #[inline(always)]
    pub fn opt_u64(&mut self, name: &str, v: Option<u64>) {
        match v {
            Some(v) => self.u64(name, v),
            None => self.null(name),
        }
    }

    #[inline(always)]
    pub fn bool(&mut self, name: &str, v: bool) {
        self.key(name)
            .extend_from_slice(if v { b"true" } else { b"false" });
    }

    #[inline(always)]
    pub fn null(&mut self, name: &str) {
        self.key(name).extend_from_slice(b"null");
    }

    /// A value that is already JSON text.
    #[inline(always)]
    pub fn raw(&mut self, name: &str, json: &[u8]) {
        self.key(name).extend_from_slice(json);
    }

    #[inline(always)]
    pub fn opt_raw(&mut self, name: &str, json: Option<&[u8]>) {
        match json {
            Some(j) => self.raw(name, j),
            None => self.null(name),
        }
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// Appends `s` as a JSON string.
pub fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most strings need no escape: one pass the compiler vectorises.
    if !bytes
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f)
    {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a count of nanoseconds as a decimal number of `unit_ns` units
/// (1e9: seconds, 1e3: microseconds), exactly: `1374493891.771516`,
/// `103.0`. Trailing zeros of the fraction are dropped, but one digit is
/// always kept so the number reads as a fraction.
pub fn decimal(out: &mut Vec<u8>, ns: i64, unit_ns: u32) {
    let unit = unit_ns as i64;
    let neg = ns < 0;
    let abs = ns.unsigned_abs();
    let (int, mut frac) = (abs / unit as u64, abs % unit as u64);
    if neg {
        out.push(b'-');
    }
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(int).as_bytes());
    out.push(b'.');
    let mut digits = unit.ilog10() as usize;
    if frac == 0 {
        out.push(b'0');
        return;
    }
    while frac % 10 == 0 {
        frac /= 10;
        digits -= 1;
    }
    let s = b.format(frac);
    out.extend(std::iter::repeat_n(b'0', digits - s.len()));
    out.extend_from_slice(s.as_bytes());
}

/// Appends `bytes` as lowercase hex.
pub fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}

/// Appends `e` as its `Display` writes it.
pub fn push_endpoint(out: &mut Vec<u8>, e: &crate::net::Endpoint) {
    match e.addr {
        std::net::IpAddr::V4(a) => {
            let mut b = itoa::Buffer::new();
            let [x, y, z, t] = a.octets();
            out.extend_from_slice(b.format(x).as_bytes());
            for o in [y, z, t] {
                out.push(b'.');
                out.extend_from_slice(b.format(o).as_bytes());
            }
            out.push(b':');
            out.extend_from_slice(b.format(e.port).as_bytes());
        }
        std::net::IpAddr::V6(_) => {
            let _ = write!(out, "{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(ns: i64, unit: u32) -> String {
        let mut v = Vec::new();
        decimal(&mut v, ns, unit);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn endpoints_are_written_as_display_writes_them() {
        use crate::net::Endpoint;
        use std::net::IpAddr;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut addrs: Vec<IpAddr> = [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "::",
            "::1",
            "fe80::1",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        for _ in 0..500 {
            let x = next();
            addrs.push(IpAddr::from((x as u32).to_be_bytes()));
            addrs.push(IpAddr::from(
                ((x as u128) << 64 | next() as u128).to_be_bytes(),
            ));
        }
        for (i, addr) in addrs.into_iter().enumerate() {
            let e = Endpoint::new(addr, [0, 1, 111, 2049, 65535][i % 5]);
            let mut v = Vec::new();
            push_endpoint(&mut v, &e);
            assert_eq!(String::from_utf8(v).unwrap(), e.to_string());
        }
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(
            dec(1_374_493_891_771_516_000, 1_000_000_000),
            "1374493891.771516"
        );
        assert_eq!(
            dec(1_374_493_891_771_516_123, 1_000_000_000),
            "1374493891.771516123"
        );
        assert_eq!(dec(1_000_000_000, 1_000_000_000), "1.0");
        assert_eq!(dec(103_000, 1000), "103.0");
        assert_eq!(dec(103_500, 1000), "103.5");
        assert_eq!(dec(5, 1000), "0.005");
        assert_eq!(dec(-1_500_000_000, 1_000_000_000), "-1.5");
        for s in ["1374493891.771516", "103.5", "0.005", "-1.5"] {
            let v: f64 = s.parse().unwrap();
            assert!(v.is_finite());
        }
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let mut v = Vec::new();
        string(&mut v, "a\"b\\c\nd\u{1}é");
        assert_eq!(
            String::from_utf8(v.clone()).unwrap(),
            r#""a\"b\\c\nd\u0001é""#
        );
        let back: String = serde_json::from_slice(&v).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn objects_are_valid_json() {
        let mut v = Vec::new();
        let mut o = ObjectWriter::new(&mut v);
        o.str("type", "exchange");
        o.u64("xid", 7);
        o.opt_u64("n", None);
        o.bool("b", true);
        o.raw("args", br#"{"x":[1,2]}"#);
        o.end();
        let j: serde_json::Value = serde_json::from_slice(&v).unwrap();
        assert_eq!(j["type"], "exchange");
        assert_eq!(j["xid"], 7);
        assert!(j["n"].is_null());
        assert_eq!(j["args"]["x"][1], 2);
    }
}
