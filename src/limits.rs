//! Every cap and timeout in rpcscope, each with the reason for its value.
//!
//! Untrusted input must never make rpcscope allocate without a bound or keep
//! state forever. Every buffer, table and timeout in the decoder, the tracker
//! and the server takes its bound from a [`Limits`] value, so the bounds can be
//! reviewed in one place and tightened in tests. Hitting a bound is a counted
//! anomaly, never a panic and never a silent clear-all.
//!
//! # Worst case of the whole process: at most 64 MiB on any input
//!
//! The defaults are chosen so that `read`, `stats` and `report` stay within
//! 64 MiB of resident memory whatever the capture holds, every table full
//! at once (for each file decoded at once: `-j N` over several files runs up
//! to N decoders side by side). Each cost is measured, release build, glibc
//! malloc: the peak RSS of a capture that fills every table
//! (`tests/flood.rs`) less the peak with that one table cut to almost
//! nothing; the process line is a one-frame file. Hash tables are measured
//! churning at their caps, where they settle at twice their buckets.
//!
//! | what | bound | worst case |
//! |---|---|---:|
//! | process, binary, program registry | - | 9.0 MiB |
//! | input (mapped window, or frame buffer and `read -` frames parsed ahead), anomaly records waiting, output buffers | `capture::mapped`'s 1 MiB steps; `max_frame` + [`STDIN_AHEAD_BYTES`]; `max_anomaly_queue` | 3.0 MiB |
//! | TCP directions (~0.45 KiB each) | `max_tcp_streams` = 8192 | 3.7 MiB |
//! | RPC streams (~0.65 KiB each: record reader, frame ring, holds) and their record prefixes, resync windows and candidates | `max_tcp_streams`; `max_stream_buffer_bytes` = 6 MiB | 11.2 MiB |
//! | TCP out-of-order bytes, spare buffers | `max_tcp_ooo_total` = 2 MiB; [`TCP_OOO_POOL`] x [`TCP_OOO_POOL_BUF_MAX`] | 2.5 MiB |
//! | pending calls (~0.65 KiB each with buckets and order queue) | `max_pending_calls` = 7168 | 4.7 MiB |
//! | their kept arguments, compound records and paths | `max_pending_body_bytes` = 6 MiB | 7.1 MiB |
//! | answered calls (~0.45 KiB each) | `max_answered` = 7168 | 3.2 MiB |
//! | RPC servers known | `max_rpc_flows` = 7168 | 1.1 MiB |
//! | file-handle paths | `max_paths` = 16384; `max_path_bytes` = 4 MiB | 4.1 MiB |
//! | endpoints learned from portmap/rpcbind (~100 B each) | `max_learned_ports` | 0.4 MiB |
//! | IP reassembly, spare buffers | `max_ip_reassemblies` = 32 x 64 KiB; [`IP_FRAG_POOL`] x 64 KiB | 1.3 + 0.3 MiB |
//! | messages held for capture order | `max_reorder_messages` x ~350 B + `max_reorder_bytes` (2.0 MiB measured) | 3.4 MiB |
//! | **decoding, in all** | | **55.0 MiB** |
//!
//! and what each command holds besides (the largest of these counts):
//!
//! | command | bound | worst case | in all |
//! |---|---|---:|---:|
//! | `read`, text, CSV or JSON on one thread | `-j 2` or more: the network layer's batches ([`NET_AHEAD_QUEUE`] + 2 of [`NET_AHEAD_BATCH_BYTES`] + a frame) | 2.7 MiB | 57.7 MiB |
//! | `read -j N`, JSON | the render pool: [`RENDER_MAX_CHUNKS`] + 1 chunks of ~1 MiB, [`RENDER_SPARE_CHUNKS`] spare (no network layer thread) | 7.7 MiB | 62.7 MiB |
//! | `stats`, `live --stats` (statuses only: no paths, 4.1 MiB less) | `max_stats_rows` = 256 x ~21.5 KiB (a latency histogram up to the 120 s call timeout); `stats -j 2` or more on files one after the other: the network layer's batches, 2.7 MiB | 8.2 MiB | 59.1 MiB |
//! | `stats --interval` (no paths either) | the same, and `max_interval_rows` = 224 x ~21.5 KiB | 12.9 MiB | 63.8 MiB |
//! | `report`, `top` | `report_rows` = 128 x ~21.5 KiB; the series (`report_series_points` x `report_series_keys` cells); three tables of `report_top_entries` names and `report_top_name_bytes`; the lists | 8.3 MiB | 63.3 MiB |
//!
//! `read --format parquet` adds the rows it buffers for its row groups
//! (`export_row_group_bytes` = 6 MiB counted over all open files, about as
//! much resident, and one column's encoded pages while a group is written:
//! ~7 MiB, 62.0 MiB in all; 55 MiB measured on the every-table capture,
//! 42 MiB on meta.pcap, where it was 161 MiB with row groups of 64 MiB of
//! text per file). `live` adds its kernel ring ([`LIVE_BUFFER_BYTES`], 64
//! MiB, mapped from the kernel) and the batches queued behind it
//! (`live_queue_batches`), sized for zero drops rather than for this bound.
//! The bound is per input decoded: `stats -j N` and `report -j N` count up
//! to N files side by side, each with its own decoder, and `--merge` holds
//! each input's mapped window and waiting frame (up to `max_frame` + ~3
//! MiB each; 32 interleaved 1 MB files merged took 24 MiB more than one).
//!
//! `tests/flood.rs` checks it: 200,000 TCP flows within 20 s of capture time,
//! each holding the start of a record that never completes (the streams
//! dropped are counted as `rpc_stream_evicted` and `tcp_stream_evicted`),
//! and a capture that fills every table above at once; docs/performance.md
//! has the measured peaks. The server (`serve`) and client (`call`) have
//! their own bounds below (connections, threads, records).

