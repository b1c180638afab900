//! A local-frame model (the tutorial's fifth approach, as in DeepPot-SE and
//! DeepH), written with `#[equivariant]`: equivariant by construction, and
//! discontinuous where neighbour distances tie — shown numerically below.
//!
//! **What it is.** Every atom builds an orthonormal frame from its two
//! nearest neighbour vectors by Gram-Schmidt (`e1 = r1/|r1|`,
//! `e2 = (r2 − (r2·e1) e1)/|…|`, `e3 = e1 × e2`), takes the coordinates of
//! all its neighbours in that frame (dot products: invariants), runs MLPs on
//! them, and rotates a predicted force back as `a1 e1 + a2 e2 + a3 e3`.
//!
//! **Which approach.** The tutorial's fifth: rotate into a local frame,
//! predict invariants, rotate back.
//!
//! **What eqv's types guarantee.** The frame axes are built from edge
//! vectors by equivariant ops only (`dot`, `scale`, `cross`, normalisation
//! by `Y¹`), so they are typed `Vector`, `Vector`, `Pseudovector`. The
//! coordinate along `e3` is therefore a `Pseudoscalar`, and the rotation
//! back type-checks as a `Vector` only with a pseudoscalar coefficient for
//! `e3` — the parity slip of many frame codes (treating `r·e3` as an
//! invariant, which breaks reflection equivariance) does not compile. What
//! the types do *not* guarantee is continuity: the choice of the two nearest
//! neighbours is data (a distance ordering computed outside the tape and
//! passed as an edge mask), and where the two nearest distances tie the
//! frame jumps. The model is still exactly equivariant everywhere else.
//!
//! Run: `cargo run --release --example local_frame`

use eqv::zoo::local_frame;

use eqv::classical::dataset::silicon_cluster;
use eqv::graph::Batch;
use eqv::prelude::*;
use local_frame::{local_frame_config, LocalFrame};

fn force_on(
    model: &LocalFrame,
    positions: &[[f64; 3]],
    atom: usize,
) -> Result<[f64; 3], Box<dyn std::error::Error>> {
    let batch = Batch::from_positions(positions, &vec![0; positions.len()], 4.0)?;
    let tape = Tape::<f64>::new();
    let g = Graph::untracked(&tape, &batch);
    let f = model.forward(&g).feat().to_f64();
    Ok([f[3 * atom], f[3 * atom + 1], f[3 * atom + 2]])
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    (0..3).map(|c| (a[c] - b[c]).powi(2)).sum::<f64>().sqrt()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = LocalFrame::new(&local_frame_config(32, 4.0), 51);
    println!("{}", model.summary());

    // A silicon cluster, jiggled so that no two neighbour distances tie (the
    // perfect lattice has four equal nearest neighbours per atom: exactly
    // the set where frames are not defined).
    let cluster = silicon_cluster(5.431);
    let mut rng = Rng::new(3);
    let positions: Vec<[f64; 3]> = cluster
        .positions
        .iter()
        .map(|p| std::array::from_fn(|c| p[c] + 0.08 * rng.normal()))
        .collect();
    let batch = Batch::from_positions(&positions, &vec![0; positions.len()], 4.0)?;
    println!(
        "jiggled silicon cluster: {} atoms, {} edges (cutoff 4 Å)",
        batch.num_atoms(),
        batch.num_edges()
    );
    let report = model.check_equivariance(&batch, 1);
    println!("{report}\n");
    assert!(report.max() < 1e-10, "equivariance error {}", report.max());

    // The discontinuity. Atom 0 has neighbours A at 2.3 Å and B at 2.3 + δ Å;
    // for δ < 0 B is nearest and defines e1, for δ > 0 A does.
    let (a_dir, b_dir) = ([1.0, 0.0, 0.0], [0.28, 0.93, 0.24]);
    let norm = |v: [f64; 3]| dist(v, [0.0; 3]);
    let at = |d: [f64; 3], r: f64| -> [f64; 3] { std::array::from_fn(|c| d[c] * r / norm(d)) };
    let molecule = |delta: f64| -> Vec<[f64; 3]> {
        vec![
            [0.0, 0.0, 0.0],
            at(a_dir, 2.3),
            at(b_dir, 2.3 + delta),
            [-0.9, -1.1, 2.2],
            [-1.7, 1.3, -1.6],
        ]
    };
    println!(
        "force on atom 0 as its second-nearest neighbour B crosses the nearest, A (|r_A| = 2.3 Å):"
    );
    println!(
        "{:>10}  {:>12}  {:>12}  force on atom 0",
        "δ (Å)", "|r_A|", "|r_B|"
    );
    let mut at_delta = Vec::new();
    for delta in [-1e-2, -1e-4, -1e-8, 1e-8, 1e-4, 1e-2] {
        let p = molecule(delta);
        let f = force_on(&model, &p, 0)?;
        println!(
            "{delta:>10.0e}  {:>12.9}  {:>12.9}  [{:+.6}, {:+.6}, {:+.6}]",
            dist(p[1], p[0]),
            dist(p[2], p[0]),
            f[0],
            f[1],
            f[2]
        );
        at_delta.push((delta, f));
    }
    let jump = |a: [f64; 3], b: [f64; 3]| dist(a, b);
    let across = jump(at_delta[2].1, at_delta[3].1);
    // For contrast: a displacement of the same size that does not cross a tie.
    let mut moved = molecule(-1e-8);
    moved[3][2] += 2e-8;
    let smooth = jump(
        force_on(&model, &molecule(-1e-8), 0)?,
        force_on(&model, &moved, 0)?,
    );
    let size = dist(at_delta[2].1, [0.0; 3]);
    println!(
        "|ΔF| across the tie (B moved by 2e-8 Å): {across:.3e} ({:.0}% of |F|)",
        100.0 * across / size
    );
    println!("|ΔF| for another atom moved by 2e-8 Å, no tie crossed: {smooth:.3e}");
    assert!(
        across > 1e3 * smooth.max(1e-12),
        "the frame should jump at the tie"
    );
    println!("the frame, and with it the force, jumps where |r1| = |r2|: equivariant, but not continuous");
    Ok(())
}
