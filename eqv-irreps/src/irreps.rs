//! Run-time irreps: a list of `(multiplicity, irrep)` blocks, written in
//! e3nn's grammar, e.g. `"16x0e + 8x1o + 4x2e"`.
//!
//! This is the layout of every feature vector eqv exchanges with the outside
//! world: blocks in order, a block `mul x ir` being `mul` copies of the
//! `2l+1` components of `ir` (mul-major), exactly as e3nn's `IrrepsArray`.
//!
//! Grammar (whitespace allowed between tokens, not inside numbers):
//!
//! ```text
//! irreps := "" | term ("+" term)*
//! term   := [MUL "x"] L P        MUL, L: non-negative decimal integers
//! P      := "e" (even) | "o" (odd) | "y" (the parity (-1)^L of Y^L)
//! ```
//!
//! The parser depends only on `std` and [`crate::irrep`], so the proc-macro
//! crate uses this very parser to check irreps strings at compile time;
//! errors carry byte offsets into the string so the macro can point inside
//! the user's literal.
//!
//! ```
//! # use eqv_irreps as eqv;
//! use eqv::irreps::Irreps;
//! let irreps: Irreps = "16x0e + 8x1o + 2y".parse().unwrap();
//! assert_eq!(irreps.to_string(), "16x0e+8x1o+1x2e");
//! assert_eq!(irreps.dim(), 16 + 24 + 5);
//! let err = "16x0e + 8x1q".parse::<Irreps>().unwrap_err();
//! assert_eq!(err.column(), 12);
//! ```

use crate::irrep::{Ir, Parity};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Largest degree `l` the parser accepts. Far above anything a network uses
/// (and above what the O(3) tables are meant for); a larger number is almost
/// surely a typo, and rejecting it keeps every dimension small.
pub const MAX_PARSE_L: u32 = 100;

/// What is wrong with an irreps string (see [`IrrepsError`] for where).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IrrepsErrorKind {
    /// Nothing between two `+` signs, or before the first / after the last.
    EmptyTerm,
    /// An `x` with no multiplicity before it (`"x1o"`).
    MissingMultiplicity,
    /// Nothing (or no degree) after `x` (`"16x"`, `"16xe"`).
    MissingIrrep,
    /// A degree with no parity letter after it (`"16x1"`).
    MissingParity,
    /// A parity letter other than `e`, `o`, `y`.
    UnknownParity(char),
    /// A sign before a number (`"-1x1o"`): multiplicities and degrees are
    /// non-negative.
    Negative,
    /// A number that is not an integer (`"1.5x1o"`).
    NotAnInteger,
    /// A multiplicity that does not fit in `usize`, or a total dimension
    /// that overflows.
    MultiplicityTooLarge,
    /// A degree above [`MAX_PARSE_L`] (the value, saturated at `u64::MAX`).
    DegreeTooLarge(u64),
    /// A character that has no place where it is.
    Unexpected(char),
    /// Whitespace inside a number (`"1 6x0e"`).
    SpaceInNumber,
    /// A multiplicity where a single irrep was expected (parsing [`Ir`]).
    UnexpectedMultiplicity,
    /// Something like `×`, `X` or `*` where the `x` between multiplicity
    /// and irrep belongs (`"4X1o"`).
    WrongTimes(char),
}

/// A parse error of an irreps string: what is wrong ([`kind`](Self::kind))
/// and where ([`span`](Self::span), byte offsets into the input).
///
/// Its `Display` names the problem, the column, the offending piece and what
/// was expected, e.g.
/// `unknown parity 'q' at column 12 of "16x0e + 8x1q": expected 'e' (even), 'o' (odd) or 'y' (parity (-1)^l)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrrepsError {
    /// What is wrong.
    pub kind: IrrepsErrorKind,
    /// Byte range of the offending piece in [`input`](Self::input) (empty
    /// at the position where something is missing).
    pub span: Range<usize>,
    /// The string that was parsed.
    pub input: String,
}

impl IrrepsError {
    fn new(kind: IrrepsErrorKind, span: Range<usize>, input: &str) -> Self {
        IrrepsError {
            kind,
            span,
            input: input.to_string(),
        }
    }

