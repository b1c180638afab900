//! Pointwise activations on scalar features (rule 1), normalised to unit
//! second moment (e3nn's `normalize2mom`).
//!
//! Each activation is a unit type with a generic `eval`, so one definition
//! serves every number type, and its derivative (of any order) comes from
//! dual numbers. Its symmetry type decides what it may do to a
//! `Pseudoscalar` (rule 9).

use crate::dual::Dual;
use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::irrep::Pseudoscalar;
use crate::kernels::parallel;
use crate::kernels::simd::vectorized;
use crate::real::Real;
use crate::rules::r9_parity::{EvenFunction, NoSymmetry, OddFunction, Symmetry};
use crate::rules::ActsOn;
use std::any::TypeId;
use std::cell::RefCell;
use std::fmt::Debug;

/// A scalar function applied to every component of a scalar feature.
pub trait Activation: Copy + Debug + Send + Sync + 'static {
    /// [`OddFunction`], [`EvenFunction`] or [`NoSymmetry`] (rule 9). A
    /// claim of odd or even is checked numerically the first time the
    /// activation acts on a `Pseudoscalar` ([`check_symmetry`]).
    type Symmetry: Symmetry;
    /// Lower-case name, for summaries.
    const NAME: &'static str;
    /// `1/sqrt(E[f(z)²])` for `z ~ N(0, 1)`, computed exactly (Gauss-Hermite
    /// quadrature) rather than by e3nn's Monte-Carlo estimate.
    const SECOND_MOMENT_SCALE: f64;
    /// The raw function.
    fn eval<R: Real>(self, x: R) -> R;
    /// The normalised function `c·f(x)` used by [`Feat::activate`]
    /// (inlined, so the activation loops vectorise).
    #[inline(always)]
    fn normalized<R: Real>(self, x: R) -> R {
        R::from_f64(Self::SECOND_MOMENT_SCALE) * self.eval(x)
    }
}

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, $sym:ty, $label:literal, $scale:expr, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;
        impl Activation for $name {
            type Symmetry = $sym;
            const NAME: &'static str = $label;
            const SECOND_MOMENT_SCALE: f64 = $scale;
            #[inline(always)]
            fn eval<R: Real>(self, $x: R) -> R {
                $body
            }
        }
    };
}

activation!(
    /// `x·sigmoid(x)` (swish), the default in NequIP and MACE.
    Silu, NoSymmetry, "silu", 1.676532470331092, |x| x * x.sigmoid()
);
activation!(
    /// Hyperbolic tangent; odd, so allowed on pseudoscalars (result 0o).
    Tanh, OddFunction, "tanh", 1.592537419722832, |x| x.tanh()
);
activation!(
    /// `1/(1+e^{-x})`, the usual gate function.
    Sigmoid, NoSymmetry, "sigmoid", 1.8462285453386054, |x| x.sigmoid()
);
activation!(
    /// `max(x, 0)`.
    Relu, NoSymmetry, "relu", std::f64::consts::SQRT_2, |x| if x > R::ZERO { x } else { R::ZERO }
);
activation!(
    /// `ln(1 + e^x)`.
    Softplus, NoSymmetry, "softplus", 1.0418668355353018, |x| x.softplus()
);
activation!(
    /// `|x|`; even, so it turns a pseudoscalar into a scalar.
    Abs, EvenFunction, "abs", 1.0, |x| x.abs()
);
activation!(
    /// `x²`; even, so it turns a pseudoscalar into a scalar.
    Square, EvenFunction, "square", 0.577350269189626, |x| x * x
);
activation!(
    /// The identity (odd); useful to switch a nonlinearity off.
    Identity, OddFunction, "identity", 1.0, |x| x
);

/// Checks the odd/even claim of an activation (rule 9): `f(−x) = −f(x)`
/// for [`OddFunction`], `f(−x) = f(x)` for [`EvenFunction`], at a few
/// points in `[0.05, 6]` (relative tolerance 1e-9). [`NoSymmetry`] claims
/// nothing and always passes. Call it in a test of a custom activation;
/// eqv also calls it the first time an activation acts on a pseudoscalar.
///
/// ```
/// use eqv::ops::activation::{check_symmetry, Activation};
/// use eqv::real::Real;
/// use eqv::rules::r9_parity::OddFunction;
/// #[derive(Clone, Copy, Debug, Default)]
/// struct Cube;
/// impl Activation for Cube {
///     type Symmetry = OddFunction;
///     const NAME: &'static str = "cube";
///     const SECOND_MOMENT_SCALE: f64 = 0.2581988897471611;
///     fn eval<R: Real>(self, x: R) -> R { x * x * x }
/// }
/// assert!(check_symmetry(Cube).is_ok());
/// ```
///
/// # Errors
/// A message naming the activation, its claim, and the point where the
/// claim fails.
pub fn check_symmetry<A: Activation>(a: A) -> Result<(), String> {
    let Some(sign) = <A::Symmetry as Symmetry>::SIGN else {
        return Ok(());
    };
    for x in [0.05, 0.3, 0.77, 1.3, 2.1, 3.7, 6.0] {
        let (fp, fm) = (a.eval(x), a.eval(-x));
        let want = sign * fp;
        let ok = (fm - want).abs() <= 1e-9 * (1.0 + fp.abs());
        if !ok {
            return Err(format!(
                "activation `{}` ({}) declares `type Symmetry = {}`, but f(-{x}) = {fm} while {}f({x}) = {want}: \
                 rule 9: only a truly {} function keeps the parity of a Pseudoscalar (0o); \
                 fix: declare `type Symmetry = NoSymmetry` (it may then act on Scalars only) or correct `eval`; see `eqv::rules::r9_parity`",
                A::NAME,
                std::any::type_name::<A>(),
                <A::Symmetry as Symmetry>::NAME,
                if sign < 0.0 { "-" } else { "" },
                if sign < 0.0 { "odd" } else { "even" },
            ));
        }
    }
    Ok(())
}

