// A declaration without `output`: a sub-network, used by hand-written code.
// It has `new`, `forward`, a summary and a parameter walk, but no `Model`
// implementation (nothing is promised about a whole structure's output).
use eqv::equivariant;
use eqv::graph::Batch;
use eqv::prelude::*;

#[equivariant(config(vectors = 4))]
pub struct VectorFilter {
    filter: Mlp<1, 16, { vectors }, Silu>,
    mix: Linear<"{vectors}x1o", "{vectors}x1o">,
}

impl VectorFilter {
    /// Per atom: the sum of neighbour directions, weighted by learned
    /// functions of the distance, mixed across channels.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Vector, T> {
        let r = g.edge_vectors();
        let w = self.filter.forward(r.norm()); // [edges, vectors]
        let per_channel = self.filter_channels(r, w);
        self.mix.forward(g.scatter_sum(per_channel))
    }

    fn filter_channels<'t, T: Real>(
        &self,
        r: Feat<'t, Vector, T>,
        w: Feat<'t, Scalar, T>,
    ) -> Feat<'t, Vector, T> {
        let mut out = r.scale(w.channels(0, 1));
        for c in 1..w.mul() {
            out = out.concat(r.scale(w.channels(c, c + 1)));
        }
        out
    }
}

fn main() {
    let batch = Batch::from_positions(
        &[[0.0, 0.0, 0.0], [1.0, 0.2, 0.0], [0.1, 0.9, 0.4]],
        &[0, 0, 0],
        3.0,
    )
    .unwrap();
    let net = VectorFilter::new(&VectorFilterConfig::default(), 5);
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let v = net.forward(&g);
    assert_eq!((v.rows(), v.mul()), (3, 4));
    assert!(
        net.summary().starts_with("VectorFilter ("),
        "{}",
        net.summary()
    );
}
