// Sub-networks: an interaction block declared with #[equivariant] (no
// output: a sub-network only), repeated `layers` times with
// `#[eqv(repeat = layers)]`, and a readout sub-network used once. Parameter
// paths are dotted (`blocks.1.conv...`), sub-network configs nest.
use eqv::equivariant;
use eqv::graph::Batch;
use eqv::prelude::*;

/// Scalars and vectors per atom.
pub type Nodes<'t, T> = (Feat<'t, Scalar, T>, Feat<'t, Vector, T>);

#[equivariant(config(channels = 8, vectors = 4, n_basis = 6))]
pub struct Block {
    radial: Mlp<{ n_basis }, 16, conv>,
    conv: ChannelwiseTp<"{channels}x0e + {vectors}x1o", "1x0e + 1x1o", "0e + 1o">,
    mix: Linear<conv, "{channels}x0e + {vectors}x0e + {vectors}x1o">,
    gate: Gate<"{channels}x0e", "{vectors}x1o">,
}

impl Block {
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        sh: (Feat<'t, Scalar, T>, Feat<'t, Vector, T>),
        basis: Feat<'t, Scalar, T>,
        x: Nodes<'t, T>,
    ) -> Nodes<'t, T> {
        let w = self.radial.forward(basis);
        let (m0, m1) = self
            .conv
            .forward((g.gather_neighbors(x.0), g.gather_neighbors(x.1)), sh, w);
        let (s, v) = self
            .gate
            .forward(self.mix.forward((g.scatter_sum(m0), g.scatter_sum(m1))));
        (x.0 + s, x.1 + v)
    }
}

#[equivariant(config(channels = 8))]
pub struct Head {
    hidden: Linear<"{channels}x0e", "{channels}x0e">,
    act: Activation<"{channels}x0e", Silu>,
    out: Linear<"{channels}x0e", "1x0e">,
}

impl Head {
    pub fn forward<'t, T: Real>(&self, s: Feat<'t, Scalar, T>) -> Feat<'t, Scalar, T> {
        self.out.forward(self.act.forward(self.hidden.forward(s)))
    }
}

#[equivariant(output = Energy, config(species = 2, channels = 8, vectors = 4, n_basis = 6, layers = 3))]
pub struct Deep {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<"1x0e + 1x1o">,
    radial: Bessel<{ n_basis }, 4.0>,
    #[eqv(repeat = layers)]
    blocks: Vec<Block>,
    head: Head,
}

impl Deep {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let r = g.edge_vectors();
        let sh = self.sh.forward(r);
        let basis = self.radial.forward(r.norm());
        let vectors = self.config().vectors;
        let mut x = (
            self.embed.forward(g),
            Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), vectors),
        );
        for b in &self.blocks {
            x = b.forward(g, sh, basis, x);
        }
        Energy::from_feat(g.sum_over_atoms(self.head.forward(x.0)))
    }
}

fn main() {
    let model = Deep::new(&DeepConfig::default(), 0);
    assert_eq!(model.blocks.len(), 3);
    let mut paths = Vec::new();
    eqv::param::Parameters::visit(&model, "", &mut |p, _| paths.push(p.to_string()));
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("blocks.2.conv") || p.starts_with("blocks.2.radial")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p.starts_with("head.out")), "{paths:?}");

    let positions = [
        [0.0, 0.0, 0.0],
        [1.1, 0.1, 0.0],
        [-0.2, 1.0, 0.3],
        [0.4, 0.5, 1.2],
    ];
    let batch = Batch::from_positions(&positions, &[0, 1, 1, 0], 4.0).unwrap();
    let report = model.check_equivariance(&batch, 2);
    assert!(report.max() < 1e-10, "{report}");
}
