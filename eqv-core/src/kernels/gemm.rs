//! Dense matrix products `C ← α·A·B (+ C)` on strided views of slices.
//!
//! `Linear` is one product per irrep component (`[rows, mul_in] ×
//! [mul_in, mul_out]`, e3nn's einsum ends in the same GEMM), and so are its
//! gradients. For `f32` and `f64` the product runs in `matrixmultiply`
//! (packed micro-kernels, CPU features detected at run time, so a baseline
//! x86-64 build still uses AVX2/AVX-512 where present), except products
//! whose right factor is narrow (multiples of 16 columns, small), which on
//! AVX-512 run unpacked in `narrow` (the fully connected product's weight
//! contraction and its weight gradient, `Linear` on scalars). For a dual number
//! `a + b·ε` the product of two dual matrices is three real products,
//! `A·B = A₀B₀ + ε(A₀B₁ + A₁B₀)`, so the dual pass of force training runs on
//! the same micro-kernels instead of a scalar loop (and nested duals recurse).

// The raw-pointer call into `matrixmultiply` and the views of dual arrays
// as their parts; each `unsafe` block states why it is sound.
#![allow(unsafe_code)]

use crate::dual::Dual;
use crate::real::Real;

mod narrow;

/// Rows of `C` per register tile of the narrow products: a caller that
/// chooses its block sizes makes its row counts multiples of this, so
/// that no rows are left for the smaller tiles.
pub const ROW_TILE: usize = narrow::MR;

/// A read-only strided matrix view: element `(i, j)` is
/// `data[offset + i·row_stride + j·col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, T> {
    data: &'a [T],
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// A mutable strided matrix view (same indexing as [`Mat`]).
#[derive(Debug)]
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// The largest index a strided view touches, or `None` if it is empty.
fn last_index(offset: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    (rows > 0 && cols > 0).then(|| offset + (rows - 1) * rs + (cols - 1) * cs)
}

impl<'a, T> Mat<'a, T> {
    /// A view of `rows × cols` elements of `data`.
    ///
    /// # Panics
    /// If the view reaches past the end of `data` (a bug in the calling op).
    pub fn new(
        data: &'a [T],
        offset: usize,
        (rows, cols): (usize, usize),
        (row_stride, col_stride): (usize, usize),
    ) -> Self {
        if let Some(last) = last_index(offset, rows, cols, row_stride, col_stride) {
            assert!(last < data.len(), "matrix view out of bounds");
        }
        Mat {
            data,
            offset,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }
    /// A dense row-major `rows × cols` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self::new(data, 0, (rows, cols), (cols, 1))
    }
    /// Component `m` of a `[rows][mul][dim]` feature, as a `rows × mul`
    /// matrix (no copy).
    pub fn component(data: &'a [T], (rows, mul, dim): (usize, usize, usize), m: usize) -> Self {
        Self::new(data, m, (rows, mul), (mul * dim, dim))
    }
    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
    /// Whether every element of the view is zero.
    fn is_zero(&self) -> bool
    where
        T: Real,
    {
        if self.rows == 0 || self.cols == 0 {
            return true;
        }
        (0..self.rows).all(|i| {
            let row = &self.data[self.offset + i * self.row_stride..];
            (0..self.cols).all(|j| row[j * self.col_stride] == T::ZERO)
        })
    }

    #[cfg(test)]
    fn at(&self, i: usize, j: usize) -> &T {
        &self.data[self.offset + i * self.row_stride + j * self.col_stride]
    }
}

impl<'a, T> MatMut<'a, T> {
    /// A mutable view of `rows × cols` elements of `data`.
    ///
    /// # Panics
    /// If the view reaches past the end of `data` (a bug in the calling op).
    pub fn new(
        data: &'a mut [T],
        offset: usize,
        (rows, cols): (usize, usize),
        (row_stride, col_stride): (usize, usize),
    ) -> Self {
        if let Some(last) = last_index(offset, rows, cols, row_stride, col_stride) {
            assert!(last < data.len(), "matrix view out of bounds");
        }
        MatMut {
            data,
            offset,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }
    /// A dense row-major `rows × cols` matrix.
    pub fn row_major(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        Self::new(data, 0, (rows, cols), (cols, 1))
    }
    /// Component `m` of a `[rows][mul][dim]` feature, as a `rows × mul`
    /// matrix (no copy).
    pub fn component(data: &'a mut [T], (rows, mul, dim): (usize, usize, usize), m: usize) -> Self {
        Self::new(data, m, (rows, mul), (mul * dim, dim))
    }
    fn at(&mut self, i: usize, j: usize) -> &mut T {
        &mut self.data[self.offset + i * self.row_stride + j * self.col_stride]
    }
}

/// Whether the product overwrites `C` or adds to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// `C ← α·A·B` (the old contents of `C` are not read).
    Overwrite,
    /// `C ← α·A·B + C`.
    Accumulate,
}

