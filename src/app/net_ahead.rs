//! One file decoded on two threads: the network layer runs ahead.
//!
//! A helper thread reads the capture and runs the network layer (link, IP
//! reassembly, UDP, TCP reassembly: a [`NetDecoder`] of its own); the
//! calling thread runs the rest of the pipeline (record marking, RPC, the
//! tracker) and the sink on the [`NetEvent`]s it hands over, in order. The
//! two layers meet only through those events ([`Pipeline::begin_frame`]),
//! so the events, anomalies and totals out are those of one thread, byte
//! for byte (`tests/jobs.rs` compares them on every bundled and public
//! capture).
//!
//! Events travel in batches: a list of items (a frame begins, an event of
//! it, the frame ends) and an arena holding their bytes (copies of the
//! payloads: a capture's frames are mapped, the reassembly buffers are not
//! the helper's to lend). A batch closes at [`NET_AHEAD_BATCH_BYTES`] of
//! bytes or [`NET_AHEAD_BATCH_ITEMS`] items, and at most
//! [`NET_AHEAD_QUEUE`] wait; the bound and its reason are in
//! [`crate::limits`].
//!
//! Used by `read` (text, CSV, JSON on one thread) and `stats` on one file
//! when `-j` gives them two threads or more, for a file (not standard
//! input, which must stream), without `--bpf`, `-w` or `-c` (which look at
//! frames or stop in the middle of them): see [`usable`]. With the JSON
//! render pool the second core is the pool's.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};

use super::source::{self, Frames};
use super::{drain_anomalies, emit, file_end, FileError, ReadOptions, PROGRESS_EVERY};
use crate::capture::Timestamp;
use crate::filter::FilteredSink;
use crate::limits::{Limits, NET_AHEAD_BATCH_BYTES, NET_AHEAD_BATCH_ITEMS, NET_AHEAD_QUEUE};
use crate::net::{is_supported_link, NetDecoder, NetEvent, StoredNetEvent};
use crate::output::Sink;
use crate::pipeline::{Pipeline, Summary};

/// True when a file can be decoded with the network layer ahead (see the
/// module docs): asked for, and nothing looks at frames or stops among
/// them.
pub(super) fn usable(path: &std::path::Path, opts: &ReadOptions) -> bool {
    opts.net_thread
        && path.as_os_str() != "-"
        && opts.bpf.is_none()
        && opts.write.is_none()
        && opts.count.is_none()
}

/// One step of the network layer's output.
enum Item {
    /// A frame begins: its number and capture time.
    Frame(u64, Timestamp),
    /// One event of the frame begun.
    Event(StoredNetEvent),
    /// The frame ends.
    FrameEnd,
}

/// How the helper's input ended, after the last frame.
enum End {
    /// The end of the input, or a stop request: the network layer's final
    /// events follow (`finish`, a range of the batch's items).
    Finished {
        finish: Range<usize>,
        error: Option<String>,
    },
    /// Refused before any frame (an unsupported link type): nothing is
    /// decoded, the file fails.
    Refused(String),
}

#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    arena: Vec<u8>,
    end: Option<End>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            items: Vec::with_capacity(NET_AHEAD_BATCH_ITEMS),
            arena: Vec::with_capacity(NET_AHEAD_BATCH_BYTES),
            end: None,
        }
    }

    fn full(&self) -> bool {
        self.items.len() >= NET_AHEAD_BATCH_ITEMS || self.arena.len() >= NET_AHEAD_BATCH_BYTES
    }

    fn push(&mut self, ev: &NetEvent<'_>) {
        let stored = StoredNetEvent::store(ev, &mut self.arena);
        self.items.push(Item::Event(stored));
    }
}

