//! Many structures of different sizes batched into one graph.
//!
//! Networks run on a whole batch at once: the atoms of all structures are
//! concatenated, edges are re-indexed into the concatenation, and
//! `atom_structure` remembers which structure each atom belongs to, so that
//! per-structure sums (energies) are one symmetric reduction. Structures
//! never share an edge, so a batch is exactly as equivariant as its parts.
//!
//! A [`Batch`] is plain `f64` data with no tape; [`Graph`](super::Graph)
//! puts it on a tape for one forward pass.

use crate::data::{DataError, Frame, NeighborList, SpeciesMap};
use std::ops::Range;

/// Concatenated structures: positions, species, edges and optional targets.
///
/// Invariants (checked by every constructor): per-atom arrays have one entry
/// per atom, edge arrays one entry per edge, every edge joins two atoms of
/// the same structure, and every number is finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    positions: Vec<[f64; 3]>,
    species: Vec<usize>,
    atom_structure: Vec<usize>,
    first_atom: Vec<usize>,
    centers: Vec<usize>,
    neighbors: Vec<usize>,
    shifts: Vec<[f64; 3]>,
    energies: Option<Vec<f64>>,
    forces: Option<Vec<[f64; 3]>>,
    /// One per structure: the lattice vectors (rows) of a cell periodic in
    /// all three directions, `None` otherwise.
    cells: Vec<Option<Cell>>,
    /// One per structure: the target stress (eV/Å³), `None` if unlabelled.
    stresses: Vec<Option<Cell>>,
    atom_scalars: Option<Properties>,
    structure_scalars: Option<Properties>,
    /// One per atom when some atoms are ghosts (see [`Batch::with_ghosts`]).
    ghosts: Option<Vec<bool>>,
}

/// A 3×3 matrix: lattice vectors as rows, or a stress tensor.
type Cell = [[f64; 3]; 3];

/// The determinant `a · (b × c)` of the rows; its magnitude is the volume.
fn det3(m: &Cell) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Invariant properties: `channels` numbers per row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Properties {
    pub(crate) channels: usize,
    pub(crate) values: Vec<f64>,
}

impl Properties {
    fn concat(parts: Vec<Option<&Properties>>) -> Option<Properties> {
        let first = (*parts.first()?)?;
        let channels = first.channels;
        let mut values = Vec::new();
        for p in parts {
            let p = p.filter(|p| p.channels == channels)?;
            values.extend_from_slice(&p.values);
        }
        Some(Properties { channels, values })
    }
}

fn finite3(v: &[[f64; 3]]) -> Option<usize> {
    v.iter().position(|p| p.iter().any(|x| !x.is_finite()))
}

