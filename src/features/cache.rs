//! The on-disk feature cache: one float32 `.npy` per (network, weights, layer, preprocessing,
//! pooling, image) under `<dir>/<aa>/<key>.npy`, where `key` is the SHA-256 of those six
//! identifiers (the weights by their SHA-256 or random-init seed, the image by the SHA-256 of its
//! bytes) and `aa` its first two hex digits. Entries are written atomically, so a killed run
//! leaves no partial entry; the array's shape is the activation's unit shape (C, H, W), or
//! (C,) when pooled.

use crate::io::hash::sha256_hex;
use crate::io::{npy, IoError};
use crate::models::Architecture;
use ndarray::ArrayD;
use std::path::PathBuf;

/// One cached entry: the feature vector and its unit shape.
pub type Entry = (Vec<f32>, Vec<usize>);

/// A cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Opens (creating) the cache folder.
    pub fn open(dir: &std::path::Path) -> Result<Self, IoError> {
        std::fs::create_dir_all(dir).map_err(|e| IoError::Os {
            path: dir.to_path_buf(),
            source: e,
        })?;
        Ok(Cache {
            dir: dir.to_path_buf(),
        })
    }

    /// The key of one image's features.
    pub fn key(
        &self,
        arch: Architecture,
        weights: &str,
        layer: &str,
        preprocess: &str,
        pool: &str,
        image_sha256: &str,
    ) -> String {
        sha256_hex(
            format!(
                "brainbench-features-v1\n{}\n{weights}\n{layer}\n{preprocess}\n{pool}\n{image_sha256}",
                arch.name()
            )
            .as_bytes(),
        )
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.npy"))
    }

    /// The cached vector and its unit shape, if present.
    pub fn get(&self, key: &str) -> Result<Option<Entry>, IoError> {
        let p = self.path(key);
        if !p.is_file() {
            return Ok(None);
        }
        let a: ArrayD<f32> = npy::read(&p)?;
        let shape = a.shape().to_vec();
        Ok(Some((a.into_iter().collect(), shape)))
    }

    /// Stores a vector with its unit shape (atomically).
    pub fn put(&self, key: &str, v: &[f32], shape: &[usize]) -> Result<(), IoError> {
        let p = self.path(key);
        let dir = p.parent().expect("entry has a parent");
        std::fs::create_dir_all(dir).map_err(|e| IoError::Os {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let a =
            ArrayD::from_shape_vec(shape.to_vec(), v.to_vec()).map_err(|e| IoError::Format {
                path: p.clone(),
                problem: format!("{} values do not fill shape {shape:?}: {e}", v.len()),
                hint: "report this as a bug".into(),
            })?;
        npy::write(&p, a.view())
    }
}
