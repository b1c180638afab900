// Rule 5 — the tutorial's first code example, "an MLP on coordinates":
// split the edge vectors into x, y, z and feed them to an MLP,
// Linear(3, 128) -> ReLU -> Linear(128, 3). The answer then depends on how
// the molecule is oriented in the file.
use eqv::prelude::*;

struct CoordinateMlp {
    hidden: Linear<Scalar, Scalar>,
    out: Linear<Scalar, Scalar>,
}

impl CoordinateMlp {
    fn forward<'t>(&self, graph: &Graph<'t>) -> Feat<'t, Scalar> {
        let r = graph.edge_vectors();
        let xyz = r.components();
        let input = xyz[0].concat(xyz[1]).concat(xyz[2]); // 3 channels: x, y, z
        let h = self.hidden.forward(input).activate(Relu);
        graph.scatter_mean(self.out.forward(h))
    }
}

fn main() {
    let mut rng = Rng::new(0);
    let model = CoordinateMlp {
        hidden: Linear::with_bias(3, 128, &mut rng),
        out: Linear::with_bias(128, 3, &mut rng),
    };
    let _ = CoordinateMlp::forward;
    let _ = model;
}
