//! [`capture_file`]: arbitrary bytes as a capture file, through the whole
//! decode pipeline.

use std::io::Cursor;

use super::small_limits;
use crate::capture::{CaptureReader, LinkType, PcapngWriter, Timestamp};
use crate::event::Event;
use crate::net::{NetDecoder, StoredNetEvent};
use crate::pipeline::Pipeline;

/// Frames decoded per input, at most: a gzip member or a file of empty
/// records can describe millions of frames in a few bytes, and the point
/// is the decoder's state, not the count.
const MAX_FRAMES: u64 = 4096;
/// Events per input, at most (each frame yields a few at most).
const MAX_EVENTS_PER_FRAME: u64 = 16;

/// A frame as read, owned.
#[derive(Debug, PartialEq, Eq)]
struct Owned {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

/// Arbitrary bytes as a pcap, pcapng, snoop or gzipped file, through
/// `CaptureReader` and the whole `Pipeline` with small `Limits`.
///
/// Properties: never a panic; no frame larger than `max_frame`; the
/// pipeline's events stay proportional to the frames; every frame read
/// (with a link type and timestamp pcapng can carry) survives a write by
/// `PcapngWriter` and a re-read unchanged; and a second pipeline fed by a
/// network layer of its own, through stored events (`StoredNetEvent`,
/// `Pipeline::begin_frame` and `finish_with`, as `read -j 2` runs a file),
/// gives the same events frame by frame, the same anomalies and totals.
/// Memory is bounded by the limits: libFuzzer's `-rss_limit_mb` and
/// `-malloc_limit_mb` enforce it.
pub fn capture_file(data: &[u8]) {
    let limits = small_limits();
    let Ok(mut reader) = CaptureReader::from_reader(Box::new(Cursor::new(data.to_vec())), &limits)
    else {
        return;
    };
    let mut pipeline = Pipeline::new(&limits);
    let mut apart = Apart::new(&limits);
    let mut events = 0u64;
    let mut frames = Vec::new();
    let mut seen = Vec::new();
    while let Ok(Some(frame)) = reader.next_frame() {
        assert!(frame.data.len() <= limits.max_frame, "frame over max_frame");
        seen.clear();
        pipeline.handle_frame(&frame, &mut |ev| {
            events += 1;
            seen.push(ev.into_owned());
        });
        apart.frame(&frame, &seen);
        if frame.ts.0 >= 0 && frame.link.0 <= u16::MAX.into() && frames.len() < 64 {
            frames.push(Owned {
                ts: frame.ts,
                link: frame.link,
                data: frame.data.to_vec(),
                orig_len: frame.orig_len,
            });
        }
        if reader.frames_read() >= MAX_FRAMES {
            break;
        }
    }
    seen.clear();
    pipeline.finish(&mut |ev| {
        events += 1;
        seen.push(ev.into_owned());
    });
    apart.finish(&seen, &pipeline);
    let n = pipeline.frames();
    assert!(
        events <= (n + 1) * MAX_EVENTS_PER_FRAME,
        "{events} events from {n} frames"
    );
    rewrite(&frames, &limits);
}

/// A pipeline whose network layer runs apart (see [`capture_file`]).
struct Apart {
    net: NetDecoder,
    rpc: Pipeline,
    stored: Vec<StoredNetEvent>,
    arena: Vec<u8>,
    got: Vec<Event<'static>>,
}

impl Apart {
    fn new(limits: &crate::limits::Limits) -> Self {
        Apart {
            net: NetDecoder::new(limits),
            rpc: Pipeline::new(limits),
            stored: Vec::new(),
            arena: Vec::new(),
            got: Vec::new(),
        }
    }

    /// Decodes `frame` apart and checks its events against `want`.
    fn frame(&mut self, frame: &crate::capture::Frame<'_>, want: &[Event<'static>]) {
        let Apart {
            net,
            rpc,
            stored,
            arena,
            got,
        } = self;
        stored.clear();
        arena.clear();
        net.handle_frame(frame, &mut |ev| {
            stored.push(StoredNetEvent::store(&ev, arena))
        });
        got.clear();
        rpc.begin_frame(frame.number, frame.ts);
        for ev in stored.iter() {
            rpc.net_event(ev.get(arena), &mut |e| got.push(e.into_owned()));
        }
        rpc.end_frame(&mut |e| got.push(e.into_owned()));
        assert!(
            got == want,
            "frame {}: the events apart differ",
            frame.number
        );
    }

    /// Finishes apart and checks the events, anomalies and totals.
    fn finish(&mut self, want: &[Event<'static>], whole: &Pipeline) {
        let Apart {
            net,
            rpc,
            stored,
            arena,
            got,
        } = self;
        stored.clear();
        arena.clear();
        net.finish(&mut |ev| stored.push(StoredNetEvent::store(&ev, arena)));
        got.clear();
        rpc.finish_with(
            &mut |to| {
                for ev in stored.iter() {
                    to(ev.get(arena));
                }
            },
            &mut |e| got.push(e.into_owned()),
        );
        assert!(got == want, "the final events apart differ");
        assert_eq!(rpc.anomalies(), whole.anomalies());
        assert_eq!(rpc.track_stats(), whole.track_stats());
        assert_eq!(rpc.frames(), whole.frames());
    }
}

/// Frames written to pcapng (one interface per link type) read back equal.
fn rewrite(frames: &[Owned], limits: &crate::limits::Limits) {
    if frames.is_empty() {
        return;
    }
    let mut w = PcapngWriter::new(Vec::new()).expect("pcapng header");
    let mut links: Vec<LinkType> = Vec::new();
    for f in frames {
        let iface = match links.iter().position(|&l| l == f.link) {
            Some(i) => i as u32,
            None => {
                links.push(f.link);
                w.add_interface(f.link, 262_144).expect("pcapng interface")
            }
        };
        w.write_packet(iface, f.ts, &f.data, f.orig_len)
            .expect("pcapng packet");
    }
    let file = w.into_inner();
    let lax = crate::limits::Limits {
        max_capture_interfaces: links.len().max(limits.max_capture_interfaces),
        ..limits.clone()
    };
    let mut r = CaptureReader::from_reader(Box::new(Cursor::new(file)), &lax)
        .expect("re-reading our own pcapng");
    for f in frames {
        let got = r.next_frame().expect("re-read").expect("frame missing");
        let got = Owned {
            ts: got.ts,
            link: got.link,
            data: got.data.to_vec(),
            orig_len: got.orig_len,
        };
        assert_eq!(&got, f, "frame changed through pcapng");
    }
    assert!(r.next_frame().expect("end").is_none());
}
