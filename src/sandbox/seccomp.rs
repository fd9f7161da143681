//! The seccomp filter of the decoding phase (Linux): one allow-list, in one
//! place, a group per purpose; any other system call kills the process.
//!
//! The list covers what `read`, `stats` and `live` do once setup is over,
//! and what work in flight will add: decoder worker threads, memory-mapped
//! input files, a gzip decoding thread, signal handlers that write to a
//! pipe or an eventfd. It allows no way to reach the network or another
//! process (no `socket`, `connect`, `bind`, `sendto` to an address,
//! `execve`, `ptrace`, `kill` of another pid), no way to write a file it
//! did not open during setup (`openat` is read-only), and no executable
//! memory (`mmap`/`mprotect` without `PROT_EXEC`).
//!
//! Why kill rather than fail the call with EPERM: a call outside the list
//! means the code took a path nobody reviewed (or was made to); dying at
//! once with SIGSYS is a clear, loud failure, where an error return would
//! send the program down an error path that was never tested under the
//! sandbox either. tcpdump-style robustness: the capture stops, it does not
//! go on in an unknown state. `--no-sandbox` is the way around a missing
//! entry; the kernel logs the call number (audit, `dmesg`).
//!
//! Contract: [`enter`] returns `Ok` only once the filter is installed on
//! every thread of the process (TSYNC) with `no_new_privs`; it cannot be
//! removed afterwards.

use std::collections::BTreeMap;

use nix::libc;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use super::SandboxError;

