//! The ghost-atom scheme, without LAMMPS: a periodic cell split into two
//! slabs, each evaluated as its owned atoms plus explicit periodic images
//! as ghosts, gives the periodic cell's energy and forces exactly when the
//! ghost shell covers the receptive field `layers × cutoff` — and wrong
//! ones when it covers only one cutoff.

use eqv::classical::{diamond_silicon, Potential};
use eqv::data::{Frame, SpeciesMap};
use eqv::rng::Rng;
use eqv::simulation::ModelPotential;
use eqv::zoo::nequip::{nequip_config, Nequip};
use eqv::zoo::ZooModel;
use eqv_lammps::DomainModel;

const CUTOFF: f64 = 3.0;
const LAYERS: usize = 2;
const E0: f64 = -4.5;

/// A NequIP-like model with random weights: the identity holds for any.
fn model() -> ZooModel {
    ZooModel::Nequip(Nequip::new(&nequip_config(1, 4, 2, LAYERS, CUTOFF), 3))
}

fn domain_model() -> DomainModel {
    DomainModel::new(model(), CUTOFF, SpeciesMap::from_numbers([14]), vec![E0]).unwrap()
}

/// 64 atoms of silicon, every atom displaced.
fn cell() -> Frame {
    let mut f = diamond_silicon(5.431, [2; 3]);
    let mut rng = Rng::new(11);
    for p in &mut f.positions {
        for x in p.iter_mut() {
            *x += rng.uniform_in(-0.15, 0.15);
        }
    }
    f
}

/// Energy and forces summed over two slabs along x, each with the periodic
/// images within `shell` of it as ghosts (what LAMMPS's ghost exchange
/// builds), ghost forces added to the atoms they copy.
fn by_slabs(frame: &Frame, shell: f64) -> (f64, Vec<[f64; 3]>) {
    let m = domain_model();
    let len = frame.cell.unwrap()[0][0];
    let n = frame.len();
    let mut energy = 0.0;
    let mut forces = vec![[0.0; 3]; n];
    for slab in 0..2 {
        let lo = [slab as f64 * len / 2.0, 0.0, 0.0];
        let hi = [(slab + 1) as f64 * len / 2.0, len, len];
        let inside = |p: &[f64; 3]| (0..3).all(|k| p[k] >= lo[k] && p[k] < hi[k]);
        let wrapped: Vec<[f64; 3]> = frame
            .positions
            .iter()
            .map(|p| p.map(|x| x.rem_euclid(len)))
            .collect();
        let (mut pos, mut owner) = (Vec::new(), Vec::new());
        for (i, p) in wrapped.iter().enumerate() {
            if inside(p) {
                pos.push(*p);
                owner.push(i);
            }
        }
        let owned = pos.len();
        assert!(owned > 0 && owned < n, "both slabs own atoms");
        for (i, p) in wrapped.iter().enumerate() {
            for a in -2..=2 {
                for b in -2..=2 {
                    for c in -2..=2 {
                        let q = [
                            p[0] + a as f64 * len,
                            p[1] + b as f64 * len,
                            p[2] + c as f64 * len,
                        ];
                        let d2: f64 = (0..3)
                            .map(|k| (lo[k] - q[k]).max(q[k] - hi[k]).max(0.0).powi(2))
                            .sum();
                        if !inside(&q) && d2 <= shell * shell {
                            pos.push(q);
                            owner.push(i);
                        }
                    }
                }
            }
        }
        let out = m.compute(owned, &vec![0; pos.len()], &pos).unwrap();
        energy += out.energy;
        for (f, &i) in out.forces.iter().zip(&owner) {
            for k in 0..3 {
                forces[i][k] += f[k];
            }
        }
    }
    (energy, forces)
}

fn periodic(frame: &Frame) -> (f64, Vec<[f64; 3]>) {
    let p = ModelPotential::new(model(), CUTOFF, SpeciesMap::from_numbers([14]), vec![E0]).unwrap();
    p.energy_forces(frame).unwrap()
}

fn max_force_difference(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| (0..3).map(move |k| (x[k] - y[k]).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn slabs_with_a_receptive_field_of_ghosts_reproduce_the_periodic_cell() {
    let frame = cell();
    let m = domain_model();
    assert_eq!(m.layers(), LAYERS);
    assert!((m.receptive_field() - LAYERS as f64 * CUTOFF).abs() < 1e-12);
    let (e, f) = periodic(&frame);
    let (e2, f2) = by_slabs(&frame, m.receptive_field() + 0.5);
    assert!((e - e2).abs() < 1e-9, "energy {e} vs {e2}");
    let df = max_force_difference(&f, &f2);
    assert!(df < 1e-9, "forces differ by {df}");
    // The reference energies of the owned atoms are counted once.
    assert!(e < 64.0 * E0 + 10.0 && e > 64.0 * E0 - 10.0, "{e}");
}

#[test]
fn a_ghost_shell_of_one_cutoff_misses_the_second_layer() {
    let frame = cell();
    let (e, f) = periodic(&frame);
    let (e1, f1) = by_slabs(&frame, CUTOFF + 0.1);
    assert!(
        (e - e1).abs() > 1e-6 || max_force_difference(&f, &f1) > 1e-6,
        "a one-cutoff shell should not be enough for {LAYERS} layers"
    );
}

#[test]
fn bad_inputs_are_errors() {
    let m = domain_model();
    let p = [[0.0; 3], [2.0, 0.0, 0.0]];
    assert!(m.compute(3, &[0, 0], &p).is_err());
    assert!(m.compute(1, &[0], &p).is_err());
    assert!(m.compute(1, &[0, 1], &p).unwrap_err().contains("species"));
    assert!(m
        .compute(1, &[0, 0], &[[0.0; 3], [f64::NAN, 0.0, 0.0]])
        .is_err());
    assert_eq!(m.species_index("Si"), Some(0));
    assert_eq!(m.species_index("14"), Some(0));
    assert_eq!(m.species_index("C"), None);
    assert!(DomainModel::new(model(), -1.0, SpeciesMap::from_numbers([14]), vec![0.0]).is_err());
}
