//! Paths used by the code `#[equivariant]` generates (`::eqv::__private::…`).
//! Not public API: hidden from the docs, free to change between versions.
//!
//! They live in the core crate so that every crate of the workspace that
//! declares models (the zoo, the examples, users' crates through the facade)
//! sees the same paths.

pub use crate::checkpoint::{load_params, save_params, CheckpointError};
pub use crate::equivariance::{check_model_equivariance, EquivarianceReport};
pub use crate::feat::Feat;
pub use crate::graph::{Batch, Graph};
pub use crate::irrep::*;
pub use crate::kernels::symmetric::SymmetricProgram;
pub use crate::layer::{follow_entry, ConfigEntry, ConfigValue, Layer};
pub use crate::model::{check_output_rows, into_declared, kind, Model, OutputKind};
pub use crate::ops::activation::{Activation, Sigmoid, Silu};
pub use crate::ops::embedding::SpeciesEmbedding;
pub use crate::ops::gate::gate;
pub use crate::ops::linear::Linear;
pub use crate::ops::mlp::ScalarMlp;
pub use crate::ops::radial::BesselBasis;
pub use crate::ops::spherical::spherical_harmonic;
pub use crate::ops::tensor_product::{
    channelwise_convolution, channelwise_paths, channelwise_tensor_product, fully_connected_sum,
    symmetric_contraction, tensor_product, ChannelwisePath, FullyConnectedTp, SymmetricInput,
};
pub use crate::param::{join_path, Param, Parameters};
pub use crate::real::Real;
pub use crate::rng::Rng;
pub use crate::rules::r9_parity::Symmetry;
pub use crate::rules::{ActivatedBy, ActsOn, IsScalar};

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
