//! # eqv — E(3)-equivariant neural networks that are correct by construction
//!
//! Features carry their irreducible representation in their type
//! ([`Scalar`](prelude::Scalar) 0e, [`Vector`](prelude::Vector) 1o, ...), and
//! only operations that preserve equivariance exist for each type. A ReLU on
//! a vector, a linear layer from vectors to scalars, a tensor-product path
//! that breaks the selection rule, or a "force" head that returns invariants
//! is a compile error that names the rule and the fix (see [`rules`]).
//!
//! * [`equivariant`]: declare a network with irreps literals, get a checked
//!   model (config, seeded init, forward, parameter walk, save/load,
//!   `check_equivariance`, summary);
//! * the typed op set ([`ops`]), the graph of atoms ([`graph`]), exact
//!   forces `F = −∇E` and force-loss gradients (forward-over-reverse);
//! * O(3) math in e3nn-jax's conventions ([`so3`], [`irreps`]);
//! * data ([`data`]: extended XYZ, neighbour lists) and the reference
//!   potential that makes the default training data ([`classical`]);
//! * stress and virial of any energy model ([`graph::energy_forces_stress`])
//!   and MD with trained models in the NVE, NVT and NPT ensembles
//!   ([`simulation`]).
#![forbid(unsafe_code)]
pub use eqv_core::*;
pub use eqv_macros::equivariant;

/// Paths used by the code `#[equivariant]` generates. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use eqv_core::checkpoint::{load_params, save_params, CheckpointError};
    pub use eqv_core::equivariance::{check_model_equivariance, EquivarianceReport};
    pub use eqv_core::feat::Feat;
    pub use eqv_core::graph::{Batch, Graph};
    pub use eqv_core::irrep::*;
    pub use eqv_core::layer::{follow_entry, ConfigEntry, ConfigValue, Layer};
    pub use eqv_core::model::{check_output_rows, into_declared, kind, Model, OutputKind};
    pub use eqv_core::ops::activation::{Activation, Sigmoid, Silu};
    pub use eqv_core::ops::embedding::SpeciesEmbedding;
    pub use eqv_core::ops::gate::gate;
    pub use eqv_core::ops::linear::Linear;
    pub use eqv_core::ops::mlp::ScalarMlp;
    pub use eqv_core::ops::radial::BesselBasis;
    pub use eqv_core::ops::spherical::spherical_harmonic;
    pub use eqv_core::ops::tensor_product::{
        channelwise_convolution, channelwise_paths, channelwise_tensor_product, ChannelwisePath,
        FullyConnectedTp,
    };
    pub use eqv_core::param::{join_path, Param, Parameters};
    pub use eqv_core::real::Real;
    pub use eqv_core::rng::Rng;
    pub use eqv_core::rules::r9_parity::Symmetry;
    pub use eqv_core::rules::{ActivatedBy, ActsOn, IsScalar};

    macro_rules! poisoned {
        ($($name:ident: $($arg:ident),*;)*) => {$(
            /// Stand-in for a layer whose declaration has an error (already
            /// reported at the user's token): its `forward` accepts the
            /// usual number of inputs and returns whatever the code around
            /// it expects, so that one mistake gives one error. Never runs:
            /// a crate with that error does not compile.
            #[derive(Clone, Copy, Debug, Default)]
            pub struct $name;
            impl $name {
                /// Never called (the crate does not compile).
                #[allow(clippy::too_many_arguments)]
                pub fn forward<$($arg,)* R>(&self, $(_: $arg),*) -> R {
                    unreachable!("a layer whose declaration has an error")
                }
                /// Never called.
                pub fn weight_numel(&self) -> usize {
                    0
                }
                /// Names the layer in summaries.
                pub fn describe(&self) -> String {
                    "(declaration error)".to_string()
                }
            }
            impl Parameters for $name {
                fn visit(&self, _: &str, _: &mut dyn FnMut(&str, &Param)) {}
                fn visit_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Param)) {}
            }
        )*};
    }
    poisoned! {
        Poisoned1: A;
        Poisoned2: A, B;
        Poisoned3: A, B, C;
    }
}
