//! e3nn's 'element' path normalisation: how much each path of a weighted
//! tensor product is scaled so that outputs keep unit variance.

use crate::irrep::Ir;

/// How a path connects channels (e3nn's instruction modes), which decides
/// its *fan-in*: the number of products `a_u ⊗ b_v` summed into one output
/// channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// `uvw`, [`FullyConnectedTp`](super::FullyConnectedTp): every
    /// `(u, v)` feeds every `w`; fan-in `mul_a · mul_b`.
    FullyConnected,
    /// `uvu`, [`channelwise_tensor_product`](super::channelwise_tensor_product):
    /// output channel `u` sums over the channels `v` of `b`; fan-in `mul_b`.
    ChannelWise,
    /// `uuu`, [`tensor_product`](super::tensor_product): one product per
    /// channel; fan-in 1.
    ElementWise,
}

impl PathKind {
    /// The fan-in of a path of this kind between `mul_a` and `mul_b` channels.
    pub fn fan_in(self, mul_a: usize, mul_b: usize) -> usize {
        match self {
            PathKind::FullyConnected => mul_a * mul_b,
            PathKind::ChannelWise => mul_b,
            PathKind::ElementWise => 1,
        }
    }
}

/// e3nn's 'element' path normalisation, one weight per path.
///
/// `paths[p] = (fan_in, out)`: the fan-in of path `p` (see
/// [`PathKind::fan_in`]) and the irrep it writes to. The weight of path `p`
/// is
///
/// ```text
/// path_weight[p] = √( 1 / Σ_{q : out_q = out_p} fan_in_q )
/// ```
///
/// the sum running over all paths into the same output irrep (including `p`).
/// The ops apply the 'component' factor `√(2 l_out + 1)` themselves, so the
/// product of the two is e3nn's `√α` with `α = (2 l_out + 1) / Σ fan_in`
/// (DESIGN.md's form). With N(0, 1) inputs and weights, the summed output
/// then has unit second moment. An output irrep whose paths have total
/// fan-in 0 (no channels) gets weight 1.
///
/// ```
/// use eqv::irrep::{Irrep, Scalar, Vector};
/// use eqv::ops::tensor_product::{path_weights, PathKind};
/// // Two uvw paths into 1o (8x0e ⊗ 1x1o and 4x1o ⊗ 1x0e), one into 0e.
/// let w = path_weights(&[
///     (PathKind::FullyConnected.fan_in(8, 1), Vector::IR),
///     (PathKind::FullyConnected.fan_in(4, 1), Vector::IR),
///     (PathKind::FullyConnected.fan_in(4, 1), Scalar::IR),
/// ]);
/// assert!((w[0] - (1.0f64 / 12.0).sqrt()).abs() < 1e-15);
/// assert!((w[1] - w[0]).abs() < 1e-15);
/// assert!((w[2] - 0.5).abs() < 1e-15);
/// ```
pub fn path_weights(paths: &[(usize, Ir)]) -> Vec<f64> {
    paths
        .iter()
        .map(|&(_, out)| {
            let total: usize = paths.iter().filter(|q| q.1 == out).map(|q| q.0).sum();
            if total == 0 {
                1.0
            } else {
                (1.0 / total as f64).sqrt()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irrep::{Irrep, Pseudovector, Vector};

    #[test]
    fn fan_ins_and_weights() {
        assert_eq!(PathKind::FullyConnected.fan_in(3, 4), 12);
        assert_eq!(PathKind::ChannelWise.fan_in(3, 4), 4);
        assert_eq!(PathKind::ElementWise.fan_in(3, 4), 1);
        let w = path_weights(&[
            (2, Vector::IR),
            (6, Vector::IR),
            (9, Pseudovector::IR),
            (0, Ir::new(3, crate::irrep::Parity::Odd)),
        ]);
        assert!((w[0] - 1.0 / 8f64.sqrt()).abs() < 1e-15);
        assert!((w[1] - 1.0 / 8f64.sqrt()).abs() < 1e-15);
        assert!((w[2] - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(w[3], 1.0);
    }
}