    /// 1-based column (in characters) where the problem starts.
    pub fn column(&self) -> usize {
        let start = self.span.start.min(self.input.len());
        self.input
            .get(..start)
            .map(|s| s.chars().count())
            .unwrap_or(start)
            + 1
    }

    /// The offending piece of the input (empty when something is missing).
    pub fn fragment(&self) -> &str {
        self.input.get(self.span.clone()).unwrap_or("")
    }

    /// The problem and what was expected, without the position: what the
    /// proc-macro shows at the span inside the user's literal.
    pub fn message(&self) -> String {
        let frag = self.fragment();
        match &self.kind {
            IrrepsErrorKind::EmptyTerm => {
                "empty term: expected an irrep like '8x1o' between '+' signs".to_string()
            }
            IrrepsErrorKind::MissingMultiplicity => {
                "missing multiplicity before 'x': write e.g. '4x1o', or just '1o' for one copy"
                    .to_string()
            }
            IrrepsErrorKind::MissingIrrep => {
                "missing irrep after 'x': expected a degree and a parity, like '16x0e'".to_string()
            }
            IrrepsErrorKind::MissingParity => format!(
                "missing parity after degree '{frag}': expected 'e' (even), 'o' (odd) or 'y' (parity (-1)^l), like '{frag}e'"
            ),
            IrrepsErrorKind::UnknownParity(c) => format!(
                "unknown parity '{c}': expected 'e' (even), 'o' (odd) or 'y' (parity (-1)^l)"
            ),
            IrrepsErrorKind::Negative => {
                "negative number: multiplicities and degrees are non-negative integers".to_string()
            }
            IrrepsErrorKind::NotAnInteger => format!(
                "'{frag}' is not an integer: multiplicities and degrees are non-negative integers"
            ),
            IrrepsErrorKind::MultiplicityTooLarge => {
                format!("multiplicity '{frag}' is too large (the dimension would overflow)")
            }
            IrrepsErrorKind::DegreeTooLarge(_) => {
                format!("degree {frag} is too large: at most {MAX_PARSE_L} is supported")
            }
            IrrepsErrorKind::Unexpected(c) => format!(
                "unexpected '{c}': expected terms like '16x0e' joined by '+'"
            ),
            IrrepsErrorKind::SpaceInNumber => {
                format!("space inside the number '{frag}'")
            }
            IrrepsErrorKind::WrongTimes(c) => format!(
                "'{c}' between multiplicity and irrep: write a lowercase 'x', like '4x1o'"
            ),
            IrrepsErrorKind::UnexpectedMultiplicity => {
                "expected a single irrep like '1o', without a multiplicity".to_string()
            }
        }
    }
}

impl fmt::Display for IrrepsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = self.message();
        // Put the position right after the first clause: "<what> at column N
        // of "<input>": <expected>".
        let (head, tail) = match msg.split_once(": ") {
            Some((h, t)) => (h.to_string(), format!(": {t}")),
            None => (msg.clone(), String::new()),
        };
        write!(
            f,
            "{head} at column {} of {:?}{tail}",
            self.column(),
            self.input
        )
    }
}

impl std::error::Error for IrrepsError {}

/// `mul` copies of the irrep `ir`: one block of an [`Irreps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MulIr {
    /// Multiplicity (number of copies, may be 0).
    pub mul: usize,
    /// The irrep.
    pub ir: Ir,
}

impl MulIr {
    /// `mul x ir`.
    pub const fn new(mul: usize, ir: Ir) -> Self {
        MulIr { mul, ir }
    }
    /// `mul · (2l+1)`.
    pub const fn dim(self) -> usize {
        self.mul * self.ir.dim()
    }
}

impl fmt::Display for MulIr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.mul, self.ir)
    }
}

/// A direct sum of irreps with multiplicities, e.g. `16x0e+8x1o+4x2e`.
///
/// Equality is structural (as in e3nn): `1x0e+1x0e` differs from `2x0e`;
/// compare [`simplify`](Self::simplify)d or [`regroup`](Self::regroup)ed
/// irreps to test equivalence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Irreps {
    blocks: Vec<MulIr>,
}

