//! `#[equivariant]`: derive checked E(3)-equivariant networks (work in progress).
