//! The parts of training that need no model: Adam on quadratics, clipping
//! and weight decay, schedules, splits, the loader, and the SVG plot.

use eqv_core::param::{join_path, Param, Parameters};
use eqv_train::*;

/// Two parameters, for a quadratic with very different curvatures.
struct Quad {
    a: Param,
    b: Param,
}

impl Parameters for Quad {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        f(&join_path(prefix, "a"), &self.a);
        f(&join_path(prefix, "b"), &self.b);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        f(&join_path(prefix, "a"), &mut self.a);
        f(&join_path(prefix, "b"), &mut self.b);
    }
}

/// L = Σ c_i (x_i − t_i)² with curvatures from 1e-2 to 1e2.
fn loss_grad(q: &Quad) -> (f64, Vec<Vec<f64>>) {
    let (ca, ta) = ([100.0, 1.0, 0.01], [1.0, -2.0, 3.0]);
    let (cb, tb) = ([10.0, 0.1], [0.5, -0.5]);
    let mut l = 0.0;
    let ga: Vec<f64> = (0..3)
        .map(|i| {
            let r = q.a.data()[i] - ta[i];
            l += ca[i] * r * r;
            2.0 * ca[i] * r
        })
        .collect();
    let gb: Vec<f64> = (0..2)
        .map(|i| {
            let r = q.b.data()[i] - tb[i];
            l += cb[i] * r * r;
            2.0 * cb[i] * r
        })
        .collect();
    (l, vec![ga, gb])
}

#[test]
fn adam_minimises_an_ill_conditioned_quadratic() {
    let mut q = Quad {
        a: Param::zeros(vec![3]),
        b: Param::new(vec![2], vec![5.0, 5.0]),
    };
    let mut adam = Adam::new(AdamConfig::default());
    let sched = Scheduler::new(Schedule::warmup_cosine(1), 0.1, 100, 30);
    let l0 = loss_grad(&q).0;
    for step in 0..3000 {
        let (_, g) = loss_grad(&q);
        adam.step(&mut q, &g, sched.lr(step)).unwrap();
    }
    let l1 = loss_grad(&q).0;
    assert!(l1 < 1e-6 * l0, "loss {l0} -> {l1}");
    assert!((q.a.data()[2] - 3.0).abs() < 1e-2, "{:?}", q.a.data());
    assert_eq!(adam.steps(), 3000);
}

#[test]
fn adamw_decays_weights_and_clipping_bounds_the_step() {
    // No gradient: AdamW still shrinks the weights by lr·wd·θ per step.
    let mut p = Param::new(vec![2], vec![1.0, -2.0]);
    let mut adamw = Adam::new(AdamConfig {
        weight_decay: 0.1,
        ..AdamConfig::default()
    });
    for _ in 0..10 {
        adamw.step(&mut p, &[vec![0.0, 0.0]], 0.5).unwrap();
    }
    let f = 0.95f64.powi(10);
    assert!((p.data()[0] - f).abs() < 1e-12 && (p.data()[1] + 2.0 * f).abs() < 1e-12);

    // Clipping rescales the whole gradient to the given norm.
    let mut p = Param::new(vec![2], vec![0.0, 0.0]);
    let mut adam = Adam::new(AdamConfig {
        clip_norm: Some(1.0),
        ..AdamConfig::default()
    });
    let s = adam.step(&mut p, &[vec![300.0, 400.0]], 0.1).unwrap();
    assert_eq!(s.grad_norm, 500.0);
    assert!(s.clipped);
    assert_eq!(global_norm(&[vec![3.0], vec![4.0]]), 5.0);

    // A NaN gradient is refused with the parameter's name.
    let mut q = Quad {
        a: Param::zeros(vec![3]),
        b: Param::zeros(vec![2]),
    };
    let e = adam
        .step(&mut q, &[vec![0.0; 3], vec![0.0, f64::NAN]], 0.1)
        .unwrap_err();
    assert_eq!(
        e,
        OptimError::NonFinite {
            what: "the gradient of parameter `b` (entry 1: NaN)".into()
        }
    );
}

#[test]
fn schedules() {
    let c = Scheduler::new(Schedule::Constant, 0.01, 10, 5);
    assert_eq!((c.lr(0), c.lr(49)), (0.01, 0.01));
    let w = Scheduler::new(Schedule::warmup_cosine(2), 1.0, 10, 10);
    assert!(w.lr(0) < w.lr(10) && w.lr(19) == 1.0 && w.lr(50) < 1.0 && w.lr(99) < 0.02);
    let mut p = Scheduler::new(Schedule::plateau(), 1.0, 10, 10);
    p.end_epoch(1.0);
    let reduced: Vec<bool> = (0..6).map(|_| p.end_epoch(1.0)).collect();
    assert_eq!(reduced, [false, false, false, false, false, true]);
    assert_eq!(p.lr(0), 0.5);
    assert!(Schedule::ReduceOnPlateau {
        factor: 1.5,
        patience: 1,
        threshold: 0.0,
        min_lr: 0.0
    }
    .validate()
    .is_err());
}

