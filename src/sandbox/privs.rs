//! Dropping root for good (Linux): user and group ids, supplementary
//! groups, every capability set, `no_new_privs`, then a check of all of it
//! in `/proc/self/status`.
//!
//! Contract: [`relinquish`] returns `Ok` only when the process (which must
//! have a single thread) runs as the planned uid and gid in all four id
//! slots (real, effective, saved, filesystem), with no supplementary groups,
//! empty inheritable, permitted, effective, bounding and ambient capability
//! sets (the bounding set only when rpcscope had the privilege to empty it,
//! i.e. as root), `no_new_privs` set, and `setresuid(0, 0, 0)` refused.
//! Anything else is an error and the caller must not decode.

use caps::CapSet;
use nix::sys::prctl;
use nix::unistd::{self, Gid, Uid, User};

use super::{Identity, SandboxError, DEFAULT_USER};

/// See [`super::plan`].
pub fn plan(user: Option<&str>) -> Result<Identity, SandboxError> {
    let root = unistd::geteuid().is_root();
    if user == Some("root") {
        return Ok(Identity::KeepRoot);
    }
    if !root && user.is_none() {
        return Ok(Identity::ClearCapabilities);
    }
    let name = user.unwrap_or(DEFAULT_USER);
    let entry = User::from_name(name)
        .map_err(|e| SandboxError(format!("-Z {name}: cannot look the user up: {e}")))?
        .ok_or_else(|| {
            SandboxError(format!(
                "-Z {name}: no such user (the default is '{DEFAULT_USER}'; \
                 name an existing unprivileged user with -Z USER, or keep root with -Z root)"
            ))
        })?;
    if entry.uid.is_root() {
        return Ok(Identity::KeepRoot);
    }
    if root {
        return Ok(Identity::User {
            name: name.to_string(),
            uid: entry.uid.as_raw(),
            gid: entry.gid.as_raw(),
        });
    }
    if entry.uid == unistd::getuid() {
        return Ok(Identity::ClearCapabilities);
    }
    Err(SandboxError(format!(
        "-Z {name}: becoming another user needs root (rpcscope runs as uid {}); \
         leave -Z out to keep your own user",
        unistd::getuid()
    )))
}

/// See [`super::relinquish`].
pub fn relinquish(id: &Identity) -> Result<(), SandboxError> {
    match id {
        Identity::KeepRoot => Ok(()),
        Identity::User { name, uid, gid } => become_user(name, *uid, *gid),
        Identity::ClearCapabilities => clear_capabilities(),
    }
}

fn become_user(name: &str, uid: u32, gid: u32) -> Result<(), SandboxError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        SandboxError(format!(
            "-Z {name}: {what} failed: {e}; refusing to decode with privileges"
        ))
    };
    single_threaded().map_err(|e| fail("checking for threads", &e))?;
    let (u, g) = (Uid::from_raw(uid), Gid::from_raw(gid));
    // Capabilities must not survive the uid change, and the bounding and
    // ambient sets can only be emptied while CAP_SETPCAP is still held.
    prctl::set_keepcaps(false).map_err(|e| fail("PR_SET_KEEPCAPS", &e))?;
    caps::clear(None, CapSet::Bounding).map_err(|e| fail("emptying the bounding set", &e))?;
    caps::clear(None, CapSet::Ambient).map_err(|e| fail("emptying the ambient set", &e))?;
    caps::clear(None, CapSet::Inheritable).map_err(|e| fail("emptying the inheritable set", &e))?;
    unistd::setgroups(&[]).map_err(|e| fail("setgroups([])", &e))?;
    unistd::setresgid(g, g, g).map_err(|e| fail("setresgid", &e))?;
    unistd::setresuid(u, u, u).map_err(|e| fail("setresuid", &e))?;
    // A non-zero uid empties these already; say so explicitly.
    caps::clear(None, CapSet::Effective).map_err(|e| fail("emptying the effective set", &e))?;
    caps::clear(None, CapSet::Permitted).map_err(|e| fail("emptying the permitted set", &e))?;
    prctl::set_no_new_privs().map_err(|e| fail("PR_SET_NO_NEW_PRIVS", &e))?;
    let status = read_status().map_err(|e| fail("reading /proc/self/status", &e))?;
    status
        .check(Some((uid, gid)), true)
        .map_err(|e| fail("checking the result", &e))?;
    if unistd::setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0)).is_ok() {
        return Err(fail("checking the result", &"root could be regained"));
    }
    Ok(())
}

