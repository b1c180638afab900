#!/usr/bin/env python3
"""Times e3nn (PyTorch, CPU) on the workloads of eqv's examples/bench_vs_e3nn.rs.

Same shapes, same data layout where e3nn allows it, median of --reps calls
(fewer once a workload has spent --budget seconds, at least 3) after a
warm-up, one JSON object (milliseconds per call) on stdout or in --json.
Run by tools/bench/compare.sh interleaved with examples/bench_vs_e3nn.rs;
not part of the library.

Workloads (keep in sync with examples/bench_vs_e3nn.rs and
benches/support/kernels.rs):
  fctp_fwd, fctp_fwd_bwd  o3.FullyConnectedTensorProduct 16x0e+16x1o+16x2e (x)
                      same -> same (11 paths, internal shared weights), batch
                      10 000; backward(ones) to both inputs and the weights
  tp_fwd, tp_fwd_bwd  channel-wise (uvu) tensor product, 20 000 edges,
                      32x0e + 8x1o (x) 1x0e + 1x1o + 1x2e -> 0e + 1o, five paths,
                      88 per-edge weights (shared_weights=False); backward to
                      inputs, harmonics and weights with a gradient of ones
  linear_fwd, linear_fwd_bwd  o3.Linear 32x0e+32x1o+32x2e -> same, batch
                      10 000; backward(ones) to the input and the weights
  sh_l2, sh_l3        spherical harmonics 0..=lmax of 100 000 vectors,
                      normalize=True, 'component'
  linear_0e/_1o       o3.Linear 32x0e -> 32x0e and 32x1o -> 32x1o on 2 000 atoms
  scatter             index_add_ of [20 000, 40x0e + 48x1o = 184] rows onto
                      1 200 atoms (sorted index)
  nequip_energy, nequip_energy_forces  the NequIP-like potential of eqv's
                      eqv-zoo/src/nequip.rs written with e3nn (same
                      layers and shapes, eqv's parameters and activation
                      constants loaded) on the structure and edge list eqv
                      wrote (--data DIR, nequip_si1000.json); energy under
                      no_grad, forces as -dE/dR by autograd

With --data DIR, also recomputes eqv's small check problems (check.json,
written by `bench_vs_e3nn --write-data DIR`) and the NequIP energy and forces
with e3nn on the same inputs and weights, and recounts the structure's edges
by brute force (minimum image); the relative differences go into the JSON's
"info".
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from e3nn import o3
from e3nn.math import normalize2mom
from e3nn.nn import FullyConnectedNet, Gate

EDGES, ATOMS_LINEAR, ATOMS_SCATTER = 20_000, 2_000, 1_200
FC_BATCH, FC_MUL, LIN_MUL, SH_VECTORS = 10_000, 16, 32, 100_000
FC_IRREPS = f"{FC_MUL}x0e + {FC_MUL}x1o + {FC_MUL}x2e"
LIN_IRREPS = f"{LIN_MUL}x0e + {LIN_MUL}x1o + {LIN_MUL}x2e"


def timed(fn, reps, budget):
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 < budget / 10:
        fn()
        fn()
    ts = []
    while len(ts) < reps and (len(ts) < 3 or sum(ts) < budget):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return 1e3 * ts[len(ts) // 2]


def uvu_tp(dtype):
    """The convolution's channel-wise product, paths as in eqv."""
    instructions = [
        (0, 0, 0, "uvu", True),  # 0e x 0e -> 0e
        (1, 1, 1, "uvu", True),  # 1o x 1o -> 0e
        (0, 1, 2, "uvu", True),  # 0e x 1o -> 1o
        (1, 0, 3, "uvu", True),  # 1o x 0e -> 1o
        (1, 2, 4, "uvu", True),  # 1o x 2e -> 1o
    ]
    return o3.TensorProduct(
        "32x0e + 8x1o", "1x0e + 1x1o + 1x2e", "32x0e + 8x0e + 32x1o + 8x1o + 8x1o",
        instructions, shared_weights=False, internal_weights=False,
    ).to(dtype)


# ---------------------------------------------------------------- NequIP

def polynomial_cutoff(x, p=6):
    """eqv-core/src/ops/radial.rs: 1 at 0, 0 with two vanishing derivatives at 1."""
    u = (1.0 - (p + 1.0) * (p + 2.0) / 2.0 * x**p + p * (p + 2.0) * x ** (p + 1)
         - p * (p + 1.0) / 2.0 * x ** (p + 2))
    return u * (x < 1.0)


