//! The thin I/O loops around [`Service`]: binding, accepting, reading,
//! sleeping, writing. No protocol logic lives here.
//!
//! * TCP: one accept thread per listener; one thread per connection, at most
//!   `server_max_connections`. When full, a new connection takes the place
//!   of an idle or stalled one ([`Admission`]), or is accepted and closed
//!   at once when every connection is busy. A
//!   connection is closed when its framing is refused ([`RecordError`](crate::rpc::record::RecordError)), when
//!   a record is garbage, when it is idle past `server_idle_timeout_ms`, or
//!   when a record takes longer than `server_record_deadline_ms` to arrive.
//!   Replies go out in call order, each as one record fragment.
//! * UDP: `server_udp_workers` threads per socket, each receiving a datagram,
//!   handling it and (after any SLEEP) sending the reply. A datagram from a
//!   non-loopback source past its allowance ([`RateLimiter`], shared by every
//!   UDP socket) is dropped before it is decoded; a call the service refuses
//!   to answer remotely ([`Disposition::Refused`]) gets no reply.
//!
//! Every blocking call has a timeout of at most [`POLL`], so all threads
//! notice the stop flag (set by SIGINT/SIGTERM) within that time.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, Socket, Type};

use super::admission::{Admission, Admit, ConnInfo};
use super::ratelimit::RateLimiter;
use super::service::{is_loopback, CallCtx, Disposition, Service, Transport};
use crate::client::conn::is_timeout;
use crate::limits::Limits;
use crate::rpc::record::RecordAssembler;
use crate::rpc::{encode_record, RecordMark};

/// Longest a thread blocks before looking at the stop flag again.
pub const POLL: Duration = Duration::from_millis(100);

/// The bound sockets.
#[derive(Debug)]
pub struct Listeners {
    /// The port they share.
    pub port: u16,
    tcp: Vec<(IpAddr, TcpListener)>,
    udp: Vec<(IpAddr, UdpSocket)>,
}

impl Listeners {
    /// `(netid, address)` of every socket, for registration.
    pub fn netids(&self) -> Vec<(&'static str, IpAddr)> {
        let v6 = |ip: &IpAddr| ip.is_ipv6();
        let mut v: Vec<_> = self
            .tcp
            .iter()
            .map(|(ip, _)| (if v6(ip) { "tcp6" } else { "tcp" }, *ip))
            .collect();
        v.extend(
            self.udp
                .iter()
                .map(|(ip, _)| (if v6(ip) { "udp6" } else { "udp" }, *ip)),
        );
        v
    }
}

/// Bind TCP and UDP on every address, all on one port (a free one chosen by
/// the first bind when `port` is 0). IPv6 sockets are IPv6-only so that
/// `0.0.0.0` and `::` can share a port.
pub fn bind_all(addrs: &[IpAddr], mut port: u16) -> io::Result<Listeners> {
    let mut l = Listeners {
        port,
        tcp: Vec::new(),
        udp: Vec::new(),
    };
    for &ip in addrs {
        let what = |e: io::Error, proto: &str, port: u16| {
            // The usual causes have a usual way out: another port.
            let hint = match e.kind() {
                io::ErrorKind::AddrInUse => {
                    " (another server has it: `--port 0` picks a free port)"
                }
                io::ErrorKind::PermissionDenied if port < 1024 => {
                    " (ports below 1024 need root: run as root, or `--port 0` for a free port)"
                }
                _ => "",
            };
            io::Error::new(
                e.kind(),
                format!(
                    "cannot bind {proto} {}: {e}{hint}",
                    SocketAddr::new(ip, port)
                ),
            )
        };
        let tcp = socket(ip, Type::STREAM, Protocol::TCP)
            .and_then(|s| {
                s.bind(&SocketAddr::new(ip, port).into())?;
                s.listen(128)?;
                Ok(TcpListener::from(s))
            })
            .map_err(|e| what(e, "tcp", port))?;
        if port == 0 {
            port = tcp.local_addr()?.port();
        }
        let udp = socket(ip, Type::DGRAM, Protocol::UDP)
            .and_then(|s| {
                s.bind(&SocketAddr::new(ip, port).into())?;
                Ok(UdpSocket::from(s))
            })
            .map_err(|e| what(e, "udp", port))?;
        l.tcp.push((ip, tcp));
        l.udp.push((ip, udp));
    }
    l.port = port;
    Ok(l)
}

