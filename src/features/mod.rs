//! Feature extraction (`bench features`): images → torchvision preprocessing → a network from
//! [`crate::models`] → the activations of chosen layers, one float32 matrix (images × features)
//! per layer, optionally average-pooled over space and turned into RDMs.
//!
//! * [`preprocess`]: torchvision's `Resize`/`CenterCrop`/`ToTensor`/`Normalize` with Pillow's
//!   antialiased bilinear resize, bit for bit.
//! * [`cache`]: an on-disk cache of each image's features, keyed by network, weights hash, layer,
//!   preprocessing, pooling and image hash.
//! * [`extract`]: batched extraction through the cache; [`run`]: the whole command, returning a
//!   serialisable [`FeaturesReport`].

pub mod cache;
pub mod preprocess;

use crate::benchmark::spec::{BenchmarkSpec, DataRoots, SpecError, Track};
use crate::io::IoError;
use crate::metrics::rdm::{Dissimilarity, Rdm};
use crate::models::weights::{Origin, Weights, WeightsError};
use crate::models::{resolve_layers, Architecture, ModelError, Network};
use cache::Cache;
use candle_core::Tensor;
use ndarray::Array2;
use preprocess::Preprocess;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// An error of feature extraction. Every variant but `Internal` is a user error.
#[derive(Debug, thiserror::Error)]
pub enum FeaturesError {
    /// Building or running the network failed (unknown layer, input too small, ...).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The weights could not be found, read or matched to the network.
    #[error(transparent)]
    Weights(Box<WeightsError>),
    /// An image or output file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The benchmark is unknown or its data absent.
    #[error(transparent)]
    Benchmark(#[from] SpecError),
    /// An option is invalid.
    #[error("{problem}\n  hint: {hint}")]
    Invalid {
        /// What is wrong.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

impl From<WeightsError> for FeaturesError {
    fn from(e: WeightsError) -> Self {
        FeaturesError::Weights(Box::new(e))
    }
}

impl FeaturesError {
    fn invalid(problem: impl Into<String>, hint: impl Into<String>) -> Self {
        FeaturesError::Invalid {
            problem: problem.into(),
            hint: hint.into(),
        }
    }

    /// The exit status this error maps to: 3 for a failure inside candle, 2 for anything about
    /// the user's options, images or weights.
    pub fn exit_status(&self) -> crate::ExitStatus {
        if self.is_internal() {
            crate::ExitStatus::Internal
        } else {
            crate::ExitStatus::InvalidInput
        }
    }

    /// Whether the error is a bug or an environment failure rather than bad input.
    pub fn is_internal(&self) -> bool {
        matches!(self, FeaturesError::Model(ModelError::Candle(_)))
            || matches!(self, FeaturesError::Weights(e) if matches!(**e, WeightsError::Candle(_)))
    }
}

/// Result of this module.
pub type Result<T> = std::result::Result<T, FeaturesError>;

/// Spatial pooling of a layer's activation before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    /// Every unit, flattened in torch's C·H·W order.
    #[default]
    None,
    /// The mean over space of each channel (C features); fully connected layers unchanged.
    Avg,
}

impl Pool {
    fn name(self) -> &'static str {
        match self {
            Pool::None => "none",
            Pool::Avg => "avg",
        }
    }
}

/// Which weights to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsChoice {
    /// A file path, or a name looked up in `$BRAINBENCH_WEIGHTS`.
    File(String),
    /// torchvision's initialisation from a seeded generator (`--random-init`).
    RandomInit {
        /// The seed.
        seed: u64,
    },
}

/// Where the images come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// Every PNG/JPEG file of a folder, in sorted file-name order.
    Dir(PathBuf),
    /// A benchmark's images of a split (`train` or `test`; for RSA benchmarks also an image-set
    /// name such as `92`).
    Benchmark {
        /// The benchmark's name.
        name: String,
        /// The split.
        split: String,
    },
}

/// The options of `bench features`.
#[derive(Debug, Clone)]
pub struct FeaturesOptions {
    /// The network.
    pub arch: Architecture,
    /// The layers, by torchvision module path.
    pub layers: Vec<String>,
    /// The images.
    pub images: ImageSource,
    /// The output folder.
    pub out: PathBuf,
    /// The weights.
    pub weights: WeightsChoice,
    /// Input side in pixels (224 for ImageNet networks).
    pub input_size: usize,
    /// Spatial pooling.
    pub pool: Pool,
    /// Also write each layer's RDM (1 - Pearson r) as `<layer>_rdm.npy`.
    pub rdm: bool,
    /// Images per forward pass.
    pub batch_size: usize,
    /// Feature cache folder (`None`: no cache).
    pub cache: Option<PathBuf>,
    /// Data roots for `ImageSource::Benchmark`.
    pub roots: DataRoots,
}

