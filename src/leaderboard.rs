//! `leaderboard.md`: every `score.json` of every benchmark, ranked. Built from the score files
//! alone (no truth needed), byte-identical for the same scores.

mod figures;

use crate::benchmark::spec::BenchmarkSpec;
use crate::io::IoError;
use crate::metrics::bootstrap::interval::{bootstrap_interval, IntervalMethod};
use crate::report::ScoreReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tabled::{builder::Builder, settings::Style};

/// Errors collecting scores or rendering the board.
#[derive(Debug, thiserror::Error)]
pub enum LeaderboardError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A `score.json` does not parse.
    #[error(
        "{path}: not a valid score.json: {problem}\n  hint: regenerate it with `bench score --all`"
    )]
    BadScore {
        /// The file.
        path: PathBuf,
        /// The parse error.
        problem: String,
    },
}

/// One scored submission with where its report came from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The report.
    pub report: ScoreReport,
    /// The `score.json` it was read from.
    pub path: PathBuf,
}

/// A `score.json` that could not be read; listed under the tables, never ranked.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unreadable {
    /// The file.
    pub path: PathBuf,
    /// Why it could not be used.
    pub reason: String,
}

/// Every score file under a submissions folder.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// The reports that could be read, in folder-name order.
    pub entries: Vec<Entry>,
    /// The files that could not.
    pub unreadable: Vec<Unreadable>,
}

/// Reads every `submissions/<id>/score.json`, in folder-name order. A file that does not parse is
/// kept as [`Unreadable`] (the board names it) rather than failing the whole board.
pub fn collect_scores(submissions: &Path) -> Result<Scores, LeaderboardError> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(submissions)
        .map_err(|e| IoError::os(submissions, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("score.json").is_file())
        .collect();
    dirs.sort();
    let mut scores = Scores::default();
    for dir in dirs {
        let path = dir.join("score.json");
        let text = std::fs::read_to_string(&path).map_err(|e| IoError::os(&path, e))?;
        match serde_json::from_str(&text) {
            Ok(report) => scores.entries.push(Entry { report, path }),
            Err(e) => scores.unreadable.push(Unreadable {
                reason: LeaderboardError::BadScore {
                    path: path.clone(),
                    problem: e.to_string(),
                }
                .to_string(),
                path,
            }),
        }
    }
    Ok(scores)
}

/// Whether a written `leaderboard.md` is what the scores give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BoardStatus {
    /// The file equals the rendering of the scores.
    UpToDate,
    /// The file is missing or differs.
    Stale,
    /// The file was (re)written.
    Written,
}

/// What [`update`] did, with every score file it could not use.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BoardReport {
    /// The board file.
    pub path: PathBuf,
    /// Up to date, stale (with `check`), or written.
    pub status: BoardStatus,
    /// Entries on the board.
    pub entries: usize,
    /// The forest plots written (or checked) next to the board, one per benchmark.
    pub figures: Vec<PathBuf>,
    /// Score files that could not be read (named on the board, not ranked).
    pub unreadable: Vec<Unreadable>,
}

/// Renders the board from `submissions/*/score.json` and writes it to `out` (atomically) with one
/// forest plot per benchmark next to it, or with `check` only compares them with what is there
/// (stale if any differs or is missing).
pub fn update(
    submissions: &Path,
    out: &Path,
    check: bool,
) -> Result<BoardReport, LeaderboardError> {
    let scores = collect_scores(submissions)?;
    let entries = scores.entries.len();
    let unreadable = scores.unreadable.clone();
    let board = render_board(scores);
    let dir = out.parent().unwrap_or(Path::new(""));
    let files: Vec<(PathBuf, &str)> = std::iter::once((out.to_path_buf(), board.markdown.as_str()))
        .chain(
            board
                .figures
                .iter()
                .map(|(name, svg)| (dir.join(name), svg.as_str())),
        )
        .collect();
    let status = if check {
        let same = |(path, text): &(PathBuf, &str)| {
            std::fs::read_to_string(path).ok().as_deref() == Some(*text)
        };
        if files.iter().all(same) {
            BoardStatus::UpToDate
        } else {
            BoardStatus::Stale
        }
    } else {
        for (path, text) in &files {
            crate::io::atomic::write_atomic(path, text.as_bytes())?;
        }
        BoardStatus::Written
    };
    Ok(BoardReport {
        path: out.to_path_buf(),
        status,
        entries,
        figures: files.into_iter().skip(1).map(|(p, _)| p).collect(),
        unreadable,
    })
}

