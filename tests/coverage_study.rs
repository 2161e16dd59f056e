//! Coverage of the bootstrap intervals on known truth (issue #11, `docs/intervals.md`).
//!
//! From one fixed simulated population (the synthetic cortex's subjects, reduced in size so the
//! study runs in minutes on two cores), draw `R` replicate test sets (new images, new trials,
//! new noise) and one test set 20 times larger. Score three fixed models on each, compute each
//! replicate's 95 % interval by every method, and count how often it covers the same model's
//! score on the large set. Encoding (pooled NNEA with the true noise ceilings) and RSA (two
//! ROIs, stimulus bootstrap) alike.
//!
//! ```sh
//! cargo test --release --test coverage_study -- --ignored --nocapture
//! ```
//!
//! Writes the table to `target/intervals-coverage.md` (or `$BRAINBENCH_COVERAGE_OUT`) and fails
//! if the default method covers outside 92–98 % for any model. `BRAINBENCH_COVERAGE_REPLICATES`
//! and `BRAINBENCH_COVERAGE_RESAMPLES` change R (default 200) and B (default 1000);
//! `BRAINBENCH_COVERAGE_DUMP=path` also writes every replicate's estimate, resamples, nested
//! resamples and jackknife values as JSON lines (`docs/coverage_from_dump.py` recomputes the
//! table from them, and other interval rules can be tried on the same replicates);
//! `BRAINBENCH_COVERAGE_PER_SUBJECT=0` skips the per-subject resampling rows (a third of the
//! encoding time; they only show that unit is wrong).

use brainbench::benchmark::synth::replicates::{Population, ReplicateModel, TestSet};
use brainbench::benchmark::synth::SynthConfig;
use brainbench::metrics::bootstrap::encoding::{bootstrap_encoding, bootstrap_encoding_nested};
use brainbench::metrics::bootstrap::interval::{bootstrap_interval_adjusted, IntervalMethod};
use brainbench::metrics::bootstrap::jackknife::{jackknife_encoding, jackknife_rsa_stimuli};
use brainbench::metrics::bootstrap::pair_variance::rsa_jackknife_excess;
use brainbench::metrics::bootstrap::rsa::{
    bootstrap_rsa_stimuli, bootstrap_rsa_stimuli_nested, RsaRoi,
};
use brainbench::metrics::bootstrap::BootstrapConfig;
use brainbench::metrics::encoding::{score_block, summarise, EncodingBlock};
use brainbench::metrics::rdm::{Dissimilarity, Rdm};
use brainbench::metrics::rsa::{overall, roi_score};
use ndarray::{Array2, Axis};
use std::fmt::Write;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The reduced synthetic cortex of the study.
fn study_config() -> SynthConfig {
    SynthConfig {
        seed: 0,
        n_subjects: 4,
        n_train: 1000,
        n_test: 150,
        image_size: 32,
        vertices_per_hemisphere: 200,
        trials_per_session: 750,
        ..SynthConfig::default()
    }
}

/// How the encoding bootstrap groups images: per subject (each subject's images drawn on their
/// own, as `bench score` keys them today) or shared (one draw for all subjects, who saw the
/// same images).
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    PerSubject,
    Shared,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::PerSubject => "per-subject",
            Unit::Shared => "shared",
        }
    }
}

/// A replicate's bootstrap samples, jackknife groups and (shared unit) nested resamples.
type Resampled = (Vec<f64>, Vec<Vec<f64>>, Option<Vec<f64>>);

fn encoding_score(
    set: &TestSet,
    model: usize,
    unit: Option<Unit>,
    cfg: &BootstrapConfig,
) -> (f64, Option<Resampled>) {
    let blocks: Vec<EncodingBlock<f32>> = set
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(s, hemis)| {
            hemis.iter().map(move |h| EncodingBlock {
                pred: h.predictions[model].view(),
                truth: h.measured.view(),
                nc: &h.true_nc,
                subject: match unit {
                    Some(Unit::PerSubject) => s as u64,
                    _ => 0,
                },
            })
        })
        .collect();
    let scores: Vec<_> = blocks.iter().map(|b| score_block(b).unwrap()).collect();
    let estimate = summarise(&scores, &[]).unwrap().mean;
    let boot = unit.map(|u| {
        (
            bootstrap_encoding(&blocks, cfg).unwrap().samples,
            jackknife_encoding(&blocks).unwrap(),
            (u == Unit::Shared).then(|| bootstrap_encoding_nested(&blocks, cfg).unwrap()),
        )
    });
    (estimate, boot)
}

