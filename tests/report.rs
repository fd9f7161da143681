//! `rpcscope report` opened in a real headless Chromium: the page runs its
//! script without a console message (a Content-Security-Policy violation,
//! i.e. any fetch, would log one), every chart is present with data, and
//! its numbers equal `stats --format json` and the `read --format json`
//! summary of the same capture. Screenshots are kept under
//! `target/tmp/report-artifacts/` as test artifacts.
//!
//! Needs `chromium` (Debian's package): skips without it, fails under
//! `CI=true`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Runs in `dir` (captures are named relative to it, as a user would).
fn rpcscope(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The value of attribute `name` in the start tag `tag` (`<x a="1" ...`).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// The start tags and bodies of the elements whose start tag begins with
/// `open` (e.g. `<figure `), up to `close`.
fn elements<'a>(dom: &'a str, open: &str, close: &str) -> Vec<(&'a str, &'a str)> {
    dom.match_indices(open)
        .map(|(i, _)| {
            let rest = &dom[i..];
            let tag_end = rest.find('>').unwrap();
            let end = rest.find(close).unwrap_or(rest.len());
            (&rest[..tag_end], &rest[tag_end..end])
        })
        .collect()
}

/// `data-field` -> `data-v` of the cells in `html`.
fn cells(html: &str) -> Vec<(String, String)> {
    elements(html, "<td ", "</td>")
        .into_iter()
        .filter_map(|(tag, _)| Some((attr(tag, "data-field")?.into(), attr(tag, "data-v")?.into())))
        .collect()
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn browser(bin: &str, args: &[&str], page: &Path) -> (String, String) {
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args(["--enable-logging=stderr", "--v=0"])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check(bin: &str, capture: &Path, work: &Path) {
    let name = capture.file_name().unwrap().to_string_lossy().into_owned();
    let dir = capture.parent().unwrap();
    let c = &name[..];
    let page = work.join(format!("{name}.html"));
    let p = page.to_str().unwrap();
    rpcscope(dir, &["report", "-o", p, c]);
    let stats: Vec<Value> =
        serde_json::from_slice(&rpcscope(dir, &["stats", "--format", "json", c])).unwrap();
    let jsonl = rpcscope(dir, &["read", "--format", "json", c]);
    let summary: Value =
        serde_json::from_str(String::from_utf8_lossy(&jsonl).lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");

    let (dom, log) = browser(bin, &["--dump-dom"], &page);
    for line in log.lines() {
        assert!(
            !line.contains("CONSOLE") && !line.contains("Uncaught"),
            "{name}: console: {line}"
        );
    }
    assert!(
        dom.contains("<body data-ready=\"1\""),
        "{name}: the page's script did not run"
    );
    assert!(!dom.contains("http://") && !dom.contains("https://") || !dom.contains(" src=\"http"));

    // The embedded JSON is `stats --format json`, and so is every table row.
    let (_, embedded) = elements(
        &dom,
        "<script type=\"application/json\" id=\"stats-json\"",
        "</script>",
    )[0];
    let embedded: Vec<Value> = serde_json::from_str(&embedded[1..].replace("<\\/", "</")).unwrap();
    assert_eq!(embedded, stats, "{name}: embedded stats");
    let rows = elements(&dom, "<tr data-row=\"", "</tr>");
    assert_eq!(rows.len(), stats.len(), "{name}: procedure rows");
    for ((_, row), want) in rows.iter().zip(&stats) {
        let got = cells(row);
        assert!(got.len() >= 8, "{name}: {got:?}");
        for (field, v) in got {
            let w = match field.as_str() {
                "min" | "mean" | "p50" | "p90" | "p99" | "max" => &want["latency_us"][&field],
                "errors" => {
                    let n: u64 = want["errors"]
                        .as_object()
                        .unwrap()
                        .values()
                        .map(|v| v.as_u64().unwrap())
                        .sum();
                    assert_eq!(v, n.to_string(), "{name}: errors");
                    continue;
                }
                f => &want[f],
            };
            match w {
                Value::Number(n) => assert_eq!(
                    v.parse::<f64>().unwrap(),
                    n.as_f64().unwrap(),
                    "{name}: {field}"
                ),
                _ => assert_eq!(v, "-", "{name}: {field}"),
            }
        }
    }

    // Overview: the run summary of `read --format json`.
    let over = &elements(&dom, "<section id=\"overview\"", "</section>")[0].1;
    let ov: std::collections::HashMap<_, _> = elements(over, "<tr data-field=\"", "</tr>")
        .into_iter()
        .map(|(tag, body)| {
            let td = elements(body, "<td ", "</td>")[0].0;
            (
                attr(&format!(" {}", &tag[4..]), "data-field")
                    .unwrap()
                    .to_string(),
                attr(td, "data-v").unwrap().to_string(),
            )
        })
        .collect();
    for f in [
        "frames",
        "calls",
        "replies",
        "exchanges",
        "unmatched_calls",
        "orphan_replies",
        "retransmissions",
        "duplicate_replies",
    ] {
        assert_eq!(ov[f], summary[f].to_string(), "{name}: overview {f}");
    }
    let anomalies: u64 = summary["anomalies"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(ov["anomalies"], anomalies.to_string());
    let errors: u64 = stats
        .iter()
        .flat_map(|r| r["errors"].as_object().unwrap().values())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(ov["errors"], errors.to_string(), "{name}: overview errors");
    assert!(dom.contains(&format!("data-field=\"error_total\" data-v=\"{errors}\"")));
    let error_rows = elements(&dom, "<table class=\"sort errors\"", "</table>")[0]
        .1
        .matches("<tr>")
        .count()
        - 1; // the head row
    assert_eq!(
        error_rows as u64,
        errors.min(2000),
        "{name}: every error listed"
    );

    // Every chart has data: a histogram per row with replies (up to 24),
    // latency and rate over time for all traffic and the busiest ones.
    let figs = elements(&dom, "<figure ", "</figure>");
    let with_replies = stats
        .iter()
        .filter(|r| r["latency_us"]["count"].as_u64() > Some(0))
        .count();
    let kind = |k: &str| {
        figs.iter()
            .filter(|(t, _)| attr(t, "data-chart") == Some(k))
            .count()
    };
    assert_eq!(
        kind("histogram"),
        with_replies.min(24),
        "{name}: histograms"
    );
    if with_replies > 0 {
        assert!(
            kind("latency-time") >= 2 || (stats.len() == 1 && kind("latency-time") >= 1),
            "{name}"
        );
        assert_eq!(kind("rate-time"), kind("latency-time"), "{name}");
    }
    for (tag, body) in &figs {
        let n: usize = attr(tag, "data-points").unwrap().parse().unwrap();
        assert!(n > 0, "{name}: empty chart {tag}");
        assert!(body.contains("<svg"), "{name}: {tag} has no SVG");
        let marks = match attr(tag, "data-chart") {
            Some("histogram") => body.matches("<rect").count(),
            _ => body.matches("<polyline").count(),
        };
        assert!(marks >= 2, "{name}: {tag}: {marks} marks");
    }

    let png = work.join(format!("{name}.png"));
    let shot = format!("--screenshot={}", png.display());
    browser(
        bin,
        &[&shot, "--window-size=1280,2000", "--hide-scrollbars"],
        &page,
    );
    assert!(
        std::fs::metadata(&png).unwrap().len() > 20_000,
        "{name}: screenshot"
    );
    // The README's picture (docs/report.png is a copy): the top of the
    // page at half scale.
    if name.starts_with("nfstrace-eth-ipv4-tcp-nfsv3.") {
        let small = format!("--screenshot={}", work.join("readme-report.png").display());
        let args = [
            &small[..],
            "--window-size=1280,1500",
            "--force-device-scale-factor=0.5",
        ];
        browser(
            bin,
            &[args[0], args[1], args[2], "--hide-scrollbars"],
            &page,
        );
    }
}

#[test]
fn the_report_renders_in_chromium_with_the_numbers_of_stats() {
    let Some(bin) = chromium() else {
        return common::skip("report in chromium", "chromium is not installed");
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-artifacts");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut caps = vec![
        root.join("captures/ganesha-nfs.pcap"),
        root.join("captures/rpcbind-rpcinfo.pcap"),
    ];
    match common::shared_dir() {
        Some(s) => caps.extend(
            [
                "nfstrace-eth-ipv4-tcp-nfsv3.pcap.gz",
                "nfstrace-eth-ipv4-udp-nfsv3-dup-retransm.pcap",
                "zeek-portmapper-many-unanswered-calls.pcapng.gz",
                "nfstrace-tcp-seq-overlap-in-fragment-12721.pcap.gz",
            ]
            .map(|n| s.join("captures/public").join(n)),
        ),
        None => common::skip("report over the public corpus", "../shared is absent"),
    }
    for c in &caps {
        check(bin, c, &work);
    }
}