/// The bounds used by every layer. `Limits::default()` is what the CLI uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    // ---- capture files -------------------------------------------------
    /// Largest captured frame we accept from a file (pcap `incl_len`, pcapng
    /// block length). libpcap's own MAXIMUM_SNAPLEN is 262144; pcapng blocks
    /// add headers and options, and the largest offloaded super-frames a
    /// capture can hold (GSO/GRO, BIG TCP) stay under 512 KiB. Anything
    /// larger is a corrupt file. The frame buffer grows to this at most.
    pub max_frame: usize,

    // ---- IP fragment reassembly ----------------------------------------
    /// Largest reassembled IP datagram: the IPv4 total length field and the
    /// IPv6 fragmentable part cannot exceed 65535 bytes.
    pub max_ip_datagram: usize,
    /// Datagrams being reassembled at once. The fragments of one datagram
    /// arrive back to back, so even a busy NFS-over-UDP server (32 KiB
    /// writes, a handful in flight per client) has a few dozen in flight at
    /// any moment; 32 datagrams of at most 64 KiB bound memory to 2 MiB.
    pub max_ip_reassemblies: usize,
    /// Fragments per datagram. A 64 KiB datagram over a 576-byte MTU needs
    /// ~120 fragments; more is an attack (tiny-fragment flood).
    pub max_ip_fragments: usize,
    /// Capture-time age after which an incomplete datagram is dropped.
    /// RFC 791 suggests 15 s; Linux uses 30 s (`ipfrag_time`). We use 30 s.
    pub ip_reassembly_timeout_ns: u64,

    // ---- TCP streams ---------------------------------------------------
    /// Tracked TCP directions (and RPC streams, one per direction). Evicting
    /// the least recently used one beyond this bounds memory on captures
    /// with many short connections; an evicted connection that speaks again
    /// is picked up mid-stream (its framing is searched for). 8192
    /// directions are 4096 connections active within the idle timeout (a
    /// server with thousands of clients); each costs ~1.1 KiB in all with
    /// its RPC stream (see the worst case above).
    pub max_tcp_streams: usize,
    /// Out-of-order bytes buffered per direction while waiting for a hole to
    /// fill. 1 MiB covers a full window of 64 KiB segments on a fast LAN; past
    /// it, the hole is declared a gap and the stream moves on.
    pub max_tcp_ooo_bytes: usize,
    /// Out-of-order segments buffered per direction (bounds bookkeeping
    /// overhead for floods of tiny segments).
    pub max_tcp_ooo_segments: usize,
    /// Out-of-order bytes buffered over all directions: without it,
    /// `max_tcp_streams` directions could each hold `max_tcp_ooo_bytes`
    /// (8 GiB). 2 MiB is two directions' full windows at once: holes are
    /// filled (or declared lost by the peer's ACK) within a round trip, so
    /// real captures hold far less. Past it, the direction that needs room
    /// declares its hole lost (as when its own buffer is full).
    pub max_tcp_ooo_total: usize,
    /// Capture-time idle period after which a TCP direction is forgotten.
    /// NFS clients keep connections open for hours but talk every few
    /// minutes; 10 minutes of silence is treated as gone.
    pub tcp_idle_timeout_ns: u64,

    // ---- ONC RPC records -------------------------------------------------
    /// Largest record length a record mark may claim before the stream is
    /// treated as not RPC (or out of sync). NFSv4.1 servers negotiate up to
    /// 1 MiB plus headers; Linux caps RPC records at 16 MiB (`RPCSVC_MAXPAYLOAD`
    /// is 1 MiB, `max_reqs * size` well below 16 MiB).
    pub max_record: u32,
    /// Bytes of each record kept in memory for decoding. Headers and program
    /// bodies we decode fit in a few KiB even for large COMPOUNDs; bulk data
    /// (READ/WRITE payloads) past this is counted but not stored, which keeps
    /// memory per stream constant however large the record.
    pub record_keep: usize,
    /// Record fragments per record: a real client sends one, a few at most;
    /// thousands of 0-length fragments are an attack.
    pub max_record_fragments: u32,
    /// Bytes searched for a record mark when resynchronising after a gap or
    /// a mid-stream start, before giving up on the buffered data and waiting
    /// for more. Large enough to hold a typical record and its successor's
    /// mark, small enough to stay cheap per stream.
    pub resync_window: usize,
    /// Bytes of record prefixes, resync windows and candidates held by all
    /// TCP directions' record readers together. One reader holds at most
    /// `record_keep + 2 * resync_window` (~576 KiB), so without this bound a
    /// flood of flows that each start a record and stop would hold that
    /// times `max_tcp_streams`. 6 MiB holds the 64 KiB prefixes of 96
    /// large records in flight at once (NFS READ replies and WRITE calls of
    /// as many busy connections); a record shorter than `record_keep` holds
    /// only itself. Past it, the least recently active RPC streams are
    /// dropped (counted as `rpc_stream_evicted`, with where).
    pub max_stream_buffer_bytes: usize,

    // ---- RPC messages ------------------------------------------------------
    /// Largest opaque_auth body: RFC 5531 section 8.2 sets MAX_AUTH_BYTES to 400.
    pub max_auth_bytes: u32,
    /// Largest AUTH_SYS gids array: RFC 5531 appendix A limits it to 16.
    pub max_auth_sys_gids: u32,
    /// Largest AUTH_SYS machine name: RFC 5531 appendix A limits it to 255.
    pub max_machine_name: u32,

    // ---- call/reply matching ---------------------------------------------
    /// Calls waiting for a reply, over all conversations. Zeek clears its whole
    /// table at 1000; we evict the oldest and count it. 7168 outstanding
    /// calls is fifty clients each with a full 128-slot table (Linux's
    /// default for NFS over TCP is 65536 slots but 16 to 128 in use); 7168
    /// is 7/8 of 8192, the most a hash table of 8192 buckets holds.
    pub max_pending_calls: usize,
    /// Capture-time age after which a call with no reply is reported as
    /// unmatched. NFS hard mounts retransmit after 60 s (timeo=600); 120 s
    /// leaves room for one retransmission.
    pub call_timeout_ns: u64,
    /// Answered calls remembered so that duplicate replies and retransmitted
    /// calls are recognised, not double counted. A retransmission comes
    /// within a timeout of its call, so the calls of the last few seconds
    /// matter; 7168 (7/8 of 8192 buckets) covers a second or two of a
    /// server answering thousands of calls a second, which is when
    /// duplicate replies and retransmissions of lost replies come.
    pub max_answered: usize,
    /// Capture-time age after which an answered call is forgotten.
    pub answered_timeout_ns: u64,
    /// Server endpoints remembered as speaking RPC, so that a reply with no
    /// call from one is reported as an orphan. Servers are few (one NFS
    /// server has one or two endpoints per transport); 7168 (7/8 of 8192
    /// buckets) is room for a capture of a whole data centre.
    pub max_rpc_flows: usize,

    // ---- capture order -------------------------------------------------------
    /// Capture time a decoded message may wait so that an earlier frame's
    /// message held back elsewhere (a resync waiting for the next record
    /// mark, a record whose gap is not yet declared, out-of-order TCP bytes)
    /// reaches the tracker and the output first. Gaps are declared by the
    /// peer's ACK within a round trip and resyncs decide within a record or
    /// two, so 2 s covers real captures; a stream stuck longer stops holding
    /// the others back. In `live` it is also the longest a line waits.
    pub reorder_window_ns: u64,
    /// Messages waiting for capture order at once. Holds last a round trip
    /// (a gap is declared by the peer's ACK), a few thousand messages on a
    /// busy server; past 4096 the oldest goes on (order is then best effort).
    pub max_reorder_messages: usize,
    /// Bytes of bodies held by waiting messages (each at most
    /// `record_keep`): 2 MiB, so the queue's worst case is bounded whatever
    /// the message sizes (five hundred messages of 4 KiB).
    pub max_reorder_bytes: usize,
    /// Longest record accepted as the first RPC record of a stream whose
    /// ports are not known or learned as RPC: NFS's largest transfer (1 MiB)
    /// plus headers. Other protocols (SMB reads and writes of up to 8 MiB)
    /// frame larger PDUs that could otherwise pass for a record.
    pub max_probe_record: u32,

    // ---- capture files (continued) -------------------------------------------
    /// Interfaces (IDBs) per pcapng section. Real captures have one per
    /// capturing NIC, a few hundred on a large router; each costs a small
    /// table entry, so a corrupt or hostile file with millions of IDBs would
    /// otherwise grow memory with the file size.
    pub max_capture_interfaces: usize,

    // ---- statistics, live capture ------------------------------------------
    /// Rows of a statistics table. A row holds a latency histogram (~21.5
    /// KiB once it has seen latencies up to the 120 s call timeout); with
    /// `--by client` a scan of many addresses could otherwise grow memory
    /// without bound. 256 rows is more than a readable table and caps
    /// memory at 5.5 MiB; exchanges of later keys go into one overflow row
    /// (reported on stderr).
    pub max_stats_rows: usize,
    /// Rows of all the tables of `stats --interval` together, each table's
    /// overflow row included: 224 rows hold ~15 intervals of 15 procedures
    /// with every latency histogram at its largest (4.7 MiB; rows with
    /// latencies of milliseconds cost a fraction of that), which with the
    /// table of `max_stats_rows` keeps the worst case at 63.5 MiB (the
    /// table at the top). Past it an interval with rows counts
    /// new keys in its overflow row, and an exchange that would need a new
    /// interval is counted in none (stderr says how many).
    pub max_interval_rows: usize,
    /// The span of `stats --interval`, in intervals: an empty interval
    /// costs no memory but is printed (JSON: `{"start", "end", "rows": []}`,
    /// ~60 bytes), so 100,000 bounds the output to a few MB. An exchange
    /// past it is counted in no interval (stderr says how many).
    pub max_stats_intervals: u64,
    /// Read timeout of a live capture handle, in milliseconds. On Linux
    /// (TPACKET_V3, not immediate mode: `capture::live`) it is also the
    /// longest a packet waits in a partly filled ring block before the
    /// kernel hands the block over, so it is the latency of `live` on a
    /// quiet link. 100 ms keeps it prompt for a person watching. The
    /// decoder also waits at most this long for a batch before it lets time
    /// pass for the pipeline (calls time out) and checks for a stop.
    pub live_read_timeout_ms: u32,
    /// How long the capture thread sleeps, in microseconds, when no ring
    /// block is ready on its non-blocking handle, before polling again (and
    /// checking whether it is asked to stop). 2 ms costs ~500 cheap
    /// wake-ups a second when idle; packets that arrive meanwhile wait in
    /// the ring, which holds far more than 2 ms of any link's traffic.
    pub live_idle_sleep_us: u32,
    /// Batches of frames queued between the capture thread and the decoder
    /// (`capture::live_feed`). 32 batches of up to 1 MiB absorb a pause of
    /// the decoder of ~32 MiB of traffic (a terminal scrolling, a stats
    /// redraw) before the kernel ring has to; with batches recycled, this
    /// caps the copies in user space at (32 + 2) batches of
    /// [`Self::live_batch_bytes`] and one frame more: ~34 MiB of small
    /// frames, up to 42 MiB if every batch ends with a 256 KiB frame.
    pub live_queue_batches: usize,
    /// Frames per batch at most: 4096 makes the cost of a channel hand-off
    /// (a futex wake) negligible per frame at any rate.
    pub live_batch_frames: usize,
    /// Bytes per batch at most (a batch may exceed it by its last frame):
    /// 1 MiB, large enough for bulk traffic to travel in few hand-offs.
    pub live_batch_bytes: usize,
    /// Longest a frame waits in a batch being filled, in milliseconds, when
    /// packets keep trickling in (a batch is also handed over whenever the
    /// ring is empty). 50 ms: output stays prompt on a slow steady link.
    pub live_batch_age_ms: u32,
    /// How often the capture thread reads the kernel's counts, in
    /// milliseconds: once a second, cheap (one getsockopt), and often enough
    /// for the drop warnings and the `--stats` view.
    pub live_counts_ms: u32,
    /// Bytes of frames `live -w` holds back while it does not yet know
    /// whether their flow carries RPC (the handshake and first segments of a
    /// connection). 4 MiB holds the opening frames of hundreds of flows at
    /// once; when full, the oldest held frames are dropped (not written).
    pub max_write_backlog_bytes: usize,
    /// Frames `live -w` holds back (bounds bookkeeping for floods of tiny
    /// frames the byte bound alone would let through).
    pub max_write_backlog_frames: usize,
    /// Flows `live -w` remembers as carrying RPC (so their later frames are
    /// written). Same reasoning as `max_rpc_flows`; the least recently used
    /// is forgotten beyond it.
    pub max_write_flows: usize,

    // ---- the report, the top view, export ----------------------------------------
    /// Rows of the report's (and `top`'s) table of procedures: its keys are
    /// procedures and NFSv4 operations, ~100 in the busiest mixed capture
    /// (NFSv3's 22, NFSv4.1's 58, MOUNT, NLM, portmap). 128 rows of ~21.5
    /// KiB (the latency histogram) are 2.7 MiB; later keys share the
    /// overflow row, as in `stats`.
    pub report_rows: usize,
    /// Points of the report's time series. 240 points draw a smooth line
    /// across a page; a longer capture doubles the interval to fit (so a
    /// day is cut in 6-minute intervals), and memory stays at most
    /// `report_series_points * (report_series_keys + 1)` cells of ~450 bytes
    /// (~3.5 MiB).
    pub report_series_points: usize,
    /// Procedures (keys) with their own time series; the exchanges of later
    /// keys count in the totals only. The report draws the busiest few; 32
    /// covers every procedure of NFSv3 with room to spare.
    pub report_series_keys: usize,
    /// Distinct clients, servers and files ranked by the report and `top`
    /// (each table). A scan of many addresses or a capture touching
    /// millions of files would otherwise grow memory without bound; past
    /// it, exchanges count in one "other" entry. The page lists the top
    /// ten; 4096 names rank them exactly unless the capture has thousands
    /// of clients or files of similar weight, at ~150 bytes an entry with
    /// the table's slack (0.6 MiB a table).
    pub report_top_entries: usize,
    /// Bytes the names of one such table hold on the heap (the files'
    /// paths, each at most [`MAX_PATH_BYTES`]): 512 KiB is 4096 paths of
    /// ~100 bytes; without it, 4096 paths of 4 KiB would hold 16 MiB.
    /// Past it, as past `report_top_entries`, new names count in "other".
    pub report_top_name_bytes: usize,
    /// Slowest exchanges the report lists (a page, not a dump: the JSON
    /// Lines output has them all).
    pub report_slowest: usize,
    /// Failed exchanges the report lists by frame number; past it they are
    /// counted ("N more"). 2000 rows keep the page under ~1 MB.
    pub report_errors: usize,
    /// Seconds of history `top` keeps for its rates and percentiles (one
    /// point a second): the last minute.
    pub top_window_points: usize,
    /// Rows buffered per Parquet row group before it is written. A row
    /// group is the unit engines read in parallel and skip by statistics;
    /// 64 Ki rows of ~300 bytes (~20 MiB before compression) is within the
    /// 10-100 MB engines recommend, and bounds memory per open file.
    pub export_row_group_rows: usize,
    /// What the rows buffered for Parquet may cost in all open files
    /// together (their text, args/result JSON and paths, and [`EXPORT_VALUE_OVERHEAD`] a
    /// value) before the file holding the most writes its row group early.
    /// 6 MiB is a row group of ~2,000 rows of NFSv4 metadata with their
    /// bodies (more of leaner rows: engines read such row groups well), and
    /// keeps Parquet output within the 64 MiB of the table at the top:
    /// buffered rows cost about what is counted, and writing a row group
    /// holds one column's encoded pages more.
    pub export_row_group_bytes: usize,
    /// Rows per Parquet file before the next file is started, so files stay
    /// a size engines split well (~1M rows, a few hundred MB).
    pub export_file_rows: u64,
    /// Parquet files open at once with `--partition` (one per partition
    /// being written). Captures are mostly in time order, so one or two are
    /// busy; past the bound the least recently used file is finished and a
    /// later row of its partition starts a new file.
    pub export_open_files: usize,
    // ---- program bodies: kept arguments, paths ---------------------------------
    /// Bytes of a call's arguments kept while it waits for its reply (the
    /// reply's meaning, and the path it teaches, depend on them). NFSv3
    /// arguments are under 300 bytes; an NFSv4 COMPOUND with an OPEN and a
    /// GETATTR under 1 KiB; an rpcgen program's list of a few hundred small
    /// entries fits 8 KiB. WRITE data past this is bulk nobody decodes.
    pub body_keep: usize,
    /// Bytes of arguments kept over all pending calls: with
    /// `max_pending_calls` full of long arguments, memory would otherwise
    /// reach `max_pending_calls * body_keep` (56 MiB). 6 MiB keeps the
    /// arguments of 768 calls at the full `body_keep`, or of every pending
    /// call with real NFSv3 arguments (under 300 bytes) and its path; the
    /// public capture with the most in flight (NFSv4.1 4 KiB WRITEs, kept
    /// whole for the operations after their data) peaks at 4.3 MiB. The
    /// paths the calls act on (each at most [`MAX_PATH_BYTES`]) count here
    /// too. Past it, a new call's arguments and path are not kept (its
    /// exchange still is; counted as an anomaly).
    pub max_pending_body_bytes: usize,
    /// File handles remembered for paths. A server with more live files
    /// than this loses the paths of the least recently used (they are
    /// learned again at the next LOOKUP or READDIRPLUS of their directory).
    /// 16384 is the working set of a busy client's directory tree.
    pub max_paths: usize,
    /// Bytes the remembered handles may cost together: handles, names and
    /// [`PATH_ENTRY_OVERHEAD`] each. Real handles are 28-64 bytes and names
    /// a few dozen, ~250 bytes in all, so 16384 of them fit 4 MiB; handles
    /// of the largest size (128) with 255-byte names cost ~860 bytes, and a
    /// hostile capture of those is held to 4 MiB too (fewer handles).
    pub max_path_bytes: usize,
    /// Directory entries (name, handle) learned from one READDIRPLUS reply:
    /// a reply is bounded by the client's `maxcount` (typically 32-64 KiB,
    /// a few hundred entries); more is not a real reply.
    pub max_dir_entries: usize,
    /// Operations decoded per NFSv4 COMPOUND (and CB_COMPOUND). Servers
    /// cap compounds far lower (RFC 8881 `ca_maxoperations`; Linux nfsd
    /// and nfs-ganesha accept at most a few tens to a couple of hundred
    /// operations) and real clients send under twenty; a longer one is
    /// decoded up to this many operations and ends in a `limit` body error.
    /// Bounds the operation list kept with each pending call (4 bytes an
    /// operation, counted in `max_pending_body_bytes`) and the output.
    pub max_compound_ops: usize,
    /// Endpoints learned from portmap and rpcbind as serving RPC (GETPORT,
    /// GETADDR, DUMP, SET...), so that their traffic is read as RPC. A
    /// DUMP lists a few dozen mappings per host; 4096 covers a hundred
    /// hosts' worth (~40 bytes each: 160 KiB). Past it the least recently
    /// learned is forgotten (counted: `port_mapping_evicted`).
    pub max_learned_ports: usize,

    // ---- anomaly records -----------------------------------------------------
    /// Anomaly records (JSON `{"type":"anomaly"}`) kept per kind in a burst:
    /// enough to show where a problem starts and what it looks like; a
    /// capture full of one kind of damage would otherwise bury the exchanges.
    pub anomaly_burst: u32,
    /// Anomaly records per kind per second of capture time after the burst
    /// (the bucket refills at this rate): a long live capture keeps showing
    /// that a problem persists. What is not recorded is counted in the
    /// summary's `anomalies_suppressed`; every anomaly is counted anyway.
    pub anomaly_per_sec: u32,
    /// Anomaly records waiting to be written. The pipeline's caller drains
    /// them after every frame, so a few per frame at most; one that never
    /// drains holds at most this many (~100 bytes each: 200 KiB).
    pub max_anomaly_queue: usize,

    // ---- reference server (`rpcscope serve`) -------------------------------
    /// Largest record the server accepts on TCP, summed over its fragments.
    /// The largest call we serve is an UPLOAD of `server_max_upload` bytes
    /// plus a header (at most ~900 bytes with two 400-byte auth bodies); a
    /// mark claiming more is refused before any byte of it is buffered, and
    /// the connection is closed.
    pub server_max_record: u32,
    /// Record fragments per record. Real clients send one (libtirpc splits
    /// only past its send buffer size); our own client with `--max-fragment
    /// 4096` needs 257 for a 1 MiB upload. Thousands of tiny fragments only
    /// burn CPU per byte, so 1024 refuses them.
    pub server_max_fragments: u32,
    /// TCP connections served at once, one thread each. 256 threads of 2 MiB
    /// virtual stack are cheap; a connection flood past this is accepted and
    /// closed at once, so it never starves the connections already served.
    pub server_max_connections: usize,
    /// When the connection table is full, a new connection takes the place
    /// of one idle (or in the middle of one record) for at least this long
    /// (see `server::admission`): idle and slowloris clients then cannot
    /// lock others out until their timeouts. A real client's record arrives
    /// within milliseconds, and a second of silence is cheap to lose (it
    /// reconnects).
    pub server_evict_after_ms: u64,
    /// A TCP connection with no record in progress is closed after this long
    /// without a byte from the client. Linux's rpcbind and knfsd close idle
    /// connections after about 6 minutes; a test server needs less.
    pub server_idle_timeout_ms: u64,
    /// Once the first byte of a record has arrived, the whole record must
    /// arrive within this deadline, or the connection is closed (slowloris
    /// defence: a trickling client cannot hold a connection slot forever).
    /// A 1 MiB upload in 30 s still allows a peer as slow as 35 KiB/s.
    pub server_record_deadline_ms: u64,
    /// Longest SLEEP the test program accepts (larger is GARBAGE_ARGS): long
    /// enough for latency experiments, short enough that a caller cannot
    /// park server threads for long.
    pub server_max_sleep_ms: u32,
    /// Largest ECHO argument: the reply must fit one UDP datagram (65507
    /// bytes of payload over IPv4) with its RPC header.
    pub server_max_echo: u32,
    /// Largest UPLOAD argument. 1 MiB is the classic NFS maximum transfer
    /// size and is big enough to need many fragments with a small
    /// `--max-fragment`, while bounding what one call can make us buffer.
    pub server_max_upload: u32,
    /// Entries in the test program's key-value store. PUT on a full store
    /// answers "full"; the store never evicts silently.
    pub server_store_entries: usize,
    /// Longest store key (`string key<64>`).
    pub server_store_key: u32,
    /// Largest store value (`opaque value<1024>`). With the entry cap the
    /// store holds at most ~280 KiB.
    pub server_store_value: u32,
    /// Registrations the portmapper keeps. A DUMP reply lists them all and
    /// must fit one UDP datagram: 256 rpcbind entries of ~80 bytes is 20 KiB.
    pub server_max_registrations: usize,
    /// Longest netid, universal address or owner string in rpcbind calls.
    /// The longest real ones (`tcp6`, an IPv6 uaddr of ~53 characters, a
    /// user name) are far shorter; 255 matches `MAXNETNAMELEN`.
    pub server_max_rpcb_string: u32,
    /// Threads receiving and answering UDP datagrams per socket. A SLEEP call
    /// holds its thread for the sleep, so this many sleeps run at once.
    pub server_udp_workers: usize,
    /// UDP datagrams handled per second from one non-loopback source
    /// address (`serve --udp-rate`; 0 turns the limit off). UDP sources can
    /// be spoofed, so this bounds what the server reflects towards any one
    /// victim: at most this many replies a second, each (unless
    /// `--allow-remote-udp`) no larger than the call that asked for it. A
    /// real remote client makes a few portmapper calls a second (`rpcinfo`,
    /// `mount`); 100 leaves room for a busy one. Loopback callers are not
    /// limited: they cannot be spoofed from outside the host, and local load
    /// generation (`rpcscope call --udp`) runs at tens of thousands a second.
    pub server_udp_rate_per_source: u32,
    /// Datagrams one source may send at once above that rate (the bucket
    /// size): a client that starts with a burst of lookups (`rpcinfo -p`
    /// then a ping of every version) is not cut off.
    pub server_udp_burst_per_source: u32,
    /// Sources the UDP rate limiter tracks at once (one 8-byte deadline
    /// each, ~100 KiB in all). Beyond it, sources whose allowance has fully
    /// refilled are forgotten; when none has, new sources share a single
    /// overflow allowance, so a flood from many spoofed addresses is limited
    /// as one source rather than growing the table.
    pub server_udp_rate_sources: usize,
    /// `rpcscope call --concurrency` at most: one thread and one socket per
    /// concurrent caller; 1024 stays under the default open-file limit.
    pub client_max_concurrency: usize,

    // ---- program bodies ----------------------------------------------------
    /// Nesting depth of one body walk (structs, unions, arrays, lists). The
    /// deepest real bodies, NFSv4 COMPOUNDs, nest about 8 levels (args ->
    /// op array -> op union -> op args -> fattr4 -> bitmap); 64 leaves room
    /// for users' programs while bounding the walker's stack (a frame is a
    /// few words) and the JSON nesting.
    pub body_max_depth: u32,
    /// Events per body walk, counting array elements and skipped events.
    /// A 64 KiB kept body at its densest (a list of one-int elements: four
    /// events per 8 bytes) makes ~32 Ki events, and a 1 MiB READDIRPLUS
    /// reply kept whole ~200 Ki; 256 Ki admits those and bounds a hostile
    /// body (arrays of empty elements cost events but no bytes) to a few
    /// milliseconds of work and a bounded output.
    pub body_max_nodes: u32,
    /// Opaque data longer than this is shown as `{"len": N}` in body JSON
    /// (bulk READ/WRITE data, not useful as hex). 256 keeps every file
    /// handle (NFSv4: 128 bytes), verifier and cookie inline.
    pub body_opaque_inline: usize,
    /// Bytes of a string shown in body JSON before it is cut with a marker.
    /// A file name is at most 255 bytes (NAME_MAX), so names are never cut;
    /// 1 KiB shows every real path and symlink target but bounds the output
    /// of a hostile multi-megabyte string.
    pub body_string_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame: 1024 * 1024,
            max_ip_datagram: 65535,
            max_ip_reassemblies: 32,
            max_ip_fragments: 128,
            ip_reassembly_timeout_ns: 30 * NS_PER_SEC,
            max_tcp_streams: 8192,
            max_tcp_ooo_bytes: 1024 * 1024,
            max_tcp_ooo_segments: 1024,
            max_tcp_ooo_total: 2 * 1024 * 1024,
            tcp_idle_timeout_ns: 600 * NS_PER_SEC,
            max_record: 16 * 1024 * 1024,
            record_keep: 64 * 1024,
            max_record_fragments: 1024,
            resync_window: 256 * 1024,
            max_stream_buffer_bytes: 6 * 1024 * 1024,
            max_auth_bytes: 400,
            max_auth_sys_gids: 16,
            max_machine_name: 255,
            max_pending_calls: 7168,
            call_timeout_ns: 120 * NS_PER_SEC,
            max_answered: 7168,
            answered_timeout_ns: 120 * NS_PER_SEC,
            max_rpc_flows: 7168,
            reorder_window_ns: 2 * NS_PER_SEC,
            max_reorder_messages: 4096,
            max_reorder_bytes: 2 * 1024 * 1024,
            max_probe_record: 1024 * 1024 + 4096,
            max_capture_interfaces: 4096,
            max_stats_rows: 256,
            max_interval_rows: 224,
            max_stats_intervals: 100_000,
            live_read_timeout_ms: 100,
            live_idle_sleep_us: 2000,
            live_queue_batches: 32,
            live_batch_frames: 4096,
            live_batch_bytes: 1024 * 1024,
            live_batch_age_ms: 50,
            live_counts_ms: 1000,
            max_write_backlog_bytes: 4 * 1024 * 1024,
            max_write_backlog_frames: 16384,
            max_write_flows: 65536,
            report_series_points: 240,
            report_series_keys: 32,
            report_rows: 128,
            report_top_entries: 4096,
            report_top_name_bytes: 512 * 1024,
            report_slowest: 50,
            report_errors: 2000,
            top_window_points: 60,
            export_row_group_rows: 65536,
            export_row_group_bytes: 6 * 1024 * 1024,
            export_file_rows: 1 << 20,
            export_open_files: 8,
            body_keep: 8192,
            max_pending_body_bytes: 6 * 1024 * 1024,
            max_paths: 16384,
            max_path_bytes: 4 * 1024 * 1024,
            max_dir_entries: 4096,
            max_compound_ops: 256,
            max_learned_ports: 4096,
            anomaly_burst: 100,
            anomaly_per_sec: 10,
            max_anomaly_queue: 2048,
            server_max_record: 1024 * 1024 + 4096,
            server_max_fragments: 1024,
            server_max_connections: 256,
            server_evict_after_ms: 1000,
            server_idle_timeout_ms: 120_000,
            server_record_deadline_ms: 30_000,
            server_max_sleep_ms: 10_000,
            server_max_echo: 32 * 1024,
            server_max_upload: 1024 * 1024,
            server_store_entries: 256,
            server_store_key: 64,
            server_store_value: 1024,
            server_max_registrations: 256,
            server_max_rpcb_string: 255,
            server_udp_workers: 16,
            server_udp_rate_per_source: 100,
            server_udp_burst_per_source: 200,
            server_udp_rate_sources: 4096,
            client_max_concurrency: 1024,
            body_max_depth: 64,
            body_max_nodes: 256 * 1024,
            body_opaque_inline: 256,
            body_string_max: 1024,
        }
    }
}

