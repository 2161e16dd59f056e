//! Every input the fuzzers (`fuzz/`, `scripts/fuzz.sh`, docs/fuzzing.md) found to crash, hang or
//! exhaust a parser, replayed through the same target bodies the fuzzers run, plus a test per
//! finding that its error is clear: it names the file, says what was expected and found, and
//! how to fix it (exit status 2, invalid input).
//!
//! The inputs live in `tests/fixtures/fuzz/<target>/`, one folder per fuzz target.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use std::path::{Path, PathBuf};

fn fixtures(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Every committed finding of every target still passes its target's checks.
#[test]
fn every_committed_fuzz_finding_is_handled() {
    type Target = (&'static str, fn(&[u8]));
    let targets: [Target; 9] = [
        ("npy", targets::npy),
        ("mat_v5", targets::mat),
        ("mat_v73", targets::mat),
        ("archive", targets::archive),
        ("label_mapping", targets::label_mapping),
        ("manifest", targets::manifest),
        ("score_json", targets::score_json),
        ("safetensors", targets::safetensors),
        ("pth", targets::pth),
    ];
    for (name, run) in targets {
        for file in fixtures(name) {
            let bytes = std::fs::read(&file).unwrap();
            eprintln!("replaying {}", file.display());
            run(&bytes);
        }
    }
}

fn fixture(target: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The error a user sees for a damaged `.mat` file (exit status 2).
fn mat_error(name: &str) -> String {
    let err = brainbench::io::mat::from_bytes(&fixture("mat_v5", name), Path::new(name))
        .expect_err("a damaged file is refused");
    let err = brainbench::Error::from(err);
    assert_eq!(err.exit_status(), brainbench::ExitStatus::InvalidInput);
    let text = err.to_string();
    assert!(text.contains(name), "{text}");
    text
}

/// A small data element (type and length packed in one word) at the end of a matrix claimed
/// bytes past the end: the slice panicked (index out of range).
#[test]
fn mat_v5_small_element_past_the_end_is_an_error() {
    let text = mat_error("small_element_past_the_end.mat");
    assert!(
        text.contains("declares 4 bytes but only 0 remain") && text.contains("save or download"),
        "{text}"
    );
}

/// A struct array with no fields and dimensions 2^31-1 x 2^31-1: the element vector was allocated
/// for 2^62 entries (capacity overflow panic; with fewer, a loop as long as the claim).
#[test]
fn mat_v5_struct_without_fields_claiming_2e62_elements_is_an_error() {
    let text = mat_error("struct_without_fields_2e62_elements.mat");
    assert!(
        text.contains("claims 4611686014132420609 elements of 0 fields, more than the file holds"),
        "{text}"
    );
}

/// A char array whose dimensions claim 2^63 rows and no characters: the row loop ran 2^63 times.
#[test]
fn mat_v5_char_claiming_2e63_rows_is_read_as_empty_text() {
    let name = "char_claiming_2e63_rows.mat";
    let file = brainbench::io::mat::from_bytes(&fixture("mat_v5", name), Path::new(name)).unwrap();
    assert_eq!(
        file.variables.get("s"),
        Some(&brainbench::io::mat::MatValue::Char(String::new()))
    );
}

/// A header dict with 35 unclosed `{`: npyz's header parser backtracked exponentially (the fuzzer
/// hit its 10 s timeout on this 208-byte file; 8 levels took 2 s per parse).
#[test]
fn npy_header_nesting_brackets_deeply_is_refused_at_once() {
    let name = "header_with_35_unclosed_braces.npy";
    let bytes = fixture("npy", name);
    let start = std::time::Instant::now();
    let err = brainbench::io::npy::from_bytes::<f32>(&bytes, Path::new(name)).expect_err("refused");
    let err = brainbench::Error::from(err);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(err.exit_status(), brainbench::ExitStatus::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains(name) && text.contains("nests brackets deeper than 4 levels"),
        "{text}"
    );
    let err = brainbench::io::npy::parse_info(&bytes, Path::new(name)).expect_err("refused");
    assert!(err.to_string().contains("deeper than 4"), "{err}");
}

/// The same exponential header parse reached through an ROI mapping file (`parse_info`).
#[test]
fn label_mapping_header_nesting_brackets_deeply_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping_nested.npy");
    std::fs::write(&path, fixture("label_mapping", "header_nesting.npy")).unwrap();
    let start = std::time::Instant::now();
    let err = brainbench::io::label_mapping::read_label_mapping(&path).expect_err("refused");
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    let text = err.to_string();
    assert!(
        text.contains("mapping_nested.npy") && text.contains("deeper than 4 levels"),
        "{text}"
    );
}

/// A zip member named with a leading `/`: the error (rightly refusing it) named the member as an
/// absolute path instead of the archive it is in, because `Path::join` replaced the archive path.
#[test]
fn archive_member_with_an_absolute_name_is_refused_naming_the_zip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("submission.zip");
    std::fs::write(&path, fixture("archive", "absolute_member_name.zip")).unwrap();
    let err = brainbench::io::archive::read_archive(
        &path,
        &brainbench::io::archive::ArchiveLimits::default(),
    )
    .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("submission.zip/") && text.contains("escapes the archive's folder"),
        "{text}"
    );
    assert_eq!(
        brainbench::Error::from(err).exit_status(),
        brainbench::ExitStatus::InvalidInput
    );
}

