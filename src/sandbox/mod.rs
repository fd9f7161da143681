//! Privilege drop and the system-call sandbox: what the app layer does to
//! the process once setup is over, so that a bug in the decoder, fed hostile
//! bytes, cannot reach much. This is I/O on the process itself and belongs
//! to the app layer (`app::live`, `app::read`, `app::stats`); no decoding
//! layer knows about it.
//!
//! The order is fixed, and each step fails closed (an error, never "go on
//! with less protection than asked"):
//!
//! 1. [`plan`]: before anything is opened, decide who the process becomes
//!    (`-Z USER`, default [`DEFAULT_USER`]) and look the user up while the
//!    user database can still be read. An unknown user is an error here,
//!    before the first packet.
//! 2. The caller opens what needs privilege: the capture handle, the `-w`
//!    file, and installs its signal handlers.
//! 3. [`relinquish`]: become that user for good (real, effective and saved
//!    ids), with no supplementary groups and no capabilities in any set
//!    (bounding and ambient included), and `no_new_privs`; then check, from
//!    `/proc/self/status`, that all of it holds and that root cannot be
//!    regained. It must run before any thread is started (capability sets
//!    are per thread), and checks that too.
//! 4. [`enter_sandbox`]: a seccomp filter that allows only the system calls
//!    of the decoding phase and kills the process on any other
//!    (`seccomp.rs` lists them, one group per purpose). `--no-sandbox` skips
//!    it, with a warning.
//!
//! Linux only: elsewhere [`plan`] accepts only `-Z root` (and says why),
//! and [`enter_sandbox`] does nothing. docs/security.md is the user's view.

#[cfg(all(target_os = "linux", feature = "export"))]
mod landlock_dir;
#[cfg(target_os = "linux")]
mod privs;
#[cfg(target_os = "linux")]
mod seccomp;

use std::fmt;

/// The user `live` becomes after opening the capture when no `-Z` is given.
/// `nobody` exists on every Linux distribution and owns nothing; tcpdump's
/// own `tcpdump` user is not there unless tcpdump is installed.
pub const DEFAULT_USER: &str = "nobody";

/// Why the process could not be restricted: a one-line message that says
/// what to do. The command does not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxError(pub String);

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SandboxError {}

/// Who the process is after [`relinquish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// `-Z root` (or a user whose uid is 0): stay root with every
    /// capability, as asked.
    KeepRoot,
    /// Running as root: become this user.
    User {
        /// The name given to `-Z`.
        name: String,
        /// Its uid.
        uid: u32,
        /// Its primary gid (from the user database).
        gid: u32,
    },
    /// Not running as root (e.g. a binary given `cap_net_raw` with
    /// setcap): keep the user, clear every capability.
    ClearCapabilities,
}

/// Decide who to become: `user` is the `-Z` value, `None` for the default.
/// Reads the user database, so call it before anything is restricted.
pub fn plan(user: Option<&str>) -> Result<Identity, SandboxError> {
    #[cfg(target_os = "linux")]
    {
        privs::plan(user)
    }
    #[cfg(not(target_os = "linux"))]
    {
        match user {
            Some("root") => Ok(Identity::KeepRoot),
            _ => Err(SandboxError(
                "dropping privileges after opening the capture is implemented on Linux only; \
                 pass -Z root to capture with the privileges rpcscope was started with"
                    .into(),
            )),
        }
    }
}

/// Raises the calling thread's scheduling priority to nice `nice` (Linux
/// keeps a nice value per thread; the threads it starts inherit it), where
/// the process may (root, or `CAP_SYS_NICE`): call it before [`relinquish`].
/// False where it may not, or off Linux; nothing changes then.
pub fn raise_thread_priority(nice: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::process::setpriority_process(None, nice).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        false
    }
}

/// Become `id` for good and check it (see the module docs).
pub fn relinquish(id: &Identity) -> Result<(), SandboxError> {
    #[cfg(target_os = "linux")]
    {
        privs::relinquish(id)
    }
    #[cfg(not(target_os = "linux"))]
    {
        match id {
            Identity::KeepRoot => Ok(()),
            _ => Err(SandboxError(
                "dropping privileges is implemented on Linux only".into(),
            )),
        }
    }
}

/// Restrict the whole process (every thread) to the system calls of the
/// decoding phase, with `no_new_privs`. Any other system call kills the
/// process (SIGSYS, exit status 159 in a shell). Does nothing outside
/// Linux.
pub fn enter_sandbox() -> Result<(), SandboxError> {
    #[cfg(target_os = "linux")]
    {
        seccomp::enter(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(())
    }
}

/// [`enter_sandbox`] for `top`, which owns the terminal: the same system
/// calls, plus waiting on the terminal's input queue (`epoll_wait`,
/// `epoll_pwait`) and setting the terminal's mode back at exit (`ioctl`
/// `TCSETS*`, and their `termios2` forms).
pub fn enter_terminal_sandbox() -> Result<(), SandboxError> {
    #[cfg(target_os = "linux")]
    {
        seccomp::enter_terminal()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(())
    }
}

/// [`enter_sandbox`] for an export into the directory `dir` (which exists):
/// the same system calls, plus creating new files (never opening an
/// existing one for writing) and directories. Where the kernel has
/// Landlock (Linux 5.13+), writing is first confined to `dir` (feature
/// `export`); where it has not, the seccomp rule still holds.
pub fn enter_export_sandbox(dir: &std::path::Path) -> Result<(), SandboxError> {
    #[cfg(target_os = "linux")]
    {
        #[cfg(feature = "export")]
        landlock_dir::confine_writes(dir)?;
        #[cfg(not(feature = "export"))]
        let _ = dir;
        seccomp::enter(true)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The names of the system calls the sandbox allows (empty outside Linux),
/// for documentation and tests.
pub fn allowed_syscalls() -> Vec<&'static str> {
    #[cfg(target_os = "linux")]
    {
        seccomp::allowed_names()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}