fn socket(ip: IpAddr, ty: Type, proto: Protocol) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(SocketAddr::new(ip, 0)), ty, Some(proto))?;
    if ip.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    Ok(s)
}

/// What every UDP worker shares: the per-source rate limiter and counts.
#[derive(Debug)]
pub struct UdpShared {
    limiter: Mutex<Option<RateLimiter>>,
    epoch: Instant,
    limited: AtomicU64,
    refused: AtomicU64,
}

impl UdpShared {
    /// The rate limit of `limits` (none when its rate is 0).
    pub fn new(limits: &Limits) -> Arc<UdpShared> {
        Arc::new(UdpShared {
            limiter: Mutex::new(RateLimiter::new(limits)),
            epoch: Instant::now(),
            limited: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// True when a datagram from `peer` may be handled now. Loopback
    /// sources are not limited (they cannot be forged from outside).
    fn admit(&self, peer: IpAddr) -> bool {
        if is_loopback(peer) {
            return true;
        }
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut guard = self.limiter.lock().unwrap_or_else(|e| e.into_inner());
        let ok = guard.as_mut().is_none_or(|l| l.allow(peer, now));
        if !ok {
            self.limited.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// (datagrams dropped by the rate limit, calls refused by the
    /// reflection policy) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.limited.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }
}

/// Start the accept and UDP threads; they run until `stop` is set.
pub fn spawn_all(
    listeners: Listeners,
    service: Arc<Mutex<Service>>,
    limits: &Limits,
    stop: &Arc<AtomicBool>,
    udp: &Arc<UdpShared>,
    verbose: bool,
) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::new();
    let active = Arc::new(Admission::new(
        limits.server_max_connections,
        limits.server_evict_after_ms,
    ));
    for (_, listener) in listeners.tcp {
        let (service, limits, stop, active) = (
            service.clone(),
            limits.clone(),
            stop.clone(),
            active.clone(),
        );
        handles.push(std::thread::spawn(move || {
            accept_loop(listener, service, limits, stop, active, verbose)
        }));
    }
    for (_, sock) in listeners.udp {
        for _ in 0..limits.server_udp_workers.max(1) {
            let Ok(sock) = sock.try_clone() else { break };
            let (service, stop, udp) = (service.clone(), stop.clone(), udp.clone());
            handles.push(std::thread::spawn(move || {
                udp_loop(sock, service, stop, udp, verbose)
            }));
        }
    }
    handles
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn lock(service: &Mutex<Service>) -> std::sync::MutexGuard<'_, Service> {
    // The service never panics while holding the lock; if it somehow did,
    // its state is still consistent enough to serve others.
    service.lock().unwrap_or_else(|e| e.into_inner())
}

/// Leaves the connection table when a connection thread ends.
struct Slot(Arc<Admission>, Arc<ConnInfo>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.leave(&self.1);
    }
}

fn accept_loop(
    listener: TcpListener,
    service: Arc<Mutex<Service>>,
    limits: Limits,
    stop: Arc<AtomicBool>,
    active: Arc<Admission>,
    verbose: bool,
) {
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        let (stream, peer) = match listener.accept() {
            Ok(s) => s,
            Err(e) if is_timeout(&e) => {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
            Err(_) => {
                // EMFILE and friends: back off instead of spinning.
                std::thread::sleep(POLL);
                continue;
            }
        };
        // One descriptor, shared with the table so it can be shut down.
        let stream = Arc::new(stream);
        let info = match active.admit(Some(Arc::clone(&stream)), Instant::now()) {
            Admit::Yes(info) => info,
            Admit::No => {
                if verbose {
                    eprintln!(
                        "rpcscope serve: {peer}: refused, {} connections busy",
                        limits.server_max_connections
                    );
                }
                drop(stream);
                continue;
            }
        };
        let slot = Slot(active.clone(), info);
        let (service, limits, stop) = (service.clone(), limits.clone(), stop.clone());
        let spawned = std::thread::Builder::new().spawn(move || {
            let why = serve_connection(stream, peer, &service, &limits, &stop, &slot);
            if verbose {
                eprintln!("rpcscope serve: tcp {peer}: closed: {why}");
            }
        });
        if spawned.is_err() && verbose {
            eprintln!("rpcscope serve: {peer}: no thread for the connection");
        }
    }
}

/// Serve one TCP connection; returns why it ended.
fn serve_connection(
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    service: &Mutex<Service>,
    limits: &Limits,
    stop: &AtomicBool,
    slot: &Slot,
) -> String {
    let (table, info) = (&slot.0, &slot.1);
    let mut stream: &TcpStream = &stream;
    let setup = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_nodelay(true))
        .and_then(|()| {
            stream.set_write_timeout(Some(Duration::from_millis(
                limits.server_record_deadline_ms.max(1),
            )))
        });
    if let Err(e) = setup {
        return format!("setup failed: {e}");
    }
    let local = stream.local_addr().unwrap_or(peer);
    let idle = Duration::from_millis(limits.server_idle_timeout_ms);
    let record_deadline = Duration::from_millis(limits.server_record_deadline_ms);
    let mut asm = RecordAssembler::new(limits);
    let mut buf = vec![0u8; 64 * 1024];
    let mut reply = Vec::new();
    let mut framed = Vec::new();
    let mut last_byte = Instant::now();
    let mut record_start: Option<Instant> = None;
    loop {
        if stop.load(Ordering::Relaxed) {
            return "server stopping".into();
        }
        let now = Instant::now();
        let deadline = match record_start {
            Some(t) => t + record_deadline,
            None => last_byte + idle,
        };
        let Some(left) = deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
        else {
            return match record_start {
                Some(_) => format!(
                    "record not complete within {} ms",
                    record_deadline.as_millis()
                ),
                None => format!("idle for {} ms", idle.as_millis()),
            };
        };
        if let Err(e) = stream.set_read_timeout(Some(left.min(POLL))) {
            return format!("set_read_timeout: {e}");
        }
        let n = match stream.read(&mut buf) {
            _ if info.evicted() => return "evicted to make room for a new connection".into(),
            Ok(0) => return "closed by peer".into(),
            Ok(n) => n,
            Err(e) if is_timeout(&e) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return format!("read: {e}"),
        };
        last_byte = Instant::now();
        let mut completed = 0usize;
        let mut closing: Option<String> = None;
        let ctx = CallCtx {
            transport: Transport::Tcp,
            peer,
            local,
            now_unix: now_unix(),
        };
        let fed = asm.push(&buf[..n], |record| {
            completed += 1;
            let disposition = lock(service).handle(record, &ctx, &mut reply);
            match disposition {
                Disposition::Reply { delay_ms } => {
                    if delay_ms > 0 {
                        std::thread::sleep(Duration::from_millis(delay_ms.into()));
                    }
                    framed.clear();
                    encode_record(&reply, RecordMark::MAX_LEN as usize, &mut framed);
                    if let Err(e) = stream.write_all(&framed) {
                        closing = Some(format!("write: {e}"));
                        return false;
                    }
                    true
                }
                // Refusals are for UDP only; TCP callers cannot be forged.
                Disposition::NoReply | Disposition::Refused(_) => true,
                Disposition::Garbage(e) => {
                    closing = Some(format!("not an RPC call: {e}"));
                    false
                }
            }
        });
        match fed {
            Err(e) => return format!("framing refused: {e}"),
            Ok(false) => return closing.unwrap_or_else(|| "stopped".into()),
            Ok(true) => {}
        }
        record_start = match (asm.in_record(), completed) {
            (false, _) => None,
            (true, 0) => Some(record_start.unwrap_or(last_byte)),
            (true, _) => Some(Instant::now()),
        };
        info.activity(table, last_byte, record_start);
    }
}

fn udp_loop(
    sock: UdpSocket,
    service: Arc<Mutex<Service>>,
    stop: Arc<AtomicBool>,
    udp: Arc<UdpShared>,
    verbose: bool,
) {
    if sock.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let local = match sock.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let mut buf = vec![0u8; 65536];
    let mut reply = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let (n, peer) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) => continue, // timeouts, ICMP errors reported on the socket
        };
        if !udp.admit(peer.ip()) {
            continue;
        }
        let ctx = CallCtx {
            transport: Transport::Udp,
            peer,
            local,
            now_unix: now_unix(),
        };
        let disposition = lock(&service).handle(&buf[..n], &ctx, &mut reply);
        match disposition {
            Disposition::Reply { delay_ms } => {
                if delay_ms > 0 {
                    std::thread::sleep(Duration::from_millis(delay_ms.into()));
                }
                let _ = sock.send_to(&reply, peer);
            }
            Disposition::Refused(why) => {
                udp.refused.fetch_add(1, Ordering::Relaxed);
                if verbose {
                    eprintln!("rpcscope serve: udp {peer}: not answered: {why}");
                }
            }
            Disposition::NoReply | Disposition::Garbage(_) => {}
        }
    }
}
