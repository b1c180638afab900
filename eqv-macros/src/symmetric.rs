//! The coupling paths of a symmetric contraction (MACE's product basis),
//! worked out from the irreps literals at compile time.
//!
//! Per channel `k`, the features `A_k` (one block per input irrep) are
//! multiplied with themselves `ν'` times, `ν' = 1..=ν`, and coupled by
//! Clebsch-Gordan products to an output irrep. Because the factors commute,
//! a product is named by a *multiset* of input blocks, written as a
//! non-decreasing sequence of block indices `i1 <= i2 <= … <= iν'`; its
//! couplings are the left-associated trees
//! `((A_i1 ⊗ A_i2 → L2) ⊗ A_i3 → L3) … → OUT`, one per choice of the
//! intermediate irreps. These trees span every equivariant polynomial of
//! that multiset (they are a basis of the maps from the ordered tensor
//! product, and the polynomials are its restriction to the diagonal).
//!
//! Left out, so no weight is spent on a product that is always zero:
//! * trees that break the selection or parity rule at some coupling;
//! * trees whose first coupling joins a block with itself into its
//!   antisymmetric part (`2 l − L` odd, e.g. `a ⊗ a → 1e` for a vector: the
//!   cross product of a vector with itself);
//! * every tree of a multiset whose symmetric power holds no copy of the
//!   output irrep at all (e.g. `1o ⊗ 1o ⊗ 1o → 2o`: Sym³ of a vector is
//!   `1o + 3o`), counted exactly by weights (see [`multiplicity`]).
//!
//! What remains can be linearly dependent for `ν ≥ 3` (MACE removes that
//! redundancy with its `U` matrices; here it costs a few extra weights).

use crate::irrep::{Ir, Parity, MAX_L};

/// The highest correlation order the layer accepts: the number of paths
/// grows quickly with it, and MACE uses 3.
pub const MAX_CORRELATION: usize = 4;

/// One coupling path: the input blocks multiplied (non-decreasing indices)
/// and the irrep after each coupling (the last is the output irrep; empty
/// for the order-1 path, which is the input block itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub factors: Vec<usize>,
    pub couplings: Vec<Ir>,
}

/// Every path into `out`, for correlation orders `1..=nu`, in a fixed
/// order: by order, then by multiset (lexicographic in the block indices
/// as written), then by intermediate irreps (increasing `l`).
pub fn paths(input: &[Ir], out: Ir, nu: usize) -> Vec<Path> {
    let mut all = Vec::new();
    for order in 1..=nu {
        for factors in multisets(input.len(), order) {
            if multiplicity(input, &factors, out) == 0 {
                continue;
            }
            trees(input, &factors, out, &mut all);
        }
    }
    all
}

/// The lowest correlation order `<= up_to` at which some product of the
/// input blocks contains `out`, if any.
pub fn lowest_order(input: &[Ir], out: Ir, up_to: usize) -> Option<usize> {
    (1..=up_to).find(|&order| {
        multisets(input.len(), order)
            .iter()
            .any(|f| multiplicity(input, f, out) > 0)
    })
}

/// Non-decreasing sequences of length `order` over `0..n`, lexicographic.
fn multisets(n: usize, order: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(order);
    fn rec(n: usize, order: usize, start: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == order {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(n, order, i, cur, out);
            cur.pop();
        }
    }
    rec(n, order, 0, &mut cur, &mut out);
    out
}

/// How many copies of `out` the symmetric product of the blocks `factors`
/// (one channel) contains: the product over distinct blocks `b` of
/// `Sym^{m_b}(V_{l_b})`, counted by weights. The weight `M` occurs in
/// `Sym^m(V_l)` as often as there are multisets of `m` values in `-l..=l`
/// summing to `M`; the multiplicity of `L` is `n(L) − n(L+1)`. Parity is
/// the product of the factors' parities.
pub fn multiplicity(input: &[Ir], factors: &[usize], out: Ir) -> usize {
    let parity = factors
        .iter()
        .fold(Parity::Even, |p, &i| p.times(input[i].p));
    if parity != out.p {
        return 0;
    }
    // Weight counts of the whole product, indexed by M + offset.
    let mut counts: Vec<u64> = vec![1];
    let mut offset: i64 = 0;
    let mut i = 0;
    while i < factors.len() {
        let b = factors[i];
        let m = factors[i..].iter().take_while(|&&f| f == b).count();
        let sym = symmetric_power_weights(input[b].l as i64, m);
        let sym_offset = input[b].l as i64 * m as i64;
        let mut next = vec![0u64; counts.len() + sym.len() - 1];
        for (x, &cx) in counts.iter().enumerate() {
            for (y, &cy) in sym.iter().enumerate() {
                next[x + y] += cx * cy;
            }
        }
        counts = next;
        offset += sym_offset;
        i += m;
    }
    let at = |w: i64| -> u64 {
        let idx = w + offset;
        if idx < 0 || idx as usize >= counts.len() {
            0
        } else {
            counts[idx as usize]
        }
    };
    let l = out.l as i64;
    (at(l) - at(l + 1)) as usize
}