/// The result of [`Irreps::sort`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedIrreps {
    /// The blocks in e3nn-jax order (stable).
    pub irreps: Irreps,
    /// `perm[old] = new`: where each original block went.
    pub perm: Vec<usize>,
    /// `inv[new] = old`: which original block is at each new position.
    pub inv: Vec<usize>,
}

impl Irreps {
    /// Irreps from blocks.
    pub fn new(blocks: Vec<MulIr>) -> Self {
        Irreps { blocks }
    }

    /// `1x0e + 1x1o + 1x2e + ... + 1x(lmax)`, parity `(-1)^l`: the irreps of
    /// `eqv::so3::spherical_harmonics_up_to`.
    pub fn spherical_harmonics(lmax: u32) -> Self {
        Irreps::new(
            (0..=lmax)
                .map(|l| MulIr::new(1, Ir::new(l, Parity::of_harmonic(l))))
                .collect(),
        )
    }

    /// The blocks.
    pub fn as_slice(&self) -> &[MulIr] {
        &self.blocks
    }

    /// Iterates over the blocks.
    pub fn iter(&self) -> std::slice::Iter<'_, MulIr> {
        self.blocks.iter()
    }

    /// Number of blocks (`16x0e+8x1o` has 2).
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether there are no blocks.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Total dimension `Σ mul·(2l+1)`: the length of a feature vector.
    pub fn dim(&self) -> usize {
        self.blocks.iter().map(|b| b.dim()).sum()
    }

    /// Number of irreps counted with multiplicity, `Σ mul`.
    pub fn num_irreps(&self) -> usize {
        self.blocks.iter().map(|b| b.mul).sum()
    }

    /// Total multiplicity of `ir` over all blocks.
    pub fn count(&self, ir: Ir) -> usize {
        self.blocks
            .iter()
            .filter(|b| b.ir == ir)
            .map(|b| b.mul)
            .sum()
    }

    /// Whether some block (of nonzero multiplicity) is `ir`.
    pub fn contains(&self, ir: Ir) -> bool {
        self.count(ir) > 0
    }

    /// Highest degree, `None` if there are no blocks.
    pub fn lmax(&self) -> Option<u32> {
        self.blocks.iter().map(|b| b.ir.l).max()
    }

    /// Whether every block is a true scalar `0e` (and there is at least
    /// one), as e3nn-jax's `is_scalar`: such features may go through any
    /// nonlinearity.
    pub fn is_scalar(&self) -> bool {
        !self.blocks.is_empty() && self.blocks.iter().all(|b| b.ir == Ir::new(0, Parity::Even))
    }

    /// Offset ranges of each block in the flat layout, in order.
    pub fn slices(&self) -> Vec<Range<usize>> {
        let mut off = 0;
        self.blocks
            .iter()
            .map(|b| {
                let r = off..off + b.dim();
                off = r.end;
                r
            })
            .collect()
    }

    /// The blocks whose irrep satisfies `keep`, in order.
    pub fn filter(&self, keep: impl Fn(Ir) -> bool) -> Irreps {
        Irreps::new(self.blocks.iter().copied().filter(|b| keep(b.ir)).collect())
    }

    /// The blocks whose irrep is in `irs` (e3nn's `filter(keep=[...])`).
    pub fn filter_irs(&self, irs: &[Ir]) -> Irreps {
        self.filter(|ir| irs.contains(&ir))
    }

    /// Drops blocks of multiplicity 0.
    pub fn remove_zero_multiplicities(&self) -> Irreps {
        Irreps::new(self.blocks.iter().copied().filter(|b| b.mul > 0).collect())
    }

    /// Stable sort of the blocks in e3nn-jax order (by `l`, then the parity
    /// `(-1)^l` first), with the permutation (e3nn-jax's `sort()`).
    pub fn sort(&self) -> SortedIrreps {
        let mut inv: Vec<usize> = (0..self.blocks.len()).collect();
        inv.sort_by_key(|&i| self.blocks[i].ir);
        let mut perm = vec![0; inv.len()];
        for (new, &old) in inv.iter().enumerate() {
            perm[old] = new;
        }
        let irreps = Irreps::new(inv.iter().map(|&i| self.blocks[i]).collect());
        SortedIrreps { irreps, perm, inv }
    }

    /// Removes zero multiplicities and merges equal *consecutive* blocks
    /// (`1e+1e+0e` → `2x1e+1x0e`), without sorting, as e3nn-jax.
    pub fn simplify(&self) -> Irreps {
        let mut out: Vec<MulIr> = Vec::new();
        for b in self.blocks.iter().filter(|b| b.mul > 0) {
            match out.last_mut() {
                Some(last) if last.ir == b.ir => last.mul += b.mul,
                _ => out.push(*b),
            }
        }
        Irreps::new(out)
    }

    /// Sort, then simplify: the canonical form of the representation
    /// (`1o+0e+1o` → `1x0e+2x1o`).
    pub fn regroup(&self) -> Irreps {
        self.sort().irreps.simplify()
    }

    /// The blocks of `self` followed by those of `other`.
    pub fn concat(&self, other: &Irreps) -> Irreps {
        let mut b = self.blocks.clone();
        b.extend_from_slice(&other.blocks);
        Irreps::new(b)
    }

    /// Parses e3nn's grammar (same as `str::parse`).
    pub fn parse(s: &str) -> Result<Irreps, IrrepsError> {
        parse_irreps(s)
    }
}

