//! One function per subcommand.

use super::{Cli, Command, DataArgs, DataCommand, ExitStatus, Failure, ScoreArgs};
use crate::benchmark::spec::{BenchmarkSpec, DataRoots, Kind, Layout};
use crate::io::atomic::write_atomic;
use crate::report::ScoreReport;
use crate::scoring::{self, ScoreOptions};
use crate::{ceiling, leaderboard, submission};
use std::path::{Path, PathBuf};

type CmdResult = Result<ExitStatus, Failure>;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::Demo { data } => demo(&data),
        Command::Data {
            what: DataCommand::Synth { seed, force, data },
        } => synth(seed, force, &data),
        Command::Benchmarks { json, data } => benchmarks(json, &data),
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
        } => validate_cmd(benchmark.as_deref(), &path, json, &data),
        Command::Score(args) => score_cmd(&args),
        Command::Leaderboard {
            check,
            submissions,
            out,
        } => leaderboard_cmd(check, &submissions, &out),
        Command::Baselines { submissions, data } => baselines(&submissions, &data),
        Command::Features(args) => super::features::features_cmd(&args),
    }
}

fn spec(name: &str) -> Result<BenchmarkSpec, Failure> {
    BenchmarkSpec::built_in(name).map_err(Failure::invalid)
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable")
    );
}

fn benchmarks(json: bool, data: &DataArgs) -> CmdResult {
    let roots = DataRoots::resolve(data.data_dir.as_deref());
    let specs = BenchmarkSpec::all().map_err(Failure::internal)?;
    let rows: Vec<serde_json::Value> = specs
        .iter()
        .map(|s| {
            let dir = s.data_dir(&roots);
            serde_json::json!({
                "name": s.name,
                "kind": s.kind,
                "layout": s.layout,
                "data_dir": dir.as_ref().map(|d| d.display().to_string()),
                "present": dir.as_ref().is_some_and(|d| d.is_dir()),
                "needs": s.looked_for(),
                "how_to_get": s.data.how_to_get,
            })
        })
        .collect();
    if json {
        print_json(&rows);
        return Ok(ExitStatus::Ok);
    }
    let mut b = tabled::builder::Builder::default();
    b.push_record(["benchmark", "kind", "data", "present", "how to get it"]);
    for (s, row) in specs.iter().zip(&rows) {
        b.push_record([
            s.name.clone(),
            format!("{:?}", s.kind).to_lowercase(),
            row["data_dir"]
                .as_str()
                .unwrap_or("$BRAINBENCH_DATA unset")
                .to_string(),
            if row["present"].as_bool() == Some(true) {
                "yes".into()
            } else {
                "no".into()
            },
            s.data.how_to_get.clone(),
        ]);
    }
    println!("{}", b.build().with(tabled::settings::Style::sharp()));
    Ok(ExitStatus::Ok)
}

fn ceiling_cmd(name: &str, data: Option<&Path>, json: bool, data_args: &DataArgs) -> CmdResult {
    let spec = spec(name)?;
    let roots = DataRoots::resolve(data_args.data_dir.as_deref());
    let root = match data {
        Some(d) => d.to_path_buf(),
        None => spec.require_data_dir(&roots).map_err(Failure::invalid)?,
    };
    match (spec.layout, &spec.rsa) {
        (Layout::Algonauts2019, Some(rsa)) => {
            let mut sets = rsa.train_sets.clone();
            sets.push(rsa.test_set.clone());
            let rows =
                ceiling::rdm_ceilings(&root, &sets, &rsa.targets).map_err(Failure::invalid)?;
            if json {
                print_json(&rows);
            } else {
                let mut b = tabled::builder::Builder::default();
                b.push_record([
                    "image set",
                    "ROI",
                    "images",
                    "subjects",
                    "upper bound",
                    "lower bound",
                ]);
                for r in &rows {
                    b.push_record([
                        r.image_set.clone(),
                        r.roi.clone(),
                        r.images.to_string(),
                        r.subjects.to_string(),
                        format!("{:.4}", r.upper),
                        r.lower.map_or_else(|| "—".into(), |l| format!("{l:.4}")),
                    ]);
                }
                println!(
                    "RDM noise ceilings (squared Spearman, mean over subjects) of {}",
                    root.display()
                );
                println!("{}", b.build().with(tabled::settings::Style::sharp()));
            }
            Ok(ExitStatus::Ok)
        }
        _ => {
            let summary = ceiling::encoding_ceilings(&root).map_err(Failure::invalid)?;
            if json {
                print_json(&summary);
            } else {
                let mut b = tabled::builder::Builder::default();
                b.push_record([
                    "subject",
                    "hemisphere",
                    "vertices",
                    "mean NC (%)",
                    "median NC (%)",
                    "NC == 0",
                ]);
                for r in &summary {
                    b.push_record([
                        r.subject.clone(),
                        r.hemisphere.clone(),
                        r.vertices.to_string(),
                        format!("{:.2}", r.mean_percent),
                        format!("{:.2}", r.median_percent),
                        r.zero.to_string(),
                    ]);
                }
                println!(
                    "Noise ceilings (ncsnr, held-out test split) of {}",
                    root.display()
                );
                println!("{}", b.build().with(tabled::settings::Style::sharp()));
            }
            Ok(ExitStatus::Ok)
        }
    }
}

