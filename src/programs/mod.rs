//! ONC RPC programs: the table keyed by program and version.
//!
//! Today each entry gives the program's name and, per version, the names of
//! its procedures, indexed by procedure number. Later work extends the same
//! table with body decoders, so that dispatch stays a table lookup
//! `(program, version) -> procedures -> decoder`, never an if-chain.
//!
//! Contract: lookups are pure functions over static data; they never
//! allocate and never panic, whatever numbers come off the wire. An unknown
//! program, version or procedure (or an unassigned gap) is `None`, and the
//! caller prints the number.

pub mod attrs;
pub mod builtin;
pub mod facts;
pub mod idl;
pub mod json;
pub mod mappings;
mod names;
pub mod nfs4;
pub mod registry;
pub mod roles;
#[cfg(any(test, feature = "arbitrary"))]
pub mod samples;
pub mod schema;
pub mod semantics;
pub mod summary;
pub mod tree;
pub mod value;
pub mod walk;

use names::{ALIASES, PROGRAMS};

/// One version of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    /// The version number.
    pub version: u32,
    /// Procedure names indexed by procedure number; `""` for a gap.
    pub procedures: &'static [&'static str],
}

/// One program: its number, `/etc/rpc` name and the versions we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The program number.
    pub number: u32,
    /// The name as `/etc/rpc` spells it.
    pub name: &'static str,
    /// Versions with known procedures (may be empty).
    pub versions: &'static [VersionInfo],
}

impl ProgramInfo {
    /// The entry for one version of this program.
    pub fn version(&self, version: u32) -> Option<&'static VersionInfo> {
        self.versions.iter().find(|v| v.version == version)
    }
}

/// Every known program, sorted by number.
pub fn programs() -> &'static [ProgramInfo] {
    PROGRAMS
}

/// The entry for a program number.
pub fn program(number: u32) -> Option<&'static ProgramInfo> {
    PROGRAMS
        .binary_search_by_key(&number, |p| p.number)
        .ok()
        .map(|i| &PROGRAMS[i])
}

/// The `/etc/rpc` name of a program number.
pub fn program_name(number: u32) -> Option<&'static str> {
    program(number).map(|p| p.name)
}

/// The program number for a name or alias (`portmap`, `rpcbind`, `nfs`,
/// `mount`, `nlm`, ...), ignoring case. A decimal or `0x` hexadecimal number
/// is not a name: parse those before calling this.
pub fn program_by_name(name: &str) -> Option<u32> {
    PROGRAMS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.number)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                .map(|&(_, n)| n)
        })
}

