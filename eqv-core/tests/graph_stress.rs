//! Stress and virial by the strain on the tape: against finite differences
//! of a strained cell (neighbour lists rebuilt), against Stillinger–Weber's
//! analytic virial, rotating as a rank-2 tensor, exact for a model that
//! reads centred positions too, and the force-and-stress loss gradient
//! against finite differences.
#![allow(clippy::needless_range_loop)] // index loops read like the math

use eqv_core::authoring;
use eqv_core::check::test_transforms;
use eqv_core::classical::{diamond_silicon, StillingerWeber};
use eqv_core::data::{Frame, SpeciesMap};
use eqv_core::graph::{
    energy_and_forces, energy_force_stress_gradient, energy_forces_stress, voigt, Batch,
    EnergyModel, Graph, LossTerms,
};
use eqv_core::prelude::*;
use nalgebra::Matrix3;

const CUTOFF: f64 = 3.2;

mod common;
use common::Toy;

/// The shared test model, for two species at this file's cutoff.
fn toy(seed: u64) -> Toy {
    Toy::new(2, CUTOFF, seed)
}

/// A triclinic cell of 6 atoms of two species, rattled.
fn frame() -> Frame {
    let cell = [[4.1, 0.0, 0.0], [0.7, 3.9, 0.0], [-0.4, 0.5, 4.3]];
    let mut rng = Rng::new(7);
    let positions = (0..6)
        .map(|_| {
            let s = [rng.uniform(), rng.uniform(), rng.uniform()];
            std::array::from_fn(|c| (0..3).map(|k| s[k] * cell[k][c]).sum())
        })
        .collect();
    Frame::periodic(vec![14, 8, 14, 8, 14, 14], positions, cell)
}

fn batch(f: &Frame) -> Batch {
    Batch::from_frames(
        std::slice::from_ref(f),
        CUTOFF,
        &SpeciesMap::from_numbers([8, 14]),
    )
    .unwrap()
}

/// `r → r (I + ε)` of positions and cell.
fn strain(f: &Frame, eps: &[[f64; 3]; 3]) -> Frame {
    let m = |v: &[f64; 3]| -> [f64; 3] {
        std::array::from_fn(|b| v[b] + (0..3).map(|a| v[a] * eps[a][b]).sum::<f64>())
    };
    let mut out = f.clone();
    out.positions = f.positions.iter().map(m).collect();
    let c = f.cell.unwrap();
    out.cell = Some([m(&c[0]), m(&c[1]), m(&c[2])]);
    out
}

fn energy(model: &impl EnergyModel, b: &Batch) -> f64 {
    let tape = Tape::<f64>::inference();
    let g = Graph::untracked(&tape, b);
    model.energy(&g).to_f64()[0]
}

fn stress_of(model: &impl EnergyModel, b: &Batch) -> ([[f64; 3]; 3], Vec<[f64; 3]>, f64) {
    let tape = Tape::<f64>::inference();
    let g = Graph::with_strain(&tape, b);
    let out = energy_forces_stress(&g, model.energy(&g));
    (out.stresses[0].unwrap(), out.forces, out.energies[0])
}

/// `(1/V) dE/dε` by central differences of a symmetric strain, the strained
/// frame rebuilt from scratch (its own neighbour list).
fn fd_stress(model: &impl EnergyModel, f: &Frame, h: f64) -> [[f64; 3]; 3] {
    let v = f.volume().unwrap();
    std::array::from_fn(|a| {
        std::array::from_fn(|b| {
            let mut e = [[0.0; 3]; 3];
            e[a][b] += 0.5 * h;
            e[b][a] += 0.5 * h;
            let plus = energy(model, &batch(&strain(f, &e)));
            let minus = energy(model, &batch(&strain(f, &e.map(|r| r.map(|x| -x)))));
            (plus - minus) / (2.0 * h) / v
        })
    })
}

fn max_abs(t: &[[f64; 3]; 3]) -> f64 {
    t.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()))
}

