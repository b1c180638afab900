//! The fused convolution (gather → channel-wise product → scatter in one
//! pass) against the same composition of separate ops: values and every
//! gradient, on a structure small enough for one block and one large
//! enough to be split across cores, in f64 and on dual numbers.

use eqv_core::classical::diamond_silicon;
use eqv_core::data::SpeciesMap;
use eqv_core::dual::Dual;
use eqv_core::graph::Batch;
use eqv_core::ops::tensor_product::{channelwise_convolution, channelwise_paths, ChannelwisePath};
use eqv_core::prelude::*;
use eqv_core::tape::NodeId;

fn random<T: Real>(rng: &mut Rng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::from_f64(rng.normal())).collect()
}

fn silicon(repeats: usize) -> Batch {
    let mut frame = diamond_silicon(5.431, [repeats; 3]);
    let mut rng = Rng::new(7);
    for p in &mut frame.positions {
        for x in p.iter_mut() {
            *x += 0.1 * rng.normal();
        }
    }
    // Shuffle-free but not perfectly regular: some centres have more edges.
    let species = SpeciesMap::from_frames(std::slice::from_ref(&frame));
    Batch::from_frames(&[frame], 4.0, &species).expect("a valid batch")
}

/// Output values and the gradients of `Σ r · output` with respect to the
/// node features, the edge harmonics and the weights, fused or not.
fn run<T: Real>(batch: &Batch, fused: bool) -> (Vec<T>, Vec<Vec<T>>) {
    let tape = Tape::<T>::new();
    let g = Graph::new(&tape, batch);
    let (atoms, edges) = (g.num_atoms(), g.num_edges());
    let mut rng = Rng::new(3);
    let x0 = eqv_core::non_equivariant::variable::<Scalar, T>(
        &tape,
        atoms,
        4,
        random(&mut rng, atoms * 4),
    );
    let x1 = eqv_core::non_equivariant::variable::<Vector, T>(
        &tape,
        atoms,
        3,
        random(&mut rng, atoms * 9),
    );
    let y0 =
        eqv_core::non_equivariant::variable::<Scalar, T>(&tape, edges, 1, random(&mut rng, edges));
    let y1 = eqv_core::non_equivariant::variable::<Vector, T>(
        &tape,
        edges,
        1,
        random(&mut rng, edges * 3),
    );
    let y2 = eqv_core::non_equivariant::variable::<Tensor2e, T>(
        &tape,
        edges,
        1,
        random(&mut rng, edges * 5),
    );
    // Weights of the paths, plus two unused leading channels (offset 2).
    let nw = 2 + 4 + 3 + 4 + 3 + 3;
    let w = eqv_core::non_equivariant::variable::<Scalar, T>(
        &tape,
        edges,
        nw,
        random(&mut rng, edges * nw),
    );
    let (o0, o1) = if fused {
        let o0 = channelwise_convolution(
            &g,
            &[ChannelwisePath::new(x0, y0), ChannelwisePath::new(x1, y1)],
            w,
            2,
            0.7,
        );
        let o1 = channelwise_convolution(
            &g,
            &[
                ChannelwisePath::new(x0, y1),
                ChannelwisePath::new(x1, y0),
                ChannelwisePath::new(x1, y2),
            ],
            w,
            2 + 4 + 3,
            0.7,
        );
        (o0, o1)
    } else {
        let (n0, n1) = (g.gather_neighbors(x0), g.gather_neighbors(x1));
        let o0 = channelwise_paths(
            &[ChannelwisePath::new(n0, y0), ChannelwisePath::new(n1, y1)],
            w,
            2,
            0.7,
        );
        let o1 = channelwise_paths(
            &[
                ChannelwisePath::new(n0, y1),
                ChannelwisePath::new(n1, y0),
                ChannelwisePath::new(n1, y2),
            ],
            w,
            2 + 4 + 3,
            0.7,
        );
        (g.scatter_sum(o0), g.scatter_sum(o1))
    };
    let r0 = eqv_core::non_equivariant::input::<Scalar, T>(
        &tape,
        atoms,
        o0.mul(),
        random(&mut rng, atoms * o0.mul()),
    );
    let r1 = eqv_core::non_equivariant::input::<Vector, T>(
        &tape,
        atoms,
        o1.mul(),
        random(&mut rng, atoms * o1.mul() * 3),
    );
    let loss = g.sum_over_atoms(o0.dot(r0).concat(o1.dot(r1)));
    let grads = tape.backward(loss.id(), &vec![T::ONE; loss.mul()]);
    let ids: [NodeId; 6] = [x0.id(), x1.id(), y0.id(), y1.id(), y2.id(), w.id()];
    let mut values = o0.data().to_vec();
    values.extend(o1.data().iter());
    (
        values,
        ids.iter().map(|&id| grads.get_or_zeros(id)).collect(),
    )
}

fn assert_close<T: Real>(a: &[T], b: &[T], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().map(|x| x.value().abs()).fold(1.0, f64::max);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x.value() - y.value()).abs() <= 1e-12 * scale,
            "{what}[{i}]: fused {x} vs unfused {y}"
        );
    }
}

#[test]
fn fused_convolution_equals_gather_product_scatter() {
    // 64 atoms (~1000 edges, one block) and 216 atoms (~3400 edges, split).
    for repeats in [2, 3] {
        let batch = silicon(repeats);
        let (fv, fg) = run::<f64>(&batch, true);
        let (uv, ug) = run::<f64>(&batch, false);
        assert_close(&fv, &uv, "output");
        for (k, (f, u)) in fg.iter().zip(&ug).enumerate() {
            assert_close(f, u, &format!("gradient {k}"));
        }
    }
}

#[test]
fn fused_convolution_on_dual_numbers() {
    let batch = silicon(2);
    let (fv, fg) = run::<Dual<f64>>(&batch, true);
    let (uv, ug) = run::<Dual<f64>>(&batch, false);
    assert_close(&fv, &uv, "output");
    for (f, u) in fg.iter().zip(&ug) {
        assert_close(f, u, "gradient");
    }
}
