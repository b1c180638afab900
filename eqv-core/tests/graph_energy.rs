//! A small invariant energy model on the graph (species embedding, Bessel
//! radial basis, radial MLP, Y² edge harmonics, scatter to atoms, readout
//! MLP, sum over atoms): its energy is invariant under rotations,
//! reflections, translations and permutations; `forces_from_energy` matches
//! finite differences and rotates with the structure; and the
//! forward-over-reverse force-loss gradient matches finite differences.

use eqv_core::check::{relative_error, rotate_data, test_transforms};
use eqv_core::dual::Dual;
use eqv_core::graph::{
    energy_and_forces, energy_force_gradient, forces_from_energy, Batch, EnergyModel, Graph, Loss,
    LossWeights, Motion,
};
use eqv_core::prelude::*;
use nalgebra::Matrix3;

const CUTOFF: f64 = 2.4;

mod common;
use common::Toy;

/// The shared test model, for three species at this file's cutoff.
fn toy(seed: u64) -> Toy {
    Toy::new(3, CUTOFF, seed)
}

fn cluster() -> Batch {
    let mut rng = Rng::new(12);
    let p: Vec<[f64; 3]> = (0..6)
        .map(|_| {
            [
                rng.uniform_in(-1.3, 1.3),
                rng.uniform_in(-1.3, 1.3),
                rng.uniform_in(-1.3, 1.3),
            ]
        })
        .collect();
    Batch::from_positions(&p, &[0, 1, 2, 0, 1, 0], CUTOFF).unwrap()
}

fn periodic() -> Batch {
    let cell = [[2.9, 0.0, 0.0], [0.3, 3.1, 0.0], [-0.2, 0.4, 3.0]];
    let p = vec![
        [0.1, 0.2, 0.3],
        [1.5, 1.4, 0.9],
        [2.3, 0.2, 2.1],
        [0.6, 2.2, 2.5],
    ];
    Batch::from_structure(&p, &[2, 0, 1, 0], Some(&cell), [true; 3], CUTOFF).unwrap()
}

fn both() -> Batch {
    Batch::concat(&[cluster(), periodic()])
}

/// A permutation within each structure, with the edges shuffled too.
fn permutation(b: &Batch, seed: u64) -> Motion {
    let mut rng = Rng::new(seed);
    let mut perm = Vec::new();
    for s in 0..b.num_structures() {
        let mut p: Vec<usize> = b.structure_atoms(s).collect();
        rng.shuffle(&mut p);
        perm.extend(p);
    }
    let mut edge_order: Vec<usize> = (0..b.num_edges()).collect();
    rng.shuffle(&mut edge_order);
    Motion {
        m: Matrix3::identity(),
        t: [0.0; 3],
        perm,
        edge_order,
    }
}

fn run(model: &Toy, b: &Batch) -> (Vec<f64>, Vec<[f64; 3]>) {
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, b);
    let ef = energy_and_forces(&g, model.energy(&g));
    (ef.energies, ef.forces)
}

fn flat(f: &[[f64; 3]]) -> Vec<f64> {
    f.iter().flatten().copied().collect()
}

#[test]
fn energy_is_invariant_and_forces_are_equivariant() {
    let model = toy(1);
    let b = both();
    let (e, f) = run(&model, &b);
    assert_eq!(e.len(), 2);
    assert!(e.iter().all(|e| e.abs() > 1e-3), "{e:?}");
    for r in test_transforms(3, 4) {
        let rb = b.rotated(&r);
        let (re, rf) = run(&model, &rb);
        let err_e = relative_error(&re, &e);
        let err_f = relative_error(&flat(&rf), &rotate_data::<Vector>(&flat(&f), &r));
        assert!(
            err_e < 1e-10 && err_f < 1e-10,
            "det {}: energy {err_e}, forces {err_f}",
            r.determinant()
        );
    }
    let t = [1.7, -3.1, 0.6];
    let (te, tf) = run(
        &model,
        &b.moved(&Motion {
            t,
            ..Motion::rotation(Matrix3::identity())
        }),
    );
    assert!(relative_error(&te, &e) < 1e-12 && relative_error(&flat(&tf), &flat(&f)) < 1e-12);
    for seed in [1, 2, 3] {
        let motion = permutation(&b, seed);
        let (pe, pf) = run(&model, &b.moved(&motion));
        let perm = motion.perm;
        assert!(relative_error(&pe, &e) < 1e-12);
        let want: Vec<[f64; 3]> = perm.iter().map(|&p| f[p]).collect();
        assert!(relative_error(&flat(&pf), &flat(&want)) < 1e-12);
    }
}

