//! Rendering of the library's typed reports: a human table or text on stdout by default, the
//! report serialised as JSON with `--json`. Notes about files written go to stderr.

use brainbench::benchmark::synth::SynthOutcome;
use brainbench::benchmark::BenchmarkStatus;
use brainbench::ceiling::{EncodingCeilingRow, RdmCeilingRow};
use brainbench::demo::DemoReport;
use brainbench::leaderboard::{BoardReport, BoardStatus};
use brainbench::reference::WriteOutcome;
use brainbench::report::ScoreReport;
use brainbench::scoring::ScoreAllReport;
use brainbench::submission::ValidationReport;
use std::path::Path;
use tabled::builder::Builder;
use tabled::settings::Style;

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("reports serialise")
    );
}

fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut b = Builder::default();
    b.push_record(header.iter().map(|h| h.to_string()));
    for row in rows {
        b.push_record(row);
    }
    b.build().with(Style::sharp()).to_string()
}

/// `bench benchmarks`.
pub fn benchmarks(rows: &[BenchmarkStatus], json: bool) {
    if json {
        return print_json(&rows);
    }
    let rows = rows.iter().map(|s| {
        vec![
            s.name.clone(),
            s.kind.to_string(),
            s.data_dir.as_ref().map_or_else(
                || "$BRAINBENCH_DATA unset".to_string(),
                |d| d.display().to_string(),
            ),
            if s.present { "yes" } else { "no" }.to_string(),
            s.how_to_get.clone(),
        ]
    });
    println!(
        "{}",
        table(
            &["benchmark", "kind", "data", "present", "how to get it"],
            rows
        )
    );
}

/// `bench ceiling` of an RSA benchmark.
pub fn rdm_ceilings(root: &Path, rows: &[RdmCeilingRow], json: bool) {
    if json {
        return print_json(&rows);
    }
    println!(
        "RDM noise ceilings (squared Spearman, mean over subjects) of {}",
        root.display()
    );
    let rows = rows.iter().map(|r| {
        vec![
            r.image_set.clone(),
            r.roi.clone(),
            r.images.to_string(),
            r.subjects.to_string(),
            format!("{:.4}", r.upper),
            r.lower.map_or_else(|| "—".into(), |l| format!("{l:.4}")),
        ]
    });
    println!(
        "{}",
        table(
            &[
                "image set",
                "ROI",
                "images",
                "subjects",
                "upper bound",
                "lower bound"
            ],
            rows
        )
    );
}

/// `bench ceiling` of an encoding benchmark.
pub fn encoding_ceilings(root: &Path, rows: &[EncodingCeilingRow], json: bool) {
    if json {
        return print_json(&rows);
    }
    println!(
        "Noise ceilings (ncsnr, held-out test split) of {}",
        root.display()
    );
    let rows = rows.iter().map(|r| {
        vec![
            r.subject.clone(),
            r.hemisphere.clone(),
            r.vertices.to_string(),
            format!("{:.2}", r.mean_percent),
            format!("{:.2}", r.median_percent),
            r.zero.to_string(),
        ]
    });
    println!(
        "{}",
        table(
            &[
                "subject",
                "hemisphere",
                "vertices",
                "mean NC (%)",
                "median NC (%)",
                "NC == 0"
            ],
            rows
        )
    );
}

/// `bench data synth`.
pub fn synth(outcome: &SynthOutcome, json: bool) {
    if json {
        return print_json(outcome);
    }
    match outcome {
        SynthOutcome::UpToDate { root, seed } => println!(
            "{} already holds the synthetic cortex of seed {seed} (use --force to regenerate)",
            root.display()
        ),
        SynthOutcome::Generated(r) => {
            println!(
                "wrote {}: {} subjects, {} training and {} test images of {} px, seed {}",
                r.root.display(),
                r.subjects.len(),
                r.config.n_train,
                r.config.n_test,
                r.config.image_size,
                r.config.seed
            );
            let rows = r.subjects.iter().map(|s| {
                vec![
                    s.name.clone(),
                    s.vertices[0].to_string(),
                    s.vertices[1].to_string(),
                    format!(
                        "{}/{}/{}",
                        s.test_images_by_trials[0],
                        s.test_images_by_trials[1],
                        s.test_images_by_trials[2]
                    ),
                    format!("{:.3}", s.nc_correlation),
                    format!("{:.4}", s.nc_mean_abs_error),
                ]
            });
            println!(
                "{}",
                table(
                    &[
                        "subject",
                        "lh vertices",
                        "rh vertices",
                        "test images with 3/2/1 trials",
                        "r(estimated NC, true NC)",
                        "mean |NC error|"
                    ],
                    rows
                )
            );
        }
    }
}

