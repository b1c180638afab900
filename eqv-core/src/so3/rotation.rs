//! Rotations and reflections of 3D space: random ones for equivariance tests
//! and data augmentation, and e3nn-jax's Euler-angle and axis-angle forms.
//!
//! Euler angles are e3nn's Y-X-Y: `R(α, β, γ) = R_y(α) R_x(β) R_y(γ)`
//! (γ about y is applied first, then β about x, then α about y).

use crate::rng::Rng;
use nalgebra::{Matrix3, Vector3};

/// Rotation by `t` about the x axis: `[[1,0,0],[0,c,-s],[0,s,c]]`.
pub fn matrix_x(t: f64) -> Matrix3<f64> {
    let (s, c) = t.sin_cos();
    Matrix3::new(1.0, 0.0, 0.0, 0.0, c, -s, 0.0, s, c)
}

/// Rotation by `t` about the y axis: `[[c,0,s],[0,1,0],[-s,0,c]]`.
pub fn matrix_y(t: f64) -> Matrix3<f64> {
    let (s, c) = t.sin_cos();
    Matrix3::new(c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c)
}

/// Rotation by `t` about the z axis: `[[c,-s,0],[s,c,0],[0,0,1]]`.
pub fn matrix_z(t: f64) -> Matrix3<f64> {
    let (s, c) = t.sin_cos();
    Matrix3::new(c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)
}

/// e3nn's Y-X-Y Euler angles to a rotation matrix:
/// `matrix_y(alpha) * matrix_x(beta) * matrix_y(gamma)`.
pub fn angles_to_matrix(alpha: f64, beta: f64, gamma: f64) -> Matrix3<f64> {
    matrix_y(alpha) * matrix_x(beta) * matrix_y(gamma)
}

/// The direction `R(α, β, 0) ŷ = (sin α sin β, cos β, cos α sin β)`.
pub fn angles_to_xyz(alpha: f64, beta: f64) -> [f64; 3] {
    let (sa, ca) = alpha.sin_cos();
    let (sb, cb) = beta.sin_cos();
    [sa * sb, cb, ca * sb]
}

/// Angles `(α, β)` of a direction (normalised first), inverse of
/// [`angles_to_xyz`]: `β = acos(y)`, `α = atan2(x, z)`. The zero vector gives
/// `(0, π/2)` rather than NaN.
pub fn xyz_to_angles(v: [f64; 3]) -> (f64, f64) {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let (x, y, z) = if n > 0.0 {
        (v[0] / n, v[1] / n, v[2] / n)
    } else {
        (0.0, 0.0, 0.0)
    };
    (x.atan2(z), y.clamp(-1.0, 1.0).acos())
}

/// Y-X-Y Euler angles `(α, β, γ)` of a proper rotation, computed as e3nn-jax
/// does (`β ∈ [0, π]`, `α, γ ∈ (-π, π]`); `angles_to_matrix` of the result
/// gives back `r`. At the gimbal lock (β = 0 or π) only `α ± γ` is
/// determined; this returns one valid choice. For an improper matrix, pass
/// `-r`.
pub fn matrix_to_angles(r: &Matrix3<f64>) -> (f64, f64, f64) {
    let ey = r * Vector3::new(0.0, 1.0, 0.0);
    let (alpha, beta) = xyz_to_angles([ey[0], ey[1], ey[2]]);
    let rest = angles_to_matrix(alpha, beta, 0.0).transpose() * r;
    let gamma = rest[(0, 2)].atan2(rest[(0, 0)]);
    (alpha, beta, gamma)
}

/// Rotation by `angle` (right-handed) about `axis` (normalised first; a
/// zero axis gives the identity), by Rodrigues' formula. Same as e3nn-jax's
/// `axis_angle_to_matrix`.
pub fn axis_angle_to_matrix(axis: [f64; 3], angle: f64) -> Matrix3<f64> {
    let a = Vector3::from(axis);
    let n = a.norm();
    if n == 0.0 {
        return Matrix3::identity();
    }
    let k = a / n;
    let kx = k.cross_matrix();
    let (s, c) = angle.sin_cos();
    Matrix3::identity() + kx * s + kx * kx * (1.0 - c)
}

/// Axis (unit) and angle in `[0, π]` of a proper rotation, robust near
/// `angle = π` (where the antisymmetric part vanishes). The identity gives
/// axis `(0, 1, 0)` and angle 0.
pub fn matrix_to_axis_angle(r: &Matrix3<f64>) -> ([f64; 3], f64) {
    let q = matrix_to_quaternion(r);
    let v = Vector3::new(q[1], q[2], q[3]);
    let s = v.norm();
    if s == 0.0 {
        return ([0.0, 1.0, 0.0], 0.0);
    }
    let angle = 2.0 * s.atan2(q[0]);
    let axis = v / s;
    ([axis[0], axis[1], axis[2]], angle)
}

