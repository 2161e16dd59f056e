//! Issue checks on the real Algonauts 2019 data (`$BRAINBENCH_DATA/algonauts2019`): the RDM
//! noise ceilings reproduce the official constants, and the real example submission scores as
//! the official formula computed in numpy/scipy.

mod common;

use brainbench::benchmark::algonauts2019;
use brainbench::ceiling::rdm_ceilings;
use brainbench::io::mat::{read_mat, MatValue};

/// SCIENCE.md §2: the official Algonauts 2019 fMRI noise ceilings (upper bound).
const OFFICIAL: &[(&str, &str, f64)] = &[
    ("92", "EVC", 0.1589),
    ("92", "IT", 0.3075),
    ("118", "EVC", 0.1048),
    ("118", "IT", 0.0728),
    ("78", "EVC", 0.0640),
    ("78", "IT", 0.0647),
];

#[test]
fn upper_bound_ceilings_equal_the_official_constants() {
    let Some(data) = common::real_data("upper_bound_ceilings_equal_the_official_constants") else {
        return;
    };
    let root = data.join("algonauts2019");
    let sets: Vec<String> = ["92", "118", "78"].map(String::from).to_vec();
    let rois: Vec<String> = ["EVC", "IT"].map(String::from).to_vec();
    let rows = rdm_ceilings(&root, &sets, &rois).unwrap();
    assert_eq!(rows.len(), OFFICIAL.len());
    for (set, roi, official) in OFFICIAL {
        let row = rows
            .iter()
            .find(|r| r.image_set == *set && r.roi == *roi)
            .unwrap();
        assert_eq!(row.subjects, 15);
        assert_eq!(row.images, set.parse::<usize>().unwrap());
        let rounded = (row.upper * 1e4).round() / 1e4;
        assert!(
            (rounded - official).abs() < 1e-9,
            "{set}/{roi}: {} (rounded {rounded}) vs official {official}",
            row.upper
        );
        let lower = row.lower.unwrap();
        assert!(
            lower < row.upper && lower > 0.0,
            "{set}/{roi}: lower {lower} upper {}",
            row.upper
        );
    }
}

#[test]
fn v5_struct_and_v73_arrays_read_like_scipy_and_h5py() {
    let Some(data) = common::real_data("v5_struct_and_v73_arrays_read_like_scipy_and_h5py") else {
        return;
    };
    let root = data.join("algonauts2019");
    let stim = read_mat(&root.join("Training_Data/92_Image_Set/92images.mat")).unwrap();
    let vs = stim.get("visual_stimuli").unwrap();
    let MatValue::Struct { dims, fields, .. } = vs else {
        panic!("visual_stimuli is not a struct: {vs:?}")
    };
    assert_eq!(dims.iter().product::<usize>(), 92, "{dims:?}");
    let MatValue::Numeric(pixels) = vs
        .field(0, "pixel_values")
        .or_else(|| vs.field(0, "pixels"))
        .unwrap_or_else(|| panic!("fields: {fields:?}"))
    else {
        panic!()
    };
    let rdms = algonauts2019::subject_rdms(&root, "92", "EVC").unwrap();
    let Some(peer) = common::run_peer(
        "v5_struct_and_v73_arrays_read_like_scipy_and_h5py",
        "io_mat_peer.py",
        &serde_json::json!({ "root": root }),
    ) else {
        return;
    };
    assert_eq!(
        pixels.shape(),
        peer["pixels_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect::<Vec<_>>()
            .as_slice()
    );
    let pixel_sum: f64 = pixels.sum();
    assert_eq!(pixel_sum, peer["pixels_sum"].as_f64().unwrap());
    assert_eq!(pixels[[10, 20, 1]], peer["pixel_10_20_1"].as_f64().unwrap());
    // Subject 3's RDM entry (5, 17) as h5py reads it (HDF5 order (N, N, subjects)).
    assert_eq!(rdms[3].get(5, 17), peer["evc92_s3_5_17"].as_f64().unwrap());
}

#[test]
fn example_submission_scores_as_the_official_formula() {
    let test = "example_submission_scores_as_the_official_formula";
    let Some(data) = common::real_data(test) else {
        return;
    };
    let root = data.join("algonauts2019");
    let spec = brainbench::benchmark::spec::BenchmarkSpec::built_in("algonauts2019-fmri").unwrap();
    let roots = brainbench::benchmark::spec::DataRoots {
        download: Some(data.clone()),
        generated: "data".into(),
    };
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("submissions/algonauts2019-example");
    let opts = brainbench::scoring::ScoreOptions {
        seed: 0,
        resamples: 0,
        interval: Default::default(),
        rsa_bootstrap: Default::default(),
    };
    let report = brainbench::scoring::score_one(&spec, &roots, &dir, &opts).unwrap();
    let Some(peer) = common::run_peer(
        test,
        "rsa2019_peer.py",
        &serde_json::json!({
            "truth": root.join("Test_Data/target_fmri.mat"),
            "submission": root.join("example_submission/submit_fmri.mat"),
        }),
    ) else {
        return;
    };
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1e-12),
            "{what}: ours {a} vs numpy/scipy {b}"
        )
    };
    close(
        report.headline.value,
        peer["score"].as_f64().unwrap(),
        "score",
    );
    close(
        report.headline.percent_of_ceiling.unwrap(),
        peer["pct_nc"].as_f64().unwrap(),
        "%NC",
    );
    for t in &report.targets {
        let p = &peer[&t.name];
        close(
            t.value,
            p["r2"].as_f64().unwrap(),
            &format!("{} R2", t.name),
        );
        close(
            t.p_value.unwrap(),
            p["p"].as_f64().unwrap(),
            &format!("{} p", t.name),
        );
        close(
            t.noise_ceiling.unwrap(),
            p["nc"].as_f64().unwrap(),
            &format!("{} NC", t.name),
        );
        close(
            t.percent_of_ceiling.unwrap(),
            p["pct_nc"].as_f64().unwrap(),
            &format!("{} %NC", t.name),
        );
    }
}
