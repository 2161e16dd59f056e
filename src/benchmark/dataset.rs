//! A benchmark's data, opened once: [`Dataset::open`] reads the public part of the layout, from
//! which come what a submission must contain ([`SubmissionShape`]) and the training data
//! ([`TrainSplit`]); the held-out truth ([`HeldOut`]) is a separate load that only scoring makes.
//!
//! A [`TrainSplit`] holds training stimuli and responses (or RDMs) and the test stimuli, and has no
//! path to the truth: trainers are given only that.

use super::algonauts2019::{self, Algonauts2019Error};
use super::algonauts2023::{self, LayoutError, SubjectData, Truth};
use super::spec::{BenchmarkSpec, DataRoots, RsaTrack, SpecError, Track};
use crate::io::hash::sha256_file;
use crate::metrics::rdm::Rdm;
use crate::ExitStatus;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors opening a benchmark's data.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The benchmark or where its data is.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The Algonauts 2023 layout.
    #[error(transparent)]
    Algonauts2023(#[from] LayoutError),
    /// The Algonauts 2019 layout.
    #[error(transparent)]
    Algonauts2019(#[from] Algonauts2019Error),
}

impl DatasetError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            DatasetError::Spec(e) => e.exit_status(),
            DatasetError::Algonauts2023(_) | DatasetError::Algonauts2019(_) => {
                ExitStatus::InvalidInput
            }
        }
    }
}

/// What an encoding submission must contain: per subject, the number of test images and the
/// vertex count of each hemisphere, as the benchmark's public data says.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodingShape {
    /// `subjNN` → (test images, [(hemisphere, vertices)]).
    pub subjects: BTreeMap<String, (usize, Vec<(String, usize)>)>,
}

/// What an RSA submission must contain.
#[derive(Debug, Clone, PartialEq)]
pub struct RsaShape {
    /// Target ROIs, one RDM each.
    pub targets: Vec<String>,
    /// Held-out images: each RDM is this many rows and columns.
    pub n_images: usize,
}

/// What a submission to a benchmark must contain, from its public data alone.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmissionShape {
    /// Responses per subject and hemisphere.
    Encoding(EncodingShape),
    /// One RDM per target.
    Rsa(RsaShape),
}

/// One training image set of an RSA benchmark.
#[derive(Debug, Clone)]
pub struct RsaTrainSet {
    /// The set's name (`92`, `118`).
    pub name: String,
    /// Its images in sorted file-name order (the RDM row order).
    pub images: Vec<PathBuf>,
    /// Every subject's RDM, by target ROI.
    pub rdms: BTreeMap<String, Vec<Rdm>>,
}

/// The public training data of a benchmark: all a trainer may see.
#[derive(Debug, Clone)]
pub enum TrainSplit {
    /// Per subject: training images with their responses, and the test images.
    Encoding {
        /// Subjects in name order.
        subjects: Vec<SubjectData>,
    },
    /// Training image sets with their RDMs, and the test images.
    Rsa {
        /// Target ROIs.
        targets: Vec<String>,
        /// Training sets, in the benchmark's order.
        sets: Vec<RsaTrainSet>,
        /// The held-out images (no RDMs), in sorted file-name order.
        test_images: Vec<PathBuf>,
    },
}

/// The held-out truth of an RSA benchmark.
#[derive(Debug, Clone)]
pub struct RsaTruth {
    /// Every subject's test RDM, by target ROI, in the benchmark's target order.
    pub rdms: Vec<(String, Vec<Rdm>)>,
    /// SHA-256 of every truth file, by path relative to the data folder.
    pub hashes: BTreeMap<String, String>,
}

/// The held-out truth: what scoring compares a submission with.
#[derive(Debug, Clone)]
pub enum HeldOut {
    /// Test responses and noise ceilings.
    Encoding(Truth),
    /// Test RDMs.
    Rsa(RsaTruth),
}

