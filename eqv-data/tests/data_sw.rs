//! Stillinger–Weber silicon: reference energy, analytic forces and virial
//! against finite differences, invariances.
#![allow(clippy::needless_range_loop)] // index loops read like the math

use eqv_data::classical::{dataset::silicon_cluster, diamond_silicon, StillingerWeber};
use eqv_data::data::Frame;
use eqv_data::rng::Rng;

fn rattled(frame: &Frame, scale: f64, seed: u64) -> Frame {
    let mut rng = Rng::new(seed);
    let mut f = frame.clone();
    for p in &mut f.positions {
        for x in p.iter_mut() {
            *x += scale * rng.normal();
        }
    }
    f
}

#[test]
fn data_sw_diamond_energy_per_atom() {
    let sw = StillingerWeber::silicon();
    for reps in [1, 2] {
        let f = diamond_silicon(5.431, [reps; 3]);
        let out = sw.compute(&f).unwrap();
        let per_atom = out.energy / f.len() as f64;
        assert!((per_atom - (-4.3366)).abs() < 5e-5, "{per_atom}");
        // Perfect crystal: zero forces, and a = 5.431 is (nearly) the minimum,
        // so the pressure is nearly zero.
        let fmax = out
            .forces
            .iter()
            .flatten()
            .fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(fmax < 1e-10, "{fmax}");
        let p =
            -(out.virial[0][0] + out.virial[1][1] + out.virial[2][2]) / 3.0 / f.volume().unwrap();
        assert!(p.abs() < 1e-4, "pressure {p} eV/Å³");
    }
    // Energy vs lattice constant has its minimum near 5.431 Å.
    let e = |a: f64| sw.compute(&diamond_silicon(a, [1; 3])).unwrap().energy;
    assert!(e(5.431) < e(5.40) && e(5.431) < e(5.46));
}

fn check_forces(frame: &Frame) {
    let sw = StillingerWeber::silicon();
    let out = sw.compute(frame).unwrap();
    let fmax = out
        .forces
        .iter()
        .flatten()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    assert!(fmax > 0.1, "forces too small to test: {fmax}");
    let h = 1e-5;
    for i in 0..frame.len() {
        for c in 0..3 {
            let mut plus = frame.clone();
            plus.positions[i][c] += h;
            let mut minus = frame.clone();
            minus.positions[i][c] -= h;
            let fd = -(sw.compute(&plus).unwrap().energy - sw.compute(&minus).unwrap().energy)
                / (2.0 * h);
            let err = (fd - out.forces[i][c]).abs();
            assert!(
                err < 1e-6 * fmax.max(1.0),
                "atom {i} dir {c}: analytic {} fd {fd}",
                out.forces[i][c]
            );
        }
    }
    // Forces sum to zero (translation invariance).
    for c in 0..3 {
        let s: f64 = out.forces.iter().map(|f| f[c]).sum();
        assert!(s.abs() < 1e-10);
    }
}

#[test]
fn data_sw_forces_match_finite_differences() {
    // Periodic 8-atom cell, hot enough that three-body terms are large.
    check_forces(&rattled(&diamond_silicon(5.431, [1; 3]), 0.15, 1));
    // A finite cluster.
    check_forces(&rattled(&silicon_cluster(5.431), 0.1, 2));
    // A triclinic cell smaller than twice the cutoff: an atom meets several
    // images of the same neighbour.
    let mut f = Frame::periodic(
        vec![14; 2],
        vec![[0.0, 0.0, 0.0], [1.36, 1.36, 1.36]],
        [
            [0.0, 2.7155, 2.7155],
            [2.7155, 0.0, 2.7155],
            [2.7155, 2.7155, 0.0],
        ],
    );
    f = rattled(&f, 0.1, 3);
    check_forces(&f);
}

