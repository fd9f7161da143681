//! Live capture through libpcap (feature `live`): open an interface with a
//! snapshot length, buffer size, a read timeout and a kernel BPF filter;
//! lend out one [`Frame`] at a time; report the kernel's packet counts; list
//! devices. [`feed`](super::live_feed) runs it on its own thread.
//!
//! The handle is *not* in immediate mode, on purpose: on Linux, libpcap then
//! uses the TPACKET_V3 ring, where packets are packed one after the other in
//! large blocks and a small packet takes a small place whatever the
//! snapshot length. Immediate mode falls back to TPACKET_V2, whose ring is
//! cut into fixed slots of the snapshot length: with the 256 KiB default a
//! 2 MiB ring held 8 packets, and `live -i lo` dropped 83% of a loopback
//! client's packets (docs/performance.md). The price is latency: a block
//! is handed over when full or after the read timeout
//! ([`Limits::live_read_timeout_ms`](crate::limits::Limits::live_read_timeout_ms)).
//!
//! The handle is non-blocking: [`LiveCapture::next_frame`] returns
//! `Ok(None)` at once when no ring block is ready, so the caller honours
//! stop requests even on a quiet link (with TPACKET_V3, libpcap's blocking
//! read polls with no timeout at all, relying on the kernel's block timer,
//! which does not fire for an empty block). Errors are one-line messages that say
//! what to do (missing privilege, unknown interface), ready to show to the
//! user.

use std::fmt;

use super::{Frame, LinkType, Timestamp};
use crate::output::CaptureCounts;

/// How to open a live capture.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub interface: String,
    pub snaplen: u32,
    /// Kernel buffer (packet ring) size in bytes.
    pub buffer_size: u32,
    /// Read timeout in milliseconds: the longest a packet waits in a
    /// partly filled ring block (see the module docs).
    pub timeout_ms: u32,
    /// Kernel BPF filter.
    pub bpf: Option<String>,
}

/// Why a live capture could not start or go on: a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveError(pub String);

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LiveError {}

/// An open live capture.
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    link: LinkType,
    frames: u64,
}

impl fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LiveCapture(link {}, {} frames)", self.link, self.frames)
    }
}

/// Explains a libpcap open error in terms of what to do.
fn open_error(iface: &str, e: pcap::Error) -> LiveError {
    let msg = e.to_string();
    let lower = msg.to_ascii_lowercase();
    let hint = if lower.contains("permission") || lower.contains("not permitted") {
        "capturing needs root or CAP_NET_RAW and CAP_NET_ADMIN (e.g. sudo setcap cap_net_raw,cap_net_admin=eip $(which rpcscope))"
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        "unknown interface; `rpcscope interfaces` lists the ones you can use"
    } else {
        "check the interface name and options"
    };
    LiveError(format!("cannot capture on '{iface}': {msg}: {hint}"))
}

fn to_i32(what: &str, v: u32) -> Result<i32, LiveError> {
    i32::try_from(v).map_err(|_| LiveError(format!("{what} {v} is too large")))
}

impl LiveCapture {
    /// Opens `opts.interface` with nanosecond timestamps (not in immediate
    /// mode: see the module docs) and installs the BPF filter.
    pub fn open(opts: &LiveOptions) -> Result<LiveCapture, LiveError> {
        let iface = &opts.interface;
        let inactive = pcap::Capture::from_device(iface.as_str())
            .map_err(|e| open_error(iface, e))?
            .promisc(false)
            .immediate_mode(false)
            .snaplen(to_i32("--snaplen", opts.snaplen)?)
            .timeout(to_i32("timeout", opts.timeout_ms)?.max(1))
            .buffer_size(to_i32("--buffer-size", opts.buffer_size)?)
            .precision(pcap::Precision::Nano);
        let mut cap = inactive
            .open()
            .map_err(|e| open_error(iface, e))?
            .setnonblock()
            .map_err(|e| LiveError(format!("cannot capture on '{iface}': {e}")))?;
        if let Some(expr) = &opts.bpf {
            cap.filter(expr, true)
                .map_err(|e| LiveError(format!("-f '{expr}': {e}")))?;
        }
        let link = LinkType(cap.get_datalink().0 as u32);
        Ok(LiveCapture {
            cap,
            link,
            frames: 0,
        })
    }

    /// The capture's link type.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The next frame; `Ok(None)` when none is ready.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, LiveError> {
        match self.cap.next_packet() {
            Ok(p) => {
                self.frames += 1;
                // time_t is i32 on some 32-bit targets: widen portably.
                #[allow(clippy::useless_conversion)]
                let secs = i64::from(p.header.ts.tv_sec);
                let ts = Timestamp::from_parts(
                    secs,
                    // Nanosecond precision: tv_usec holds nanoseconds.
                    (p.header.ts.tv_usec as u32).min(999_999_999),
                );
                Ok(Some(Frame {
                    number: self.frames,
                    ts,
                    link: self.link,
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => Ok(None),
            Err(e) => Err(LiveError(format!("capture failed: {e}"))),
        }
    }

    /// The kernel's counts so far.
    pub fn counts(&mut self) -> Result<CaptureCounts, LiveError> {
        let s = self
            .cap
            .stats()
            .map_err(|e| LiveError(format!("cannot read capture statistics: {e}")))?;
        Ok(CaptureCounts {
            received: s.received as u64,
            dropped: s.dropped as u64,
            if_dropped: s.if_dropped as u64,
        })
    }
}

/// One capture device: name, description, addresses.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<std::net::IpAddr>,
    pub up: bool,
    pub loopback: bool,
}

/// The devices libpcap can open.
pub fn list_devices() -> Result<Vec<DeviceInfo>, LiveError> {
    let devs =
        pcap::Device::list().map_err(|e| LiveError(format!("cannot list capture devices: {e}")))?;
    Ok(devs
        .into_iter()
        .map(|d| DeviceInfo {
            up: d.flags.is_up(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}
