//! The official Algonauts 2023 challenge layout (SCIENCE.md §1), for the real download and the
//! synthetic cortex alike:
//!
//! ```text
//! subjNN/training_split/training_images/train-0001_nsd-00013.png ...
//! subjNN/training_split/training_fmri/{lh,rh}_training_fmri.npy      (train images, vertices)
//! subjNN/test_split/test_images/test-0001_nsd-00845.png ...
//! subjNN/roi_masks/{lh,rh}.<roi-set>_challenge_space.npy             (vertices,) int labels
//! subjNN/roi_masks/mapping_<roi-set>.npy                             pickled dict label -> name
//! held out: subjNN/test_split/test_fmri/{lh,rh}_test_fmri.npy
//!           subjNN/test_split/noise_ceiling/{lh,rh}_noise_ceiling.npy
//! ```
//!
//! [`Layout::discover`] reads only the public part (sizes come from the files, never from
//! constants), so validation runs without the truth; [`Layout::load_truth`] reads the held-out
//! part for scoring.

use super::dataset::EncodingShape;
use crate::io::hash::sha256_hex;
use crate::io::mapped::FileBytes;
use crate::io::npy::F32Matrix;
use crate::io::{label_mapping, npy, IoError};
use ndarray::{Array2, Ix1, Ix2};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The official ROI sets and their ROI names, in label order (label `i + 1` is `names[i]`,
/// 0 = no ROI), as in the `mapping_<roi-set>.npy` files of the official download.
pub const ROI_SETS: &[(&str, &[&str])] = &[
    (
        "prf-visualrois",
        &["V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4"],
    ),
    ("floc-bodies", &["EBA", "FBA-1", "FBA-2", "mTL-bodies"]),
    (
        "floc-faces",
        &["OFA", "FFA-1", "FFA-2", "mTL-faces", "aTL-faces"],
    ),
    ("floc-places", &["OPA", "PPA", "RSC"]),
    (
        "floc-words",
        &["OWFA", "VWFA-1", "VWFA-2", "mfs-words", "mTL-words"],
    ),
    (
        "streams",
        &[
            "early",
            "midventral",
            "midlateral",
            "midparietal",
            "ventral",
            "lateral",
            "parietal",
        ],
    ),
];

/// A cortical hemisphere, named as in the file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hemisphere {
    /// Left hemisphere, `lh`.
    Lh,
    /// Right hemisphere, `rh`.
    Rh,
}

impl Hemisphere {
    /// Both hemispheres, in file order.
    pub const BOTH: [Hemisphere; 2] = [Hemisphere::Lh, Hemisphere::Rh];

    /// `"lh"` or `"rh"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hemisphere::Lh => "lh",
            Hemisphere::Rh => "rh",
        }
    }
}

impl std::fmt::Display for Hemisphere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors reading the layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file could not be read or parsed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Files disagree with each other or with the layout.
    #[error("{path}: {problem}\n  hint: {hint}")]
    Mismatch {
        /// The file or folder.
        path: PathBuf,
        /// Expected and found.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

fn mismatch(path: &Path, problem: impl Into<String>, hint: impl Into<String>) -> LayoutError {
    LayoutError::Mismatch {
        path: path.to_path_buf(),
        problem: problem.into(),
        hint: hint.into(),
    }
}

/// The public part of one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// `subjNN`.
    pub id: String,
    /// The subject's folder.
    pub dir: PathBuf,
    /// Hemispheres present with their vertex counts (from the training fMRI headers).
    pub hemispheres: Vec<(String, usize)>,
    /// Training images in sorted file-name order.
    pub train_images: Vec<PathBuf>,
    /// Test images in sorted file-name order (the row order of predictions).
    pub test_images: Vec<PathBuf>,
}

/// A subject with its training responses loaded.
#[derive(Debug, Clone)]
pub struct SubjectData {
    /// `subjNN`.
    pub id: String,
    /// Training images.
    pub train_images: Vec<PathBuf>,
    /// Test images.
    pub test_images: Vec<PathBuf>,
    /// Training fMRI per hemisphere, (train images x vertices).
    pub train_fmri: Vec<(String, Array2<f32>)>,
}

/// Held-out truth of one subject and hemisphere.
#[derive(Debug, Clone)]
pub struct TruthBlock {
    /// Test responses, (test images x vertices), viewed in the mapped file where possible.
    pub fmri: F32Matrix,
    /// Noise ceiling per vertex as a fraction in [0, 1].
    pub nc: Vec<f64>,
    /// The ROIs of this hemisphere, with their vertex indices.
    pub rois: Vec<Roi>,
}

