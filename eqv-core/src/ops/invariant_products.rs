//! Products and quotients by invariants, written as arithmetic: `s * v`,
//! `v * s`, `v / s` for a `Scalar` (or `Pseudoscalar`) `s`, `v.normalize()`,
//! and the triple product `a.triple(b, c)`.
//!
//! Multiplying every component of a feature by the same invariant commutes
//! with every rotation (the invariant is unchanged, the components are
//! mixed linearly), so `Scalar × I` is an `I`. A `Pseudoscalar` also
//! commutes with rotations but flips under inversion: `Pseudoscalar × I` is
//! `I` with the opposite parity (the Clebsch-Gordan path 0 ⊗ l → l, rule 4).
//! Two L ≥ 1 features are never multiplied with `*`: their product is a
//! tensor product with a chosen output (`dot`, `cross`, `tensor_product`).

use crate::feat::Feat;
use crate::irrep::*;
use crate::real::Real;
// `std::ops::Mul` is not imported: its method `mul` would shadow
// `Feat::mul()` (the number of channels) in this file.

/// Rule 4 for `*`: `Self` features may be multiplied by `J` features with
/// `*`, giving `Out`. Holds when one side is an invariant (`Scalar`, or a
/// `Pseudoscalar`, which flips the other side's parity).
#[diagnostic::on_unimplemented(
    message = "cannot multiply `{Self}` features by `{J}` features with `*`: neither side is an invariant",
    label = "`{Self}` * `{J}`",
    note = "rule 4: the product of two L >= 1 features is a Clebsch-Gordan tensor product, and which irrep you want from it (|l1-l2| <= l3 <= l1+l2, parity p1·p2) is a modelling choice `*` cannot make; `*` only scales by invariants (`Scalar * {J}`, `{Self} * Scalar`)",
    note = "fix: `a.dot(b)` (a Scalar), `a.cross(b)` (L = 1), `tensor_product::<_, _, Out, _>(a, b)`, or scale by an invariant such as `a.norm()`; see `eqv::rules::r4_selection_rules`"
)]
pub trait MulByInvariant<J: Irrep>: Irrep {
    /// The irrep of the product.
    type Out: Irrep;
}

/// Rule 4 for `/`: `Self` features may be divided by `J` features. Holds
/// only for invariant divisors (`Scalar`, `Pseudoscalar`).
#[diagnostic::on_unimplemented(
    message = "cannot divide `{Self}` features by `{J}` features: only invariants can divide",
    label = "`{Self}` / `{J}`",
    note = "rule 4: dividing by a `{J}` is not a Clebsch-Gordan product; `1/x` of a vector is not a vector (its components are not mixed linearly by rotations)",
    note = "fix: divide by an invariant of it, e.g. `v / v.norm()` or `v.normalize()`, `a.dot(b) / b.squared_norm()`; see `eqv::rules::r4_selection_rules`"
)]
pub trait DivByInvariant<J: Irrep>: Irrep {
    /// The irrep of the quotient.
    type Out: Irrep;
}

macro_rules! invariant_table {
    ($($i:ident <-> $flip:ident;)*) => {$(
        #[diagnostic::do_not_recommend]
        impl MulByInvariant<$i> for Scalar {
            type Out = $i;
        }
        #[diagnostic::do_not_recommend]
        impl MulByInvariant<$i> for Pseudoscalar {
            type Out = $flip;
        }
        #[diagnostic::do_not_recommend]
        impl DivByInvariant<Scalar> for $i {
            type Out = $i;
        }
        #[diagnostic::do_not_recommend]
        impl DivByInvariant<Pseudoscalar> for $i {
            type Out = $flip;
        }
    )*};
}
invariant_table! {
    Scalar <-> Pseudoscalar; Pseudoscalar <-> Scalar;
    Vector <-> Pseudovector; Pseudovector <-> Vector;
    Tensor2e <-> Tensor2o; Tensor2o <-> Tensor2e;
    Tensor3e <-> Tensor3o; Tensor3o <-> Tensor3e;
    Tensor4e <-> Tensor4o; Tensor4o <-> Tensor4e;
    Tensor5e <-> Tensor5o; Tensor5o <-> Tensor5e;
    Tensor6e <-> Tensor6o; Tensor6o <-> Tensor6e;
    Tensor7e <-> Tensor7o; Tensor7o <-> Tensor7e;
    Tensor8e <-> Tensor8o; Tensor8o <-> Tensor8e;
}
macro_rules! invariant_right {
    ($($i:ident <-> $flip:ident;)*) => {$(
        #[diagnostic::do_not_recommend]
        impl MulByInvariant<Scalar> for $i {
            type Out = $i;
        }
        #[diagnostic::do_not_recommend]
        impl MulByInvariant<Pseudoscalar> for $i {
            type Out = $flip;
        }
    )*};
}
// Scalar and Pseudoscalar on the right are covered by the table above.
invariant_right! {
    Vector <-> Pseudovector; Pseudovector <-> Vector;
    Tensor2e <-> Tensor2o; Tensor2o <-> Tensor2e;
    Tensor3e <-> Tensor3o; Tensor3o <-> Tensor3e;
    Tensor4e <-> Tensor4o; Tensor4o <-> Tensor4e;
    Tensor5e <-> Tensor5o; Tensor5o <-> Tensor5e;
    Tensor6e <-> Tensor6o; Tensor6o <-> Tensor6e;
    Tensor7e <-> Tensor7o; Tensor7o <-> Tensor7e;
    Tensor8e <-> Tensor8o; Tensor8o <-> Tensor8e;
}

