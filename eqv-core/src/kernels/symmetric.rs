//! MACE's symmetric contraction as one kernel: per row and channel, every
//! product of the input blocks with themselves up to the correlation order,
//! coupled through Clebsch-Gordan trees into one output irrep, weighted and
//! summed, without a feature, a tape node or a buffer per product.
//!
//! Written as typed ops (one element-wise tensor product per coupling, a
//! channel slice and a scaling per path, a sum per path) the contraction
//! of a MACE layer put ~60 nodes on the tape per output irrep and wrote
//! every intermediate product of every atom to memory and read it back, in
//! the forward pass and again in the backward. Here a row's products live
//! in a small scratch buffer: the forward computes them once per (row,
//! channel) and the backward recomputes them (cheaper than storing them)
//! and runs the trees in reverse.
//!
//! A [`SymmetricProgram`] is the contraction of one output irrep compiled
//! once (when the layer is built): the products in dependency order
//! (shared prefixes of several paths once), each the coupling of an
//! earlier value with one input block, and which value each path weights.

use crate::irrep::Ir;
use crate::kernels::coupling::{coupling, Entry};
use crate::real::Real;

/// A value a coupling reads or a path weights: an input block or an
/// earlier product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operand {
    Input(usize),
    Product(usize),
}

/// One coupling `left ⊗ input[right] → ir`, stored at `offset` in a row's
/// scratch buffer.
#[derive(Clone, Debug)]
struct Product {
    left: Operand,
    right: usize,
    /// Clebsch-Gordan entries of `l_left ⊗ l_right → l`, sorted by output
    /// component, `√(2l+1)` folded in (as the element-wise product has it).
    entries: Vec<Entry<f64>>,
    offset: usize,
    dim: usize,
    /// Which products (left operand, couplings) this one is, for sharing.
    key: (Vec<usize>, Vec<Ir>),
}

/// The symmetric contraction into one output irrep, compiled: see the
/// module docs.
#[derive(Clone, Debug)]
pub struct SymmetricProgram {
    inputs: Vec<Ir>,
    out: Ir,
    products: Vec<Product>,
    /// The value each path weights, in path order.
    paths: Vec<Operand>,
    /// Numbers of scratch per (row, channel): every product's components.
    scratch: usize,
}

/// Why a list of paths is not a valid contraction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramError(pub String);

impl std::fmt::Display for ProgramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProgramError {}

impl SymmetricProgram {
    /// Compiles the paths into `out`: path `p` multiplies the input blocks
    /// `factors` (indices into `inputs`) left to right, coupling the
    /// running product with the next factor into `couplings[k]` (so
    /// `couplings.len() == factors.len() − 1` and the last coupling is
    /// `out`; a path of one factor is that input block, which must be
    /// `out`). Every coupling must obey the selection and parity rules.
    pub fn new(inputs: &[Ir], out: Ir, paths: &[(&[usize], &[Ir])]) -> Result<Self, ProgramError> {
        let mut program = SymmetricProgram {
            inputs: inputs.to_vec(),
            out,
            products: Vec::new(),
            paths: Vec::with_capacity(paths.len()),
            scratch: 0,
        };
        for (n, &(factors, couplings)) in paths.iter().enumerate() {
            let err = |why: String| ProgramError(format!("path {n} {factors:?}: {why}"));
            let Some((&first, rest)) = factors.split_first() else {
                return Err(err("no factors".into()));
            };
            if let Some(&b) = factors.iter().find(|&&b| b >= inputs.len()) {
                return Err(err(format!("block {b} of {} inputs", inputs.len())));
            }
            if couplings.len() != rest.len() {
                return Err(err(format!(
                    "{} couplings for {} factors",
                    couplings.len(),
                    factors.len()
                )));
            }
            let mut value = Operand::Input(first);
            let mut ir = inputs[first];
            for (k, (&right, &to)) in rest.iter().zip(couplings).enumerate() {
                if !ir.couples_to(inputs[right], to) {
                    return Err(err(format!(
                        "{}x{} does not contain {} (selection and parity rules)",
                        ir.l, inputs[right].l, to.l
                    )));
                }
                value = program.product(
                    value,
                    ir,
                    right,
                    to,
                    (factors[..k + 2].to_vec(), couplings[..k + 1].to_vec()),
                );
                ir = to;
            }
            if ir != out {
                return Err(err(format!(
                    "ends in l = {} parity {:?}, not the output's l = {} parity {:?}",
                    ir.l, ir.p, out.l, out.p
                )));
            }
            program.paths.push(value);
        }
        Ok(program)
    }

