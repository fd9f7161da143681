//! `read --format parquet|csv` read back by the tools people use: pyarrow
//! and DuckDB (in a venv made by `common::pyenv`) compare every capture's
//! export with its JSON Lines output (row counts, column types, values of
//! sampled rows, Hive partitions): the bundled captures, and the public
//! corpus of `../shared` when present.
#![cfg(feature = "export")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rpcscope::output::export::columns::{COLUMNS, SCHEMA_VERSION};

fn run(args: &[&str], stdout: Option<&Path>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rpcscope"));
    cmd.args(args);
    if let Some(p) = stdout {
        cmd.stdout(std::fs::File::create(p).unwrap());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "rpcscope {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bundled captures and, when present, the public corpus.
fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    match common::shared_dir() {
        Some(shared) => v.extend(
            common::public_captures(&shared)
                .into_iter()
                .map(|n| shared.join("captures/public").join(n)),
        ),
        None => common::skip("export over the public corpus", "../shared is absent"),
    }
    v
}

#[test]
fn parquet_and_csv_read_back_equal_json_lines() {
    let py = match common::pyenv::python_with(&["pyarrow", "duckdb"]) {
        Ok(p) => p,
        Err(why) => return common::skip("parquet_and_csv_read_back_equal_json_lines", &why),
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("export-test");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let mut cases = Vec::new();
    for (i, cap) in captures().iter().enumerate() {
        let c = cap.to_str().unwrap();
        let base = work.join(format!("{i:02}"));
        let (jsonl, csv) = (base.with_extension("jsonl"), base.with_extension("csv"));
        let (flat, hour) = (base.join("flat"), base.join("hour"));
        run(&["read", "--format", "json", c], Some(&jsonl));
        run(
            &["read", "--format", "csv", "-o", csv.to_str().unwrap(), c],
            None,
        );
        run(
            &[
                "read",
                "--format",
                "parquet",
                "-o",
                flat.to_str().unwrap(),
                c,
            ],
            None,
        );
        let h = hour.to_str().unwrap();
        run(
            &[
                "read",
                "--format",
                "parquet",
                "--partition",
                "hour",
                "-o",
                h,
                c,
            ],
            None,
        );
        cases.push(serde_json::json!({
            "name": cap.file_name().unwrap().to_string_lossy(),
            "jsonl": jsonl, "csv": csv, "flat": flat, "hour": hour,
        }));
    }
    let columns: Vec<_> = COLUMNS
        .iter()
        .map(|c| serde_json::json!([c.name, format!("{:?}", c.kind)]))
        .collect();
    let manifest = work.join("manifest.json");
    let m = serde_json::json!({
        "columns": columns, "schema_version": SCHEMA_VERSION, "cases": cases,
    });
    std::fs::write(&manifest, m.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export/check_export.py");
    let out = Command::new(py)
        .arg(script)
        .arg(&manifest)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "the export differs from JSON Lines:\n{text}"
    );
    assert!(text.contains(&format!("ok: {} captures", cases.len())));
}

#[test]
fn a_second_run_adds_files_and_refuses_to_overwrite_a_csv() {
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("export-rerun");
    let _ = std::fs::remove_dir_all(&work);
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/ganesha-nfs.pcap");
    let (c, d) = (cap.to_str().unwrap(), work.to_str().unwrap());
    run(&["read", "--format", "parquet", "-o", d, c], None);
    run(&["read", "--format", "parquet", "-o", d, c], None);
    let mut names: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["part-00000.parquet", "part-00001.parquet"]);
    let csv = work.join("x.csv");
    run(
        &["read", "--format", "csv", "-o", csv.to_str().unwrap(), c],
        None,
    );
    let len = std::fs::metadata(&csv).unwrap().len();
    let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["read", "--format", "csv", "-o", csv.to_str().unwrap(), c])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    assert_eq!(std::fs::metadata(&csv).unwrap().len(), len);
    // --partition without parquet, parquet without -o: usage errors.
    for args in [
        &["read", "--format", "csv", "--partition", "day", c][..],
        &["read", "--format", "parquet", c][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
