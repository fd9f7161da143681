//! JSON Lines rendered by a pool of threads (`read -j N`, `live -j N`).
//!
//! Rendering an exchange (walking its bodies through the program's
//! definition and writing the JSON object) is a pure function of the event,
//! and is the largest share of `read --format json` after decoding itself
//! (docs/performance.md). [`PooledJsonSink`] takes events on the decoding
//! thread, detaches them from the frames they borrow (each event without
//! its bodies, [`crate::event::Exchange::without_bodies`], and the bodies'
//! bytes copied into the chunk's one arena), collects them in chunks and
//! hands each chunk to one of `workers` threads,
//! each with its own [`JsonLinesSink`] over a `Vec<u8>`. The rendered chunks
//! come back in any order and are written in the order they were taken, so
//! the output is byte for byte that of [`JsonLinesSink`] alone (tests: unit
//! tests below, and `tests/jobs.rs` on the public corpus).
//!
//! Anomaly records, and exchanges whose bodies are larger than
//! [`RENDER_COPY_MAX_BYTES`] (a READ's data: copying it would cost more than
//! rendering, which skips it), are rendered on the decoding thread into the
//! chunk, at their place among the exchanges; every chunk starts with the
//! name of the file it continues (`begin_file`), since any worker may render
//! it. A worker sends the chunk back with its rendering, so what it holds
//! is freed (or kept for the next chunk) on the decoding thread that
//! allocated it (glibc's allocator
//! locks the arena of a block freed by another thread: with every event
//! freed across threads, `perf` showed that lock's waits and wake-ups at
//! ~8% of the run).
//! [`Sink::flush`] sends the chunk being collected, waits for every chunk in
//! flight and flushes the writer (so `read -` and `live` show what was
//! decoded when the input pauses); the summary is written after everything.
//!
//! When every worker is busy and has a chunk queued, the decoding thread
//! renders the chunk it closes itself, into its place in the output order,
//! rather than wait: rendering takes more time than decoding on metadata
//! traffic (docs/performance.md), so a decoding thread that only waited
//! would leave its core idle while the workers fall behind.
//!
//! Bounds ([`crate::limits`]): a chunk closes at [`RENDER_CHUNK_EVENTS`]
//! events or [`RENDER_CHUNK_BYTES`] of body bytes, and at most
//! [`RENDER_MAX_CHUNKS`] chunks are in flight or waiting for their turn
//! (at most 2 per worker with the workers, the rest rendered here); the
//! decoding thread blocks until the oldest comes back.
//!
//! A worker that panics while rendering (a bug) says so for its chunk: the
//! sink then fails with an error instead of waiting forever for the chunk.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::bodies::BodyView;
use super::jsonl::JsonLinesSink;
use super::{CaptureCounts, Sink};
use crate::anomaly::AnomalyRecord;
use crate::event::{Body, Event, Missing};
use crate::limits::{
    RENDER_CHUNK_BYTES, RENDER_CHUNK_EVENTS, RENDER_COPY_MAX_BYTES, RENDER_MAX_CHUNKS,
    RENDER_SPARE_CHUNKS, RENDER_SPARE_MAX_BYTES,
};
use crate::pipeline::Summary;

/// One piece of a chunk, in output order.
// Exchanges are kept inline, not boxed: a chunk's items are reused, so an
// exchange costs no allocation (boxing them was one per exchange).
#[allow(clippy::large_enum_variant)]
enum Item {
    /// The input the next events come from.
    File(Arc<str>),
    /// An exchange to render.
    Event(Detached),
    /// Bytes already rendered (an anomaly record, an exchange with bulk
    /// data): where they are in the chunk's arena.
    Bytes(Range<usize>),
}

/// An exchange detached from the frames it borrows: the event without its
/// bodies, whose bytes are copied into the chunk's arena.
struct Detached {
    ev: Event<'static>,
    call: Option<Slot>,
    reply: Option<Slot>,
}

/// A body in the arena.
#[derive(Clone)]
struct Slot {
    at: Range<usize>,
    len: u64,
    missing: Missing,
}

