//! A per-thread pool of number buffers.
//!
//! Every op output and every gradient is a `Vec` whose size is the same
//! from one training step to the next. Freed and allocated anew, large
//! buffers go back to the operating system and are page-faulted and zeroed
//! again on every step (measured: a third of the time of energy + forces).
//! The tape hands its buffers back here when it is dropped, the backward
//! pass as soon as a gradient has been propagated, and the next request for
//! the same size gets one back: in the steady state nothing is allocated.
//!
//! The pool is per thread (rayon workers each keep their own), per number
//! type, bounded in bytes, and invisible from outside: values are ordinary
//! `Vec<T>`s.

use std::any::{Any, TypeId};
use std::cell::RefCell;

/// Bytes a thread keeps per number type at most; buffers beyond it are freed.
const MAX_BYTES: usize = 1 << 30;
/// Buffers smaller than this are left to the allocator (it is fast for them).
const MIN_LEN: usize = 256;
/// Free buffers a size class keeps at most. Buffers made outside the pool
/// (an op's `collect`) are handed back too, so without a bound a class
/// grows with every step until the byte limit, and each request, which
/// searches its class for the best fit, would scan thousands of them.
const MAX_PER_CLASS: usize = 128;

/// Free buffers of one number type, by `floor(log2(capacity))`.
struct Pool<T> {
    classes: Vec<Vec<Vec<T>>>,
    bytes: usize,
}

impl<T> Pool<T> {
    fn new() -> Self {
        Pool {
            classes: (0..usize::BITS).map(|_| Vec::new()).collect(),
            bytes: 0,
        }
    }

    fn class(n: usize) -> usize {
        (usize::BITS - 1 - n.leading_zeros()) as usize
    }

    /// A buffer with capacity at least `len`, if one is free. It keeps its
    /// old length and contents: callers fill or truncate it.
    fn take(&mut self, len: usize) -> Option<Vec<T>> {
        let c = Self::class(len);
        // Same class: the best fit (a class holds buffers of up to twice
        // `len`'s size, and a model asks for many sizes within one class:
        // searched among only the most recent, the larger sizes missed
        // behind smaller ones and were allocated and zeroed anew on every
        // step); next class: any.
        let same = &mut self.classes[c];
        let hit = same
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        let v = match hit {
            Some(i) => same.swap_remove(i),
            None => self.classes.get_mut(c + 1)?.pop()?,
        };
        self.bytes -= v.capacity() * std::mem::size_of::<T>();
        Some(v)
    }

    fn give(&mut self, v: Vec<T>) {
        let bytes = v.capacity() * std::mem::size_of::<T>();
        let class = &mut self.classes[Self::class(v.capacity())];
        if v.capacity() < MIN_LEN || self.bytes + bytes > MAX_BYTES || class.len() >= MAX_PER_CLASS
        {
            return;
        }
        self.bytes += bytes;
        class.push(v);
    }
}

thread_local! {
    static POOLS: RefCell<Vec<(TypeId, Box<dyn Any>)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's pool of `T` (`None` during thread teardown).
fn with_pool<T: 'static, R>(f: impl FnOnce(&mut Pool<T>) -> R) -> Option<R> {
    POOLS
        .try_with(|pools| {
            let mut pools = pools.borrow_mut();
            let id = TypeId::of::<T>();
            let i = match pools.iter().position(|(t, _)| *t == id) {
                Some(i) => i,
                None => {
                    pools.push((id, Box::new(Pool::<T>::new())));
                    pools.len() - 1
                }
            };
            let pool = pools[i]
                .1
                .downcast_mut::<Pool<T>>()
                .expect("pool entries are keyed by their type");
            f(pool)
        })
        .ok()
}

