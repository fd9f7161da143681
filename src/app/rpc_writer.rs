//! `-w` (`read`, `stats`, `live`): writes the frames of flows that carried
//! RPC to a pcap file.
//!
//! A conversation (transport and its two endpoints, either direction) is
//! "RPC" once the pipeline reported an RPC message on it that passed the
//! filters ([`RpcFrameWriter::mark`]). From then on every frame of it is
//! written; frames seen before that (the TCP handshake, segments of a first
//! record) are held back in a bounded queue and written when their flow is
//! marked, or dropped unwritten when the queue is full. IP fragments after
//! the first carry no ports: they follow their datagram (IP id, addresses,
//! protocol), which is marked when its first fragment is written.
//!
//! Held-back frames are written when their flow is marked, after frames of
//! other flows already written, so timestamps in the file can go backwards
//! across flows (readers, tcpdump and tshark accept that). Memory: at most
//! `Limits::max_write_backlog_bytes` / `max_write_backlog_frames` held, and
//! `max_write_flows` conversations and datagrams remembered.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::IpAddr;

use crate::capture::{Frame, LinkType, PcapWriter, PcapngWriter, Timestamp};
use crate::event::Exchange;
use crate::limits::Limits;
use crate::net::{peek_frame, Transport};
use crate::track::AgedMap;

/// A conversation, direction-free: protocol and the two (addr, port) ends
/// in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvKey {
    proto: u8,
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

impl ConvKey {
    fn new(proto: u8, a: (IpAddr, u16), b: (IpAddr, u16)) -> Self {
        ConvKey {
            proto,
            lo: a.min(b),
            hi: a.max(b),
        }
    }
    /// The conversation of an exchange.
    pub fn of(ex: &Exchange) -> Self {
        let proto = match ex.transport {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        };
        ConvKey::new(
            proto,
            (ex.client.addr, ex.client.port),
            (ex.server.addr, ex.server.port),
        )
    }
}

/// One IP datagram's fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    id: u32,
}

/// `-w` of the file commands: the file is created before the sandbox is
/// entered. A name ending in `.pcapng` gets pcapng, which holds frames of
/// every link type; otherwise pcap, its header written at the first frame
/// (whose link type it takes; frames of other link types are not written,
/// and counted).
pub struct FileFrameWriter {
    file: Option<io::BufWriter<std::fs::File>>,
    pcapng: bool,
    writer: Option<RpcFrameWriter<io::BufWriter<std::fs::File>>>,
    limits: Limits,
    /// Frames not written because their link type differs from the first.
    pub other_link: u64,
}

impl FileFrameWriter {
    /// Creates `path` (a one-line error naming it when it cannot be).
    pub fn create(path: &std::path::Path, limits: &Limits) -> Result<Self, String> {
        let f = std::fs::File::create(path)
            .map_err(|e| format!("-w: cannot create {}: {e}", path.display()))?;
        let pcapng = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("pcapng"));
        Ok(FileFrameWriter {
            file: Some(io::BufWriter::new(f)),
            pcapng,
            writer: None,
            limits: limits.clone(),
            other_link: 0,
        })
    }

    /// The writer, its header written for `link` on first use.
    fn get(
        &mut self,
        link: LinkType,
    ) -> io::Result<&mut RpcFrameWriter<io::BufWriter<std::fs::File>>> {
        if self.writer.is_none() {
            let f = self
                .file
                .take()
                .ok_or_else(|| io::Error::other("-w file gone"))?;
            self.writer = Some(if self.pcapng {
                RpcFrameWriter::pcapng(f, FILE_SNAPLEN, &self.limits)?
            } else {
                RpcFrameWriter::new(f, link, FILE_SNAPLEN, &self.limits)?
            });
        }
        Ok(self.writer.as_mut().expect("set above"))
    }

    /// One frame after the pipeline has seen it; `marks`: the conversations
    /// its (matching) messages marked.
    pub fn frame(&mut self, frame: &Frame<'_>, marks: &[ConvKey]) -> io::Result<()> {
        if self
            .writer
            .as_ref()
            .is_some_and(|w| w.link.is_some_and(|l| l != frame.link))
        {
            self.other_link += 1;
            return Ok(());
        }
        let w = self.get(frame.link)?;
        for m in marks {
            w.mark(*m, frame.ts)?;
        }
        w.frame(frame)
    }

    /// Conversations marked by events with no frame of their own (the
    /// calls given up at the end of an input).
    pub fn mark(&mut self, marks: &[ConvKey], now: Timestamp) -> io::Result<()> {
        if let Some(w) = &mut self.writer {
            for m in marks {
                w.mark(*m, now)?;
            }
        }
        Ok(())
    }

    /// Flushes the file; returns (frames written, held frames dropped).
    pub fn finish(&mut self) -> io::Result<(u64, u64)> {
        match &mut self.writer {
            Some(w) => {
                w.flush()?;
                Ok((w.written, w.dropped))
            }
            None => Ok((0, 0)),
        }
    }
}

