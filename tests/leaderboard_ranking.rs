//! The leaderboard's decisions: ranking, ties sharing a rank, the *vs. above* marks, entries
//! that cannot be ranked, and score files that cannot be read.

use brainbench::benchmark::spec::Kind;
use brainbench::leaderboard::{self, Entry, Scores, Unranked, VersusAbove};
use brainbench::report::{
    BootstrapInfo, CeilingInfo, Headline, ScoreReport, SubmissionInfo, ToolInfo, SCHEMA_VERSION,
};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A report whose 100 resamples are `value + offsets[b]`.
fn entry(id: &str, value: f64, offsets: &[f64]) -> Entry {
    Entry {
        path: PathBuf::from(format!("submissions/{id}/score.json")),
        report: ScoreReport {
            schema: SCHEMA_VERSION,
            tool: ToolInfo::current(),
            benchmark: "synthetic-cortex".into(),
            benchmark_version: 1,
            kind: Kind::Encoding,
            submission: SubmissionInfo {
                id: id.into(),
                team: format!("team {id}"),
                model: "m".into(),
                description: "d".into(),
                link: None,
                date: None,
            },
            headline: Headline {
                metric: "score".into(),
                value,
                ci_low: None,
                ci_high: None,
                percent_of_ceiling: None,
            },
            noise_ceiling: CeilingInfo {
                method: "ncsnr".into(),
                value: 50.0,
                per_target: BTreeMap::new(),
            },
            targets: Vec::new(),
            breakdown: Vec::new(),
            counts: BTreeMap::new(),
            bootstrap: BootstrapInfo {
                resamples: offsets.len(),
                seed: 0,
                level: 0.95,
                over: "stimuli".into(),
                covers: "new images".into(),
                method_requested: "percentile".into(),
                method: "percentile".into(),
                bias: Some(0.0),
                iterated_bias: None,
                warnings: Vec::new(),
                samples: offsets.iter().map(|o| value + o).collect(),
                nested_samples: Vec::new(),
                jackknife: Vec::new(),
                jackknife_excess_variance: None,
                other_intervals: BTreeMap::new(),
            },
            inputs: BTreeMap::new(),
            truth: BTreeMap::new(),
        },
    }
}

/// Resample offsets in [-spread, spread], the same draws for every entry (paired).
fn offsets(spread: f64) -> Vec<f64> {
    (0..100)
        .map(|b| spread * (((b * 37) % 100) as f64 / 49.5 - 1.0))
        .collect()
}

fn rank(entries: Vec<Entry>) -> Vec<(Entry, VersusAbove)> {
    leaderboard::rank(entries, Some(1))
}

fn ids(ranked: &[(Entry, VersusAbove)]) -> Vec<&str> {
    ranked
        .iter()
        .map(|(e, _)| e.report.submission.id.as_str())
        .collect()
}

#[test]
fn three_entries_rank_by_score_with_ties_and_marks() {
    // b is within noise of a (its paired difference is noise around 0.01); c is far below.
    let noise = offsets(1.0);
    let a = entry("a", 10.0, &noise);
    let mut b = entry("b", 9.99, &noise);
    b.report.bootstrap.samples = noise
        .iter()
        .enumerate()
        .map(|(i, o)| 9.99 + o + if i % 2 == 0 { 0.3 } else { -0.3 })
        .collect();
    let c = entry("c", 2.0, &noise);
    let ranked = rank(vec![c, a, b]);
    assert_eq!(ids(&ranked), ["a", "b", "c"]);
    assert_eq!(ranked[0].1, VersusAbove::Top);
    assert!(
        matches!(ranked[1].1, VersusAbove::Tied { .. }),
        "{:?}",
        ranked[1].1
    );
    assert!(
        matches!(ranked[2].1, VersusAbove::Below { p } if p == 0.0),
        "{:?}",
        ranked[2].1
    );
    let table = leaderboard::render_table(&ranked);
    let ranks: Vec<&str> = table
        .lines()
        .skip(2)
        .map(|l| l.split('|').nth(1).unwrap().trim())
        .collect();
    assert_eq!(
        ranks,
        ["1", "1", "3"],
        "tied entries share the rank\n{table}"
    );
    assert!(
        table.contains("**tied**") && table.contains("below (p=0.000)"),
        "{table}"
    );
}