/// Nanoseconds in one second.
pub const NS_PER_SEC: u64 = 1_000_000_000;

/// The smallest `live --snaplen` that keeps an RPC call's program, version
/// and procedure over the usual path: Ethernet (14) + IPv4 (20) + TCP with
/// timestamps (32) + record mark (4) + XID, message type, RPC version,
/// program, version, procedure (24) = 94, rounded up to tcpdump's old
/// default of 96 (the cut captures of tests/formats.rs). Below it `live`
/// warns; it still captures (a smaller snaplen may be a deliberate choice).
pub const MIN_RPC_SNAPLEN: u32 = 96;

// ---- fixed-size bounds (compile time) ----------------------------------
// These size inline arrays, so they are constants rather than `Limits`
// fields; they live here so every bound can be reviewed in one place.

/// Deliveries remembered per TCP direction to map a record's end back to the
/// frame that completed it. A record confirmed late (the resync waits for the
/// next record mark) is normally confirmed within a few segments; 8 covers
/// that (the public corpus needs no more), at 24 bytes each per direction.
/// A forgotten delivery maps to the oldest remembered one: a later frame,
/// never an earlier.
pub const FRAME_RING: usize = 8;

/// Machine name bytes of an AUTH_SYS credential kept for output. Host names
/// are rarely longer; a longer one is cut (RFC 5531 allows 255).
pub const AUTH_MACHINE_INLINE: usize = 64;