impl Slot {
    /// Copies `body`'s held bytes to the end of `arena`.
    fn copy(body: &Body<'_>, arena: &mut Vec<u8>) -> Slot {
        let start = arena.len();
        arena.extend_from_slice(&body.data);
        Slot {
            at: start..arena.len(),
            len: body.len,
            missing: body.missing,
        }
    }

    fn body<'a>(&self, arena: &'a [u8]) -> Body<'a> {
        Body {
            data: Cow::Borrowed(arena.get(self.at.clone()).unwrap_or(&[])),
            len: self.len,
            missing: self.missing,
        }
    }
}

impl Detached {
    fn new(ev: &Event<'_>, arena: &mut Vec<u8>) -> Self {
        let ex = &ev.exchange;
        Detached {
            call: ex.call_body.as_ref().map(|b| Slot::copy(b, arena)),
            reply: ex.reply_body.as_ref().map(|b| Slot::copy(b, arena)),
            ev: Event {
                kind: ev.kind,
                frame: ev.frame,
                ts: ev.ts,
                exchange: ex.without_bodies(),
            },
        }
    }

    /// The event again, its bodies borrowing `arena`.
    fn event<'a>(&self, arena: &'a [u8]) -> Event<'a> {
        let mut ev: Event<'a> = self.ev.clone();
        ev.exchange.call_body = self.call.as_ref().map(|s| s.body(arena));
        ev.exchange.reply_body = self.reply.as_ref().map(|s| s.body(arena));
        ev
    }
}

/// The items of a chunk, the bytes they refer to, and their rendering.
/// Chunks are reused: a chunk that has been written is cleared and filled
/// again, so detaching and rendering an exchange allocates nothing once the
/// first chunks have grown.
#[derive(Default)]
struct Chunk {
    items: Vec<Item>,
    arena: Vec<u8>,
    /// The JSON lines rendered from the items.
    out: Vec<u8>,
}