impl std::ops::Index<usize> for Irreps {
    type Output = MulIr;
    fn index(&self, i: usize) -> &MulIr {
        &self.blocks[i]
    }
}

impl<'a> IntoIterator for &'a Irreps {
    type Item = &'a MulIr;
    type IntoIter = std::slice::Iter<'a, MulIr>;
    fn into_iter(self) -> Self::IntoIter {
        self.blocks.iter()
    }
}

impl FromIterator<MulIr> for Irreps {
    fn from_iter<I: IntoIterator<Item = MulIr>>(iter: I) -> Self {
        Irreps::new(iter.into_iter().collect())
    }
}

impl From<Vec<(usize, Ir)>> for Irreps {
    fn from(v: Vec<(usize, Ir)>) -> Self {
        v.into_iter().map(|(m, ir)| MulIr::new(m, ir)).collect()
    }
}

impl From<Ir> for Irreps {
    fn from(ir: Ir) -> Self {
        Irreps::new(vec![MulIr::new(1, ir)])
    }
}

/// Canonical e3nn form: `16x0e+8x1o` (every multiplicity written, no
/// spaces; the empty irreps prints as the empty string), which parses back to
/// an equal value.
impl fmt::Display for Irreps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.blocks.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            write!(f, "{b}")?;
        }
        Ok(())
    }
}

impl FromStr for Irreps {
    type Err = IrrepsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_irreps(s)
    }
}

/// Parses a single irrep such as `"1o"`, `"2e"` or `"3y"` (no multiplicity).
impl FromStr for Ir {
    type Err = IrrepsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = Parser::new(s);
        p.skip_ws();
        if p.at_end() {
            return Err(IrrepsError::new(
                IrrepsErrorKind::MissingIrrep,
                p.pos..p.pos,
                s,
            ));
        }
        let t = p.term(s.len())?;
        if let Some(span) = t.mul_span {
            return Err(IrrepsError::new(
                IrrepsErrorKind::UnexpectedMultiplicity,
                span,
                s,
            ));
        }
        Ok(t.ir)
    }
}

