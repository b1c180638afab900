// Every layer kind the macro knows, in one small energy model: species
// embedding, spherical harmonics (written as lmax), Bessel basis, an MLP that
// produces the weights of a channel-wise tensor product, a Linear reading
// what that product produces, a gate, a scalar activation, a fully connected
// tensor product (two vectors -> scalars and pseudovectors), and a readout
// fed by two scalar blocks.
use eqv::equivariant;
use eqv::graph::Batch;
use eqv::prelude::*;

#[equivariant(
    output = Energy,
    config(species = 2, channels = 8, vectors = 4, n_basis = 6, cutoff = 4.0)
)]
pub struct EveryLayer {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<2>,
    radial: Bessel<{ n_basis }, { cutoff }>,
    weights: Mlp<{ n_basis }, 16, conv, Silu>,
    conv: ChannelwiseTp<"{channels}x0e", "1x0e + 1x1o + 1x2e", "0e + 1o">,
    mix: Linear<conv, "{channels}x0e + {vectors}x0e + {vectors}x1o">,
    gate: Gate<"{channels}x0e", "{vectors}x1o", Silu, Sigmoid>,
    act: Activation<"{channels}x0e", Tanh>,
    products: FullTp<"{vectors}x1o", "{vectors}x1o", "{channels}x0e + 2x1e">,
    readout: Linear<"{channels}x0e + {channels}x0e", "1x0e">,
}

impl EveryLayer {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let r = g.edge_vectors();
        let sh = self.sh.forward(r);
        let w = self.weights.forward(self.radial.forward(r.norm()));
        let h = self.embed.forward(g);
        let (m0, m1) = self.conv.forward(g.gather_neighbors(h), sh, w);
        let k = 1.0 / 4.0;
        let mixed = self
            .mix
            .forward((g.scatter_sum(m0).scale_by(k), g.scatter_sum(m1).scale_by(k)));
        let (s, v) = self.gate.forward(mixed);
        let s = self.act.forward(s);
        let (dots, _crosses) = self.products.forward(v, v);
        Energy::from_feat(g.sum_over_atoms(self.readout.forward((s, dots))))
    }
}

fn main() {
    let positions = [
        [0.0, 0.0, 0.0],
        [1.1, 0.1, 0.0],
        [-0.2, 1.0, 0.3],
        [0.4, 0.5, 1.2],
        [1.0, 1.0, 1.0],
    ];
    let batch = Batch::from_positions(&positions, &[0, 1, 1, 0, 1], 4.0).unwrap();
    let model = EveryLayer::new(&EveryLayerConfig::default(), 3);
    let summary = model.summary();
    for field in [
        "embed", "sh", "radial", "weights", "conv", "mix", "gate", "act", "products", "readout",
    ] {
        assert!(
            summary.contains(&format!("  {field}: ")),
            "{field} missing from\n{summary}"
        );
    }
    let report = model.check_equivariance(&batch, 7);
    assert!(report.max() < 1e-10, "{report}");
}