fn synth(seed: u64, force: bool, data: &DataArgs) -> CmdResult {
    let roots = DataRoots::resolve(data.data_dir.as_deref());
    let spec = spec("synthetic-cortex")?;
    let target = spec
        .data_dir(&roots)
        .expect("generated data always has a folder");
    if target.is_dir() && !force {
        eprintln!(
            "{} already exists (use --force to regenerate)",
            target.display()
        );
        return Ok(ExitStatus::Ok);
    }
    std::fs::create_dir_all(&roots.generated)
        .map_err(|e| Failure::invalid(crate::io::IoError::os(&roots.generated, e)))?;
    let cfg = crate::benchmark::synth::SynthConfig {
        seed,
        ..Default::default()
    };
    let report =
        crate::benchmark::synth::generate(&roots.generated, &cfg).map_err(Failure::internal)?;
    eprintln!("wrote {}", target.display());
    print_json(&report);
    Ok(ExitStatus::Ok)
}

/// The benchmark for `path`: the flag, else the manifest's `benchmark`.
fn benchmark_for(flag: Option<&str>, path: &Path) -> Result<BenchmarkSpec, Failure> {
    match flag {
        Some(name) => spec(name),
        None if path.is_dir() => {
            let manifest = submission::Manifest::read(path).map_err(Failure::invalid)?;
            spec(&manifest.benchmark)
        }
        None => Err(Failure::invalid(anyhow::anyhow!(
            "{}: no --benchmark given and no submission.toml to read it from\n  hint: pass --benchmark NAME (see `bench benchmarks`)",
            path.display()
        ))),
    }
}

fn validate_cmd(benchmark: Option<&str>, path: &Path, json: bool, data: &DataArgs) -> CmdResult {
    let spec = benchmark_for(benchmark, path)?;
    let roots = DataRoots::resolve(data.data_dir.as_deref());
    let report = scoring::validate(&spec, &roots, path).map_err(Failure::invalid)?;
    if json {
        print_json(&report);
    } else if report.problems.is_empty() {
        println!(
            "{}: valid submission for {} ({} prediction file(s) checked)",
            path.display(),
            spec.name,
            report.files_checked
        );
    } else {
        println!(
            "{}: {} problem(s) for benchmark {}:",
            path.display(),
            report.problems.len(),
            spec.name
        );
        for p in &report.problems {
            println!(
                "\n- {}\n  expected: {}\n  found:    {}\n  fix:      {}",
                p.file, p.expected, p.found, p.fix
            );
        }
    }
    Ok(if report.problems.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::InvalidInput
    })
}

fn options(args: &ScoreArgs, spec: &BenchmarkSpec) -> ScoreOptions {
    ScoreOptions {
        seed: args.seed.unwrap_or(spec.scoring.seed),
        resamples: args.bootstrap.unwrap_or(spec.scoring.bootstrap),
    }
}

fn score_cmd(args: &ScoreArgs) -> CmdResult {
    let roots = DataRoots::resolve(args.data.data_dir.as_deref());
    if args.all {
        return score_all(args, &roots);
    }
    let dir = args
        .path
        .as_deref()
        .expect("clap requires a path without --all");
    let spec = benchmark_for(args.benchmark.as_deref(), dir)?;
    let report = scoring::score_submission(&spec, &roots, dir, &options(args, &spec))
        .map_err(Failure::invalid)?;
    let out = args.out.clone().unwrap_or_else(|| dir.join("score.json"));
    write_atomic(&out, report.to_json().as_bytes()).map_err(Failure::internal)?;
    if args.json {
        print!("{}", report.to_json());
    } else {
        print_summary(&report);
        eprintln!("wrote {}", out.display());
    }
    Ok(gate(&report, args.min_score))
}

fn gate(report: &ScoreReport, min: Option<f64>) -> ExitStatus {
    match min {
        Some(min) if report.headline.value < min => {
            eprintln!(
                "score {:.4} is below --min-score {min}",
                report.headline.value
            );
            ExitStatus::BelowGate
        }
        _ => ExitStatus::Ok,
    }
}

