//! The built-in program definitions, compiled in: `.x` files under
//! `src/programs/x/`, written by this project from the RFCs.

/// `(file name, text)` of every built-in definition, parsed once per
/// process by [`super::registry::Registry::builtin`].
pub static FILES: &[(&str, &str)] = &[];
