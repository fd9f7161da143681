//! Tests of the `.x` parser: what it accepts (`accept`, with assertions on
//! the schema), what it rejects and where (`reject`, one broken input per
//! check), the preprocessor (`cpp`), and hostile input (`robust`).
//! Every schema a test gets is also run through [`invariants::check`].

use super::*;
use crate::programs::schema::{Kind, Schema, TypeId};

mod accept;
mod cpp;
mod reject;
mod robust;

/// Parses `text` as `t.x`; panics with the error.
fn ok(text: &str) -> Schema {
    let s = parse(text, "t.x").unwrap_or_else(|e| panic!("{e}\n--- in ---\n{text}"));
    invariants::check(&s).unwrap_or_else(|e| panic!("{e}"));
    s
}

/// Parses `text` as `t.x`, expecting an error.
fn err(text: &str) -> IdlError {
    match parse(text, "t.x") {
        Ok(s) => panic!("accepted:\n{text}\n{s:#?}"),
        Err(e) => e,
    }
}

/// Expects an error at `line:col` whose message holds `want`.
#[track_caller]
fn err_at(text: &str, line: u32, col: u32, want: &str) {
    let e = err(text);
    assert_eq!((e.line, e.col), (line, col), "{e}\n--- in ---\n{text}");
    assert!(e.message.contains(want), "{e}: wanted `{want}`");
    assert_eq!(e.file, "t.x");
}

/// Parses `main` with includes served from `files` (name -> text).
fn with_files(main: &str, files: &[(&str, &str)]) -> Result<Schema, IdlError> {
    parse_with(main, "main.x", &mut |name, _from| {
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .ok_or_else(|| format!("no file {name}"))
    })
}

/// The kind of the named type `name`.
fn kind<'s>(s: &'s Schema, name: &str) -> &'s Kind {
    &s.get(s.lookup(name).unwrap_or_else(|| panic!("no type `{name}`")))
        .kind
}

/// The fields of struct `name` as `(field name, kind of its type)`.
fn fields<'s>(s: &'s Schema, name: &str) -> Vec<(&'s str, &'s Kind)> {
    let Kind::Struct(st) = kind(s, name) else {
        panic!("`{name}` is not a struct")
    };
    st.fields
        .iter()
        .map(|f| (f.name.as_str(), &s.get(f.ty).kind))
        .collect()
}

#[test]
fn error_display_is_file_line_col_message() {
    let e = IdlError {
        file: "nfs.x".into(),
        line: 3,
        col: 14,
        message: "unknown type `fh`".into(),
    };
    assert_eq!(e.to_string(), "nfs.x:3:14: unknown type `fh`");
}

#[test]
fn an_empty_file_is_an_empty_schema() {
    for text in ["", "  \n/* nothing */\n%#include <x.h>\n// c\n"] {
        let s = ok(text);
        assert_eq!(s, Schema::new());
    }
}
