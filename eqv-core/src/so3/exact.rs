//! Exact arithmetic for the SU(2) Clebsch-Gordan coefficients.
//!
//! Racah's formula is an alternating sum of ratios of factorials. Summed in
//! `f64` it loses digits to cancellation (already ~1e-12 at l = 10 and worse
//! beyond), so eqv sums it exactly with a tiny unsigned big integer and rounds
//! only once, at the very end. Nothing here is public: the tables built from
//! it are.

use std::cmp::Ordering;

/// Unsigned arbitrary-precision integer, little-endian 32-bit limbs, no
/// leading zero limbs (zero is the empty vector).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    pub(crate) fn from_u64(x: u64) -> Self {
        let mut b = BigUint {
            limbs: vec![x as u32, (x >> 32) as u32],
        };
        b.trim();
        b
    }

    pub(crate) fn zero() -> Self {
        BigUint { limbs: Vec::new() }
    }

    pub(crate) fn one() -> Self {
        Self::from_u64(1)
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    /// `self *= k` for a small factor.
    pub(crate) fn mul_small(&mut self, k: u32) {
        let mut carry: u64 = 0;
        for limb in &mut self.limbs {
            let t = *limb as u64 * k as u64 + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// `self *= (lo+1)(lo+2)...(hi)`, i.e. by `hi!/lo!` (no-op if `hi <= lo`).
    pub(crate) fn mul_range(&mut self, lo: u32, hi: u32) {
        for k in lo + 1..=hi {
            self.mul_small(k);
        }
    }

    /// `n!`.
    pub(crate) fn factorial(n: u32) -> Self {
        let mut b = Self::one();
        b.mul_range(0, n);
        b
    }

    pub(crate) fn mul(&self, other: &BigUint) -> BigUint {
        if self.is_zero() || other.is_zero() {
            return Self::zero();
        }
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry: u64 = 0;
            for (j, &b) in other.limbs.iter().enumerate() {
                let t = out[i + j] as u64 + a as u64 * b as u64 + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            let mut k = i + other.limbs.len();
            while carry > 0 {
                let t = out[k] as u64 + carry;
                out[k] = t as u32;
                carry = t >> 32;
                k += 1;
            }
        }
        let mut b = BigUint { limbs: out };
        b.trim();
        b
    }

    pub(crate) fn add(&self, other: &BigUint) -> BigUint {
        let n = self.limbs.len().max(other.limbs.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let a = *self.limbs.get(i).unwrap_or(&0) as u64;
            let b = *other.limbs.get(i).unwrap_or(&0) as u64;
            let t = a + b + carry;
            out.push(t as u32);
            carry = t >> 32;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        let mut b = BigUint { limbs: out };
        b.trim();
        b
    }

    /// `self - other`, requires `self >= other`.
    pub(crate) fn sub(&self, other: &BigUint) -> BigUint {
        debug_assert!(self.cmp_mag(other) != Ordering::Less);
        let mut out = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let a = self.limbs[i] as i64;
            let b = *other.limbs.get(i).unwrap_or(&0) as i64;
            let mut t = a - b - borrow;
            if t < 0 {
                t += 1 << 32;
                borrow = 1;
            } else {
                borrow = 0;
            }
            out.push(t as u32);
        }
        let mut b = BigUint { limbs: out };
        b.trim();
        b
    }

    pub(crate) fn cmp_mag(&self, other: &BigUint) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| {
            for i in (0..self.limbs.len()).rev() {
                match self.limbs[i].cmp(&other.limbs[i]) {
                    Ordering::Equal => continue,
                    o => return o,
                }
            }
            Ordering::Equal
        })
    }

    /// `(m, e)` with `self ≈ m · 2^e`, `m` holding the top 64 bits (so the
    /// relative error is below 2^-63, far under one f64 ulp after rounding).
    pub(crate) fn to_scaled_f64(&self) -> (f64, i64) {
        let n = self.limbs.len();
        match n {
            0 => (0.0, 0),
            1 => (self.limbs[0] as f64, 0),
            _ => {
                let top = ((self.limbs[n - 1] as u64) << 32) | self.limbs[n - 2] as u64;
                let lz = top.leading_zeros();
                // Gather 64 significant bits from the top three limbs.
                let third = if n >= 3 { self.limbs[n - 3] as u64 } else { 0 };
                let bits = if lz == 0 {
                    top
                } else {
                    (top << lz) | (third >> (32 - lz))
                };
                let exp = 32 * (n as i64 - 2) - lz as i64;
                (bits as f64, exp)
            }
        }
    }
}

