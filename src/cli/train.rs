//! `bench train`: parse, resolve [`TrainOptions`], call [`train::train`] or
//! [`train::train_all`], print.

use super::DataArgs;
use brainbench::benchmark::spec::DataRoots;
use brainbench::device::DeviceChoice;
use brainbench::reference::config::ReferenceConfig;
use brainbench::reference::learned::LoopOverrides;
use brainbench::reference::train::{self, TrainAllEntry, TrainOptions, TrainOutcome, TrainReport};
use brainbench::{Error, ExitStatus};
use clap::Args;
use std::path::PathBuf;

/// `bench train` options.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The reference (`reference/<NAME>.toml`): ridge-resnet50, ridge-vgg16, devkit-alexnet,
    /// layer-rdm-alexnet, layer-rdm-vgg16, layer-rdm-resnet50, siamese-vgg16, cnn-scratch.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub name: Option<String>,
    /// Train every reference for each of its benchmarks whose data is present.
    #[arg(long)]
    pub all: bool,
    /// With --all: comma-separated references not to train (CI skips those whose committed
    /// predictions are checked by an `--ignored` retraining test).
    #[arg(long, value_delimiter = ',', requires = "all")]
    pub skip: Vec<String>,
    /// The benchmark (required for one reference; with --all, only this benchmark).
    #[arg(long, required_unless_present = "all")]
    pub benchmark: Option<String>,
    /// Weights file (.safetensors or .pth) or a name in $BRAINBENCH_WEIGHTS, instead of the
    /// reference's.
    #[arg(long, conflicts_with = "random_init")]
    pub weights: Option<String>,
    /// A seeded random initialisation instead of trained weights (the model is then named
    /// "random init" everywhere).
    #[arg(long)]
    pub random_init: bool,
    /// Seed, instead of the reference's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Comma-separated layers instead of the reference's (an unknown one lists the valid ones).
    #[arg(long, value_delimiter = ',', conflicts_with = "all")]
    pub layers: Option<Vec<String>>,
    /// Output folder (default: SUBMISSIONS/NAME--BENCHMARK).
    #[arg(long, conflicts_with = "all")]
    pub out: Option<PathBuf>,
    /// Replace an output folder that holds another submission.
    #[arg(long)]
    pub force: bool,
    /// Epochs, instead of the reference's (trained references: siamese-vgg16, cnn-scratch).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Training examples per batch, instead of the reference's (trained references).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Learning rate, instead of the reference's (trained references).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Continue from the checkpoints of an earlier run in the output folder's `.checkpoints/`
    /// (bit-identical to an uninterrupted run on the CPU).
    #[arg(long)]
    pub resume: bool,
    /// Where trained references train: auto (a GPU when this build has the `cuda` feature and
    /// candle sees one, else the CPU), cpu, or cuda.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Folder of submissions.
    #[arg(long, default_value = "submissions")]
    pub submissions: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    /// Data location.
    pub data: DataArgs,
}

/// Runs `bench train`.
pub fn train_cmd(args: &TrainArgs) -> Result<ExitStatus, Error> {
    let opts = TrainOptions {
        benchmark: args.benchmark.clone().unwrap_or_default(),
        weights: args.weights.clone(),
        random_init: args.random_init,
        seed: args.seed,
        layers: args.layers.clone(),
        out: args.out.clone(),
        force: args.force,
        overrides: LoopOverrides {
            epochs: args.epochs,
            batch_size: args.batch_size,
            lr: args.lr,
        },
        resume: args.resume,
        device: args.device,
        random_init_if_missing: false,
        roots: DataRoots::resolve(args.data.data_dir.as_deref()),
        submissions: args.submissions.clone(),
    };
    if args.all {
        let entries = train::train_all(&opts, args.benchmark.as_deref(), &args.skip)?;
        let failed = entries
            .iter()
            .any(|e| matches!(e.outcome, TrainOutcome::Failed { .. }));
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&entries).expect("serialisable")
            );
        } else {
            entries.iter().for_each(print_entry);
        }
        return Ok(if failed {
            ExitStatus::InvalidInput
        } else {
            ExitStatus::Ok
        });
    }
    let name = args
        .name
        .as_deref()
        .expect("clap requires NAME without --all");
    let cfg = ReferenceConfig::built_in(name).map_err(train::TrainError::from)?;
    let report = train::train(&cfg, &opts)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else {
        print_report(&report);
    }
    Ok(ExitStatus::Ok)
}

/// One line (or block) per reference of `bench train --all` and `bench demo`.
pub fn print_entry(e: &TrainAllEntry) {
    match &e.outcome {
        TrainOutcome::Trained(report) => print_report(report),
        TrainOutcome::Skipped { reason } => {
            println!("{} for {}: skipped ({reason})", e.reference, e.benchmark)
        }
        TrainOutcome::Failed { error, .. } => {
            eprintln!("{} for {}: FAILED\n  {error}", e.reference, e.benchmark)
        }
    }
}

fn print_report(r: &TrainReport) {
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{} for {}: {} -> {} ({} files, {:.1} s)",
        r.reference,
        r.benchmark,
        r.model,
        r.out.display(),
        r.written.len(),
        r.record.wall_seconds
    );
    println!(
        "  weights {} ({}), input {} px, layers {}",
        r.record.weights,
        r.record
            .weights_sha256
            .as_deref()
            .map_or("no file", |h| &h[..12]),
        r.record.input_size,
        r.record.layers.join(", ")
    );
    if let Some(choice) = &r.layer_choice {
        for (roi, scores) in &choice.training_r2 {
            let row: Vec<String> = choice
                .layers
                .iter()
                .zip(scores)
                .map(|(l, s)| format!("{l} {s:.4}"))
                .collect();
            println!(
                "  {roi}: chose {} (training mean rho^2: {})",
                choice.chosen[roi],
                row.join(", ")
            );
        }
    }
    for (unit, e) in &r.epochs {
        let layer = r
            .chosen_layers
            .get(unit)
            .map_or(String::new(), |l| format!("{l}, "));
        println!(
            "  {unit}: {layer}best epoch {} (validation {:.4})",
            e.epoch, e.validation
        );
    }
    for (roi, layers) in &r.candidates {
        let row: Vec<String> = layers
            .iter()
            .map(|c| format!("{} {:.4} -> {:.4}", c.layer, c.untrained, c.trained))
            .collect();
        println!(
            "  {roi}: held-out Spearman r, untrained -> trained: {}",
            row.join(", ")
        );
    }
    if let Some(log) = &r.log {
        println!("  training log: {}", log.display());
    }
    for (subject, info) in &r.readouts {
        match info.median_alpha {
            Some(a) => println!(
                "  {subject}: {} columns, median alpha {a:.3e}",
                info.features
            ),
            None => println!("  {subject}: {} columns", info.features),
        }
    }
}
