//! One large op split across cores by rows, with results that do not
//! depend on the number of threads.
//!
//! Row blocks have a fixed size ([`ROWS_PER_TASK`]), so the same rows are
//! always grouped together: per-row outputs are computed exactly as on one
//! thread, and reductions over rows (a weight gradient) add one partial sum
//! per block in block order. Small ops (a training structure of a few
//! hundred atoms, already run in parallel across structures) stay on one
//! thread.

use rayon::prelude::*;

/// Runs `f` on a worker thread of the thread pool and returns its result.
///
/// A large op splits its rows across the pool; called from a thread outside
/// the pool (a program's main thread), every such op hands its work over
/// and sleeps until it is done, a wake-up per op (measured: 10 % of a
/// 1000-atom NequIP energy), and the op's buffers come from one thread's
/// pool and go back to another's. Running a whole evaluation through this
/// pays the hand-over once: inside, the ops split onto the pool directly
/// and the buffers stay with the worker. Already on a worker, `f` just runs.
///
/// ```
/// let sum = eqv::kernels::parallel::on_pool(|| (1..=4).sum::<i32>());
/// assert_eq!(sum, 10);
/// ```
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return f();
    }
    let (mut f, mut result) = (Some(f), None);
    hand_over(&mut || result = f.take().map(|f| f()));
    result.expect("the pool ran the closure")
}

/// The hand-over of [`on_pool`], compiled once: rayon's job machinery is
/// generic over the closure it runs, and every call site of a generic
/// wrapper would otherwise compile its own copy of it (the split paths
/// below take `dyn` closures for the same reason).
fn hand_over(f: &mut (dyn FnMut() + Send)) {
    rayon::scope(|_| f());
}

/// [`on_pool`] for a computation whose largest op has `rows` rows, when
/// that op would split ([`worth_splitting`]); otherwise `f` runs here: a
/// small structure (an MD step of 64 atoms) stays on one thread anyway and
/// would only pay the hand-over.
pub fn on_pool_if_split<R: Send>(rows: usize, f: impl FnOnce() -> R + Send) -> R {
    if worth_splitting(rows) {
        on_pool(f)
    } else {
        f()
    }
}

/// Rows per parallel task: fixed, so the arithmetic never depends on the
/// machine.
pub const ROWS_PER_TASK: usize = 1024;

/// Whether `rows` are worth splitting (at least two blocks).
pub fn worth_splitting(rows: usize) -> bool {
    rows >= 2 * ROWS_PER_TASK
}

/// Row blocks `(first row, rows)` of `rows` rows.
pub fn blocks(rows: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..rows)
        .step_by(ROWS_PER_TASK)
        .map(move |r0| (r0, ROWS_PER_TASK.min(rows - r0)))
}

/// Runs `f(first row, rows, that block of out)` over the row blocks of
/// `out` (`row_len` numbers per row), in parallel when it is large.
pub fn rows_mut<T: Send>(
    out: &mut [T],
    row_len: usize,
    rows: usize,
    f: impl Fn(usize, usize, &mut [T]) + Sync,
) {
    if !worth_splitting(rows) || row_len == 0 {
        f(0, rows, out);
        return;
    }
    rows_mut_split(&mut out[..rows * row_len], row_len, &f);
}

/// The split path of [`rows_mut`], one copy per number type.
fn rows_mut_split<T: Send>(out: &mut [T], row_len: usize, f: &BlockFn<'_, T>) {
    out.par_chunks_mut(ROWS_PER_TASK * row_len)
        .enumerate()
        .for_each(|(b, chunk)| f(b * ROWS_PER_TASK, chunk.len() / row_len, chunk));
}

/// Numbers per task of an elementwise map: cheap work per number, so a
/// larger grain than [`ROWS_PER_TASK`] rows.
pub const ELEMS_PER_TASK: usize = 32_768;

/// `f(offset, block)` over blocks of `out` (fixed size
/// [`ELEMS_PER_TASK`]), in parallel when there are several: for maps whose
/// every output number depends on the same-index inputs only.
pub fn elementwise<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    if out.len() < 2 * ELEMS_PER_TASK {
        f(0, out);
        return;
    }
    elementwise_split(out, &f);
}