/// `sqrt(num / den)` of two big integers, rounded once (within ~1 ulp).
pub(crate) fn sqrt_ratio(num: &BigUint, den: &BigUint) -> f64 {
    if num.is_zero() {
        return 0.0;
    }
    let (mn, en) = num.to_scaled_f64();
    let (md, ed) = den.to_scaled_f64();
    let mut q = mn / md;
    let mut e = en - ed;
    if e % 2 != 0 {
        q *= 2.0;
        e -= 1;
    }
    let half = (e / 2) as i32;
    q.sqrt() * pow2(half)
}

/// `2^k` exactly (for the exponents that occur here, well inside f64 range).
fn pow2(k: i32) -> f64 {
    2.0_f64.powi(k)
}

/// The SU(2) Clebsch-Gordan coefficient `<l1 m1 l2 m2 | l3 m1+m2>` (Condon-
/// Shortley phase) divided by `sqrt(2 l3 + 1)`, as e3nn-jax defines its
/// tensor before the change to the real basis.
///
/// Computed from Racah's formula with the alternating sum done exactly, so
/// the only rounding is one square root of an exact rational: the result is
/// within a couple of ulp at any `l`. Integer degrees only.
pub(crate) fn su2_cg_over_sqrt(l1: u32, m1: i64, l2: u32, m2: i64, l3: u32) -> f64 {
    let (j1, j2, j3) = (l1 as i64, l2 as i64, l3 as i64);
    let m3 = m1 + m2;
    if j3 < (j1 - j2).abs() || j3 > j1 + j2 || m1.abs() > j1 || m2.abs() > j2 || m3.abs() > j3 {
        return 0.0;
    }
    let f = |n: i64| BigUint::factorial(n as u32);
    // Racah: C = sqrt[(2J+1) (J+j1-j2)! (J-j1+j2)! (j1+j2-J)! / (j1+j2+J+1)!]
    //          · sqrt[(J+M)! (J-M)! (j1-m1)! (j1+m1)! (j2-m2)! (j2+m2)!]
    //          · Σ_k (-1)^k / [k! (j1+j2-J-k)! (j1-m1-k)! (j2+m2-k)! (J-j2+m1+k)! (J-j1-m2+k)!]
    // e3nn divides by sqrt(2J+1), which removes the (2J+1) factor.
    let a = j1 + j2 - j3;
    let b = j1 - m1;
    let c = j2 + m2;
    let d = j3 - j2 + m1;
    let e = j3 - j1 - m2;
    let kmin = 0.max(-d).max(-e);
    let kmax = a.min(b).min(c);
    if kmin > kmax {
        return 0.0;
    }
    // Common multiple of every term's denominator: each factorial at its
    // largest argument over the range of k. T_k = common / denominator_k is
    // then a product of runs of consecutive integers.
    let mut pos = BigUint::zero();
    let mut neg = BigUint::zero();
    for k in kmin..=kmax {
        let mut t = BigUint::one();
        t.mul_range(k as u32, kmax as u32);
        t.mul_range((a - k) as u32, (a - kmin) as u32);
        t.mul_range((b - k) as u32, (b - kmin) as u32);
        t.mul_range((c - k) as u32, (c - kmin) as u32);
        t.mul_range((d + k) as u32, (d + kmax) as u32);
        t.mul_range((e + k) as u32, (e + kmax) as u32);
        if k % 2 == 0 {
            pos = pos.add(&t);
        } else {
            neg = neg.add(&t);
        }
    }
    let (sum, sign) = match pos.cmp_mag(&neg) {
        Ordering::Equal => return 0.0,
        Ordering::Greater => (pos.sub(&neg), 1.0),
        Ordering::Less => (neg.sub(&pos), -1.0),
    };
    let common = f(kmax)
        .mul(&f(a - kmin))
        .mul(&f(b - kmin))
        .mul(&f(c - kmin))
        .mul(&f(d + kmax))
        .mul(&f(e + kmax));
    // C^2 / (2J+1) = num / den
    let num = f(j3 + j1 - j2)
        .mul(&f(j3 - j1 + j2))
        .mul(&f(a))
        .mul(&f(j3 + m3))
        .mul(&f(j3 - m3))
        .mul(&f(j1 - m1))
        .mul(&f(j1 + m1))
        .mul(&f(j2 - m2))
        .mul(&f(j2 + m2))
        .mul(&sum)
        .mul(&sum);
    let den = f(j1 + j2 + j3 + 1).mul(&common).mul(&common);
    sign * sqrt_ratio(&num, &den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigint_basics() {
        let a = BigUint::factorial(25);
        let b = BigUint::factorial(24);
        let mut c = b.clone();
        c.mul_small(25);
        assert_eq!(a, c);
        assert_eq!(a.sub(&b).add(&b), a);
        assert_eq!(a.cmp_mag(&b), Ordering::Greater);
        // 30! = 2.6525285981219103e32
        let (m, e) = BigUint::factorial(30).to_scaled_f64();
        let v = m * 2f64.powi(e as i32);
        assert!((v / 2.652_528_598_121_910_3e32 - 1.0).abs() < 1e-15);
        assert!((sqrt_ratio(&BigUint::from_u64(9), &BigUint::from_u64(4)) - 1.5).abs() < 1e-16);
    }

    #[test]
    fn known_su2_values() {
        // <1/2 ...> not supported; integer values: <1 0 1 0 | 0 0> = -1/sqrt(3)
        let s3 = 3f64.sqrt();
        let v = su2_cg_over_sqrt(1, 0, 1, 0, 0);
        assert!((v - (-1.0 / s3)).abs() < 2e-16, "{v}");
        // <1 1 1 -1 | 2 0> = 1/sqrt(6), divided by sqrt(5)
        let v = su2_cg_over_sqrt(1, 1, 1, -1, 2);
        assert!((v - 1.0 / 6f64.sqrt() / 5f64.sqrt()).abs() < 2e-16);
        // <1 1 1 0 | 1 1> = 1/sqrt(2), divided by sqrt(3)
        let v = su2_cg_over_sqrt(1, 1, 1, 0, 1);
        assert!((v - 1.0 / 2f64.sqrt() / s3).abs() < 2e-16);
        assert_eq!(su2_cg_over_sqrt(1, 1, 1, 1, 0), 0.0);
    }

    #[test]
    fn su2_orthonormality_high_l() {
        // Σ_{m1,m2} <l1 m1 l2 m2|l3 m3>^2 = 1 for every m3, here at l = 12.
        let (l1, l2, l3) = (12u32, 11u32, 9u32);
        for m3 in -(l3 as i64)..=l3 as i64 {
            let mut s = 0.0;
            for m1 in -(l1 as i64)..=l1 as i64 {
                let m2 = m3 - m1;
                let v = su2_cg_over_sqrt(l1, m1, l2, m2, l3);
                s += v * v;
            }
            assert!((s * (2 * l3 + 1) as f64 - 1.0).abs() < 1e-14, "{s}");
        }
    }
}