/// One written layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReport {
    /// The layer.
    pub layer: String,
    /// The feature matrix file.
    pub file: PathBuf,
    /// Its shape (images, features).
    pub shape: [usize; 2],
    /// The shape of one image's features before flattening: (C, H, W) for a convolutional
    /// layer, (C,) when average-pooled, (features,) for a fully connected layer.
    pub unit_shape: Vec<usize>,
    /// The RDM file, with `--rdm`.
    pub rdm_file: Option<PathBuf>,
}

/// What `bench features` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeaturesReport {
    /// The network's display name (says "random init" for random weights).
    pub model: String,
    /// The architecture.
    pub architecture: Architecture,
    /// Where the weights came from, with their SHA-256 or seed.
    pub weights: Origin,
    /// The preprocessing.
    pub preprocess: Preprocess,
    /// The pooling.
    pub pool: Pool,
    /// Number of images.
    pub images: usize,
    /// The file listing the images, one per line, in row order.
    pub images_file: PathBuf,
    /// Per-image feature vectors read from the cache.
    pub cache_hits: usize,
    /// Per-image feature vectors computed.
    pub computed: usize,
    /// The layers written.
    pub layers: Vec<LayerReport>,
}

/// The PNG/JPEG files of a folder in sorted file-name order; an empty folder is an error.
pub fn images_in_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IoError::os(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg")
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(FeaturesError::invalid(
            format!("{}: no PNG or JPEG images in the folder", dir.display()),
            "point --images at a folder of .png/.jpg files",
        ));
    }
    Ok(files)
}

/// A benchmark's images of a split, with the names listed in `images.txt` (paths relative to
/// the benchmark's data folder). RSA: `test` is the test set, `train` the training sets in the
/// benchmark's order, or one set by name. Encoding: every subject's images of the split,
/// subject by subject.
pub fn benchmark_images(
    name: &str,
    split: &str,
    roots: &DataRoots,
) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let spec = BenchmarkSpec::built_in(name)?;
    let root = spec.require_data_dir(roots)?;
    let files: Vec<PathBuf> = match &spec.track {
        Track::Rsa(rsa) => {
            let sets: Vec<String> = match split {
                "train" => rsa.train_sets.clone(),
                "test" => vec![rsa.test_set.clone()],
                s if rsa.train_sets.iter().any(|t| t == s) || rsa.test_set == s => {
                    vec![s.to_string()]
                }
                other => {
                    return Err(FeaturesError::invalid(
                        format!("unknown split `{other}` for {name}"),
                        format!(
                            "use train, test or an image set ({}, {})",
                            rsa.train_sets.join(", "),
                            rsa.test_set
                        ),
                    ))
                }
            };
            let mut v = Vec::new();
            for s in sets {
                v.extend(
                    crate::benchmark::algonauts2019::images(&root, &s).map_err(|e| {
                        FeaturesError::invalid(e.to_string(), "check the benchmark's data folder")
                    })?,
                );
            }
            v
        }
        Track::Encoding(_) => {
            let layout = crate::benchmark::algonauts2023::Layout::discover(&root).map_err(|e| {
                FeaturesError::invalid(e.to_string(), "check the benchmark's data folder")
            })?;
            match split {
                "train" => layout
                    .subjects
                    .iter()
                    .flat_map(|s| s.train_images.clone())
                    .collect(),
                "test" => layout
                    .subjects
                    .iter()
                    .flat_map(|s| s.test_images.clone())
                    .collect(),
                other => {
                    return Err(FeaturesError::invalid(
                        format!("unknown split `{other}` for {name}"),
                        "use train or test",
                    ))
                }
            }
        }
    };
    if files.is_empty() {
        return Err(FeaturesError::invalid(
            format!(
                "{name}: no images in split `{split}` under {}",
                root.display()
            ),
            "check the benchmark's data folder",
        ));
    }
    let names = files
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    Ok((files, names))
}

/// A network with its weights, ready to extract features.
#[derive(Debug)]
pub struct Extractor {
    /// The network.
    pub network: Network,
    /// Where its weights came from.
    pub origin: Origin,
}