/// How a system call's arguments are checked.
#[derive(Debug, Clone, Copy)]
enum Args {
    /// Any arguments.
    Any,
    /// 32-bit argument `.0` has none of the bits of `.1`.
    NoneOf(u8, u64),
    /// 32-bit argument `.0` is one of `.1`.
    OneOf(u8, &'static [u64]),
    /// Every `(argument, value)` pair holds (32-bit arguments).
    AllOf(&'static [(u8, u64)]),
    /// 64-bit argument `.0` is zero (a NULL pointer).
    Null(u8),
    /// 32-bit argument `.0` is this process's id.
    OwnPid(u8),
    /// `openat` flags (argument 2) that open read-only, or, when `.0`
    /// (export), create a new file write-only (`O_CREAT|O_EXCL|O_WRONLY`:
    /// an existing file can never be opened for writing).
    OpenFlags(bool),
}

/// One allowed system call.
#[derive(Debug, Clone, Copy)]
struct Allow {
    name: &'static str,
    nr: i64,
    args: Args,
}

/// `allow!(SYS_x)` or `allow!(SYS_x, args)`: the system call number from
/// libc for this architecture, and its name for the docs.
macro_rules! allow {
    ($nr:ident) => {
        allow!($nr, Args::Any)
    };
    ($nr:ident, $args:expr) => {
        Allow {
            name: strip_sys(stringify!($nr)),
            nr: libc::$nr as i64,
            args: $args,
        }
    };
}

fn strip_sys(s: &'static str) -> &'static str {
    s.strip_prefix("SYS_").unwrap_or(s)
}

/// `openat` flags that would create, truncate or write a file.
const WRITE_FLAGS: u64 = (libc::O_ACCMODE | libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND) as u64;
/// The only writing `openat` export allows: a new file, write-only.
const CREATE_NEW: u64 = (libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY) as u64;

/// The `ioctl` requests of decoding (see their group below).
#[allow(clippy::unnecessary_cast)] // as for `allowed`: per-target types
const IOCTLS: [u64; 4] = [
    libc::TCGETS as u64,
    libc::TIOCGWINSZ as u64,
    libc::SIOCGIFFLAGS as u64,
    libc::SIOCGIFINDEX as u64,
];
/// Those, and setting the terminal's mode back (`top`; newer glibc uses
/// the `termios2` requests).
#[allow(clippy::unnecessary_cast)]
const TERMINAL_IOCTLS: [u64; 11] = [
    libc::TCGETS as u64,
    libc::TIOCGWINSZ as u64,
    libc::SIOCGIFFLAGS as u64,
    libc::SIOCGIFINDEX as u64,
    libc::TCSETS as u64,
    libc::TCSETSW as u64,
    libc::TCSETSF as u64,
    libc::TCGETS2 as u64,
    libc::TCSETS2 as u64,
    libc::TCSETSW2 as u64,
    libc::TCSETSF2 as u64,
];

/// The allow-list, one group per purpose.
// libc's constants have different integer types per target (an ioctl
// request is a `c_ulong` on glibc, a `c_int` on musl): the casts to u64 are
// needed somewhere even where they are not here.
#[allow(clippy::unnecessary_cast)]
fn allowed(export: bool, terminal: bool) -> Vec<Allow> {
    let mut v = vec![
        // ---- memory: the allocator, thread stacks, memory-mapped input
        // files; never executable memory.
        allow!(SYS_brk),
        allow!(SYS_mmap, Args::NoneOf(2, libc::PROT_EXEC as u64)),
        allow!(SYS_mprotect, Args::NoneOf(2, libc::PROT_EXEC as u64)),
        allow!(SYS_munmap),
        allow!(SYS_mremap),
        allow!(SYS_madvise),
        // ---- reading input and writing output on descriptors opened
        // during setup (capture files, stdin, stdout, stderr, the `-w`
        // file); opening further inputs read-only (`read` opens each file
        // in turn; glibc and std read a few /proc and /sys files).
        allow!(SYS_read),
        allow!(SYS_readv),
        allow!(SYS_pread64),
        allow!(SYS_preadv),
        allow!(SYS_write),
        allow!(SYS_writev),
        allow!(SYS_lseek),
        allow!(SYS_close),
        allow!(SYS_openat, Args::OpenFlags(export)),
        allow!(SYS_newfstatat),
        allow!(SYS_statx),
        allow!(SYS_fadvise64),
        allow!(
            SYS_fcntl,
            Args::OneOf(
                1,
                &[
                    libc::F_GETFD as u64,
                    libc::F_SETFD as u64,
                    libc::F_GETFL as u64,
                    libc::F_SETFL as u64,
                ]
            )
        ),
        // Is it a terminal, and how wide (progress bar, stats redraw); and
        // libpcap asking whether the captured interface is still up when
        // its socket reports ENETDOWN (SIOCGIFFLAGS, SIOCGIFINDEX: queries
        // that change nothing).
        allow!(
            SYS_ioctl,
            Args::OneOf(1, if terminal { &TERMINAL_IOCTLS } else { &IOCTLS })
        ),
        // ---- the live capture handle: wait for packets, read the kernel's
        // counts, and tear the packet ring down at close (libpcap).
        allow!(SYS_ppoll),
        allow!(
            SYS_getsockopt,
            Args::OneOf(1, &[libc::SOL_SOCKET as u64, libc::SOL_PACKET as u64])
        ),
        // When the interface goes away, libpcap asks the socket which
        // interface it is bound to, to say "the interface disappeared".
        allow!(SYS_getsockname),
        allow!(
            SYS_setsockopt,
            Args::AllOf(&[
                (1, libc::SOL_PACKET as u64),
                (2, libc::PACKET_RX_RING as u64)
            ])
        ),
        // Sockets already connected during setup only (signal-hook's
        // self-pipe is a socket pair): no destination address.
        allow!(SYS_recvfrom),
        allow!(SYS_sendto, Args::Null(4)),
        // ---- threads: decoder workers, a gzip thread (std::thread on
        // glibc: clone3 or clone, a guard page, a signal stack, the thread's
        // name, its HashMap keys, its CPU set).
        allow!(SYS_clone),
        allow!(SYS_clone3),
        allow!(SYS_futex),
        allow!(SYS_sched_yield),
        allow!(SYS_set_robust_list),
        allow!(SYS_rseq),
        allow!(SYS_sched_getaffinity),
        allow!(
            SYS_prctl,
            Args::OneOf(0, &[libc::PR_SET_NAME as u64, libc::PR_GET_NAME as u64])
        ),
        allow!(SYS_getrandom),
        allow!(SYS_gettid),
        allow!(SYS_getpid),
        allow!(SYS_prlimit64, Args::Null(2)),
        allow!(SYS_exit),
        // ---- signals: SIGINT/SIGTERM handlers, their return, a sleep they
        // interrupt being restarted, and abort() signalling itself only.
        allow!(SYS_rt_sigaction),
        allow!(SYS_rt_sigprocmask),
        allow!(SYS_rt_sigreturn),
        allow!(SYS_sigaltstack),
        allow!(SYS_restart_syscall),
        allow!(SYS_tgkill, Args::OwnPid(0)),
        // ---- time: clocks (when the vDSO falls back to the kernel), the
        // idle sleep of the live loop.
        allow!(SYS_clock_gettime),
        allow!(SYS_clock_getres),
        allow!(SYS_gettimeofday),
        allow!(SYS_nanosleep),
        allow!(SYS_clock_nanosleep),
        // ---- a panic's backtrace (RUST_BACKTRACE): file names are shown
        // relative to the working directory; debug info is read from the
        // executable through the read-only calls above.
        allow!(SYS_getcwd),
        // ---- the end.
        allow!(SYS_exit_group),
    ];
    // Older system calls that glibc still uses on x86_64 (newer
    // architectures only have the *at / p* forms above).
    #[cfg(target_arch = "x86_64")]
    v.extend([
        allow!(SYS_poll),
        allow!(SYS_fstat),
        allow!(SYS_stat),
        allow!(SYS_lstat),
        allow!(SYS_getrlimit),
        allow!(SYS_time),
    ]);
    // ---- export (`read --format parquet -o DIR`): new files and
    // partition directories (`OpenFlags` above lets `openat` create new
    // files only, never open an existing one for writing; Landlock, where
    // the kernel has it, confines both to DIR).
    // ---- `top`: wait for keys and resizes on the terminal's event queue
    // (made during setup); the terminal's mode is set back at exit (the
    // ioctls above).
    if terminal {
        v.push(allow!(SYS_epoll_pwait));
        #[cfg(target_arch = "x86_64")]
        v.push(allow!(SYS_epoll_wait));
    }
    if export {
        v.push(allow!(SYS_mkdirat));
        #[cfg(target_arch = "x86_64")]
        v.push(allow!(SYS_mkdir));
    }
    v
}

/// The names of the allowed system calls, in list order.
pub fn allowed_names() -> Vec<&'static str> {
    allowed(false, false).iter().map(|a| a.name).collect()
}

fn cond(arg: u8, len: SeccompCmpArgLen, op: SeccompCmpOp, value: u64) -> SeccompCondition {
    // Argument indexes here are all below 6: construction cannot fail.
    SeccompCondition::new(arg, len, op, value).expect("argument index below 6")
}

/// The rules of one entry; an empty list allows any arguments.
fn rules(args: Args, pid: u64) -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
    use SeccompCmpArgLen::{Dword, Qword};
    let one = |c: Vec<SeccompCondition>| SeccompRule::new(c);
    Ok(match args {
        Args::Any => Vec::new(),
        Args::NoneOf(i, mask) => vec![one(vec![cond(i, Dword, SeccompCmpOp::MaskedEq(mask), 0)])?],
        Args::OneOf(i, values) => values
            .iter()
            .map(|v| one(vec![cond(i, Dword, SeccompCmpOp::Eq, *v)]))
            .collect::<Result<_, _>>()?,
        Args::AllOf(pairs) => vec![one(pairs
            .iter()
            .map(|(i, v)| cond(*i, Dword, SeccompCmpOp::Eq, *v))
            .collect())?],
        Args::Null(i) => vec![one(vec![cond(i, Qword, SeccompCmpOp::Eq, 0)])?],
        Args::OwnPid(i) => vec![one(vec![cond(i, Dword, SeccompCmpOp::Eq, pid)])?],
        Args::OpenFlags(export) => {
            let read_only = one(vec![cond(2, Dword, SeccompCmpOp::MaskedEq(WRITE_FLAGS), 0)])?;
            let mask = WRITE_FLAGS | libc::O_EXCL as u64;
            let create_new = one(vec![cond(
                2,
                Dword,
                SeccompCmpOp::MaskedEq(mask),
                CREATE_NEW,
            )])?;
            if export {
                vec![read_only, create_new]
            } else {
                vec![read_only]
            }
        }
    })
}

/// The filter as a BPF program for this architecture.
fn program(export: bool, terminal: bool) -> Result<BpfProgram, SandboxError> {
    let fail = |e: &dyn std::fmt::Display| {
        SandboxError(format!(
            "cannot build the seccomp filter: {e}; run with --no-sandbox to decode without it"
        ))
    };
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| fail(&e))?;
    let pid = u64::from(std::process::id());
    let mut map: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for a in allowed(export, terminal) {
        let r = rules(a.args, pid).map_err(|e| fail(&e))?;
        if map.insert(a.nr, r).is_some() {
            return Err(fail(&format!("{} is listed twice", a.name)));
        }
    }
    let filter = SeccompFilter::new(map, SeccompAction::KillProcess, SeccompAction::Allow, arch)
        .map_err(|e| fail(&e))?;
    BpfProgram::try_from(filter).map_err(|e| fail(&e))
}