#[test]
fn batched_structures_are_independent() {
    let model = toy(2);
    let (e, f) = run(&model, &both());
    let (ec, fc) = run(&model, &cluster());
    let (ep, fp) = run(&model, &periodic());
    assert!((e[0] - ec[0]).abs() < 1e-12 && (e[1] - ep[0]).abs() < 1e-12);
    let want: Vec<[f64; 3]> = fc.into_iter().chain(fp).collect();
    assert!(relative_error(&flat(&f), &flat(&want)) < 1e-12);
}

#[test]
fn forces_match_central_finite_differences() {
    let model = toy(3);
    let b = both();
    let (_, f) = run(&model, &b);
    let total = |p: &[[f64; 3]]| -> f64 {
        run(&model, &b.clone().with_positions(p.to_vec()).unwrap())
            .0
            .iter()
            .sum()
    };
    let h = 1e-5;
    let mut worst = 0.0_f64;
    for i in 0..b.num_atoms() {
        for a in 0..3 {
            let mut p = b.positions().to_vec();
            p[i][a] += h;
            let ep = total(&p);
            p[i][a] -= 2.0 * h;
            let em = total(&p);
            let fd = -(ep - em) / (2.0 * h);
            worst = worst.max((fd - f[i][a]).abs());
        }
    }
    assert!(worst < 1e-6, "force error {worst}");
    // The sum of forces of an isolated cluster is zero (translation invariance).
    let (_, fc) = run(&model, &cluster());
    for a in 0..3 {
        assert!(fc.iter().map(|f| f[a]).sum::<f64>().abs() < 1e-12);
    }
}

