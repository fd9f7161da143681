//! The public corpus (`../shared/captures/public`) against tshark's decodes
//! (`../shared/refs/public/*.tsv`): every call and reply tshark finds, at the
//! same frame with the same XID and message type.
//!
//! Skips (with a note) where `../shared` is absent, as in a user's clone.

mod common;

use common::*;

/// Files where rpcscope finds fewer than 95% of tshark's messages, each with
/// the test that shows tshark is the one that is wrong there.
const TSHARK_WRONG: &[(&str, &str)] = &[];

#[test]
fn public_corpus_agrees_with_tshark() {
    let Some(shared) = shared_dir() else {
        eprintln!("note: ../shared not found; skipping the public corpus comparison");
        return;
    };
    let dir = shared.join("captures/public");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && n != "SHA256SUMS")
        .collect();
    names.sort();
    let (mut total_ref, mut total_match, mut total_ours) = (0u64, 0u64, 0u64);
    let mut report = String::new();
    let mut low = Vec::new();
    for name in &names {
        let tsv = std::fs::read_to_string(shared.join("refs/public").join(format!("{name}.tsv")))
            .unwrap();
        let reference = tshark_messages(&tsv);
        let (ours, err) = decode(&dir.join(name));
        let ours = ours.messages();
        let r: u64 = reference.values().map(|v| *v as u64).sum();
        let o: u64 = ours.values().map(|v| *v as u64).sum();
        let m = matched(&reference, &ours);
        total_ref += r;
        total_match += m;
        total_ours += o;
        let pct = if r == 0 {
            100.0
        } else {
            100.0 * m as f64 / r as f64
        };
        report += &format!(
            "{name}: tshark {r}, matched {m} ({pct:.2}%), rpcscope {o}; {}\n",
            String::from_utf8_lossy(&err).trim()
        );
        if pct < 95.0 && !TSHARK_WRONG.iter().any(|(f, _)| f == name) {
            low.push(name.clone());
        }
    }
    let pct = 100.0 * total_match as f64 / total_ref as f64;
    eprintln!("{report}TOTAL: tshark {total_ref}, matched {total_match} ({pct:.3}%), rpcscope {total_ours}");
    assert!(
        low.is_empty(),
        "files below 95% of tshark without a test showing tshark wrong: {low:?}"
    );
    assert!(
        pct >= 99.5,
        "only {pct:.3}% of tshark's calls and replies found"
    );
}
