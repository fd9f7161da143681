use super::*;
use crate::programs::samples::{every_kind, nfs3_readdirplus, Builder};
use crate::programs::schema::Kind;
use crate::programs::value::{arbitrary_value, encode, Rng};

/// Records events as short text lines (opaque and string data as their
/// wire length and held bytes).
#[derive(Default)]
pub(crate) struct Recorder {
    pub lines: Vec<String>,
}

pub(crate) fn line(schema: &Schema, ev: &Event<'_, '_>) -> String {
    let n = |ty: TypeId| schema.name(ty).map_or(format!("#{}", ty.0), str::to_string);
    match *ev {
        Event::StructBegin { ty } => format!("{{ {}", n(ty)),
        Event::StructEnd { ty } => format!("}} {}", n(ty)),
        Event::Field { name, .. } => format!(".{name}"),
        Event::UnionBegin {
            discriminant,
            value,
            value_name,
            arm,
            ..
        } => format!(
            "union {}={value} {:?} arm {:?}",
            discriminant.name, value_name, arm.name
        ),
        Event::UnionEnd { .. } => "end union".into(),
        Event::ArrayBegin { len, list, .. } => format!("[ {len} list={list}"),
        Event::ArrayEnd { .. } => "]".into(),
        Event::Null { .. } => "null".into(),
        Event::Present { .. } => "present".into(),
        Event::Int { value, .. } => format!("int {value}"),
        Event::UInt { value, .. } => format!("uint {value}"),
        Event::Float { value, .. } => format!("float {value}"),
        Event::Bool { value, .. } => format!("bool {value}"),
        Event::Enum { value, name, .. } => format!("enum {value} {name:?}"),
        Event::Opaque { data, len, .. } => format!("opaque {len} {data:02x?}"),
        Event::Str { data, len, .. } => format!("str {len} {:?}", String::from_utf8_lossy(data)),
    }
}

impl Visitor for Recorder {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        self.lines.push(line(schema, &ev));
        Flow::Continue
    }
}

pub(crate) const BIG: WalkLimits = WalkLimits {
    max_depth: 64,
    max_nodes: u32::MAX,
};

pub(crate) fn record(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
) -> (Result<u64, BodyError>, Vec<String>) {
    let mut r = Recorder::default();
    let res = walk(schema, types, body, limits, &mut r);
    (res, r.lines)
}

pub(crate) fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|v| v.to_be_bytes()).collect()
}

pub(crate) fn err(offset: u64, kind: BodyErrorKind) -> Result<u64, BodyError> {
    Err(BodyError { offset, kind })
}

fn bad(offset: u64, m: Malformation) -> Result<u64, BodyError> {
    err(offset, BodyErrorKind::Malformed(m))
}

#[test]
fn limits_default_wires_into_walk_limits() {
    let l = WalkLimits::from(&Limits::default());
    assert_eq!(l.max_depth, 64);
    assert_eq!(l.max_nodes, 256 * 1024);
}

#[test]
fn tables_find_list_links_and_fixed_sizes() {
    let e = every_kind();
    let t = e.schema.tables();
    assert_eq!(t.list_link(e.entry), Some(2), "entry's `next`");
    assert_eq!(t.list_link(e.tree), None, "two self links: a tree");
    assert_eq!(t.list_link(e.all), None);
    let inner = e.schema.lookup("inner").unwrap();
    assert_eq!(t.fixed_size(inner), Some(12), "int + unsigned hyper");
    assert_eq!(t.fixed_size(e.fhandle), Some(8));
    assert_eq!(
        t.fixed_size(e.schema.lookup("dir").unwrap_or(TypeId(0))),
        Some(0)
    );
    assert_eq!(t.fixed_size(e.schema.lookup("dirfh").unwrap()), Some(8));
    assert_eq!(t.fixed_size(TypeId::BOOL), None, "a bool must be checked");
    assert_eq!(t.fixed_size(e.all), None);
    assert_eq!(t.fixed_size(TypeId(u32::MAX)), None);
    assert_eq!(t.resolve(e.schema.lookup("count").unwrap()), TypeId::UINT);
    let n = nfs3_readdirplus();
    let fattr3 = n.schema.lookup("fattr3").unwrap();
    assert_eq!(
        n.schema.tables().fixed_size(fattr3),
        Some(84),
        "RFC 1813 fattr3"
    );
    let entry = n.schema.lookup("entryplus3").unwrap();
    assert_eq!(n.schema.tables().list_link(entry), Some(5));
}