impl Batch {
    /// A batch from raw arrays.
    ///
    /// * `positions`, `species`: one entry per atom, structures concatenated;
    /// * `atoms_per_structure`: how many atoms each structure has (in order;
    ///   they must add up to the number of atoms; zero-atom structures are
    ///   allowed and get zero energy);
    /// * `centers`, `neighbors`, `shifts`: the directed edges, with atom
    ///   indices into the concatenation; edge `k`'s vector is
    ///   `positions[neighbors[k]] − positions[centers[k]] + shifts[k]`.
    ///
    /// Fails (never panics) if the arrays are inconsistent, an index is out
    /// of range, an edge joins two structures, or a number is not finite.
    pub fn new(
        positions: Vec<[f64; 3]>,
        species: Vec<usize>,
        atoms_per_structure: Vec<usize>,
        centers: Vec<usize>,
        neighbors: Vec<usize>,
        shifts: Vec<[f64; 3]>,
    ) -> Result<Batch, DataError> {
        let n = positions.len();
        if species.len() != n {
            return Err(DataError::invalid(format!(
                "batch has {} species for {n} atoms",
                species.len()
            )));
        }
        let total: usize = atoms_per_structure.iter().sum();
        if total != n {
            return Err(DataError::invalid(format!(
                "atoms per structure add up to {total}, but the batch has {n} atoms"
            )));
        }
        if centers.len() != neighbors.len() || centers.len() != shifts.len() {
            return Err(DataError::invalid(format!(
                "edge arrays differ in length: {} centers, {} neighbors, {} shifts",
                centers.len(),
                neighbors.len(),
                shifts.len()
            )));
        }
        if let Some(i) = finite3(&positions) {
            return Err(DataError::invalid(format!(
                "position of atom {i} is not finite"
            )));
        }
        if let Some(k) = finite3(&shifts) {
            return Err(DataError::invalid(format!(
                "shift of edge {k} is not finite"
            )));
        }
        let mut first_atom = Vec::with_capacity(atoms_per_structure.len() + 1);
        let mut atom_structure = Vec::with_capacity(n);
        first_atom.push(0);
        for (s, &count) in atoms_per_structure.iter().enumerate() {
            atom_structure.extend(std::iter::repeat_n(s, count));
            first_atom.push(atom_structure.len());
        }
        for (k, (&i, &j)) in centers.iter().zip(&neighbors).enumerate() {
            if i >= n || j >= n {
                return Err(DataError::invalid(format!(
                    "edge {k} ({i} -> {j}) refers to an atom outside 0..{n}"
                )));
            }
            if atom_structure[i] != atom_structure[j] {
                return Err(DataError::invalid(format!(
                    "edge {k} joins atom {i} (structure {}) and atom {j} (structure {})",
                    atom_structure[i], atom_structure[j]
                )));
            }
        }
        Ok(Batch {
            positions,
            species,
            atom_structure,
            first_atom,
            centers,
            neighbors,
            shifts,
            energies: None,
            forces: None,
            cells: vec![None; atoms_per_structure.len()],
            stresses: vec![None; atoms_per_structure.len()],
            atom_scalars: None,
            structure_scalars: None,
            ghosts: None,
        })
    }

    /// One finite cluster (no cell, no periodicity), edges from a neighbour
    /// list with the given cutoff. Handy for tests and examples.
    ///
    /// ```
    /// use eqv::graph::Batch;
    /// let b = Batch::from_positions(&[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [5.0, 0.0, 0.0]], &[0, 1, 0], 2.0)?;
    /// assert_eq!((b.num_atoms(), b.num_edges(), b.num_structures()), (3, 2, 1));
    /// # Ok::<(), eqv::data::DataError>(())
    /// ```
    pub fn from_positions(
        positions: &[[f64; 3]],
        species: &[usize],
        cutoff: f64,
    ) -> Result<Batch, DataError> {
        Self::from_structure(positions, species, None, [false; 3], cutoff)
    }

    /// One structure, finite or periodic (`cell` rows are lattice vectors,
    /// read along directions where `pbc` is true), edges from a neighbour
    /// list with the given cutoff.
    pub fn from_structure(
        positions: &[[f64; 3]],
        species: &[usize],
        cell: Option<&[[f64; 3]; 3]>,
        pbc: [bool; 3],
        cutoff: f64,
    ) -> Result<Batch, DataError> {
        let nl = NeighborList::build(positions, cell, pbc, cutoff)?;
        let b = Self::from_neighbor_list(positions, species, &nl)?;
        match cell {
            Some(c) if pbc == [true; 3] => b.with_cells(vec![Some(*c)]),
            _ => Ok(b),
        }
    }

    fn from_neighbor_list(
        positions: &[[f64; 3]],
        species: &[usize],
        nl: &NeighborList,
    ) -> Result<Batch, DataError> {
        Batch::new(
            positions.to_vec(),
            species.to_vec(),
            vec![positions.len()],
            nl.centers.iter().map(|&i| i as usize).collect(),
            nl.neighbors.iter().map(|&j| j as usize).collect(),
            nl.shifts.clone(),
        )
    }