/// `s[r, c or 0] · x[r, c, :]` as features of irrep `O`, where `s` is an
/// invariant (its parity is accounted for in `O` by the caller's table).
pub(crate) fn scale_raw<'t, S: Irrep, I: Irrep, O: Irrep, T: Real>(
    s: Feat<'t, S, T>,
    x: Feat<'t, I, T>,
    op: &str,
) -> Feat<'t, O, T> {
    debug_assert_eq!(S::DIM, 1);
    debug_assert_eq!(I::L, O::L);
    assert!(
        std::ptr::eq(s.tape(), x.tape()),
        "{op}: features live on different tapes"
    );
    let (rows, mul, d) = (x.rows(), x.mul(), I::DIM);
    assert_eq!(
        s.rows(),
        rows,
        "{op}: {} rows of invariants for {rows} rows",
        s.rows()
    );
    assert!(
        s.mul() == mul || s.mul() == 1,
        "{op}: {} invariant channels for {mul} channels (need {mul} or 1)",
        s.mul()
    );
    let sm = s.mul();
    let sidx = move |r: usize, c: usize| if sm == 1 { r } else { r * mul + c };
    let (xv, sv) = (x.data(), s.data());
    let mut y = Vec::with_capacity(rows * mul * d);
    for r in 0..rows {
        for c in 0..mul {
            let k = sv[sidx(r, c)];
            let o = (r * mul + c) * d;
            y.extend(xv[o..o + d].iter().map(|&v| k * v));
        }
    }
    let (ix, is) = (x.id(), s.id());
    Feat::from_op(x.tape(), rows, mul, y, &[ix, is], move |gy, g| {
        if g.wants(ix) {
            let gx = g.acc(ix);
            for r in 0..rows {
                for c in 0..mul {
                    let k = sv[sidx(r, c)];
                    let o = (r * mul + c) * d;
                    for m in 0..d {
                        gx[o + m] += k * gy[o + m];
                    }
                }
            }
        }
        if g.wants(is) {
            let gs = g.acc(is);
            for r in 0..rows {
                for c in 0..mul {
                    let o = (r * mul + c) * d;
                    let dot: T = (0..d).map(|m| xv[o + m] * gy[o + m]).sum();
                    gs[sidx(r, c)] += dot;
                }
            }
        }
    })
}

/// `1/s` of an invariant (scalar or pseudoscalar): no symmetry is lost.
fn recip<'t, S: Irrep, T: Real>(s: Feat<'t, S, T>) -> Feat<'t, S, T> {
    debug_assert_eq!(S::DIM, 1);
    let sv = s.data();
    let y: Vec<T> = sv.iter().map(|&v| T::ONE / v).collect();
    let yv = y.clone();
    let is = s.id();
    Feat::from_op(s.tape(), s.rows(), s.mul(), y, &[is], move |gy, g| {
        if g.wants(is) {
            for ((gs, &gy), &y) in g.acc(is).iter_mut().zip(gy).zip(yv.iter()) {
                *gs -= gy * y * y;
            }
        }
    })
}

impl<'t, I: Irrep, J: Irrep, T: Real> std::ops::Mul<Feat<'t, J, T>> for Feat<'t, I, T>
where
    I: MulByInvariant<J>,
{
    type Output = Feat<'t, <I as MulByInvariant<J>>::Out, T>;
    /// Scales by an invariant: `Scalar * I = I`, `I * Scalar = I`,
    /// `Pseudoscalar * I` = `I` with the other parity. The invariant has the
    /// same rows and one channel or as many channels as the other side.
    ///
    /// # Panics
    /// If the shapes do not fit.
    fn mul(self, rhs: Feat<'t, J, T>) -> Self::Output {
        // The invariant side is the one of dimension 1; for two invariants,
        // the one with a single channel (or the right one).
        let rhs_scales =
            J::DIM == 1 && (I::DIM != 1 || Feat::mul(&rhs) == 1 || Feat::mul(&self) != 1);
        if rhs_scales {
            scale_raw(rhs, self, "mul")
        } else {
            scale_raw(self, rhs, "mul")
        }
    }
}