/// How an entry compares with the one ranked directly above it (paired bootstrap, SCIENCE.md §3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VersusAbove {
    /// The top entry of its table.
    Top,
    /// The interval of (above − this) excludes 0: significantly below.
    Below {
        /// Share of resamples in which this entry scored at least as high as the one above.
        p: f64,
    },
    /// Not significantly below the entry above.
    Tied {
        /// Share of resamples in which this entry scored at least as high as the one above.
        p: f64,
    },
    /// No common bootstrap (different seeds or resample counts): not comparable.
    Unknown,
    /// Listed after every ranked entry, with no rank, for the reason given.
    NotRanked(Unranked),
}

/// Why an entry is on the board but not ranked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unranked {
    /// The score is NaN or infinite.
    NotANumber,
    /// Scored against another version of the benchmark's definition.
    OtherVersion {
        /// The version in its `score.json`.
        scored: u32,
        /// The benchmark's version now.
        current: u32,
    },
    /// Scored against other truth files than the board's other entries (their SHA-256 differ).
    OtherTruth,
}

impl std::fmt::Display for Unranked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unranked::NotANumber => write!(f, "not ranked: the score is not a number"),
            Unranked::OtherVersion { scored, current } => write!(
                f,
                "not ranked: scored against version {scored} of the benchmark, which is now at version {current}; rescore it"
            ),
            Unranked::OtherTruth => write!(
                f,
                "not ranked: scored against other truth files than the rest of this table"
            ),
        }
    }
}

/// The truth files most entries were scored against (ties: the first in sorted order), which
/// the board compares every entry with.
fn reference_truth(entries: &[Entry]) -> Option<&BTreeMap<String, String>> {
    let mut counts: BTreeMap<&BTreeMap<String, String>, usize> = BTreeMap::new();
    for e in entries {
        *counts.entry(&e.report.truth).or_default() += 1;
    }
    let most = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == most).map(|(t, _)| t)
}

/// Ranks one benchmark's entries by headline score (ties in value broken by team, model, id for
/// stability) and compares each with the one above. An entry is never ranked, and comes after
/// every ranked one marked [`VersusAbove::NotRanked`], when its score is not finite, when it was
/// scored against another version of the benchmark than `current_version` (where known), or
/// against other truth files than most entries.
pub fn rank(entries: Vec<Entry>, current_version: Option<u32>) -> Vec<(Entry, VersusAbove)> {
    let truth = reference_truth(&entries).cloned();
    let unranked = |e: &Entry| {
        let r = &e.report;
        match current_version {
            _ if !r.headline.value.is_finite() => Some(Unranked::NotANumber),
            Some(current) if r.benchmark_version != current => Some(Unranked::OtherVersion {
                scored: r.benchmark_version,
                current,
            }),
            _ if Some(&r.truth) != truth.as_ref() => Some(Unranked::OtherTruth),
            _ => None,
        }
    };
    let mut entries: Vec<(Entry, Option<Unranked>)> = entries
        .into_iter()
        .map(|e| {
            let u = unranked(&e);
            (e, u)
        })
        .collect();
    let key = |(e, u): &(Entry, Option<Unranked>)| {
        let v = e.report.headline.value;
        (u.is_none(), if u.is_none() { v } else { 0.0 })
    };
    entries.sort_by(|x, y| {
        let ((fa, va), (fb, vb)) = (key(x), key(y));
        let (a, b) = (&x.0, &y.0);
        fb.cmp(&fa)
            .then_with(|| vb.total_cmp(&va))
            .then_with(|| a.report.submission.team.cmp(&b.report.submission.team))
            .then_with(|| a.report.submission.model.cmp(&b.report.submission.model))
            .then_with(|| a.report.submission.id.cmp(&b.report.submission.id))
    });
    let mut out: Vec<(Entry, VersusAbove)> = Vec::with_capacity(entries.len());
    for (entry, unranked) in entries {
        let versus = match (unranked, out.last()) {
            (Some(why), _) => VersusAbove::NotRanked(why),
            (None, None) => VersusAbove::Top,
            (None, Some((above, _))) => compare_with_above(&above.report, &entry.report),
        };
        out.push((entry, versus));
    }
    out
}

