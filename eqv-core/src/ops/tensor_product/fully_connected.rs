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
use crate::tape::{NodeId, Tape};
use std::marker::PhantomData;
use std::rc::Rc;

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
        fully_connected_sum(&[self.path(a, b)])
    }

    /// This layer applied to `a` and `b` as one term of a sum of paths
    /// into `C`, for [`fully_connected_sum`]: checked here (channels, rows,
    /// tape), computed there.
    ///
    /// # Panics
    /// As [`FullyConnectedTp::forward`].
    pub fn path<'l, 't, T: Real>(
        &'l self,
        a: Feat<'t, A, T>,
        b: Feat<'t, B, T>,
    ) -> FullyConnectedPath<'l, 't, C, T>
    where
        C: InProduct<A, B>,
    {
        let (ma, mb) = (self.mul_a(), self.mul_b());
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
        FullyConnectedPath {
            tape: a.tape(),
            inputs: (a.id(), b.id()),
            weight: &self.weight,
            entries: coupling(A::L, B::L, C::L, self.path_weight),
            shape: FcShape {
                rows,
                muls: (ma, mb, self.mul_c()),
                dims: (A::DIM, B::DIM, C::DIM),
            },
            _c: PhantomData,
        }
    }
}

/// One fully connected path `A ⊗ B → C` with its inputs, the irreps
/// checked (`C: InProduct<A, B>`, rule 4) and then erased, so that
/// [`fully_connected_sum`] can run the paths of a whole layer into `C` as
/// one op. Made by [`FullyConnectedTp::path`].
pub struct FullyConnectedPath<'l, 't, C: Irrep, T: Real> {
    tape: &'t Tape<T>,
    inputs: (NodeId, NodeId),
    weight: &'l Param,
    entries: Vec<Entry<T>>,
    shape: FcShape,
    _c: PhantomData<C>,
}

/// The sum of fully connected paths into one output irrep `C`, as one op:
/// what e3nn's `FullyConnectedTensorProduct` computes for each output irrep.
/// Each path adds its product into one output array (no output per path,
/// no additions after), and the backward pass reads the one output
/// gradient for every path (no copy per path).
///
/// ```
/// use eqv::prelude::*;
/// let mut rng = Rng::new(0);
/// let m = 4;
/// let fan_in = PathKind::FullyConnected.fan_in(m, m);
/// let w = path_weights(&[(fan_in, Vector::IR), (fan_in, Vector::IR)]);
/// let p0 = FullyConnectedTp::<Scalar, Vector, Vector>::with_path_weight(m, m, m, w[0], &mut rng);
/// let p1 = FullyConnectedTp::<Vector, Scalar, Vector>::with_path_weight(m, m, m, w[1], &mut rng);
/// let tape = Tape::<f64>::new();
/// let s = eqv::non_equivariant::input::<Scalar, _>(&tape, 5, m, rng.normals(5 * m));
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 5, m, rng.normals(5 * m * 3));
/// let out: Feat<Vector> = fully_connected_sum(&[p0.path(s, v), p1.path(v, s)]);
/// assert_eq!((out.rows(), out.mul()), (5, m));
/// ```
///
/// # Panics
/// If there are no paths, or the paths differ in rows, output channels or
/// tape.
pub fn fully_connected_sum<'t, C: Irrep, T: Real>(
    paths: &[FullyConnectedPath<'_, 't, C, T>],
) -> Feat<'t, C, T> {
    let first = paths
        .first()
        .expect("fully_connected_sum: at least one path is needed");
    let (tape, rows, mc) = (first.tape, first.shape.rows, first.shape.muls.2);
    for p in paths {
        assert!(
            std::ptr::eq(p.tape, tape),
            "fully_connected_sum: features live on different tapes"
        );
        assert!(
            p.shape.rows == rows && p.shape.muls.2 == mc,
            "fully_connected_sum: paths into {} differ in rows or channels ({} x {} vs {rows} x {mc})",
            C::NAME,
            p.shape.rows,
            p.shape.muls.2
        );
    }
    struct Planned<T> {
        entries: Vec<Entry<T>>,
        shape: FcShape,
        ids: [NodeId; 3],
        values: [Rc<Vec<T>>; 3],
    }
    let plan: Vec<Planned<T>> = paths
        .iter()
        .map(|p| {
            let wid = tape.param(p.weight);
            let ids = [p.inputs.0, p.inputs.1, wid];
            Planned {
                entries: p.entries.clone(),
                shape: p.shape,
                ids,
                values: ids.map(|id| tape.value(id)),
            }
        })
        .collect();
    // The first path writes the output, the others add into it; the path
    // weight is folded into each coupling, `W` enters as stored.
    let mut y = tape.scratch(rows * mc * C::DIM);
    for (n, p) in plan.iter().enumerate() {
        let [av, bv, wv] = &p.values;
        let into = if n == 0 {
            Store::Overwrite
        } else {
            Store::Accumulate
        };
        fully_connected::forward(&p.entries, &p.shape, (av, bv), wv, into, &mut y);
    }
    let inputs: Vec<NodeId> = plan.iter().flat_map(|p| p.ids).collect();
    Feat::from_op(tape, rows, mc, y, &inputs, move |gy, g| {
        for p in &plan {
            let [av, bv, wv] = &p.values;
            // The inputs' gradients are cleared by the kernel block by
            // block when nothing has flowed into them yet; `W`'s is small.
            g.with_three_slots(p.ids, |(ga, gb, mut gw), [sa, sb, sw]| {
                if let (Store::Overwrite, Some(gw)) = (sw, gw.as_deref_mut()) {
                    gw.fill(T::ZERO);
                }
                let grads = (ga, gb, gw);
                let inputs = (&av[..], &bv[..]);
                fully_connected::backward(&p.entries, &p.shape, inputs, wv, gy, grads, (sa, sb))
            });
        }
    })
}

impl<A: Irrep, B: Irrep, C: Irrep> Parameters for FullyConnectedTp<A, B, C> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        f(&join_path(prefix, "weight"), &self.weight);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        f(&join_path(prefix, "weight"), &mut self.weight);
    }
}