/// ROIs of the RSA side: `streams/early` (as EVC) and `streams/ventral` (as IT).
const RSA_ROIS: [(&str, &str); 2] = [("streams", "early"), ("streams", "ventral")];

/// Columns of ROI `(set, name)` in a block.
fn roi_columns(labels: &[(String, Vec<i32>)], set: &str, name: &str) -> Vec<usize> {
    let names = brainbench::benchmark::algonauts2023::ROI_SETS
        .iter()
        .find(|(s, _)| *s == set)
        .unwrap()
        .1;
    let label = names.iter().position(|n| *n == name).unwrap() as i32 + 1;
    let (_, l) = labels.iter().find(|(s, _)| s == set).unwrap();
    l.iter()
        .enumerate()
        .filter(|(_, &x)| x == label)
        .map(|(v, _)| v)
        .collect()
}

/// Patterns (images x vertices) of an ROI, lh and rh pooled, from `pick` of each block, over
/// the given subjects.
fn roi_patterns(
    set: &TestSet,
    subjects: &[usize],
    roi: (&str, &str),
    pick: impl Fn(&brainbench::benchmark::synth::replicates::TestBlock) -> &Array2<f32>,
) -> Array2<f32> {
    let parts: Vec<Array2<f32>> = subjects
        .iter()
        .flat_map(|&s| set.blocks[s].iter())
        .map(|b| {
            let cols = roi_columns(&b.labels, roi.0, roi.1);
            pick(b).select(Axis(1), &cols)
        })
        .collect();
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    ndarray::concatenate(Axis(1), &views).unwrap()
}

struct RsaData {
    models: Vec<[Rdm; 2]>,
    subjects: [Vec<Rdm>; 2],
}

fn rsa_data(set: &TestSet) -> RsaData {
    let all: Vec<usize> = (0..set.blocks.len()).collect();
    let rdm = |p: Array2<f32>| Rdm::from_patterns(p.view(), Dissimilarity::Correlation).unwrap();
    let pixel = Rdm::from_patterns(set.thumbnails.view(), Dissimilarity::Correlation).unwrap();
    let models = (0..ReplicateModel::ALL.len())
        .map(|m| {
            RSA_ROIS.map(|roi| match ReplicateModel::ALL[m] {
                ReplicateModel::PixelNeighbours => pixel.clone(),
                _ => rdm(roi_patterns(set, &all, roi, |b| &b.predictions[m])),
            })
        })
        .collect();
    let subjects = RSA_ROIS.map(|roi| {
        all.iter()
            .map(|&s| rdm(roi_patterns(set, &[s], roi, |b| &b.measured)))
            .collect()
    });
    RsaData { models, subjects }
}

fn rsa_estimate(d: &RsaData, m: usize) -> f64 {
    overall(
        (0..2)
            .map(|r| roi_score("roi", &d.models[m][r], &d.subjects[r], 1.0).unwrap())
            .collect(),
    )
    .unwrap()
    .score
}

const N_METHODS: usize = IntervalMethod::ALL.len();

/// Running tallies of one (score, model, unit) row.
#[derive(Default)]
struct Tally {
    n: usize,
    target: f64,
    estimates: f64,
    bias: f64,
    iterated_bias: f64,
    /// By method, in the order of `IntervalMethod::ALL`.
    covered: [usize; N_METHODS],
    width: [f64; N_METHODS],
    missed_low: [usize; N_METHODS],
    n_iterated: usize,
    /// iterated-jackknife without the pair-variance correction (RSA; the same as
    /// iterated-jackknife for encoding, whose excess is 0): covered, missed below.
    uncorrected: (usize, usize),
    /// Mean of the jackknife standard error before and after the correction.
    jackknife_se: (f64, f64),
    bca_fallbacks: usize,
    percentile_excludes_estimate: usize,
    /// Per replicate: estimate, bootstrap bias, then low and high of each method.
    csv: Vec<String>,
}