/// The split path of [`elementwise`], one copy per number type.
fn elementwise_split<T: Send>(out: &mut [T], f: &(dyn Fn(usize, &mut [T]) + Sync)) {
    out.par_chunks_mut(ELEMS_PER_TASK)
        .enumerate()
        .for_each(|(b, chunk)| f(b * ELEMS_PER_TASK, chunk));
}

/// Up to three per-row buffers, each with its numbers per row.
pub type RowBufs<'a, T> = [Option<(&'a mut [T], usize)>; 3];

/// The buffers themselves, for the path that does not split.
fn whole<T>(bufs: RowBufs<'_, T>) -> [Option<&mut [T]>; 3] {
    bufs.map(|b| b.map(|(s, _)| s))
}

/// One row block's work: (first row, rows, the block of each buffer).
type Task<'b, T> = (usize, usize, [Option<&'b mut [T]>; 3]);

// The closures of the split paths are `dyn`, so that rayon's job machinery
// is compiled once per number type, not once per caller's closure.

/// A block's work on one buffer: (first row, rows, its buffer).
type BlockFn<'f, T> = dyn Fn(usize, usize, &mut [T]) + Sync + 'f;

/// A block's work on up to three per-row buffers: (first row, rows, the
/// block of each buffer).
type BlockTask<'f, T> = dyn Fn(usize, usize, [Option<&mut [T]>; 3]) + Sync + 'f;

/// A block's work on its per-row buffers and its share of a reduction over
/// rows: (first row, rows, the block of each buffer, the partial sum).
type BlockSum<'f, T> = dyn Fn(usize, usize, [Option<&mut [T]>; 3], Option<&mut [T]>) + Sync + 'f;

