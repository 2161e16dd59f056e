//! Rank statistics: average ranks for ties, Spearman's rho, Kendall's tau-a and rsatoolbox's
//! rho-a. RDM comparison uses them on the condensed upper triangles.

use super::correlation::pearson;
use super::radix::sort_high_bits;
use super::{check_finite, check_same_len, MetricsError, Result};

/// Ranks `1..=n` of `x`, tied values sharing the average of the ranks they span.
///
/// ```text
/// rank(x_i) = 1 + #{j : x_j < x_i} + (#{j : x_j == x_i} - 1) / 2
/// ```
///
/// Same as `scipy.stats.rankdata(x, method="average")`.
///
/// # Errors
/// [`MetricsError::NonFinite`] for a NaN or infinite value (its rank would be meaningless).
///
/// ```
/// use brainbench::metrics::ranks::rankdata;
/// assert_eq!(rankdata(&[10.0, 20.0, 10.0, 5.0]).unwrap(), vec![2.5, 4.0, 2.5, 1.0]);
/// ```
pub fn rankdata(x: &[f64]) -> Result<Vec<f64>> {
    check_finite("rankdata input", x)?;
    let n = x.len();
    // Each value becomes one word: the high bits of its order key above its index. A radix
    // sort of those words on the key bits orders the values and keeps the indices.
    let index_bits = usize::BITS - n.saturating_sub(1).leading_zeros();
    let packed_key = |i: usize| -> u64 {
        let prefix = order_key(x[i]) >> index_bits << index_bits;
        prefix | i as u64
    };
    let mut words: Vec<u64> = (0..n).map(packed_key).collect();
    sort_high_bits(&mut words, index_bits);
    let index = |word: u64| (word & ((1u64 << index_bits) - 1)) as usize;
    let prefix = |word: u64| word >> index_bits;

    let mut ranks = vec![0.0; n];
    let mut run: Vec<(u64, usize)> = Vec::new();
    let mut start = 0; // sorted position of the group's first word
    for group in words.chunk_by(|&a, &b| prefix(a) == prefix(b)) {
        if let [word] = group {
            ranks[index(*word)] = (start + 1) as f64;
        } else {
            // Equal key prefixes: exact ties, or values that differ only in the low mantissa
            // bits the index displaced. Order the run by the full key, then average ties.
            run.clear();
            run.extend(group.iter().map(|&w| (order_key(x[index(w)]), index(w))));
            run.sort_unstable();
            average_tied_ranks(&run, start, &mut ranks);
        }
        start += group.len();
    }
    Ok(ranks)
}

/// The ascending order of a vector's values and its runs of ties, computed once. It gives the
/// average ranks of any resample that only repeats and drops values ([`Self::for_each_rank`]:
/// a stimulus bootstrap of an RDM) by counting along the known order instead of sorting again.
#[derive(Debug, Clone)]
pub(crate) struct ValueOrder {
    /// Indices of the values in ascending order; [`TIED`] set on an entry whose value equals the
    /// next entry's.
    order: Vec<u32>,
}

/// Flag of a [`ValueOrder`] entry tied with the next one (indices are below 2^31).
const TIED: u32 = 1 << 31;

impl ValueOrder {
    /// # Errors
    /// [`MetricsError::NonFinite`] for a NaN or infinite value.
    pub(crate) fn new(x: &[f64]) -> Result<Self> {
        check_finite("rank order input", x)?;
        assert!(x.len() < TIED as usize, "2^31 values or more");
        let mut keyed: Vec<(u64, u32)> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| (order_key(v), i as u32))
            .collect();
        keyed.sort_unstable();
        let order = keyed
            .iter()
            .zip(keyed.iter().skip(1).map(Some).chain([None]))
            .map(|(&(key, i), next)| match next {
                Some(&(next_key, _)) if next_key == key => i | TIED,
                _ => i,
            })
            .collect();
        Ok(ValueOrder { order })
    }

    /// Visits the values in ascending order with their average rank in the resample in which
    /// value `i` occurs `weights[i]` times (0 = dropped), all copies of a value sharing its rank:
    /// `f(position, i, weights[i], rank_i)`. Returns the resample's length `W = sum(weights)`.
    ///
    /// ```text
    /// rank_i = 1 + W(x < x_i) + (W(x == x_i) - 1) / 2,     W(c) = sum of weights[j] with c
    /// ```
    ///
    /// These are exactly the values [`rankdata`] gives each copy in the resampled vector: both
    /// are integers or half-integers, computed without rounding.
    #[inline]
    pub(crate) fn for_each_rank(
        &self,
        weights: &[u32],
        mut f: impl FnMut(usize, usize, u32, f64),
    ) -> u64 {
        let order = &self.order;
        let mut before = 0u64;
        let mut k = 0;
        while k < order.len() {
            let entry = order[k];
            if entry & TIED == 0 {
                let i = entry as usize;
                let w = weights[i];
                f(k, i, w, before as f64 + (f64::from(w) + 1.0) / 2.0);
                before += u64::from(w);
                k += 1;
            } else {
                let start = k;
                let mut run = 0u64;
                loop {
                    let entry = order[k];
                    run += u64::from(weights[(entry & !TIED) as usize]);
                    k += 1;
                    if entry & TIED == 0 {
                        break;
                    }
                }
                let rank = before as f64 + (run as f64 + 1.0) / 2.0;
                for (pos, &entry) in order.iter().enumerate().take(k).skip(start) {
                    let i = (entry & !TIED) as usize;
                    f(pos, i, weights[i], rank);
                }
                before += run;
            }
        }
        before
    }
}

