use super::testdata::*;
use super::*;
use crate::limits::Limits;
use crate::programs::registry::Registry;
use crate::programs::walk::{BodyBytes, BodyErrorKind, Malformation, Missing, WalkLimits};

fn nfs4() -> (std::sync::Arc<Registry>, u32) {
    (Registry::builtin(), 4)
}

fn walk_side<'a>(body: &'a [u8], reply: bool, max_ops: usize) -> Walked<'a> {
    let (r, v) = nfs4();
    let e = r.version(NFS_PROGRAM, v).unwrap();
    let shape = Shape::of(e, 1).unwrap();
    let side = if reply { &shape.result } else { &shape.args };
    // The registry lives as long as the test: the walked slices borrow
    // only `body`.
    walk_compound(
        e.schema(),
        e.roles(),
        side,
        &BodyBytes::whole(body),
        &WalkLimits::from(&Limits::default()),
        max_ops,
    )
}

#[test]
fn shapes_are_found_for_compounds_only() {
    let r = Registry::builtin();
    let v4 = r.version(NFS_PROGRAM, 4).unwrap();
    let s = Shape::of(v4, 1).expect("COMPOUND");
    assert!(!s.callback);
    assert_eq!(s.args.header.len(), 2, "tag, minorversion");
    assert_eq!(s.result.header.len(), 2, "status, tag");
    assert_eq!(op_name(v4.schema(), s.op_enum(), 25), Some("OP_READ"));
    assert_eq!(op_name(v4.schema(), s.op_enum(), 10044), Some("OP_ILLEGAL"));
    assert_eq!(op_name(v4.schema(), s.op_enum(), 99), None);
    assert!(Shape::of(v4, 0).is_none(), "NULL is not a compound");
    let cb = r.version(CB_PROGRAM, 1).unwrap();
    let s = Shape::of(cb, 1).expect("CB_COMPOUND");
    assert!(s.callback);
    assert_eq!(s.args.header.len(), 3, "tag, minorversion, callback_ident");
    assert_eq!(op_name(cb.schema(), s.op_enum(), 4), Some("OP_CB_RECALL"));
    // NFSv3 has no compound.
    let v3 = r.version(NFS_PROGRAM, 3).unwrap();
    assert!((0..22).all(|p| Shape::of(v3, p).is_none()));
}

#[test]
fn a_compound_is_read_operation_by_operation() {
    let body = mount_call();
    let w = walk_side(&body, false, 256);
    assert_eq!(w.minorversion, Some(1));
    assert_eq!(w.tag, Some(&b"mount"[..]));
    assert_eq!(w.announced, Some(5));
    assert_eq!(w.stop, None);
    let ops: Vec<u32> = w.ops.iter().map(|o| o.op).collect();
    assert_eq!(ops, [53, 24, 15, 10, 9]);
    assert_eq!(w.ops[2].names, [Some(&b"export"[..]), None]);
    assert_eq!(w.ops[0].names, [None, None], "a session id is not a name");
    let reply = mount_reply();
    let r = walk_side(&reply, true, 256);
    assert_eq!(r.status.map(|s| s.1), Some(0));
    assert_eq!(r.stop, None);
    let statuses: Vec<Option<i32>> = r.ops.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [Some(0); 5]);
    assert_eq!(r.ops[3].fh, Some(EXPORT_FH));
    // The attributes are opaque to the walk: no handle, name or status.
    assert_eq!(r.ops[4].fh, None);
}

#[test]
fn read_fields_and_bulk_lengths_are_kept_per_operation() {
    let body = lookup_read_call(b"a.txt");
    let w = walk_side(&body, false, 256);
    let read = &w.ops[3];
    assert_eq!(
        (read.op, read.offset, read.count),
        (25, Some(0), Some(4096))
    );
    assert_eq!(w.ops[0].fh, Some(DIR_FH));
    let reply = lookup_read_reply();
    let r = walk_side(&reply, true, 256);
    let read = &r.ops[3];
    assert_eq!((read.data_len, read.eof), (Some(30), Some(true)));
    assert_eq!(r.ops[2].fh, Some(FILE_FH));
}

#[test]
fn a_failing_operation_ends_the_results() {
    let reply = lookup_noent_reply();
    let r = walk_side(&reply, true, 256);
    assert_eq!(r.status.map(|s| s.1), Some(2));
    let got: Vec<(u32, Option<i32>)> = r.ops.iter().map(|o| (o.op, o.status)).collect();
    assert_eq!(got, [(22, Some(0)), (15, Some(2))]);
    assert_eq!(r.stop, None, "a short result list is not an error");
}

