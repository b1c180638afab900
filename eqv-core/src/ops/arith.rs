//! Linear arithmetic on features: sums and differences of equal irreps
//! (rule 3), scaling by invariants, concatenation of channels.

use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar};
use crate::real::Real;
use crate::rules::{IsScalar, SameIrrepAs};
use std::ops::{Add, Neg, Sub};

fn same_shape<I: Irrep, J: Irrep, T: Real>(a: &Feat<'_, I, T>, b: &Feat<'_, J, T>, op: &str) {
    assert!(
        std::ptr::eq(a.tape(), b.tape()),
        "{op}: features live on different tapes"
    );
    assert_eq!(
        (a.rows(), a.mul()),
        (b.rows(), b.mul()),
        "{op}: shapes differ ({} rows x {} channels vs {} x {})",
        a.rows(),
        a.mul(),
        b.rows(),
        b.mul()
    );
}

/// `a + sign·b` for equal shapes, as one differentiable op.
fn add_signed<'t, I: Irrep, T: Real>(
    a: Feat<'t, I, T>,
    b: Feat<'t, I, T>,
    sign: T,
) -> Feat<'t, I, T> {
    let (av, bv) = (a.data(), b.data());
    let y: Vec<T> =
        crate::kernels::pool::collect(av.iter().zip(bv.iter()).map(|(&x, &z)| x + sign * z));
    let (ia, ib) = (a.id(), b.id());
    Feat::from_op(a.tape(), a.rows(), a.mul(), y, &[ia, ib], move |gy, g| {
        if g.wants(ia) {
            g.add_scaled(ia, T::ONE, gy);
        }
        if g.wants(ib) {
            g.add_scaled(ib, sign, gy);
        }
    })
}

impl<'t, I: Irrep, J: Irrep, T: Real> Add<Feat<'t, J, T>> for Feat<'t, I, T>
where
    J: SameIrrepAs<I>,
{
    type Output = Feat<'t, I, T>;
    /// Sum of two features of the same irrep and shape (rule 3).
    fn add(self, rhs: Feat<'t, J, T>) -> Self::Output {
        same_shape(&self, &rhs, "add");
        add_signed(
            self,
            Feat::retype(rhs.tape(), rhs.id(), rhs.rows(), rhs.mul()),
            T::ONE,
        )
    }
}

impl<'t, I: Irrep, J: Irrep, T: Real> Sub<Feat<'t, J, T>> for Feat<'t, I, T>
where
    J: SameIrrepAs<I>,
{
    type Output = Feat<'t, I, T>;
    /// Difference of two features of the same irrep and shape (rule 3).
    fn sub(self, rhs: Feat<'t, J, T>) -> Self::Output {
        same_shape(&self, &rhs, "sub");
        add_signed(
            self,
            Feat::retype(rhs.tape(), rhs.id(), rhs.rows(), rhs.mul()),
            -T::ONE,
        )
    }
}

impl<'t, I: Irrep, T: Real> Neg for Feat<'t, I, T> {
    type Output = Feat<'t, I, T>;
    fn neg(self) -> Self::Output {
        self.scale_by(-1.0)
    }
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// Multiplies every component by the constant `c`.
    pub fn scale_by(self, c: f64) -> Self {
        let c = T::from_f64(c);
        let y: Vec<T> = crate::kernels::pool::collect(self.data().iter().map(|&x| c * x));
        let ix = self.id();
        Feat::from_op(
            self.tape(),
            self.rows(),
            self.mul(),
            y,
            &[ix],
            move |gy, g| {
                if g.wants(ix) {
                    for (gx, &gy) in g.acc(ix).iter_mut().zip(gy) {
                        *gx += c * gy;
                    }
                }
            },
        )
    }

    /// Scales each channel by an invariant: `y[r,c,:] = s[r,c] · x[r,c,:]`.
    /// `s` has the same rows and either the same number of channels or one
    /// (then it scales all channels of the row). This is the only product of
    /// an L ≥ 1 feature with a learned number that needs no tensor product.
    ///
    /// # Panics
    /// If the shapes do not fit.
    pub fn scale<S: IsScalar>(self, s: Feat<'t, S, T>) -> Self {
        let s: Feat<'t, Scalar, T> = S::as_scalar(s);
        // The same product as `s * x` with a Scalar: one implementation.
        crate::ops::invariant_products::scale_raw(s, self, "scale")
    }

    /// Concatenates the channels of two features of the same irrep and rows
    /// (rule 3): `[x | other]`.
    pub fn concat<J: SameIrrepAs<I>>(self, other: Feat<'t, J, T>) -> Self {
        assert_eq!(self.rows(), other.rows(), "concat: rows differ");
        let (rows, d) = (self.rows(), I::DIM);
        let (ma, mb) = (self.mul(), other.mul());
        let (a, b) = (self.data(), other.data());
        let mut y = Vec::with_capacity(rows * (ma + mb) * d);
        for r in 0..rows {
            y.extend_from_slice(&a[r * ma * d..(r + 1) * ma * d]);
            y.extend_from_slice(&b[r * mb * d..(r + 1) * mb * d]);
        }
        let (ia, ib) = (self.id(), other.id());
        Feat::from_op(self.tape(), rows, ma + mb, y, &[ia, ib], move |gy, g| {
            let w = (ma + mb) * d;
            if g.wants(ia) {
                let ga = g.acc(ia);
                for r in 0..rows {
                    for (x, &y) in ga[r * ma * d..(r + 1) * ma * d]
                        .iter_mut()
                        .zip(&gy[r * w..r * w + ma * d])
                    {
                        *x += y;
                    }
                }
            }
            if g.wants(ib) {
                let gb = g.acc(ib);
                for r in 0..rows {
                    for (x, &y) in gb[r * mb * d..(r + 1) * mb * d]
                        .iter_mut()
                        .zip(&gy[r * w + ma * d..(r + 1) * w])
                    {
                        *x += y;
                    }
                }
            }
        })
    }

    /// Channels `start..end` of every row (slicing channels is equivariant;
    /// slicing components is not, see rule 5).
    pub fn channels(self, start: usize, end: usize) -> Self {
        assert!(
            start <= end && end <= self.mul(),
            "channels: {start}..{end} out of 0..{}",
            self.mul()
        );
        let (rows, mul, d) = (self.rows(), self.mul(), I::DIM);
        let m = end - start;
        let x = self.data();
        let mut y = Vec::with_capacity(rows * m * d);
        for r in 0..rows {
            y.extend_from_slice(&x[(r * mul + start) * d..(r * mul + end) * d]);
        }
        let ix = self.id();
        Feat::from_op(self.tape(), rows, m, y, &[ix], move |gy, g| {
            if g.wants(ix) {
                let gx = g.acc(ix);
                for r in 0..rows {
                    for (x, &y) in gx[(r * mul + start) * d..(r * mul + end) * d]
                        .iter_mut()
                        .zip(&gy[r * m * d..(r + 1) * m * d])
                    {
                        *x += y;
                    }
                }
            }
        })
    }
}
