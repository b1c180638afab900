//! # The guide: from a first model to a trained potential
//!
//! ## A first model
//!
//! A network is a struct of layers, each written with e3nn irreps strings;
//! `#[equivariant]` checks every rule it can see in the literals and
//! generates the layers, a config, seeded construction, the parameter walk,
//! save/load and the equivariance check. The forward pass is ordinary Rust
//! over typed features: the compiler refuses any step that would break
//! equivariance.
//!
//! ```
//! use eqv::equivariant;
//! use eqv::graph::Batch;
//! use eqv::prelude::*;
//!
//! #[equivariant(output = Energy, config(species = 2, channels = 8, cutoff = 3.0))]
//! pub struct Tiny {
//!     embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
//!     radial: Bessel<6, { cutoff }>,
//!     filter: Mlp<6, 16, { channels }>,
//!     readout: Linear<"{channels}x0e", "1x0e">,
//! }
//!
//! impl Tiny {
//!     pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
//!         let w = self.filter.forward(self.radial.forward(g.edge_vectors().norm()));
//!         let messages = g.gather_neighbors(self.embed.forward(g)).scale(w);
//!         Energy::from_feat(g.sum_over_atoms(self.readout.forward(g.scatter_sum(messages))))
//!     }
//! }
//!
//! let batch = Batch::from_positions(&[[0.0; 3], [1.0, 0.2, 0.0], [0.1, 1.1, 0.4]], &[0, 1, 1], 3.0)?;
//! let model = Tiny::new(&TinyConfig::default(), 7);
//! assert!(model.check_equivariance(&batch, 1).max() < 1e-10);
//! # Ok::<(), eqv::data::DataError>(())
//! ```
//!
//! `Energy` output makes the model a [`Model`](crate::model::Model) and an
//! [`EnergyModel`](crate::graph::EnergyModel): forces are `−∇E`
//! ([`energy_and_forces`](crate::graph::energy_and_forces)), and the trainer
//! ([`train`](crate::train)) fits it to energies and forces.
//!
//! ## The layer vocabulary
//!
//! Sizes are numbers or config entries in braces (`{ channels }`, or simple
//! integer arithmetic such as `{ 2 * channels }`); irreps strings may read
//! entries too (`"{channels}x0e + {vectors}x1o"`). An input irreps may be
//! the *name of the field* whose output it reads (`Linear<conv, "…">`), so
//! a layout is written once.
//!
//! | layer | parameters | forward |
//! |---|---|---|
//! | `Linear<IN, OUT>` | input irreps (or a field name), output irreps; only equal irreps are mixed (rule 2), a bias only on `0e` outputs | the features of `IN`, as a tuple when it has several irrep blocks → those of `OUT` |
//! | `Activation<IRREPS, Act = Silu>` | scalar irreps and an activation (`Silu`, `Tanh`, `Relu`, `Sigmoid`, `Softplus`, `Abs`, `Square`, `Identity`); on `0o` only odd ones (rule 9) | scalars → scalars |
//! | `Gate<SCALARS, GATED, ActS = Silu, ActG = Sigmoid>` | scalars passed through `ActS`; one gate scalar per gated channel, through `ActG`, scales an L ≥ 1 block | `SCALARS + gates + GATED` → `(SCALARS, GATED)` |
//! | `SphericalHarmonics<L>` or `<"1x0e + 1x1o + …">` | `lmax` or the irreps of the harmonics | edge vectors → harmonics per edge |
//! | `Bessel<N, CUTOFF>` | number of basis functions, cutoff (Å), smooth envelope | distances → `N` scalars per edge |
//! | `Mlp<IN, HIDDEN…, OUT, Act = Silu>` | sizes (the last may be a field name: as many outputs as that layer has weights) | scalars → scalars |
//! | `ChannelwiseTp<IN1, IN2, OUT>` | channel-wise ("uvu") Clebsch-Gordan product; every allowed path into `OUT` (rules 4, 9) | `forward(x, y, w)` per edge with weights `w`; `convolve(graph, x, y, w)` fuses gather → product → scatter |
//! | `FullTp<IN1, IN2, OUT>` | fully connected product with learned path weights | `forward(x, y)` |
//! | `SpeciesEmbedding<SPECIES, "Nx0e">` | number of species, scalar irreps | the graph → per-atom scalars |
//! | `SymmetricContraction<IN, OUT, ν>` | MACE's product basis: input irreps with one multiplicity `C` for every irrep (MACE's A-features), output irreps with the same `C`, correlation order `ν` (1 to 4, a number); weights per species (the config entry `species`) and channel | `forward(graph, a)` per atom → the blocks of `OUT` (formula below) |
//! | a sub-network | any struct declared with `#[equivariant]`; `#[eqv(repeat = n)]` on a `Vec<Sub>` field repeats it `n` times | its own `forward` |
//!
//! `SymmetricContraction` is MACE's per-channel product basis. For atom `i`
//! of species `z_i` and channel `k`, with `A_ik` the channel-`k` blocks of
//! the input,
//!
//! ```text
//! B_ik^OUT = 1/√P_OUT · Σ_{ν'=1..ν} Σ_{paths p of order ν'} w[z_i, k, p] · (A_ik ⊗ … ⊗ A_ik)_p
//! ```
//!
//! where a path of order `ν'` multiplies `ν'` input blocks `A^{l1} … A^{lν'}`
//! (a multiset, taken in the order the input irreps are written) and
//! couples them left to right by Clebsch-Gordan products,
//! `((A^{l1} ⊗ A^{l2} → L2) ⊗ A^{l3} → L3) … → OUT`, one path per choice
//! of intermediate irreps; `P_OUT` is the number of paths into `OUT` and
//! the weights start N(0, 1). The order of the paths is fixed (by order,
//! then multiset, then intermediate degrees). Paths the selection and
//! parity rules forbid are left out, and so are the ones that vanish
//! because a channel is multiplied with itself (`a ⊗ a → 1e` is `a × a = 0`;
//! `1o ⊗ 1o ⊗ 1o` has no `2o`). These paths span the same functions as
//! MACE's reduced basis; at `ν ≥ 3` a few of them are linearly dependent,
//! which costs weights, not accuracy. An output irrep no path reaches is a
//! compile error that names the order that would reach it (rule 4). The
//! paths are compiled once, when the layer is built, into one kernel per
//! output irrep (`eqv::kernels::symmetric`: every product of a channel in
//! a scratch buffer, 16 channels at a time in SIMD lanes, prefixes shared
//! by several paths computed once) with its own VJP; it runs on every
//! number type, dual numbers included. `eqv::zoo::mace` uses it with
//! `ν = 3`.
//!
//! Outside the declaration, every typed op of [`ops`](crate::ops) is there
//! for the forward pass: `scale` by invariants, `norm`, `dot`, `cross`,
//! `gate`, `norm_activation`, `tensor_product`, gathers and symmetric
//! reductions over atoms on the [`Graph`](crate::graph::Graph).
//!
//! ## What the macro generates
//!
//! For `struct Net`: `NetConfig` (one field per `config(...)` entry, with the
//! declared defaults, plus the sub-networks' configs) and on `Net`:
//!
//! | method | what |
//! |---|---|
//! | `Net::new(&config, seed)` | seeded initialisation (N(0,1) weights, normalisation in the forward pass) |
//! | `config()` | the config it was built with |
//! | `num_params()`, `summary()` | size, and one line per layer with its irreps |
//! | `save(path)`, `Net::load(&config, path)` | safetensors checkpoint (checked: names, shapes, finiteness) |
//! | `check_equivariance(&batch, seed)` | rotation, reflection, translation, permutation (and forces) errors of this model |
//! | `Model::predict` / `output` (with `output = …`) | the declared output, checked against the declaration (rule 8) |
//!
//! ## Nested configs
//!
//! A sub-network's entries follow the parent's entries of the same name: an
//! entry left at its default takes the parent's value, so `channels = 32`
//! at the top resizes every block; setting it to a third value is an error
//! at `new` naming both.
//!
//! ## Output kinds
//!
//! `output = Energy` (one `0e` per structure), `Forces` (one `1o` per atom,
//! direct forces), `Dipole` (one `1o` per structure), `Charges` (one `0e`
//! per atom). Returning anything else — a scalar "force", a vector
//! "energy" — is a compile error (rule 8).
//!
//! ## The trust door
//!
//! Some models are not equivariant on purpose (a baseline on raw
//! coordinates). [`non_equivariant`](crate::non_equivariant) is the one,
//! named way in (`non_equivariant::input`, `non_equivariant::variable`); a
//! new op written outside eqv goes through [`authoring`](crate::authoring)
//! and must pass `assert_equivariant`. Everything else is sealed.
//!
//! ## Training
//!
//! `eqv train` (the `eqv-cli` crate) or, in code,
//! [`train::train`](crate::train::train) with a
//! [`TrainConfig`](crate::train::TrainConfig): energies and forces from
//! extended XYZ ([`data::read_extxyz`](crate::data::read_extxyz)),
//! per-species reference energies, Adam with clipping, schedules, early
//! stopping, atomic self-describing checkpoints, a validation set for
//! choices and a test set for the numbers.
//!
//! ## Loading a trained model
//!
//! A checkpoint names its architecture and holds its config, cutoff and
//! reference energies: [`zoo::load`](crate::zoo::load) gives the model back
//! by name, ready to predict.
//!
//! ```no_run
//! let trained = eqv::zoo::load("target/train_potential")?;
//! let frames = eqv::data::read_extxyz("test.extxyz")?;
//! let (metrics, _) = eqv::train::evaluate(
//!     &trained.model, &frames, trained.cutoff, &trained.reference, Default::default(),
//! )?;
//! println!("{} meV/atom", metrics.energy_mae_mev_per_atom);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
