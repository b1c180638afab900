//! Line charts as SVG files, written by hand: the learning curve, and any
//! other curve a run reports (the radial distribution functions of the MD
//! check).
//!
//! [`chart_svg`] draws series on a linear or logarithmic y axis, with axes,
//! ticks, labels and a legend; [`learning_curve_svg`] is training and
//! validation loss per epoch on a log axis (losses fall over decades). SVG is text,
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

/// A step of 1, 2 or 5 × 10^k giving at most `max_ticks` ticks over `span`,
/// at least `min_step`.
fn nice_step(span: f64, max_ticks: usize, min_step: f64) -> f64 {
    let raw = (span / max_ticks.max(1) as f64).max(1e-300);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag)
        .max(min_step)
}

/// A tick label with as many decimals as the step needs.
fn tick_label(t: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    format!("{t:.decimals$}")
}

/// One line of a [`Chart`].
#[derive(Clone, Debug, PartialEq)]
pub struct Series<'a> {
    /// Legend entry (and the `class` of the SVG polyline).
    pub name: &'a str,
    /// SVG colour, `"#1f77b4"`.
    pub color: &'a str,
    /// `(x, y)` points in order; points a log axis cannot show (y ≤ 0) and
    /// non-finite ones are left out.
    pub points: Vec<(f64, f64)>,
}

/// A line chart: axes, ticks, labels, a legend and one polyline per series.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Label of the x axis (with its unit).
    pub x_label: &'a str,
    /// Label of the y axis (with its unit).
    pub y_label: &'a str,
    /// A logarithmic y axis (decades) instead of a linear one from 0.
    pub log_y: bool,
    /// Ticks of the x axis only at whole numbers (epochs).
    pub integer_x: bool,
    /// The lines.
    pub series: Vec<Series<'a>>,
    /// Vertical dashed lines at these x values, each with a label (the best
    /// epoch of a learning curve, say).
    pub marks: Vec<(f64, String)>,
}

/// The SVG document of `chart`. Empty or unusable data gives empty axes.
pub fn chart_svg(chart: &Chart) -> String {
    let log = chart.log_y;
    let ok = |y: f64| y.is_finite() && (!log || y > 0.0);
    let pts = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0.is_finite() && ok(p.1))
    };
    let (lo, hi) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.1), b.max(p.1))
    });
    // y range: decades (log) or 0..max (linear; down to min if negative).
    let (mut y0, mut y1) = if !lo.is_finite() {
        if log {
            (-1.0, 0.0)
        } else {
            (0.0, 1.0)
        }
    } else if log {
        (lo.log10().floor(), hi.log10().ceil())
    } else {
        (lo.min(0.0), hi.max(0.0))
    };
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    if log && y1 - y0 > 30.0 {
        y0 = y1 - 30.0;
    }
    let y_step = if log {
        1.0
    } else {
        let step = nice_step(y1 - y0, 6, 0.0);
        y0 = (y0 / step).floor() * step;
        y1 = (y1 / step).ceil() * step;
        step
    };
    let (xlo, xhi) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let (x0, x1) = if !xlo.is_finite() {
        (0.0, 1.0)
    } else if xhi - xlo <= 0.0 {
        (xlo - 0.5, xlo + 0.5)
    } else {
        (xlo, xhi)
    };
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let yv = |y: f64| if log { y.log10() } else { y };
    let py = |y: f64| TOP + (y1 - yv(y).clamp(y0, y1)) / (y1 - y0) * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>
