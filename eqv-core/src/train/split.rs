//! A seeded random split of frames into a training and a validation set.
//!
//! Validation frames are drawn at random rather than taken from the end of
//! the file, because datasets are usually written run by run (one
//! temperature, one phase after another): a tail split would validate on a
//! kind of structure the network never saw. The split depends only on the
//! number of frames, the fraction and the seed, and each part keeps the
//! file order.

use super::TrainError;
use crate::data::Frame;
use crate::rng::Rng;

/// Indices `0..n` split into `(train, valid)`, each sorted.
///
/// `valid_fraction` in `[0, 1)`: the validation set gets `round(fraction ·
/// n)` frames, but at least one when the fraction is positive, and the
/// training set always keeps at least one. Fails if `n == 0`, the fraction
/// is outside `[0, 1)`, or a positive fraction is asked of a single frame.
///
/// ```
/// use eqv_core::train::split_indices;
/// let (train, valid) = split_indices(10, 0.2, 7)?;
/// assert_eq!((train.len(), valid.len()), (8, 2));
/// assert_eq!(split_indices(10, 0.2, 7)?, (train, valid));
/// # Ok::<(), eqv_core::train::TrainError>(())
/// ```
pub fn split_indices(
    n: usize,
    valid_fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), TrainError> {
    if !(0.0..1.0).contains(&valid_fraction) {
        return Err(TrainError::config(format!(
            "validation fraction {valid_fraction} must lie in [0, 1)"
        )));
    }
    if n == 0 {
        return Err(TrainError::config("cannot split an empty dataset"));
    }
    let mut n_valid = (valid_fraction * n as f64).round() as usize;
    if valid_fraction > 0.0 {
        if n < 2 {
            return Err(TrainError::config(
                "a validation split needs at least 2 frames",
            ));
        }
        n_valid = n_valid.clamp(1, n - 1);
    }
    let mut order: Vec<usize> = (0..n).collect();
    Rng::new(seed).shuffle(&mut order);
    let mut valid = order[..n_valid].to_vec();
    let mut train = order[n_valid..].to_vec();
    valid.sort_unstable();
    train.sort_unstable();
    Ok((train, valid))
}

/// Frames split into `(train, valid)` by [`split_indices`].
pub fn split_frames(
    frames: &[Frame],
    valid_fraction: f64,
    seed: u64,
) -> Result<(Vec<Frame>, Vec<Frame>), TrainError> {
    let (t, v) = split_indices(frames.len(), valid_fraction, seed)?;
    Ok((
        t.iter().map(|&i| frames[i].clone()).collect(),
        v.iter().map(|&i| frames[i].clone()).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_bounds() {
        let (t, v) = split_indices(7, 0.3, 1).unwrap();
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        assert_eq!(v.len(), 2);
        assert_ne!(
            split_indices(50, 0.5, 1).unwrap(),
            split_indices(50, 0.5, 2).unwrap()
        );
        assert_eq!(split_indices(2, 0.01, 0).unwrap().1.len(), 1);
        assert_eq!(split_indices(3, 0.0, 0).unwrap().1.len(), 0);
        assert!(split_indices(1, 0.1, 0).is_err());
        assert!(split_indices(0, 0.1, 0).is_err());
        assert!(split_indices(5, 1.0, 0).is_err());
        assert!(split_indices(5, f64::NAN, 0).is_err());
    }
}
