//! CSV export (RFC 4180): a header line of column names, then one line per
//! exchange. Nulls are empty fields; empty strings are `""`; times are ISO
//! 8601 in UTC; `args`, `result` and `body_error` are JSON text, quoted.

use std::io::{self, Write};

use super::civil::Utc;
use super::columns::COLUMNS;
use super::row::{Row, Value};
use super::RowWriter;

/// Writes CSV to `W`.
pub struct CsvWriter<W: Write> {
    out: W,
    header: bool,
    line: String,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> Self {
        CsvWriter {
            out,
            header: false,
            line: String::with_capacity(1024),
        }
    }
    fn header(&mut self) -> io::Result<()> {
        if !self.header {
            self.header = true;
            let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
            writeln!(self.out, "{}", names.join(","))?;
        }
        Ok(())
    }
}

/// Appends `s` as one CSV field, quoted when it must be (or is empty).
pub fn field(line: &mut String, s: &str) {
    if !s.is_empty() && !s.contains([',', '"', '\n', '\r']) {
        line.push_str(s);
        return;
    }
    line.push('"');
    for ch in s.chars() {
        if ch == '"' {
            line.push('"');
        }
        line.push(ch);
    }
    line.push('"');
}

impl<W: Write> RowWriter for CsvWriter<W> {
    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.header()?;
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let mut first = true;
        row.values(&mut |v| {
            if !first {
                line.push(',');
            }
            first = false;
            match v {
                Value::Null => {}
                Value::Str(s) => field(&mut line, &s),
                Value::I64(n) => line.push_str(itoa::Buffer::new().format(n)),
                Value::I32(n) => line.push_str(itoa::Buffer::new().format(n)),
                Value::F64(x) => line.push_str(&x.to_string()),
                Value::Bool(b) => line.push_str(if b { "true" } else { "false" }),
                Value::Time(t) => line.push_str(&Utc::of(t).iso8601()),
            }
        });
        line.push('\n');
        let r = self.out.write_all(line.as_bytes());
        self.line = line;
        r
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut s = String::new();
        for f in ["plain", "a,b", r#"{"k":"v"}"#, "", "two\nlines"] {
            field(&mut s, f);
            s.push('|');
        }
        assert_eq!(
            s,
            r#"plain|"a,b"|"{""k"":""v""}"|""|"two
lines"|"#
        );
    }
}
