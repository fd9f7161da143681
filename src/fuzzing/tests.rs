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
        std::fs::write(dir.join(&name), bytes).unwrap();
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

/// The `server_service` seeds do what their names say (not just GARBAGE_ARGS).
#[test]
fn server_seeds_reach_what_they_are_named_after() {
    use crate::rpc::{AcceptBody::*, AuthStat, RejectBody};
    let run = |name: &str| {
        let (_, bytes) = seeds::server()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        server::run(&bytes)
    };
    let limits = server_limits();
    let (_, a) = run("portmap-set-then-getport");
    assert_eq!(a, [Some(Ok(Success)); 4]);
    let (s, a) = run("portmap-registrations-full");
    assert!(a.iter().all(|a| *a == Some(Ok(Success))));
    let regs = s.portmap().unwrap().registrations().len();
    assert_eq!(regs, limits.server_max_registrations);
    let (s, a) = run("testprog-store-full");
    assert!(a.iter().all(|a| *a == Some(Ok(Success))));
    assert_eq!(s.test_program().store_len(), limits.server_store_entries);
    let (_, a) = run("testprog-put-get-list");
    let tooweak = Some(Err(RejectBody::AuthError(AuthStat::TOOWEAK)));
    assert_eq!(a[..4], [Some(Ok(Success)); 4]);
    assert_eq!(a[4], tooweak);
    let (_, a) = run("upload-multi-fragment");
    let ok = Some(Ok(Success));
    assert_eq!(a, [ok, ok, ok, Some(Ok(SystemErr))]);
    let (_, a) = run("rpcvers-3");
    let mismatch = RejectBody::RpcMismatch { low: 2, high: 2 };
    assert_eq!(a, [Some(Err(mismatch))]);
    let (_, a) = run("unknown-program");
    assert_eq!(a, [Some(Ok(ProgUnavail))]);
    let (_, a) = run("prog-mismatch");
    let pm = |low, high| Some(Ok(ProgMismatch { low, high }));
    assert_eq!(a, [pm(2, 4), pm(1, 1)]);
    let (_, a) = run("proc-unavail");
    assert_eq!(a, [Some(Ok(ProcUnavail)); 3]);
    let (_, a) = run("no-portmapper-getport");
    assert_eq!(a, [Some(Ok(ProgUnavail))]);
    let (s, a) = run("rpcbind-uaddr-taddr-conversions-and-udp6");
    assert_eq!(a, [Some(Ok(Success)); 7]);
    assert_eq!(s.portmap().unwrap().registrations()[0].netid, "udp6");
    let (_, a) = run("rpcbind-v4-set-getaddr-getstat-dump");
    assert_eq!(a, [Some(Ok(Success)); 6]);
    // CALLIT to ECHO; INDIRECT to FAIL; CALLIT to the portmapper: silent.
    let (_, a) = run("portmap-callit-indirect");
    assert_eq!(a, [ok, Some(Ok(SystemErr)), None]);
    // A REPLY, a truncated call, a 4-byte record: no reply; the 1 MB mark
    // is refused before any record.
    let (_, a) = run("raw-reply-short-call-and-oversized-mark");
    assert_eq!(a, [None, None, None]);
}

/// `fuzz_idl` on a schema that loads (with an include from the part after
/// the NUL), on an include cycle and on junk: no finding. The properties it
/// asserts are the parser's own (`programs::idl::invariants`).
#[test]
fn fuzz_idl_reaches_schemas_includes_and_errors() {
    let program = b"#include \"types.x\"\nprogram P { version V { fh PROC_GET(fh) = 1; } = 1; } = 9;\0typedef opaque fh[8];";
    fuzz_idl(program);
    let s = crate::programs::idl::parse_with(
        "#include \"types.x\"\nprogram P { version V { fh PROC_GET(fh) = 1; } = 1; } = 9;",
        "main.x",
        &mut |n, _| Ok((n.to_string(), "typedef opaque fh[8];".to_string())),
    )
    .unwrap();
    assert_eq!(
        s.program(9)
            .unwrap()
            .version(1)
            .unwrap()
            .procedure(1)
            .unwrap()
            .display,
        "GET"
    );
    fuzz_idl(b"#include \"a.x\"\0#include \"a.x\"");
    fuzz_idl(b"struct \xff\xfe { int x; };");
    fuzz_idl(b"\0\0\0");
}

/// The invariant checker is not vacuous: it finds a broken schema.
#[test]
fn idl_invariants_catch_broken_schemas() {
    use crate::programs::idl::invariants::check;
    use crate::programs::schema::{Kind, Schema, TypeDef, TypeId};
    let mut s = Schema::new();
    assert_eq!(check(&s), Ok(()));
    let a = s.push(TypeDef {
        name: Some("a".into()),
        kind: Kind::Void,
    });
    s.types[a.index()].kind = Kind::Alias(a);
    assert!(check(&s).unwrap_err().contains("contains itself"));
    s.types[a.index()].kind = Kind::Optional(TypeId(99));
    assert!(check(&s).unwrap_err().contains("out of range"));
    s.types[a.index()].kind = Kind::FixedArray {
        elem: TypeId::INT,
        len: 0,
    };
    assert!(check(&s).unwrap_err().contains("empty fixed array"));
    s.types[a.index()].kind = Kind::Int;
    s.by_name.insert("b".into(), a);
    assert!(check(&s).unwrap_err().contains("points at another type"));
}
