//! The data: ONC RPC program numbers, names, aliases and procedure names.
//!
//! Program names are spelled as in `/etc/rpc` (glibc / Debian netbase, plus
//! Solaris entries Wireshark knows). Procedure names are the upper-case
//! names of the RFCs and `.x` files without their `PROC` prefixes; the index
//! in each list is the procedure number, and `""` marks an unassigned number.
//! Keep `PROGRAMS` sorted by number (a test checks it).

use super::{ProgramInfo, VersionInfo};

// ---- procedure lists ---------------------------------------------------

/// Portmapper version 2, RFC 1833 section 3.
const PMAP_V2: &[&str] = &["NULL", "SET", "UNSET", "GETPORT", "DUMP", "CALLIT"];
/// rpcbind version 3, RFC 1833 section 2.2.
const RPCB_V3: &[&str] = &[
    "NULL",
    "SET",
    "UNSET",
    "GETADDR",
    "DUMP",
    "CALLIT",
    "GETTIME",
    "UADDR2TADDR",
    "TADDR2UADDR",
];
/// rpcbind version 4, RFC 1833 section 2.2: 5 is RPCBPROC_BCAST (the number
/// of v3's CALLIT).
const RPCB_V4: &[&str] = &[
    "NULL",
    "SET",
    "UNSET",
    "GETADDR",
    "DUMP",
    "BCAST",
    "GETTIME",
    "UADDR2TADDR",
    "TADDR2UADDR",
    "GETVERSADDR",
    "INDIRECT",
    "GETADDRLIST",
    "GETSTAT",
];
/// rpcscope_test version 1: the test program of `rpcscope serve`
/// (docs/server.md, `src/server/testprog.rs`).
const RPCSCOPE_TEST_V1: &[&str] = &[
    "NULL", "ECHO", "SLEEP", "FAIL", "PUT", "GET", "LIST", "UPLOAD", "DELETE",
];
/// rstat (rstat.x): versions 1 to 4 share these.
const RSTAT: &[&str] = &["NULL", "STATS", "HAVEDISK"];
/// rusers (rusers.x): versions 1 to 3.
const RUSERS: &[&str] = &["NULL", "NUM", "NAMES", "ALLNAMES"];
/// NFS version 2, RFC 1094 section 2.2.
const NFS_V2: &[&str] = &[
    "NULL",
    "GETATTR",
    "SETATTR",
    "ROOT",
    "LOOKUP",
    "READLINK",
    "READ",
    "WRITECACHE",
    "WRITE",
    "CREATE",
    "REMOVE",
    "RENAME",
    "LINK",
    "SYMLINK",
    "MKDIR",
    "RMDIR",
    "READDIR",
    "STATFS",
];
/// NFS version 3, RFC 1813 section 3.
const NFS_V3: &[&str] = &[
    "NULL",
    "GETATTR",
    "SETATTR",
    "LOOKUP",
    "ACCESS",
    "READLINK",
    "READ",
    "WRITE",
    "CREATE",
    "MKDIR",
    "SYMLINK",
    "MKNOD",
    "REMOVE",
    "RMDIR",
    "RENAME",
    "LINK",
    "READDIR",
    "READDIRPLUS",
    "FSSTAT",
    "FSINFO",
    "PATHCONF",
    "COMMIT",
];
/// NFS version 4, RFC 7530 section 16 (4.1 and 4.2 use the same two).
const NFS_V4: &[&str] = &["NULL", "COMPOUND"];
/// NFSv4 callback program, RFC 7530 section 17.
const NFS_CB_V1: &[&str] = &["CB_NULL", "CB_COMPOUND"];
/// ypserv version 2 (yp.x).
const YPSERV_V2: &[&str] = &[
    "NULL",
    "DOMAIN",
    "DOMAIN_NONACK",
    "MATCH",
    "FIRST",
    "NEXT",
    "XFR",
    "CLEAR",
    "ALL",
    "MASTER",
    "ORDER",
    "MAPLIST",
];
/// MOUNT version 1: RFC 1094 appendix A (0-5) plus EXPORTALL from Sun's
/// mount.x; version 2 (MOUNTVERS_POSIX) adds PATHCONF.
const MOUNT_V1: &[&str] = &[
    "NULL",
    "MNT",
    "DUMP",
    "UMNT",
    "UMNTALL",
    "EXPORT",
    "EXPORTALL",
];
const MOUNT_V2: &[&str] = &[
    "NULL",
    "MNT",
    "DUMP",
    "UMNT",
    "UMNTALL",
    "EXPORT",
    "EXPORTALL",
    "PATHCONF",
];
/// MOUNT version 3, RFC 1813 section 5.2.
const MOUNT_V3: &[&str] = &["NULL", "MNT", "DUMP", "UMNT", "UMNTALL", "EXPORT"];
/// ypbind version 2 (yp.x).
const YPBIND_V2: &[&str] = &["NULL", "DOMAIN", "SETDOM"];
/// yppasswd version 1 (yppasswd.x).
const YPPASSWD_V1: &[&str] = &["NULL", "UPDATE"];
/// rquota versions 1 and 2 (rquota.x).
const RQUOTA: &[&str] = &[
    "NULL",
    "GETQUOTA",
    "GETACTIVEQUOTA",
    "SETQUOTA",
    "SETACTIVEQUOTA",
];
/// spray version 1 (spray.x).
const SPRAY_V1: &[&str] = &["NULL", "SPRAY", "GET", "CLEAR"];
/// NLM versions 1 and 2 (nlm_prot.x; X/Open XNFS).
const NLM_V1: &[&str] = &[
    "NULL",
    "TEST",
    "LOCK",
    "CANCEL",
    "UNLOCK",
    "GRANTED",
    "TEST_MSG",
    "LOCK_MSG",
    "CANCEL_MSG",
    "UNLOCK_MSG",
    "GRANTED_MSG",
    "TEST_RES",
    "LOCK_RES",
    "CANCEL_RES",
    "UNLOCK_RES",
    "GRANTED_RES",
];
/// NLM versions 3 and 4: version 1's procedures, 16-19 unassigned, then
/// the share and cleanup procedures at 20-23.
const NLM_V3: &[&str] = &[
    "NULL",
    "TEST",
    "LOCK",
    "CANCEL",
    "UNLOCK",
    "GRANTED",
    "TEST_MSG",
    "LOCK_MSG",
    "CANCEL_MSG",
    "UNLOCK_MSG",
    "GRANTED_MSG",
    "TEST_RES",
    "LOCK_RES",
    "CANCEL_RES",
    "UNLOCK_RES",
    "GRANTED_RES",
    "",
    "",
    "",
    "",
    "SHARE",
    "UNSHARE",
    "NM_LOCK",
    "FREE_ALL",
];
/// NSM (status monitor) version 1 (sm_inter.x).
const NSM_V1: &[&str] = &[
    "NULL",
    "STAT",
    "MON",
    "UNMON",
    "UNMON_ALL",
    "SIMU_CRASH",
    "NOTIFY",
];
/// bootparam version 1 (bootparam_prot.x).
const BOOTPARAM_V1: &[&str] = &["NULL", "WHOAMI", "GETFILE"];
/// NFS_ACL version 2 (Solaris / Linux nfsacl).
const NFS_ACL_V2: &[&str] = &[
    "NULL",
    "GETACL",
    "SETACL",
    "GETATTR",
    "ACCESS",
    "GETXATTRDIR",
];
/// NFS_ACL version 3.
const NFS_ACL_V3: &[&str] = &["NULL", "GETACL", "SETACL", "GETXATTRDIR"];

