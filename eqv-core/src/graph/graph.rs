//! [`Graph`]: a batch on a tape, with the typed ways in and out of it.

use super::batch::Batch;
use super::scatter::{gather, inverse_counts, reduce, RowGroups};
use crate::dual::Dual;
use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar, Vector};
use crate::real::Real;
use crate::rules::{IsScalar, PositionsAreFeatures};
use crate::tape::{NodeId, Tape};
use std::cell::OnceCell;
use std::rc::Rc;

/// A homogeneous deformation of every structure, `r → r (I + ε)` for
/// positions and image shifts alike (row vectors): the tape node of `ε` and
/// its values, 9 per structure, row-major.
#[derive(Clone)]
struct Strain<T: Real> {
    id: NodeId,
    values: Rc<Vec<T>>,
}

/// The index arrays of a batch, shared with VJP closures.
struct Index {
    centers: Rc<[usize]>,
    neighbors: Rc<[usize]>,
    shifts: Rc<[[f64; 3]]>,
    atom_structure: Rc<[usize]>,
    species: Rc<[usize]>,
    num_structures: usize,
    volumes: Rc<[Option<f64>]>,
    atom_scalars: Option<(usize, Rc<[f64]>)>,
    structure_scalars: Option<(usize, Rc<[f64]>)>,
    /// When the batch has ghost atoms: what `sum_over_atoms` reduces.
    owned: Option<Owned>,
}

/// The atoms that are not ghosts ([`Batch::with_ghosts`]): their rows and
/// their structures.
struct Owned {
    rows: Rc<[usize]>,
    structure: Rc<[usize]>,
}

/// The typed view of a [`Batch`] on a tape: where a network reads geometry
/// and species, and how it moves information between atoms, edges and
/// structures.
///
/// Positions are a leaf on the tape (tracked by [`Graph::new`]), so forces
/// `F = −∂E/∂R` come from one backward pass. The network never sees them:
/// geometry enters only as [`edge_vectors`](Graph::edge_vectors) (rule 6),
/// and rows are combined only by gathers along edges and symmetric
/// reductions (rule 7).
///
/// ```
/// use eqv::prelude::*;
/// use eqv::graph::Batch;
/// let batch = Batch::from_positions(&[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]], &[0, 0], 2.0)?;
/// let tape = Tape::<f64>::new();
/// let g = Graph::new(&tape, &batch);
/// let d = g.edge_vectors().norm();             // [edges, 1] distances
/// let e = g.sum_over_atoms(g.scatter_sum(d));  // [structures, 1]
/// assert_eq!(e.to_f64(), vec![2.0]);
/// # Ok::<(), eqv::data::DataError>(())
/// ```
pub struct Graph<'t, T: Real = f64> {
    tape: &'t Tape<T>,
    /// The positions the network reads: the leaf itself, or the leaf
    /// deformed by the strain (`r (I + ε)`) when the graph has one.
    positions: Feat<'t, Vector, T>,
    /// The positions leaf (forces are its gradient).
    positions_leaf: NodeId,
    /// The strain leaf, 9 numbers `ε[a][b]` per structure, if any.
    strain: Option<Strain<T>>,
    index: Index,
    edge_vectors: OnceCell<Feat<'t, Vector, T>>,
    neighbor_counts: OnceCell<Rc<[T]>>,
}

impl<'t, T: Real> Graph<'t, T> {
    /// The batch on `tape`, positions as a tracked leaf (forces by backward).
    pub fn new(tape: &'t Tape<T>, batch: &Batch) -> Self {
        let p = batch
            .positions()
            .iter()
            .flatten()
            .map(|&x| T::from_f64(x))
            .collect();
        Self::from_positions(tape, batch, p)
    }