class Bessel(torch.nn.Module):
    """sqrt(2/rc) sin(n pi r / rc) / r times the envelope, n = 1..N (eqv's BesselBasis)."""

    def __init__(self, r_max, n):
        super().__init__()
        self.r_max = r_max
        self.register_buffer("freq", torch.arange(1, n + 1) * math.pi / r_max)

    def forward(self, r):
        u = polynomial_cutoff(r / self.r_max)
        pre = math.sqrt(2.0 / self.r_max) * u
        return pre[:, None] * torch.sin(self.freq.to(r.dtype) * r[:, None]) / r[:, None]


class Interaction(torch.nn.Module):
    """eqv-zoo/src/nequip.rs `Interaction`: radial MLP -> uvu product ->
    scatter-sum / avg_neighbors -> Linear -> Gate, plus a residual Linear."""

    def __init__(self, channels=16, vectors=8, n_basis=8, radial_hidden=16, avg_neighbors=16.0):
        super().__init__()
        c, v = channels, vectors
        node = o3.Irreps(f"{c}x0e + {v}x1o")
        mid = o3.Irreps(f"{c}x0e + {v}x0e + {c}x1o + {v}x1o + {v}x1o")
        instructions = [(0, 0, 0, "uvu", True), (1, 1, 1, "uvu", True),
                        (0, 1, 2, "uvu", True), (1, 0, 3, "uvu", True), (1, 2, 4, "uvu", True)]
        self.conv = o3.TensorProduct(node, "1x0e + 1x1o + 1x2e", mid, instructions,
                                     shared_weights=False, internal_weights=False)
        self.radial = FullyConnectedNet([n_basis, radial_hidden, self.conv.weight_numel],
                                        torch.nn.functional.silu)
        self.mix = o3.Linear(mid, f"{c}x0e + {v}x0e + {v}x1o")
        self.gate = Gate(f"{c}x0e", [torch.nn.functional.silu], f"{v}x0e", [torch.sigmoid],
                         f"{v}x1o")
        self.skip = o3.Linear(node, node)
        self.k = 1.0 / avg_neighbors

    def forward(self, x, sh, basis, centers, neighbors):
        w = self.radial(basis)
        m = self.conv(x[neighbors], sh, w)
        agg = torch.zeros(x.shape[0], m.shape[1], dtype=m.dtype).index_add_(0, centers, m)
        return self.gate(self.mix(agg * self.k)) + self.skip(x)


class Nequip(torch.nn.Module):
    """eqv-zoo/src/nequip.rs `Nequip` with nequip_config(1, 16, 8, 2, 4.0)."""

    def __init__(self, species=1, channels=16, vectors=8, n_basis=8, cutoff=4.0, layers=2):
        super().__init__()
        self.species, self.vectors = species, vectors
        self.embed = o3.Linear(f"{species}x0e", f"{channels}x0e")
        self.radial = Bessel(cutoff, n_basis)
        self.interactions = torch.nn.ModuleList(
            Interaction(channels, vectors, n_basis) for _ in range(layers))
        self.hidden = o3.Linear(f"{channels}x0e", f"{channels}x0e")
        self.act = normalize2mom(torch.nn.functional.silu)
        self.readout = o3.Linear(f"{channels}x0e", "1x0e")
        self.channels = channels

    def forward(self, pos, species, centers, neighbors, shifts):
        edges = pos[neighbors] - pos[centers] + shifts
        sh = o3.spherical_harmonics([0, 1, 2], edges, normalize=True, normalization="component")
        basis = self.radial(edges.norm(dim=1))
        one_hot = torch.nn.functional.one_hot(species, self.species).to(pos.dtype)
        x = torch.cat([self.embed(one_hot),
                       torch.zeros(pos.shape[0], 3 * self.vectors, dtype=pos.dtype)], dim=1)
        for layer in self.interactions:
            x = layer(x, sh, basis, centers, neighbors)
        return self.readout(self.act(self.hidden(x[:, :self.channels]))).sum()


def load_structure(data_dir):
    with open(os.path.join(data_dir, "nequip_si1000.json")) as f:
        return json.load(f)


def recount_edges(s):
    """Pairs closer than the cutoff by brute force, minimum image (the cell
    must be wider than twice the cutoff)."""
    pos = torch.tensor(s["positions"], dtype=torch.float64)
    cell = torch.tensor(s["cell"], dtype=torch.float64)
    frac = pos @ torch.linalg.inv(cell)
    d = frac[None, :, :] - frac[:, None, :]
    d = (d - torch.round(d)) @ cell
    r = d.norm(dim=2)
    r.fill_diagonal_(float("inf"))
    return int((r < s["cutoff"]).sum())