/// A buffer of `len` copies of `value`, from the pool when one is free.
pub fn filled<T: Copy + 'static>(len: usize, value: T) -> Vec<T> {
    if len < MIN_LEN {
        return vec![value; len];
    }
    match with_pool::<T, _>(|p| p.take(len)).flatten() {
        Some(mut v) => {
            v.truncate(len);
            v.fill(value);
            v.resize(len, value);
            v
        }
        None => vec![value; len],
    }
}

/// A buffer of `len` numbers whose contents are unspecified (old values of
/// an earlier buffer of this thread, or `pad`), for kernels that overwrite
/// every element: in the steady state nothing is written twice.
pub fn scratch<T: Copy + 'static>(len: usize, pad: T) -> Vec<T> {
    if len < MIN_LEN {
        return vec![pad; len];
    }
    match with_pool::<T, _>(|p| p.take(len)).flatten() {
        Some(mut v) => {
            v.truncate(len);
            v.resize(len, pad);
            v
        }
        None => vec![pad; len],
    }
}

/// An empty buffer with room for `len` values, from the pool when one is free.
pub fn with_capacity<T: Copy + 'static>(len: usize) -> Vec<T> {
    if len < MIN_LEN {
        return Vec::with_capacity(len);
    }
    match with_pool::<T, _>(|p| p.take(len)).flatten() {
        Some(mut v) => {
            v.clear();
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// The values of `iter` in a buffer from the pool when one is free.
pub fn collect<T: Copy + 'static>(iter: impl ExactSizeIterator<Item = T>) -> Vec<T> {
    let mut v = with_capacity(iter.len());
    v.extend(iter);
    v
}

/// A copy of `x` in a buffer from the pool when one is free.
pub fn copy_of<T: Copy + 'static>(x: &[T]) -> Vec<T> {
    let mut v = with_capacity(x.len());
    v.extend_from_slice(x);
    v
}

/// Hands a buffer back for reuse by this thread.
pub fn recycle<T: Copy + 'static>(v: Vec<T>) {
    if v.capacity() >= MIN_LEN {
        // During thread teardown the pool may be gone: then `v` is just freed.
        with_pool::<T, _>(|p| p.give(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_buffer_is_reused_and_refilled() {
        let mut v = filled(1000, 1.5f64);
        v[3] = 7.0;
        let ptr = v.as_ptr();
        recycle(v);
        let w = filled(900, 0.0f64);
        assert_eq!(w.as_ptr(), ptr, "same allocation handed back");
        assert_eq!(w.len(), 900);
        assert!(w.iter().all(|&x| x == 0.0), "refilled, no stale values");
        recycle(w);
        // Too large for the free buffer: a fresh one.
        let big = filled(5000, 0.0f64);
        assert_ne!(big.as_ptr(), ptr);
        // Scratch buffers keep what they held; filled ones do not.
        let mut s = scratch(1000, 0.0f64);
        s[7] = 3.0;
        recycle(s);
        let s = scratch(1000, 0.0f64);
        assert_eq!((s.len(), s[7]), (1000, 3.0));
        recycle(s);
        assert!(filled(1000, 0.0f64).iter().all(|&x| x == 0.0));
        // Types do not mix.
        let f = filled(1000, 0.0f32);
        assert_eq!(f.len(), 1000);
    }

    #[test]
    fn the_best_fit_of_a_size_class_is_found_behind_smaller_buffers() {
        // One class (1024..2047) holding one large buffer behind many
        // smaller ones: a request for the large size gets it back.
        let large = filled(2000, 0.0f32);
        let ptr = large.as_ptr();
        recycle(large);
        let small: Vec<Vec<f32>> = (0..12).map(|_| Vec::with_capacity(1100)).collect();
        for v in small {
            recycle(v);
        }
        let again = scratch(1900, 0.0f32);
        assert_eq!(again.as_ptr(), ptr, "the one buffer large enough");
        // Best fit: a small request takes a small buffer, not the large one.
        recycle(again);
        let fit = scratch(1050, 0.0f32);
        assert!(fit.capacity() < 2000, "capacity {}", fit.capacity());
    }
}