thread_local! {
    static CHECKED: RefCell<Vec<TypeId>> = const { RefCell::new(Vec::new()) };
}

/// [`check_symmetry`] once per activation type and thread; panics on a
/// false claim.
fn ensure_symmetry<A: Activation>(a: A) {
    let id = TypeId::of::<A>();
    if CHECKED.with(|c| c.borrow().contains(&id)) {
        return;
    }
    if let Err(e) = check_symmetry(a) {
        panic!("{e}");
    }
    CHECKED.with(|c| c.borrow_mut().push(id));
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// Applies the (normalised) activation `a` to every component.
    ///
    /// Only scalars may pass through a nonlinearity (rule 1); pseudoscalars
    /// only through odd or even ones (rule 9), which decides the output
    /// irrep.
    ///
    /// # Panics
    /// On a pseudoscalar, if the activation's odd/even claim is false
    /// ([`check_symmetry`]).
    pub fn activate<A: ActsOn<I> + Activation>(self, a: A) -> Feat<'t, A::Out, T> {
        if I::IR == Pseudoscalar::IR {
            ensure_symmetry(a);
        }
        let x = self.data();
        let mut y = self.tape().scratch(x.len());
        let xs: &[T] = &x;
        parallel::elementwise(&mut y, |at, y| {
            vectorized(
                #[inline(always)]
                || {
                    for (o, &v) in y.iter_mut().zip(&xs[at..]) {
                        *o = a.normalized(v);
                    }
                },
            )
        });
        let xin = self.id();
        Feat::from_op(
            self.tape(),
            self.rows(),
            self.mul(),
            y,
            &[xin],
            move |gy, g| {
                if g.wants(xin) {
                    let xs: &[T] = &x;
                    parallel::elementwise(g.acc(xin), |at, gx| {
                        vectorized(
                            #[inline(always)]
                            || {
                                let pairs = gx.iter_mut().zip(&gy[at..]).zip(&xs[at..]);
                                for ((gx, &gy), &xv) in pairs {
                                    *gx += gy * a.normalized(Dual::variable(xv)).eps;
                                }
                            },
                        )
                    });
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irrep::{Pseudoscalar, Scalar};
    use crate::tape::Tape;

    fn second_moment<A: Activation>(a: A) -> f64 {
        // Simpson's rule on [-12, 12] against the normal density.
        let n = 24_000;
        let h = 24.0 / n as f64;
        (0..=n)
            .map(|i| {
                let x = -12.0 + i as f64 * h;
                let w = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * a.normalized(x).powi(2) * (-x * x / 2.0).exp()
            })
            .sum::<f64>()
            * h
            / 3.0
            / (2.0 * std::f64::consts::PI).sqrt()
    }

    #[test]
    fn activations_have_unit_second_moment() {
        for m in [
            second_moment(Silu),
            second_moment(Tanh),
            second_moment(Sigmoid),
            second_moment(Relu),
            second_moment(Softplus),
            second_moment(Abs),
            second_moment(Square),
            second_moment(Identity),
        ] {
            assert!((m - 1.0).abs() < 1e-8, "second moment {m}");
        }
    }

    #[test]
    fn symmetries_are_what_they_claim() {
        for x in [0.3, 1.7, 4.0] {
            assert!((Tanh.eval(-x) + Tanh.eval(x)).abs() < 1e-15);
            assert_eq!(Abs.eval(-x), Abs.eval(x));
            assert_eq!(Square.eval(-x), Square.eval(x));
        }
    }

    #[test]
    fn activation_vjp_matches_finite_differences() {
        let x0 = vec![-1.3, -0.2, 0.4, 2.5];
        let f = |x: &[f64]| {
            let tape = Tape::<f64>::new();
            let v = Feat::<Scalar>::raw_variable(&tape, 2, 2, x.to_vec());
            v.activate(Silu).to_f64().iter().sum::<f64>()
        };
        let tape = Tape::<f64>::new();
        let v = Feat::<Scalar>::raw_variable(&tape, 2, 2, x0.clone());
        let y = v.activate(Silu);
        let grads = tape.backward(y.id(), &[1.0; 4]);
        let g = grads.get(v.id()).unwrap();
        for i in 0..4 {
            let mut p = x0.clone();
            let mut m = x0.clone();
            p[i] += 1e-6;
            m[i] -= 1e-6;
            let fd = (f(&p) - f(&m)) / 2e-6;
            assert!((fd - g[i]).abs() < 1e-7);
        }
    }

    #[test]
    fn pseudoscalars_keep_a_definite_parity() {
        let tape = Tape::<f64>::new();
        let p = Feat::<Pseudoscalar>::raw_input(&tape, 1, 2, vec![0.5, -0.5]);
        let odd: Feat<Pseudoscalar> = p.activate(Tanh);
        let even: Feat<Scalar> = p.activate(Abs);
        let o = odd.to_f64();
        assert!((o[0] + o[1]).abs() < 1e-15);
        let e = even.to_f64();
        assert_eq!(e[0], e[1]);
    }
}
