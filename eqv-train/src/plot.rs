//! The learning curve as an SVG file, written by hand.
//!
//! Training and validation loss per epoch on a logarithmic y axis (losses
//! fall over decades), with axes, ticks, labels and a legend. SVG is text,
//! opens in any browser and diffs in review; a plotting dependency would
//! cost more compile time than these hundred lines.

use super::trainer::EpochRecord;
use super::TrainError;
use std::fmt::Write;
use std::path::Path;

const W: f64 = 640.0;
const H: f64 = 400.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 52.0;
const TRAIN_COLOR: &str = "#1f77b4";
const VALID_COLOR: &str = "#ff7f0e";

/// A step of 1, 2 or 5 × 10^k giving at most `max_ticks` ticks over `span`.
fn nice_step(span: f64, max_ticks: usize) -> f64 {
    let raw = span / max_ticks.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag)
        .max(1.0)
}

/// The SVG document of the learning curve of `history`.
///
/// Non-positive or non-finite losses (which a log axis cannot show) are
/// left out of the lines. An empty history gives empty axes.
pub fn learning_curve_svg(history: &[EpochRecord]) -> String {
    let series = [
        (
            "train",
            TRAIN_COLOR,
            history
                .iter()
                .map(|r| (r.epoch as f64, r.train_loss))
                .collect::<Vec<_>>(),
        ),
        (
            "valid",
            VALID_COLOR,
            history
                .iter()
                .map(|r| (r.epoch as f64, r.valid_loss))
                .collect(),
        ),
    ];
    let ok = |y: f64| y.is_finite() && y > 0.0;
    let ys = series
        .iter()
        .flat_map(|s| s.2.iter())
        .map(|p| p.1)
        .filter(|&y| ok(y));
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let (mut d0, mut d1) = if lo.is_finite() {
        (lo.log10().floor(), hi.log10().ceil())
    } else {
        (-1.0, 0.0)
    };
    if d1 <= d0 {
        d1 = d0 + 1.0;
    }
    if d1 - d0 > 30.0 {
        d0 = d1 - 30.0;
    }
    let n = history.iter().map(|r| r.epoch).max().unwrap_or(1).max(1) as f64;
    let (x0, x1) = if n <= 1.0 { (0.5, 1.5) } else { (1.0, n) };
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| TOP + (d1 - y.log10().clamp(d0, d1)) / (d1 - d0) * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>
<text x="{:.1}" y="22" text-anchor="middle" font-size="14">Learning curve</text>"#,
        W / 2.0
    );
    // Grid and y ticks: one per decade (thinned when there are many).
    let decades = (d1 - d0) as usize;
    let every = decades.div_ceil(8).max(1);
    for k in (0..=decades).step_by(every) {
        let d = d0 + k as f64;
        let y = TOP + (d1 - d) / (d1 - d0) * ph;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/>
<line x1="{:.1}" y1="{y:.1}" x2="{LEFT:.1}" y2="{y:.1}" stroke="black"/>
<text x="{:.1}" y="{:.1}" text-anchor="end">1e{}</text>"##,
            W - RIGHT,
            LEFT - 5.0,
            LEFT - 8.0,
            y + 4.0,
            d as i64
        );
    }
    // Unlabelled minor grid lines at 2× and 5× when there are few decades.
    if decades <= 3 {
        for k in 0..decades {
            for m in [2.0f64, 5.0] {
                let y = TOP + (d1 - (d0 + k as f64) - m.log10()) / (d1 - d0) * ph;
                let _ = writeln!(
                    s,
                    r##"<line x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#f0f0f0"/>
<line x1="{:.1}" y1="{y:.1}" x2="{LEFT:.1}" y2="{y:.1}" stroke="black"/>"##,
                    W - RIGHT,
                    LEFT - 3.0,
                );
            }
        }
    }
    // x ticks at nice integer epochs.
    let step = nice_step(x1 - x0, 8);
    let mut t = (x0 / step).ceil() * step;
    while t <= x1 + 1e-9 {
        let x = px(t);
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="black"/>
<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 19.0,
            t as i64
        );
        t += step;
    }
    // Axes and labels.
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT:.1}" y1="{TOP:.1}" x2="{LEFT:.1}" y2="{:.1}" stroke="black"/>
<line x1="{LEFT:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">epoch</text>
<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">loss (log scale)</text>"#,
        TOP + ph,
        TOP + ph,
        W - RIGHT,
        TOP + ph,
        LEFT + pw / 2.0,
        H - 12.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    // The curves.
    for (name, color, pts) in &series {
        let coords: Vec<String> = pts
            .iter()
            .filter(|p| ok(p.1))
            .map(|&(x, y)| format!("{:.2},{:.2}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline class="{name}" fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            coords.join(" ")
        );
        if coords.len() <= 60 {
            for c in &coords {
                let (cx, cy) = c.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(s, r#"<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>"#);
            }
        }
    }
    // Legend.
    let lx = W - RIGHT - 110.0;
    let _ = writeln!(
        s,
        r##"<rect x="{lx:.1}" y="{:.1}" width="100" height="44" fill="white" stroke="#999999"/>"##,
        TOP + 6.0
    );
    for (k, (name, color, _)) in series.iter().enumerate() {
        let y = TOP + 20.0 + 18.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"/>
<text x="{:.1}" y="{:.1}">{name}</text>"#,
            lx + 8.0,
            lx + 30.0,
            lx + 36.0,
            y + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Writes [`learning_curve_svg`] to `path`.
pub fn write_learning_curve(
    path: impl AsRef<Path>,
    history: &[EpochRecord],
) -> Result<(), TrainError> {
    let path = path.as_ref();
    std::fs::write(path, learning_curve_svg(history)).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(99.0, 8), 20.0);
        assert_eq!(nice_step(9.0, 8), 2.0);
        assert_eq!(nice_step(3.0, 8), 1.0);
    }
}