#[test]
fn every_scalar_kind_and_struct_events() {
    let mut b = Builder::new();
    let color = b.enumeration("color", &[("RED", 0), ("BLUE", 2)]);
    let s5 = b.string(Some(5));
    let o = b.var_opaque(None);
    let o3 = b.anon(Kind::FixedOpaque(3));
    let st = b.structure(
        "s",
        &[
            ("i", TypeId::INT),
            ("u", TypeId::UINT),
            ("h", TypeId::HYPER),
            ("uh", TypeId::UHYPER),
            ("f", TypeId::FLOAT),
            ("d", TypeId::DOUBLE),
            ("b", TypeId::BOOL),
            ("c", color),
            ("c2", color),
            ("v", TypeId::VOID),
            ("s", s5),
            ("o", o),
            ("o3", o3),
        ],
    );
    let s = b.finish();
    let mut body = words(&[
        0xffff_fffe, // i = -2
        0xffff_fffe, // u = 4294967294
        0xffff_ffff,
        0xffff_fffd, // h = -3
        0x8000_0000,
        0,           // uh = 2^63
        0x3fc0_0000, // f = 1.5
        0x4004_0000,
        0, // d = 2.5
        1, // b = TRUE
        2, // c = BLUE
        7, // c2 = 7, not in the enum
        // v: void, no bytes
        3, // s: length 3
    ]);
    body.extend_from_slice(b"abc\0"); // "abc" + 1 byte of padding
    body.extend_from_slice(&words(&[0])); // o: empty
    body.extend_from_slice(&[1, 2, 3, 0]); // o3: 3 bytes + padding
    let (res, lines) = record(&s, &[st], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(body.len() as u64));
    assert_eq!(
        lines,
        [
            "{ s",
            ".i",
            "int -2",
            ".u",
            "uint 4294967294",
            ".h",
            "int -3",
            ".uh",
            "uint 9223372036854775808",
            ".f",
            "float 1.5",
            ".d",
            "float 2.5",
            ".b",
            "bool true",
            ".c",
            "enum 2 Some(\"BLUE\")",
            ".c2",
            "enum 7 None",
            ".s",
            "str 3 \"abc\"",
            ".o",
            "opaque 0 []",
            ".o3",
            "opaque 3 [01, 02, 03]",
            "} s",
        ]
    );
}

#[test]
fn unions_read_the_discriminant_as_its_type_says() {
    let e = every_kind();
    let s = &e.schema;
    let uu = s.lookup("uu").unwrap();
    let iu = s.lookup("iu").unwrap();
    // uu: unsigned 0xffffffff selects `max` (an unsigned hyper).
    let body = words(&[0xffff_ffff, 0, 9]);
    let (res, lines) = record(s, &[uu], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(12));
    assert_eq!(
        lines,
        [
            "union n=4294967295 None arm \"max\"",
            ".max",
            "uint 9",
            "end union"
        ]
    );
    // iu: the same bits as an int are -1, selecting `minus` (a hyper).
    let body = words(&[0xffff_ffff, 0xffff_ffff, 0xffff_ffff]);
    let (res, lines) = record(s, &[iu], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(12));
    assert_eq!(
        lines,
        [
            "union n=-1 None arm \"minus\"",
            ".minus",
            "int -1",
            "end union"
        ]
    );
    // uu's default arm is void: no Field, no value.
    let body = words(&[5]);
    let (res, lines) = record(s, &[uu], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(4));
    assert_eq!(lines, ["union n=5 None arm \"\"", "end union"]);
    // cu: an enum discriminant names its value; a value outside the enum
    // takes the default.
    let (res, lines) = record(s, &[e.color_union], &BodyBytes::whole(&words(&[1])), &BIG);
    assert_eq!(res, Ok(4));
    assert_eq!(lines, ["union c=1 Some(\"GREEN\") arm \"\"", "end union"]);
    let mut body = words(&[9, 2]);
    body.extend_from_slice(b"hi\0\0");
    let (res, lines) = record(s, &[e.color_union], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(12));
    assert_eq!(
        lines,
        [
            "union c=9 None arm \"other\"",
            ".other",
            "str 2 \"hi\"",
            "end union"
        ]
    );
}

