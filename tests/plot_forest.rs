//! The forest-plot SVG writer: a snapshot of a two-panel figure (the committed
//! `tests/fixtures/forest.svg`; rewrite it with `BRAINBENCH_UPDATE_SNAPSHOTS=1` after an
//! intended change and review the diff), determinism, and the geometry of what is drawn.

use brainbench::plot::{forest_svg, ForestEntry, ForestPanel, ForestPlot};

fn entry(name: &str, score: f64, interval: Option<(f64, f64)>) -> ForestEntry {
    ForestEntry {
        name: name.into(),
        score,
        interval,
    }
}

fn figure() -> ForestPlot {
    ForestPlot {
        title: "algonauts2019-fmri <RSA> & friends".into(),
        x_label: "R² (Spearman², mean over subjects)".into(),
        panels: vec![
            ForestPanel {
                title: "EVC".into(),
                entries: vec![
                    entry("siamese-net", 0.052, Some((0.031, 0.071))),
                    entry("pixel-rdm-2019", 0.0048, Some((0.0021, 0.0102))),
                    entry("no-interval", 0.02, None),
                ],
                ceiling: Some(0.064),
            },
            ForestPanel {
                title: "IT".into(),
                entries: vec![
                    entry("pixel-rdm-2019", 0.0012, Some((-0.0004, 0.0031))),
                    entry("siamese-net", 0.041, Some((0.022, 0.058))),
                    entry("broken", f64::NAN, Some((f64::NEG_INFINITY, 1.0))),
                ],
                ceiling: Some(0.0647),
            },
        ],
    }
}

#[test]
fn forest_plot_matches_its_snapshot() {
    let svg = forest_svg(&figure());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/forest.svg");
    if std::env::var("BRAINBENCH_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(path, &svg).unwrap();
    }
    let want = std::fs::read_to_string(path).expect("tests/fixtures/forest.svg is committed");
    assert_eq!(svg, want, "SVG differs from the snapshot {path}");
    assert_eq!(svg, forest_svg(&figure().clone()), "same input, same bytes");
}

#[test]
fn forest_plot_draws_what_it_is_given() {
    let svg = forest_svg(&figure());
    // Rows: the union of names in order of first appearance.
    let fig = figure();
    assert_eq!(
        fig.rows(),
        ["siamese-net", "pixel-rdm-2019", "no-interval", "broken"]
    );
    // Text is escaped; one circle per finite score, one bar per finite interval, one dashed
    // ceiling per panel.
    assert!(svg.contains("algonauts2019-fmri &lt;RSA&gt; &amp; friends"));
    assert_eq!(svg.matches("<circle").count(), 5);
    assert_eq!(svg.matches("stroke-width=\"2\"").count(), 4);
    assert_eq!(svg.matches("stroke-dasharray").count(), 2);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    // Every drawn x lies inside the figure.
    let width: f64 = svg
        .split("width=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    for part in svg
        .split(" cx=\"")
        .skip(1)
        .chain(svg.split(" x1=\"").skip(1))
    {
        let x: f64 = part.split('"').next().unwrap().parse().unwrap();
        assert!((0.0..=width).contains(&x), "x = {x} outside 0..{width}");
    }
    // Changing one score changes the picture.
    let mut other = figure();
    other.panels[0].entries[0].score = 0.06;
    assert_ne!(forest_svg(&other), svg);
    // An empty figure is still a valid document.
    let empty = forest_svg(&ForestPlot {
        title: String::new(),
        x_label: String::new(),
        panels: vec![],
    });
    assert!(empty.starts_with("<svg") && empty.ends_with("</svg>\n"));
}