/// The row blocks of `rows` rows, each with its block of every buffer.
fn row_block_tasks<T>(bufs: RowBufs<'_, T>, rows: usize) -> Vec<Task<'_, T>> {
    let mut tasks: Vec<Task<'_, T>> = blocks(rows)
        .map(|(r0, n)| (r0, n, [None, None, None]))
        .collect();
    for (slot, buf) in bufs.into_iter().enumerate() {
        if let Some((buf, row_len)) = buf {
            let step = ROWS_PER_TASK * row_len.max(1);
            for (task, chunk) in tasks.iter_mut().zip(buf.chunks_mut(step)) {
                task.2[slot] = Some(chunk);
            }
        }
    }
    tasks
}

/// Like [`rows_mut`] for up to three per-row output buffers at once (the
/// gradients of several per-row inputs): `f(first row, rows, blocks)`.
pub fn rows_mut3<T: Send>(
    bufs: RowBufs<'_, T>,
    rows: usize,
    f: impl Fn(usize, usize, [Option<&mut [T]>; 3]) + Sync,
) {
    if !worth_splitting(rows) {
        f(0, rows, whole(bufs));
        return;
    }
    rows_mut3_split(bufs, rows, &f);
}

/// The split path of [`rows_mut3`], one copy per number type.
fn rows_mut3_split<T: Send>(bufs: RowBufs<'_, T>, rows: usize, f: &BlockTask<'_, T>) {
    row_block_tasks(bufs, rows)
        .into_par_iter()
        .for_each(|(r0, n, chunks)| f(r0, n, chunks));
}

/// [`rows_mut3`] and [`sum_over_rows`] in one pass over the row blocks:
/// `f(first row, rows, blocks of bufs, partial)` writes the per-row
/// buffers of its block and adds that block's share of a reduction over
/// rows into `partial` (`sum.len()` numbers), so one sweep serves both
/// kinds of gradient (a kernel's per-row work is then shared by them).
///
/// Split, each block starts from a zeroed partial and the partials are
/// added in block order, then into `sum`: bit for bit what
/// [`sum_over_rows`] gives. Not split, `f` runs once on all the rows and
/// adds into `sum` itself.
pub fn rows_mut3_and_sum<T: crate::real::Real>(
    bufs: RowBufs<'_, T>,
    rows: usize,
    sum: Option<&mut [T]>,
    f: impl Fn(usize, usize, [Option<&mut [T]>; 3], Option<&mut [T]>) + Sync,
) {
    if !worth_splitting(rows) {
        f(0, rows, whole(bufs), sum);
        return;
    }
    rows_mut3_and_sum_split(bufs, rows, sum, &f);
}

/// The split path of [`rows_mut3_and_sum`], one copy per number type.
fn rows_mut3_and_sum_split<T: crate::real::Real>(
    bufs: RowBufs<'_, T>,
    rows: usize,
    sum: Option<&mut [T]>,
    f: &BlockSum<'_, T>,
) {
    let len = sum.as_ref().map(|s| s.len());
    let tasks = row_block_tasks(bufs, rows);
    let partials: Vec<Option<Vec<T>>> = tasks
        .into_par_iter()
        .map(|(r0, n, chunks)| {
            let mut partial = len.map(|len| crate::kernels::pool::filled(len, T::ZERO));
            f(r0, n, chunks, partial.as_deref_mut());
            partial
        })
        .collect();
    if let Some(sum) = sum {
        let mut total = crate::kernels::pool::filled(sum.len(), T::ZERO);
        for p in partials.into_iter().flatten() {
            for (t, &x) in total.iter_mut().zip(&p) {
                *t += x;
            }
            crate::kernels::pool::recycle(p);
        }
        for (s, &t) in sum.iter_mut().zip(&total) {
            *s += t;
        }
        crate::kernels::pool::recycle(total);
    }
}

/// `Σ_blocks f(first row, rows)` of `len` numbers, block partial sums
/// added in block order (deterministic), in parallel when large.
pub fn sum_over_rows<T: crate::real::Real>(
    rows: usize,
    len: usize,
    f: impl Fn(usize, usize, &mut [T]) + Sync,
) -> Option<Vec<T>> {
    if !worth_splitting(rows) {
        return None;
    }
    Some(sum_over_rows_split(rows, len, &f))
}

/// The split path of [`sum_over_rows`], one copy per number type.
fn sum_over_rows_split<T: crate::real::Real>(
    rows: usize,
    len: usize,
    f: &BlockFn<'_, T>,
) -> Vec<T> {
    let partials: Vec<Vec<T>> = blocks(rows)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(r0, n)| {
            let mut p = vec![T::ZERO; len];
            f(r0, n, &mut p);
            p
        })
        .collect();
    let mut total = vec![T::ZERO; len];
    for p in partials {
        for (t, x) in total.iter_mut().zip(p) {
            *t += x;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_pool_runs_on_a_worker_and_nests() {
        // From outside the pool the closure moves onto a worker; from a
        // worker it runs in place (no second hand-over, same thread).
        let (outer, inner) = on_pool(|| {
            let here = rayon::current_thread_index();
            (here, on_pool(rayon::current_thread_index))
        });
        assert!(outer.is_some());
        assert_eq!(outer, inner);
    }

    #[test]
    fn blocks_cover_every_row_once() {
        for rows in [0, 1, 1023, 1024, 2048, 5000] {
            let mut out = vec![0u32; rows * 2];
            rows_mut(&mut out, 2, rows, |r0, n, chunk| {
                for (i, x) in chunk.iter_mut().enumerate() {
                    *x += (r0 * 2 + i) as u32 + 1;
                }
                assert_eq!(chunk.len(), n * 2);
            });
            assert!(out.iter().enumerate().all(|(i, &x)| x == i as u32 + 1));
        }
        let rows = 3000;
        let (mut a, mut b) = (vec![0u32; rows], vec![0u32; rows * 3]);
        rows_mut3(
            [Some((&mut a, 1)), None, Some((&mut b, 3))],
            rows,
            |r0, n, [a, none, b]| {
                assert!(none.is_none());
                let (a, b) = (a.expect("given"), b.expect("given"));
                assert_eq!((a.len(), b.len()), (n, 3 * n));
                a.fill(r0 as u32);
                b.fill(r0 as u32);
            },
        );
        assert_eq!((a[1500], b[3 * 1500]), (1024, 1024));
    }

    #[test]
    fn sums_are_in_block_order() {
        let s = sum_over_rows::<f64>(5000, 1, |r0, n, p| p[0] = (r0 + n) as f64).expect("large");
        assert_eq!(s[0], (1024 + 2048 + 3072 + 4096 + 5000) as f64);
        assert!(sum_over_rows::<f64>(100, 1, |_, _, _| {}).is_none());
    }
}