/// The public part of the layout, read once.
#[derive(Debug, Clone)]
enum Public {
    Encoding(algonauts2023::Layout),
    Rsa {
        track: RsaTrack,
        test_images: Vec<PathBuf>,
    },
}

/// A benchmark with its data folder opened.
#[derive(Debug, Clone)]
pub struct Dataset {
    spec: BenchmarkSpec,
    root: PathBuf,
    public: Public,
}

impl Dataset {
    /// Finds the benchmark's data under `roots` and reads its public part (file lists and sizes,
    /// no responses).
    pub fn open(spec: &BenchmarkSpec, roots: &DataRoots) -> Result<Self, DatasetError> {
        let root = spec.require_data_dir(roots)?;
        Self::open_at(spec, &root)
    }

    /// Like [`open`](Self::open), with the data folder given directly.
    pub fn open_at(spec: &BenchmarkSpec, root: &Path) -> Result<Self, DatasetError> {
        let public = match &spec.track {
            Track::Encoding(_) => Public::Encoding(algonauts2023::Layout::discover(root)?),
            Track::Rsa(rsa) => Public::Rsa {
                track: rsa.clone(),
                test_images: algonauts2019::images(root, &rsa.test_set)?,
            },
        };
        Ok(Dataset {
            spec: spec.clone(),
            root: root.to_path_buf(),
            public,
        })
    }

    /// The benchmark.
    pub fn spec(&self) -> &BenchmarkSpec {
        &self.spec
    }

    /// The data folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What a submission must contain.
    pub fn submission_shape(&self) -> SubmissionShape {
        match &self.public {
            Public::Encoding(layout) => SubmissionShape::Encoding(layout.submission_shape()),
            Public::Rsa { track, test_images } => SubmissionShape::Rsa(RsaShape {
                targets: track.targets.clone(),
                n_images: test_images.len(),
            }),
        }
    }

    /// Loads the training data (responses or RDMs) and the test stimuli; never the truth.
    pub fn train_split(&self) -> Result<TrainSplit, DatasetError> {
        match &self.public {
            Public::Encoding(layout) => Ok(TrainSplit::Encoding {
                subjects: layout.subject_data()?,
            }),
            Public::Rsa { track, test_images } => Ok(TrainSplit::Rsa {
                targets: track.targets.clone(),
                sets: track
                    .train_sets
                    .iter()
                    .map(|set| self.rsa_train_set(track, set))
                    .collect::<Result<_, _>>()?,
                test_images: test_images.clone(),
            }),
        }
    }

    fn rsa_train_set(&self, rsa: &RsaTrack, set: &str) -> Result<RsaTrainSet, DatasetError> {
        let rdms = rsa
            .targets
            .iter()
            .map(|t| Ok((t.clone(), algonauts2019::subject_rdms(&self.root, set, t)?)))
            .collect::<Result<_, DatasetError>>()?;
        Ok(RsaTrainSet {
            name: set.to_string(),
            images: algonauts2019::images(&self.root, set)?,
            rdms,
        })
    }

    /// Loads the held-out truth, with the SHA-256 of every file read.
    pub fn held_out(&self) -> Result<HeldOut, DatasetError> {
        match &self.public {
            Public::Encoding(layout) => Ok(HeldOut::Encoding(layout.load_truth()?)),
            Public::Rsa { track: rsa, .. } => {
                let file = algonauts2019::target_file(&self.root, &rsa.test_set);
                let rdms = rsa
                    .targets
                    .iter()
                    .map(|t| {
                        Ok((
                            t.clone(),
                            algonauts2019::subject_rdms(&self.root, &rsa.test_set, t)?,
                        ))
                    })
                    .collect::<Result<_, DatasetError>>()?;
                let rel = file
                    .strip_prefix(&self.root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                let hash = sha256_file(&file).map_err(Algonauts2019Error::from)?;
                Ok(HeldOut::Rsa(RsaTruth {
                    rdms,
                    hashes: BTreeMap::from([(rel, hash)]),
                }))
            }
        }
    }
}