    /// Frames batched into one graph, edges from each frame's neighbour list
    /// (periodic images included), species indices from `species`, and the
    /// frames' energies and forces as targets when *every* frame has them.
    ///
    /// The cell of a frame periodic in all three directions is kept (for
    /// the stress, [`Graph::with_strain`](super::Graph::with_strain)), and
    /// so is its stress label: `stress`, or `−virial / V` when only the
    /// virial is given. Stress labels of other frames are ignored: a stress
    /// needs a volume.
    ///
    /// Fails if a frame is malformed, an element is missing from `species`,
    /// or the cutoff is not positive.
    pub fn from_frames(
        frames: &[Frame],
        cutoff: f64,
        species: &SpeciesMap,
    ) -> Result<Batch, DataError> {
        let mut parts = Vec::with_capacity(frames.len());
        for (f, frame) in frames.iter().enumerate() {
            frame
                .validate()
                .map_err(|e| DataError::invalid(format!("frame {f}: {e}")))?;
            let idx = species
                .indices(frame)
                .map_err(|e| DataError::invalid(format!("frame {f}: {e}")))?;
            let nl = NeighborList::from_frame(frame, cutoff)?;
            let mut b = Self::from_neighbor_list(&frame.positions, &idx, &nl)?;
            b.energies = frame.energy.map(|e| vec![e]);
            b.forces = frame.forces.clone();
            if let (Some(cell), [true, true, true]) = (frame.cell, frame.pbc) {
                let volume = det3(&cell).abs();
                let stress = frame
                    .stress
                    .or_else(|| frame.virial.map(|w| w.map(|row| row.map(|x| -x / volume))));
                b = b
                    .with_cells(vec![Some(cell)])
                    .and_then(|b| b.with_stresses(vec![stress]))
                    .map_err(|e| DataError::invalid(format!("frame {f}: {e}")))?;
            }
            parts.push(b);
        }
        Ok(Batch::concat(&parts))
    }

    /// Several batches as one: atoms, edges and structures concatenated in
    /// order, edge indices offset. Targets are kept only if every part has
    /// them.
    pub fn concat(parts: &[Batch]) -> Batch {
        let mut out = Batch {
            positions: Vec::new(),
            species: Vec::new(),
            atom_structure: Vec::new(),
            first_atom: vec![0],
            centers: Vec::new(),
            neighbors: Vec::new(),
            shifts: Vec::new(),
            energies: parts.iter().all(|p| p.energies.is_some()).then(Vec::new),
            forces: parts.iter().all(|p| p.forces.is_some()).then(Vec::new),
            cells: parts.iter().flat_map(|p| p.cells.iter().copied()).collect(),
            stresses: parts
                .iter()
                .flat_map(|p| p.stresses.iter().copied())
                .collect(),
            atom_scalars: Properties::concat(
                parts.iter().map(|p| p.atom_scalars.as_ref()).collect(),
            ),
            structure_scalars: Properties::concat(
                parts.iter().map(|p| p.structure_scalars.as_ref()).collect(),
            ),
            ghosts: parts.iter().any(|p| p.ghosts.is_some()).then(|| {
                parts
                    .iter()
                    .flat_map(|p| match &p.ghosts {
                        Some(g) => g.clone(),
                        None => vec![false; p.num_atoms()],
                    })
                    .collect()
            }),
        };
        for p in parts {
            let (a0, s0) = (out.positions.len(), out.num_structures());
            out.positions.extend_from_slice(&p.positions);
            out.species.extend_from_slice(&p.species);
            out.atom_structure
                .extend(p.atom_structure.iter().map(|s| s + s0));
            out.first_atom
                .extend(p.first_atom[1..].iter().map(|a| a + a0));
            out.centers.extend(p.centers.iter().map(|i| i + a0));
            out.neighbors.extend(p.neighbors.iter().map(|j| j + a0));
            out.shifts.extend_from_slice(&p.shifts);
            if let (Some(e), Some(pe)) = (&mut out.energies, &p.energies) {
                e.extend_from_slice(pe);
            }
            if let (Some(f), Some(pf)) = (&mut out.forces, &p.forces) {
                f.extend_from_slice(pf);
            }
        }
        out
    }