def linear_from_eqv(lin, params, prefix):
    """eqv's `Linear<"a", "b">` weights (`{prefix}{o}_{i}.weight`, [mul_in,
    mul_out], input blocks of one irrep concatenated) into an o3.Linear that
    keeps those input blocks separate."""
    irs = []
    for _, ir in lin.irreps_in:
        if ir not in irs:
            irs.append(ir)
    offsets, seen = [], {}
    for mul, ir in lin.irreps_in:
        offsets.append(seen.get(ir, 0))
        seen[ir] = seen.get(ir, 0) + mul
    parts = []
    for ins in lin.instructions:
        ir = lin.irreps_in[ins.i_in].ir
        w = params[f"{prefix}{ins.i_out}_{irs.index(ir)}.weight"]
        w = w.reshape(seen[ir], -1)
        mul_in = lin.irreps_in[ins.i_in].mul
        parts.append(w[offsets[ins.i_in]:offsets[ins.i_in] + mul_in].reshape(-1))
    with torch.no_grad():
        lin.weight.copy_(torch.cat(parts))


def nequip_from_eqv(model, s):
    """The parameters eqv wrote (`--write-data`) into the e3nn model, and
    eqv's exact activation constants in place of e3nn's Monte-Carlo ones."""
    params = {k: torch.tensor(v["data"], dtype=torch.float64) for k, v in s["params"].items()}
    with torch.no_grad():
        model.embed.weight.copy_(params["embed.linear.weight"])
        model.hidden.weight.copy_(params["hidden.0_0.weight"])
        model.readout.weight.copy_(params["readout.0_0.weight"])
        for n, layer in enumerate(model.interactions):
            p = f"interactions.{n}."
            for k in (0, 1):
                w = getattr(layer.radial, f"layer{k}").weight
                w.copy_(params[f"{p}radial.layers.{k}.weight"].reshape(w.shape))
            linear_from_eqv(layer.mix, params, p + "mix.")
            linear_from_eqv(layer.skip, params, p + "skip.")
    for m in model.modules():
        if isinstance(m, normalize2mom):
            m._is_id = False
            if m.f is torch.nn.functional.silu:
                m.cst = s["act_scale"]["silu"]
            elif m.f is torch.sigmoid:
                m.cst = s["act_scale"]["sigmoid"]
            else:
                raise ValueError(f"unexpected activation {m.f}")


# ---------------------------------------------------------------- checks

def rel(a, b):
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float((a - b).abs().max() / b.abs().max())


def flat_blocks(blocks, rows):
    """eqv's [rows, mul, 2l+1] blocks -> e3nn's [rows, irreps.dim] (mul_ir order)."""
    return torch.cat([torch.tensor(b, dtype=torch.float64).reshape(rows, -1) for b in blocks], 1)


