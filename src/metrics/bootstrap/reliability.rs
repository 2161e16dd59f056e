//! How reliable a ranking is: figures computed from the entries' paired bootstrap samples
//! (same seed, so resample `b` of every entry saw the same stimuli).

use serde::Serialize;

use crate::metrics::{check_finite, check_same_len, MetricsError, Result};

/// The reliability of one benchmark's ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankingReliability {
    /// Per entry (input order): the share of resamples in which it holds the rank its
    /// full-sample score gives it.
    pub rank_kept: Vec<f64>,
    /// Mean of `rank_kept` over entries.
    pub mean_rank_kept: f64,
    /// Share of resamples whose whole ranking equals the full-sample ranking.
    pub ranking_kept: f64,
    /// `1 − mean_i Var*(θ*_i) / var_i(θ̂_i)`: the share of the spread of scores between entries
    /// not explained by their measurement error; `None` when the scores do not vary.
    pub score_reliability: Option<f64>,
}

/// Ranks (0 = best, highest score) of `scores`, ties broken by index as the leaderboard does
/// for equal scores (stable sort).
fn ranks(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut rank = vec![0; scores.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    rank
}

fn variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// Ranking reliability of entries with full-sample `scores[i]` and paired bootstrap samples
/// `samples[i][b]`.
///
/// ```text
/// rank_i        = rank of θ̂_i among θ̂ (0 = highest; equal scores by input order)
/// rank_kept_i   = #{b : rank of θ*_{i,b} among θ*_{·,b} == rank_i} / B
/// ranking_kept  = #{b : every entry keeps its rank} / B
/// score_reliability = 1 − mean_i var_b(θ*_{i,b}) / var_i(θ̂_i)      (both ddof 1)
/// ```
///
/// The last is the reliability of classical test theory (true-score variance over observed
/// variance) with the bootstrap variance as each entry's error variance; it is the quantity
/// Brain-Score reports as `1 − mean(err²) / var(scores)`. It can be negative when the entries
/// differ less than their errors.
///
/// # Errors
/// [`MetricsError::TooFew`] for fewer than two entries or two resamples;
/// [`MetricsError::LengthMismatch`] when entries have different numbers of resamples or
/// `samples` and `scores` differ in length; [`MetricsError::NonFinite`].
///
/// ```
/// use brainbench::metrics::bootstrap::reliability::ranking_reliability;
/// let r = ranking_reliability(&[2.0, 1.0], &[vec![2.1, 1.9, 0.5], vec![1.0, 2.0, 1.2]]).unwrap();
/// assert_eq!(r.rank_kept, vec![1.0 / 3.0, 1.0 / 3.0]);
/// ```
pub fn ranking_reliability(scores: &[f64], samples: &[Vec<f64>]) -> Result<RankingReliability> {
    check_same_len(
        "ranking reliability: scores vs samples",
        scores.len(),
        samples.len(),
    )?;
    if scores.len() < 2 {
        return Err(MetricsError::TooFew {
            what: "ranking reliability: entries",
            needed: 2,
            found: scores.len(),
            hint: "a ranking needs at least two entries",
        });
    }
    check_finite("ranking reliability: scores", scores)?;
    let nb = samples[0].len();
    if nb < 2 {
        return Err(MetricsError::TooFew {
            what: "ranking reliability: resamples",
            needed: 2,
            found: nb,
            hint: "score the entries with a bootstrap (1000 resamples by default)",
        });
    }
    for s in samples {
        check_same_len("ranking reliability: resamples per entry", nb, s.len())?;
        check_finite("ranking reliability: resampled score", s)?;
    }
    let full = ranks(scores);
    let mut kept = vec![0usize; scores.len()];
    let mut all_kept = 0usize;
    let mut column = vec![0.0; scores.len()];
    for b in 0..nb {
        for (c, s) in column.iter_mut().zip(samples) {
            *c = s[b];
        }
        let r = ranks(&column);
        let mut all = true;
        for (i, k) in kept.iter_mut().enumerate() {
            if r[i] == full[i] {
                *k += 1;
            } else {
                all = false;
            }
        }
        all_kept += all as usize;
    }
    let rank_kept: Vec<f64> = kept.iter().map(|&k| k as f64 / nb as f64).collect();
    let between = variance(scores);
    let error = samples.iter().map(|s| variance(s)).sum::<f64>() / samples.len() as f64;
    Ok(RankingReliability {
        mean_rank_kept: rank_kept.iter().sum::<f64>() / rank_kept.len() as f64,
        rank_kept,
        ranking_kept: all_kept as f64 / nb as f64,
        score_reliability: (between > 0.0).then(|| 1.0 - error / between),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a definition written out by hand on a 3 x 4 example.
    #[test]
    fn matches_hand_computation() {
        let scores = [0.5, 0.3, 0.1];
        let samples = vec![
            vec![0.6, 0.4, 0.5, 0.2],
            vec![0.3, 0.5, 0.2, 0.3],
            vec![0.1, 0.0, 0.3, 0.4],
        ];
        // Resample rankings: b0 (0,1,2) kept; b1 (1,0,2): only entry 2; b2 (0,2,1): only entry 0;
        // b3 (2,1,0): only entry 1.
        let r = ranking_reliability(&scores, &samples).unwrap();
        assert_eq!(r.rank_kept, vec![0.5, 0.5, 0.5]);
        assert_eq!(r.ranking_kept, 0.25);
        let var = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
        };
        let want = 1.0 - samples.iter().map(|s| var(s)).sum::<f64>() / 3.0 / var(&scores);
        assert!((r.score_reliability.unwrap() - want).abs() < 1e-15);
    }

    #[test]
    fn ties_and_errors() {
        // Equal scores: the earlier entry ranks first, in the full sample and in resamples.
        let r = ranking_reliability(&[1.0, 1.0], &[vec![1.0, 1.0], vec![1.0, 1.0]]).unwrap();
        assert_eq!(r.rank_kept, vec![1.0, 1.0]);
        assert_eq!(r.score_reliability, None);
        assert!(ranking_reliability(&[1.0], &[vec![1.0, 2.0]]).is_err());
        assert!(ranking_reliability(&[1.0, 2.0], &[vec![1.0, 2.0]]).is_err());
        assert!(ranking_reliability(&[1.0, 2.0], &[vec![1.0], vec![2.0]]).is_err());
        assert!(ranking_reliability(&[1.0, 2.0], &[vec![1.0, 2.0], vec![2.0]]).is_err());
        assert!(ranking_reliability(&[1.0, f64::NAN], &[vec![1.0, 2.0], vec![2.0, 1.0]]).is_err());
    }
}