    /// The batch on `tape` with positions as an untracked input: for
    /// inference when no forces are wanted. On a [`Tape::inference`] tape
    /// no VJP is recorded at all.
    pub fn untracked(tape: &'t Tape<T>, batch: &Batch) -> Self {
        let p = batch
            .positions()
            .iter()
            .flatten()
            .map(|&x| T::from_f64(x))
            .collect();
        let pos = Feat::raw_input(tape, batch.num_atoms(), 1, p);
        Self::build(tape, batch, pos)
    }

    /// The batch's edges and species with positions given in `T` (flattened
    /// `[atom][xyz]`), as a tracked leaf. This is the generic way to seed
    /// positions with tangents: for `T = Dual<f64>`, `Dual(x, dx)` makes
    /// every value on the tape carry its directional derivative along `dx`
    /// (see [`Graph::with_position_tangent`]).
    ///
    /// # Panics
    /// If `positions.len() != 3 · batch.num_atoms()`.
    pub fn from_positions(tape: &'t Tape<T>, batch: &Batch, positions: Vec<T>) -> Self {
        assert_eq!(
            positions.len(),
            3 * batch.num_atoms(),
            "Graph::from_positions: {} numbers for {} atoms (need 3 per atom)",
            positions.len(),
            batch.num_atoms()
        );
        let pos = Feat::raw_variable(tape, batch.num_atoms(), 1, positions);
        Self::build(tape, batch, pos)
    }

    /// The batch on `tape` with positions *and* a strain `ε` of every
    /// structure as tracked leaves, at `ε = 0`: one backward pass then gives
    /// the forces and `∂E/∂ε`, from which
    /// [`energy_forces_stress`](super::energy_forces_stress) makes the
    /// virial and the stress.
    ///
    /// The strain deforms positions and image shifts alike, `r → r (I + ε)`,
    /// so every way a network can read geometry (edge vectors, centred
    /// positions) is differentiated exactly; the values on the tape are
    /// those of [`Graph::new`].
    pub fn with_strain(tape: &'t Tape<T>, batch: &Batch) -> Self {
        let p = batch
            .positions()
            .iter()
            .flatten()
            .map(|&x| T::from_f64(x))
            .collect();
        Self::strained(tape, batch, p, vec![T::ZERO; 9 * batch.num_structures()])
    }

    /// The batch with positions (flattened `[atom][xyz]`) and a strain
    /// (flattened `[structure][a][b]`, the deformation `r → r (I + ε)` of
    /// positions and image shifts) given in `T`, both tracked leaves. The
    /// generic constructor behind [`Graph::with_strain`]: for `T =
    /// Dual<f64>`, tangents on the strain carry the derivative of everything
    /// along a deformation (see [`Graph::with_tangents`]). A nonzero strain
    /// deforms the structure; the edges stay those of the batch.
    ///
    /// # Panics
    /// If `positions.len() != 3 · atoms` or `strain.len() != 9 · structures`.
    pub fn strained(tape: &'t Tape<T>, batch: &Batch, positions: Vec<T>, strain: Vec<T>) -> Self {
        Self::strained_leaves(tape, batch, (positions, strain), true)
    }