/// Gives the values of `run` (sorted (key, index) pairs occupying sorted positions
/// `offset..offset + run.len()`) their ranks, tied keys sharing the mean of their ranks.
fn average_tied_ranks(run: &[(u64, usize)], offset: usize, ranks: &mut [f64]) {
    let mut first = offset + 1;
    for tied in run.chunk_by(|a, b| a.0 == b.0) {
        // ranks first ..= first + len - 1 share their mean
        let avg = (2 * first + tied.len() - 1) as f64 / 2.0;
        for &(_, i) in tied {
            ranks[i] = avg;
        }
        first += tied.len();
    }
}

/// A u64 whose unsigned order is the numeric order of the finite value `v`, equal exactly when
/// the values are equal (-0.0 and 0.0 share a key).
fn order_key(v: f64) -> u64 {
    let bits = if v == 0.0 { 0 } else { v.to_bits() };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Spearman's rank correlation: Pearson r of the average ranks.
///
/// ```text
/// rho = Pearson(rankdata(x), rankdata(y))
/// ```
///
/// Same as `scipy.stats.spearmanr(x, y).statistic` (ties get average ranks). `Ok(None)` when
/// rho is undefined: fewer than two points or either side constant.
///
/// # Errors
/// [`MetricsError::LengthMismatch`], or [`MetricsError::NonFinite`] for NaN/inf input.
///
/// ```
/// use brainbench::metrics::ranks::spearman;
/// let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap().unwrap();
/// assert!((rho - 0.8).abs() < 1e-15);
/// ```
pub fn spearman(x: &[f64], y: &[f64]) -> Result<Option<f64>> {
    check_same_len("spearman(x, y)", x.len(), y.len())?;
    pearson(&rankdata(x)?, &rankdata(y)?)
}

fn check_pairs(what: &'static str, x: &[f64], y: &[f64]) -> Result<()> {
    check_same_len(what, x.len(), y.len())?;
    if x.len() < 2 {
        return Err(MetricsError::TooFew {
            what,
            needed: 2,
            found: x.len(),
            hint: "a rank correlation needs at least two pairs (an RDM of at least 3 images)",
        });
    }
    check_finite(what, x)?;
    check_finite(what, y)
}

/// Kendall's tau-a: (concordant - discordant) pairs over all pairs; tied pairs count zero, so
/// a model that predicts ties is not rewarded for them.
///
/// ```text
/// tau_a = sum_{i<j} sign(x_i - x_j) sign(y_i - y_j) / (n (n - 1) / 2)
/// ```
///
/// As rsatoolbox 0.3 `rdm.compare(..., method="tau-a")` (`_tau_a`, after Nili et al. 2014),
/// computed in O(n log n) with Knight's algorithm: sort by (x, y), count discordant pairs as
/// inversions by merge sort, and correct for ties in x, in y and joint ties.
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::TooFew`] (n < 2),
/// [`MetricsError::NonFinite`].
///
/// ```
/// use brainbench::metrics::ranks::kendall_tau_a;
/// // pairs: (1,2) +, (1,3) +, (2,3) tie in x -> 0  => 2/3
/// let t = kendall_tau_a(&[1.0, 2.0, 2.0], &[1.0, 2.0, 3.0]).unwrap();
/// assert!((t - 2.0 / 3.0).abs() < 1e-15);
/// ```
pub fn kendall_tau_a(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pairs("kendall_tau_a(x, y)", x, y)?;
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| cmp(x[a], x[b]).then(cmp(y[a], y[b])));
    let tie_pairs = |same: &dyn Fn(usize, usize) -> bool| -> u64 {
        let mut total = 0u64;
        let mut run = 1u64;
        for k in 1..n {
            if same(order[k - 1], order[k]) {
                run += 1;
            } else {
                total += run * (run - 1) / 2;
                run = 1;
            }
        }
        total + run * (run - 1) / 2
    };
    let xtie = tie_pairs(&|a, b| x[a] == x[b]);
    let ntie = tie_pairs(&|a, b| x[a] == x[b] && y[a] == y[b]);
    let mut ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let mut buf = vec![0.0; n];
    let dis = count_inversions(&mut ys, &mut buf);
    // `ys` is now sorted: count ties in y on it.
    let mut ytie = 0u64;
    let mut run = 1u64;
    for k in 1..n {
        if ys[k] == ys[k - 1] {
            run += 1;
        } else {
            ytie += run * (run - 1) / 2;
            run = 1;
        }
    }
    ytie += run * (run - 1) / 2;
    let tot = (n as u64) * (n as u64 - 1) / 2;
    let con_minus_dis = tot as f64 - xtie as f64 - ytie as f64 + ntie as f64 - 2.0 * dis as f64;
    Ok((con_minus_dis / tot as f64).clamp(-1.0, 1.0))
}