// ---- programs ------------------------------------------------------------

const fn v(version: u32, procedures: &'static [&'static str]) -> VersionInfo {
    VersionInfo {
        version,
        procedures,
    }
}

const fn p(number: u32, name: &'static str, versions: &'static [VersionInfo]) -> ProgramInfo {
    ProgramInfo {
        number,
        name,
        versions,
    }
}

/// Every program we name, sorted by number.
pub(super) static PROGRAMS: &[ProgramInfo] = &[
    p(
        100000,
        "portmapper",
        &[v(2, PMAP_V2), v(3, RPCB_V3), v(4, RPCB_V4)],
    ),
    p(
        100001,
        "rstatd",
        &[v(1, RSTAT), v(2, RSTAT), v(3, RSTAT), v(4, RSTAT)],
    ),
    p(
        100002,
        "rusersd",
        &[v(1, RUSERS), v(2, RUSERS), v(3, RUSERS)],
    ),
    p(100003, "nfs", &[v(2, NFS_V2), v(3, NFS_V3), v(4, NFS_V4)]),
    p(100004, "ypserv", &[v(2, YPSERV_V2)]),
    p(
        100005,
        "mountd",
        &[v(1, MOUNT_V1), v(2, MOUNT_V2), v(3, MOUNT_V3)],
    ),
    p(100007, "ypbind", &[v(2, YPBIND_V2)]),
    p(100008, "walld", &[]),
    p(100009, "yppasswdd", &[v(1, YPPASSWD_V1)]),
    p(100010, "etherstatd", &[]),
    p(100011, "rquotad", &[v(1, RQUOTA), v(2, RQUOTA)]),
    p(100012, "sprayd", &[v(1, SPRAY_V1)]),
    p(100013, "3270_mapper", &[]),
    p(100014, "rje_mapper", &[]),
    p(100015, "selection_svc", &[]),
    p(100016, "database_svc", &[]),
    p(100017, "rexd", &[]),
    p(100018, "alis", &[]),
    p(100019, "sched", &[]),
    p(100020, "llockmgr", &[]),
    p(
        100021,
        "nlockmgr",
        &[v(1, NLM_V1), v(2, NLM_V1), v(3, NLM_V3), v(4, NLM_V3)],
    ),
    p(100022, "x25.inr", &[]),
    p(100023, "statmon", &[]),
    p(100024, "status", &[v(1, NSM_V1)]),
    p(100026, "bootparam", &[v(1, BOOTPARAM_V1)]),
    p(100028, "ypupdated", &[]),
    p(100029, "keyserv", &[]),
    p(100033, "sunlink_mapper", &[]),
    p(100037, "tfsd", &[]),
    p(100038, "nsed", &[]),
    p(100039, "nsemntd", &[]),
    p(100043, "showfhd", &[]),
    p(100055, "ioadmd", &[]),
    p(100062, "NETlicense", &[]),
    p(100065, "sunisamd", &[]),
    p(100066, "debug_svc", &[]),
    p(100068, "cmsd", &[]),
    p(100069, "ypxfrd", &[]),
    p(100071, "bugtraqd", &[]),
    p(100078, "kerbd", &[]),
    p(100083, "ttdbserverd", &[]),
    p(100099, "autofs", &[]),
    p(100101, "event", &[]),
    p(100102, "logger", &[]),
    p(100104, "sync", &[]),
    p(100107, "hostperf", &[]),
    p(100109, "activity", &[]),
    p(100112, "hostmem", &[]),
    p(100113, "sample", &[]),
    p(100114, "x25", &[]),
    p(100115, "ping", &[]),
    p(100116, "rpcnfs", &[]),
    p(100117, "hostif", &[]),
    p(100118, "etherif", &[]),
    p(100120, "iproutes", &[]),
    p(100121, "layers", &[]),
    p(100122, "snmp", &[]),
    p(100123, "traffic", &[]),
    p(100227, "nfs_acl", &[v(2, NFS_ACL_V2), v(3, NFS_ACL_V3)]),
    // sadmind's procedure numbers are not published; only its name is known.
    p(100232, "sadmind", &[]),
    p(100233, "ufsd", &[]),
    p(100249, "snmpXdmid", &[]),
    p(100300, "nisd", &[]),
    p(100303, "nispasswd", &[]),
    p(100418, "fedfs_admin", &[]),
    p(150001, "pcnfsd", &[]),
    p(300019, "amd", &[]),
    p(390103, "nsrd", &[]),
    p(390104, "nsrmmd", &[]),
    p(390105, "nsrindexd", &[]),
    p(390107, "nsrmmdbd", &[]),
    p(390110, "nsrjb", &[]),
    p(390113, "nsrexec", &[]),
    p(390400, "nsrnotd", &[]),
    p(391002, "sgi_fam", &[]),
    p(200100000, "netinfo", &[]),
    p(200100001, "netinfobind", &[]),
    p(0x2000_0099, "rpcscope_test", &[v(1, RPCSCOPE_TEST_V1)]),
    p(545580417, "ugidd", &[]),
    p(600100069, "fypxfrd", &[]),
    p(788585389, "bwnfsd", &[]),
    // Linux's NFSv4 callback program (the client picks it; Linux uses
    // 0x40000000, which Wireshark also decodes as the callback).
    p(0x4000_0000, "nfs_cb", &[v(1, NFS_CB_V1)]),
];

