//! A structure from numpy arrays, checked, as the `Frame` the model reads.
//!
//! The Python layer has already turned its arguments into arrays of the
//! right dtype; the shapes and values are checked here, once, because this
//! is the last point where an error can still name the argument a user
//! wrote (`positions`, `cell`, ...) rather than a frame field.

use eqv::data::{symbol, Frame};
use numpy::ndarray::{ArrayView1, ArrayView2};

/// Builds the frame of `numbers` (N), `positions` (N × 3, Å), an optional
/// `cell` (3 × 3, lattice vectors as rows, Å) and the periodicity `pbc`.
///
/// Without `pbc` a structure with a cell is periodic in all three
/// directions and one without is a finite cluster, which is what a caller
/// who passes a cell means.
pub fn frame(
    numbers: ArrayView1<'_, i64>,
    positions: ArrayView2<'_, f64>,
    cell: Option<ArrayView2<'_, f64>>,
    pbc: Option<[bool; 3]>,
) -> Result<Frame, String> {
    let n = numbers.len();
    if positions.dim() != (n, 3) {
        return Err(format!(
            "positions must have shape ({n}, 3) for {n} atomic numbers, got {:?}",
            positions.shape()
        ));
    }
    let numbers = numbers
        .iter()
        .enumerate()
        .map(|(i, &z)| match u8::try_from(z) {
            Ok(z) if symbol(z).is_some() => Ok(z),
            _ => Err(format!(
                "numbers[{i}] = {z} is not an atomic number (1..=118)"
            )),
        })
        .collect::<Result<Vec<u8>, String>>()?;
    let positions: Vec<[f64; 3]> = positions
        .rows()
        .into_iter()
        .map(|r| [r[0], r[1], r[2]])
        .collect();
    if let Some(i) = positions
        .iter()
        .position(|p| p.iter().any(|x| !x.is_finite()))
    {
        return Err(format!("positions[{i}] is not finite: {:?}", positions[i]));
    }
    let cell = match cell {
        None => None,
        Some(c) if c.dim() == (3, 3) => {
            let c: [[f64; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|k| c[[i, k]]));
            if c.iter().flatten().any(|x| !x.is_finite()) {
                return Err(format!("cell is not finite: {c:?}"));
            }
            Some(c)
        }
        Some(c) => {
            return Err(format!(
                "cell must have shape (3, 3) (lattice vectors as rows), got {:?}",
                c.shape()
            ))
        }
    };
    let pbc = pbc.unwrap_or([cell.is_some(); 3]);
    if cell.is_none() && pbc.iter().any(|&p| p) {
        return Err(format!("pbc = {pbc:?} is periodic, but no cell was given"));
    }
    let mut frame = Frame::new(numbers, positions);
    frame.cell = cell;
    frame.pbc = pbc;
    Ok(frame)
}
