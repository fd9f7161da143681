//! Which TCP connections the server keeps when it is full.
//!
//! The server serves at most `Limits::server_max_connections` TCP
//! connections, one thread each. A full table must not let clients that do
//! nothing (idle sockets, slowloris trickles) lock everyone else out until
//! their timeouts expire, so a new connection that finds the table full
//! takes the place of a connection that is not being useful:
//!
//! 1. the connection idle longest (no record in progress, no byte for at
//!    least `Limits::server_evict_after_ms`), else
//! 2. the connection whose record has been arriving longest (started at
//!    least `server_evict_after_ms` ago: a slowloris, or an upload slower
//!    than everything else);
//!
//! and is refused (accepted and closed at once) only when every connection
//! is busy with calls that arrive promptly: that is real load, and it is
//! served. The victim's socket is shut down; its thread sees the end of
//! input and exits, reporting that it was evicted. Its slot counts as free
//! from the moment it is chosen, so the table never holds more than the cap
//! of connections that are being served.
//!
//! Sans-IO apart from shutting down the victim's socket: time is passed in.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the table knows of one connection, shared with its thread.
#[derive(Debug)]
pub struct ConnInfo {
    /// Milliseconds since the table's epoch: the last byte received.
    last_byte_ms: AtomicU64,
    /// When the record in progress started (ms since the epoch), or
    /// `u64::MAX` when none is.
    record_since_ms: AtomicU64,
    /// Chosen as a victim: its thread ends.
    evicted: AtomicBool,
    /// The socket, shared with the connection's thread, to shut down with.
    stream: Option<Arc<TcpStream>>,
}

impl ConnInfo {
    /// The connection received a byte at `now`; `record` is when the record
    /// now in progress started, if one is.
    pub fn activity(&self, table: &Admission, now: Instant, record: Option<Instant>) {
        self.last_byte_ms.store(table.ms(now), Ordering::Relaxed);
        let since = record.map_or(u64::MAX, |t| table.ms(t));
        self.record_since_ms.store(since, Ordering::Relaxed);
    }

    /// True once the connection was evicted to make room.
    pub fn evicted(&self) -> bool {
        self.evicted.load(Ordering::Relaxed)
    }
}

/// The table of served connections.
#[derive(Debug)]
pub struct Admission {
    epoch: Instant,
    cap: usize,
    evict_after_ms: u64,
    conns: Mutex<Vec<Arc<ConnInfo>>>,
    /// Connections evicted, and refused, so far.
    pub evictions: AtomicU64,
    pub refusals: AtomicU64,
}

/// The answer to a new connection.
#[derive(Debug)]
pub enum Admit {
    /// Serve it; the info is shared with its thread (which calls
    /// [`Admission::leave`] when it ends).
    Yes(Arc<ConnInfo>),
    /// Full of useful connections: close it.
    No,
}

impl Admission {
    pub fn new(cap: usize, evict_after_ms: u64) -> Self {
        Admission {
            epoch: Instant::now(),
            cap,
            evict_after_ms,
            conns: Mutex::new(Vec::new()),
            evictions: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
        }
    }

    fn ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    /// Connections being served.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<ConnInfo>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new connection at `now`; `stream` is a handle to shut it down with
    /// if it is evicted later.
    pub fn admit(&self, stream: Option<Arc<TcpStream>>, now: Instant) -> Admit {
        let mut conns = self.lock();
        if conns.len() >= self.cap.max(1) {
            match self.victim(&conns, now) {
                Some(i) => {
                    let v = conns.swap_remove(i);
                    v.evicted.store(true, Ordering::Relaxed);
                    if let Some(s) = &v.stream {
                        let _ = s.shutdown(Shutdown::Both);
                    }
                    self.evictions.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.refusals.fetch_add(1, Ordering::Relaxed);
                    return Admit::No;
                }
            }
        }
        let ms = self.ms(now);
        let info = Arc::new(ConnInfo {
            last_byte_ms: AtomicU64::new(ms),
            record_since_ms: AtomicU64::new(u64::MAX),
            evicted: AtomicBool::new(false),
            stream,
        });
        conns.push(Arc::clone(&info));
        Admit::Yes(info)
    }

    /// The connection's thread ended.
    pub fn leave(&self, info: &Arc<ConnInfo>) {
        let mut conns = self.lock();
        if let Some(i) = conns.iter().position(|c| Arc::ptr_eq(c, info)) {
            conns.swap_remove(i);
        }
    }

    /// The connection to evict at `now`, if one is not being useful.
    fn victim(&self, conns: &[Arc<ConnInfo>], now: Instant) -> Option<usize> {
        let now = self.ms(now);
        let old =
            |since: u64| since != u64::MAX && now.saturating_sub(since) >= self.evict_after_ms;
        let idle = conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.record_since_ms.load(Ordering::Relaxed) == u64::MAX)
            .map(|(i, c)| (i, c.last_byte_ms.load(Ordering::Relaxed)))
            .filter(|&(_, last)| old(last))
            .min_by_key(|&(_, last)| last);
        if let Some((i, _)) = idle {
            return Some(i);
        }
        conns
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.record_since_ms.load(Ordering::Relaxed)))
            .filter(|&(_, since)| old(since))
            .min_by_key(|&(_, since)| since)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn yes(a: Admit) -> Arc<ConnInfo> {
        match a {
            Admit::Yes(i) => i,
            Admit::No => panic!("refused"),
        }
    }

    #[test]
    fn full_of_busy_connections_refuses() {
        let t = Admission::new(2, 1000);
        let now = t.epoch;
        let a = yes(t.admit(None, now));
        let b = yes(t.admit(None, now));
        // Both received a byte just now.
        let later = now + Duration::from_millis(500);
        a.activity(&t, later, None);
        b.activity(&t, later, Some(later));
        assert!(matches!(t.admit(None, later), Admit::No));
        assert_eq!(t.refusals.load(Ordering::Relaxed), 1);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn the_longest_idle_goes_first_then_the_slowest_record() {
        let t = Admission::new(3, 1000);
        let t0 = t.epoch;
        let idle_old = yes(t.admit(None, t0));
        let slow = yes(t.admit(None, t0));
        let idle_new = yes(t.admit(None, t0));
        slow.activity(&t, t0 + Duration::from_millis(100), Some(t0));
        idle_new.activity(&t, t0 + Duration::from_millis(200), None);
        let at = t0 + Duration::from_millis(1500);
        let d = yes(t.admit(None, at));
        assert!(idle_old.evicted() && !slow.evicted() && !idle_new.evicted());
        // Next: idle_new has been idle 1.3 s; it goes before the slow record.
        let at = at + Duration::from_millis(10);
        let _e = yes(t.admit(None, at));
        assert!(idle_new.evicted() && !slow.evicted());
        // Then the slowloris, its record 1.5 s old (d and e are fresh).
        d.activity(&t, at, None);
        let _f = yes(t.admit(None, at));
        assert!(slow.evicted());
        assert_eq!(t.evictions.load(Ordering::Relaxed), 3);
        assert_eq!(t.len(), 3);
        t.leave(&d);
        assert_eq!(t.len(), 2);
    }
}
