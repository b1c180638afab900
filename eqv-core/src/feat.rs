//! Typed, batched features: values on a [`Tape`] that carry their irrep in
//! their type.
//!
//! A `Feat<'t, I, T>` holds `rows × mul` copies of the irrep `I` (rows are
//! atoms, edges or structures; `mul` is the number of channels), laid out
//! row-major as `[row][channel][component]` — for one block this is exactly
//! e3nn's `mul_ir` flattening of each row. It is a `Copy` handle into the
//! tape, so ops read like arithmetic and every op is differentiable.

use crate::irrep::{Ir, Irrep};
use crate::real::Real;
use crate::tape::{Grads, NodeId, Tape};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

/// `rows × mul` features of irrep `I`, in number type `T`, on tape `'t`.
pub struct Feat<'t, I: Irrep, T: Real = f64> {
    tape: &'t Tape<T>,
    id: NodeId,
    rows: usize,
    mul: usize,
    _ir: PhantomData<I>,
}

impl<I: Irrep, T: Real> Clone for Feat<'_, I, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I: Irrep, T: Real> Copy for Feat<'_, I, T> {}

impl<I: Irrep, T: Real> fmt::Debug for Feat<'_, I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Feat<{} ({})>[{} rows x {} channels]",
            I::NAME,
            I::LABEL,
            self.rows,
            self.mul
        )
    }
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// Input data that is *known* to transform as `I` (an edge vector, a
    /// species one-hot for `Scalar`): no gradient flows into it.
    ///
    /// Building a feature from raw numbers is where the type system has to
    /// trust the caller, so this is crate-private: users reach it through
    /// the [`Graph`](crate::graph::Graph) (data), [`crate::authoring`]
    /// (implementers of ops) or [`crate::non_equivariant::input`].
    ///
    /// # Panics
    /// If `data.len() != rows * mul * I::DIM`.
    pub(crate) fn raw_input(tape: &'t Tape<T>, rows: usize, mul: usize, data: Vec<T>) -> Self {
        Self::check_len(rows, mul, data.len());
        Self::retype(tape, tape.constant(data), rows, mul)
    }

    /// Like [`Feat::input`], but a leaf whose gradient `Tape::backward`
    /// reports.
    ///
    /// # Panics
    /// If `data.len() != rows * mul * I::DIM`.
    pub(crate) fn raw_variable(tape: &'t Tape<T>, rows: usize, mul: usize, data: Vec<T>) -> Self {
        Self::check_len(rows, mul, data.len());
        Self::retype(tape, tape.variable(data), rows, mul)
    }

    /// Raw numbers as a feature: does not compile, and says why (see
    /// [`crate::rules::trust`]). Data enters through the
    /// [`Graph`](crate::graph::Graph); the named opt-out is
    /// [`crate::non_equivariant::input`].
    pub fn input(tape: &'t Tape<T>, rows: usize, mul: usize, data: Vec<T>) -> Self
    where
        I: crate::rules::NumbersAreTyped,
    {
        Self::raw_input(tape, rows, mul, data)
    }

    /// Like [`Feat::input`]: does not compile, and says why. The named
    /// opt-out is [`crate::non_equivariant::variable`].
    pub fn variable(tape: &'t Tape<T>, rows: usize, mul: usize, data: Vec<T>) -> Self
    where
        I: crate::rules::NumbersAreTyped,
    {
        Self::raw_variable(tape, rows, mul, data)
    }

    /// Retyping a tape node: does not compile, and says why (see
    /// [`crate::rules::trust`]). Implementers of ops use
    /// [`crate::authoring::wrap`].
    pub fn wrap(tape: &'t Tape<T>, id: NodeId, rows: usize, mul: usize) -> Self
    where
        I: crate::rules::NodesAreRetyped,
    {
        Self::retype(tape, id, rows, mul)
    }

    /// Records an op's result: its value, the nodes it read, and its VJP.
    /// For implementing ops; the caller guarantees the result transforms as
    /// `I` (public as [`crate::authoring::from_op`]).
    pub(crate) fn from_op(
        tape: &'t Tape<T>,
        rows: usize,
        mul: usize,
        value: Vec<T>,
        inputs: &[NodeId],
        vjp: impl Fn(&[T], &mut Grads<T>) + 'static,
    ) -> Self {
        Self::check_len(rows, mul, value.len());
        Self::retype(tape, tape.op(value, inputs, vjp), rows, mul)
    }

    /// Wraps an existing node (for implementing ops; public as
    /// [`crate::authoring::wrap`]).
    pub(crate) fn retype(tape: &'t Tape<T>, id: NodeId, rows: usize, mul: usize) -> Self {
        Feat {
            tape,
            id,
            rows,
            mul,
            _ir: PhantomData,
        }
    }

    /// `rows × mul` zero features of irrep `I` (an untracked constant).
    ///
    /// Zero is the one value every irrep shares: `D(R)·0 = 0` for every
    /// rotation and inversion, and it is unchanged by renumbering rows, so
    /// this is the only constructor from numbers that needs no promise (the
    /// initial vector features of PaiNN-like models).
    pub fn zeros(tape: &'t Tape<T>, rows: usize, mul: usize) -> Self {
        Self::raw_input(tape, rows, mul, vec![T::ZERO; rows * mul * I::DIM])
    }

    fn check_len(rows: usize, mul: usize, len: usize) {
        assert_eq!(
            len,
            rows * mul * I::DIM,
            "{} feature of {rows} rows x {mul} channels needs {} numbers",
            I::NAME,
            rows * mul * I::DIM
        );
    }

    /// Rows (atoms, edges or structures).
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Channels (multiplicity).
    pub fn mul(&self) -> usize {
        self.mul
    }
    /// Components per channel, `2L+1`.
    pub fn dim(&self) -> usize {
        I::DIM
    }
    /// Numbers per row, `mul · (2L+1)`.
    pub fn row_len(&self) -> usize {
        self.mul * I::DIM
    }
    /// The run-time irrep.
    pub fn ir(&self) -> Ir {
        I::IR
    }
    /// The node on the tape.
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// The tape.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// The values, `[row][channel][component]`, for reading results.
    ///
    /// Reading is always allowed; *computing* with individual components of
    /// an L ≥ 1 feature is not (see [`crate::rules::r5_no_components`]):
    /// numbers read here cannot become a feature again except through
    /// [`crate::non_equivariant`], which says so at the call.
    pub fn data(&self) -> Rc<Vec<T>> {
        self.tape.value(self.id)
    }

    /// The values as `f64` (primal parts of dual numbers).
    pub fn to_f64(&self) -> Vec<f64> {
        self.data().iter().map(|x| x.value()).collect()
    }
}
