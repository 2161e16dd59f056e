//! No input makes a parser allocate more than a fixed multiple of its file's size, or run
//! without bound. Each hostile file below gets a clear error naming it; a counting allocator
//! measures the peak bytes held while it is parsed.

mod common;

use brainbench::io::{archive, label_mapping, mat, npy};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests share the counters: one measurement at a time.
static MEASURING: Mutex<()> = Mutex::new(());

/// Runs `f` and returns its result with the peak number of bytes allocated during it (above
/// what was held before).
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _guard = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// The bound every parser must keep: 8 x the file plus 16 MiB of fixed overhead.
fn bound(file_len: usize) -> usize {
    8 * file_len + (16 << 20)
}

fn assert_bounded_error<T: std::fmt::Debug, E: std::fmt::Display>(
    what: &str,
    file_len: usize,
    run: impl FnOnce() -> Result<T, E>,
    needle: &str,
) {
    let (result, peak) = peak_during(run);
    let err = result.expect_err(what).to_string();
    assert!(err.contains(needle), "{what}: {err}");
    assert!(
        peak <= bound(file_len),
        "{what}: {peak} bytes allocated for a {file_len}-byte file"
    );
}

fn npy_header(descr: &str, shape: &str) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

#[test]
fn an_npy_header_claiming_terabytes_is_refused_without_allocating_them() {
    let mut bytes = npy_header("<f4", "(1099511627776, 1024)");
    bytes.extend_from_slice(&[0u8; 64]);
    let len = bytes.len();
    assert_bounded_error(
        "npy claiming 4 PiB",
        len,
        || npy::from_bytes::<f32>(&bytes, Path::new("huge.npy")),
        "huge.npy",
    );
    // A shape whose element count overflows usize.
    let mut bytes = npy_header("<f4", "(18446744073709551615, 18446744073709551615)");
    bytes.extend_from_slice(&[0u8; 8]);
    let len = bytes.len();
    assert_bounded_error(
        "npy shape overflowing usize",
        len,
        || npy::from_bytes::<f32>(&bytes, Path::new("overflow.npy")),
        "overflow.npy",
    );
}

/// A MATLAB v5 file: the 128-byte header, then one miMATRIX element whose array claims
/// `dims` and holds (almost) no data.
fn mat_v5_claiming(dims: [i32; 2]) -> Vec<u8> {
    let mut out = vec![b' '; 116];
    out[..10].copy_from_slice(b"MATLAB 5.0");
    out.extend_from_slice(&[0u8; 8]); // subsystem offset
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    let mut body = Vec::new();
    // array flags: miUINT32, 8 bytes, class mxDOUBLE (6)
    body.extend_from_slice(&6u32.to_le_bytes());
    body.extend_from_slice(&8u32.to_le_bytes());
    body.extend_from_slice(&6u32.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    // dimensions: miINT32, 8 bytes
    body.extend_from_slice(&5u32.to_le_bytes());
    body.extend_from_slice(&8u32.to_le_bytes());
    for d in dims {
        body.extend_from_slice(&d.to_le_bytes());
    }
    // name: miINT8 "x" (small element format)
    body.extend_from_slice(&0x0001_0001u32.to_le_bytes());
    body.extend_from_slice(b"x\0\0\0");
    // real part: miDOUBLE claiming 2^31 - 8 bytes, holding 8
    body.extend_from_slice(&9u32.to_le_bytes());
    body.extend_from_slice(&(i32::MAX as u32 - 7).to_le_bytes());
    body.extend_from_slice(&1.0f64.to_le_bytes());
    out.extend_from_slice(&14u32.to_le_bytes()); // miMATRIX
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[test]
fn a_mat_file_claiming_2_to_the_40_elements_is_refused() {
    let bytes = mat_v5_claiming([1 << 20, 1 << 20]);
    let len = bytes.len();
    assert_bounded_error(
        "mat v5 claiming 2^40 doubles",
        len,
        || mat::from_bytes(&bytes, Path::new("huge.mat")),
        "huge.mat",
    );
}

#[test]
fn a_zip_with_100000_entries_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.zip");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..100_000 {
            zip.start_file(format!("f{i}"), opts).unwrap();
        }
        zip.finish().unwrap();
    }
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    assert_bounded_error(
        "zip with 100,000 entries",
        len,
        || archive::read_archive(&path, &archive::ArchiveLimits::default()),
        "more than the limit",
    );
}