impl Extractor {
    /// Loads the weights and builds the network; `layers` decides which optional tensors (a
    /// classifier) must be present.
    pub fn new(arch: Architecture, weights: &WeightsChoice, layers: &[String]) -> Result<Self> {
        let deepest = resolve_layers(arch, layers)?.into_iter().max().unwrap_or(0);
        let w = match weights {
            WeightsChoice::RandomInit { seed } => Weights::random(arch, *seed)?,
            WeightsChoice::File(name) => {
                let path = crate::models::weights::resolve(name, arch)?;
                Weights::from_file(arch, &path, deepest)?
            }
        };
        Ok(Extractor {
            network: Network::new(arch, w.var_builder())?,
            origin: w.origin,
        })
    }

    /// The display name (says "random init" for random weights).
    pub fn name(&self) -> String {
        self.origin.display_name(self.network.architecture())
    }
}

/// Converts a preprocessed batch to a candle tensor (batch, 3, side, side).
fn to_tensor(batch: &[ndarray::Array3<f32>]) -> candle_core::Result<Tensor> {
    let side = batch[0].dim().1;
    let mut flat = Vec::with_capacity(batch.len() * 3 * side * side);
    for a in batch {
        flat.extend(a.iter().copied());
    }
    Tensor::from_vec(
        flat,
        (batch.len(), 3, side, side),
        &candle_core::Device::Cpu,
    )
}

fn rows(t: &Tensor, pool: Pool) -> candle_core::Result<(Array2<f32>, Vec<usize>)> {
    let t = match pool {
        Pool::Avg if t.rank() == 4 => t.mean((2, 3))?,
        _ => t.clone(),
    };
    let unit_shape = t.dims()[1..].to_vec();
    let t = t.flatten_from(1)?;
    let (b, f) = t.dims2()?;
    let v: Vec<f32> = t.flatten_all()?.to_vec1()?;
    Ok((
        Array2::from_shape_vec((b, f), v).expect("tensor size matches"),
        unit_shape,
    ))
}

/// The features of `images` for each of `layers` (one matrix per layer, rows in `images`'
/// order), in batches of `batch_size`, through `cache` when given. Returns the matrices, the
/// unit shapes, and the numbers of cache hits and computed image-layer vectors.
#[allow(clippy::type_complexity)]
pub fn extract(
    ex: &Extractor,
    images: &[PathBuf],
    layers: &[String],
    pre: &Preprocess,
    pool: Pool,
    batch_size: usize,
    cache: Option<&Cache>,
) -> Result<(Vec<Array2<f32>>, Vec<Vec<usize>>, usize, usize)> {
    let arch = ex.network.architecture();
    if let Err(layer) = arch.check_input_side(pre.crop) {
        return Err(ModelError::InputTooSmall {
            network: arch.name().to_string(),
            side: pre.crop,
            layer,
            min_side: arch.min_input_side(),
        }
        .into());
    }
    resolve_layers(arch, layers)?;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(images.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} images ({eta})")
            .expect("valid template"),
    );
    bar.set_message(format!("{} features", ex.name()));
    let mut per_image: Vec<Vec<Option<Vec<f32>>>> = vec![vec![None; layers.len()]; images.len()];
    let mut unit_shapes: Vec<Option<Vec<usize>>> = vec![None; layers.len()];
    let (mut hits, mut computed) = (0, 0);
    let keys: Vec<Vec<String>> = match cache {
        Some(c) => images
            .iter()
            .map(|p| {
                let img = crate::io::hash::sha256_file(p)?;
                Ok(layers
                    .iter()
                    .map(|l| c.key(arch, &ex.origin.key(), l, &pre.key(), pool.name(), &img))
                    .collect())
            })
            .collect::<Result<_>>()?,
        None => vec![Vec::new(); images.len()],
    };
    let batch_size = batch_size.max(1);
    for start in (0..images.len()).step_by(batch_size) {
        let end = (start + batch_size).min(images.len());
        let mut todo = Vec::new();
        for i in start..end {
            if let Some(c) = cache {
                for (j, key) in keys[i].iter().enumerate() {
                    if let Some((v, shape)) = c.get(key)? {
                        per_image[i][j] = Some(v);
                        unit_shapes[j].get_or_insert(shape);
                        hits += 1;
                    }
                }
            }
            if per_image[i].iter().any(Option::is_none) {
                todo.push(i);
            }
        }
        if !todo.is_empty() {
            let pre_imgs = todo
                .iter()
                .map(|&i| Ok(pre.apply(crate::io::image::read_rgb(&images[i])?.view())))
                .collect::<Result<Vec<_>>>()?;
            let x = to_tensor(&pre_imgs).map_err(ModelError::from)?;
            let outs = ex.network.forward_layers(&x, layers)?;
            for (j, t) in outs.iter().enumerate() {
                let (m, shape) = rows(t, pool).map_err(ModelError::from)?;
                for (r, &i) in todo.iter().enumerate() {
                    if per_image[i][j].is_none() {
                        let v = m.row(r).to_vec();
                        if let Some(c) = cache {
                            c.put(&keys[i][j], &v, &shape)?;
                        }
                        per_image[i][j] = Some(v);
                        computed += 1;
                    }
                }
                unit_shapes[j].get_or_insert(shape);
            }
        }
        bar.inc((end - start) as u64);
    }
    bar.finish_and_clear();
    let mats = (0..layers.len())
        .map(|j| {
            let f = per_image[0][j].as_ref().map_or(0, Vec::len);
            let mut m = Array2::zeros((images.len(), f));
            for (i, row) in per_image.iter().enumerate() {
                let v = row[j].as_ref().expect("every vector filled");
                m.row_mut(i)
                    .assign(&ndarray::ArrayView1::from(v.as_slice()));
            }
            m
        })
        .collect();
    let shapes = unit_shapes
        .into_iter()
        .map(|s| s.unwrap_or_default())
        .collect();
    Ok((mats, shapes, hits, computed))
}

