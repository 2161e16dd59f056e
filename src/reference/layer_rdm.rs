//! The layer-RDM reference: the RDM (1 − Pearson r) of one CNN layer per target ROI, the layer
//! chosen on the training image sets alone — for each candidate layer and ROI, the mean over
//! training sets of the mean over subjects of the squared Spearman correlation between the
//! layer's RDM and the subject's RDM (the 2019 challenge's score, on the training sets); the
//! highest wins, ties going to the earlier layer. The test RDMs are never looked at.

use crate::benchmark::dataset::RsaTrainSet;
use crate::metrics::rdm::{Dissimilarity, Rdm};
use crate::metrics::rsa::spearman_many;
use crate::metrics::MetricsError;
use ndarray::Array2;
use serde::Serialize;
use std::collections::BTreeMap;

/// How well each candidate layer matched each ROI on the training sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerChoice {
    /// The candidate layers, in forward order.
    pub layers: Vec<String>,
    /// Per ROI, per layer (same order): mean over training sets of mean over subjects of ρ².
    pub training_r2: BTreeMap<String, Vec<f64>>,
    /// Per ROI, the chosen layer.
    pub chosen: BTreeMap<String, String>,
}

/// Scores every candidate layer on every training set. `set_features[s][l]` holds layer `l`'s
/// features of set `s`'s images (rows in the set's RDM order).
pub fn choose_layers(
    layers: &[String],
    sets: &[RsaTrainSet],
    set_features: &[Vec<Array2<f32>>],
    targets: &[String],
) -> Result<LayerChoice, MetricsError> {
    let mut training_r2: BTreeMap<String, Vec<f64>> = targets
        .iter()
        .map(|t| (t.clone(), vec![0.0; layers.len()]))
        .collect();
    for (set, feats) in sets.iter().zip(set_features) {
        for (l, f) in feats.iter().enumerate() {
            let model = Rdm::from_patterns(f.view(), Dissimilarity::Correlation)?;
            for t in targets {
                let subjects: Vec<&[f64]> = set.rdms[t].iter().map(Rdm::upper).collect();
                let rho = spearman_many(model.upper(), &subjects)?;
                let r2 =
                    rho.iter().map(|r| r.unwrap_or(0.0).powi(2)).sum::<f64>() / rho.len() as f64;
                training_r2.get_mut(t).expect("every target")[l] += r2 / sets.len() as f64;
            }
        }
    }
    let chosen = training_r2
        .iter()
        .map(|(t, scores)| {
            let best = (0..scores.len()).fold(0, |b, l| if scores[l] > scores[b] { l } else { b });
            (t.clone(), layers[best].clone())
        })
        .collect();
    Ok(LayerChoice {
        layers: layers.to_vec(),
        training_r2,
        chosen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Patterns whose RDM is a known function of the index.
    fn patterns(n: usize, f: impl Fn(usize, usize) -> f32) -> Array2<f32> {
        Array2::from_shape_fn((n, 6), |(i, j)| f(i, j))
    }

    #[test]
    fn each_roi_gets_the_layer_that_matches_its_training_rdms() {
        let n = 8;
        let a = patterns(n, |i, j| {
            ((i * 3 + j * 5) % 7) as f32 + (i * j) as f32 * 0.1
        });
        let b = patterns(n, |i, j| ((i * i + 2 * j) % 5) as f32 - j as f32 * 0.3);
        let rdm =
            |p: &Array2<f32>| Rdm::from_patterns(p.view(), Dissimilarity::Correlation).unwrap();
        let set = RsaTrainSet {
            name: "8".into(),
            images: Vec::new(),
            rdms: BTreeMap::from([
                ("EVC".to_string(), vec![rdm(&a), rdm(&a)]),
                ("IT".to_string(), vec![rdm(&b), rdm(&b)]),
            ]),
        };
        let layers = vec!["early".to_string(), "late".to_string()];
        let targets = vec!["EVC".to_string(), "IT".to_string()];
        let choice = choose_layers(&layers, &[set], &[vec![a, b]], &targets).unwrap();
        assert_eq!(choice.chosen["EVC"], "early");
        assert_eq!(choice.chosen["IT"], "late");
        assert!((choice.training_r2["EVC"][0] - 1.0).abs() < 1e-12);
        assert!(choice.training_r2["EVC"][1] < 1.0);
    }
}