/// See [`super::enter_sandbox`]; `export`: also [`super::enter_export_sandbox`]'s
/// file creation.
pub fn enter(export: bool) -> Result<(), SandboxError> {
    install(program(export, false)?)
}

/// See [`super::enter_terminal_sandbox`].
pub fn enter_terminal() -> Result<(), SandboxError> {
    install(program(false, true)?)
}

fn install(prog: BpfProgram) -> Result<(), SandboxError> {
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| {
        SandboxError(format!(
            "cannot install the seccomp filter: {e}; run with --no-sandbox to decode without it"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_builds_for_this_architecture_within_bpf_limits() {
        let prog = program(false, false).unwrap();
        assert!(program(true, false).unwrap().len() > prog.len());
        assert!(program(false, true).unwrap().len() > prog.len());
        // The kernel refuses programs over BPF_MAXINSNS (4096).
        assert!(prog.len() < 4096, "{} instructions", prog.len());
        // Several conditional entries, so more than one instruction each.
        assert!(prog.len() > allowed(false, false).len(), "{}", prog.len());
    }

    #[test]
    fn names_and_numbers_are_unique() {
        let a = allowed(true, true);
        let mut names: Vec<_> = a.iter().map(|a| a.name).collect();
        let mut nrs: Vec<_> = a.iter().map(|a| a.nr).collect();
        names.sort();
        names.dedup();
        nrs.sort();
        nrs.dedup();
        assert_eq!(names.len(), a.len());
        assert_eq!(nrs.len(), a.len());
    }

    #[test]
    fn nothing_that_reaches_out_is_allowed() {
        let names = allowed_names();
        for forbidden in [
            "socket",
            "connect",
            "bind",
            "listen",
            "accept",
            "accept4",
            "sendmsg",
            "execve",
            "execveat",
            "ptrace",
            "kill",
            "fork",
            "vfork",
            "setuid",
            "setresuid",
            "setgroups",
            "capset",
            "mount",
            "unshare",
            "setns",
            "bpf",
            "perf_event_open",
            "open",
            "unlinkat",
            "renameat2",
            "mkdirat",
            "chmod",
            "fchmodat",
            "chown",
            "fchownat",
            "process_vm_writev",
            "seccomp",
            "io_uring_setup",
        ] {
            assert!(!names.contains(&forbidden), "{forbidden} is allowed");
        }
    }

    #[test]
    fn docs_list_every_allowed_call() {
        let doc = include_str!("../../docs/security.md");
        for name in allowed_names() {
            assert!(
                doc.contains(&format!("`{name}`")),
                "docs/security.md does not mention `{name}`"
            );
        }
    }
}