#[test]
fn an_unknown_operation_keeps_the_ones_before_it_and_says_where() {
    let body = unknown_op_call();
    let w = walk_side(&body, false, 256);
    let ops: Vec<u32> = w.ops.iter().map(|o| o.op).collect();
    assert_eq!(ops, [22, 99], "the unknown number is listed");
    let stop = w.stop.expect("stops");
    assert_eq!(stop.op_index, 1);
    // tag (4) + minorversion (4) + count (4) + PUTFH (4 + 4 + 12) = 32
    assert_eq!(stop.error.offset, 32);
    assert_eq!(
        stop.error.kind,
        BodyErrorKind::Malformed(Malformation::NoArm)
    );
}

#[test]
fn a_cut_compound_keeps_every_operation_before_the_cut() {
    let body = lookup_read_call(b"a.txt");
    for cut in 0..body.len() {
        let b = BodyBytes {
            data: &body[..cut],
            len: body.len() as u64,
            missing: Missing::Snaplen,
        };
        let (r, _) = nfs4();
        let e = r.version(NFS_PROGRAM, 4).unwrap();
        let shape = Shape::of(e, 1).unwrap();
        let w = walk_compound(
            e.schema(),
            e.roles(),
            &shape.args,
            &b,
            &WalkLimits::from(&Limits::default()),
            256,
        );
        let stop = w.stop.unwrap_or_else(|| panic!("cut at {cut} must stop"));
        assert_eq!(stop.error.kind, BodyErrorKind::Truncated, "cut at {cut}");
        // Opaque data past the cut is stepped over (its length is known):
        // the stop may come at the next read after it.
        assert!(stop.error.offset <= body.len() as u64, "cut at {cut}");
        // Every operation whose bytes were all held is listed, and the one
        // cut after its number (PUTFH ends at 32, LOOKUP 48, GETFH 52,
        // READ 84).
        let whole = [32usize, 48, 52, 84]
            .iter()
            .filter(|&&end| end <= cut)
            .count();
        assert!(
            w.ops.len() == whole || w.ops.len() == whole + 1,
            "cut at {cut}: {} ops",
            w.ops.len()
        );
    }
}

#[test]
fn operations_past_the_bound_are_not_decoded() {
    let body = mount_call();
    let w = walk_side(&body, false, 2);
    assert_eq!(w.ops.len(), 2);
    let stop = w.stop.expect("bounded");
    assert_eq!((stop.op_index, stop.error.kind), (2, BodyErrorKind::Limit));
    // tag (4 + 8) + minorversion + count + SEQUENCE (4 + 16 + 16) + PUTROOTFH (4)
    assert_eq!(stop.error.offset, 12 + 4 + 4 + 36 + 4);
}

#[test]
fn hostile_counts_cost_nothing() {
    // An operation count of 2^32-1 with no operations behind it.
    let body = X::new().opaque(b"").u32(0).u32(u32::MAX).done();
    let w = walk_side(&body, false, 256);
    assert!(w.ops.is_empty());
    assert_eq!(w.stop.map(|s| s.error.kind), Some(BodyErrorKind::Truncated));
    // 100k one-word operations (GETFH): bounded by max_ops.
    let mut x = X::new().opaque(b"").u32(0).u32(100_000);
    for _ in 0..100_000 {
        x = x.u32(10);
    }
    let body = x.done();
    let w = walk_side(&body, false, 256);
    assert_eq!(w.ops.len(), 256);
}

#[test]
fn compound_records_combine_call_and_reply() {
    let (r, _) = nfs4();
    let e = r.version(NFS_PROGRAM, 4).unwrap();
    let shape = Shape::of(e, 1).unwrap();
    let call = mount_call();
    let c = Compound::from_call(&shape, &walk_side(&call, false, 256));
    assert_eq!(c.call_ops.as_deref(), Some(&[53, 24, 15, 10, 9][..]));
    assert_eq!(c.minorversion, Some(1));
    assert_eq!(c.main_op(), Some(op::LOOKUP));
    assert!(c.contains(op::GETFH) && !c.contains(op::READ));
    assert_eq!(c.heap_bytes(), 20);
    let reply = lookup_noent_reply();
    let both = Compound::with_reply(Some(&c), &shape, &walk_side(&reply, true, 256));
    assert_eq!(both.status.map(|s| s.1), Some(2));
    assert_eq!(
        both.results.as_deref(),
        Some(&[(22, Some(0)), (15, Some(2))][..])
    );
    assert_eq!(both.ops(), [53, 24, 15, 10, 9], "the call's operations");
    // A reply alone names its own operations.
    let alone = Compound::with_reply(None, &shape, &walk_side(&reply, true, 256));
    assert_eq!(alone.ops(), [22, 15]);
    assert_eq!(alone.main_op(), Some(op::LOOKUP));
}