/// Parses an irreps string in e3nn's grammar; on error, says what and where
/// (byte offsets, see [`IrrepsError`]).
pub fn parse_irreps(s: &str) -> Result<Irreps, IrrepsError> {
    let mut blocks = Vec::new();
    if s.trim().is_empty() {
        return Ok(Irreps::default());
    }
    // Split on '+' keeping byte offsets.
    let mut start = 0;
    let mut total: usize = 0;
    let bytes = s.as_bytes();
    loop {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'+')
            .map_or(s.len(), |p| start + p);
        let piece = &s[start..end];
        if piece.trim().is_empty() {
            // Point at the '+' that has nothing on one side.
            let span = if end < s.len() {
                end..end + 1
            } else {
                // trailing '+': point at it (it is just before `start`)
                start.saturating_sub(1)..start
            };
            return Err(IrrepsError::new(IrrepsErrorKind::EmptyTerm, span, s));
        }
        let mut p = Parser::new(s);
        p.pos = start;
        let t = p.term(end)?;
        let dim = t
            .mul
            .checked_mul(t.ir.dim())
            .and_then(|d| total.checked_add(d));
        match dim {
            Some(d) => total = d,
            None => {
                let span = t.mul_span.unwrap_or(start..end);
                return Err(IrrepsError::new(
                    IrrepsErrorKind::MultiplicityTooLarge,
                    span,
                    s,
                ));
            }
        }
        blocks.push(MulIr::new(t.mul, t.ir));
        if end >= s.len() {
            break;
        }
        start = end + 1;
    }
    Ok(Irreps::new(blocks))
}

struct Term {
    mul: usize,
    mul_span: Option<Range<usize>>,
    ir: Ir,
}