/// One named ROI of one hemisphere.
#[derive(Debug, Clone, PartialEq)]
pub struct Roi {
    /// The ROI set (`prf-visualrois`, `streams`, ...).
    pub set: String,
    /// The ROI's name in its set's mapping (`V1v`, `early`, ...).
    pub name: String,
    /// Vertex indices of this hemisphere.
    pub vertices: Vec<usize>,
}

/// The held-out truth of a whole benchmark.
#[derive(Debug, Clone)]
pub struct Truth {
    /// By (subject, hemisphere).
    pub blocks: BTreeMap<(String, String), TruthBlock>,
    /// SHA-256 of every truth file, by path relative to the data folder.
    pub hashes: BTreeMap<String, String>,
    /// How the noise-ceiling files were scaled (`fraction` or `percent`, detected).
    pub ceiling_source: String,
}

/// The discovered layout of a data folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The data folder.
    pub root: PathBuf,
    /// Subjects in name order.
    pub subjects: Vec<Subject>,
}

fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>, LayoutError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IoError::os(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn is_subject_dir(name: &str) -> bool {
    name.len() == 6 && name.starts_with("subj") && name[4..].bytes().all(|b| b.is_ascii_digit())
}

impl Layout {
    /// Reads the public part of the layout under `root`.
    pub fn discover(root: &Path) -> Result<Self, LayoutError> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
            .map_err(|e| IoError::os(root, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| is_subject_dir(&n.to_string_lossy()))
            })
            .collect();
        dirs.sort();
        if dirs.is_empty() {
            return Err(mismatch(root, "no subject folders subj01, subj02, ... found", "point the benchmark at the folder holding subjNN/ (the unzipped challenge data), or run `bench data synth`"));
        }
        let subjects = dirs
            .iter()
            .map(|d| Self::subject(d))
            .collect::<Result<_, _>>()?;
        Ok(Layout {
            root: root.to_path_buf(),
            subjects,
        })
    }

    fn subject(dir: &Path) -> Result<Subject, LayoutError> {
        let id = dir
            .file_name()
            .expect("subject folder has a name")
            .to_string_lossy()
            .into_owned();
        let fmri_dir = dir.join("training_split/training_fmri");
        let mut hemispheres = Vec::new();
        let train_images = sorted_files(&dir.join("training_split/training_images"))?;
        for hemi in Hemisphere::BOTH.map(Hemisphere::as_str) {
            let path = fmri_dir.join(format!("{hemi}_training_fmri.npy"));
            if !path.exists() {
                continue;
            }
            let info = npy::read_info(&path)?;
            let [n_images, n_vertices] = info.shape[..] else {
                return Err(mismatch(
                    &path,
                    format!(
                        "expected a 2-D array (training images, vertices), found shape {:?}",
                        info.shape
                    ),
                    "use the challenge's training_fmri files as downloaded",
                ));
            };
            if n_images != train_images.len() {
                return Err(mismatch(&path, format!("{n_images} rows but {} training images in training_split/training_images", train_images.len()), "the images and the fMRI rows must correspond one to one; re-download the subject"));
            }
            hemispheres.push((hemi.to_string(), n_vertices));
        }
        match hemispheres.len() {
            0 => {
                return Err(mismatch(
                    &fmri_dir,
                    "no lh_training_fmri.npy or rh_training_fmri.npy",
                    "download the subject's training_split completely",
                ))
            }
            1 => {
                let missing = if hemispheres[0].0 == "lh" { "rh" } else { "lh" };
                return Err(mismatch(
                    &fmri_dir,
                    format!("only one hemisphere: {missing}_training_fmri.npy is missing"),
                    "every subject needs both hemispheres; re-download the subject",
                ));
            }
            _ => {}
        }
        let test_images = sorted_files(&dir.join("test_split/test_images"))?;
        if test_images.is_empty() {
            return Err(mismatch(
                &dir.join("test_split/test_images"),
                "no test images",
                "download the subject's test_split/test_images",
            ));
        }
        Ok(Subject {
            id,
            dir: dir.to_path_buf(),
            hemispheres,
            train_images,
            test_images,
        })
    }

    /// Subject ids in order.
    pub fn subjects(&self) -> impl Iterator<Item = &String> {
        self.subjects.iter().map(|s| &s.id)
    }

    /// What a submission must contain.
    pub fn submission_shape(&self) -> EncodingShape {
        EncodingShape {
            subjects: self
                .subjects
                .iter()
                .map(|s| (s.id.clone(), (s.test_images.len(), s.hemispheres.clone())))
                .collect(),
        }
    }

    /// Every subject with its training responses loaded.
    pub fn subject_data(&self) -> Result<Vec<SubjectData>, LayoutError> {
        self.subjects
            .iter()
            .map(|s| {
                let train_fmri = s
                    .hemispheres
                    .iter()
                    .map(|(hemi, _)| {
                        let path = s.dir.join(format!(
                            "training_split/training_fmri/{hemi}_training_fmri.npy"
                        ));
                        Ok((hemi.clone(), load_train_2d(&path)?))
                    })
                    .collect::<Result<_, LayoutError>>()?;
                Ok(SubjectData {
                    id: s.id.clone(),
                    train_images: s.train_images.clone(),
                    test_images: s.test_images.clone(),
                    train_fmri,
                })
            })
            .collect()
    }

    /// The ROIs of one hemisphere: every `<hemi>.<set>_challenge_space.npy` with its mapping.
    pub fn rois(
        &self,
        subject: &Subject,
        hemi: &str,
        n_vertices: usize,
    ) -> Result<Vec<Roi>, LayoutError> {
        let dir = subject.dir.join("roi_masks");
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let prefix = format!("{hemi}.");
        let mut rois = Vec::new();
        for path in sorted_files(&dir)? {
            let name = path
                .file_name()
                .expect("file")
                .to_string_lossy()
                .into_owned();
            let Some(set) = name
                .strip_prefix(&prefix)
                .and_then(|n| n.strip_suffix("_challenge_space.npy"))
            else {
                continue;
            };
            let labels = npy::read::<i64>(&path)?
                .into_dimensionality::<Ix1>()
                .map_err(|_| {
                    mismatch(
                        &path,
                        "expected a 1-D label array",
                        "use the challenge's roi_masks files",
                    )
                })?;
            if labels.len() != n_vertices {
                return Err(mismatch(
                    &path,
                    format!(
                        "{} labels but the fMRI has {n_vertices} {hemi} vertices",
                        labels.len()
                    ),
                    "the ROI mask must come from the same subject and hemisphere as the fMRI",
                ));
            }
            let mapping =
                label_mapping::read_label_mapping(&dir.join(format!("mapping_{set}.npy")))?;
            for (label, roi) in &mapping {
                if *label == 0 {
                    continue; // "Unknown": vertices outside the set's ROIs
                }
                let vertices: Vec<usize> = labels
                    .iter()
                    .enumerate()
                    .filter(|(_, &l)| l == *label)
                    .map(|(v, _)| v)
                    .collect();
                if !vertices.is_empty() {
                    rois.push(Roi {
                        set: set.to_string(),
                        name: roi.clone(),
                        vertices,
                    });
                }
            }
        }
        Ok(rois)
    }

    /// The held-out test responses, noise ceilings and ROIs of every subject and hemisphere.
    /// Blocks are read in parallel; the first problem in (subject, hemisphere) order is reported,
    /// as a sequential pass would report it.
    pub fn load_truth(&self) -> Result<Truth, LayoutError> {
        let jobs: Vec<(&Subject, &String, usize)> = self
            .subjects
            .iter()
            .flat_map(|s| s.hemispheres.iter().map(move |(h, n)| (s, h, *n)))
            .collect();
        let loaded: Vec<Result<LoadedBlock, LayoutError>> = jobs
            .par_iter()
            .map(|&(s, hemi, n_vertices)| self.truth_block(s, hemi, n_vertices))
            .collect();
        let mut blocks = BTreeMap::new();
        let mut hashes = BTreeMap::new();
        let mut percent = None;
        for ((s, hemi, _), block) in jobs.into_iter().zip(loaded) {
            let LoadedBlock {
                fmri,
                nc,
                nc_path,
                is_percent,
                rois,
                hashes: block_hashes,
            } = block?;
            hashes.extend(block_hashes);
            if *percent.get_or_insert(is_percent) != is_percent {
                return Err(mismatch(
                    &nc_path,
                    "noise ceilings mix fractions and percentages across files",
                    "store all noise ceilings on one scale",
                ));
            }
            blocks.insert((s.id.clone(), hemi.clone()), TruthBlock { fmri, nc, rois });
        }
        let ceiling_source = if percent == Some(true) {
            "percent files"
        } else {
            "fraction files"
        }
        .to_string();
        Ok(Truth {
            blocks,
            hashes,
            ceiling_source,
        })
    }

    /// Reads, hashes and checks the truth of one subject and hemisphere. Each file is mapped once
    /// and both hashed and parsed from the mapping.
    fn truth_block(
        &self,
        s: &Subject,
        hemi: &str,
        n_vertices: usize,
    ) -> Result<LoadedBlock, LayoutError> {
        let fmri_path = s
            .dir
            .join(format!("test_split/test_fmri/{hemi}_test_fmri.npy"));
        let nc_path = s
            .dir
            .join(format!("test_split/noise_ceiling/{hemi}_noise_ceiling.npy"));
        let mut hashes = Vec::new();
        let mut files = Vec::new();
        for p in [&fmri_path, &nc_path] {
            if !p.exists() {
                return Err(mismatch(p, "held-out truth file missing", "scoring needs the organisers' test_fmri and noise_ceiling folders (not part of the public download)"));
            }
            let rel = p
                .strip_prefix(&self.root)
                .unwrap_or(p)
                .display()
                .to_string();
            let bytes = FileBytes::open(p)?;
            hashes.push((rel, sha256_hex(&bytes)));
            files.push(bytes);
        }
        let [fmri_bytes, nc_bytes] = &files[..] else {
            unreachable!("two files")
        };
        let fmri = load_2d(fmri_bytes, &fmri_path)?;
        if fmri.dim() != (s.test_images.len(), n_vertices) {
            return Err(mismatch(
                &fmri_path,
                format!(
                    "shape {:?}, expected ({}, {n_vertices}) = (test images, vertices)",
                    fmri.dim(),
                    s.test_images.len()
                ),
                "the truth must match the subject's test images and training vertices",
            ));
        }
        let nc = npy::from_bytes::<f64>(nc_bytes, &nc_path)
            .or_else(|_| npy::from_bytes::<f32>(nc_bytes, &nc_path).map(|a| a.mapv(f64::from)))?;
        let nc: Vec<f64> = nc.into_iter().collect();
        if nc.len() != n_vertices {
            return Err(mismatch(
                &nc_path,
                format!(
                    "{} values, expected {n_vertices} (one per vertex)",
                    nc.len()
                ),
                "use the noise ceiling of the same subject and hemisphere",
            ));
        }
        // The devkit's files hold percentages; SCIENCE.md's formula gives fractions.
        let is_percent = nc.iter().any(|&v| v > 1.0);
        let nc = if is_percent {
            nc.iter().map(|v| v / 100.0).collect()
        } else {
            nc
        };
        if let Some(v) = nc.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(mismatch(
                &nc_path,
                format!("vertex {v} has noise ceiling {} outside [0, 100] %", nc[v]),
                "noise ceilings are fractions in [0, 1] or percentages in [0, 100]",
            ));
        }
        let rois = self.rois(s, hemi, n_vertices)?;
        Ok(LoadedBlock {
            fmri,
            nc,
            nc_path,
            is_percent,
            rois,
            hashes,
        })
    }
}

/// One block of truth as [`Layout::truth_block`] reads it, before the checks across blocks.
struct LoadedBlock {
    fmri: F32Matrix,
    nc: Vec<f64>,
    nc_path: PathBuf,
    is_percent: bool,
    rois: Vec<Roi>,
    hashes: Vec<(String, String)>,
}

fn load_2d(bytes: &FileBytes, path: &Path) -> Result<F32Matrix, LayoutError> {
    let info = npy::parse_info(bytes, path)?;
    if info.shape.len() != 2 {
        return Err(mismatch(
            path,
            "expected a 2-D float32 array (images, vertices)",
            "use the files as the challenge distributes them",
        ));
    }
    Ok(F32Matrix::from_file_bytes(bytes, path)?)
}

/// Training responses are modified by trainers' preprocessing, so they are read into an owned
/// array.
fn load_train_2d(path: &Path) -> Result<Array2<f32>, LayoutError> {
    npy::read::<f32>(path)?
        .into_dimensionality::<Ix2>()
        .map_err(|_| {
            mismatch(
                path,
                "expected a 2-D float32 array (images, vertices)",
                "use the files as the challenge distributes them",
            )
        })
}