#[test]
fn tiers_pick_the_operation_that_names_the_compound() {
    // The examples of captures/README.md and tshark's answers on them.
    for (ops, main, all) in [
        (&[53, 22, 25][..], Some(25), &[25][..]),
        (&[22, 15, 9, 3, 18, 10], Some(15), &[15, 18]),
        (&[53, 22, 9], Some(9), &[9]),
        (&[53, 24, 10, 9], Some(24), &[24, 9]),
        (&[53, 22, 3, 9], Some(3), &[3]),
        (&[53], Some(53), &[53]),
        (&[10044, 25], Some(10044), &[10044]),
        (&[], None, &[]),
    ] {
        assert_eq!(main_op(false, ops.iter().copied()), main, "{ops:?}");
        assert_eq!(main_ops(false, ops), all, "{ops:?}");
    }
    // Callbacks: CB_SEQUENCE gives way to the operation it carries.
    assert_eq!(main_op(true, [11, 4]), Some(4));
    assert_eq!(tier(true, 11), 4);
}

#[test]
fn operations_are_found_by_name_in_any_case() {
    let r = Registry::builtin();
    assert_eq!(ops_named(&r, None, "OP_READ"), [(false, 25)]);
    assert_eq!(ops_named(&r, None, "read"), [(false, 25)]);
    assert_eq!(ops_named(&r, Some(NFS_PROGRAM), "LayoutGet"), [(false, 50)]);
    assert_eq!(ops_named(&r, None, "cb_recall"), [(true, 4)]);
    assert_eq!(ops_named(&r, Some(NFS_PROGRAM), "CB_RECALL"), []);
    assert_eq!(ops_named(&r, None, "nosuch"), []);
    assert_eq!(short_name("OP_CB_RECALL"), "CB_RECALL");
}

#[test]
fn summaries_name_operations_and_what_they_act_on() {
    let (r, _) = nfs4();
    let e = r.version(NFS_PROGRAM, 4).unwrap();
    let shape = Shape::of(e, 1).unwrap();
    let s = e.schema();
    let call = lookup_read_call(b"a.txt");
    let mut out = String::new();
    assert!(summary::call_summary(
        s,
        shape.op_enum(),
        false,
        &walk_side(&call, false, 256),
        &mut out
    ));
    let dir = crc32fast::hash(DIR_FH);
    assert_eq!(
        out,
        format!(" PUTFH fh {dir:#010x} LOOKUP \"a.txt\" GETFH READ 4096 bytes @ 0")
    );
    let reply = lookup_read_reply();
    out.clear();
    summary::reply_summary(
        s,
        shape.op_enum(),
        false,
        Some("NFS4_OK"),
        Some(op::LOOKUP),
        &walk_side(&reply, true, 256),
        &mut out,
    );
    let file = crc32fast::hash(FILE_FH);
    assert_eq!(out, format!(" NFS4_OK fh {file:#010x}"));
    out.clear();
    summary::reply_summary(
        s,
        shape.op_enum(),
        false,
        Some("NFS4_OK"),
        Some(op::READ),
        &walk_side(&reply, true, 256),
        &mut out,
    );
    assert_eq!(out, format!(" NFS4_OK 30 bytes eof fh {file:#010x}"));
    let noent = lookup_noent_reply();
    out.clear();
    summary::reply_summary(
        s,
        shape.op_enum(),
        false,
        Some("NFS4ERR_NOENT"),
        Some(op::LOOKUP),
        &walk_side(&noent, true, 256),
        &mut out,
    );
    assert_eq!(out, " NFS4ERR_NOENT LOOKUP");
    let unknown = unknown_op_call();
    out.clear();
    summary::call_summary(
        s,
        shape.op_enum(),
        false,
        &walk_side(&unknown, false, 256),
        &mut out,
    );
    assert_eq!(
        out,
        format!(" PUTFH fh {dir:#010x} op99 [ops stop at byte 32: malformed]")
    );
}

