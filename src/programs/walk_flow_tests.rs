//! Flow control: `Skip` and `Stop`, checked against full walks.

use super::tests::{err, line, record, samples, words, Recorder, BIG};
use super::*;
use crate::programs::samples::{every_kind, nfs3_readdirplus, Builder};

/// Skips every compound (or field) the predicate picks; records the rest.
struct Skipper<F> {
    pick: F,
    lines: Vec<String>,
}

impl<F: FnMut(&str) -> bool> Visitor for Skipper<F> {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        let l = line(schema, &ev);
        let skip = (self.pick)(&l);
        self.lines.push(l);
        if skip {
            Flow::Skip
        } else {
            Flow::Continue
        }
    }
}

#[test]
fn skipping_moves_past_the_same_bytes_without_their_events() {
    for (schema, ty, bytes) in samples(20) {
        let body = BodyBytes::whole(&bytes);
        let (full, all_lines) = record(&schema, &[ty], &body, &BIG);
        for what in ["{", "[", "union", "present", "."] {
            let mut s = Skipper {
                pick: |l: &str| l.starts_with(what),
                lines: Vec::new(),
            };
            let res = walk(&schema, &[ty], &body, &BIG, &mut s);
            assert_eq!(res, full, "skipping {what}");
            assert!(s.lines.len() <= all_lines.len());
            // Exactly the events of the full walk, less the skipped
            // insides (a skipped begin keeps its end).
            assert_eq!(
                s.lines,
                without_skipped(&all_lines, what),
                "skipping {what}"
            );
        }
    }
}

fn is_begin(l: &str) -> bool {
    l.starts_with("{ ") || l.starts_with("[ ") || l.starts_with("union ")
}

fn is_end(l: &str) -> bool {
    l.starts_with("} ") || l == "]" || l == "end union"
}

/// The number of lines of the value that starts at `lines[i]`.
fn extent(lines: &[String], i: usize) -> usize {
    let l = &lines[i];
    if l == "present" {
        return 1 + extent(lines, i + 1);
    }
    if !is_begin(l) {
        return 1;
    }
    let mut depth = 0;
    for (k, l) in lines[i..].iter().enumerate() {
        if is_begin(l) {
            depth += 1;
        } else if is_end(l) {
            depth -= 1;
            if depth == 0 {
                return k + 1;
            }
        }
    }
    lines.len() - i
}

/// What a visitor skipping at every line starting with `what` sees.
fn without_skipped(lines: &[String], what: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        out.push(l.clone());
        if !l.starts_with(what) {
            i += 1;
        } else if is_begin(l) {
            // Keep the end.
            i += extent(lines, i) - 1;
        } else {
            // A field or present: drop the value that follows.
            i += 1 + extent(lines, i + 1);
        }
    }
    out
}