#[test]
fn a_discriminant_with_no_arm_is_malformed_at_its_offset() {
    let e = every_kind();
    let iu = e.schema.lookup("iu").unwrap();
    let body = words(&[99, 0]);
    let (res, lines) = record(
        &e.schema,
        &[TypeId::INT, iu],
        &BodyBytes::whole(&body),
        &BIG,
    );
    assert_eq!(res, bad(4, Malformation::NoArm));
    assert_eq!(lines, ["int 99"]);
}

#[test]
fn bools_other_than_0_and_1_are_malformed() {
    let e = every_kind();
    let bu = e.schema.lookup("bu").unwrap();
    // A plain bool, a bool discriminant, and optional data's bool.
    for (ty, body, at) in [
        (TypeId::BOOL, words(&[2]), 0),
        (bu, words(&[0xffff_ffff]), 0),
        (e.schema.lookup("node").unwrap(), words(&[1, 0, 3]), 8),
        (e.list, words(&[1, 5, 0, 7]), 12),
    ] {
        let (res, _) = record(&e.schema, &[ty], &BodyBytes::whole(&body), &BIG);
        assert_eq!(res, bad(at, Malformation::BadBool), "{body:?}");
    }
}

#[test]
fn lengths_over_the_declared_maximum_are_too_long() {
    let e = every_kind();
    let s = &e.schema;
    let name16 = match &s.get(e.entry).kind {
        Kind::Struct(d) => d.fields[1].ty,
        _ => unreachable!(),
    };
    let strings = match &s.get(e.all).kind {
        Kind::Struct(d) => d.fields.iter().find(|f| f.name == "strings").unwrap().ty,
        _ => unreachable!(),
    };
    let (res, _) = record(
        s,
        &[TypeId::INT, name16],
        &BodyBytes::whole(&words(&[0, 17])),
        &BIG,
    );
    assert_eq!(res, bad(4, Malformation::TooLong));
    // 16 is allowed (and then the bytes are missing).
    let (res, _) = record(s, &[name16], &BodyBytes::whole(&words(&[16])), &BIG);
    assert_eq!(res, err(4, BodyErrorKind::Truncated));
    let (res, _) = record(s, &[strings], &BodyBytes::whole(&words(&[5])), &BIG);
    assert_eq!(res, bad(0, Malformation::TooLong));
}

#[test]
fn a_recursive_optional_list_is_one_flat_array() {
    let e = every_kind();
    let mut body = Vec::new();
    for (id, name) in [(1u32, "a"), (2, "bb"), (3, "")] {
        body.extend_from_slice(&words(&[1, id, name.len() as u32])); // more, id, name length
        body.extend_from_slice(name.as_bytes());
        body.resize(body.len() + crate::rpc::xdr::pad_len(name.len()), 0);
    }
    body.extend_from_slice(&words(&[0])); // no more
    let (res, lines) = record(&e.schema, &[e.list], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(body.len() as u64));
    assert_eq!(
        lines,
        [
            "[ 0 list=true",
            "{ entry",
            ".id",
            "uint 1",
            ".name",
            "str 1 \"a\"",
            "} entry",
            "{ entry",
            ".id",
            "uint 2",
            ".name",
            "str 2 \"bb\"",
            "} entry",
            "{ entry",
            ".id",
            "uint 3",
            ".name",
            "str 0 \"\"",
            "} entry",
            "]",
        ]
    );
    // The element struct walked directly: its link field is the list.
    let body = words(&[9, 0, 1, 8, 0, 0]);
    let (res, lines) = record(&e.schema, &[e.entry], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(24));
    assert_eq!(
        lines,
        [
            "{ entry",
            ".id",
            "uint 9",
            ".name",
            "str 0 \"\"",
            ".next",
            "[ 0 list=true",
            "{ entry",
            ".id",
            "uint 8",
            ".name",
            "str 0 \"\"",
            "} entry",
            "]",
            "} entry",
        ]
    );
    // An empty list.
    let (res, lines) = record(&e.schema, &[e.list], &BodyBytes::whole(&words(&[0])), &BIG);
    assert_eq!(
        (res, lines),
        (Ok(4), vec!["[ 0 list=true".into(), "]".into()])
    );
}

