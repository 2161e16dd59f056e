//! Benchmarks: their specifications ([`spec`]), the data layouts they read, and [`dataset::Dataset`],
//! the one way to open a benchmark's data.

pub mod algonauts2019;
pub mod algonauts2023;
pub mod dataset;
pub mod spec;
pub mod synth;

use serde::Serialize;
use spec::{BenchmarkSpec, DataRoots, Kind, SpecError};
use std::path::PathBuf;

/// One benchmark as `bench benchmarks` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkStatus {
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Encoding or RSA.
    pub kind: Kind,
    /// Where its data is looked for (`None`: a download and `$BRAINBENCH_DATA` is unset).
    pub data_dir: Option<PathBuf>,
    /// Whether that folder exists.
    pub present: bool,
    /// The files its layout needs.
    pub needs: String,
    /// How to get the data.
    pub how_to_get: String,
}

/// Every built-in benchmark with where its data is and whether it is there.
pub fn status(roots: &DataRoots) -> Result<Vec<BenchmarkStatus>, SpecError> {
    Ok(BenchmarkSpec::all()?
        .into_iter()
        .map(|s| {
            let data_dir = s.data_dir(roots);
            BenchmarkStatus {
                present: data_dir.as_ref().is_some_and(|d| d.is_dir()),
                data_dir,
                kind: s.kind(),
                needs: s.looked_for().to_string(),
                how_to_get: s.data.how_to_get.clone(),
                title: s.title,
                name: s.name,
            }
        })
        .collect())
}
