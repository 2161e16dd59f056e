//! Forest plots as SVG: each entry's score with its interval, one panel per target group, the
//! noise ceiling as a dashed line. Written by hand rather than with a plotting crate: the
//! figure is a few dozen lines and rectangles, and owning the writer makes the output
//! byte-identical for identical input (fixed number formatting, no fonts measured, no
//! timestamps or random ids), which `bench leaderboard --check` relies on.
//!
//! The SVG uses only `line`, `rect`, `circle` and `text` with a generic `sans-serif` font, so it
//! renders the same on GitHub (embedded with `![...](file.svg)`) and in browsers.

use std::fmt::Write;

/// One row of a panel: an entry's score and, when it has one, its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestEntry {
    /// Row label (the entry's name); rows with the same name line up across panels.
    pub name: String,
    /// The score (point estimate).
    pub score: f64,
    /// The interval `(low, high)`, if any.
    pub interval: Option<(f64, f64)>,
}

/// One panel: a target (ROI group, or the headline) with its entries.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestPanel {
    /// Panel title, e.g. `EVC` or `overall`.
    pub title: String,
    /// The entries, any order (rows follow [`ForestPlot::rows`]).
    pub entries: Vec<ForestEntry>,
    /// The noise ceiling on the panel's scale, drawn as a dashed line.
    pub ceiling: Option<f64>,
}

/// A whole figure: one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestPlot {
    /// Figure title (the benchmark).
    pub title: String,
    /// Label of every x axis (what the score is).
    pub x_label: String,
    /// Panels, left to right.
    pub panels: Vec<ForestPanel>,
}

impl ForestPlot {
    /// Row labels: every entry name in order of first appearance, panel by panel.
    pub fn rows(&self) -> Vec<&str> {
        let mut rows: Vec<&str> = Vec::new();
        for p in &self.panels {
            for e in &p.entries {
                if !rows.contains(&e.name.as_str()) {
                    rows.push(&e.name);
                }
            }
        }
        rows
    }
}

const ROW_H: f64 = 22.0;
const PANEL_W: f64 = 220.0;
const PANEL_GAP: f64 = 24.0;
const TOP: f64 = 52.0;
const BOTTOM: f64 = 48.0;
const CHAR_W: f64 = 6.6;

/// Escapes text for an SVG text node or attribute.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Ticks of a "nice" axis covering `[lo, hi]`: steps of 1, 2 or 5 times a power of ten, about
/// five of them; returns (axis low, axis high, step, decimals to print).
fn nice_axis(lo: f64, hi: f64) -> (f64, f64, f64, usize) {
    let (lo, hi) = if hi - lo > 1e-12 * hi.abs().max(1.0) {
        (lo, hi)
    } else {
        let pad = 0.5 * lo.abs().max(1e-3);
        (lo - pad, hi + pad)
    };
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    (
        (lo / step).floor() * step,
        (hi / step).ceil() * step,
        step,
        decimals,
    )
}

/// A number with fixed decimals; `-0.00` prints as `0.00`.
fn num(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// The forest plot of `plot` as an SVG document (UTF-8, ends with a newline).
///
/// Each panel's x axis spans the finite scores, interval ends and ceiling of that panel, rounded
/// out to "nice" ticks (1, 2 or 5 times a power of ten). Each entry is a dot at its score and a
/// horizontal bar over its interval; an entry without an interval is a dot only. Non-finite
/// values are not drawn. The same `plot` always gives the same bytes.
///
/// ```
/// use brainbench::plot::{forest_svg, ForestEntry, ForestPanel, ForestPlot};
/// let plot = ForestPlot {
///     title: "demo".into(),
///     x_label: "R²".into(),
///     panels: vec![ForestPanel {
///         title: "EVC".into(),
///         entries: vec![ForestEntry { name: "a".into(), score: 0.1, interval: Some((0.05, 0.2)) }],
///         ceiling: Some(0.3),
///     }],
/// };
/// let svg = forest_svg(&plot);
/// assert!(svg.starts_with("<svg") && svg == forest_svg(&plot));
/// ```
pub fn forest_svg(plot: &ForestPlot) -> String {
    let rows = plot.rows();
    let label_w = rows
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 48) as f64
        * CHAR_W
        + 16.0;
    let n_panels = plot.panels.len().max(1) as f64;
    let width = (label_w + n_panels * PANEL_W + (n_panels - 1.0) * PANEL_GAP + 16.0).round();
    let plot_h = rows.len().max(1) as f64 * ROW_H;
    let height = (TOP + plot_h + BOTTOM).round();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="8" y="18" font-size="14" font-weight="bold">{}</text>"#,
        escape(&plot.title)
    );
    for (r, name) in rows.iter().enumerate() {
        let y = TOP + (r as f64 + 0.5) * ROW_H;
        let shown: String = name.chars().take(48).collect();
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>"#,
            num(label_w - 8.0, 1),
            num(y, 1),
            escape(&shown)
        );
        if r % 2 == 1 {
            let _ = writeln!(
                s,
                r##"<rect x="{}" y="{}" width="{}" height="{ROW_H}" fill="#f3f3f3"/>"##,
                num(label_w, 1),
                num(y - ROW_H / 2.0, 1),
                num(width - label_w - 8.0, 1)
            );
        }
    }
    for (k, panel) in plot.panels.iter().enumerate() {
        let x0 = label_w + k as f64 * (PANEL_W + PANEL_GAP);
        panel_svg(&mut s, panel, &rows, x0, plot_h, &plot.x_label);
    }
    s.push_str("</svg>\n");
    s
}

