// Sizes may be simple arithmetic of config entries: `{2 * channels}` in an
// irreps literal and in an Mlp's sizes; they follow the config at run time.
// A sum inside braces is one multiplicity: the terms after it keep theirs.
use eqv::equivariant;
use eqv::graph::Batch;
use eqv::prelude::*;

#[equivariant(output = Energy, config(channels = 4, hidden = 3))]
pub struct Wide {
    radial: Mlp<1, { 2 * hidden + 1 }, { channels }>,
    up: Linear<"{channels}x0e", "{2 * channels}x0e">,
    act: Activation<"{2 * channels}x0e", Silu>,
    down: Linear<"{(channels * 2) / 2 + 0}x0e", "1x0e">,
    split: Linear<"{channels}x0e + {channels}x1o", "{hidden + channels}x0e + {hidden}x0e + {channels}x1o">,
}

impl Wide {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let h = self.radial.forward(g.edge_vectors().norm());
        let h = self.act.forward(self.up.forward(g.scatter_sum(h)));
        let half = h.channels(0, self.config().channels);
        let e = self.down.forward(half);
        Energy::from_feat(g.sum_over_atoms(e))
    }
}

fn main() {
    let batch = Batch::from_positions(&[[0.0; 3], [1.0, 0.2, 0.0]], &[0, 0], 2.0).unwrap();
    for channels in [4, 6] {
        let m = Wide::new(&WideConfig { channels, ..Default::default() }, 0);
        let r = m.check_equivariance(&batch, 1);
        assert!(r.max() < 1e-10, "{r}");
        let s = m.summary();
        assert!(s.contains(&format!("{}x0e", 2 * channels)), "{s}");
        let tape = Tape::<f64>::new();
        let x = (
            Feat::<Scalar, f64>::zeros(&tape, 2, channels),
            Feat::<Vector, f64>::zeros(&tape, 2, channels),
        );
        let (a, b, v) = m.split.forward(x);
        assert_eq!((a.mul(), b.mul(), v.mul()), (3 + channels, 3, channels));
    }
}