#[test]
fn entries_with_equal_scores_are_ordered_by_team_and_different_bootstraps_are_not_compared() {
    let a = entry("a", 5.0, &offsets(0.1));
    let b = entry("b", 5.0, &offsets(0.1));
    let mut c = entry("c", 4.0, &offsets(0.1));
    c.report.bootstrap.seed = 7;
    let ranked = rank(vec![b, c, a]);
    assert_eq!(ids(&ranked), ["a", "b", "c"]);
    assert_eq!(ranked[2].1, VersusAbove::Unknown);
}

#[test]
fn a_nan_score_is_never_ranked_above_a_real_one() {
    let real = entry("real", 0.5, &offsets(0.1));
    let low = entry("low", -3.0, &offsets(0.1));
    let nan = entry("nan", f64::NAN, &offsets(0.1));
    let ranked = rank(vec![nan, low, real]);
    assert_eq!(ids(&ranked), ["real", "low", "nan"]);
    assert_eq!(ranked[2].1, VersusAbove::NotRanked(Unranked::NotANumber));
    let table = leaderboard::render_table(&ranked);
    let last = table.lines().last().unwrap();
    assert!(
        last.starts_with("| —") && last.contains("not ranked: the score is not a number"),
        "{table}"
    );
}

#[test]
fn an_unreadable_score_file_is_named_under_the_tables_and_not_ranked() {
    let dir = tempfile::tempdir().unwrap();
    let good = entry("good", 1.0, &offsets(0.1));
    std::fs::create_dir_all(dir.path().join("good")).unwrap();
    std::fs::write(dir.path().join("good/score.json"), good.report.to_json()).unwrap();
    std::fs::create_dir_all(dir.path().join("broken")).unwrap();
    std::fs::write(dir.path().join("broken/score.json"), b"{\"schema\": 2").unwrap();
    let scores = leaderboard::collect_scores(dir.path()).unwrap();
    assert_eq!(scores.entries.len(), 1);
    assert_eq!(scores.unreadable.len(), 1);
    let board = leaderboard::render(scores);
    let (tables, unranked) = board
        .split_once("## Not ranked")
        .expect("a not-ranked section");
    assert!(
        tables.contains("team good") && !tables.contains("broken"),
        "{board}"
    );
    assert!(
        unranked.contains("broken/score.json") && unranked.contains("not a valid score.json"),
        "{board}"
    );
    assert_eq!(
        leaderboard::render(Scores::default())
            .matches("## ")
            .count(),
        0
    );
}

#[test]
fn a_score_of_another_benchmark_version_or_other_truth_is_not_ranked() {
    let current = entry("current", 1.0, &offsets(0.1));
    let mut old = entry("old", 9.0, &offsets(0.1));
    old.report.benchmark_version = 0;
    let mut other = entry("other", 8.0, &offsets(0.1));
    other
        .report
        .truth
        .insert("test_fmri.npy".into(), "feed".into());
    let also_current = entry("also", 0.5, &offsets(0.1));
    let ranked = rank(vec![old, other, current, also_current]);
    assert_eq!(ids(&ranked), ["current", "also", "old", "other"]);
    assert_eq!(
        ranked[2].1,
        VersusAbove::NotRanked(Unranked::OtherVersion {
            scored: 0,
            current: 1
        })
    );
    assert_eq!(ranked[3].1, VersusAbove::NotRanked(Unranked::OtherTruth));
    let table = leaderboard::render_table(&ranked);
    assert!(
        table.contains("version 0 of the benchmark, which is now at version 1"),
        "{table}"
    );
    assert!(table.contains("other truth files"), "{table}");
}