def checks(data_dir):
    """The check problems in f64. e3nn computes its Clebsch-Gordan buffers in
    the default dtype when a module is built (`.to(float64)` afterwards
    keeps float32's ~1e-8 error), so the modules are built with float64 as
    the default."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _checks(data_dir)
    finally:
        torch.set_default_dtype(default)


def _checks(data_dir):
    with open(os.path.join(data_dir, "check.json")) as f:
        c = json.load(f)
    out = {}
    dt = torch.float64

    # Fully connected product: same inputs, eqv's weights in e3nn's layout.
    d = c["fctp"]
    n = d["rows"]
    tp = o3.FullyConnectedTensorProduct(FC_IRREPS, FC_IRREPS, FC_IRREPS).to(dt)
    by_key = {(p["i"], p["j"], p["o"]): p for p in d["paths"]}
    assert len(by_key) == len(tp.instructions), (len(by_key), len(tp.instructions))
    order = [(i.i_in1, i.i_in2, i.i_out) for i in tp.instructions]
    with torch.no_grad():
        tp.weight.copy_(torch.cat([torch.tensor(by_key[k]["w"], dtype=dt) for k in order]))
    x = flat_blocks(d["x"], n).requires_grad_(True)
    y = flat_blocks(d["y"], n).requires_grad_(True)
    z = tp(x, y)
    z.sum().backward()
    out["fctp_out"] = rel(z.detach(), flat_blocks(d["out"], n))
    out["fctp_grad_x"] = rel(x.grad, flat_blocks(d["grad_x"], n))
    out["fctp_grad_y"] = rel(y.grad, flat_blocks(d["grad_y"], n))
    out["fctp_grad_w"] = rel(tp.weight.grad,
                             torch.cat([torch.tensor(by_key[k]["grad"], dtype=dt) for k in order]))

    # Linear per block.
    d = c["linear"]
    n = d["rows"]
    lin = o3.Linear(LIN_IRREPS, LIN_IRREPS).to(dt)
    with torch.no_grad():
        lin.weight.copy_(torch.cat([torch.tensor(w, dtype=dt) for w in d["w"]]))
        out["linear_out"] = rel(lin(flat_blocks(d["x"], n)), flat_blocks(d["out"], n))

    # Channel-wise product (eqv's path weight 1 = e3nn's normalisation when
    # every path has its own output block).
    d = c["uvu"]
    n = d["rows"]
    tp = uvu_tp(dt)
    with torch.no_grad():
        z = tp(flat_blocks([d["x0"], d["x1"]], n), flat_blocks(d["sh"], n),
               flat_blocks(d["w"], n))
    out["uvu_out"] = rel(z, flat_blocks(d["out"], n))

    # Spherical harmonics.
    d = c["sh"]
    n = d["rows"]
    v = torch.tensor(d["v"], dtype=dt).reshape(n, 3)
    ysh = o3.spherical_harmonics([0, 1, 2, 3], v, normalize=True, normalization="component")
    out["sh_out"] = rel(ysh, flat_blocks(d["out"], n))

    # The whole NequIP-like potential with eqv's parameters: energy, forces.
    s = load_structure(data_dir)
    model = Nequip()
    nequip_from_eqv(model, s)
    pos = torch.tensor(s["positions"], dtype=dt, requires_grad=True)
    e = model(pos, torch.tensor(s["species"]), torch.tensor(s["centers"]),
              torch.tensor(s["neighbors"]), torch.tensor(s["shifts"], dtype=dt))
    (g,) = torch.autograd.grad(e, pos)
    out["nequip_energy"] = rel(e.detach(), torch.tensor(s["energy"]))
    out["nequip_forces"] = rel(-g, torch.tensor(s["forces"]))
    return out


# ---------------------------------------------------------------- timing

def bench(dtype, reps, budget, structure, only):
    torch.manual_seed(0)
    gen = dict(dtype=dtype)
    out = {}

    def want(key):
        return only is None or only in key

    # Fully connected product, batch 10k.
    if want("fctp_fwd") or want("fctp_fwd_bwd"):
        tp = o3.FullyConnectedTensorProduct(FC_IRREPS, FC_IRREPS, FC_IRREPS).to(dtype)
        dim = o3.Irreps(FC_IRREPS).dim
        x, y = torch.randn(FC_BATCH, dim, **gen), torch.randn(FC_BATCH, dim, **gen)
        if want("fctp_fwd"):
            with torch.no_grad():
                out["fctp_fwd"] = timed(lambda: tp(x, y), reps, budget)
        xg, yg = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
        gout = torch.ones(FC_BATCH, dim, **gen)

        def fc_fwd_bwd():
            xg.grad = yg.grad = None
            tp.zero_grad(set_to_none=True)
            tp(xg, yg).backward(gout)

        if want("fctp_fwd_bwd"):
            out["fctp_fwd_bwd"] = timed(fc_fwd_bwd, reps, budget)

    # Channel-wise tensor product, NequIP's convolution (paths as in eqv).
    if want("tp_fwd") or want("tp_fwd_bwd"):
        tp = uvu_tp(dtype)
        assert tp.weight_numel == 88, tp.weight_numel
        x = torch.randn(EDGES, tp.irreps_in1.dim, **gen)
        sh = torch.randn(EDGES, tp.irreps_in2.dim, **gen)
        w = torch.randn(EDGES, tp.weight_numel, **gen)
        if want("tp_fwd"):
            with torch.no_grad():
                out["tp_fwd"] = timed(lambda: tp(x, sh, w), reps, budget)
        xg, shg, wg = (t.clone().requires_grad_(True) for t in (x, sh, w))
        gout = torch.ones(EDGES, tp.irreps_out.dim, **gen)

        def fwd_bwd():
            for t in (xg, shg, wg):
                t.grad = None
            tp(xg, shg, wg).backward(gout)

        if want("tp_fwd_bwd"):
            out["tp_fwd_bwd"] = timed(fwd_bwd, reps, budget)

    # Linear 32x0e+32x1o+32x2e, batch 10k.
    if want("linear_fwd") or want("linear_fwd_bwd"):
        lin = o3.Linear(LIN_IRREPS, LIN_IRREPS).to(dtype)
        h = torch.randn(FC_BATCH, lin.irreps_in.dim, **gen)
        if want("linear_fwd"):
            with torch.no_grad():
                out["linear_fwd"] = timed(lambda: lin(h), reps, budget)
        hg = h.clone().requires_grad_(True)
        gout = torch.ones(FC_BATCH, lin.irreps_out.dim, **gen)

        def lin_fwd_bwd():
            hg.grad = None
            lin.zero_grad(set_to_none=True)
            lin(hg).backward(gout)

        if want("linear_fwd_bwd"):
            out["linear_fwd_bwd"] = timed(lin_fwd_bwd, reps, budget)

    # Spherical harmonics of 100k vectors.
    v = torch.randn(SH_VECTORS, 3, **gen)
    with torch.no_grad():
        for lmax in (2, 3):
            if want(f"sh_l{lmax}"):
                ls = list(range(lmax + 1))
                out[f"sh_l{lmax}"] = timed(
                    lambda: o3.spherical_harmonics(ls, v, normalize=True,
                                                   normalization="component"),
                    reps, budget)

    # Linear 32 -> 32 on scalars and on vectors, 2k atoms.
    with torch.no_grad():
        for name, ir in (("linear_0e", "32x0e"), ("linear_1o", "32x1o")):
            if want(name):
                lin = o3.Linear(ir, ir).to(dtype)
                h = torch.randn(ATOMS_LINEAR, o3.Irreps(ir).dim, **gen)
                out[name] = timed(lambda: lin(h), reps, budget)

    # Scatter-sum of the messages onto atoms.
    if want("scatter"):
        m = torch.randn(EDGES, 40 + 48 * 3, **gen)
        idx = torch.arange(EDGES) * ATOMS_SCATTER // EDGES
        with torch.no_grad():
            out["scatter"] = timed(
                lambda: torch.zeros(ATOMS_SCATTER, m.shape[1], **gen).index_add_(0, idx, m),
                reps, budget)

    # The NequIP-like potential on eqv's structure and edge list.
    if structure is not None and (want("nequip_energy") or want("nequip_energy_forces")):
        model = Nequip().to(dtype)
        nequip_from_eqv(model, structure)  # the same function as eqv's
        pos = torch.tensor(structure["positions"], **gen)
        species = torch.tensor(structure["species"], dtype=torch.long)
        centers = torch.tensor(structure["centers"], dtype=torch.long)
        neighbors = torch.tensor(structure["neighbors"], dtype=torch.long)
        shifts = torch.tensor(structure["shifts"], **gen)
        if want("nequip_energy"):
            with torch.no_grad():
                out["nequip_energy"] = timed(
                    lambda: model(pos, species, centers, neighbors, shifts), reps, budget)

        def energy_forces():
            p = pos.clone().requires_grad_(True)
            e = model(p, species, centers, neighbors, shifts)
            (g,) = torch.autograd.grad(e, p)
            return e, -g

        e, f = energy_forces()
        assert f.shape == pos.shape and torch.isfinite(f).all() and torch.isfinite(e)
        if want("nequip_energy_forces"):
            out["nequip_energy_forces"] = timed(energy_forces, reps, budget)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--budget", type=float, default=5.0,
                    help="seconds of timed calls per workload after which to stop (min 3 calls)")
    ap.add_argument("--data", help="directory written by `bench_vs_e3nn --write-data`")
    ap.add_argument("--only", help="run only the workloads whose key contains this")
    ap.add_argument("--no-checks", action="store_true")
    ap.add_argument("--json", help="write the results here (default: stdout)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    import e3nn

    info = {}
    structure = None
    if a.data:
        structure = load_structure(a.data)
        info["nequip_atoms"] = len(structure["positions"])
        info["nequip_edges"] = len(structure["centers"])
        info["nequip_edges_recount"] = recount_edges(structure)
        info["nequip_params"] = sum(p.numel() for p in Nequip().parameters())
        if not a.no_checks:
            info["checks"] = checks(a.data)
    res = {
        "impl": "e3nn",
        "versions": {"e3nn": e3nn.__version__, "torch": torch.__version__},
        "threads": torch.get_num_threads(),
        "reps": a.reps,
        "info": info,
        "ms": {
            "f32": bench(torch.float32, a.reps, a.budget, structure, a.only),
            "f64": bench(torch.float64, a.reps, a.budget, structure, a.only),
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
