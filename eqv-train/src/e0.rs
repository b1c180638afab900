//! Where the per-species reference energies E0 come from, and the per-atom
//! shift of what is left.
//!
//! The network learns `E − Σ_atoms E0(species)`. Two sources, as in MACE:
//!
//! * **isolated atoms** in the data (a one-atom frame with
//!   `config_type=IsolatedAtom`, or a one-atom frame without periodic cell):
//!   E0 is that atom's energy, so the model's energy of a lone atom is
//!   exactly right and the residual is the binding energy. These frames
//!   are used for E0 only: a graph without edges teaches the network
//!   nothing and would pin its per-species offset to the vacuum.
//! * **least squares** over the training frames for every species without
//!   an isolated atom. When the compositions do not determine every E0
//!   (every frame has the same Cu:Ni ratio, say) the fit is
//!   underdetermined: the minimum-norm solution is used and a warning says
//!   which species are affected, because then only the *combination* of
//!   their E0 is learned from energies and the network must carry the rest.
//!
//! After E0, the mean residual per atom (the cohesive energy when E0 came
//! from isolated atoms, ~0 after least squares) is taken out as a single
//! per-atom shift, so the network's output starts centred; it is stored
//! with the E0 in [`ReferenceEnergies`] and added back at prediction.

use super::loader::ReferenceEnergies;
use eqv_core::data::{reference_energies, symbol, DataError, Frame, SpeciesMap, Value};
use nalgebra::DMatrix;

/// Where a species' E0 came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum E0Source {
    /// The energy of an isolated atom in the data.
    IsolatedAtom,
    /// A least-squares fit of the frames' energies on their compositions.
    LeastSquares,
}

/// The result of [`fit_e0`].
#[derive(Clone, Debug, PartialEq)]
pub struct E0Fit {
    /// E0 of every species and the per-atom shift.
    pub reference: ReferenceEnergies,
    /// The source of each species' E0, indexed like the species map.
    pub sources: Vec<E0Source>,
    /// Things the user should know (an underdetermined fit, isolated atoms
    /// of one element with different energies).
    pub warnings: Vec<String>,
}

/// Whether a frame is an isolated atom: one atom, and either marked
/// `config_type=IsolatedAtom` (MACE's convention) or without any periodic
/// direction. A one-atom *periodic* cell (a primitive fcc crystal) is bulk,
/// not an isolated atom.
pub fn is_isolated_atom(frame: &Frame) -> bool {
    if frame.len() != 1 {
        return false;
    }
    let marked = matches!(
        frame.info_get("config_type"),
        Some(Value::Str(s)) if s.eq_ignore_ascii_case("IsolatedAtom")
    );
    marked || !frame.pbc.iter().any(|&p| p)
}