    /// [`Graph::strained`] with the positions and the strain tracked
    /// leaves (`tracked`) or untracked inputs.
    fn strained_leaves(
        tape: &'t Tape<T>,
        batch: &Batch,
        (positions, strain): (Vec<T>, Vec<T>),
        tracked: bool,
    ) -> Self {
        let (n, ns) = (batch.num_atoms(), batch.num_structures());
        assert_eq!(
            positions.len(),
            3 * n,
            "Graph::strained: {} position numbers for {n} atoms (need 3 per atom)",
            positions.len()
        );
        assert_eq!(
            strain.len(),
            9 * ns,
            "Graph::strained: {} strain numbers for {ns} structures (need 9 per structure)",
            strain.len()
        );
        let (leaf, eid) = if tracked {
            let leaf = Feat::<Vector, T>::raw_variable(tape, n, 1, positions);
            (leaf, tape.variable(strain))
        } else {
            let leaf = Feat::<Vector, T>::raw_input(tape, n, 1, positions);
            (leaf, tape.constant(strain))
        };
        let eps = tape.value(eid);
        let (pid, p) = (leaf.id(), leaf.data());
        let owner: Rc<[usize]> = Rc::from(batch.atom_structure());
        // r'_ib = r_ib + Σ_a r_ia ε_ab (ε of atom i's structure).
        let mut y = Vec::with_capacity(3 * n);
        for i in 0..n {
            let e = &eps[9 * owner[i]..9 * owner[i] + 9];
            for b in 0..3 {
                let mut v = p[3 * i + b];
                for a in 0..3 {
                    v += p[3 * i + a] * e[3 * a + b];
                }
                y.push(v);
            }
        }
        let (e2, p2) = (eps.clone(), p.clone());
        let deformed = Feat::from_op(tape, n, 1, y, &[pid, eid], move |gy, g| {
            if g.wants(pid) {
                let gp = g.acc(pid);
                for i in 0..n {
                    let e = &e2[9 * owner[i]..9 * owner[i] + 9];
                    for a in 0..3 {
                        let mut v = gy[3 * i + a];
                        for b in 0..3 {
                            v += e[3 * a + b] * gy[3 * i + b];
                        }
                        gp[3 * i + a] += v;
                    }
                }
            }
            if g.wants(eid) {
                let ge = g.acc(eid);
                for i in 0..n {
                    let s = owner[i];
                    for a in 0..3 {
                        for b in 0..3 {
                            ge[9 * s + 3 * a + b] += p2[3 * i + a] * gy[3 * i + b];
                        }
                    }
                }
            }
        });
        let mut graph = Self::build(tape, batch, deformed);
        graph.positions_leaf = pid;
        graph.strain = Some(Strain {
            id: eid,
            values: eps,
        });
        graph
    }

    fn build(tape: &'t Tape<T>, batch: &Batch, positions: Feat<'t, Vector, T>) -> Self {
        Graph {
            tape,
            positions,
            positions_leaf: positions.id(),
            strain: None,
            index: Index {
                centers: Rc::from(batch.centers()),
                neighbors: Rc::from(batch.neighbors()),
                shifts: Rc::from(batch.shifts()),
                atom_structure: Rc::from(batch.atom_structure()),
                species: Rc::from(batch.species()),
                num_structures: batch.num_structures(),
                volumes: (0..batch.num_structures())
                    .map(|s| batch.volume(s))
                    .collect(),
                atom_scalars: batch.atom_scalars().map(|(c, v)| (c, Rc::from(v))),
                structure_scalars: batch.structure_scalars().map(|(c, v)| (c, Rc::from(v))),
                owned: batch.ghosts().map(|ghost| {
                    let rows: Rc<[usize]> = (0..ghost.len()).filter(|&i| !ghost[i]).collect();
                    let structure = rows.iter().map(|&i| batch.atom_structure()[i]).collect();
                    Owned { rows, structure }
                }),
            },
            edge_vectors: OnceCell::new(),
            neighbor_counts: OnceCell::new(),
        }
    }

    /// The tape.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }
    /// Number of atoms (all structures).
    pub fn num_atoms(&self) -> usize {
        self.positions.rows()
    }
    /// Number of directed edges.
    pub fn num_edges(&self) -> usize {
        self.index.centers.len()
    }
    /// Number of structures.
    pub fn num_structures(&self) -> usize {
        self.index.num_structures
    }
    /// Source atom of each edge.
    pub fn centers(&self) -> &[usize] {
        &self.index.centers
    }
    /// Target atom of each edge.
    pub fn neighbors(&self) -> &[usize] {
        &self.index.neighbors
    }
    /// Which structure each atom belongs to.
    pub fn atom_structure(&self) -> &[usize] {
        &self.index.atom_structure
    }
    /// The cell volume of each structure (Å³), `None` unless its cell is
    /// periodic in all three directions ([`Batch::cells`]).
    pub fn volumes(&self) -> &[Option<f64>] {
        &self.index.volumes
    }
    /// Species index of each atom.
    pub fn species(&self) -> &[usize] {
        &self.index.species
    }

