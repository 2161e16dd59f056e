//! `bench features`: parse, resolve [`FeaturesOptions`], call [`features::run`], print.

use super::DataArgs;
use brainbench::benchmark::spec::DataRoots;
use brainbench::features::{self, FeaturesOptions, ImageSource, Pool, WeightsChoice};
use brainbench::models::Architecture;
use brainbench::{Error, ExitStatus};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Spatial pooling (`--pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolArg {
    /// Every unit, flattened in C·H·W order.
    None,
    /// Mean over space per channel.
    Avg,
}

/// `bench features` options.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Network: alexnet, vgg16, resnet18, resnet50.
    #[arg(long)]
    pub model: String,
    /// Comma-separated layers by torchvision module path (features.29, layer3.5, avgpool, ...).
    #[arg(long, value_delimiter = ',', required = true)]
    pub layers: Vec<String>,
    /// A folder of PNG/JPEG images (rows in sorted file-name order).
    #[arg(
        long,
        conflicts_with = "benchmark",
        required_unless_present = "benchmark"
    )]
    pub images: Option<PathBuf>,
    /// A benchmark whose images to use (with --split).
    #[arg(long, requires = "split")]
    pub benchmark: Option<String>,
    /// The benchmark's split: train or test (RSA benchmarks: also an image set such as 92).
    #[arg(long, requires = "benchmark")]
    pub split: Option<String>,
    /// Output folder: LAYER.npy, images.txt, with --rdm LAYER_rdm.npy.
    #[arg(long)]
    pub out: PathBuf,
    /// Weights file (.safetensors or .pth, torchvision or timm naming) or a name in
    /// $BRAINBENCH_WEIGHTS (default: MODEL_features.safetensors there); hf:OWNER/REPO or hf:
    /// downloads timm's weights (builds with the `hub` feature only).
    #[arg(long, conflicts_with = "random_init")]
    pub weights: Option<String>,
    /// Random weights (torchvision's initialisation, seeded); the model is then named "random
    /// init" everywhere.
    #[arg(long)]
    pub random_init: bool,
    /// Seed of --random-init.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Input side in pixels: Resize(round(N·256/224)), CenterCrop(N).
    #[arg(long, default_value_t = 224)]
    pub input_size: usize,
    /// Spatial pooling of each layer.
    #[arg(long, value_enum, default_value_t = PoolArg::None)]
    pub pool: PoolArg,
    /// Also write each layer's RDM (1 - Pearson r), float64, images x images.
    #[arg(long)]
    pub rdm: bool,
    /// Images per forward pass.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Feature cache folder (default: DATA_DIR/feature-cache).
    #[arg(long, conflicts_with = "no_cache")]
    pub cache: Option<PathBuf>,
    /// Do not read or write the feature cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    /// Data location.
    pub data: DataArgs,
}

/// Runs `bench features`.
pub fn features_cmd(args: &FeaturesArgs) -> Result<ExitStatus, Error> {
    let arch = Architecture::parse(&args.model).ok_or_else(|| Error::Usage {
        problem: format!("unknown model `{}`", args.model),
        hint: format!(
            "choose one of: {}",
            Architecture::ALL.map(Architecture::name).join(", ")
        ),
    })?;
    let roots = DataRoots::resolve(args.data.data_dir.as_deref());
    let weights = if args.random_init {
        WeightsChoice::RandomInit { seed: args.seed }
    } else {
        WeightsChoice::File(
            args.weights
                .clone()
                .unwrap_or_else(|| format!("{}_features.safetensors", arch.name())),
        )
    };
    let images = match (&args.images, &args.benchmark, &args.split) {
        (Some(dir), _, _) => ImageSource::Dir(dir.clone()),
        (None, Some(name), Some(split)) => ImageSource::Benchmark {
            name: name.clone(),
            split: split.clone(),
        },
        _ => unreachable!("clap requires --images or --benchmark with --split"),
    };
    let cache = if args.no_cache {
        None
    } else {
        Some(
            args.cache
                .clone()
                .unwrap_or_else(|| roots.generated.join("feature-cache")),
        )
    };
    let opts = FeaturesOptions {
        arch,
        layers: args.layers.clone(),
        images,
        out: args.out.clone(),
        weights,
        input_size: args.input_size,
        pool: match args.pool {
            PoolArg::None => Pool::None,
            PoolArg::Avg => Pool::Avg,
        },
        rdm: args.rdm,
        batch_size: args.batch_size,
        cache,
        roots,
    };
    let report = features::run(&opts)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else {
        println!(
            "{}: {} images, {} computed, {} from the cache",
            report.model, report.images, report.computed, report.cache_hits
        );
        for l in &report.layers {
            println!(
                "  {:<14} {} x {}  -> {}",
                l.layer,
                l.shape[0],
                l.shape[1],
                l.file.display()
            );
        }
    }
    Ok(ExitStatus::Ok)
}
