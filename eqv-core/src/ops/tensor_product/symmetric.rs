//! MACE's symmetric contraction into one output irrep as one op on the
//! tape (the arithmetic is [`crate::kernels::symmetric`]).
//!
//! The `SymmetricContraction` layer of `#[equivariant]` works out the
//! coupling paths from its irreps literals at compile time (and rejects a
//! declaration with none); this op runs them. It checks again that every
//! coupling obeys the selection and parity rules and ends in the output
//! type `O` (the program's construction refuses anything else), so a wrong
//! program cannot produce a feature of the wrong type.

use crate::feat::Feat;
use crate::irrep::{Ir, Irrep, Scalar};
use crate::kernels::gemm::Store;
use crate::kernels::pool;
use crate::kernels::symmetric::{backward, forward, Gradients, Shape, SymmetricProgram};
use crate::real::Real;
use crate::tape::{NodeId, Tape};
use std::sync::Arc;

/// One input block of a symmetric contraction with its irrep known only at
/// run time (the blocks of one contraction have different types).
#[derive(Clone, Copy)]
pub struct SymmetricInput<'t, T: Real> {
    tape: &'t Tape<T>,
    id: NodeId,
    rows: usize,
    mul: usize,
    ir: Ir,
}

impl<T: Real> std::fmt::Debug for SymmetricInput<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SymmetricInput[{} rows x {} channels of {:?}]",
            self.rows, self.mul, self.ir
        )
    }
}

impl<'t, I: Irrep, T: Real> From<Feat<'t, I, T>> for SymmetricInput<'t, T> {
    fn from(x: Feat<'t, I, T>) -> Self {
        SymmetricInput {
            tape: x.tape(),
            id: x.id(),
            rows: x.rows(),
            mul: x.mul(),
            ir: I::IR,
        }
    }
}