    /// The positions leaf: `tape.backward(..).get(g.positions_leaf())` is
    /// `∂(seed·output)/∂R`, `[atom][xyz]`.
    pub fn positions_leaf(&self) -> NodeId {
        self.positions_leaf
    }

    /// The strain leaf of a graph made with [`Graph::with_strain`] or
    /// [`Graph::strained`]: `tape.backward(..).get(id)` is `∂(seed·output)/∂ε`,
    /// 9 numbers `[structure][a][b]`. `None` for other graphs.
    pub fn strain_leaf(&self) -> Option<NodeId> {
        self.strain.as_ref().map(|s| s.id)
    }

    /// The relative vector of every edge, `r_j − r_i + shift` (rows =
    /// edges, one `Vector` channel): the only way geometry enters a network.
    ///
    /// Unchanged by translations, rotated and reflected with the structure,
    /// renumbered with its atoms — a genuine `Vector`. Computed once per
    /// graph; later calls return the same feature.
    pub fn edge_vectors(&self) -> Feat<'t, Vector, T> {
        *self.edge_vectors.get_or_init(|| {
            let (c, n, s) = (
                self.index.centers.clone(),
                self.index.neighbors.clone(),
                self.index.shifts.clone(),
            );
            let p = self.positions.data();
            let mut y = Vec::with_capacity(3 * c.len());
            for k in 0..c.len() {
                let (i, j) = (c[k], n[k]);
                for a in 0..3 {
                    y.push(p[3 * j + a] - p[3 * i + a] + T::from_f64(s[k][a]));
                }
            }
            let pid = self.positions.id();
            let Some(strain) = self.strain.clone() else {
                return Feat::from_op(self.tape, c.len(), 1, y, &[pid], move |gy, g| {
                    if g.wants(pid) {
                        let gp = g.acc(pid);
                        for k in 0..c.len() {
                            let (i, j) = (c[k], n[k]);
                            for a in 0..3 {
                                gp[3 * j + a] += gy[3 * k + a];
                                gp[3 * i + a] -= gy[3 * k + a];
                            }
                        }
                    }
                });
            };
            // The image shift deforms with the cell: s_k (I + ε), so the
            // strain's gradient gains Σ_k s_k ⊗ ∂E/∂e_k (the positions part
            // comes through the deformed positions).
            let owner = self.index.atom_structure.clone();
            let eps = strain.values;
            for k in 0..c.len() {
                let e = &eps[9 * owner[c[k]]..9 * owner[c[k]] + 9];
                for b in 0..3 {
                    let mut v = T::ZERO;
                    for a in 0..3 {
                        v += T::from_f64(s[k][a]) * e[3 * a + b];
                    }
                    y[3 * k + b] += v;
                }
            }
            let eid = strain.id;
            Feat::from_op(self.tape, c.len(), 1, y, &[pid, eid], move |gy, g| {
                if g.wants(pid) {
                    let gp = g.acc(pid);
                    for k in 0..c.len() {
                        let (i, j) = (c[k], n[k]);
                        for a in 0..3 {
                            gp[3 * j + a] += gy[3 * k + a];
                            gp[3 * i + a] -= gy[3 * k + a];
                        }
                    }
                }
                if g.wants(eid) {
                    let ge = g.acc(eid);
                    for k in 0..c.len() {
                        let o = 9 * owner[c[k]];
                        for a in 0..3 {
                            let sa = T::from_f64(s[k][a]);
                            for b in 0..3 {
                                ge[o + 3 * a + b] += sa * gy[3 * k + b];
                            }
                        }
                    }
                }
            })
        })
    }

    /// Absolute positions as a feature: never compiles (rule 6). Absolute
    /// positions change when the structure is translated, so they are not a
    /// `Vector`; use [`edge_vectors`](Graph::edge_vectors), or knowingly
    /// [`crate::non_equivariant::positions`].
    pub fn positions(&self) -> Feat<'t, Vector, T>
    where
        Self: PositionsAreFeatures,
    {
        self.positions
    }

    /// The positions leaf as a feature, for [`crate::non_equivariant`].
    pub(crate) fn positions_unchecked(&self) -> Feat<'t, Vector, T> {
        self.positions
    }

    fn check_rows<I: Irrep>(&self, x: &Feat<'t, I, T>, rows: usize, what: &str, op: &str) {
        assert!(
            std::ptr::eq(x.tape(), self.tape),
            "Graph::{op}: feature lives on another tape"
        );
        assert_eq!(
            x.rows(),
            rows,
            "Graph::{op}: expects one row per {what} ({rows}), got {} rows",
            x.rows()
        );
    }

    /// The centre atom of each edge, shared (for ops that keep it).
    pub(crate) fn centers_rc(&self) -> Rc<[usize]> {
        self.index.centers.clone()
    }

    /// The neighbour atom of each edge, shared (for ops that keep it).
    pub(crate) fn neighbors_rc(&self) -> Rc<[usize]> {
        self.index.neighbors.clone()
    }

    /// Atom features → edge features: row `k` is the row of edge `k`'s
    /// center atom `i`.
    ///
    /// # Panics
    /// If `x` does not have one row per atom.
    pub fn gather_centers<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_atoms(), "atom", "gather_centers");
        gather(x, self.index.centers.clone())
    }

    /// Atom features → edge features: row `k` is the row of edge `k`'s
    /// neighbour atom `j` (the message source in NequIP-style convolutions).
    ///
    /// # Panics
    /// If `x` does not have one row per atom.
    pub fn gather_neighbors<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_atoms(), "atom", "gather_neighbors");
        gather(x, self.index.neighbors.clone())
    }

    /// Edge features → atom features: each atom receives the sum over the
    /// edges it is the center of (zero for an atom without edges). A
    /// symmetric reduction (rule 7).
    ///
    /// # Panics
    /// If `x` does not have one row per edge.
    pub fn scatter_sum<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_edges(), "edge", "scatter_sum");
        reduce(x, self.index.centers.clone(), self.num_atoms(), None)
    }

    /// Like [`scatter_sum`](Graph::scatter_sum), divided by the number of
    /// neighbours (the tutorial's "mean over neighbours"; zero for an atom
    /// without edges).
    ///
    /// # Panics
    /// If `x` does not have one row per edge.
    pub fn scatter_mean<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_edges(), "edge", "scatter_mean");
        let w = self
            .neighbor_counts
            .get_or_init(|| inverse_counts(&self.index.centers, self.num_atoms()))
            .clone();
        reduce(x, self.index.centers.clone(), self.num_atoms(), Some(w))
    }

    /// Edge features → atom features: each atom receives, channel by
    /// channel, the largest value over the edges it is the center of (zero
    /// for an atom without edges). Symmetric (rule 7), and only for
    /// invariants (rule 1): the max of each component of a vector depends on
    /// the axes. The gradient flows to the largest entry (the first, on a
    /// tie).
    ///
    /// # Panics
    /// If `x` does not have one row per edge.
    pub fn scatter_max<I: IsScalar>(&self, x: Feat<'t, I, T>) -> Feat<'t, Scalar, T> {
        let x: Feat<'t, Scalar, T> = I::as_scalar(x);
        self.check_rows(&x, self.num_edges(), "edge", "scatter_max");
        let (na, mul) = (self.num_atoms(), x.mul());
        let xv = x.data();
        let mut arg: Vec<Option<usize>> = vec![None; na * mul];
        for (k, &i) in self.index.centers.iter().enumerate() {
            for c in 0..mul {
                let slot = &mut arg[i * mul + c];
                if slot.is_none_or(|best| xv[k * mul + c] > xv[best * mul + c]) {
                    *slot = Some(k);
                }
            }
        }
        let y: Vec<T> = arg
            .iter()
            .enumerate()
            .map(|(o, a)| a.map_or(T::ZERO, |k| xv[k * mul + o % mul]))
            .collect();
        let xid = x.id();
        Feat::from_op(self.tape, na, mul, y, &[xid], move |gy, g| {
            if g.wants(xid) {
                let gx = g.acc(xid);
                for (o, a) in arg.iter().enumerate() {
                    if let Some(k) = a {
                        gx[k * mul + o % mul] += gy[o];
                    }
                }
            }
        })
    }

    /// Atom features → structure features: the sum over each structure's
    /// atoms (an energy from atomic energies). A symmetric reduction.
    ///
    /// Ghost atoms ([`Batch::with_ghosts`]) are left out: their rows count
    /// on the rank or image that owns them.
    ///
    /// # Panics
    /// If `x` does not have one row per atom.
    pub fn sum_over_atoms<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_atoms(), "atom", "sum_over_atoms");
        if let Some(owned) = &self.index.owned {
            return reduce(
                gather(x, owned.rows.clone()),
                owned.structure.clone(),
                self.num_structures(),
                None,
            );
        }
        reduce(
            x,
            self.index.atom_structure.clone(),
            self.num_structures(),
            None,
        )
    }

    /// Like [`sum_over_atoms`](Graph::sum_over_atoms), divided by each
    /// structure's atom count (zero for an empty structure).
    ///
    /// # Panics
    /// If `x` does not have one row per atom.
    pub fn mean_over_atoms<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_atoms(), "atom", "mean_over_atoms");
        let mut count = vec![0usize; self.num_structures()];
        for &s in self.index.atom_structure.iter() {
            count[s] += 1;
        }
        let w: Rc<[T]> = count
            .iter()
            .map(|&c| {
                if c == 0 {
                    T::ZERO
                } else {
                    T::from_f64(1.0 / c as f64)
                }
            })
            .collect();
        reduce(
            x,
            self.index.atom_structure.clone(),
            self.num_structures(),
            Some(w),
        )
    }

    /// Each atom's structure, as a grouping for
    /// [`sum_rows_by`](super::sum_rows_by) / [`mean_rows_by`](super::mean_rows_by)
    /// (the same reduction as [`sum_over_atoms`](Graph::sum_over_atoms)).
    pub fn atoms_to_structures(&self) -> RowGroups {
        RowGroups {
            index: self.index.atom_structure.clone(),
            groups: self.num_structures(),
            what: "atoms -> structures",
        }
    }

    /// Each edge's center atom, as a grouping for
    /// [`sum_rows_by`](super::sum_rows_by) / [`mean_rows_by`](super::mean_rows_by)
    /// (the same reduction as [`scatter_sum`](Graph::scatter_sum)).
    pub fn edges_to_centers(&self) -> RowGroups {
        RowGroups {
            index: self.index.centers.clone(),
            groups: self.num_atoms(),
            what: "edges -> center atoms",
        }
    }

    /// Per-structure features → per-atom features: every atom receives its
    /// structure's row (the transpose of
    /// [`sum_over_atoms`](Graph::sum_over_atoms)). Equivariant for every
    /// irrep: a structure's value is shared by all its atoms whatever their
    /// numbering. With [`mean_over_atoms`](Graph::mean_over_atoms) it gives
    /// centroid-relative quantities, e.g. a dipole `Σ q_i (r_i − r̄)` from
    /// atom-centred vectors.
    ///
    /// # Panics
    /// If `x` does not have one row per structure.
    pub fn broadcast_to_atoms<I: Irrep>(&self, x: Feat<'t, I, T>) -> Feat<'t, I, T> {
        self.check_rows(&x, self.num_structures(), "structure", "broadcast_to_atoms");
        gather(x, self.index.atom_structure.clone())
    }

    /// The positions of the atoms relative to the centroid of their
    /// structure, `r_i − r̄` (rows = atoms, one `Vector` channel): unchanged
    /// by translations, rotated and reflected with the structure, renumbered
    /// with its atoms — a genuine `Vector`, unlike the positions themselves
    /// (rule 6). Gradients flow to the positions.
    pub fn centered_positions(&self) -> Feat<'t, Vector, T> {
        let p = self.positions;
        p - self.broadcast_to_atoms(self.mean_over_atoms(p))
    }

    /// The per-atom invariant properties of the batch
    /// ([`Batch::with_atom_scalars`]) as a `Scalar` feature `[atoms,
    /// channels]` (an untracked input).
    ///
    /// # Panics
    /// If the batch has none.
    pub fn atom_scalars(&self) -> Feat<'t, Scalar, T> {
        let (c, v) = self.index.atom_scalars.as_ref().expect(
            "Graph::atom_scalars: the batch has no per-atom properties (Batch::with_atom_scalars)",
        );
        Feat::raw_input(
            self.tape,
            self.num_atoms(),
            *c,
            v.iter().map(|&x| T::from_f64(x)).collect(),
        )
    }

    /// The per-structure invariant properties of the batch
    /// ([`Batch::with_structure_scalars`]) as a `Scalar` feature
    /// `[structures, channels]` (an untracked input).
    ///
    /// # Panics
    /// If the batch has none.
    pub fn structure_scalars(&self) -> Feat<'t, Scalar, T> {
        let (c, v) = self.index.structure_scalars.as_ref().expect(
            "Graph::structure_scalars: the batch has no per-structure properties (Batch::with_structure_scalars)",
        );
        Feat::raw_input(
            self.tape,
            self.num_structures(),
            *c,
            v.iter().map(|&x| T::from_f64(x)).collect(),
        )
    }

    /// The species of every atom as a one-hot `Scalar` feature `[atoms,
    /// n_species]` (an untracked input: species are labels, invariant under
    /// every symmetry).
    ///
    /// # Panics
    /// If a species index is `>= n_species` (the model was built for fewer
    /// species than the data has).
    pub fn species_one_hot(&self, n_species: usize) -> Feat<'t, Scalar, T> {
        let mut y = vec![T::ZERO; self.num_atoms() * n_species];
        for (a, &s) in self.index.species.iter().enumerate() {
            assert!(
                s < n_species,
                "species_one_hot: atom {a} has species index {s}, but the model knows {n_species} species"
            );
            y[a * n_species + s] = T::ONE;
        }
        Feat::raw_input(self.tape, self.num_atoms(), n_species, y)
    }
}