impl std::fmt::Debug for FileFrameWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileFrameWriter")
            .field("started", &self.writer.is_some())
            .field("other_link", &self.other_link)
            .finish()
    }
}

/// The snapshot length the pcap header of a file command's `-w` states:
/// the largest libpcap accepts, as frames keep the length they were read with.
const FILE_SNAPLEN: u32 = 262_144;

/// Which held frames to write.
#[derive(Clone, Copy)]
enum Pick {
    Conv(ConvKey),
    Frag(FragKey),
}

impl Pick {
    fn matches(self, h: &Held) -> bool {
        match self {
            Pick::Conv(c) => h.conv == Some(c),
            Pick::Frag(f) => h.frag == Some(f),
        }
    }
}

struct Held {
    link: LinkType,
    conv: Option<ConvKey>,
    frag: Option<FragKey>,
    ts: Timestamp,
    data: Vec<u8>,
    orig_len: u32,
}

/// Where written frames go: pcap (one link type), or pcapng (any: one
/// interface per link type, added when first written).
enum Out<W: Write> {
    Pcap(PcapWriter<W>),
    Pcapng {
        w: PcapngWriter<W>,
        ifaces: Vec<LinkType>,
        snaplen: u32,
    },
}

impl<W: Write> Out<W> {
    fn write(
        &mut self,
        link: LinkType,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        match self {
            Out::Pcap(p) => p.write_frame(ts, data, orig_len),
            Out::Pcapng { w, ifaces, snaplen } => {
                let id = match ifaces.iter().position(|l| *l == link) {
                    Some(i) => i as u32,
                    None => {
                        let id = w.add_interface(link, *snaplen)?;
                        ifaces.push(link);
                        id
                    }
                };
                w.write_packet(id, ts, data, orig_len)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Pcap(p) => p.flush(),
            Out::Pcapng { w, .. } => w.flush(),
        }
    }
}

/// See the module docs.
pub struct RpcFrameWriter<W: Write> {
    out: Out<W>,
    /// The one link type a pcap output takes (`None`: pcapng, any).
    link: Option<LinkType>,
    convs: AgedMap<ConvKey, ()>,
    frags: AgedMap<FragKey, ()>,
    held: VecDeque<Held>,
    held_bytes: usize,
    max_bytes: usize,
    max_frames: usize,
    /// Frames written.
    pub written: u64,
    /// Held-back frames dropped unwritten (queue full).
    pub dropped: u64,
}

impl<W: Write> RpcFrameWriter<W> {
    /// Writes the pcap header for `link` and `snaplen`.
    pub fn new(out: W, link: LinkType, snaplen: u32, limits: &Limits) -> io::Result<Self> {
        Self::with_out(
            Out::Pcap(PcapWriter::new(out, link, snaplen)?),
            Some(link),
            limits,
        )
    }