impl Chunk {
    /// A chunk with room for its items (an item is a few hundred bytes:
    /// growing the list would copy them several times).
    fn with_room() -> Self {
        Chunk {
            items: Vec::with_capacity(RENDER_CHUNK_EVENTS + 8),
            ..Chunk::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

struct Job {
    seq: u64,
    chunk: Chunk,
}

/// A rendered chunk (`ok` false: its worker panicked), sent back to be
/// written and reused (and what it holds freed) on the decoding thread that
/// allocated it: glibc's allocator locks the arena of a block freed by
/// another thread, and with every event freed across threads that lock
/// cost more than the freeing (docs/performance.md).
struct Rendered {
    seq: u64,
    ok: bool,
    chunk: Chunk,
}

/// JSON Lines through a render pool. See the module docs.
pub struct PooledJsonSink<W: Write> {
    out: W,
    /// Renders anomaly records and the summary on this thread.
    local: JsonLinesSink<Vec<u8>>,
    /// Renders whole chunks on this thread while the workers are busy.
    helper: JsonLinesSink<Vec<u8>>,
    file: Arc<str>,
    /// The chunk being collected, and its events.
    chunk: Chunk,
    events: usize,
    /// Written chunks, to fill again (at most [`RENDER_SPARE_CHUNKS`]).
    spare: Vec<Chunk>,
    /// The sequence number of the chunk being collected.
    next_seq: u64,
    /// The sequence number of the next chunk to write.
    write_seq: u64,
    /// Rendered chunks waiting for an earlier one.
    done: BTreeMap<u64, Chunk>,
    /// Chunks sent or rendered here and not yet written.
    in_flight: usize,
    /// Chunks sent to the workers and not yet back.
    at_workers: usize,
    /// Bounds of the two: [`RENDER_MAX_CHUNKS`], and 2 per worker (at
    /// most one less than the total, so this thread can help).
    max_in_flight: usize,
    max_at_workers: usize,
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Rendered>,
    workers: Vec<JoinHandle<()>>,
}

impl<W: Write> PooledJsonSink<W> {
    /// A sink rendering on `workers` threads (at least 1), each with a
    /// [`BodyView::fork`] of `bodies`.
    pub fn new(out: W, bodies: BodyView, workers: usize) -> io::Result<Self> {
        let workers = workers.max(1);
        let max_in_flight = RENDER_MAX_CHUNKS.max(2);
        let max_at_workers = (2 * workers).min(max_in_flight - 1);
        let (jobs, job_rx) = mpsc::sync_channel::<Job>(max_at_workers);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (res_tx, results) = mpsc::channel();
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let rx = Arc::clone(&job_rx);
            let tx: Sender<Rendered> = res_tx.clone();
            let view = bodies.fork();
            let h = std::thread::Builder::new()
                .name(format!("render-{i}"))
                .spawn(move || render_loop(&rx, &tx, view))?;
            handles.push(h);
        }
        Ok(PooledJsonSink {
            out,
            helper: JsonLinesSink::new(Vec::new(), bodies.fork()),
            local: JsonLinesSink::new(Vec::new(), bodies),
            file: Arc::from(""),
            chunk: Chunk::with_room(),
            events: 0,
            spare: Vec::new(),
            next_seq: 0,
            write_seq: 0,
            done: BTreeMap::new(),
            in_flight: 0,
            at_workers: 0,
            max_in_flight,
            max_at_workers,
            jobs: Some(jobs),
            results,
            workers: handles,
        })
    }

    /// Sends the chunk being collected (if any) to the pool, or renders it
    /// here when every worker is busy.
    fn send_chunk(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        self.write_ready()?;
        // Only chunks at the workers can be waited for: the others are
        // written as soon as the ones before them are.
        while self.in_flight >= self.max_in_flight && self.at_workers > 0 {
            self.wait_one()?;
        }
        let next = self.spare.pop().unwrap_or_else(Chunk::with_room);
        let chunk = std::mem::replace(&mut self.chunk, next);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.in_flight += 1;
        self.events = 0;
        if self.at_workers >= self.max_at_workers {
            // Every worker has a chunk and one queued: help.
            let mut chunk = chunk;
            render_items(&mut self.helper, &mut chunk);
            self.done.insert(seq, chunk);
            return self.write_ready();
        }
        self.at_workers += 1;
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|j| j.send(Job { seq, chunk }).is_ok());
        if !sent {
            return Err(pool_gone());
        }
        self.write_ready()
    }

    /// Blocks until one more rendered chunk comes back, then writes what is
    /// in order.
    fn wait_one(&mut self) -> io::Result<()> {
        let back = self.results.recv().map_err(|_| pool_gone())?;
        self.take_back(back)?;
        self.write_ready()
    }

    /// A chunk back from a worker: it waits for its turn to be written.
    fn take_back(&mut self, back: Rendered) -> io::Result<()> {
        let Rendered { seq, ok, chunk } = back;
        self.at_workers -= 1;
        if !ok {
            return Err(pool_gone());
        }
        self.done.insert(seq, chunk);
        Ok(())
    }

    /// Writes the rendered chunks that are next in order, taking what came
    /// back without blocking.
    fn write_ready(&mut self) -> io::Result<()> {
        while let Ok(back) = self.results.try_recv() {
            self.take_back(back)?;
        }
        while let Some(chunk) = self.done.remove(&self.write_seq) {
            self.write_seq += 1;
            self.in_flight -= 1;
            self.out.write_all(&chunk.out)?;
            self.recycle(chunk);
        }
        Ok(())
    }

    /// Sends what is collected and writes every chunk in flight.
    fn drain(&mut self) -> io::Result<()> {
        self.send_chunk()?;
        while self.at_workers > 0 {
            self.wait_one()?;
        }
        debug_assert_eq!(self.in_flight, 0, "every chunk is written");
        Ok(())
    }

    /// Empties a chunk that was written and keeps it for reuse, unless
    /// enough are kept or it grew past [`RENDER_SPARE_MAX_BYTES`] (then
    /// it is freed).
    fn recycle(&mut self, mut chunk: Chunk) {
        let big = chunk.arena.capacity() > RENDER_SPARE_MAX_BYTES
            || chunk.out.capacity() > RENDER_SPARE_MAX_BYTES;
        if self.spare.len() < RENDER_SPARE_CHUNKS && !big {
            chunk.items.clear();
            chunk.arena.clear();
            chunk.out.clear();
            self.spare.push(chunk);
        }
    }

    /// Adds an item to the chunk being collected; `make` gets the chunk's
    /// arena for the bytes the item refers to.
    fn push(&mut self, make: impl FnOnce(&mut Vec<u8>) -> Item) -> io::Result<()> {
        let chunk = &mut self.chunk;
        if chunk.items.is_empty() {
            // Every chunk names the file it continues: the worker that
            // renders it may not be the one that got the file's first chunk.
            chunk.items.push(Item::File(Arc::clone(&self.file)));
        }
        let item = make(&mut chunk.arena);
        chunk.items.push(item);
        if self.events >= RENDER_CHUNK_EVENTS || chunk.arena.len() >= RENDER_CHUNK_BYTES {
            self.send_chunk()?;
        }
        Ok(())
    }

    /// Adds bytes already rendered.
    fn push_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.push(|arena| {
            let start = arena.len();
            arena.extend_from_slice(bytes);
            Item::Bytes(start..arena.len())
        })
    }
}