#[test]
fn skip_details_end_events_and_fixed_size_skips() {
    let n = nfs3_readdirplus();
    let attr = n.schema.lookup("post_op_attr").unwrap();
    // post_op_attr with attributes: skipping the union delivers its end;
    // skipping the arm's field delivers no begin or end of the arm.
    let mut body = words(&[1]);
    body.extend_from_slice(&[0; 84]);
    for (what, expect) in [
        (
            "union",
            vec![
                "union attributes_follow=1 None arm \"attributes\"",
                "end union",
            ],
        ),
        (
            ".",
            vec![
                "union attributes_follow=1 None arm \"attributes\"",
                ".attributes",
                "end union",
            ],
        ),
    ] {
        let mut s = Skipper {
            pick: |l: &str| l.starts_with(what),
            lines: Vec::new(),
        };
        let res = walk(&n.schema, &[attr], &BodyBytes::whole(&body), &BIG, &mut s);
        assert_eq!(res, Ok(88));
        assert_eq!(s.lines, expect);
    }
    // A skipped fixed-size value is moved past without reading it: its
    // bytes need only lie within the body's length.
    let body = BodyBytes {
        data: &body[..8],
        len: 88,
        missing: Missing::Gap,
    };
    let mut s = Skipper {
        pick: |l: &str| l.starts_with('.'),
        lines: Vec::new(),
    };
    assert_eq!(walk(&n.schema, &[attr], &body, &BIG, &mut s), Ok(88));
    let mut r = Recorder::default();
    let res = walk(&n.schema, &[attr], &body, &BIG, &mut r);
    assert_eq!(
        res,
        err(8, BodyErrorKind::Gap),
        "not skipped, the bytes are needed"
    );
    // A skipped counted array of fixed-size elements: count * size.
    let mut b = Builder::new();
    let arr = b.var_array(TypeId::HYPER, None);
    let st = b.structure("s", &[("a", arr), ("z", TypeId::INT)]);
    let s = b.finish();
    let mut bytes = words(&[1_000_000]);
    bytes.resize(4 + 8_000_000, 0);
    bytes.extend_from_slice(&words(&[42]));
    let held = BodyBytes {
        data: &bytes[..4],
        len: bytes.len() as u64,
        missing: Missing::NotKept,
    };
    let mut sk = Skipper {
        pick: |l: &str| l == ".a",
        lines: Vec::new(),
    };
    let limits = WalkLimits {
        max_depth: 8,
        max_nodes: 100,
    };
    let res = walk(&s, &[st], &held, &limits, &mut sk);
    assert_eq!(
        res,
        err(4 + 8_000_000, BodyErrorKind::Limit),
        "z is not held"
    );
    assert_eq!(sk.lines, ["{ s", ".a", ".z"]);
    let mut sk = Skipper {
        pick: |l: &str| l == ".a",
        lines: Vec::new(),
    };
    let res = walk(&s, &[st], &BodyBytes::whole(&bytes), &limits, &mut sk);
    assert_eq!(res, Ok(bytes.len() as u64));
    assert_eq!(sk.lines, ["{ s", ".a", ".z", "int 42", "} s"]);
}

#[test]
fn skipping_a_list_walks_it_to_its_end_within_the_node_limit() {
    let e = every_kind();
    let mut body = Vec::new();
    for i in 0..1000 {
        body.extend_from_slice(&words(&[1, i, 0]));
    }
    body.extend_from_slice(&words(&[0]));
    let mut s = Skipper {
        pick: |l: &str| l.starts_with('['),
        lines: Vec::new(),
    };
    let res = walk(&e.schema, &[e.list], &BodyBytes::whole(&body), &BIG, &mut s);
    assert_eq!(res, Ok(body.len() as u64));
    assert_eq!(s.lines, ["[ 0 list=true", "]"]);
    let limits = WalkLimits {
        max_depth: 8,
        max_nodes: 500,
    };
    let mut s = Skipper {
        pick: |l: &str| l.starts_with('['),
        lines: Vec::new(),
    };
    let res = walk(
        &e.schema,
        &[e.list],
        &BodyBytes::whole(&body),
        &limits,
        &mut s,
    );
    assert!(matches!(
        res,
        Err(BodyError {
            kind: BodyErrorKind::Limit,
            ..
        })
    ));
}

struct StopAt(usize, usize);

impl Visitor for StopAt {
    fn event(&mut self, _: &Schema, _: Event<'_, '_>) -> Flow {
        self.1 += 1;
        if self.1 == self.0 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

#[test]
fn stop_ends_the_walk_with_ok_at_the_position_reached() {
    let body = words(&[1, 2, 3]);
    let s = Schema::new();
    let types = [TypeId::INT, TypeId::INT, TypeId::INT];
    for (at, pos) in [(1, 4), (2, 8), (3, 12)] {
        let mut v = StopAt(at, 0);
        assert_eq!(
            walk(&s, &types, &BodyBytes::whole(&body), &BIG, &mut v),
            Ok(pos)
        );
        assert_eq!(v.1, at);
    }
}