impl<'t, T: Real> Graph<'t, Dual<T>> {
    /// The batch on a dual-number tape with positions `Dual(R, direction)`:
    /// every value then carries its derivative along `direction`, and a
    /// backward pass gives, in the tangent parts of parameter gradients,
    /// `∂/∂θ (direction · ∂E/∂R)` — the mixed second derivative a force loss
    /// needs (see [`super::energy_force_gradient`]).
    ///
    /// # Panics
    /// If `direction.len() != batch.num_atoms()`.
    pub fn with_position_tangent(
        tape: &'t Tape<Dual<T>>,
        batch: &Batch,
        direction: &[[f64; 3]],
    ) -> Self {
        let p = Self::tangent_positions(batch, direction);
        Self::from_positions(tape, batch, p)
    }

    /// `Dual(R, direction)` for every coordinate, atom-major.
    fn tangent_positions(batch: &Batch, direction: &[[f64; 3]]) -> Vec<Dual<T>> {
        assert_eq!(
            direction.len(),
            batch.num_atoms(),
            "Graph::with_position_tangent: {} directions for {} atoms",
            direction.len(),
            batch.num_atoms()
        );
        batch
            .positions()
            .iter()
            .flatten()
            .zip(direction.iter().flatten())
            .map(|(&x, &d)| Dual::new(T::from_f64(x), T::from_f64(d)))
            .collect()
    }