/// The paired test of `this` against the entry above: the interval, by the entries' own
/// method and from the same resamples, of the difference `above − this` (for the iterated
/// methods with the paired second-level resamples, for BCa and iterated-jackknife with the
/// paired jackknife values). The two-way RSA interval is not a resample quantile; its
/// resamples are compared by the basic interval. The RSA jackknife's pair-variance correction
/// (`jackknife_excess_variance`) is a property of one entry's pair influences, not of the
/// difference's, so the difference uses the uncorrected jackknife: conservative, never
/// narrower than it should be.
fn compare_with_above(above: &ScoreReport, this: &ScoreReport) -> VersusAbove {
    let (a, b) = (&above.bootstrap, &this.bootstrap);
    if a.resamples == 0
        || a.resamples != b.resamples
        || a.seed != b.seed
        || a.over != b.over
        || a.method_requested != b.method_requested
        || a.samples.len() != b.samples.len()
    {
        return VersusAbove::Unknown;
    }
    let Ok(requested) = a.method_requested.parse::<IntervalMethod>() else {
        return VersusAbove::Unknown;
    };
    let method = if a.method == crate::scoring::TWO_WAY_T {
        IntervalMethod::Basic
    } else {
        requested
    };
    let minus =
        |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().zip(y).map(|(p, q)| p - q).collect() };
    let nested = minus(&a.nested_samples, &b.nested_samples);
    let jackknife: Vec<Vec<f64>> = a
        .jackknife
        .iter()
        .zip(&b.jackknife)
        .map(|(x, y)| minus(x, y))
        .collect();
    let diff = minus(&a.samples, &b.samples);
    let estimate = above.headline.value - this.headline.value;
    let Ok(iv) = bootstrap_interval(method, estimate, &diff, &jackknife, &nested, a.level) else {
        return VersusAbove::Unknown;
    };
    // Share of resamples in which the entry above did not beat this one.
    let p = diff.iter().filter(|d| **d <= 0.0).count() as f64 / diff.len() as f64;
    if iv.interval.low > 0.0 {
        VersusAbove::Below { p }
    } else {
        VersusAbove::Tied { p }
    }
}

fn fmt_score(v: f64) -> String {
    format!("{v:.4}")
}

fn versus_text(v: VersusAbove) -> String {
    match v {
        VersusAbove::Top => "—".to_string(),
        VersusAbove::Below { p } => format!("below (p={p:.3})"),
        VersusAbove::Tied { p } => format!("**tied** (p={p:.3})"),
        VersusAbove::Unknown => "n/a (different bootstrap)".to_string(),
        VersusAbove::NotRanked(why) => why.to_string(),
    }
}

/// Renders the markdown table of one benchmark's ranked entries.
pub fn render_table(ranked: &[(Entry, VersusAbove)]) -> String {
    let targets: Vec<String> = ranked
        .first()
        .map(|(e, _)| e.report.targets.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    let mut builder = Builder::default();
    let mut header = vec![
        "#".to_string(),
        "team".into(),
        "model".into(),
        "score [95% CI]".into(),
        "% of ceiling".into(),
    ];
    header.extend(targets.iter().cloned());
    header.extend([
        "ceiling".into(),
        "vs. above".into(),
        "date".into(),
        "inputs".into(),
    ]);
    let show_bias = ranked.iter().any(|(e, _)| figures::shows_bias(e));
    if show_bias {
        header.insert(4, "bias".into());
    }
    builder.push_record(header);
    let mut rank = 0;
    for (i, (entry, versus)) in ranked.iter().enumerate() {
        let r = &entry.report;
        if !matches!(versus, VersusAbove::Tied { .. }) {
            rank = i + 1;
        }
        let rank_text = match versus {
            VersusAbove::NotRanked(_) => "—".to_string(),
            _ => rank.to_string(),
        };
        let score = match (r.headline.ci_low, r.headline.ci_high) {
            (Some(lo), Some(hi)) => format!(
                "{} [{}, {}]",
                fmt_score(r.headline.value),
                fmt_score(lo),
                fmt_score(hi)
            ),
            _ => fmt_score(r.headline.value),
        };
        let by_name: BTreeMap<&str, f64> = r
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.value))
            .collect();
        let mut row = vec![
            rank_text,
            r.submission.team.clone(),
            r.submission.model.clone(),
            score,
            r.headline
                .percent_of_ceiling
                .map(|p| format!("{p:.1}"))
                .unwrap_or_else(|| "—".into()),
        ];
        if show_bias {
            let bias = r.bootstrap.bias.filter(|_| figures::shows_bias(entry));
            row.insert(
                4,
                bias.map(|b| format!("{b:+.4}"))
                    .unwrap_or_else(|| "—".into()),
            );
        }
        row.extend(targets.iter().map(|t| {
            by_name
                .get(t.as_str())
                .map(|v| fmt_score(*v))
                .unwrap_or_else(|| "—".into())
        }));
        row.extend([
            fmt_score(r.noise_ceiling.value),
            versus_text(*versus),
            r.submission.date.clone().unwrap_or_else(|| "—".into()),
            format!("`{}`", r.input_hash()),
        ]);
        builder.push_record(row);
    }
    builder.build().with(Style::markdown()).to_string()
}