    /// Sets the cell of each structure: lattice vectors as rows for a cell
    /// periodic in all three directions (what a stress needs), `None` for a
    /// finite or partly periodic structure. Edges are not rebuilt: the
    /// shifts already hold the images.
    ///
    /// Fails on a count other than one per structure, a non-finite cell, or
    /// a cell of zero volume.
    pub fn with_cells(mut self, cells: Vec<Option<[[f64; 3]; 3]>>) -> Result<Batch, DataError> {
        if cells.len() != self.num_structures() {
            return Err(DataError::invalid(format!(
                "{} cells for {} structures",
                cells.len(),
                self.num_structures()
            )));
        }
        for (s, c) in cells.iter().enumerate() {
            if let Some(c) = c {
                if c.iter().flatten().any(|x| !x.is_finite()) {
                    return Err(DataError::invalid(format!(
                        "cell of structure {s} is not finite"
                    )));
                }
                let v = det3(c).abs();
                if v <= 1e-12 {
                    return Err(DataError::invalid(format!(
                        "cell of structure {s} has zero volume ({v} Å³)"
                    )));
                }
            }
        }
        self.cells = cells;
        Ok(self)
    }

    /// Sets the target stress of each structure (eV/Å³, ASE's sign: positive
    /// under tension), `None` where unlabelled.
    ///
    /// Fails on a count other than one per structure, a non-finite entry,
    /// or a stress on a structure without a periodic cell
    /// ([`Batch::with_cells`]).
    pub fn with_stresses(
        mut self,
        stresses: Vec<Option<[[f64; 3]; 3]>>,
    ) -> Result<Batch, DataError> {
        if stresses.len() != self.num_structures() {
            return Err(DataError::invalid(format!(
                "{} target stresses for {} structures",
                stresses.len(),
                self.num_structures()
            )));
        }
        for (s, t) in stresses.iter().enumerate() {
            if let Some(t) = t {
                if t.iter().flatten().any(|x| !x.is_finite()) {
                    return Err(DataError::invalid(format!(
                        "target stress of structure {s} is not finite"
                    )));
                }
                if self.cells[s].is_none() {
                    return Err(DataError::invalid(format!(
                        "structure {s} has a target stress but no periodic cell: a stress needs a volume"
                    )));
                }
            }
        }
        self.stresses = stresses;
        Ok(self)
    }

    /// Sets the target energies, one per structure.
    pub fn with_energies(mut self, energies: Vec<f64>) -> Result<Batch, DataError> {
        if energies.len() != self.num_structures() {
            return Err(DataError::invalid(format!(
                "{} target energies for {} structures",
                energies.len(),
                self.num_structures()
            )));
        }
        self.energies = Some(energies);
        Ok(self)
    }

    /// Attaches per-atom *invariant* properties (charges, magnetic moment
    /// magnitudes, descriptors that do not depend on orientation):
    /// `channels` numbers per atom, `[atom][channel]`. The network reads them
    /// as a `Scalar` feature with
    /// [`Graph::atom_scalars`](super::Graph::atom_scalars).
    ///
    /// The batch is data, and data is trusted: numbers that change when the
    /// structure is rotated (a coordinate, a force component) do not belong
    /// here — `check_equivariance` rotates positions, not these values.
    pub fn with_atom_scalars(
        mut self,
        channels: usize,
        values: Vec<f64>,
    ) -> Result<Batch, DataError> {
        self.atom_scalars = Some(self.properties(channels, values, self.num_atoms(), "atom")?);
        Ok(self)
    }

    /// Attaches per-structure invariant properties (a total charge, a
    /// temperature): `channels` numbers per structure, read as a `Scalar`
    /// feature with
    /// [`Graph::structure_scalars`](super::Graph::structure_scalars). The
    /// caveat of [`Batch::with_atom_scalars`] applies.
    pub fn with_structure_scalars(
        mut self,
        channels: usize,
        values: Vec<f64>,
    ) -> Result<Batch, DataError> {
        self.structure_scalars =
            Some(self.properties(channels, values, self.num_structures(), "structure")?);
        Ok(self)
    }

