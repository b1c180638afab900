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
//!   ([`simulation`]);
//! * training ([`train`]) and ready-made models ([`zoo`]).
//!
//! **Start with [the guide](guide)**: a first model in 20 lines, the layer
//! vocabulary with every parameter, the generated methods, nested configs,
//! output kinds, the trust door, training, and loading a checkpoint.
//!
//! The package is published as `eqv-nn` (the name `eqv` on crates.io is an
//! unrelated crate); its library is named `eqv`, so code writes `use eqv::…`.
//! It gathers the workspace's crates, each usable on its own:
//!
//! | crate | here as | what |
//! |---|---|---|
//! | `eqv-irreps` | [`irrep`], [`irreps`] | irreps of O(3) and e3nn's grammar, shared with the macro |
//! | `eqv-core` | everything else | numbers, tape, O(3) math, typed features, rules, ops, kernels, graphs, model checks |
//! | `eqv-macros` | [`equivariant`] | the declaration macro |
//! | `eqv-data` | [`data`], [`classical`], [`rng`] | structures, extended XYZ, neighbour lists, reference potentials, MD |
//! | `eqv-train` | [`train`] (feature `train`) | the trainer, metrics, checkpoints of trained models |
//! | `eqv-zoo` | [`zoo`] (feature `zoo`) | NequIP, MACE, PaiNN, ... declared with the macro |
#![forbid(unsafe_code)]
pub use eqv_core::*;

#[cfg(all(feature = "train", feature = "zoo"))]
pub mod guide;

/// Training interatomic potentials (the `eqv-train` crate).
#[cfg(feature = "train")]
pub use eqv_train as train;

/// Ready-made models (the `eqv-zoo` crate).
#[cfg(feature = "zoo")]
pub use eqv_zoo as zoo;