/// Weight counts of `Sym^m(V_l)`, indexed by `M + l·m`.
fn symmetric_power_weights(l: i64, m: usize) -> Vec<u64> {
    // ways[k][s]: multisets of k values from the values seen so far, sum s.
    let width = (2 * l) as usize * m + 1;
    let mut ways = vec![vec![0u64; width]; m + 1];
    ways[0][0] = 1;
    // Values shifted to 0..=2l; each value may be taken any number of times.
    for v in 0..=(2 * l) as usize {
        for k in 1..=m {
            for s in v..width {
                ways[k][s] += ways[k - 1][s - v];
            }
        }
    }
    ways[m].clone()
}

/// Appends the coupling trees of one multiset into `out`.
fn trees(input: &[Ir], factors: &[usize], out: Ir, all: &mut Vec<Path>) {
    if factors.len() == 1 {
        if input[factors[0]] == out {
            all.push(Path {
                factors: factors.to_vec(),
                couplings: Vec::new(),
            });
        }
        return;
    }
    let mut couplings = Vec::new();
    grow(input, factors, out, input[factors[0]], &mut couplings, all);
}

fn grow(
    input: &[Ir],
    factors: &[usize],
    out: Ir,
    cur: Ir,
    couplings: &mut Vec<Ir>,
    all: &mut Vec<Path>,
) {
    let step = couplings.len() + 1; // the factor joined next
    if step == factors.len() {
        if cur == out {
            all.push(Path {
                factors: factors.to_vec(),
                couplings: couplings.clone(),
            });
        }
        return;
    }
    let next = input[factors[step]];
    let rest: u32 = factors[step + 1..].iter().map(|&i| input[i].l).sum();
    for ir in cur.products(next) {
        let last = step + 1 == factors.len();
        if last && ir != out {
            continue;
        }
        // Only irreps from which the remaining factors can still reach `out`.
        if ir.l > MAX_L || ir.l.abs_diff(out.l) > rest {
            continue;
        }
        // A block coupled with itself: the antisymmetric part is zero.
        if step == 1 && factors[0] == factors[1] && (2 * cur.l - ir.l) % 2 == 1 {
            continue;
        }
        couplings.push(ir);
        grow(input, factors, out, ir, couplings, all);
        couplings.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ir(l: u32, odd: bool) -> Ir {
        Ir::new(l, if odd { Parity::Odd } else { Parity::Even })
    }

    #[test]
    fn symmetric_powers_decompose_as_known() {
        let v = [ir(1, true)];
        // Sym²(1o) = 0e + 2e; Sym³(1o) = 1o + 3o.
        assert_eq!(multiplicity(&v, &[0, 0], ir(0, false)), 1);
        assert_eq!(multiplicity(&v, &[0, 0], ir(1, false)), 0);
        assert_eq!(multiplicity(&v, &[0, 0], ir(2, false)), 1);
        assert_eq!(multiplicity(&v, &[0, 0, 0], ir(1, true)), 1);
        assert_eq!(multiplicity(&v, &[0, 0, 0], ir(2, true)), 0);
        assert_eq!(multiplicity(&v, &[0, 0, 0], ir(3, true)), 1);
        // Sym³(2e) = 0e + 2e + 3e + 4e + 6e.
        let t = [ir(2, false)];
        for (l, m) in [(0, 1), (1, 0), (2, 1), (3, 1), (4, 1), (5, 0), (6, 1)] {
            assert_eq!(multiplicity(&t, &[0, 0, 0], ir(l, false)), m, "L = {l}");
        }
        // 1o ⊗ 2e (distinct blocks): 1o + 2o + 3o.
        let a = [ir(1, true), ir(2, false)];
        assert_eq!(multiplicity(&a, &[0, 1], ir(2, true)), 1);
        assert_eq!(multiplicity(&a, &[0, 1], ir(2, false)), 0);
    }

    #[test]
    fn mace_paths_are_counted_and_ordered() {
        let a = [ir(0, false), ir(1, true), ir(2, false)];
        let s = paths(&a, ir(0, false), 3);
        let orders: Vec<usize> = s.iter().map(|p| p.factors.len()).collect();
        assert_eq!(orders, vec![1, 2, 2, 2, 3, 3, 3, 3, 3]);
        assert_eq!(s[1].factors, vec![0, 0]);
        assert_eq!(s[2].factors, vec![1, 1]);
        let v = paths(&a, ir(1, true), 3);
        assert_eq!(v.len(), 10);
        // a ⊗ a → 1e is the zero cross product: left out.
        assert!(paths(&a, ir(1, false), 2).is_empty());
        assert_eq!(lowest_order(&a, ir(1, false), 8), Some(3));
        // No product of even blocks is odd.
        assert_eq!(
            lowest_order(&[ir(0, false), ir(2, false)], ir(1, true), 8),
            None
        );
    }

    #[test]
    fn every_path_couples_legally() {
        let a = [ir(0, false), ir(1, true), ir(2, false)];
        for out in [ir(0, false), ir(1, true), ir(2, false), ir(3, true)] {
            for p in paths(&a, out, 4) {
                let mut cur = a[p.factors[0]];
                for (k, &c) in p.couplings.iter().enumerate() {
                    assert!(cur.couples_to(a[p.factors[k + 1]], c));
                    cur = c;
                }
                assert_eq!(cur, out);
                assert!(p.factors.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }
}