/// AUTH_SYS gids kept for output: RFC 5531 allows 16 (longer lists, as some
/// servers accept, are counted but not kept).
pub const AUTH_GIDS_INLINE: usize = 16;

/// RPCSEC_GSS context handle bytes kept for output: enough to tell contexts
/// apart (Linux uses 8-16 byte handles).
pub const AUTH_HANDLE_INLINE: usize = 32;

/// Retransmission frames kept per call: a hard-mounted client retransmits a
/// handful of times; the count is kept beyond this.
pub const MAX_RETRANSMIT_FRAMES: usize = 8;

/// VLAN tags looked through before a frame is called malformed: QinQ is 2;
/// 4 leaves room for odd provider stacks while bounding work on crafted
/// frames.
pub const MAX_VLAN_TAGS: usize = 4;

/// Spare IP reassembly buffers kept for reuse (each up to
/// `max_ip_datagram` bytes, so at most 0.25 MiB idle): enough for the
/// datagrams a busy NFS-over-UDP client has in flight, without allocating
/// per fragmented datagram.
pub const IP_FRAG_POOL: usize = 4;

/// Delivered TCP chunks fingerprinted per direction (24 bytes each), so a
/// retransmission that carries other bytes than the copy already delivered
/// is reported (`inconsistent_retransmission`). Retransmissions re-send the
/// oldest unacknowledged segments, which are the last delivered ones when a
/// reply or an ACK was lost; 4 covers that at 96 bytes per direction.
pub const TCP_RECENT_CHUNKS: usize = 4;

