//! Spherical harmonics of a vector feature: how an edge direction becomes
//! equivariant features of every degree.
//!
//! `Y^l(R v) = D^l(R) Y^l(v)` for rotations, and `Y^l(−v) = (−1)^l Y^l(v)`:
//! the harmonic of degree `l` of a `Vector` is an irrep of degree `l` and
//! parity `(−1)^l` (`Scalar`, `Vector`, `Tensor2e`, `Tensor3o`, ...). Of a
//! `Pseudovector`, which does not flip under inversion, every harmonic is
//! even. The output type is checked by [`HarmonicOf`].
//!
//! Values come from [`crate::so3::spherical_harmonics_into`] ('component'
//! normalisation by default: `Y^0 = 1`, `Y^1 = √3 v̂`, `|Y^l|² = 2l+1`).
//! The VJP differentiates that same generic polynomial code with dual
//! numbers `Dual<T>` (three forward-mode evaluations per vector), so it is
//! exact, needs no second implementation, and nests: on a `Dual<f64>` tape
//! the derivatives are themselves dual numbers (forward-over-reverse).
//! With `normalize = true` a zero vector gives `Y^0` and zeros, with zero
//! gradient — never NaN.

use crate::feat::Feat;
use crate::irrep::*;
use crate::kernels::parallel;
use crate::real::Real;
use crate::so3::{
    sh_dim_up_to, sh_offset, spherical_harmonics_batch, spherical_harmonics_batch_vjp,
    Normalization,
};
use std::marker::PhantomData;

/// `Self` is the irrep of a spherical harmonic of an `I` feature: degree
/// `L` with parity `(−1)^L` for a `Vector`, even for a `Pseudovector`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a spherical harmonic of a `{I}`",
    label = "no spherical harmonic of a `{I}` transforms as `{Self}`",
    note = "Y^l of a Vector has parity (−1)^l: Y^0 is a Scalar, Y^1 a Vector, Y^2 a Tensor2e, Y^3 a Tensor3o, ... (up to Tensor8e); Y^l of a Pseudovector is even (Scalar, Pseudovector, Tensor2e, Tensor3e, ...)",
    note = "fix: ask for the irrep with the harmonic's parity, or build other irreps with a tensor product (rule 4, `eqv::rules::r4_selection_rules`)"
)]
pub trait HarmonicOf<I: Irrep>: Irrep {}

macro_rules! harmonics {
    ($input:ty: $($out:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl HarmonicOf<$input> for $out {}
    )*};
}
harmonics!(Vector: Scalar, Vector, Tensor2e, Tensor3o, Tensor4e, Tensor5o, Tensor6e, Tensor7o, Tensor8e);
harmonics!(Pseudovector: Scalar, Pseudovector, Tensor2e, Tensor3e, Tensor4e, Tensor5e, Tensor6e, Tensor7e, Tensor8e);

/// The inputs a spherical harmonic is defined for (L = 1 irreps).
#[diagnostic::on_unimplemented(
    message = "spherical harmonics are functions of a direction: a `Vector` or `Pseudovector`, not `{Self}`",
    label = "not a direction",
    note = "fix: take the harmonics of an edge vector, `graph.edge_vectors()`"
)]
pub trait Direction: Irrep {}
#[diagnostic::do_not_recommend]
impl Direction for Vector {}
#[diagnostic::do_not_recommend]
impl Direction for Pseudovector {}

/// Harmonics of degrees `l_lo..=l_hi` of every channel of `v`, as one node
/// laid out `[row][channel][Σ_l (2l+1)]`, with its exact VJP.
fn sh_block<'t, I: Irrep, T: Real>(
    v: Feat<'t, I, T>,
    l_lo: u32,
    l_hi: u32,
    normalize: bool,
    normalization: Normalization,
) -> (crate::tape::NodeId, usize) {
    assert_eq!(I::DIM, 3, "spherical harmonics need a 3-component input");
    let n = v.rows() * v.mul();
    let width = sh_dim_up_to(l_hi) - sh_offset(l_lo);
    let x = v.data();
    let mut y = v.tape().scratch(n * width);
    let xs: &[T] = &x;
    parallel::rows_mut(&mut y, width, n, |r0, rows, y| {
        let x = &xs[3 * r0..3 * (r0 + rows)];
        spherical_harmonics_batch((l_lo, l_hi), x, normalize, normalization, y);
    });
    let vid = v.id();
    let tape = v.tape();
    let id = tape.op(y, &[vid], move |gy, g| {
        if !g.wants(vid) {
            return;
        }
        // Exact pullback (forward mode along each axis, several vectors
        // at a time), row blocks split across cores for many vectors.
        let xs: &[T] = &x;
        parallel::rows_mut(g.acc(vid), 3, n, |r0, rows, gv| {
            let x = &xs[3 * r0..3 * (r0 + rows)];
            let gy = &gy[r0 * width..(r0 + rows) * width];
            spherical_harmonics_batch_vjp((l_lo, l_hi), x, normalize, normalization, gy, gv);
        });
    });
    (id, width)
}

