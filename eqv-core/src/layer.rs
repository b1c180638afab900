//! Building blocks with a config: what `#[equivariant]` generates for every
//! network, so networks nest (an interaction block inside a potential).

use crate::param::Parameters;
use crate::rng::Rng;
use std::fmt::Debug;

/// A network or sub-network that can be built from its config.
pub trait Layer: Parameters + Sized {
    /// Its sizes and settings (runtime choices with declared defaults).
    type Config: Clone + Debug + Default + PartialEq;
    /// Builds it with weights drawn from `rng`.
    fn init(config: &Self::Config, rng: &mut Rng) -> Self;
    /// A readable multi-line description: layers, irreps, parameter counts.
    fn describe(&self) -> String;
}
