//! Tests of the whole reader: detection, gzip, streams, errors, and the
//! public capture corpus in `shared/captures/public` when it is present.

use super::*;
use crate::limits::Limits;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{self, Cursor, Read, Write};
use std::path::PathBuf;

/// A reader that returns at most 3 bytes per call, like a pipe or stdin.
struct Pipe(Cursor<Vec<u8>>);
impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(3);
        self.0.read(&mut buf[..n])
    }
}

fn pcap_bytes(n: usize) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    for i in 0..n {
        let data = vec![i as u8; 60 + i];
        w.write_frame(Timestamp(i as i64 * 1000), &data, 60 + i as u32)
            .unwrap();
    }
    w.into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn reader(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_reader(Box::new(Cursor::new(bytes)), &Limits::default())
}

/// Reads every frame: (frame numbers and lengths, the error if any).
fn drain(r: &mut CaptureReader) -> (Vec<(u64, usize)>, Option<CaptureError>) {
    let mut out = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => out.push((f.number, f.data.len())),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[test]
fn gzip_detected_by_content() {
    let plain = pcap_bytes(50);
    let mut r = reader(gzip(&plain)).unwrap();
    assert!(r.gzipped());
    assert_eq!(r.format(), CaptureFormat::Pcap);
    let (frames, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(frames.len(), 50);
    assert_eq!(frames[49], (50, 109));
    assert!(
        r.bytes_read() < plain.len() as u64,
        "counts compressed bytes"
    );
    assert!(!reader(plain).unwrap().gzipped());
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let plain = pcap_bytes(10);
    let (a, b) = plain.split_at(100);
    let mut gz = gzip(a);
    gz.extend_from_slice(&gzip(b));
    let (frames, err) = drain(&mut reader(gz).unwrap());
    assert!(err.is_none());
    assert_eq!(frames.len(), 10);
}

#[test]
fn pipe_like_reader_with_short_reads() {
    for bytes in [pcap_bytes(20), gzip(&pcap_bytes(20))] {
        let mut r =
            CaptureReader::from_reader(Box::new(Pipe(Cursor::new(bytes))), &Limits::default())
                .unwrap();
        let (frames, err) = drain(&mut r);
        assert!(err.is_none());
        assert_eq!(frames.len(), 20);
    }
}

#[test]
fn bytes_read_reaches_the_input_size() {
    let plain = pcap_bytes(5);
    let mut r = reader(plain.clone()).unwrap();
    drain(&mut r);
    assert_eq!(r.bytes_read(), plain.len() as u64);
}

#[test]
fn truncated_mid_last_packet_yields_every_earlier_frame_then_one_error() {
    for gz in [false, true] {
        let mut plain = pcap_bytes(30);
        plain.truncate(plain.len() - 10);
        let bytes = if gz { gzip(&plain) } else { plain };
        let mut r = reader(bytes).unwrap();
        let (frames, err) = drain(&mut r);
        assert_eq!(frames.len(), 29);
        let msg = err.expect("an error after the last full frame").to_string();
        assert!(
            msg.starts_with("truncated pcap record at offset") && msg.contains("(after frame 29)"),
            "{msg}"
        );
        assert!(r.next_frame().unwrap().is_none(), "Ok(None) after an Err");
        assert!(r.next_frame().unwrap().is_none());
    }
}

#[test]
fn corrupt_gzip_is_an_io_error_after_the_good_frames() {
    let gz = gzip(&pcap_bytes(2000));
    let cut = gz[..gz.len() / 2].to_vec();
    let mut r = reader(cut).unwrap();
    let (frames, err) = drain(&mut r);
    assert!(!frames.is_empty() && frames.len() < 2000);
    assert!(err.is_some());
}

#[test]
fn not_a_capture_says_what_it_saw() {
    let e = reader(b"<html><body>".to_vec()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a capture file: first bytes are 3c 68 74 6d 6c 3e 3c 62 (\"<html><b\"); \
         expected pcap, pcapng, snoop or gzip"
    );
    let e = reader(gzip(b"hello")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("not a capture file: gzip data holding first bytes are 68 65"),
        "{e}"
    );
    let e = reader(Vec::new()).unwrap_err();
    assert_eq!(e.to_string(), "not a capture file: no data at all");
    let e = reader(vec![0xd4, 0xc3]).unwrap_err();
    assert!(
        e.to_string().contains("first bytes are d4 c3 (\"..\")"),
        "{e}"
    );
}

#[test]
fn truncated_file_header() {
    let e = reader(pcap_bytes(0)[..10].to_vec()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "truncated pcap file header at offset 0 (before the first frame): \
         needed 24 bytes, the input ends after 10"
    );
}

#[test]
fn oversize_length_respects_limits() {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    w.write_frame(Timestamp(0), &[0; 100], 100).unwrap();
    w.write_frame(Timestamp(0), &[0; 2000], 2000).unwrap();
    let limits = Limits {
        max_frame: 1000,
        ..Limits::default()
    };
    let mut r = CaptureReader::from_reader(Box::new(Cursor::new(w.into_inner())), &limits).unwrap();
    let (frames, err) = drain(&mut r);
    assert_eq!(frames.len(), 1);
    assert!(matches!(
        err,
        Some(CaptureError::TooLarge {
            len: 2000,
            max: 1000,
            offset: 140,
            after_frame: 1,
            ..
        })
    ));
}

#[test]
fn frame_buffer_is_reused() {
    // The largest frame comes first, so the buffer never has to grow again
    // and every later frame must sit at the same address: no allocation.
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    for len in (1..=20).rev() {
        w.write_frame(Timestamp(0), &vec![len as u8; len * 10], 0)
            .unwrap();
    }
    let mut r = reader(w.into_inner()).unwrap();
    let first = r.next_frame().unwrap().unwrap().data.as_ptr();
    let mut n = 1;
    while let Some(f) = r.next_frame().unwrap() {
        assert_eq!(f.data.as_ptr(), first);
        assert!(f.data.iter().all(|&b| b as usize * 10 == f.data.len()));
        n += 1;
    }
    assert_eq!(n, 20);
}

#[test]
fn open_missing_file_and_directory() {
    let e = CaptureReader::open("/nonexistent/x.pcap".as_ref(), &Limits::default()).unwrap_err();
    assert!(e.to_string().starts_with("cannot open: "), "{e}");
    let e = CaptureReader::open("/".as_ref(), &Limits::default()).unwrap_err();
    assert!(e.to_string().starts_with("read error at offset 0: "), "{e}");
}

#[test]
fn reader_is_send() {
    fn is_send<T: Send>() {}
    is_send::<CaptureReader>();
}

/// The shared corpus directory next to the crate (else a skip with a note,
/// or a failure under `CI=true`).
fn corpus_dir() -> Option<PathBuf> {
    crate::prereq::shared().map(|s| s.join("captures/public"))
}

/// (file, frames) from the table in MANIFEST.md: the 2nd and 9th columns.
fn manifest_counts(manifest: &str) -> Vec<(String, u64)> {
    manifest
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let number_first = cells.get(1)?.parse::<u32>().is_ok();
            let frames = cells.get(9)?.replace(',', "").parse().ok()?;
            number_first.then(|| (cells[2].to_string(), frames))
        })
        .collect()
}

#[test]
fn public_corpus_frame_counts() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.md")).unwrap();
    let counts = manifest_counts(&manifest);
    assert!(counts.len() >= 30, "manifest table parsed: {counts:?}");
    for name in [
        "zeek-nfs_write.pcap",
        "pcapplusplus-solaris.snoop",
        "zeek-portmapper-many-unanswered-calls.pcapng.gz",
        "nfstrace-eth-ipv4-tcp-nfsv3.pcap.gz",
    ] {
        assert!(counts.iter().any(|(f, _)| f == name), "{name} listed");
    }
    for (file, want) in counts {
        let path = dir.join(&file);
        let mut r = CaptureReader::open(&path, &Limits::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(r.gzipped(), file.ends_with(".gz"), "{file}");
        let mut n = 0;
        let mut bytes = 0u64;
        loop {
            match r.next_frame() {
                Ok(Some(f)) => {
                    n += 1;
                    assert_eq!(f.number, n);
                    assert_eq!(f.link, LinkType::ETHERNET, "{file} frame {n}");
                    bytes += f.data.len() as u64;
                }
                Ok(None) => break,
                Err(e) => panic!("{file}: {e}"),
            }
        }
        assert_eq!(n, want, "{file}: frame count");
        assert!(bytes > 0);
        assert_eq!(
            r.bytes_read(),
            std::fs::metadata(&path).unwrap().len(),
            "{file}: bytes_read at the end"
        );
    }
}

#[test]
fn manifest_parsing() {
    let table = "| # | file | a | b | c | d | e | f | frames | notes |\n\
                 |---|---|---|---|---|---|---|---|---|---|\n\
                 | 7 | x.pcap | a | b | 1 | pcap | e | 1 / 1 | 13,207 | n |\n";
    assert_eq!(manifest_counts(table), vec![("x.pcap".to_string(), 13207)]);
}

/// A tiny deterministic PRNG (xorshift64*) so the mutation test needs no
/// extra crate and always tests the same inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn snoop_bytes() -> Vec<u8> {
    let mut v = b"snoop\0\0\0".to_vec(); // magic
    v.extend_from_slice(&2u32.to_be_bytes()); // version
    v.extend_from_slice(&4u32.to_be_bytes()); // datalink: Ethernet
    for i in 0..5u32 {
        v.extend_from_slice(&(60 + i).to_be_bytes()); // original length
        v.extend_from_slice(&(10 + i).to_be_bytes()); // included length
        v.extend_from_slice(&(24 + 12 + 4 * i).to_be_bytes()); // record length
        v.extend_from_slice(&0u32.to_be_bytes()); // cumulative drops
        v.extend_from_slice(&i.to_be_bytes()); // seconds
        v.extend_from_slice(&0u32.to_be_bytes()); // microseconds
        v.resize(v.len() + 12 + 4 * i as usize, 0xab); // data and padding
    }
    v
}

