//! The gradients of one backward pass: a buffer per node that anything
//! has flowed into, owned or shared (see [`Grads`]).

use super::{NodeId, Vjp};
use crate::kernels::gemm::Store;
use crate::kernels::pool;
use crate::real::Real;
use std::rc::Rc;

/// Gradient buffers of three inputs of an op, `None` where none is wanted.
pub type GradBufs<'g, T> = (
    Option<&'g mut [T]>,
    Option<&'g mut [T]>,
    Option<&'g mut [T]>,
);

/// Gradients produced by [`Tape::backward`](super::Tape::backward).
pub struct Grads<T: Copy + 'static> {
    slots: Vec<Option<Slot<T>>>,
    lens: Vec<usize>,
    tracked: Vec<bool>,
    /// The gradient being pulled back through the current node, while its
    /// VJP runs.
    incoming: Option<Rc<Vec<T>>>,
}

/// One node's gradient: a buffer of its own, or a buffer shared with other
/// nodes and copied only when something is added into it (a sum hands the
/// gradient of its output unchanged to both operands: for a chain of sums,
/// as in a residual connection or the paths summed into one output, one
/// buffer instead of a copy per operand).
enum Slot<T: Copy + 'static> {
    Own(Vec<T>),
    Shared(Rc<Vec<T>>),
}

impl<T: Copy + 'static> Slot<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            Slot::Own(v) => v,
            Slot::Shared(v) => v,
        }
    }

    /// The buffer to write into: a shared one is taken over if nothing else
    /// holds it, else copied.
    fn into_owned(self) -> Vec<T> {
        match self {
            Slot::Own(v) => v,
            Slot::Shared(v) => Rc::try_unwrap(v).unwrap_or_else(|v| pool::copy_of(&v)),
        }
    }

    fn into_shared(self) -> Rc<Vec<T>> {
        match self {
            Slot::Own(v) => Rc::new(v),
            Slot::Shared(v) => v,
        }
    }

    /// Hands the buffer back to the pool if nothing else holds it.
    fn recycle(self) {
        match self {
            Slot::Own(v) => pool::recycle(v),
            Slot::Shared(v) => {
                if let Ok(v) = Rc::try_unwrap(v) {
                    pool::recycle(v);
                }
            }
        }
    }
}

impl<T: Copy + 'static> Drop for Grads<T> {
    /// Hands the gradient buffers back to the pool.
    fn drop(&mut self) {
        for slot in self.slots.drain(..).flatten() {
            slot.recycle();
        }
    }
}

impl<T: Real> Grads<T> {
    /// No gradient yet, for nodes of the given lengths and tracking.
    pub(super) fn new(lens: Vec<usize>, tracked: Vec<bool>) -> Self {
        Grads {
            slots: (0..lens.len()).map(|_| None).collect(),
            lens,
            tracked,
            incoming: None,
        }
    }

    /// Runs node `id`'s VJP on its gradient, if anything has flowed into
    /// it, and frees the gradient. The gradient is shared while the VJP
    /// runs, so that a sum can hand it on to its operands without copying
    /// it ([`Grads::add_scaled`]).
    pub(super) fn pull_back(&mut self, id: NodeId, vjp: &Vjp<T>) {
        let Some(g) = self.slots[id.index()].take() else {
            return;
        };
        let g = g.into_shared();
        self.incoming = Some(Rc::clone(&g));
        vjp(&g, self);
        self.incoming = None;
        Slot::Shared(g).recycle();
    }

    /// Whether the gradient of `id` is wanted (VJPs skip work otherwise).
    pub fn wants(&self, id: NodeId) -> bool {
        self.tracked.get(id.index()).copied().unwrap_or(false)
    }

    /// The gradient buffer of `id` if anything has flowed into it, made
    /// its own (a shared one copied) so that it can be added into.
    fn owned(&mut self, id: NodeId) -> Option<&mut Vec<T>> {
        let slot = &mut self.slots[id.index()];
        if let Some(Slot::Shared(_)) = slot {
            *slot = slot.take().map(|s| Slot::Own(s.into_owned()));
        }
        match slot {
            Some(Slot::Own(v)) => Some(v),
            _ => None,
        }
    }

    /// The gradient buffer of `id`, zero-initialised on first access; VJPs
    /// add into it.
    pub fn acc(&mut self, id: NodeId) -> &mut [T] {
        let len = self.lens[id.index()];
        if self.slots[id.index()].is_none() {
            self.slots[id.index()] = Some(Slot::Own(pool::filled(len, T::ZERO)));
        }
        self.owned(id).expect("a gradient was just put in")
    }

    /// The gradient buffer of `id` and how to write it: a fresh buffer
    /// with unspecified contents and [`Store::Overwrite`] if nothing has
    /// flowed into `id` yet, else the accumulated gradient and
    /// [`Store::Accumulate`]. For VJPs that write every element (a GEMM):
    /// the first gradient is written, not added to zeros.
    pub fn slot(&mut self, id: NodeId) -> (&mut [T], Store) {
        let len = self.lens[id.index()];
        if self.slots[id.index()].is_none() {
            self.slots[id.index()] = Some(Slot::Own(pool::scratch(len, T::ZERO)));
            let buf = self.owned(id).expect("a gradient was just put in");
            return (buf, Store::Overwrite);
        }
        let buf = self.owned(id).expect("a gradient is there");
        (buf, Store::Accumulate)
    }