impl Tally {
    fn count(&mut self, k: usize, lo: f64, hi: f64, line: &mut String) {
        let _ = write!(line, ",{lo},{hi}");
        self.covered[k] += (lo <= self.target && self.target <= hi) as usize;
        self.missed_low[k] += (hi < self.target) as usize;
        self.width[k] += hi - lo;
    }

    fn add(
        &mut self,
        estimate: f64,
        samples: &[f64],
        jk: &[Vec<f64>],
        excess: f64,
        nested: Option<&[f64]>,
        level: f64,
    ) {
        self.n += 1;
        self.estimates += estimate;
        let mut line = format!("{estimate}");
        let interval = |m: IntervalMethod, excess: f64| {
            bootstrap_interval_adjusted(
                m,
                estimate,
                samples,
                jk,
                excess,
                nested.unwrap_or(&[]),
                level,
            )
            .unwrap()
        };
        for (k, m) in IntervalMethod::ALL.iter().enumerate() {
            if m.needs_nested() && nested.is_none() {
                continue;
            }
            let iv = interval(*m, excess);
            let (lo, hi) = (iv.interval.low, iv.interval.high);
            if k == 0 {
                let _ = write!(line, ",{}", iv.bias);
            }
            self.count(k, lo, hi, &mut line);
            match m {
                IntervalMethod::Bca => {
                    self.bca_fallbacks += (iv.method != IntervalMethod::Bca) as usize;
                }
                IntervalMethod::Percentile => {
                    self.bias += iv.bias;
                    self.percentile_excludes_estimate +=
                        !(lo <= estimate && estimate <= hi) as usize;
                }
                IntervalMethod::IteratedBasic => {
                    self.n_iterated += 1;
                    self.iterated_bias += iv.iterated_bias.unwrap();
                }
                IntervalMethod::IteratedJackknife => {
                    let raw = match iv.jackknife_excess {
                        Some(_) => interval(*m, 0.0).interval,
                        None => iv.interval,
                    };
                    self.uncorrected.0 +=
                        (raw.low <= self.target && self.target <= raw.high) as usize;
                    self.uncorrected.1 += (raw.high < self.target) as usize;
                    let se = brainbench::metrics::bootstrap::interval::jackknife_se(jk).unwrap();
                    self.jackknife_se.0 += se;
                    self.jackknife_se.1 += (se * se - iv.jackknife_excess.unwrap_or(0.0)).sqrt();
                }
                IntervalMethod::Basic => {}
            }
        }
        self.csv.push(line);
    }

    fn row(&self, name: &str) -> String {
        let n = self.n as f64;
        let per_method = |f: &dyn Fn(usize) -> String| -> Vec<String> {
            (0..N_METHODS)
                .map(|k| {
                    if IntervalMethod::ALL[k].needs_nested() && self.n_iterated == 0 {
                        "–".to_string()
                    } else {
                        f(k)
                    }
                })
                .collect()
        };
        let coverage = per_method(&|k| format!("{:.1}", 100.0 * self.covered[k] as f64 / n));
        let width = per_method(&|k| format!("{:.4}", self.width[k] / n));
        let missed = per_method(&|k| self.missed_low[k].to_string());
        let it_bias = if self.n_iterated > 0 {
            format!("{:+.4}", self.iterated_bias / n)
        } else {
            "–".into()
        };
        let uncorrected = if self.n_iterated > 0 {
            format!(
                "{:.1} ({} below) | {:.4} / {:.4}",
                100.0 * self.uncorrected.0 as f64 / n,
                self.uncorrected.1,
                self.jackknife_se.0 / n,
                self.jackknife_se.1 / n
            )
        } else {
            "– | –".into()
        };
        format!(
            "| {name} | {:.4} | {:+.4} | {:+.4} | {it_bias} | {} | {uncorrected} | {} | {} | {} | {} |",
            self.target,
            self.estimates / n - self.target,
            self.bias / n,
            coverage.join(" | "),
            width.join(" / "),
            missed.join(" / "),
            self.bca_fallbacks,
            self.percentile_excludes_estimate,
        )
    }

