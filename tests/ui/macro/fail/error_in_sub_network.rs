// A mistake inside a sub-network (a vector -> scalar Linear in the block)
// is reported once, in the block; the network that repeats the block should
// not add errors of its own.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(channels = 16))]
pub struct Block {
    mix: Linear<"{channels}x0e", "{channels}x0e">,
    update: Linear<"8x1o", "{channels}x0e">,
}

impl Block {
    pub fn forward<'t, T: Real>(
        &self,
        s: Feat<'t, Scalar, T>,
        v: Feat<'t, Vector, T>,
    ) -> Feat<'t, Scalar, T> {
        s + self.mix.forward(s).activate(Silu) + self.update.forward(v)
    }
}

#[equivariant(output = Energy, config(channels = 16, layers = 2))]
pub struct Deep {
    embed: SpeciesEmbedding<4, "{channels}x0e">,
    #[eqv(repeat = layers)]
    blocks: Vec<Block>,
    readout: Linear<"{channels}x0e", "1x0e">,
}

impl Deep {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let r = g.edge_vectors();
        let v = g.scatter_sum(r.scale(r.norm()));
        let mut s = self.embed.forward(g);
        for b in &self.blocks {
            s = b.forward(s, v);
        }
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(s)))
    }
}

fn main() {}
