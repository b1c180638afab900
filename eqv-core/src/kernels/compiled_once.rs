//! Kernels that `f32` and `f64` (and dual numbers over them) compile
//! once, in eqv-core, rather than in every crate that runs a model.
//!
//! A generic function is compiled again in each crate that calls it with a
//! new type: release builds share no generic instances across crates. For
//! the kernels used by most models (the batched spherical harmonics and
//! their pullback, MACE's symmetric contraction) that meant one more copy,
//! per number type and per wide instruction set, in the zoo, the command
//! line tool and every example. As methods of the number type they are
//! concrete functions for `f32` and `f64`, compiled here; `Dual<T>` hands
//! them to a method of `T` (its `_dual` twin), so dual numbers over `f32`
//! and `f64` are compiled here too, and only duals of duals take the
//! generic default. The convolution ([`super::convolution::Convolve`]) and
//! `Linear`'s register kernel ([`super::linear::RegisterLinear`]) do the
//! same.

use super::symmetric::{self, Gradients, Shape, SymmetricProgram};
use crate::dual::Dual;
use crate::real::Real;
use crate::so3::{sh, Normalization};

/// The kernels of this module as methods of the number type (see the
/// module docs); call them through [`crate::so3::spherical_harmonics_batch`],
/// [`crate::so3::spherical_harmonics_batch_vjp`], [`symmetric::forward`] and
/// [`symmetric::backward`].
pub trait CompiledOnce: Sized {
    /// See [`crate::so3::spherical_harmonics_batch`].
    fn harmonics_batch(
        degrees: (u32, u32),
        vectors: &[Self],
        normalize: bool,
        normalization: Normalization,
        out: &mut [Self],
    ) where
        Self: Real,
    {
        sh::batch::<_, { sh::LANES }>(degrees, vectors, normalize, normalization, out);
    }

    /// See [`crate::so3::spherical_harmonics_batch_vjp`].
    fn harmonics_batch_vjp(
        degrees: (u32, u32),
        vectors: &[Self],
        normalize: bool,
        normalization: Normalization,
        gy: &[Self],
        gv: &mut [Self],
    ) where
        Self: Real,
    {
        sh::batch_vjp::<_, { sh::LANES }>(degrees, vectors, normalize, normalization, gy, gv);
    }

    /// See [`symmetric::forward`].
    fn symmetric_forward(
        program: &SymmetricProgram,
        inputs: &[&[Self]],
        weights: &[Self],
        scale: Self,
        s: Shape,
        out: &mut [Self],
    ) where
        Self: Real,
    {
        symmetric::forward_generic(program, inputs, weights, scale, s, out);
    }

    /// See [`symmetric::backward`].
    #[allow(clippy::too_many_arguments)]
    fn symmetric_backward(
        program: &SymmetricProgram,
        inputs: &[&[Self]],
        weights: &[Self],
        scale: Self,
        s: Shape,
        gy: &[Self],
        grads: Gradients<'_, Self>,
    ) where
        Self: Real,
    {
        symmetric::backward_generic(program, inputs, weights, scale, s, gy, grads);
    }

    /// [`CompiledOnce::harmonics_batch`] of `Dual<Self>`.
    fn harmonics_batch_dual(
        degrees: (u32, u32),
        vectors: &[Dual<Self>],
        normalize: bool,
        normalization: Normalization,
        out: &mut [Dual<Self>],
    ) where
        Self: Real,
    {
        sh::batch::<_, { sh::LANES }>(degrees, vectors, normalize, normalization, out);
    }

    /// [`CompiledOnce::harmonics_batch_vjp`] of `Dual<Self>`.
    fn harmonics_batch_vjp_dual(
        degrees: (u32, u32),
        vectors: &[Dual<Self>],
        normalize: bool,
        normalization: Normalization,
        gy: &[Dual<Self>],
        gv: &mut [Dual<Self>],
    ) where
        Self: Real,
    {
        sh::batch_vjp::<_, { sh::LANES }>(degrees, vectors, normalize, normalization, gy, gv);
    }

    /// [`CompiledOnce::symmetric_forward`] of `Dual<Self>`.
    fn symmetric_forward_dual(
        program: &SymmetricProgram,
        inputs: &[&[Dual<Self>]],
        weights: &[Dual<Self>],
        scale: Dual<Self>,
        s: Shape,
        out: &mut [Dual<Self>],
    ) where
        Self: Real,
    {
        symmetric::forward_generic(program, inputs, weights, scale, s, out);
    }

    /// [`CompiledOnce::symmetric_backward`] of `Dual<Self>`.
    #[allow(clippy::too_many_arguments)]
    fn symmetric_backward_dual(
        program: &SymmetricProgram,
        inputs: &[&[Dual<Self>]],
        weights: &[Dual<Self>],
        scale: Dual<Self>,
        s: Shape,
        gy: &[Dual<Self>],
        grads: Gradients<'_, Dual<Self>>,
    ) where
        Self: Real,
    {
        symmetric::backward_generic(program, inputs, weights, scale, s, gy, grads);
    }
}

