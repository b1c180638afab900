//! Splitting frames into training, validation and test sets.
//!
//! * [`split_blocks`] (what the examples use): frames of molecular-dynamics
//!   trajectories are cut into *contiguous time blocks*, and whole blocks
//!   go to the test, validation and training sets. Neighbouring MD frames
//!   (10 fs apart in eqv's silicon data) are near-duplicates; a per-frame
//!   random split puts one in training and its twin in validation, and the
//!   validation error then measures memory, not generalisation. With
//!   blocks, only the frames at a block's two ends have a twin on the other
//!   side, and `gap_frames` training frames next to each held-out block are
//!   dropped so that none does. Blocks are drawn at random (seeded) *within
//!   each kind of structure* (`config_type`), each kind giving its share of
//!   every held-out set: a random draw over all blocks can leave a rare
//!   kind (the 29-atom clusters of eqv's silicon data) out of the
//!   validation set, and then no choice the trainer makes sees it.
//! * [`split_indices`] / [`split_frames`]: a seeded per-frame random split,
//!   for independent structures (not trajectories).
//!
//! The test set is for the final report only: nothing in the trainer sees
//! it, so no choice (schedule, early stopping, best checkpoint) is made on
//! it.

use super::TrainError;
use eqv_core::data::{Frame, Value};
use eqv_core::rng::Rng;

/// Indices `0..n` split into `(train, valid)`, each sorted.
///
/// `valid_fraction` in `[0, 1)`: the validation set gets `round(fraction ·
/// n)` frames, but at least one when the fraction is positive, and the
/// training set always keeps at least one. Fails if `n == 0`, the fraction
/// is outside `[0, 1)`, or a positive fraction is asked of a single frame.
///
/// ```
/// use eqv::train::split_indices;
/// let (train, valid) = split_indices(10, 0.2, 7)?;
/// assert_eq!((train.len(), valid.len()), (8, 2));
/// assert_eq!(split_indices(10, 0.2, 7)?, (train, valid));
/// # Ok::<(), eqv::train::TrainError>(())
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

/// How [`split_blocks`] cuts frames.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockSplit {
    /// Fraction of the frames held out for validation, in `[0, 1)`.
    pub valid_fraction: f64,
    /// Fraction of the frames held out for the final test, in `[0, 1)`.
    pub test_fraction: f64,
    /// Consecutive frames of one trajectory per block.
    pub block_frames: usize,
    /// Training frames dropped on each side of a held-out block (within the
    /// same trajectory), so no training frame is a held-out frame's
    /// immediate neighbour in time.
    pub gap_frames: usize,
    /// The `info` key naming a frame's trajectory (eqv's silicon data
    /// writes `run`); consecutive frames with the same value form one
    /// trajectory. Without the key, the whole file is one trajectory.
    pub trajectory_key: String,
    /// The `info` key naming a frame's kind of structure (`config_type`,
    /// as in ASE and MACE data). Each kind gives about its share of every
    /// held-out set; frames without the key form one kind.
    pub stratum_key: String,
    /// Seed of the choice of blocks.
    pub seed: u64,
}

impl Default for BlockSplit {
    /// 10 % validation, 10 % test, blocks of 4 frames, a gap of 1. Blocks
    /// of 4 let a kind of structure with 32 frames (two trajectories) give
    /// one block to each held-out set; with 8, its 10 % share (3.2 frames)
    /// would round to no block at all.
    fn default() -> Self {
        BlockSplit {
            valid_fraction: 0.1,
            test_fraction: 0.1,
            block_frames: 4,
            gap_frames: 1,
            trajectory_key: "run".into(),
            stratum_key: "config_type".into(),
            seed: 0,
        }
    }
}

/// Indices of the three sets (each ascending) and of the dropped frames.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SplitIndices {
    /// Training frames.
    pub train: Vec<usize>,
    /// Validation frames (model selection: schedule, early stop, best).
    pub valid: Vec<usize>,
    /// Test frames (reported only).
    pub test: Vec<usize>,
    /// Training frames dropped as neighbours in time of held-out blocks.
    pub dropped: Vec<usize>,
    /// Number of blocks the frames were cut into.
    pub blocks: usize,
    /// Number of trajectories found.
    pub trajectories: usize,
}

impl SplitIndices {
    /// The frames of each set: `(train, valid, test)`.
    pub fn frames(&self, frames: &[Frame]) -> (Vec<Frame>, Vec<Frame>, Vec<Frame>) {
        let pick = |idx: &[usize]| idx.iter().map(|&i| frames[i].clone()).collect();
        (pick(&self.train), pick(&self.valid), pick(&self.test))
    }
}