fn print_summary(r: &ScoreReport) {
    let ci = match (r.headline.ci_low, r.headline.ci_high) {
        (Some(lo), Some(hi)) => format!(" [95% CI {lo:.4}, {hi:.4}]"),
        _ => String::new(),
    };
    println!(
        "{} / {} on {}: {} = {:.4}{ci}",
        r.submission.team, r.submission.model, r.benchmark, r.headline.metric, r.headline.value
    );
    if let Some(p) = r.headline.percent_of_ceiling {
        println!(
            "  {p:.1} % of the noise ceiling ({}: {:.4})",
            r.noise_ceiling.method, r.noise_ceiling.value
        );
    }
    for t in &r.targets {
        let extras: Vec<String> = t.extra.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        println!("  {:<12} {:.4}  {}", t.name, t.value, extras.join(", "));
    }
    for (k, v) in &r.counts {
        println!("  {k}: {v}");
    }
}

fn score_all(args: &ScoreArgs, roots: &DataRoots) -> CmdResult {
    let dirs = submission::discover(&args.submissions).map_err(Failure::invalid)?;
    let mut stale = Vec::new();
    for dir in &dirs {
        let spec = benchmark_for(args.benchmark.as_deref(), dir)?;
        let report = scoring::score_submission(&spec, roots, dir, &options(args, &spec))
            .map_err(|e| Failure::invalid(anyhow::anyhow!("{}: {e}", dir.display())))?;
        let path = dir.join("score.json");
        let fresh = report.to_json();
        if args.check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(path);
            }
        } else {
            write_atomic(&path, fresh.as_bytes()).map_err(Failure::internal)?;
            println!(
                "{:<40} {:>10.4}  {}",
                submission::id_of(dir),
                report.headline.value,
                spec.name
            );
        }
    }
    if !stale.is_empty() {
        let list: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "out of date (run `bench score --all` and commit):\n  {}",
            list.join("\n  ")
        );
        return Ok(ExitStatus::BelowGate);
    }
    if args.check {
        println!("all {} score.json files are up to date", dirs.len());
    }
    Ok(ExitStatus::Ok)
}

fn baselines(submissions: &Path, data: &DataArgs) -> CmdResult {
    let roots = DataRoots::resolve(data.data_dir.as_deref());
    for baseline in crate::reference::baselines::BASELINES {
        let spec = spec(baseline.benchmark)?;
        if spec.require_data_dir(&roots).is_err() {
            eprintln!("skipping {}: {} data not present", baseline.id, spec.name);
            continue;
        }
        let written = crate::reference::baselines::write(baseline, &roots, submissions)
            .map_err(Failure::invalid)?;
        println!(
            "{}: wrote {} prediction file(s)",
            baseline.id,
            written.len()
        );
    }
    Ok(ExitStatus::Ok)
}

fn leaderboard_cmd(check: bool, submissions: &Path, out: &Path) -> CmdResult {
    let entries = leaderboard::collect_scores(submissions).map_err(Failure::invalid)?;
    let text = leaderboard::render(entries);
    if check {
        if std::fs::read_to_string(out).ok().as_deref() == Some(text.as_str()) {
            println!("{} is up to date", out.display());
            return Ok(ExitStatus::Ok);
        }
        eprintln!(
            "{} is stale: run `bench leaderboard` and commit it",
            out.display()
        );
        return Ok(ExitStatus::BelowGate);
    }
    write_atomic(out, text.as_bytes()).map_err(Failure::internal)?;
    eprintln!("wrote {}", out.display());
    Ok(ExitStatus::Ok)
}

fn demo(data: &DataArgs) -> CmdResult {
    let roots = DataRoots::resolve(data.data_dir.as_deref());
    synth(0, false, data)?;
    baselines(Path::new("submissions"), data)?;
    let dirs = submission::discover(Path::new("submissions")).map_err(Failure::invalid)?;
    let mut entries = Vec::new();
    for dir in dirs {
        let Ok(manifest) = submission::Manifest::read(&dir) else {
            continue;
        };
        let spec = spec(&manifest.benchmark)?;
        if spec.data_dir(&roots).is_none_or(|d| !d.is_dir())
            || spec.kind == Kind::Rsa && roots.download.is_none()
        {
            eprintln!(
                "skipping {} ({} data not present)",
                dir.display(),
                spec.name
            );
            continue;
        }
        let opts = ScoreOptions {
            seed: spec.scoring.seed,
            resamples: spec.scoring.bootstrap,
        };
        let report =
            scoring::score_submission(&spec, &roots, &dir, &opts).map_err(Failure::invalid)?;
        print_summary(&report);
        entries.push(leaderboard::Entry {
            path: PathBuf::from(&dir).join("score.json"),
            report,
        });
    }
    println!("\n{}", leaderboard::render(entries));
    Ok(ExitStatus::Ok)
}