fn pool_gone() -> io::Error {
    io::Error::other("a JSON rendering thread stopped (a bug): output is incomplete")
}

/// Renders a chunk's items into its `out` with `sink` (a worker's, or the
/// decoding thread's helper).
fn render_items(sink: &mut JsonLinesSink<Vec<u8>>, chunk: &mut Chunk) {
    // The sink writes into the chunk's buffer, and gets its own back.
    std::mem::swap(sink.out_mut(), &mut chunk.out);
    sink.out_mut().clear();
    let arena = &chunk.arena[..];
    for item in &chunk.items {
        // Writing to a Vec cannot fail.
        let _ = match item {
            Item::File(f) => sink.begin_file(f),
            Item::Event(d) => sink.event(&d.event(arena)),
            Item::Bytes(at) => sink
                .out_mut()
                .write_all(arena.get(at.clone()).unwrap_or(&[])),
        };
    }
    std::mem::swap(sink.out_mut(), &mut chunk.out);
}

/// A worker: render each chunk in turn until the sender goes away.
fn render_loop(jobs: &Mutex<Receiver<Job>>, results: &Sender<Rendered>, view: BodyView) {
    let mut sink = JsonLinesSink::new(Vec::new(), view);
    loop {
        // The lock is held only while taking a job.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let Job { seq, mut chunk } = job;
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            render_items(&mut sink, &mut chunk)
        }))
        .is_ok();
        if results.send(Rendered { seq, ok, chunk }).is_err() || !ok {
            return;
        }
    }
}

impl<W: Write> Sink for PooledJsonSink<W> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.file = Arc::from(file);
        self.local.begin_file(file)?;
        // A chunk's first item is always the file it continues.
        self.chunk.items.push(Item::File(Arc::clone(&self.file)));
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        // As JsonLinesSink: only finished exchanges are written.
        if !ev.kind.is_final() {
            return Ok(());
        }
        let ex = &ev.exchange;
        let bytes = ex.call_body.as_ref().map_or(0, |b| b.data.len())
            + ex.reply_body.as_ref().map_or(0, |b| b.data.len());
        self.events += 1;
        if bytes > RENDER_COPY_MAX_BYTES {
            // Copying a READ's data costs more than rendering it (bulk data
            // is skipped, not written): render here, at its place in the
            // chunk.
            self.local.out_mut().clear();
            self.local.event(ev)?;
            let line = std::mem::take(self.local.out_mut());
            let r = self.push_bytes(&line);
            *self.local.out_mut() = line;
            return r;
        }
        self.push(|arena| Item::Event(Detached::new(ev, arena)))
    }

    fn anomaly(&mut self, a: &AnomalyRecord) -> io::Result<()> {
        self.local.out_mut().clear();
        self.local.anomaly(a)?;
        let bytes = std::mem::take(self.local.out_mut());
        let r = self.push_bytes(&bytes);
        *self.local.out_mut() = bytes;
        r
    }

    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.local.capture_counts(c)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.out.flush()
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        self.drain()?;
        self.local.out_mut().clear();
        self.local.finish(s)?;
        self.out.write_all(self.local.out_mut())?;
        self.out.flush()
    }
}

