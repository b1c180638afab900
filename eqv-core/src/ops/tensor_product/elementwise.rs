//! The element-wise (`uuu`) single-path product: channel `u` of `a` with
//! channel `u` of `b` (or with the single channel of `b`).

use super::{contract, coupling, Entry};
use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::real::Real;
use crate::rules::InProduct;

/// The Clebsch-Gordan path `A ⊗ B → C`, channel by channel, without weights:
/// `out[r,u,k] = √(2 l_C + 1) · Σ_ij C_ijk a[r,u,i] b[r,u,j]`.
///
/// This is the typed core of rule 4 and the building block of e3nn's
/// unweighted `tensor_product` (a full product is one call per path). The
/// output irrep must be named, `tensor_product::<_, _, Pseudovector, _>(a, b)`,
/// and it must be allowed by the selection and parity rules; otherwise the
/// call does not compile and the error explains why:
///
/// ```compile_fail,E0277
/// use eqv::prelude::*;
/// let tape = Tape::<f64>::new();
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
/// let bad = tensor_product::<_, _, Vector, _>(v, v); // odd · odd is even
/// ```
///
/// ```
/// use eqv::prelude::*;
/// let tape = Tape::<f64>::new();
/// let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
/// let b = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
/// // 1o ⊗ 1o → 1e is the cross product, scaled: √3 · (a × b)/√6 = (a × b)/√2.
/// let c = tensor_product::<_, _, Pseudovector, _>(a, b).to_f64();
/// assert!((c[2] - 0.5f64.sqrt()).abs() < 1e-15);
/// ```
///
/// Channels: `a` and `b` have the same rows, and either the same number of
/// channels, or one of them has a single channel that is used with every
/// channel of the other (node features ⊗ edge harmonics). The result has
/// the larger number of channels. With independent N(0, 1) inputs every
/// output component has second moment 1.
///
/// # Panics
/// If the rows differ, or the channels are neither equal nor broadcastable.
pub fn tensor_product<'t, A: Irrep, B: Irrep, C, T: Real>(
    a: Feat<'t, A, T>,
    b: Feat<'t, B, T>,
) -> Feat<'t, C, T>
where
    C: InProduct<A, B>,
{
    let (ma, mb) = (a.mul(), b.mul());
    let rows = a.rows();
    assert!(
        std::ptr::eq(a.tape(), b.tape()),
        "tensor_product: features live on different tapes"
    );
    assert_eq!(
        b.rows(),
        rows,
        "tensor_product: {} rows of {} against {rows} rows of {}",
        b.rows(),
        B::NAME,
        A::NAME
    );
    assert!(
        ma == mb || ma == 1 || mb == 1,
        "tensor_product: {ma} channels of {} and {mb} channels of {} (need equal counts or one of them 1)",
        A::NAME,
        B::NAME
    );
    let mul = ma.max(mb);
    let entries: Vec<Entry<T>> = coupling(A::L, B::L, C::L, 1.0);
    let (da, db, dc) = (A::DIM, B::DIM, C::DIM);
    // Offsets of channel u of row r in a and b (broadcast channels stay put).
    let sa = usize::from(ma != 1);
    let sb = usize::from(mb != 1);
    let (av, bv) = (a.data(), b.data());
    let mut y = vec![T::ZERO; rows * mul * dc];
    for r in 0..rows {
        for u in 0..mul {
            let x1 = &av[(r * ma + u * sa) * da..][..da];
            let x2 = &bv[(r * mb + u * sb) * db..][..db];
            let out = &mut y[(r * mul + u) * dc..][..dc];
            contract(&entries, x1, x2, out);
        }
    }
    let (ia, ib) = (a.id(), b.id());
    Feat::from_op(a.tape(), rows, mul, y, &[ia, ib], move |gy, g| {
        if g.wants(ia) {
            let ga = g.acc(ia);
            for r in 0..rows {
                for u in 0..mul {
                    let x2 = &bv[(r * mb + u * sb) * db..][..db];
                    let go = &gy[(r * mul + u) * dc..][..dc];
                    let g1 = &mut ga[(r * ma + u * sa) * da..][..da];
                    for e in &entries {
                        g1[e.i] += e.c * x2[e.j] * go[e.k];
                    }
                }
            }
        }
        if g.wants(ib) {
            let gb = g.acc(ib);
            for r in 0..rows {
                for u in 0..mul {
                    let x1 = &av[(r * ma + u * sa) * da..][..da];
                    let go = &gy[(r * mul + u) * dc..][..dc];
                    let g2 = &mut gb[(r * mb + u * sb) * db..][..db];
                    for e in &entries {
                        g2[e.j] += e.c * x1[e.i] * go[e.k];
                    }
                }
            }
        }
    })
}
