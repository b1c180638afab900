//! O(3) math: Clebsch-Gordan coefficients, spherical harmonics, Wigner D matrices, rotations (being written).
