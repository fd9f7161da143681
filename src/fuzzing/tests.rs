//! The targets on their hand-made seeds, the seed writer, and regression
//! tests for what the fuzzers found (each named after the bug).

use super::*;

/// Writes the hand-made seeds into `fuzz/corpus/<target>/`.
/// Run: `cargo test --lib fuzzing::tests::write_seeds -- --ignored`.
#[test]
#[ignore]
fn write_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, name, bytes) in seeds::all() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn every_target_accepts_its_hand_made_seeds() {
    for (target, name, bytes) in seeds::all() {
        let (_, f) = TARGETS.iter().find(|(t, _)| *t == target).unwrap();
        let r = std::panic::catch_unwind(|| f(&bytes));
        assert!(r.is_ok(), "{target}/{name}");
    }
}

#[test]
fn every_target_accepts_empty_and_short_inputs() {
    for (_, f) in TARGETS {
        for n in 0..64u8 {
            f(&(0..n).collect::<Vec<u8>>());
            f(&vec![n; n as usize]);
        }
    }
}

#[test]
fn record_seed_splits_marks_into_three_fragments() {
    let (_, bytes) = seeds::records().remove(0);
    let limits = small_limits();
    let s = record::build_stream(&mut Input::new(&bytes), &limits);
    assert!(matches!(
        s.expected[0],
        record::Rec::Record { fragments: 3, .. }
    ));
}
