// MACE's product basis as a layer: A-features from a channel-wise
// convolution, then a symmetric contraction to correlation order 3 with
// weights per species and channel, into scalars and vectors; the model is
// equivariant and its summary names the paths.
use eqv::equivariant;
use eqv::graph::Batch;
use eqv::prelude::*;

#[equivariant(
    output = Energy,
    config(species = 2, channels = 4, n_basis = 6, cutoff = 4.0)
)]
pub struct Mace3 {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<2>,
    radial: Bessel<{ n_basis }, { cutoff }>,
    weights: Mlp<{ n_basis }, 16, conv>,
    conv: ChannelwiseTp<"{channels}x0e", "1x0e + 1x1o + 1x2e", "0e + 1o + 2e">,
    product: SymmetricContraction<
        "{channels}x0e + {channels}x1o + {channels}x2e",
        "{channels}x0e + {channels}x1o",
        3,
    >,
    readout: Linear<"{channels}x0e", "1x0e">,
}

impl Mace3 {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let r = g.edge_vectors();
        let w = self.weights.forward(self.radial.forward(r.norm()));
        let a = self.conv.convolve(g, self.embed.forward(g), self.sh.forward(r), w);
        let (scalars, _vectors) = self.product.forward(g, a);
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(scalars)))
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
    let model = Mace3::new(&Mace3Config::default(), 3);
    let summary = model.summary();
    assert!(
        summary.contains("correlation 3, 2 species, paths 9 into 4x0e, 10 into 4x1o"),
        "{summary}"
    );
    let report = model.check_equivariance(&batch, 7);
    assert!(report.max() < 1e-10, "{report}");
}