/// The rendered board: `leaderboard.md` and the forest plots it embeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    /// The markdown.
    pub markdown: String,
    /// `(file name, SVG)` of every benchmark's forest plot, to be written next to the markdown.
    pub figures: Vec<(String, String)>,
}

/// Renders the whole `leaderboard.md` for the given entries (see [`render_board`]).
pub fn render(scores: Scores) -> String {
    render_board(scores).markdown
}

/// Renders the board for the given entries: one section per benchmark (in the order of the
/// built-in benchmarks, then any others by name), each with its forest plot, a sentence naming
/// the interval method and what it covers, the table, and its ranking reliability.
pub fn render_board(scores: Scores) -> Board {
    let mut by_benchmark: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for e in scores.entries {
        by_benchmark
            .entry(e.report.benchmark.clone())
            .or_default()
            .push(e);
    }
    let mut out = String::from(
        "# Leaderboard\n\n<!-- Generated by `bench leaderboard` from submissions/*/score.json. Do not edit by hand. -->\n\n\
         Scores are on the full held-out set with 95 % bootstrap intervals; each section names the \
         interval method and which sources of variance it covers. \
         *vs. above* is a paired bootstrap of the difference with the entry ranked directly above: \
         the same resamples and the same interval method as the intervals, applied to the \
         per-resample differences; **tied** entries are not significantly below it and share its rank; \
         p is the share of resamples in which the entry scored at least as high. \
         *inputs* is a short hash of the scored prediction files.\n",
    );
    let mut figures_out = Vec::new();
    let specs = BenchmarkSpec::all().unwrap_or_default();
    let mut names: Vec<String> = specs
        .iter()
        .map(|s| s.name.clone())
        .filter(|n| by_benchmark.contains_key(n))
        .collect();
    names.extend(
        by_benchmark
            .keys()
            .filter(|k| !specs.iter().any(|s| &s.name == *k))
            .cloned(),
    );
    for name in names {
        let entries = by_benchmark.remove(&name).unwrap_or_default();
        let spec = specs.iter().find(|s| s.name == name);
        let title = spec.map(|s| s.title.as_str()).unwrap_or(&name);
        out.push_str(&format!("\n## {title}\n\n"));
        if let Some(s) = spec {
            out.push_str(&format!("`{}`: {}\n\n", s.name, s.description));
        }
        if let Some(first) = entries.first() {
            out.push_str(&format!("Score: {}.\n\n", first.report.headline.metric));
        }
        let ranked = rank(entries, spec.map(|s| s.version));
        let svg_name = figures::svg_name(&name);
        out.push_str(&format!(
            "![{title}: scores with their intervals]({svg_name})\n\n"
        ));
        figures_out.push((
            svg_name,
            crate::plot::forest_svg(&figures::forest_plot(title, &ranked)),
        ));
        out.push_str(&figures::interval_sentence(&ranked));
        out.push_str("\n\n");
        out.push_str(&render_table(&ranked));
        out.push_str("\n\n");
        if ranked.iter().any(|(e, _)| figures::shows_bias(e)) {
            out.push_str(figures::BIAS_NOTE);
            out.push_str("\n\n");
        }
        out.push_str(&figures::reliability_line(&ranked));
        out.push('\n');
    }
    if !scores.unreadable.is_empty() {
        out.push_str("\n## Not ranked: unreadable score files\n\n");
        for u in &scores.unreadable {
            out.push_str(&format!(
                "* `{}`: {}\n",
                u.path.display(),
                u.reason.replace('\n', " ")
            ));
        }
    }
    Board {
        markdown: out,
        figures: figures_out,
    }
}
