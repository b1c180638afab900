"""Dump more e3nn-jax reference values for eqv's tests.

Writes eqv-core/tests/refs/e3nn_jax_more.json: Clebsch-Gordan tensors with l up
to 10, spherical harmonics l = 4..8 in the three normalisations (and
normalize=False), Wigner D l = 0..8 for rotations at and near the Y-X-Y gimbal
lock plus improper matrices, matrix_to_angles, and full unweighted tensor
products (layout: /shared/refs/README.md; same JSON layout as e3nn_jax.json for
the shared sections).

Usage (not a dependency of the library; needs `pip install e3nn-jax jax`):

    python tools/refs/dump_more_refs.py [output.json]
"""

import decimal
import json
import math
from fractions import Fraction
import platform
import sys

import jax

jax.config.update("jax_enable_x64", True)

import e3nn_jax as e3nn  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "eqv-core/tests/refs/e3nn_jax_more.json"


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def su2_cg_exact(l1, m1, l2, m2, l3):
    """<l1 m1 l2 m2 | l3 m1+m2> / sqrt(2 l3 + 1) by Racah's formula, with the
    sum done in exact fractions and one 50-digit square root (an independent
    check of e3nn-jax, whose float sum loses digits at high l)."""
    m3 = m1 + m2
    if not (abs(l1 - l2) <= l3 <= l1 + l2) or abs(m1) > l1 or abs(m2) > l2 or abs(m3) > l3:
        return 0.0
    f = math.factorial
    a, b, c = l1 + l2 - l3, l1 - m1, l2 + m2
    d, e = l3 - l2 + m1, l3 - l1 - m2
    s = Fraction(0)
    for k in range(max(0, -d, -e), min(a, b, c) + 1):
        s += Fraction((-1) ** k, f(k) * f(a - k) * f(b - k) * f(c - k) * f(d + k) * f(e + k))
    if s == 0:
        return 0.0
    sq = Fraction(f(l3 + l1 - l2) * f(l3 - l1 + l2) * f(a) * f(l3 + m3) * f(l3 - m3)
                  * f(l1 - m1) * f(l1 + m1) * f(l2 - m2) * f(l2 + m2), f(l1 + l2 + l3 + 1)) * s * s
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        r = (decimal.Decimal(sq.numerator) / decimal.Decimal(sq.denominator)).sqrt()
    return float(r) if s > 0 else -float(r)


def q_real_to_complex(l):
    """e3nn's change of basis (-i)^l x (real -> complex), per Wikipedia's real form."""
    q = np.zeros((2 * l + 1, 2 * l + 1), dtype=np.complex128)
    r2 = 1 / math.sqrt(2)
    for m in range(-l, 0):
        q[l + m, l - m] = r2
        q[l + m, l + m] = -1j * r2
    q[l, l] = 1
    for m in range(1, l + 1):
        q[l + m, l + m] = (-1) ** m * r2
        q[l + m, l - m] = 1j * (-1) ** m * r2
    return (-1j) ** l * q


def cg_exact(l1, l2, l3):
    c = np.zeros((2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1))
    for m1 in range(-l1, l1 + 1):
        for m2 in range(-l2, l2 + 1):
            if abs(m1 + m2) <= l3:
                c[l1 + m1, l2 + m2, l3 + m1 + m2] = su2_cg_exact(l1, m1, l2, m2, l3)
    q1, q2, q3 = q_real_to_complex(l1), q_real_to_complex(l2), q_real_to_complex(l3)
    out = np.einsum("ij,kl,mn,ikn->jlm", q1, q2, np.conj(q3.T), c)
    assert np.abs(out.imag).max() < 1e-14
    return out.real


