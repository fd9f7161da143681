//! A capture file mapped into memory: the only `unsafe` code of the library.
//!
//! Reading a file through `read()` copies every byte twice (kernel to the
//! input buffer, buffer to the frame buffer); a mapping lets the format
//! readers hand out frames that borrow the page cache directly.
//!
//! Contract: [`Mapped::open`] maps only a regular, non-empty file, read-only
//! and shared, at its size when opened. Pages already read are released
//! from the process ([`Mapped::release_before`]) so the resident size does
//! not grow with the file (they stay in the page cache).
//!
//! # Why the `unsafe` is sound here, and what it does not cover
//!
//! `memmap2::Mmap::map` is `unsafe` because the mapped bytes can change
//! under the program if another process writes the file, and reading past
//! the end of a file that another process *truncates* raises SIGBUS. The
//! first cannot break memory safety here: the bytes are only ever read as
//! `u8`s by parsers that accept any value (a capture file is untrusted input
//! anyway), never reinterpreted as typed data and never assumed stable
//! between two reads. The second is the one risk left: a capture file cut
//! shorter by another process while rpcscope reads it kills rpcscope with
//! SIGBUS (ripgrep accepts the same trade-off). A file that grows while read
//! (a capture being written) is safe: only the size at open is mapped.
//!
//! `madvise(MADV_DONTNEED)` on a read-only shared file mapping drops our
//! page table entries only; a later access faults the same file bytes back
//! in, so no slice handed out can change or dangle.

use std::fs::File;
use std::io;

/// A read-only shared mapping of a whole file.
#[derive(Debug)]
pub(crate) struct Mapped {
    map: memmap2::Mmap,
    /// Bytes before this offset were released already.
    released: usize,
    /// Page tables are filled up to this offset ([`Mapped::release_before`]).
    populated: usize,
}

/// Granularity of [`Mapped::release_before`]: 1 MiB, so the call (one
/// system call) is rare (~500 for 500 MB) and the resident size of the
/// mapping stays under 2 MiB plus the kernel's read-ahead window (2 MiB
/// steps held ~3 MiB more at the peak: docs/performance.md).
const RELEASE_STEP: usize = 1024 * 1024;

impl Mapped {
    /// Maps `file` if it is a regular file with at least one byte;
    /// `Ok(None)` otherwise (a pipe, a device, an empty file: stream it).
    pub fn open(file: &File) -> io::Result<Option<Mapped>> {
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 || usize::try_from(meta.len()).is_err() {
            return Ok(None);
        }
        // SAFETY: see the module docs: the bytes are read as untrusted
        // `u8`s only; a file truncated by another process while mapped
        // raises SIGBUS, the documented limit of this reader.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().map(file)? };
        // Read-ahead for a front-to-back scan; a hint, its failure harmless.
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(Some(Mapped {
            map,
            released: 0,
            populated: 0,
        }))
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The bytes before `offset` will not be read again: drop them from the
    /// process's resident set (in steps of [`RELEASE_STEP`]). The next steps
    /// are mapped ahead in one call (`MADV_POPULATE_READ`, Linux 5.14+; a
    /// hint, ignored where unsupported) instead of a page fault for every
    /// 16 pages read.
    pub fn release_before(&mut self, offset: usize) {
        let ahead = (offset / RELEASE_STEP * RELEASE_STEP + 2 * RELEASE_STEP).min(self.map.len());
        if ahead > self.populated {
            let from = self.populated.max(offset / RELEASE_STEP * RELEASE_STEP);
            let _ = self
                .map
                .advise_range(memmap2::Advice::PopulateRead, from, ahead - from);
            self.populated = ahead;
        }
        let end = offset.min(self.map.len()) / RELEASE_STEP * RELEASE_STEP;
        if end <= self.released {
            return;
        }
        // SAFETY: MADV_DONTNEED on a read-only, shared, file-backed mapping
        // discards page table entries only; the next access reads the same
        // file bytes again (module docs), so no live slice is affected.
        #[allow(unsafe_code)]
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.released,
                end - self.released,
            )
        };
        self.released = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_is_mapped_whole_and_released_pages_read_back_the_same() {
        let dir = std::env::temp_dir().join(format!("rpcscope-mapped-{}", std::process::id()));
        let mut data = Vec::new();
        for i in 0..(RELEASE_STEP * 2 + 123) {
            data.push((i % 251) as u8);
        }
        std::fs::write(&dir, &data).unwrap();
        let f = File::open(&dir).unwrap();
        let mut m = Mapped::open(&f).unwrap().expect("a regular file maps");
        assert_eq!(m.bytes().len(), data.len());
        assert_eq!(m.bytes()[RELEASE_STEP + 5], data[RELEASE_STEP + 5]);
        m.release_before(RELEASE_STEP * 2 + 7);
        assert_eq!(m.released, RELEASE_STEP * 2);
        // Released pages fault back in with the same bytes.
        assert_eq!(m.bytes(), &data[..]);
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn empty_files_and_pipes_are_not_mapped() {
        let p = std::env::temp_dir().join(format!("rpcscope-mapped-e-{}", std::process::id()));
        std::fs::File::create(&p).unwrap().flush().unwrap();
        assert!(Mapped::open(&File::open(&p).unwrap()).unwrap().is_none());
        std::fs::remove_file(&p).unwrap();
        // /dev/null is a character device, not a regular file.
        let null = File::open("/dev/null").unwrap();
        assert!(Mapped::open(&null).unwrap().is_none());
    }
}