    /// Writes a pcapng section header; frames of any link type are
    /// written (an interface per link type, with `snaplen`).
    pub fn pcapng(out: W, snaplen: u32, limits: &Limits) -> io::Result<Self> {
        let out = Out::Pcapng {
            w: PcapngWriter::new(out)?,
            ifaces: Vec::new(),
            snaplen,
        };
        Self::with_out(out, None, limits)
    }

    fn with_out(out: Out<W>, link: Option<LinkType>, limits: &Limits) -> io::Result<Self> {
        Ok(RpcFrameWriter {
            out,
            link,
            convs: AgedMap::new(limits.max_write_flows),
            frags: AgedMap::new(limits.max_write_flows),
            held: VecDeque::new(),
            held_bytes: 0,
            max_bytes: limits.max_write_backlog_bytes,
            max_frames: limits.max_write_backlog_frames,
            written: 0,
            dropped: 0,
        })
    }

    /// `conv` carried a (matching) RPC message: write its held frames now and
    /// its later frames as they come.
    pub fn mark(&mut self, conv: ConvKey, now: Timestamp) -> io::Result<()> {
        if self.convs.contains_key(&conv) {
            return Ok(());
        }
        self.convs.insert(conv, (), now);
        self.flush_held(Pick::Conv(conv), now)
    }

    /// Writes the held frames selected by `pick`, in order; a written first
    /// fragment marks its datagram, whose held fragments follow.
    fn flush_held(&mut self, pick: Pick, now: Timestamp) -> io::Result<()> {
        let mut keep = VecDeque::with_capacity(self.held.len());
        let mut out = Vec::new();
        for h in self.held.drain(..) {
            if pick.matches(&h) {
                out.push(h);
            } else {
                keep.push_back(h);
            }
        }
        self.held = keep;
        let mut frag_groups = Vec::new();
        for h in out {
            self.held_bytes -= h.data.len();
            if let Some(f) = h.frag {
                if !self.frags.contains_key(&f) {
                    self.frags.insert(f, (), now);
                    frag_groups.push(f);
                }
            }
            self.write(h.link, h.ts, &h.data, h.orig_len)?;
        }
        for f in frag_groups {
            self.flush_held(Pick::Frag(f), now)?;
        }
        Ok(())
    }

    fn write(
        &mut self,
        link: LinkType,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        self.written += 1;
        self.out.write(link, ts, data, orig_len)
    }

    /// Handles one frame, after the pipeline has seen it (and after
    /// [`mark`](Self::mark) for the conversations its messages marked).
    pub fn frame(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        let peek = if self.link.is_none_or(|l| l == frame.link) {
            peek_frame(frame.link, frame.data)
        } else {
            None
        };
        let Some(p) = peek else { return Ok(()) };
        let conv = p
            .ports
            .map(|(sp, dp)| ConvKey::new(p.proto, (p.src, sp), (p.dst, dp)));
        let frag = p.fragment_id.map(|id| FragKey {
            proto: p.proto,
            src: p.src,
            dst: p.dst,
            id,
        });
        let conv_rpc = conv.is_some_and(|c| self.convs.contains_key(&c));
        let frag_rpc = frag.is_some_and(|f| self.frags.contains_key(&f));
        if conv_rpc || frag_rpc {
            if let Some(f) = frag {
                if !frag_rpc {
                    self.frags.insert(f, (), frame.ts);
                    self.flush_held(Pick::Frag(f), frame.ts)?;
                }
            }
            return self.write(frame.link, frame.ts, frame.data, frame.orig_len);
        }
        if conv.is_none() && frag.is_none() {
            return Ok(()); // not TCP/UDP: never RPC
        }
        self.held_bytes += frame.data.len();
        self.held.push_back(Held {
            link: frame.link,
            conv,
            frag,
            ts: frame.ts,
            data: frame.data.to_vec(),
            orig_len: frame.orig_len,
        });
        while self.held_bytes > self.max_bytes || self.held.len() > self.max_frames {
            let Some(h) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= h.data.len();
            self.dropped += 1;
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
