// A PaiNN-like message and update block: a scalar and a vector branch.
// Scalars gate vectors, vectors meet through dot products, norms and cross
// products with the right parity (Vector x Vector -> Pseudovector), and
// every nonlinearity acts on invariants only.
use eqv::graph::Batch;
use eqv::prelude::*;

const F: usize = 4;

struct Block {
    phi: Linear<Scalar, Scalar>,    // F -> 3F, on neighbour scalars
    radial: Linear<Scalar, Scalar>, // 1 -> 3F, on distances
    mix_u: Linear<Vector, Vector>,  // F -> F, channels only
    mix_v: Linear<Vector, Vector>,
    update: Linear<Scalar, Scalar>, // 3F -> F
}

impl Block {
    fn new(rng: &mut Rng) -> Self {
        Block {
            phi: Linear::with_bias(F, 3 * F, rng),
            radial: Linear::with_bias(1, 3 * F, rng),
            mix_u: Linear::new(F, F, rng),
            mix_v: Linear::new(F, F, rng),
            update: Linear::with_bias(3 * F, F, rng),
        }
    }

    fn forward<'t>(
        &self,
        g: &Graph<'t>,
        s: Feat<'t, Scalar>,
        v: Feat<'t, Vector>,
    ) -> (Feat<'t, Scalar>, Feat<'t, Vector>) {
        // Message: filters from invariants only.
        let r = g.edge_vectors();
        let d = r.norm();
        let x = self.phi.forward(g.gather_neighbors(s)).activate(Silu);
        let w = self.radial.forward(d).activate(Silu);
        let filt = gate(w, x, Identity);
        let (ds, gvv, gvs) = (
            filt.channels(0, F),
            filt.channels(F, 2 * F),
            filt.channels(2 * F, 3 * F),
        );
        let dv_edge = g.gather_neighbors(v).scale(gvv) + tensor_product::<_, _, Vector, _>(gvs, r);
        let s = s + g.scatter_sum(ds);
        let v = v + g.scatter_sum(dv_edge);

        // Update: invariants of the vectors, then gated vectors.
        let u = self.mix_u.forward(v);
        let w = self.mix_v.forward(v);
        let axial: Feat<Pseudovector> = u.cross(w); // 1o x 1o -> 1e
        let back: Feat<Vector> = axial.cross(v); // 1e x 1o -> 1o
        let inv = s.concat(u.dot(w)).concat(axial.norm());
        let a = self.update.forward(inv).activate(Silu);
        let v = v + u.scale(a) + back.scale(a.activate(Tanh));
        let v = v.norm_activation(Sigmoid);
        (s + a, v)
    }
}

fn main() {
    let batch = Batch::from_positions(
        &[[0.0; 3], [1.0, 0.2, 0.0], [0.3, 1.1, 0.4]],
        &[0, 1, 1],
        2.5,
    )
    .unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let mut rng = Rng::new(1);
    let block = Block::new(&mut rng);
    let s = g.species_one_hot(2).concat(eqv::non_equivariant::input::<Scalar, _>(
        &tape,
        3,
        F - 2,
        rng.normals(3 * (F - 2)),
    ));
    let v = tensor_product::<_, _, Vector, _>(s, g.scatter_sum(g.edge_vectors()));
    let (s, v) = block.forward(&g, s, v);
    assert_eq!((s.rows(), s.mul(), v.rows(), v.mul()), (3, F, 3, F));
}