/// The name of a procedure, e.g. `procedure_name(100003, 3, 6)` is `READ`.
pub fn procedure_name(program: u32, version: u32, procedure: u32) -> Option<&'static str> {
    let procs = self::program(program)?.version(version)?.procedures;
    let name = *procs.get(usize::try_from(procedure).ok()?)?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_versions_distinct() {
        for w in PROGRAMS.windows(2) {
            assert!(
                w[0].number < w[1].number,
                "{} before {}",
                w[0].number,
                w[1].number
            );
        }
        for p in PROGRAMS {
            assert!(!p.name.is_empty());
            for (i, v) in p.versions.iter().enumerate() {
                assert!(p.versions[..i].iter().all(|o| o.version != v.version));
                // Procedure 0 is always the null procedure (RFC 5531 s. 12).
                assert!(
                    v.procedures[0].ends_with("NULL"),
                    "{} v{}",
                    p.name,
                    v.version
                );
                for name in v.procedures {
                    assert_eq!(name.to_ascii_uppercase(), *name);
                }
            }
        }
    }

    #[test]
    fn names_and_aliases_are_unique_ignoring_case() {
        let mut all: Vec<String> = PROGRAMS
            .iter()
            .map(|p| p.name.to_ascii_lowercase())
            .collect();
        all.extend(ALIASES.iter().map(|(a, _)| a.to_ascii_lowercase()));
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a name or alias is listed twice");
        for (alias, number) in ALIASES {
            assert!(program(*number).is_some(), "alias {alias} points nowhere");
        }
    }

    #[test]
    fn program_spot_checks() {
        for (n, name) in [
            (100000, "portmapper"),
            (100003, "nfs"),
            (100005, "mountd"),
            (100011, "rquotad"),
            (100021, "nlockmgr"),
            (100024, "status"),
            (100026, "bootparam"),
            (100227, "nfs_acl"),
            (100232, "sadmind"),
            (150001, "pcnfsd"),
            (300019, "amd"),
            (390113, "nsrexec"),
            (0x4000_0000, "nfs_cb"),
        ] {
            assert_eq!(program_name(n), Some(name));
        }
        assert_eq!(program_name(100006), None);
        assert_eq!(program_name(0), None);
        assert_eq!(program_name(u32::MAX), None);
    }

    #[test]
    fn program_by_name_accepts_names_and_aliases_in_any_case() {
        for (name, n) in [
            ("portmap", 100000),
            ("rpcbind", 100000),
            ("PortMapper", 100000),
            ("nfs", 100003),
            ("NFS", 100003),
            ("mount", 100005),
            ("mountd", 100005),
            ("nlm", 100021),
            ("status", 100024),
            ("nsm", 100024),
            ("nfs_acl", 100227),
            ("NETlicense", 100062),
            ("netlicense", 100062),
            ("nfs_cb", 0x4000_0000),
        ] {
            assert_eq!(program_by_name(name), Some(n), "{name}");
        }
        assert_eq!(program_by_name("100003"), None);
        assert_eq!(program_by_name(""), None);
        assert_eq!(program_by_name("nosuch"), None);
    }

    /// Checks a whole procedure list against the numbering of its spec.
    fn check(program: u32, version: u32, expected: &[(u32, &str)]) {
        for &(n, name) in expected {
            assert_eq!(
                procedure_name(program, version, n),
                Some(name),
                "{program} v{version} proc {n}"
            );
        }
        let count = self::program(program)
            .unwrap()
            .version(version)
            .unwrap()
            .procedures
            .len();
        assert_eq!(count, expected.last().unwrap().0 as usize + 1);
        assert_eq!(procedure_name(program, version, count as u32), None);
    }

    #[test]
    fn portmap_and_rpcbind_rfc_1833() {
        check(
            100000,
            2,
            &[
                (0, "NULL"),
                (1, "SET"),
                (2, "UNSET"),
                (3, "GETPORT"),
                (4, "DUMP"),
                (5, "CALLIT"),
            ],
        );
        check(
            100000,
            3,
            &[
                (3, "GETADDR"),
                (5, "CALLIT"),
                (6, "GETTIME"),
                (7, "UADDR2TADDR"),
                (8, "TADDR2UADDR"),
            ],
        );
        check(
            100000,
            4,
            &[
                (5, "BCAST"),
                (9, "GETVERSADDR"),
                (10, "INDIRECT"),
                (11, "GETADDRLIST"),
                (12, "GETSTAT"),
            ],
        );
    }

    #[test]
    fn nfs_rfc_1094_1813_7530() {
        check(
            100003,
            2,
            &[
                (0, "NULL"),
                (3, "ROOT"),
                (7, "WRITECACHE"),
                (8, "WRITE"),
                (16, "READDIR"),
                (17, "STATFS"),
            ],
        );
        check(
            100003,
            3,
            &[
                (0, "NULL"),
                (1, "GETATTR"),
                (2, "SETATTR"),
                (3, "LOOKUP"),
                (4, "ACCESS"),
                (5, "READLINK"),
                (6, "READ"),
                (7, "WRITE"),
                (8, "CREATE"),
                (9, "MKDIR"),
                (10, "SYMLINK"),
                (11, "MKNOD"),
                (12, "REMOVE"),
                (13, "RMDIR"),
                (14, "RENAME"),
                (15, "LINK"),
                (16, "READDIR"),
                (17, "READDIRPLUS"),
                (18, "FSSTAT"),
                (19, "FSINFO"),
                (20, "PATHCONF"),
                (21, "COMMIT"),
            ],
        );
        check(100003, 4, &[(0, "NULL"), (1, "COMPOUND")]);
        check(0x4000_0000, 1, &[(0, "CB_NULL"), (1, "CB_COMPOUND")]);
        assert_eq!(procedure_name(100003, 5, 0), None);
    }

    #[test]
    fn mount() {
        check(100005, 1, &[(1, "MNT"), (5, "EXPORT"), (6, "EXPORTALL")]);
        check(100005, 2, &[(6, "EXPORTALL"), (7, "PATHCONF")]);
        check(
            100005,
            3,
            &[
                (0, "NULL"),
                (1, "MNT"),
                (2, "DUMP"),
                (3, "UMNT"),
                (4, "UMNTALL"),
                (5, "EXPORT"),
            ],
        );
    }

    #[test]
    fn nlm_gap_and_share_procedures() {
        for version in [1, 2] {
            check(
                100021,
                version,
                &[
                    (1, "TEST"),
                    (6, "TEST_MSG"),
                    (11, "TEST_RES"),
                    (15, "GRANTED_RES"),
                ],
            );
        }
        for version in [3, 4] {
            check(
                100021,
                version,
                &[
                    (10, "GRANTED_MSG"),
                    (15, "GRANTED_RES"),
                    (20, "SHARE"),
                    (21, "UNSHARE"),
                    (22, "NM_LOCK"),
                    (23, "FREE_ALL"),
                ],
            );
            for gap in 16..20 {
                assert_eq!(procedure_name(100021, version, gap), None);
            }
        }
    }

    #[test]
    fn side_programs() {
        check(
            100024,
            1,
            &[
                (1, "STAT"),
                (2, "MON"),
                (3, "UNMON"),
                (4, "UNMON_ALL"),
                (5, "SIMU_CRASH"),
                (6, "NOTIFY"),
            ],
        );
        check(
            100227,
            2,
            &[(3, "GETATTR"), (4, "ACCESS"), (5, "GETXATTRDIR")],
        );
        check(
            100227,
            3,
            &[(1, "GETACL"), (2, "SETACL"), (3, "GETXATTRDIR")],
        );
        for version in [1, 2] {
            check(
                100011,
                version,
                &[
                    (1, "GETQUOTA"),
                    (2, "GETACTIVEQUOTA"),
                    (3, "SETQUOTA"),
                    (4, "SETACTIVEQUOTA"),
                ],
            );
        }
        check(100004, 2, &[(3, "MATCH"), (8, "ALL"), (11, "MAPLIST")]);
        check(100007, 2, &[(1, "DOMAIN"), (2, "SETDOM")]);
        check(100026, 1, &[(1, "WHOAMI"), (2, "GETFILE")]);
        assert_eq!(procedure_name(100232, 10, 1), None); // sadmind: name only
    }

    #[test]
    fn wild_numbers_are_none() {
        assert_eq!(procedure_name(100003, 3, u32::MAX), None);
        assert_eq!(procedure_name(u32::MAX, u32::MAX, u32::MAX), None);
    }
}
