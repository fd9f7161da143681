//! The built-in program definitions, compiled in: `.x` files under
//! `src/programs/x/`, written by this project from the RFCs and specs
//! (each file says which). One engine reads them all; adding a program is
//! adding a file here and, if it has handles, names or statuses, a line in
//! [`super::semantics`].

/// `(file name, text)` of every built-in definition, parsed once per
/// process by [`super::registry::Registry::builtin`].
pub static FILES: &[(&str, &str)] = &[
    ("rpcbind.x", include_str!("x/rpcbind.x")),
    ("mount.x", include_str!("x/mount.x")),
    ("nfs2.x", include_str!("x/nfs2.x")),
    ("nfs3.x", include_str!("x/nfs3.x")),
    ("nfs4.x", include_str!("x/nfs4.x")),
    ("nlm.x", include_str!("x/nlm.x")),
    ("nsm.x", include_str!("x/nsm.x")),
    ("nfs_acl.x", include_str!("x/nfs_acl.x")),
    ("rquota.x", include_str!("x/rquota.x")),
    ("rpcscope_test.x", include_str!("x/rpcscope_test.x")),
];

#[cfg(test)]
mod tests {
    use super::super::idl;
    use super::*;

    /// Every built-in file parses, and every procedure it defines has the
    /// number and name the names table (what users saw before bodies were
    /// decoded) gives it.
    #[test]
    fn builtin_files_parse_and_agree_with_the_names_table() {
        let mut checked = 0;
        for (file, text) in FILES {
            let schema = idl::parse(text, file).unwrap_or_else(|e| panic!("{e}"));
            assert!(!schema.programs.is_empty(), "{file}: no program");
            for p in &schema.programs {
                for v in &p.versions {
                    for q in &v.procedures {
                        let table = crate::programs::procedure_name(p.number, v.number, q.number);
                        assert_eq!(
                            Some(q.display.as_str()),
                            table,
                            "{file}: program {} v{} procedure {} ({})",
                            p.number,
                            v.number,
                            q.number,
                            q.name
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 200, "only {checked} procedures");
    }
}
