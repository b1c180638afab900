//! The two products every physicist knows: the dot product (→ `Scalar`) and
//! the cross product of L = 1 irreps. Both are Clebsch-Gordan products
//! (paths 1⊗1→0 and 1⊗1→1) written the familiar way.

use crate::feat::Feat;
use crate::irrep::{Irrep, Pseudovector, Scalar, Vector};
use crate::real::Real;
use crate::rules::SameIrrepAs;

/// The cross product is defined between L = 1 irreps; the output parity is
/// the product of the input parities (rule 4): `Vector × Vector =
/// Pseudovector`, `Vector × Pseudovector = Vector`.
#[diagnostic::on_unimplemented(
    message = "the cross product is defined for L = 1 irreps (`Vector`, `Pseudovector`), not `{Self}` × `{J}`",
    label = "`{Self}` × `{J}`",
    note = "rule 4: the cross product is the Clebsch-Gordan path 1 ⊗ 1 -> 1; for other degrees use `tensor_product::<_, _, C, _>(a, b)` with an output C in the product (|l1-l2| <= l3 <= l1+l2, parity p1·p2), e.g. Vector ⊗ Tensor2e = Vector + Tensor2o + Tensor3o",
    note = "see `eqv::rules::r4_selection_rules`"
)]
pub trait CrossProduct<J: Irrep>: Irrep {
    /// The irrep of `a × b`.
    type Out: Irrep;
}
#[diagnostic::do_not_recommend]
impl CrossProduct<Vector> for Vector {
    type Out = Pseudovector;
}
#[diagnostic::do_not_recommend]
impl CrossProduct<Pseudovector> for Vector {
    type Out = Vector;
}
#[diagnostic::do_not_recommend]
impl CrossProduct<Vector> for Pseudovector {
    type Out = Vector;
}
#[diagnostic::do_not_recommend]
impl CrossProduct<Pseudovector> for Pseudovector {
    type Out = Pseudovector;
}

fn check_pair<I: Irrep, J: Irrep, T: Real>(a: &Feat<'_, I, T>, b: &Feat<'_, J, T>, op: &str) {
    assert_eq!(
        (a.rows(), a.mul()),
        (b.rows(), b.mul()),
        "{op}: shapes differ ({}x{} vs {}x{})",
        a.rows(),
        a.mul(),
        b.rows(),
        b.mul()
    );
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// Channel-wise dot product `Σ_m a_m b_m` of two features of the same
    /// irrep: an invariant `Scalar`. (Different irreps are coupled with
    /// [`crate::ops::tensor_product::tensor_product`].)
    pub fn dot<J: SameIrrepAs<I>>(self, other: Feat<'t, J, T>) -> Feat<'t, Scalar, T> {
        check_pair(&self, &other, "dot");
        let (rows, mul, d) = (self.rows(), self.mul(), I::DIM);
        let (a, b) = (self.data(), other.data());
        let y: Vec<T> = (0..rows * mul)
            .map(|k| (0..d).map(|m| a[k * d + m] * b[k * d + m]).sum())
            .collect();
        let (ia, ib) = (self.id(), other.id());
        Feat::from_op(self.tape(), rows, mul, y, &[ia, ib], move |gy, g| {
            for (id, other) in [(ia, &b), (ib, &a)] {
                if g.wants(id) {
                    let gx = g.acc(id);
                    for k in 0..rows * mul {
                        for m in 0..d {
                            gx[k * d + m] += gy[k] * other[k * d + m];
                        }
                    }
                }
            }
        })
    }

    /// Channel-wise cross product `a × b` of L = 1 features (x, y, z
    /// components), with the parity of the product.
    pub fn cross<J: Irrep>(self, other: Feat<'t, J, T>) -> Feat<'t, <I as CrossProduct<J>>::Out, T>
    where
        I: CrossProduct<J>,
    {
        check_pair(&self, &other, "cross");
        let n = self.rows() * self.mul();
        let (a, b) = (self.data(), other.data());
        let cross = |u: &[T], v: &[T]| {
            [
                u[1] * v[2] - u[2] * v[1],
                u[2] * v[0] - u[0] * v[2],
                u[0] * v[1] - u[1] * v[0],
            ]
        };
        let mut y = Vec::with_capacity(n * 3);
        for k in 0..n {
            y.extend(cross(&a[3 * k..3 * k + 3], &b[3 * k..3 * k + 3]));
        }
        let (ia, ib) = (self.id(), other.id());
        Feat::from_op(
            self.tape(),
            self.rows(),
            self.mul(),
            y,
            &[ia, ib],
            move |gy, g| {
                // d(a×b)·g: grad_a = b × g, grad_b = g × a.
                if g.wants(ia) {
                    let ga = g.acc(ia);
                    for k in 0..n {
                        let c = cross(&b[3 * k..3 * k + 3], &gy[3 * k..3 * k + 3]);
                        for m in 0..3 {
                            ga[3 * k + m] += c[m];
                        }
                    }
                }
                if g.wants(ib) {
                    let gb = g.acc(ib);
                    for k in 0..n {
                        let c = cross(&gy[3 * k..3 * k + 3], &a[3 * k..3 * k + 3]);
                        for m in 0..3 {
                            gb[3 * k + m] += c[m];
                        }
                    }
                }
            },
        )
    }
}