#[test]
fn data_sw_virial_matches_strain_derivative() {
    // W = −Σ_e ∂E/∂r_e ⊗ r_e = −∂E/∂ε at ε = 0, for a homogeneous strain
    // (I + ε) of cell and positions.
    let sw = StillingerWeber::silicon();
    let mut frame = rattled(&diamond_silicon(5.431, [1; 3]), 0.1, 4);
    let c = frame.cell.unwrap();
    frame.cell = Some([c[0], [0.4, c[1][1], 0.0], [0.0, -0.3, c[2][2]]]);
    let out = sw.compute(&frame).unwrap();
    let strain = |eps: [[f64; 3]; 3]| -> f64 {
        let m = |v: &[f64; 3]| -> [f64; 3] {
            std::array::from_fn(|b| v[b] + (0..3).map(|a| v[a] * eps[a][b]).sum::<f64>())
        };
        let mut f = frame.clone();
        f.positions = frame.positions.iter().map(m).collect();
        let c = frame.cell.unwrap();
        f.cell = Some([m(&c[0]), m(&c[1]), m(&c[2])]);
        sw.compute(&f).unwrap().energy
    };
    let h = 1e-6;
    for a in 0..3 {
        for b in 0..3 {
            let mut ep = [[0.0; 3]; 3];
            ep[a][b] = h;
            let mut em = [[0.0; 3]; 3];
            em[a][b] = -h;
            let de = (strain(ep) - strain(em)) / (2.0 * h);
            assert!(
                (de + out.virial[a][b]).abs() < 1e-5,
                "({a},{b}): dE/dε {de}, −W {}",
                -out.virial[a][b]
            );
        }
    }
    // Symmetric, and the stress attached by `label` is −W/V.
    let labelled = sw.label(&frame).unwrap();
    let v = frame.volume().unwrap();
    for a in 0..3 {
        for b in 0..3 {
            assert!((out.virial[a][b] - out.virial[b][a]).abs() < 1e-9);
            assert!((labelled.stress.unwrap()[a][b] + out.virial[a][b] / v).abs() < 1e-12);
        }
    }
}

#[test]
fn data_sw_invariances() {
    let sw = StillingerWeber::silicon();
    let frame = rattled(&diamond_silicon(5.431, [1; 3]), 0.12, 5);
    let out = sw.compute(&frame).unwrap();
    // Translation.
    let mut t = frame.clone();
    for p in &mut t.positions {
        p[0] += 3.7;
        p[1] -= 11.2;
        p[2] += 0.3;
    }
    assert!((sw.compute(&t).unwrap().energy - out.energy).abs() < 1e-10);
    // Rotation (cell and positions), with forces rotating along.
    let (ax, ang) = ([0.3f64, -0.5, 0.81], 1.1f64);
    let n = (ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2]).sqrt();
    let u = [ax[0] / n, ax[1] / n, ax[2] / n];
    let (s, c) = ang.sin_cos();
    let r: [[f64; 3]; 3] = std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            let cross = [[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]];
            (if i == j { c } else { 0.0 }) + s * cross[i][j] + (1.0 - c) * u[i] * u[j]
        })
    });
    let rot = |v: &[f64; 3]| -> [f64; 3] {
        std::array::from_fn(|i| (0..3).map(|j| r[i][j] * v[j]).sum())
    };
    let mut rf = frame.clone();
    rf.positions = frame.positions.iter().map(rot).collect();
    let cell = frame.cell.unwrap();
    rf.cell = Some([rot(&cell[0]), rot(&cell[1]), rot(&cell[2])]);
    let rout = sw.compute(&rf).unwrap();
    assert!((rout.energy - out.energy).abs() < 1e-10);
    for (fr, f) in rout.forces.iter().zip(&out.forces) {
        let expect = rot(f);
        for c in 0..3 {
            assert!((fr[c] - expect[c]).abs() < 1e-10);
        }
    }
    // Permutation of atoms.
    let mut p = frame.clone();
    p.positions.reverse();
    assert!((sw.compute(&p).unwrap().energy - out.energy).abs() < 1e-10);
    // Other elements are refused, not silently treated as silicon.
    let mut c = frame.clone();
    c.numbers[0] = 6;
    assert!(sw.compute(&c).is_err());
}
