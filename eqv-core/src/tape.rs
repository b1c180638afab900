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

use crate::kernels::pool;
use crate::param::Param;
use crate::real::Real;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

mod grads;
pub use grads::{GradBufs, Grads};

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
    /// kernel overwrites every element (a GEMM with
    /// [`Store::Overwrite`](crate::kernels::gemm::Store::Overwrite)).
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
        let mut grads = Grads::new(
            nodes[..n].iter().map(|nd| nd.value.len()).collect(),
            nodes[..n].iter().map(|nd| nd.tracked).collect(),
        );
        if !nodes[root.index()].tracked {
            return grads;
        }
        // The root's pullback reads the seed where it lies: a copy would
        // cost a pass over an output-sized buffer per call (measured: an
        // eighth of the stand-alone channel-wise product's forward +
        // backward, whose five outputs are pulled back with seeds of ones).
        match &nodes[root.index()].vjp {
            Some(vjp) => vjp(seed, &mut grads),
            None => grads.put(root, pool::copy_of(seed)),
        }
        for i in (0..root.index()).rev() {
            if let Some(vjp) = &nodes[i].vjp {
                grads.pull_back(NodeId(i as u32), vjp);
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
