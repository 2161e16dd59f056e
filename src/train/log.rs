//! The per-epoch record: what the progress callback receives and what the CSV training log
//! (`train_log.csv` beside a submission) holds, one row per epoch.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// What was trained (e.g. `siamese-vgg16 IT features.30`); empty for a single run.
    pub run: String,
    /// The epoch, from 1.
    pub epoch: usize,
    /// The number of epochs asked for.
    pub epochs: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// The validation metric after the epoch (higher is better).
    pub validation: f64,
    /// The learning rate.
    pub lr: f64,
    /// Wall time of the epoch (training and validation), seconds.
    pub seconds: f64,
    /// Whether this epoch is the best so far on the validation metric.
    pub best: bool,
}

/// The CSV header of the training log.
pub const CSV_HEADER: &str = "run,epoch,train_loss,validation,lr,seconds,best";

/// The training log as CSV text (header and one row per epoch; floats in Rust's shortest
/// round-trip form).
pub fn to_csv(rows: &[EpochReport]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{},{:.3},{}\n",
            csv_field(&r.run),
            r.epoch,
            r.train_loss,
            r.validation,
            r.lr,
            r.seconds,
            r.best
        ));
    }
    s
}

/// Writes the log atomically.
pub fn write_csv(path: &Path, rows: &[EpochReport]) -> crate::io::Result<()> {
    crate::io::atomic::write_atomic(path, to_csv(rows).as_bytes())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_one_row_per_epoch_and_quotes_commas() {
        let r = EpochReport {
            run: "a,b".into(),
            epoch: 2,
            epochs: 3,
            train_loss: 0.5,
            validation: -0.25,
            lr: 1e-4,
            seconds: 1.23456,
            best: true,
        };
        assert_eq!(
            to_csv(&[r]),
            "run,epoch,train_loss,validation,lr,seconds,best\n\"a,b\",2,0.5,-0.25,0.0001,1.235,true\n"
        );
    }
}
