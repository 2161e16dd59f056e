//! The numpy-pickled ROI mapping files of the Algonauts 2023 layout, against real numpy.

mod common;

use brainbench::io::label_mapping::{read_label_mapping, write_label_mapping};
use std::collections::BTreeMap;

#[test]
fn mapping_files_round_trip_with_numpy() {
    let test = "mapping_files_round_trip_with_numpy";
    let d = tempfile::tempdir().unwrap();
    let names = ["Unknown", "V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4"];
    let mapping: BTreeMap<i64, String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64, n.to_string()))
        .collect();
    let rust_written = d.path().join("mapping_rust.npy");
    write_label_mapping(&rust_written, &mapping).unwrap();
    let numpy_path = d.path().join("mapping_numpy.npy");
    let json_map: serde_json::Map<String, serde_json::Value> = mapping
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone().into()))
        .collect();
    let Some(out) = common::run_peer(
        test,
        "io_mapping_peer.py",
        &serde_json::json!({ "rust_written": rust_written, "numpy_path": numpy_path, "mapping": json_map }),
    ) else {
        return;
    };
    assert_eq!(
        out["loaded"],
        serde_json::Value::Object(json_map),
        "numpy reads what Rust wrote"
    );
    assert_eq!(
        read_label_mapping(&numpy_path).unwrap(),
        mapping,
        "Rust reads what numpy wrote"
    );
}