#[test]
fn stress_matches_strain_finite_differences() {
    let model = toy(1);
    let f = frame();
    let b = batch(&f);
    let (s, forces, e) = stress_of(&model, &b);
    // The strain pass changes nothing else: energy and forces as Graph::new.
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let ef = energy_and_forces(&g, model.energy(&g));
    assert!((ef.energies[0] - e).abs() < 1e-14 * e.abs().max(1.0));
    for (x, y) in ef.forces.iter().flatten().zip(forces.iter().flatten()) {
        assert!((x - y).abs() < 1e-13);
    }
    let fd = fd_stress(&model, &f, 1e-5);
    let scale = max_abs(&fd);
    assert!(scale > 1e-3, "stress too small to test: {scale}");
    let mut worst = 0.0f64;
    for a in 0..3 {
        for c in 0..3 {
            worst = worst.max((s[a][c] - fd[a][c]).abs() / scale);
        }
    }
    println!("stress vs strain finite differences: max relative deviation {worst:.2e}");
    assert!(worst < 1e-8, "stress {s:?} vs fd {fd:?}: {worst}");
    // Symmetric, and in ASE's Voigt order.
    assert!((s[0][1] - s[1][0]).abs() < 1e-14 && (s[1][2] - s[2][1]).abs() < 1e-14);
    assert_eq!(
        voigt(&s),
        [s[0][0], s[1][1], s[2][2], s[1][2], s[0][2], s[0][1]]
    );
}

#[test]
fn stress_rotates_as_a_rank_two_tensor() {
    let model = toy(2);
    let f = frame();
    let (s, _, _) = stress_of(&model, &batch(&f));
    let sm = Matrix3::from_fn(|a, b| s[a][b]);
    for r in test_transforms(5, 3) {
        let rot = |v: &[f64; 3]| -> [f64; 3] {
            std::array::from_fn(|a| (0..3).map(|b| r[(a, b)] * v[b]).sum())
        };
        let mut rf = f.clone();
        rf.positions = f.positions.iter().map(rot).collect();
        let c = f.cell.unwrap();
        rf.cell = Some([rot(&c[0]), rot(&c[1]), rot(&c[2])]);
        let (rs, _, _) = stress_of(&model, &batch(&rf));
        let want = r * sm * r.transpose();
        for a in 0..3 {
            for b in 0..3 {
                assert!(
                    (rs[a][b] - want[(a, b)]).abs() < 1e-10 * max_abs(&s),
                    "det {}: σ(Rx) ≠ R σ Rᵀ at ({a},{b}): {} vs {}",
                    r.determinant(),
                    rs[a][b],
                    want[(a, b)]
                );
            }
        }
    }
}

/// Stillinger–Weber's energy as one op on the edge vectors of a graph, its
/// VJP the analytic `∂E/∂r_e` per edge. Only for `f64` graphs (the test
/// compares the tape's strain machinery with SW's own virial, not SW's
/// derivatives, which `data_sw.rs` checks).
struct SwOnTape(StillingerWeber);

impl SwOnTape {
    /// Per-structure energies and `∂E/∂e_k` of every edge.
    fn evaluate(
        &self,
        e: &[f64],
        centers: &[usize],
        owner: &[usize],
        ns: usize,
    ) -> (Vec<f64>, Vec<f64>) {
        let sw = &self.0;
        let rc = sw.cutoff();
        let mut energy = vec![0.0; ns];
        let mut grad = vec![0.0; e.len()];
        let vec_of = |k: usize| [e[3 * k], e[3 * k + 1], e[3 * k + 2]];
        let norm = |v: &[f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let mut k0 = 0;
        while k0 < centers.len() {
            let i = centers[k0];
            let mut k1 = k0;
            while k1 < centers.len() && centers[k1] == i {
                k1 += 1;
            }
            let local: Vec<usize> = (k0..k1).filter(|&k| norm(&vec_of(k)) < rc).collect();
            let s = owner[i];
            for &k in &local {
                let v = vec_of(k);
                let r = norm(&v);
                let (p, dp) = sw_pair(sw, r);
                energy[s] += 0.5 * p;
                for c in 0..3 {
                    grad[3 * k + c] += 0.5 * dp * v[c] / r;
                }
            }
            let lam = sw.lambda * sw.epsilon;
            for x in 0..local.len() {
                let (ku, u) = (local[x], vec_of(local[x]));
                let ru = norm(&u);
                let (gu, dgu) = sw_radial3(sw, ru);
                for &kv in &local[x + 1..] {
                    let v = vec_of(kv);
                    let rv = norm(&v);
                    let (gv, dgv) = sw_radial3(sw, rv);
                    let cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (ru * rv);
                    let dc = cos - sw.cos_theta0;
                    energy[s] += lam * dc * dc * gu * gv;
                    let a = 2.0 * lam * dc * gu * gv;
                    for c in 0..3 {
                        grad[3 * ku + c] += a * (v[c] / (ru * rv) - cos * u[c] / (ru * ru))
                            + lam * dc * dc * gv * dgu * u[c] / ru;
                        grad[3 * kv + c] += a * (u[c] / (ru * rv) - cos * v[c] / (rv * rv))
                            + lam * dc * dc * gu * dgv * v[c] / rv;
                    }
                }
            }
            k0 = k1;
        }
        (energy, grad)
    }
}

fn sw_pair(sw: &StillingerWeber, r: f64) -> (f64, f64) {
    let x = r / sw.sigma;
    let d = x - sw.a;
    if d >= 0.0 {
        return (0.0, 0.0);
    }
    let poly = sw.big_b * x.powi(-sw.p) - x.powi(-sw.q);
    let dpoly = (-(sw.p as f64) * sw.big_b * x.powi(-sw.p) + sw.q as f64 * x.powi(-sw.q)) / x;
    let e = (1.0 / d).exp();
    let pre = sw.big_a * sw.epsilon;
    (
        pre * poly * e,
        pre * (dpoly * e - poly * e / (d * d)) / sw.sigma,
    )
}

fn sw_radial3(sw: &StillingerWeber, r: f64) -> (f64, f64) {
    let d = r - sw.cutoff();
    if d >= 0.0 {
        return (0.0, 0.0);
    }
    let gs = sw.gamma * sw.sigma;
    let g = (gs / d).exp();
    (g, -g * gs / (d * d))
}

impl EnergyModel for SwOnTape {
    fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let r = g.edge_vectors();
        let e: Vec<f64> = r.data().iter().map(|x| x.value()).collect();
        let (energy, grad) = self.evaluate(&e, g.centers(), g.atom_structure(), g.num_structures());
        let rid = r.id();
        let n = g.num_structures();
        let owner: Vec<usize> = g.centers().iter().map(|&i| g.atom_structure()[i]).collect();
        authoring::from_op(
            g.tape(),
            n,
            1,
            energy.into_iter().map(T::from_f64).collect(),
            &[rid],
            move |gy, gr| {
                if gr.wants(rid) {
                    let acc = gr.acc(rid);
                    for (k, &s) in owner.iter().enumerate() {
                        for c in 0..3 {
                            acc[3 * k + c] += gy[s] * T::from_f64(grad[3 * k + c]);
                        }
                    }
                }
            },
        )
    }
}