#[test]
fn a_tree_is_not_a_list_and_nests() {
    let e = every_kind();
    // node { v = 1; left = node { v = 2; null; null }; right = null }
    let body = words(&[1, 1, 2, 0, 0, 0]);
    let (res, lines) = record(&e.schema, &[e.tree], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, Ok(24));
    assert_eq!(
        lines,
        [
            "{ node", ".v", "int 1", ".left", "present", "{ node", ".v", "int 2", ".left", "null",
            ".right", "null", "} node", ".right", "null", "} node",
        ]
    );
}

#[test]
fn a_million_long_list_loops_and_a_deep_tree_hits_the_depth_limit() {
    let e = every_kind();
    let n = 1_000_000usize;
    let mut body = Vec::with_capacity(n * 12 + 4);
    for i in 0..n as u32 {
        body.extend_from_slice(&words(&[1, i, 0])); // more, id, empty name
    }
    body.extend_from_slice(&words(&[0]));
    let mut count = Counter::default();
    let res = walk(
        &e.schema,
        &[e.list],
        &BodyBytes::whole(&body),
        &BIG,
        &mut count,
    );
    assert_eq!(res, Ok(body.len() as u64));
    assert_eq!(count.struct_begins, n);
    // The default node limit stops it, as a limit.
    let limits = WalkLimits::from(&Limits::default());
    let res = walk(
        &e.schema,
        &[e.list],
        &BodyBytes::whole(&body),
        &limits,
        &mut Counter::default(),
    );
    assert!(matches!(
        res,
        Err(BodyError {
            kind: BodyErrorKind::Limit,
            ..
        })
    ));
    // A left-leaning tree 1000 deep: each level is one struct frame.
    let mut body = Vec::new();
    for i in 0..1000 {
        body.extend_from_slice(&words(&[i, 1])); // v, left present
    }
    let (res, lines) = record(&e.schema, &[e.tree], &BodyBytes::whole(&body), &limits);
    let at = 64 * 8 - 4; // the 64th struct is opened after its `left` bool
    assert_eq!(res, err(at as u64 + 4, BodyErrorKind::Limit));
    assert_eq!(lines.iter().filter(|l| *l == "{ node").count(), 64);
}

#[test]
fn a_type_that_is_its_own_optional_loops_within_the_node_limit() {
    // typedef self *self: present, present, ... never recursing.
    let mut b = Builder::new();
    let me = b.declare("me");
    b.define(me, Kind::Optional(me));
    let s = b.finish();
    let body = words(&[1; 10_000]);
    let limits = WalkLimits {
        max_depth: 8,
        max_nodes: 5000,
    };
    let (res, lines) = record(&s, &[me], &BodyBytes::whole(&body), &limits);
    assert_eq!(
        res,
        err(5001 * 4, BodyErrorKind::Limit),
        "after the 5001st bool"
    );
    assert_eq!(lines.len(), 5000);
    let mut body = words(&[1; 3]);
    body.extend_from_slice(&words(&[0]));
    let (res, lines) = record(&s, &[me], &BodyBytes::whole(&body), &limits);
    assert_eq!(res, Ok(16));
    assert_eq!(lines, ["present", "present", "present", "null"]);
}

#[derive(Default)]
struct Counter {
    events: usize,
    struct_begins: usize,
}

impl Visitor for Counter {
    fn event(&mut self, _: &Schema, ev: Event<'_, '_>) -> Flow {
        self.events += 1;
        if matches!(ev, Event::StructBegin { .. }) {
            self.struct_begins += 1;
        }
        Flow::Continue
    }
}

