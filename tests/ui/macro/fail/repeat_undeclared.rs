// `#[eqv(repeat = n_layers)]` where the config declares `layers`.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(channels = 16))]
pub struct Block {
    mix: Linear<"{channels}x0e", "{channels}x0e">,
}

impl Block {
    pub fn forward<'t, T: Real>(&self, x: Feat<'t, Scalar, T>) -> Feat<'t, Scalar, T> {
        x + self.mix.forward(x).activate(Silu)
    }
}

#[equivariant(output = Energy, config(channels = 16, layers = 3))]
pub struct Deep {
    embed: SpeciesEmbedding<4, "{channels}x0e">,
    #[eqv(repeat = n_layers)]
    blocks: Vec<Block>,
    readout: Linear<"{channels}x0e", "1x0e">,
}

impl Deep {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let mut x = self.embed.forward(g);
        for b in &self.blocks {
            x = b.forward(x);
        }
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(x)))
    }
}

fn main() {}