/// The rotation of a quaternion `[w, x, y, z]` (normalised first; zero gives
/// the identity).
pub fn quaternion_to_matrix(q: [f64; 4]) -> Matrix3<f64> {
    let n = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
    if n == 0.0 {
        return Matrix3::identity();
    }
    let (w, x, y, z) = (q[0] / n, q[1] / n, q[2] / n, q[3] / n);
    Matrix3::new(
        1.0 - 2.0 * (y * y + z * z),
        2.0 * (x * y - w * z),
        2.0 * (x * z + w * y),
        2.0 * (x * y + w * z),
        1.0 - 2.0 * (x * x + z * z),
        2.0 * (y * z - w * x),
        2.0 * (x * z - w * y),
        2.0 * (y * z + w * x),
        1.0 - 2.0 * (x * x + y * y),
    )
}

/// A unit quaternion `[w, x, y, z]` with `w ≥ 0` of a proper rotation
/// (Shepperd's method: numerically stable for every angle).
pub fn matrix_to_quaternion(r: &Matrix3<f64>) -> [f64; 4] {
    let t = r.trace();
    let m = |i: usize, j: usize| r[(i, j)];
    let mut q = if t > m(0, 0).max(m(1, 1)).max(m(2, 2)) {
        let s = (1.0 + t).max(0.0).sqrt() * 2.0;
        [
            0.25 * s,
            (m(2, 1) - m(1, 2)) / s,
            (m(0, 2) - m(2, 0)) / s,
            (m(1, 0) - m(0, 1)) / s,
        ]
    } else if m(0, 0) >= m(1, 1) && m(0, 0) >= m(2, 2) {
        let s = (1.0 + m(0, 0) - m(1, 1) - m(2, 2)).max(0.0).sqrt() * 2.0;
        [
            (m(2, 1) - m(1, 2)) / s,
            0.25 * s,
            (m(0, 1) + m(1, 0)) / s,
            (m(0, 2) + m(2, 0)) / s,
        ]
    } else if m(1, 1) >= m(2, 2) {
        let s = (1.0 + m(1, 1) - m(0, 0) - m(2, 2)).max(0.0).sqrt() * 2.0;
        [
            (m(0, 2) - m(2, 0)) / s,
            (m(0, 1) + m(1, 0)) / s,
            0.25 * s,
            (m(1, 2) + m(2, 1)) / s,
        ]
    } else {
        let s = (1.0 + m(2, 2) - m(0, 0) - m(1, 1)).max(0.0).sqrt() * 2.0;
        [
            (m(1, 0) - m(0, 1)) / s,
            (m(0, 2) + m(2, 0)) / s,
            (m(1, 2) + m(2, 1)) / s,
            0.25 * s,
        ]
    };
    let n = q.iter().map(|x| x * x).sum::<f64>().sqrt();
    let sign = if q[0] < 0.0 { -1.0 } else { 1.0 };
    for x in &mut q {
        *x *= sign / n;
    }
    q
}

/// A uniformly distributed (Haar) random rotation, det +1: the normalised
/// 4D Gaussian is uniform on the unit quaternions, which cover SO(3)
/// uniformly (twice).
pub fn random_rotation(rng: &mut Rng) -> Matrix3<f64> {
    loop {
        let q = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
        let n2: f64 = q.iter().map(|x| x * x).sum();
        if n2 > 1e-12 {
            return quaternion_to_matrix(q);
        }
    }
}

/// Whether [`random_orthogonal`] returns a proper or improper matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handedness {
    /// det +1: a rotation.
    Proper,
    /// det -1: a rotation composed with the inversion `x -> -x`.
    Improper,
    /// Either, with probability 1/2 each (uniform on O(3)).
    Random,
}

/// A uniformly distributed random orthogonal matrix: a Haar rotation,
/// multiplied by `-I` when improper. Testing with improper matrices is what
/// catches parity mistakes (a pseudovector treated as a vector).
pub fn random_orthogonal(rng: &mut Rng, handedness: Handedness) -> Matrix3<f64> {
    let r = random_rotation(rng);
    let improper = match handedness {
        Handedness::Proper => false,
        Handedness::Improper => true,
        Handedness::Random => rng.uniform() < 0.5,
    };
    if improper {
        -r
    } else {
        r
    }
}

/// Uniformly random Y-X-Y Euler angles of a Haar rotation (α, γ uniform in
/// `[0, 2π)`, `cos β` uniform in `[-1, 1]`).
pub fn random_angles(rng: &mut Rng) -> (f64, f64, f64) {
    let tau = std::f64::consts::TAU;
    let alpha = rng.uniform_in(0.0, tau);
    let beta = rng.uniform_in(-1.0, 1.0).acos();
    let gamma = rng.uniform_in(0.0, tau);
    (alpha, beta, gamma)
}
