//! Noise ceilings of a benchmark's data, as `bench ceiling` prints them.

use crate::benchmark::algonauts2019::{self, Algonauts2019Error};
use crate::metrics::rsa;
use serde::Serialize;
use std::path::Path;

/// Errors computing ceilings.
#[derive(Debug, thiserror::Error)]
pub enum CeilingError {
    /// The 2019 layout.
    #[error(transparent)]
    Algonauts2019(#[from] Algonauts2019Error),
    /// The 2023 layout.
    #[error(transparent)]
    Algonauts2023(#[from] crate::benchmark::algonauts2023::LayoutError),
    /// A metric could not be computed.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
}

impl CeilingError {
    /// The exit status this error maps to: the data is the user's (2).
    pub fn exit_status(&self) -> crate::ExitStatus {
        crate::ExitStatus::InvalidInput
    }
}

/// The RDM noise ceiling of one image set and ROI (SCIENCE.md §2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RdmCeilingRow {
    /// Image set (`92`, `118`, `78`).
    pub image_set: String,
    /// ROI (`EVC`, `IT`).
    pub roi: String,
    /// Number of images (RDM size).
    pub images: usize,
    /// Number of subjects.
    pub subjects: usize,
    /// Upper bound: mean squared Spearman of each subject with the mean of all (the official
    /// Algonauts 2019 constant).
    pub upper: f64,
    /// Lower bound: the same with the mean of the other subjects (`None` with one subject).
    pub lower: Option<f64>,
}

/// The RDM noise ceilings of every image set and ROI of an Algonauts-2019-layout data folder.
pub fn rdm_ceilings(
    root: &Path,
    sets: &[String],
    rois: &[String],
) -> Result<Vec<RdmCeilingRow>, CeilingError> {
    let mut rows = Vec::new();
    for set in sets {
        for roi in rois {
            let rdms = algonauts2019::subject_rdms(root, set, roi)?;
            let ceiling = rsa::rdm_noise_ceiling(&rdms)?;
            rows.push(RdmCeilingRow {
                image_set: set.clone(),
                roi: roi.clone(),
                images: rdms.first().map_or(0, |r| r.n()),
                subjects: rdms.len(),
                upper: ceiling.upper,
                lower: ceiling.lower,
            });
        }
    }
    Ok(rows)
}

/// The noise ceiling of one subject and hemisphere of an encoding benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncodingCeilingRow {
    /// `subjNN`.
    pub subject: String,
    /// `lh` or `rh`.
    pub hemisphere: String,
    /// Vertices.
    pub vertices: usize,
    /// Mean noise ceiling in percent.
    pub mean_percent: f64,
    /// Median noise ceiling in percent.
    pub median_percent: f64,
    /// Vertices whose ceiling is 0.
    pub zero: usize,
}

/// Summarises the held-out noise ceilings of an Algonauts-2023-layout folder.
pub fn encoding_ceilings(root: &Path) -> Result<Vec<EncodingCeilingRow>, CeilingError> {
    let truth = crate::benchmark::algonauts2023::Layout::discover(root)?.load_truth()?;
    truth
        .blocks
        .iter()
        .map(|((subject, hemisphere), block)| {
            let nc = &block.nc;
            Ok(EncodingCeilingRow {
                subject: subject.clone(),
                hemisphere: hemisphere.clone(),
                vertices: nc.len(),
                mean_percent: 100.0 * nc.iter().sum::<f64>() / nc.len() as f64,
                median_percent: 100.0 * crate::metrics::bootstrap::median(nc)?,
                zero: nc.iter().filter(|&&v| v == 0.0).count(),
            })
        })
        .collect()
}
