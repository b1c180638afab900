//! One atomic structure and the periodic table it is written in.
//!
//! A [`Frame`] holds what a potential needs (numbers, positions, cell,
//! periodicity), what it is trained on (energy, forces, stress, virial), and
//! everything else a file carried (`info` and `arrays`), so that reading and
//! writing a file loses nothing a user put there.

use super::error::DataError;

/// Chemical symbols of the elements H (Z = 1) to Og (Z = 118); index `Z - 1`.
pub const SYMBOLS: [&str; 118] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh",
    "Fl", "Mc", "Lv", "Ts", "Og",
];

/// Standard atomic weights (IUPAC 2016, amu) of H..Og; index `Z - 1`.
/// For elements without a stable isotope, the mass of the longest-lived one.
pub const ATOMIC_MASSES: [f64; 118] = [
    1.008,
    4.002602,
    6.94,
    9.0121831,
    10.81,
    12.011,
    14.007,
    15.999,
    18.998403163,
    20.1797,
    22.98976928,
    24.305,
    26.9815385,
    28.085,
    30.973761998,
    32.06,
    35.45,
    39.948,
    39.0983,
    40.078,
    44.955908,
    47.867,
    50.9415,
    51.9961,
    54.938044,
    55.845,
    58.933194,
    58.6934,
    63.546,
    65.38,
    69.723,
    72.63,
    74.921595,
    78.971,
    79.904,
    83.798,
    85.4678,
    87.62,
    88.90584,
    91.224,
    92.90637,
    95.95,
    97.90721,
    101.07,
    102.9055,
    106.42,
    107.8682,
    112.414,
    114.818,
    118.71,
    121.76,
    127.6,
    126.90447,
    131.293,
    132.90545196,
    137.327,
    138.90547,
    140.116,
    140.90766,
    144.242,
    144.91276,
    150.36,
    151.964,
    157.25,
    158.92535,
    162.5,
    164.93033,
    167.259,
    168.93422,
    173.054,
    174.9668,
    178.49,
    180.94788,
    183.84,
    186.207,
    190.23,
    192.217,
    195.084,
    196.966569,
    200.592,
    204.38,
    207.2,
    208.9804,
    208.98243,
    209.98715,
    222.01758,
    223.01974,
    226.02541,
    227.02775,
    232.0377,
    231.03588,
    238.02891,
    237.04817,
    244.06421,
    243.06138,
    247.07035,
    247.07031,
    251.07959,
    252.083,
    257.09511,
    258.09843,
    259.101,
    262.11,
    267.122,
    268.126,
    271.134,
    270.133,
    269.1338,
    278.156,
    281.165,
    281.166,
    285.177,
    286.182,
    289.19,
    289.194,
    293.204,
    293.208,
    294.214,
];

/// The chemical symbol of atomic number `z` (1..=118), `None` otherwise.
pub fn symbol(z: u8) -> Option<&'static str> {
    SYMBOLS.get((z as usize).checked_sub(1)?).copied()
}

/// The atomic number of a chemical symbol.
///
/// The exact spelling ("Si") is tried first, then any capitalisation ("SI",
/// "si"), because hand-written files are not always careful; a string of
/// digits ("14") is read as the atomic number itself.
pub fn atomic_number(symbol: &str) -> Option<u8> {
    if let Some(i) = SYMBOLS.iter().position(|s| *s == symbol) {
        return Some(i as u8 + 1);
    }
    if let Some(i) = SYMBOLS.iter().position(|s| s.eq_ignore_ascii_case(symbol)) {
        return Some(i as u8 + 1);
    }
    match symbol.parse::<u8>() {
        Ok(z) if (1..=118).contains(&z) => Some(z),
        _ => None,
    }
}

/// The standard atomic weight (amu) of atomic number `z`, `None` outside 1..=118.
pub fn atomic_mass(z: u8) -> Option<f64> {
    ATOMIC_MASSES.get((z as usize).checked_sub(1)?).copied()
}