/// A mutated 14 KiB v7.3 file whose dataset header declares gigabytes: `hdf5-reader` allocated
/// and zeroed the declared size before reading (the fuzzer's 1 GiB RSS limit; past 4 GiB without).
#[test]
fn mat_v73_dataset_declaring_gigabytes_is_refused_before_allocating() {
    let name = "dataset_declaring_gigabytes.mat";
    let bytes = fixture("mat_v73", name);
    let err = brainbench::io::mat::from_bytes(&bytes, Path::new(name)).expect_err("refused");
    let err = brainbench::Error::from(err);
    assert_eq!(err.exit_status(), brainbench::ExitStatus::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains(name) && text.contains("more than the 14584-byte file can hold"),
        "{text}"
    );
}

/// A header whose shape `(10153888540610527230, 300000000000000000, 3)` overflows 64 bits:
/// npyz 0.9 multiplied the dimensions unchecked (a panic with overflow checks, a wrapped element
/// count without). The shape is now checked before npyz reads the header.
#[test]
fn npy_shape_whose_element_count_overflows_is_refused_before_npyz() {
    let name = "shape_product_overflow.npy";
    let bytes = fixture("npy", name);
    let expected = "expected a shape of at most 9223372036854775807 elements, found shape \
                    [10153888540610527230, 300000000000000000, 3], whose element count overflows";
    let err = brainbench::io::npy::from_bytes::<f32>(&bytes, Path::new(name)).expect_err("refused");
    let err = brainbench::Error::from(err);
    assert_eq!(err.exit_status(), brainbench::ExitStatus::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains(name) && text.contains(expected) && text.contains("download the file again"),
        "{text}"
    );
    let err = brainbench::io::npy::parse_info(&bytes, Path::new(name)).expect_err("refused");
    assert!(err.to_string().contains(expected), "{err}");
}

/// The error a user sees for a damaged `.pth` checkpoint (exit status 2), from the same call
/// `bench features --weights` makes.
fn pth_error(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, fixture("pth", name)).unwrap();
    let err = brainbench::models::weights::read_tensors(&path).expect_err("refused");
    let err = brainbench::Error::from(brainbench::features::FeaturesError::from(err));
    assert_eq!(err.exit_status(), brainbench::ExitStatus::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("hint: pass a .safetensors"),
        "{text}"
    );
    text
}

/// A checkpoint whose pickle makes candle-core 0.11's `rebuild_args` call `Vec::remove` out of
/// range: a panic in release builds too, which crashed `bench`. The panic is now contained.
#[test]
fn pth_pickle_panicking_candle_reader_is_a_read_error() {
    let text = pth_error("rebuild_args_remove_out_of_range.pth");
    assert!(
        text.contains("whose pickle (data.pkl) is well formed, found one that candle's pickle reader fails on (removal index"),
        "{text}"
    );
}

/// A checkpoint with a `LONG1` opcode of more than 8 bytes, which candle-core 0.11 shifts with
/// `<<`: a panic with overflow checks, a wrapped value in the release builds `bench` ships
/// (candle-core is built without overflow checks, also in `fuzz/`); either way an error.
#[test]
fn pth_long1_wider_than_8_bytes_is_a_read_error() {
    let text = pth_error("long1_shift_overflow.pth");
    assert!(text.contains("cannot read weights"), "{text}");
}

/// A MATLAB v5 variable of `depth` cells nested one in another around a 1x1 double, compressed
/// (as MATLAB saves by default) so that a small file nests deeply.
fn mat_v5_nested_cells(depth: usize) -> Vec<u8> {
    fn element(ty: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = [ty.to_le_bytes(), (payload.len() as u32).to_le_bytes()].concat();
        out.extend_from_slice(payload);
        out.resize(out.len().next_multiple_of(8), 0);
        out
    }
    let words = |w: &[u32]| w.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
    let matrix = |class: u32, name: &[u8], rest: &[u8]| {
        let mut payload = element(6, &words(&[class, 0])); // miUINT32 array flags
        payload.extend(element(5, &words(&[1, 1]))); // miINT32 dimensions
        payload.extend(element(1, name)); // miINT8 name
        payload.extend_from_slice(rest);
        element(14, &payload) // miMATRIX
    };
    let mut value = matrix(6, b"", &element(9, &1.0f64.to_le_bytes())); // a double
    for level in (0..depth).rev() {
        value = matrix(1, if level == 0 { b"c" } else { b"" }, &value); // a cell of one item
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut zlib, &value).unwrap();
    let mut file = format!("{:<116}", "MATLAB 5.0 MAT-file, nested cells").into_bytes();
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&[0x00, 0x01, b'I', b'M']);
    file.extend(element(15, &zlib.finish().unwrap())); // miCOMPRESSED
    file
}

/// Nested cells are read recursively: a 20 KiB compressed file nesting 10,000 cells overflowed
/// the stack of the test's thread (2 MiB), killing the process. Found by reading the parser; the
/// fuzzer's 64 KiB inputs could reach that depth too.
#[test]
fn mat_v5_cells_nested_10000_deep_are_refused_not_a_stack_overflow() {
    let file = brainbench::io::mat::from_bytes(&mat_v5_nested_cells(60), Path::new("deep.mat"))
        .expect("60 levels are read");
    assert!(matches!(
        file.get("c"),
        Ok(brainbench::io::mat::MatValue::Cell { .. })
    ));
    let name = "nested_cells_10000_deep.mat";
    let bytes = mat_v5_nested_cells(10_000);
    let err = brainbench::io::mat::from_bytes(&bytes, Path::new(name)).expect_err("refused");
    let err = brainbench::Error::from(err);
    assert_eq!(err.exit_status(), brainbench::ExitStatus::InvalidInput);
    let text = err.to_string();
    assert!(
        text.contains(name)
            && text.contains("nested at most 64 levels deep, found deeper nesting")
            && text.contains("save the variables again"),
        "{text}"
    );
}
