//! Atoms closer than any real bond: almost always a broken file (a frame
//! written twice into one, wrong units, a bad cell), and a model trained
//! on it learns nonsense at short range. Found with a neighbour list of a
//! small cutoff, so the check costs little next to training.

use super::error::DataError;
use super::frame::Frame;
use super::neighbors::NeighborList;

/// Below this distance (Å) two atoms are reported: shorter than any
/// chemical bond (H₂ is 0.74 Å).
pub const CLOSE_CONTACT: f64 = 0.5;

/// The closest pair of atoms (periodic images included) closer than
/// `threshold` Å, as `(i, j, distance)`; `None` if there is none.
pub fn closest_contact(
    frame: &Frame,
    threshold: f64,
) -> Result<Option<(usize, usize, f64)>, DataError> {
    let nl = NeighborList::from_frame(frame, threshold)?;
    let mut best: Option<(usize, usize, f64)> = None;
    for k in 0..nl.centers.len() {
        let (i, j) = (nl.centers[k] as usize, nl.neighbors[k] as usize);
        let d: f64 = (0..3)
            .map(|a| {
                let x = frame.positions[j][a] + nl.shifts[k][a] - frame.positions[i][a];
                x * x
            })
            .sum::<f64>()
            .sqrt();
        if best.is_none_or(|b| d < b.2) {
            best = Some((i.min(j), i.max(j), d));
        }
    }
    Ok(best)
}

/// One warning line per frame with atoms closer than [`CLOSE_CONTACT`],
/// naming the source, the frame and the pair (at most `max_lines`, then a
/// count of the rest).
pub fn close_contact_warnings(source: &str, frames: &[Frame], max_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut more = 0;
    for (f, frame) in frames.iter().enumerate() {
        if let Ok(Some((i, j, d))) = closest_contact(frame, CLOSE_CONTACT) {
            if lines.len() < max_lines {
                lines.push(format!(
                    "warning: {source}: frame {f}: atoms {i} and {j} are {d:.3} Å apart (closer than any bond; a duplicated atom or wrong units?)"
                ));
            } else {
                more += 1;
            }
        }
    }
    if more > 0 {
        lines.push(format!(
            "warning: {source}: {more} more frame(s) with atoms closer than {CLOSE_CONTACT} Å"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coincident_atoms_are_found_across_periodic_images() {
        let mut f = Frame::new(
            vec![14, 14, 14],
            vec![[0.0; 3], [2.0, 0.0, 0.0], [2.0, 0.1, 0.0]],
        );
        assert_eq!(
            closest_contact(&f, CLOSE_CONTACT)
                .unwrap()
                .map(|c| (c.0, c.1)),
            Some((1, 2))
        );
        let far = Frame::new(vec![14, 14], vec![[0.0; 3], [2.3, 0.0, 0.0]]);
        assert_eq!(closest_contact(&far, CLOSE_CONTACT).unwrap(), None);
        // Across the boundary of a periodic cell.
        f = Frame::new(vec![14, 14], vec![[0.05, 1.0, 1.0], [3.95, 1.0, 1.0]]);
        f.cell = Some([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]);
        f.pbc = [true; 3];
        let (_, _, d) = closest_contact(&f, CLOSE_CONTACT).unwrap().unwrap();
        assert!((d - 0.1).abs() < 1e-12);
        let warnings = close_contact_warnings("x.extxyz", &[f.clone(), far, f], 1);
        assert_eq!(warnings.len(), 2);
        assert!(
            warnings[0].starts_with("warning: x.extxyz: frame 0: atoms 0 and 1 are 0.100 Å apart")
        );
        assert!(warnings[1].contains("1 more frame"));
    }
}