#[test]
fn split_and_loader_are_seeded() {
    let (t, v) = split_indices(40, 0.25, 9).unwrap();
    assert_eq!((t.len(), v.len()), (30, 10));
    assert_eq!(split_indices(40, 0.25, 9).unwrap(), (t.clone(), v.clone()));
    assert!(t.iter().all(|i| !v.contains(i)));
    let l = Loader::new(30, 4, 9).unwrap();
    let e1 = l.epoch(1);
    assert_eq!(e1.len(), 8);
    assert_eq!(e1.last().unwrap().len(), 2);
    assert_eq!(e1, l.epoch(1));
    assert_ne!(e1, l.epoch(2));
    assert!(split_indices(40, 1.5, 0).is_err());
}

fn record(epoch: usize, train_loss: f64, valid_loss: f64) -> EpochRecord {
    EpochRecord {
        epoch,
        lr: 1e-3,
        steps: 10,
        train_loss,
        valid_loss,
        valid_energy_mae_mev_per_atom: 1.0,
        valid_force_mae_mev_per_a: 10.0,
        valid_force_rmse_mev_per_a: 12.0,
        grad_norm: 1.0,
        clipped_steps: 0,
        epoch_seconds: 0.5,
        elapsed_seconds: 0.5 * epoch as f64,
        best: true,
        late_stage: false,
    }
}

/// The numbers of a `points="x,y x,y"` attribute.
fn points(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .map(|s| {
            let p = s.split("points=\"").nth(1).unwrap();
            let p = &p[..p.find('"').unwrap()];
            p.split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

#[test]
fn learning_curve_svg_is_well_formed() {
    let history: Vec<EpochRecord> = (1..=25)
        .map(|e| record(e, 10.0 / e as f64, 12.0 / (e as f64).sqrt()))
        .collect();
    let svg = learning_curve_svg(&history);
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    // Two panels (loss; validation energy and force errors) in one document.
    assert_eq!(svg.matches("<svg").count(), 3);
    for label in [
        "epoch",
        "loss (log scale)",
        "train",
        "valid",
        "1e0",
        "1e1",
        "MAE (log scale)",
        "energy (meV/atom)",
        "forces (meV/Å)",
        "best epoch 25",
    ] {
        assert!(svg.contains(label), "missing {label}");
    }
    let lines = points(&svg);
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l.len() == 25));
    for line in &lines[..2] {
        assert_eq!(line.len(), 25);
        assert!(line.iter().all(|&(x, y)| x.is_finite()
            && y.is_finite()
            && (0.0..=640.0).contains(&x)
            && (0.0..=400.0).contains(&y)));
        // Log axis: loss falling means y (downwards in SVG) grows.
        assert!(line.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 >= w[0].1));
    }
    // Tags are balanced enough for an XML reader: every opened element closes.
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());

    // Bad values are left out, never written as NaN.
    let mut h = history[..3].to_vec();
    h[1].valid_loss = f64::NAN;
    h[2].train_loss = 0.0;
    let svg = learning_curve_svg(&h);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    let lines = points(&svg);
    assert_eq!((lines[0].len(), lines[1].len()), (2, 2));
    // An empty or one-epoch history still gives a document.
    assert!(learning_curve_svg(&[]).contains("</svg>"));
    assert_eq!(points(&learning_curve_svg(&history[..1]))[0].len(), 1);
}

#[test]
fn line_charts_on_a_linear_axis() {
    // An RDF-like curve: x in Å with fractional ticks, y from 0.
    let curve: Vec<(f64, f64)> = (0..100)
        .map(|k| {
            let r = 0.05 * (k as f64 + 0.5);
            (r, 3.0 * (-(r - 2.35f64).powi(2) / 0.01).exp())
        })
        .collect();
    let svg = chart_svg(&Chart {
        title: "Radial distribution function",
        x_label: "r (Å)",
        y_label: "g(r)",
        log_y: false,
        integer_x: false,
        series: vec![
            Series {
                name: "model",
                color: "#1f77b4",
                points: curve.clone(),
            },
            Series {
                name: "reference",
                color: "#ff7f0e",
                points: vec![(0.0, f64::NAN), (1.0, 0.5), (2.0, -0.25)],
            },
        ],
        marks: Vec::new(),
    });
    assert!(svg.trim_end().ends_with("</svg>") && !svg.contains("NaN"));
    for label in ["r (Å)", "g(r)", "model", "reference", ">0<", ">3<"] {
        assert!(svg.contains(label), "missing {label}");
    }
    let lines = points(&svg);
    // The non-finite point is left out; a negative value is drawn on a
    // linear axis (which then starts below 0).
    assert_eq!((lines[0].len(), lines[1].len()), (100, 2));
    // Higher values are higher up (smaller SVG y); x increases to the right.
    let (top, _) = lines[0]
        .iter()
        .enumerate()
        .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
        .unwrap();
    assert!((top as f64 * 0.05 - 2.35).abs() < 0.1);
    assert!(lines[0].windows(2).all(|w| w[1].0 > w[0].0));
    assert!(lines
        .iter()
        .flatten()
        .all(|&(x, y)| (0.0..=640.0).contains(&x) && (0.0..=400.0).contains(&y)));
}
