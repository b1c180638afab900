//! eqv-core: type-level irreps, O(3) math, typed equivariant ops and autodiff.
//!
//! The architecture, bottom up:
//! * numbers: [`real`] (f32, f64, [`dual`] numbers), [`rng`];
//! * symmetry: [`irrep`] (type-level irreps), [`irreps`] (e3nn strings),
//!   [`so3`] (Clebsch-Gordan, spherical harmonics, Wigner D, rotations);
//! * differentiable values: [`tape`] (reverse mode), [`feat`] (typed
//!   features), [`param`] (trainable tensors);
//! * [`rules`]: the rules of equivariance as traits, one page each;
//! * [`ops`]: the equivariant op set; [`non_equivariant`]: the named opt-out;
//! * [`output`]: what a network promises to return;
//! * [`data`] and [`classical`]: structures, files, neighbour lists, and
//!   the reference potential that makes the default data;
//! * [`simulation`]: trained models as potentials, MD (NVE, NVT, NPT),
//!   thermo logs, trajectories and radial distribution functions.
#![warn(missing_docs)]
// Only the GEMM binding (`kernels::gemm`) needs `unsafe`; it opts in there.
#![deny(unsafe_code)]

#[doc(hidden)]
pub mod __private;
pub mod authoring;
pub mod check;
pub mod checkpoint;
pub mod dual;
pub mod equivariance;
pub mod feat;
pub mod graph;
pub use eqv_data::{classical, data, rng};
pub use eqv_irreps::{irrep, irreps};
pub use eqv_macros::equivariant;
pub mod kernels;
pub mod layer;
pub mod model;
pub mod non_equivariant;
pub mod ops;
pub mod output;
pub mod param;
pub mod real;
pub mod rules;
pub mod simulation;
pub mod so3;
pub mod tape;

/// Everything a model author needs, in one import.
pub mod prelude {
    pub use crate::feat::Feat;
    pub use crate::graph::{mean_rows_by, sum_rows_by, Graph};
    pub use crate::irrep::*;
    pub use crate::ops::activation::{
        Abs, Activation, Identity, Relu, Sigmoid, Silu, Softplus, Square, Tanh,
    };
    pub use crate::ops::embedding::SpeciesEmbedding;
    pub use crate::ops::linear::Linear;
    pub use crate::ops::mlp::ScalarMlp;
    pub use crate::ops::radial::BesselBasis;
    pub use crate::ops::spherical::{sh_up_to, spherical_harmonic, HarmonicOf, SphericalHarmonics};
    pub use crate::ops::{
        gate::{gate, Gate},
        norm_activation::norm_activation,
        tensor_product::{
            channelwise_tensor_product, fully_connected_sum, path_weights, tensor_product,
            FullyConnectedTp, PathKind,
        },
    };
    pub use crate::output::{Energy, Forces};
    pub use crate::param::{Param, Parameters};
    pub use crate::real::Real;
    pub use crate::rng::Rng;
    pub use crate::tape::Tape;
}