/// E0 per species of `species` from `frames` (isolated atoms first, least
/// squares for the rest) and the mean residual per atom of the frames that
/// are not isolated atoms. Frames without an energy are ignored. Errors:
/// no usable energy at all, an element outside `species`.
pub fn fit_e0(frames: &[Frame], species: &SpeciesMap) -> Result<E0Fit, DataError> {
    let s = species.len();
    let mut warnings = Vec::new();
    // Isolated atoms: the mean energy per element (several frames of one
    // element should agree; say so when they do not).
    let mut isolated: Vec<Vec<f64>> = vec![Vec::new(); s];
    for f in frames.iter().filter(|f| is_isolated_atom(f)) {
        if let (Some(e), Some(k)) = (f.energy, species.index(f.numbers[0])) {
            isolated[k].push(e);
        }
    }
    let name = |k: usize| {
        let z = species.number(k).unwrap_or(0);
        symbol(z).unwrap_or("?").to_string()
    };
    let mut e0 = vec![0.0; s];
    let mut sources = vec![E0Source::LeastSquares; s];
    for (k, es) in isolated.iter().enumerate() {
        if es.is_empty() {
            continue;
        }
        let mean = es.iter().sum::<f64>() / es.len() as f64;
        let spread = es.iter().map(|e| (e - mean).abs()).fold(0.0, f64::max);
        if spread > 1e-6 {
            warnings.push(format!(
                "{} isolated {} atoms with energies differing by up to {spread:.3e} eV; E0 is their mean",
                es.len(),
                name(k)
            ));
        }
        e0[k] = mean;
        sources[k] = E0Source::IsolatedAtom;
    }
    let bulk: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.energy.is_some() && !f.is_empty() && !is_isolated_atom(f))
        .collect();
    let unknown: Vec<usize> = (0..s)
        .filter(|&k| sources[k] == E0Source::LeastSquares)
        .collect();
    if bulk.is_empty() && !unknown.is_empty() {
        return Err(DataError::invalid(
            "no frame with atoms (other than isolated atoms) has an energy: cannot fit reference energies",
        ));
    }
    // Least squares for the rest, on energies minus the known E0.
    if !unknown.is_empty() {
        let sub = SpeciesMap::from_numbers(unknown.iter().filter_map(|&k| species.number(k)));
        let mut counts = DMatrix::<f64>::zeros(bulk.len(), unknown.len());
        let mut residual_frames = Vec::with_capacity(bulk.len());
        for (r, f) in bulk.iter().enumerate() {
            let c = species.counts(f)?;
            let known: f64 = (0..s)
                .filter(|&k| sources[k] == E0Source::IsolatedAtom)
                .map(|k| c[k] as f64 * e0[k])
                .sum();
            for (j, &k) in unknown.iter().enumerate() {
                counts[(r, j)] = c[k] as f64;
            }
            // The fit needs only the unknown species: a frame that has
            // none of them carries no information about their E0.
            let keep: Vec<usize> = (0..f.len())
                .filter(|&i| {
                    unknown
                        .iter()
                        .any(|&k| species.number(k) == Some(f.numbers[i]))
                })
                .collect();
            if keep.is_empty() {
                continue;
            }
            let mut g = Frame::new(
                keep.iter().map(|&i| f.numbers[i]).collect(),
                keep.iter().map(|&i| f.positions[i]).collect(),
            );
            g.energy = f.energy.map(|e| e - known);
            residual_frames.push(g);
        }
        let rank = counts.rank(1e-9 * counts.norm().max(1.0));
        if rank < unknown.len() {
            let names: Vec<String> = unknown.iter().map(|&k| name(k)).collect();
            warnings.push(format!(
                "the reference energies E0 of {} are underdetermined: the compositions of the training frames fix only {rank} combination(s) of them (the same ratio of elements in every frame?); the minimum-norm solution is used, so energies of other compositions rest on the network alone. Add frames of other compositions, or isolated atoms (config_type=IsolatedAtom)",
                names.join(", ")
            ));
        }
        if residual_frames.is_empty() {
            return Err(DataError::invalid(format!(
                "no frame with an energy contains {}: cannot fit its reference energy",
                name(unknown[0])
            )));
        }
        let fitted = reference_energies(&residual_frames, &sub)?;
        for (j, &k) in unknown.iter().enumerate() {
            e0[k] = fitted[j];
        }
    }
    let shift = if bulk.is_empty() {
        0.0
    } else {
        let mut sum = 0.0;
        for f in &bulk {
            let offset: f64 = species.indices(f)?.into_iter().map(|k| e0[k]).sum();
            sum += (f.energy.unwrap_or(0.0) - offset) / f.len() as f64;
        }
        sum / bulk.len() as f64
    };
    let reference = ReferenceEnergies::new(species.clone(), e0)?.with_shift(shift)?;
    Ok(E0Fit {
        reference,
        sources,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of `numbers` (positions on a line) with energy
    /// `Σ true_e0 + n · binding`.
    fn frame(numbers: &[u8], energy: f64) -> Frame {
        let positions = (0..numbers.len())
            .map(|i| [2.5 * i as f64, 0.0, 0.0])
            .collect();
        let mut f = Frame::new(numbers.to_vec(), positions);
        f.energy = Some(energy);
        f
    }

    fn isolated(z: u8, energy: f64) -> Frame {
        let mut f = frame(&[z], energy);
        f.info_set("config_type", Value::Str("IsolatedAtom".into()));
        f
    }

    #[test]
    fn isolated_atoms_give_e0_and_the_shift_is_the_binding_energy() {
        // Cu E0 = 3.5, Ni E0 = 5.0 (isolated), binding −4 eV/atom.
        let e = |cu: usize, ni: usize| 3.5 * cu as f64 + 5.0 * ni as f64 - 4.0 * (cu + ni) as f64;
        let frames = vec![
            isolated(29, 3.5),
            isolated(28, 5.0),
            frame(&[29, 29, 28], e(2, 1)),
            frame(&[29, 28, 28, 28], e(1, 3)),
        ];
        let species = SpeciesMap::from_frames(&frames);
        let fit = fit_e0(&frames, &species).unwrap();
        assert_eq!(fit.sources, vec![E0Source::IsolatedAtom; 2]);
        assert_eq!(fit.reference.e0(), &[5.0, 3.5]); // Ni (28) first
        assert!((fit.reference.shift() + 4.0).abs() < 1e-12);
        assert!(fit.warnings.is_empty());
        // The residual the network sees is zero for these frames.
        assert!(fit.reference.offset(&frames[2]).unwrap() - e(2, 1) < 1e-12);
        assert!(is_isolated_atom(&frames[0]) && !is_isolated_atom(&frames[2]));
        // A one-atom periodic cell is bulk, not an isolated atom.
        let mut crystal = frame(&[29], -3.5);
        crystal.cell = Some([[2.5, 0.0, 0.0], [0.0, 2.5, 0.0], [0.0, 0.0, 2.5]]);
        crystal.pbc = [true; 3];
        assert!(!is_isolated_atom(&crystal));
    }

    #[test]
    fn least_squares_for_species_without_an_isolated_atom() {
        // Ni isolated (5.0); Cu fitted: its true per-atom energy in the
        // frames is −1.0 and Ni's is 5.0 − 2.0 = 3.0 ... make the frames
        // exactly linear: E = a·n_Cu + b·n_Ni with b = 5.0 (no binding).
        let (a, b) = (-1.25, 5.0);
        let frames = vec![
            isolated(28, b),
            frame(&[29, 29, 28], 2.0 * a + b),
            frame(&[29, 28, 28, 28], a + 3.0 * b),
            frame(&[29, 29, 29], 3.0 * a),
        ];
        let species = SpeciesMap::from_frames(&frames);
        let fit = fit_e0(&frames, &species).unwrap();
        assert_eq!(
            fit.sources,
            vec![E0Source::IsolatedAtom, E0Source::LeastSquares]
        );
        assert!(
            (fit.reference.e0()[1] - a).abs() < 1e-9,
            "{:?}",
            fit.reference
        );
        assert!(fit.reference.shift().abs() < 1e-9);
        assert!(fit.warnings.is_empty());
    }

    #[test]
    fn fixed_ratio_compositions_are_underdetermined_and_say_so() {
        // Every frame CuNi: only E0(Cu) + E0(Ni) is known.
        let frames = vec![
            frame(&[29, 28], -7.0),
            frame(&[29, 28, 29, 28], -14.2),
            frame(&[28, 29, 28, 29, 28, 29], -21.0),
        ];
        let species = SpeciesMap::from_frames(&frames);
        let fit = fit_e0(&frames, &species).unwrap();
        assert_eq!(fit.warnings.len(), 1, "{:?}", fit.warnings);
        let w = &fit.warnings[0];
        assert!(
            w.contains("underdetermined") && w.contains("Cu") && w.contains("Ni"),
            "{w}"
        );
        // The combination that is determined is fitted.
        let sum: f64 = fit.reference.e0().iter().sum();
        assert!((sum + 7.033).abs() < 0.05, "{sum}");
        // Two compositions resolve it: no warning.
        let mut more = frames.clone();
        more.push(frame(&[29, 29, 29], -10.0));
        assert!(fit_e0(&more, &species).unwrap().warnings.is_empty());
    }

    #[test]
    fn no_energy_is_an_error_that_says_so() {
        let mut f = frame(&[14, 14], 0.0);
        f.energy = None;
        let species = SpeciesMap::from_frames(std::slice::from_ref(&f));
        let err = fit_e0(&[f], &species).unwrap_err().to_string();
        assert!(err.contains("cannot fit reference energies"), "{err}");
    }
}