/// Every method of [`CompiledOnce`] for `$t`, out of line: the defaults
/// are generic over `Self`, these are concrete (compiled here, once). The
/// harmonics of `$t` run `$lanes` vectors at a time (those of its dual
/// numbers [`sh::LANES`]).
macro_rules! compiled_here {
    ($t:ty, $lanes:expr) => {
        impl CompiledOnce for $t {
            #[inline(never)]
            fn harmonics_batch(
                degrees: (u32, u32),
                vectors: &[Self],
                normalize: bool,
                normalization: Normalization,
                out: &mut [Self],
            ) {
                sh::batch::<_, { $lanes }>(degrees, vectors, normalize, normalization, out);
            }

            #[inline(never)]
            fn harmonics_batch_vjp(
                degrees: (u32, u32),
                vectors: &[Self],
                normalize: bool,
                normalization: Normalization,
                gy: &[Self],
                gv: &mut [Self],
            ) {
                sh::batch_vjp::<_, { $lanes }>(degrees, vectors, normalize, normalization, gy, gv);
            }

            #[inline(never)]
            fn symmetric_forward(
                program: &SymmetricProgram,
                inputs: &[&[Self]],
                weights: &[Self],
                scale: Self,
                s: Shape,
                out: &mut [Self],
            ) {
                symmetric::forward_generic(program, inputs, weights, scale, s, out);
            }

            #[inline(never)]
            fn symmetric_backward(
                program: &SymmetricProgram,
                inputs: &[&[Self]],
                weights: &[Self],
                scale: Self,
                s: Shape,
                gy: &[Self],
                grads: Gradients<'_, Self>,
            ) {
                symmetric::backward_generic(program, inputs, weights, scale, s, gy, grads);
            }

            #[inline(never)]
            fn harmonics_batch_dual(
                degrees: (u32, u32),
                vectors: &[Dual<Self>],
                normalize: bool,
                normalization: Normalization,
                out: &mut [Dual<Self>],
            ) {
                sh::batch::<_, { sh::LANES }>(degrees, vectors, normalize, normalization, out);
            }

            #[inline(never)]
            fn harmonics_batch_vjp_dual(
                degrees: (u32, u32),
                vectors: &[Dual<Self>],
                normalize: bool,
                normalization: Normalization,
                gy: &[Dual<Self>],
                gv: &mut [Dual<Self>],
            ) {
                sh::batch_vjp::<_, { sh::LANES }>(
                    degrees,
                    vectors,
                    normalize,
                    normalization,
                    gy,
                    gv,
                );
            }

            #[inline(never)]
            fn symmetric_forward_dual(
                program: &SymmetricProgram,
                inputs: &[&[Dual<Self>]],
                weights: &[Dual<Self>],
                scale: Dual<Self>,
                s: Shape,
                out: &mut [Dual<Self>],
            ) {
                symmetric::forward_generic(program, inputs, weights, scale, s, out);
            }

            #[inline(never)]
            fn symmetric_backward_dual(
                program: &SymmetricProgram,
                inputs: &[&[Dual<Self>]],
                weights: &[Dual<Self>],
                scale: Dual<Self>,
                s: Shape,
                gy: &[Dual<Self>],
                grads: Gradients<'_, Dual<Self>>,
            ) {
                symmetric::backward_generic(program, inputs, weights, scale, s, gy, grads);
            }
        }
    };
}
compiled_here!(f32, sh::WIDE_LANES);
compiled_here!(f64, sh::LANES);

/// Dual numbers run the `_dual` methods of their primal type: compiled
/// here for duals over `f32` and `f64`.
impl<T: Real> CompiledOnce for Dual<T> {
    fn harmonics_batch(
        degrees: (u32, u32),
        vectors: &[Self],
        normalize: bool,
        normalization: Normalization,
        out: &mut [Self],
    ) {
        T::harmonics_batch_dual(degrees, vectors, normalize, normalization, out);
    }

    fn harmonics_batch_vjp(
        degrees: (u32, u32),
        vectors: &[Self],
        normalize: bool,
        normalization: Normalization,
        gy: &[Self],
        gv: &mut [Self],
    ) {
        T::harmonics_batch_vjp_dual(degrees, vectors, normalize, normalization, gy, gv);
    }

    fn symmetric_forward(
        program: &SymmetricProgram,
        inputs: &[&[Self]],
        weights: &[Self],
        scale: Self,
        s: Shape,
        out: &mut [Self],
    ) {
        T::symmetric_forward_dual(program, inputs, weights, scale, s, out);
    }

    fn symmetric_backward(
        program: &SymmetricProgram,
        inputs: &[&[Self]],
        weights: &[Self],
        scale: Self,
        s: Shape,
        gy: &[Self],
        grads: Gradients<'_, Self>,
    ) {
        T::symmetric_backward_dual(program, inputs, weights, scale, s, gy, grads);
    }
}
