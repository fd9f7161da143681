//! Helpers for tests that check decoded bodies (`args`, `result`) against
//! ground truth printed by a real peer: reading truth JSON Lines, running
//! `rpcscope read --format json --idl`, comparing JSON values with a path
//! to the first difference, and the skip-or-fail rule for tests that need
//! tools. Included with `#[path]` by the tests that use it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The repository root (captures live under it).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A test that cannot run here: a note on a user's machine, a failure in
/// CI (`CI=true`), where every test must really run.
pub fn skip_or_fail(test: &str, why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: {why} (CI=true: this test must run in CI)");
    }
    eprintln!("note: skipping {test}: {why}");
}

/// True when `tool` is on the PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What building and running the rpcgen demo peer needs that is missing
/// here (`None`: everything is): rpcgen, a C compiler, libtirpc-dev, and
/// `tools` besides.
pub fn rpcgen_demo_missing(tools: &[&str]) -> Option<String> {
    for tool in ["rpcgen", "cc"].iter().chain(tools) {
        if !have(tool) {
            return Some(format!("{tool} is not installed"));
        }
    }
    if !Path::new("/usr/include/tirpc/rpc/rpc.h").exists() {
        return Some("libtirpc-dev is not installed".into());
    }
    None
}

/// Builds the rpcgen demo's `demo_server` and `demo_client` from
/// `captures/rpcgen-demo` into `dir` with the steps of
/// `captures/make-rpcgen.sh` (`--build DIR`, the one place they are
/// written).
pub fn build_rpcgen_demo(dir: &Path) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(repo().join("captures/make-rpcgen.sh"))
        .arg("--build")
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run captures/make-rpcgen.sh --build");
    assert!(
        out.status.success() && dir.join("demo_server").exists(),
        "captures/make-rpcgen.sh --build failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// True when this process may make a private network namespace (root).
pub fn can_unshare() -> bool {
    Command::new("timeout")
        .args(["10", "unshare", "--net", "--mount", "--fork", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One call as the peer saw it: one line of a `*.truth.jsonl` file.
#[derive(Debug, Clone)]
pub struct Truth {
    /// 1-based line number in the truth file (for messages).
    pub line: usize,
    pub proc_name: String,
    pub transport: String,
    pub xid: Option<u64>,
    pub args: Value,
    pub result: Value,
}

/// Reads a truth file: `{"proc", "transport", "xid"?, "args", "result"}`
/// per line.
pub fn read_truth(path: &Path) -> Vec<Truth> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read truth {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            let s = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("{}:{}: no string {k:?}", path.display(), i + 1))
                    .to_string()
            };
            for k in ["args", "result"] {
                assert!(v.get(k).is_some(), "{}:{}: no {k:?}", path.display(), i + 1);
            }
            Truth {
                line: i + 1,
                proc_name: s("proc"),
                transport: s("transport"),
                xid: v.get("xid").and_then(Value::as_u64),
                args: v["args"].clone(),
                result: v["result"].clone(),
            }
        })
        .collect()
}

/// `rpcscope read --format json --idl IDL PCAP`: the exchange objects.
pub fn read_with_idl(idl: &Path, pcap: &Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["read", "--format", "json", "--idl"])
        .arg(idl)
        .arg(pcap)
        .stdin(Stdio::null())
        .output()
        .expect("run rpcscope");
    assert!(
        out.status.success(),
        "rpcscope read --idl {} {} failed ({}):\n{}",
        idl.display(),
        pcap.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("JSON output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["type"] == "exchange")
        .collect()
}

/// Where `got` differs from `want`, as `path: want X, got Y`; `None` when
/// equal. Objects must have the same keys; arrays the same length. Numbers
/// are equal when they are the same integer, or the same double where one
/// is written as a float (`3` and `3.0`); an integer beyond 2^53 never
/// equals a float (that would hide a hyper decoded through a double).
pub fn json_diff(want: &Value, got: &Value, path: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            // The order of keys in the JSON text does not matter.
            let mut wk: Vec<&String> = w.keys().collect();
            let mut gk: Vec<&String> = g.keys().collect();
            wk.sort();
            gk.sort();
            if wk != gk {
                return Some(format!("{path}: want keys {wk:?}, got keys {gk:?}"));
            }
            w.iter()
                .find_map(|(k, wv)| json_diff(wv, &g[k], &format!("{path}.{k}")))
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Some(format!(
                    "{path}: want {} elements, got {}",
                    w.len(),
                    g.len()
                ));
            }
            w.iter()
                .zip(g)
                .enumerate()
                .find_map(|(i, (wv, gv))| json_diff(wv, gv, &format!("{path}[{i}]")))
        }
        (Value::Number(w), Value::Number(g)) => {
            (!numbers_equal(w, g)).then(|| format!("{path}: want {w}, got {g}"))
        }
        _ => (want != got).then(|| format!("{path}: want {want}, got {got}")),
    }
}