/// Spare out-of-order TCP buffers kept for reuse, shared by all directions.
pub const TCP_OOO_POOL: usize = 2;

/// Largest spare out-of-order buffer kept; bigger ones are freed, so the
/// pool holds at most `TCP_OOO_POOL` x 256 KiB = 0.5 MiB idle.
pub const TCP_OOO_POOL_BUF_MAX: usize = 256 * 1024;

/// Bytes of frames `read -` parses ahead of the decoder on its standard
/// input thread: a hundred packets or more, so the pipe is drained while the
/// decoder works, and memory stays bounded when it is slower than the pipe.
pub const STDIN_AHEAD_BYTES: usize = 2 * 1024 * 1024;

/// What a row value buffered for Parquet costs besides its text, in
/// bytes, counted against `Limits::export_row_group_bytes`: a text value is
/// its own allocation (16 bytes of malloc header) behind a `ByteArray` (32
/// bytes), and every value has a definition level (2); measured, the
/// buffered rows of meta.pcap took ~2.5 times their text.
pub const EXPORT_VALUE_OVERHEAD: usize = 48;

/// Largest file handle remembered for paths: NFSv4's `NFS4_FHSIZE` is 128
/// bytes (NFSv3 64, NFSv2 32); longer ones are not real handles.
pub const MAX_FH_BYTES: usize = 128;

