//! Dual numbers `a + b·ε` with `ε² = 0`: forward-mode differentiation.
//!
//! `Dual<T>` is itself [`Real`], so duals nest (`Dual<Dual<f64>>`) and every
//! kernel written for `Real` can be differentiated to any order.

use crate::real::Real;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A dual number: primal part `re` and tangent part `eps`.
///
/// `repr(C)`: a slice of `n` dual numbers is a slice of `2n` numbers of `T`
/// (primal, tangent, primal, …), which lets the matrix product run on the
/// two parts as strided views without copying them apart
/// ([`crate::kernels::gemm`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct Dual<T> {
    /// Primal value.
    pub re: T,
    /// Tangent (directional derivative).
    pub eps: T,
}

impl<T: Real> Dual<T> {
    /// A dual number with the given primal and tangent parts.
    pub const fn new(re: T, eps: T) -> Self {
        Dual { re, eps }
    }
    /// A constant: tangent zero.
    pub const fn constant(re: T) -> Self {
        Dual { re, eps: T::ZERO }
    }
    /// The variable of differentiation: tangent one.
    pub const fn variable(re: T) -> Self {
        Dual { re, eps: T::ONE }
    }
    /// Applies `f` with derivative `df` (both evaluated at the primal part).
    #[inline(always)]
    fn chain(self, f: T, df: T) -> Self {
        Dual {
            re: f,
            eps: df * self.eps,
        }
    }
}

impl<T: Real> PartialOrd for Dual<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

impl<T: Real> fmt::Display for Dual<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}ε", self.re, self.eps)
    }
}

impl<T: Real> Add for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Dual::new(self.re + o.re, self.eps + o.eps)
    }
}
impl<T: Real> Sub for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Dual::new(self.re - o.re, self.eps - o.eps)
    }
}
impl<T: Real> Mul for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Dual::new(self.re * o.re, self.re * o.eps + self.eps * o.re)
    }
}
impl<T: Real> Div for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        let q = self.re / o.re;
        Dual::new(q, (self.eps - q * o.eps) / o.re)
    }
}
impl<T: Real> Neg for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Dual::new(-self.re, -self.eps)
    }
}
impl<T: Real> AddAssign for Dual<T> {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}
impl<T: Real> SubAssign for Dual<T> {
    #[inline(always)]
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}
impl<T: Real> MulAssign for Dual<T> {
    #[inline(always)]
    fn mul_assign(&mut self, o: Self) {
        *self = *self * o;
    }
}
impl<T: Real> DivAssign for Dual<T> {
    #[inline(always)]
    fn div_assign(&mut self, o: Self) {
        *self = *self / o;
    }
}
impl<T: Real> Sum for Dual<T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, |a, b| a + b)
    }
}

impl<T: Real> Real for Dual<T> {
    const ZERO: Self = Dual {
        re: T::ZERO,
        eps: T::ZERO,
    };
    const ONE: Self = Dual {
        re: T::ONE,
        eps: T::ZERO,
    };
    fn from_f64(x: f64) -> Self {
        Dual::constant(T::from_f64(x))
    }
    fn value(self) -> f64 {
        self.re.value()
    }
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        // d sqrt = 1/(2 sqrt); at 0 the tangent is taken as 0 to stay finite.
        let ds = if s.value() == 0.0 {
            T::ZERO
        } else {
            T::from_f64(0.5) / s
        };
        self.chain(s, ds)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    /// σ' = σ (1 − σ): one sigmoid of the primal part (branch-free for
    /// `f32`/`f64`) instead of dual arithmetic through `exp` and a quotient.
    #[inline(always)]
    fn sigmoid(self) -> Self {
        let s = self.re.sigmoid();
        self.chain(s, s * (T::ONE - s))
    }
    fn ln(self) -> Self {
        self.chain(self.re.ln(), T::ONE / self.re)
    }
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        self.chain(t, T::ONE - t * t)
    }
    fn sin(self) -> Self {
        self.chain(self.re.sin(), self.re.cos())
    }
    fn cos(self) -> Self {
        self.chain(self.re.cos(), -self.re.sin())
    }
    fn abs(self) -> Self {
        let v = self.re.value();
        let sign = if v > 0.0 {
            T::ONE
        } else if v < 0.0 {
            -T::ONE
        } else {
            T::ZERO
        };
        self.chain(self.re.abs(), sign)
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Self::ONE;
        }
        self.chain(self.re.powi(n), T::from_f64(n as f64) * self.re.powi(n - 1))
    }
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.eps.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::real::derivative;

    #[test]
    fn derivatives_of_elementary_functions() {
        let x = 0.7_f64;
        let h = 1e-6;
        let fd = |f: &dyn Fn(f64) -> f64| (f(x + h) - f(x - h)) / (2.0 * h);
        type DualFn = Box<dyn Fn(Dual<f64>) -> Dual<f64>>;
        type RealFn = Box<dyn Fn(f64) -> f64>;
        let cases: Vec<(DualFn, RealFn)> = vec![
            (Box::new(|x| x.sqrt()), Box::new(|x| x.sqrt())),
            (Box::new(|x| x.exp()), Box::new(|x| x.exp())),
            (Box::new(|x| x.ln()), Box::new(|x| x.ln())),
            (Box::new(|x| x.tanh()), Box::new(|x| x.tanh())),
            (Box::new(|x| x.sin()), Box::new(|x| x.sin())),
            (Box::new(|x| x.cos()), Box::new(|x| x.cos())),
            (Box::new(|x| x.powi(3)), Box::new(|x| x.powi(3))),
            (
                Box::new(|x| x.sigmoid()),
                Box::new(|x| 1.0 / (1.0 + (-x).exp())),
            ),
            (
                Box::new(|x| x.softplus()),
                Box::new(|x| (1.0 + x.exp()).ln()),
            ),
            (
                Box::new(|x| x / (x * x + Dual::ONE)),
                Box::new(|x| x / (x * x + 1.0)),
            ),
        ];
        for (dual_f, f) in cases {
            let d = derivative(&dual_f, x);
            assert!((d - fd(&*f)).abs() < 1e-8, "{d} vs {}", fd(&*f));
        }
    }

    #[test]
    fn nested_duals_give_second_derivatives() {
        // f(x) = x^3 e^x; f'' = (6x + 6x^2 + x^3) e^x
        let x = 0.3_f64;
        let second = derivative(
            |y: Dual<Dual<f64>>| {
                let _ = y;
                y.powi(3) * y.exp()
            },
            Dual::variable(x),
        )
        .eps;
        let exact = (6.0 * x + 6.0 * x * x + x.powi(3)) * x.exp();
        assert!((second - exact).abs() < 1e-12);
    }

    #[test]
    fn stable_sigmoid_and_softplus_at_extremes() {
        assert_eq!(1000.0_f64.sigmoid(), 1.0);
        assert_eq!((-1000.0_f64).sigmoid(), 0.0);
        assert_eq!(1000.0_f64.softplus(), 1000.0);
        assert!((-1000.0_f64).softplus() >= 0.0);
    }
}
