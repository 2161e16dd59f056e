//! What a bootstrap resamples, and which sources of variance its interval therefore covers
//! (SCIENCE.md §3; `docs/intervals.md`, "The resampling unit").

use serde::{Deserialize, Serialize};

use super::rsa::{squared_rho, RsaRoi, SUBJECT_GROUP};
use super::{nested_resample_indices, BootstrapConfig};
use crate::metrics::Result;

/// What the RSA bootstrap resamples (`bench score --rsa-bootstrap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RsaResampling {
    /// The test images (rows and columns of every RDM); the subjects are kept. The default:
    /// the unit whose coverage the study measured.
    #[default]
    Stimuli,
    /// The subjects; the images are kept.
    Subjects,
    /// Both at once, with rsatoolbox's variance correction and t interval
    /// ([`super::rsa::bootstrap_rsa_two_way`]).
    TwoWay,
}

impl RsaResampling {
    /// Every choice, in the order the help lists them.
    pub const ALL: [RsaResampling; 3] = [Self::Stimuli, Self::Subjects, Self::TwoWay];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stimuli => "stimuli",
            Self::Subjects => "subjects",
            Self::TwoWay => "two-way",
        }
    }

    /// What `score.json`'s `bootstrap.over` records.
    pub fn over(self) -> &'static str {
        match self {
            Self::Stimuli => "stimuli",
            Self::Subjects => "subjects",
            Self::TwoWay => "stimuli-and-subjects",
        }
    }

    /// Which sources of variance the interval covers, in words (shown on the board).
    pub fn covers(self) -> &'static str {
        match self {
            Self::Stimuli => STIMULI_COVER,
            Self::Subjects => "new subjects, the same images: what the score would be for other subjects shown these images",
            Self::TwoWay => "new images and new subjects: what the score would be for other subjects shown other images",
        }
    }
}

/// What a stimulus bootstrap's interval covers (encoding and RSA alike).
pub const STIMULI_COVER: &str = "new images, the same subjects: what the score would be on a much larger test set shown to these subjects";

impl std::fmt::Display for RsaResampling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RsaResampling {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown RSA bootstrap '{s}': expected stimuli, subjects or two-way")
            })
    }
}

/// One second-level subject resample per resample of
/// [`super::rsa::bootstrap_rsa_subjects`] (for the iterated bias): the score with the subjects
/// [`nested_resample_indices`]`(seed, SUBJECT_GROUP, S, b)`.
///
/// # Errors
/// As [`super::rsa::bootstrap_rsa_subjects`].
pub fn bootstrap_rsa_subjects_nested(rois: &[RsaRoi], cfg: &BootstrapConfig) -> Result<Vec<f64>> {
    cfg.check()?;
    let (_, s) = super::rsa::check(rois)?;
    let rho2 = squared_rho(rois)?;
    Ok((0..cfg.n_resamples)
        .map(|b| {
            let idx = nested_resample_indices(cfg.seed, SUBJECT_GROUP, s, b);
            rho2.iter()
                .map(|r| idx.iter().map(|&k| r[k]).sum::<f64>() / s as f64)
                .sum::<f64>()
                / rois.len() as f64
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bootstrap::test_rdm;

    #[test]
    fn names_round_trip_and_bad_names_are_errors() {
        for r in RsaResampling::ALL {
            assert_eq!(r.as_str().parse::<RsaResampling>().unwrap(), r);
        }
        assert!("images".parse::<RsaResampling>().is_err());
    }

    #[test]
    fn nested_subject_resamples_recompute_from_their_subjects() {
        let model = test_rdm(1, 8);
        let subjects: Vec<_> = (2..7).map(|s| test_rdm(s, 8)).collect();
        let rois = [RsaRoi {
            model: &model,
            subjects: &subjects,
        }];
        let cfg = BootstrapConfig {
            n_resamples: 5,
            seed: 3,
            level: 0.95,
        };
        let nested = bootstrap_rsa_subjects_nested(&rois, &cfg).unwrap();
        for (b, value) in nested.iter().enumerate() {
            let idx = nested_resample_indices(3, SUBJECT_GROUP, 5, b);
            let direct: f64 = idx
                .iter()
                .map(|&k| {
                    let rho = crate::metrics::ranks::spearman(model.upper(), subjects[k].upper())
                        .unwrap()
                        .unwrap_or(0.0);
                    rho * rho
                })
                .sum::<f64>()
                / 5.0;
            assert!((value - direct).abs() < 1e-12, "{value} vs {direct}");
        }
    }
}
