//! `.npy` reading against files written by numpy (`tests/fixtures/make_io_fixtures.py`): both byte
//! orders, Fortran order, header versions 1-3, integer dtypes, and the dtypes that are refused.
//! Fixture values follow the script's formula: `10*i + j` at (i, j), `100*i + 10*j + k` at (i, j, k).

use brainbench::io::npy;
use ndarray::{ArrayD, Dimension};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/io")
        .join(name)
}

/// Asserts `a` has `shape` and holds the script's index formula (minus `offset`) everywhere.
fn assert_grid<T: Copy + Into<f64> + std::fmt::Debug>(a: &ArrayD<T>, shape: &[usize], offset: f64) {
    assert_eq!(a.shape(), shape);
    let weights: &[f64] = if shape.len() == 3 {
        &[100.0, 10.0, 1.0]
    } else {
        &[10.0, 1.0]
    };
    for (idx, &v) in a.indexed_iter() {
        let want: f64 = idx
            .slice()
            .iter()
            .zip(weights)
            .map(|(&i, w)| i as f64 * w)
            .sum::<f64>()
            - offset;
        assert_eq!(v.into(), want, "at {:?}", idx.slice());
    }
}

#[test]
fn big_endian_floats() {
    let a: ArrayD<f64> = npy::read(&fixture("npy_big_endian_f8.npy")).unwrap();
    assert_grid(&a, &[2, 3], 0.0);
    let b: ArrayD<f32> = npy::read(&fixture("npy_big_endian_f4.npy")).unwrap();
    assert_grid(&b, &[2, 3], 0.0);
    assert!(npy::read_info(&fixture("npy_big_endian_f8.npy"))
        .unwrap()
        .descr
        .contains(">f8"));
}

#[test]
fn fortran_order_is_returned_in_c_indexing() {
    let info = npy::read_info(&fixture("npy_fortran_f4.npy")).unwrap();
    assert!(info.fortran_order);
    let a: ArrayD<f32> = npy::read(&fixture("npy_fortran_f4.npy")).unwrap();
    assert_grid(&a, &[2, 3, 4], 0.0);
    assert!(a.is_standard_layout());
}

#[test]
fn header_versions_1_2_3() {
    for v in 1..=3 {
        let a: ArrayD<f32> = npy::read(&fixture(&format!("npy_v{v}_f4.npy"))).unwrap();
        assert_grid(&a, &[3, 2], 0.0);
    }
}

#[test]
fn signed_integer_dtypes_read_as_i64_and_i32() {
    for dt in ["i1", "i2", "i4", "i8"] {
        let a: ArrayD<i64> = npy::read(&fixture(&format!("npy_{dt}.npy"))).unwrap();
        let as_f64 = a.mapv(|v| v as f64);
        assert_grid(&as_f64, &[2, 3], 60.0);
    }
    let a: ArrayD<i32> = npy::read(&fixture("npy_i4.npy")).unwrap();
    assert_eq!(a[[1, 2]], 12 - 60);
    let err = npy::read::<i32>(&fixture("npy_i8.npy"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("i8") && err.contains("npy_i8.npy"), "{err}");
}

#[test]
fn unsigned_is_refused_as_signed() {
    let err = npy::read::<i64>(&fixture("npy_u1.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("u1") && err.contains("signed integer"),
        "{err}"
    );
}

#[test]
fn float16_is_refused_with_a_hint() {
    for result in [
        npy::read::<f32>(&fixture("npy_f2.npy")).map(drop),
        npy::read::<f64>(&fixture("npy_f2.npy")).map(drop),
    ] {
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("npy_f2.npy") && err.contains("f2") && err.contains("float16"),
            "{err}"
        );
    }
}

#[test]
fn object_arrays_are_refused_without_unpickling() {
    let err = npy::read::<f32>(&fixture("npy_object.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("npy_object.npy") && err.contains("pickle"),
        "{err}"
    );
}

#[test]
fn write_then_numpy_layout_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.npy");
    let a: ArrayD<f32> = npy::read(&fixture("npy_fortran_f4.npy")).unwrap();
    npy::write(&out, a.view()).unwrap();
    let info = npy::read_info(&out).unwrap();
    assert!(!info.fortran_order && info.shape == [2, 3, 4]);
    let back: ArrayD<f32> = npy::read(&out).unwrap();
    assert_eq!(a, back);
}