/// The spherical harmonic of degree `O::L` of every channel of a `Vector`
/// feature, in 'component' normalisation; `normalize = true` evaluates at
/// `v/|v|` (the usual choice for edge directions), `false` gives the solid
/// harmonic `|v|^l Y^l(v̂)` (a polynomial).
///
/// The output irrep is the type parameter, checked by [`HarmonicOf`]:
///
/// ```
/// use eqv::prelude::*;
/// use eqv::ops::spherical::spherical_harmonic;
/// let tape = Tape::<f64>::new();
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 0.0, 2.0]);
/// let y1 = spherical_harmonic::<Vector, _>(v, true);
/// let y2: Feat<Tensor2e> = spherical_harmonic(v, true);
/// assert!((y1.to_f64()[2] - 3f64.sqrt()).abs() < 1e-15);
/// assert_eq!(y2.rows(), 1);
/// ```
///
/// Asking for the wrong parity does not compile:
///
/// ```compile_fail,E0277
/// use eqv::prelude::*;
/// use eqv::ops::spherical::spherical_harmonic;
/// let tape = Tape::<f64>::new();
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 0.0, 2.0]);
/// let y2 = spherical_harmonic::<Tensor2o, _>(v, true); // Y^2 is even
/// ```
pub fn spherical_harmonic<'t, O, T: Real>(v: Feat<'t, Vector, T>, normalize: bool) -> Feat<'t, O, T>
where
    O: HarmonicOf<Vector>,
{
    v.spherical_harmonic::<O>(normalize)
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// The spherical harmonic of degree `O::L` of every channel (see
    /// [`spherical_harmonic`]); works for `Vector` and `Pseudovector`
    /// inputs: `v.spherical_harmonic::<Tensor2e>(true)`.
    pub fn spherical_harmonic<O>(self, normalize: bool) -> Feat<'t, O, T>
    where
        I: Direction,
        O: HarmonicOf<I>,
    {
        let (id, _) = sh_block(self, O::L, O::L, normalize, Normalization::Component);
        Feat::retype(self.tape(), id, self.rows(), self.mul())
    }
}

/// All harmonics of degrees `0..=lmax` of a direction feature, computed
/// once per vector (one polynomial evaluation for all degrees), from which
/// typed blocks are taken with [`get`](SphericalHarmonics::get).
///
/// ```
/// use eqv::prelude::*;
/// use eqv::ops::spherical::sh_up_to;
/// let tape = Tape::<f64>::new();
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 2, 1, vec![1.0, 0.0, 0.0, 0.0, -3.0, 0.0]);
/// let sh = sh_up_to(v, 2, true);
/// let y0: Feat<Scalar> = sh.get();
/// let y2 = sh.get::<Tensor2e>();
/// assert_eq!(y0.to_f64(), vec![1.0, 1.0]);
/// assert!((y2.to_f64()[7] - 5f64.sqrt()).abs() < 1e-15); // y is the polar axis
/// ```
#[derive(Clone, Copy)]
pub struct SphericalHarmonics<'t, I: Irrep, T: Real = f64> {
    tape: &'t crate::tape::Tape<T>,
    id: crate::tape::NodeId,
    rows: usize,
    mul: usize,
    lmax: u32,
    _input: PhantomData<I>,
}

impl<I: Irrep, T: Real> std::fmt::Debug for SphericalHarmonics<'_, I, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SphericalHarmonics<{}>[{} rows x {} channels, l = 0..={}]",
            I::NAME,
            self.rows,
            self.mul,
            self.lmax
        )
    }
}

/// [`SphericalHarmonics`] of `v` up to degree `lmax`, 'component'
/// normalisation.
pub fn sh_up_to<'t, I: Direction, T: Real>(
    v: Feat<'t, I, T>,
    lmax: u32,
    normalize: bool,
) -> SphericalHarmonics<'t, I, T> {
    SphericalHarmonics::new(v, lmax, normalize, Normalization::Component)
}

impl<'t, I: Direction, T: Real> SphericalHarmonics<'t, I, T> {
    /// Harmonics of degrees `0..=lmax` of every channel of `v`, in the given
    /// normalisation.
    pub fn new(
        v: Feat<'t, I, T>,
        lmax: u32,
        normalize: bool,
        normalization: Normalization,
    ) -> Self {
        let (id, _) = sh_block(v, 0, lmax, normalize, normalization);
        SphericalHarmonics {
            tape: v.tape(),
            id,
            rows: v.rows(),
            mul: v.mul(),
            lmax,
            _input: PhantomData,
        }
    }

    /// The highest degree computed.
    pub fn lmax(&self) -> u32 {
        self.lmax
    }

    /// The block of degree `O::L`, typed (rows and channels as the input).
    ///
    /// # Panics
    /// If `O::L > lmax`.
    pub fn get<O>(&self) -> Feat<'t, O, T>
    where
        O: HarmonicOf<I>,
    {
        assert!(
            O::L <= self.lmax,
            "SphericalHarmonics::get::<{}>: degree {} was not computed (lmax = {})",
            O::NAME,
            O::L,
            self.lmax
        );
        let full = sh_dim_up_to(self.lmax);
        let (off, d) = (sh_offset(O::L), O::DIM);
        let n = self.rows * self.mul;
        let all = self.tape.value(self.id);
        // Row by row with the degree's constant width (`O::DIM`): fixed-size
        // moves, where a growing `Vec` checked its capacity for every row.
        let mut y = self.tape.scratch(n * d);
        for (o, row) in y.chunks_exact_mut(d).zip(all.chunks_exact(full)) {
            o.copy_from_slice(&row[off..off + d]);
        }
        let src = self.id;
        Feat::from_op(self.tape, self.rows, self.mul, y, &[src], move |gy, g| {
            if g.wants(src) {
                let ga = g.acc(src);
                for (ga, gy) in ga.chunks_exact_mut(full).zip(gy.chunks_exact(d)) {
                    for (a, &b) in ga[off..off + d].iter_mut().zip(gy) {
                        *a += b;
                    }
                }
            }
        })
    }
}