/// [`super::decode`] with the network layer on a helper thread: the same
/// events, anomalies, totals and errors.
pub(super) fn decode(
    reader: &mut (dyn Frames + Send),
    bar: Option<indicatif::ProgressBar>,
    limits: &Limits,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    summary: &mut Summary,
    opts: &mut ReadOptions,
) -> Result<(), FileError> {
    let mut pipeline = Pipeline::with_options(limits, opts.pipeline.clone());
    let (tx, rx) = mpsc::sync_channel::<Batch>(NET_AHEAD_QUEUE);
    let cancel = AtomicBool::new(false);
    let stop = opts.stop.clone();
    let position = opts.position.clone();
    let helper_bar = bar.clone();
    let mut out_err = None;
    let mut input_err = None;
    let mut refused = None;
    std::thread::scope(|scope| {
        // Owned here, so that it is dropped even if this thread unwinds:
        // the helper's sends then fail instead of waiting for ever.
        let rx = rx;
        let cancel = &cancel;
        scope.spawn(move || {
            run_network(reader, limits, &stop, cancel, helper_bar, position, tx);
        });
        let r = consume(&rx, &mut pipeline, sink, &mut out_err);
        // Whatever ended the loop, the helper stops and its sends fail.
        cancel.store(true, Ordering::Relaxed);
        drop(rx);
        match r {
            Some(End::Refused(msg)) => refused = Some(msg),
            Some(End::Finished { error, .. }) => input_err = error,
            None => {}
        }
    });
    if let Some(msg) = refused {
        return Err(FileError::Input(msg));
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    file_end(&pipeline, summary, out_err, input_err)
}

/// The calling thread: the pipeline on the helper's batches, in order.
/// Returns how the input ended (`None`: the output failed first, or the
/// helper is gone).
fn consume(
    rx: &Receiver<Batch>,
    pipeline: &mut Pipeline,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    out_err: &mut Option<std::io::Error>,
) -> Option<End> {
    let mut first = true;
    let mut marks = Vec::new();
    while let Ok(batch) = rx.recv() {
        let Batch { items, arena, end } = batch;
        // The last batch ends with the network layer's final events.
        let frames_end = match &end {
            Some(End::Finished { finish, .. }) => finish.start,
            _ => items.len(),
        };
        for item in items.get(..frames_end).unwrap_or(&[]) {
            match item {
                Item::Frame(number, ts) => {
                    if first {
                        if let Err(e) = sink.first_frame(*ts) {
                            *out_err = Some(e);
                            return None;
                        }
                        first = false;
                    }
                    pipeline.begin_frame(*number, *ts);
                }
                Item::Event(ev) => {
                    pipeline.net_event(ev.get(&arena), &mut |ev| {
                        emit(sink, None, out_err, &mut marks, ev)
                    });
                }
                Item::FrameEnd => {
                    pipeline.end_frame(&mut |ev| emit(sink, None, out_err, &mut marks, ev));
                    drain_anomalies(pipeline, sink, out_err);
                    marks.clear();
                    if out_err.is_some() {
                        return None;
                    }
                }
            }
        }
        match end {
            None => continue,
            Some(End::Finished { finish, error }) => {
                let events = items.get(finish.clone()).unwrap_or(&[]);
                pipeline.finish_with(
                    &mut |to| {
                        for item in events {
                            if let Item::Event(ev) = item {
                                to(ev.get(&arena));
                            }
                        }
                    },
                    &mut |ev| emit(sink, None, out_err, &mut marks, ev),
                );
                drain_anomalies(pipeline, sink, out_err);
                return Some(End::Finished { finish, error });
            }
            Some(refused) => return Some(refused),
        }
    }
    None
}

/// The helper thread: frames in, batches of network events out, until the
/// input ends, a stop is asked for, or the calling thread is gone.
fn run_network(
    reader: &mut (dyn Frames + Send),
    limits: &Limits,
    stop: &super::signals::Stop,
    cancel: &AtomicBool,
    bar: Option<indicatif::ProgressBar>,
    position: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    tx: SyncSender<Batch>,
) {
    let mut net = NetDecoder::new(limits);
    let mut batch = Batch::new();
    let global_link = reader.link_is_global();
    let mut first = true;
    let mut error = None;
    loop {
        if stop.requested() || cancel.load(Ordering::Relaxed) {
            break;
        }
        let bytes = reader.bytes_read();
        match reader.next(stop, &mut || {}) {
            Ok(source::Next::Frame(frame)) => {
                if first && global_link && !is_supported_link(frame.link) {
                    let msg = format!("unsupported link type {}", frame.link);
                    batch.items.clear();
                    batch.end = Some(End::Refused(msg));
                    let _ = tx.send(batch);
                    return;
                }
                first = false;
                if frame.number % PROGRESS_EVERY == 0 {
                    if let Some(b) = &bar {
                        b.set_position(bytes);
                    }
                    if let Some(p) = &position {
                        p.store(bytes, Ordering::Relaxed);
                    }
                }
                batch.items.push(Item::Frame(frame.number, frame.ts));
                net.handle_frame(&frame, &mut |ev| {
                    batch.push(&ev);
                });
                batch.items.push(Item::FrameEnd);
                if batch.full() {
                    let full = std::mem::replace(&mut batch, Batch::new());
                    if tx.send(full).is_err() {
                        return;
                    }
                }
            }
            Ok(source::Next::End | source::Next::Stopped) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    // As the one-thread loop does after an input error or a stop: the
    // network layer finishes, and its last events go with the end.
    let start = batch.items.len();
    net.finish(&mut |ev| batch.push(&ev));
    batch.end = Some(End::Finished {
        finish: start..batch.items.len(),
        error,
    });
    let _ = tx.send(batch);
}