/// Number types with a matrix product. Implemented for every [`Real`].
pub trait Gemm: Sized {
    /// `c ← alpha · a · b` (`Store::Overwrite`) or `c ← alpha · a · b + c`.
    ///
    /// # Panics
    /// If the shapes do not chain (`a: m × k`, `b: k × n`, `c: m × n`).
    fn gemm(alpha: Self, a: Mat<'_, Self>, b: Mat<'_, Self>, into: Store, c: MatMut<'_, Self>);
}

fn check_shapes<T>(a: &Mat<'_, T>, b: &Mat<'_, T>, c: &MatMut<'_, T>) {
    assert!(
        a.cols == b.rows && a.rows == c.rows && b.cols == c.cols,
        "gemm: shapes {}x{} * {}x{} -> {}x{} do not chain",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.rows,
        c.cols
    );
}

/// Strides as the signed numbers `matrixmultiply` takes.
fn strides(rs: usize, cs: usize) -> (isize, isize) {
    (
        isize::try_from(rs).expect("stride fits isize"),
        isize::try_from(cs).expect("stride fits isize"),
    )
}

macro_rules! gemm_float {
    ($t:ty, $kernel:path) => {
        impl Gemm for $t {
            fn gemm(
                alpha: Self,
                a: Mat<'_, Self>,
                b: Mat<'_, Self>,
                into: Store,
                mut c: MatMut<'_, Self>,
            ) {
                check_shapes(&a, &b, &c);
                let (m, k, n) = (a.rows, a.cols, b.cols);
                if m == 0 || n == 0 {
                    return;
                }
                let beta = match into {
                    Store::Overwrite => 0.0,
                    Store::Accumulate => 1.0,
                };
                if k == 0 {
                    // Nothing to multiply: C ← β·C.
                    for i in 0..m {
                        for j in 0..n {
                            let x = c.at(i, j);
                            *x = if beta == 0.0 { 0.0 } else { *x };
                        }
                    }
                    return;
                }
                if narrow::product(alpha, &a, &b, into, &mut c) {
                    return;
                }
                let (rsa, csa) = strides(a.row_stride, a.col_stride);
                let (rsb, csb) = strides(b.row_stride, b.col_stride);
                let (rsc, csc) = strides(c.row_stride, c.col_stride);
                // SAFETY: `Mat::new`/`MatMut::new` checked that every index
                // `offset + i·rs + j·cs` with i < rows, j < cols lies inside
                // its slice, `check_shapes` that the shapes chain, and `c`
                // is borrowed mutably, so it aliases neither `a` nor `b`.
                unsafe {
                    $kernel(
                        m,
                        k,
                        n,
                        alpha,
                        a.data.as_ptr().add(a.offset),
                        rsa,
                        csa,
                        b.data.as_ptr().add(b.offset),
                        rsb,
                        csb,
                        beta,
                        c.data.as_mut_ptr().add(c.offset),
                        rsc,
                        csc,
                    );
                }
            }
        }
    };
}

gemm_float!(f32, matrixmultiply::sgemm);
gemm_float!(f64, matrixmultiply::dgemm);

/// The numbers of a slice of dual numbers, `[re, eps, re, eps, …]`.
fn parts<T: Real>(x: &[Dual<T>]) -> &[T] {
    // SAFETY: `Dual<T>` is `repr(C)` with two fields of type `T`, so it has
    // the size of `[T; 2]` and no padding; `n` of them are `2n` values of
    // `T` at the same address, alignment `align_of::<T>()`.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<T>(), 2 * x.len()) }
}

/// [`parts`] for a mutable slice.
fn parts_mut<T: Real>(x: &mut [Dual<T>]) -> &mut [T] {
    // SAFETY: as in `parts`; the borrow of `x` is moved into the result.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<T>(), 2 * x.len()) }
}

impl<'a, T: Real> Mat<'a, Dual<T>> {
    /// The primal (`part = 0`) or tangent (`part = 1`) numbers as a view.
    fn part(&self, part: usize) -> Mat<'a, T> {
        Mat {
            data: parts(self.data),
            offset: 2 * self.offset + part,
            rows: self.rows,
            cols: self.cols,
            row_stride: 2 * self.row_stride,
            col_stride: 2 * self.col_stride,
        }
    }
}

