//! The fully connected (`uvw`) weighted product: a learned layer.

use super::{contract, coupling, Entry};
use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::param::{join_path, Param, Parameters};
use crate::real::Real;
use crate::rng::Rng;
use crate::rules::InProduct;
use std::marker::PhantomData;

/// The path `A ⊗ B → C` in e3nn's `uvw` mode, with learned weights:
///
/// ```text
/// out[r,w,k] = path_weight · √(2 l_C + 1) · Σ_uv W[u,v,w] · Σ_ij C_ijk a[r,u,i] b[r,v,j]
/// ```
///
/// Weights `W` (`[mul_a, mul_b, mul_c]`, row-major) start N(0, 1), as in
/// e3nn; the constant `path_weight` is e3nn's 'element' path normalisation.
/// For a layer that is the only path into `C` it is `1/√(mul_a · mul_b)`
/// ([`FullyConnectedTp::new`]); when several paths are summed into one
/// output use [`FullyConnectedTp::with_path_weight`] with the weights of
/// [`path_weights`](super::path_weights). Then N(0, 1) inputs give outputs
/// of unit second moment.
///
/// ```
/// use eqv_core::prelude::*;
/// let mut rng = Rng::new(0);
/// let tp = FullyConnectedTp::<Vector, Vector, Tensor2e>::new(4, 2, 3, &mut rng);
/// let tape = Tape::<f64>::new();
/// let a = Feat::<Vector>::input(&tape, 5, 4, rng.normals(5 * 4 * 3));
/// let b = Feat::<Vector>::input(&tape, 5, 2, rng.normals(5 * 2 * 3));
/// let c: Feat<Tensor2e> = tp.forward(a, b);
/// assert_eq!((c.rows(), c.mul()), (5, 3));
/// ```
#[derive(Clone, Debug)]
pub struct FullyConnectedTp<A: Irrep, B: Irrep, C: Irrep> {
    /// Weights, shape `[mul_a, mul_b, mul_c]`.
    pub weight: Param,
    /// The constant factor of the path ('element' normalisation).
    pub path_weight: f64,
    _abc: PhantomData<(A, B, C)>,
}

impl<A: Irrep, B: Irrep, C: Irrep> FullyConnectedTp<A, B, C> {
    /// A layer from `mul_a` × `mul_b` to `mul_c` channels, weights N(0, 1),
    /// path weight `1/√(mul_a · mul_b)` (the only path into `C`).
    pub fn new(mul_a: usize, mul_b: usize, mul_c: usize, rng: &mut Rng) -> Self
    where
        C: InProduct<A, B>,
    {
        let fan_in = (mul_a * mul_b).max(1) as f64;
        Self::with_path_weight(mul_a, mul_b, mul_c, 1.0 / fan_in.sqrt(), rng)
    }

    /// Like [`FullyConnectedTp::new`] with an explicit path weight (from
    /// [`path_weights`](super::path_weights) when several paths share an
    /// output).
    pub fn with_path_weight(
        mul_a: usize,
        mul_b: usize,
        mul_c: usize,
        path_weight: f64,
        rng: &mut Rng,
    ) -> Self
    where
        C: InProduct<A, B>,
    {
        FullyConnectedTp {
            weight: Param::normal(vec![mul_a, mul_b, mul_c], rng),
            path_weight,
            _abc: PhantomData,
        }
    }

    /// Channels of `a`.
    pub fn mul_a(&self) -> usize {
        self.weight.shape()[0]
    }
    /// Channels of `b`.
    pub fn mul_b(&self) -> usize {
        self.weight.shape()[1]
    }
    /// Channels of the output.
    pub fn mul_c(&self) -> usize {
        self.weight.shape()[2]
    }