fn clear_capabilities() -> Result<(), SandboxError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        SandboxError(format!(
            "{what} failed: {e}; refusing to decode with capabilities"
        ))
    };
    single_threaded().map_err(|e| fail("checking for threads", &e))?;
    // Emptying the bounding set needs CAP_SETPCAP, which a setcap'd binary
    // rarely has; no_new_privs below makes the bounding set moot anyway
    // (no execve can gain privileges again).
    let _ = caps::clear(None, CapSet::Bounding);
    for (set, what) in [
        (CapSet::Ambient, "emptying the ambient set"),
        (CapSet::Inheritable, "emptying the inheritable set"),
        (CapSet::Effective, "emptying the effective set"),
        (CapSet::Permitted, "emptying the permitted set"),
    ] {
        caps::clear(None, set).map_err(|e| fail(what, &e))?;
    }
    prctl::set_no_new_privs().map_err(|e| fail("PR_SET_NO_NEW_PRIVS", &e))?;
    let status = read_status().map_err(|e| fail("reading /proc/self/status", &e))?;
    status
        .check(None, false)
        .map_err(|e| fail("checking the result", &e))
}

/// Capability sets are per thread: dropping them in one thread of several
/// would leave the others privileged.
fn single_threaded() -> Result<(), String> {
    let n = read_status()?.threads;
    if n == Some(1) {
        Ok(())
    } else {
        Err(format!(
            "the process has {} threads; privileges must be dropped before any thread starts",
            n.map_or("an unknown number of".to_string(), |n| n.to_string())
        ))
    }
}

fn read_status() -> Result<ProcStatus, String> {
    let text = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    ProcStatus::parse(&text)
}

/// The lines of `/proc/PID/status` that say what a process may do.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProcStatus {
    /// Real, effective, saved, filesystem.
    uids: [u32; 4],
    gids: [u32; 4],
    groups: Vec<u32>,
    /// CapInh, CapPrm, CapEff, CapBnd, CapAmb.
    caps: [u64; 5],
    no_new_privs: bool,
    threads: Option<u32>,
}

const CAP_LINES: [&str; 5] = ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"];