    fn coverage(&self, m: IntervalMethod) -> f64 {
        let k = IntervalMethod::ALL.iter().position(|x| *x == m).unwrap();
        100.0 * self.covered[k] as f64 / self.n as f64
    }
}

/// Writes the table (returned) and the per-replicate CSV so far.
fn write_report(
    head: &str,
    enc: &[[Tally; 2]],
    rsa: &[Tally],
    elapsed: std::time::Duration,
) -> String {
    let models = ReplicateModel::ALL;
    let mut out = String::from(head);
    let _ = writeln!(out, "| score / model / resampling | target | mean estimate − target | mean bootstrap bias | mean iterated bias | percentile % | basic % | BCa % | iterated-basic % | iterated-jackknife % | iterated-jackknife without pair correction % | mean jackknife se (raw / corrected) | mean width (pct / basic / BCa / it-basic / it-jackknife) | missed below (same order) | BCa fallbacks | percentile excludes estimate |");
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (m, model) in models.iter().enumerate() {
        for (u, name) in ["images per subject", "images shared"].iter().enumerate() {
            if enc[m][u].n == 0 {
                continue;
            }
            let _ = writeln!(
                out,
                "{}",
                enc[m][u].row(&format!("encoding / {} / {name}", model.as_str()))
            );
        }
    }
    for (m, model) in models.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}",
            rsa[m].row(&format!("RSA / {} / stimuli", model.as_str()))
        );
    }
    let _ = writeln!(out, "\n(elapsed {elapsed:.0?}, {} replicates)", enc[0][1].n);
    let path = std::env::var("BRAINBENCH_COVERAGE_OUT").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/intervals-coverage.md").to_string()
    });
    std::fs::write(&path, &out).unwrap();
    let mut csv = String::from("row,target,estimate,bias,percentile_low,percentile_high,basic_low,basic_high,bca_low,bca_high,iterated_low,iterated_high,iterated_jackknife_low,iterated_jackknife_high\n");
    let named = models.iter().enumerate().flat_map(|(m, model)| {
        [
            (
                format!("encoding/{}/per-subject", model.as_str()),
                &enc[m][0],
            ),
            (format!("encoding/{}/shared", model.as_str()), &enc[m][1]),
            (format!("rsa/{}/stimuli", model.as_str()), &rsa[m]),
        ]
    });
    for (name, t) in named {
        for line in &t.csv {
            let _ = writeln!(csv, "{name},{},{line}", t.target);
        }
    }
    std::fs::write(format!("{path}.csv"), csv).unwrap();
    out
}