#[test]
fn stress_of_stillinger_weber_on_the_tape_matches_its_analytic_virial() {
    let sw = StillingerWeber::silicon();
    let mut f = diamond_silicon(5.431, [1; 3]);
    let mut rng = Rng::new(3);
    for p in &mut f.positions {
        for x in p.iter_mut() {
            *x += 0.12 * rng.normal();
        }
    }
    let c = f.cell.unwrap();
    f.cell = Some([c[0], [0.4, c[1][1], 0.0], [0.0, -0.3, c[2][2]]]);
    let analytic = sw.compute(&f).unwrap();
    let b = Batch::from_frames(
        std::slice::from_ref(&f),
        sw.cutoff() + 0.1,
        &SpeciesMap::from_numbers([14]),
    )
    .unwrap();
    let model = SwOnTape(sw.clone());
    let (s, forces, e) = stress_of(&model, &b);
    assert!((e - analytic.energy).abs() < 1e-10 * analytic.energy.abs());
    for (x, y) in forces
        .iter()
        .flatten()
        .zip(analytic.forces.iter().flatten())
    {
        assert!((x - y).abs() < 1e-10, "force {x} vs SW {y}");
    }
    let v = f.volume().unwrap();
    let want = sw.label(&f).unwrap().stress.unwrap();
    let scale = max_abs(&want);
    assert!(scale > 1e-3, "stress too small to test: {scale}");
    for a in 0..3 {
        for c in 0..3 {
            assert!(
                (s[a][c] - want[a][c]).abs() < 1e-10 * scale,
                "({a},{c}): tape {} vs SW −W/V {}",
                s[a][c],
                -analytic.virial[a][c] / v
            );
        }
    }
    println!(
        "SW on the tape: stress {:?} eV/Å³, SW analytic {:?}",
        voigt(&s),
        voigt(&want)
    );
}

/// A model that reads centred positions (legitimate for clusters): the
/// strain deforms them too, so `∂E/∂ε` is still exact.
struct Centred;

impl EnergyModel for Centred {
    fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let c = g.centered_positions();
        let d = g.edge_vectors().norm();
        g.sum_over_atoms(c.squared_norm()) + g.sum_over_atoms(g.scatter_sum(d).activate(Tanh))
    }
}