/// Other names accepted by `program_by_name`: the aliases column of
/// `/etc/rpc`, plus the names people use for the NFS side programs.
pub(super) static ALIASES: &[(&str, u32)] = &[
    ("portmap", 100000),
    ("sunrpc", 100000),
    ("rpcbind", 100000),
    ("pmap", 100000),
    ("rstat", 100001),
    ("rstat_svc", 100001),
    ("rup", 100001),
    ("perfmeter", 100001),
    ("rusers", 100002),
    ("nfsprog", 100003),
    ("ypprog", 100004),
    ("mount", 100005),
    ("showmount", 100005),
    ("rwall", 100008),
    ("shutdown", 100008),
    ("yppasswd", 100009),
    ("etherstat", 100010),
    ("rquotaprog", 100011),
    ("quota", 100011),
    ("rquota", 100011),
    ("spray", 100012),
    ("selnsvc", 100015),
    ("rex", 100017),
    ("nlm", 100021),
    ("lockd", 100021),
    ("nsm", 100024),
    ("statd", 100024),
    ("ypupdate", 100028),
    ("keyserver", 100029),
    ("showfh", 100043),
    ("dbsrv", 100066),
    ("tooltalk", 100083),
    ("nfsacl", 100227),
    ("pcnfs", 150001),
    ("amq", 300019),
    ("nsrexecd", 390113),
    ("fam", 391002),
    ("nfs4_cb", 0x4000_0000),
    ("nfs_callback", 0x4000_0000),
    ("freebsd-ypxfrd", 600100069),
];