<text x="{:.1}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
        W / 2.0,
        chart.title
    );
    // Grid and y ticks: one per decade (thinned when there are many), or
    // at nice steps.
    let ticks = ((y1 - y0) / y_step).round() as usize;
    let every = if log { ticks.div_ceil(8).max(1) } else { 1 };
    for k in (0..=ticks).step_by(every) {
        let d = y0 + k as f64 * y_step;
        let y = TOP + (y1 - d) / (y1 - y0) * ph;
        let label = if log {
            format!("1e{}", d as i64)
        } else {
            tick_label(d, y_step)
        };
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/>
<line x1="{:.1}" y1="{y:.1}" x2="{LEFT:.1}" y2="{y:.1}" stroke="black"/>
<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"##,
            W - RIGHT,
            LEFT - 5.0,
            LEFT - 8.0,
            y + 4.0,
        );
    }
    // Unlabelled minor grid lines at 2× and 5× when there are few decades.
    if log && ticks <= 3 {
        for k in 0..ticks {
            for m in [2.0f64, 5.0] {
                let y = TOP + (y1 - (y0 + k as f64) - m.log10()) / (y1 - y0) * ph;
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
    // x ticks at nice values (whole numbers for integer axes).
    let step = nice_step(x1 - x0, 8, if chart.integer_x { 1.0 } else { 0.0 });
    let mut t = (x0 / step).ceil() * step;
    while t <= x1 + 1e-9 * step.max(1.0) {
        let x = px(t);
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="black"/>
<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 19.0,
            tick_label(t, step)
        );
        t += step;
    }
    // Axes and labels.
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT:.1}" y1="{TOP:.1}" x2="{LEFT:.1}" y2="{:.1}" stroke="black"/>
<line x1="{LEFT:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>
<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
        TOP + ph,
        TOP + ph,
        W - RIGHT,
        TOP + ph,
        LEFT + pw / 2.0,
        H - 12.0,
        chart.x_label,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        chart.y_label
    );
    // The curves.
    for series in &chart.series {
        let coords: Vec<String> = series
            .points
            .iter()
            .filter(|p| p.0.is_finite() && ok(p.1))
            .map(|&(x, y)| format!("{:.2},{:.2}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline class="{}" fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            series.name,
            series.color,
            coords.join(" ")
        );
        if coords.len() <= 60 {
            for c in &coords {
                let (cx, cy) = c.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(
                    s,
                    r#"<circle cx="{cx}" cy="{cy}" r="2.5" fill="{}"/>"#,
                    series.color
                );
            }
        }
    }
    // Marks: dashed vertical lines with their labels.
    for (x, label) in &chart.marks {
        if !(x.is_finite() && *x >= x0 && *x <= x1) {
            continue;
        }
        let x = px(*x);
        let _ = writeln!(
            s,
            r##"<line class="mark" x1="{x:.1}" y1="{TOP:.1}" x2="{x:.1}" y2="{:.1}" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="5,4"/>
<text x="{:.1}" y="{:.1}" fill="#2ca02c">{label}</text>"##,
            TOP + ph,
            x + 4.0,
            TOP + 14.0,
        );
    }
    // Legend, sized to the longest name.
    let longest = chart
        .series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let lw = (46.0 + 7.0 * longest as f64).max(100.0);
    let lx = W - RIGHT - lw - 10.0;
    let _ = writeln!(
        s,
        r##"<rect x="{lx:.1}" y="{:.1}" width="{lw:.1}" height="{:.1}" fill="white" stroke="#999999"/>"##,
        TOP + 6.0,
        8.0 + 18.0 * chart.series.len() as f64
    );
    for (k, series) in chart.series.iter().enumerate() {
        let y = TOP + 20.0 + 18.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}" stroke-width="2"/>
<text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 8.0,
            lx + 30.0,
            series.color,
            lx + 36.0,
            y + 4.0,
            series.name
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The SVG document of the learning curve of `history`, two panels: the
/// training and validation loss per epoch, and the validation energy and
/// force errors (MAE, meV/atom and meV/Å) — the loss mixes them by the loss
/// weights, the errors show each. Both on log axes (they fall over
/// decades), with the best epoch (lowest validation loss: the kept
/// parameters) marked.
///
/// Non-positive or non-finite values (which a log axis cannot show) are
/// left out.
pub fn learning_curve_svg(history: &[EpochRecord]) -> String {
    let line = |f: fn(&EpochRecord) -> f64| -> Vec<(f64, f64)> {
        history.iter().map(|r| (r.epoch as f64, f(r))).collect()
    };
    let best = history
        .iter()
        .filter(|r| r.valid_loss.is_finite())
        .min_by(|a, b| a.valid_loss.total_cmp(&b.valid_loss));
    let marks = || -> Vec<(f64, String)> {
        best.map(|r| vec![(r.epoch as f64, format!("best epoch {}", r.epoch))])
            .unwrap_or_default()
    };
    let loss = chart_svg(&Chart {
        title: "Learning curve: loss",
        x_label: "epoch",
        y_label: "loss (log scale)",
        log_y: true,
        integer_x: true,
        series: vec![
            Series {
                name: "train",
                color: TRAIN_COLOR,
                points: line(|r| r.train_loss),
            },
            Series {
                name: "valid",
                color: VALID_COLOR,
                points: line(|r| r.valid_loss),
            },
        ],
        marks: marks(),
    });
    let errors = chart_svg(&Chart {
        title: "Validation errors",
        x_label: "epoch",
        y_label: "MAE (log scale)",
        log_y: true,
        integer_x: true,
        series: vec![
            Series {
                name: "energy (meV/atom)",
                color: TRAIN_COLOR,
                points: line(|r| r.valid_energy_mae_mev_per_atom),
            },
            Series {
                name: "forces (meV/Å)",
                color: VALID_COLOR,
                points: line(|r| r.valid_force_mae_mev_per_a),
            },
        ],
        marks: marks(),
    });
    stack_svg(&[loss, errors])
}

/// Charts of [`chart_svg`] one above the other in one SVG document.
pub fn stack_svg(charts: &[String]) -> String {
    let height = H * charts.len() as f64;
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\">\n"
    );
    for (k, chart) in charts.iter().enumerate() {
        let body = chart
            .lines()
            .filter(|l| !l.starts_with("<?xml"))
            .collect::<Vec<_>>()
            .join("\n");
        // A nested <svg> is placed by its x/y attributes.
        let placed = body.replacen("<svg ", &format!("<svg x=\"0\" y=\"{}\" ", H * k as f64), 1);
        s.push_str(&placed);
        s.push('\n');
    }
    s.push_str("</svg>\n");
    s
}

/// Writes `svg` to `path`.
pub fn write_svg(path: impl AsRef<Path>, svg: &str) -> Result<(), TrainError> {
    let path = path.as_ref();
    std::fs::write(path, svg).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes [`learning_curve_svg`] to `path`.
pub fn write_learning_curve(
    path: impl AsRef<Path>,
    history: &[EpochRecord],
) -> Result<(), TrainError> {
    write_svg(path, &learning_curve_svg(history))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(99.0, 8, 1.0), 20.0);
        assert_eq!(nice_step(9.0, 8, 1.0), 2.0);
        assert_eq!(nice_step(3.0, 8, 1.0), 1.0);
        assert_eq!(nice_step(3.0, 8, 0.0), 0.5);
        assert_eq!(tick_label(2.5, 0.5), "2.5");
        assert_eq!(tick_label(20.0, 5.0), "20");
    }
}
