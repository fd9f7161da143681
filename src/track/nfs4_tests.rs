use super::*;
use crate::limits::Limits;
use crate::programs::nfs4::testdata::*;
use crate::programs::nfs4::{walk_compound, Shape, NFS_PROGRAM};
use crate::programs::walk::{BodyBytes, WalkLimits};

/// One side of a compound of `program` version `version`, walked.
fn walked(program: u32, version: u32, body: &[u8], reply: bool) -> Walked<'_> {
    let r = Registry::builtin();
    let e = r.version(program, version).unwrap();
    let shape = Shape::of(e, 1).unwrap();
    let side = if reply { &shape.result } else { &shape.args };
    walk_compound(
        e.schema(),
        e.roles(),
        side,
        &BodyBytes::whole(body),
        &WalkLimits::from(&Limits::default()),
        256,
    )
}

fn call(body: &[u8]) -> Walked<'_> {
    walked(NFS_PROGRAM, 4, body, false)
}

fn reply(body: &[u8]) -> Walked<'_> {
    walked(NFS_PROGRAM, 4, body, true)
}

fn path_of(paths: &mut Paths, body: &[u8]) -> Option<String> {
    call_path(paths, false, &call(body))
        .0
        .map(|p| p.to_string())
}

/// Results all NFS4_OK for operations without result bodies but their
/// status, then `tail` (already encoded results).
fn ok_results(ops: &[u32], tail: &[u8]) -> Vec<u8> {
    let mut x = X::new()
        .u32(0) // status
        .opaque(b"") // tag
        .u32(ops.len() as u32 + u32::from(!tail.is_empty())); // resarray<> count
    for &op in ops {
        x = x.u32(op).u32(0); // resop, status
    }
    x.bytes(tail).done()
}

#[test]
fn putrootfh_and_lookups_teach_absolute_paths() {
    let mut paths = Paths::new(100);
    // Before any reply, the call already names its object.
    let mount = mount_call();
    assert_eq!(path_of(&mut paths, &mount).as_deref(), Some("/export"));
    learn(&mut paths, &call(&mount), &reply(&mount_reply()));
    assert_eq!(paths.path(EXPORT_FH).as_deref(), Some("/export"));
    // PUTROOTFH GETFH teaches the root handle.
    let root = X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(2) // argarray<> count
        .u32(24) // OP_PUTROOTFH
        .u32(10) // OP_GETFH
        .done();
    let got = ok_results(&[24], &X::new().u32(10).u32(0).opaque(ROOT_FH).done());
    learn(&mut paths, &call(&root), &reply(&got));
    assert_eq!(paths.path(ROOT_FH).as_deref(), Some("/"));
}

#[test]
fn a_name_looked_up_in_a_known_directory_is_learned_from_getfh() {
    let mut paths = Paths::new(100);
    paths.learn_root(DIR_FH, b"/export/dir");
    let body = lookup_read_call(b"a.txt");
    // READ (the best tier) acts on the file looked up before it.
    let (path, fh) = call_path(&mut paths, false, &call(&body));
    assert_eq!(path.as_deref(), Some("/export/dir/a.txt"));
    assert_eq!(fh, Some(crc32fast::hash(DIR_FH)), "the first handle known");
    learn(&mut paths, &call(&body), &reply(&lookup_read_reply()));
    assert_eq!(paths.path(FILE_FH).as_deref(), Some("/export/dir/a.txt"));
}

#[test]
fn a_failed_operation_and_what_follows_teach_nothing() {
    let mut paths = Paths::new(100);
    paths.learn_root(DIR_FH, b"/export/dir");
    let body = lookup_read_call(b"a.txt");
    learn(&mut paths, &call(&body), &reply(&lookup_noent_reply()));
    assert_eq!(paths.path(FILE_FH), None);
    assert_eq!(paths.len(), 1);
}

#[test]
fn rename_moves_and_remove_forgets() {
    let mut paths = Paths::new(100);
    paths.learn_root(DIR_FH, b"/export/dir");
    paths.learn_child(FILE_FH, DIR_FH, b"a.txt");
    // RENAME acts on the old name in the saved directory.
    let rename = rename_call(b"a.txt", b"b.txt");
    assert_eq!(
        path_of(&mut paths, &rename).as_deref(),
        Some("/export/dir/a.txt")
    );
    learn(&mut paths, &call(&rename), &reply(&rename_reply()));
    assert_eq!(paths.path(FILE_FH).as_deref(), Some("/export/dir/b.txt"));
    // PUTFH DIR_FH, REMOVE "b.txt".
    let remove = X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(2) // argarray<> count
        .u32(22) // OP_PUTFH
        .opaque(DIR_FH) // object
        .u32(28) // OP_REMOVE
        .opaque(b"b.txt") // target
        .done();
    assert_eq!(
        path_of(&mut paths, &remove).as_deref(),
        Some("/export/dir/b.txt")
    );
    let cinfo = X::new()
        .u32(28) // OP_REMOVE
        .u32(0) // status
        .u32(1) // cinfo.atomic
        .u64(1) // before
        .u64(2) // after
        .done();
    learn(
        &mut paths,
        &call(&remove),
        &reply(&ok_results(&[22], &cinfo)),
    );
    assert_eq!(paths.path(FILE_FH), None);
    assert_eq!(paths.path(DIR_FH).as_deref(), Some("/export/dir"));
}