/// Longest file name remembered for paths: `NAME_MAX` on Linux and most
/// servers is 255 bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// Attribute numbers of an attribute bag (NFSv4 `fattr4`) that are
/// decoded: NFSv4.2 with RFC 8275/8276 defines 83 (three bitmap words),
/// so 256 (eight words) leaves room for later ones. A bit past it ends the
/// decoding of its bag (the rest is shown as bytes); bounds the table a
/// user's `.x` file can make (`const FATTR4_X = 1000000;`).
pub const MAX_BAG_BITS: usize = 256;

/// Callback program numbers learned from NFSv4 clients (SETCLIENTID
/// `cb_program`, CREATE_SESSION `csa_cb_program`, BACKCHANNEL_CTL
/// `bca_cb_program`), so that callbacks on a number other than the usual
/// 0x40000000 decode. Linux and FreeBSD clients use one number; Solaris one
/// per mount. 64 numbers cover many clients; past it the oldest learned is
/// forgotten.
pub const MAX_CB_PROGRAMS: usize = 64;

/// Bytes a remembered file handle costs besides its handles and name (see
/// `track::paths`): four allocations' headers (the handle, its parent's
/// handle, its name, the handle's copy in the rename table; 16 bytes each
/// with glibc) and the buckets of the two hash tables (~56 and ~24 bytes,
/// doubled: a table churning at its cap settles at twice its buckets).
/// Counted against `Limits::max_path_bytes`.
pub const PATH_ENTRY_OVERHEAD: usize = 224;

