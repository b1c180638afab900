//! The kernel layer: plain functions on slices that the ops run.
//!
//! The typed ops (`crate::ops`) check the rules, shape the features and
//! record themselves on the tape; the arithmetic lives here, written once
//! and specialised where the types allow it:
//!
//! * [`gemm`]: dense matrix products with arbitrary strides, dispatched to a
//!   SIMD GEMM (runtime CPU detection, AVX-512 where the machine has it) for
//!   `f32`/`f64` and split into real GEMMs for dual numbers, so the
//!   forward-over-reverse pass of force training stays on the fast path;
//! * [`linear`]: `Linear` as one GEMM per irrep component;
//! * [`parallel`]: large ops split across cores by fixed row blocks, with
//!   results independent of the thread count;
//! * [`simd`]: loops compiled for AVX2 / AVX-512 when the CPU has them;
//! * [`pool`]: a per-thread pool of buffers, so a training step reuses the
//!   memory of the previous one instead of page-faulting it in anew;
//! * [`channelwise`]: the channel-wise (`uvu`) tensor product with the
//!   Clebsch-Gordan contraction of each edge folded into a small dense
//!   matrix and fixed-size loops for every irrep dimension up to `L = 3`;
//! * [`row_groups`]: that product and its pullback for `1o` rows of 8
//!   channels with a `(row, channel)` pair per vector lane;
//! * [`convolution`]: the channel-wise product fused with the graph's
//!   gather and scatter (no per-edge copies or messages), with
//!   `convolution_dual` running it on dual numbers as two real arrays;
//! * [`exp`]: a branch-free exponential, so activation loops vectorise;
//! * [`fully_connected`]: the fully connected (`uvw`) product as
//!   Clebsch-Gordan products per channel pair and one GEMM with the weights;
//! * [`lane_sums`]: sixteen horizontal sums at once (a transposing tree);
//! * [`symmetric`]: MACE's symmetric contraction, every product of a row's
//!   channel computed in a scratch buffer (no tape node per product);
//! * [`compiled_once`]: the harmonics and the symmetric contraction as
//!   methods of the number type, so that they are compiled once, here.

mod channel_steps;
pub mod channelwise;
pub mod compiled_once;
pub mod convolution;
mod convolution_dual;
pub mod coupling;
pub mod exp;
pub mod fully_connected;
pub mod gemm;
pub mod lane_sums;
pub mod linear;
pub mod parallel;
pub mod pool;
pub mod row_groups;
pub mod simd;
pub mod symmetric;
