//! SIGINT and SIGTERM: a clean stop.
//!
//! `read`, `stats` and `live` install [`Stop`] and poll it between frames
//! (and while waiting for input). On the first signal the command stops
//! reading, flushes what was decoded, reports the calls still waiting for a
//! reply, prints the summary and exits with 128 + the signal number (130
//! for SIGINT, 143 for SIGTERM), as shells report a process killed by that
//! signal. A second signal while stopping exits at once with that status.
//! `serve` installs it too so its exit status follows the same table.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};

/// The signals that stop a command.
pub const STOP_SIGNALS: [i32; 2] = [SIGINT, SIGTERM];

/// Whether (and by which signal) the process was asked to stop.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    requested: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Stop {
    /// Installs handlers for SIGINT and SIGTERM. Only the binary calls this
    /// (library users keep their own signal handling).
    pub fn install() -> io::Result<Stop> {
        let stop = Stop::default();
        for sig in STOP_SIGNALS {
            let status = exit_status(sig) as i32;
            // Order matters: the conditional shutdown runs first, so only a
            // signal arriving after `requested` was set exits at once.
            signal_hook::flag::register_conditional_shutdown(
                sig,
                status,
                Arc::clone(&stop.requested),
            )?;
            signal_hook::flag::register_usize(sig, Arc::clone(&stop.signal), sig as usize)?;
            signal_hook::flag::register(sig, Arc::clone(&stop.requested))?;
        }
        Ok(stop)
    }

    /// A flag nothing sets (tests, library callers).
    pub fn never() -> Stop {
        Stop::default()
    }

    /// True once a stop signal arrived.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }

    /// The signal that asked to stop, if any.
    pub fn signal(&self) -> Option<i32> {
        if !self.requested() {
            return None;
        }
        match self.signal.load(Ordering::Relaxed) {
            0 => Some(SIGINT),
            s => Some(s as i32),
        }
    }

    /// Asks to stop as `sig` would (tests; a caller's own stop condition).
    pub fn request(&self, sig: i32) {
        self.signal.store(sig as usize, Ordering::Relaxed);
        self.requested.store(true, Ordering::Relaxed);
    }
}

/// The exit status of a command stopped by `sig`: 128 + its number.
pub fn exit_status(sig: i32) -> u8 {
    (128 + sig.clamp(0, 127)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_128_plus_the_signal() {
        assert_eq!(exit_status(SIGINT), 130);
        assert_eq!(exit_status(SIGTERM), 143);
    }

    #[test]
    fn a_request_names_its_signal() {
        let s = Stop::never();
        assert!(!s.requested());
        assert_eq!(s.signal(), None);
        let t = s.clone();
        t.request(SIGTERM);
        assert_eq!(s.signal(), Some(SIGTERM));
    }
}