#[test]
fn versus_above_uses_the_entries_interval_method_and_their_paired_nested_resamples() {
    let noise = offsets(0.1);
    let a = entry("a", 10.0, &noise);
    let b = entry("b", 9.0, &noise);
    // Percentile of the paired difference: always 1, significantly below.
    let ranked = rank(vec![a.clone(), b.clone()]);
    assert!(
        matches!(ranked[1].1, VersusAbove::Below { .. }),
        "{:?}",
        ranked[1].1
    );
    // Iterated-basic: the nested differences say the difference is biased up by 2, so its
    // interval is moved down by 2 and includes 0.
    let iterated = |mut e: Entry, nested_shift: f64| {
        let bs = &mut e.report.bootstrap;
        bs.method_requested = "iterated-basic".into();
        bs.method = "iterated-basic".into();
        bs.nested_samples = bs.samples.iter().map(|s| s + nested_shift).collect();
        e
    };
    let ranked = rank(vec![iterated(a.clone(), -2.0), iterated(b.clone(), 0.0)]);
    assert!(
        matches!(ranked[1].1, VersusAbove::Tied { .. }),
        "{:?}",
        ranked[1].1
    );
    // Entries whose intervals were formed by different methods are not compared.
    let ranked = rank(vec![iterated(a, 0.0), b]);
    assert_eq!(ranked[1].1, VersusAbove::Unknown);
}

#[test]
fn the_board_embeds_a_deterministic_forest_plot_names_the_method_and_shows_the_bias() {
    let noise = offsets(0.5);
    let mut a = entry("a", 10.0, &noise);
    // A resample distribution shifted up by 3: its percentile interval excludes the score.
    a.report.bootstrap.samples = noise.iter().map(|o| 13.0 + o).collect();
    a.report.bootstrap.bias = Some(3.0);
    a.report.headline.ci_low = Some(6.5);
    a.report.headline.ci_high = Some(7.5);
    let b = entry("b", 5.0, &noise);
    let scores = || Scores {
        entries: vec![a.clone(), b.clone()],
        unreadable: Vec::new(),
    };
    let board = leaderboard::render_board(scores());
    assert_eq!(board, leaderboard::render_board(scores()), "deterministic");
    assert_eq!(board.figures.len(), 1);
    let (name, svg) = &board.figures[0];
    assert_eq!(name, "leaderboard-synthetic-cortex.svg");
    assert!(
        svg.starts_with("<svg") && svg.contains(">overall</text>"),
        "{svg}"
    );
    let md = &board.markdown;
    assert!(md.contains("](leaderboard-synthetic-cortex.svg)"), "{md}");
    assert!(
        md.contains(
            "95 % percentile bootstrap intervals over stimuli (100 resamples), covering new images"
        ),
        "{md}"
    );
    assert!(md.contains("| bias ") && md.contains("| +3.0000 |"), "{md}");
    assert!(md.contains("*bias* is the bootstrap bias"), "{md}");
    // b's own percentile interval contains its score: no bias shown for it.
    let b_row = md.lines().find(|l| l.contains("team b")).unwrap();
    assert_eq!(b_row.split('|').nth(5).unwrap().trim(), "—", "{b_row}");
    let reliability = brainbench::metrics::bootstrap::reliability::ranking_reliability(
        &[10.0, 5.0],
        &[
            a.report.bootstrap.samples.clone(),
            b.report.bootstrap.samples.clone(),
        ],
    )
    .unwrap();
    let want = format!(
        "keeps its rank in {:.1} % of resamples on average",
        100.0 * reliability.mean_rank_kept
    );
    assert!(md.contains(&want), "{md}");
    // One entry: no reliability figure, and it says why.
    let one = leaderboard::render(Scores {
        entries: vec![b],
        unreadable: Vec::new(),
    });
    assert!(one.contains("Ranking reliability: not computed"), "{one}");
}
