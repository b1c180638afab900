//! The channel-wise (`uvu`) product with per-row weights: the convolution of
//! NequIP and MACE, where the weights come from a radial MLP of each edge's
//! length.

use super::{contract, coupling, Entry};
use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar};
use crate::real::Real;
use crate::rules::InProduct;

/// The path `A ⊗ B → C` in e3nn's `uvu` mode, weighted per row:
///
/// ```text
/// out[r,u,k] = path_weight · √(2 l_C + 1) · Σ_v w[r,u,v] · Σ_ij C_ijk a[r,u,i] b[r,v,j]
/// ```
///
/// * `a`: `[rows, mul]` (node features gathered onto edges),
/// * `b`: `[rows, mul_b]` (usually the edge's spherical harmonics, `mul_b = 1`),
/// * `w`: `Scalar` weights `[rows, mul · mul_b]`, index `u · mul_b + v`
///   (usually the output of a radial MLP: they must be invariants, which
///   their type guarantees),
/// * result: `[rows, mul]`.
///
/// `path_weight` is e3nn's 'element' normalisation of this path,
/// `√(1 / Σ fan-in)` over all paths into `C` with fan-in `mul_b` each (see
/// [`path_weights`](super::path_weights) and
/// [`PathKind::ChannelWise`](super::PathKind::ChannelWise)); for a single
/// path it is `1/√mul_b`. With N(0, 1) inputs and weights the output has
/// unit second moment.
///
/// Cost per row: `mul · (mul_b · dim B + nnz(C))`; the gradient (to `a`,
/// `b` and `w`) costs the same.
///
/// # Panics
/// If the rows differ or `w` does not have `mul · mul_b` channels.
pub fn channelwise_tensor_product<'t, A: Irrep, B: Irrep, C, T: Real>(
    a: Feat<'t, A, T>,
    b: Feat<'t, B, T>,
    w: Feat<'t, Scalar, T>,
    path_weight: f64,
) -> Feat<'t, C, T>
where
    C: InProduct<A, B>,
{
    let (rows, mul, mb) = (a.rows(), a.mul(), b.mul());
    assert!(
        std::ptr::eq(a.tape(), b.tape()) && std::ptr::eq(a.tape(), w.tape()),
        "channelwise_tensor_product: features live on different tapes"
    );
    assert!(
        b.rows() == rows && w.rows() == rows,
        "channelwise_tensor_product: rows differ (a: {rows}, b: {}, w: {})",
        b.rows(),
        w.rows()
    );
    assert_eq!(
        w.mul(),
        mul * mb,
        "channelwise_tensor_product: weights need {mul} x {mb} = {} channels per row, got {}",
        mul * mb,
        w.mul()
    );
    let entries: Vec<Entry<T>> = coupling(A::L, B::L, C::L, path_weight);
    let (da, db, dc) = (A::DIM, B::DIM, C::DIM);
    let (av, bv, wv) = (a.data(), b.data(), w.data());
    // z[j] = Σ_v w[r,u,v] b[r,v,j]: b mixed by this channel's weights.
    let mix = move |z: &mut [T], bv: &[T], wv: &[T], r: usize, u: usize| {
        z.fill(T::ZERO);
        let wr = &wv[(r * mul + u) * mb..][..mb];
        for (v, &wuv) in wr.iter().enumerate() {
            let y = &bv[(r * mb + v) * db..][..db];
            for (zj, &yj) in z.iter_mut().zip(y) {
                *zj += wuv * yj;
            }
        }
    };
    let mut z = vec![T::ZERO; db];
    let mut y = vec![T::ZERO; rows * mul * dc];
    for r in 0..rows {
        for u in 0..mul {
            mix(&mut z, &bv, &wv, r, u);
            let x1 = &av[(r * mul + u) * da..][..da];
            let out = &mut y[(r * mul + u) * dc..][..dc];
            contract(&entries, x1, &z, out);
        }
    }
    let (ia, ib, iw) = (a.id(), b.id(), w.id());
    Feat::from_op(a.tape(), rows, mul, y, &[ia, ib, iw], move |gy, g| {
        if g.wants(ia) {
            let mut z = vec![T::ZERO; db];
            let ga = g.acc(ia);
            for r in 0..rows {
                for u in 0..mul {
                    mix(&mut z, &bv, &wv, r, u);
                    let go = &gy[(r * mul + u) * dc..][..dc];
                    let g1 = &mut ga[(r * mul + u) * da..][..da];
                    for e in &entries {
                        g1[e.i] += e.c * z[e.j] * go[e.k];
                    }
                }
            }
        }
        let (want_b, want_w) = (g.wants(ib), g.wants(iw));
        if !(want_b || want_w) {
            return;
        }
        // gz[r,u,j] = Σ_ik c a[r,u,i] gy[r,u,k], then spread to b and w.
        let mut gz = vec![T::ZERO; db];
        let mut gb_all = if want_b {
            vec![T::ZERO; rows * mb * db]
        } else {
            Vec::new()
        };
        let mut gw_all = if want_w {
            vec![T::ZERO; rows * mul * mb]
        } else {
            Vec::new()
        };
        for r in 0..rows {
            for u in 0..mul {
                gz.fill(T::ZERO);
                let x1 = &av[(r * mul + u) * da..][..da];
                let go = &gy[(r * mul + u) * dc..][..dc];
                for e in &entries {
                    gz[e.j] += e.c * x1[e.i] * go[e.k];
                }
                for v in 0..mb {
                    let off = (r * mb + v) * db;
                    if want_b {
                        let wuv = wv[(r * mul + u) * mb + v];
                        for (gbj, &gzj) in gb_all[off..off + db].iter_mut().zip(&gz) {
                            *gbj += wuv * gzj;
                        }
                    }
                    if want_w {
                        let dot: T = bv[off..off + db]
                            .iter()
                            .zip(&gz)
                            .map(|(&p, &q)| p * q)
                            .sum();
                        gw_all[(r * mul + u) * mb + v] += dot;
                    }
                }
            }
        }
        if want_b {
            for (acc, v) in g.acc(ib).iter_mut().zip(gb_all) {
                *acc += v;
            }
        }
        if want_w {
            for (acc, v) in g.acc(iw).iter_mut().zip(gw_all) {
                *acc += v;
            }
        }
    })
}