/// A cursor over the input; every method works on byte offsets.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser { s, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn peek_in(&self, end: usize) -> Option<char> {
        if self.pos >= end {
            None
        } else {
            self.peek()
        }
    }

    fn skip_ws_in(&mut self, end: usize) {
        while let Some(c) = self.peek_in(end) {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn skip_ws(&mut self) {
        self.skip_ws_in(self.s.len());
    }

    fn err(&self, kind: IrrepsErrorKind, span: Range<usize>) -> IrrepsError {
        IrrepsError::new(kind, span, self.s)
    }

    fn char_span(&self) -> Range<usize> {
        let n = self.peek().map_or(0, |c| c.len_utf8());
        self.pos..self.pos + n
    }

    /// Reads a run of ASCII digits; rejects '.', ',' or a digit after
    /// whitespace (a split number). Returns the span (possibly empty) and
    /// the value (`None` on overflow).
    fn number(&mut self, end: usize) -> Result<(Range<usize>, Option<u64>), IrrepsError> {
        let start = self.pos;
        let mut value: Option<u64> = Some(0);
        while let Some(c) = self.peek_in(end) {
            if let Some(d) = c.to_digit(10) {
                value = value
                    .and_then(|v| v.checked_mul(10))
                    .and_then(|v| v.checked_add(d as u64));
                self.pos += 1;
            } else {
                break;
            }
        }
        let span = start..self.pos;
        if span.is_empty() {
            return Ok((span, value));
        }
        // "1.5", "1e3"-like decimals: take the whole numeric-looking run.
        if matches!(self.peek_in(end), Some('.') | Some(',')) {
            let mut q = self.pos + 1;
            while q < end && self.s.as_bytes()[q].is_ascii_digit() {
                q += 1;
            }
            return Err(self.err(IrrepsErrorKind::NotAnInteger, start..q));
        }
        // "1 6x0e": digits, whitespace, digits.
        let save = self.pos;
        self.skip_ws_in(end);
        if self.pos > save && self.peek_in(end).is_some_and(|c| c.is_ascii_digit()) {
            let mut q = self.pos;
            while q < end && self.s.as_bytes()[q].is_ascii_digit() {
                q += 1;
            }
            return Err(self.err(IrrepsErrorKind::SpaceInNumber, start..q));
        }
        self.pos = save;
        Ok((span, value))
    }

    /// One term `[MUL x] L P` within `self.pos..end`, surrounding whitespace
    /// allowed.
    fn term(&mut self, end: usize) -> Result<Term, IrrepsError> {
        self.skip_ws_in(end);
        if let Some(c @ ('-' | '+')) = self.peek_in(end) {
            let _ = c;
            return Err(self.err(IrrepsErrorKind::Negative, self.char_span()));
        }
        let (first_span, first) = self.number(end)?;
        self.skip_ws_in(end);
        let (mul, mul_span, l_span, l) = if self.peek_in(end) == Some('x') {
            if first_span.is_empty() {
                return Err(self.err(IrrepsErrorKind::MissingMultiplicity, self.char_span()));
            }
            let mul = first.and_then(|v| usize::try_from(v).ok()).ok_or_else(|| {
                self.err(IrrepsErrorKind::MultiplicityTooLarge, first_span.clone())
            })?;
            self.pos += 1;
            self.skip_ws_in(end);
            if let Some('-') = self.peek_in(end) {
                return Err(self.err(IrrepsErrorKind::Negative, self.char_span()));
            }
            let (l_span, l) = self.number(end)?;
            if l_span.is_empty() {
                let span = if self.peek_in(end).is_some() {
                    self.char_span()
                } else {
                    self.pos..self.pos
                };
                return Err(self.err(IrrepsErrorKind::MissingIrrep, span));
            }
            (mul, Some(first_span), l_span, l)
        } else {
            if first_span.is_empty() {
                let kind = match self.peek_in(end) {
                    Some('e' | 'o' | 'y') => IrrepsErrorKind::MissingIrrep,
                    Some(c) => IrrepsErrorKind::Unexpected(c),
                    None => IrrepsErrorKind::EmptyTerm,
                };
                return Err(self.err(kind, self.char_span()));
            }
            (1, None, first_span, first)
        };
        let l = match l {
            Some(l) if l <= MAX_PARSE_L as u64 => l as u32,
            Some(l) => return Err(self.err(IrrepsErrorKind::DegreeTooLarge(l), l_span)),
            None => return Err(self.err(IrrepsErrorKind::DegreeTooLarge(u64::MAX), l_span)),
        };
        self.skip_ws_in(end);
        let p = match self.peek_in(end) {
            None => return Err(self.err(IrrepsErrorKind::MissingParity, l_span)),
            Some('e') => Parity::Even,
            Some('o') => Parity::Odd,
            Some('y') => Parity::of_harmonic(l),
            Some(c @ ('X' | '×' | '*')) => {
                return Err(self.err(IrrepsErrorKind::WrongTimes(c), self.char_span()))
            }
            Some(c) => return Err(self.err(IrrepsErrorKind::UnknownParity(c), self.char_span())),
        };
        self.pos += 1;
        self.skip_ws_in(end);
        if let Some(c) = self.peek_in(end) {
            return Err(self.err(IrrepsErrorKind::Unexpected(c), self.char_span()));
        }
        Ok(Term {
            mul,
            mul_span,
            ir: Ir::new(l, p),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Irreps {
        s.parse().unwrap()
    }

    #[test]
    fn roundtrip_and_grammar() {
        assert_eq!(parse("16x0e + 8x1o + 4x2e").to_string(), "16x0e+8x1o+4x2e");
        assert_eq!(parse("1o"), parse("1x1o"));
        assert_eq!(parse("2y"), parse("2e"));
        assert_eq!(parse("1y"), parse("1o"));
        assert_eq!(parse(" 16 x 0 e+ 3x1o "), parse("16x0e+3x1o"));
        assert_eq!(parse(""), Irreps::default());
        assert_eq!(parse("   "), Irreps::default());
        assert_eq!(parse("").to_string(), "");
        assert_eq!(parse("0x1e").to_string(), "0x1e");
        for s in ["16x0e+8x1o+4x2e", "0x1e", "", "1x0o+100x3e+2x100y"] {
            assert_eq!(parse(&parse(s).to_string()), parse(s));
        }
        assert_eq!("3y".parse::<Ir>().unwrap(), Ir::new(3, Parity::Odd));
        assert!("2x3y".parse::<Ir>().is_err());
    }

    fn err(s: &str) -> IrrepsError {
        match s.parse::<Irreps>() {
            Ok(i) => panic!("{s:?} parsed as {i}"),
            Err(e) => e,
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = err("16x0e + 8x1q");
        assert_eq!(e.kind, IrrepsErrorKind::UnknownParity('q'));
        assert_eq!(e.span, 11..12);
        assert_eq!(e.column(), 12);
        let msg = e.to_string();
        assert!(msg.contains("unknown parity 'q' at column 12"), "{msg}");
        assert!(
            msg.contains("'e'") && msg.contains("'o'") && msg.contains("'y'"),
            "{msg}"
        );

        let e = err("16x");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::MissingIrrep, 3..3)
        );
        let e = err("x1o");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::MissingMultiplicity, 0..1)
        );
        let e = err("1.5x1o");
        assert_eq!(
            (e.kind.clone(), e.fragment()),
            (IrrepsErrorKind::NotAnInteger, "1.5")
        );
        let e = err("-1x1o");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::Negative, 0..1)
        );
        let e = err("16x0e ++ 1o");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::EmptyTerm, 7..8)
        );
        let e = err("1o +");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::EmptyTerm, 3..4)
        );
        let e = err("+1o");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::EmptyTerm, 0..1)
        );
        let e = err("101e");
        assert_eq!(
            (e.kind.clone(), e.fragment()),
            (IrrepsErrorKind::DegreeTooLarge(101), "101")
        );
        let e = err("99999999999999999999999x1e");
        assert_eq!(e.kind, IrrepsErrorKind::MultiplicityTooLarge);
        let e = err("1 6x0e");
        assert_eq!(
            (e.kind.clone(), e.fragment()),
            (IrrepsErrorKind::SpaceInNumber, "1 6")
        );
        let e = err("16x1");
        assert_eq!(
            (e.kind.clone(), e.fragment()),
            (IrrepsErrorKind::MissingParity, "1")
        );
        let e = err("16x1e3");
        assert_eq!(
            (e.kind.clone(), e.span.clone()),
            (IrrepsErrorKind::Unexpected('3'), 5..6)
        );
        let e = err("4×1o");
        assert_eq!(
            (e.kind.clone(), e.fragment()),
            (IrrepsErrorKind::WrongTimes('×'), "×")
        );
        assert_eq!(err("4X1o").kind, IrrepsErrorKind::WrongTimes('X'));
        let e = err("1o + é");
        assert_eq!(e.column(), 6);
        let e = err("e");
        assert_eq!(e.kind, IrrepsErrorKind::MissingIrrep);
        let e = err("16x-1e");
        assert_eq!(e.kind, IrrepsErrorKind::Negative);
        let e = err("16xe");
        assert_eq!(e.kind, IrrepsErrorKind::MissingIrrep);
        // Every error message is printable and mentions the column.
        for s in [
            "16x",
            "x1o",
            "1.5x1o",
            "-1x1o",
            "16x0e ++ 1o",
            "1o+",
            "1o 2e",
        ] {
            let e = err(s);
            assert!(e.to_string().contains("column"), "{e}");
        }
    }

    #[test]
    fn methods() {
        let x = parse("16x0e + 8x1o + 4x2e");
        assert_eq!(x.dim(), 16 + 24 + 20);
        assert_eq!(x.num_irreps(), 28);
        assert_eq!(x.len(), 3);
        assert_eq!(x.slices(), vec![0..16, 16..40, 40..60]);
        assert_eq!(x.lmax(), Some(2));
        assert_eq!(x.count(Ir::new(1, Parity::Odd)), 8);
        assert!(!x.is_scalar());
        assert!(parse("2x0e+0e").is_scalar());
        assert!(!parse("0o").is_scalar());
        assert!(!Irreps::default().is_scalar());
        assert_eq!(x.filter(|ir| ir.l > 0).to_string(), "8x1o+4x2e");
        assert_eq!(
            Irreps::spherical_harmonics(3).to_string(),
            "1x0e+1x1o+1x2e+1x3o"
        );

        let s = parse("1o+0e+1o+2o+2e+1e").sort();
        assert_eq!(s.irreps.to_string(), "1x0e+1x1o+1x1o+1x1e+1x2e+1x2o");
        assert_eq!(s.inv, vec![1, 0, 2, 5, 4, 3]);
        assert_eq!(s.perm, vec![1, 0, 2, 5, 4, 3]);
        assert_eq!(parse("1o + 0x2e + 2x1o").simplify().to_string(), "3x1o");
        assert_eq!(
            parse("1e + 1e + 0e + 1e").simplify().to_string(),
            "2x1e+1x0e+1x1e"
        );
        assert_eq!(
            parse("1o+0e+1o+2e+0x3o").regroup().to_string(),
            "1x0e+2x1o+1x2e"
        );
    }
}
