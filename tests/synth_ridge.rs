//! The synthetic cortex is made of the features it claims: a ridge read-out (himalaya-style,
//! per-vertex alpha by cross-validation) of the generating features predicts the held-out
//! responses far better than the same ridge on raw pixels.

use brainbench::benchmark::algonauts2023::Layout;
use brainbench::benchmark::synth::{self, Stimulus, SynthConfig};
use brainbench::fit::ridge::RidgeCv;
use brainbench::metrics::encoding::{score_block, summarise, EncodingBlock, VertexScores};
use ndarray::Array2;

/// 16 x 16 RGB thumbnails in [0, 1], one row per image.
fn pixels(stimuli: &[Stimulus]) -> Array2<f64> {
    let rows: Vec<f64> = stimuli
        .iter()
        .flat_map(|s| {
            let small =
                image::imageops::resize(&s.image, 16, 16, image::imageops::FilterType::Triangle);
            small.into_raw().into_iter().map(|v| f64::from(v) / 255.0)
        })
        .collect();
    Array2::from_shape_vec((stimuli.len(), 16 * 16 * 3), rows).unwrap()
}

#[test]
fn ridge_on_generating_features_beats_ridge_on_pixels() {
    let d = tempfile::tempdir().unwrap();
    let cfg = SynthConfig::small(11);
    let report = synth::generate(d.path(), &cfg).unwrap();
    let stimuli = synth::stimuli(&cfg);
    let (feat_train, feat_test) = stimuli.generating_features();
    let (px_train, px_test) = (pixels(&stimuli.train), pixels(&stimuli.test));
    let layout = Layout::discover(&report.root).unwrap();
    let truth = layout.load_truth().unwrap();
    let ridge = RidgeCv::default();
    let mut scores = [Vec::<VertexScores>::new(), Vec::new()];
    for subject in layout.subject_data().unwrap() {
        for (hemi, train_fmri) in &subject.train_fmri {
            let t = &truth.blocks[&(subject.id.clone(), hemi.clone())];
            for (k, (x_train, x_test)) in [(&feat_train, &feat_test), (&px_train, &px_test)]
                .into_iter()
                .enumerate()
            {
                let model = ridge.fit(x_train.view(), train_fmri.view()).unwrap();
                let pred = model.predict(x_test.view()).unwrap();
                let block = EncodingBlock {
                    pred: pred.view(),
                    truth: t.fmri.view(),
                    nc: &t.nc,
                    subject: 0,
                };
                scores[k].push(score_block(&block).unwrap());
            }
        }
    }
    let features = summarise(&scores[0], &[]).unwrap().mean;
    let pixels = summarise(&scores[1], &[]).unwrap().mean;
    eprintln!("ridge on generating features: {features:.2} %, on 16x16 pixels: {pixels:.2} %");
    assert!(
        features > pixels + 10.0,
        "features {features:.2} % vs pixels {pixels:.2} %"
    );
}
