//! Checks the zoo's energy models share in their tests: a small
//! two-species molecule, the agreement of f32, f64 and dual-number
//! predictions, and the trainer's force-loss gradient against central
//! differences.

use eqv::dual::Dual;
use eqv::graph::{energy_and_forces, energy_force_gradient, Batch, EnergyModel, LossTerms};
use eqv::param::Parameters;
use eqv::prelude::{Graph, Tape};

/// Two species, six atoms, every atom with neighbours within 3.5 Å.
pub fn molecule() -> Batch {
    let positions = [
        [0.0, 0.0, 0.0],
        [1.52, 0.11, -0.07],
        [-0.43, 1.61, 0.22],
        [0.31, -0.58, 1.74],
        [1.87, 1.45, 0.93],
        [-1.21, -0.94, -1.02],
    ];
    Batch::from_positions(&positions, &[0, 1, 0, 1, 0, 0], 3.5).expect("a valid molecule")
}

/// The f32 energy within 1e-4 (relative) of the f64 one, and on dual
/// numbers along a direction `d` the f64 energy with tangent −F·d.
pub fn assert_f32_f64_and_dual_agree<M: EnergyModel>(m: &M, b: &Batch) {
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, b);
    let e = m.energy(&g);
    let e64 = e.to_f64()[0];
    let forces = energy_and_forces(&g, e).forces;
    let tape32 = Tape::<f32>::new();
    let e32 = m.energy(&Graph::new(&tape32, b)).to_f64()[0];
    assert!(
        (e32 - e64).abs() <= 1e-4 * (1.0 + e64.abs()),
        "f32 {e32} vs f64 {e64}"
    );
    let d: Vec<[f64; 3]> = (0..b.num_atoms())
        .map(|i| [0.3 - 0.1 * i as f64, 0.2 * i as f64, -0.5 + 0.05 * i as f64])
        .collect();
    let tape_d = Tape::<Dual<f64>>::new();
    let ed = m
        .energy(&Graph::with_position_tangent(&tape_d, b, &d))
        .data()[0];
    let want: f64 = -forces
        .iter()
        .zip(&d)
        .map(|(f, d)| f[0] * d[0] + f[1] * d[1] + f[2] * d[2])
        .sum::<f64>();
    assert!((ed.re - e64).abs() <= 1e-12 * (1.0 + e64.abs()));
    assert!(
        (ed.eps - want).abs() <= 1e-9 * (1.0 + want.abs()),
        "{} vs {want}",
        ed.eps
    );
}

/// L = Σ E² + Σ c_i·F_i: its parameter gradient by forward-over-reverse
/// (the trainer's path) against central differences, at the entries
/// `entries(len)` of every parameter whose path `selected` accepts.
/// Returns the number of entries checked and the whole gradient.
pub fn assert_force_loss_gradient<M: EnergyModel + Parameters>(
    model: impl Fn() -> M,
    b: &Batch,
    selected: impl Fn(&str) -> bool,
    entries: impl Fn(usize) -> [usize; 3],
) -> (usize, Vec<(String, Vec<f64>)>) {
    let c: Vec<[f64; 3]> = (0..b.num_atoms())
        .map(|i| [0.2 + 0.1 * i as f64, -0.3, 0.05 * i as f64])
        .collect();
    let loss_of = |e: &[f64], f: &[[f64; 3]]| -> f64 {
        e.iter().map(|e| e * e).sum::<f64>()
            + f.iter()
                .zip(&c)
                .map(|(f, c)| f[0] * c[0] + f[1] * c[1] + f[2] * c[2])
                .sum::<f64>()
    };
    let grad = energy_force_gradient(&model(), b, |e, f| LossTerms {
        value: loss_of(e, f),
        d_energies: e.iter().map(|e| 2.0 * e).collect(),
        d_forces: c.clone(),
        d_stresses: Vec::new(),
    });
    let value = |m: &M| {
        let tape = Tape::<f64>::new();
        let g = Graph::new(&tape, b);
        let ef = energy_and_forces(&g, m.energy(&g));
        loss_of(&ef.energies, &ef.forces)
    };
    let h = 1e-5;
    let mut checked = 0;
    for (path, g) in grad.grads.iter().filter(|(p, _)| selected(p)) {
        for k in entries(g.len()) {
            let shifted = |d: f64| {
                let mut m2 = model();
                m2.visit_mut("", &mut |p, param| {
                    if p == path {
                        param.data_mut()[k] += d;
                    }
                });
                value(&m2)
            };
            let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "{path}[{k}]: finite difference {fd}, gradient {}",
                g[k]
            );
            checked += 1;
        }
    }
    (checked, grad.grads)
}