impl<T: Real> MatMut<'_, Dual<T>> {
    /// The primal (`part = 0`) or tangent (`part = 1`) numbers as a view.
    fn part(&mut self, part: usize) -> MatMut<'_, T> {
        MatMut {
            data: parts_mut(self.data),
            offset: 2 * self.offset + part,
            rows: self.rows,
            cols: self.cols,
            row_stride: 2 * self.row_stride,
            col_stride: 2 * self.col_stride,
        }
    }
}

impl<T: Real> Gemm for Dual<T> {
    fn gemm(alpha: Self, a: Mat<'_, Self>, b: Mat<'_, Self>, into: Store, mut c: MatMut<'_, Self>) {
        check_shapes(&a, &b, &c);
        let (a0, a1, b0, b1) = (a.part(0), a.part(1), b.part(0), b.part(1));
        // (A₀ + εA₁)(B₀ + εB₁) = A₀B₀ + ε(A₀B₁ + A₁B₀), each part a strided
        // view of the dual arrays: three real GEMMs, nothing copied. The
        // tangent goes first, while C's primal part still holds its input.
        let mut store = into;
        if alpha.eps != T::ZERO {
            // ε-part of α·(A·B): α₁·A₀B₀ (α is a constant in every op, so
            // this runs only for a dual-valued scale).
            T::gemm(alpha.eps, a0, b0, store, c.part(1));
            store = Store::Accumulate;
        }
        // A part with no tangent adds nothing: in the forward-over-reverse
        // pass the parameters are constants (B₁ = 0 for a layer's forward
        // and input gradient), which saves a third of those products.
        // Checking costs one read per element, far less than a product.
        let (b1_zero, a1_zero) = (b1.is_zero(), a1.is_zero());
        if !b1_zero || (a1_zero && store == Store::Overwrite) {
            T::gemm(alpha.re, a0, b1, store, c.part(1));
            store = Store::Accumulate;
        }
        if !a1_zero {
            T::gemm(alpha.re, a1, b0, store, c.part(1));
        }
        T::gemm(alpha.re, a0, b0, into, c.part(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook triple loop, the reference for every variant.
    fn naive<T: Real>(alpha: T, a: &Mat<'_, T>, b: &Mat<'_, T>, c: &mut [T], n: usize) {
        for i in 0..a.rows {
            for j in 0..b.cols {
                let mut s = T::ZERO;
                for l in 0..a.cols {
                    s += *a.at(i, l) * *b.at(l, j);
                }
                c[i * n + j] += alpha * s;
            }
        }
    }

    fn data(n: usize, seed: f64) -> Vec<f64> {
        (0..n).map(|i| ((i as f64 + seed) * 0.7368).sin()).collect()
    }

    #[test]
    fn strided_products_match_the_triple_loop() {
        // A as the m=1 component of a [rows][mul_in][3] feature, B transposed.
        let (m, k, n, d) = (7, 5, 4, 3);
        let x = data(m * k * d, 1.0);
        let w = data(n * k, 2.0);
        let a = Mat::new(&x, 1, (m, k), (k * d, d));
        let b = Mat::row_major(&w, n, k).t();
        let mut want = data(m * n, 3.0);
        let mut got = want.clone();
        naive(0.5, &a, &b, &mut want, n);
        f64::gemm(
            0.5,
            a,
            b,
            Store::Accumulate,
            MatMut::row_major(&mut got, m, n),
        );
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
        let mut over = vec![f64::NAN; m * n];
        f64::gemm(
            0.5,
            a,
            b,
            Store::Overwrite,
            MatMut::row_major(&mut over, m, n),
        );
        let mut want0 = vec![0.0; m * n];
        naive(0.5, &a, &b, &mut want0, n);
        for (g, w) in over.iter().zip(&want0) {
            assert!(
                (g - w).abs() < 1e-12,
                "overwrite ignores NaN in C: {g} vs {w}"
            );
        }
    }

    /// Narrow right factors (multiples of 16 columns, run without packing
    /// on AVX-512) and their neighbours that take the packed GEMM: every
    /// layout of `A` (rows contiguous, columns contiguous, neither), `B`
    /// with contiguous rows or not, row counts leaving single rows after
    /// the tiles of 12, inner dimensions leaving single steps after the
    /// blocks of 4, both store modes.
    fn narrow_products_match_the_triple_loop<T: Real>(tol: f64) {
        let shapes = [
            (29, 256, 16),
            (13, 18, 32),
            (12, 7, 48),
            (3, 33, 16),
            (1, 1, 16),
            (25, 5, 40),
            (8, 7, 8),
            // Remainders after the 12-row tiles: 8 + 3 and 4.
            (23, 9, 16),
            (16, 6, 32),
            // Blocks of 32 columns (`f32`) in tiles of 8 rows, with 4 +
            // 1 rows left, then a block of 16; a short inner dimension.
            (29, 16, 80),
            (20, 4, 96),
        ];
        for (m, k, n) in shapes {
            let ad = data(2 * m * k + 3, 1.0);
            let bd = data(2 * k * n + 3, 2.0);
            let (ad, bd): (Vec<T>, Vec<T>) = (
                ad.iter().map(|&x| T::from_f64(x)).collect(),
                bd.iter().map(|&x| T::from_f64(x)).collect(),
            );
            let a_views = [
                Mat::new(&ad, 3, (m, k), (k, 1)),
                Mat::new(&ad, 1, (m, k), (1, m)),
                Mat::new(&ad, 2, (m, k), (2 * k, 2)),
            ];
            let b_views = [
                Mat::new(&bd, 3, (k, n), (n, 1)),
                Mat::new(&bd, 0, (k, n), (1, k)),
            ];
            for a in a_views {
                for b in b_views {
                    for into in [Store::Overwrite, Store::Accumulate] {
                        let alpha = T::from_f64(0.75);
                        let start: Vec<T> =
                            data(m * n, 3.0).iter().map(|&x| T::from_f64(x)).collect();
                        let mut want = start.clone();
                        let mut got = start.clone();
                        if into == Store::Overwrite {
                            want.fill(T::ZERO);
                            got.fill(T::from_f64(f64::NAN));
                        }
                        naive(alpha, &a, &b, &mut want, n);
                        T::gemm(alpha, a, b, into, MatMut::row_major(&mut got, m, n));
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            let (g, w) = (g.value(), w.value());
                            assert!(
                                (g - w).abs() <= tol * (1.0 + w.abs()),
                                "{m}x{k}x{n} {into:?} at {i}: {g} vs {w}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn narrow_products_f64() {
        narrow_products_match_the_triple_loop::<f64>(1e-12);
    }

    #[test]
    fn narrow_products_f32() {
        narrow_products_match_the_triple_loop::<f32>(1e-4);
    }

    #[test]
    fn dual_products_carry_the_tangent() {
        let (m, k, n) = (3, 4, 2);
        let dual = |v: Vec<f64>, t: Vec<f64>| -> Vec<Dual<f64>> {
            v.into_iter().zip(t).map(|(a, b)| Dual::new(a, b)).collect()
        };
        let a = dual(data(m * k, 1.0), data(m * k, 5.0));
        let b = dual(data(k * n, 2.0), data(k * n, 6.0));
        for alpha in [Dual::new(0.3, -1.5), Dual::constant(0.7)] {
            for into in [Store::Accumulate, Store::Overwrite] {
                // A strided view (every other column) and a transposed one.
                let ma = Mat::new(&a, 1, (m, k / 2), (k, 2));
                let mb = Mat::new(&b, 0, (k / 2, n), (1, k));
                let mut want = dual(data(m * n, 3.0), data(m * n, 4.0));
                let mut got = want.clone();
                if into == Store::Overwrite {
                    want.fill(Dual::constant(0.0));
                }
                naive(alpha, &ma, &mb, &mut want, n);
                Dual::gemm(alpha, ma, mb, into, MatMut::row_major(&mut got, m, n));
                for (g, w) in got.iter().zip(&want) {
                    assert!((g.re - w.re).abs() < 1e-12 && (g.eps - w.eps).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn f32_and_empty_inner_dimension() {
        let a = [1.0f32, 2.0, 3.0, 4.0];
        let mut c = [1.0f32; 4];
        f32::gemm(
            2.0,
            Mat::row_major(&a, 2, 2),
            Mat::row_major(&a, 2, 2),
            Store::Accumulate,
            MatMut::row_major(&mut c, 2, 2),
        );
        assert_eq!(c, [15.0, 21.0, 31.0, 45.0]);
        let mut c = [5.0f32; 4];
        f32::gemm(
            1.0,
            Mat::row_major(&[], 2, 0),
            Mat::row_major(&[], 0, 2),
            Store::Overwrite,
            MatMut::row_major(&mut c, 2, 2),
        );
        assert_eq!(c, [0.0; 4]);
    }
}