fn numbers_equal(w: &serde_json::Number, g: &serde_json::Number) -> bool {
    let int = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(w), int(g)) {
        (Some(a), Some(b)) => a == b,
        (Some(i), None) | (None, Some(i)) => {
            i.unsigned_abs() <= 1 << 53 && w.as_f64() == g.as_f64()
        }
        (None, None) => w.as_f64() == g.as_f64(),
    }
}

/// Checks every truth line against the decoded exchanges: the k-th truth
/// line with a (procedure name, transport) matches the k-th exchange with
/// that `procedure_name` and `transport`, in output order; its `xid` (when
/// the truth has one), `args` and `result` must be equal. Returns the
/// number of lines checked, or every difference found.
pub fn check_exchanges(truth: &[Truth], exchanges: &[Value]) -> Result<usize, String> {
    let mut queues: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    for e in exchanges {
        let key = (
            e["procedure_name"].as_str().unwrap_or("").to_string(),
            e["transport"].as_str().unwrap_or("").to_string(),
        );
        queues.entry(key).or_default().push(e);
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for t in truth {
        let key = (t.proc_name.clone(), t.transport.clone());
        let k = seen.entry(key.clone()).or_insert(0);
        let here = format!(
            "truth line {} ({} over {})",
            t.line, t.proc_name, t.transport
        );
        let Some(e) = queues.get(&key).and_then(|q| q.get(*k)) else {
            errors.push(format!("{here}: no exchange #{} with that name", *k + 1));
            continue;
        };
        *k += 1;
        if let Some(x) = t.xid {
            if e["xid"].as_u64() != Some(x) {
                errors.push(format!("{here}: xid {x}, exchange has {}", e["xid"]));
                continue;
            }
        }
        for (part, want) in [("args", &t.args), ("result", &t.result)] {
            if let Some(d) = json_diff(want, &e[part], part) {
                errors.push(format!("{here}: {d}"));
            }
        }
    }
    if errors.is_empty() {
        Ok(truth.len())
    } else {
        Err(errors.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_diff_finds_the_first_difference_with_its_path() {
        let want = json!({"a": [1, {"b": "x"}], "f": 3});
        assert_eq!(
            json_diff(&want, &json!({"a": [1, {"b": "x"}], "f": 3.0}), "v"),
            None
        );
        assert_eq!(
            json_diff(&want, &json!({"a": [1, {"b": "y"}], "f": 3}), "v").unwrap(),
            "v.a[1].b: want \"x\", got \"y\""
        );
        assert!(json_diff(&want, &json!({"a": [1], "f": 3}), "v")
            .unwrap()
            .contains("want 2 elements, got 1"));
        assert!(json_diff(&want, &json!({"a": [1, {"b": "x"}]}), "v")
            .unwrap()
            .contains("want keys"));
        // A u64 beyond 2^53 must not equal its nearest double.
        let big = json!(18446744073709551615u64);
        assert!(json_diff(&big, &json!(1.8446744073709552e19), "h").is_some());
        assert_eq!(json_diff(&big, &json!(18446744073709551615u64), "h"), None);
        assert!(json_diff(&json!(-1), &json!(1), "i").is_some());
    }
}