/// An operation's walk skips what cannot hold a status, handle, name, bulk
/// data, watched field or list, and keeps everything it kept before.
#[test]
fn operations_skip_only_values_that_hold_nothing_kept() {
    let (r, v) = nfs4();
    let e = r.version(NFS_PROGRAM, v).unwrap();
    let (schema, roles) = (e.schema(), e.roles());
    let ty = |n: &str| schema.lookup(n).unwrap_or_else(|| panic!("{n}"));
    // Nothing inside is kept: skipped unread.
    for n in [
        "SEQUENCE4resok",
        "stateid4",
        "nfstime4",
        "bitmap4",
        "GETATTR4args",
    ] {
        assert!(!roles.watched(ty(n)), "{n} is skipped");
    }
    // A handle, a name, bulk data, `offset`/`count`/`eof`, a status, the
    // callback program (inside `cb_client4`), a list: entered.
    for n in [
        "nfs_fh4",
        "component4",
        "READ4args",
        "READ4resok",
        "WRITE4args",
        "cb_client4",
        "dirlist4",
        "GETATTR4res",
        "PUTFH4args",
    ] {
        assert!(roles.watched(ty(n)), "{n} is entered");
    }
    // Unmarked roles skip nothing.
    assert!(roles.without_watched().watched(ty("stateid4")));
    assert!(!roles.watched(ty("SEQUENCE4args")));

    // Every sample compound walks to the same record either way, and the
    // skipping walk spends less of the budget: with a budget that the full
    // walk runs out of, it reads further.
    let shape = Shape::of(e, 1).unwrap();
    let samples = [
        (mount_call(), false),
        (mount_reply(), true),
        (lookup_read_call(b"f"), false),
        (lookup_read_reply(), true),
        (lookup_noent_reply(), true),
        (unknown_op_call(), false),
        (rename_call(b"a", b"b"), false),
        (rename_reply(), true),
        (setclientid_call(0x4000_0000), false),
    ];
    let unwatched = roles.without_watched();
    let limits = WalkLimits::from(&Limits::default());
    let mut read_further = 0;
    for (body, reply) in &samples {
        let side = if *reply { &shape.result } else { &shape.args };
        let body = BodyBytes::whole(body);
        let skip = walk_compound(schema, roles, side, &body, &limits, 256);
        let all = walk_compound(schema, &unwatched, side, &body, &limits, 256);
        assert_eq!(skip, all);
        for max_nodes in 1..64 {
            let tight = WalkLimits {
                max_nodes,
                ..limits
            };
            let skip = walk_compound(schema, roles, side, &body, &tight, 256);
            let all = walk_compound(schema, &unwatched, side, &body, &tight, 256);
            assert!(
                skip.ops.len() >= all.ops.len(),
                "{max_nodes}: {skip:?} {all:?}"
            );
            if skip.ops.len() > all.ops.len() {
                read_further += 1;
            }
            for (a, b) in skip.ops.iter().zip(&all.ops) {
                if all
                    .stop
                    .is_none_or(|s| s.op_index as usize > all.ops.len() - 1)
                {
                    assert_eq!(a, b);
                }
            }
        }
    }
    assert!(read_further > 0, "skipping saved no budget");

    // SEQUENCE's arguments are skipped, but a skip still reads a bool: a 2
    // there is malformed either way.
    let mut seq = Vec::new();
    for w in [0u32, 1, 1, 53] {
        seq.extend_from_slice(&w.to_be_bytes()); // tag "", minorversion, 1 op
    }
    seq.extend_from_slice(&[7; 16]); // sessionid
    for w in [1u32, 0, 0, 2] {
        seq.extend_from_slice(&w.to_be_bytes()); // seqid, slot, highest, cachethis
    }
    let body = BodyBytes::whole(&seq);
    let skip = walk_compound(schema, roles, &shape.args, &body, &limits, 256);
    let all = walk_compound(schema, &unwatched, &shape.args, &body, &limits, 256);
    assert_eq!(skip, all);
    assert_eq!(
        skip.stop.map(|s| s.error.kind),
        Some(BodyErrorKind::Malformed(Malformation::BadBool))
    );
}
