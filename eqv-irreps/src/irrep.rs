//! Irreducible representations of O(3), at run time ([`Ir`]) and in the type
//! system ([`Irrep`] and its named types).
//!
//! An irrep is a degree `l` (dimension `2l+1`) and a parity `p` (how it
//! behaves under the inversion `x -> -x`). Features carry their irrep in their
//! type, so an operation that is only equivariant for some irreps simply does
//! not exist for the others.
//!
//! | type | irrep | example |
//! |---|---|---|
//! | [`Scalar`] | 0e | energy, distance, charge |
//! | [`Pseudoscalar`] | 0o | triple product `a·(b×c)`, chirality |
//! | [`Vector`] | 1o | force, dipole, relative position |
//! | [`Pseudovector`] | 1e | angular momentum, magnetic field, `a×b` |
//! | [`Tensor2e`] ... [`Tensor8o`] | Le / Lo | traceless symmetric tensors, higher harmonics |

use std::cmp::Ordering;
use std::fmt;

/// Behaviour under inversion: even features are unchanged, odd ones flip sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parity {
    /// `p = +1` (written `e`).
    Even,
    /// `p = -1` (written `o`).
    Odd,
}

impl Parity {
    /// `+1` or `-1`.
    pub const fn sign(self) -> i32 {
        match self {
            Parity::Even => 1,
            Parity::Odd => -1,
        }
    }
    /// The parity with the given sign (`> 0` is even).
    pub const fn from_sign(s: i32) -> Self {
        if s > 0 {
            Parity::Even
        } else {
            Parity::Odd
        }
    }
    /// The product of two parities (the parity rule of tensor products).
    pub const fn times(self, other: Parity) -> Parity {
        Parity::from_sign(self.sign() * other.sign())
    }
    /// The parity `(-1)^l` of the spherical harmonic of degree `l` (e3nn's `y`).
    pub const fn of_harmonic(l: u32) -> Parity {
        if l.is_multiple_of(2) {
            Parity::Even
        } else {
            Parity::Odd
        }
    }
    /// `'e'` or `'o'`.
    pub const fn letter(self) -> char {
        match self {
            Parity::Even => 'e',
            Parity::Odd => 'o',
        }
    }
}

/// One irrep of O(3), known at run time: degree `l` and parity `p`.
///
/// Ordered as in e3nn-jax: by `l`, and within one `l` the parity `(-1)^l`
/// first: `0e < 0o < 1o < 1e < 2e < 2o < ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ir {
    /// Degree; the irrep has `2l+1` components.
    pub l: u32,
    /// Parity under inversion.
    pub p: Parity,
}

impl Ir {
    /// The irrep of degree `l` and parity `p`.
    pub const fn new(l: u32, p: Parity) -> Self {
        Ir { l, p }
    }
    /// Number of components, `2l+1`.
    pub const fn dim(self) -> usize {
        2 * self.l as usize + 1
    }
    /// Whether `self ⊗ other` contains `out`: `|l1-l2| <= l3 <= l1+l2` and
    /// `p3 = p1·p2`.
    pub const fn couples_to(self, other: Ir, out: Ir) -> bool {
        let lo = self.l.abs_diff(other.l);
        let hi = self.l + other.l;
        lo <= out.l && out.l <= hi && self.p.sign() * other.p.sign() == out.p.sign()
    }
    /// All irreps in `self ⊗ other`, in increasing `l`.
    pub fn products(self, other: Ir) -> impl Iterator<Item = Ir> {
        let p = self.p.times(other.p);
        (self.l.abs_diff(other.l)..=self.l + other.l).map(move |l| Ir::new(l, p))
    }
    /// The conventional name of the type-level irrep, e.g. `Vector` for 1o.
    pub fn type_name(self) -> String {
        match (self.l, self.p) {
            (0, Parity::Even) => "Scalar".into(),
            (0, Parity::Odd) => "Pseudoscalar".into(),
            (1, Parity::Odd) => "Vector".into(),
            (1, Parity::Even) => "Pseudovector".into(),
            (l, p) => format!("Tensor{l}{}", p.letter()),
        }
    }
    /// Position in e3nn-jax's order, as a sortable key.
    fn sort_key(self) -> (u32, u8) {
        (self.l, u8::from(self.p != Parity::of_harmonic(self.l)))
    }
}

impl PartialOrd for Ir {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ir {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl fmt::Display for Ir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.l, self.p.letter())
    }
}