def clebsch_gordan():
    triples = [
        (3, 3, 4), (4, 2, 5), (4, 4, 0), (5, 3, 2), (5, 5, 6), (6, 6, 8),
        (7, 3, 6), (8, 1, 8), (8, 8, 5), (8, 8, 16), (10, 10, 10), (10, 9, 3),
    ]
    out = []
    for l1, l2, l3 in triples:
        c = np.asarray(e3nn.clebsch_gordan(l1, l2, l3))
        exact = cg_exact(l1, l2, l3)
        dev = float(np.abs(c - exact).max())
        entry = {"l1": l1, "l2": l2, "l3": l3, "shape": list(c.shape),
                 "values": c.reshape(-1).tolist(),
                 "e3nn_max_dev_from_exact": dev}
        if dev > 1e-12:
            # e3nn-jax sums the SU(2) coefficients in floats; keep the exact
            # tensor too so tests can hold eqv to the true values.
            entry["exact_values"] = exact.reshape(-1).tolist()
        out.append(entry)
    return out


SH_VECTORS = [
    [0.36, -0.48, 0.8],
    [1.0, 2.0, -0.5],
    [0.0, -3.0, 0.0],   # on the polar axis
    [2e-3, 5.0, -1e-3],  # close to the polar axis
    [-0.7, 0.1, -0.2],
]


def spherical_harmonics():
    entries = []
    x = e3nn.IrrepsArray("1o", jnp.array(SH_VECTORS))
    for norm in ["component", "norm", "integral"]:
        for l in range(4, 9):
            y = e3nn.spherical_harmonics(l, x, normalize=True, normalization=norm).array
            entries.append({"l": l, "normalization": norm, "normalize": True,
                            "shape": list(y.shape), "values": tolist(y)})
    return {"call": "e3nn_jax.spherical_harmonics(l, IrrepsArray('1o', vectors), "
                    "normalize=True, normalization=N).array",
            "normalize": True, "vectors": SH_VECTORS, "entries": entries}


UNNORM_VECTORS = [[1.0, 2.0, -0.5], [0.3, -1.2, 0.7], [0.0, 0.0, 2.0]]


def spherical_harmonics_unnormalized():
    x = e3nn.IrrepsArray("1o", jnp.array(UNNORM_VECTORS))
    entries = []
    for l in range(0, 7):
        y = e3nn.spherical_harmonics(l, x, normalize=False, normalization="component").array
        entries.append({"l": l, "normalization": "component", "normalize": False,
                        "shape": list(y.shape), "values": tolist(y)})
    return {"call": "e3nn_jax.spherical_harmonics(l, IrrepsArray('1o', vectors), "
                    "normalize=False, normalization='component').array",
            "normalize": False, "vectors": UNNORM_VECTORS, "entries": entries}


ROTATIONS = [
    ("generic", (1.2, 0.4, -2.5)),
    ("beta_pi_minus_1e-9", (0.3, math.pi - 1e-9, 1.1)),
    ("beta_pi", (0.3, math.pi, 1.1)),
    ("beta_0", (0.5, 0.0, 0.2)),
    ("beta_1e-9", (-2.0, 1e-9, 0.7)),
    ("large_angles", (5.9, 2.9, -4.0)),
]


def wigner():
    rotations = []
    improper = []
    for name, (a, b, c) in ROTATIONS:
        R = np.asarray(e3nn.angles_to_matrix(a, b, c))
        d = {}
        for l in range(0, 9):
            d[f"{l}e"] = tolist(e3nn.Irrep(f"{l}e").D_from_matrix(jnp.asarray(R)))
        d_angles = {}
        for l in range(0, 9):
            d_angles[f"{l}e"] = tolist(e3nn.Irrep(f"{l}e").D_from_angles(a, b, c))
        # D_from_matrix goes through matrix_to_angles, which loses ~1e-9 near
        # the gimbal lock (beta = acos(y) with y ~ -1); record by how much.
        dev = max(float(np.abs(np.array(d[k]) - np.array(d_angles[k])).max()) for k in d)
        rotations.append({"name": name, "angles_yxy": [a, b, c],
                          "e3nn_matrix_vs_angles_dev": dev,
                          "angles_doc": "R = e3nn_jax.angles_to_matrix(alpha, beta, gamma)",
                          "R": tolist(R), "D": d, "D_from_angles": d_angles})
        if name in ("generic", "beta_pi_minus_1e-9", "large_angles"):
            m = -R
            dd = {}
            for l in range(0, 9):
                for p in "eo":
                    dd[f"{l}{p}"] = tolist(e3nn.Irrep(f"{l}{p}").D_from_matrix(jnp.asarray(m)))
            improper.append({"of_rotation": name, "matrix": tolist(m), "det": -1.0, "D": dd,
                             "e3nn_matrix_vs_angles_dev": dev})
    return {"call": "e3nn_jax.Irrep(key).D_from_matrix(R)",
            "rotations": rotations, "improper": improper}