fn pcapng_bytes() -> Vec<u8> {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    let a = w.add_interface(LinkType::ETHERNET, 0).unwrap();
    let b = w.add_interface(LinkType::RAW, 100).unwrap();
    for i in 0..6u8 {
        let iface = if i % 2 == 0 { a } else { b };
        w.write_packet(iface, Timestamp(i64::from(i)), &[i; 21], 21)
            .unwrap();
    }
    w.into_inner()
}

#[test]
fn mutated_captures_never_panic_and_stay_bounded() {
    let limits = Limits {
        max_frame: 4096,
        ..Limits::default()
    };
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let seeds = [pcap_bytes(6), pcapng_bytes(), snoop_bytes()];
    let mut outcomes = [0usize; 2];
    for seed in &seeds {
        // The seeds themselves read cleanly.
        let mut r =
            CaptureReader::from_reader(Box::new(Cursor::new(seed.clone())), &limits).unwrap();
        assert!(drain(&mut r).1.is_none());
        for _ in 0..3000 {
            let mut bytes = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                bytes.truncate(rng.below(bytes.len() + 1));
            }
            match CaptureReader::from_reader(Box::new(Cursor::new(bytes.clone())), &limits) {
                Err(_) => outcomes[0] += 1,
                Ok(mut r) => {
                    outcomes[1] += 1;
                    let (frames, _) = drain(&mut r);
                    // Every frame needs at least a record header's worth of
                    // input, so the count is bounded by the input size.
                    assert!(frames.len() <= bytes.len() / 12);
                    assert!(frames.iter().all(|&(_, len)| len <= limits.max_frame));
                    assert!(r.next_frame().unwrap().is_none());
                }
            }
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn public_corpus_pcapng_times_match_tshark() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    // tshark's rpc.time for the reply (frame 2) is 0.002063000 s.
    let path = dir.join("tcpdump-nfs-write-verf-cookie.pcapng");
    let mut r = CaptureReader::open(&path, &Limits::default()).unwrap();
    assert_eq!(r.format(), CaptureFormat::Pcapng);
    let t1 = r.next_frame().unwrap().unwrap().ts;
    let t2 = r.next_frame().unwrap().unwrap().ts;
    assert_eq!(t2.nanos_since(t1), 2_063_000);
    assert!(
        t1.0 > 1_000_000_000 * 1_000_000_000,
        "a 21st-century time: {t1:?}"
    );
}

/// Every frame in full and the error text, for comparing two readers.
type Drained = (Vec<(u64, i64, Vec<u8>, u32)>, Option<String>);

fn drain_full(r: &mut CaptureReader) -> Drained {
    let mut out = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => out.push((f.number, f.ts.0, f.data.to_vec(), f.orig_len)),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// A memory-mapped file and the same bytes streamed give the same frames
/// and the same error at the same offset: for clean, corrupt and truncated
/// pcap, pcapng and snoop files.
#[test]
fn mapped_files_read_exactly_as_streams() {
    let limits = Limits {
        max_frame: 4096,
        ..Limits::default()
    };
    let path = std::env::temp_dir().join(format!("rpcscope-map-{}.cap", std::process::id()));
    let mut rng = Rng(0x7777_1234_abcd_0001);
    let mut mapped = 0;
    for seed in [pcap_bytes(40), pcapng_bytes(), snoop_bytes()] {
        for i in 0..200 {
            let mut bytes = seed.clone();
            if i > 0 {
                for _ in 0..rng.below(3) {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
                if i % 2 == 0 {
                    bytes.truncate(rng.below(bytes.len() + 1));
                }
            }
            std::fs::write(&path, &bytes).unwrap();
            let streamed =
                CaptureReader::from_reader(Box::new(Cursor::new(bytes.clone())), &limits)
                    .map(|mut r| drain_full(&mut r))
                    .map_err(|e| e.to_string());
            let from_file = CaptureReader::open(&path, &limits).map(|mut r| {
                if r.is_mapped() {
                    mapped += 1;
                }
                drain_full(&mut r)
            });
            let from_file = from_file.map_err(|e| e.to_string());
            assert_eq!(streamed, from_file, "case {i}, {} bytes", bytes.len());
        }
    }
    std::fs::remove_file(&path).unwrap();
    assert!(mapped > 500, "{mapped} files mapped");
}

/// Gzip is inflated on its own thread: the frames and the error of a cut
/// gzip file are the same as inflating in place would give.
#[test]
fn gzip_read_ahead_keeps_frames_and_errors_in_order() {
    let plain = pcap_bytes(3000);
    let mut r = reader(gzip(&plain)).unwrap();
    let (a, e) = drain_full(&mut r);
    assert_eq!((a.len(), e), (3000, None));
    assert_eq!(a, drain_full(&mut reader(plain).unwrap()).0);
    let gz = gzip(&pcap_bytes(3000));
    let (b, e) = drain_full(&mut reader(gz[..gz.len() * 2 / 3].to_vec()).unwrap());
    assert!(b.len() > 100 && b.len() < 3000, "{}", b.len());
    assert_eq!(b[..], a[..b.len()]);
    assert!(e.is_some());
}
