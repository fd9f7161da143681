//! [`fuzz_idl`]: the `.x` parser on arbitrary text.
//!
//! Input layout: the text of `main.x`, then optionally a NUL byte and the
//! text that the include callback returns for every `#include`d name
//! (so includes, include cycles and `%#include` are reachable). Invalid
//! UTF-8 is replaced, as a user's file read lossily would be.
//!
//! Properties: the parser never panics; a schema it returns keeps every
//! promise [`invariants::check`] tests (type ids in range, names indexed,
//! no alias cycles, no type containing itself by value, unions and
//! programs well formed, display names non-empty); an error points at a
//! real place (a known file, line and column from 1) and says something;
//! parsing is deterministic (the same text gives the same schema).

use crate::programs::idl::{self, invariants, IdlError};
use crate::programs::schema::Schema;

fn run(main: &str, included: &str) -> Result<Schema, IdlError> {
    idl::parse_with(main, "main.x", &mut |name, _from| {
        if name.ends_with(".x") {
            Ok((name.to_string(), included.to_string()))
        } else {
            Err(format!("{name}: not found"))
        }
    })
}

/// See the module docs.
pub fn fuzz_idl(data: &[u8]) {
    let (main, included) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let main = String::from_utf8_lossy(main);
    let included = String::from_utf8_lossy(included);
    match run(&main, &included) {
        Ok(schema) => {
            if let Err(e) = invariants::check(&schema) {
                panic!("broken schema: {e}");
            }
            let again = run(&main, &included);
            assert!(again.as_ref() == Ok(&schema), "a second parse differs");
        }
        Err(e) => {
            assert!(e.line >= 1 && e.col >= 1, "{e}");
            assert!(!e.message.is_empty(), "{e}");
            assert!(
                e.file == "main.x" || e.file.ends_with(".x"),
                "error in an unknown file: {e}"
            );
        }
    }
}