/// Longest path shown (the JSON `path`, the report's files): `PATH_MAX`
/// on Linux, the longest a client can pass to a system call. A deeper
/// path (a server's tree may go on past it, or a hostile capture chains 256
/// directories of 255-byte names: 64 KiB) is shown by its last components
/// behind `…/`. Bounds what every call waiting for its reply, every output
/// line and every entry of the report's table of files holds for its path.
pub const MAX_PATH_BYTES: usize = 4096;

/// Path components followed up to a root: `PATH_MAX` (4096) allows at most
/// 2048 one-character components; real trees are far shallower, and the
/// bound is what ends a parent cycle.
pub const MAX_PATH_DEPTH: usize = 256;

// ---- program bodies: the .x parser --------------------------------------
// `programs::idl` reads `.x` text (built-in descriptions and user `--idl`
// files) into a checked `Schema`. A user file is untrusted input: these
// bound the parser's memory, stack and time on any text.

/// Bytes of `.x` text read for one schema: the file and all its includes
/// together (so includes of includes cannot multiply a small text without
/// bound). The largest real descriptions (NFSv4.2, RFC 7863, ~300 KiB with
/// comments) fit many times over.
pub const IDL_MAX_INPUT: usize = 4 * 1024 * 1024;

/// Depth of nested `#include`s. rpcsvc's deepest is 1 (`nis.x` includes
/// `nis_object.x`); GCC's cpp stops at 200. 16 is ample and bounds the
/// include stack.
pub const IDL_MAX_INCLUDE_DEPTH: usize = 16;

/// Nesting depth of `#if`/`#ifdef` blocks in one file. Real files nest two
/// or three; 64 bounds the condition stack.
pub const IDL_MAX_IF_DEPTH: usize = 64;

/// Nesting depth of inline type definitions (`struct { union switch (...)
/// { case 1: struct { ... } x; } u; } *next`) and of parentheses and unary
/// operators in `#if`/`#define` expressions. The parser recurses once per
/// level, so this bounds its stack; real files nest two or three levels.
pub const IDL_MAX_NESTING: usize = 64;

/// Types in one schema, named and inline. NFSv4.2 defines about 700;
/// each costs a small `TypeDef`, so 65536 keeps a hostile file's schema
/// far below the memory its input bound would otherwise allow.
pub const IDL_MAX_TYPES: usize = 65536;

/// Constants defined through other constants (`const B = A;`, `#define C
/// (B + 1)`), one step per name: bounds the evaluator's recursion. Real
/// files use one or two steps.
pub const IDL_MAX_CONST_DEPTH: usize = 64;
/// Nesting of an owned body value that the encoder, the JSON reader and the
/// generator recurse through (recursive lists are loops and do not count).
/// Values built by a walk are at most `body_max_depth` (64) deep plus chains
/// of optional data; serde_json refuses JSON nested deeper than 128. 256
/// accepts both while bounding the recursion's stack to well under 1 MiB.
pub const VALUE_MAX_DEPTH: usize = 256;