/// IEEE order of two finite values (checked by the callers). Unlike `total_cmp` it treats
/// -0.0 and 0.0 as equal, which the tie detection (`==`) relies on.
fn cmp(a: f64, b: f64) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
}

/// Sorts `v` ascending and returns the number of pairs i < j with v_i > v_j (strict).
fn count_inversions(v: &mut [f64], buf: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = {
        let (l, r) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        count_inversions(l, bl) + count_inversions(r, br)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[j] < v[i] {
            buf[k] = v[j];
            count += (mid - i) as u64;
            j += 1;
        } else {
            buf[k] = v[i];
            i += 1;
        }
        k += 1;
    }
    buf[k..k + mid - i].copy_from_slice(&v[i..mid]);
    k += mid - i;
    buf[k..n].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buf[..n]);
    count
}

/// rsatoolbox's rho-a: Spearman's rho without the tie correction of the denominator.
///
/// ```text
/// r1, r2 = rankdata(x) - mean, rankdata(y) - mean        (average ranks, centred)
/// rho_a  = 12 * sum_i r1_i r2_i / (n^3 - n)
/// ```
///
/// As rsatoolbox 0.3 `rdm.compare(..., method="rho-a")` (`compare_rho_a`). Equals Spearman's
/// rho when there are no ties; with ties it is smaller in magnitude, so tied model predictions
/// are not rewarded.
///
/// # Errors
/// [`MetricsError::LengthMismatch`], [`MetricsError::TooFew`] (n < 2),
/// [`MetricsError::NonFinite`].
///
/// ```
/// use brainbench::metrics::ranks::rho_a;
/// let r = rho_a(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
/// assert!((r - 0.8).abs() < 1e-15);
/// ```
pub fn rho_a(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pairs("rho_a(x, y)", x, y)?;
    Ok(rho_a_of_ranks(&rankdata(x)?, &rankdata(y)?))
}

