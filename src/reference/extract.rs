//! CNN features of a reference's images, each distinct image computed once: the subjects of an
//! encoding benchmark often saw the same images under their own file names (the synthetic
//! cortex's four subjects share every image), so images are keyed by the SHA-256 of their bytes.

use crate::features::{self, preprocess::Preprocess, Extractor, FeaturesError, Pool};
use crate::io::hash::sha256_file;
use ndarray::{Array2, Axis};
use std::collections::HashMap;
use std::path::PathBuf;

/// The distinct images of several lists, and where each list's images are among them.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueImages {
    /// One path per distinct content, in first-seen order.
    pub paths: Vec<PathBuf>,
    /// For every list given, the row of each of its images in `paths`.
    pub rows: Vec<Vec<usize>>,
}

impl UniqueImages {
    /// Hashes every image of `lists` and keeps one path per distinct content.
    pub fn of(lists: &[&[PathBuf]]) -> Result<Self, FeaturesError> {
        let mut by_hash: HashMap<String, usize> = HashMap::new();
        let mut paths = Vec::new();
        let mut rows = Vec::with_capacity(lists.len());
        for list in lists {
            let mut r = Vec::with_capacity(list.len());
            for p in *list {
                let h = sha256_file(p)?;
                let next = paths.len();
                let row = *by_hash.entry(h).or_insert(next);
                if row == next {
                    paths.push(p.clone());
                }
                r.push(row);
            }
            rows.push(r);
        }
        Ok(UniqueImages { paths, rows })
    }
}

/// Every layer's features (images × features, rows in `images` order), flattened in C·H·W order.
pub fn layer_features(
    extractor: &Extractor,
    images: &[PathBuf],
    layers: &[String],
    input_size: usize,
    batch_size: usize,
) -> Result<Vec<Array2<f32>>, FeaturesError> {
    let pre = Preprocess::imagenet(input_size);
    let (mats, _, _, _) = features::extract(
        extractor,
        images,
        layers,
        &pre,
        Pool::None,
        batch_size,
        None,
    )?;
    Ok(mats)
}

/// The rows `rows` of `m`.
pub fn select_rows(m: &Array2<f32>, rows: &[usize]) -> Array2<f32> {
    m.select(Axis(0), rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_files_under_other_names_are_one_image() {
        let d = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = d.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let a = write("a.png", b"one");
        let b = write("b.png", b"two");
        let a2 = write("a-copy.png", b"one");
        let u = UniqueImages::of(&[&[a.clone(), b.clone()], &[a2, b.clone(), a.clone()]]).unwrap();
        assert_eq!(u.paths, vec![a, b]);
        assert_eq!(u.rows, vec![vec![0, 1], vec![0, 1, 0]]);
    }
}