/// Shortest time between two sweeps of the UDP rate limiter's table for
/// sources it may forget (see `server::ratelimit`). A sweep visits every
/// tracked source (`server_udp_rate_sources`); doing it at most ten times a
/// second keeps a flood from many new addresses at constant work per
/// datagram, and a forgotten source is only ever one whose allowance had
/// refilled anyway.
pub const RATE_SWEEP_INTERVAL_NS: u64 = 100_000_000;

/// Default size of the kernel capture buffer (the packet ring) of `live`,
/// `--buffer-size`: 64 MiB. libpcap's own default is 2 MiB; the ring is
/// what absorbs a burst while the capture thread is not scheduled (the
/// machine busy, the decoder behind and the batch queue full). At the
/// ~1 Gbit/s a loopback NFS bulk copy reaches, 64 MiB is half a second of
/// traffic; with small RPC packets it is hundreds of thousands of packets
/// (TPACKET_V3 packs them). It is kernel memory mapped into the process,
/// and counts in its resident size once the ring has wrapped once: `live`
/// may thus use this much on top of the decoder's bounds above (a smaller
/// `--buffer-size` trades it for drops under bursts).
pub const LIVE_BUFFER_BYTES: u32 = 64 * 1024 * 1024;
/// The nice value of `live`'s threads (capture, decoding, JSON rendering)
/// by default (`--nice`), where the process may raise it (root,
/// `CAP_SYS_NICE`). A busy machine that does not run them in time makes
/// the kernel drop packets: the capture thread must copy frames out of the
/// ring within the ~50 ms it holds at 1.3 GB/s, and the decoder must keep
/// the queue behind it from filling. Measured (docs/performance.md): a 4.3
/// GB NFS copy beside two CPU-bound processes dropped 4.7% with the capture
/// thread at nice 0; 4 clients x 50,000 NULL calls at full speed dropped
/// 9-17% with only the capture thread raised and 0 with every thread
/// raised (the clients then ran 10-20% slower: the price of seeing every
/// packet). -10 puts live ahead of ordinary work without starving the
/// system.
pub const LIVE_NICE: i32 = -10;

/// The network layer ahead (`read`, `stats` with `-j 2` or more on one
/// file: `app::net_ahead`): its events are handed over in batches that
/// close at this many bytes of payload copies (64 KiB: ~200 metadata
/// frames, so the hand-over, a channel send, is a small share of decoding
/// them)...
pub const NET_AHEAD_BATCH_BYTES: usize = 64 * 1024;
/// ... or at this many items (a frame's begin and end, each event: ~100
/// bytes each) ...
pub const NET_AHEAD_BATCH_ITEMS: usize = 1024;
/// ... and at most this many batches wait for the decoder. Worst case: the
/// waiting batches, the one being filled and the one being decoded, each
/// up to 64 KiB + one event's bytes (a frame's payload, at most
/// `max_frame`) + 1024 items: 4 x ~0.7 MiB = 2.7 MiB, within every
/// command's total at the top but `read -j N` with the JSON render pool,
/// which leaves the second core to the pool and does not use it.
pub const NET_AHEAD_QUEUE: usize = 2;

/// JSON render pool (`-j N`, [`crate::output::render_pool`]): a chunk of
/// exchanges handed to a rendering thread closes at this many events. Big
/// enough that the hand-over (a channel send, a wake-up) is a small share of
/// rendering 128 objects (~1 us each); small enough that output is not held
/// back long.
pub const RENDER_CHUNK_EVENTS: usize = 128;
/// ... or at this many bytes of program bodies copied into it (a chunk of
/// READ replies carries their data): 128 KiB, a few hundred metadata
/// bodies, so chunks of metadata close at their 128 events anyway.
pub const RENDER_CHUNK_BYTES: usize = 128 * 1024;
/// An exchange whose bodies hold more than this (16 KiB) is rendered on the
/// decoding thread instead of being copied for the pool: its bulk data (a
/// READ reply, a WRITE call) is skipped by the renderer, so copying it would
/// cost more than rendering it (on a capture of 1 MiB READs and WRITEs,
/// copying them made `-j 2` slower than `-j 1`; docs/performance.md).
pub const RENDER_COPY_MAX_BYTES: usize = 16 * 1024;
/// Chunks in flight (sent, or rendered and waiting for an earlier one) at
/// most: 2 per rendering thread, capped at 4. Worst case: 4 x (144 KiB of
/// bodies, the last exchange included, + their rendering, under 4x the
/// body bytes with `--data hex`, plus 128 x ~2 KiB of headers) = ~4 MiB,
/// within the worst case at the top (the statistics rows it leaves room
/// for are not used by `read`). The
/// cap also means at most 4 rendering threads are kept busy: past that, the
/// decoding thread is the bottleneck anyway (docs/performance.md).
pub const RENDER_MAX_CHUNKS: usize = 4;
/// Written chunks kept to be filled again (their item list, body arena and
/// output buffer), so that detaching and rendering exchanges allocates
/// nothing: 2, since one chunk comes back for each one sent...
pub const RENDER_SPARE_CHUNKS: usize = 2;
/// ... and only a chunk whose arena and output buffer stayed within 1 MiB
/// each (a chunk closes at 128 KiB of bodies; 128 exchanges of NFSv4
/// metadata render to 0.2-0.7 MiB; `--data hex` or large directory
/// listings can grow one past that once, and it is then freed rather than
/// kept). With the chunk being collected, the pool holds at most
/// 4 + 1 + 2 chunks: ~7.7 MiB worst case.
pub const RENDER_SPARE_MAX_BYTES: usize = 1024 * 1024;

/// Default snapshot length of `live`, `--snaplen`: 262144 bytes, libpcap's
/// MAXIMUM_SNAPLEN and tcpdump's default. RPC bodies are decoded from the
/// captured bytes, so truncating frames loses them: a loopback interface
/// has a 64 KiB MTU and segmentation offload hands the capture super-frames
/// of up to 64 KiB (more with BIG TCP), which must be kept whole for an NFS
/// READ/WRITE to be followed. With TPACKET_V3 (see `capture::live`) a
/// large snapshot length costs nothing per small packet.
pub const LIVE_SNAPLEN: u32 = 262_144;

/// How often, at most, `live` repeats on stderr that the kernel dropped
/// packets, in seconds, while drops keep growing (the first drop is told at
/// once).
pub const LIVE_DROP_WARN_SECS: u64 = 5;
