// Three mistakes in one declaration — a ReLU on vectors, a vector -> scalar
// linear map and an unreachable tensor-product output — are all reported,
// each once, at its own literal.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(channels = 16, vectors = 8))]
pub struct Interaction {
    radial: Mlp<8, 16, conv>,
    conv: ChannelwiseTp<"{channels}x0e + {vectors}x1o", "1x0e + 1x1o", "0e + 1o + 2o">,
    act: Activation<"{vectors}x1o", Relu>,
    readout: Linear<"{vectors}x1o", "1x0e">,
}

impl Interaction {
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        x: (Feat<'t, Scalar, T>, Feat<'t, Vector, T>),
    ) -> Feat<'t, Scalar, T> {
        let r = g.edge_vectors();
        let sh = (r.norm().scale_by(0.0), r);
        let w = self.radial.forward(r.norm());
        let (_s, v, _t) =
            self.conv
                .forward((g.gather_neighbors(x.0), g.gather_neighbors(x.1)), sh, w);
        self.readout.forward(self.act.forward(g.scatter_sum(v)))
    }
}

fn main() {
    let block = Interaction::new(&InteractionConfig::default(), 0);
    println!("{}", block.summary());
}
