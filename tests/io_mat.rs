//! MATLAB reader on the committed fixtures made by `tests/fixtures/make_io_fixtures.py`
//! (scipy.io.savemat for v5, compressed and not; a hand-written big-endian v5 file; h5py in
//! MATLAB's v7.3 layout). Expected values follow the script: `grid(i+1, j+1, k+1) = 100i + 10j + k`.

use brainbench::io::mat::{read_mat, MatValue, MatVersion};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/io")
        .join(name)
}

fn check_grid(name: &str, version: MatVersion) {
    let m = read_mat(&fixture(name)).unwrap();
    assert_eq!(m.version, version, "{name}");
    let g = m.numeric("grid").unwrap();
    assert_eq!(g.shape(), [2, 3, 4], "{name}");
    for ((i, j, k), v) in g
        .clone()
        .into_dimensionality::<ndarray::Ix3>()
        .unwrap()
        .indexed_iter()
    {
        assert_eq!(
            *v,
            (100 * i + 10 * j + k) as f64,
            "{name} at ({i}, {j}, {k})"
        );
    }
}

#[test]
fn numeric_arrays_keep_matlab_shape_and_indexing_in_every_version() {
    check_grid("mat_v5.mat", MatVersion::V5);
    check_grid("mat_v5_compressed.mat", MatVersion::V5);
    check_grid("mat_v73.mat", MatVersion::V73);
}

#[test]
fn big_endian_v5_with_small_element_name() {
    let m = read_mat(&fixture("mat_v5_big_endian.mat")).unwrap();
    let be = m.numeric("be").unwrap();
    assert_eq!(be.shape(), [2, 3]);
    for ((i, j), v) in be
        .clone()
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .indexed_iter()
    {
        assert_eq!(*v, (10 * i + j) as f64, "be({i}, {j})");
    }
}

#[test]
fn v5_structs_cells_chars_and_integers() {
    for name in ["mat_v5.mat", "mat_v5_compressed.mat"] {
        let m = read_mat(&fixture(name)).unwrap();
        assert_eq!(
            m.numeric("u8").unwrap().iter().copied().collect::<Vec<_>>(),
            [1.0, 2.0, 255.0]
        );
        let s = m.get("s").unwrap();
        let MatValue::Numeric(a) = s.field(0, "a").unwrap() else {
            panic!("{name}: s.a")
        };
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), [1.0, 2.0]);
        assert_eq!(s.field(0, "name"), Some(&MatValue::Char("x".into())));
        let MatValue::Cell { items, .. } = m.get("c").unwrap() else {
            panic!("{name}: c")
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[1], MatValue::Char("two".into()));
        let MatValue::Struct { elements, .. } = m.get("sa").unwrap() else {
            panic!("{name}: sa")
        };
        assert_eq!(elements.len(), 3);
    }
}

#[test]
fn missing_variable_lists_the_ones_present() {
    let err = read_mat(&fixture("mat_v5.mat"))
        .unwrap()
        .numeric("EVC_RDMs")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no variable 'EVC_RDMs'") && err.contains("grid"),
        "{err}"
    );
}

#[test]
fn truncated_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["mat_v5.mat", "mat_v73.mat"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let cut = dir.path().join(name);
        std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let err = read_mat(&cut).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
    }
}
