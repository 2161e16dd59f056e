//! Read-only file contents without a copy: files are memory-mapped, so hashing, validating and
//! scoring read the operating system's page cache directly instead of a private `Vec<u8>` (and a
//! second private `Vec<f32>`) per file. Peak memory stays at about the size of the inputs.

use super::{IoError, Result};
use memmap2::{Mmap, MmapOptions};
use std::path::Path;
use std::sync::Arc;

/// The bytes of a file: memory-mapped when read from disk, owned when they came from elsewhere
/// (a zip member, a test). Cheap to clone (shared), dereferences to `[u8]`.
#[derive(Clone)]
pub struct FileBytes(Arc<Storage>);

enum Storage {
    Owned(Vec<u8>),
    Mapped(Mmap),
}

impl FileBytes {
    /// Maps the file at `path` read-only, reading all of it into the page cache up front
    /// (`MAP_POPULATE`), so later passes do not fault page by page.
    ///
    /// Caveat: the mapping shows the file as it is on disk, not a snapshot. A file that another
    /// process rewrites in place while brainbench reads it can change under it (a hash and a score
    /// of different contents); one that is truncated meanwhile makes the process die with
    /// `SIGBUS`. Submissions and truth are read-only inputs that nothing rewrites during a run,
    /// so brainbench accepts that caveat for reading them at the speed of the page cache.
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| IoError::os(path, e))?;
        let len = file.metadata().map_err(|e| IoError::os(path, e))?.len();
        if len == 0 {
            // An empty mapping is an error on Linux; an empty file is simply no bytes.
            return Ok(Vec::new().into());
        }
        // SAFETY: the mapping is read-only and private to this process; the only hazard is the
        // concurrent modification documented above, which memory safety of safe Rust cannot
        // rule out for any mapped file and which brainbench's inputs are not subject to.
        let map = unsafe { MmapOptions::new().populate().map(&file) }
            .map_err(|e| IoError::os(path, e))?;
        Ok(FileBytes(Arc::new(Storage::Mapped(map))))
    }
}

impl From<Vec<u8>> for FileBytes {
    fn from(bytes: Vec<u8>) -> Self {
        FileBytes(Arc::new(Storage::Owned(bytes)))
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &*self.0 {
            Storage::Owned(v) => v.as_slice(),
            Storage::Mapped(m) => &m[..],
        }
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &*self.0 {
            Storage::Owned(_) => "owned",
            Storage::Mapped(_) => "mapped",
        };
        write!(f, "FileBytes({} bytes, {kind})", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_file_and_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("a");
        let empty = dir.path().join("b");
        std::fs::write(&full, b"abc").unwrap();
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(&*FileBytes::open(&full).unwrap(), b"abc");
        assert!(FileBytes::open(&empty).unwrap().is_empty());
        let missing = FileBytes::open(&dir.path().join("c")).unwrap_err();
        assert!(missing.to_string().contains("/c"), "{missing}");
    }
}