#[test]
fn hostile_counts_and_lengths_end_quickly_without_allocating() {
    let e = every_kind();
    let ints = {
        let mut b = Builder::new();
        let a = b.var_array(TypeId::INT, None);
        let o = b.var_opaque(None);
        (b.finish(), a, o)
    };
    let (s, arr, opaque) = ints;
    // A count of a million with two elements held.
    let body = words(&[1_000_000, 1, 2]);
    let (res, lines) = record(&s, &[arr], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, err(12, BodyErrorKind::Truncated));
    assert_eq!(lines, ["[ 1000000 list=false", "int 1", "int 2"]);
    // A length of 0x7fffffff: past the body's length, so truncated where
    // the data would start.
    let body = words(&[0x7fff_ffff, 1]);
    let (res, lines) = record(&s, &[opaque], &BodyBytes::whole(&body), &BIG);
    assert_eq!(res, err(4, BodyErrorKind::Truncated));
    assert!(lines.is_empty());
    // The same on a body that claims to be that long but was not kept:
    // the held prefix is delivered and the walk ends at the body's end.
    let big = BodyBytes {
        data: &body,
        len: 4 + 0x8000_0000,
        missing: Missing::NotKept,
    };
    let (res, lines) = record(&s, &[opaque], &big, &BIG);
    assert_eq!(res, Ok(4 + 0x8000_0000));
    assert_eq!(lines, ["opaque 2147483647 [00, 00, 00, 01]"]);
    // A million-element union array with no bytes: a node limit of 100
    // ends it (a count read off the wire is never a loop bound alone).
    let unions = match &e.schema.get(e.all).kind {
        Kind::Struct(d) => d.fields.iter().find(|f| f.name == "unions").unwrap().ty,
        _ => unreachable!(),
    };
    let mut body = words(&[1_000_000]);
    body.extend(std::iter::repeat_n(words(&[1]), 1000).flatten()); // GREEN: void arms
    let limits = WalkLimits {
        max_depth: 64,
        max_nodes: 100,
    };
    let mut c = Counter::default();
    let res = walk(
        &e.schema,
        &[unions],
        &BodyBytes::whole(&body),
        &limits,
        &mut c,
    );
    assert!(matches!(
        res,
        Err(BodyError {
            kind: BodyErrorKind::Limit,
            ..
        })
    ));
    assert!(c.events <= 100, "{} events", c.events);
}

#[test]
fn arrays_of_void_elements_are_bounded_by_the_node_limit() {
    let mut b = Builder::new();
    let voids = b.var_array(TypeId::VOID, None);
    let s = b.finish();
    let body = words(&[4_000_000_000]);
    let limits = WalkLimits {
        max_depth: 8,
        max_nodes: 1000,
    };
    let (res, lines) = record(&s, &[voids], &BodyBytes::whole(&body), &limits);
    assert_eq!(res, err(4, BodyErrorKind::Limit));
    assert_eq!(lines, ["[ 4000000000 list=false"]);
}

#[test]
fn missing_bytes_end_the_walk_with_the_reason_the_body_gives() {
    let mut b = Builder::new();
    let o = b.var_opaque(None);
    let st = b.structure(
        "w",
        &[("off", TypeId::UHYPER), ("data", o), ("after", TypeId::INT)],
    );
    let s = b.finish();
    let mut full = words(&[0, 7, 10]); // off = 7, data length 10
    full.extend_from_slice(b"0123456789\0\0"); // data + padding
    full.extend_from_slice(&words(&[5])); // after = 5
                                          // Held up to 4 bytes into the data: the data's prefix is delivered, the
                                          // walk continues past it, and `after` is missing.
    let held = &full[..16];
    for (missing, kind) in [
        (Missing::Snaplen, BodyErrorKind::Truncated),
        (Missing::Gap, BodyErrorKind::Gap),
        (Missing::NotKept, BodyErrorKind::Limit),
        (Missing::None, BodyErrorKind::Truncated),
    ] {
        let body = BodyBytes {
            data: held,
            len: full.len() as u64,
            missing,
        };
        let (res, lines) = record(&s, &[st], &body, &BIG);
        assert_eq!(res, err(24, kind), "{missing:?}");
        assert_eq!(
            lines,
            [
                "{ w",
                ".off",
                "uint 7",
                ".data",
                "opaque 10 [30, 31, 32, 33]",
                ".after"
            ]
        );
    }
    // A read past the body's length is short, whatever the reason given.
    let body = BodyBytes {
        data: &full[..8],
        len: 10,
        missing: Missing::Gap,
    };
    let (res, _) = record(&s, &[st], &body, &BIG);
    assert_eq!(res, err(8, BodyErrorKind::Truncated));
    // A body that holds more than its length is held to its length.
    let body = BodyBytes {
        data: &full,
        len: 12,
        missing: Missing::None,
    };
    let (res, _) = record(&s, &[st], &body, &BIG);
    assert_eq!(res, err(12, BodyErrorKind::Truncated));
}

#[test]
fn bytes_after_the_values_are_trailing_at_the_consumed_length() {
    let body = words(&[1, 2, 3]);
    let (res, lines) = record(
        &Schema::new(),
        &[TypeId::INT, TypeId::VOID, TypeId::UINT],
        &BodyBytes::whole(&body),
        &BIG,
    );
    assert_eq!(res, bad(8, Malformation::TrailingBytes));
    assert_eq!(lines, ["int 1", "uint 2"], "events all delivered");
    let (res, lines) = record(&Schema::new(), &[], &BodyBytes::whole(&[]), &BIG);
    assert_eq!((res, lines.len()), (Ok(0), 0));
    let (res, _) = record(
        &Schema::new(),
        &[TypeId::VOID],
        &BodyBytes::whole(&[0; 4]),
        &BIG,
    );
    assert_eq!(res, bad(0, Malformation::TrailingBytes));
}