/// The highest degree for which eqv provides named types and rule tables.
pub const MAX_L: u32 = 8;

/// An irrep known at compile time. Implemented by the named unit types of
/// this module ([`Scalar`], [`Vector`], ...); sealed, because the rule tables
/// must know every irrep there is.
pub trait Irrep:
    Copy + Clone + Default + fmt::Debug + Send + Sync + PartialEq + 'static + sealed::Sealed
{
    /// Degree.
    const L: u32;
    /// Parity.
    const P: Parity;
    /// Number of components, `2L+1`.
    const DIM: usize = 2 * Self::L as usize + 1;
    /// The run-time irrep.
    const IR: Ir = Ir::new(Self::L, Self::P);
    /// e3nn's label, e.g. `"1o"`.
    const LABEL: &'static str;
    /// The type's name, e.g. `"Vector"`.
    const NAME: &'static str;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! irreps {
    ($($name:ident = $l:literal $p:ident $label:literal : $doc:literal;)*) => {$(
        #[doc = concat!("The irrep ", $label, ": ", $doc)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl Irrep for $name {
            const L: u32 = $l;
            const P: Parity = Parity::$p;
            const LABEL: &'static str = $label;
            const NAME: &'static str = stringify!($name);
        }
    )*};
}

irreps! {
    Scalar = 0 Even "0e": "an invariant (energy, distance, charge). The only irrep a pointwise nonlinearity may touch.";
    Pseudoscalar = 0 Odd "0o": "unchanged by rotations, flips sign under inversion (chirality, a triple product).";
    Vector = 1 Odd "1o": "rotates and inverts like a displacement (force, dipole, relative position). Components are literally (x, y, z).";
    Pseudovector = 1 Even "1e": "rotates like a vector but does not flip under inversion (angular momentum, a cross product).";
    Tensor2e = 2 Even "2e": "degree 2, even (a traceless symmetric matrix, Y₂).";
    Tensor2o = 2 Odd "2o": "degree 2, odd.";
    Tensor3o = 3 Odd "3o": "degree 3, odd (Y₃).";
    Tensor3e = 3 Even "3e": "degree 3, even.";
    Tensor4e = 4 Even "4e": "degree 4, even (Y₄).";
    Tensor4o = 4 Odd "4o": "degree 4, odd.";
    Tensor5o = 5 Odd "5o": "degree 5, odd (Y₅).";
    Tensor5e = 5 Even "5e": "degree 5, even.";
    Tensor6e = 6 Even "6e": "degree 6, even (Y₆).";
    Tensor6o = 6 Odd "6o": "degree 6, odd.";
    Tensor7o = 7 Odd "7o": "degree 7, odd (Y₇).";
    Tensor7e = 7 Even "7e": "degree 7, even.";
    Tensor8e = 8 Even "8e": "degree 8, even (Y₈).";
    Tensor8o = 8 Odd "8o": "degree 8, odd.";
}

/// Every run-time irrep that has a named type, in e3nn-jax order.
pub fn all_named() -> impl Iterator<Item = Ir> {
    (0..=MAX_L).flat_map(|l| {
        let first = Parity::of_harmonic(l);
        let second = first.times(Parity::Odd);
        [Ir::new(l, first), Ir::new(l, second)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_types_match_their_labels() {
        assert_eq!(Vector::IR, Ir::new(1, Parity::Odd));
        assert_eq!(Vector::DIM, 3);
        assert_eq!(Tensor8o::DIM, 17);
        assert_eq!(Pseudovector::LABEL, "1e");
        assert_eq!(Ir::new(3, Parity::Even).type_name(), "Tensor3e");
        assert_eq!(all_named().count(), 18);
    }

    #[test]
    fn e3nn_jax_order() {
        let mut v: Vec<Ir> = all_named().collect();
        v.reverse();
        v.sort();
        let s: Vec<String> = v.iter().take(6).map(|i| i.to_string()).collect();
        assert_eq!(s, ["0e", "0o", "1o", "1e", "2e", "2o"]);
    }

    #[test]
    fn selection_and_parity_rules() {
        let v = Vector::IR;
        assert!(v.couples_to(v, Scalar::IR));
        assert!(v.couples_to(v, Pseudovector::IR));
        assert!(!v.couples_to(v, Vector::IR));
        assert!(!v.couples_to(v, Tensor3e::IR));
        assert_eq!(v.products(Tensor2e::IR).count(), 3);
    }
}
