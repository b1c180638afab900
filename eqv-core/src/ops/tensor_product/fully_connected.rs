//! The fully connected (`uvw`) weighted product: a learned layer.

use super::{coupling, Entry};
use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::kernels::fully_connected::{self, FcShape};
use crate::kernels::gemm::Store;
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
/// use eqv::prelude::*;
/// let mut rng = Rng::new(0);
/// let tp = FullyConnectedTp::<Vector, Vector, Tensor2e>::new(4, 2, 3, &mut rng);
/// let tape = Tape::<f64>::new();
/// let a = eqv::non_equivariant::input::<Vector, _>(&tape, 5, 4, rng.normals(5 * 4 * 3));
/// let b = eqv::non_equivariant::input::<Vector, _>(&tape, 5, 2, rng.normals(5 * 2 * 3));
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
        let shape = FcShape {
            rows,
            muls: (ma, mb, mc),
            dims: (da, db, dc),
        };
        // The path weight is folded into the coupling; W enters as stored.
        let mut y = tape.scratch(rows * mc * dc);
        fully_connected::forward(&entries, &shape, (&av, &bv), &wv, &mut y);
        let (ia, ib) = (a.id(), b.id());
        Feat::from_op(tape, rows, mc, y, &[ia, ib, wid], move |gy, g| {
            let inputs = (&av[..], &bv[..]);
            // The inputs' gradients are cleared by the kernel block by
            // block when nothing has flowed into them yet; `W`'s is small.
            g.with_three_slots([ia, ib, wid], |(ga, gb, mut gw), [sa, sb, sw]| {
                if let (Store::Overwrite, Some(gw)) = (sw, gw.as_deref_mut()) {
                    gw.fill(T::ZERO);
                }
                let grads = (ga, gb, gw);
                fully_connected::backward(&entries, &shape, inputs, &wv, gy, grads, (sa, sb))
            });
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