/// Encodes random values of every named type of the every-kind schema and
/// the NFS types.
pub(crate) fn samples(count: usize) -> Vec<(Schema, TypeId, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rng = Rng::new(7);
    let e = every_kind();
    let n = nfs3_readdirplus();
    for (schema, types) in [
        (e.schema, vec![e.all, e.list, e.tree]),
        (n.schema, vec![n.args, n.res]),
    ] {
        for &ty in &types {
            for _ in 0..count {
                let v = arbitrary_value(&schema, ty, &mut rng, 60);
                let mut bytes = Vec::new();
                encode(&schema, ty, &v, &mut bytes).unwrap();
                out.push((schema.clone(), ty, bytes));
            }
        }
    }
    out
}

#[test]
fn a_body_cut_at_every_offset_gives_a_prefix_and_the_right_error() {
    for (schema, ty, bytes) in samples(6) {
        let (full, all_lines) = record(&schema, &[ty], &BodyBytes::whole(&bytes), &BIG);
        assert_eq!(full, Ok(bytes.len() as u64));
        for k in 0..bytes.len() {
            // Cut as a whole body: the walk is short at or before the cut.
            let (res, lines) = record(&schema, &[ty], &BodyBytes::whole(&bytes[..k]), &BIG);
            let e = res.expect_err("a cut body cannot decode");
            assert_eq!(e.kind, BodyErrorKind::Truncated, "cut at {k}");
            assert!(e.offset <= k as u64, "cut at {k}: error at {}", e.offset);
            assert!(lines.len() <= all_lines.len());
            // Every event before the cut is the same (opaque data may hold
            // less of its bytes).
            for (a, b) in lines.iter().zip(&all_lines) {
                if !(a.starts_with("opaque") || a.starts_with("str")) {
                    assert_eq!(a, b, "cut at {k}");
                }
            }
            // Cut by a gap: the error is at the first read needing a byte
            // from the cut on (no read is longer than 8 bytes), unless only
            // opaque data was lost.
            let gap = BodyBytes {
                data: &bytes[..k],
                len: bytes.len() as u64,
                missing: Missing::Gap,
            };
            let (res, lines) = record(&schema, &[ty], &gap, &BIG);
            match res {
                Ok(end) => {
                    assert_eq!(end, bytes.len() as u64);
                    assert_eq!(lines.len(), all_lines.len());
                }
                Err(e) => {
                    assert_eq!(e.kind, BodyErrorKind::Gap, "gap at {k}");
                    assert!(e.offset + 8 > k as u64, "gap at {k}: error at {}", e.offset);
                }
            }
        }
    }
}

#[test]
fn node_and_depth_limits_count_what_they_say() {
    let e = every_kind();
    let mut rng = Rng::new(3);
    let v = arbitrary_value(&e.schema, e.all, &mut rng, 200);
    let mut bytes = Vec::new();
    encode(&e.schema, e.all, &v, &mut bytes).unwrap();
    let (_, all_lines) = record(&e.schema, &[e.all], &BodyBytes::whole(&bytes), &BIG);
    for max in [1, 2, 10, 50] {
        let limits = WalkLimits {
            max_depth: 64,
            max_nodes: max,
        };
        let (res, lines) = record(&e.schema, &[e.all], &BodyBytes::whole(&bytes), &limits);
        assert_eq!(res.map_err(|e| e.kind), Err(BodyErrorKind::Limit));
        assert!(lines.len() <= max as usize);
        assert_eq!(lines[..], all_lines[..lines.len()]);
    }
    // Depth 1: the struct opens, its nested struct does not.
    let limits = WalkLimits {
        max_depth: 1,
        max_nodes: u32::MAX,
    };
    let (res, lines) = record(&e.schema, &[e.all], &BodyBytes::whole(&bytes), &limits);
    assert_eq!(res.map_err(|e| e.kind), Err(BodyErrorKind::Limit));
    assert_eq!(lines.last().map(String::as_str), Some(".inner"));
}
