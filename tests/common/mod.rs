//! Helpers shared by the integration tests: the Python peer (numpy, scipy, rsatoolbox) and the
//! real data found through `BRAINBENCH_DATA` / `BRAINBENCH_WEIGHTS`.
//!
//! A test that needs something missing prints `SKIPPED <test>: <why>` and returns, unless
//! `BRAINBENCH_REQUIRE_PEERS=1` is set (CI sets it), in which case it fails: in CI a missing peer or
//! dataset is a broken set-up, never a silent pass.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Skips the current test (or fails it under `BRAINBENCH_REQUIRE_PEERS=1`) with a reason.
///
/// The line goes straight to the process's stderr: the test harness captures `eprintln!` of
/// passing tests, which would hide the skip behind an "ok".
pub fn skip(test: &str, why: &str) {
    if std::env::var("BRAINBENCH_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("{test}: required by BRAINBENCH_REQUIRE_PEERS=1 but unavailable: {why}");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The Python interpreter of the peer venv: `BRAINBENCH_PYTHON`, else `.venv/bin/python` at the
/// repository root (created by `.ci/run` from `tests/peers/requirements.txt`).
pub fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BRAINBENCH_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// Runs `tests/peers/<script>` with `input` as JSON on stdin and returns its JSON stdout.
/// Returns `None` (after [`skip`]) when no peer Python is available.
pub fn run_peer(test: &str, script: &str, input: &serde_json::Value) -> Option<serde_json::Value> {
    let Some(py) = python() else {
        skip(
            test,
            "no peer Python: run `python3 -m venv .venv && .venv/bin/pip install -r tests/peers/requirements.txt`, or set BRAINBENCH_PYTHON",
        );
        return None;
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    let mut child = Command::new(&py)
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", py.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} failed:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("peer script must print JSON"))
}

/// The real-data root `BRAINBENCH_DATA`, or `None` after [`skip`] when it is unset or missing.
pub fn real_data(test: &str) -> Option<PathBuf> {
    match std::env::var_os("BRAINBENCH_DATA").map(PathBuf::from) {
        Some(p) if p.is_dir() => Some(p),
        Some(p) => {
            skip(
                test,
                &format!("BRAINBENCH_DATA={} is not a directory", p.display()),
            );
            None
        }
        None => {
            skip(
                test,
                "BRAINBENCH_DATA is not set (CI sets it to ../shared/data)",
            );
            None
        }
    }
}

/// Pairs our values with the peer's after asserting there are as many of each: a bare `zip`
/// stops at the shorter side, so an empty or truncated peer result would pass every comparison.
pub fn paired<A, B>(
    what: &str,
    ours: A,
    peer: B,
) -> std::iter::Zip<<A as IntoIterator>::IntoIter, <B as IntoIterator>::IntoIter>
where
    A: IntoIterator,
    B: IntoIterator,
    <A as IntoIterator>::IntoIter: ExactSizeIterator,
    <B as IntoIterator>::IntoIter: ExactSizeIterator,
{
    let (ours, peer) = (ours.into_iter(), peer.into_iter());
    assert_eq!(
        ours.len(),
        peer.len(),
        "{what}: {} values of ours against {} of the peer",
        ours.len(),
        peer.len()
    );
    ours.zip(peer)
}

/// A finished command's stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts the command exited 2 (invalid input) and its output names every one of `needles`.
pub fn assert_refused(o: &Output, needles: &[&str]) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    for n in needles {
        assert!(t.contains(n), "expected `{n}` in:\n{t}");
    }
}
