//! Client transports: one TCP connection (record marked) or one UDP socket,
//! sending a call and waiting, with a deadline, for the reply with its xid.
//!
//! Replies with another xid (late replies to earlier timed-out calls) are
//! skipped. TCP replies are assembled with the server's strict
//! [`RecordAssembler`], so a hostile server cannot make the client buffer
//! more than `Limits::server_max_record`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use crate::limits::Limits;
use crate::net::Transport;
use crate::rpc::encode_record;
use crate::rpc::record::RecordAssembler;

/// A connected transport to one server address.
#[derive(Debug)]
pub enum Conn {
    /// A TCP connection and its record assembler.
    Tcp {
        /// The connection.
        stream: TcpStream,
        /// Reply records assembled so far.
        asm: RecordAssembler,
        /// Records completed but not yet returned.
        ready: Vec<Vec<u8>>,
        /// Largest record fragment to send.
        max_fragment: usize,
    },
    /// A connected UDP socket.
    Udp(UdpSocket),
}

impl Conn {
    /// Connect to `addr` (TCP: with `timeout`).
    pub fn open(
        proto: Transport,
        addr: SocketAddr,
        timeout: Duration,
        max_fragment: usize,
        limits: &Limits,
    ) -> io::Result<Conn> {
        match proto {
            Transport::Tcp => {
                let stream = TcpStream::connect_timeout(&addr, timeout)?;
                stream.set_nodelay(true)?;
                Ok(Conn::Tcp {
                    stream,
                    asm: RecordAssembler::new(limits),
                    ready: Vec::new(),
                    max_fragment,
                })
            }
            Transport::Udp => {
                let any: SocketAddr = if addr.is_ipv4() {
                    "0.0.0.0:0".parse().expect("literal")
                } else {
                    "[::]:0".parse().expect("literal")
                };
                let sock = UdpSocket::bind(any)?;
                sock.connect(addr)?;
                Ok(Conn::Udp(sock))
            }
        }
    }

    /// Send one call message and return the reply message with `xid`, or a
    /// `TimedOut` error when none came before `timeout`.
    pub fn call(&mut self, msg: &[u8], xid: u32, timeout: Duration) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        let left = || {
            deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "no reply"))
        };
        match self {
            Conn::Tcp {
                stream,
                asm,
                ready,
                max_fragment,
            } => {
                let mut framed = Vec::with_capacity(msg.len() + 8);
                encode_record(msg, *max_fragment, &mut framed);
                stream.set_write_timeout(Some(left()?))?;
                stream.write_all(&framed)?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    if let Some(i) = ready.iter().position(|r| xid_of(r) == Some(xid)) {
                        let r = ready.swap_remove(i);
                        ready.clear(); // older replies nobody waits for
                        return Ok(r);
                    }
                    ready.clear();
                    stream.set_read_timeout(Some(left()?))?;
                    let n = match stream.read(&mut buf) {
                        Ok(0) => {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "server closed the connection",
                            ))
                        }
                        Ok(n) => n,
                        Err(e) if is_timeout(&e) => continue,
                        Err(e) => return Err(e),
                    };
                    asm.push(&buf[..n], |r| {
                        ready.push(r.to_vec());
                        true
                    })
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                }
            }
            Conn::Udp(sock) => {
                sock.send(msg)?;
                let mut buf = vec![0u8; 65536];
                loop {
                    sock.set_read_timeout(Some(left()?))?;
                    match sock.recv(&mut buf) {
                        Ok(n) if xid_of(&buf[..n]) == Some(xid) => return Ok(buf[..n].to_vec()),
                        Ok(_) => continue,
                        Err(e) if is_timeout(&e) => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
}

fn xid_of(msg: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(msg.get(..4)?.try_into().ok()?))
}

/// Read timeouts show up as `WouldBlock` on Unix and `TimedOut` elsewhere.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
