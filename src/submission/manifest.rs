//! `submission.toml`: who submitted what, for which benchmark.

use super::paths::is_plain_relative;
use super::{SubmissionError, MANIFEST};
use crate::io::atomic::write_atomic;
use crate::report::SubmissionInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// `submission.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Team name.
    pub team: String,
    /// Model name.
    pub model: String,
    /// The benchmark these predictions are for.
    pub benchmark: String,
    /// What the model is, in a sentence or two.
    pub description: String,
    /// Paper or code.
    pub link: Option<String>,
    /// Date of the submission, YYYY-MM-DD.
    pub date: Option<String>,
    /// Predictions read from `$BRAINBENCH_DATA/<this path>` instead of the folder.
    pub predictions_from_data: Option<String>,
    /// How a built-in reference computed these predictions (written by `bench train`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingRecord>,
}

/// The `[training]` table `bench train` writes: enough to retrain the same predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecord {
    /// The reference (`reference/<name>.toml`).
    pub reference: String,
    /// The brainbench version that trained it.
    pub tool_version: String,
    /// The seed.
    pub seed: u64,
    /// Where it ran (`cpu`, `cuda:0`).
    pub device: String,
    /// Wall time of `bench train` for this submission, in seconds.
    pub wall_seconds: f64,
    /// The weights: a file name, or `random-init`.
    pub weights: String,
    /// SHA-256 of the weights file (absent for a random initialisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_sha256: Option<String>,
    /// The input side in pixels.
    pub input_size: usize,
    /// The layers read out.
    pub layers: Vec<String>,
    /// Per target ROI, the layer chosen on the training data (layer-RDM references).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chosen_layers: BTreeMap<String, String>,
    /// Per subject or ROI, the epoch chosen on held-out training data (trained references).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chosen_epochs: BTreeMap<String, usize>,
    /// The reference's configuration as used (after command-line overrides).
    pub config: toml::Table,
}

impl Manifest {
    /// Reads and checks `<dir>/submission.toml`.
    pub fn read(dir: &Path) -> Result<Self, SubmissionError> {
        let path = dir.join(MANIFEST);
        let err = |problem: String, hint: &str| SubmissionError::Manifest {
            path: path.clone(),
            problem,
            hint: hint.to_string(),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err(
                format!("cannot read the manifest: {e}"),
                "every submission folder needs a submission.toml with team, model, benchmark and description (see README, 'Submitting')",
            )
        })?;
        let m: Manifest = toml::from_str(&text).map_err(|e| {
            err(e.to_string(), "fields: team, model, benchmark, description, and optionally link, date, predictions_from_data")
        })?;
        for (field, value) in [
            ("team", &m.team),
            ("model", &m.model),
            ("benchmark", &m.benchmark),
        ] {
            if value.trim().is_empty() {
                return Err(err(format!("`{field}` is empty"), "fill it in"));
            }
        }
        if let Some(date) = &m.date {
            let ok = date.len() == 10
                && date.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(err(
                    format!("date = '{date}' is not YYYY-MM-DD"),
                    "write e.g. date = \"2026-11-23\"",
                ));
            }
        }
        if let Some(rel) = &m.predictions_from_data {
            if !is_plain_relative(Path::new(rel)) {
                return Err(err(
                    format!("predictions_from_data = '{rel}' must be a relative path inside $BRAINBENCH_DATA"),
                    "remove '..' and leading '/' from the path",
                ));
            }
        }
        Ok(m)
    }

    /// Writes `<dir>/submission.toml` (atomically); [`read`](Self::read) gives back `self`.
    pub fn write(&self, dir: &Path) -> Result<(), SubmissionError> {
        let text = toml::to_string(self).map_err(|e| SubmissionError::Manifest {
            path: dir.join(MANIFEST),
            problem: format!("cannot serialise the manifest: {e}"),
            hint: "use plain text values".into(),
        })?;
        Ok(write_atomic(&dir.join(MANIFEST), text.as_bytes())?)
    }

    /// The manifest fields as recorded in `score.json`.
    pub fn info(&self, id: &str) -> SubmissionInfo {
        SubmissionInfo {
            id: id.to_string(),
            team: self.team.clone(),
            model: self.model.clone(),
            description: self.description.clone(),
            link: self.link.clone(),
            date: self.date.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_manifest(dir: &Path, extra: &str) {
        std::fs::write(
            dir.join(MANIFEST),
            format!("team = \"t\"\nmodel = \"m\"\nbenchmark = \"synthetic-cortex\"\ndescription = \"d\"\n{extra}"),
        )
        .unwrap();
    }

    #[test]
    fn reads_a_minimal_manifest() {
        let d = tempfile::tempdir().unwrap();
        write_manifest(d.path(), "date = \"2026-11-23\"\n");
        let m = Manifest::read(d.path()).unwrap();
        assert_eq!(m.benchmark, "synthetic-cortex");
        assert_eq!(m.date.as_deref(), Some("2026-11-23"));
    }

    #[test]
    fn rejects_bad_date_and_escaping_data_path() {
        let d = tempfile::tempdir().unwrap();
        write_manifest(d.path(), "date = \"23/11/2026\"\n");
        assert!(Manifest::read(d.path())
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD"));
        write_manifest(d.path(), "predictions_from_data = \"../etc/passwd\"\n");
        assert!(Manifest::read(d.path())
            .unwrap_err()
            .to_string()
            .contains("relative path inside"));
    }

    #[test]
    fn write_then_read_gives_the_same_manifest() {
        let d = tempfile::tempdir().unwrap();
        let m = Manifest {
            team: "t \"quoted\"".into(),
            model: "m".into(),
            benchmark: "synthetic-cortex".into(),
            description: "line one\nline two".into(),
            link: Some("https://example.org".into()),
            date: Some("2026-12-01".into()),
            predictions_from_data: None,
            training: Some(TrainingRecord {
                reference: "ridge-vgg16".into(),
                tool_version: "0.1.0".into(),
                seed: 3,
                device: "cpu".into(),
                wall_seconds: 12.5,
                weights: "vgg16_features.safetensors".into(),
                weights_sha256: Some("ab".repeat(32)),
                input_size: 112,
                layers: vec!["features.30".into()],
                chosen_layers: BTreeMap::from([("EVC".into(), "features.9".into())]),
                chosen_epochs: BTreeMap::from([("EVC".into(), 4)]),
                config: toml::from_str("name = \"ridge-vgg16\"\n[method]\nkind = \"ridge\"\n")
                    .unwrap(),
            }),
        };
        m.write(d.path()).unwrap();
        assert_eq!(Manifest::read(d.path()).unwrap(), m);
    }
}