/// `out[r, k] = scale · Σ_p w[r, p·mul + k] · (path p of channel k of the
/// inputs)` into the irrep `O`, for the compiled `program`; `weights` are
/// `[rows, paths × mul]` (path-major), usually gathered per species.
///
/// # Panics
/// If the program's output is not `O`, the blocks do not match the
/// program's inputs, or the shapes differ.
pub fn symmetric_contraction<'t, O: Irrep, T: Real>(
    program: &Arc<SymmetricProgram>,
    inputs: &[SymmetricInput<'t, T>],
    weights: Feat<'t, Scalar, T>,
    scale: f64,
) -> Feat<'t, O, T> {
    assert_eq!(
        program.out(),
        O::IR,
        "symmetric contraction: the program ends in {:?}, the output type is {}",
        program.out(),
        O::NAME
    );
    let irs: Vec<Ir> = inputs.iter().map(|b| b.ir).collect();
    assert_eq!(
        irs,
        program.inputs(),
        "symmetric contraction: input blocks differ from the program's"
    );
    let tape = weights.tape();
    let (rows, mul) = inputs
        .first()
        .map_or((weights.rows(), 0), |b| (b.rows, b.mul));
    for b in inputs {
        assert!(
            std::ptr::eq(b.tape, tape),
            "symmetric contraction: features live on different tapes"
        );
        assert_eq!(
            (b.rows, b.mul),
            (rows, mul),
            "symmetric contraction: every block needs {rows} rows of {mul} channels"
        );
    }
    let np = program.num_paths();
    assert_eq!(
        (weights.rows(), weights.mul()),
        (rows, np * mul),
        "symmetric contraction: weights need {rows} rows of {np} paths x {mul} channels"
    );
    let s = Shape { rows, mul };
    let datas: Vec<_> = inputs.iter().map(|b| tape.value(b.id)).collect();
    let wv = weights.data();
    let scale = T::from_f64(scale);
    let mut y = tape.scratch(rows * mul * O::DIM);
    {
        let slices: Vec<&[T]> = datas.iter().map(|d| d.as_slice()).collect();
        forward(program, &slices, &wv, scale, s, &mut y);
    }
    let ids: Vec<NodeId> = inputs.iter().map(|b| b.id).collect();
    let wid = weights.id();
    let mut all = ids.clone();
    all.push(wid);
    let program = Arc::clone(program);
    Feat::from_op(tape, rows, mul, y, &all, move |gy, g| {
        // Each wanted input's gradient buffer taken once; a block that
        // repeats an earlier one gets a temporary, added afterwards.
        let mut bufs: Vec<Option<Vec<T>>> = Vec::with_capacity(ids.len());
        for (b, &id) in ids.iter().enumerate() {
            let buf = if !g.wants(id) {
                None
            } else if ids[..b].contains(&id) || id == wid {
                Some(pool::filled(datas[b].len(), T::ZERO))
            } else {
                Some(g.take(id))
            };
            bufs.push(buf);
        }
        {
            let slices: Vec<&[T]> = datas.iter().map(|d| d.as_slice()).collect();
            let g_inputs = bufs.iter_mut().map(|b| b.as_deref_mut()).collect();
            let g_weights = if g.wants(wid) {
                let (buf, store) = g.slot(wid);
                Some((buf, matches!(store, Store::Accumulate)))
            } else {
                None
            };
            backward(
                &program,
                &slices,
                &wv,
                scale,
                s,
                gy,
                Gradients {
                    inputs: g_inputs,
                    weights: g_weights,
                },
            );
        }
        for (b, buf) in bufs.into_iter().enumerate() {
            let Some(buf) = buf else { continue };
            let id = ids[b];
            if ids[..b].contains(&id) || id == wid {
                for (x, &v) in g.acc(id).iter_mut().zip(&buf) {
                    *x += v;
                }
                pool::recycle(buf);
            } else {
                g.put(id, buf);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irrep::{Parity, Tensor2e, Vector};
    use crate::ops::tensor_product::tensor_product;
    use crate::rng::Rng;
    use crate::tape::Tape;

    /// The op against the same contraction written as typed ops (one
    /// element-wise product per coupling, a scaled channel slice per path,
    /// a sum): equal values and equal gradients of every input.
    #[test]
    fn equals_the_contraction_written_as_typed_ops() {
        // One partial step of lanes, and two full ones and a partial one.
        for mul in [2, 19] {
            let rows = 3;
            let mut rng = Rng::new(5);
            let tape = Tape::<f64>::new();
            let x0 = Feat::<Scalar>::raw_variable(&tape, rows, mul, rng.normals(rows * mul));
            let x1 = Feat::<Vector>::raw_variable(&tape, rows, mul, rng.normals(rows * mul * 3));
            let x2 = Feat::<Tensor2e>::raw_variable(&tape, rows, mul, rng.normals(rows * mul * 5));
            let (e, o) = (Ir::new(0, Parity::Even), Ir::new(1, Parity::Odd));
            let t = Ir::new(2, Parity::Even);
            let paths: [(&[usize], &[Ir]); 5] = [
                (&[1], &[]),
                (&[0, 1], &[o]),
                (&[1, 1, 1], &[e, o]),
                (&[1, 2, 2], &[o, o]),
                (&[1, 2], &[o]),
            ];
            let program = Arc::new(SymmetricProgram::new(&[e, o, t], o, &paths).unwrap());
            assert_eq!(program.num_products(), 5);
            let np = paths.len();
            let w =
                Feat::<Scalar>::raw_variable(&tape, rows, np * mul, rng.normals(rows * np * mul));
            let scale = 0.7;
            let fused: Feat<Vector> =
                symmetric_contraction(&program, &[x0.into(), x1.into(), x2.into()], w, scale);
            let wp = |p: usize| w.channels(p * mul, (p + 1) * mul);
            let a11: Feat<Scalar> = tensor_product(x1, x1);
            let a12: Feat<Vector> = tensor_product(x1, x2);
            let terms = [
                x1,
                tensor_product::<_, _, Vector, _>(x0, x1),
                tensor_product::<_, _, Vector, _>(a11, x1),
                tensor_product::<_, _, Vector, _>(a12, x2),
                tensor_product::<_, _, Vector, _>(x1, x2),
            ];
            let mut sum = terms[0].scale(wp(0));
            for (p, &term) in terms.iter().enumerate().skip(1) {
                sum = sum + term.scale(wp(p));
            }
            let composed = sum.scale_by(scale);
            let (a, b) = (fused.to_f64(), composed.to_f64());
            for (a, b) in a.iter().zip(&b) {
                assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
            }
            let seed = rng.normals(a.len());
            let g_fused = tape.backward(fused.id(), &seed);
            let g_composed = tape.backward(composed.id(), &seed);
            for id in [x0.id(), x1.id(), x2.id(), w.id()] {
                let (a, b) = (g_fused.get_or_zeros(id), g_composed.get_or_zeros(id));
                assert!(a.iter().any(|v| *v != 0.0));
                for (a, b) in a.iter().zip(&b) {
                    assert!((a - b).abs() <= 1e-13, "{a} vs {b}");
                }
            }
        }
    }
}
