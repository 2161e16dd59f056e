//! Progress on stderr for work that can take more than a couple of seconds (DESIGN.md,
//! conventions): a bar with a message, a spinner, and lines printed above them (one per training
//! epoch, say). Everything is silent when stderr is not a terminal, so logs, pipes and CI output
//! carry no control characters, and stdout (tables, `--json`) is never touched.
//!
//! ```
//! use brainbench::progress::Progress;
//! let bar = Progress::bar(3, "scoring");
//! for id in ["a", "b", "c"] {
//!     bar.set_message(format!("scoring {id}"));
//!     bar.inc(1);
//! }
//! bar.line("epoch 1/3: loss 0.25");
//! bar.finish();
//! ```

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::Duration;

/// A progress indicator on stderr; cheap to clone and safe to advance from several threads
/// (rayon workers). Cleared when finished or when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `len` steps, labelled `message`.
    pub fn bar(len: u64, message: impl Into<Cow<'static, str>>) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len), target())
            .with_finish(ProgressFinish::AndClear);
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({elapsed}, eta {eta})")
                .expect("valid template"),
        );
        bar.set_message(message);
        Progress { bar }
    }

    /// A spinner for work of unknown length, labelled `message`; it ticks on its own.
    pub fn spinner(message: impl Into<Cow<'static, str>>) -> Self {
        let bar =
            ProgressBar::with_draw_target(None, target()).with_finish(ProgressFinish::AndClear);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar }
    }

    /// Advances by `n` steps.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Replaces the message.
    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        self.bar.set_message(message);
    }

    /// Prints `text` as a line above the bar (e.g. `epoch 3/20: loss 0.31`); nothing when silent.
    pub fn line(&self, text: impl AsRef<str>) {
        self.bar.println(text);
    }

    /// Removes the indicator from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Whether anything is drawn (stderr is a terminal).
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }
}

/// stderr when it is a terminal, else nowhere.
fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_when_stderr_is_not_a_terminal() {
        // Under `cargo test` stderr is captured (a pipe), as in CI.
        if std::io::stderr().is_terminal() {
            return;
        }
        let bar = Progress::bar(2, "x");
        bar.inc(2);
        bar.line("epoch 1/1");
        assert!(!bar.is_visible());
        assert!(!Progress::spinner("y").is_visible());
    }
}
