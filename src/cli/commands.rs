//! One function per subcommand: resolve settings, call one library function, hand its typed
//! report to [`render`], return the exit status.

use super::render;
use super::{Cli, Command, DataArgs, DataCommand, ScoreArgs};
use brainbench::benchmark::spec::{BenchmarkSpec, DataRoots, Track};
use brainbench::benchmark::synth::{self, SynthConfig};
use brainbench::leaderboard::{self, BoardStatus};
use brainbench::scoring::{self, ScoreOptions, ScoreOverrides};
use brainbench::{ceiling, demo, reference, submission, Error, ExitStatus};
use std::path::Path;

type CmdResult = Result<ExitStatus, Error>;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::Demo { json, out, data } => {
            let report = demo::run(&roots(&data), Path::new("submissions"), &out)?;
            render::demo(&report, json);
            Ok(ExitStatus::Ok)
        }
        Command::Data {
            what:
                DataCommand::Synth {
                    seed,
                    force,
                    json,
                    data,
                },
        } => {
            let cfg = SynthConfig {
                seed,
                ..SynthConfig::default()
            };
            let outcome = synth::ensure(&roots(&data).generated, &cfg, force)?;
            render::synth(&outcome, json);
            Ok(ExitStatus::Ok)
        }
        Command::Benchmarks { json, data } => {
            render::benchmarks(&brainbench::benchmark::status(&roots(&data))?, json);
            Ok(ExitStatus::Ok)
        }
        Command::Ceiling {
            benchmark,
            data,
            json,
            data_args,
        } => ceiling_cmd(&benchmark, data.as_deref(), json, &data_args),
        Command::Validate {
            benchmark,
            path,
            json,
            data,
        } => {
            let spec = benchmark_for(benchmark.as_deref(), &path)?;
            let report = submission::validate(&spec, &roots(&data), &path)?;
            render::validation(&path, &report, json);
            Ok(if report.is_valid() {
                ExitStatus::Ok
            } else {
                ExitStatus::InvalidInput
            })
        }
        Command::Score(args) => score_cmd(&args),
        Command::Leaderboard {
            json,
            check,
            submissions,
            out,
        } => {
            let report = leaderboard::update(&submissions, &out, check)?;
            render::board(&report, json);
            Ok(match report.status {
                BoardStatus::Stale => ExitStatus::BelowGate,
                BoardStatus::UpToDate | BoardStatus::Written => ExitStatus::Ok,
            })
        }
        Command::Baselines {
            json,
            submissions,
            data,
        } => {
            let outcomes = reference::write_all(&roots(&data), &submissions)?;
            render::built_in(&outcomes, json);
            Ok(ExitStatus::Ok)
        }
        Command::Features(args) => super::features::features_cmd(&args),
        Command::Train(args) => super::train::train_cmd(&args),
    }
}

fn roots(data: &DataArgs) -> DataRoots {
    DataRoots::resolve(data.data_dir.as_deref())
}

fn ceiling_cmd(name: &str, data: Option<&Path>, json: bool, data_args: &DataArgs) -> CmdResult {
    let spec = BenchmarkSpec::built_in(name)?;
    let root = match data {
        Some(d) => d.to_path_buf(),
        None => spec.require_data_dir(&roots(data_args))?,
    };
    match &spec.track {
        Track::Rsa(rsa) => {
            let mut sets = rsa.train_sets.clone();
            sets.push(rsa.test_set.clone());
            let rows = ceiling::rdm_ceilings(&root, &sets, &rsa.targets)?;
            render::rdm_ceilings(&root, &rows, json);
        }
        Track::Encoding(_) => {
            let rows = ceiling::encoding_ceilings(&root)?;
            render::encoding_ceilings(&root, &rows, json);
        }
    }
    Ok(ExitStatus::Ok)
}

/// The benchmark for `path`: the flag, else the manifest's `benchmark`.
fn benchmark_for(flag: Option<&str>, path: &Path) -> Result<BenchmarkSpec, Error> {
    match flag {
        Some(name) => Ok(BenchmarkSpec::built_in(name)?),
        None if path.is_dir() => {
            let manifest = submission::Manifest::read(path)?;
            Ok(BenchmarkSpec::built_in(&manifest.benchmark)?)
        }
        None => Err(Error::Usage {
            problem: format!(
                "{}: no --benchmark given and no submission.toml to read it from",
                path.display()
            ),
            hint: "pass --benchmark NAME (see `bench benchmarks`)".into(),
        }),
    }
}

fn overrides(args: &ScoreArgs) -> ScoreOverrides {
    ScoreOverrides {
        seed: args.seed,
        resamples: args.bootstrap,
        interval: args.interval,
        rsa_bootstrap: args.rsa_bootstrap,
    }
}

fn score_cmd(args: &ScoreArgs) -> CmdResult {
    let roots = DataRoots::resolve(args.data.data_dir.as_deref());
    if args.all {
        let benchmark = args
            .benchmark
            .as_deref()
            .map(BenchmarkSpec::built_in)
            .transpose()?;
        let report = scoring::score_all(
            &args.submissions,
            &roots,
            benchmark.as_ref(),
            &overrides(args),
            args.check,
        )?;
        render::score_all(&report, args.check, args.json);
        return Ok(report.exit_status());
    }
    let dir = args
        .path
        .as_deref()
        .expect("clap requires a path without --all");
    let spec = benchmark_for(args.benchmark.as_deref(), dir)?;
    let opts = ScoreOptions::for_benchmark(&spec, &overrides(args));
    let report = scoring::score_one(&spec, &roots, dir, &opts)?;
    let out = args.out.clone().unwrap_or_else(|| dir.join("score.json"));
    scoring::write_report(&out, &report)?;
    render::score(&report, &out, args.json);
    Ok(match args.min_score {
        Some(min) if report.headline.value < min => {
            eprintln!(
                "score {:.4} is below --min-score {min}",
                report.headline.value
            );
            ExitStatus::BelowGate
        }
        _ => ExitStatus::Ok,
    })
}