/// A per-frame value from an extended XYZ comment line (`key=value`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `T`, `F`, `True`, `False`, or a bare key (which means true).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// Anything else, unquoted.
    Str(String),
    /// Several booleans, e.g. `pbc="T T F"`.
    BoolArray(Vec<bool>),
    /// Several integers.
    IntArray(Vec<i64>),
    /// Several reals, e.g. `stress="..."`.
    FloatArray(Vec<f64>),
    /// Several words that are not all numbers or booleans.
    StrArray(Vec<String>),
}

impl Value {
    /// The value as a real number, if it is one (an integer counts).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(x) => Some(x),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The value as a list of reals, if it is numeric (a scalar is a list of one).
    pub fn as_f64_vec(&self) -> Option<Vec<f64>> {
        match self {
            Value::Float(x) => Some(vec![*x]),
            Value::Int(i) => Some(vec![*i as f64]),
            Value::FloatArray(v) => Some(v.clone()),
            Value::IntArray(v) => Some(v.iter().map(|&i| i as f64).collect()),
            _ => None,
        }
    }
}

/// The typed values of one per-atom column (one `name:T:count` entry of
/// `Properties`), row-major: atom `i` owns `[i * width, (i + 1) * width)`.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    /// Type `S`: strings.
    Str(Vec<String>),
    /// Type `R`: reals.
    Real(Vec<f64>),
    /// Type `I`: integers.
    Int(Vec<i64>),
    /// Type `L`: logicals.
    Bool(Vec<bool>),
}

/// One per-atom column: `width` values per atom.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Values per atom (the `count` of `name:T:count`).
    pub width: usize,
    /// The values, row-major.
    pub data: ColumnData,
}

impl Column {
    /// The extxyz type letter: `S`, `R`, `I` or `L`.
    pub fn type_letter(&self) -> char {
        match self.data {
            ColumnData::Str(_) => 'S',
            ColumnData::Real(_) => 'R',
            ColumnData::Int(_) => 'I',
            ColumnData::Bool(_) => 'L',
        }
    }

    /// Number of values stored (atoms × width).
    pub fn len_values(&self) -> usize {
        match &self.data {
            ColumnData::Str(v) => v.len(),
            ColumnData::Real(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
        }
    }
}

/// One atomic structure with its labels.
///
/// Units follow ASE: positions and cell in Å, energy in eV, forces in eV/Å,
/// stress in eV/Å³ (positive = tensile, `stress = (1/V) ∂E/∂ε`), virial in eV
/// (`virial = −V · stress`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Frame {
    /// Atomic numbers, one per atom.
    pub numbers: Vec<u8>,
    /// Cartesian positions (Å).
    pub positions: Vec<[f64; 3]>,
    /// Lattice vectors as rows (Å); `None` for a finite cluster.
    pub cell: Option<[[f64; 3]; 3]>,
    /// Periodicity along each lattice vector.
    pub pbc: [bool; 3],
    /// Total energy (eV), if labelled.
    pub energy: Option<f64>,
    /// Forces (eV/Å), one per atom, if labelled.
    pub forces: Option<Vec<[f64; 3]>>,
    /// Stress tensor (eV/Å³), if labelled.
    pub stress: Option<[[f64; 3]; 3]>,
    /// Virial tensor (eV), if labelled.
    pub virial: Option<[[f64; 3]; 3]>,
    /// The other `key=value` pairs of the comment line, in file order.
    pub info: Vec<(String, Value)>,
    /// The other per-atom columns, in file order.
    pub arrays: Vec<(String, Column)>,
}

impl Frame {
    /// A finite, unlabelled structure.
    pub fn new(numbers: Vec<u8>, positions: Vec<[f64; 3]>) -> Self {
        Frame {
            numbers,
            positions,
            ..Frame::default()
        }
    }

    /// A structure in a cell that is periodic along all three lattice vectors.
    pub fn periodic(numbers: Vec<u8>, positions: Vec<[f64; 3]>, cell: [[f64; 3]; 3]) -> Self {
        Frame {
            numbers,
            positions,
            cell: Some(cell),
            pbc: [true; 3],
            ..Frame::default()
        }
    }