#[test]
fn strain_derivative_is_exact_for_models_reading_centred_positions() {
    let b = batch(&frame());
    let e_at = |eps: &[f64]| -> f64 {
        let tape = Tape::<f64>::inference();
        let p: Vec<f64> = b.positions().iter().flatten().copied().collect();
        let g = Graph::strained(&tape, &b, p, eps.to_vec());
        Centred.energy(&g).to_f64()[0]
    };
    let tape = Tape::<f64>::new();
    let g = Graph::with_strain(&tape, &b);
    let e = Centred.energy(&g);
    let grads = tape.backward(e.id(), &[1.0]);
    let de = grads.get_or_zeros(g.strain_leaf().unwrap());
    let h = 1e-6;
    for k in 0..9 {
        let mut p = vec![0.0; 9];
        p[k] = h;
        let m: Vec<f64> = p.iter().map(|x| -x).collect();
        let fd = (e_at(&p) - e_at(&m)) / (2.0 * h);
        assert!(
            (fd - de[k]).abs() < 1e-7 * (1.0 + fd.abs()),
            "∂E/∂ε[{k}]: tape {} vs fd {fd}",
            de[k]
        );
    }
}

#[test]
fn force_and_stress_loss_gradient_matches_finite_differences() {
    let f = frame();
    let b = Batch::concat(&[
        batch(&f),
        batch(&strain(
            &f,
            &[[0.01, 0.0, 0.0], [0.0, -0.02, 0.0], [0.0, 0.0, 0.0]],
        )),
    ]);
    let target = [
        [0.01, 0.002, -0.003],
        [0.002, -0.02, 0.001],
        [-0.003, 0.001, 0.005],
    ];
    // L = Σ_s Σ_ab (σ_s − σ*)² + 0.1 Σ_i |F_i|² + 0.3 Σ_s E_s.
    let loss_of = |e: &[f64], forces: &[[f64; 3]], s: &[Option<[[f64; 3]; 3]>]| -> LossTerms {
        let mut value = 0.0;
        let mut ds = vec![[[0.0; 3]; 3]; e.len()];
        for (k, st) in s.iter().enumerate() {
            let st = st.unwrap();
            for a in 0..3 {
                for c in 0..3 {
                    let r = st[a][c] - target[a][c];
                    value += r * r;
                    ds[k][a][c] = 2.0 * r;
                }
            }
        }
        let mut df = vec![[0.0; 3]; forces.len()];
        for (i, fi) in forces.iter().enumerate() {
            for a in 0..3 {
                value += 0.1 * fi[a] * fi[a];
                df[i][a] = 0.2 * fi[a];
            }
        }
        value += 0.3 * e.iter().sum::<f64>();
        LossTerms {
            value,
            d_energies: vec![0.3; e.len()],
            d_forces: df,
            d_stresses: ds,
        }
    };
    let direct = |m: &Toy| -> f64 {
        let tape = Tape::<f64>::inference();
        let g = Graph::with_strain(&tape, &b);
        let out = energy_forces_stress(&g, m.energy(&g));
        loss_of(&out.energies, &out.forces, &out.stresses).value
    };
    let mut model = toy(4);
    let lg = energy_force_stress_gradient(&model, &b, loss_of);
    assert!((lg.loss - direct(&model)).abs() < 1e-12 * lg.loss.abs());
    let h = 1e-6;
    let mut checked = 0;
    for (p, (_, gp)) in lg.grads.iter().enumerate() {
        for (i, &g) in gp.iter().enumerate() {
            let shift = |m: &mut Toy, dx: f64| {
                let mut q = 0;
                m.visit_mut("", &mut |_, par| {
                    if q == p {
                        par.data_mut()[i] += dx;
                    }
                    q += 1;
                });
            };
            shift(&mut model, h);
            let lp = direct(&model);
            shift(&mut model, -2.0 * h);
            let lm = direct(&model);
            shift(&mut model, h);
            let fd = (lp - lm) / (2.0 * h);
            assert!(
                (fd - g).abs() < 1e-6 * (1.0 + g.abs()),
                "param {p}[{i}]: fd {fd} vs {g}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, model.num_params());
}

#[test]
fn stress_labels_need_a_periodic_cell() {
    let b = Batch::from_positions(&[[0.0; 3], [1.0, 0.0, 0.0]], &[0, 0], 2.0).unwrap();
    assert_eq!(b.volume(0), None);
    let err = b
        .clone()
        .with_stresses(vec![Some([[0.0; 3]; 3])])
        .unwrap_err();
    assert!(err.to_string().contains("no periodic cell"), "{err}");
    assert!(b.clone().with_cells(vec![Some([[0.0; 3]; 3])]).is_err());
    assert!(b.clone().with_cells(vec![None, None]).is_err());
    // A virial label becomes the stress −W/V.
    let mut f = frame();
    f.virial = Some([[1.0, 0.5, 0.0], [0.5, 2.0, 0.0], [0.0, 0.0, 3.0]]);
    let v = f.volume().unwrap();
    let s = batch(&f).stresses()[0].unwrap();
    assert!((s[0][1] + 0.5 / v).abs() < 1e-15 && (s[2][2] + 3.0 / v).abs() < 1e-15);
}
