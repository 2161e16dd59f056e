//! The organisers' workflow refuses a submission pull request that changes anything outside its
//! own `submissions/<id>/` folder: `.github/scripts/submission-scope.sh`, run on changed-file
//! lists.

use std::io::Write;
use std::process::{Command, Stdio};

fn scope(changed: &str) -> (Option<i32>, String) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".github/scripts/submission-scope.sh");
    let mut child = Command::new("bash")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(changed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn one_submission_folder_passes_and_names_its_id() {
    let (code, out) = scope(
        "submissions/my-team/submission.toml\nsubmissions/my-team/subj01/lh_pred_test.npy\nsubmissions/my-team/score.json\n",
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "my-team\n");
}

#[test]
fn anything_outside_the_folder_is_refused() {
    for changed in [
        "submissions/my-team/score.json\nsrc/scoring.rs\n",
        "submissions/my-team/score.json\n.github/workflows/score-submission.yml\n",
        "submissions/my-team/score.json\nleaderboard.md\n",
        "submissions/my-team\n",
    ] {
        let (code, out) = scope(changed);
        assert_eq!(code, Some(1), "{changed}: {out}");
        assert!(out.contains("only its own"), "{out}");
    }
}

#[test]
fn two_folders_a_reserved_id_or_an_odd_name_are_refused() {
    for (changed, needle) in [
        ("submissions/a/x.npy\nsubmissions/b/x.npy\n", "exactly one"),
        (
            "submissions/pixel-rdm--algonauts2019-fmri/score.json\n",
            "reserved",
        ),
        ("submissions/Evil$(id)/score.json\n", "must match"),
        ("", "exactly one"),
    ] {
        let (code, out) = scope(changed);
        assert_eq!(code, Some(1), "{changed}: {out}");
        assert!(out.contains(needle), "{changed}: {out}");
    }
}