#[test]
fn forces_from_energy_works_on_f32_and_dual_numbers() {
    let model = toy(4);
    let b = cluster();
    let (_, f) = run(&model, &b);
    let t32 = Tape::<f32>::new();
    let g32 = Graph::new(&t32, &b);
    let f32s = forces_from_energy(&g32, model.energy(&g32));
    let err = relative_error(
        &f32s.iter().flatten().map(|&x| x as f64).collect::<Vec<_>>(),
        &flat(&f),
    );
    assert!(err < 1e-4, "f32 forces {err}");
    // On dual numbers with tangent d, the tangent of F is −H·d (Hessian).
    let d: Vec<[f64; 3]> = Rng::new(5)
        .normals(3 * b.num_atoms())
        .chunks(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    let td = Tape::<Dual<f64>>::new();
    let gd = Graph::with_position_tangent(&td, &b, &d);
    let fd = forces_from_energy(&gd, model.energy(&gd));
    let h = 1e-5;
    let shifted = |s: f64| {
        let p: Vec<[f64; 3]> = b
            .positions()
            .iter()
            .zip(&d)
            .map(|(p, d)| [p[0] + s * d[0], p[1] + s * d[1], p[2] + s * d[2]])
            .collect();
        flat(&run(&model, &b.clone().with_positions(p).unwrap()).1)
    };
    let (fp, fm) = (shifted(h), shifted(-h));
    let num: Vec<f64> = fp
        .iter()
        .zip(&fm)
        .map(|(a, b)| (a - b) / (2.0 * h))
        .collect();
    let tangent: Vec<f64> = fd.iter().flatten().map(|x| x.eps).collect();
    assert!(relative_error(&tangent, &num) < 1e-6);
    let primal: Vec<f64> = fd.iter().flatten().map(|x| x.re).collect();
    assert!(relative_error(&primal, &flat(&f)) < 1e-14);
}

/// Nudges entry `k` of the `n`-th parameter (in visit order) by `h`.
fn nudged(model: &Toy, n: usize, k: usize, h: f64) -> Toy {
    let mut m = model.clone();
    let mut i = 0;
    m.visit_mut("", &mut |_, p| {
        if i == n {
            p.data_mut()[k] += h;
        }
        i += 1;
    });
    m
}

#[test]
fn dual_tangent_of_parameter_gradient_is_the_mixed_second_derivative() {
    // With positions seeded with tangent r, the backward pass's dual part of
    // ∂E/∂θ equals ∂/∂θ (r · ∂E/∂R), checked by finite differences in θ.
    let model = toy(6);
    let b = both();
    let r: Vec<[f64; 3]> = Rng::new(7)
        .normals(3 * b.num_atoms())
        .chunks(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    let td = Tape::<Dual<f64>>::new();
    let g = Graph::with_position_tangent(&td, &b, &r);
    let e = model.energy(&g);
    let grads = td.backward(e.id(), &vec![Dual::new(1.0, 0.0); e.rows()]);
    let r_dot_grad = |m: &Toy| -> f64 {
        let (_, f) = run(m, &b);
        -f.iter()
            .zip(&r)
            .map(|(f, r)| f[0] * r[0] + f[1] * r[1] + f[2] * r[2])
            .sum::<f64>()
    };
    let mut params: Vec<Vec<f64>> = Vec::new();
    model.visit("", &mut |_, p| {
        let id = td.param_id(p).expect("every parameter is used");
        params.push(grads.get_or_zeros(id).iter().map(|d| d.eps).collect());
    });
    let h = 1e-5;
    let mut worst = 0.0_f64;
    for (n, gp) in params.iter().enumerate() {
        for k in [0, gp.len() / 2, gp.len() - 1] {
            let fd = (r_dot_grad(&nudged(&model, n, k, h)) - r_dot_grad(&nudged(&model, n, k, -h)))
                / (2.0 * h);
            worst = worst.max((fd - gp[k]).abs() / fd.abs().max(1.0));
        }
    }
    assert!(worst < 1e-6, "mixed derivative error {worst}");
}

#[test]
fn energy_force_loss_gradient_matches_finite_differences() {
    let model = toy(8);
    let b = both();
    // Targets from another model, so every residual is nonzero.
    let (e_star, f_star) = run(&toy(9), &b);
    let b = b
        .with_energies(e_star)
        .unwrap()
        .with_forces(f_star)
        .unwrap();
    let weights = LossWeights {
        energy: 1.0,
        forces: 10.0,
        stress: 0.0,
    };
    let mse = Loss::of_batch(weights, &b).unwrap();
    let lg = energy_force_gradient(&model, &b, |e, f| mse.terms(&b, e, f, &[]));
    let loss = |m: &Toy| {
        let (e, f) = run(m, &b);
        mse.terms(&b, &e, &f, &[]).value
    };
    assert!((lg.loss - loss(&model)).abs() < 1e-14);
    assert_eq!(lg.grads.len(), 7);
    assert_eq!(lg.grads[0].0, "emb.linear.weight");
    let h = 1e-5;
    let mut worst = 0.0_f64;
    for (n, (_, gp)) in lg.grads.iter().enumerate() {
        for k in [0, gp.len() / 3, gp.len() - 1] {
            let fd = (loss(&nudged(&model, n, k, h)) - loss(&nudged(&model, n, k, -h))) / (2.0 * h);
            worst = worst.max((fd - gp[k]).abs() / fd.abs().max(1.0));
        }
    }
    assert!(worst < 1e-6, "loss gradient error {worst}");
    // Missing targets are an error, not a panic.
    let energy_only = LossWeights {
        forces: 0.0,
        ..weights
    };
    assert!(Loss::of_batch(energy_only, &cluster()).is_err());
    let nothing = LossWeights {
        energy: 0.0,
        ..energy_only
    };
    assert!(Loss::of_batch(nothing, &cluster()).is_ok());
}