/// Splits `frames` by time blocks (see the module docs).
///
/// A positive fraction gets at least one block; the training set must keep
/// at least one frame. Errors name the setting and the numbers.
pub fn split_blocks(frames: &[Frame], spec: &BlockSplit) -> Result<SplitIndices, TrainError> {
    for (name, f) in [
        ("validation", spec.valid_fraction),
        ("test", spec.test_fraction),
    ] {
        if !(0.0..1.0).contains(&f) {
            return Err(TrainError::config(format!(
                "{name} fraction {f} must lie in [0, 1)"
            )));
        }
    }
    if spec.valid_fraction + spec.test_fraction >= 1.0 {
        return Err(TrainError::config(format!(
            "validation fraction {} + test fraction {} leave no training frames",
            spec.valid_fraction, spec.test_fraction
        )));
    }
    if spec.block_frames == 0 {
        return Err(TrainError::config("block_frames must be at least 1"));
    }
    let n = frames.len();
    if n == 0 {
        return Err(TrainError::config("cannot split an empty dataset"));
    }
    // Trajectories: runs of consecutive frames with equal `info[key]`.
    let label = |f: &Frame| f.info_get(&spec.trajectory_key).cloned();
    let mut trajectories: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        if i == n || label(&frames[i]) != label(&frames[start]) {
            trajectories.push(start..i);
            start = i;
        }
    }
    let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
    for t in &trajectories {
        let mut b = t.start;
        while b < t.end {
            let e = (b + spec.block_frames).min(t.end);
            blocks.push(b..e);
            b = e;
        }
    }
    // Kinds of structure: blocks grouped by their first frame's label, in
    // order of first appearance, each group shuffled (seeded).
    let kind = |f: &Frame| f.info_get(&spec.stratum_key).cloned();
    let mut kinds: Vec<(Option<Value>, Vec<usize>)> = Vec::new();
    for (b, range) in blocks.iter().enumerate() {
        let k = kind(&frames[range.start]);
        match kinds.iter_mut().find(|(label, _)| *label == k) {
            Some((_, members)) => members.push(b),
            None => kinds.push((k, vec![b])),
        }
    }
    let mut rng = Rng::new(spec.seed);
    for (_, members) in &mut kinds {
        rng.shuffle(members);
    }
    let kind_frames: Vec<usize> = kinds
        .iter()
        .map(|(_, m)| m.iter().map(|&b| blocks[b].len()).sum())
        .collect();
    let mut next: Vec<std::vec::IntoIter<usize>> =
        kinds.into_iter().map(|(_, m)| m.into_iter()).collect();
    // 0 = train, 1 = valid, 2 = test.
    let mut set = vec![0u8; n];
    for (which, fraction, name) in [
        (2u8, spec.test_fraction, "test"),
        (1u8, spec.valid_fraction, "validation"),
    ] {
        if fraction == 0.0 {
            continue;
        }
        let target = ((fraction * n as f64).round() as usize).max(1);
        let mut taken = 0;
        // Each kind's share: blocks while they bring its count closer to
        // `fraction` of its frames.
        for (members, &frames_of_kind) in next.iter_mut().zip(&kind_frames) {
            let share = fraction * frames_of_kind as f64;
            let mut mine = 0.0;
            while let Some(&b) = members.as_slice().first() {
                let len = blocks[b].len() as f64;
                if (mine + len - share).abs() >= (mine - share).abs() {
                    break;
                }
                members.next();
                for i in blocks[b].clone() {
                    set[i] = which;
                }
                mine += len;
                taken += blocks[b].len();
            }
        }
        // Then up to the overall size, from the kinds with blocks left.
        let (mut k, kinds_count) = (0, next.len());
        while taken < target {
            let Some(b) = (0..kinds_count)
                .map(|j| (k + j) % kinds_count)
                .find_map(|j| next[j].next().map(|b| (j, b)))
                .map(|(j, b)| {
                    k = j + 1;
                    b
                })
            else {
                return Err(TrainError::config(format!(
                    "{n} frames make {} blocks of at most {} frames: too few to hold out a {name} set of {target} frames and keep training frames; use smaller blocks or more data",
                    blocks.len(),
                    spec.block_frames
                )));
            };
            for i in blocks[b].clone() {
                set[i] = which;
            }
            taken += blocks[b].len();
        }
    }
    let mut out = SplitIndices {
        blocks: blocks.len(),
        trajectories: trajectories.len(),
        ..SplitIndices::default()
    };
    for t in &trajectories {
        for i in t.clone() {
            match set[i] {
                2 => out.test.push(i),
                1 => out.valid.push(i),
                _ => {
                    let lo = i.saturating_sub(spec.gap_frames).max(t.start);
                    let hi = (i + spec.gap_frames + 1).min(t.end);
                    if (lo..hi).any(|j| set[j] != 0) {
                        out.dropped.push(i);
                    } else {
                        out.train.push(i);
                    }
                }
            }
        }
    }
    if out.train.is_empty() {
        return Err(TrainError::config(format!(
            "no training frames are left: {} validation, {} test and {} dropped (gap) of {n} frames; lower the fractions or the gap",
            out.valid.len(),
            out.test.len(),
            out.dropped.len()
        )));
    }
    Ok(out)
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

    fn trajectory_frames(runs: usize, per_run: usize) -> Vec<Frame> {
        let mut out = Vec::new();
        for r in 0..runs {
            for s in 0..per_run {
                let mut f = Frame::new(vec![14], vec![[0.0; 3]]);
                f.info_set("run", eqv_core::data::Value::Int(r as i64));
                f.info_set("md_step", eqv_core::data::Value::Int(s as i64));
                out.push(f);
            }
        }
        out
    }

    #[test]
    fn blocks_are_contiguous_disjoint_and_separated_by_the_gap() {
        let frames = trajectory_frames(24, 16);
        let spec = BlockSplit {
            block_frames: 8,
            ..BlockSplit::default()
        };
        let s = split_blocks(&frames, &spec).unwrap();
        assert_eq!((s.trajectories, s.blocks), (24, 48));
        let n = frames.len();
        assert_eq!(
            s.train.len() + s.valid.len() + s.test.len() + s.dropped.len(),
            n
        );
        assert!(
            s.test.len() >= 38 && s.test.len() < 38 + 8,
            "{}",
            s.test.len()
        );
        assert!(s.valid.len() >= 38 && s.valid.len() < 38 + 8);
        // Held-out sets are whole blocks of 8 aligned frames.
        for set in [&s.valid, &s.test] {
            assert_eq!(set.len() % 8, 0);
            for c in set.chunks(8) {
                assert_eq!(c[0] % 8, 0);
                assert_eq!(c[7], c[0] + 7);
            }
        }
        // No training frame is the time neighbour of a held-out frame.
        for &i in &s.train {
            for j in [i.wrapping_sub(1), i + 1] {
                if j < n && frames[j].info_get("run") == frames[i].info_get("run") {
                    assert!(
                        !s.valid.contains(&j) && !s.test.contains(&j),
                        "{i} next to {j}"
                    );
                }
            }
        }
        assert_eq!(split_blocks(&frames, &spec).unwrap(), s, "seeded");
        let other = split_blocks(
            &frames,
            &BlockSplit {
                seed: 9,
                ..spec.clone()
            },
        )
        .unwrap();
        assert_ne!(other.test, s.test);
    }

    #[test]
    fn every_kind_of_structure_gives_its_share_of_each_held_out_set() {
        // 20 bulk trajectories and 2 cluster trajectories of 16 frames: a
        // random draw of blocks over all of them often leaves the clusters
        // out of validation or test.
        let mut frames = trajectory_frames(22, 16);
        for (i, f) in frames.iter_mut().enumerate() {
            let kind = if i >= 20 * 16 { "cluster" } else { "bulk" };
            f.info_set("config_type", eqv_core::data::Value::Str(kind.into()));
        }
        for seed in 0..20 {
            let s = split_blocks(
                &frames,
                &BlockSplit {
                    seed,
                    ..BlockSplit::default()
                },
            )
            .unwrap();
            let clusters = |set: &[usize]| set.iter().filter(|&&i| i >= 320).count();
            // 10 % of 32 cluster frames is 3.2: one block of 4 in each set,
            // and 10 % of 320 bulk frames is 32: eight blocks.
            assert_eq!(
                (clusters(&s.valid), clusters(&s.test)),
                (4, 4),
                "seed {seed}"
            );
            assert_eq!((s.valid.len(), s.test.len()), (36, 36), "seed {seed}");
            assert!(clusters(&s.train) >= 20, "seed {seed}");
        }
    }

    #[test]
    fn block_split_errors_name_the_problem() {
        let frames = trajectory_frames(2, 4);
        let bad = |spec: BlockSplit| split_blocks(&frames, &spec).unwrap_err().to_string();
        let d = BlockSplit {
            block_frames: 4,
            ..BlockSplit::default()
        };
        assert!(bad(BlockSplit {
            valid_fraction: 1.0,
            ..d.clone()
        })
        .contains("validation fraction 1"));
        assert!(bad(BlockSplit {
            test_fraction: -0.1,
            ..d.clone()
        })
        .contains("test fraction -0.1"));
        assert!(bad(BlockSplit {
            valid_fraction: 0.5,
            test_fraction: 0.5,
            ..d.clone()
        })
        .contains("no training frames"));
        assert!(bad(BlockSplit {
            block_frames: 0,
            ..d.clone()
        })
        .contains("block_frames"));
        // 2 blocks of 4: one for test, one for validation, nothing to train on.
        assert!(
            bad(d.clone()).contains("no training frames are left"),
            "{}",
            bad(d.clone())
        );
        let one = trajectory_frames(1, 4);
        let e = split_blocks(&one, &d).unwrap_err().to_string();
        assert!(e.contains("too few to hold out a validation set"), "{e}");
        let ok = split_blocks(
            &frames,
            &BlockSplit {
                block_frames: 2,
                gap_frames: 0,
                ..d
            },
        )
        .unwrap();
        assert_eq!((ok.valid.len(), ok.test.len(), ok.train.len()), (2, 2, 4));
    }
}
