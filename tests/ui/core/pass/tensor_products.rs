// Every output of Vector ⊗ Vector that the Clebsch-Gordan table allows
// (Scalar, Pseudovector, Tensor2e), products of higher degree, weighted
// products, and the activations a Pseudoscalar admits (odd Tanh, even Abs).
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let mut rng = Rng::new(3);
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 2, 1, vec![1.0, 2.0, 3.0, -1.0, 0.5, 0.0]);
    let b = eqv::non_equivariant::input::<Vector, _>(&tape, 2, 1, vec![0.0, 1.0, -1.0, 2.0, 2.0, 1.0]);

    // 1o ⊗ 1o = 0e + 1e + 2e
    let s: Feat<Scalar> = tensor_product::<_, _, Scalar, _>(a, b);
    let p: Feat<Pseudovector> = tensor_product::<_, _, Pseudovector, _>(a, b);
    let t: Feat<Tensor2e> = tensor_product::<_, _, Tensor2e, _>(a, b);
    // The 0e path is the dot product (CG normalised to 1: a·b/√3).
    for (x, y) in s.to_f64().iter().zip(a.dot(b).to_f64()) {
        assert!((x - y / 3f64.sqrt()).abs() < 1e-12);
    }

    // Higher degrees: 2e ⊗ 1o = 1o + 2o + 3o; 1e ⊗ 1o = 0o + 1o + 2o.
    let _t3: Feat<Tensor3o> = tensor_product::<_, _, Tensor3o, _>(t, a);
    let _v: Feat<Vector> = tensor_product::<_, _, Vector, _>(t, b);
    let chirality: Feat<Pseudoscalar> = tensor_product::<_, _, Pseudoscalar, _>(p, a);

    // Pseudoscalars: odd functions keep 0o, even functions give 0e.
    let odd: Feat<Pseudoscalar> = chirality.activate(Tanh);
    let even: Feat<Scalar> = chirality.activate(Abs);
    let _sq: Feat<Scalar> = odd.activate(Square);
    let _lin = Linear::<Pseudoscalar, Pseudoscalar>::new(1, 2, &mut rng).forward(odd);

    // Weighted products: fully connected (uvw) and channel-wise (uvu).
    let fc = FullyConnectedTp::<Vector, Vector, Tensor2e>::new(1, 1, 4, &mut rng);
    let t4: Feat<Tensor2e> = fc.forward(a, b);
    let w = even.concat(s).concat(s).concat(s); // 4 invariant weights per row
    let _cw: Feat<Vector> = channelwise_tensor_product::<_, _, Vector, _>(t4, b, w, 1.0);

    // Gates and norm activations on L >= 1 features.
    let _g: Feat<Tensor2e> = gate(s, t, Sigmoid);
    let _n: Feat<Pseudovector> = norm_activation(p, Silu);
}