/// `bench features`: loads the network and images, extracts the layers through the cache and
/// writes `<out>/<layer>.npy` (float32, images × features), `<out>/images.txt`, and with `rdm`
/// `<out>/<layer>_rdm.npy` (float64, images × images, 1 - Pearson r).
pub fn run(opts: &FeaturesOptions) -> Result<FeaturesReport> {
    if opts.layers.is_empty() {
        return Err(FeaturesError::invalid(
            "no layers requested",
            format!(
                "pass --layers with names such as {}",
                opts.arch.layer_names()[..3].join(",")
            ),
        ));
    }
    resolve_layers(opts.arch, &opts.layers)?;
    let pre = Preprocess::imagenet(opts.input_size);
    if let Err(layer) = opts.arch.check_input_side(opts.input_size) {
        return Err(ModelError::InputTooSmall {
            network: opts.arch.name().to_string(),
            side: opts.input_size,
            layer,
            min_side: opts.arch.min_input_side(),
        }
        .into());
    }
    let (files, names) = match &opts.images {
        ImageSource::Dir(d) => {
            let files = images_in_dir(d)?;
            let names = files
                .iter()
                .map(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            (files, names)
        }
        ImageSource::Benchmark { name, split } => benchmark_images(name, split, &opts.roots)?,
    };
    if opts.rdm && files.len() < 3 {
        return Err(FeaturesError::invalid(
            format!("--rdm needs at least 3 images, found {}", files.len()),
            "add images or drop --rdm",
        ));
    }
    let ex = Extractor::new(opts.arch, &opts.weights, &opts.layers)?;
    let cache = match &opts.cache {
        Some(dir) => Some(Cache::open(dir)?),
        None => None,
    };
    let (mats, shapes, hits, computed) = extract(
        &ex,
        &files,
        &opts.layers,
        &pre,
        opts.pool,
        opts.batch_size,
        cache.as_ref(),
    )?;
    std::fs::create_dir_all(&opts.out).map_err(|e| IoError::os(&opts.out, e))?;
    let images_file = opts.out.join("images.txt");
    let mut listing = names.join("\n");
    listing.push('\n');
    crate::io::atomic::write_atomic(&images_file, listing.as_bytes())?;
    let mut layers = Vec::new();
    for ((layer, m), unit_shape) in opts.layers.iter().zip(&mats).zip(shapes) {
        let file = opts.out.join(format!("{layer}.npy"));
        crate::io::npy::write(&file, m.view().into_dyn())?;
        let rdm_file = if opts.rdm {
            let rdm = Rdm::from_patterns(m.view(), Dissimilarity::Correlation).map_err(|e| {
                FeaturesError::invalid(
                    format!("layer {layer}: cannot compute its RDM: {e}"),
                    "pick another layer (a constant pattern has no correlation distance)",
                )
            })?;
            let f = opts.out.join(format!("{layer}_rdm.npy"));
            crate::io::npy::write(&f, rdm.to_square().view().into_dyn())?;
            Some(f)
        } else {
            None
        };
        layers.push(LayerReport {
            layer: layer.clone(),
            file,
            shape: [m.nrows(), m.ncols()],
            unit_shape,
            rdm_file,
        });
    }
    Ok(FeaturesReport {
        model: ex.name(),
        architecture: opts.arch,
        weights: ex.origin.clone(),
        preprocess: pre,
        pool: opts.pool,
        images: files.len(),
        images_file,
        cache_hits: hits,
        computed,
        layers,
    })
}
