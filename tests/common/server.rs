//! Helpers for the `server_*` integration tests: running the built binary,
//! private network namespaces, raw RPC over sockets. Included with
//! `#[path]` by each `server_*` test file, next to `mod common`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use rpcscope::client::wire::{build_call, Cred, ReplyStatus};
use rpcscope::limits::Limits;
use rpcscope::rpc::encode_record;

pub use crate::common::prereq;

/// The `rpcscope` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

const NETNS_ENV: &str = "RPCSCOPE_TEST_NETNS";

/// Run the calling test's body in a private network and mount namespace
/// (own loopback, own port 111, tmpfs on /run), as `captures/make-rpcbind.sh`
/// does. Outside the namespace this re-runs the test binary, filtered to
/// `test_name`, under `unshare`, checks that it passed, and returns false
/// (the caller returns). Inside it sets up the namespace and returns true.
/// Where unshare is unavailable (not root), prints a note and returns false
/// (under `CI=true`, fails: [`prereq::missing`]).
pub fn enter_netns(test_name: &str) -> bool {
    if std::env::var_os(NETNS_ENV).is_some() {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "tmpfs", "/run"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
            && Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
        assert!(
            ok,
            "namespace setup (mount tmpfs /run, ip link set lo up) failed"
        );
        std::fs::create_dir_all("/run/rpcbind").ok();
        return true;
    }
    if !prereq::netns() {
        return false;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new("timeout")
        .args(["300", "unshare", "--net", "--mount", "--fork"])
        .arg(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(NETNS_ENV, "1")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{test_name} in a private namespace failed:\n{text}"
    );
    false
}

/// True when `tool` is installed; else a skip with a note, or a failure
/// under `CI=true` ([`prereq::tools`]).
pub fn have(tool: &str) -> bool {
    prereq::tools(&[tool])
}

/// Run a command under `timeout SECS`, stdin from /dev/null.
pub fn run(secs: u32, cmd: &str, args: &[&str]) -> Output {
    Command::new("timeout")
        .arg(secs.to_string())
        .arg(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {cmd}: {e}"))
}

/// stdout of a command that must succeed.
pub fn run_ok(secs: u32, cmd: &str, args: &[&str]) -> String {
    let out = run(secs, cmd, args);
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running `rpcscope serve`, stopped with SIGTERM on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// Start `rpcscope serve ARGS` and wait for its "listening" lines.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rpcscope serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        // The first line is "rpcscope serve: tcp ADDR:PORT" (one line per
        // socket follows).
        let line = lines
            .next()
            .expect("rpcscope serve exited before listening")
            .expect("serve stderr");
        let port = line
            .strip_prefix("rpcscope serve: tcp ")
            .and_then(|rest| rest.rsplit(':').next())
            .and_then(|p| p.parse().ok());
        let port = port.unwrap_or_else(|| panic!("rpcscope serve did not start: {line}"));
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, port }
    }

    /// SIGTERM, then the exit status (within 10 s).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        run(5, "kill", &["-TERM", &pid]);
        for _ in 0..100 {
            if let Some(st) = self.child.try_wait().expect("wait") {
                return st;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("rpcscope serve did not stop within 10 s of SIGTERM");
    }

    /// True while the server process runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A call message built with the shared codec.
pub fn call_msg(xid: u32, prog: u32, vers: u32, proc_: u32, cred: &Cred, args: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    build_call(
        xid,
        prog,
        vers,
        proc_,
        cred,
        args,
        &Limits::default(),
        &mut m,
    )
    .unwrap();
    m
}

/// A TCP connection speaking raw records.
pub struct Raw {
    pub s: TcpStream,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Raw { s }
    }

    /// Send raw bytes (ignoring errors: the server may have closed).
    pub fn send(&mut self, b: &[u8]) {
        let _ = self.s.write_all(b);
    }

    /// Send one message as one record.
    pub fn send_msg(&mut self, msg: &[u8]) {
        let mut f = Vec::new();
        encode_record(msg, 1 << 30, &mut f);
        self.send(&f);
    }

    /// Read one single-fragment reply record; `None` when the connection
    /// was closed (EOF or reset) instead.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        let mut mark = [0u8; 4];
        self.s.read_exact(&mut mark).ok()?;
        let v = u32::from_be_bytes(mark);
        assert!(v & 0x8000_0000 != 0, "server replies are one fragment");
        let mut body = vec![0u8; (v & 0x7fff_ffff) as usize];
        self.s.read_exact(&mut body).ok()?;
        Some(body)
    }

    /// True when the server closes the connection (EOF or reset) within
    /// the read timeout; false when it sends data or stays silent.
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.s.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    /// One call, one reply: (xid, status, results).
    pub fn call(&mut self, msg: &[u8]) -> (u32, ReplyStatus, Vec<u8>) {
        self.send_msg(msg);
        let r = self.recv().expect("a reply, not a closed connection");
        parse(&r)
    }
}

/// Parse a reply message.
pub fn parse(r: &[u8]) -> (u32, ReplyStatus, Vec<u8>) {
    let (xid, st, res) = ReplyStatus::parse(r, &Limits::default()).expect("reply decodes");
    (xid, st, res.to_vec())
}

/// One UDP call, one reply (or `None` after 2 s).
pub fn udp_call(port: u16, msg: &[u8]) -> Option<(u32, ReplyStatus, Vec<u8>)> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.send_to(msg, SocketAddr::from(([127, 0, 0, 1], port)))
        .unwrap();
    let mut b = vec![0u8; 65536];
    let n = s.recv(&mut b).ok()?;
    Some(parse(&b[..n]))
}
