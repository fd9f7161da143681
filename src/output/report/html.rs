//! HTML text for the report: escaping, the page's head (inline CSS, a
//! Content-Security-Policy that forbids every fetch) and foot (a few lines
//! of inline script that make tables sortable), and small table helpers.
//! Everything from a capture (paths, names) goes through [`esc`].

use std::fmt::Write as _;

/// `s` with `&`, `<`, `>`, `"` and `'` escaped (text and attribute values).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// JSON text for a `<script type="application/json">` element: `</` is
/// written `<\/` so no string can end the element.
pub fn script_json(json: &str) -> String {
    json.replace("</", "<\\/")
}

const CSS: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;color:#222}
h1{margin:20px 0 4px}h2{margin-top:36px;border-bottom:1px solid #ccc}
nav a{margin-right:12px}.meta{color:#666}
table{border-collapse:collapse;margin:8px 0}.wide{overflow-x:auto}
th,td{padding:2px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f4f4f4;cursor:pointer}td.l,th.l{text-align:left}
td.path{white-space:normal;word-break:break-all;text-align:left;max-width:420px}
.grid{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;padding:4px}figcaption{font-weight:600;padding:2px 4px}
.kv th{text-align:left}.err{color:#b00}.note{color:#666}
";

/// A tiny script: sorting by a click on a column head (numbers by their
/// `data-v` value), then a marker that it ran (`data-ready="1"`), which
/// the headless-browser test reads.
const SCRIPT: &str = "
document.querySelectorAll('table.sort').forEach(function(t){
 t.querySelectorAll('thead th').forEach(function(h,i){h.addEventListener('click',function(){
  var b=t.tBodies[0],r=Array.from(b.rows),d=h.dataset.d==='1'?-1:1;h.dataset.d=d===1?'1':'0';
  var v=function(x){var c=x.cells[i];var n=c&&c.dataset.v;return n!==undefined&&n!==''?parseFloat(n):(c?c.textContent:'');};
  r.sort(function(a,c){var p=v(a),q=v(c);return (p>q?1:p<q?-1:0)*d;});r.forEach(function(x){b.appendChild(x);});
 });});
});
document.body.dataset.ready='1';
";

/// The page up to `<body>` and the title.
pub fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>{CSS}</style></head>\n<body data-ready=\"0\">\n",
        esc(title)
    );
}

/// The script and the end of the page.
pub fn foot(out: &mut String) {
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
}

/// A table cell: `l` aligns left; `v` is the sort (and test) value.
pub struct Cell {
    pub text: String,
    pub v: Option<String>,
    pub class: &'static str,
    pub field: &'static str,
}

/// A number cell whose text is its value.
pub fn num(field: &'static str, n: impl ToString) -> Cell {
    let s = n.to_string();
    Cell {
        text: s.clone(),
        v: Some(s),
        class: "",
        field,
    }
}

/// A text cell, left-aligned.
pub fn text(field: &'static str, s: &str) -> Cell {
    Cell {
        text: s.to_string(),
        v: None,
        class: "l",
        field,
    }
}

/// A sortable table with a head row and body rows; `row_attrs` adds
/// attributes to each `<tr>` (already escaped).
pub fn table(
    out: &mut String,
    class: &str,
    head: &[&str],
    rows: impl IntoIterator<Item = (String, Vec<Cell>)>,
) {
    let _ = write!(out, "<table class=\"sort {class}\"><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (attrs, cells) in rows {
        let _ = write!(out, "<tr{attrs}>");
        for c in cells {
            out.push_str("<td");
            if !c.class.is_empty() {
                let _ = write!(out, " class=\"{}\"", c.class);
            }
            if !c.field.is_empty() {
                let _ = write!(out, " data-field=\"{}\"", c.field);
            }
            if let Some(v) = &c.v {
                let _ = write!(out, " data-v=\"{}\"", esc(v));
            }
            let _ = write!(out, ">{}</td>", esc(&c.text));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// A chart in a figure, with its kind and number of data points for the
/// test (`data-chart`, `data-points`), or a note when there is no data.
pub fn figure(out: &mut String, kind: &str, caption: &str, points: usize, svg: Option<String>) {
    match svg {
        Some(svg) if points > 0 => {
            let _ = writeln!(
                out,
                "<figure data-chart=\"{kind}\" data-points=\"{points}\"><figcaption>{}</figcaption>{svg}</figure>",
                esc(caption)
            );
        }
        _ => {
            let _ = writeln!(out, "<p class=\"note\">{}: no data.</p>", esc(caption));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_text_cannot_open_a_tag_or_end_a_script() {
        assert_eq!(
            esc(r#"<img src=x onerror="a">&'"#),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
        assert_eq!(script_json(r#"["</script><b>"]"#), r#"["<\/script><b>"]"#);
        let mut s = String::new();
        table(
            &mut s,
            "",
            &["a"],
            [(String::new(), vec![text("path", "</td><script>")])],
        );
        assert!(!s.contains("<script>"), "{s}");
    }
}
