//! Species maps and least-squares reference energies.

use eqv_data::data::{reference_energies, Frame, SpeciesMap};
use eqv_data::rng::Rng;

fn frame(numbers: Vec<u8>, energy: f64) -> Frame {
    let n = numbers.len();
    let mut f = Frame::new(numbers, vec![[0.0; 3]; n]);
    f.energy = Some(energy);
    f
}

#[test]
fn data_species_recovers_exact_reference_energies() {
    let e0 = [(1u8, -13.6), (6, -1029.5), (8, -2041.8)];
    let mut rng = Rng::new(3);
    let mut frames = Vec::new();
    for _ in 0..30 {
        let mut numbers = Vec::new();
        let mut e = 0.0;
        for &(z, ez) in &e0 {
            for _ in 0..rng.below(6) {
                numbers.push(z);
                e += ez;
            }
        }
        if numbers.is_empty() {
            continue;
        }
        frames.push(frame(numbers, e));
    }
    frames.push(Frame::new(vec![1], vec![[0.0; 3]])); // unlabelled: skipped
    let map = SpeciesMap::from_frames(&frames);
    assert_eq!(map.numbers(), &[1, 6, 8]);
    let fit = reference_energies(&frames, &map).unwrap();
    for (k, &(_, ez)) in e0.iter().enumerate() {
        assert!((fit[k] - ez).abs() < 1e-8, "{fit:?}");
    }
}

#[test]
fn data_species_noisy_fit_is_least_squares() {
    // With noise the fit must satisfy the normal equations AᵀA x = Aᵀb.
    let mut rng = Rng::new(5);
    let frames: Vec<Frame> = (0..25)
        .map(|_| {
            let nh = 1 + rng.below(5);
            let no = rng.below(4);
            let numbers: Vec<u8> = std::iter::repeat_n(1, nh)
                .chain(std::iter::repeat_n(8, no))
                .collect();
            frame(
                numbers,
                -13.0 * nh as f64 - 2000.0 * no as f64 + rng.normal(),
            )
        })
        .collect();
    let map = SpeciesMap::from_frames(&frames);
    let x = reference_energies(&frames, &map).unwrap();
    let mut grad = [0.0; 2];
    for f in &frames {
        let c = map.counts(f).unwrap();
        let r = f.energy.unwrap() - (c[0] as f64 * x[0] + c[1] as f64 * x[1]);
        grad[0] += c[0] as f64 * r;
        grad[1] += c[1] as f64 * r;
    }
    assert!(grad.iter().all(|g| g.abs() < 1e-6), "{grad:?}");
}

#[test]
fn data_species_rank_deficient_falls_back_to_mean_per_atom() {
    // One composition: E0 is the mean energy per atom.
    let si: Vec<Frame> = [-34.6, -34.5, -34.7]
        .iter()
        .map(|&e| frame(vec![14; 8], e))
        .collect();
    let map = SpeciesMap::from_frames(&si);
    let fit = reference_energies(&si, &map).unwrap();
    assert!((fit[0] - (-34.6 / 8.0)).abs() < 1e-12, "{fit:?}");
    // Water only: both elements get the mean energy per atom.
    let water: Vec<Frame> = [-14.0, -14.3]
        .iter()
        .map(|&e| frame(vec![8, 1, 1], e))
        .collect();
    let map = SpeciesMap::from_frames(&water);
    let fit = reference_energies(&water, &map).unwrap();
    let mean = (-14.0 / 3.0 + -14.3 / 3.0) / 2.0;
    assert!(fit.iter().all(|&x| (x - mean).abs() < 1e-12), "{fit:?}");
    // Water plus silicon: Si is determined, H and O still fit the water energy.
    let mut both = water.clone();
    both.push(frame(vec![14; 2], -8.6));
    both.push(frame(vec![14; 4], -17.2));
    let map = SpeciesMap::from_frames(&both);
    let fit = reference_energies(&both, &map).unwrap();
    assert!((fit[2] - (-4.3)).abs() < 1e-9, "{fit:?}");
    assert!((2.0 * fit[0] + fit[1] - (-14.15)).abs() < 1e-9, "{fit:?}");
}

#[test]
fn data_species_errors() {
    let map = SpeciesMap::from_numbers([1, 8]);
    let unlabelled = vec![Frame::new(vec![1], vec![[0.0; 3]])];
    assert!(reference_energies(&unlabelled, &map).is_err());
    let si = frame(vec![14], -4.0);
    let e = map.indices(&si).unwrap_err().to_string();
    assert!(e.contains("Si (Z = 14)"), "{e}");
    assert!(reference_energies(&[si], &map).is_err());
}