    /// [`Graph::with_position_tangent`] with the positions an untracked
    /// input: the tangents flow forward as there, but a backward pass stops
    /// at the parameters. The force-training pass needs only parameter
    /// gradients; with tracked positions it would also pull back through
    /// the harmonics, the radial basis and the edge inputs of every
    /// convolution, work whose result nobody reads.
    ///
    /// # Panics
    /// If `direction.len() != batch.num_atoms()`.
    pub(crate) fn with_untracked_position_tangent(
        tape: &'t Tape<Dual<T>>,
        batch: &Batch,
        direction: &[[f64; 3]],
    ) -> Self {
        let p = Self::tangent_positions(batch, direction);
        let pos = Feat::raw_input(tape, batch.num_atoms(), 1, p);
        Self::build(tape, batch, pos)
    }

    /// The batch on a dual-number tape with positions `Dual(R, direction)`
    /// and a strain `Dual(0, strain_direction)` of every structure (9
    /// numbers `[a][b]` per structure, the deformation `r → r (I + ε)`):
    /// every value carries its derivative along the joint direction, and a
    /// backward pass gives, in the tangent parts of parameter gradients,
    /// `∂/∂θ (direction · ∂E/∂R + strain_direction : ∂E/∂ε)` — the mixed
    /// second derivatives a force *and stress* loss needs (see
    /// [`super::energy_force_stress_gradient`]).
    ///
    /// # Panics
    /// If `direction.len() != batch.num_atoms()` or
    /// `strain_direction.len() != batch.num_structures()`.
    pub fn with_tangents(
        tape: &'t Tape<Dual<T>>,
        batch: &Batch,
        direction: &[[f64; 3]],
        strain_direction: &[[[f64; 3]; 3]],
    ) -> Self {
        Self::tangent_leaves(tape, batch, (direction, strain_direction), true)
    }

