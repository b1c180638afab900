//! Reverse-mode automatic differentiation on a tape.
//!
//! Every op pushes its output value and a vector-Jacobian product (VJP)
//! closure onto a [`Tape`]; [`Tape::backward`] walks the tape once in reverse
//! and returns the gradients of one output with respect to every tracked leaf
//! (parameters, positions).
//!
//! The tape is generic over the number type. Run on `f64`, it gives forces
//! `F = −∂E/∂R` and parameter gradients of an energy loss. Run on
//! [`Dual<f64>`](crate::dual::Dual) with positions seeded by a direction `r`,
//! the same backward pass also yields `∂/∂θ (r · ∂E/∂R)`: the parameter
//! gradient of a force loss (forward-over-reverse), with no second
//! implementation of any op.

use crate::kernels::gemm::Store;
use crate::kernels::pool;
use crate::param::Param;
use crate::real::Real;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Index of a value on a [`Tape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// Position on the tape.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A vector-Jacobian product: given the gradient of the output, add the
/// gradients of the inputs into [`Grads`].
pub type Vjp<T> = Box<dyn Fn(&[T], &mut Grads<T>)>;

struct Node<T: Real> {
    value: Rc<Vec<T>>,
    tracked: bool,
    vjp: Option<Vjp<T>>,
}

/// A tape of values and their VJPs: the record of one forward pass.
///
/// Ops take `&Tape` (interior mutability), so typed feature handles can be
/// `Copy` and user code reads like ordinary arithmetic.
pub struct Tape<T: Real> {
    nodes: RefCell<Vec<Node<T>>>,
    params: RefCell<HashMap<usize, NodeId>>,
    params_tracked: bool,
}

impl<T: Real> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Tape {
            nodes: RefCell::new(Vec::new()),
            params: RefCell::new(HashMap::new()),
            params_tracked: true,
        }
    }

    /// An empty tape for inference: parameters enter as constants, so no
    /// parameter gradient is ever computed. With
    /// [`Graph::untracked`](crate::graph::Graph::untracked) nothing is
    /// tracked and no VJP is recorded at all (energy only); with
    /// [`Graph::new`](crate::graph::Graph::new) the backward pass computes
    /// forces and skips every weight gradient (what MD needs).
    ///
    /// ```
    /// use eqv::prelude::*;
    /// let tape = Tape::<f64>::inference();
    /// let p = Param::zeros(vec![2]);
    /// assert!(!tape.is_tracked(tape.param(&p)));
    /// ```
    pub fn inference() -> Self {
        Tape {
            nodes: RefCell::new(Vec::new()),
            params: RefCell::new(HashMap::new()),
            params_tracked: false,
        }
    }

    fn push(&self, value: Vec<T>, tracked: bool, vjp: Option<Vjp<T>>) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        let id = NodeId(u32::try_from(nodes.len()).expect("tape longer than 2^32 nodes"));
        nodes.push(Node {
            value: Rc::new(value),
            tracked,
            vjp,
        });
        id
    }

    /// A value no gradient is wanted for (input data, constants).
    pub fn constant(&self, value: Vec<T>) -> NodeId {
        self.push(value, false, None)
    }

    /// A leaf whose gradient [`Tape::backward`] reports (positions, parameters).
    pub fn variable(&self, value: Vec<T>) -> NodeId {
        self.push(value, true, None)
    }

    /// The leaf holding parameter `p`, created on first use.
    ///
    /// Keyed by the parameter's address, so one parameter used by several ops
    /// is one leaf and its gradients add up.
    pub fn param(&self, p: &Param) -> NodeId {
        let key = p as *const Param as usize;
        if let Some(&id) = self.params.borrow().get(&key) {
            return id;
        }
        let value = p.data().iter().map(|&x| T::from_f64(x)).collect();
        let id = if self.params_tracked {
            self.variable(value)
        } else {
            self.constant(value)
        };
        self.params.borrow_mut().insert(key, id);
        id
    }

    /// The leaf of `p` if an op used it during this pass.
    pub fn param_id(&self, p: &Param) -> Option<NodeId> {
        self.params
            .borrow()
            .get(&(p as *const Param as usize))
            .copied()
    }

    /// Records the result of an op. `vjp` is kept only if one of `inputs` is
    /// tracked, so inference pays nothing for differentiability.
    pub fn op(
        &self,
        value: Vec<T>,
        inputs: &[NodeId],
        vjp: impl Fn(&[T], &mut Grads<T>) + 'static,
    ) -> NodeId {
        if self.any_tracked(inputs) {
            self.push(value, true, Some(Box::new(vjp)))
        } else {
            self.push(value, false, None)
        }
    }

    /// Whether gradients flow to any of `inputs` (out of [`Tape::op`], which
    /// is compiled once per op closure, so this is compiled once per type).
    fn any_tracked(&self, inputs: &[NodeId]) -> bool {
        let nodes = self.nodes.borrow();
        inputs.iter().any(|&i| nodes[i.index()].tracked)
    }

    /// Whether gradients flow to this value.
    pub fn is_tracked(&self, id: NodeId) -> bool {
        self.nodes.borrow()[id.index()].tracked
    }

    /// The value of a node (shared, not copied).
    pub fn value(&self, id: NodeId) -> Rc<Vec<T>> {
        self.nodes.borrow()[id.index()].value.clone()
    }

    /// Number of values on the tape.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A zeroed buffer of `len` numbers for an op's output, reusing the
    /// memory of an earlier pass when one is free (see [`crate::kernels::pool`]).
    pub fn zeros(&self, len: usize) -> Vec<T> {
        pool::filled(len, T::ZERO)
    }

    /// A buffer of `len` numbers with unspecified contents, for an op whose
    /// kernel overwrites every element (a GEMM with [`Store::Overwrite`]).
    pub fn scratch(&self, len: usize) -> Vec<T> {
        pool::scratch(len, T::ZERO)
    }

    /// Gradients of `Σ seed · value(root)` with respect to every tracked
    /// value. Intermediate gradients are freed as soon as they have been
    /// propagated; leaves keep theirs.
    pub fn backward(&self, root: NodeId, seed: &[T]) -> Grads<T> {
        let nodes = self.nodes.borrow();
        let n = root.index() + 1;
        assert_eq!(
            seed.len(),
            nodes[root.index()].value.len(),
            "backward seed has the wrong length"
        );
        let mut grads = Grads {
            slots: (0..n).map(|_| None).collect(),
            lens: nodes[..n].iter().map(|nd| nd.value.len()).collect(),
            tracked: nodes[..n].iter().map(|nd| nd.tracked).collect(),
            incoming: None,
        };
        if !nodes[root.index()].tracked {
            return grads;
        }
        // The root's pullback reads the seed where it lies: a copy would
        // cost a pass over an output-sized buffer per call (measured: an
        // eighth of the stand-alone channel-wise product's forward +
        // backward, whose five outputs are pulled back with seeds of ones).
        match &nodes[root.index()].vjp {
            Some(vjp) => vjp(seed, &mut grads),
            None => {
                grads.slots[root.index()] = Some(Slot::Own(pool::copy_of(seed)));
            }
        }
        for i in (0..root.index()).rev() {
            let Some(vjp) = &nodes[i].vjp else { continue };
            if let Some(g) = grads.slots[i].take() {
                // Shared while the VJP runs, so that a sum can hand it on
                // to its operands without copying it (`Grads::add_scaled`).
                let g = g.into_shared();
                grads.incoming = Some(Rc::clone(&g));
                vjp(&g, &mut grads);
                grads.incoming = None;
                Slot::Shared(g).recycle();
            }
        }
        grads
    }
}

impl<T: Real> Drop for Tape<T> {
    /// Hands every value no feature still holds back to the buffer pool.
    /// Values a later node's VJP still holds (an op's inputs, among them
    /// the caller's input arrays, made outside the pool) are freed instead:
    /// releasing the VJPs first and pooling those too was tried (session
    /// 20) and filled the pool with buffers of one workload's sizes, so that
    /// the next workload's own buffers no longer fit under its byte limit
    /// and were allocated and zeroed anew on every call (`Linear` in f64
    /// 3× slower after the fully connected benchmark in one process).
    fn drop(&mut self) {
        let nodes = self.nodes.get_mut();
        for node in nodes.drain(..) {
            if let Ok(v) = Rc::try_unwrap(node.value) {
                pool::recycle(v);
            }
        }
    }
}

/// Gradient buffers of three inputs of an op, `None` where none is wanted.
pub type GradBufs<'g, T> = (
    Option<&'g mut [T]>,
    Option<&'g mut [T]>,
    Option<&'g mut [T]>,
);

/// Gradients produced by [`Tape::backward`].
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