    /// The product with this key, added if it is new.
    fn product(
        &mut self,
        left: Operand,
        left_ir: Ir,
        right: usize,
        to: Ir,
        key: (Vec<usize>, Vec<Ir>),
    ) -> Operand {
        if let Some(i) = self.products.iter().position(|p| p.key == key) {
            return Operand::Product(i);
        }
        let dim = to.dim();
        self.products.push(Product {
            left,
            right,
            entries: coupling(left_ir.l, self.inputs[right].l, to.l, 1.0),
            offset: self.scratch,
            dim,
            key,
        });
        self.scratch += dim;
        Operand::Product(self.products.len() - 1)
    }

    /// The input irreps, in block order.
    pub fn inputs(&self) -> &[Ir] {
        &self.inputs
    }

    /// The output irrep.
    pub fn out(&self) -> Ir {
        self.out
    }

    /// Number of paths (weights per channel).
    pub fn num_paths(&self) -> usize {
        self.paths.len()
    }

    /// Number of distinct products (couplings computed per row and channel).
    pub fn num_products(&self) -> usize {
        self.products.len()
    }

    /// The couplings converted to `T` once per call.
    fn entries<T: Real>(&self) -> Vec<Vec<Entry<T>>> {
        self.products
            .iter()
            .map(|p| {
                p.entries
                    .iter()
                    .map(|e| Entry {
                        i: e.i,
                        j: e.j,
                        k: e.k,
                        c: T::from_f64(e.c),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Shapes of one call: `rows × mul` channels of every input block and of
/// the output, weights `[rows, paths × mul]` (path-major within a row).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Rows (atoms).
    pub rows: usize,
    /// Channels of every block.
    pub mul: usize,
}

/// Channels computed together: one number per channel in each lane, so
/// every coupling is the same arithmetic on a whole lane array and the
/// compiler vectorises it (one AVX-512 register of `f32`); lanes past the
/// last channel hold zeros. In a perf profile of one main-job epoch (8
/// channels, so half of the 16 lanes idle) the contraction took about half
/// the samples with 16 lanes that it took with 8; the two runs were not
/// interleaved on a quiet machine, so read that as "not slower".
const LANES: usize = 16;

/// One component of [`LANES`] consecutive channels.
type Lanes<T> = [T; LANES];

/// `out[k] += Σ c · x1[i] · x2[j]` lane by lane over `entries` (sorted by
/// `k`): the same operations, in the same order, as
/// [`contract`](crate::kernels::coupling::contract) does for one channel.
#[inline(always)]
fn contract_lanes<T: Real>(
    entries: &[Entry<T>],
    x1: &[Lanes<T>],
    x2: &[Lanes<T>],
    out: &mut [Lanes<T>],
) {
    let Some(first) = entries.first() else { return };
    let mut k = first.k;
    let mut acc = [T::ZERO; LANES];
    for e in entries {
        if e.k != k {
            for (o, a) in out[k].iter_mut().zip(acc) {
                *o += a;
            }
            acc = [T::ZERO; LANES];
            k = e.k;
        }
        let (a, b) = (&x1[e.i], &x2[e.j]);
        for l in 0..LANES {
            acc[l] += e.c * a[l] * b[l];
        }
    }
    for (o, a) in out[k].iter_mut().zip(acc) {
        *o += a;
    }
}

/// `g[i] += c · other[j] · g_out[k]` over the entries, lane by lane (one
/// factor's share of a coupling's gradient; `swap` reads the entries as
/// `(j, i)`, for the other factor).
#[inline(always)]
fn pull_lanes<T: Real>(
    entries: &[Entry<T>],
    other: &[Lanes<T>],
    g_out: &[Lanes<T>],
    g: &mut [Lanes<T>],
    swap: bool,
) {
    for e in entries {
        let (mine, theirs) = if swap { (e.j, e.i) } else { (e.i, e.j) };
        let (o, go, gm) = (&other[theirs], &g_out[e.k], &mut g[mine]);
        for l in 0..LANES {
            gm[l] += e.c * o[l] * go[l];
        }
    }
}

/// Where each input block's components sit in a lane buffer.
fn block_offsets(program: &SymmetricProgram) -> Vec<usize> {
    let mut off = vec![0];
    for ir in &program.inputs {
        off.push(off[off.len() - 1] + ir.dim());
    }
    off
}

/// Which channels a step works on: channels `k0..k0 + n` of row `r`.
#[derive(Clone, Copy)]
struct Step {
    r: usize,
    k0: usize,
    n: usize,
}

/// A step's channels of every input block, transposed into lanes (lanes
/// past `n` hold zeros).
#[inline(always)]
fn load<T: Real>(
    program: &SymmetricProgram,
    inputs: &[&[T]],
    off: &[usize],
    s: Shape,
    at: Step,
    x: &mut [Lanes<T>],
) {
    let Step { r, k0, n } = at;
    for (b, ir) in program.inputs.iter().enumerate() {
        let d = ir.dim();
        let src = &inputs[b][(r * s.mul + k0) * d..][..n * d];
        let dst = &mut x[off[b]..off[b + 1]];
        for lanes in dst.iter_mut() {
            *lanes = [T::ZERO; LANES];
        }
        for (l, channel) in src.chunks_exact(d).enumerate() {
            for (m, &v) in channel.iter().enumerate() {
                dst[m][l] = v;
            }
        }
    }
}

/// Every product of the loaded channels into `vals`.
#[inline(always)]
fn products_of<T: Real>(
    program: &SymmetricProgram,
    entries: &[Vec<Entry<T>>],
    off: &[usize],
    x: &[Lanes<T>],
    vals: &mut [Lanes<T>],
) {
    for (p, e) in program.products.iter().zip(entries) {
        let (done, rest) = vals.split_at_mut(p.offset);
        let out = &mut rest[..p.dim];
        for lanes in out.iter_mut() {
            *lanes = [T::ZERO; LANES];
        }
        let right = &x[off[p.right]..off[p.right + 1]];
        let left = operand(program, p.left, off, x, done);
        contract_lanes(e, left, right, out);
    }
}

/// The lanes of a value: an input block or a product.
#[inline(always)]
fn operand<'a, T>(
    program: &SymmetricProgram,
    value: Operand,
    off: &[usize],
    x: &'a [Lanes<T>],
    vals: &'a [Lanes<T>],
) -> &'a [Lanes<T>] {
    match value {
        Operand::Input(b) => &x[off[b]..off[b + 1]],
        Operand::Product(q) => {
            let q = &program.products[q];
            &vals[q.offset..q.offset + q.dim]
        }
    }
}

/// The weights of path `p` for channels `k0..k0 + n` of row `r`, in lanes.
#[inline(always)]
fn weight_lanes<T: Real>(w: &[T], s: Shape, np: usize, p: usize, at: Step) -> Lanes<T> {
    let Step { r, k0, n } = at;
    let mut lanes = [T::ZERO; LANES];
    lanes[..n].copy_from_slice(&w[r * np * s.mul + p * s.mul + k0..][..n]);
    lanes
}

/// `out[r, k, :] = scale · Σ_p w[r, p·mul + k] · value_p[r, k, :]`, every
/// element of `out` (`[rows, mul, dim out]`) written.
pub fn forward<T: Real>(
    program: &SymmetricProgram,
    inputs: &[&[T]],
    weights: &[T],
    scale: T,
    s: Shape,
    out: &mut [T],
) {
    // Compiled once in eqv-core for `f32`, `f64` and their duals
    // (`kernels::compiled_once`).
    T::symmetric_forward(program, inputs, weights, scale, s, out);
}

/// [`forward`] for any [`Real`] (what the number types'
/// `symmetric_forward` run).
#[inline(always)]
pub(super) fn forward_generic<T: Real>(
    program: &SymmetricProgram,
    inputs: &[&[T]],
    weights: &[T],
    scale: T,
    s: Shape,
    out: &mut [T],
) {
    let entries = program.entries::<T>();
    let (d, np) = (program.out.dim(), program.paths.len());
    let off = block_offsets(program);
    let mut x = vec![[T::ZERO; LANES]; off[off.len() - 1]];
    let mut vals = vec![[T::ZERO; LANES]; program.scratch];
    let mut acc = vec![[T::ZERO; LANES]; d];
    crate::kernels::simd::vectorized(
        #[inline(always)]
        || {
            for r in 0..s.rows {
                for k0 in (0..s.mul).step_by(LANES) {
                    let n = LANES.min(s.mul - k0);
                    load(program, inputs, &off, s, Step { r, k0, n }, &mut x);
                    products_of(program, &entries, &off, &x, &mut vals);
                    for lanes in acc.iter_mut() {
                        *lanes = [T::ZERO; LANES];
                    }
                    for (p, &value) in program.paths.iter().enumerate() {
                        let w = weight_lanes(weights, s, np, p, Step { r, k0, n });
                        let v = operand(program, value, &off, &x, &vals);
                        for (a, v) in acc.iter_mut().zip(v) {
                            for l in 0..LANES {
                                a[l] += w[l] * v[l];
                            }
                        }
                    }
                    let dst = &mut out[(r * s.mul + k0) * d..][..n * d];
                    for (l, channel) in dst.chunks_exact_mut(d).enumerate() {
                        for (m, o) in channel.iter_mut().enumerate() {
                            *o = scale * acc[m][l];
                        }
                    }
                }
            }
        },
    );
}

/// Where the backward pass writes: the input gradients are added into
/// (one per block, `None` where not wanted), the weight gradient is
/// overwritten or added to (`[rows, paths × mul]`).
pub struct Gradients<'a, T> {
    /// Per input block, its gradient (added to).
    pub inputs: Vec<Option<&'a mut [T]>>,
    /// The weights' gradient and whether to add to it (`true`) or overwrite it.
    pub weights: Option<(&'a mut [T], bool)>,
}

/// The vector-Jacobian product of [`forward`] for the output gradient `gy`.
pub fn backward<T: Real>(
    program: &SymmetricProgram,
    inputs: &[&[T]],
    weights: &[T],
    scale: T,
    s: Shape,
    gy: &[T],
    grads: Gradients<'_, T>,
) {
    T::symmetric_backward(program, inputs, weights, scale, s, gy, grads);
}

/// [`backward`] for any [`Real`].
#[inline(always)]
pub(super) fn backward_generic<T: Real>(
    program: &SymmetricProgram,
    inputs: &[&[T]],
    weights: &[T],
    scale: T,
    s: Shape,
    gy: &[T],
    grads: Gradients<'_, T>,
) {
    let Gradients {
        inputs: mut g_inputs,
        weights: mut g_weights,
    } = grads;
    let entries = program.entries::<T>();
    let (d, np) = (program.out.dim(), program.paths.len());
    let off = block_offsets(program);
    let zeros = || vec![[T::ZERO; LANES]; off[off.len() - 1]];
    let (mut x, mut g_x) = (zeros(), zeros());
    let mut vals = vec![[T::ZERO; LANES]; program.scratch];
    let mut g_vals = vec![[T::ZERO; LANES]; program.scratch];
    let mut gs = vec![[T::ZERO; LANES]; d];
    crate::kernels::simd::vectorized(
        #[inline(always)]
        || {
            for r in 0..s.rows {
                for k0 in (0..s.mul).step_by(LANES) {
                    let n = LANES.min(s.mul - k0);
                    load(program, inputs, &off, s, Step { r, k0, n }, &mut x);
                    products_of(program, &entries, &off, &x, &mut vals);
                    for lanes in gs.iter_mut() {
                        *lanes = [T::ZERO; LANES];
                    }
                    let src = &gy[(r * s.mul + k0) * d..][..n * d];
                    for (l, channel) in src.chunks_exact(d).enumerate() {
                        for (m, &g) in channel.iter().enumerate() {
                            gs[m][l] = scale * g;
                        }
                    }
                    for lanes in g_vals.iter_mut().chain(g_x.iter_mut()) {
                        *lanes = [T::ZERO; LANES];
                    }
                    // Through the weighted sum: each path's weight and value.
                    for (p, &value) in program.paths.iter().enumerate() {
                        if let Some((gw, add)) = g_weights.as_mut() {
                            let v = operand(program, value, &off, &x, &vals);
                            let mut dot = [T::ZERO; LANES];
                            for (v, g) in v.iter().zip(&gs) {
                                for l in 0..LANES {
                                    dot[l] += v[l] * g[l];
                                }
                            }
                            let dst = &mut gw[r * np * s.mul + p * s.mul + k0..][..n];
                            if *add {
                                for (o, &v) in dst.iter_mut().zip(&dot) {
                                    *o += v;
                                }
                            } else {
                                dst.copy_from_slice(&dot[..n]);
                            }
                        }
                        let w = weight_lanes(weights, s, np, p, Step { r, k0, n });
                        let target = match value {
                            Operand::Input(b) => &mut g_x[off[b]..off[b + 1]],
                            Operand::Product(q) => {
                                let q = &program.products[q];
                                &mut g_vals[q.offset..q.offset + q.dim]
                            }
                        };
                        for (t, g) in target.iter_mut().zip(&gs) {
                            for l in 0..LANES {
                                t[l] += w[l] * g[l];
                            }
                        }
                    }
                    // Through the couplings, last first.
                    for (p, e) in program.products.iter().zip(&entries).rev() {
                        let (g_done, g_rest) = g_vals.split_at_mut(p.offset);
                        let g_out = &g_rest[..p.dim];
                        let right = &x[off[p.right]..off[p.right + 1]];
                        let left = operand(program, p.left, &off, &x, &vals);
                        pull_lanes(
                            e,
                            left,
                            g_out,
                            &mut g_x[off[p.right]..off[p.right + 1]],
                            true,
                        );
                        let g_left = match p.left {
                            Operand::Input(b) => &mut g_x[off[b]..off[b + 1]],
                            Operand::Product(q) => {
                                let q = &program.products[q];
                                &mut g_done[q.offset..q.offset + q.dim]
                            }
                        };
                        pull_lanes(e, right, g_out, g_left, false);
                    }
                    for (b, g) in g_inputs.iter_mut().enumerate() {
                        if let Some(g) = g {
                            let dm = program.inputs[b].dim();
                            let dst = &mut g[(r * s.mul + k0) * dm..][..n * dm];
                            let src = &g_x[off[b]..off[b + 1]];
                            for (l, channel) in dst.chunks_exact_mut(dm).enumerate() {
                                for (m, o) in channel.iter_mut().enumerate() {
                                    *o += src[m][l];
                                }
                            }
                        }
                    }
                }
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irrep::Parity;

    fn ir(l: u32, p: Parity) -> Ir {
        Ir::new(l, p)
    }

    #[test]
    fn shared_prefixes_are_computed_once() {
        let (e, o) = (Parity::Even, Parity::Odd);
        let a = [ir(0, e), ir(1, o)];
        let v2 = [ir(0, e)];
        let v3 = [ir(1, o), ir(0, e)];
        let program = SymmetricProgram::new(
            &a,
            ir(0, e),
            &[
                (&[0], &[]),
                (&[1, 1], &v2),
                (&[1, 1, 0], &[ir(0, e), ir(0, e)]),
            ],
        )
        .unwrap();
        assert_eq!(program.num_paths(), 3);
        // 1o⊗1o→0e once, then ⊗0e→0e.
        assert_eq!(program.num_products(), 2);
        let bad = SymmetricProgram::new(&a, ir(0, e), &[(&[1, 1], &[ir(1, o)])]);
        assert!(bad.unwrap_err().0.contains("selection and parity"));
        let wrong_end = SymmetricProgram::new(&a, ir(0, e), &[(&[1, 0], &v3[..1])]);
        assert!(wrong_end.unwrap_err().0.contains("not the output"));
    }
}