impl ProcStatus {
    fn parse(text: &str) -> Result<ProcStatus, String> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .map(str::trim)
                .ok_or_else(|| format!("no '{key}:' line"))
        };
        let ids = |key: &str| -> Result<[u32; 4], String> {
            let v: Vec<u32> = field(key)?
                .split_whitespace()
                .map(|n| n.parse().map_err(|_| format!("bad '{key}:' value '{n}'")))
                .collect::<Result<_, _>>()?;
            v.try_into()
                .map_err(|v: Vec<u32>| format!("'{key}:' has {} ids, not 4", v.len()))
        };
        let groups = field("Groups")?
            .split_whitespace()
            .map(|n| n.parse().map_err(|_| format!("bad 'Groups:' value '{n}'")))
            .collect::<Result<_, _>>()?;
        let mut caps = [0u64; 5];
        for (c, key) in caps.iter_mut().zip(CAP_LINES) {
            let v = field(key)?;
            *c = u64::from_str_radix(v, 16).map_err(|_| format!("bad '{key}:' value '{v}'"))?;
        }
        Ok(ProcStatus {
            uids: ids("Uid")?,
            gids: ids("Gid")?,
            groups,
            caps,
            no_new_privs: field("NoNewPrivs")? == "1",
            threads: field("Threads").ok().and_then(|t| t.parse().ok()),
        })
    }

    /// Ok when the process is `ids` (uid, gid) with no groups (when given),
    /// has empty capability sets (the bounding set only when `bounding`)
    /// and no_new_privs.
    fn check(&self, ids: Option<(u32, u32)>, bounding: bool) -> Result<(), String> {
        if let Some((uid, gid)) = ids {
            if self.uids != [uid; 4] {
                return Err(format!("uids are {:?}, not {uid}", self.uids));
            }
            if self.gids != [gid; 4] {
                return Err(format!("gids are {:?}, not {gid}", self.gids));
            }
            if !self.groups.is_empty() {
                return Err(format!("supplementary groups {:?} remain", self.groups));
            }
        }
        for (i, (c, key)) in self.caps.iter().zip(CAP_LINES).enumerate() {
            if *c != 0 && (bounding || i != 3) {
                return Err(format!("{key} is {c:016x}, not empty"));
            }
        }
        if !self.no_new_privs {
            return Err("no_new_privs is not set".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/PID/status` of a process after the drop (trimmed).
    const DROPPED: &str = "Name:\trpcscope\nUmask:\t0022\nState:\tS (sleeping)\n\
        Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n\
        FDSize:\t64\nGroups:\t\nThreads:\t1\n\
        CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n\
        CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n\
        CapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n";

    #[test]
    fn parses_the_status_of_a_dropped_process() {
        let s = ProcStatus::parse(DROPPED).unwrap();
        assert_eq!(s.uids, [65534; 4]);
        assert_eq!(s.gids, [65534; 4]);
        assert!(s.groups.is_empty());
        assert_eq!(s.caps, [0; 5]);
        assert!(s.no_new_privs);
        assert_eq!(s.threads, Some(1));
        assert_eq!(s.check(Some((65534, 65534)), true), Ok(()));
    }

    #[test]
    fn every_leftover_privilege_is_named() {
        let s = ProcStatus::parse(DROPPED).unwrap();
        let with = |from: &str, to: &str| {
            let t = DROPPED.replacen(from, to, 1);
            ProcStatus::parse(&t)
                .unwrap()
                .check(Some((65534, 65534)), true)
        };
        let e = with("Uid:\t65534\t65534\t65534", "Uid:\t65534\t65534\t0").unwrap_err();
        assert!(e.contains("uids are [65534, 65534, 0, 65534]"), "{e}");
        let e = with("Gid:\t65534", "Gid:\t0").unwrap_err();
        assert!(e.contains("gids"), "{e}");
        let e = with("Groups:\t", "Groups:\t0 4 27").unwrap_err();
        assert!(e.contains("[0, 4, 27]"), "{e}");
        let e = with("CapBnd:\t0000000000000000", "CapBnd:\t000001ffffffffff").unwrap_err();
        assert!(e.contains("CapBnd is 000001ffffffffff"), "{e}");
        let e = with("CapAmb:\t0000000000000000", "CapAmb:\t0000000000002000").unwrap_err();
        assert!(e.contains("CapAmb"), "{e}");
        let e = with("NoNewPrivs:\t1", "NoNewPrivs:\t0").unwrap_err();
        assert!(e.contains("no_new_privs"), "{e}");
        // A different target is a mismatch, too.
        assert!(s.check(Some((1000, 1000)), true).is_err());
    }

    #[test]
    fn a_kept_bounding_set_is_allowed_only_when_asked() {
        let t = DROPPED.replace("CapBnd:\t0000000000000000", "CapBnd:\t000001ffffffffff");
        let s = ProcStatus::parse(&t).unwrap();
        assert_eq!(s.check(None, false), Ok(()));
        assert!(s.check(None, true).is_err());
    }

    #[test]
    fn malformed_status_is_an_error_not_a_pass() {
        for (from, to, what) in [
            ("Uid:", "Uix:", "no 'Uid:' line"),
            (
                "Uid:\t65534\t65534\t65534\t65534",
                "Uid:\t65534",
                "has 1 ids",
            ),
            ("Gid:\t65534", "Gid:\tx", "bad 'Gid:' value 'x'"),
            ("CapEff:\t0000000000000000", "CapEff:\tzz", "bad 'CapEff:'"),
            ("Groups:\t", "Groups:\tq", "bad 'Groups:'"),
            ("NoNewPrivs:", "NoNewPriv:", "no 'NoNewPrivs:' line"),
        ] {
            let e = ProcStatus::parse(&DROPPED.replacen(from, to, 1)).unwrap_err();
            assert!(e.contains(what), "{from} -> {to}: {e}");
        }
    }

    #[test]
    fn this_process_status_parses() {
        let s = read_status().unwrap();
        assert_eq!(s.uids[0], unistd::getuid().as_raw());
        assert!(s.threads.is_some_and(|n| n >= 1));
    }

    #[test]
    fn unknown_user_is_refused_before_anything_happens() {
        let e = plan(Some("rpcscope-no-such-user")).unwrap_err();
        assert!(e.0.contains("no such user"), "{e}");
        assert_eq!(plan(Some("root")), Ok(Identity::KeepRoot));
    }
}