impl<'t, I: Irrep, J: Irrep, T: Real> std::ops::Div<Feat<'t, J, T>> for Feat<'t, I, T>
where
    I: DivByInvariant<J>,
{
    type Output = Feat<'t, <I as DivByInvariant<J>>::Out, T>;
    /// Divides by an invariant (`Scalar`, or a `Pseudoscalar`, which flips
    /// the parity). Dividing by zero gives infinities, as for numbers; see
    /// [`Feat::normalize`] for a zero-safe unit vector.
    ///
    /// # Panics
    /// If the shapes do not fit.
    fn div(self, rhs: Feat<'t, J, T>) -> Self::Output {
        scale_raw(recip(rhs), self, "div")
    }
}

impl<'t, I: Irrep, T: Real> std::ops::Mul<f64> for Feat<'t, I, T> {
    type Output = Feat<'t, I, T>;
    /// Multiplies every component by a constant (as [`Feat::scale_by`]).
    fn mul(self, c: f64) -> Self::Output {
        self.scale_by(c)
    }
}

impl<'t, I: Irrep, T: Real> std::ops::Div<f64> for Feat<'t, I, T> {
    type Output = Feat<'t, I, T>;
    /// Divides every component by a constant.
    fn div(self, c: f64) -> Self::Output {
        self.scale_by(1.0 / c)
    }
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// Each channel divided by its norm, `x / |x|`: a unit feature of the
    /// same irrep. Zero-safe: a zero channel stays zero, with a zero
    /// gradient (never NaN), as [`Feat::norm`] does.
    pub fn normalize(self) -> Self {
        let (rows, mul, d) = (self.rows(), self.mul(), I::DIM);
        let x = self.data();
        let mut inv = Vec::with_capacity(rows * mul);
        let mut y = Vec::with_capacity(rows * mul * d);
        for k in 0..rows * mul {
            let s: T = x[k * d..(k + 1) * d].iter().map(|&v| v * v).sum();
            let c = if s.value() == 0.0 {
                T::ZERO
            } else {
                T::ONE / s.sqrt()
            };
            inv.push(c);
            y.extend(x[k * d..(k + 1) * d].iter().map(|&v| c * v));
        }
        let yv = y.clone();
        let ix = self.id();
        Feat::from_op(self.tape(), rows, mul, y, &[ix], move |gy, g| {
            if g.wants(ix) {
                // d(x/|x|) = (g − y (y·g)) / |x|
                let gx = g.acc(ix);
                for (k, &c) in inv.iter().enumerate() {
                    if c.value() == 0.0 {
                        continue;
                    }
                    let o = k * d;
                    let yg: T = (0..d).map(|m| yv[o + m] * gy[o + m]).sum();
                    for m in 0..d {
                        gx[o + m] += c * (gy[o + m] - yv[o + m] * yg);
                    }
                }
            }
        })
    }
}

impl<'t, T: Real> Feat<'t, Vector, T> {
    /// The triple product `a · (b × c)` per channel: a `Pseudoscalar` (it
    /// flips sign under inversion; the signed volume of the three vectors).
    ///
    /// # Panics
    /// If the shapes differ.
    pub fn triple(
        self,
        b: Feat<'t, Vector, T>,
        c: Feat<'t, Vector, T>,
    ) -> Feat<'t, Pseudoscalar, T> {
        for (o, what) in [(&b, "b"), (&c, "c")] {
            assert_eq!(
                (o.rows(), o.mul()),
                (self.rows(), self.mul()),
                "triple: {what} has {}x{} channels, a has {}x{}",
                o.rows(),
                o.mul(),
                self.rows(),
                self.mul()
            );
        }
        let n = self.rows() * self.mul();
        let (av, bv, cv) = (self.data(), b.data(), c.data());
        let cross = |u: &[T], v: &[T]| {
            [
                u[1] * v[2] - u[2] * v[1],
                u[2] * v[0] - u[0] * v[2],
                u[0] * v[1] - u[1] * v[0],
            ]
        };
        let y: Vec<T> = (0..n)
            .map(|k| {
                let bc = cross(&bv[3 * k..3 * k + 3], &cv[3 * k..3 * k + 3]);
                (0..3).map(|m| av[3 * k + m] * bc[m]).sum()
            })
            .collect();
        let ids = [self.id(), b.id(), c.id()];
        Feat::from_op(
            self.tape(),
            self.rows(),
            self.mul(),
            y,
            &ids,
            move |gy, g| {
                // ∂/∂a = b × c, ∂/∂b = c × a, ∂/∂c = a × b.
                let vals = [&av, &bv, &cv];
                for (slot, &id) in ids.iter().enumerate() {
                    if !g.wants(id) {
                        continue;
                    }
                    let (u, v) = (vals[(slot + 1) % 3], vals[(slot + 2) % 3]);
                    let gx = g.acc(id);
                    for k in 0..n {
                        let w = cross(&u[3 * k..3 * k + 3], &v[3 * k..3 * k + 3]);
                        for m in 0..3 {
                            gx[3 * k + m] += gy[k] * w[m];
                        }
                    }
                }
            },
        )
    }
}