    /// Applies the layer to every row.
    ///
    /// Cost per row: `mul_a · mul_b · (nnz(C) + mul_c · dim C)`; the
    /// gradient (to `a`, `b` and the weights) costs the same.
    ///
    /// # Panics
    /// If the rows of `a` and `b` differ or their channels are not
    /// `mul_a` and `mul_b`.
    pub fn forward<'t, T: Real>(&self, a: Feat<'t, A, T>, b: Feat<'t, B, T>) -> Feat<'t, C, T>
    where
        C: InProduct<A, B>,
    {
        let (ma, mb, mc) = (self.mul_a(), self.mul_b(), self.mul_c());
        let rows = a.rows();
        assert!(
            std::ptr::eq(a.tape(), b.tape()),
            "FullyConnectedTp: features live on different tapes"
        );
        assert_eq!(
            b.rows(),
            rows,
            "FullyConnectedTp: rows differ ({rows} vs {})",
            b.rows()
        );
        assert!(
            a.mul() == ma && b.mul() == mb,
            "FullyConnectedTp<{}, {}, {}> expects {ma} and {mb} channels, got {} and {}",
            A::NAME,
            B::NAME,
            C::NAME,
            a.mul(),
            b.mul()
        );
        let tape = a.tape();
        let entries: Vec<Entry<T>> = coupling(A::L, B::L, C::L, self.path_weight);
        let (da, db, dc) = (A::DIM, B::DIM, C::DIM);
        let wid = tape.param(&self.weight);
        let wv = tape.value(wid);
        let (av, bv) = (a.data(), b.data());
        let npair = ma * mb;
        let shape = Shape { ma, mb, da, db, dc };
        let mut t = vec![T::ZERO; npair * dc];
        let mut y = vec![T::ZERO; rows * mc * dc];
        for r in 0..rows {
            row_products(shape, &entries, &mut t, &av, &bv, r);
            let out = &mut y[r * mc * dc..][..mc * dc];
            for p in 0..npair {
                let tp = &t[p * dc..][..dc];
                for (w, &wpw) in wv[p * mc..][..mc].iter().enumerate() {
                    for (o, &tk) in out[w * dc..][..dc].iter_mut().zip(tp) {
                        *o += wpw * tk;
                    }
                }
            }
        }
        let (ia, ib) = (a.id(), b.id());
        Feat::from_op(tape, rows, mc, y, &[ia, ib, wid], move |gy, g| {
            let (want_a, want_b, want_w) = (g.wants(ia), g.wants(ib), g.wants(wid));
            let mut t = vec![T::ZERO; npair * dc];
            let mut gt = vec![T::ZERO; npair * dc];
            let mut ga = if want_a {
                vec![T::ZERO; rows * ma * da]
            } else {
                Vec::new()
            };
            let mut gb = if want_b {
                vec![T::ZERO; rows * mb * db]
            } else {
                Vec::new()
            };
            let mut gw = if want_w {
                vec![T::ZERO; npair * mc]
            } else {
                Vec::new()
            };
            for r in 0..rows {
                let go = &gy[r * mc * dc..][..mc * dc];
                if want_w {
                    // gW[uv,w] += Σ_k t[uv,k] gy[r,w,k]
                    row_products(shape, &entries, &mut t, &av, &bv, r);
                    for p in 0..npair {
                        let tp = &t[p * dc..][..dc];
                        for (w, gwp) in gw[p * mc..][..mc].iter_mut().enumerate() {
                            *gwp += tp
                                .iter()
                                .zip(&go[w * dc..][..dc])
                                .map(|(&x, &z)| x * z)
                                .sum::<T>();
                        }
                    }
                }
                if !(want_a || want_b) {
                    continue;
                }
                // gt[uv,k] = Σ_w W[uv,w] gy[r,w,k]
                gt.fill(T::ZERO);
                for p in 0..npair {
                    let gtp = &mut gt[p * dc..][..dc];
                    for (w, &wpw) in wv[p * mc..][..mc].iter().enumerate() {
                        for (o, &gk) in gtp.iter_mut().zip(&go[w * dc..][..dc]) {
                            *o += wpw * gk;
                        }
                    }
                }
                for u in 0..ma {
                    for v in 0..mb {
                        let gtp = &gt[(u * mb + v) * dc..][..dc];
                        if want_a {
                            let x2 = &bv[(r * mb + v) * db..][..db];
                            let g1 = &mut ga[(r * ma + u) * da..][..da];
                            for e in &entries {
                                g1[e.i] += e.c * x2[e.j] * gtp[e.k];
                            }
                        }
                        if want_b {
                            let x1 = &av[(r * ma + u) * da..][..da];
                            let g2 = &mut gb[(r * mb + v) * db..][..db];
                            for e in &entries {
                                g2[e.j] += e.c * x1[e.i] * gtp[e.k];
                            }
                        }
                    }
                }
            }
            for (id, buf) in [(ia, ga), (ib, gb), (wid, gw)] {
                if !buf.is_empty() {
                    for (acc, v) in g.acc(id).iter_mut().zip(buf) {
                        *acc += v;
                    }
                }
            }
        })
    }
}

impl<A: Irrep, B: Irrep, C: Irrep> Parameters for FullyConnectedTp<A, B, C> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        f(&join_path(prefix, "weight"), &self.weight);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        f(&join_path(prefix, "weight"), &mut self.weight);
    }
}

/// Channel counts and irrep dimensions of one fully connected path.
#[derive(Clone, Copy)]
struct Shape {
    ma: usize,
    mb: usize,
    da: usize,
    db: usize,
    dc: usize,
}

/// `t[uv,k] = Σ_ij c a[r,u,i] b[r,v,j]`: the unweighted products of row `r`.
fn row_products<T: Real>(
    s: Shape,
    entries: &[Entry<T>],
    t: &mut [T],
    av: &[T],
    bv: &[T],
    r: usize,
) {
    t.fill(T::ZERO);
    for u in 0..s.ma {
        let x1 = &av[(r * s.ma + u) * s.da..][..s.da];
        for v in 0..s.mb {
            let x2 = &bv[(r * s.mb + v) * s.db..][..s.db];
            let tuv = &mut t[(u * s.mb + v) * s.dc..][..s.dc];
            contract(entries, x1, x2, tuv);
        }
    }
}
