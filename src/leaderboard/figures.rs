//! What the board says about its intervals beside each table: the forest plot (SVG), the
//! interval method and what it covers, the bootstrap bias where an interval can exclude the
//! score, and the ranking's reliability.

use super::{Entry, VersusAbove};
use crate::metrics::bootstrap::percentile_interval;
use crate::metrics::bootstrap::reliability::ranking_reliability;
use crate::plot::{ForestEntry, ForestPanel, ForestPlot};

/// File name of a benchmark's forest plot, written next to `leaderboard.md`.
pub fn svg_name(benchmark: &str) -> String {
    format!("leaderboard-{benchmark}.svg")
}

/// An entry's row label in the plot: its model, with the team where two entries share a model
/// name.
fn label(e: &Entry, all: &[&Entry]) -> String {
    let s = &e.report.submission;
    if all
        .iter()
        .filter(|o| o.report.submission.model == s.model)
        .count()
        > 1
    {
        format!("{} ({})", s.model, s.team)
    } else {
        s.model.clone()
    }
}

/// The ranked entries (not the unranked ones) that the figures are about.
fn ranked_only(ranked: &[(Entry, VersusAbove)]) -> Vec<&Entry> {
    ranked
        .iter()
        .filter(|(_, v)| !matches!(v, VersusAbove::NotRanked(_)))
        .map(|(e, _)| e)
        .collect()
}

/// The forest plot of one benchmark: a panel for the headline score (with each entry's
/// interval, and the noise ceiling where the score is on the ceiling's scale, i.e. RSA), then
/// one panel per target (point estimates; RSA with the target's ceiling).
pub fn forest_plot(title: &str, ranked: &[(Entry, VersusAbove)]) -> ForestPlot {
    let entries = ranked_only(ranked);
    let Some(first) = entries.first() else {
        return ForestPlot {
            title: title.to_string(),
            x_label: String::new(),
            panels: Vec::new(),
        };
    };
    let rsa = first.report.headline.percent_of_ceiling.is_some();
    let mut panels = vec![ForestPanel {
        title: "overall".into(),
        entries: entries
            .iter()
            .map(|e| ForestEntry {
                name: label(e, &entries),
                score: e.report.headline.value,
                interval: e.report.headline.ci_low.zip(e.report.headline.ci_high),
            })
            .collect(),
        ceiling: rsa.then_some(first.report.noise_ceiling.value),
    }];
    for (k, target) in first.report.targets.iter().enumerate() {
        panels.push(ForestPanel {
            title: target.name.clone(),
            entries: entries
                .iter()
                .filter_map(|e| {
                    let t = e.report.targets.get(k).filter(|t| t.name == target.name)?;
                    Some(ForestEntry {
                        name: label(e, &entries),
                        score: t.value,
                        interval: None,
                    })
                })
                .collect(),
            ceiling: target.noise_ceiling,
        });
    }
    ForestPlot {
        title: title.to_string(),
        x_label: if rsa { "R²".into() } else { "NNEA (%)".into() },
        panels,
    }
}

/// One sentence naming the interval method(s) of the table and what they cover.
pub fn interval_sentence(ranked: &[(Entry, VersusAbove)]) -> String {
    let mut kinds: Vec<(String, String, String, usize)> = Vec::new();
    for (e, _) in ranked {
        let b = &e.report.bootstrap;
        if b.resamples == 0 {
            continue;
        }
        let method = if b.method == b.method_requested {
            b.method.clone()
        } else {
            format!("{} (asked: {})", b.method, b.method_requested)
        };
        let key = (method, b.over.clone(), b.covers.clone(), b.resamples);
        if !kinds.contains(&key) {
            kinds.push(key);
        }
    }
    if kinds.is_empty() {
        return "No entry has a bootstrap interval.".into();
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(method, over, covers, n)| {
            format!("{:.0} % {method} bootstrap intervals over {over} ({n} resamples), covering {covers}", 100.0 * ranked[0].0.report.bootstrap.level)
        })
        .collect();
    format!("Intervals: {}.", parts.join("; "))
}

/// Whether the board shows an entry's bootstrap bias: when its interval excludes its score,
/// or the percentile interval of its resamples would.
pub fn shows_bias(e: &Entry) -> bool {
    let r = &e.report;
    let v = r.headline.value;
    let excludes = |lo: f64, hi: f64| !(lo <= v && v <= hi);
    let shown = r.headline.ci_low.zip(r.headline.ci_high);
    let percentile = percentile_interval(&r.bootstrap.samples, r.bootstrap.level).ok();
    r.bootstrap.bias.is_some()
        && (shown.is_some_and(|(l, h)| excludes(l, h))
            || percentile.is_some_and(|p| excludes(p.low, p.high)))
}

/// The one-sentence explanation printed under a table that shows a bootstrap bias.
pub const BIAS_NOTE: &str = "*bias* is the bootstrap bias (mean resampled score − score), shown where the interval or a plain percentile interval excludes the score: resampling images with replacement shifts squared correlations (duplicates, max(r, 0), the clip at 100), the interval is corrected for that shift, and so it need not contain the score.";

/// The ranking-reliability line printed under a table (from the entries' paired resamples).
pub fn reliability_line(ranked: &[(Entry, VersusAbove)]) -> String {
    let entries = ranked_only(ranked);
    let comparable = entries.windows(2).all(|w| {
        let (a, b) = (&w[0].report.bootstrap, &w[1].report.bootstrap);
        a.seed == b.seed && a.resamples == b.resamples && a.over == b.over
    });
    let scores: Vec<f64> = entries.iter().map(|e| e.report.headline.value).collect();
    let samples: Vec<Vec<f64>> = entries
        .iter()
        .map(|e| e.report.bootstrap.samples.clone())
        .collect();
    let figure = comparable
        .then(|| ranking_reliability(&scores, &samples).ok())
        .flatten();
    match figure {
        None => "Ranking reliability: not computed (it needs at least two ranked entries with the same resamples).".into(),
        Some(r) => {
            let reliability = r
                .score_reliability
                .map(|v| format!("{v:.3}"))
                .unwrap_or_else(|| "undefined (equal scores)".into());
            format!(
                "Ranking reliability (the same resamples as the intervals): each entry keeps its rank in {:.1} % of resamples on average, the whole ranking in {:.1} %; score reliability 1 − mean(bootstrap variance) / variance of the scores = {reliability}.",
                100.0 * r.mean_rank_kept,
                100.0 * r.ranking_kept
            )
        }
    }
}