#[test]
fn a_zip_member_nested_deeply_is_refused_or_kept_inside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.zip");
    let deep = "a/".repeat(5000) + "x.npy";
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        zip.start_file(deep.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.finish().unwrap();
    }
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    let (result, peak) =
        peak_during(|| archive::read_archive(&path, &archive::ArchiveLimits::default()));
    assert!(peak <= bound(len), "{peak} bytes for a {len}-byte zip");
    // Either refused, or read as one member whose name stays relative (it is then an unexpected
    // file for validation, which names it).
    if let Ok(members) = result {
        assert!(members
            .iter()
            .all(|m| !m.name.starts_with('/') && !m.name.contains("..")));
    }
}

#[test]
fn a_pickle_nested_100000_deep_is_a_clear_error_not_a_stack_overflow() {
    let depth = 100_000;
    let mut pickle = vec![0x80, 0x02];
    pickle.extend(std::iter::repeat_n(b']', depth)); // EMPTY_LIST
    pickle.extend(std::iter::repeat_n(b'a', depth - 1)); // APPEND: nests each in the one below
    pickle.push(b'.');
    let mut bytes = npy_header("|O", "()");
    bytes.extend_from_slice(&pickle);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping_deep.npy");
    std::fs::write(&path, &bytes).unwrap();
    let len = bytes.len();
    // Run on a thread with the default test stack: a recursive parse or drop would overflow it.
    let handle = std::thread::spawn(move || {
        assert_bounded_error(
            "pickle nested 100,000 deep",
            len,
            || label_mapping::read_label_mapping(&path),
            "mapping_deep.npy",
        );
    });
    handle.join().expect("no stack overflow or panic");
}

#[test]
fn hdf5_files_with_a_cyclic_or_very_deep_group_graph_are_read_or_refused_in_bounds() {
    let test = "hdf5_files_with_a_cyclic_or_very_deep_group_graph_are_read_or_refused_in_bounds";
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = common::run_peer(
        test,
        "hostile_hdf5.py",
        &serde_json::json!({ "dir": dir.path() }),
    ) else {
        return;
    };
    for name in ["cyclic", "deep"] {
        let path = std::path::PathBuf::from(out[name].as_str().unwrap());
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        let (result, peak) = peak_during(|| mat::read_mat(&path));
        assert!(
            peak <= bound(len),
            "{name}: {peak} bytes for a {len}-byte file"
        );
        match result {
            // The variable the submission needs is still found, or its absence named.
            Ok(file) => {
                let err = file
                    .numeric("EVC_RDMs")
                    .map(|_| ())
                    .unwrap_err()
                    .to_string();
                assert!(err.contains("EVC_RDMs"), "{name}: {err}");
            }
            Err(e) => assert!(
                e.to_string().contains(path.to_str().unwrap()),
                "{name}: {e}"
            ),
        }
    }
}

#[test]
fn a_pickle_that_doubles_a_memoized_object_is_stopped() {
    // [] memoized as 0, then 60 times: (memo[0], memo[0]) memoized as 0: 2^60 values if copied.
    let mut pickle = vec![0x80, 0x02, b']', b'q', 0];
    for _ in 0..60 {
        pickle.extend_from_slice(&[b'h', 0, b'h', 0, 0x86, b'q', 0]);
    }
    pickle.push(b'.');
    let mut bytes = npy_header("|O", "()");
    bytes.extend_from_slice(&pickle);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping_laughs.npy");
    std::fs::write(&path, &bytes).unwrap();
    assert_bounded_error(
        "pickle doubling a memoized object",
        bytes.len(),
        || label_mapping::read_label_mapping(&path),
        "copied to and from the memo",
    );
}