    /// [`Graph::with_tangents`] with positions and strain untracked inputs
    /// (see [`Graph::with_untracked_position_tangent`]).
    ///
    /// # Panics
    /// As [`Graph::with_tangents`].
    pub(crate) fn with_untracked_tangents(
        tape: &'t Tape<Dual<T>>,
        batch: &Batch,
        direction: &[[f64; 3]],
        strain_direction: &[[[f64; 3]; 3]],
    ) -> Self {
        Self::tangent_leaves(tape, batch, (direction, strain_direction), false)
    }

    /// The positions and strain of [`Graph::with_tangents`], tracked or not.
    fn tangent_leaves(
        tape: &'t Tape<Dual<T>>,
        batch: &Batch,
        (direction, strain_direction): (&[[f64; 3]], &[[[f64; 3]; 3]]),
        tracked: bool,
    ) -> Self {
        assert_eq!(
            direction.len(),
            batch.num_atoms(),
            "Graph::with_tangents: {} directions for {} atoms",
            direction.len(),
            batch.num_atoms()
        );
        assert_eq!(
            strain_direction.len(),
            batch.num_structures(),
            "Graph::with_tangents: {} strain directions for {} structures",
            strain_direction.len(),
            batch.num_structures()
        );
        let p = batch
            .positions()
            .iter()
            .flatten()
            .zip(direction.iter().flatten())
            .map(|(&x, &d)| Dual::new(T::from_f64(x), T::from_f64(d)))
            .collect();
        let e = strain_direction
            .iter()
            .flatten()
            .flatten()
            .map(|&d| Dual::new(T::ZERO, T::from_f64(d)))
            .collect();
        Self::strained_leaves(tape, batch, (p, e), tracked)
    }
}