impl<W: Write> Drop for PooledJsonSink<W> {
    fn drop(&mut self) {
        // Closing the job channel ends the workers.
        self.jobs = None;
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Frame, LinkType, Timestamp};
    use crate::event::ExchangeKind;
    use crate::limits::Limits;
    use crate::pipeline::Pipeline;

    /// Decodes `frames` through one pipeline into `sink`.
    fn run(frames: &[(Vec<u8>, Timestamp)], link: LinkType, sink: &mut dyn Sink) {
        let limits = Limits::default();
        let mut p = Pipeline::new(&limits);
        sink.begin_file("t.pcap").unwrap();
        for (i, (data, ts)) in frames.iter().enumerate() {
            let f = Frame {
                number: i as u64 + 1,
                ts: *ts,
                link,
                data,
                orig_len: data.len() as u32,
            };
            p.handle_frame(&f, &mut |ev| sink.event(&ev).unwrap());
            p.drain_anomalies(&mut |a| sink.anomaly(a).unwrap());
        }
        p.finish(&mut |ev| sink.event(&ev).unwrap());
        p.drain_anomalies(&mut |a| sink.anomaly(a).unwrap());
        let mut s = Summary::default();
        s.add(&p);
        sink.finish(&s).unwrap();
    }

    fn frames_of(path: &str) -> (Vec<(Vec<u8>, Timestamp)>, LinkType) {
        let mut r =
            crate::capture::CaptureReader::open(std::path::Path::new(path), &Limits::default())
                .unwrap();
        let mut out = Vec::new();
        let mut link = LinkType(1);
        while let Some(f) = r.next_frame().unwrap() {
            link = f.link;
            out.push((f.data.to_vec(), f.ts));
        }
        (out, link)
    }

    fn view() -> BodyView {
        BodyView::new(
            crate::programs::registry::Registry::builtin(),
            &Limits::default(),
            false,
        )
    }

    #[test]
    fn pooled_output_equals_one_thread_on_the_bundled_captures() {
        for cap in [
            "captures/ganesha-nfs.pcap",
            "captures/serve-call.pcap",
            "captures/rpcbind-rpcinfo.pcap",
        ] {
            let path = format!("{}/{cap}", env!("CARGO_MANIFEST_DIR"));
            let (frames, link) = frames_of(&path);
            let mut one = JsonLinesSink::new(Vec::new(), view());
            run(&frames, link, &mut one);
            let one = std::mem::take(one.out_mut());
            assert!(one.len() > 1000, "{cap}: decoded something");
            // `at_workers`: the workers take at most that many chunks, and
            // the decoding thread renders the others (0: all of them).
            for (workers, at_workers) in
                [(1, None), (2, None), (3, None), (1, Some(0)), (2, Some(1))]
            {
                let mut pooled = PooledJsonSink::new(Vec::new(), view(), workers).unwrap();
                if let Some(n) = at_workers {
                    pooled.max_at_workers = n;
                }
                run(&frames, link, &mut pooled);
                let got = std::mem::take(&mut pooled.out);
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&one),
                    "{cap} with {workers} workers taking {at_workers:?} chunks"
                );
            }
        }
    }

    #[test]
    fn flush_writes_everything_taken_so_far() {
        let path = format!("{}/captures/ganesha-nfs.pcap", env!("CARGO_MANIFEST_DIR"));
        let (frames, link) = frames_of(&path);
        let limits = Limits::default();
        let mut p = Pipeline::new(&limits);
        let mut sink = PooledJsonSink::new(Vec::new(), view(), 2).unwrap();
        sink.begin_file("t").unwrap();
        let mut taken = 0;
        for (i, (data, ts)) in frames.iter().enumerate() {
            let f = Frame {
                number: i as u64 + 1,
                ts: *ts,
                link,
                data,
                orig_len: data.len() as u32,
            };
            p.handle_frame(&f, &mut |ev| {
                if matches!(ev.kind, ExchangeKind::Complete) {
                    taken += 1;
                }
                sink.event(&ev).unwrap()
            });
        }
        sink.flush().unwrap();
        let lines = sink.out.iter().filter(|b| **b == b'\n').count();
        assert!(taken > 10);
        assert_eq!(lines, taken, "every exchange taken is written at flush");
    }
}
