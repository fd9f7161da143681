//! The floor for reading a capture: libpcap's own read loop
//! (`pcap_next_ex` through the `pcap` crate), touching each frame once and
//! nothing more. `benches/compare.sh` times it next to rpcscope and tshark.
//!
//! ```text
//! cargo run --release --example pcap_read_loop -- FILE.pcap
//! ```

#[cfg(feature = "live")]
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: pcap_read_loop FILE.pcap");
        std::process::exit(2);
    };
    let mut cap = match pcap::Capture::from_file(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pcap_read_loop: {path}: {e}");
            std::process::exit(1);
        }
    };
    let (mut frames, mut bytes, mut sum) = (0u64, 0u64, 0u64);
    loop {
        match cap.next_packet() {
            Ok(p) => {
                frames += 1;
                bytes += p.data.len() as u64;
                sum = sum.wrapping_add(u64::from(p.data.last().copied().unwrap_or(0)));
            }
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => {
                eprintln!("pcap_read_loop: {path}: frame {}: {e}", frames + 1);
                std::process::exit(1);
            }
        }
    }
    println!("{frames} frames, {bytes} bytes (checksum {sum})");
}

#[cfg(not(feature = "live"))]
fn main() {
    eprintln!("pcap_read_loop needs the `live` feature (libpcap)");
    std::process::exit(2);
}