def matrix_to_angles():
    out = []
    for name, (a, b, c) in ROTATIONS:
        R = e3nn.angles_to_matrix(a, b, c)
        angles = [float(t) for t in e3nn.matrix_to_angles(R)]
        out.append({"name": name, "R": tolist(R), "angles": angles,
                    "unique": bool(abs(math.sin(b)) > 1e-6)})
    return out


def tensor_products():
    rng = np.random.default_rng(0)
    cases = [
        ("1x0e+1x1o+1x2e", "1x1o+1x2e", None),
        ("1x0e+1x1o+1x2e", "1x1o+1x2e", ["1o"]),
        ("2x0e+1x1o", "1x0o+2x1e", None),
    ]
    out = []
    for irreps1, irreps2, filt in cases:
        i1, i2 = e3nn.Irreps(irreps1), e3nn.Irreps(irreps2)
        assert i1.regroup() == i1 and i2.regroup() == i2
        x1 = rng.normal(size=i1.dim)
        x2 = rng.normal(size=i2.dim)
        kwargs = {} if filt is None else {"filter_ir_out": filt}
        z = e3nn.tensor_product(e3nn.IrrepsArray(i1, jnp.asarray(x1)),
                                e3nn.IrrepsArray(i2, jnp.asarray(x2)), **kwargs)
        # Paths in loop order, then stable-sorted by output irrep.
        paths = []
        for a, (mul1, ir1) in enumerate(i1):
            for b, (mul2, ir2) in enumerate(i2):
                for ir_out in ir1 * ir2:
                    if filt is not None and ir_out not in [e3nn.Irrep(f) for f in filt]:
                        continue
                    paths.append({"block1": a, "block2": b, "ir1": str(ir1), "ir2": str(ir2),
                                  "ir_out": str(ir_out), "mul": mul1 * mul2,
                                  "_key": ir_out})
        order = sorted(range(len(paths)), key=lambda k: (paths[k]["_key"], k))
        off = 0
        ordered = []
        for k in order:
            p = dict(paths[k])
            del p["_key"]
            p["offset"] = off
            p["dim"] = p["mul"] * e3nn.Irrep(p["ir_out"]).dim
            off += p["dim"]
            ordered.append(p)
        assert off == z.irreps.dim
        out.append({"irreps1": irreps1, "irreps2": irreps2, "filter_ir_out": filt,
                    "irrep_normalization": "component", "irreps_out": str(z.irreps),
                    "x1": x1.tolist(), "x2": x2.tolist(), "out": tolist(z.array),
                    "paths_in_output_order": ordered})
    return {"call": "e3nn_jax.tensor_product(IrrepsArray(irreps1, x1), "
                    "IrrepsArray(irreps2, x2), filter_ir_out=...)",
            "doc": "out_k = sqrt(2 l_out + 1) * sum_ij x1_i x2_j C(l1,l2,l_out)[i,j,k] per path; "
                   "paths stable-sorted by output irrep; a path's block is mul1*mul2 copies "
                   "(u-major, then v) of 2l_out+1 components",
            "cases": out}


def main():
    data = {
        "meta": {"kind": "public", "generated_by": "tools/refs/dump_more_refs.py",
                 "e3nn_jax_version": e3nn.__version__, "jax_version": jax.__version__,
                 "numpy_version": np.__version__, "python_version": platform.python_version(),
                 "dtype": "float64 (jax_enable_x64=True, CPU)",
                 "layout_doc": "shared/refs/README.md; extra sections described in this script"},
        "clebsch_gordan": clebsch_gordan(),
        "spherical_harmonics": spherical_harmonics(),
        "spherical_harmonics_unnormalized": spherical_harmonics_unnormalized(),
        "wigner_D": wigner(),
        "matrix_to_angles": matrix_to_angles(),
        "tensor_product": tensor_products(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