#[test]
fn lookupp_savefh_and_restorefh_move_the_current_filehandle() {
    let mut paths = Paths::new(100);
    paths.learn_root(DIR_FH, b"/export/dir");
    // PUTFH DIR_FH, SAVEFH, LOOKUP "sub", LOOKUPP, LOOKUP "x", RESTOREFH,
    // LOOKUP "y", GETFH: the handle returned is DIR_FH's "y".
    let body = X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(8) // argarray<> count
        .u32(22) // OP_PUTFH
        .opaque(DIR_FH) // object
        .u32(32) // OP_SAVEFH
        .u32(15) // OP_LOOKUP
        .opaque(b"sub") // objname
        .u32(16) // OP_LOOKUPP
        .u32(15) // OP_LOOKUP
        .opaque(b"x") // objname
        .u32(31) // OP_RESTOREFH
        .u32(15) // OP_LOOKUP
        .opaque(b"y") // objname
        .u32(10) // OP_GETFH
        .done();
    // The call acts on the last LOOKUP's object.
    assert_eq!(path_of(&mut paths, &body).as_deref(), Some("/export/dir/y"));
    let got = ok_results(
        &[22, 32, 15, 16, 15, 31, 15],
        &X::new().u32(10).u32(0).opaque(FILE_FH).done(),
    );
    learn(&mut paths, &call(&body), &reply(&got));
    assert_eq!(paths.path(FILE_FH).as_deref(), Some("/export/dir/y"));
}

#[test]
fn a_child_of_an_unknown_directory_gets_its_path_later() {
    let mut paths = Paths::new(100);
    // DIR_FH's path is not known: neither is its child's, and no path is
    // made up.
    let body = lookup_read_call(b"a.txt");
    assert_eq!(path_of(&mut paths, &body), None);
    learn(&mut paths, &call(&body), &reply(&lookup_read_reply()));
    assert_eq!(paths.path(FILE_FH), None);
    assert_eq!(paths.len(), 1, "the child is kept under its directory");
    // Once the directory is known, so is the child.
    paths.learn_root(DIR_FH, b"/d");
    assert_eq!(paths.path(FILE_FH).as_deref(), Some("/d/a.txt"));
}

#[test]
fn callbacks_name_their_handle_not_a_path() {
    let mut paths = Paths::new(100);
    paths.learn_root(FILE_FH, b"/export/a.txt");
    let body = cb_recall_call();
    let w = walked(0x4000_0000, 1, &body, false);
    let ops: Vec<u32> = w.ops.iter().map(|o| o.op).collect();
    assert_eq!(ops, [11, 4]);
    assert_eq!(
        call_path(&mut paths, true, &w),
        (None, Some(crc32fast::hash(FILE_FH)))
    );
    let res = cb_recall_reply();
    let r = walked(0x4000_0000, 1, &res, true);
    let got: Vec<(u32, Option<i32>)> = r.ops.iter().map(|o| (o.op, o.status)).collect();
    assert_eq!(got, [(11, Some(0)), (4, Some(0))]);
}

#[test]
fn callback_numbers_are_learned_in_the_transient_range_within_the_bound() {
    let r = Registry::builtin();
    let mut cb = CbPrograms::default();
    assert_eq!(cb.decode_as(&r, 0x4000_0123, 1), None);
    let body = setclientid_call(0x4000_0123);
    cb.learn(&r, &call(&body));
    assert_eq!(cb.decode_as(&r, 0x4000_0123, 1), Some(CB_PROGRAM));
    assert_eq!(cb.len(), 1);
    // Outside 0x40000000..=0x5fffffff, or a number the registry defines:
    // not learned.
    for p in [100_005, 0x6000_0000, CB_PROGRAM] {
        let body = setclientid_call(p);
        cb.learn(&r, &call(&body));
    }
    assert_eq!(cb.len(), 1);
    assert_eq!(cb.decode_as(&r, 100_005, 1), None);
    // The same number twice is kept once.
    cb.learn(&r, &call(&body));
    assert_eq!(cb.len(), 1);
    // Past the bound, the oldest is forgotten.
    for i in 0..MAX_CB_PROGRAMS as u32 {
        let body = setclientid_call(0x4000_1000 + i);
        cb.learn(&r, &call(&body));
    }
    assert_eq!(cb.len(), MAX_CB_PROGRAMS);
    assert_eq!(cb.decode_as(&r, 0x4000_0123, 1), None);
    assert_eq!(cb.decode_as(&r, 0x4000_1000, 1), Some(CB_PROGRAM));
}

#[test]
fn only_replies_that_can_teach_are_learned_from() {
    // Replies that teach (their tests above): a handle returned, a rename.
    for body in [mount_reply(), lookup_read_reply(), rename_reply()] {
        assert!(may_teach(&reply(&body)));
    }
    // PUTFH, GETATTR (no result body in this fixture) teach nothing, and
    // neither does a failed LOOKUP (no GETFH result after it): `learn`
    // leaves the table as it was, so skipping it loses nothing.
    let plain = ok_results(&[22, 9], &[]);
    let noent = lookup_noent_reply();
    for body in [&plain, &noent] {
        assert!(!may_teach(&reply(body)));
        let mut paths = Paths::new(100);
        paths.learn_root(DIR_FH, b"/export/dir");
        let lookup = lookup_read_call(b"a.txt");
        learn(&mut paths, &call(&lookup), &reply(body));
        assert_eq!(paths.len(), 1);
    }
}
