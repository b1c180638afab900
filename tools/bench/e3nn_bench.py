#!/usr/bin/env python3
"""Times e3nn (PyTorch, CPU) on the workloads of eqv's benches/support/kernels.rs.

Same shapes, same data layout where e3nn allows it, median of --reps calls
after a warm-up, one JSON object (milliseconds per call) on stdout or in
--json. Run by tools/bench/compare.sh back to back with
examples/bench_vs_e3nn.rs; not part of the library.

Workloads (keep in sync with benches/support/kernels.rs):
  tp_fwd, tp_fwd_bwd  channel-wise (uvu) tensor product, 20 000 edges,
                      32x0e + 8x1o (x) 1x0e + 1x1o + 1x2e -> 0e + 1o, five paths,
                      88 per-edge weights (shared_weights=False); backward to
                      inputs, harmonics and weights with a gradient of ones
  sh_l2, sh_l3        spherical harmonics 0..=lmax of 20 000 vectors,
                      normalize=True, 'component'
  linear_0e/_1o       o3.Linear 32x0e -> 32x0e and 32x1o -> 32x1o on 2 000 atoms
  scatter             index_add_ of [20 000, 40x0e + 48x1o = 184] rows onto
                      1 200 atoms (sorted index)
"""
import argparse
import json
import statistics
import sys
import time

import torch
from e3nn import o3

EDGES, ATOMS_LINEAR, ATOMS_SCATTER = 20_000, 2_000, 1_200


def timed(fn, reps, warmup=3):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


def bench(dtype, reps):
    torch.manual_seed(0)
    gen = dict(dtype=dtype)
    out = {}

    # Channel-wise tensor product, NequIP's convolution (paths as in eqv).
    irreps_in1 = o3.Irreps("32x0e + 8x1o")
    irreps_in2 = o3.Irreps("1x0e + 1x1o + 1x2e")
    irreps_out = o3.Irreps("32x0e + 8x0e + 32x1o + 8x1o + 8x1o")
    instructions = [
        (0, 0, 0, "uvu", True),  # 0e x 0e -> 0e
        (1, 1, 1, "uvu", True),  # 1o x 1o -> 0e
        (0, 1, 2, "uvu", True),  # 0e x 1o -> 1o
        (1, 0, 3, "uvu", True),  # 1o x 0e -> 1o
        (1, 2, 4, "uvu", True),  # 1o x 2e -> 1o
    ]
    tp = o3.TensorProduct(
        irreps_in1, irreps_in2, irreps_out, instructions,
        shared_weights=False, internal_weights=False,
    ).to(dtype)
    assert tp.weight_numel == 88, tp.weight_numel
    x = torch.randn(EDGES, irreps_in1.dim, **gen)
    sh = torch.randn(EDGES, irreps_in2.dim, **gen)
    w = torch.randn(EDGES, tp.weight_numel, **gen)
    with torch.no_grad():
        out["tp_fwd"] = timed(lambda: tp(x, sh, w), reps)
    xg, shg, wg = (t.clone().requires_grad_(True) for t in (x, sh, w))
    gout = torch.ones(EDGES, irreps_out.dim, **gen)

    def fwd_bwd():
        for t in (xg, shg, wg):
            t.grad = None
        tp(xg, shg, wg).backward(gout)

    out["tp_fwd_bwd"] = timed(fwd_bwd, reps)

    # Spherical harmonics of edge vectors.
    v = torch.randn(EDGES, 3, **gen)
    with torch.no_grad():
        for lmax in (2, 3):
            ls = list(range(lmax + 1))
            out[f"sh_l{lmax}"] = timed(
                lambda: o3.spherical_harmonics(ls, v, normalize=True, normalization="component"),
                reps,
            )

    # Linear 32 -> 32 on scalars and on vectors.
    with torch.no_grad():
        for name, ir in (("linear_0e", "32x0e"), ("linear_1o", "32x1o")):
            lin = o3.Linear(ir, ir).to(dtype)
            h = torch.randn(ATOMS_LINEAR, o3.Irreps(ir).dim, **gen)
            out[name] = timed(lambda: lin(h), reps)

    # Scatter-sum of the messages onto atoms.
    m = torch.randn(EDGES, 40 + 48 * 3, **gen)
    idx = torch.arange(EDGES) * ATOMS_SCATTER // EDGES
    with torch.no_grad():
        out["scatter"] = timed(
            lambda: torch.zeros(ATOMS_SCATTER, m.shape[1], **gen).index_add_(0, idx, m), reps
        )
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json", help="write the results here (default: stdout)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    import e3nn

    res = {
        "impl": "e3nn",
        "versions": {"e3nn": e3nn.__version__, "torch": torch.__version__},
        "threads": torch.get_num_threads(),
        "reps": a.reps,
        "ms": {
            "f32": bench(torch.float32, a.reps),
            "f64": bench(torch.float64, a.reps),
        },
    }
    text = json.dumps(res, indent=1)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
