//! Replays every committed fuzz corpus file through the same library
//! functions the fuzz targets call (`rpcscope::fuzzing`), as an ordinary
//! test: no nightly, no cargo-fuzz. A corpus file that makes a target panic
//! fails the test with the file's path.
//!
//! The crate's dev-dependency on itself turns on the `arbitrary` feature,
//! which is what builds `rpcscope::fuzzing`.

use std::path::{Path, PathBuf};

use rpcscope::fuzzing::{seeds, TARGETS};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn every_committed_corpus_file_replays_without_a_finding() {
    let mut total = 0;
    for (name, target) in TARGETS {
        let dir = corpus_root().join(name);
        let files = files(&dir);
        assert!(!files.is_empty(), "{}: no seeds", dir.display());
        for f in files {
            let data = std::fs::read(&f).unwrap();
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                panic!(
                    "{} fails: cargo fuzz run {name} {}",
                    f.display(),
                    f.display()
                );
            }
            total += 1;
        }
    }
    assert!(total >= TARGETS.len());
}

#[test]
fn every_corpus_directory_is_a_target() {
    for entry in std::fs::read_dir(corpus_root()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            TARGETS.iter().any(|(t, _)| *t == name),
            "fuzz/corpus/{name} has no target in rpcscope::fuzzing::TARGETS"
        );
    }
}

#[test]
fn hand_made_seeds_are_committed_and_current() {
    for (target, name, bytes) in seeds::all() {
        let path = corpus_root().join(target).join(name);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (regenerate: cargo test --lib fuzzing::tests::write_seeds -- --ignored)",
                path.display()
            )
        });
        assert!(
            on_disk == bytes,
            "{} is stale; regenerate it",
            path.display()
        );
    }
}

#[test]
fn every_fuzz_target_file_is_one_line_calling_the_library() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for (name, _) in TARGETS {
        let src = std::fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
        let call = format!("rpcscope::fuzzing::{name}(data)");
        assert!(
            src.contains(&call),
            "fuzz_targets/{name}.rs must call {call}"
        );
    }
}