/// `bench validate`.
pub fn validation(path: &Path, report: &ValidationReport, json: bool) {
    if json {
        return print_json(report);
    }
    if report.is_valid() {
        println!(
            "{}: valid submission for {} ({} prediction file(s) checked)",
            path.display(),
            report.benchmark,
            report.files_checked
        );
        return;
    }
    println!(
        "{}: {} problem(s) for benchmark {}:",
        path.display(),
        report.problems.len(),
        report.benchmark
    );
    for p in &report.problems {
        println!(
            "\n- {}\n  expected: {}\n  found:    {}\n  fix:      {}",
            p.file, p.expected, p.found, p.fix
        );
    }
}

/// `bench score PATH`.
pub fn score(report: &ScoreReport, out: &Path, json: bool) {
    if json {
        print!("{}", report.to_json());
    } else {
        summary(report);
    }
    eprintln!("wrote {}", out.display());
}

/// A score report in a few lines.
pub fn summary(r: &ScoreReport) {
    let b = &r.bootstrap;
    let ci = match (r.headline.ci_low, r.headline.ci_high) {
        (Some(lo), Some(hi)) => format!(
            " [95% CI {lo:.4}, {hi:.4}; {} over {}, bias {:+.4}]",
            b.method,
            b.over,
            b.bias.unwrap_or(0.0)
        ),
        _ => String::new(),
    };
    println!(
        "{} / {} on {}: {} = {:.4}{ci}",
        r.submission.team, r.submission.model, r.benchmark, r.headline.metric, r.headline.value
    );
    for w in &b.warnings {
        println!(
            "  interval warning: {}",
            serde_json::to_string(w).unwrap_or_default()
        );
    }
    if let Some(p) = r.headline.percent_of_ceiling {
        println!(
            "  {p:.1} % of the noise ceiling ({}: {:.4})",
            r.noise_ceiling.method, r.noise_ceiling.value
        );
    }
    for t in &r.targets {
        let mut extras = Vec::new();
        if let Some(v) = t.vertices {
            extras.push(format!("{v} vertices"));
        }
        if let Some(nc) = t.noise_ceiling {
            extras.push(format!("noise ceiling {nc:.4}"));
        }
        if let Some(p) = t.percent_of_ceiling {
            extras.push(format!("{p:.1} % of ceiling"));
        }
        if let Some(p) = t.p_value {
            extras.push(format!("p {p:.2e}"));
        }
        println!("  {:<12} {:.4}  {}", t.name, t.value, extras.join(", "));
    }
    for (k, v) in &r.counts {
        println!("  {k}: {v}");
    }
}

/// `bench score --all`.
pub fn score_all(report: &ScoreAllReport, check: bool, json: bool) {
    if json {
        return print_json(report);
    }
    for e in &report.fresh {
        let note = if check { "up to date" } else { "written" };
        println!("{:<40} {:>10.4}  {:<20} {note}", e.id, e.score, e.benchmark);
    }
    for e in &report.stale {
        println!(
            "{:<40} {:>10.4}  {:<20} STALE: {} differs from a fresh score",
            e.id,
            e.score,
            e.benchmark,
            e.path.display()
        );
    }
    for f in &report.failed {
        eprintln!("FAILED {}: {}", f.path.display(), f.reason);
    }
    if !report.stale.is_empty() {
        eprintln!("out of date: run `bench score --all` and commit the score.json files");
    }
    if check && report.stale.is_empty() && report.failed.is_empty() {
        println!("all {} score.json files are up to date", report.fresh.len());
    }
}

/// `bench leaderboard`.
pub fn board(report: &BoardReport, json: bool) {
    if json {
        return print_json(report);
    }
    for u in &report.unreadable {
        eprintln!("not ranked: {}", u.reason);
    }
    match report.status {
        BoardStatus::UpToDate => println!(
            "{} and its {} figure(s) are up to date",
            report.path.display(),
            report.figures.len()
        ),
        BoardStatus::Stale => eprintln!(
            "{} or one of its figures is stale: run `bench leaderboard` and commit them",
            report.path.display()
        ),
        BoardStatus::Written => eprintln!(
            "wrote {} ({} entries) and {} figure(s)",
            report.path.display(),
            report.entries,
            report.figures.len()
        ),
    }
}

/// `bench baselines`.
pub fn built_in(outcomes: &[WriteOutcome], json: bool) {
    if json {
        return print_json(&outcomes);
    }
    for o in outcomes {
        match &o.skipped {
            Some(why) => eprintln!("skipped {}: {}", o.id, why),
            None => println!("{}: wrote {} prediction file(s)", o.id, o.written.len()),
        }
    }
}

/// `bench demo`.
pub fn demo(report: &DemoReport, json: bool) {
    if json {
        return print_json(report);
    }
    synth(&report.synth, false);
    built_in(&report.built_in, false);
    report.trained.iter().for_each(super::train::print_entry);
    for s in &report.skipped {
        eprintln!("not scored {}: {}", s.path.display(), s.reason);
    }
    for r in &report.scores {
        summary(r);
    }
    println!("\n{}", report.board);
}