/// rho-a from average ranks (1..=n) of both sides.
pub(crate) fn rho_a_of_ranks(r1: &[f64], r2: &[f64]) -> f64 {
    let n = r1.len() as f64;
    let centre = (n + 1.0) / 2.0; // mean of ranks 1..=n, ties included
    let s: f64 = r1
        .iter()
        .zip(r2)
        .map(|(a, b)| (a - centre) * (b - centre))
        .sum();
    12.0 * s / (n * n * n - n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_ranks_equal_the_ranks_of_the_repeated_vector() {
        let x = [3.0, 1.0, 3.0, -0.0, 0.0, 7.5, 1.0];
        let order = ValueOrder::new(&x).unwrap();
        for weights in [[1u32, 1, 1, 1, 1, 1, 1], [2, 0, 1, 3, 0, 1, 2], [0; 7]] {
            let repeated: Vec<f64> = x
                .iter()
                .zip(&weights)
                .flat_map(|(&v, &w)| std::iter::repeat_n(v, w as usize))
                .collect();
            let direct = rankdata(&repeated).unwrap();
            let mut ranks = [0.0; 7];
            let total = order.for_each_rank(&weights, |_, i, _, r| ranks[i] = r);
            assert_eq!(total as usize, repeated.len());
            let via_order: Vec<f64> = (0..7)
                .flat_map(|i| std::iter::repeat_n(ranks[i], weights[i] as usize))
                .collect();
            assert_eq!(via_order, direct, "weights {weights:?}");
        }
        assert!(ValueOrder::new(&[1.0, f64::NAN]).is_err());
    }

    /// O(n^2) tau-a straight from the definition.
    fn tau_a_naive(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len();
        let mut s = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                s += ((x[i] - x[j]).signum() * (x[i] != x[j]) as i32 as f64)
                    * ((y[i] - y[j]).signum() * (y[i] != y[j]) as i32 as f64);
            }
        }
        s / (n * (n - 1) / 2) as f64
    }

    #[test]
    fn tau_a_matches_definition_with_many_ties() {
        let x: Vec<f64> = (0..200).map(|i| ((i * 37) % 7) as f64).collect();
        let y: Vec<f64> = (0..200)
            .map(|i| ((i * 11) % 5) as f64 + ((i % 3) as f64))
            .collect();
        let fast = kendall_tau_a(&x, &y).unwrap();
        assert!((fast - tau_a_naive(&x, &y)).abs() < 1e-14, "{fast}");
    }

    /// Ties, signed zeros, negatives and neighbouring floats (equal in all but the lowest
    /// mantissa bits, so equal in the radix sort's key prefix) against the definition.
    #[test]
    fn rankdata_matches_definition_on_near_ties() {
        let base: [f64; 6] = [0.25, -3.0, 1e-300, 7.5, 0.0, -0.0];
        let x: Vec<f64> = (0..3000)
            .map(|i| {
                let b = base[(i * 7) % base.len()];
                let ulps = (i * 13 % 5) as u64; // 0..4 ulps above b, repeated: ties and near-ties
                if b == 0.0 {
                    b
                } else {
                    f64::from_bits(b.to_bits() + ulps)
                }
            })
            .chain((0..500).map(|i| (i as f64 * 0.37).sin()))
            .collect();
        let want: Vec<f64> = x
            .iter()
            .map(|&xi| {
                let less = x.iter().filter(|&&xj| xj < xi).count();
                let equal = x.iter().filter(|&&xj| xj == xi).count();
                1.0 + less as f64 + (equal as f64 - 1.0) / 2.0
            })
            .collect();
        assert_eq!(rankdata(&x).unwrap(), want);
        assert_eq!(rankdata(&[]).unwrap(), Vec::<f64>::new());
        assert_eq!(rankdata(&[4.0]).unwrap(), vec![1.0]);
    }

    #[test]
    fn signed_zeros_are_ties() {
        let x = [0.0, -0.0, 1.0, 0.0, -0.0, -1.0];
        let y = [1.0, 0.0, 2.0, -1.0, 3.0, 0.5];
        assert!((kendall_tau_a(&x, &y).unwrap() - tau_a_naive(&x, &y)).abs() < 1e-15);
        assert_eq!(rankdata(&x).unwrap(), vec![3.5, 3.5, 6.0, 3.5, 3.5, 1.0]);
    }

    #[test]
    fn order_key_is_monotone() {
        let v = [f64::MIN, -3.5, -1e-300, -0.0, 0.0, 1e-300, 2.0, f64::MAX];
        for w in v.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]), "{w:?}");
            assert_eq!(order_key(w[0]) == order_key(w[1]), w[0] == w[1], "{w:?}");
        }
    }

    #[test]
    fn constant_inputs() {
        assert_eq!(spearman(&[1.0; 4], &[1.0, 2.0, 3.0, 4.0]).unwrap(), None);
        assert_eq!(
            kendall_tau_a(&[1.0; 4], &[1.0, 2.0, 3.0, 4.0]).unwrap(),
            0.0
        );
        assert_eq!(rho_a(&[1.0; 4], &[1.0, 2.0, 3.0, 4.0]).unwrap(), 0.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            rankdata(&[1.0, f64::NAN]),
            Err(MetricsError::NonFinite { .. })
        ));
        assert!(matches!(
            rho_a(&[1.0], &[1.0]),
            Err(MetricsError::TooFew { .. })
        ));
        assert!(matches!(
            kendall_tau_a(&[1.0, 2.0], &[1.0]),
            Err(MetricsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            spearman(&[1.0, 2.0], &[1.0]),
            Err(MetricsError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn rho_a_equals_spearman_without_ties() {
        let x = [0.1, 0.5, 0.3, 0.9, 0.7, 0.2];
        let y = [1.0, 3.0, 2.5, 0.1, 5.0, 4.0];
        let s = spearman(&x, &y).unwrap().unwrap();
        assert!((rho_a(&x, &y).unwrap() - s).abs() < 1e-15);
        assert!((kendall_tau_a(&x, &y).unwrap() - tau_a_naive(&x, &y)).abs() < 1e-15);
    }
}