    /// Number of atoms.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether the frame has no atoms.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Chemical symbols of the atoms (`"X"` for a number outside 1..=118).
    pub fn symbols(&self) -> Vec<&'static str> {
        self.numbers
            .iter()
            .map(|&z| symbol(z).unwrap_or("X"))
            .collect()
    }

    /// Cell volume |det(cell)| in Å³, `None` without a cell.
    pub fn volume(&self) -> Option<f64> {
        self.cell.map(|c| det3(&c).abs())
    }

    /// The `info` value stored under `key`.
    pub fn info_get(&self, key: &str) -> Option<&Value> {
        self.info.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `info[key] = value`, replacing an existing entry in place.
    pub fn info_set(&mut self, key: &str, value: Value) {
        match self.info.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.info.push((key.to_string(), value)),
        }
    }

    /// The per-atom column stored under `name`.
    pub fn array_get(&self, name: &str) -> Option<&Column> {
        self.arrays.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Moves every atom into the cell along its periodic directions
    /// (fractional coordinates in [0, 1)); energy, forces and neighbour
    /// vectors are unchanged, only the image each atom is drawn in.
    pub fn wrap_positions(&mut self) -> Result<(), DataError> {
        let Some(cell) = self.cell else {
            return Ok(());
        };
        if !self.pbc.iter().any(|&p| p) {
            return Ok(());
        }
        let basis = super::neighbors::binning_basis(&cell, self.pbc)?;
        let inv = super::neighbors::inverse3(&basis)
            .ok_or_else(|| DataError::invalid("cell is singular along periodic directions"))?;
        for p in &mut self.positions {
            let s: [f64; 3] =
                std::array::from_fn(|k| p[0] * inv[0][k] + p[1] * inv[1][k] + p[2] * inv[2][k]);
            for k in 0..3 {
                if self.pbc[k] {
                    let f = s[k].floor();
                    if f != 0.0 && f.is_finite() {
                        for (c, x) in p.iter_mut().enumerate() {
                            *x -= f * cell[k][c];
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks that every per-atom quantity has one entry per atom, every
    /// number is finite, every atomic number is an element, and a periodic
    /// direction has a cell; the error says which of these fails.
    pub fn validate(&self) -> Result<(), DataError> {
        let n = self.positions.len();
        if self.numbers.len() != n {
            return Err(DataError::invalid(format!(
                "frame has {} atomic numbers but {} positions",
                self.numbers.len(),
                n
            )));
        }
        if let Some(&z) = self.numbers.iter().find(|&&z| symbol(z).is_none()) {
            return Err(DataError::invalid(format!(
                "atomic number {z} is not an element (1..=118)"
            )));
        }
        if let Some(i) = self
            .positions
            .iter()
            .position(|p| p.iter().any(|x| !x.is_finite()))
        {
            return Err(DataError::invalid(format!(
                "position of atom {i} is not finite"
            )));
        }
        if let Some(f) = &self.forces {
            if f.len() != n {
                return Err(DataError::invalid(format!(
                    "frame has {} forces but {} atoms",
                    f.len(),
                    n
                )));
            }
        }
        for (name, col) in &self.arrays {
            if col.len_values() != n * col.width {
                return Err(DataError::invalid(format!(
                    "column {name} has {} values, expected {} atoms × {}",
                    col.len_values(),
                    n,
                    col.width
                )));
            }
        }
        if self.cell.is_none() && self.pbc.iter().any(|&p| p) {
            return Err(DataError::invalid(
                "frame is periodic (pbc has T) but has no cell",
            ));
        }
        if let Some(c) = &self.cell {
            if c.iter().flatten().any(|x| !x.is_finite()) {
                return Err(DataError::invalid("cell is not finite"));
            }
        }
        Ok(())
    }
}

/// Determinant of a 3×3 matrix.
pub(crate) fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_table_roundtrips() {
        for z in 1..=118u8 {
            assert_eq!(atomic_number(symbol(z).unwrap()), Some(z));
        }
        assert_eq!(atomic_number("si"), Some(14));
        assert_eq!(atomic_number("14"), Some(14));
        assert_eq!(atomic_number("Xx"), None);
        assert_eq!(symbol(0), None);
        assert_eq!(symbol(119), None);
        assert_eq!(atomic_mass(14), Some(28.085));
    }
}