fn panel_svg(
    s: &mut String,
    panel: &ForestPanel,
    rows: &[&str],
    x0: f64,
    plot_h: f64,
    x_label: &str,
) {
    let values: Vec<f64> = panel
        .entries
        .iter()
        .flat_map(|e| {
            let (lo, hi) = e
                .interval
                .filter(|(l, h)| l.is_finite() && h.is_finite())
                .unwrap_or((e.score, e.score));
            [e.score, lo, hi]
        })
        .chain(panel.ceiling)
        .filter(|v| v.is_finite())
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if values.is_empty() {
        (0.0, 1.0)
    } else {
        (lo, hi)
    };
    let (a, b, step, decimals) = nice_axis(lo, hi);
    let inner = PANEL_W - 20.0;
    let px = |v: f64| x0 + 10.0 + (v - a) / (b - a) * inner;
    let y_axis = TOP + plot_h;
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
        num(x0 + PANEL_W / 2.0, 1),
        num(TOP - 10.0, 1),
        escape(&panel.title)
    );
    let _ = writeln!(
        s,
        r##"<rect x="{}" y="{TOP}" width="{PANEL_W}" height="{}" fill="none" stroke="#999"/>"##,
        num(x0, 1),
        num(plot_h, 1)
    );
    let n_ticks = ((b - a) / step).round() as usize;
    for t in 0..=n_ticks {
        let v = a + t as f64 * step;
        let x = num(px(v), 1);
        let _ = writeln!(
            s,
            r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{}" stroke="#ddd"/>"##,
            num(y_axis, 1)
        );
        let _ = writeln!(
            s,
            r#"<text x="{x}" y="{}" text-anchor="middle">{}</text>"#,
            num(y_axis + 14.0, 1),
            num(v, decimals)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        num(x0 + PANEL_W / 2.0, 1),
        num(y_axis + 32.0, 1),
        escape(x_label)
    );
    if let Some(c) = panel.ceiling.filter(|c| c.is_finite()) {
        let x = num(px(c), 1);
        let _ = writeln!(
            s,
            r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{}" stroke="#c0392b" stroke-dasharray="4 3"/>"##,
            num(y_axis, 1)
        );
        let _ = writeln!(
            s,
            r##"<text x="{x}" y="{}" text-anchor="middle" fill="#c0392b" font-size="9">noise ceiling</text>"##,
            num(TOP - 1.0, 1)
        );
    }
    for e in &panel.entries {
        let Some(r) = rows.iter().position(|n| *n == e.name) else {
            continue;
        };
        let y = num(TOP + (r as f64 + 0.5) * ROW_H, 1);
        if let Some((l, h)) = e.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
            let _ = writeln!(
                s,
                r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#2c3e50" stroke-width="2"/>"##,
                num(px(l), 1),
                num(px(h), 1)
            );
        }
        if e.score.is_finite() {
            let _ = writeln!(
                s,
                r##"<circle cx="{}" cy="{y}" r="3.5" fill="#2c3e50"/>"##,
                num(px(e.score), 1)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axes() {
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        let (a, b, step, d) = nice_axis(0.0, 1.0);
        assert!(close(a, 0.0) && close(b, 1.0) && close(step, 0.2) && d == 1);
        let (a, b, step, d) = nice_axis(6.02, 7.57);
        assert!(close(a, 6.0) && close(b, 8.0) && close(step, 0.5) && d == 1);
        let (a, b, step, d) = nice_axis(0.004, 0.011);
        assert!(close(a, 0.004) && close(b, 0.012) && close(step, 0.002) && d == 3);
        let (a, b, ..) = nice_axis(3.0, 3.0);
        assert!(a < 3.0 && b > 3.0);
        assert_eq!(num(-0.0001, 2), "0.00");
        assert_eq!(num(-1.5, 1), "-1.5");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