    /// Adds `scale · x` to the gradient of `id` (`x` as long as the
    /// gradient); the first gradient into `id` is written, not added to a
    /// zero-filled buffer (the sums and differences of features: one pass
    /// over memory instead of three). When `x` is the very gradient being
    /// pulled back and `scale` is one (a sum's operand), the first gradient
    /// into `id` is that buffer, shared rather than copied; it is copied
    /// when a second gradient is added into it.
    pub fn add_scaled(&mut self, id: NodeId, scale: T, x: &[T]) {
        if scale == T::ONE && self.slots[id.index()].is_none() {
            if let Some(g) = &self.incoming {
                if std::ptr::eq(g.as_slice(), x) {
                    self.slots[id.index()] = Some(Slot::Shared(Rc::clone(g)));
                    return;
                }
            }
        }
        let (buf, store) = self.slot(id);
        match store {
            Store::Overwrite if scale == T::ONE => buf.copy_from_slice(x),
            Store::Overwrite => {
                for (g, &x) in buf.iter_mut().zip(x) {
                    *g = scale * x;
                }
            }
            Store::Accumulate => {
                for (g, &x) in buf.iter_mut().zip(x) {
                    *g += scale * x;
                }
            }
        }
    }

    /// Takes the gradient buffer of `id` out (zeroed if nothing flowed into
    /// it yet), so that a VJP can write the gradients of several inputs in
    /// one pass; hand it back with [`Grads::put`]. For distinct ids only:
    /// taking one id twice before putting it back loses the first buffer's
    /// contents.
    pub fn take(&mut self, id: NodeId) -> Vec<T> {
        let len = self.lens[id.index()];
        match self.slots[id.index()].take() {
            Some(g) => g.into_owned(),
            None => pool::filled(len, T::ZERO),
        }
    }

    /// [`Grads::take`] without the zero-fill: the buffer as
    /// [`Grads::slot`] hands it out, unspecified contents with
    /// [`Store::Overwrite`] if nothing has flowed into `id` yet.
    fn take_slot(&mut self, id: NodeId) -> (Vec<T>, Store) {
        match self.slots[id.index()].take() {
            Some(g) => (g.into_owned(), Store::Accumulate),
            None => (
                pool::scratch(self.lens[id.index()], T::ZERO),
                Store::Overwrite,
            ),
        }
    }

    /// Runs `f` with the gradient buffers of three inputs (`None` where no
    /// gradient is wanted), so a VJP can write all of them in one pass.
    /// If two of the ids are one node (a product `x ⊗ x`), `f` runs once
    /// per wanted input with only that buffer, so nothing is aliased.
    pub fn with_three(&mut self, ids: [NodeId; 3], mut f: impl FnMut(GradBufs<'_, T>)) {
        self.with_three_dyn(ids, true, &mut |bufs, _| f(bufs));
    }

    /// [`Grads::with_three`] without zero-filling: a buffer into which
    /// nothing has flowed yet comes with unspecified contents and
    /// [`Store::Overwrite`] (else [`Store::Accumulate`]), for VJPs that
    /// clear what they accumulate into as they reach it (a row block in
    /// cache rather than a pass over the whole buffer first).
    pub fn with_three_slots(
        &mut self,
        ids: [NodeId; 3],
        mut f: impl FnMut(GradBufs<'_, T>, [Store; 3]),
    ) {
        self.with_three_dyn(ids, false, &mut f);
    }

    /// [`Grads::with_three`] and [`Grads::with_three_slots`] compiled once
    /// per number type rather than once per VJP.
    fn with_three_dyn(
        &mut self,
        ids: [NodeId; 3],
        zeroed: bool,
        f: &mut dyn FnMut(GradBufs<'_, T>, [Store; 3]),
    ) {
        let [a, b, c] = ids;
        if a != b && a != c && b != c {
            let mut stores = [Store::Accumulate; 3];
            let mut bufs = [None, None, None];
            for ((id, buf), store) in ids.into_iter().zip(&mut bufs).zip(&mut stores) {
                if !self.wants(id) {
                    continue;
                }
                let (taken, how) = if zeroed {
                    (self.take(id), Store::Accumulate)
                } else {
                    self.take_slot(id)
                };
                (*buf, *store) = (Some(taken), how);
            }
            let [ga, gb, gc] = &mut bufs;
            f(
                (ga.as_deref_mut(), gb.as_deref_mut(), gc.as_deref_mut()),
                stores,
            );
            for (id, buf) in ids.into_iter().zip(bufs) {
                if let Some(buf) = buf {
                    self.put(id, buf);
                }
            }
            return;
        }
        let stores = [Store::Accumulate; 3];
        for (which, id) in ids.into_iter().enumerate() {
            if !self.wants(id) {
                continue;
            }
            let buf = Some(self.acc(id));
            let bufs = match which {
                0 => (buf, None, None),
                1 => (None, buf, None),
                _ => (None, None, buf),
            };
            f(bufs, stores);
        }
    }

    /// Puts back a buffer taken with [`Grads::take`].
    pub fn put(&mut self, id: NodeId, buf: Vec<T>) {
        self.slots[id.index()] = Some(Slot::Own(buf));
    }

    /// The gradient of `id`, if anything flowed into it.
    pub fn get(&self, id: NodeId) -> Option<&[T]> {
        self.slots.get(id.index())?.as_ref().map(Slot::as_slice)
    }

    /// The gradient of `id`, zeros if nothing flowed into it.
    pub fn get_or_zeros(&self, id: NodeId) -> Vec<T> {
        match self.get(id) {
            Some(g) => g.to_vec(),
            None => vec![T::ZERO; self.lens.get(id.index()).copied().unwrap_or(0)],
        }
    }
}