#[test]
#[ignore = "coverage study: several minutes of CPU; run with --ignored --nocapture"]
fn bootstrap_intervals_cover_the_large_sample_score() {
    let replicates = env("BRAINBENCH_COVERAGE_REPLICATES", 200);
    let resamples = env("BRAINBENCH_COVERAGE_RESAMPLES", 1000);
    let (n_enc, n_rsa, factor) = (150, 60, 20);
    let level = 0.95;
    let cfg = study_config();
    let t0 = std::time::Instant::now();
    let pop = Population::new(&cfg).unwrap();
    let big = pop.draw(factor * n_enc, 1_000_000);
    let big_rsa = pop.draw(factor * n_rsa, 1_000_001);
    let models = ReplicateModel::ALL;
    let per_subject = env("BRAINBENCH_COVERAGE_PER_SUBJECT", 1) != 0;
    let units = [Unit::PerSubject, Unit::Shared];
    let mut enc: Vec<[Tally; 2]> = (0..models.len()).map(|_| Default::default()).collect();
    let mut rsa: Vec<Tally> = (0..models.len()).map(|_| Tally::default()).collect();
    let big_rsa_data = rsa_data(&big_rsa);
    for m in 0..models.len() {
        let target = encoding_score(&big, m, None, &BootstrapConfig::default()).0;
        enc[m][0].target = target;
        enc[m][1].target = target;
        rsa[m].target = rsa_estimate(&big_rsa_data, m);
    }
    drop(big);
    drop(big_rsa);
    eprintln!("population and large sets: {:.0?}", t0.elapsed());
    let mut dump = std::env::var("BRAINBENCH_COVERAGE_DUMP")
        .ok()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()));
    // Dumps a replicate (when asked) and counts it in its row.
    let mut observe = |tally: &mut Tally,
                       row: String,
                       est: f64,
                       s: &[f64],
                       jk: &[Vec<f64>],
                       excess: f64,
                       nested: Option<&[f64]>| {
        if let Some(w) = dump.as_mut() {
            let line = serde_json::json!({"row": row, "target": tally.target, "estimate": est,
                "samples": s, "jackknife": jk, "jackknife_excess": excess, "nested": nested});
            std::io::Write::write_all(w, format!("{line}\n").as_bytes()).unwrap();
        }
        tally.add(est, s, jk, excess, nested, level);
    };
    let mut head = String::new();
    let _ = writeln!(
        head,
        "Coverage of nominal {:.0} % intervals: {replicates} replicate test sets, {resamples} resamples each; \
         synthetic cortex seed {}, {} subjects, about {} vertices per hemisphere, {}-px images; \
         encoding on {n_enc} images (target: {} images), RSA on {n_rsa} images (target: {} images).\n",
        100.0 * level,
        cfg.seed,
        cfg.n_subjects,
        cfg.vertices_per_hemisphere,
        cfg.image_size,
        factor * n_enc,
        factor * n_rsa,
    );
    for r in 0..replicates as u64 {
        let bcfg = BootstrapConfig {
            n_resamples: resamples,
            seed: r,
            level,
        };
        let set = pop.draw(n_enc, r);
        for (m, tallies) in enc.iter_mut().enumerate() {
            for (tally, unit) in tallies.iter_mut().zip(units) {
                if unit == Unit::PerSubject && !per_subject {
                    continue;
                }
                let (est, boot) = encoding_score(&set, m, Some(unit), &bcfg);
                let (samples, jk, nested) = boot.unwrap();
                let name = format!("encoding/{}/{}", models[m].as_str(), unit.as_str());
                observe(tally, name, est, &samples, &jk, 0.0, nested.as_deref());
            }
        }
        let set = pop.draw(n_rsa, 500_000 + r);
        let d = rsa_data(&set);
        for (m, tally) in rsa.iter_mut().enumerate() {
            let rois: Vec<RsaRoi> = (0..2)
                .map(|k| RsaRoi {
                    model: &d.models[m][k],
                    subjects: &d.subjects[k],
                })
                .collect();
            let samples = bootstrap_rsa_stimuli(&rois, &bcfg).unwrap().samples;
            let jk = vec![jackknife_rsa_stimuli(&rois).unwrap()];
            let nested = bootstrap_rsa_stimuli_nested(&rois, &bcfg).unwrap();
            let excess = rsa_jackknife_excess(&rois).unwrap();
            let est = rsa_estimate(&d, m);
            let name = format!("rsa/{}/stimuli", models[m].as_str());
            observe(tally, name, est, &samples, &jk, excess, Some(&nested));
        }
        if (r + 1) % 20 == 0 {
            eprintln!("{}", write_report(&head, &enc, &rsa, t0.elapsed()));
        }
    }
    let out = write_report(&head, &enc, &rsa, t0.elapsed());
    println!("{out}");
    // The default method on the default resampling unit covers 92-98 % on every model.
    let default = IntervalMethod::default();
    let rows = enc.iter().map(|t| &t[1]).chain(rsa.iter());
    for t in rows {
        let c = t.coverage(default);
        assert!(
            (92.0..=98.0).contains(&c),
            "default method {default} covers {c:.1} % (target {})\n{out}",
            t.target
        );
    }
}