    fn properties(
        &self,
        channels: usize,
        values: Vec<f64>,
        rows: usize,
        what: &str,
    ) -> Result<Properties, DataError> {
        if values.len() != channels * rows {
            return Err(DataError::invalid(format!(
                "{} {what} properties for {rows} {what}s x {channels} channels",
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|x| !x.is_finite()) {
            return Err(DataError::invalid(format!(
                "{what} property {i} is not finite"
            )));
        }
        Ok(Properties { channels, values })
    }

    /// The per-atom invariant properties: `(channels, [atom][channel])`.
    pub fn atom_scalars(&self) -> Option<(usize, &[f64])> {
        self.atom_scalars
            .as_ref()
            .map(|p| (p.channels, p.values.as_slice()))
    }

    /// The per-structure invariant properties: `(channels,
    /// [structure][channel])`.
    pub fn structure_scalars(&self) -> Option<(usize, &[f64])> {
        self.structure_scalars
            .as_ref()
            .map(|p| (p.channels, p.values.as_slice()))
    }

    /// Marks ghost atoms: copies of atoms whose energy is counted elsewhere
    /// (by another MPI rank of a domain decomposition, or as an explicit
    /// periodic image). A ghost is a full atom of the graph — its features
    /// are computed and messages flow through it — but
    /// [`Graph::sum_over_atoms`](super::Graph::sum_over_atoms) leaves its
    /// row out, so an energy that is a sum of per-atom energies becomes the
    /// energy of the owned atoms only, and the forces `−∂E/∂R` on the ghosts
    /// are what the owners' copies must receive. This is how LAMMPS splits
    /// a cell between ranks (`eqv-lammps`).
    ///
    /// Only `sum_over_atoms` reads the marks: a model that pools over
    /// structures in any other way (a mean, a broadcast back to the atoms)
    /// is not a sum of atomic terms and cannot be split this way.
    ///
    /// Fails unless there is one flag per atom.
    pub fn with_ghosts(mut self, ghosts: Vec<bool>) -> Result<Batch, DataError> {
        if ghosts.len() != self.num_atoms() {
            return Err(DataError::invalid(format!(
                "{} ghost flags for {} atoms",
                ghosts.len(),
                self.num_atoms()
            )));
        }
        self.ghosts = Some(ghosts);
        Ok(self)
    }

    /// Which atoms are ghosts ([`Batch::with_ghosts`]), `None` if none are.
    pub fn ghosts(&self) -> Option<&[bool]> {
        self.ghosts.as_deref()
    }

    /// Sets the target forces, one per atom.
    pub fn with_forces(mut self, forces: Vec<[f64; 3]>) -> Result<Batch, DataError> {
        if forces.len() != self.num_atoms() {
            return Err(DataError::invalid(format!(
                "{} target forces for {} atoms",
                forces.len(),
                self.num_atoms()
            )));
        }
        self.forces = Some(forces);
        Ok(self)
    }

    /// The same batch with new positions (an MD step, a finite-difference
    /// displacement). Edges are *not* rebuilt: valid as long as no pair
    /// crosses the cutoff (rebuild with a constructor otherwise).
    pub fn with_positions(mut self, positions: Vec<[f64; 3]>) -> Result<Batch, DataError> {
        if positions.len() != self.num_atoms() {
            return Err(DataError::invalid(format!(
                "{} positions for {} atoms",
                positions.len(),
                self.num_atoms()
            )));
        }
        if let Some(i) = finite3(&positions) {
            return Err(DataError::invalid(format!(
                "position of atom {i} is not finite"
            )));
        }
        self.positions = positions;
        Ok(self)
    }

    /// Number of atoms (all structures).
    pub fn num_atoms(&self) -> usize {
        self.positions.len()
    }
    /// Number of directed edges.
    pub fn num_edges(&self) -> usize {
        self.centers.len()
    }
    /// Number of structures.
    pub fn num_structures(&self) -> usize {
        self.first_atom.len() - 1
    }
    /// Positions, `[atom][xyz]`.
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.positions
    }
    /// Species index of each atom.
    pub fn species(&self) -> &[usize] {
        &self.species
    }
    /// Which structure each atom belongs to.
    pub fn atom_structure(&self) -> &[usize] {
        &self.atom_structure
    }
    /// The atoms of structure `s`, as a range of atom indices.
    ///
    /// # Panics
    /// If `s >= num_structures()`.
    pub fn structure_atoms(&self, s: usize) -> Range<usize> {
        self.first_atom[s]..self.first_atom[s + 1]
    }
    /// Atom count of each structure.
    pub fn atoms_per_structure(&self) -> Vec<usize> {
        self.first_atom.windows(2).map(|w| w[1] - w[0]).collect()
    }
    /// Source atom of each edge.
    pub fn centers(&self) -> &[usize] {
        &self.centers
    }
    /// Target atom of each edge.
    pub fn neighbors(&self) -> &[usize] {
        &self.neighbors
    }
    /// Cartesian image shift of each edge.
    pub fn shifts(&self) -> &[[f64; 3]] {
        &self.shifts
    }
    /// Which structure each edge belongs to.
    pub fn edge_structure(&self) -> Vec<usize> {
        self.centers
            .iter()
            .map(|&i| self.atom_structure[i])
            .collect()
    }
    /// Target energies (one per structure), if known.
    pub fn energies(&self) -> Option<&[f64]> {
        self.energies.as_deref()
    }
    /// Target forces (one per atom), if known.
    pub fn forces(&self) -> Option<&[[f64; 3]]> {
        self.forces.as_deref()
    }
    /// The cell of each structure (lattice vectors as rows), `None` unless
    /// periodic in all three directions.
    pub fn cells(&self) -> &[Option<[[f64; 3]; 3]>] {
        &self.cells
    }
    /// The volume |det cell| of structure `s` (Å³), `None` without a
    /// periodic cell or for `s` out of range.
    pub fn volume(&self, s: usize) -> Option<f64> {
        self.cells.get(s).copied().flatten().map(|c| det3(&c).abs())
    }
    /// The target stress of each structure (eV/Å³), `None` where
    /// unlabelled.
    pub fn stresses(&self) -> &[Option<[[f64; 3]; 3]>] {
        &self.stresses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inconsistent_arrays_are_errors_not_panics() {
        let p = vec![[0.0; 3], [1.0, 0.0, 0.0]];
        assert!(Batch::new(p.clone(), vec![0], vec![2], vec![], vec![], vec![]).is_err());
        assert!(Batch::new(p.clone(), vec![0, 0], vec![1], vec![], vec![], vec![]).is_err());
        assert!(Batch::new(
            p.clone(),
            vec![0, 0],
            vec![2],
            vec![0],
            vec![5],
            vec![[0.0; 3]]
        )
        .is_err());
        assert!(Batch::new(
            p.clone(),
            vec![0, 0],
            vec![1, 1],
            vec![0],
            vec![1],
            vec![[0.0; 3]]
        )
        .is_err());
        assert!(Batch::new(p.clone(), vec![0, 0], vec![2], vec![0], vec![1], vec![]).is_err());
        let b = Batch::new(
            p,
            vec![0, 0],
            vec![2],
            vec![0, 1],
            vec![1, 0],
            vec![[0.0; 3]; 2],
        )
        .unwrap();
        assert!(b.clone().with_energies(vec![1.0, 2.0]).is_err());
        assert!(b.clone().with_forces(vec![[0.0; 3]]).is_err());
        assert!(b.with_positions(vec![[f64::NAN; 3]; 2]).is_err());
    }

    #[test]
    fn concat_offsets_indices() {
        let a = Batch::from_positions(&[[0.0; 3], [1.0, 0.0, 0.0]], &[0, 1], 1.5).unwrap();
        let b = Batch::from_positions(
            &[[0.0; 3], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            &[1, 1, 0],
            1.2,
        )
        .unwrap();
        let c = Batch::concat(&[a.clone(), b.clone()]);
        assert_eq!(c.num_atoms(), 5);
        assert_eq!(c.num_structures(), 2);
        assert_eq!(c.num_edges(), a.num_edges() + b.num_edges());
        assert_eq!(c.atom_structure(), &[0, 0, 1, 1, 1]);
        assert_eq!(c.structure_atoms(1), 2..5);
        assert_eq!(c.atoms_per_structure(), vec![2, 3]);
        assert!(c.centers()[a.num_edges()..].iter().all(|&i| i >= 2));
        assert!(c.edge_structure()[a.num_edges()..].iter().all(|&s| s == 1));
    }
}
