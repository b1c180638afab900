// The tutorial's third code example, written with eqv's typed ops: an MLP on
// pair distances, Linear(1, 128) -> ReLU -> Linear(128, 1), mean over the
// neighbours of each atom, summed into the energy E; forces F = -dE/dR.
// Invariant energy, equivariant forces, for free.
use eqv::graph::{forces_from_energy, Batch};
use eqv::prelude::*;

struct DistanceEnergy {
    hidden: Linear<Scalar, Scalar>,
    out: Linear<Scalar, Scalar>,
}

impl DistanceEnergy {
    fn new(rng: &mut Rng) -> Self {
        DistanceEnergy {
            hidden: Linear::with_bias(1, 128, rng),
            out: Linear::with_bias(128, 1, rng),
        }
    }

    fn energy<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Energy<'t, T> {
        let d = graph.edge_vectors().norm(); // one Scalar per edge
        let h = self.hidden.forward(d).activate(Relu); // anything goes on invariants
        let pair = self.out.forward(h);
        let atomic = graph.scatter_mean(pair); // mean over neighbours
        Energy::from_feat(graph.sum_over_atoms(atomic)) // one Scalar per structure
    }
}

fn energy_and_forces(model: &DistanceEnergy, positions: &[[f64; 3]]) -> (f64, Vec<[f64; 3]>) {
    let batch = Batch::from_positions(positions, &[0, 0, 1, 0], 3.0).unwrap();
    let tape = Tape::<f64>::new();
    let graph = Graph::new(&tape, &batch);
    let e = model.energy(&graph);
    let f = forces_from_energy(&graph, e.feat());
    (e.feat().to_f64()[0], f)
}

fn main() {
    let mut rng = Rng::new(7);
    let model = DistanceEnergy::new(&mut rng);
    let r = [
        [0.0, 0.0, 0.0],
        [1.1, 0.0, 0.2],
        [0.1, 1.3, -0.4],
        [-0.9, 0.5, 0.8],
    ];
    let (e, f) = energy_and_forces(&model, &r);

    // Translation invariance: the forces sum to zero.
    for a in 0..3 {
        let net: f64 = f.iter().map(|fi| fi[a]).sum();
        assert!(net.abs() < 1e-9, "net force {net}");
    }

    // A quarter turn about z, (x, y, z) -> (-y, x, z): same energy, rotated forces.
    let rot = |v: [f64; 3]| [-v[1], v[0], v[2]];
    let r2: Vec<[f64; 3]> = r.iter().map(|&v| rot(v)).collect();
    let (e2, f2) = energy_and_forces(&model, &r2);
    assert!((e - e2).abs() < 1e-9 * (1.0 + e.abs()));
    for (a, b) in f.iter().zip(&f2) {
        let ra = rot(*a);
        for k in 0..3 {
            assert!((ra[k] - b[k]).abs() < 1e-9);
        }
    }
}
